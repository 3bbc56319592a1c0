//! The `check` pipeline, one way through:
//! discover → load → compile + render probes → rules → resolve → report.
//!
//! Data flows down only. Model folders are checked in parallel; each distinct
//! template text is compiled once per folder.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::baseline::Baseline;
use crate::capabilities::{detect as detect_capabilities, Capability};
use crate::discover::ModelDir;
use crate::discover::{discover_all, DiscoverOptions};
use crate::finding::Finding;
use crate::load::{load_with, LoadOptions, LoadedModel, Runtime, Template};
use crate::probes::{render_probes, Renders};
use crate::render::compile;
use crate::resolve::{resolve, CheckedModel, CheckedTemplate, Report, Settings, Stats};
use crate::rules::{
    check_model_rules, check_template_rules, BaselineTemplate, ModelContext, Needs, Rule,
    RuleOptions, TemplateContext, TABLE,
};

/// Everything `check` needs besides reporting policy.
#[derive(Debug, Default)]
pub struct CheckOptions {
    /// Folders or files to scan.
    pub paths: Vec<PathBuf>,
    /// What reported paths are relative to (the working directory, or
    /// `GITHUB_WORKSPACE` in Actions).
    pub root: PathBuf,
    pub discover: DiscoverOptions,
    pub baseline: Option<Baseline>,
    /// The clock `strftime_now` sees.
    pub now: chrono::NaiveDateTime,
    /// `--var NAME=VALUE` template variables (override special tokens).
    pub vars: Map<String, Value>,
    pub rule_options: RuleOptions,
    /// The report lists each template's capabilities (`--capabilities`, the
    /// step summary): render the probes even when no running rule needs them.
    pub capabilities: bool,
}

/// What one run does, read from the rule table: which rules run, and the
/// work they need (nothing renders for `--select config-invalid`).
struct Plan {
    /// Enabled, and given what they need (a baseline, `require`).
    rules: Vec<Rule>,
    load: LoadOptions,
    /// Compile each template (some running rule looks at templates).
    templates: bool,
    /// Render the probes on each template.
    renders: bool,
    /// Look up and render the baseline's templates.
    baseline: bool,
}

impl Plan {
    fn new(opts: &CheckOptions, settings: &Settings) -> Plan {
        let running: Vec<_> = TABLE
            .iter()
            .filter(|row| settings.enabled(row.rule))
            .filter(|row| !row.needs.baseline || opts.baseline.is_some())
            .filter(|row| !row.needs.require || !opts.rule_options.require.is_empty())
            .collect();
        let any = |need: fn(&Needs) -> bool| running.iter().any(|row| need(&row.needs));
        let renders = any(|n| n.renders) || opts.capabilities;
        Plan {
            load: LoadOptions {
                tokenizer: any(|n| n.tokenizer),
            },
            templates: renders || running.iter().any(|row| row.check.template().is_some()),
            renders,
            baseline: any(|n| n.baseline),
            rules: running.iter().map(|row| row.rule).collect(),
        }
    }

    fn runs(&self, rule: Rule) -> bool {
        self.rules.contains(&rule)
    }

    /// Whether `rule` runs on `model`'s templates (drift rules belong to one runtime).
    fn runs_on(&self, rule: Rule, model: &LoadedModel) -> bool {
        self.runs(rule) && crate::rules::runs_on(rule, model.runtime)
    }
}

/// What one model folder produced.
struct ModelResult {
    model: LoadedModel,
    findings: Vec<Finding>,
    renders: usize,
    /// Capabilities of each template, in `model.templates` order.
    capabilities: Vec<Vec<Capability>>,
}

/// Run the whole check and resolve the findings into a report.
pub fn run_check(opts: &CheckOptions, settings: &Settings) -> Result<Report> {
    let discovered = discover_all(&opts.paths, &opts.root, &opts.discover)?;
    let dirs = discovered.dirs;
    let plan = Plan::new(opts, settings);
    let results: Vec<ModelResult> = dirs
        .par_iter()
        .flat_map(|md| caught(md, || check_one(md, opts, &plan)))
        .collect();

    // What discovery could not look into is said, never skipped.
    let mut findings = discovered.unreadable;
    let mut sources = BTreeMap::new();
    let mut stats = Stats::default();
    let mut models = Vec::new();
    let mut inline = crate::suppress::Inline::default();
    for r in results {
        inline.read(&r.model);
        match (r.model.runtime, r.model.loose) {
            // A GGUF file is part of its folder, not a folder of its own.
            (Runtime::LlamaCpp, _) => {}
            (Runtime::Transformers, true) => stats.files += 1,
            (Runtime::Transformers, false) => stats.folders += 1,
        }
        stats.templates += r.model.templates.len();
        stats.renders += r.renders;
        findings.extend(r.findings);
        models.push(CheckedModel {
            rel_dir: r.model.rel_dir.clone(),
            templates: r
                .model
                .templates
                .iter()
                .zip(r.capabilities)
                .map(|(t, capabilities)| CheckedTemplate {
                    name: t.name.clone(),
                    path: t.path.clone(),
                    line: template_line(&r.model, t),
                    capabilities,
                })
                .collect(),
        });
        for s in r.model.sources {
            sources.insert(s.path, s.text);
        }
    }
    let resolved = resolve(findings, &inline, &plan.rules, settings);
    let findings = resolved.findings;
    // Keep only the texts that findings point into: reports need nothing else.
    let pointed: std::collections::HashSet<&str> =
        findings.iter().map(|f| f.path.as_str()).collect();
    sources.retain(|path, _| pointed.contains(path.as_str()));
    Ok(Report {
        findings,
        sources,
        stats,
        models,
        // What ran, so JUnit does not list checks never made.
        rules: plan.rules,
        fail_on: settings.fail_on,
        unmatched_globs: discovered.unmatched_globs,
        directive_warnings: resolved.warnings,
    })
}

/// The 1-based line of the file where `template` starts.
fn template_line(model: &LoadedModel, template: &crate::load::Template) -> usize {
    model
        .sources
        .iter()
        .find(|s| s.path == template.path)
        .map_or(1, |s| {
            crate::report::location::line_col(&s.text, template.offsets.to_file(0)).0
        })
}

/// Template variables for a folder: its special tokens, then `--var`s.
pub fn template_vars(model: &LoadedModel, user: &Map<String, Value>) -> Map<String, Value> {
    let mut vars: Map<String, Value> = model
        .special_tokens
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    for (k, v) in user {
        vars.insert(k.clone(), v.clone());
    }
    vars
}

/// Stand-ins for the special tokens of a folder that has no
/// tokenizer_config.json (a lone `.jinja` file, a `chat_template.jinja`-only
/// folder): its tokenizer is unknown, not token-less, and a template that
/// writes `bos_token + …` must still render on the probes. The values are the
/// conformance environment's (`../shared/conformance`); `--var` overrides them.
const UNKNOWN_TOKENIZER_TOKENS: [(&str, &str); 4] = [
    ("bos_token", "<s>"),
    ("eos_token", "</s>"),
    ("unk_token", "<unk>"),
    ("pad_token", "<pad>"),
];

/// The variables the probes are rendered with: `template_vars`, with
/// stand-in special tokens when the folder's tokenizer is unknown (no
/// tokenizer_config.json, or a loose JSON file that names no special token:
/// a processor's `chat_template.json` saved on its own).
pub fn probe_vars(model: &LoadedModel, user: &Map<String, Value>) -> Map<String, Value> {
    let unknown = !model.has_tokenizer_config || (model.loose && model.special_tokens.is_empty());
    if !unknown {
        return template_vars(model, user);
    }
    let mut vars: Map<String, Value> = UNKNOWN_TOKENIZER_TOKENS
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    vars.extend(template_vars(model, user));
    vars
}

/// The work on one folder, with a panic (a bug of ours on some input) kept
/// to that folder: it becomes the folder's finding, and every other
/// folder's results are still reported.
fn caught(md: &ModelDir, work: impl FnOnce() -> Vec<ModelResult>) -> Vec<ModelResult> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
        .unwrap_or_else(|panic| {
            let what = crate::render::panic_text(panic.as_ref());
            let finding = Finding::new(
                Rule::ConfigInvalid,
                &md.rel_dir,
                format!("internal error of chat-template-lint while checking `{}` (please report it): {what}; this folder was not checked", md.rel_dir),
            );
            vec![ModelResult {
                model: LoadedModel {
                    dir: md.dir.clone(),
                    rel_dir: md.rel_dir.clone(),
                    ..LoadedModel::default()
                },
                findings: vec![finding],
                renders: 0,
                capabilities: Vec::new(),
            }]
        })
}

fn check_one(md: &ModelDir, opts: &CheckOptions, plan: &Plan) -> Vec<ModelResult> {
    let mut model = load_with(md, &plan.load);
    let ggufs = std::mem::take(&mut model.ggufs);
    // Loading's own findings (`config-invalid`); `resolve` drops disabled ones.
    let mut findings = model.findings.clone();
    let baseline = opts.baseline.as_ref().filter(|_| plan.baseline);
    // A folder of only GGUF files has its templates in them: what it lacks
    // against the baseline is `gguf-template-drift`'s to say.
    let gguf_only = model.templates.is_empty() && !model.has_tokenizer_config && !ggufs.is_empty();
    let lost = baseline
        .filter(|_| !gguf_only)
        .map(|b| b.templates_for(&model));
    let ctx = ModelContext {
        model: &model,
        baseline: lost.as_deref(),
        options: &opts.rule_options,
    };
    findings.extend(check_model_rules(&ctx, |r| plan.runs_on(r, &model)));
    let checked = check_templates(&model, opts, plan, |t| {
        baseline
            .and_then(|b| b.find(&model, t))
            .map(|found| (found.origin, found.text))
    });
    findings.extend(checked.findings);
    let mut out = Vec::with_capacity(1 + ggufs.len());
    for gguf in ggufs {
        out.push(check_gguf(gguf, &model, opts, plan));
    }
    out.insert(
        0,
        ModelResult {
            model,
            findings,
            renders: checked.renders,
            capabilities: checked.capabilities,
        },
    );
    out
}

/// A GGUF file of a folder, checked like a model of its own. Its templates
/// are compared (`gguf-template-drift`) with the folder's template of the
/// same name, the one transformers uses, or without one with the baseline's.
fn check_gguf(
    gguf: LoadedModel,
    folder: &LoadedModel,
    opts: &CheckOptions,
    plan: &Plan,
) -> ModelResult {
    let mut findings = gguf.findings.clone();
    let baseline = opts
        .baseline
        .as_ref()
        .filter(|_| plan.runs(Rule::GgufTemplateDrift));
    let expected: Vec<(String, String)> = if folder.templates.is_empty() {
        baseline
            .map(|b| b.templates_for(folder))
            .unwrap_or_default()
    } else {
        folder
            .templates
            .iter()
            .map(|t| (t.name.clone(), t.path.clone()))
            .collect()
    };
    let ctx = ModelContext {
        model: &gguf,
        baseline: Some(&expected),
        options: &opts.rule_options,
    };
    findings.extend(check_model_rules(&ctx, |r| plan.runs_on(r, &gguf)));
    let checked = check_templates(&gguf, opts, plan, |t| {
        match folder.templates.iter().find(|f| f.name == t.name) {
            Some(f) => Some((f.path.clone(), f.text.clone())),
            None if folder.templates.is_empty() => baseline
                .and_then(|b| b.find(folder, t))
                .map(|found| (found.origin, found.text)),
            None => None,
        }
    });
    findings.extend(checked.findings);
    ModelResult {
        model: gguf,
        findings,
        renders: checked.renders,
        capabilities: checked.capabilities,
    }
}

/// What the template rules produced for one model.
struct Checked {
    findings: Vec<Finding>,
    renders: usize,
    /// One entry per template of the model.
    capabilities: Vec<Vec<Capability>>,
}

/// Compile, render and check every template of `model`. `reference` gives
/// the `(origin, text)` a template is compared with (a baseline's, or for a
/// GGUF the folder's), rendered with the same variables.
fn check_templates(
    model: &LoadedModel,
    opts: &CheckOptions,
    plan: &Plan,
    reference: impl Fn(&Template) -> Option<(String, String)>,
) -> Checked {
    let vars = probe_vars(model, &opts.vars);
    let mut findings = Vec::new();
    let mut renders_count = 0;
    let mut capabilities = Vec::new();
    for template in model.templates.iter().filter(|_| plan.templates) {
        let compiled = compile(&template.text);
        let renders = match &compiled {
            Ok(c) if plan.renders => render_probes(c, &vars, opts.now),
            Ok(_) | Err(_) => Renders::default(),
        };
        renders_count += renders.count();
        capabilities.push(match &compiled {
            Ok(_) if plan.renders => detect_capabilities(&renders, &template.text),
            Ok(_) | Err(_) => Vec::new(),
        });
        let baseline = reference(template).map(|(origin, text)| {
            // An identical text renders identically: the drift rules
            // compare texts first and need no renders then.
            let renders = if text == template.text {
                Renders::default()
            } else {
                match compile(&text) {
                    Ok(c) => render_probes(&c, &vars, opts.now),
                    Err(_) => Renders::default(),
                }
            };
            BaselineTemplate {
                origin,
                text,
                renders,
            }
        });
        let ctx = TemplateContext {
            model,
            template,
            compiled: compiled.as_ref(),
            renders: &renders,
            baseline: baseline.as_ref(),
            options: &opts.rule_options,
        };
        findings.extend(check_template_rules(&ctx, |r| plan.runs_on(r, model)));
    }
    // Reports zip capabilities with templates: one entry per template.
    capabilities.resize_with(model.templates.len(), Vec::new);
    Checked {
        findings,
        renders: renders_count,
        capabilities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(settings: &Settings) -> Report {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let opts = CheckOptions {
            paths: vec![root.join("examples")],
            root,
            now: crate::render::default_now(),
            ..CheckOptions::default()
        };
        run_check(&opts, settings).expect("check runs")
    }

    #[test]
    fn work_follows_the_needs_of_the_selected_rules() {
        let all = examples(&Settings::default());
        assert!(all.stats.renders > 0);
        let only = Settings {
            select: Some(vec![Rule::ConfigInvalid]),
            ..Settings::default()
        };
        let report = examples(&only);
        assert_eq!(report.stats.templates, all.stats.templates);
        assert_eq!(report.stats.renders, 0, "config-invalid needs no renders");
        assert_eq!(report.rules, vec![Rule::ConfigInvalid]);
    }

    #[test]
    fn a_panic_on_one_folder_is_that_folder_s_finding() {
        let md = ModelDir {
            dir: PathBuf::from("m"),
            rel_dir: "m".into(),
        };
        let results = caught(&md, || panic!("boom"));
        assert_eq!(results.len(), 1);
        let f = &results[0].findings[0];
        assert_eq!((f.rule, f.path.as_str()), (Rule::ConfigInvalid, "m"));
        assert!(f.message.contains("boom"), "{}", f.message);
        assert!(caught(&md, Vec::new).is_empty());
    }

    #[test]
    fn rules_without_their_input_do_not_run() {
        let report = examples(&Settings::default());
        assert!(!report.rules.contains(&Rule::TemplateDrift), "no baseline");
        assert!(
            !report.rules.contains(&Rule::CapabilityMissing),
            "no require"
        );
        assert!(report.rules.contains(&Rule::TemplateSyntax));
    }
}

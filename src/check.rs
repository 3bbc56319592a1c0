//! The `check` pipeline, one way through:
//! discover → load → compile + render probes → rules → resolve → report.
//!
//! Data flows down only. Model folders are checked in parallel; the work on
//! a template is keyed by its content (`cache`): each distinct text is
//! compiled once per run, and its probes rendered once per distinct set of
//! variables, however many folders hold it. Findings are then made per
//! folder, with that folder's paths, line mapping and tokenizer facts. What
//! a folder leaves for the report is its findings, counts and capabilities
//! (and the text of the files its findings point into), never its renders:
//! memory stays flat in the number of folders.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::baseline::Baseline;
use crate::cache::{Work, WorkCache};
use crate::discover::ModelDir;
use crate::discover::{discover_all, DiscoverOptions};
use crate::finding::Finding;
use crate::load::{load_with, LoadOptions, LoadedModel, Runtime, Template};
use crate::resolve::{resolve, CheckedModel, CheckedTemplate, Report, Settings, Stats};
use crate::rules::{
    check_model_rules, check_template_rules, BaselineTemplate, ModelContext, Needs, Rule,
    RuleOptions, TemplateContext, TemplateWork, TABLE,
};
use crate::suppress::Inline;
pub use crate::vars::{probe_vars, template_vars};

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
    /// Work out every template in every folder afresh (`--no-cache`): the
    /// output is the same, only slower; tests compare the two.
    pub no_cache: bool,
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
                tokenizers: (!opts.no_cache).then(Default::default),
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

/// What one model folder (or GGUF file) leaves for the report.
struct ModelResult {
    rel_dir: String,
    runtime: Runtime,
    loose: bool,
    templates: Vec<CheckedTemplate>,
    findings: Vec<Finding>,
    renders: usize,
    /// `(path, text)` of the files this folder's findings point into.
    sources: Vec<(String, Arc<str>)>,
    /// The inline suppressions of its templates.
    inline: Inline,
}

impl ModelResult {
    /// Keep of `model` only what the report reads.
    fn new(
        model: &LoadedModel,
        mut findings: Vec<Finding>,
        checked: Checked,
        cache: &WorkCache,
    ) -> ModelResult {
        findings.extend(checked.findings);
        let pointed: HashSet<&str> = findings.iter().map(|f| f.path.as_str()).collect();
        let sources = model
            .sources
            .iter()
            .filter(|s| pointed.contains(s.path.as_str()))
            .map(|s| (s.path.clone(), cache.intern(&s.text)))
            .collect();
        let mut capabilities = checked.capabilities;
        // Reports zip capabilities with templates: one entry per template.
        capabilities.resize_with(model.templates.len(), Vec::new);
        let templates = model
            .templates
            .iter()
            .zip(capabilities)
            .map(|(t, capabilities)| CheckedTemplate {
                name: t.name.clone(),
                path: t.path.clone(),
                line: template_line(model, t),
                capabilities,
            })
            .collect();
        let mut inline = Inline::default();
        inline.read(model);
        ModelResult {
            inline,
            rel_dir: model.rel_dir.clone(),
            runtime: model.runtime,
            loose: model.loose,
            templates,
            findings,
            renders: checked.renders,
            sources,
        }
    }
}

/// Run the whole check and resolve the findings into a report.
pub fn run_check(opts: &CheckOptions, settings: &Settings) -> Result<Report> {
    let discovered = discover_all(&opts.paths, &opts.root, &opts.discover)?;
    let dirs = discovered.dirs;
    let plan = Plan::new(opts, settings);
    let cache = WorkCache::new(!opts.no_cache, plan.renders, opts.now);
    let results: Vec<ModelResult> = dirs
        .par_iter()
        .flat_map(|md| caught(md, || check_one(md, opts, &plan, &cache)))
        .collect();
    drop(cache);

    // What discovery could not look into is said, never skipped.
    let mut findings = discovered.unreadable;
    let mut sources = BTreeMap::new();
    let mut stats = Stats::default();
    let mut models = Vec::new();
    let mut inline = Inline::default();
    for r in results {
        inline.scopes.extend(r.inline.scopes);
        inline.malformed.extend(r.inline.malformed);
        match (r.runtime, r.loose) {
            // A GGUF file is part of its folder, not a folder of its own.
            (Runtime::LlamaCpp, _) => {}
            (Runtime::Transformers, true) => stats.files += 1,
            (Runtime::Transformers, false) => stats.folders += 1,
        }
        stats.templates += r.templates.len();
        stats.renders += r.renders;
        findings.extend(r.findings);
        models.push(CheckedModel {
            rel_dir: r.rel_dir,
            templates: r.templates,
        });
        sources.extend(r.sources);
    }
    let resolved = resolve(findings, &inline, &plan.rules, settings);
    let findings = resolved.findings;
    // Keep only the texts that findings point into: reports need nothing else.
    let pointed: HashSet<&str> = findings.iter().map(|f| f.path.as_str()).collect();
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
        ignored: discovered.ignored,
    })
}

/// The 1-based line of the file where `template` starts.
fn template_line(model: &LoadedModel, template: &Template) -> usize {
    model
        .sources
        .iter()
        .find(|s| s.path == template.path)
        .map_or(1, |s| {
            crate::report::location::line_col(&s.text, template.offsets.to_file(0)).0
        })
}

/// The pipeline's work on each of `templates` (none when no running rule
/// looks at templates).
fn works(
    templates: &[Template],
    vars: &Map<String, Value>,
    plan: &Plan,
    cache: &WorkCache,
) -> Vec<Work> {
    if !plan.templates {
        return Vec::new();
    }
    templates
        .iter()
        .map(|t| cache.work(&t.text, vars))
        .collect()
}

/// Borrowed views of `works`, as the rules see them.
fn views(works: &[Work]) -> Vec<TemplateWork<'_>> {
    works
        .iter()
        .map(|w| TemplateWork {
            compiled: w.compiled.as_ref().as_ref(),
            renders: &w.rendered.renders,
        })
        .collect()
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
                rel_dir: md.rel_dir.clone(),
                runtime: Runtime::default(),
                loose: false,
                templates: Vec::new(),
                findings: vec![finding],
                renders: 0,
                sources: Vec::new(),
                inline: Inline::default(),
            }]
        })
}

fn check_one(
    md: &ModelDir,
    opts: &CheckOptions,
    plan: &Plan,
    cache: &WorkCache,
) -> Vec<ModelResult> {
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
    let vars = probe_vars(&model, &opts.vars);
    // Every template a rule looks at is worked out here, the sources
    // transformers ignores included, with the same variables and clock.
    let used = works(&model.templates, &vars, plan, cache);
    let shadowed = works(&model.shadowed, &vars, plan, cache);
    let (used_views, shadowed_views) = (views(&used), views(&shadowed));
    let ctx = ModelContext {
        model: &model,
        baseline: lost.as_deref(),
        options: &opts.rule_options,
        templates: &used_views,
        shadowed: &shadowed_views,
    };
    findings.extend(check_model_rules(&ctx, |r| plan.runs_on(r, &model)));
    let checked = check_templates(&model, &used, &vars, opts, plan, cache, |t| {
        baseline
            .and_then(|b| b.find(&model, t))
            .map(|found| (found.origin, found.text))
    });
    let mut out = Vec::with_capacity(1 + ggufs.len());
    out.push(ModelResult::new(&model, findings, checked, cache));
    for gguf in ggufs {
        out.push(check_gguf(gguf, &model, opts, plan, cache));
    }
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
    cache: &WorkCache,
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
    let vars = probe_vars(&gguf, &opts.vars);
    let used = works(&gguf.templates, &vars, plan, cache);
    let used_views = views(&used);
    let ctx = ModelContext {
        model: &gguf,
        baseline: Some(&expected),
        options: &opts.rule_options,
        templates: &used_views,
        shadowed: &[],
    };
    findings.extend(check_model_rules(&ctx, |r| plan.runs_on(r, &gguf)));
    let checked = check_templates(&gguf, &used, &vars, opts, plan, cache, |t| {
        match folder.templates.iter().find(|f| f.name == t.name) {
            Some(f) => Some((f.path.clone(), f.text.clone())),
            None if folder.templates.is_empty() => baseline
                .and_then(|b| b.find(folder, t))
                .map(|found| (found.origin, found.text)),
            None => None,
        }
    });
    ModelResult::new(&gguf, findings, checked, cache)
}

/// What the template rules produced for one model.
struct Checked {
    findings: Vec<Finding>,
    renders: usize,
    /// One entry per template of the model (fewer when none was worked out).
    capabilities: Vec<Vec<crate::capabilities::Capability>>,
}

/// Check every template of `model` on its `works` (one per template).
/// `reference` gives the `(origin, text)` a template is compared with (a
/// baseline's, or for a GGUF the folder's), rendered with the same variables.
fn check_templates(
    model: &LoadedModel,
    works: &[Work],
    vars: &Map<String, Value>,
    opts: &CheckOptions,
    plan: &Plan,
    cache: &WorkCache,
    reference: impl Fn(&Template) -> Option<(String, String)>,
) -> Checked {
    let mut findings = Vec::new();
    let mut renders_count = 0;
    let mut capabilities = Vec::new();
    for (template, work) in model.templates.iter().zip(works) {
        let renders = &work.rendered.renders;
        renders_count += renders.count();
        capabilities.push(work.rendered.capabilities.clone());
        let baseline = reference(template).map(|(origin, text)| {
            // An identical text renders identically: the drift rules
            // compare texts first and need no renders then.
            let rendered = if text == template.text {
                Arc::default()
            } else {
                cache.work(&text, vars).rendered
            };
            BaselineTemplate {
                origin,
                text,
                rendered,
            }
        });
        let ctx = TemplateContext {
            model,
            template,
            compiled: work.compiled.as_ref().as_ref(),
            renders,
            baseline: baseline.as_ref(),
            options: &opts.rule_options,
        };
        findings.extend(check_template_rules(&ctx, |r| plan.runs_on(r, model)));
    }
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

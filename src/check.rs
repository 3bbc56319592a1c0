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
use crate::discover::{discover, DiscoverOptions};
use crate::finding::Finding;
use crate::load::{load, LoadedModel};
use crate::probes::{render_probes, Renders};
use crate::render::compile;
use crate::resolve::{resolve, CheckedModel, CheckedTemplate, Report, Settings, Stats};
use crate::rules::{
    check_lost_templates, check_model, check_template, BaselineTemplate, Rule, RuleOptions,
    TemplateContext,
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
    let dirs = discover(&opts.paths, &opts.root, &opts.discover)?;
    let results: Vec<ModelResult> = dirs
        .par_iter()
        .map(|md| check_one(load(md), opts))
        .collect();

    let mut findings = Vec::new();
    let mut sources = BTreeMap::new();
    let mut stats = Stats::default();
    let mut models = Vec::new();
    for r in results {
        if r.model.loose {
            stats.files += 1;
        } else {
            stats.folders += 1;
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
                    capabilities: capabilities.iter().map(|c| c.id().to_string()).collect(),
                })
                .collect(),
        });
        for s in r.model.sources {
            sources.insert(s.path, s.text);
        }
    }
    let findings = resolve(findings, settings);
    // Keep only the texts that findings point into: reports need nothing else.
    sources.retain(|path, _| findings.iter().any(|f| &f.path == path));
    Ok(Report {
        findings,
        sources,
        stats,
        models,
        // What ran: enabled, and given what the rule needs (a baseline,
        // required capabilities), so JUnit does not list checks never made.
        rules: Rule::ALL
            .into_iter()
            .filter(|r| settings.enabled(*r))
            .filter(|r| match r {
                Rule::TemplateDrift => opts.baseline.is_some(),
                Rule::CapabilityMissing => !opts.rule_options.require.is_empty(),
                _ => true,
            })
            .collect(),
        fail_on: settings.fail_on,
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
/// stand-in special tokens when the folder's tokenizer is unknown.
fn probe_vars(model: &LoadedModel, user: &Map<String, Value>) -> Map<String, Value> {
    if model.has_tokenizer_config {
        return template_vars(model, user);
    }
    let mut vars: Map<String, Value> = UNKNOWN_TOKENIZER_TOKENS
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    vars.extend(template_vars(model, user));
    vars
}

fn check_one(model: LoadedModel, opts: &CheckOptions) -> ModelResult {
    let mut findings = model.findings.clone();
    findings.extend(check_model(&model));
    if let Some(b) = &opts.baseline {
        findings.extend(check_lost_templates(&model, &b.templates_for(&model)));
    }
    let vars = probe_vars(&model, &opts.vars);
    let mut renders_count = 0;
    let mut capabilities = Vec::new();
    for template in &model.templates {
        let compiled = compile(&template.text);
        let renders = match &compiled {
            Ok(c) => render_probes(c, &vars, opts.now),
            Err(_) => Renders::default(),
        };
        renders_count += renders.count();
        capabilities.push(match &compiled {
            Ok(_) => detect_capabilities(&renders, &template.text),
            Err(_) => Vec::new(),
        });
        let baseline = opts
            .baseline
            .as_ref()
            .and_then(|b| b.find(&model, template))
            .map(|found| {
                // An identical text renders identically: `template-drift`
                // compares texts first and needs no renders then.
                let renders = if found.text == template.text {
                    Renders::default()
                } else {
                    match compile(&found.text) {
                        Ok(c) => render_probes(&c, &vars, opts.now),
                        Err(_) => Renders::default(),
                    }
                };
                BaselineTemplate {
                    origin: found.origin,
                    text: found.text,
                    renders,
                }
            });
        let ctx = TemplateContext {
            model: &model,
            template,
            compiled: compiled.as_ref(),
            renders: &renders,
            baseline: baseline.as_ref(),
            options: &opts.rule_options,
        };
        findings.extend(check_template(&ctx));
    }
    ModelResult {
        model,
        findings,
        renders: renders_count,
        capabilities,
    }
}

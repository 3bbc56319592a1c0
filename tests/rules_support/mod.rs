//! Shared helpers of the rule tests: fixture templates, family special
//! tokens, and running every template rule on a template text.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use chat_template_lint::cache::WorkCache;
use chat_template_lint::finding::Finding;
use chat_template_lint::load::{LoadedModel, OffsetMap, Origin, Template};
use chat_template_lint::probes::render_probes;
use chat_template_lint::render::{compile, default_now};
use chat_template_lint::rules::{
    check_template, BaselineTemplate, Rule, RuleOptions, TemplateContext,
};
use serde_json::{Map, Value};

pub fn fixture(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Special tokens per family, as their tokenizer_config.json files set them.
pub fn tokens(family: &str) -> Map<String, Value> {
    let (bos, eos) = match family {
        f if f.starts_with("llama3") => ("<|begin_of_text|>", "<|eot_id|>"),
        f if f.starts_with("chatml") || f.starts_with("qwen") => ("", "<|im_end|>"),
        f if f.starts_with("gemma") => ("<bos>", "<eos>"),
        f if f.starts_with("phi") => ("<s>", "<|endoftext|>"),
        f if f.starts_with("deepseek") => ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"),
        _ => ("<s>", "</s>"),
    };
    let mut m = Map::new();
    m.insert("bos_token".into(), Value::String(bos.into()));
    m.insert("eos_token".into(), Value::String(eos.into()));
    m
}

pub fn template(text: &str, offsets: OffsetMap) -> Template {
    named_template("default", text, offsets)
}

pub fn named_template(name: &str, text: &str, offsets: OffsetMap) -> Template {
    Template {
        name: name.into(),
        text: text.to_string(),
        origin: Origin::JinjaFile,
        path: "model/chat_template.jinja".into(),
        offsets,
    }
}

/// Run every template rule on `text`, optionally against a baseline text.
pub fn lint_with(
    text: &str,
    offsets: OffsetMap,
    vars: &Map<String, Value>,
    baseline: Option<&str>,
) -> Vec<Finding> {
    lint_template(template(text, offsets), vars, baseline)
}

pub fn lint_template(
    t: Template,
    vars: &Map<String, Value>,
    baseline: Option<&str>,
) -> Vec<Finding> {
    let text = t.text.as_str();
    let model = LoadedModel::default();
    let compiled = compile(text);
    let renders = match &compiled {
        Ok(c) => render_probes(c, vars, default_now()),
        Err(_) => Default::default(),
    };
    let base = baseline.map(|b| BaselineTemplate {
        origin: "base/chat_template.jinja".into(),
        text: b.to_string(),
        rendered: WorkCache::new(false, true, default_now())
            .work(b, vars)
            .rendered,
    });
    let options = RuleOptions::default();
    let ctx = TemplateContext {
        model: &model,
        template: &t,
        compiled: compiled.as_ref(),
        renders: &renders,
        baseline: base.as_ref(),
        options: &options,
    };
    check_template(&ctx)
}

pub fn lint_family(name: &str) -> Vec<Finding> {
    let text = fixture(&format!("families/{name}.jinja"));
    lint_with(&text, OffsetMap::identity(), &tokens(name), None)
}

pub fn of(findings: &[Finding], rule: Rule) -> Vec<&Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

pub const MINE: [Rule; 5] = [
    Rule::TemplateSyntax,
    Rule::TemplateRender,
    Rule::GenerationPromptMissing,
    Rule::GenerationPromptUnconditional,
    Rule::TemplateDrift,
];

//! The render-based rules on real shipped templates: the 454 templates of
//! `../shared/conformance` (skipped with a message when absent). False alarms
//! on good templates are the worst failure a linter can have, so every
//! error these rules report there must be one transformers agrees with.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chat_template_lint::rules::anatomy::{text_between, Anatomy, ExchangeRenders};
use chat_template_lint::rules::{dangling_header, missing_header};
use serde_json::Value;

fn conformance() -> Option<PathBuf> {
    let dir = common::shared("conformance")?;
    assert!(
        dir.join("cases.jsonl").is_file(),
        "{} lacks cases.jsonl",
        dir.display()
    );
    Some(dir)
}

/// Expected results per template: case suffix (`user+gen`) → Ok(output) / Err(error).
type Expected = BTreeMap<String, BTreeMap<String, Result<String, String>>>;

fn expected(dir: &std::path::Path) -> Expected {
    let text = std::fs::read_to_string(dir.join("cases.jsonl")).expect("readable cases");
    let mut out = Expected::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("a JSON case");
        let id = case["id"].as_str().expect("id");
        let (template, conv) = id.split_once('/').expect("template/conversation");
        let exp = &case["expected"];
        let result = if exp["ok"].as_bool() == Some(true) {
            Ok(exp["output"].as_str().unwrap_or_default().to_string())
        } else {
            Err(exp["error"].as_str().unwrap_or_default().to_string())
        };
        out.entry(template.to_string())
            .or_default()
            .insert(conv.to_string(), result);
    }
    out
}

/// The generation-prompt rules, fed with transformers' own renders.
#[test]
fn generation_prompt_rules_on_transformers_renders() {
    let Some(dir) = conformance() else { return };
    let all = expected(&dir);
    let mut missing = Vec::new();
    let mut dangling = Vec::new();
    let mut analysed = 0;
    for (name, cases) in &all {
        let ok = |k: &str| {
            cases
                .get(k)
                .and_then(|r| r.as_ref().ok())
                .map(String::as_str)
        };
        let (Some(user), Some(user_gen), Some(pair)) =
            (ok("user"), ok("user+gen"), ok("train_pair"))
        else {
            continue;
        };
        let renders = ExchangeRenders {
            user,
            user_gen,
            pair,
            user_text: "Hello, who are you?",
            pair_user_text: "Translate 'cat' to French.",
            assistant_text: "chat",
            after_system: ok("train_system_pair")
                .and_then(|s| text_between(s, "Answer in one word.", "Capital of Japan?")),
        };
        if Anatomy::read(&renders).is_none() {
            continue;
        }
        analysed += 1;
        if let Some(h) = missing_header(&renders) {
            missing.push(format!("{name}: {h:?}"));
        }
        let continued = ok("multi_turn").and_then(|m| text_between(m, "Hello.", "Name a colour."));
        if let (Some(a), Some(c)) = (Anatomy::read(&renders), continued) {
            if let Some(d) = dangling_header(&a, c) {
                dangling.push(format!("{name}: {d:?}"));
            }
        }
    }
    println!("analysed {analysed} of {} templates", all.len());
    let named = |hits: &[String]| -> Vec<String> {
        hits.iter()
            .map(|h| h.split(':').next().unwrap_or_default().to_string())
            .collect()
    };
    println!("generation-prompt-missing on {}:", missing.len());
    for m in &missing {
        println!("  {m}");
    }
    println!("generation-prompt-unconditional on {}:", dangling.len());
    for d in &dangling {
        println!("  {d}");
    }
    assert!(analysed > 300, "too few templates analysed: {analysed}");
    let missing_names = named(&missing);
    for name in &missing_names {
        assert!(
            explained(name, MISSING_TRUE),
            "generation-prompt-missing on `{name}`: a false alarm, or a true bug to explain in MISSING_TRUE"
        );
    }
    assert!(
        missing_names
            .iter()
            .any(|n| n.contains("llama3_chat_template")),
        "the seed bug"
    );
    let dangling_names = named(&dangling);
    for name in &dangling_names {
        assert!(
            explained(name, UNCONDITIONAL_TRUE),
            "generation-prompt-unconditional on `{name}`: a false alarm, or a true bug to explain"
        );
    }
    assert!(dangling_names
        .iter()
        .any(|n| n.contains("RECONSTRUCTED-MiniCPM")));
}

fn explained(name: &str, list: &[(&str, &str)]) -> bool {
    list.iter().any(|(n, _)| *n == name)
}

/// Real templates that truly lack a generation prompt, and why.
const MISSING_TRUE: &[(&str, &str)] = &[
    (
        "minicpmv__finetune-dataset.py-llama3_chat_template",
        "the seed: MiniCPM-V's training-only Llama-3 template, no add_generation_prompt branch",
    ),
    (
        "templates-extra__openvinotoolkit__openvino.genai__NLPark__AnFeng_v3_Avocet",
        "ChatML loop with no add_generation_prompt branch: [user] ends at <|im_end|>\\n",
    ),
    (
        "templates-extra__openvinotoolkit__openvino.genai__instructlab__merlinite-7b-lab",
        "<|user|>/<|assistant|> loop with no add_generation_prompt branch",
    ),
    (
        "templates-extra__openvinotoolkit__openvino.genai__mobiuslabsgmbh__aanaphi2-v0.1",
        "### Human:/### Assistant: loop with no add_generation_prompt branch",
    ),
];

/// Real templates that append the assistant header unconditionally, and why.
const UNCONDITIONAL_TRUE: &[(&str, &str)] = &[
    ("hfjs__MadeAgents_Hammer2.1", "always ends with <|im_start|>assistant\\n"),
    (
        "minicpmv__RECONSTRUCTED-MiniCPM-Llama3-V-2_5-inference-template",
        "the seed's inference template: header outside any add_generation_prompt test",
    ),
    (
        "templates-extra__nomic-ai__gpt4all__jinja_replacements__09-replacement",
        "gpt4all's Llama 3 replacement ends with the assistant header unconditionally",
    ),
    (
        "templates-extra__openvinotoolkit__openvino.genai__TheBloke__deepseek-coder-33B-instruct-GPTQ",
        "deepseek-coder's original template always appends ### Response:",
    ),
    (
        "templates-extra__openvinotoolkit__openvino.genai__ishorn5__RTLCoder-Deepseek-v1.1",
        "deepseek-coder derivative, always appends ### Response:",
    ),
    (
        "templates-extra__openvinotoolkit__openvino.genai__winninghealth__WiNGPT2-Llama-3-8B-Chat",
        "always ends with Assistant：",
    ),
];

/// What transformers did on a case, as far as `template-render` cares:
/// failed for a reason other than the template's own `raise_exception`.
fn failed_hard(result: Option<&Result<String, String>>) -> bool {
    matches!(result, Some(Err(e)) if !e.starts_with("TemplateError"))
}

/// The whole render path (our engine + the rules) on every real template:
/// no error-severity finding from these rules unless transformers agrees.
/// A `template-syntax`/`template-render` false alarm here is a fidelity gap
/// of the engine (issue 3), which the engine's conformance test tracks.
#[test]
fn no_false_errors_on_real_templates() {
    use chat_template_lint::finding::Severity;
    use chat_template_lint::load::{LoadedModel, OffsetMap, Origin, Template};
    use chat_template_lint::probes::render_probes;
    use chat_template_lint::render::{compile, default_now};
    use chat_template_lint::rules::{check_template, Rule, RuleOptions, TemplateContext};

    let Some(dir) = conformance() else { return };
    let all = expected(&dir);
    let mut vars = serde_json::Map::new();
    for (k, v) in [
        ("bos_token", "<s>"),
        ("eos_token", "</s>"),
        ("unk_token", "<unk>"),
        ("pad_token", "<pad>"),
    ] {
        vars.insert(k.into(), Value::String(v.into()));
    }
    let model = LoadedModel::default();
    let options = RuleOptions::default();
    let mut unexplained = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    // The renders are the cost: made for every template in parallel, then
    // judged in order.
    use rayon::prelude::*;
    let entries: Vec<_> = all.iter().collect();
    let findings: Vec<_> = entries
        .par_iter()
        .map(|(name, _)| {
            let path = dir.join("templates").join(format!("{name}.jinja"));
            let Ok(text) = std::fs::read_to_string(&path) else {
                return Vec::new();
            };
            let template = Template {
                name: "default".into(),
                text: text.clone(),
                origin: Origin::JinjaFile,
                path: format!("{name}.jinja"),
                offsets: OffsetMap::identity(),
            };
            let compiled = compile(&text);
            let renders = match &compiled {
                Ok(c) => render_probes(c, &vars, default_now()),
                Err(_) => Default::default(),
            };
            let ctx = TemplateContext {
                model: &model,
                template: &template,
                compiled: compiled.as_ref(),
                renders: &renders,
                baseline: None,
                options: &options,
            };
            check_template(&ctx)
        })
        .collect();
    for ((name, cases), found) in entries.into_iter().zip(findings) {
        for f in found {
            if f.severity != Severity::Error {
                continue;
            }
            let agreed = match f.rule {
                Rule::TemplateSyntax => matches!(
                    cases.get("user"),
                    Some(Err(e)) if e.starts_with("TemplateSyntaxError")
                ),
                Rule::TemplateRender => match f.probe.as_deref() {
                    Some("user") => {
                        failed_hard(cases.get("user")) || failed_hard(cases.get("user+gen"))
                    }
                    Some("user-assistant") => {
                        failed_hard(cases.get("train_pair"))
                            || failed_hard(cases.get("train_pair+gen"))
                    }
                    _ => false,
                },
                Rule::GenerationPromptMissing => explained(name, MISSING_TRUE),
                // Other engineers' rules are checked in their own tests.
                _ => continue,
            };
            *counts.entry(f.rule.id()).or_default() += 1;
            println!("  {name}: {}: {}", f.rule.id(), f.message);
            if !agreed {
                unexplained.push(format!("{name}: {}: {}", f.rule.id(), f.message));
            }
        }
    }
    println!("error findings of the render rules on real templates: {counts:?}");
    for u in &unexplained {
        println!("  UNEXPLAINED {u}");
    }
    assert!(
        unexplained.is_empty(),
        "{} findings transformers does not agree with",
        unexplained.len()
    );
}

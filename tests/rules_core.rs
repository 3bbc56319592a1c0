//! The render-based rules (`template-syntax`, `template-render`,
//! `generation-prompt-missing`, `generation-prompt-unconditional`,
//! `template-drift`) on templates written in the real families' formats
//! (fixtures under `tests/fixtures/rules/`), each with cases that must
//! trigger and cases that must not.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chat_template_lint::finding::{Finding, Severity};
use chat_template_lint::load::{LoadedModel, OffsetMap, Origin, Template};
use chat_template_lint::probes::render_probes;
use chat_template_lint::render::{compile, default_now};
use chat_template_lint::rules::{
    check_template, BaselineTemplate, Rule, RuleOptions, TemplateContext,
};
use serde_json::{Map, Value};

fn fixture(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Special tokens per family, as their tokenizer_config.json files set them.
fn tokens(family: &str) -> Map<String, Value> {
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

fn template(text: &str, offsets: OffsetMap) -> Template {
    named_template("default", text, offsets)
}

fn named_template(name: &str, text: &str, offsets: OffsetMap) -> Template {
    Template {
        name: name.into(),
        text: text.to_string(),
        origin: Origin::JinjaFile,
        path: "model/chat_template.jinja".into(),
        offsets,
    }
}

/// Run every template rule on `text`, optionally against a baseline text.
fn lint_with(
    text: &str,
    offsets: OffsetMap,
    vars: &Map<String, Value>,
    baseline: Option<&str>,
) -> Vec<Finding> {
    lint_template(template(text, offsets), vars, baseline)
}

fn lint_template(t: Template, vars: &Map<String, Value>, baseline: Option<&str>) -> Vec<Finding> {
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
        renders: match compile(b) {
            Ok(c) => render_probes(&c, vars, default_now()),
            Err(_) => Default::default(),
        },
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

fn lint_family(name: &str) -> Vec<Finding> {
    let text = fixture(&format!("families/{name}.jinja"));
    lint_with(&text, OffsetMap::identity(), &tokens(name), None)
}

fn of(findings: &[Finding], rule: Rule) -> Vec<&Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

const MINE: [Rule; 5] = [
    Rule::TemplateSyntax,
    Rule::TemplateRender,
    Rule::GenerationPromptMissing,
    Rule::GenerationPromptUnconditional,
    Rule::TemplateDrift,
];

#[test]
fn good_family_templates_are_clean() {
    for name in [
        "llama3",
        "chatml-qwen2.5",
        "qwen3-think",
        "gemma",
        "mistral-inst",
        "llama2-inst",
        "phi-3.5",
        "deepseek-r1",
        "plain-concat",
    ] {
        let findings = lint_family(name);
        let mine: Vec<_> = findings.iter().filter(|f| MINE.contains(&f.rule)).collect();
        assert!(mine.is_empty(), "{name}: unexpected findings {mine:#?}");
    }
}

#[test]
fn training_only_llama3_template_misses_the_generation_prompt() {
    let findings = lint_family("llama3-training-only");
    let found = of(&findings, Rule::GenerationPromptMissing);
    assert_eq!(found.len(), 1, "{findings:#?}");
    let f = found[0];
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message
            .contains("`<|start_header_id|>assistant<|end_header_id|>\\n\\n`"),
        "{}",
        f.message
    );
    assert_eq!(f.probe.as_deref(), Some("user"));
    assert_eq!(f.template.as_deref(), Some("default"));
    // Points at the end of the template, where the missing block belongs.
    let text = fixture("families/llama3-training-only.jinja");
    assert_eq!(f.span.map(|s| s.start), Some(text.trim_end().len()));
    assert!(of(&findings, Rule::GenerationPromptUnconditional).is_empty());
}

#[test]
fn other_families_without_generation_prompt_are_caught() {
    for (name, header) in [
        ("chatml-no-generation-prompt", "`<|im_start|>assistant\\n`"),
        ("gemma-no-generation-prompt", "`<start_of_turn>model\\n`"),
    ] {
        let findings = lint_family(name);
        let found = of(&findings, Rule::GenerationPromptMissing);
        assert_eq!(found.len(), 1, "{name}: {findings:#?}");
        assert!(
            found[0].message.contains(header),
            "{name}: {}",
            found[0].message
        );
    }
}

#[test]
fn the_minicpm_templates_from_the_corpus_behave_as_documented() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/minicpmv");
    let (Ok(train), Ok(infer)) = (
        std::fs::read_to_string(dir.join("finetune-dataset.py-llama3_chat_template.jinja")),
        std::fs::read_to_string(
            dir.join("RECONSTRUCTED-MiniCPM-Llama3-V-2_5-inference-template.jinja"),
        ),
    ) else {
        println!("SKIP: ../shared/corpus/minicpmv is absent");
        return;
    };
    let vars = tokens("llama3");
    let t = lint_with(&train, OffsetMap::identity(), &vars, None);
    assert_eq!(of(&t, Rule::GenerationPromptMissing).len(), 1, "{t:#?}");
    let i = lint_with(&infer, OffsetMap::identity(), &vars, None);
    assert!(of(&i, Rule::GenerationPromptMissing).is_empty(), "{i:#?}");
    let u = of(&i, Rule::GenerationPromptUnconditional);
    assert_eq!(u.len(), 1, "{i:#?}");
    assert_eq!(u[0].severity, Severity::Warning);
    assert!(u[0]
        .message
        .contains("<|start_header_id|>assistant<|end_header_id|>\\n\\n"));
}

#[test]
fn unconditional_header_is_a_warning_not_a_missing_prompt() {
    for name in ["llama3-unconditional", "chatml-unconditional"] {
        let findings = lint_family(name);
        let u = of(&findings, Rule::GenerationPromptUnconditional);
        assert_eq!(u.len(), 1, "{name}: {findings:#?}");
        assert_eq!(u[0].severity, Severity::Warning);
        assert_eq!(u[0].probe.as_deref(), Some("user-assistant"));
        assert!(
            of(&findings, Rule::GenerationPromptMissing).is_empty(),
            "{name}"
        );
    }
}

#[test]
fn syntax_error_points_into_the_file() {
    let text = "{% for m in messages %}\n{{ m.content }}\n{% if m.role == 'user' %}x{% endfor %}\n";
    // As if the template started 100 bytes into the file.
    let findings = lint_with(text, OffsetMap::starting_at(100), &tokens("x"), None);
    let found = of(&findings, Rule::TemplateSyntax);
    assert_eq!(found.len(), 1, "{findings:#?}");
    let f = found[0];
    assert!(
        f.message.contains("line 3 of the template"),
        "{}",
        f.message
    );
    let span = f.span.expect("a syntax error has a place");
    let line3 = text.find("{% if").unwrap_or(0);
    assert!(span.start >= 100 + line3, "{span:?}");
    // Nothing else runs on a template that does not compile.
    assert_eq!(findings.len(), 1, "{findings:#?}");
}

#[test]
fn good_templates_have_no_syntax_findings() {
    let findings = lint_family("llama3");
    assert!(of(&findings, Rule::TemplateSyntax).is_empty());
}

#[test]
fn render_failure_on_a_basic_probe_is_reported() {
    let text = "{% for m in messages %}\n{{ m.content.text.value }}\n{% endfor %}";
    let findings = lint_with(text, OffsetMap::identity(), &tokens("x"), None);
    let found = of(&findings, Rule::TemplateRender);
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0].probe.as_deref(), Some("user"));
    assert!(
        found[0].message.contains("probe `user`"),
        "{}",
        found[0].message
    );
}

#[test]
fn deliberate_raise_exception_is_not_a_render_failure() {
    // Gemma rejects a system role; this one rejects everything but tool calls.
    let text = "{% if not tools %}{{ raise_exception('this template needs tools') }}{% endif %}";
    let findings = lint_with(text, OffsetMap::identity(), &tokens("x"), None);
    assert!(
        of(&findings, Rule::TemplateRender).is_empty(),
        "{findings:#?}"
    );
}

#[test]
fn failures_outside_the_basic_probes_are_not_render_findings() {
    // Fails only on conversations with more than two messages.
    let text = "{% for m in messages %}{% if loop.index > 2 %}{{ m.x.y }}{% endif %}{{ m.content }}{% endfor %}";
    let findings = lint_with(text, OffsetMap::identity(), &tokens("x"), None);
    assert!(
        of(&findings, Rule::TemplateRender).is_empty(),
        "{findings:#?}"
    );
}

#[test]
fn tool_use_templates_are_rendered_with_tools() {
    // Iterates `tools` unguarded, like Command R+'s `tool_use` template:
    // a TypeError without tools, in transformers too.
    let text = "{% for tool in tools %}{{ tool.function.name }}\n{% endfor %}{% for m in messages %}{{ m.content }}\n{% endfor %}";
    let as_default = lint_with(text, OffsetMap::identity(), &tokens("x"), None);
    assert_eq!(
        of(&as_default, Rule::TemplateRender).len(),
        1,
        "{as_default:#?}"
    );
    let as_tool_use = lint_template(
        named_template("tool_use", text, OffsetMap::identity()),
        &tokens("x"),
        None,
    );
    assert!(
        of(&as_tool_use, Rule::TemplateRender).is_empty(),
        "{as_tool_use:#?}"
    );
    // …but a tool_use template that fails even with tools is reported.
    let broken = "{% for tool in tools %}{{ tool.function.name.x.y }}{% endfor %}";
    let f = lint_template(
        named_template("tool_use", broken, OffsetMap::identity()),
        &tokens("x"),
        None,
    );
    let found = of(&f, Rule::TemplateRender);
    assert_eq!(found.len(), 1, "{f:#?}");
    assert_eq!(found[0].probe.as_deref(), Some("tools"));
}

/// Runs `f` and fails if it takes longer than `limit` (the rules must bound
/// hostile templates, not hang on them).
fn bounded<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    assert!(took < limit, "took {took:?}, limit {limit:?}");
    out
}

#[test]
fn endless_loop_is_a_render_finding_not_a_hang() {
    // Loops only on one render (`user`, no generation prompt), to keep the test quick.
    let text = "{% if messages|length == 1 and not add_generation_prompt and not tools %}{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}{% endif %}{{ messages[0].content }}";
    let findings = bounded(Duration::from_secs(120), || {
        lint_with(text, OffsetMap::identity(), &tokens("x"), None)
    });
    let found = of(&findings, Rule::TemplateRender);
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert!(
        found[0].message.contains("render limits"),
        "{}",
        found[0].message
    );
}

#[test]
fn endless_loop_on_any_probe_is_reported() {
    // Hangs only when tools are given: not a basic probe, still a hang.
    let text = "{% if tools and not add_generation_prompt %}{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}{% endif %}{% for m in messages %}{{ m.content }}\n{% endfor %}";
    let findings = bounded(Duration::from_secs(120), || {
        lint_with(text, OffsetMap::identity(), &tokens("x"), None)
    });
    let found = of(&findings, Rule::TemplateRender);
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert_eq!(found[0].probe.as_deref(), Some("tools"));
}

#[test]
fn a_template_past_the_limits_is_not_rendered_again() {
    use chat_template_lint::render::RenderErrorKind;
    let text = "{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}";
    let compiled = compile(text).expect("compiles");
    let renders = bounded(Duration::from_secs(120), || {
        render_probes(&compiled, &tokens("x"), default_now())
    });
    assert!(renders.items.len() > 2);
    assert!(renders.items.iter().all(|r| matches!(
        &r.result,
        Err(e) if e.kind == RenderErrorKind::LimitExceeded
    )));
}

#[test]
fn gigabyte_output_is_a_render_finding_not_a_hang() {
    let text = "{% if messages|length == 1 and not add_generation_prompt and not tools %}{% for i in range(100000) %}{% for j in range(100000) %}{{ 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' * 1000 }}{% endfor %}{% endfor %}{% endif %}{{ messages[0].content }}";
    let findings = bounded(Duration::from_secs(120), || {
        lint_with(text, OffsetMap::identity(), &tokens("x"), None)
    });
    let found = of(&findings, Rule::TemplateRender);
    assert_eq!(found.len(), 1, "{findings:#?}");
    assert!(
        found[0].message.contains("render limits"),
        "{}",
        found[0].message
    );
}

#[test]
fn drift_is_silent_for_identical_renders() {
    let base = fixture("families/llama3.jinja");
    // Same prompt, different text: whitespace control and a renamed variable.
    let same = base.replace("loop_messages", "msgs");
    assert_ne!(same, base);
    let findings = lint_with(&same, OffsetMap::identity(), &tokens("llama3"), Some(&base));
    assert!(
        of(&findings, Rule::TemplateDrift).is_empty(),
        "{findings:#?}"
    );
}

#[test]
fn drift_reports_the_first_differing_probe_with_a_diff() {
    let base = fixture("families/llama3.jinja");
    let broken = fixture("families/llama3-training-only.jinja");
    let findings = lint_with(
        &broken,
        OffsetMap::identity(),
        &tokens("llama3"),
        Some(&base),
    );
    let found = of(&findings, Rule::TemplateDrift);
    assert_eq!(found.len(), 1, "{findings:#?}");
    let f = found[0];
    assert_eq!(f.severity, Severity::Error);
    // Without a generation prompt both render alike: `user` with the flag set is first to differ.
    assert_eq!(f.probe.as_deref(), Some("user"));
    assert!(
        f.message.contains("add_generation_prompt=True"),
        "{}",
        f.message
    );
    let diff = f.detail.as_deref().expect("a diff");
    assert!(diff.contains("--- base/chat_template.jinja"), "{diff}");
    assert!(diff.contains("+++ model/chat_template.jinja"), "{diff}");
    assert!(
        diff.lines()
            .any(|l| l.starts_with('-') && l.contains("<|start_header_id|>assistant")),
        "{diff}"
    );
}

#[test]
fn drift_needs_a_baseline() {
    let findings = lint_family("llama3-training-only");
    assert!(of(&findings, Rule::TemplateDrift).is_empty());
}

#[test]
fn every_rule_here_has_full_docs() {
    for rule in MINE {
        let d = rule.docs();
        for (section, text) in [
            ("summary", d.summary),
            ("what_it_does", d.what_it_does),
            ("why_bad", d.why_bad),
            ("example", d.example),
            ("how_to_fix", d.how_to_fix),
        ] {
            assert!(
                text.trim().len() > 20,
                "{}: {section} is missing",
                rule.id()
            );
        }
    }
}

//! The generation-prompt rules and `template-drift` on templates written in
//! the real families' formats (fixtures under `tests/fixtures/rules/`), each
//! with cases that must trigger and cases that must not.

mod common;
mod rules_support;

use chat_template_lint::finding::Severity;
use chat_template_lint::load::OffsetMap;
use chat_template_lint::rules::Rule;
use rules_support::{fixture, lint_family, lint_with, of, tokens, MINE};

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
    insta::assert_snapshot!(f.message);
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
    let Some(dir) = common::shared("corpus/minicpmv") else {
        return;
    };
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
    };
    let train = read("finetune-dataset.py-llama3_chat_template.jinja");
    let infer = read("RECONSTRUCTED-MiniCPM-Llama3-V-2_5-inference-template.jinja");
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
    // The message, then the unified diff (base → model) and the first
    // differing byte.
    let diff = f.detail.as_deref().expect("a diff");
    insta::assert_snapshot!(format!("{}\n{diff}", f.message));
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

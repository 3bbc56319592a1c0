//! The job summary: escaped Markdown, counts, a line per folder, size cap,
//! and appending to `$GITHUB_STEP_SUMMARY`.

#![allow(clippy::unwrap_used)]

mod common;

use chat_template_lint::finding::Severity;
use chat_template_lint::report::summary::{cell, markdown, message_cell};
use common::*;

#[test]
fn untrusted_text_cannot_escape_its_cell() {
    let c = cell(HOSTILE);
    for bad in ["<b>", "|", "`", "\n", "\r", "::", "[", "]"] {
        assert!(!c.contains(bad), "{bad:?} in {c}");
    }
    assert!(cell("see https://evil.example").contains("https&#58;//"));
}

#[test]
fn summary_has_verdict_counts_findings_and_folders() {
    let md = markdown(&hostile_report(), 1 << 20, &["JUnit `j.xml`".into()]);
    assert!(md.starts_with("## chat-template-lint: ❌ failed\n"), "{md}");
    assert!(md.contains("| `template-syntax` | ❌ error | 1 |"), "{md}");
    assert!(
        md.contains("| `template-missing` | ⚠️ warning | 1 |"),
        "{md}"
    );
    assert!(md.contains("### Model folders"));
    assert!(md.contains("2 templates"), "{md}");
    assert!(md.contains("Full results: JUnit"));
    // Every findings-table row has exactly the 5 pipes of its 4 cells.
    let table: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("### Findings"))
        .filter(|l| l.starts_with("| "))
        .collect();
    assert_eq!(table.len(), 1 + 3, "header + 3 findings: {md}");
    for row in table {
        assert_eq!(row.matches('|').count(), 5, "{row}");
    }
    assert!(!md.contains("<b>"));
}

#[test]
fn clean_run_passes() {
    let mut r = hostile_report();
    r.findings.clear();
    let md = markdown(&r, 1 << 20, &[]);
    assert!(md.starts_with("## chat-template-lint: ✅ passed\n"), "{md}");
    assert!(!md.contains("### Findings"));
}

#[test]
fn large_reports_are_truncated_with_a_note() {
    let mut r = hostile_report();
    r.findings = many(20_000, Severity::Error);
    let budget = 64 * 1024;
    let md = markdown(&r, budget, &[]);
    assert!(md.len() <= budget, "{} > {budget}", md.len());
    assert!(
        md.contains("more findings not shown"),
        "{}",
        &md[md.len() - 300..]
    );
    assert!(md.contains("### Model folders"));
}

#[test]
fn the_binary_appends_to_the_step_summary() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("tokenizer_config.json"), "{").unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step output\n").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
        .args(["check", "--format", "text", "--no-config"])
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_OUTPUT")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step output\n## chat-template-lint: ❌ failed"),
        "{text}"
    );
    assert!(text.contains("config-invalid"));
}

#[test]
fn code_spans_become_code_elements_and_stay_escaped() {
    assert_eq!(
        message_cell("header `<|im_start|>` is | missing"),
        "header <code>&lt;&#124;im&#95;start&#124;&gt;</code> is &#124; missing"
    );
    // Unbalanced backticks are not spans.
    assert_eq!(message_cell("a ` b"), "a &#96; b");
    let c = message_cell("`</code><script>x</script>`");
    assert!(
        !c.contains("<script>") && c.starts_with("<code>&lt;/code&gt;"),
        "{c}"
    );
}

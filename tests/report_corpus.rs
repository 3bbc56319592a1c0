//! Every report sink on real material: part of `../shared/corpus` (real
//! tokenizer configs and templates, including the MiniCPM-V evidence), run as
//! in GitHub Actions. Skips with a message when `../shared` is absent.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::sarif_schema::validate;
use common::*;

fn corpus() -> Option<PathBuf> {
    shared("corpus")
}

#[test]
fn all_sinks_on_real_templates_under_actions() {
    let Some(corpus) = corpus() else { return };
    let out = tempfile::tempdir().unwrap();
    let (junit, sarif, summary, outputs) = (
        out.path().join("j.xml"),
        out.path().join("s.sarif"),
        out.path().join("summary.md"),
        out.path().join("outputs"),
    );
    let o = Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
        .args([
            "check",
            "--no-config",
            "--include",
            "*.jinja",
            "--include",
            "*.json",
        ])
        .args(["tokenizer_configs", "minicpmv", "minja"])
        .arg("--junit")
        .arg(&junit)
        .arg("--sarif")
        .arg(&sarif)
        .current_dir(&corpus)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", &corpus)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(runner_commands(&stderr).is_empty(), "{stderr}");

    // Only our commands, each level capped, the group once.
    let cmds = runner_commands(&stdout);
    let count = |n: &str| cmds.iter().filter(|c| c.name == n).count();
    assert_eq!(count("group"), 1);
    assert_eq!(count("endgroup"), 1);
    assert_eq!(
        count("error") + count("warning") + count("notice") + 2,
        cmds.len(),
        "{cmds:?}"
    );
    assert!(count("error") <= 10 && count("warning") <= 10 && count("notice") <= 10);
    // Annotation files exist relative to the workspace, lines inside them.
    for c in cmds.iter().filter(|c| c.props.contains_key("file")) {
        let file = corpus.join(&c.props["file"]);
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if let Some(line) = c.props.get("line") {
            let line: usize = line.parse().unwrap();
            assert!(line >= 1 && line <= text.lines().count().max(1), "{c:?}");
        }
    }

    // Outputs agree with SARIF; SARIF is schema-valid; JUnit parses.
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    validate(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let errors = results.iter().filter(|r| r["level"] == "error").count();
    let warnings = results.iter().filter(|r| r["level"] == "warning").count();
    assert!(errors > 0, "the MiniCPM-V templates are broken");
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        format!("errors={errors}\nwarnings={warnings}\n")
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert!(failures > 0 && failures <= errors);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("## chat-template-lint: ❌ failed"));
    assert!(md.len() < 1024 * 1024);
}

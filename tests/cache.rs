//! The content-keyed cache changes nothing but the time: a tree where many
//! folders share templates (byte-identical copies, the same template at
//! another line of a re-indented config) and some do not is checked with
//! the cache and with `--no-cache`, and every output format is compared byte
//! for byte.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{copy_dir, ctl};

/// Rewrite every `tokenizer_config.json` under `dir` on one line: the same
/// templates, now at another line of the file.
fn reindent(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            reindent(&path);
        } else if path
            .file_name()
            .is_some_and(|n| n == "tokenizer_config.json")
        {
            let text = std::fs::read_to_string(&path).unwrap();
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
                std::fs::write(&path, format!("\n\n{value}\n")).unwrap();
            }
        }
    }
}

/// A monorepo: the repo's example and rule-fixture folders as three runs of
/// checkpoints (two byte-identical, one re-indented), the load fixtures
/// once, and one edited copy.
fn tree(root: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = [
        repo.join("examples"),
        repo.join("tests/fixtures/consistency"),
        repo.join("tests/fixtures/load"),
    ];
    for (i, source) in sources.iter().enumerate() {
        // The load fixtures (sources that disagree, broken configs) once.
        let runs = if i == 2 {
            &["run-a"][..]
        } else {
            &["run-a", "run-b", "run-c"]
        };
        for run in runs {
            copy_dir(source, &root.join(run).join(format!("part-{i}")));
        }
    }
    reindent(&root.join("run-c"));
    let edited = root.join("run-d/checkpoint-9");
    copy_dir(&repo.join("examples/finetuned-broken"), &edited);
    let jinja = edited.join("chat_template.jinja");
    let text = std::fs::read_to_string(&jinja).unwrap();
    std::fs::write(&jinja, format!("{{#- edited -#}}\n{text}")).unwrap();
}

/// stdout, the JUnit XML and the SARIF of one run.
fn run(root: &Path, format: &str, extra: &[&str], no_cache: bool) -> (String, String, String) {
    let junit = root.join("out.xml");
    let sarif = root.join("out.sarif");
    let mut cmd = ctl(root);
    cmd.args(["check", "--no-config", "--capabilities", "--format", format])
        .arg("--junit")
        .arg(&junit)
        .arg("--sarif")
        .arg(&sarif)
        .args(extra)
        .arg("run-a")
        .arg("run-b")
        .arg("run-c")
        .arg("run-d");
    if no_cache {
        cmd.arg("--no-cache");
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    let got = (
        String::from_utf8(out.stdout).unwrap(),
        read(&junit),
        read(&sarif),
    );
    std::fs::remove_file(junit).unwrap();
    std::fs::remove_file(sarif).unwrap();
    got
}

#[test]
fn cached_and_uncached_runs_print_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    tree(root);
    let baseline = ["--baseline", "run-a/part-0/base-model"];
    for (format, extra) in [("text", &[][..]), ("json", &baseline)] {
        let cached = run(root, format, extra, false);
        let uncached = run(root, format, extra, true);
        assert_eq!(cached.0, uncached.0, "{format} {extra:?}: stdout differs");
        assert_eq!(cached.1, uncached.1, "{format} {extra:?}: JUnit differs");
        assert_eq!(cached.2, uncached.2, "{format} {extra:?}: SARIF differs");
        // The comparison is about something: findings with spans in shared
        // templates, at other lines in the re-indented copies.
        if format == "json" {
            let report: serde_json::Value = serde_json::from_str(&cached.0).unwrap();
            let findings = report.as_array().unwrap();
            assert!(
                findings.iter().any(|f| f["rule"] == "template-drift"),
                "the baseline is compared"
            );
            let at = |path: &str| {
                findings
                    .iter()
                    .filter(|f| f["path"] == path && f["rule"] == "eos-mismatch")
                    .map(|f| f["line"].as_u64())
                    .collect::<Vec<_>>()
            };
            let shared = "part-1/eos-mismatch/gemma-model-config-eos-only/tokenizer_config.json";
            let (b, c) = (
                at(&format!("run-b/{shared}")),
                at(&format!("run-c/{shared}")),
            );
            assert!(!b.is_empty() && b[0].is_some(), "{b:?}");
            assert_ne!(b, c, "the re-indented copy reports its own lines");
        }
    }
}

//! End to end where a `trycmd` case cannot say it: docs of every render
//! rule, a closed stdout, and the JUnit file. Exit codes, stdout and stderr
//! of `check`, `render` and `rules` on `examples/` and the rule fixtures are
//! the cases under `tests/cmd/` (tests/cmd.rs).

use std::path::Path;
use std::process::{Command, Output};

/// Run the binary from the crate root (so paths in output are `examples/…`).
fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The whole JSON report of the bundled examples: the fields the Python
/// API's `Finding` reads (issue 14), `help` and `probe` included.
#[test]
fn examples_in_json() {
    let o = run(&["check", "--format", "json", "examples"]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn rules_and_explain_document_the_render_rules() {
    let o = run(&["rules"]);
    let out = stdout(&o);
    for id in [
        "template-syntax",
        "template-render",
        "generation-prompt-missing",
        "generation-prompt-unconditional",
        "template-drift",
    ] {
        assert!(out.contains(id), "{id} missing from `rules`");
        let e = run(&["explain", id]);
        assert_eq!(e.status.code(), Some(0));
        let doc = stdout(&e);
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## How to fix",
        ] {
            assert!(doc.contains(section), "{id}: {section}");
        }
    }
}

/// Run the binary with its stdout read end closed at once, as `| head` does
/// once it has enough: the tool stops quietly and keeps its verdict.
fn run_with_closed_stdout(args: &[&str], dir: &Path) -> Output {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("the binary ends")
}

#[test]
fn a_closed_stdout_is_not_an_error_and_keeps_the_verdict() {
    let dir = tempfile::tempdir().expect("a temp dir");
    // Far more output than a pipe buffers (64 KiB), so a write must fail.
    for i in 0..400 {
        let folder = dir.path().join(format!("model-{i:03}"));
        std::fs::create_dir(&folder).expect("mkdir");
        std::fs::write(folder.join("tokenizer_config.json"), "{\"chat_template\": ")
            .expect("write");
    }
    let o = run_with_closed_stdout(&["check", "."], dir.path());
    assert_eq!(o.status.code(), Some(1), "findings still fail the run");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let template = dir.path().join("big.jinja");
    std::fs::write(
        &template,
        "{% for i in range(20000) %}0123456789{% endfor %}",
    )
    .expect("write");
    let o = run_with_closed_stdout(&["render", "big.jinja"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    // Only the note on the default conversation, no write error.
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "chat-template-lint: no --messages given: rendering the default conversation \
         [{\"role\":\"user\",\"content\":\"Hello, who are you?\"}] (the `user` probe); \
         pass --messages FILE for another\n"
    );
}

#[test]
fn junit_lists_only_the_checks_that_ran() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let junit = dir.path().join("j.xml");
    let junit_arg = junit.to_string_lossy().into_owned();
    let names = |args: &[&str]| -> Vec<String> {
        let o = run(args);
        assert!(o.status.code().is_some_and(|c| c < 2), "{o:?}");
        let xml = std::fs::read_to_string(&junit).expect("junit written");
        xml.match_indices("<testcase name=\"")
            .map(|(at, m)| {
                xml[at + m.len()..]
                    .split('"')
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    let plain = names(&["check", "--junit", &junit_arg, "examples/base-model"]);
    assert!(
        plain.iter().any(|n| n.starts_with("template-render ")),
        "{plain:?}"
    );
    // No baseline, no `require`: drift and capabilities were not checked.
    assert!(
        !plain.iter().any(|n| n.starts_with("template-drift ")),
        "{plain:?}"
    );
    assert!(
        !plain.iter().any(|n| n.starts_with("capability-missing ")),
        "{plain:?}"
    );
    let drift = names(&[
        "check",
        "--junit",
        &junit_arg,
        "--baseline",
        "examples/base-model",
        "examples/base-model",
    ]);
    assert!(
        drift.iter().any(|n| n.starts_with("template-drift ")),
        "{drift:?}"
    );
}

/// The colour variables, as the usual conventions say: FORCE_COLOR
/// (force-color.org) and CLICOLOR_FORCE (bixense.com/clicolors) colour a
/// piped report; NO_COLOR (no-color.org) wins over both; `--no-color` over all.
#[test]
fn colour_follows_the_environment_conventions() {
    let coloured = |vars: &[(&str, &str)], extra: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chat-template-lint"));
        c.args(["check", "--no-config", "examples/finetuned-broken"])
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("GITHUB_ACTIONS");
        for name in ["NO_COLOR", "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE"] {
            c.env_remove(name);
        }
        c.envs(vars.iter().copied());
        let o = c.output().expect("the binary runs");
        assert_eq!(o.status.code(), Some(1));
        stdout(&o).contains("\x1b[")
    };
    assert!(!coloured(&[], &[]), "a pipe is not coloured by default");
    assert!(coloured(&[("FORCE_COLOR", "1")], &[]));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")], &[]));
    assert!(!coloured(&[("CLICOLOR_FORCE", "0")], &[]));
    assert!(!coloured(&[("FORCE_COLOR", "")], &[]), "empty is unset");
    assert!(!coloured(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")], &[]));
    assert!(!coloured(&[("FORCE_COLOR", "1")], &["--no-color"]));
}

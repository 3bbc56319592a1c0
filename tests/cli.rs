//! End to end: the `check` binary on the bundled `examples/` repo and on the
//! rule fixtures — exit codes 0/1/2, text and JSON output.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

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

fn json(args: &[&str]) -> (i32, Vec<Value>) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let o = run(&all);
    let v: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(&o)));
    let items = v.as_array().cloned().expect("a JSON array of findings");
    (o.status.code().unwrap_or(-1), items)
}

fn rules_of(findings: &[Value]) -> Vec<&str> {
    findings.iter().filter_map(|f| f["rule"].as_str()).collect()
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
fn examples_show_the_seed_bug_and_fail() {
    let o = run(&["check", "examples"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("examples/finetuned-broken/chat_template.jinja:3:"),
        "{out}"
    );
    assert!(out.contains("error[generation-prompt-missing]"), "{out}");
    assert!(
        out.contains("`<|start_header_id|>assistant<|end_header_id|>\\n\\n`"),
        "{out}"
    );
    assert!(out.contains("help:"), "{out}");
    assert!(out.contains("checked 4 folders, 5 templates"), "{out}");
}

#[test]
fn examples_as_json_hold_exactly_the_seed_finding() {
    let (code, findings) = json(&["examples"]);
    assert_eq!(code, 1);
    let errors: Vec<&Value> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{findings:#?}");
    let f = errors[0];
    assert_eq!(f["rule"], "generation-prompt-missing");
    assert_eq!(f["path"], "examples/finetuned-broken/chat_template.jinja");
    assert_eq!(f["line"], 3);
    assert_eq!(f["template"], "default");
}

#[test]
fn clean_folders_exit_zero() {
    for dir in [
        "examples/base-model",
        "examples/modern-layout",
        "examples/named-templates",
    ] {
        let o = run(&["check", dir]);
        assert_eq!(o.status.code(), Some(0), "{dir}: {}", stdout(&o));
        let (_, findings) = json(&[dir]);
        assert!(findings.is_empty(), "{dir}: {findings:#?}");
    }
}

#[test]
fn named_templates_are_all_checked() {
    let o = run(&["check", "examples/named-templates"]);
    assert!(
        stdout(&o).contains("checked 1 folder, 2 templates"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn baseline_folder_shows_drift_with_a_diff() {
    let o = run(&[
        "check",
        "--baseline",
        "examples/base-model",
        "examples/finetuned-broken",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("error[template-drift]"), "{out}");
    assert!(
        out.contains("--- examples/base-model/tokenizer_config.json"),
        "{out}"
    );
    assert!(
        out.contains("+++ examples/finetuned-broken/chat_template.jinja"),
        "{out}"
    );
    assert!(
        out.contains("-Hello, who are you?<|eot_id|><|start_header_id|>assistant"),
        "{out}"
    );
}

#[test]
fn a_model_is_no_drift_from_itself() {
    let (code, findings) = json(&["--baseline", "examples/base-model", "examples/base-model"]);
    assert_eq!(code, 0, "{findings:#?}");
}

#[test]
fn baseline_tree_is_matched_by_relative_path() {
    let (code, findings) = json(&[
        "--baseline",
        "tests/fixtures/rules/drift/base",
        "tests/fixtures/rules/drift/new",
    ]);
    assert_eq!(code, 1);
    let drift: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "template-drift")
        .collect();
    // a/ lost its generation prompt; b/ only changed whitespace control;
    // c/ was saved without its `tool_use` template.
    let at = |f: &Value| f["path"].as_str().unwrap_or_default().to_string();
    let paths: Vec<String> = drift.iter().map(|f| at(f)).collect();
    assert_eq!(
        paths,
        [
            "tests/fixtures/rules/drift/new/a/tokenizer_config.json",
            "tests/fixtures/rules/drift/new/c/tokenizer_config.json"
        ],
        "{findings:#?}"
    );
    assert_eq!(drift[0]["template"], "default");
    assert_eq!(drift[1]["template"], "tool_use");
    assert!(
        drift[1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("drift/base/c/tokenizer_config.json")),
        "{:#?}",
        drift[1]
    );
}

#[test]
fn syntax_error_in_a_json_string_points_at_the_file_line() {
    let (code, findings) = json(&["tests/fixtures/rules/syntax-in-json"]);
    assert_eq!(code, 1);
    assert_eq!(rules_of(&findings), ["template-syntax"], "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["line"], 5, "the `chat_template` line of the file");
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("line 2 of the template")),
        "{f}"
    );
    // The column lands inside the JSON string, after the escaped newline.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rules/syntax-in-json/tokenizer_config.json"),
    )
    .expect("fixture");
    let line = text.lines().nth(4).expect("line 5");
    let newline_col = line.find("\\n").expect("escaped newline") + 1;
    let col = f["column"].as_u64().expect("a column") as usize;
    assert!(
        col > newline_col && col <= line.len(),
        "column {col}: {line}"
    );
}

#[test]
fn render_error_is_reported_with_its_probe() {
    let o = run(&["check", "tests/fixtures/rules/render-error"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("error[template-render]"), "{out}");
    assert!(out.contains("= probe: user"), "{out}");
    assert!(out.contains("render-error/chat_template.jinja:2:"), "{out}");
}

#[test]
fn unconditional_header_is_a_warning_and_does_not_fail() {
    let (code, findings) = json(&["tests/fixtures/rules/unconditional"]);
    assert_eq!(code, 0, "{findings:#?}");
    let f = findings
        .iter()
        .find(|f| f["rule"] == "generation-prompt-unconditional")
        .expect("the warning");
    assert_eq!(f["severity"], "warning");
    assert!(!rules_of(&findings).contains(&"generation-prompt-missing"));
}

#[test]
fn tool_errors_exit_two() {
    for args in [
        vec!["check", "does/not/exist"],
        vec!["check", "--no-such-flag", "examples"],
        vec!["check", "--baseline", "does/not/exist", "examples"],
        vec!["check", "--format", "yaml", "examples"],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stdout(&o));
        assert!(!o.stderr.is_empty(), "{args:?}: says why on stderr");
    }
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

#[test]
fn render_shows_the_prompt_the_fine_tune_lost() {
    let prompt = |dir: &str| {
        let o = run(&[
            "render",
            dir,
            "--messages",
            "examples/conversation.json",
            "--add-generation-prompt",
        ]);
        assert_eq!(o.status.code(), Some(0), "{dir}");
        stdout(&o)
    };
    let base = prompt("examples/base-model");
    let tuned = prompt("examples/finetuned-broken");
    let header = "<|start_header_id|>assistant<|end_header_id|>\n\n";
    assert!(base.ends_with(&format!("<|eot_id|>{header}")), "{base:?}");
    assert!(
        tuned.ends_with("Hello, who are you?<|eot_id|>"),
        "{tuned:?}"
    );
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
fn capabilities_are_listed_on_request_only() {
    // Without the flag a clean folder stays `[]`: scripts count findings.
    let (code, items) = json(&["examples/base-model"]);
    assert_eq!((code, items.len()), (0, 0), "{items:?}");

    let (code, items) = json(&["--capabilities", "examples/named-templates"]);
    assert_eq!(code, 0);
    let by_name = |name: &str| {
        items
            .iter()
            .find(|e| e["template"] == name)
            .unwrap_or_else(|| panic!("no entry for `{name}` in {items:?}"))
    };
    for name in ["default", "tool_use"] {
        let e = by_name(name);
        assert_eq!(e["rule"], "capabilities");
        assert_eq!(e["severity"], "info");
        assert_eq!(e["path"], "examples/named-templates/tokenizer_config.json");
        assert!(e["line"].as_u64().is_some_and(|l| l > 1), "{e}");
    }
    let ids = |name: &str| -> Vec<String> {
        by_name(name)["capabilities"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        ids("tool_use").iter().any(|c| c == "tools"),
        "{:?}",
        ids("tool_use")
    );
    assert!(
        !ids("default").iter().any(|c| c == "tools"),
        "{:?}",
        ids("default")
    );
    assert!(by_name("default")["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("supports system") && m.contains("lacks tools")));

    let o = run(&["check", "--capabilities", "examples/named-templates"]);
    let out = stdout(&o);
    assert!(
        out.contains("examples/named-templates/tokenizer_config.json:92 (template `tool_use`): supports system, tools"),
        "{out}"
    );
}

#[test]
fn checking_nothing_is_said_on_stderr() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(
        dir.path().join("org__model__tokenizer_config.json"),
        r#"{"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}"#,
    )
    .expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let o = run(&["check", "--no-config", &path]);
    assert_eq!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: no chat template found under")
            && err.contains("tokenizer_config.json")
            && err.contains("--include"),
        "{err}"
    );
    // With the right glob the same folder is checked and the warning is gone.
    let o = run(&["check", "--no-config", "--include", "*.json", &path]);
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout(&o).contains("checked 1 file,"), "{}", stdout(&o));
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

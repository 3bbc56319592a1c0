//! The default human-readable output and the JSON format (issue 2 §4), and
//! the exit codes 0 / 1 / 2.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

use chat_template_lint::report::{emit, Format, Sinks};
use chat_template_lint::resolve::Report;
use common::*;

fn out(report: &Report, format: Format) -> String {
    let mut buf = Vec::new();
    emit(report, &Sinks::stdout(format), &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn text_has_location_frame_help_and_summary() {
    let text = out(&hostile_report(), Format::Text);
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with(&format!(
            "{HOSTILE_PATH}:3:3: error[template-syntax] bad: 50% ok"
        )),
        "{first}"
    );
    assert!(first.ends_with("(template `tool_use,::x`)"), "{first}");
    // Line breaks and control characters in messages never reach the terminal raw.
    assert!(!first.contains('\u{1}'));
    assert!(
        text.contains("  3 |   ::error::frame-line ##[group]frame\n"),
        "{text}"
    );
    assert!(text.contains("    |   ^"), "{text}");
    assert!(text.contains("  = help: fix it: 50% ok"), "{text}");
    assert!(
        text.ends_with(
            "checked 2 folders, 3 templates, 24 renders: 3 findings (1 error, 1 warning, 1 info)\n"
        ),
        "{text}"
    );
}

#[test]
fn json_has_exactly_the_documented_fields() {
    let v: serde_json::Value = serde_json::from_str(&out(&hostile_report(), Format::Json)).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 3);
    for item in items {
        let mut keys: Vec<&str> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "column", "help", "line", "message", "path", "probe", "rule", "severity",
                "template"
            ]
        );
    }
    assert_eq!(items[0]["line"], 3);
    assert_eq!(items[0]["column"], 3);
    assert_eq!(items[0]["template"], "tool_use,::x");
    assert_eq!(items[0]["help"], format!("fix it: {HOSTILE}"));
    assert_eq!(items[0]["probe"], serde_json::Value::Null);
    assert_eq!(items[1]["help"], serde_json::Value::Null);
    assert_eq!(items[1]["line"], serde_json::Value::Null);
    assert_eq!(items[1]["column"], serde_json::Value::Null);
    assert_eq!(items[1]["severity"], "warning");
    assert_eq!(items[2]["severity"], "info");
    assert_eq!(items[2]["template"], serde_json::Value::Null);
}

fn bin(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    ctl(dir).args(args).output().unwrap()
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::write(
        good.join("chat_template.jinja"),
        "{% for m in messages %}{{ m.content }}{% endfor %}",
    )
    .unwrap();
    let o = bin(
        dir.path(),
        &["check", "--no-config", "--select", "config-invalid", "good"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("checked 1 folder, 1 template, "), "{text}");

    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("tokenizer_config.json"), "{\"a\": [1,,]}").unwrap();
    assert_eq!(
        bin(dir.path(), &["check", "--no-config", "bad"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        bin(
            dir.path(),
            &["check", "--no-config", "--fail-on", "never", "bad"]
        )
        .status
        .code(),
        Some(0)
    );
    // The tool itself cannot run: bad flag, missing path, unknown rule.
    assert_eq!(
        bin(dir.path(), &["check", "--no-such-flag"]).status.code(),
        Some(2)
    );
    let o = bin(dir.path(), &["check", "--no-config", "missing-folder"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing-folder"));
    assert_eq!(
        bin(dir.path(), &["check", "--select", "no-such-rule", "good"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn github_is_the_default_format_in_actions() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("tokenizer_config.json"), "{").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
        .args(["check", "--no-config"])
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", dir.path())
        .env("GITHUB_OUTPUT", dir.path().join("outputs"))
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    // The step gets `errors` and `warnings` outputs.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("outputs")).unwrap(),
        "errors=1\nwarnings=0\n"
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        // Invalid JSON is reported at the error's line and column.
        stdout.starts_with("::error file=bad/tokenizer_config.json,line=1,")
            && stdout.contains("title=config-invalid::"),
        "{stdout}"
    );
    // An explicit --format wins.
    let o = Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
        .args(["check", "--no-config", "--format", "json"])
        .current_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with('['));
}

#[test]
fn code_frames_of_long_lines_are_cut_around_the_column() {
    use chat_template_lint::report::text::frame_window;
    let line: String = (0..1000)
        .map(|i| if i == 700 { 'X' } else { 'a' })
        .collect();
    let (shown, caret) = frame_window(&line, 701);
    assert!(shown.starts_with('…') && shown.ends_with('…'));
    assert_eq!(shown.chars().nth(caret), Some('X'));
    assert!(shown.chars().count() <= 2 * 60 + 2);
    // Short lines are shown whole; the caret is at the column.
    assert_eq!(frame_window("ab\tcd", 4), ("ab\tcd".to_string(), 3));
    // A column past the end points just after the text.
    assert_eq!(frame_window("ab", 9), ("ab".to_string(), 2));
}

#[test]
fn annotation_files_are_relative_to_the_workspace() {
    let ws = tempfile::tempdir().unwrap();
    let sub = ws.path().join("sub");
    let bad = sub.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("tokenizer_config.json"), "{").unwrap();
    std::fs::write(sub.join("chat-template-lint.toml"), "nope = 1\n").unwrap();
    let o = ctl(&sub)
        .args(["check", "--no-config", "bad"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", ws.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.starts_with("::error file=sub/bad/tokenizer_config.json,"),
        "{stdout}"
    );
    // A config error points at the config file the same way.
    let o = ctl(&sub)
        .args(["check", "bad"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", ws.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.starts_with("::error file=sub/chat-template-lint.toml,line=1,col=1,"),
        "{stderr}"
    );
}

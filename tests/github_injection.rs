//! No workflow-command injection: hostile template text, messages and folder
//! names go through every output path, and a parser that reads lines the way
//! the GitHub runner does must find exactly the annotations we meant.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use chat_template_lint::finding::Severity;
use chat_template_lint::report::{emit, Format, Sinks};
use common::*;

fn render(report: &chat_template_lint::resolve::Report, format: Format, actions: bool) -> String {
    let mut sinks = Sinks::stdout(format);
    sinks.actions = actions;
    let mut buf = Vec::new();
    emit(report, &sinks, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

/// What our escaping should turn untrusted text into, computed independently.
fn shown(s: &str) -> String {
    s.replace('\u{200B}', "\\u{200b}")
        .replace('\u{1}', "\\u{1}")
        .replace("##[", "## [")
}

#[test]
fn github_format_emits_exactly_the_intended_annotations() {
    let report = hostile_report();
    let out = render(&report, Format::Github, true);
    let cmds = runner_commands(&out);
    let names: Vec<&str> = cmds.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["error", "warning", "notice", "group", "endgroup"],
        "output:\n{out}"
    );

    let err = &cmds[0];
    assert_eq!(err.props["file"], HOSTILE_PATH);
    assert_eq!(
        err.props["title"],
        "template-syntax (template tool_use,::x)"
    );
    assert_eq!(err.props["line"], "3");
    assert_eq!(err.props["endLine"], "3");
    assert_eq!(err.props["col"], "3");
    assert_eq!(err.props["endColumn"], "8");
    assert_eq!(
        err.data,
        shown(&format!("bad: {HOSTILE}\nhelp: fix it: {HOSTILE}"))
    );
    assert_eq!(cmds[1].data, "no template ## [endgroup]");
    assert!(!cmds[1].props.contains_key("line"), "file-level: no line");
    assert_eq!(cmds[2].props["file"], "::error::top/chat_template.jinja");
}

#[test]
fn no_format_lets_text_through_as_commands_under_actions() {
    let report = hostile_report();
    for format in [Format::Text, Format::Json] {
        let out = render(&report, format, true);
        let cmds = runner_commands(&out);
        assert!(cmds.is_empty(), "{format:?} produced {cmds:?} from:\n{out}");
    }
    // Without the guard, the same report *would* inject: the test can fail.
    let unguarded = render(&report, Format::Text, false);
    assert!(!runner_commands(&unguarded).is_empty());
}

#[test]
fn guarded_json_keeps_its_value() {
    let report = hostile_report();
    let plain: serde_json::Value =
        serde_json::from_str(&render(&report, Format::Json, false)).unwrap();
    let guarded: serde_json::Value =
        serde_json::from_str(&render(&report, Format::Json, true)).unwrap();
    assert_eq!(plain, guarded);
    assert_eq!(plain[0]["message"], format!("bad: {HOSTILE}"));
}

#[test]
fn annotations_are_capped_per_level_with_one_closing_notice() {
    let mut report = hostile_report();
    report.findings = many(25, Severity::Error);
    report.findings.extend(many(12, Severity::Warning));
    report.findings.extend(many(3, Severity::Info));
    let out = render(&report, Format::Github, true);
    let cmds = runner_commands(&out);
    let count = |n: &str| cmds.iter().filter(|c| c.name == n).count();
    assert_eq!(count("error"), 10);
    assert_eq!(count("warning"), 10);
    assert_eq!(count("notice"), 4, "3 findings + the closing notice");
    let last_notice = cmds.iter().rfind(|c| c.name == "notice").unwrap();
    assert!(
        last_notice
            .data
            .starts_with("17 more findings are not shown"),
        "{}",
        last_notice.data
    );
    // Errors come first.
    assert_eq!(cmds[0].name, "error");
    assert!(cmds.iter().take(10).all(|c| c.name == "error"));
}

#[test]
fn notices_alone_overflowing_leave_room_for_the_closing_notice() {
    let mut report = hostile_report();
    report.findings = many(12, Severity::Info);
    let cmds = runner_commands(&render(&report, Format::Github, true));
    let notices: Vec<_> = cmds.iter().filter(|c| c.name == "notice").collect();
    assert_eq!(notices.len(), 10);
    assert!(notices[9].data.starts_with("3 more findings"));
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chat-template-lint"));
    c.env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_WORKSPACE")
        .env("GITHUB_ACTIONS", "true");
    c
}

fn all_output(o: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Folder names an attacker can put in a pull request (not all are legal on
/// Windows, so this runs on Unix).
#[cfg(unix)]
#[test]
fn hostile_folder_names_produce_only_our_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "::error::x",
        "a,b%c:d",
        "##[group]g",
        "nl\n::warning::w",
        "::stop-commands::tok",
        "cr\r::error::y",
    ];
    for n in names {
        let d = dir.path().join(n);
        std::fs::create_dir_all(&d).unwrap();
        // Invalid JSON: a config-invalid finding per folder.
        std::fs::write(d.join("tokenizer_config.json"), "{\"chat_template\": ").unwrap();
    }
    let o = bin().arg("check").current_dir(dir.path()).output().unwrap();
    let (stdout, stderr) = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    assert!(runner_commands(&stderr).is_empty(), "{stderr}");
    let cmds = runner_commands(&stdout);
    let errors: Vec<String> = cmds
        .iter()
        .filter(|c| c.name == "error")
        .map(|c| c.props["file"].clone())
        .collect();
    let mut want: Vec<String> = names
        .iter()
        .map(|n| shown(&format!("{n}/tokenizer_config.json")))
        .collect();
    want.sort();
    let mut got = errors;
    got.sort();
    assert_eq!(got, want, "{stdout}");
    let names: Vec<&str> = cmds.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.iter().filter(|n| **n == "error").count(), 6);
    assert_eq!(names.len(), 8, "6 errors + group + endgroup: {names:?}");

    // --show-files and --show-settings print folder names and config values
    // from the repository: no line of theirs is a command either.
    std::fs::write(
        dir.path().join("chat-template-lint.toml"),
        "exclude = [\"::error::from-config\"]\n",
    )
    .unwrap();
    for flag in ["--show-files", "--show-settings"] {
        let o = bin()
            .args(["check", flag])
            .current_dir(dir.path())
            .output()
            .unwrap();
        let (stdout, stderr) = all_output(&o);
        assert_eq!(o.status.code(), Some(0), "{stdout}{stderr}");
        assert!(runner_commands(&stdout).is_empty(), "{flag}: {stdout}");
        assert!(runner_commands(&stderr).is_empty(), "{flag}: {stderr}");
        assert!(stdout.contains("error::"), "{flag} lists them: {stdout}");
    }
}

#[test]
fn tool_failures_are_single_annotations() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("chat-template-lint.toml"),
        "select = [\"template-syntax\"]\n\"::error::evil\\n##[group]x\" = 1\n",
    )
    .unwrap();
    let o = bin().arg("check").current_dir(dir.path()).output().unwrap();
    let (stdout, stderr) = all_output(&o);
    assert_eq!(o.status.code(), Some(2), "{stdout}{stderr}");
    let cmds = runner_commands(&stderr);
    assert_eq!(cmds.len(), 1, "{stderr}");
    assert_eq!(cmds[0].name, "error");
    assert_eq!(cmds[0].props["file"], "chat-template-lint.toml");
    assert_eq!(cmds[0].props["line"], "2");
    assert_eq!(cmds[0].props["col"], "1");
    assert!(cmds[0].data.contains("unknown field"), "{}", cmds[0].data);
    assert!(runner_commands(&stdout).is_empty());

    // A path given on the command line that does not exist.
    let o = bin()
        .args(["check", "::error::nope/##[group]x"])
        .current_dir(dir.path())
        .arg("--no-config")
        .output()
        .unwrap();
    let (stdout, stderr) = all_output(&o);
    assert_eq!(o.status.code(), Some(2));
    let cmds = runner_commands(&stderr);
    assert_eq!(cmds.len(), 1, "{stderr}");
    assert!(cmds[0].data.contains("::error::nope/## [group]x"));
    assert!(runner_commands(&stdout).is_empty());
    assert!(Path::new(env!("CARGO_BIN_EXE_chat-template-lint")).exists());
}

#[test]
fn render_errors_on_stderr_are_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("chat_template.jinja");
    std::fs::write(
        &t,
        "{{ raise_exception('boom\\n::error::from-template\\r##[group]g') }}",
    )
    .unwrap();
    let o = bin().arg("render").arg(&t).output().unwrap();
    let (stdout, stderr) = all_output(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("from-template"), "{stderr}");
    assert!(runner_commands(&stderr).is_empty(), "{stderr}");
    // Outside Actions the message is printed as it is.
    let o = bin()
        .env_remove("GITHUB_ACTIONS")
        .arg("render")
        .arg(&t)
        .output()
        .unwrap();
    assert!(!runner_commands(&String::from_utf8_lossy(&o.stderr)).is_empty());
}

#[test]
fn flag_errors_are_neutralised() {
    let o = bin()
        .args(["check", "--format", "x\n::error::from-flag\n##[group]g"])
        .output()
        .unwrap();
    let (stdout, stderr) = all_output(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr.contains("from-flag"), "{stderr}");
    assert!(runner_commands(&stderr).is_empty(), "{stderr}");
    assert!(runner_commands(&stdout).is_empty(), "{stdout}");
    // --help still exits 0 and prints to stdout.
    let o = bin().arg("--help").output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Usage"));
}

#[test]
fn a_render_printed_to_the_log_cannot_run_commands() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("chat_template.jinja");
    // The template even guesses at a resume line.
    let text = "a\n::error::from-template\n::stop-commands::x\n::x::\n##[group]g\n  ::warning::w";
    std::fs::write(&t, text).unwrap();
    let o = bin().arg("render").arg(&t).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&o.stdout);
    // Without the wrapping the runner would run the template's commands.
    assert!(!runner_commands(text).is_empty());
    assert!(runner_commands_with_stops(&stdout).is_empty(), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let token = lines[0]
        .strip_prefix("::stop-commands::")
        .expect("a stop line");
    assert!(token.len() >= 32, "{token}");
    assert_eq!(lines.last().copied(), Some(format!("::{token}::").as_str()));
    assert_eq!(lines[1..lines.len() - 1].join("\n"), text);
    // A second run picks another token.
    let again = bin().arg("render").arg(&t).output().unwrap();
    assert!(!String::from_utf8_lossy(&again.stdout).contains(token));

    // Redirected to a file, the prompt is exact even under Actions.
    let file = dir.path().join("prompt.txt");
    let o = bin()
        .arg("render")
        .arg(&t)
        .stdout(std::fs::File::create(&file).unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

//! The README tells the truth: its rule table lists every rule with its
//! default severity, and the quick start shows what the command prints.

use std::process::Command;

use chat_template_lint::rules::Rule;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

#[test]
fn the_rule_table_lists_every_rule_with_its_severity() {
    let text = readme();
    let table = &text[text.find("## Rules").expect("a Rules section")..];
    for rule in Rule::ALL {
        let row = format!("| `{}` | {} |", rule.id(), rule.default_severity().as_str());
        assert!(table.contains(&row), "README's rule table lacks `{row}`");
    }
}

#[test]
fn the_quick_start_output_is_what_check_prints() {
    let text = readme();
    let after = &text[text
        .find("the first command prints:")
        .expect("the quick start")..];
    let start = after.find("```\n").expect("a code block") + 4;
    let shown = &after[start..start + after[start..].find("```").expect("block end")];
    let o = Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
        .args(["check", "examples/"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(shown, String::from_utf8_lossy(&o.stdout));
}

/// The moving tag the action is used through (README "Versions and tags"):
/// `v0.MINOR` before 1.0, `vMAJOR` after; .github/action/release-table.sh
/// computes the same.
fn moving_tag(version: &str) -> String {
    let mut parts = version.split('.');
    match (parts.next(), parts.next()) {
        (Some("0"), Some(minor)) => format!("v0.{minor}"),
        (major, _) => format!("v{}", major.unwrap_or_default()),
    }
}

#[test]
fn the_action_and_pre_commit_snippets_name_the_repository_and_version() {
    let text = readme();
    let repo = env!("CARGO_PKG_REPOSITORY");
    let path = repo
        .strip_prefix("https://github.com/")
        .expect("a GitHub repository in Cargo.toml");
    let version = env!("CARGO_PKG_VERSION");
    let uses = format!("uses: {path}@{}\n", moving_tag(version));
    let pre_commit = format!("  - repo: {repo}\n    rev: v{version}\n");
    assert!(text.contains(&uses), "README lacks `{uses}`");
    assert!(text.contains(&pre_commit), "README lacks `{pre_commit}`");
    assert!(!text.contains("<owner>"), "a placeholder is left in README");
    let hooks = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .expect("hooks");
    assert!(hooks.contains(&format!("#     - repo: {repo}\n#       rev: v{version}")));
}

/// The "Fixing" section's transcript is what happens on a Git copy of
/// `examples/`: exit 1, `--fix` prints the block shown, and `git diff`
/// shows one changed line.
#[test]
fn the_fixing_section_is_what_fix_does() {
    let text = readme();
    let after = &text[text
        .find("The seed case end to end")
        .expect("the Fixing section")..];
    let start = after.find("```console\n").expect("a console block") + 11;
    let shown = &after[start..start + after[start..].find("```").expect("block end")];
    let git_ok = Command::new("git").arg("--version").output().is_ok();
    if !git_ok {
        println!("SKIPPED: git is not available");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    copy_dir(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")),
        &root.join("examples"),
    );
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(root)
            .output()
            .expect("git runs");
        assert!(o.status.success(), "git {args:?}");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "examples"]);
    let ctl = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
            .args(args)
            .current_dir(root)
            .env_remove("GITHUB_ACTIONS")
            .env("NO_COLOR", "1")
            .output()
            .expect("the binary runs")
    };
    let before = ctl(&["check", "examples/"])
        .status
        .code()
        .expect("exit code");
    let fixed = ctl(&["check", "--fix", "examples/"]);
    assert_eq!(fixed.status.code(), Some(0));
    let transcript = format!(
        "$ chat-template-lint check examples/ > /dev/null; echo $?\n{before}\n$ chat-template-lint check --fix examples/\n{}$ git diff --stat\n{}",
        String::from_utf8_lossy(&fixed.stdout),
        git(&["diff", "--stat"])
    );
    assert_eq!(shown, transcript);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

#[test]
fn the_suppression_warnings_are_what_check_prints() {
    let text = readme();
    let start = text.find("## Suppressing a finding").expect("the section");
    let section = text[start..].split("\n## ").next().unwrap_or("");
    let case = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/cmd/suppress-inline.toml"
    ))
    .expect("the trycmd case");
    let warnings: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("chat-template-lint: warning:"))
        .collect();
    assert_eq!(warnings.len(), 2, "{section}");
    for line in warnings {
        assert!(
            case.contains(line),
            "README shows a warning check does not print: {line}"
        );
    }
    assert!(section.contains("{#- chat-template-lint: ignore[generation-prompt-missing]"));
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/suppress/silenced/chat_template.jinja"
    ))
    .expect("the fixture");
    let example = section
        .lines()
        .find(|l| l.starts_with("{#- chat-template-lint:"))
        .expect("an example directive");
    assert_eq!(fixture.lines().next(), Some(example));
}

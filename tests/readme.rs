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

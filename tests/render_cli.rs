//! The `render` subcommand prints exactly what the engine renders (no added
//! newline) and exits 1 with the template error on stderr.

use std::process::Command;

fn render(args: &[&str]) -> std::process::Output {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/render");
    Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
        .arg("render")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

#[test]
fn prints_the_render_byte_for_byte() {
    let out = render(&[
        "chatml.jinja",
        "--messages",
        "messages.json",
        "--var",
        "bos_token=<s>",
        "--add-generation-prompt",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // trim_blocks drops the newline after `{% endfor %}`; the template's
    // final newline is dropped (keep_trailing_newline is off); nothing added.
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "<s><|system|>Be brief.\n<|user|>Hi\n<|assistant|>"
    );
}

#[test]
fn template_errors_exit_1_on_stderr() {
    let out = render(&["raises.jinja", "--messages", "messages.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("only user messages, got system"), "{err}");
}

//! Files no model folder should hold, as a repository can hold them (issue
//! 11 §B): FIFOs and `/dev/zero` under the names the tool reads, JSON nested
//! past any stack, broken companion files (truncated, a Git LFS pointer,
//! `1e400`), and paths the walk cannot look into. Each must end in a finding
//! on that path, quickly: never a hang, a crash, unbounded memory, or a
//! silent "clean". Every run here goes through the binary under a watchdog,
//! so a hang fails the test instead of blocking the suite.
#![allow(clippy::unwrap_used)]
#![cfg(unix)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

/// A model folder whose template ends assistant turns with `<|im_end|>`.
fn model(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("tokenizer_config.json"),
        r#"{"chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
 "eos_token": "<|im_end|>", "bos_token": null,
 "added_tokens_decoder": {"1": {"content": "<|im_start|>", "special": true}, "2": {"content": "<|im_end|>", "special": true}}}"#,
    )
    .unwrap();
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

/// `check` in `dir` with `args`, killed after 60 s (a hang fails the test).
/// Returns `path: rule: message` per finding, sorted, and the exit code.
fn check(dir: &Path, args: &[&str]) -> (Vec<String>, i32) {
    let mut child = common::ctl(dir)
        .args(["check", "--no-config", "--format", "json"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("check hung on {}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let findings: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{}: {}: {}",
                f["path"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    lines.sort();
    (lines, status.code().unwrap_or(-1))
}

#[test]
fn fifos_and_devices_under_read_names_are_findings_not_hangs() {
    let tmp = tempfile::tempdir().unwrap();
    for name in [
        "tokenizer.json",
        "generation_config.json",
        "config.json",
        "special_tokens_map.json",
    ] {
        let fifo = tmp.path().join(format!("fifo-{name}"));
        model(&fifo);
        mkfifo(&fifo.join(name));
        let zero = tmp.path().join(format!("zero-{name}"));
        model(&zero);
        std::os::unix::fs::symlink("/dev/zero", zero.join(name)).unwrap();
    }
    // A FIFO under the name that makes a model folder, and a loose template.
    std::fs::create_dir(tmp.path().join("fifo-config")).unwrap();
    mkfifo(&tmp.path().join("fifo-config/tokenizer_config.json"));
    mkfifo(&tmp.path().join("loose.jinja"));
    // `special_tokens_map.json` is read only without `added_tokens_decoder`.
    for dir in [
        "fifo-special_tokens_map.json",
        "zero-special_tokens_map.json",
    ] {
        std::fs::write(
            tmp.path().join(dir).join("tokenizer_config.json"),
            r#"{"chat_template": "{{ messages }}"}"#,
        )
        .unwrap();
    }
    let (findings, code) = check(
        tmp.path(),
        &[
            ".",
            "--select",
            "config-invalid",
            "--include",
            "tokenizer_config.json",
            "--include",
            "*.jinja",
        ],
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!(findings.join("\n"));
}

#[test]
fn json_nested_past_any_stack_is_config_invalid_at_its_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    let obj = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
    let cases = [
        (
            "tokenizer.json",
            format!("{{\"post_processor\": {}}}", obj(20_000)),
        ),
        (
            "generation_config.json",
            format!("{{\"eos_token_id\": {}}}", deep(20_000)),
        ),
        (
            "config.json",
            format!("{{\"eos_token_id\": {}}}", deep(20_000)),
        ),
        (
            "tokenizer_config.json",
            format!("{{\"x\": {}}}", deep(20_000)),
        ),
        (
            "chat_template.json",
            format!("{{\"chat_template\": {}}}", deep(20_000)),
        ),
    ];
    for (name, text) in &cases {
        let dir = tmp.path().join(format!("deep-{name}"));
        model(&dir);
        std::fs::write(dir.join(name), text).unwrap();
    }
    // Many folders: the overflow used to take down a worker thread and
    // every other folder's result with it.
    for i in 0..8 {
        model(&tmp.path().join(format!("fine-{i}")));
    }
    let (findings, code) = check(tmp.path(), &[".", "--select", "config-invalid"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(findings.join("\n"));
}

#[test]
fn broken_companion_files_are_config_invalid_and_name_the_rule_they_starve() {
    let tmp = tempfile::tempdir().unwrap();
    let lfs = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";
    let cases: [(&str, &str, &str); 7] = [
        (
            "truncated-gen",
            "generation_config.json",
            "{\"eos_token_id\": [1, 2",
        ),
        ("lfs-gen", "generation_config.json", lfs),
        (
            "huge-number-gen",
            "generation_config.json",
            "{\"eos_token_id\": 1e400}",
        ),
        ("truncated-config", "config.json", "{\"eos_token_id\": 2,"),
        ("lfs-tokenizer", "tokenizer.json", lfs),
        (
            "truncated-tokenizer",
            "tokenizer.json",
            "{\"added_tokens\": [{\"id\": 1,",
        ),
        (
            "huge-number-tokenizer",
            "tokenizer.json",
            "{\"model\": {\"vocab\": {\"<x>\": 1e400}}}",
        ),
    ];
    for (dir, name, text) in cases {
        let dir = tmp.path().join(dir);
        model(&dir);
        std::fs::write(dir.join(name), text).unwrap();
    }
    let map = tmp.path().join("truncated-map");
    std::fs::create_dir(&map).unwrap();
    std::fs::write(
        map.join("tokenizer_config.json"),
        r#"{"chat_template": "{{ messages }}"}"#,
    )
    .unwrap();
    std::fs::write(map.join("special_tokens_map.json"), "{\"eos_token\": ").unwrap();
    let (findings, code) = check(
        tmp.path(),
        &[".", "--select", "config-invalid,eos-mismatch,double-bos"],
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!(findings.join("\n"));
}

#[test]
fn a_broken_generation_config_silences_eos_mismatch_instead_of_misjudging() {
    // The closer is `<|im_end|>` (id 2); the generation config says stop on
    // id 1 (`<|im_start|>`). With a
    // readable generation config eos-mismatch fires; with a broken one it
    // says (in config-invalid) that it did not run, and does not guess.
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    model(&good);
    std::fs::write(
        good.join("generation_config.json"),
        r#"{"eos_token_id": 1}"#,
    )
    .unwrap();
    let broken = tmp.path().join("broken");
    model(&broken);
    std::fs::write(
        broken.join("generation_config.json"),
        r#"{"eos_token_id": 1"#,
    )
    .unwrap();
    let (findings, _) = check(
        tmp.path(),
        &[".", "--select", "config-invalid,eos-mismatch"],
    );
    let rules: Vec<&str> = findings
        .iter()
        .map(|f| f.split(": ").take(2).collect::<Vec<_>>().join(" "))
        .map(|s| Box::leak(s.into_boxed_str()) as &str)
        .collect();
    assert_eq!(
        rules,
        [
            "broken/generation_config.json config-invalid",
            "good/tokenizer_config.json eos-mismatch"
        ]
    );
}

#[test]
fn what_the_walk_cannot_enter_is_a_finding_on_that_path() {
    let tmp = tempfile::tempdir().unwrap();
    // A dangling link under a read name; one under another name is not ours.
    let dangling = tmp.path().join("dangling");
    std::fs::create_dir(&dangling).unwrap();
    std::os::unix::fs::symlink("/nonexistent/x", dangling.join("tokenizer_config.json")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/y", dangling.join("README.md")).unwrap();
    // A folder deeper than PATH_MAX (4096 bytes on Linux), made one step
    // at a time by a shell, so its files cannot be opened by path. (Tests
    // run as root, so a folder without permissions would still be entered:
    // this is the walker-error path a permission error takes too.)
    let segment = "d".repeat(200);
    let script = format!(
        "cd long && for i in $(seq 1 25); do mkdir {segment} && cd {segment}; done && echo '{{{{ messages }}}}' > chat_template.jinja"
    );
    std::fs::create_dir(tmp.path().join("long")).unwrap();
    let ok = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(tmp.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let (findings, code) = check(tmp.path(), &[".", "--select", "config-invalid"]);
    assert_eq!(code, 1, "{findings:?}");
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert_eq!(
        findings[0],
        "dangling/tokenizer_config.json: config-invalid: cannot read `dangling/tokenizer_config.json`: a symbolic link to a path that does not exist; nothing in it was checked"
    );
    assert!(findings[1].starts_with("long/ddd"), "{}", findings[1]);
    // (The OS's words vary: "File name too long", "invalid filename".)
    assert!(
        findings[1].ends_with("; nothing in it was checked"),
        "{}",
        findings[1]
    );
}

#[test]
fn a_config_file_that_is_a_fifo_is_an_error_not_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    model(&tmp.path().join("m"));
    mkfifo(&tmp.path().join("chat-template-lint.toml"));
    let out = common::ctl(tmp.path())
        .args(["check", "m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

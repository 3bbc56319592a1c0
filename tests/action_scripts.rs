//! The composite action's shell scripts (.github/action/*.sh), run with stub
//! `curl`, `cargo` and binary: inputs are passed as plain arguments, never
//! evaluated; downloads are verified against the sha256 table; a mismatch is
//! fatal; without a table entry the action builds from source.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, format!("#!/usr/bin/env bash\n{body}\n")).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn bash(script: &Path, envs: &[(&str, &str)], path_prefix: Option<&Path>) -> Output {
    let mut c = Command::new("bash");
    c.arg(script).env_remove("GITHUB_ACTIONS");
    for (k, v) in envs {
        c.env(k, v);
    }
    if let Some(p) = path_prefix {
        c.env(
            "PATH",
            format!("{}:{}", p.display(), std::env::var("PATH").unwrap()),
        );
    }
    c.output().unwrap()
}

#[test]
fn run_passes_inputs_as_plain_arguments() {
    let t = tempfile::tempdir().unwrap();
    let argv = t.path().join("argv");
    let bin = script(
        t.path(),
        "fake-ctl",
        &format!("printf '%s\\n' \"$@\" > {}", argv.display()),
    );
    let out = t.path().join("out");
    let o = bash(
        &repo().join(".github/action/run.sh"),
        &[
            ("CTL_BIN", bin.to_str().unwrap()),
            ("INPUT_PATHS", "models/a  'b c'\n*"),
            ("INPUT_ARGS", "--select $(touch pwned) `id`"),
            ("INPUT_JUNIT", "j u.xml"),
            ("INPUT_SARIF", ""),
            ("INPUT_FAIL_ON", "warning"),
            ("GITHUB_OUTPUT", out.to_str().unwrap()),
        ],
        None,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let args = fs::read_to_string(&argv).unwrap();
    assert_eq!(
        args,
        "check\n--fail-on\nwarning\n--junit\nj u.xml\n--select\n$(touch\npwned)\n`id`\n--\nmodels/a\n'b\nc'\n*\n"
    );
    assert!(!Path::new("pwned").exists());
    assert_eq!(fs::read_to_string(&out).unwrap(), "junit-path=j u.xml\n");

    // A line break in a path could forge another step output: refused.
    let o = bash(
        &repo().join(".github/action/run.sh"),
        &[
            ("CTL_BIN", bin.to_str().unwrap()),
            ("INPUT_JUNIT", "x\nerrors=0"),
            ("GITHUB_OUTPUT", out.to_str().unwrap()),
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(2));
}

/// Lay out the action as the runner does (`_actions/<owner>/<repo>/<ref>`),
/// with the given sha256 table, and stubs for curl (serves `payload`) and cargo.
fn install(table: &str, payload: &str, version: &str) -> (Output, tempfile::TempDir) {
    let t = tempfile::tempdir().unwrap();
    let action = t.path().join("_actions/owner/chat-template-lint/v0.1.0");
    fs::create_dir_all(action.join(".github/action")).unwrap();
    fs::copy(
        repo().join(".github/action/install.sh"),
        action.join(".github/action/install.sh"),
    )
    .unwrap();
    fs::write(action.join(".github/action/sha256sums.txt"), table).unwrap();
    let stubs = t.path().join("stubs");
    fs::create_dir_all(&stubs).unwrap();
    let log = t.path().join("log");
    script(
        &stubs,
        "curl",
        &format!(
            "echo \"curl $*\" >> {log}\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done\nprintf '%s' '{payload}' > \"$out\"",
            log = log.display()
        ),
    );
    script(
        &stubs,
        "cargo",
        &format!("echo \"cargo $*\" >> {}", log.display()),
    );
    let outputs = t.path().join("outputs");
    let tmp = t.path().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    let o = bash(
        &action.join(".github/action/install.sh"),
        &[
            ("GITHUB_ACTION_PATH", action.to_str().unwrap()),
            ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
            ("RUNNER_TEMP", tmp.to_str().unwrap()),
            ("RUNNER_OS_NAME", "Linux"),
            ("RUNNER_ARCH_NAME", "X64"),
            ("INPUT_VERSION", version),
            ("ACTION_REPOSITORY", ""),
            ("ACTION_REF", ""),
        ],
        Some(&stubs),
    );
    (o, t)
}

fn log(t: &tempfile::TempDir) -> String {
    fs::read_to_string(t.path().join("log")).unwrap_or_default()
}

// A well-formed hash that matches none of the payloads used here.
const FAKE_SHA: &str = "38e4e5e1ef4ec8a5b3d38a7f2a0b5e8b4b9c2b8a7b1a5f8d3b2f1c7e6d5a4b3c";

fn sha256_of(s: &str) -> String {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("f");
    fs::write(&p, s).unwrap();
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "sha256sum {0} 2>/dev/null || shasum -a 256 {0}",
            p.display()
        ))
        .output()
        .unwrap();
    String::from_utf8(o.stdout).unwrap()[..64].to_string()
}

#[test]
fn verified_download_is_used() {
    let sum = sha256_of("fake binary");
    let table = format!(
        "# comment\n{FAKE_SHA}  v0.0.9  chat-template-lint-x86_64-unknown-linux-gnu\n{sum}  v0.1.0  chat-template-lint-x86_64-unknown-linux-gnu\n"
    );
    let (o, t) = install(&table, "fake binary", "");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let log = log(&t);
    assert!(
        log.contains("releases/download/v0.1.0/chat-template-lint-x86_64-unknown-linux-gnu"),
        "{log}"
    );
    assert!(
        log.contains("https://github.com/owner/chat-template-lint/"),
        "{log}"
    );
    assert!(!log.contains("cargo"), "{log}");
    let outputs = fs::read_to_string(t.path().join("outputs")).unwrap();
    assert!(outputs.starts_with("bin="), "{outputs}");
    let bin = outputs.trim().strip_prefix("bin=").unwrap();
    assert_eq!(fs::read_to_string(bin).unwrap(), "fake binary");
}

#[test]
fn hash_mismatch_is_fatal() {
    let table = format!("{FAKE_SHA}  v0.1.0  chat-template-lint-x86_64-unknown-linux-gnu\n");
    let (o, t) = install(&table, "tampered binary", "");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("refusing to run it"));
    assert!(!log(&t).contains("cargo"));
    assert!(!t.path().join("outputs").exists());
}

#[test]
fn no_table_entry_builds_from_source() {
    let (o, t) = install("# empty\n", "x", "");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let log = log(&t);
    assert!(!log.contains("curl"), "{log}");
    assert!(log.contains("cargo install --locked"), "{log}");
    assert!(log.contains("--path"), "{log}");
}

#[test]
fn version_input_must_look_like_a_release() {
    let table = format!("{FAKE_SHA}  v0.1.0  chat-template-lint-x86_64-unknown-linux-gnu\n");
    let (o, _t) = install(&table, "x", "v1; rm -rf /");
    assert_eq!(o.status.code(), Some(2));
}

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
    bash_in(script, envs, path_prefix, None)
}

fn bash_in(
    script: &Path,
    envs: &[(&str, &str)],
    path_prefix: Option<&Path>,
    cwd: Option<&Path>,
) -> Output {
    let mut c = Command::new("bash");
    c.arg(script);
    for var in [
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_NAME",
        "GITHUB_BASE_REF",
        "INPUT_BASELINE_REF",
    ] {
        c.env_remove(var);
    }
    for (k, v) in envs {
        c.env(k, v);
    }
    if let Some(p) = path_prefix {
        c.env(
            "PATH",
            format!("{}:{}", p.display(), std::env::var("PATH").unwrap()),
        );
    }
    if let Some(d) = cwd {
        c.current_dir(d);
    }
    c.output().unwrap()
}

/// run.sh in `dir` with a stub binary that records its arguments (one per
/// line) and creates the files named in `$STUB_WRITES`; returns the
/// arguments, the step outputs written and the run.
fn run_sh(dir: &Path, envs: &[(&str, &str)]) -> (String, String, Output) {
    let argv = dir.join("argv");
    let _ = fs::remove_file(&argv);
    let out = dir.join("outputs");
    let _ = fs::remove_file(&out);
    let bin = script(
        dir,
        "fake-ctl",
        &format!(
            "printf '%s\\n' \"$@\" > {}\nfor f in ${{STUB_WRITES:-}}; do : > \"$f\"; done",
            argv.display()
        ),
    );
    let mut all = vec![
        ("CTL_BIN", bin.to_str().unwrap()),
        ("GITHUB_OUTPUT", out.to_str().unwrap()),
    ];
    all.extend_from_slice(envs);
    let o = bash_in(&repo().join(".github/action/run.sh"), &all, None, Some(dir));
    (
        fs::read_to_string(&argv).unwrap_or_default(),
        fs::read_to_string(&out).unwrap_or_default(),
        o,
    )
}

#[test]
fn run_passes_inputs_as_plain_arguments() {
    let t = tempfile::tempdir().unwrap();
    let (args, outputs, o) = run_sh(
        t.path(),
        &[
            ("INPUT_PATHS", "models/a  'b c'\n*"),
            ("INPUT_ARGS", "--select $(touch pwned) `id` ~ $HOME"),
            ("INPUT_JUNIT", "j u.xml"),
            ("INPUT_SARIF", ""),
            ("INPUT_FAIL_ON", "warning"),
            ("STUB_WRITES", "j"),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        args,
        "check\n--fail-on\nwarning\n--junit\nj u.xml\n--select\n$(touch\npwned)\n`id`\n~\n$HOME\n--\nmodels/a\nb c\n*\n"
    );
    assert!(!t.path().join("pwned").exists());
    // The stub wrote `j`, not `j u.xml`: no output for a file that is not there.
    assert_eq!(outputs, "");

    // A line break in a path could forge another step output: refused.
    let (_, _, o) = run_sh(t.path(), &[("INPUT_JUNIT", "x\nerrors=0")]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn args_are_split_like_a_shell_command_line_without_evaluation() {
    let t = tempfile::tempdir().unwrap();
    let (args, _, o) = run_sh(
        t.path(),
        &[(
            "INPUT_ARGS",
            r#"--exclude 'x/**' --exclude "old models/**" --var a=\"b\" --var 'c=$(id)' "d\$e" f\ g"#,
        )],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        args,
        "check\n--exclude\nx/**\n--exclude\nold models/**\n--var\na=\"b\"\n--var\nc=$(id)\nd$e\nf g\n--\n.\n"
    );
}

#[test]
fn an_unclosed_quote_in_args_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    for (input, quote) in [("--exclude 'x/**", "'"), ("--exclude \"x/**", "\"")] {
        let (args, _, o) = run_sh(t.path(), &[("INPUT_ARGS", input)]);
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(args, "", "the tool must not run");
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            format!(
                "::error title=chat-template-lint::the args input has a {quote} quote that is never closed; quote like a shell (--exclude 'x/**' or --exclude \"x/**\"), or write a literal {quote} as \\{quote}\n"
            )
        );
    }
}

#[test]
fn report_paths_are_outputs_only_when_the_files_exist() {
    let t = tempfile::tempdir().unwrap();
    let reports = [("INPUT_JUNIT", "r.xml"), ("INPUT_SARIF", "r.sarif")];
    let (_, outputs, _) = run_sh(t.path(), &reports);
    assert_eq!(outputs, "", "nothing was written, so no paths");
    let mut envs = reports.to_vec();
    envs.push(("STUB_WRITES", "r.xml r.sarif"));
    let (_, outputs, _) = run_sh(t.path(), &envs);
    assert_eq!(outputs, "junit-path=r.xml\nsarif-path=r.sarif\n");
    // The files of the run before are not this run's (a tool that could not
    // run, exit 2, writes none): no outputs, and they are gone.
    let (_, outputs, _) = run_sh(t.path(), &reports);
    assert_eq!(outputs, "", "stale reports are not this run's");
    assert!(!t.path().join("r.xml").exists());
}

#[test]
fn the_tool_exit_code_is_the_step_exit_code() {
    let t = tempfile::tempdir().unwrap();
    let bin = script(t.path(), "fails", "exit 1");
    let o = bash_in(
        &repo().join(".github/action/run.sh"),
        &[
            ("CTL_BIN", bin.to_str().unwrap()),
            ("GITHUB_OUTPUT", t.path().join("o").to_str().unwrap()),
        ],
        None,
        Some(t.path()),
    );
    assert_eq!(o.status.code(), Some(1));
}

/// A git repository with one commit, and `origin/main` when `with_base`.
fn git_repo(with_base: bool) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(t.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "base"]);
    if with_base {
        git(&["update-ref", "refs/remotes/origin/main", "HEAD"]);
    }
    t
}

#[test]
fn baseline_ref_defaults_to_the_pull_request_base() {
    let pr = [
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_BASE_REF", "main"),
    ];
    let t = git_repo(true);
    let (args, _, o) = run_sh(t.path(), &pr);
    assert_eq!(args, "check\n--baseline-ref\norigin/main\n--\n.\n");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "Comparing every template with origin/main (baseline-ref; set baseline-ref: none to turn it off).\n"
    );

    // Not in a pull request, turned off, or a folder baseline: no ref.
    let (args, _, _) = run_sh(t.path(), &[("GITHUB_EVENT_NAME", "push")]);
    assert_eq!(args, "check\n--\n.\n");
    let mut off = pr.to_vec();
    off.push(("INPUT_BASELINE_REF", "none"));
    let (args, _, _) = run_sh(t.path(), &off);
    assert_eq!(args, "check\n--\n.\n");
    let mut folder = pr.to_vec();
    folder.push(("INPUT_BASELINE", "models/base"));
    let (args, _, _) = run_sh(t.path(), &folder);
    assert_eq!(args, "check\n--baseline\nmodels/base\n--\n.\n");

    // Given explicitly: passed as it is, in any event.
    let (args, _, _) = run_sh(t.path(), &[("INPUT_BASELINE_REF", "v1.0")]);
    assert_eq!(args, "check\n--baseline-ref\nv1.0\n--\n.\n");
}

#[test]
fn a_pull_request_base_that_cannot_be_fetched_is_a_warning() {
    // No `origin` to fetch from: drift is not checked, and the log says why.
    let t = git_repo(false);
    let (args, _, o) = run_sh(
        t.path(),
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_BASE_REF", "main"),
        ],
    );
    assert!(o.status.success());
    assert_eq!(args, "check\n--\n.\n");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "Fetching the pull request's base branch for template-drift: git fetch --no-tags --depth=1 origin main\n\
         ::warning title=chat-template-lint::template-drift is not checked: the pull request's base branch is not in this checkout and could not be fetched. Use actions/checkout with fetch-depth: 0, or set baseline-ref: none.\n"
    );
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
    let action = t.path().join("_actions/owner/chat-template-lint/v0.1.0");
    let dest = t.path().join("tmp/chat-template-lint");
    // The build runs in the open (no --quiet): its output is the step log.
    let build = format!(
        "cargo install --locked --path {} --root {}",
        action.display(),
        dest.display()
    );
    assert_eq!(log(&t), format!("{build}\n"));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "::notice title=chat-template-lint::No release is listed in the action's .github/action/sha256sums.txt yet, so the action builds chat-template-lint from its own source (cargo install --locked; a few minutes). Pin a release tag (see the README) for a verified binary.\n{build}\n"
        )
    );
}

#[test]
fn a_release_without_this_runner_s_binary_says_so_and_builds() {
    let table = format!("{FAKE_SHA}  v0.1.0  chat-template-lint-aarch64-apple-darwin\n");
    let (o, t) = install(&table, "x", "");
    assert!(o.status.success());
    assert!(log(&t).starts_with("cargo install --locked --path "));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with(
        "::notice title=chat-template-lint::The action's sha256 table lists no x86_64-unknown-linux-gnu binary of v0.1.0, so the action builds"
    ));
}

/// release-table.sh in a scratch repository holding `table` and a Cargo.toml
/// at version 0.1.0.
fn release_table(args: &[&str], table: &str, sums: &str) -> (Output, String) {
    let t = tempfile::tempdir().unwrap();
    fs::create_dir_all(t.path().join(".github/action")).unwrap();
    fs::write(t.path().join(".github/action/sha256sums.txt"), table).unwrap();
    fs::write(
        t.path().join("Cargo.toml"),
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    fs::write(t.path().join("SUMS"), sums).unwrap();
    let o = Command::new("bash")
        .arg(repo().join(".github/action/release-table.sh"))
        .args(args)
        .current_dir(t.path())
        .output()
        .unwrap();
    let table = fs::read_to_string(t.path().join(".github/action/sha256sums.txt")).unwrap();
    (o, table)
}

#[test]
fn the_release_fills_the_action_table() {
    let a = sha256_of("fake binary");
    let b = "b".repeat(64);
    let sums = format!(
        "{a}  chat-template-lint-x86_64-unknown-linux-gnu\n{b} *chat-template-lint-x86_64-pc-windows-msvc.exe\n"
    );
    let old = format!("# header\n{FAKE_SHA}  v0.1.0  chat-template-lint-old\n{FAKE_SHA}  v0.0.9  chat-template-lint-x86_64-unknown-linux-gnu\n");
    let (o, table) = release_table(&["add", "v0.1.0", "SUMS"], &old, &sums);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        table,
        format!("# header\n{FAKE_SHA}  v0.0.9  chat-template-lint-x86_64-unknown-linux-gnu\n{a}  v0.1.0  chat-template-lint-x86_64-unknown-linux-gnu\n{b}  v0.1.0  chat-template-lint-x86_64-pc-windows-msvc.exe\n")
    );
    // The lines install.sh reads are the ones written.
    let (o, t) = install(&table, "fake binary", "v0.1.0");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(
        log(&t).contains("releases/download/v0.1.0/chat-template-lint-x86_64-unknown-linux-gnu")
    );

    let (o, unchanged) = release_table(&["add", "v0.1.0", "SUMS"], &old, "not a sum line\n");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(unchanged, old);
}

#[test]
fn release_tags_follow_the_policy() {
    let run = |args: &[&str]| {
        let (o, _) = release_table(args, "", "");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    assert_eq!(run(&["check", "v0.1.0"]), (Some(0), String::new()));
    assert_eq!(run(&["check", "v0.2.0"]).0, Some(1));
    assert_eq!(run(&["check", "0.1.0"]).0, Some(2));
    assert_eq!(run(&["moving-tag", "v0.1.3"]), (Some(0), "v0.1\n".into()));
    assert_eq!(run(&["moving-tag", "v1.4.0"]), (Some(0), "v1\n".into()));
    assert_eq!(
        run(&["moving-tag", "v1.4.0-rc.1"]),
        (Some(0), String::new())
    );
}

#[test]
fn version_input_must_look_like_a_release() {
    let table = format!("{FAKE_SHA}  v0.1.0  chat-template-lint-x86_64-unknown-linux-gnu\n");
    let (o, _t) = install(&table, "x", "v1; rm -rf /");
    assert_eq!(o.status.code(), Some(2));
}

//! The config file: discovery from the scanned folder upward, strict parsing
//! with line:col errors, every key, and command-line flags overriding it.
//! Fixtures: tests/fixtures/ci/config/ (broken tokenizer_config.json files
//! give one `config-invalid` finding per folder).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use chat_template_lint::capabilities::Capability;
use chat_template_lint::config;
use chat_template_lint::finding::Severity;
use chat_template_lint::rules::Rule;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ci/config")
        .join(name)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    common::ctl(dir)
        .arg("check")
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap()
}

fn findings(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn severity_and_per_path_ignores_apply() {
    let o = run(&fixture("basic"), &[]);
    let f = findings(&o);
    assert_eq!(f.len(), 1, "models/b is ignored: {f:?}");
    assert_eq!(f[0]["path"], "models/a/tokenizer_config.json");
    assert_eq!(f[0]["severity"], "warning");
    // A warning does not fail under fail-on = "error".
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn per_path_ignores_are_relative_to_the_config_folder() {
    // Scanning from models/: findings are relative to models/, the glob to the config's folder.
    let o = run(&fixture("basic").join("models"), &[]);
    let f = findings(&o);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["path"], "a/tokenizer_config.json");
}

#[test]
fn command_line_flags_override_the_file() {
    let o = run(&fixture("basic"), &["--fail-on", "warning"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&fixture("basic"), &["--ignore", "template-missing"]);
    assert_eq!(findings(&o).len(), 1);
    let o = run(&fixture("py-upward"), &["--fail-on", "error"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn pyproject_is_found_from_the_scanned_folder_upward() {
    let root = fixture("py-upward");
    let o = run(&root, &["models/deep"]);
    assert_eq!(findings(&o).len(), 1);
    assert_eq!(o.status.code(), Some(0), "fail-on = never from pyproject");
    let cfg = config::discover(&root.join("models/deep/m"))
        .unwrap()
        .unwrap();
    assert!(cfg.path.ends_with("py-upward/pyproject.toml"));
}

#[test]
fn pyproject_without_our_table_is_skipped() {
    let cfg = config::discover(&fixture("py-no-table").join("m")).unwrap();
    assert!(cfg
        .as_ref()
        .is_none_or(|c| !c.path.starts_with(fixture("py-no-table"))));
    let o = run(&fixture("py-no-table"), &[]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn standalone_file_wins_over_pyproject_in_the_same_folder() {
    let cfg = config::discover(&fixture("both")).unwrap().unwrap();
    assert!(cfg.path.ends_with("chat-template-lint.toml"));
    assert_eq!(cfg.ignore, Some(vec![Rule::ConfigInvalid]));
    let o = run(&fixture("both"), &[]);
    assert_eq!(findings(&o).len(), 0);
    // --config picks the other one.
    let o = run(&fixture("both"), &["--config", "pyproject.toml"]);
    assert_eq!(findings(&o).len(), 1);
    assert_eq!(o.status.code(), Some(0));
    // --no-config ignores both.
    let o = run(&fixture("both"), &["--no-config"]);
    assert_eq!(o.status.code(), Some(1));
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unknown_rule_ids_fail_with_line_and_column() {
    let o = run(&fixture("bad-rule"), &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("chat-template-lint.toml:2:3: unknown rule `generation-prompt-missng`"),
        "{e}"
    );
    let err = config::load(&fixture("bad-rule").join("chat-template-lint.toml")).unwrap_err();
    assert_eq!((err.line, err.column), (2, 3));
}

#[test]
fn unknown_severity_fails_with_line_and_column() {
    let err = config::load(&fixture("bad-severity").join("chat-template-lint.toml")).unwrap_err();
    assert_eq!((err.line, err.column), (2, 19), "{err}");
    assert!(err.message.contains("`fatal`"));
}

fn load_str(text: &str) -> Result<config::Config, config::ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("chat-template-lint.toml");
    std::fs::write(&p, text).unwrap();
    config::load(&p)
}

#[test]
fn unknown_keys_and_bad_values_are_errors_with_positions() {
    let e = load_str("fail-on = \"error\"\nselcet = []\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 1), "{e}");
    assert!(e.message.contains("unknown field `selcet`"), "{e}");
    let e = load_str("fail-on = \"sometimes\"\n").unwrap_err();
    assert_eq!(e.line, 1, "{e}");
    let e = load_str("[per-path-ignores]\n\"a/**\" = [\"nope\"]\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 11), "{e}");
    let e = load_str("[per-path-ignores]\n\"a/[\" = [\"double-bos\"]\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 1), "{e}");
    let e = load_str("[severity]\nno-such-rule = \"error\"\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 1), "{e}");
    let e = load_str("select = [\n").unwrap_err();
    assert!(e.line >= 1);
}

#[test]
fn every_key_is_read() {
    let c = load_str(
        r#"
select = ["template-syntax", "double-bos"]
ignore = ["template-missing"]
include = ["**/ckpt-*"]
exclude = ["**/old/**"]
baseline = "base-model"
fail-on = "warning"
require = ["tools", "system"]

[severity]
double-bos = "error"

[per-path-ignores]
"legacy/**" = ["template-render"]
"#,
    )
    .unwrap();
    assert_eq!(c.select, Some(vec![Rule::TemplateSyntax, Rule::DoubleBos]));
    assert_eq!(c.ignore, Some(vec![Rule::TemplateMissing]));
    assert_eq!(c.include, Some(vec!["**/ckpt-*".to_string()]));
    assert_eq!(c.exclude, Some(vec!["**/old/**".to_string()]));
    assert_eq!(c.baseline.as_deref(), Some("base-model"));
    assert!(c.baseline_path().unwrap().ends_with("base-model"));
    assert_eq!(
        c.fail_on,
        Some(chat_template_lint::resolve::FailOn::Warning)
    );
    assert_eq!(c.require, Some(vec![Capability::Tools, Capability::System]));
    assert_eq!(c.severity.get(&Rule::DoubleBos), Some(&Severity::Error));
    assert_eq!(c.per_path_ignores.len(), 1);
    let ignores = c.path_ignores(c.dir());
    assert!(ignores[0].matches("legacy/x/chat_template.jinja"));
    assert!(!ignores[0].matches("new/chat_template.jinja"));
}

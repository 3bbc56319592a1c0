//! SARIF 2.1.0: validated against the official OASIS JSON schema, offline.
//!
//! The schema is not vendored here (OASIS publishes it under its own terms,
//! not an open-source licence). It comes from the `serde-sarif` dev-dependency,
//! whose crate on crates.io ships an unmodified copy as `src/schema.json`;
//! cargo has it on disk once dependencies are fetched, so nothing is
//! downloaded while the tests run (found in cargo's registry, or via
//! `cargo metadata --offline`).

#![allow(clippy::unwrap_used)]

mod common;

use chat_template_lint::report::{sarif, write_sarif};
use chat_template_lint::resolve::Report;
use common::sarif_schema::{schema_path, validate, validator};
use common::*;
use serde_json::Value;

fn log_of(report: &Report) -> Value {
    let mut buf = Vec::new();
    write_sarif(report, &mut buf).unwrap();
    serde_json::from_slice(&buf).unwrap()
}

#[test]
fn hostile_report_is_valid_sarif() {
    let log = log_of(&hostile_report());
    validate(&log);
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), chat_template_lint::rules::Rule::ALL.len());
    for r in rules {
        assert!(!r["help"]["text"].as_str().unwrap().is_empty(), "{r}");
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let first = &results[0];
    assert_eq!(first["ruleId"], "template-syntax");
    assert_eq!(first["level"], "error");
    let idx = first["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[idx]["id"], "template-syntax");
    let loc = &first["locations"][0]["physicalLocation"];
    assert_eq!(loc["region"]["startLine"], 3);
    assert_eq!(loc["region"]["startColumn"], 3);
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "m%2525%20%2Cx%3Ay/%3A%3Aerror%3A%3Adir/tokenizer_config.json"
    );
    assert!(first["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("bad: 50% ok"));
    // File-level findings point at line 1; info is a note.
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(results[2]["level"], "note");
}

#[test]
fn validation_catches_a_broken_log() {
    // The check itself can fail: a result without a message is not SARIF.
    let mut log = log_of(&hostile_report());
    log["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path()).unwrap()).unwrap();
    assert!(!validator(&schema).is_valid(&log));
}

#[test]
fn empty_run_is_valid() {
    let mut r = hostile_report();
    r.findings.clear();
    validate(&log_of(&r));
}

#[test]
fn uri_encoding_keeps_paths_whole() {
    assert_eq!(sarif::uri_path("a b/é#?.json"), "a%20b/%C3%A9%23%3F.json");
    assert_eq!(
        sarif::uri_path("models/x_1-2.~/t.jinja"),
        "models/x_1-2.~/t.jinja"
    );
}

#[test]
fn the_binary_writes_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("tokenizer_config.json"), "{").unwrap();
    let out = dir.path().join("out.sarif");
    let o = ctl(dir.path())
        .args(["check", "--no-config", "--format", "json", "--sarif"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    validate(&log);
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "config-invalid");
}

#[test]
fn files_outside_the_root_get_file_uris() {
    let mut r = hostile_report();
    r.findings.truncate(1);
    r.findings[0].path = "/abs/a b/tokenizer_config.json".into();
    r.findings[0].span = None;
    let log = log_of(&r);
    validate(&log);
    let loc = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc["uri"], "file:///abs/a%20b/tokenizer_config.json");
    assert!(loc.get("uriBaseId").is_none());
    r.findings[0].path = "C:/m/x.jinja".into();
    let log = log_of(&r);
    validate(&log);
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "file:///C:/m/x.jinja"
    );
}

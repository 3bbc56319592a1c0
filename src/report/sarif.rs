//! `--sarif FILE`: a SARIF 2.1.0 log for GitHub code scanning.
//!
//! One run; the driver lists every rule that ran with its docs (`RuleDocs`,
//! the same text as `explain`) as help; each finding is a result with
//! `ruleId`, `ruleIndex`, `level`, `message` and one physical location
//! (an `artifactLocation` relative to `%SRCROOT%`, and a `region`). File-level
//! findings point at line 1, since code scanning wants a line for every alert.

use std::io::Write;

use anyhow::Result;
use serde_json::{json, Value};

use super::position;
use crate::finding::{Finding, Severity};
use crate::resolve::Report;
use crate::rules::Rule;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A relative path as a URI reference: each byte outside RFC 3986's
/// unreserved set (and `/`) percent-encoded, so `%`, `:`, `#`, spaces and
/// non-ASCII names stay one path.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a file is: relative to `%SRCROOT%` (the scan root), or, for a file
/// outside the root (reported with an absolute path), a `file://` URI.
fn artifact_location(path: &str) -> Value {
    let b = path.as_bytes();
    // Both bytes ASCII, so slicing at 1 and 2 below is on char boundaries.
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    if path.starts_with('/') {
        json!({ "uri": format!("file://{}", uri_path(path)) })
    } else if drive {
        // `C:/x` keeps its colon: `file:///C:/x`.
        json!({ "uri": format!("file:///{}:{}", &path[..1], uri_path(&path[2..])) })
    } else {
        json!({ "uri": uri_path(path), "uriBaseId": "%SRCROOT%" })
    }
}

/// `generation-prompt-missing` → `GenerationPromptMissing` (SARIF `name`).
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn rule_descriptor(rule: Rule) -> Value {
    let d = rule.docs();
    let full = [d.what_it_does, d.why_bad]
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut help = String::new();
    for (title, body) in [
        ("What it does", d.what_it_does),
        ("Why is this bad?", d.why_bad),
        ("Example", d.example),
        ("How to fix", d.how_to_fix),
    ] {
        if !body.trim().is_empty() {
            help.push_str(&format!("{title}\n{}\n\n", body.trim()));
        }
    }
    if help.is_empty() {
        help = d.summary.to_string();
    }
    json!({
        "id": rule.id(),
        "name": pascal(rule.id()),
        "shortDescription": { "text": d.summary },
        "fullDescription": { "text": if full.is_empty() { d.summary.to_string() } else { full } },
        "help": { "text": help.trim_end(), "markdown": rule.explain() },
        "defaultConfiguration": { "level": level(rule.default_severity()) },
        "properties": { "tags": ["chat-template"] },
    })
}

fn result(report: &Report, f: &Finding, rule_index: usize) -> Value {
    let region = match position(report, f) {
        Some(p) => json!({
            "startLine": p.line,
            "startColumn": p.column,
            "endLine": p.end_line,
            "endColumn": if p.end_line == p.line { p.end_column.max(p.column + 1) } else { p.end_column },
        }),
        None => json!({ "startLine": 1 }),
    };
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    let mut props = serde_json::Map::new();
    if let Some(t) = &f.template {
        props.insert("template".into(), json!(t));
    }
    if let Some(p) = &f.probe {
        props.insert("probe".into(), json!(p));
    }
    json!({
        "ruleId": f.rule.id(),
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact_location(&f.path),
                "region": region,
            }
        }],
        "properties": props,
    })
}

/// The SARIF log as a JSON value.
pub fn log(report: &Report) -> Value {
    // Every rule that ran, plus any rule a finding names (never a dangling ruleIndex).
    let mut rules: Vec<Rule> = report.rules.clone();
    for f in &report.findings {
        if !rules.contains(&f.rule) {
            rules.push(f.rule);
        }
    }
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let idx = rules.iter().position(|r| *r == f.rule).unwrap_or(0);
            result(report, f, idx)
        })
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "chat-template-lint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://crates.io/crates/chat-template-lint",
                    "rules": rules.iter().map(|r| rule_descriptor(*r)).collect::<Vec<_>>(),
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report))?;
    writeln!(out)?;
    Ok(())
}

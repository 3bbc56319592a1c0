//! `--format json`: a JSON array of findings, each exactly
//! `{"rule", "severity", "path", "line", "column", "message", "template",
//! "help", "probe"}` (issue 2 §4; `line`/`column` are 1-based, null for
//! file-level findings; `help` and `probe` were added for the Python API's
//! `Finding`, issue 14, and are null when a finding has none).
//!
//! With `--capabilities` the array also holds, after the findings, one entry
//! per template in the same shape with `"rule": "capabilities"`, severity
//! `info`, and a `"capabilities"` array of ids (see `crate::capabilities`).
//! It is opt-in so that a clean run stays `[]` for scripts that count entries.
//!
//! Under GitHub Actions the JSON text is made command-safe without changing
//! its value: hidden characters and the `[` of `##[` are written as `\uXXXX`
//! escapes, which any JSON parser reads back as the same string.

use std::io::Write;

use anyhow::Result;
use serde_json::{json, Value};

use super::guard::is_hidden;
use super::position;
use crate::capabilities::Capability;
use crate::resolve::{CheckedTemplate, Report};

/// The findings as JSON values (shared with tests).
pub fn findings(report: &Report) -> Value {
    Value::Array(
        report
            .findings
            .iter()
            .map(|f| {
                let pos = position(report, f);
                json!({
                    "rule": f.rule.id(),
                    "severity": f.severity.as_str(),
                    "path": f.path,
                    "line": pos.as_ref().map(|p| p.line),
                    "column": pos.as_ref().map(|p| p.column),
                    "message": f.message,
                    "template": f.template,
                    "help": f.help,
                    "probe": f.probe,
                })
            })
            .collect(),
    )
}

/// Every template checked, each with `supports …; lacks …` — for
/// `--capabilities` in JSON and text. A template with none (one that does
/// not parse, or never prints the messages) is listed too, as `supports
/// nothing`: a list that leaves templates out reads as "all is well".
pub fn capability_lines(report: &Report) -> Vec<(&CheckedTemplate, String)> {
    let mut lines = Vec::new();
    for t in report.models.iter().flat_map(|m| &m.templates) {
        let lacks: Vec<&str> = Capability::ALL
            .into_iter()
            .filter(|c| !t.capabilities.contains(c))
            .map(Capability::id)
            .collect();
        let mut message = if t.capabilities.is_empty() {
            "supports nothing".to_string()
        } else {
            format!("supports {}", ids(&t.capabilities))
        };
        if !lacks.is_empty() {
            message.push_str(&format!("; lacks {}", lacks.join(", ")));
        }
        lines.push((t, message));
    }
    lines
}

/// Capability ids, comma-separated (`system, tools`).
pub fn ids(capabilities: &[Capability]) -> String {
    let ids: Vec<&str> = capabilities.iter().map(|c| c.id()).collect();
    ids.join(", ")
}

/// One `info` entry per template that compiled: what it supports and lacks.
pub fn capabilities(report: &Report) -> Vec<Value> {
    let mut entries = Vec::new();
    for (t, message) in capability_lines(report) {
        entries.push(json!({
            "rule": "capabilities",
            "severity": "info",
            "path": t.path,
            "line": t.line,
            "column": null,
            "message": message,
            "template": t.name,
            "help": null,
            "probe": null,
            "capabilities": t.capabilities,
        }));
    }
    entries
}

pub(super) fn write(
    report: &Report,
    with_capabilities: bool,
    guard: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let mut value = findings(report);
    if with_capabilities {
        if let Value::Array(items) = &mut value {
            items.extend(capabilities(report));
        }
    }
    write_value(&value, guard, out)
}

/// A JSON value, pretty-printed, made command-safe when `guard`.
pub(super) fn write_value(value: &Value, guard: bool, out: &mut dyn Write) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    let text = if guard { command_safe(&text) } else { text };
    out.write_all(text.as_bytes())?;
    writeln!(out)?;
    Ok(())
}

/// Re-escape serialized JSON so no line can be read as a workflow command.
/// Hidden characters only occur inside strings, as does `#`, so `\uXXXX`
/// escapes are always valid where they are put.
pub fn command_safe(json_text: &str) -> String {
    let mut out = String::with_capacity(json_text.len());
    let mut hashes = 0;
    for c in json_text.chars() {
        if c == '[' && hashes >= 2 {
            out.push_str("\\u005b");
        } else if is_hidden(c) && !matches!(c, '\n') {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
        hashes = if c == '#' { hashes + 1 } else { 0 };
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn command_safe_keeps_the_value() {
        let v = json!({"m": "a ##[group] b \u{200B} \u{E0041}"});
        let safe = command_safe(&serde_json::to_string_pretty(&v).unwrap());
        assert!(!safe.contains("##["));
        assert!(!safe.contains('\u{200B}'));
        let back: Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, v);
    }
}

//! `--format json`: a JSON array of findings.

use std::io::Write;

use anyhow::Result;
use serde_json::{json, Value};

use super::position;
use crate::resolve::Report;

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    let items: Vec<Value> = report
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
                "end_line": pos.as_ref().map(|p| p.end_line),
                "end_column": pos.as_ref().map(|p| p.end_column),
                "message": f.message,
                "help": f.help,
                "template": f.template,
                "probe": f.probe,
                "detail": f.detail,
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)?;
    Ok(())
}

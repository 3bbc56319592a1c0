//! `--statistics`: the number of findings per rule instead of the findings,
//! most frequent first, the way ruff's `--statistics` prints them (Flake8's
//! format: count, code and name separated by tabs, the columns padded), or
//! a JSON array under `--output-format json`.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde_json::json;

use crate::finding::Severity;
use crate::resolve::Report;
use crate::rule::Rule;

/// (rule, count, the highest severity among its findings), most frequent
/// first, then by rule id.
fn counts(report: &Report) -> Vec<(Rule, usize, Severity)> {
    let mut by_rule: BTreeMap<&str, (Rule, usize, Severity)> = BTreeMap::new();
    for f in &report.findings {
        let e = by_rule
            .entry(f.rule.id())
            .or_insert((f.rule, 0, f.severity));
        e.1 += 1;
        e.2 = e.2.max(f.severity);
    }
    let mut rows: Vec<_> = by_rule.into_values().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.id().cmp(b.0.id())));
    rows
}

/// `3<TAB>generation-prompt-missing<TAB>error`, one line per rule that reported.
pub(super) fn write_text(report: &Report, out: &mut dyn Write) -> Result<()> {
    let rows = counts(report);
    let count_width = rows
        .iter()
        .map(|r| r.1.to_string().len())
        .max()
        .unwrap_or(1);
    let id_width = rows.iter().map(|r| r.0.id().len()).max().unwrap_or(0);
    for (rule, count, severity) in rows {
        writeln!(
            out,
            "{count:>count_width$}\t{:<id_width$}\t{}",
            rule.id(),
            severity.as_str()
        )?;
    }
    Ok(())
}

/// `[{"rule": …, "count": …, "severity": …}]`.
pub(super) fn json(report: &Report) -> serde_json::Value {
    counts(report)
        .into_iter()
        .map(|(rule, count, severity)| {
            json!({"rule": rule.id(), "count": count, "severity": severity.as_str()})
        })
        .collect()
}

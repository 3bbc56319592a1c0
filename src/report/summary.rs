//! The GitHub job summary (`$GITHUB_STEP_SUMMARY`, appended to): verdict,
//! counts per rule, a table of findings and a line per model folder.
//!
//! Template text is untrusted Markdown/HTML: every cell goes through `cell`,
//! which escapes HTML, Markdown punctuation, pipes, backticks and line breaks
//! and breaks bare URLs. GitHub rejects a step summary over 1 MiB, so the
//! findings table stops at `budget` bytes with a note saying what was left out.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use anyhow::Result;

use super::{position, text::summary_line};
use crate::finding::Severity;
use crate::resolve::Report;

/// GitHub's limit for one step's summary.
pub const GITHUB_LIMIT: usize = 1024 * 1024;
/// What we allow ourselves by default: well below the limit.
pub const DEFAULT_BUDGET: usize = 256 * 1024;
/// The longest message shown in one table cell (characters).
const MAX_CELL: usize = 300;

/// Escape untrusted text for one Markdown table cell (or inline text).
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut count = 0;
    for c in s.chars() {
        count += 1;
        if count > MAX_CELL {
            out.push('…');
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '~' | '$' | '@' | ':' => {
                // `:` too: it stops bare URLs (`https://…`) from becoming links.
                out.push_str(&format!("&#{};", c as u32));
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A message for a cell: its `code` spans (our messages put concrete values
/// in backticks) become `<code>` elements; every piece is escaped by `cell`.
pub fn message_cell(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    if parts.len() < 3 || parts.len() % 2 == 0 {
        // No spans, or unbalanced backticks: plain escaped text.
        return cell(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", cell(p))
            } else {
                cell(p)
            }
        })
        .collect()
}

fn icon(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "❌ error",
        Severity::Warning => "⚠️ warning",
        Severity::Info => "ℹ️ info",
    }
}

/// Build the summary within `budget` bytes (the findings table is cut first).
pub fn markdown(report: &Report, budget: usize, links: &[String]) -> String {
    let mut md = String::new();
    let verdict = if report.failed() {
        "❌ failed"
    } else if report.findings.is_empty() {
        "✅ passed"
    } else {
        "✅ passed (with findings)"
    };
    md.push_str(&format!("## chat-template-lint: {verdict}\n\n"));
    md.push_str(&format!("{}\n\n", cell(&summary_line(report))));

    if !report.findings.is_empty() {
        let mut per_rule: BTreeMap<_, (usize, Severity)> = BTreeMap::new();
        for f in &report.findings {
            let e = per_rule.entry(f.rule).or_insert((0, f.severity));
            e.0 += 1;
            e.1 = e.1.max(f.severity);
        }
        md.push_str("| rule | severity | findings |\n|---|---|---:|\n");
        for (rule, (n, sev)) in &per_rule {
            md.push_str(&format!("| `{}` | {} | {n} |\n", rule.id(), icon(*sev)));
        }
        md.push('\n');
    }

    // The folders (short) go before the table so truncation never hides them.
    let mut folders = String::from("### Model folders\n\n");
    // Findings under each folder (nested folders count in their parents too).
    let owners = super::owners::Owners::new(&report.models);
    let mut under: HashMap<&str, usize> = HashMap::new();
    for f in &report.findings {
        for m in owners.containing(&f.path) {
            *under.entry(report.models[m].rel_dir.as_str()).or_default() += 1;
        }
    }
    for m in &report.models {
        let n = under.get(m.rel_dir.as_str()).copied().unwrap_or(0);
        let names: Vec<String> = m
            .templates
            .iter()
            .map(|t| format!("<code>{}</code>", cell(&t.name)))
            .collect();
        let mut line = format!(
            "- <code>{}</code>: {} template{}",
            cell(&m.rel_dir),
            m.templates.len(),
            if m.templates.len() == 1 { "" } else { "s" }
        );
        if !names.is_empty() {
            line.push_str(&format!(" ({})", names.join(", ")));
        }
        line.push_str(&format!(", {n} finding{}", if n == 1 { "" } else { "s" }));
        let caps: Vec<String> = m
            .templates
            .iter()
            .filter(|t| !t.capabilities.is_empty())
            .map(|t| {
                format!(
                    "{}: {}",
                    cell(&t.name),
                    cell(&super::json::ids(&t.capabilities))
                )
            })
            .collect();
        if !caps.is_empty() {
            line.push_str(&format!("; capabilities — {}", caps.join("; ")));
        }
        line.push('\n');
        folders.push_str(&line);
    }
    folders.push('\n');

    let mut tail = String::new();
    if !links.is_empty() {
        tail.push_str(&format!("Full results: {}.\n", links.join(", ")));
    }

    let mut table = String::new();
    if !report.findings.is_empty() {
        table.push_str("### Findings\n\n| | location | rule | message |\n|---|---|---|---|\n");
        let fixed = md.len() + folders.len() + tail.len() + 200;
        let mut shown = 0;
        for f in &report.findings {
            let loc = match position(report, f) {
                Some(p) => format!("{}:{}:{}", f.path, p.line, p.column),
                None => f.path.clone(),
            };
            let mut msg = f.message.clone();
            if let Some(t) = f.template.as_deref().filter(|t| *t != "default") {
                msg.push_str(&format!(" (template {t})"));
            }
            let row = format!(
                "| {} | <code>{}</code> | `{}` | {} |\n",
                icon(f.severity),
                cell(&loc),
                f.rule.id(),
                message_cell(&msg)
            );
            if fixed + table.len() + row.len() > budget {
                break;
            }
            table.push_str(&row);
            shown += 1;
        }
        let left = report.findings.len() - shown;
        if left > 0 {
            table.push_str(&format!(
                "\n_{left} more finding{} not shown: the summary is kept under GitHub's 1 MiB limit._\n",
                if left == 1 { "" } else { "s" }
            ));
        }
        table.push('\n');
    }
    md.push_str(&folders);
    md.push_str(&table);
    md.push_str(&tail);
    md
}

/// Append the summary to `out`, given how many bytes the file already holds.
pub(super) fn write(
    report: &Report,
    existing: usize,
    links: &[String],
    out: &mut dyn Write,
) -> Result<()> {
    let room = GITHUB_LIMIT.saturating_sub(existing).saturating_sub(4096);
    let budget = DEFAULT_BUDGET.min(room);
    out.write_all(markdown(report, budget, links).as_bytes())?;
    Ok(())
}

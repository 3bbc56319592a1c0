//! `--format github`: GitHub Actions annotations (workflow commands), then the
//! full human-readable report in a collapsed group.
//!
//! `::error|warning|notice file=…,line=…,endLine=…,col=…,endColumn=…,title=…::message`.
//! Escaping is the inverse of the runner's `ActionCommand.UnescapeData` /
//! `UnescapeProperty` (actions/runner, src/Runner.Common/ActionCommand.cs):
//! data `%`→`%25`, CR→`%0D`, LF→`%0A`; property values also `:`→`%3A`,
//! `,`→`%2C` — `%` first, because the runner unescapes `%25` last.
//!
//! GitHub keeps at most 10 annotations per level per step (50 per job) and
//! drops the rest silently, so the most important come first, each level is
//! capped, and one notice says how many more exist and where to find them.

use std::io::Write;

use anyhow::Result;

use super::guard::{self, Out};
use super::{position, text, Sinks};
use crate::finding::{Finding, Severity};
use crate::resolve::Report;

/// Annotations GitHub shows per level per step.
pub const PER_LEVEL: usize = 10;

/// Escape a message (the data part of a command).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Untrusted text as it may appear inside a command (see `guard::inline`).
fn clean(s: &str) -> String {
    guard::inline(s)
}

fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// One annotation line for `f`.
pub fn annotation(report: &Report, f: &Finding) -> String {
    let mut props = vec![format!("file={}", escape_property(&clean(&f.path)))];
    if let Some(p) = position(report, f) {
        props.push(format!("line={}", p.line));
        props.push(format!("endLine={}", p.end_line));
        // Columns only mean something on a single-line span.
        if p.line == p.end_line {
            props.push(format!("col={}", p.column));
            props.push(format!("endColumn={}", p.end_column.max(p.column)));
        }
    }
    let mut title = f.rule.id().to_string();
    if let Some(t) = f.template.as_deref().filter(|t| *t != "default") {
        title.push_str(&format!(" (template {t})"));
    }
    props.push(format!("title={}", escape_property(&clean(&title))));
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {}::{}",
        level(f.severity),
        props.join(","),
        escape_data(&clean(&message))
    )
}

/// The findings that get annotations, most important first: errors, then
/// warnings, then notices; within a level, in rule order (the registry lists
/// the most consequential rules first), then by place.
fn ranked(report: &Report) -> Vec<&Finding> {
    let mut all: Vec<&Finding> = report.findings.iter().collect();
    all.sort_by(|a, b| {
        let key = |f: &Finding| (std::cmp::Reverse(f.severity), f.rule);
        key(a)
            .cmp(&key(b))
            .then_with(|| (&a.path, a.span).cmp(&(&b.path, b.span)))
    });
    all
}

pub(super) fn write(report: &Report, sinks: &Sinks, out: &mut Out<'_>) -> Result<()> {
    let ranked = ranked(report);
    let total = ranked.len();
    let mut shown = 0;
    let mut overflow = false;
    for sev in [Severity::Error, Severity::Warning, Severity::Info] {
        let of_level: Vec<&&Finding> = ranked.iter().filter(|f| f.severity == sev).collect();
        let mut cap = PER_LEVEL;
        if sev == Severity::Info && (overflow || of_level.len() > PER_LEVEL) {
            // Leave room for our own closing notice.
            cap -= 1;
        }
        if of_level.len() > cap {
            overflow = true;
        }
        for f in of_level.into_iter().take(cap) {
            out.command(&annotation(report, f))?;
            shown += 1;
        }
    }
    if shown < total {
        let mut where_ = Vec::new();
        if sinks.step_summary.is_some() {
            where_.push("the job summary".to_string());
        }
        if let Some(p) = &sinks.junit {
            where_.push(format!("JUnit `{}`", p.display()));
        }
        if let Some(p) = &sinks.sarif {
            where_.push(format!("SARIF `{}`", p.display()));
        }
        where_.push("the full report in this step's log".to_string());
        let msg = format!(
            "{} more finding{} not shown as annotations (GitHub shows at most {PER_LEVEL} per level per step); all {total} are in {}.",
            total - shown,
            if total - shown == 1 { " is" } else { "s are" },
            where_.join(", ")
        );
        out.command(&format!(
            "::notice title={}::{}",
            escape_property("chat-template-lint"),
            escape_data(&clean(&msg))
        ))?;
    }
    // The readable report, folded; guarded line by line by `Out`.
    out.command("::group::chat-template-lint report")?;
    if sinks.statistics {
        super::statistics::write_text(report, out)?;
    } else {
        let style = text::Style {
            color: false,
            capabilities: sinks.capabilities,
            quiet: false,
        };
        text::write(report, style, out)?;
    }
    out.flush()?;
    out.command("::endgroup::")?;
    Ok(())
}

/// A tool failure (exit 2) as an annotation, e.g. a bad config file.
pub fn failure(message: &str, file: Option<(&str, usize, usize)>) -> String {
    let mut props = Vec::new();
    if let Some((path, line, col)) = file {
        props.push(format!("file={}", escape_property(&clean(path))));
        props.push(format!("line={line}"));
        props.push(format!("col={col}"));
    }
    props.push(format!("title={}", escape_property("chat-template-lint")));
    format!(
        "::error {}::{}",
        props.join(","),
        escape_data(&clean(message))
    )
}

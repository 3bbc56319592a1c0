//! Human-readable output: `path:line:col: severity[rule-id] message`, a
//! short code frame, the fix hint, and a summary line (`full`, identical
//! findings of many folders grouped); or one line per finding (`concise`).

use std::io::Write;

use anyhow::Result;

use super::{location, position, Position};
use crate::finding::{Finding, Severity};
use crate::resolve::Report;

/// How the text report is shaped.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Style {
    pub color: bool,
    /// `--capabilities`: a line per template.
    pub capabilities: bool,
    /// `-q`: the findings only, no summary line.
    pub quiet: bool,
}

/// The colour escape around `s`, when colour is on.
fn paint(color: bool, code: &str, s: &str) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

/// `path:line:col: severity[rule-id] message (template `name`)`.
fn headline(f: &Finding, pos: Option<&Position>, color: bool) -> String {
    let loc = match pos {
        Some(p) => format!("{}:{}:{}", f.path, p.line, p.column),
        None => f.path.clone(),
    };
    let sev = match f.severity {
        Severity::Error => paint(color, "1;31", "error"),
        Severity::Warning => paint(color, "1;33", "warning"),
        Severity::Info => paint(color, "1;36", "info"),
    };
    let template = match &f.template {
        Some(t) if t != "default" => format!(" (template `{}`)", sanitize(t)),
        _ => String::new(),
    };
    format!(
        "{}: {}[{}] {}{}",
        paint(color, "1", &sanitize(&loc)),
        sev,
        f.rule.id(),
        sanitize(&f.message),
        template
    )
}

/// `concise`: one line per finding, then the summary line.
pub(super) fn write_concise(report: &Report, style: Style, out: &mut dyn Write) -> Result<()> {
    for f in &report.findings {
        let pos = position(report, f);
        writeln!(out, "{}", headline(f, pos.as_ref(), style.color))?;
    }
    if !style.quiet {
        writeln!(out, "{}", summary_line(report))?;
    }
    Ok(())
}

pub(super) fn write(report: &Report, style: Style, out: &mut dyn Write) -> Result<()> {
    let color = style.color;
    for group in super::group::groups(report) {
        let f = group.first;
        let pos = position(report, f);
        writeln!(out, "{}", headline(f, pos.as_ref(), color))?;
        if let (Some(p), Some(text)) = (&pos, report.sources.get(&f.path)) {
            let line = location::line_text(text, p.line);
            let (shown, caret_at) = frame_window(line, p.column);
            let gutter = p.line.to_string();
            writeln!(out, "  {gutter} | {}", sanitize(&shown))?;
            let caret_pad: String = shown
                .chars()
                .take(caret_at)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(
                out,
                "  {} | {}{}",
                " ".repeat(gutter.len()),
                caret_pad,
                paint(color, "1;31", "^")
            )?;
        }
        if let Some(probe) = &f.probe {
            writeln!(out, "  = probe: {}", sanitize(probe))?;
        }
        if let Some(detail) = &f.detail {
            for line in detail.lines() {
                writeln!(out, "  | {}", sanitize(line))?;
            }
        }
        if let Some(help) = &f.help {
            writeln!(
                out,
                "  = {}: {}",
                paint(color, "1;36", "help"),
                sanitize(help)
            )?;
        }
        if !group.more.is_empty() {
            let (folder, _) = f.path.rsplit_once('/').unwrap_or((".", ""));
            let mut all = vec![folder];
            all.extend(&group.more);
            writeln!(
                out,
                "  = and in {} more folder{}: {}",
                group.more.len(),
                plural(group.more.len()),
                sanitize(&super::group::cover(&all))
            )?;
        }
        writeln!(out)?;
    }
    if style.capabilities {
        write_capabilities(report, out)?;
    }
    if !style.quiet {
        writeln!(out, "{}", summary_line(report))?;
    }
    Ok(())
}

/// `--capabilities`: `path:line (template `name`): supports …; lacks …`, one line per
/// template that compiled, then a blank line.
fn write_capabilities(report: &Report, out: &mut dyn Write) -> Result<()> {
    let lines = super::json::capability_lines(report);
    for (t, message) in &lines {
        let template = if t.name == "default" {
            String::new()
        } else {
            format!(" (template `{}`)", sanitize(&t.name))
        };
        writeln!(
            out,
            "{}:{}{}: {}",
            sanitize(&t.path),
            t.line,
            template,
            sanitize(message)
        )?;
    }
    if !lines.is_empty() {
        writeln!(out)?;
    }
    Ok(())
}

/// Characters of context shown on each side of the column in a code frame.
const FRAME_CONTEXT: usize = 60;

/// The part of `line` shown in a code frame, and where (in characters) the
/// caret goes under it. Long lines — a whole template in one JSON string is
/// common — are cut around the column with `…` on the cut sides.
pub fn frame_window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    let col = column.saturating_sub(1).min(chars.len());
    let start = col.saturating_sub(FRAME_CONTEXT);
    let end = (col + FRAME_CONTEXT).min(chars.len());
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, col - start + usize::from(start > 0))
}

/// `checked 3 folders, 4 templates, 56 renders: 2 findings (1 error, 1 warning)`.
pub fn summary_line(report: &Report) -> String {
    let s = report.stats;
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let infos = report.count(Severity::Info);
    let total = report.findings.len();
    let mut parts = vec![
        format!("{errors} error{}", plural(errors)),
        format!("{warnings} warning{}", plural(warnings)),
    ];
    if infos > 0 {
        parts.push(format!("{infos} info"));
    }
    let checked = match (s.folders, s.files) {
        (folders, 0) => format!("{folders} folder{}", plural(folders)),
        (0, files) => format!("{files} file{}", plural(files)),
        (folders, files) => format!(
            "{folders} folder{} and {files} file{}",
            plural(folders),
            plural(files)
        ),
    };
    format!(
        "checked {checked}, {} template{}, {} render{}: {} finding{} ({})",
        s.templates,
        plural(s.templates),
        s.renders,
        plural(s.renders),
        total,
        plural(total),
        parts.join(", ")
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Replace control characters in echoed file text and messages so a template
/// cannot move the cursor or recolour the terminal.
pub fn sanitize(line: &str) -> String {
    line.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

//! Output: every way a report leaves the process. Each format is its own
//! file, chosen by one exhaustive `match`. Only this module writes output.

use std::io::Write;

use anyhow::Result;

use crate::finding::Finding;
use crate::resolve::Report;

mod github;
mod json;
mod junit;
pub mod location;
mod text;

/// The format of the main output (stdout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:col: severity[rule] message`, a code frame and a fix hint.
    Text,
    /// A JSON array of findings.
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// Where a finding points, resolved to lines and columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Resolve a finding's span against the file text kept in the report.
pub fn position(report: &Report, finding: &Finding) -> Option<Position> {
    let span = finding.span?;
    let text = report.sources.get(&finding.path)?;
    let (line, column) = location::line_col(text, span.start);
    let (end_line, end_column) = location::line_col(text, span.end);
    Some(Position {
        line,
        column,
        end_line,
        end_column,
    })
}

/// Write the report to `out` in `format`.
pub fn emit(report: &Report, format: Format, color: bool, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Text => text::write(report, color, out),
        Format::Json => json::write(report, out),
        Format::Github => github::write(report, out),
    }
}

/// Write the JUnit XML file.
pub fn write_junit(report: &Report, out: &mut dyn Write) -> Result<()> {
    junit::write(report, out)
}

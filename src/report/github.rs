//! `--format github`: GitHub Actions workflow commands.
//!
//! NOTE: first correct version; capping, ordering and injection tests are issue 4.
//! Escaping follows the runner's `ActionCommand` unescaping: in the message
//! `%`→`%25`, CR→`%0D`, LF→`%0A`; in property values also `:`→`%3A`, `,`→`%2C`.

use std::io::Write;

use anyhow::Result;

use super::position;
use crate::finding::Severity;
use crate::resolve::Report;

pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    for f in &report.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = vec![format!("file={}", escape_property(&f.path))];
        if let Some(p) = position(report, f) {
            props.push(format!("line={}", p.line));
            props.push(format!("endLine={}", p.end_line));
            if p.line == p.end_line {
                props.push(format!("col={}", p.column));
                props.push(format!("endColumn={}", p.end_column));
            }
        }
        props.push(format!("title={}", escape_property(f.rule.id())));
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{level} {}::{}",
            props.join(","),
            escape_data(&message)
        )?;
    }
    Ok(())
}

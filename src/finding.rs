//! Findings: what a rule reports about a user's file.
//!
//! A finding carries a byte span into the file it is about; line and column are
//! computed only when a report is printed (see `report::location`). Severity is
//! attached from the rule's default here (a rule may give a weaker case of
//! itself a lower default, `with_severity`) and may be changed later by policy
//! in `resolve`, which has the last word.

use crate::rule::Rule;
pub use crate::rule::Severity;

/// A byte range in a file (not in a template: templates inside JSON strings are
/// mapped back to file offsets by `load::OffsetMap` before a finding is made).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
}

/// One problem in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: Rule,
    pub severity: Severity,
    /// The file, relative to the scan root, `/`-separated.
    pub path: String,
    /// Where in the file; `None` for file-level findings.
    pub span: Option<Span>,
    /// What is wrong, with the concrete values in backticks. One line.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The template's name (`default`, `tool_use`, …) when the finding is about one.
    pub template: Option<String>,
    /// The probe conversation that revealed it, when there is one.
    pub probe: Option<String>,
    /// Multi-line supporting text (a diff of two renders, a render excerpt).
    pub detail: Option<String>,
}

impl Finding {
    pub fn new(rule: Rule, path: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            rule,
            severity: rule.default_severity(),
            path: path.into(),
            span: None,
            message: message.into(),
            help: None,
            template: None,
            probe: None,
            detail: None,
        }
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    /// A lower default for a finding that is weaker than its rule's usual
    /// case (`eos-mismatch` in a tokenizer-only folder, where the model's own
    /// config is not there to judge). Policy in `resolve` still overrides it.
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_template(mut self, name: impl Into<String>) -> Self {
        self.template = Some(name.into());
        self
    }

    pub fn with_probe(mut self, probe: impl Into<String>) -> Self {
        self.probe = Some(probe.into());
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

/// Quote a piece of text for a one-line message: control characters and
/// newlines escaped the way Python's `repr` would show them, so `\n\n` stays
/// visible. Long text is shortened in the middle.
pub fn escape_snippet(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        match ch {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    let count = out.chars().count();
    if count > max_chars && max_chars > 3 {
        let keep = (max_chars - 1) / 2;
        let head: String = out.chars().take(keep).collect();
        let tail: String = out.chars().skip(count - keep).collect();
        format!("{head}…{tail}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_escapes_newlines_and_shortens() {
        assert_eq!(escape_snippet("a\n\nb", 40), "a\\n\\nb");
        assert_eq!(escape_snippet("abcdefghij", 5), "ab…ij");
    }
}

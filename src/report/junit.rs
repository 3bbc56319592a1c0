//! `--junit FILE`: JUnit XML for CI dashboards.
//!
//! One `testsuite` per model folder; one `testcase` per template × rule that
//! ran — passing ones too, so a dashboard shows what was checked — with
//! `classname` (the folder), `name` (`rule (template)`), `file` and `line`
//! (the first finding's place when it has one, else the template's start).
//! Findings that fail the run (errors; warnings too under `fail-on =
//! "warning"`) are `failure`s with message and details; the others are listed
//! in the case's `system-out`. Findings about a folder rather than one
//! template get a case per rule.
//!
//! Streamed (issue 17): a first pass only counts cases and failures for the
//! `<testsuites>` totals; the second writes suite by suite, each string
//! escaped once straight into the writer, so only one folder's cases are
//! held at a time. The bytes are those `quick-junit` 0.5 (cargo-nextest's
//! writer, which this file replaced) produced: quick-xml's indented layout
//! (4 spaces, text and its end tag on one line), quick-xml's `escape`
//! (`<>&'"` in attributes and text alike) and quick-junit's `XmlString`
//! cleaning (`strip_ansi_escapes`, which keeps only LF of the C0 controls,
//! so TAB and CR vanish). Before that, every character XML 1.0 cannot carry
//! (controls, U+FFFE/U+FFFF) is shown as a visible `\u{…}` escape, so the
//! file is always valid XML.

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::ops::Range;

use anyhow::Result;

use super::{location, owners::Owners};
use crate::finding::Finding;
use crate::resolve::{CheckedModel, Report};
use crate::rules::Rule;

/// Write `s` as XML text or attribute value. `one_line` (a failure's
/// `message`) first turns controls other than TAB into U+FFFD, like the text
/// output's `sanitize`; otherwise they become `\u{…}`. TAB and CR are
/// dropped and LF kept (quick-junit's `XmlString`, see the module doc).
fn escape(out: &mut dyn Write, s: &str, one_line: bool) -> io::Result<()> {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut next = 0;
    while let Some(&b) = bytes.get(next) {
        // Fast path: printable ASCII other than the five XML specials.
        if (0x20..0x7f).contains(&b) && !matches!(b, b'<' | b'>' | b'&' | b'\'' | b'"') {
            next += 1;
            continue;
        }
        // `next` is on a character boundary: ASCII steps by one byte.
        let i = next;
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        next += c.len_utf8();
        let entity = match c {
            '<' => "&lt;",
            '>' => "&gt;",
            '&' => "&amp;",
            '\'' => "&apos;",
            '"' => "&quot;",
            '\t' => "",
            '\r' | '\n' if !one_line => {
                if c == '\n' {
                    continue;
                }
                ""
            }
            c if one_line && c.is_control() => "\u{FFFD}",
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                out.write_all(&bytes[start..i])?;
                write!(out, "\\u{{{:x}}}", c as u32)?;
                start = next;
                continue;
            }
            _ => continue,
        };
        out.write_all(&bytes[start..i])?;
        out.write_all(entity.as_bytes())?;
        start = next;
    }
    out.write_all(&bytes[start..])
}

/// A `fmt::Write` that escapes every piece into the file, so formatted text
/// (a finding's description, `rule (template)`) needs no `String`.
struct Escaped<'a> {
    out: &'a mut dyn Write,
    one_line: bool,
    err: io::Result<()>,
}

impl fmt::Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape(self.out, s, self.one_line).map_err(|e| {
            self.err = Err(e);
            fmt::Error
        })
    }
}

/// Run `f` on an escaping writer over `out`.
fn escaped(
    out: &mut dyn Write,
    one_line: bool,
    f: impl FnOnce(&mut Escaped) -> fmt::Result,
) -> io::Result<()> {
    let mut e = Escaped {
        out,
        one_line,
        err: Ok(()),
    };
    let res = f(&mut e);
    e.err?;
    res.map_err(|_| io::Error::other("formatting JUnit text failed"))
}

/// Per-case scratch reused for the whole file: the case's findings' starts,
/// and every start computed so far by (interned text, offset). Identical
/// files share one interned text (`check`), so 10,000 checkpoints with the
/// same finding at the same place scan for its line once, not 10,000 times.
#[derive(Default)]
struct Starts {
    at: Vec<Option<(usize, usize)>>,
    memo: HashMap<(usize, usize), (usize, usize)>,
}

impl Starts {
    /// Where a finding starts (line, column), when it has a span into a
    /// file the report holds. `super::position` also scans on to the
    /// span's end, which JUnit never shows.
    fn of(&mut self, report: &Report, f: &Finding) -> Option<(usize, usize)> {
        let span = f.span?;
        let text = report.sources.get(&f.path)?;
        let key = (text.as_ptr() as usize, span.start);
        Some(
            *self
                .memo
                .entry(key)
                .or_insert_with(|| location::line_col(text, span.start)),
        )
    }
}

fn describe(f: &Finding, at: Option<(usize, usize)>, out: &mut dyn fmt::Write) -> fmt::Result {
    match at {
        Some((line, column)) => write!(out, "{}:{line}:{column}", f.path)?,
        None => out.write_str(&f.path)?,
    }
    write!(
        out,
        ": {}[{}] {}",
        f.severity.as_str(),
        f.rule.id(),
        f.message
    )?;
    if let Some(probe) = &f.probe {
        write!(out, "\nprobe: {probe}")?;
    }
    if let Some(help) = &f.help {
        write!(out, "\nhelp: {help}")?;
    }
    if let Some(detail) = &f.detail {
        write!(out, "\n{detail}")?;
    }
    Ok(())
}

/// One test case: its findings are `Suite::members[members]`.
struct Case<'r> {
    rule: Rule,
    template: Option<&'r str>,
    file: &'r str,
    line: usize,
    members: Range<usize>,
}

/// One suite's cases, rebuilt in place for each folder.
#[derive(Default)]
struct Suite<'r> {
    cases: Vec<Case<'r>>,
    members: Vec<usize>,
}

impl<'r> Suite<'r> {
    fn push(&mut self, rule: Rule, template: Option<&'r str>, file: &'r str, line: usize) {
        let start = self.cases.last().map_or(0, |c| c.members.end);
        let end = self.members.len();
        self.cases.push(Case {
            rule,
            template,
            file,
            line,
            members: start..end,
        });
    }

    fn findings<'s>(
        &'s self,
        report: &'r Report,
        c: &Case,
    ) -> impl Iterator<Item = &'r Finding> + 's
    where
        'r: 's,
    {
        self.members[c.members.clone()]
            .iter()
            .map(move |&i| &report.findings[i])
    }

    fn failures(&self, report: &'r Report) -> usize {
        let fails = |c: &&Case| self.findings(report, c).any(|f| report.fails(f));
        self.cases.iter().filter(fails).count()
    }
}

/// Fill `s` with `model`'s cases (`mine`: its findings), marking the findings placed.
fn model_suite<'r>(
    report: &'r Report,
    model: &'r CheckedModel,
    mine: &[usize],
    placed: &mut [bool],
    s: &mut Suite<'r>,
) {
    let findings = &report.findings;
    let mut by_case: HashMap<(Rule, &str), Vec<usize>> = HashMap::new();
    for &i in mine {
        if let Some(t) = &findings[i].template {
            by_case.entry((findings[i].rule, t)).or_default().push(i);
        }
    }
    for t in &model.templates {
        for rule in &report.rules {
            if let Some(idx) = by_case.get(&(*rule, t.name.as_str())) {
                for &i in idx {
                    placed[i] = true;
                }
                s.members.extend_from_slice(idx);
            }
            s.push(*rule, Some(&t.name), &t.path, t.line);
        }
    }
    // Findings about the folder (or a template name no longer listed).
    let mut by_rule: HashMap<Rule, Vec<usize>> = HashMap::new();
    for &i in mine.iter().filter(|&&i| !placed[i]) {
        by_rule.entry(findings[i].rule).or_default().push(i);
    }
    for rule in &report.rules {
        let Some(idx) = by_rule.remove(rule) else {
            continue;
        };
        let Some(&first) = idx.first() else {
            continue;
        };
        for &i in &idx {
            placed[i] = true;
        }
        s.members.extend_from_slice(&idx);
        s.push(*rule, None, &findings[first].path, 1);
    }
}

/// Build every suite in order and hand it to `each` with its name and
/// classname: one per model folder, then `(other)` for findings outside
/// every checked folder (e.g. about a baseline) when there are any.
fn walk<'r>(
    report: &'r Report,
    mine: &[Vec<usize>],
    mut each: impl FnMut(&str, &Suite<'r>) -> io::Result<()>,
) -> io::Result<()> {
    let mut placed = vec![false; report.findings.len()];
    let mut s = Suite::default();
    for (model, mine) in report.models.iter().zip(mine) {
        s.cases.clear();
        s.members.clear();
        model_suite(report, model, mine, &mut placed, &mut s);
        each(&model.rel_dir, &s)?;
    }
    s.cases.clear();
    s.members.clear();
    for (i, f) in report.findings.iter().enumerate() {
        if !placed[i] {
            s.members.push(i);
            s.push(f.rule, None, &f.path, 1);
        }
    }
    if s.cases.is_empty() {
        return Ok(());
    }
    each("(other)", &s)
}

fn write_case(
    report: &Report,
    s: &Suite,
    c: &Case,
    classname: &str,
    starts: &mut Starts,
    out: &mut dyn Write,
) -> io::Result<()> {
    out.write_all(b"\n        <testcase name=\"")?;
    escaped(out, false, |e| match c.template {
        Some(t) => write!(e, "{} ({t})", c.rule.id()),
        None => e.write_str(c.rule.id()),
    })?;
    out.write_all(b"\" classname=\"")?;
    escape(out, classname, false)?;
    // File and line belong together: a case whose finding points into
    // another file than the template's (`template-sources-disagree` in
    // tokenizer_config.json next to chat_template.jinja) names that file.
    let mut at = std::mem::take(&mut starts.at);
    at.clear();
    at.extend(s.findings(report, c).map(|f| starts.of(report, f)));
    let placed = || s.findings(report, c).zip(at.iter().copied());
    let (file, line) = placed()
        .find_map(|(f, p)| p.map(|(line, _)| (f.path.as_str(), line)))
        .unwrap_or((c.file, c.line));
    out.write_all(b"\" file=\"")?;
    escape(out, file, false)?;
    write!(out, "\" line=\"{line}\">")?;
    let mut failing = placed().filter(|(f, _)| report.fails(f)).peekable();
    if let Some((first, _)) = failing.peek() {
        out.write_all(b"\n            <failure message=\"")?;
        escape(out, &first.message, true)?;
        out.write_all(b"\" type=\"")?;
        escape(out, first.rule.id(), false)?;
        out.write_all(b"\">")?;
        list(failing, out)?;
        out.write_all(b"</failure>")?;
    }
    let mut others = placed().filter(|(f, _)| !report.fails(f)).peekable();
    if others.peek().is_some() {
        out.write_all(b"\n            <system-out>")?;
        list(others, out)?;
        out.write_all(b"</system-out>")?;
    }
    starts.at = at;
    out.write_all(b"\n        </testcase>")
}

/// Findings' descriptions, separated by a blank line.
fn list<'r>(
    fs: impl Iterator<Item = (&'r Finding, Option<(usize, usize)>)>,
    out: &mut dyn Write,
) -> io::Result<()> {
    escaped(out, false, |e| {
        for (n, (f, at)) in fs.enumerate() {
            if n > 0 {
                e.write_str("\n\n")?;
            }
            describe(f, at, e)?;
        }
        Ok(())
    })
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    // Each folder's findings (indices, in report order), in one pass.
    let owners = Owners::new(&report.models);
    let mut mine: Vec<Vec<usize>> = vec![Vec::new(); report.models.len()];
    for (i, f) in report.findings.iter().enumerate() {
        if let Some(m) = owners.owner(&f.path) {
            mine[m].push(i);
        }
    }
    let (mut tests, mut failures) = (0, 0);
    walk(report, &mine, |_, s| {
        tests += s.cases.len();
        failures += s.failures(report);
        Ok(())
    })?;
    out.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    write!(
        out,
        "\n<testsuites name=\"chat-template-lint\" tests=\"{tests}\" \
         failures=\"{failures}\" errors=\"0\">"
    )?;
    let mut starts = Starts::default();
    walk(report, &mine, |name, s| {
        out.write_all(b"\n    <testsuite name=\"")?;
        escape(out, name, false)?;
        write!(
            out,
            "\" tests=\"{}\" disabled=\"0\" errors=\"0\" failures=\"{}\">",
            s.cases.len(),
            s.failures(report)
        )?;
        for c in &s.cases {
            write_case(report, s, c, name, &mut starts, out)?;
        }
        out.write_all(b"\n    </testsuite>")
    })?;
    out.write_all(b"\n</testsuites>\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape;

    fn esc(s: &str, one_line: bool) -> String {
        let mut out = Vec::new();
        escape(&mut out, s, one_line).expect("a Vec takes every write");
        String::from_utf8(out).expect("escaping keeps UTF-8")
    }

    #[test]
    fn escapes_like_quick_junit_after_showing_controls() {
        let s = "a\tb\rc\nd\u{0}\u{1b}[1m\u{85}\u{fffe}<>&'\"é";
        assert_eq!(
            esc(s, false),
            "abc\nd\\u{0}\\u{1b}[1m\\u{85}\\u{fffe}&lt;&gt;&amp;&apos;&quot;é"
        );
        assert_eq!(
            esc(s, true),
            "ab\u{FFFD}c\u{FFFD}d\u{FFFD}\u{FFFD}[1m\u{FFFD}\\u{fffe}&lt;&gt;&amp;&apos;&quot;é"
        );
    }
}

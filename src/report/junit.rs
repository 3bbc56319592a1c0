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
//! Written with `quick-junit` (cargo-nextest's writer): it escapes through
//! quick-xml and drops C0 control characters. We additionally show every
//! character XML 1.0 cannot carry (controls, U+FFFE/U+FFFF) as a visible
//! `\u{…}` escape before it gets there, so the file is always valid XML.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use quick_junit::{NonSuccessKind, Report as JReport, TestCase, TestCaseStatus, TestSuite};

use super::{owners::Owners, position, text::sanitize};
use crate::finding::Finding;
use crate::resolve::Report;
use crate::rules::Rule;

/// Text XML 1.0 can hold: other characters shown as `\u{…}` (TAB, LF, CR kept).
pub fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let ok = matches!(c, '\t' | '\n' | '\r')
            || (!c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}'));
        if ok {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

fn describe(report: &Report, f: &Finding) -> String {
    let loc = match position(report, f) {
        Some(p) => format!("{}:{}:{}", f.path, p.line, p.column),
        None => f.path.clone(),
    };
    let mut s = format!(
        "{loc}: {}[{}] {}",
        f.severity.as_str(),
        f.rule.id(),
        f.message
    );
    if let Some(probe) = &f.probe {
        s.push_str(&format!("\nprobe: {probe}"));
    }
    if let Some(help) = &f.help {
        s.push_str(&format!("\nhelp: {help}"));
    }
    if let Some(detail) = &f.detail {
        s.push('\n');
        s.push_str(detail);
    }
    s
}

fn case(
    report: &Report,
    classname: &str,
    name: String,
    file: &str,
    line: usize,
    findings: &[&Finding],
) -> TestCase {
    let failing: Vec<&&Finding> = findings.iter().filter(|f| report.fails(f)).collect();
    let status = match failing.first() {
        Some(first) => {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Failure);
            st.set_message(xml_text(&sanitize(&first.message)));
            st.set_type(first.rule.id());
            let details: Vec<String> = failing.iter().map(|f| describe(report, f)).collect();
            st.set_description(xml_text(&details.join("\n\n")));
            st
        }
        None => TestCaseStatus::success(),
    };
    let mut tc = TestCase::new(xml_text(&name), status);
    tc.set_classname(xml_text(classname));
    // File and line belong together: a case whose finding points into
    // another file than the template's (`template-sources-disagree` in
    // tokenizer_config.json next to chat_template.jinja) names that file.
    let (file, line) = findings
        .iter()
        .find_map(|f| position(report, f).map(|p| (f.path.as_str(), p.line)))
        .unwrap_or((file, line));
    tc.extra.insert("file".into(), xml_text(file).into());
    tc.extra.insert("line".into(), line.to_string().into());
    let others: Vec<String> = findings
        .iter()
        .filter(|f| !report.fails(f))
        .map(|f| describe(report, f))
        .collect();
    if !others.is_empty() {
        tc.set_system_out(xml_text(&others.join("\n\n")));
    }
    tc
}

pub(super) fn write(report: &Report, out: &mut dyn Write) -> Result<()> {
    let findings = &report.findings;
    // Each folder's findings (indices, in report order), in one pass.
    let owners = Owners::new(&report.models);
    let mut mine: Vec<Vec<usize>> = vec![Vec::new(); report.models.len()];
    for (i, f) in findings.iter().enumerate() {
        if let Some(m) = owners.owner(&f.path) {
            mine[m].push(i);
        }
    }
    let pick = |idx: &[usize]| idx.iter().map(|&i| &findings[i]).collect::<Vec<_>>();
    let mut jr = JReport::new("chat-template-lint");
    let mut placed = vec![false; findings.len()];
    for (model, mine) in report.models.iter().zip(&mine) {
        let mut suite = TestSuite::new(xml_text(&model.rel_dir));
        let mut by_case: HashMap<(Rule, &str), Vec<usize>> = HashMap::new();
        for &i in mine {
            if let Some(t) = &findings[i].template {
                by_case.entry((findings[i].rule, t)).or_default().push(i);
            }
        }
        for t in &model.templates {
            for rule in &report.rules {
                let idx = by_case.get(&(*rule, t.name.as_str()));
                let idx = idx.map_or(&[][..], Vec::as_slice);
                for &i in idx {
                    placed[i] = true;
                }
                let name = format!("{} ({})", rule.id(), t.name);
                let fs = pick(idx);
                suite.add_test_case(case(report, &model.rel_dir, name, &t.path, t.line, &fs));
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
            for &i in &idx {
                placed[i] = true;
            }
            let fs = pick(&idx);
            if let Some(first) = fs.first() {
                let name = rule.id().to_string();
                suite.add_test_case(case(report, &model.rel_dir, name, &first.path, 1, &fs));
            }
        }
        jr.add_test_suite(suite);
    }
    // Findings outside every checked folder (e.g. about a baseline): one suite.
    let rest: Vec<&Finding> = findings
        .iter()
        .zip(&placed)
        .filter(|(_, placed)| !**placed)
        .map(|(f, _)| f)
        .collect();
    if !rest.is_empty() {
        let mut suite = TestSuite::new("(other)");
        for f in rest {
            let name = f.rule.id().into();
            suite.add_test_case(case(report, "(other)", name, &f.path, 1, &[f]));
        }
        jr.add_test_suite(suite);
    }
    jr.serialize(&mut *out)?;
    Ok(())
}

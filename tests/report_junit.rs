//! JUnit XML: a suite per model folder, a case per template × rule (passing
//! ones too), failures for error findings, and always valid XML — checked by
//! parsing with a strict XML 1.0 parser (roxmltree).

#![allow(clippy::unwrap_used)]

mod common;

use chat_template_lint::finding::Severity;
use chat_template_lint::report::write_junit;
use chat_template_lint::resolve::Report;
use chat_template_lint::rules::Rule;
use common::*;

fn xml(report: &Report) -> String {
    let mut buf = Vec::new();
    write_junit(report, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn hostile_xml_report() -> Report {
    let mut r = hostile_report();
    // Characters XML 1.0 cannot carry, ANSI escapes, and a CDATA terminator.
    r.findings[0].message = "bad \u{0}\u{1b}[31m red \u{FFFF}\u{FFFE} ]]> <&> \"'".into();
    r.findings[0].detail = Some("line\u{b}two ]]>".into());
    r
}

#[test]
fn always_valid_xml_with_the_right_shape() {
    let report = hostile_xml_report();
    let text = xml(&report);
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2);
    assert_eq!(suites[0].attribute("name"), Some("::error::top"));
    assert_eq!(suites[1].attribute("name"), Some("m%25 ,x:y/::error::dir"));

    fn cases<'a, 'i>(s: &roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
        s.children()
            .filter(|n| n.has_tag_name("testcase"))
            .collect()
    }
    let n = Rule::ALL.len();
    // One template × every rule, plus the folder-level double-bos finding.
    assert_eq!(cases(&suites[0]).len(), n + 1);
    // Two templates × every rule, plus the folder-level template-missing finding.
    assert_eq!(cases(&suites[1]).len(), 2 * n + 1);

    let failing: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failing.len(), 1, "only the error finding fails");
    let case = failing[0].parent().unwrap();
    assert_eq!(
        case.attribute("name"),
        Some("template-syntax (tool_use,::x)")
    );
    assert_eq!(case.attribute("classname"), Some("m%25 ,x:y/::error::dir"));
    assert_eq!(case.attribute("file"), Some(HOSTILE_PATH));
    assert_eq!(case.attribute("line"), Some("3"));
    let msg = failing[0].attribute("message").unwrap();
    assert!(msg.contains("]]> <&>"), "{msg}");
    assert!(msg.contains("\\u{ffff}"), "{msg}");
    let details = failing[0].text().unwrap_or("");
    assert!(details.contains("help: fix it"), "{details}");

    // Passing cases carry file and line too.
    let passing = cases(&suites[0])
        .into_iter()
        .find(|c| c.attribute("name") == Some("template-render (default)"))
        .unwrap();
    assert_eq!(
        passing.attribute("file"),
        Some("::error::top/chat_template.jinja")
    );
    assert_eq!(passing.attribute("line"), Some("1"));
    assert!(passing.children().all(|c| !c.has_tag_name("failure")));

    // The warning is reported, not failed.
    let warn = cases(&suites[1])
        .into_iter()
        .find(|c| c.attribute("name") == Some("template-missing"))
        .unwrap();
    let out = warn
        .children()
        .find(|c| c.has_tag_name("system-out"))
        .unwrap();
    assert!(out.text().unwrap().contains("warning[template-missing]"));
}

#[test]
fn fail_on_warning_turns_warnings_into_failures() {
    let mut report = hostile_report();
    report.fail_on = chat_template_lint::resolve::FailOn::Warning;
    let text = xml(&report);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    assert_eq!(failures, 2);
}

#[test]
fn only_rules_that_ran_get_cases() {
    let mut report = hostile_report();
    report.rules = vec![Rule::TemplateSyntax, Rule::TemplateRender];
    report.findings.retain(|f| f.severity == Severity::Error);
    let text = xml(&report);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, 2 + 4);
}

/// File names that are not UTF-8 (Unix only) still give valid XML.
#[cfg(unix)]
#[test]
fn invalid_utf8_file_names_via_the_binary() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"m\xff\xfe]]>\x01"));
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(bad.join("tokenizer_config.json"), "{\"chat_template\": 3").unwrap();
    let out = dir.path().join("junit.xml");
    let o = ctl(dir.path())
        .args(["check", "--format", "json", "--junit"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count(),
        1
    );
}

/// A report with nested folders (`.`, `a`, `a/b`), a loose file, a finding
/// under no checked folder, one for a rule that did not run, and a
/// `template-sources-disagree` finding in the config next to a
/// `chat_template.jinja` — every way a finding finds its case.
fn nested_report() -> Report {
    use chat_template_lint::finding::{Finding, Span};
    use chat_template_lint::resolve::{CheckedModel, CheckedTemplate};
    let template = |name: &str, path: &str, line: usize| CheckedTemplate {
        name: name.into(),
        path: path.into(),
        line,
        capabilities: vec![],
    };
    let mut report = hostile_report();
    report.models = vec![
        CheckedModel {
            rel_dir: ".".into(),
            templates: vec![template("default", "tokenizer_config.json", 2)],
        },
        CheckedModel {
            rel_dir: "a".into(),
            templates: vec![template("default", "a/chat_template.jinja", 1)],
        },
        CheckedModel {
            rel_dir: "a/b".into(),
            templates: vec![
                template("default", "a/b/tokenizer_config.json", 3),
                template("tool_use", "a/b/tokenizer_config.json", 3),
            ],
        },
        CheckedModel {
            rel_dir: "loose.jinja".into(),
            templates: vec![template("default", "loose.jinja", 1)],
        },
    ];
    report.rules = vec![
        Rule::TemplateRender,
        Rule::TemplateSourcesDisagree,
        Rule::EosMismatch,
    ];
    let config = "{\n  \"x\": 1,\n  \"chat_template\": \"{{ old }}\"\n}\n";
    report.sources = [
        ("tokenizer_config.json", config),
        ("a/tokenizer_config.json", config),
        ("a/chat_template.jinja", "{{ new }}\n"),
        ("a/b/tokenizer_config.json", config),
        ("loose.jinja", "{{ x }}\n{{ y }}\n"),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_string(), t.into()))
    .collect();
    let at = config.find("{{ old").unwrap();
    report.findings = vec![
        Finding::new(Rule::TemplateRender, "a/b/tokenizer_config.json", "b fails")
            .with_span(Span::new(at, at + 3))
            .with_template("tool_use"),
        Finding::new(Rule::EosMismatch, "a/b/tokenizer_config.json", "b eos"),
        Finding::new(
            Rule::TemplateSourcesDisagree,
            "a/tokenizer_config.json",
            "a disagrees",
        )
        .with_span(Span::new(at, at + 9))
        .with_template("default"),
        Finding::new(Rule::TemplateRender, "a/chat_template.jinja", "a renders")
            .with_template("default"),
        Finding::new(Rule::EosMismatch, "loose.jinja", "loose eos")
            .with_span(Span::new(8, 12))
            .with_template("default"),
        Finding::new(Rule::DoubleBos, "a/b/tokenizer_config.json", "not run"),
        Finding::new(Rule::TemplateRender, "tokenizer_config.json", "root").with_template("gone"),
        Finding::new(
            Rule::TemplateRender,
            "../base/chat_template.jinja",
            "outside",
        ),
    ];
    report.findings[1].severity = Severity::Warning;
    report
}

/// The whole XML, for the hostile sample and the nested one.
#[test]
fn whole_output_snapshots() {
    insta::assert_snapshot!("hostile", xml(&hostile_xml_report()));
    insta::assert_snapshot!("nested", xml(&nested_report()));
}

/// Every case's `file` and `line` belong together: the line exists in that
/// file, and a case whose findings have a place names the place of one of
/// them (`template-sources-disagree` lives in tokenizer_config.json next to
/// chat_template.jinja). Run through the binary on the fixture folders.
#[test]
fn file_and_line_belong_together() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let junit = out.path().join("junit.xml");
    let o = ctl(repo)
        .args(["check", "--no-config", "tests/fixtures", "--junit"])
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let mut placed = 0;
    for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        let file = case.attribute("file").unwrap();
        let line: usize = case.attribute("line").unwrap().parse().unwrap();
        let lines = std::fs::read_to_string(repo.join(file))
            .unwrap()
            .lines()
            .count();
        assert!(
            line >= 1 && line <= lines.max(1),
            "{file}:{line} has {lines} lines"
        );
        // `path:line:col: severity[rule]` at the start of each described finding.
        let described: Vec<String> = case
            .descendants()
            .filter_map(|n| n.text())
            .flat_map(|t| t.split("\n\n").map(str::to_string).collect::<Vec<_>>())
            .filter_map(|d| {
                let head = d.split(": ").next()?.to_string();
                let mut parts = head.rsplitn(3, ':');
                let (_col, line, path) = (parts.next()?, parts.next()?, parts.next()?);
                line.parse::<usize>().ok().map(|l| format!("{path}:{l}"))
            })
            .collect();
        if !described.is_empty() {
            placed += 1;
            assert!(
                described.contains(&format!("{file}:{line}")),
                "case {:?} at {file}:{line}, findings at {described:?}",
                case.attribute("name")
            );
        }
    }
    assert!(placed > 5, "only {placed} cases with placed findings");
}

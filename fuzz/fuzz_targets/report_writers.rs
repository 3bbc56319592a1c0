//! The report writers on hostile finding text, each output parsed back the
//! way its reader does: GitHub annotations as the Actions runner splits and
//! parses lines (one command per finding, nothing injected), JUnit by
//! roxmltree, SARIF and JSON by serde_json.
#![no_main]

use std::collections::BTreeMap;

use chat_template_lint::finding::{Finding, Span};
use chat_template_lint::report::{self, Format, Sinks};
use chat_template_lint::resolve::{CheckedModel, CheckedTemplate, Report};
use chat_template_lint::rules::Rule;
use libfuzzer_sys::fuzz_target;

/// Lines as the runner's `StreamReader.ReadLine` splits them.
fn runner_lines(out: &str) -> Vec<&str> {
    out.split(['\n', '\r']).collect()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\u{1}');
    let path = parts.next().unwrap_or("").to_string();
    let message = parts.next().unwrap_or("m").to_string();
    let help = parts.next().unwrap_or("").to_string();
    let source = parts.next().unwrap_or("").to_string();
    let path = if path.is_empty() {
        "a".to_string()
    } else {
        path
    };
    let mut findings = Vec::new();
    for (i, rule) in [Rule::ConfigInvalid, Rule::TemplateRender, Rule::EosMismatch]
        .into_iter()
        .enumerate()
    {
        let mut f = Finding::new(rule, &path, &message).with_help(&help);
        if i > 0 && !source.is_empty() {
            let at = (i * 7) % source.len();
            let mut at = at;
            while !source.is_char_boundary(at) {
                at -= 1;
            }
            f = f.with_span(Span::new(at, source.len()));
        }
        f.template = Some(message.clone());
        findings.push(f);
    }
    let mut sources = BTreeMap::new();
    sources.insert(path.clone(), source.clone());
    let report = Report {
        findings,
        sources,
        models: vec![CheckedModel {
            rel_dir: path.clone(),
            templates: vec![CheckedTemplate {
                name: help.clone(),
                path: path.clone(),
                line: 1,
                capabilities: vec![message.clone()],
            }],
        }],
        rules: vec![Rule::ConfigInvalid, Rule::TemplateRender, Rule::EosMismatch],
        ..Report::default()
    };

    // GitHub: every line that parses as a workflow command is one of ours.
    let mut out = Vec::new();
    report::emit(&report, &Sinks::stdout(Format::Github), &mut out).expect("github");
    let out = String::from_utf8(out).expect("utf-8");
    let mut annotations = 0;
    for line in runner_lines(&out) {
        let visible = line.trim_start();
        if let Some(rest) = visible.strip_prefix("::") {
            let name = rest.split([' ', ':']).next().unwrap_or("");
            assert!(
                matches!(name, "error" | "warning" | "notice" | "group" | "endgroup"),
                "injected command {line:?}"
            );
            annotations += usize::from(matches!(name, "error" | "warning" | "notice"));
        }
        assert!(!visible.contains("##["), "legacy command {line:?}");
    }
    assert!(annotations >= 3, "{annotations} annotations in {out:?}");

    // JUnit: well-formed XML.
    let mut xml = Vec::new();
    report::write_junit(&report, &mut xml).expect("junit");
    let xml = String::from_utf8(xml).expect("utf-8");
    roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("junit: {e}\n{xml}"));

    // SARIF and JSON: valid JSON.
    let mut sarif = Vec::new();
    report::write_sarif(&report, &mut sarif).expect("sarif");
    serde_json::from_slice::<serde_json::Value>(&sarif).expect("sarif is JSON");
    let mut json = Vec::new();
    report::emit(&report, &Sinks::stdout(Format::Json), &mut json).expect("json");
    serde_json::from_slice::<serde_json::Value>(&json).expect("json");
});

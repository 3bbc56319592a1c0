//! Every location every sink reports on the whole corpus points into the
//! file it names: the line exists in that file and the column is on that
//! line (issue 16 §3 — JUnit once named `chat_template.jinja` with a line of
//! `tokenizer_config.json`). One pipeline run, every output format written
//! from the same report; the sinks must also agree on the set of places.
//! Skips with a message when `../shared` is absent.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chat_template_lint::check::{run_check, CheckOptions};
use chat_template_lint::discover::DiscoverOptions;
use chat_template_lint::render::default_now;
use chat_template_lint::report::{emit, write_junit, write_sarif, Format, Sinks};
use chat_template_lint::resolve::{Report, Settings};

fn corpus() -> Option<PathBuf> {
    common::shared("corpus")
}

/// A place a sink reports: the file (relative to the corpus), the 1-based
/// line and, when given, the 1-based column in characters.
type Place = (String, usize, Option<usize>);

/// Assert that `place` is inside its file: the line exists, the column is
/// at most one past the line's last character.
fn assert_inside(corpus: &Path, sink: &str, (path, line, column): &Place) {
    let file = corpus.join(path);
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{sink}: {path}: {e}"));
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.split('\n').collect();
    assert!(
        *line >= 1 && *line <= lines.len(),
        "{sink}: {path}:{line} is past the file's {} lines",
        lines.len()
    );
    if let Some(col) = column {
        let width = lines[line - 1].trim_end_matches('\r').chars().count();
        assert!(
            *col >= 1 && *col <= width + 1,
            "{sink}: {path}:{line}:{col} is past the line's {width} characters"
        );
    }
}

fn output(report: &Report, format: Format) -> String {
    let mut buf = Vec::new();
    emit(report, &Sinks::stdout(format), &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

/// `path:line:col: severity[rule] …` headlines of the text formats.
fn headlines(text: &str) -> Vec<Place> {
    text.lines()
        .filter(|l| !l.starts_with(' ') && l.contains("]"))
        .filter_map(|l| {
            let (loc, _) = l.split_once(": ")?;
            let mut parts = loc.rsplitn(3, ':');
            let col = parts.next()?.parse().ok()?;
            let line = parts.next()?.parse().ok()?;
            Some((parts.next()?.to_string(), line, Some(col)))
        })
        .collect()
}

#[test]
fn every_reported_line_is_in_the_reported_file_in_every_sink() {
    let Some(corpus) = corpus() else { return };
    let opts = CheckOptions {
        paths: vec![corpus.clone()],
        root: corpus.clone(),
        discover: DiscoverOptions {
            include: vec!["*.jinja".into(), "*.json".into()],
            ..DiscoverOptions::default()
        },
        now: default_now(),
        ..CheckOptions::default()
    };
    let report = run_check(&opts, &Settings::default()).unwrap();
    let with_line: BTreeSet<Place> = report
        .findings
        .iter()
        .filter_map(|f| {
            let p = chat_template_lint::report::position(&report, f)?;
            Some((f.path.clone(), p.line, Some(p.column)))
        })
        .collect();
    assert!(
        with_line.len() > 50,
        "the corpus has many located findings: {}",
        with_line.len()
    );

    // JSON.
    let json: serde_json::Value = serde_json::from_str(&output(&report, Format::Json)).unwrap();
    let json: BTreeSet<Place> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["line"].is_null())
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap() as usize,
                f["column"].as_u64().map(|c| c as usize),
            )
        })
        .collect();
    // Text: the concise lines name every finding, the full report the first
    // of each group (identical findings of other folders are folded).
    let concise: BTreeSet<Place> = headlines(&output(&report, Format::Concise))
        .into_iter()
        .collect();
    let full: BTreeSet<Place> = headlines(&output(&report, Format::Text))
        .into_iter()
        .collect();
    // GitHub: the annotations (at most 10 per level) and the folded report.
    let github_out = output(&report, Format::Github);
    let annotations: Vec<Place> = common::runner_commands(&github_out)
        .iter()
        .filter_map(|c| {
            let line = c.props.get("line")?.parse().ok()?;
            let col = c.props.get("col").and_then(|v| v.parse().ok());
            Some((c.props.get("file")?.clone(), line, col))
        })
        .collect();
    // SARIF.
    let mut sarif = Vec::new();
    write_sarif(&report, &mut sarif).unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&sarif).unwrap();
    let sarif: BTreeSet<Place> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            let region = loc.get("region")?;
            Some((
                loc["artifactLocation"]["uri"].as_str()?.to_string(),
                region["startLine"].as_u64()? as usize,
                region["startColumn"].as_u64().map(|c| c as usize),
            ))
        })
        .collect();
    // JUnit: each case's file and line, and its failures' headlines.
    let mut junit = Vec::new();
    write_junit(&report, &mut junit).unwrap();
    let junit = String::from_utf8(junit).unwrap();
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let mut cases = Vec::new();
    let mut failures = Vec::new();
    for case in doc.descendants().filter(|n| n.has_tag_name("testcase")) {
        if let (Some(file), Some(line)) = (case.attribute("file"), case.attribute("line")) {
            cases.push((file.to_string(), line.parse().unwrap(), None));
        }
        for failure in case.children().filter(|n| n.has_tag_name("failure")) {
            let found = headlines(failure.text().unwrap_or_default());
            // A failure's place is in the case's file.
            for (path, _, _) in &found {
                assert_eq!(Some(path.as_str()), case.attribute("file"), "{junit}");
            }
            failures.extend(found);
        }
    }

    assert_eq!(json, with_line, "JSON");
    assert_eq!(concise, with_line, "concise text");
    // SARIF gives a file-level finding a region at line 1 without a column.
    let sarif_located: BTreeSet<Place> = sarif.iter().filter(|p| p.2.is_some()).cloned().collect();
    assert_eq!(sarif_located, with_line, "SARIF");
    assert!(full.is_subset(&with_line) && !full.is_empty(), "full text");
    assert!(!annotations.is_empty() && !cases.is_empty() && !failures.is_empty());
    let sinks: [(&str, Vec<Place>); 7] = [
        ("json", json.into_iter().collect()),
        ("concise", concise.into_iter().collect()),
        ("full", full.into_iter().collect()),
        ("github", annotations),
        ("sarif", sarif.into_iter().collect()),
        ("junit case", cases),
        ("junit failure", failures),
    ];
    for (sink, places) in &sinks {
        for place in places {
            assert_inside(&corpus, sink, place);
        }
    }
}

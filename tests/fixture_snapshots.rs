//! Every rule fixture folder checked against its whole text output, the way
//! ruff's rule tests snapshot every diagnostic: one snapshot per folder
//! under `tests/snapshots/` (`insta::glob!`), holding each finding with its
//! location, code frame, probe, detail and help, the summary line, and any
//! warning. Paths are relative to the folder that holds the fixture, so they
//! are stable wherever the crate is checked out. A snapshot starts with the
//! rules that did not run (they need a baseline or `require`), so a folder
//! whose snapshot lacks a rule id proves that the rule ran and stayed quiet.
//!
//! A fixture folder may hold `fixture.toml` with the options of its run:
//! `include` (globs, for loose template files), `require` (capability ids),
//! `baseline` and `paths` (relative to the folder; default: the folder).
//!
//! `INSTA_UPDATE=always cargo test --test fixture_snapshots` (or
//! `cargo insta review`) rewrites the snapshots after a deliberate change.

mod common;

use std::path::{Path, PathBuf};

use chat_template_lint::baseline::Baseline;
use chat_template_lint::capabilities::Capability;
use chat_template_lint::check::{run_check, CheckOptions};
use chat_template_lint::discover::DiscoverOptions;
use chat_template_lint::render::default_now;
use chat_template_lint::resolve::{Report, Settings};
use chat_template_lint::rules::{Rule, RuleOptions};

/// The options of one fixture's run (`fixture.toml`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    #[serde(default)]
    include: Vec<String>,
    #[serde(default)]
    require: Vec<String>,
    baseline: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Check the fixture at `path` (a folder, or a single file) with default
/// settings and no config, reported relative to its parent folder.
fn check(path: &Path) -> Report {
    let root = path.parent().expect("a fixture has a parent").to_path_buf();
    let fixture: Fixture = match std::fs::read_to_string(path.join("fixture.toml")) {
        Ok(text) => toml::from_str(&text).expect("a valid fixture.toml"),
        Err(_) => Fixture::default(),
    };
    let paths: Vec<PathBuf> = if fixture.paths.is_empty() {
        vec![path.to_path_buf()]
    } else {
        fixture
            .paths
            .iter()
            .map(|p| manifest().join(crate_relative(&path.join(p))))
            .collect()
    };
    let opts = CheckOptions {
        paths,
        root,
        discover: DiscoverOptions {
            include: fixture.include,
            exclude: vec![],
            ..DiscoverOptions::default()
        },
        // Named relative to the crate, as a user names it relative to the
        // working folder: the baseline's path shows in messages.
        baseline: fixture
            .baseline
            .map(|b| Baseline::open(crate_relative(&path.join(b))).expect("the baseline opens")),
        now: default_now(),
        rule_options: RuleOptions {
            require: fixture
                .require
                .iter()
                .map(|id| Capability::from_id(id).expect("a capability id in fixture.toml"))
                .collect(),
        },
        ..CheckOptions::default()
    };
    run_check(&opts, &Settings::default()).expect("check runs")
}

/// `path` relative to the crate root (the tests' working folder), with
/// `..` resolved.
fn crate_relative(path: &Path) -> PathBuf {
    let rel = path.strip_prefix(manifest()).unwrap_or(path);
    let mut out = PathBuf::new();
    for c in rel.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// What a snapshot holds: the rules that did not run, then the whole output.
fn snapshot(report: &Report) -> String {
    let not_run: Vec<&str> = Rule::ALL
        .into_iter()
        .filter(|r| !report.rules.contains(r))
        .map(Rule::id)
        .collect();
    let not_run = if not_run.is_empty() {
        "none".to_string()
    } else {
        not_run.join(", ")
    };
    format!("rules not run: {not_run}\n{}", common::text_output(report))
}

/// The rules that come from renders name the probe they were seen in.
const NAME_A_PROBE: [Rule; 5] = [
    Rule::PrefixMismatch,
    Rule::EosMismatch,
    Rule::DoubleBos,
    Rule::CapabilityMissing,
    Rule::GenerationMask,
];

/// Every fixture folder's whole output is its snapshot; then every rule
/// must have a fixture that triggers it and one where it ran and stayed
/// quiet.
#[test]
fn fixtures() {
    let mut outputs = Vec::new();
    insta::glob!(
        "fixtures/{rules/*,consistency/*/*,load/*,suppress/*}",
        |path| {
            let report = check(path);
            for f in &report.findings {
                // Every finding says what to do.
                let lacks = match (
                    f.probe.is_some() || !NAME_A_PROBE.contains(&f.rule),
                    f.help.is_some(),
                ) {
                    (true, true) => continue,
                    (false, _) => "names no probe",
                    (true, false) => "has no help",
                };
                panic!("{}: {} {lacks}", path.display(), f.rule.id());
            }
            let text = snapshot(&report);
            insta::assert_snapshot!(text);
            outputs.push(text);
        }
    );
    assert!(outputs.len() >= 60, "{} fixture folders", outputs.len());
    every_rule_triggers_and_stays_quiet(&outputs, &other_snapshots());
}

/// The snapshot files of the other tests (`gguf_check` holds the GGUF
/// fixtures, built at test time).
fn other_snapshots() -> Vec<String> {
    let dir = manifest().join("tests/snapshots");
    std::fs::read_dir(&dir)
        .expect("tests/snapshots")
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.ends_with(".snap") && !name.starts_with("fixture_snapshots__")
        })
        .map(|e| std::fs::read_to_string(e.path()).expect("a snapshot"))
        .collect()
}

/// Each of `Rule::ALL` appears as `[rule-id]` in some output (a fixture's,
/// or another snapshot test's), and some fixture ran it (its header does not
/// list it as not run) without it firing.
fn every_rule_triggers_and_stays_quiet(fixtures: &[String], others: &[String]) {
    let mut missing = Vec::new();
    for rule in Rule::ALL {
        let tag = format!("[{}]", rule.id());
        if !fixtures
            .iter()
            .chain(others)
            .any(|text| text.contains(&tag))
        {
            missing.push(format!("no snapshot triggers `{}`", rule.id()));
        }
        let quiet = fixtures.iter().any(|text| {
            let not_run = text
                .lines()
                .find_map(|l| l.strip_prefix("rules not run: "))
                .unwrap_or("");
            !not_run.split(", ").any(|id| id == rule.id()) && !text.contains(&tag)
        });
        if !quiet {
            missing.push(format!(
                "no fixture where `{}` ran and stayed quiet",
                rule.id()
            ));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

/// A test that needs `../shared` skips without it, visibly, except under
/// `CI=true`, where a missing `../shared` fails the run.
#[test]
fn a_missing_shared_folder_skips_locally_and_fails_in_ci() {
    let here = manifest().join("tests");
    assert_eq!(
        common::shared_in(&here, "fixtures", false),
        Some(here.join("fixtures"))
    );
    assert_eq!(
        common::shared_in(&here, "fixtures", true),
        Some(here.join("fixtures"))
    );
    assert_eq!(common::shared_in(&here, "no-such-folder", false), None);
    let in_ci = std::panic::catch_unwind(|| common::shared_in(&here, "no-such-folder", true));
    assert!(
        in_ci.is_err(),
        "a missing ../shared must fail under CI=true"
    );
}

/// The coverage check fails when a rule has no triggering or no quiet fixture.
#[test]
fn the_coverage_check_can_fail() {
    let quiet_only = vec!["rules not run: none\nchecked 1 folder".to_string()];
    let caught = std::panic::catch_unwind(|| every_rule_triggers_and_stays_quiet(&quiet_only, &[]));
    assert!(caught.is_err(), "no rule triggers: must fail");
    let all: String = Rule::ALL
        .iter()
        .map(|r| format!("[{}]\n", r.id()))
        .collect();
    let loud_only = vec![format!("rules not run: none\n{all}")];
    let caught = std::panic::catch_unwind(|| every_rule_triggers_and_stays_quiet(&loud_only, &[]));
    assert!(caught.is_err(), "no rule stays quiet: must fail");
}

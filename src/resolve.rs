//! Policy: turn the raw findings of all rules into a report — select and
//! ignore rules, apply inline suppressions (`suppress`) and per-path
//! ignores, apply severity overrides, sort and dedupe, count. Checks never
//! decide severity or what is silenced; this does (cargo-deny's shape).

use std::collections::BTreeMap;

use crate::capabilities::Capability;
use crate::finding::{Finding, Severity};
use crate::rule::Rule;
use crate::suppress::{self, Inline};

/// When the run fails (exit 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// An error-severity finding fails the run.
    #[default]
    Error,
    /// A warning or error fails the run.
    Warning,
    /// Never fail because of findings.
    Never,
}

/// Reporting policy, validated once from the config file and flags.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// When set, only these rules report.
    pub select: Option<Vec<Rule>>,
    pub ignore: Vec<Rule>,
    pub severity: BTreeMap<Rule, Severity>,
    /// Rules ignored in files matching a glob (`per-path-ignores`).
    pub per_path_ignores: Vec<PathIgnore>,
    pub fail_on: FailOn,
}

impl Settings {
    /// Whether `rule` reports at all.
    pub fn enabled(&self, rule: Rule) -> bool {
        self.select.as_ref().is_none_or(|s| s.contains(&rule)) && !self.ignore.contains(&rule)
    }

    fn ignored_at(&self, rule: Rule, path: &str) -> bool {
        self.per_path_ignores
            .iter()
            .any(|p| p.rules.contains(&rule) && p.matches(path))
    }
}

/// One `per-path-ignores` entry. Its glob is written relative to the config
/// file's folder, while finding paths are relative to the scan root: `base`
/// says how to turn the one into the other.
#[derive(Clone, Debug)]
pub struct PathIgnore {
    pub glob: globset::GlobMatcher,
    pub rules: Vec<Rule>,
    pub base: GlobBase,
}

/// How a finding path (relative to the scan root) becomes a path relative to
/// the config file's folder.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum GlobBase {
    /// The config sits in the scan root.
    #[default]
    Same,
    /// The config sits above the root: prepend the root's path below it (`models/`).
    Prepend(String),
    /// The config sits below the root: only paths under this prefix match; strip it.
    Strip(String),
}

impl PathIgnore {
    pub fn matches(&self, path: &str) -> bool {
        match &self.base {
            GlobBase::Same => self.glob.is_match(path),
            GlobBase::Prepend(prefix) => self.glob.is_match(format!("{prefix}/{path}")),
            GlobBase::Strip(prefix) => path
                .strip_prefix(prefix.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|rest| self.glob.is_match(rest)),
        }
    }
}

/// Counts shown in summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Model folders checked.
    pub folders: usize,
    /// Loose template files checked on their own (`--include '*.jinja'`).
    pub files: usize,
    pub templates: usize,
    pub renders: usize,
}

/// One template that was checked, for reports that list what ran (JUnit, summary).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedTemplate {
    pub name: String,
    pub path: String,
    /// 1-based line of the file where the template starts (JUnit `line`).
    pub line: usize,
    /// What the template supports (`system`, `tools`, …), when known. Filled
    /// by the capability probes; reports show it when non-empty, by id.
    pub capabilities: Vec<Capability>,
}

/// One model folder that was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedModel {
    pub rel_dir: String,
    pub templates: Vec<CheckedTemplate>,
}

/// The resolved result of a run: what every output format prints.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Text of the files findings point into (path → text), for line/column and frames.
    pub sources: BTreeMap<String, std::sync::Arc<str>>,
    pub stats: Stats,
    pub models: Vec<CheckedModel>,
    /// The rules that ran (after select/ignore).
    pub rules: Vec<Rule>,
    pub fail_on: FailOn,
    /// The user's include/exclude globs that matched nothing (said on stderr).
    pub unmatched_globs: Vec<String>,
    /// Malformed and unused inline suppressions (said on stderr).
    pub directive_warnings: Vec<suppress::Warning>,
    /// Model folders that `.gitignore` / `.ignore` files hid (said on stderr).
    pub ignored: crate::discover::Ignored,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether the run fails under the report's `fail_on` policy.
    pub fn failed(&self) -> bool {
        self.fail_on != FailOn::Never && self.findings.iter().any(|f| self.fails(f))
    }

    /// Whether `finding` is one that fails the run. Error findings always
    /// count for reports (JUnit failures) even under `fail-on = "never"`,
    /// which only changes the exit code.
    pub fn fails(&self, finding: &Finding) -> bool {
        match self.fail_on {
            FailOn::Error | FailOn::Never => finding.severity == Severity::Error,
            FailOn::Warning => finding.severity >= Severity::Warning,
        }
    }
}

/// What policy made of the raw findings.
#[derive(Debug, Default)]
pub struct Resolved {
    pub findings: Vec<Finding>,
    /// Malformed directives, then suppressions that silenced nothing.
    pub warnings: Vec<suppress::Warning>,
}

/// Apply `settings` and the inline suppressions to raw findings. `ran` are
/// the rules that ran: only a suppression of one of them can be unused.
pub fn resolve(
    findings: Vec<Finding>,
    inline: &Inline,
    ran: &[Rule],
    settings: &Settings,
) -> Resolved {
    let enabled = findings
        .into_iter()
        .filter(|f| settings.enabled(f.rule))
        .collect();
    let (findings, unused) = suppress::apply(enabled, &inline.scopes);
    let mut warnings = inline.malformed.clone();
    warnings.extend(
        unused
            .iter()
            .filter(|u| ran.contains(&u.rule))
            .filter_map(|u| inline.unused_warning(u)),
    );
    // In file order, as a reader fixes them (a stable sort keeps the
    // order of the rules within one directive).
    warnings.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Resolved {
        findings: apply_policy(findings, settings),
        warnings,
    }
}

/// Per-path ignores, severity overrides, then a sorted, deduplicated list.
fn apply_policy(mut findings: Vec<Finding>, settings: &Settings) -> Vec<Finding> {
    findings.retain(|f| !settings.ignored_at(f.rule, &f.path));
    for f in &mut findings {
        if let Some(sev) = settings.severity.get(&f.rule) {
            f.severity = *sev;
        }
    }
    findings.sort_by(|a, b| {
        (&a.path, a.span, a.rule, &a.template, &a.message).cmp(&(
            &b.path,
            b.span,
            b.rule,
            &b.template,
            &b.message,
        ))
    });
    findings.dedup_by(|a, b| {
        a.path == b.path
            && a.span == b.span
            && a.rule == b.rule
            && a.message == b.message
            && a.template == b.template
    });
    findings
}

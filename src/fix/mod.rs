//! `check --fix` / `--diff`: repair what the fixable rules found, in place.
//!
//! The way through: `check` reports findings (after `resolve`, so
//! `--select`, `--ignore`, per-path ignores and the config apply); `plan`
//! reloads each folder with a fixable finding and computes the new text of
//! its files (`plan`), proving every template change by rendering
//! (`proof`) and changing only the bytes of the fixed value (`splice`,
//! `eos`); `apply` writes them (`write`, the only writer); then the caller
//! runs `check` again and reports what remains, with `annotate` saying on a
//! finding why its fix was not applied. `--diff` prints `diff` instead of
//! writing.
//!
//! Which rules fix what is in the rule table (`RuleEntry::fixable`):
//! `generation-prompt-missing` and `eos-mismatch` are safe fixes;
//! `template-sources-disagree` is applied only under `--unsafe-fixes`,
//! since choosing between two templates is a human decision.

mod eos;
mod gen_prompt;
mod plan;
mod proof;
mod run;
mod splice;
mod write;

use anyhow::Result;

use crate::check::CheckOptions;
use crate::discover::discover_all;
use crate::finding::Finding;
use crate::load::{load_with, LoadOptions};
use crate::rule::Rule;
use crate::rules::{entry, Fixability};

pub use gen_prompt::jinja_string;
pub use proof::{prove_generation_prompt, Unproven};
pub use run::{print_fixed, run, FixRun, Outcome, Summary};
pub use write::{FileChange, NotWritten};

/// Which fixes to apply (flags and config merged).
#[derive(Clone, Debug, Default)]
pub struct FixOptions {
    /// Also apply fixes that need a human decision (`--unsafe-fixes`).
    pub unsafe_fixes: bool,
    /// Never fix these rules (`unfixable = [...]`, `--unfixable`).
    pub unfixable: Vec<Rule>,
}

impl FixOptions {
    /// Whether findings of `rule` are fixed.
    pub fn fixes(&self, rule: Rule) -> bool {
        let allowed = match entry(rule).fixable {
            Fixability::Never => false,
            Fixability::Safe => true,
            Fixability::Unsafe => self.unsafe_fixes,
        };
        allowed && !self.unfixable.contains(&rule)
    }
}

/// A finding as fixes name it: its rule, file and template.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FindingKey {
    pub rule: Rule,
    pub path: String,
    pub template: Option<String>,
}

impl FindingKey {
    pub fn of(f: &Finding) -> FindingKey {
        FindingKey {
            rule: f.rule,
            path: f.path.clone(),
            template: f.template.clone(),
        }
    }
}

/// Every fix for a run's findings.
#[derive(Debug, Default)]
pub struct FixPlan {
    /// The files as they would be fixed, in path order.
    pub changes: Vec<FileChange>,
    /// The findings these changes fix.
    pub fixed: Vec<FindingKey>,
    /// Findings with a fix that is not applied, and why.
    pub refused: Vec<(FindingKey, String)>,
    /// Findings an unsafe fix would repair (`--unsafe-fixes` not given).
    pub hidden_unsafe: usize,
}

/// Plan the fixes of `findings` (a resolved report's), reloading the
/// folders they are in.
pub fn plan(opts: &CheckOptions, findings: &[Finding], fix: &FixOptions) -> Result<FixPlan> {
    let mut out = FixPlan::default();
    let mut wanted: Vec<FindingKey> = Vec::new();
    for f in findings {
        if fix.fixes(f.rule) {
            wanted.push(FindingKey::of(f));
        } else if entry(f.rule).fixable == Fixability::Unsafe && !fix.unfixable.contains(&f.rule) {
            out.hidden_unsafe += 1;
        }
    }
    if wanted.is_empty() {
        return Ok(out);
    }
    let dirs = discover_all(&opts.paths, &opts.root, &opts.discover)?.dirs;
    let inside = |rel_dir: &str, path: &str| {
        rel_dir == "." || path == rel_dir || path.starts_with(&format!("{rel_dir}/"))
    };
    for md in dirs {
        if !wanted.iter().any(|k| inside(&md.rel_dir, &k.path)) {
            continue;
        }
        let model = load_with(&md, &LoadOptions::default());
        let here: Vec<FindingKey> = wanted
            .iter()
            .filter(|k| {
                model
                    .templates
                    .iter()
                    .chain(&model.shadowed)
                    .any(|t| t.path == k.path)
            })
            .cloned()
            .collect();
        if here.is_empty() {
            continue;
        }
        let folder = plan::plan_folder(&model, &here, opts, fix);
        out.changes.extend(folder.changes);
        out.fixed.extend(folder.fixed);
        out.refused.extend(folder.refused);
    }
    // A finding no folder plan took up (a GGUF file's, a conflict of
    // files) has no automatic fix: say so rather than stay silent.
    for key in wanted {
        let seen = out.fixed.contains(&key) || out.refused.iter().any(|(k, _)| *k == key);
        if !seen {
            out.refused
                .push((key, "there is no automatic fix for this case".into()));
        }
    }
    out.changes.sort_by(|a, b| a.display.cmp(&b.display));
    out.changes.dedup_by(|a, b| a.display == b.display);
    Ok(out)
}

/// Write the planned files. Returns the paths written; a file that could not
/// be written moves its findings from `fixed` to `refused`.
pub fn apply(plan: &mut FixPlan) -> Vec<String> {
    let mut written = Vec::new();
    for change in &plan.changes {
        match write::write(change) {
            Ok(()) => written.push(change.display.clone()),
            Err(why) => {
                let why = format!("`{}` was not written: {why}", change.display);
                let (lost, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut plan.fixed)
                    .into_iter()
                    .partition(|k| touches(k, &change.display));
                plan.fixed = kept;
                plan.refused
                    .extend(lost.into_iter().map(|k| (k, why.clone())));
            }
        }
    }
    written
}

/// Whether a fix of `key` changes `display` (its own file, or a file of its
/// folder such as generation_config.json).
fn touches(key: &FindingKey, display: &str) -> bool {
    let folder = |p: &str| p.rsplit_once('/').map_or("", |(d, _)| d).to_string();
    key.path == display || folder(&key.path) == folder(display)
}

/// Say on each remaining finding why `--fix` left it (the proof failed, a
/// file changed meanwhile).
pub fn annotate(findings: &mut [Finding], refused: &[(FindingKey, String)]) {
    for f in findings {
        let key = FindingKey::of(f);
        if let Some((_, why)) = refused.iter().find(|(k, _)| *k == key) {
            let note = format!("not fixed by --fix: {why}");
            f.help = Some(match f.help.take() {
                Some(help) => format!("{help}; {note}"),
                None => note,
            });
        }
    }
}

/// A unified diff of every planned change (`--diff`), `a/` and `b/` paths as
/// git writes them.
pub fn diff(plan: &FixPlan) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        let before = change.before.as_deref().unwrap_or("");
        let from = if change.before.is_some() {
            format!("a/{}", change.display)
        } else {
            "/dev/null".to_string()
        };
        let text = similar::TextDiff::from_lines(before, change.after.as_str())
            .unified_diff()
            .context_radius(3)
            .missing_newline_hint(true)
            .header(&from, &format!("b/{}", change.display))
            .to_string();
        out.push_str(&text);
    }
    out
}

/// `fixed 3 findings in 2 files` (the public wording).
pub fn summary(verb: &str, findings: usize, files: usize) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "{verb} {} in {}",
        plural(findings, "finding", "findings"),
        plural(files, "file", "files")
    )
}

//! One `check --fix` / `--diff` run: merge the flags with the config file,
//! plan, then either print the diff or write and check again.

use std::io::Write;

use anyhow::Result;

use super::{annotate, apply, diff, plan, summary, FindingKey, FixOptions};
use crate::check::{run_check, CheckOptions};
use crate::cli::FixArgs;
use crate::config::Config;
use crate::report::Format;
use crate::resolve::{Report, Settings};
use crate::rule::Rule;

/// What the flags and the config ask for.
#[derive(Clone, Debug, Default)]
pub struct FixRun {
    /// `--diff`: print, write nothing.
    pub diff: bool,
    pub options: FixOptions,
}

impl FixRun {
    /// `None` when nothing is to be fixed: no `--fix`/`--diff`, no
    /// `fix = true` (or `--no-fix`). Flags win over the file.
    pub fn from_args(
        args: &FixArgs,
        cfg: &Config,
        parse_rules: impl Fn(&[String]) -> Result<Vec<Rule>>,
    ) -> Result<Option<FixRun>> {
        let fix = args.fix || (cfg.fix == Some(true) && !args.no_fix);
        if !fix && !args.diff {
            return Ok(None);
        }
        let unfixable = if args.unfixable.is_empty() {
            cfg.unfixable.clone().unwrap_or_default()
        } else {
            parse_rules(&args.unfixable)?
        };
        Ok(Some(FixRun {
            diff: args.diff,
            options: FixOptions {
                unsafe_fixes: args.unsafe_fixes || cfg.unsafe_fixes == Some(true),
                unfixable,
            },
        }))
    }
}

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// `--diff` printed the changes; `pending`: there was at least one.
    Diffed { pending: bool },
    /// Fixes were written: the report of the check that ran after them, and
    /// what to say about the fixes.
    Fixed {
        report: Box<Report>,
        summary: Summary,
    },
}

/// What `--fix` says after the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// `fixed 1 finding in 1 file`.
    pub line: String,
    /// `path [rule]: not fixed: why`, on stderr beside the summary under
    /// `--format json` (the finding's `help` ends with it too).
    pub not_fixed: Vec<String>,
}

/// Fix `report`'s findings (or print the diff on stdout), then check again.
/// `actions`: stdout is the runner's log, so the diff is guarded.
pub fn run(
    opts: &CheckOptions,
    settings: &Settings,
    fix: &FixRun,
    report: Report,
    actions: bool,
) -> Result<Outcome> {
    let mut planned = plan(opts, &report.findings, &fix.options)?;
    let hidden = (planned.hidden_unsafe > 0).then(|| {
        format!(
            "{} more {} with `--unsafe-fixes`",
            planned.hidden_unsafe,
            if planned.hidden_unsafe == 1 {
                "finding can be fixed"
            } else {
                "findings can be fixed"
            }
        )
    });
    if fix.diff {
        let mut stdout = std::io::stdout().lock();
        let mut out = crate::report::guard::Out::new(&mut stdout, actions);
        out.write_all(diff(&planned).as_bytes())?;
        out.flush()?;
        let mut line = summary("would fix", planned.fixed.len(), planned.changes.len());
        if let Some(hidden) = hidden {
            line.push_str(&format!(" ({hidden})"));
        }
        crate::report::eprint_line(actions, &format!("chat-template-lint: {line}"));
        for line in not_fixed(&planned.refused) {
            crate::report::eprint_line(actions, &line);
        }
        return Ok(Outcome::Diffed {
            pending: !planned.changes.is_empty(),
        });
    }
    let written = apply(&mut planned);
    let mut after = if written.is_empty() {
        report
    } else {
        run_check(opts, settings)?
    };
    // Count what is gone, not what was attempted.
    let remaining: Vec<FindingKey> = after.findings.iter().map(FindingKey::of).collect();
    let fixed = planned
        .fixed
        .iter()
        .filter(|k| !remaining.contains(k))
        .count();
    annotate(&mut after.findings, &planned.refused);
    let mut line = summary("fixed", fixed, written.len());
    if let Some(hidden) = hidden {
        line.push_str(&format!(" ({hidden})"));
    }
    let not_fixed = not_fixed(&planned.refused);
    Ok(Outcome::Fixed {
        report: Box::new(after),
        summary: Summary { line, not_fixed },
    })
}

fn not_fixed(refused: &[(FindingKey, String)]) -> Vec<String> {
    refused
        .iter()
        .map(|(key, why)| {
            format!(
                "chat-template-lint: {} [{}]: not fixed: {why}",
                key.path,
                key.rule.id()
            )
        })
        .collect()
}

/// The summary line after the report: on stdout under the text report, on
/// stderr otherwise (stdout is then JSON or annotations); under JSON, why
/// each refused fix was not applied too (also at the end of its `help`).
/// `actions`: stderr goes to the runner's log.
pub fn print_fixed(
    summary: Option<&Summary>,
    format: Format,
    actions: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let Some(summary) = summary else {
        return Ok(());
    };
    let line = &summary.line;
    let say = |text: &str| crate::report::eprint_line(actions, text);
    match format {
        Format::Text | Format::Concise => writeln!(out, "{line}")?,
        Format::Github => say(&format!("chat-template-lint: {line}")),
        Format::Json => {
            for note in &summary.not_fixed {
                say(note);
            }
            say(&format!("chat-template-lint: {line}"));
        }
    }
    Ok(())
}

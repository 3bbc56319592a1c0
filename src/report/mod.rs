//! Output: every way a report leaves the process. Each format is its own
//! file, chosen by one exhaustive `match`. Only this module writes output.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::finding::Finding;
use crate::resolve::Report;

pub mod github;
mod group;
pub mod guard;
pub mod json;
mod junit;
pub mod location;
mod owners;
pub mod sarif;
mod statistics;
pub mod summary;
pub mod text;

/// The format of the main output (stdout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:col: severity[rule] message`, a code frame and a fix hint;
    /// identical findings of many folders grouped (also `full`, ruff's name).
    #[value(alias = "full")]
    Text,
    /// One line per finding: `path:line:col: severity[rule] message`.
    Concise,
    /// A JSON array of findings.
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// Where a finding points, resolved to lines and columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Resolve a finding's span against the file text kept in the report.
pub fn position(report: &Report, finding: &Finding) -> Option<Position> {
    let span = finding.span?;
    let text = report.sources.get(&finding.path)?;
    let ((line, column), (end_line, end_column)) =
        location::span_line_col(text, span.start, span.end);
    Some(Position {
        line,
        column,
        end_line,
        end_column,
    })
}

/// Everywhere one run's report goes.
#[derive(Clone, Debug)]
pub struct Sinks {
    /// The main output, on stdout.
    pub format: Format,
    pub color: bool,
    /// Running under GitHub Actions (`GITHUB_ACTIONS=true`): every printed
    /// line is neutralised against workflow-command injection (`guard`).
    pub actions: bool,
    pub junit: Option<PathBuf>,
    pub sarif: Option<PathBuf>,
    /// `$GITHUB_STEP_SUMMARY`, appended to.
    pub step_summary: Option<PathBuf>,
    /// `$GITHUB_OUTPUT` (under Actions): the step gets `errors=N` and `warnings=N`.
    pub step_outputs: Option<PathBuf>,
    /// `--capabilities`: list what each template supports in the main output
    /// (`text` and `json`; the step summary always has it).
    pub capabilities: bool,
    /// `--statistics`: counts per rule instead of the findings.
    pub statistics: bool,
    /// `-q`: findings only (no summary line); `-qq`: nothing on stdout.
    pub quiet: u8,
}

impl Sinks {
    /// Plain stdout output in `format`, no files.
    pub fn stdout(format: Format) -> Self {
        Sinks {
            format,
            color: false,
            actions: false,
            junit: None,
            sarif: None,
            step_summary: None,
            step_outputs: None,
            capabilities: false,
            statistics: false,
            quiet: 0,
        }
    }
}

/// Write the report to every sink: the files first (so the annotations can
/// point at them), then the main output to `out`.
pub fn emit_all(report: &Report, sinks: &Sinks, out: &mut dyn Write) -> Result<()> {
    let create = |path: &PathBuf| {
        std::fs::File::create(path)
            .map(std::io::BufWriter::new)
            .with_context(|| format!("cannot write `{}`", path.display()))
    };
    let mut links = Vec::new();
    if let Some(path) = &sinks.junit {
        let mut file = create(path)?;
        write_junit(report, &mut file)?;
        file.flush()?;
        links.push(format!("JUnit `{}`", path.display()));
    }
    if let Some(path) = &sinks.sarif {
        let mut file = create(path)?;
        sarif::write(report, &mut file)?;
        file.flush()?;
        links.push(format!("SARIF `{}`", path.display()));
    }
    if let Some(path) = &sinks.step_summary {
        let existing = std::fs::metadata(path).map_or(0, |m| m.len() as usize);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot append to `{}`", path.display()))?;
        let links: Vec<String> = links.iter().map(|l| summary::cell(l)).collect();
        summary::write(report, existing, &links, &mut file)?;
    }
    if let Some(path) = &sinks.step_outputs {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot append to `{}`", path.display()))?;
        // Numbers only: nothing untrusted reaches the outputs file.
        writeln!(
            file,
            "errors={}\nwarnings={}",
            report.count(crate::finding::Severity::Error),
            report.count(crate::finding::Severity::Warning)
        )?;
    }
    emit(report, sinks, out)
}

/// Write the main output (stdout) only.
pub fn emit(report: &Report, sinks: &Sinks, out: &mut dyn Write) -> Result<()> {
    let guarded = sinks.actions || sinks.format == Format::Github;
    let mut out = guard::Out::new(out, guarded);
    let style = text::Style {
        color: sinks.color && !guarded,
        capabilities: sinks.capabilities,
        quiet: sinks.quiet > 0,
    };
    if sinks.quiet >= 2 {
        // `-qq`: the exit code says it all.
    } else if sinks.statistics && sinks.format != Format::Github {
        // (Under `github` the annotations stay; the counts replace the
        // folded report.)
        match sinks.format {
            Format::Json => json::write_value(&statistics::json(report), guarded, &mut out)?,
            Format::Text | Format::Concise | Format::Github => {
                statistics::write_text(report, &mut out)?
            }
        }
    } else {
        match sinks.format {
            Format::Text => text::write(report, style, &mut out)?,
            Format::Concise => text::write_concise(report, style, &mut out)?,
            Format::Json => json::write(report, sinks.capabilities, guarded, &mut out)?,
            Format::Github => github::write(report, sinks, &mut out)?,
        }
    }
    out.flush()?;
    Ok(())
}

/// Print plain lines on stdout (`--show-settings`, `--show-files`): control
/// characters shown as U+FFFD, and under GitHub Actions (`actions`) no line
/// can be a workflow command (folder names and config values come from the
/// repository).
pub fn print_lines(lines: &[String], actions: bool) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    let mut out = guard::Out::new(&mut stdout, actions);
    for line in lines {
        writeln!(out, "{}", text::sanitize(line))?;
    }
    out.flush()?;
    Ok(())
}

/// Write JUnit XML.
pub fn write_junit(report: &Report, out: &mut dyn Write) -> Result<()> {
    junit::write(report, out)
}

/// Write a SARIF 2.1.0 log.
pub fn write_sarif(report: &Report, out: &mut dyn Write) -> Result<()> {
    sarif::write(report, out)
}

/// Print a failure of the tool itself (exit 2) on stderr. Under GitHub
/// Actions it becomes an error annotation (at the config file's line when the
/// failure is a config error), and never a command of someone else's making.
pub fn print_failure(err: &anyhow::Error, env: &crate::env::Env) {
    let message = format!("{err:#}");
    let mut stderr = std::io::stderr().lock();
    if env.actions {
        let root = env.report_root();
        let place = err
            .downcast_ref::<crate::config::ConfigError>()
            .map(|c| (crate::discover::relative(&c.path, &root), c.line, c.column));
        let place = place.as_ref().map(|(p, l, c)| (p.as_str(), *l, *c));
        let _ = writeln!(stderr, "{}", github::failure(&message, place));
    } else {
        let _ = writeln!(stderr, "chat-template-lint: error: {message}");
    }
}

/// Print a diagnostic line on stderr (e.g. `render`'s template errors). Under
/// GitHub Actions (`actions`) it is neutralised like every other line the
/// tool prints.
pub fn eprint_line(actions: bool, line: &str) {
    let mut stderr = std::io::stderr().lock();
    let text = if actions {
        guard::text(line)
    } else {
        line.to_string()
    };
    let _ = writeln!(stderr, "{text}");
}

/// Print a command-line parsing outcome from clap (an error, or `--help` /
/// `--version`) with clap's exit code; guarded under GitHub Actions, since
/// an error message quotes the offending argument.
pub fn print_usage_error(err: &clap::Error, actions: bool) -> std::process::ExitCode {
    let code = u8::try_from(err.exit_code()).unwrap_or(2);
    if !actions {
        let _ = err.print();
        return std::process::ExitCode::from(code);
    }
    let text = guard::text(err.render().to_string().trim_end());
    if err.use_stderr() {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    } else {
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    }
    std::process::ExitCode::from(code)
}

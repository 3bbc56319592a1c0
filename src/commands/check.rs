//! `check`: resolve the settings (flags over the config file), run the
//! pipeline, write every sink, and pick the exit code; or, with
//! `--show-settings` / `--show-files`, say what a check would use and stop.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

use super::{hub_or_path, parse_now, parse_vars, stdout_closed};
use crate::baseline::Baseline;
use crate::check::{run_check, CheckOptions};
use crate::cli::CheckArgs;
use crate::config::{Config, Layers, Origin};
use crate::discover::{discover_all, DiscoverOptions};
use crate::env::Env;
use crate::report::{emit_all, Format, Sinks};
use crate::rules::RuleOptions;

pub(super) fn check(args: CheckArgs, env: &Env) -> Result<ExitCode> {
    let cwd = env.cwd.clone();
    let root = env.report_root();
    let quiet = if args.output.silent {
        2
    } else {
        args.output.quiet
    };
    let mut paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
            .iter()
            .map(|p| hub_or_path(p, env, quiet > 0))
            .collect::<Result<_>>()?
    };
    if root != cwd {
        paths = paths.into_iter().map(|p| cwd.join(p)).collect();
    }
    let mut layers = args.config.layers(&paths[0])?;
    // `--fix`, `--no-fix`, `--unsafe-fixes`, `--unfixable` over the file's
    // `fix`, `unsafe-fixes`, `unfixable`.
    let fix = &args.fix;
    layers.flags.fix = match (fix.fix, fix.no_fix) {
        (true, _) => Some(true),
        (false, true) => Some(false),
        (false, false) => None,
    };
    layers.flags.unsafe_fixes = fix.unsafe_fixes.then_some(true);
    if !fix.unfixable.is_empty() {
        layers.flags.unfixable = Some(crate::config::parse_rules(&fix.unfixable)?);
    }
    let cfg = layers.merged();
    let format = args.output.format.unwrap_or(if env.actions {
        Format::Github
    } else {
        Format::Text
    });
    if args.show_settings {
        return show_settings(&layers, &args, format, env);
    }
    let settings = layers.settings(&root);
    let from_file = |o: Origin| match o {
        Origin::File(path) => Some(crate::discover::relative(&path, &root)),
        Origin::Flag(_) | Origin::Env(_) | Origin::Default => None,
    };
    let discover = DiscoverOptions {
        include: cfg.include.clone().unwrap_or_default(),
        exclude: cfg.exclude.clone().unwrap_or_default(),
        no_ignore: cfg.respect_gitignore == Some(false),
        include_source: from_file(layers.origin_of("include")),
        exclude_source: from_file(layers.origin_of("exclude")),
    };
    // Said on stderr unless `-q`: warnings and notes about the run.
    let note = |line: &str| {
        if quiet == 0 {
            crate::report::eprint_line(env.actions, &format!("chat-template-lint: {line}"));
        }
    };
    if args.show_files {
        return show_files(&paths, &root, &discover, &note, env.actions);
    }
    let opts = CheckOptions {
        // The step summary always lists capabilities.
        capabilities: args.output.capabilities || env.step_summary.is_some(),
        baseline: baseline(&args, &cfg, &paths, env)?,
        paths,
        root,
        discover,
        now: parse_now(args.env.now.as_deref())?,
        vars: parse_vars(&args.env)?,
        rule_options: RuleOptions {
            require: cfg.require.clone().unwrap_or_default(),
        },
        no_cache: args.no_cache,
    };
    let mut report = run_check(&opts, &settings)?;
    let mut fixed = None;
    if let Some(fix) = crate::fix::FixRun::from_args(&args.fix, &cfg, crate::config::parse_rules)? {
        match crate::fix::run(&opts, &settings, &fix, report, env.actions)? {
            crate::fix::Outcome::Diffed { pending } => {
                return Ok(ExitCode::from(u8::from(pending)));
            }
            crate::fix::Outcome::Fixed {
                report: after,
                summary,
            } => {
                report = *after;
                fixed = Some(summary);
            }
        }
    }
    // A glob that matches nothing is usually a typo or a path relative to
    // the wrong folder: say so instead of silently checking more (an
    // --exclude) or less (an --include) than meant.
    for unmatched in &report.unmatched_globs {
        note(&format!(
            "warning: {unmatched} (globs are matched against paths relative to the scanned folder and to the working folder)"
        ));
    }
    for warning in &report.directive_warnings {
        note(&format!("warning: {warning}"));
    }
    if let Some(message) = report.ignored.message() {
        note(&format!("note: {message}"));
    }
    if report.stats.folders == 0 && report.stats.files == 0 {
        note(&format!("warning: {}", nothing_found(&opts)));
    }
    let sinks = Sinks {
        format,
        color: env.color.enabled(args.output.no_color),
        actions: env.actions,
        junit: args.junit.clone(),
        sarif: args.sarif.clone(),
        step_summary: env.step_summary.clone(),
        step_outputs: env.github_output.clone().filter(|_| env.actions),
        capabilities: args.output.capabilities,
        statistics: args.output.statistics,
        quiet,
    };
    // Buffered: Rust's stdout flushes at every line, one write(2) per line
    // (40,000 of them for a 10,000-folder tree). Nothing else is printed
    // while the report is written, so the order of the output is the same.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = emit_all(&report, &sinks, &mut out)
        .and_then(|()| crate::fix::print_fixed(fixed.as_ref(), format, env.actions, &mut out))
        .and_then(|()| Ok(out.flush()?));
    // A reader that stops early (`| head`) does not change the verdict.
    if let Err(err) = written {
        if !stdout_closed(&err) {
            return Err(err);
        }
    }
    Ok(if report.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A gate that checked nothing must not pass silently (a wrong path in a
/// workflow, templates under names the defaults do not match).
fn nothing_found(opts: &CheckOptions) -> String {
    let (looked_for, hint) = if opts.discover.include.is_empty() {
        (
            crate::discover::DEFAULT_INCLUDE.join(", "),
            " (add others with --include GLOB)",
        )
    } else {
        (opts.discover.include.join(", "), "")
    };
    let paths: Vec<String> = opts
        .paths
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect();
    format!(
        "no chat template found under {}; looked for {looked_for}{hint}",
        paths.join(", ")
    )
}

/// `--show-settings`: the resolved settings as TOML, each with where it came
/// from (`# --fail-on`, `# chat-template-lint.toml`, `# default`).
fn show_settings(layers: &Layers, args: &CheckArgs, format: Format, env: &Env) -> Result<ExitCode> {
    let root = env.report_root();
    let shown = |o: &Origin| match o {
        Origin::Flag(name) | Origin::Env(name) => name.to_string(),
        Origin::File(path) => crate::discover::relative(path, &root),
        Origin::Default => "default".to_string(),
    };
    let mut rows = layers.show();
    let format_origin = match (args.output.format, env.actions) {
        (Some(_), _) => Origin::Flag("--output-format"),
        (None, true) => Origin::Env("GITHUB_ACTIONS=true"),
        (None, false) => Origin::Default,
    };
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let baseline = match (
        &args.baseline_ref,
        &args.baseline,
        &layers.merged().baseline,
    ) {
        (Some(rev), _, _) => (
            format!("{{ ref = {} }}", quote(rev)),
            Origin::Flag("--baseline-ref"),
        ),
        (None, Some(dir), _) => (quote(&dir.to_string_lossy()), Origin::Flag("--baseline")),
        (None, None, Some(b)) => (quote(b), layers.origin_of("baseline")),
        (None, None, None) => ("\"none\"".to_string(), Origin::Default),
    };
    // The flags' baseline replaces the file's row.
    rows.retain(|(key, _, _)| key != "baseline");
    rows.push(("baseline".to_string(), baseline.0, baseline.1));
    let format_name = format!("{format:?}").to_lowercase();
    rows.push((
        "output-format".to_string(),
        format!("\"{format_name}\""),
        format_origin,
    ));
    let file = match &layers.file {
        Some(cfg) => crate::discover::relative(&cfg.path, &root),
        None if args.config.no_config => "none (--no-config)".to_string(),
        None => "none found".to_string(),
    };
    let mut lines = vec![format!("# config file: {file}")];
    // Origins in one column, except after a long value.
    let width = rows
        .iter()
        .map(|(k, v, _)| k.len() + v.len() + 3)
        .filter(|w| *w <= 40)
        .max()
        .unwrap_or(0);
    for (key, value, origin) in &rows {
        let line = format!("{key} = {value}");
        lines.push(format!("{line:<width$}  # {}", shown(origin)));
    }
    crate::report::print_lines(&lines, env.actions)?;
    Ok(ExitCode::SUCCESS)
}

/// `--show-files`: each model folder (or loose template file) that would be
/// checked, with the files its templates come from (the one transformers
/// uses, and the ones it ignores).
fn show_files(
    paths: &[PathBuf],
    root: &Path,
    discover: &DiscoverOptions,
    note: &dyn Fn(&str),
    actions: bool,
) -> Result<ExitCode> {
    let found = discover_all(paths, root, discover)?;
    for unmatched in &found.unmatched_globs {
        note(&format!("warning: {unmatched}"));
    }
    if let Some(message) = found.ignored.message() {
        note(&format!("note: {message}"));
    }
    let mut out = Vec::new();
    for md in &found.dirs {
        let model = crate::load::load_with(md, &crate::load::LoadOptions::default());
        out.push(md.rel_dir.clone());
        let mut lines: Vec<String> = Vec::new();
        let name = |t: &crate::load::Template| {
            if t.name == "default" {
                String::new()
            } else {
                format!(" (template `{}`)", t.name)
            }
        };
        let models = std::iter::once(&model).chain(&model.ggufs);
        for m in models {
            for t in &m.templates {
                lines.push(format!("  {}{}", t.path, name(t)));
            }
            for t in &m.shadowed {
                lines.push(format!(
                    "  {}{}: not used by transformers (another source wins)",
                    t.path,
                    name(t)
                ));
            }
            if m.templates.is_empty() && m.shadowed.is_empty() {
                for f in &m.findings {
                    lines.push(format!("  {}: {}", f.path, f.message));
                }
            }
        }
        if lines.is_empty() {
            lines.push("  (no chat template)".to_string());
        }
        out.extend(lines);
    }
    crate::report::print_lines(&out, actions)?;
    Ok(ExitCode::SUCCESS)
}

/// The baseline for `template-drift`: `--baseline-ref REF`, `--baseline DIR`,
/// else the config's `baseline` (a folder, or `pr-base`: the pull request's
/// base branch `origin/$GITHUB_BASE_REF`, none outside a pull request).
fn baseline(
    args: &CheckArgs,
    cfg: &Config,
    paths: &[PathBuf],
    env: &Env,
) -> Result<Option<Baseline>> {
    let at = paths.first().map_or(Path::new("."), PathBuf::as_path);
    let git = |rev: &str| -> Result<Option<Baseline>> {
        Ok(Some(Baseline::GitRef(Box::new(
            crate::gitref::GitRef::open(rev, at)?,
        ))))
    };
    if let Some(rev) = &args.baseline_ref {
        return git(rev);
    }
    if let Some(dir) = &args.baseline {
        return Baseline::open(dir.clone()).map(Some);
    }
    match cfg.baseline.as_deref() {
        Some("pr-base") => match &env.base_ref {
            Some(base) => git(&format!("origin/{base}")),
            None => Ok(None),
        },
        Some(_) => cfg.baseline_path().map(Baseline::open).transpose(),
        None => Ok(None),
    }
}

//! Wiring: each subcommand turns parsed flags and the environment (read once
//! by `main`) into library calls and an exit code. `check` and `render` have
//! their own files; the helpers they share are here.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};
use serde_json::{Map, Value};

use crate::cli::{Cli, Command, EnvArgs};
use crate::env::Env;
use crate::render::default_now;
use crate::rules::Rule;

mod check;
mod render;

pub fn run(cli: Cli, env: &Env) -> Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::check(args, env),
        Command::Render(args) => render::render(args, env),
        Command::Rules => {
            let mut out = std::io::stdout().lock();
            for row in &crate::rules::TABLE {
                writeln!(
                    out,
                    "{:<32} {:<8} {:<10} {}",
                    row.rule.id(),
                    row.rule.default_severity().as_str(),
                    row.fixable.label(),
                    row.docs.summary
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { rule } => {
            let Some(r) = Rule::from_id(&rule) else {
                bail!("unknown rule `{rule}` (see `chat-template-lint rules`)");
            };
            write!(std::io::stdout().lock(), "{}", r.explain())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Whether `err` is a write to a stdout whose reader has gone (`| head`):
/// not a failure of the tool, so nothing is printed about it.
pub fn stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `--now`: RFC 3339 (offset ignored: transformers uses the naive local
/// `datetime.now()`), or a naive `YYYY-MM-DDTHH:MM:SS`.
pub fn parse_now(now: Option<&str>) -> Result<chrono::NaiveDateTime> {
    let Some(s) = now else {
        return Ok(default_now());
    };
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(dt.naive_local());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(dt);
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if let Some(dt) = d.and_hms_opt(0, 0, 0) {
            return Ok(dt);
        }
    }
    bail!("--now `{s}` is not an RFC 3339 time (e.g. 2024-07-26T00:00:00Z)")
}

/// `--var NAME=VALUE`: VALUE as JSON, else as a plain string.
pub fn parse_vars(env: &EnvArgs) -> Result<Map<String, Value>> {
    let mut vars = Map::new();
    for raw in &env.vars {
        let Some((name, value)) = raw.split_once('=') else {
            bail!("--var `{raw}` must look like NAME=VALUE");
        };
        let value =
            serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        vars.insert(name.to_string(), value);
    }
    Ok(vars)
}

/// A path from the command line, or the cached snapshot of the Hub id it
/// names (`org/model` where no such path exists; see `hub`), said on stderr
/// unless `quiet`.
fn hub_or_path(path: &Path, env: &Env, quiet: bool) -> Result<PathBuf> {
    let cache = crate::hub::cache_dir(|name| env.hf_var(name));
    match crate::hub::resolve_arg(path, cache.as_deref())? {
        Some(snapshot) if quiet => Ok(snapshot),
        Some(snapshot) => {
            crate::report::eprint_line(
                env.actions,
                &format!(
                    "chat-template-lint: `{}` is not a path here; using its snapshot in the Hugging Face cache: {}",
                    path.display(),
                    snapshot.display()
                ),
            );
            Ok(snapshot)
        }
        None => Ok(path.to_path_buf()),
    }
}

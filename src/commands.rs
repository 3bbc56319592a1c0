//! What each subcommand does: turn parsed flags into options, run the
//! library, write the result, and pick the exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};

use crate::baseline::Baseline;
use crate::check::{run_check, template_vars, CheckOptions};
use crate::cli::{CheckArgs, Cli, Command, EnvArgs, RenderArgs};
use crate::config;
use crate::discover::{DiscoverOptions, ModelDir};
use crate::load::load;
use crate::render::{compile, default_now, RenderInput};
use crate::report::{emit_all, Format, Sinks};
use crate::resolve::Settings;
use crate::rules::{Rule, RuleOptions};

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check(args),
        Command::Render(args) => render(args),
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

fn parse_rules(ids: &[String]) -> Result<Vec<Rule>> {
    ids.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|id| {
            Rule::from_id(id.trim())
                .with_context(|| format!("unknown rule `{id}` (see `chat-template-lint rules`)"))
        })
        .collect()
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let actions = in_github_actions();
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let root = report_root(&cwd);
    let mut paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
            .iter()
            .map(|p| hub_or_path(p))
            .collect::<Result<_>>()?
    };
    if root != cwd {
        paths = paths.into_iter().map(|p| cwd.join(p)).collect();
    }
    let cfg = if args.no_config {
        None
    } else if let Some(path) = &args.config {
        Some(config::load(path)?)
    } else {
        config::discover(&paths[0])?
    };
    let cfg = cfg.unwrap_or_default();

    let mut settings = Settings {
        select: cfg.select.clone(),
        ignore: cfg.ignore.clone().unwrap_or_default(),
        severity: cfg.severity.clone(),
        per_path_ignores: cfg.path_ignores(&root),
        fail_on: cfg.fail_on.unwrap_or_default(),
    };
    // Command-line flags override the file.
    if !args.select.is_empty() {
        settings.select = Some(parse_rules(&args.select)?);
    }
    if !args.ignore.is_empty() {
        settings.ignore = parse_rules(&args.ignore)?;
    }
    if let Some(f) = args.fail_on {
        settings.fail_on = f;
    }
    let pick = |cli: &[String], file: &Option<Vec<String>>| {
        if cli.is_empty() {
            file.clone().unwrap_or_default()
        } else {
            cli.to_vec()
        }
    };
    let step_summary = std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let opts = CheckOptions {
        // The step summary always lists capabilities.
        capabilities: args.capabilities || step_summary.is_some(),
        baseline: baseline(&args, &cfg, &paths)?,
        paths,
        root,
        discover: DiscoverOptions {
            include: pick(&args.include, &cfg.include),
            exclude: pick(&args.exclude, &cfg.exclude),
        },
        now: parse_now(args.env.now.as_deref())?,
        vars: parse_vars(&args.env)?,
        rule_options: RuleOptions {
            require: cfg.require.clone().unwrap_or_default(),
        },
        no_cache: args.no_cache,
    };
    let mut report = run_check(&opts, &settings)?;
    let mut fixed = None;
    if let Some(fix) = crate::fix::FixRun::from_args(&args.fix, &cfg, parse_rules)? {
        match crate::fix::run(&opts, &settings, &fix, report, actions)? {
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
        crate::report::eprint_line(&format!(
            "chat-template-lint: warning: {unmatched} (globs are matched against paths relative to the scanned folder and to the working folder)"
        ));
    }
    for warning in &report.directive_warnings {
        crate::report::eprint_line(&format!("chat-template-lint: warning: {warning}"));
    }
    if report.stats.folders == 0 && report.stats.files == 0 {
        // A gate that checked nothing must not pass silently (a wrong path
        // in a workflow, templates under names the defaults do not match).
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
        crate::report::eprint_line(&format!(
            "chat-template-lint: warning: no chat template found under {}; looked for {looked_for}{hint}",
            paths.join(", ")
        ));
    }
    let format = args.format.unwrap_or(if actions {
        Format::Github
    } else {
        Format::Text
    });
    let color =
        !args.no_color && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let sinks = Sinks {
        format,
        color,
        actions,
        junit: args.junit.clone(),
        sarif: args.sarif.clone(),
        step_summary,
        step_outputs: std::env::var_os("GITHUB_OUTPUT")
            .filter(|v| actions && !v.is_empty())
            .map(PathBuf::from),
        capabilities: args.capabilities,
    };
    // Buffered: Rust's stdout flushes at every line, one write(2) per line
    // (40,000 of them for a 10,000-folder tree). Nothing else is printed
    // while the report is written, so the order of the output is the same.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = emit_all(&report, &sinks, &mut out)
        .and_then(|()| crate::fix::print_fixed(fixed.as_ref(), format, &mut out))
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

/// Whether stdout is a regular file (`render … > prompt.txt`), not the
/// runner's log or a terminal.
fn stdout_is_file() -> bool {
    #[cfg(unix)]
    let handle = {
        use std::os::fd::AsFd;
        std::io::stdout().as_fd().try_clone_to_owned()
    };
    #[cfg(windows)]
    let handle = {
        use std::os::windows::io::AsHandle;
        std::io::stdout().as_handle().try_clone_to_owned()
    };
    #[cfg(any(unix, windows))]
    return handle
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.is_file());
    #[cfg(not(any(unix, windows)))]
    false
}

/// A `::stop-commands::` token: 128 random bits (two hashers keyed from
/// std's per-process random seed), in hex, never a substring of the text it
/// guards.
fn stop_token(text: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    loop {
        let mut token = String::from("ctl-");
        for _ in 0..2 {
            let h = std::collections::hash_map::RandomState::new().build_hasher();
            token.push_str(&format!("{:016x}", h.finish()));
        }
        if !text.contains(&token) {
            return token;
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

/// What reported paths are relative to: in Actions the workspace (annotations
/// need that) when `cwd` is inside it, else `cwd`.
pub fn report_root(cwd: &Path) -> PathBuf {
    let Some(ws) = in_github_actions()
        .then(|| std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from))
        .flatten()
    else {
        return cwd.to_path_buf();
    };
    // Compare resolved paths (macOS /var → /private/var), but return the
    // workspace as an ancestor of `cwd`, in the form `cwd` has.
    let resolve = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    match resolve(cwd).strip_prefix(resolve(&ws)) {
        Ok(below) => cwd
            .ancestors()
            .nth(below.components().count())
            .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf),
        Err(_) => cwd.to_path_buf(),
    }
}

/// `GITHUB_ACTIONS=true`: the runner reads our output for workflow commands.
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true")
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

fn read_json_arg(path: &Path) -> Result<Value> {
    let bytes = crate::files::read_input(path, crate::load::MAX_FILE_BYTES)
        .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("`{}` is not valid JSON", path.display()))
}

fn render(args: RenderArgs) -> Result<ExitCode> {
    let path = &hub_or_path(&args.path)?;
    if !path.exists() {
        bail!("path `{}` does not exist", path.display());
    }
    let (dir, file) = if path.is_dir() {
        one_model_folder(path)?;
        (path.clone(), None)
    } else {
        (
            path.parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            Some(path.clone()),
        )
    };
    let name = args
        .template_name
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let gguf = file.as_ref().filter(|f| {
        f.file_name()
            .is_some_and(|n| crate::load::is_gguf_name(&n.to_string_lossy()))
    });
    let model = match gguf {
        // A GGUF file: its own templates and special tokens (from its token list).
        Some(f) => {
            let shown = f.to_string_lossy();
            match crate::load::load_gguf(f, &shown, &crate::load::LoadOptions::default()) {
                Ok(Some(m)) => m,
                Ok(None) => bail!("`{shown}` is not a language model (a projector or an adapter): it has no chat template"),
                Err(finding) => bail!("{}", finding.message),
            }
        }
        None => load(&ModelDir {
            dir: dir.clone(),
            rel_dir: ".".into(),
        }),
    };
    let text = match &file {
        Some(f) if f.extension().is_some_and(|e| e == "jinja") && args.template_name.is_none() => {
            let bytes = crate::files::read_capped(f, crate::load::MAX_FILE_BYTES)
                .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", f.display()))?;
            String::from_utf8(bytes)
                .with_context(|| format!("`{}` is not valid UTF-8", f.display()))?
        }
        _ => {
            // A JSON file given by name: its own templates (a loose load), not
            // whichever source wins in its folder; special tokens stay the folder's.
            let own = file.as_ref().filter(|_| gguf.is_none()).map(|f| {
                load(&ModelDir {
                    dir: f.clone(),
                    rel_dir: f.to_string_lossy().into_owned(),
                })
            });
            let source = own.as_ref().unwrap_or(&model);
            let Some(t) = source.templates.iter().find(|t| t.name == name) else {
                for f in &source.findings {
                    crate::report::eprint_line(&format!("{}: {}", f.path, f.message));
                }
                let names: Vec<&str> = source.templates.iter().map(|t| t.name.as_str()).collect();
                bail!(
                    "no chat template named `{name}` in `{}` (found: {})",
                    path.display(),
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                );
            };
            t.text.clone()
        }
    };
    let mut input = RenderInput {
        messages: Value::Array(vec![]),
        tools: None,
        documents: None,
        add_generation_prompt: args.add_generation_prompt,
        vars: Map::new(),
        now: parse_now(args.env.now.as_deref())?,
    };
    let mut extra = Map::new();
    if args.messages.is_none() {
        input.messages = default_conversation();
        crate::report::eprint_line(&format!(
            "chat-template-lint: no --messages given: rendering the default conversation {} (the `user` probe); pass --messages FILE for another",
            input.messages
        ));
    }
    if let Some(m) = &args.messages {
        match read_json_arg(m)? {
            Value::Array(items) => input.messages = Value::Array(items),
            Value::Object(mut body) => {
                input.messages = body.remove("messages").unwrap_or(Value::Array(vec![]));
                input.tools = body.remove("tools").filter(|v| !v.is_null());
                input.documents = body.remove("documents").filter(|v| !v.is_null());
                if let Some(Value::Bool(b)) = body.remove("add_generation_prompt") {
                    input.add_generation_prompt = b || args.add_generation_prompt;
                }
                extra = body;
            }
            _ => bail!("--messages must hold a list of messages or an object with `messages`"),
        }
    }
    if let Some(t) = &args.tools {
        input.tools = Some(read_json_arg(t)?);
    }
    let mut user_vars = extra;
    user_vars.extend(parse_vars(&args.env)?);
    input.vars = template_vars(&model, &user_vars);
    let compiled = match compile(&text) {
        Ok(c) => c,
        Err(e) => {
            crate::report::eprint_line(&format!(
                "template error: {}{}",
                e.message,
                e.line
                    .map(|l| format!(" (template line {l})"))
                    .unwrap_or_default()
            ));
            return Ok(ExitCode::from(1));
        }
    };
    match compiled.render(&input) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if in_github_actions() && !stdout_is_file() {
                // The prompt is template output: untrusted text going to the
                // runner's log. Pause command processing around it with a
                // token the text cannot know; a file gets the exact bytes.
                let token = stop_token(&out);
                let newline = if out.ends_with(['\n', '\r']) {
                    ""
                } else {
                    "\n"
                };
                write!(
                    stdout,
                    "::stop-commands::{token}\n{out}{newline}::{token}::\n"
                )?;
            } else {
                stdout.write_all(out.as_bytes())?;
            }
            stdout.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            crate::report::eprint_line(&format!(
                "template error: {}{}",
                e.message,
                e.line
                    .map(|l| format!(" (template line {l})"))
                    .unwrap_or_default()
            ));
            Ok(ExitCode::from(1))
        }
    }
}

/// A path from the command line, or the cached snapshot of the Hub id it
/// names (`org/model` where no such path exists; see `hub`), said on stderr.
fn hub_or_path(path: &Path) -> Result<PathBuf> {
    let cache = crate::hub::cache_dir(|name| std::env::var_os(name));
    match crate::hub::resolve_arg(path, cache.as_deref())? {
        Some(snapshot) => {
            crate::report::eprint_line(&format!(
                "chat-template-lint: `{}` is not a path here; using its snapshot in the Hugging Face cache: {}",
                path.display(),
                snapshot.display()
            ));
            Ok(snapshot)
        }
        None => Ok(path.to_path_buf()),
    }
}

/// What `render` renders when no `--messages` is given: the `user` probe,
/// one user turn (every chat template accepts it; a system turn some reject).
fn default_conversation() -> Value {
    crate::probes::ProbeId::User.probe().messages.clone()
}

/// `render` renders one model folder: a folder that is not one itself but
/// holds model folders below is an error naming them (the first few).
fn one_model_folder(dir: &Path) -> Result<()> {
    if crate::discover::is_model_folder(dir) {
        return Ok(());
    }
    let found = crate::discover::discover(&[dir.to_path_buf()], dir, &DiscoverOptions::default())?;
    // The folder itself can be found (a GGUF-only folder): that is one folder.
    let found: Vec<ModelDir> = found.into_iter().filter(|m| m.rel_dir != ".").collect();
    let Some(first) = found.first() else {
        return Ok(());
    };
    const SHOWN: usize = 5;
    let mut names: Vec<String> = found
        .iter()
        .take(SHOWN)
        .map(|m| format!("`{}`", m.dir.display()))
        .collect();
    if found.len() > SHOWN {
        names.push(format!("and {} more", found.len() - SHOWN));
    }
    bail!(
        "`{}` is not one model folder: it holds {} ({}). `render` renders one template; name its folder or file, e.g. `chat-template-lint render {}`",
        dir.display(),
        if found.len() == 1 { "1 model folder".to_string() } else { format!("{} model folders", found.len()) },
        names.join(", "),
        first.dir.display()
    )
}

/// The baseline for `template-drift`: `--baseline-ref REF`, `--baseline DIR`,
/// else the config's `baseline` (a folder, or `pr-base`: the pull request's
/// base branch `origin/$GITHUB_BASE_REF`, none outside a pull request).
fn baseline(
    args: &CheckArgs,
    cfg: &crate::config::Config,
    paths: &[PathBuf],
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
        Some("pr-base") => match std::env::var("GITHUB_BASE_REF") {
            Ok(base) if !base.is_empty() => git(&format!("origin/{base}")),
            _ => Ok(None),
        },
        Some(_) => cfg.baseline_path().map(Baseline::open).transpose(),
        None => Ok(None),
    }
}

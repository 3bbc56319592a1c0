//! `render`: print one template's render exactly as transformers would
//! (no added newline), or the template's error on stderr with exit 1.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};

use super::{hub_or_path, parse_now, parse_vars};
use crate::check::template_vars;
use crate::cli::RenderArgs;
use crate::discover::{DiscoverOptions, ModelDir};
use crate::env::Env;
use crate::load::load;
use crate::render::{compile, RenderInput};

pub(super) fn render(args: RenderArgs, env: &Env) -> Result<ExitCode> {
    let path = &hub_or_path(&args.path, env, false)?;
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
                    crate::report::eprint_line(env.actions, &format!("{}: {}", f.path, f.message));
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
        crate::report::eprint_line(env.actions, &format!(
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
            template_error(env, &e.message, e.line);
            return Ok(ExitCode::from(1));
        }
    };
    match compiled.render(&input) {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if env.actions && !env.stdout_is_file {
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
            template_error(env, &e.message, e.line);
            Ok(ExitCode::from(1))
        }
    }
}

/// `template error: MESSAGE (template line N)` on stderr; `render` exits 1.
fn template_error(env: &Env, message: &str, line: Option<usize>) {
    let at = line
        .map(|l| format!(" (template line {l})"))
        .unwrap_or_default();
    crate::report::eprint_line(env.actions, &format!("template error: {message}{at}"));
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

fn read_json_arg(path: &Path) -> Result<Value> {
    let bytes = crate::files::read_input(path, crate::load::MAX_FILE_BYTES)
        .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("`{}` is not valid JSON", path.display()))
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

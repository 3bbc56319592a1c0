//! The render engine: compile a chat template and render it exactly as
//! transformers' `render_jinja_template` does (transformers 5.x,
//! `utils/chat_template_utils.py`, on jinja2's ImmutableSandboxedEnvironment).
//!
//! Pure: no I/O, no clock (the time for `strftime_now` is an input). Run time
//! and output size are bounded because templates are untrusted code.
//!
//! NOTE: first working version on stock minijinja; byte-for-byte fidelity
//! with transformers is issue 3.

use std::fmt;

use chrono::NaiveDateTime;
use minijinja::{Environment, Error, ErrorKind, Value as JValue};
use serde_json::{Map, Value};

/// Upper bound on template instructions per render (minijinja fuel).
pub const FUEL: u64 = 50_000_000;
/// Upper bound on the size of one render's output, in bytes.
pub const MAX_OUTPUT: usize = 8 * 1024 * 1024;

/// Everything one render needs, shaped as transformers passes it.
#[derive(Clone, Debug)]
pub struct RenderInput {
    pub messages: Value,
    pub tools: Option<Value>,
    pub documents: Option<Value>,
    pub add_generation_prompt: bool,
    /// Special tokens first, then user variables (later keys win).
    pub vars: Map<String, Value>,
    /// What `strftime_now` formats.
    pub now: NaiveDateTime,
}

/// The default frozen clock: 2024-07-26T00:00:00.
pub fn default_now() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2024, 7, 26)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// Why a template does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    /// Byte range in the template text, when known.
    pub range: Option<std::ops::Range<usize>>,
    /// 1-based line in the template text, when known.
    pub line: Option<usize>,
}

/// How a render failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenderErrorKind {
    /// The template called `raise_exception(...)`: a declared limit of the template.
    Raised,
    /// Any other error (TypeError, UndefinedError, … in jinja2 terms).
    Failed,
    /// It ran past the fuel or output bound.
    LimitExceeded,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderError {
    pub kind: RenderErrorKind,
    pub message: String,
    pub range: Option<std::ops::Range<usize>>,
    pub line: Option<usize>,
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

const NAME: &str = "chat_template";

/// A compiled template, ready to render many times.
pub struct Compiled {
    env: Environment<'static>,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled").finish_non_exhaustive()
    }
}

/// Compile `text` the way transformers' environment would parse it.
pub fn compile(text: &str) -> Result<Compiled, CompileError> {
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(false)
        .build()
        .map_err(|e| CompileError {
            message: e.to_string(),
            range: None,
            line: None,
        })?;
    env.set_syntax(syntax);
    env.set_fuel(Some(FUEL));
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_function("raise_exception", |msg: String| -> Result<JValue, Error> {
        Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("raise_exception: {msg}"),
        ))
    });
    env.add_template_owned(NAME, text.to_string())
        .map_err(|e| CompileError {
            message: e.detail().unwrap_or("syntax error").to_string(),
            range: e.range(),
            line: e.line(),
        })?;
    Ok(Compiled { env })
}

impl Compiled {
    pub fn render(&self, input: &RenderInput) -> Result<String, RenderError> {
        let tmpl = self.env.get_template(NAME).map_err(|e| failed(&e))?;
        let mut ctx = Map::new();
        ctx.insert("messages".into(), input.messages.clone());
        ctx.insert("tools".into(), input.tools.clone().unwrap_or(Value::Null));
        ctx.insert(
            "documents".into(),
            input.documents.clone().unwrap_or(Value::Null),
        );
        ctx.insert(
            "add_generation_prompt".into(),
            Value::Bool(input.add_generation_prompt),
        );
        for (k, v) in &input.vars {
            ctx.insert(k.clone(), v.clone());
        }
        let out = tmpl
            .render(JValue::from(minijinja::value::Serde(Value::Object(ctx))))
            .map_err(|e| failed(&e))?;
        if out.len() > MAX_OUTPUT {
            return Err(RenderError {
                kind: RenderErrorKind::LimitExceeded,
                message: format!("output exceeds {MAX_OUTPUT} bytes"),
                range: None,
                line: None,
            });
        }
        Ok(out)
    }
}

fn failed(e: &Error) -> RenderError {
    let message = e.detail().unwrap_or("render failed").to_string();
    let kind = if message.starts_with("raise_exception: ") {
        RenderErrorKind::Raised
    } else if e.kind() == ErrorKind::OutOfFuel {
        RenderErrorKind::LimitExceeded
    } else {
        RenderErrorKind::Failed
    };
    RenderError {
        kind,
        message,
        range: e.range(),
        line: e.line(),
    }
}

//! The render engine: compile a chat template and render it exactly as
//! transformers' `render_jinja_template` does (transformers 5.x,
//! `utils/chat_template_utils.py`, on jinja2's ImmutableSandboxedEnvironment).
//!
//! Pure: no I/O, no clock (the time for `strftime_now` is an input). Run time
//! (fuel), output size (capped while rendering) and nesting depth are bounded
//! because templates are untrusted code.
//!
//! Layout: `prepass` rewrites what minijinja cannot parse or iterate like
//! jinja2; `env` configures minijinja like transformers' environment, with
//! `filters`, `pytests`, `methods`, `pyjson`, `pyrepr` (Python's printing),
//! `generator`, `strftime`; `shape` builds the context; `limits` bounds a
//! render; `generation` records `{% generation %}` spans.

use std::fmt;
use std::ops::Range;

use chrono::NaiveDateTime;
use minijinja::{Environment, Error, ErrorKind, Value as JValue};
use serde_json::{Map, Value};

/// Upper bound on template instructions per render (minijinja fuel; it also
/// charges one unit per 64 bytes of strings created, so this bounds memory
/// too: ~128 MB). The most any of the 12,712 conformance renders uses is
/// ~1,700, so real templates have three orders of magnitude of headroom.
pub const FUEL: u64 = 2_000_000;
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
    pub range: Option<Range<usize>>,
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
    pub range: Option<Range<usize>>,
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

mod astpass;
mod env;
#[cfg(test)]
mod fidelity_tests;
mod filters;
mod generation;
mod generator;
mod joiner;
mod limits;
mod methods;
mod numfilters;
mod prepass;
mod pyjson;
mod pyops;
mod pyrepr;
mod pytests;
mod shape;
mod strftime;
#[cfg(test)]
mod tests;
mod textfilters;

pub use prepass::Rewritten;
/// A JSON string literal as Python's `json.dumps` writes it (also what
/// `fix` writes into tokenizer_config.json).
pub use pyjson::string as python_json_string;

const NAME: &str = "chat_template";

/// A compiled template, ready to render many times.
pub struct Compiled {
    env: Environment<'static>,
    rewritten: Rewritten,
    /// The template text itself holds generation marker characters.
    source_has_markers: bool,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled").finish_non_exhaustive()
    }
}

/// Compile `text` the way transformers' environment would parse it.
pub fn compile(text: &str) -> Result<Compiled, CompileError> {
    // A panic in the engine (a bug of ours, or of minijinja) on one
    // untrusted template must not end the run: it becomes this template's error.
    std::panic::catch_unwind(|| compile_inner(text)).unwrap_or_else(|panic| {
        Err(CompileError {
            message: internal_error(panic.as_ref()),
            range: None,
            line: None,
        })
    })
}

/// The text a panic was raised with.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

/// The message for a panic caught while compiling or rendering.
fn internal_error(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic_text(panic);
    format!(
        "internal error of chat-template-lint's engine on this template (please report it): {what}"
    )
}

fn compile_inner(text: &str) -> Result<Compiled, CompileError> {
    let syntax = env::syntax().map_err(|e| CompileError {
        message: e.to_string(),
        range: None,
        line: None,
    })?;
    let rewritten = prepass::rewrite(text, &syntax);
    let mut env = env::environment(syntax, FUEL);
    if let Err(e) = env.add_template_owned(NAME, rewritten.source.clone()) {
        return Err(CompileError {
            message: e.detail().unwrap_or("syntax error").to_string(),
            range: e
                .range()
                .map(|r| rewritten.map_offset(r.start)..rewritten.map_offset(r.end)),
            line: e.line(),
        });
    }
    Ok(Compiled {
        env,
        rewritten,
        source_has_markers: generation::has_markers(text),
    })
}

impl Compiled {
    /// Render one input. The output is exactly what transformers produces,
    /// or an error where transformers raises.
    pub fn render(&self, input: &RenderInput) -> Result<String, RenderError> {
        self.render_ctx(input, false)
    }

    /// Render like `render`, and also return the byte ranges of the output
    /// produced inside `{% generation %}` blocks (merged when adjacent).
    /// See `generation.rs` for how they are recorded.
    pub fn render_with_generation_spans(
        &self,
        input: &RenderInput,
    ) -> Result<(String, Vec<Range<usize>>), RenderError> {
        if self.source_has_markers || generation::has_markers(&input_text(input)) {
            // The template or input holds marker characters: spans would be
            // ambiguous, so render plainly and report none.
            return Ok((self.render(input)?, Vec::new()));
        }
        let marked = self.render_ctx(input, true)?;
        Ok(generation::extract(&marked))
    }

    fn render_ctx(&self, input: &RenderInput, record: bool) -> Result<String, RenderError> {
        let tmpl = self
            .env
            .get_template(NAME)
            .map_err(|e| self.failed(&e, false))?;
        let mut ctx = shape::context(input);
        ctx.insert(
            limits::RENDER_NOW.into(),
            Value::String(input.now.format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
        );
        if record {
            ctx.insert(generation::RECORD.into(), Value::Bool(true));
        }
        let mut sink = limits::CappedWriter::new(MAX_OUTPUT);
        limits::take_past_bound();
        limits::reset_work();
        let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            tmpl.render_captured_to(
                JValue::from(minijinja::value::Serde(Value::Object(ctx))),
                &mut sink,
            )
        }));
        let result = match rendered {
            Ok(result) => result,
            Err(panic) => {
                return Err(RenderError {
                    kind: RenderErrorKind::Failed,
                    message: internal_error(panic.as_ref()),
                    range: None,
                    line: None,
                })
            }
        };
        let result = match result {
            Ok(_) if limits::take_past_bound() => Err(limits::past_the_bounds()),
            other => other,
        };
        match result {
            Ok(_) => String::from_utf8(sink.buf).map_err(|_| RenderError {
                kind: RenderErrorKind::Failed,
                message: "render produced invalid UTF-8".into(),
                range: None,
                line: None,
            }),
            Err(e) => Err(self.failed(&e, sink.overflowed)),
        }
    }

    fn failed(&self, e: &Error, overflowed: bool) -> RenderError {
        let message = e
            .detail()
            .map_or_else(|| e.kind().to_string(), str::to_string);
        let kind = if let Some(msg) = message.strip_prefix(env::RAISED_PREFIX) {
            return RenderError {
                kind: RenderErrorKind::Raised,
                message: msg.to_string(),
                range: self.map_range(e.range()),
                line: e.line(),
            };
        } else if overflowed
            || e.kind() == ErrorKind::OutOfFuel
            || message == limits::OUTPUT_LIMIT_MESSAGE
        {
            RenderErrorKind::LimitExceeded
        } else {
            RenderErrorKind::Failed
        };
        let message = match kind {
            RenderErrorKind::LimitExceeded if e.kind() == ErrorKind::OutOfFuel => {
                format!("template ran past {FUEL} steps")
            }
            RenderErrorKind::LimitExceeded => format!("output exceeds {MAX_OUTPUT} bytes"),
            RenderErrorKind::Raised | RenderErrorKind::Failed => message,
        };
        RenderError {
            kind,
            message,
            range: self.map_range(e.range()),
            line: e.line(),
        }
    }

    fn map_range(&self, r: Option<Range<usize>>) -> Option<Range<usize>> {
        r.map(|r| self.rewritten.map_offset(r.start)..self.rewritten.map_offset(r.end))
    }
}

/// All message text of an input, to look for stray marker characters.
fn input_text(input: &RenderInput) -> String {
    let mut s = input.messages.to_string();
    for v in [&input.tools, &input.documents].into_iter().flatten() {
        s.push_str(&v.to_string());
    }
    for v in input.vars.values() {
        s.push_str(&v.to_string());
    }
    s
}

/// Test helper: render `src` on an empty conversation; errors as `ERR …`.
#[cfg(test)]
pub(crate) fn test_render(src: &str) -> String {
    let input = RenderInput {
        messages: Value::Array(vec![]),
        tools: None,
        documents: None,
        add_generation_prompt: false,
        vars: Map::new(),
        now: default_now(),
    };
    match compile(src) {
        Err(e) => format!("ERR compile: {}", e.message),
        Ok(c) => c
            .render(&input)
            .unwrap_or_else(|e| format!("ERR {}", e.message)),
    }
}

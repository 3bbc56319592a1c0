//! Probe conversations: the inputs every template is rendered on, and the
//! table of their renders that rules read.
//!
//! Each probe is rendered with `add_generation_prompt` false and true. Probe
//! names appear in findings ("seen in probe `user-assistant`"), so they are
//! stable, kebab-case, and describe the conversation. The set covers plain
//! chat, a system message, tools, tool calls (object and JSON-string
//! arguments) with results, retrieved documents, an image content part,
//! reasoning, several turns and non-ASCII text, and the basic conversations
//! again with content as lists of parts (what a processor sends) — about 37
//! renders per template in all. The conversations and their closed set of
//! ids are in `probes/conversations.rs`; this file renders them.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use serde_json::{Map, Value};

use crate::render::{Compiled, RenderError, RenderErrorKind, RenderInput};

mod conversations;

pub use conversations::*;

/// One probe rendered with one value of `add_generation_prompt`.
#[derive(Debug)]
pub struct RenderedProbe {
    pub probe: &'static Probe,
    pub add_generation_prompt: bool,
    pub result: Result<String, RenderError>,
}

/// A render of one assistant turn of a probe, for `prefix-mismatch`:
/// either the inference prompt for it (the messages before it, with
/// `add_generation_prompt=true`) or the conversation up to and including it
/// (with `add_generation_prompt=false`).
#[derive(Debug)]
pub struct TurnRender {
    pub probe: &'static Probe,
    /// Index of the assistant message in `probe.messages`.
    pub turn: usize,
    pub result: Result<String, RenderError>,
    /// Whether the result was copied from a probe that is exactly this conversation.
    pub reused: bool,
}

/// All renders of one template.
#[derive(Debug, Default)]
pub struct Renders {
    pub items: Vec<RenderedProbe>,
    /// The inference prompt before each assistant turn (after the first message).
    pub prompts: Vec<TurnRender>,
    /// The conversation through each assistant turn that is not the probe's last message.
    pub answered: Vec<TurnRender>,
    /// Training renders with the output ranges of `{% generation %}` blocks,
    /// for probes with assistant turns; empty when the template has no such
    /// blocks (see `GENERATION_PROBES`).
    pub generation: Vec<GenerationRender>,
    /// The variables and clock the probes were rendered with, so a rule can
    /// render a variant of the template the same way (`render_variant`).
    pub vars: Map<String, Value>,
    pub now: chrono::NaiveDateTime,
    /// Answers already worked out on these renders (`Renders::remember`):
    /// renders are shared by every folder holding the same template, and so
    /// are the variant renders a rule makes on them.
    memo: Mutex<HashMap<String, Option<std::ops::Range<usize>>>>,
}

/// A training render (`add_generation_prompt=false`) with the byte ranges
/// produced inside `{% generation %}` blocks (transformers' assistant mask).
#[derive(Debug)]
pub struct GenerationRender {
    pub probe: &'static Probe,
    pub text: String,
    pub spans: Vec<std::ops::Range<usize>>,
}

/// Probes whose training renders are checked for `{% generation %}` spans.
/// The first one also decides whether the template has such blocks at all.
pub const GENERATION_PROBES: [ProbeId; 4] = [
    ProbeId::UserAssistant,
    ProbeId::MultiTurn,
    ProbeId::ToolCall,
    ProbeId::Reasoning,
];

impl Renders {
    /// The render of probe `id` with the given flag.
    pub fn get(
        &self,
        id: ProbeId,
        add_generation_prompt: bool,
    ) -> Option<&Result<String, RenderError>> {
        self.items
            .iter()
            .find(|r| r.probe.id == id && r.add_generation_prompt == add_generation_prompt)
            .map(|r| &r.result)
    }

    /// The render of probe `id` with the given flag, when it succeeded.
    pub fn ok(&self, id: ProbeId, add_generation_prompt: bool) -> Option<&str> {
        self.get(id, add_generation_prompt)
            .and_then(|r| r.as_ref().ok())
            .map(String::as_str)
    }

    /// How many renders were made (probes both ways, plus turn prefixes
    /// that no probe already covered).
    pub fn count(&self) -> usize {
        let fresh = |v: &[TurnRender]| v.iter().filter(|p| !p.reused).count();
        self.items.len()
            + fresh(&self.prompts)
            + fresh(&self.answered)
            + if self.items.is_empty() {
                0
            } else {
                self.generation.len().max(1)
            }
    }
}

/// Render every probe, both ways; for each assistant turn the inference
/// prompt before it and the conversation through it (reusing a probe's
/// render when it is the same conversation); and, for templates with
/// `{% generation %}` blocks, the spans. `vars` are the folder's special
/// tokens plus user variables.
pub fn render_probes(
    compiled: &Compiled,
    vars: &Map<String, Value>,
    now: chrono::NaiveDateTime,
) -> Renders {
    // A template that ran past the fuel or output bound once is not run
    // again: every further probe would burn the whole budget too (30+ renders
    // of an endless loop take minutes). Its later renders repeat the error.
    let exhausted: std::cell::RefCell<Option<RenderError>> = Default::default();
    let render = |messages: &Value, probe: &Probe, add_generation_prompt: bool| {
        if let Some(e) = exhausted.borrow().as_ref() {
            return Err(e.clone());
        }
        let result = compiled.render(&input(probe, messages, add_generation_prompt, vars, now));
        if let Err(e) = &result {
            if e.kind == RenderErrorKind::LimitExceeded {
                *exhausted.borrow_mut() = Some(e.clone());
            }
        }
        result
    };
    let mut items = Vec::new();
    for probe in probes() {
        for add_generation_prompt in [false, true] {
            items.push(RenderedProbe {
                probe,
                add_generation_prompt,
                result: render(&probe.messages, probe, add_generation_prompt),
            });
        }
    }
    let mut prompts = Vec::new();
    let mut answered = Vec::new();
    for probe in probes()
        .iter()
        .filter(|p| p.content == ContentShape::String)
    {
        let Some(messages) = probe.messages.as_array() else {
            continue;
        };
        for (turn, message) in messages.iter().enumerate() {
            if message.get("role").and_then(Value::as_str) != Some("assistant") {
                continue;
            }
            // Another probe may be exactly this conversation: reuse its render.
            let turn_render = |upto: usize, add_generation_prompt: bool| {
                let part = &messages[..upto];
                let same = items.iter().find(|r| {
                    r.add_generation_prompt == add_generation_prompt
                        && r.probe.tools == probe.tools
                        && r.probe.documents == probe.documents
                        && r.probe.messages.as_array().map(Vec::as_slice) == Some(part)
                });
                TurnRender {
                    probe,
                    turn,
                    result: match same {
                        Some(r) => r.result.clone(),
                        None => render(&Value::Array(part.to_vec()), probe, add_generation_prompt),
                    },
                    reused: same.is_some(),
                }
            };
            if turn > 0 {
                prompts.push(turn_render(turn, true));
            }
            if turn + 1 < messages.len() {
                answered.push(turn_render(turn + 1, false));
            }
        }
    }
    let generation = if exhausted.borrow().is_some() {
        Vec::new()
    } else {
        generation_renders(compiled, vars, now)
    };
    Renders {
        items,
        prompts,
        answered,
        generation,
        vars: vars.clone(),
        now,
        memo: Mutex::default(),
    }
}

impl Renders {
    /// The answer `key` names, worked out by `work` the first time it is
    /// asked on these renders. `key` must say everything `work` reads besides
    /// the renders. The lock is not held while `work` runs (two workers may
    /// both work out a new key: the answers are the same).
    pub fn remember(
        &self,
        key: String,
        work: impl FnOnce() -> Option<std::ops::Range<usize>>,
    ) -> Option<std::ops::Range<usize>> {
        let memo = || self.memo.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = memo().get(&key) {
            return known.clone();
        }
        let answer = work();
        memo().insert(key, answer.clone());
        answer
    }

    /// Render probe `id` on another template text (a variant of the one
    /// these renders are of), with the same variables plus `extra`. `None`
    /// when the variant does not compile or render.
    pub fn render_variant(
        &self,
        text: &str,
        id: ProbeId,
        add_generation_prompt: bool,
        extra: &Map<String, Value>,
    ) -> Option<String> {
        let probe = id.probe();
        let compiled = crate::render::compile(text).ok()?;
        let mut vars = self.vars.clone();
        vars.extend(extra.clone());
        let input = input(
            probe,
            &probe.messages,
            add_generation_prompt,
            &vars,
            self.now,
        );
        compiled.render(&input).ok()
    }
}

/// Render `messages` (the probe's, or a prefix of them) with `probe`'s
/// tools and documents, exactly as `render_probes` does: what `fix` uses to
/// prove a changed template renders like the original.
pub fn render_messages(
    compiled: &Compiled,
    probe: &Probe,
    messages: &Value,
    add_generation_prompt: bool,
    vars: &Map<String, Value>,
    now: chrono::NaiveDateTime,
) -> Result<String, RenderError> {
    compiled.render(&input(probe, messages, add_generation_prompt, vars, now))
}

/// The render input for `messages` with `probe`'s tools and documents.
fn input(
    probe: &Probe,
    messages: &Value,
    add_generation_prompt: bool,
    vars: &Map<String, Value>,
    now: chrono::NaiveDateTime,
) -> RenderInput {
    RenderInput {
        messages: messages.clone(),
        tools: probe.tools.clone(),
        documents: probe.documents.clone(),
        add_generation_prompt,
        vars: vars.clone(),
        now,
    }
}

/// Training renders with `{% generation %}` spans. One render of the first
/// probe tells whether the template marks anything; only then are the
/// others rendered.
fn generation_renders(
    compiled: &Compiled,
    vars: &Map<String, Value>,
    now: chrono::NaiveDateTime,
) -> Vec<GenerationRender> {
    let mut out: Vec<GenerationRender> = Vec::new();
    for id in GENERATION_PROBES {
        let probe = id.probe();
        let input = input(probe, &probe.messages, false, vars, now);
        match compiled.render_with_generation_spans(&input) {
            Ok((text, spans)) => {
                if out.is_empty() && spans.is_empty() && id == GENERATION_PROBES[0] {
                    return out;
                }
                out.push(GenerationRender { probe, text, spans });
            }
            Err(_) if id == GENERATION_PROBES[0] => return out,
            Err(_) => {}
        }
    }
    out
}

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
//! renders per template in all.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::render::{Compiled, RenderError, RenderErrorKind, RenderInput};

/// Every probe conversation, by id. Closed: code names a probe through this
/// enum, never by its text; `as_str` is the id findings print ("seen in
/// probe `user-assistant`"). Declared in render order (`probes()` is
/// `ALL` built one by one, so `probe(id)` is an index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeId {
    User,
    UserAssistant,
    MultiTurn,
    SystemUserAssistant,
    Tools,
    ToolCall,
    ToolCallStringArguments,
    Documents,
    Image,
    Reasoning,
    NonAscii,
    /// `User` with `content` as a list of text parts.
    UserParts,
    /// `UserAssistant` with `content` as a list of text parts.
    UserAssistantParts,
}

impl ProbeId {
    /// Every probe, in render order.
    pub const ALL: [ProbeId; 13] = [
        ProbeId::User,
        ProbeId::UserAssistant,
        ProbeId::MultiTurn,
        ProbeId::SystemUserAssistant,
        ProbeId::Tools,
        ProbeId::ToolCall,
        ProbeId::ToolCallStringArguments,
        ProbeId::Documents,
        ProbeId::Image,
        ProbeId::Reasoning,
        ProbeId::NonAscii,
        ProbeId::UserParts,
        ProbeId::UserAssistantParts,
    ];

    /// The stable kebab-case id printed in findings.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProbeId::User => "user",
            ProbeId::UserAssistant => "user-assistant",
            ProbeId::MultiTurn => "multi-turn",
            ProbeId::SystemUserAssistant => "system-user-assistant",
            ProbeId::Tools => "tools",
            ProbeId::ToolCall => "tool-call",
            ProbeId::ToolCallStringArguments => "tool-call-string-arguments",
            ProbeId::Documents => "documents",
            ProbeId::Image => "image",
            ProbeId::Reasoning => "reasoning",
            ProbeId::NonAscii => "non-ascii",
            ProbeId::UserParts => "user-parts",
            ProbeId::UserAssistantParts => "user-assistant-parts",
        }
    }

    /// The conversation itself.
    pub fn probe(self) -> &'static Probe {
        // `probes()` holds `ALL` in order (see `build`).
        &probes()[self as usize]
    }
}

impl std::fmt::Display for ProbeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One conversation the templates are rendered on.
#[derive(Debug)]
pub struct Probe {
    pub id: ProbeId,
    pub messages: Value,
    pub tools: Option<Value>,
    pub documents: Option<Value>,
    /// A basic conversation every chat template must render
    /// (`template-render` reports failures on these only).
    pub basic: bool,
    /// How message content is given: strings, or lists of parts.
    pub content: ContentShape,
}

/// The two shapes `content` comes in. A tokenizer's `apply_chat_template`
/// is called with strings; a processor's with lists of parts,
/// `[{"type": "text", "text": ...}]` (transformers 5.x
/// `ProcessorMixin.apply_chat_template` documents "each message content is a
/// list" and passes content through as given).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentShape {
    String,
    Parts,
}

/// The text of the probe messages, chosen to be easy to find in a render.
pub const USER_TEXT: &str = "Hello, who are you?";
pub const ASSISTANT_TEXT: &str = "I am a helpful assistant.";
pub const USER_TEXT_2: &str = "What is 2 + 2?";
pub const ASSISTANT_TEXT_2: &str = "2 + 2 = 4.";
pub const SYSTEM_TEXT: &str = "You are a concise assistant.";
/// The tool every tool probe defines, and the question that calls it.
pub const TOOL_NAME: &str = "get_weather";
pub const TOOL_QUESTION: &str = "What is the weather like in the capital of France?";
/// The argument value of the probe's tool call: found in a render only when
/// the template prints the call.
pub const TOOL_ARGUMENT: &str = "Paris";
pub const TOOL_RESULT: &str = "Sunny, 22 degrees.";
/// The answer after the tool result (it must not contain `TOOL_ARGUMENT`).
pub const TOOL_ANSWER: &str = "It is sunny and 22 degrees there.";
/// The tool call's id: nine alphanumerics, as Mistral templates require.
pub const TOOL_CALL_ID: &str = "call12345";
/// The question of the `documents` probe and the text of its first document.
pub const DOCUMENTS_QUESTION: &str = "What is the capital of France?";
pub const DOCUMENT_TEXT: &str = "Paris is the capital of France.";
/// Reasoning of the two assistant turns of the `reasoning` probe.
pub const REASONING_TEXT: &str = "The user greets me, so I introduce myself.";
pub const REASONING_TEXT_2: &str = "Adding two and two gives four.";
pub const NON_ASCII_USER: &str = "Grüße! Wie geht's? 你好，世界 🚀";
pub const NON_ASCII_ASSISTANT: &str = "Très bien, merci ✓ — 谢谢";

fn user(text: &str) -> Value {
    json!({"role": "user", "content": text})
}

fn assistant(text: &str) -> Value {
    json!({"role": "assistant", "content": text})
}

fn tools() -> Value {
    json!([{
        "type": "function",
        "function": {
            "name": TOOL_NAME,
            "description": "Get the current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "The city name."}},
                "required": ["city"]
            }
        }
    }])
}

/// `[user, assistant calling the tool, tool result, assistant answer]`, with
/// the call's `arguments` given as `arguments` (an object or a JSON string).
fn tool_conversation(arguments: Value) -> Value {
    json!([
        user(TOOL_QUESTION),
        {"role": "assistant", "content": "", "tool_calls": [{
            "id": TOOL_CALL_ID,
            "type": "function",
            "function": {"name": TOOL_NAME, "arguments": arguments}
        }]},
        {"role": "tool", "tool_call_id": TOOL_CALL_ID, "name": TOOL_NAME, "content": TOOL_RESULT},
        assistant(TOOL_ANSWER)
    ])
}

/// Retrieved documents as transformers passes them (`documents=[{"title",
/// "text"}]`), for `rag` templates.
fn documents() -> Value {
    json!([
        {"title": "Paris", "text": DOCUMENT_TEXT},
        {"title": "Weather", "text": "It is often sunny in Paris in July."}
    ])
}

fn probe(id: ProbeId, messages: Value, tools: Option<Value>, basic: bool) -> Probe {
    Probe {
        id,
        messages,
        tools,
        documents: None,
        basic,
        content: ContentShape::String,
    }
}

/// `probe` with each string `content` turned into one text part: the basic
/// probes again as a processor sends them. Only the renders of these
/// conversations are made (no per-turn prompts): they decide which content
/// shapes a template takes.
fn parts_twin(probe: &Probe, id: ProbeId) -> Probe {
    let messages = probe
        .messages
        .as_array()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    let mut m = m.clone();
                    if let Some(text) = m.get("content").and_then(Value::as_str) {
                        m["content"] = json!([{"type": "text", "text": text}]);
                    }
                    m
                })
                .collect()
        })
        .unwrap_or_default();
    Probe {
        id,
        messages: Value::Array(messages),
        tools: probe.tools.clone(),
        documents: probe.documents.clone(),
        basic: probe.basic,
        content: ContentShape::Parts,
    }
}

/// All probes, built once, in `ProbeId::ALL` order.
pub fn probes() -> &'static [Probe] {
    static PROBES: OnceLock<Vec<Probe>> = OnceLock::new();
    PROBES.get_or_init(|| ProbeId::ALL.into_iter().map(build).collect())
}

/// The conversation of probe `id`.
fn build(id: ProbeId) -> Probe {
    match id {
        ProbeId::User => probe(id, json!([user(USER_TEXT)]), None, true),
        ProbeId::UserAssistant => probe(
            id,
            json!([user(USER_TEXT), assistant(ASSISTANT_TEXT)]),
            None,
            true,
        ),
        ProbeId::MultiTurn => probe(
            id,
            json!([
                user(USER_TEXT),
                assistant(ASSISTANT_TEXT),
                user(USER_TEXT_2),
                assistant(ASSISTANT_TEXT_2)
            ]),
            None,
            false,
        ),
        ProbeId::SystemUserAssistant => probe(
            id,
            json!([
                {"role": "system", "content": SYSTEM_TEXT},
                user(USER_TEXT),
                assistant(ASSISTANT_TEXT)
            ]),
            None,
            false,
        ),
        ProbeId::Tools => probe(id, json!([user(TOOL_QUESTION)]), Some(tools()), false),
        ProbeId::ToolCall => probe(
            id,
            tool_conversation(json!({"city": TOOL_ARGUMENT})),
            Some(tools()),
            false,
        ),
        ProbeId::ToolCallStringArguments => probe(
            id,
            tool_conversation(json!(format!("{{\"city\": \"{TOOL_ARGUMENT}\"}}"))),
            Some(tools()),
            false,
        ),
        ProbeId::Documents => Probe {
            documents: Some(documents()),
            ..probe(id, json!([user(DOCUMENTS_QUESTION)]), None, false)
        },
        ProbeId::Image => probe(
            id,
            json!([
                {"role": "user", "content": [
                    {"type": "image"},
                    {"type": "text", "text": USER_TEXT}
                ]},
                assistant(ASSISTANT_TEXT)
            ]),
            None,
            false,
        ),
        ProbeId::Reasoning => probe(
            id,
            json!([
                user(USER_TEXT),
                {"role": "assistant", "content": ASSISTANT_TEXT, "reasoning_content": REASONING_TEXT},
                user(USER_TEXT_2),
                {"role": "assistant", "content": ASSISTANT_TEXT_2, "reasoning_content": REASONING_TEXT_2}
            ]),
            None,
            false,
        ),
        ProbeId::NonAscii => probe(
            id,
            json!([user(NON_ASCII_USER), assistant(NON_ASCII_ASSISTANT)]),
            None,
            false,
        ),
        ProbeId::UserParts => parts_twin(&build(ProbeId::User), id),
        ProbeId::UserAssistantParts => parts_twin(&build(ProbeId::UserAssistant), id),
    }
}

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
    }
}

impl Renders {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_built_in_id_order_with_kebab_case_ids() {
        assert_eq!(probes().len(), ProbeId::ALL.len());
        for (i, id) in ProbeId::ALL.into_iter().enumerate() {
            assert_eq!(id as usize, i);
            assert_eq!(probes()[i].id, id);
            assert_eq!(id.probe().id, id);
            assert!(id
                .as_str()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'));
        }
        let parts: Vec<ProbeId> = probes()
            .iter()
            .filter(|p| p.content == ContentShape::Parts)
            .map(|p| p.id)
            .collect();
        assert_eq!(parts, [ProbeId::UserParts, ProbeId::UserAssistantParts]);
    }
}

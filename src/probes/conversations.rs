//! The probe conversations themselves: the closed set of probe ids, the
//! message texts (chosen to be easy to find in a render), and each probe's
//! messages, tools and documents, built by one exhaustive match.

use std::sync::OnceLock;

use serde_json::{json, Value};

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

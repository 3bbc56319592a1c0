//! Probe conversations: the inputs every template is rendered on, and the
//! table of their renders that rules read.
//!
//! Each probe is rendered with `add_generation_prompt` false and true. Probe
//! names appear in findings ("seen in probe `user-assistant`"), so they are
//! stable, kebab-case, and describe the conversation.

use std::sync::OnceLock;

use serde_json::{json, Map, Value};

use crate::render::{Compiled, RenderError, RenderInput};

/// One conversation the templates are rendered on.
#[derive(Debug)]
pub struct Probe {
    pub name: &'static str,
    pub messages: Value,
    pub tools: Option<Value>,
    pub documents: Option<Value>,
    /// A basic conversation every chat template must render
    /// (`template-render` reports failures on these only).
    pub basic: bool,
}

/// The text of the probe messages, chosen to be easy to find in a render.
pub const USER_TEXT: &str = "Hello, who are you?";
pub const ASSISTANT_TEXT: &str = "I am a helpful assistant.";
pub const USER_TEXT_2: &str = "What is 2 + 2?";
pub const ASSISTANT_TEXT_2: &str = "2 + 2 = 4.";
pub const SYSTEM_TEXT: &str = "You are a concise assistant.";

fn user(text: &str) -> Value {
    json!({"role": "user", "content": text})
}

fn assistant(text: &str) -> Value {
    json!({"role": "assistant", "content": text})
}

/// All probes, built once.
pub fn probes() -> &'static [Probe] {
    static PROBES: OnceLock<Vec<Probe>> = OnceLock::new();
    PROBES.get_or_init(|| {
        vec![
            Probe {
                name: "user",
                messages: json!([user(USER_TEXT)]),
                tools: None,
                documents: None,
                basic: true,
            },
            Probe {
                name: "user-assistant",
                messages: json!([user(USER_TEXT), assistant(ASSISTANT_TEXT)]),
                tools: None,
                documents: None,
                basic: true,
            },
            Probe {
                name: "multi-turn",
                messages: json!([
                    user(USER_TEXT),
                    assistant(ASSISTANT_TEXT),
                    user(USER_TEXT_2),
                    assistant(ASSISTANT_TEXT_2)
                ]),
                tools: None,
                documents: None,
                basic: false,
            },
            Probe {
                name: "system-user-assistant",
                messages: json!([
                    {"role": "system", "content": SYSTEM_TEXT},
                    user(USER_TEXT),
                    assistant(ASSISTANT_TEXT)
                ]),
                tools: None,
                documents: None,
                basic: false,
            },
        ]
    })
}

/// One probe rendered with one value of `add_generation_prompt`.
#[derive(Debug)]
pub struct RenderedProbe {
    pub probe: &'static Probe,
    pub add_generation_prompt: bool,
    pub result: Result<String, RenderError>,
}

/// All renders of one template.
#[derive(Debug, Default)]
pub struct Renders {
    pub items: Vec<RenderedProbe>,
}

impl Renders {
    /// The render of probe `name` with the given flag.
    pub fn get(
        &self,
        name: &str,
        add_generation_prompt: bool,
    ) -> Option<&Result<String, RenderError>> {
        self.items
            .iter()
            .find(|r| r.probe.name == name && r.add_generation_prompt == add_generation_prompt)
            .map(|r| &r.result)
    }

    /// The render of probe `name` with the given flag, when it succeeded.
    pub fn ok(&self, name: &str, add_generation_prompt: bool) -> Option<&str> {
        self.get(name, add_generation_prompt)
            .and_then(|r| r.as_ref().ok())
            .map(String::as_str)
    }
}

/// Render every probe, both ways. `vars` are the folder's special tokens
/// plus user variables.
pub fn render_probes(
    compiled: &Compiled,
    vars: &Map<String, Value>,
    now: chrono::NaiveDateTime,
) -> Renders {
    let mut items = Vec::new();
    for probe in probes() {
        for add_generation_prompt in [false, true] {
            let input = RenderInput {
                messages: probe.messages.clone(),
                tools: probe.tools.clone(),
                documents: probe.documents.clone(),
                add_generation_prompt,
                vars: vars.clone(),
                now,
            };
            items.push(RenderedProbe {
                probe,
                add_generation_prompt,
                result: compiled.render(&input),
            });
        }
    }
    Renders { items }
}

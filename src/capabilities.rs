//! What a template supports, found by rendering the probes (the way
//! llama.cpp's chat-template capability detection does): a feature is
//! supported when its probe renders and the probe's marker text shows up in
//! the output. A template that raises on a probe, or silently drops the
//! feature's content, lacks it.
//!
//! The capability ids are a public contract: `require = ["tools", "system"]`
//! in the config names them, and `--format json` prints them.

use crate::probes::{
    ProbeId, Renders, ASSISTANT_TEXT, REASONING_TEXT, REASONING_TEXT_2, SYSTEM_TEXT, TOOL_ANSWER,
    TOOL_ARGUMENT, TOOL_NAME, TOOL_RESULT, USER_TEXT,
};

/// One feature a chat template may support.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// A `system` message is rendered (not rejected, not dropped).
    System,
    /// Tool definitions passed as `tools=` appear in the prompt.
    Tools,
    /// An assistant `tool_calls` entry with object `arguments` is rendered.
    ToolCalls,
    /// A tool call whose `arguments` is a JSON string is rendered.
    StringArguments,
    /// A `tool` role message (a tool result) is rendered.
    ToolResults,
    /// `content` given as a string is rendered (what a tokenizer is called with).
    StringContent,
    /// `content` given as a list of `{"type": "text"}` parts is rendered as
    /// text (what a processor is called with).
    ContentParts,
    /// An `{"type": "image"}` content part produces an image placeholder.
    Images,
    /// `reasoning_content` of an assistant turn is rendered.
    Reasoning,
    /// The template marks assistant turns with `{% generation %}` for
    /// `return_assistant_tokens_mask`.
    GenerationMask,
}

impl Capability {
    pub const ALL: [Capability; 10] = [
        Capability::System,
        Capability::Tools,
        Capability::ToolCalls,
        Capability::StringArguments,
        Capability::ToolResults,
        Capability::StringContent,
        Capability::ContentParts,
        Capability::Images,
        Capability::Reasoning,
        Capability::GenerationMask,
    ];

    /// The permanent kebab-case id used in configs and reports.
    pub fn id(self) -> &'static str {
        match self {
            Capability::System => "system",
            Capability::Tools => "tools",
            Capability::ToolCalls => "tool-calls",
            Capability::StringArguments => "string-arguments",
            Capability::ToolResults => "tool-results",
            Capability::StringContent => "string-content",
            Capability::ContentParts => "content-parts",
            Capability::Images => "images",
            Capability::Reasoning => "reasoning",
            Capability::GenerationMask => "generation-mask",
        }
    }

    pub fn from_id(id: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The probe whose render decides this capability (named in findings).
    pub fn probe(self) -> ProbeId {
        match self {
            Capability::System => ProbeId::SystemUserAssistant,
            Capability::Tools => ProbeId::Tools,
            Capability::ToolCalls | Capability::ToolResults => ProbeId::ToolCall,
            Capability::StringArguments => ProbeId::ToolCallStringArguments,
            Capability::StringContent => ProbeId::UserAssistant,
            Capability::ContentParts => ProbeId::UserAssistantParts,
            Capability::Images => ProbeId::Image,
            Capability::Reasoning => ProbeId::Reasoning,
            Capability::GenerationMask => ProbeId::UserAssistant,
        }
    }
}

impl Capability {
    /// What the probe showed when the capability is missing, for messages.
    pub fn missing_means(self) -> &'static str {
        match self {
            Capability::System => "raises on or drops the system message",
            Capability::Tools => "does not show the tool definitions in the prompt",
            Capability::ToolCalls => "raises on or drops a tool call with object arguments",
            Capability::StringArguments => {
                "raises on or drops a tool call whose arguments are a JSON string"
            }
            Capability::ToolResults => "raises on or drops the `tool` message",
            Capability::StringContent => "does not render content given as a string",
            Capability::ContentParts => "does not render content given as a list of parts",
            Capability::Images => "renders no placeholder for an image part",
            Capability::Reasoning => "drops `reasoning_content`",
            Capability::GenerationMask => "has no `{% generation %}` block",
        }
    }
}

/// The capabilities of one template, from its renders and its source.
pub fn detect(renders: &Renders, template_text: &str) -> Vec<Capability> {
    Capability::ALL
        .into_iter()
        .filter(|c| has(*c, renders, template_text))
        .collect()
}

fn has(cap: Capability, renders: &Renders, template_text: &str) -> bool {
    // Training renders (no generation prompt) hold every turn's content.
    let render = |probe: ProbeId| renders.ok(probe, false);
    let shows = |probe: ProbeId, text: &str| render(probe).is_some_and(|r| r.contains(text));
    match cap {
        // Some templates (Mistral's) print the system message only when the
        // conversation ends with a user turn: the serving prompt counts too.
        Capability::System => {
            shows(cap.probe(), SYSTEM_TEXT)
                || renders.prompts.iter().any(|p| {
                    p.probe.id == cap.probe()
                        && p.result.as_ref().is_ok_and(|r| r.contains(SYSTEM_TEXT))
                })
        }
        Capability::Tools => renders
            .ok(cap.probe(), true)
            .is_some_and(|r| r.contains(TOOL_NAME)),
        Capability::ToolCalls => {
            shows(cap.probe(), TOOL_ARGUMENT) && shows(cap.probe(), TOOL_ANSWER)
        }
        // The JSON string must reach the prompt as JSON, not re-encoded
        // (`"{\"city\": …}"`, what `arguments | tojson` makes of a string).
        Capability::StringArguments => {
            let json = format!("\"city\": \"{TOOL_ARGUMENT}\"");
            shows(cap.probe(), &json) && shows(cap.probe(), TOOL_ANSWER)
        }
        Capability::ToolResults => shows(cap.probe(), TOOL_RESULT),
        Capability::StringContent => shows_turns(renders, cap.probe()),
        Capability::ContentParts => content_parts(renders),
        Capability::Images => {
            shows_turns(renders, cap.probe())
                && render(cap.probe()) != render(ProbeId::UserAssistant)
        }
        Capability::Reasoning => {
            shows(cap.probe(), REASONING_TEXT) || shows(cap.probe(), REASONING_TEXT_2)
        }
        Capability::GenerationMask => has_generation_block(template_text),
    }
}

/// Text parts are printed as text, not as the repr of the list: in the
/// all-parts twin of `user-assistant`, or in the `image` probe (an image and
/// a text part, then a string answer).
pub fn content_parts(renders: &Renders) -> bool {
    [ProbeId::UserAssistantParts, ProbeId::Image]
        .into_iter()
        .any(|probe| shows_turns(renders, probe))
}

/// The training render of `probe` shows the user's and the assistant's text,
/// and no part printed as a dict.
fn shows_turns(renders: &Renders, probe: ProbeId) -> bool {
    renders.ok(probe, false).is_some_and(|r| {
        r.contains(USER_TEXT)
            && r.contains(ASSISTANT_TEXT)
            && !r.contains("'type'")
            && !r.contains("\"type\"")
    })
}

/// Whether the template has a `{% generation %}` block tag (any whitespace
/// control), outside comments.
pub fn has_generation_block(text: &str) -> bool {
    crate::jinja_text::generation_tag(text).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for c in Capability::ALL {
            assert_eq!(Capability::from_id(c.id()), Some(c));
        }
        assert_eq!(Capability::from_id("telepathy"), None);
    }

    #[test]
    fn finds_generation_tags() {
        assert!(has_generation_block(
            "a{% generation %}b{% endgeneration %}"
        ));
        assert!(has_generation_block(
            "{%- generation -%}x{%- endgeneration %}"
        ));
        assert!(!has_generation_block("{% if generation %}{% endif %}"));
        assert!(!has_generation_block("{% endgeneration %}"));
        assert!(!has_generation_block("{# {% generation %} #}"));
    }
}

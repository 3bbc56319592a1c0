//! `template-render`: the chat template fails on a basic conversation.
//!
//! Only the basic probes count (a user message; a user/assistant pair), each
//! with and without a generation prompt. A template's own
//! `raise_exception(...)` is a declared limit (Gemma rejecting a system role)
//! and never reported; running past the engine's fuel or output bound (an
//! endless loop, gigabytes of output) is.

use super::template_syntax::locate;
use super::{template_span, RuleDocs, TemplateContext};
use crate::capabilities::content_parts;
use crate::finding::Finding;
use crate::load::{LoadedModel, Origin};
use crate::probes::{ContentShape, ProbeId, RenderedProbe};
use crate::render::{RenderError, RenderErrorKind};
use crate::rules::Rule;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The chat template fails on a basic conversation.",
    what_it_does: "
Renders the basic conversations every chat template must handle — a single user
message, and a user message followed by an assistant answer — with
`add_generation_prompt` false and true, and reports the first render that fails. Each
template is held to the content shape its runtime sends: a processor (a folder with
`preprocessor_config.json` or `processor_config.json`) renders `chat_template.json` and
`chat_template.jinja` with every `content` as a list of `{\"type\": \"text\"}` parts, a
tokenizer with strings. A template that renders only parts where a tokenizer would send
strings gets the `content-parts` capability without `string-content` instead of a finding
(`require = [\"string-content\"]` makes that a `capability-missing`) (a
template named `tool_use` is rendered with tool schemas instead, one named `rag` with
retrieved documents). Running past the bounds
counts on every probe, not only the basic ones. A
failure the template raises itself with `raise_exception(...)` is a deliberate limit
and is not reported. A render that runs too long or produces too much output (an
endless loop, a runaway string) is reported.
",
    why_bad: "
If the simplest conversation fails, every chat request and every training sample
fails: `apply_chat_template` raises (`UndefinedError`, `TypeError`, …) and serving
stacks return an error instead of an answer. A template that never finishes hangs the
tokenizer call of whoever loads the model.
",
    example: "
    {% for message in messages %}
    {{ message['content'].text }}
    {% endfor %}

`message['content']` is a string, so `.text` is undefined and printing an attribute of
it fails on the first message.
",
    how_to_fix: "
Render the probe yourself (`chat-template-lint render PATH --add-generation-prompt`)
to see the error, and make the template handle plain string content. If the template
must reject an input, say so with `raise_exception('...')`.
",
};

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let t = ctx.template;
    let first_failure = |shape: ContentShape| {
        ctx.renders
            .items
            .iter()
            .filter(|r| counts(&t.name, r, shape))
            .find_map(|r| failure(r).map(|e| (r, e)))
    };
    let runtime = runtime_shape(ctx.model, t.origin);
    let found = match runtime {
        ContentShape::Parts => first_failure(ContentShape::Parts),
        // A template that renders only parts (Llava's, SmolVLM's, a
        // Pixtral-style template saved in tokenizer_config.json) is a
        // capability (`content-parts` without `string-content`), not a
        // failure; one that renders neither shape fails.
        ContentShape::String => first_failure(ContentShape::String).filter(|(_, e)| {
            e.kind == RenderErrorKind::LimitExceeded || !content_parts(ctx.renders)
        }),
    };
    let Some((rendered, err)) = found else {
        return Vec::new();
    };
    let (range, line) = locate(&t.text, err.range.clone(), err.line);
    // minijinja's messages often do not name what failed ("undefined
    // value"); the expression it points at does.
    let at = t
        .text
        .get(range.clone())
        .filter(|_| !err.message.contains('`'))
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 80 && !s.contains('\n'))
        .map(|s| format!(" in `{s}`"))
        .unwrap_or_default();
    let what = match err.kind {
        RenderErrorKind::LimitExceeded => "runs past the render limits",
        RenderErrorKind::Raised | RenderErrorKind::Failed => "fails",
    };
    let help = match err.kind {
        RenderErrorKind::Failed if rendered.probe.content == ContentShape::Parts => {
            "this folder's processor renders the template with every `content` as a list of parts (`[{\"type\": \"text\", \"text\": ...}]`): handle `message['content']` given as a list (`{% if message['content'] is string %}…{% else %}{% for part in message['content'] %}…`)"
        }
        RenderErrorKind::LimitExceeded => {
            "look for a loop that never ends or output that grows without bound near this line"
        }
        // transformers passes `tools=None, documents=None` to every render,
        // so `tools is defined` is always true there (llama.cpp leaves them
        // undefined, which hides this bug from templates tested only there).
        RenderErrorKind::Failed if err.message.contains("'NoneType' object is not iterable") => {
            "transformers defines `tools` and `documents` as None when a conversation has none: guard the loop with `{% if tools %}` (`is defined` is always true there); a template meant only for tool calls belongs in `additional_chat_templates/tool_use.jinja`"
        }
        RenderErrorKind::Raised | RenderErrorKind::Failed => {
            "make the template handle this basic conversation; reject unsupported input with `raise_exception('...')`"
        }
    };
    vec![Finding::new(
        Rule::TemplateRender,
        &t.path,
        format!(
            "template {what} on probe `{}` (add_generation_prompt={}): {}{at} (line {line} of the template)",
            rendered.probe.id,
            if rendered.add_generation_prompt { "True" } else { "False" },
            err.message
        ),
    )
    .with_span(template_span(t, range))
    .with_template(&t.name)
    .with_probe(rendered.probe.id.as_str())
    .with_help(help)]
}

/// Whether a failure of render `r` of template `name` is reported. Named
/// templates are called with what their name says they need (transformers'
/// convention: `apply_chat_template(..., chat_template="tool_use", tools=...)`):
/// a `tool_use` template is held to the `tools` probe (a user message with
/// tool schemas), not to a conversation without tools (Command R+'s iterates
/// `tools` and fails on `None` in transformers too); a `rag` template to the
/// `documents` probe (a user message with retrieved documents).
fn counts(name: &str, r: &RenderedProbe, shape: ContentShape) -> bool {
    // Running past the bounds is never a declared limit: a template that
    // hangs on any conversation hangs whoever serves it.
    if matches!(&r.result, Err(e) if e.kind == RenderErrorKind::LimitExceeded) {
        return true;
    }
    match name {
        "tool_use" => r.probe.id == ProbeId::Tools,
        "rag" => r.probe.id == ProbeId::Documents,
        _ => r.probe.basic && r.probe.content == shape,
    }
}

/// The content shape the template's runtime renders it with. A processor
/// (a folder with preprocessor_config.json or processor_config.json) renders
/// the templates it loads — chat_template.json, chat_template.jinja,
/// additional_chat_templates/ (`ProcessorMixin.get_processor_dict`) — with
/// lists of parts, as `ProcessorMixin.apply_chat_template` documents; a
/// tokenizer (`tokenizer_config.json`'s key, any folder without a processor)
/// with strings.
fn runtime_shape(model: &LoadedModel, origin: Origin) -> ContentShape {
    match origin {
        Origin::JinjaFile | Origin::AdditionalJinja | Origin::ChatTemplateJson
            if model.processor =>
        {
            ContentShape::Parts
        }
        // A GGUF's template is llama.cpp's: it is given strings.
        Origin::JinjaFile
        | Origin::AdditionalJinja
        | Origin::ChatTemplateJson
        | Origin::TokenizerConfig
        | Origin::Gguf => ContentShape::String,
    }
}

/// The error of a render that counts as a failure.
fn failure(r: &RenderedProbe) -> Option<&RenderError> {
    match &r.result {
        Ok(_) => None,
        Err(e) => match e.kind {
            RenderErrorKind::Raised => None,
            RenderErrorKind::Failed | RenderErrorKind::LimitExceeded => Some(e),
        },
    }
}

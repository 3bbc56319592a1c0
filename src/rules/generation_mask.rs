//! `generation-mask`: a `{% generation %}` span of an assistant turn misses
//! its end-of-turn token or includes the assistant header.
//!
//! transformers' `return_assistant_tokens_mask=True` marks the tokens
//! rendered inside `{% generation %}` blocks as the ones to train on. For
//! every assistant turn whose content lies in such a span, the span must
//! reach past the control token that closes the turn and must not start
//! before the content with the turn's header. Turns left entirely outside
//! the spans are a template's choice (train on the final turn only) and are
//! not reported.

use std::ops::Range;

use super::eos_mismatch::closer_at;
use super::tokens::{generation_tag, span_in_file, token_at_start, Shape};
use super::{RuleDocs, TemplateContext};
use crate::finding::{escape_snippet, Finding};
use crate::probes::GenerationRender;
use crate::rules::Rule;
use serde_json::Value;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "A `{% generation %}` span misses the end-of-turn token or includes the assistant header.",
    what_it_does: "
For templates with `{% generation %}` blocks, renders conversations with assistant turns
and records the text each block produced — what `apply_chat_template(...,
return_assistant_tokens_mask=True)` marks as trainable. For every assistant turn whose
content is inside a span, checks that the span also covers the control token that
closes the turn (`<|im_end|>`, `<|eot_id|>`, `<end_of_turn>`, …) and does not begin
with the assistant header (`<|im_start|>assistant\\n`).
",
    why_bad: "
The mask decides which tokens the model learns to produce. Without the end-of-turn token
the model never learns to stop and runs on at inference. With the header inside, it
learns to write headers itself — tokens that inference puts in the prompt.
",
    example: "
The header is outside the block, but so is the end-of-turn token:

    {{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] }}{% endgeneration %}{{ '<|im_end|>\\n' }}

The span holds the content only; `<|im_end|>` is never trained.
",
    how_to_fix: "
Put the end-of-turn token inside the block and the header before it:

    {{ '<|im_start|>assistant\\n' }}{% generation %}{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{{ '\\n' }}
",
};

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let t = ctx.template;
    let Some((g, problem)) = ctx
        .renders
        .generation
        .iter()
        .find_map(|g| first_problem(g).map(|p| (g, p)))
    else {
        return Vec::new();
    };
    let (message, help) = match &problem {
        Problem::MissesCloser { closer, span } => (
            format!(
                "the `{{% generation %}}` span `{}` of an assistant turn ends before its end-of-turn token `{closer}`: the model is never trained to stop",
                escape_snippet(&g.text[span.clone()], 60)
            ),
            format!("move `{closer}` inside the `{{% generation %}}` block"),
        ),
        Problem::HasHeader { header, span } => (
            format!(
                "the `{{% generation %}}` span `{}` of an assistant turn includes the header `{}`: the model is trained to write it",
                escape_snippet(&g.text[span.clone()], 60),
                escape_snippet(header, 40)
            ),
            "open the `{% generation %}` block after the assistant header".to_string(),
        ),
    };
    let mut finding = Finding::new(Rule::GenerationMask, &t.path, message)
        .with_template(&t.name)
        .with_probe(g.probe.id.as_str())
        .with_help(help);
    if let Some(range) = generation_tag(&t.text) {
        finding = finding.with_span(span_in_file(t, range));
    }
    vec![finding]
}

enum Problem {
    MissesCloser { closer: String, span: Range<usize> },
    HasHeader { header: String, span: Range<usize> },
}

/// The first assistant turn of a render whose span is wrong.
fn first_problem(g: &GenerationRender) -> Option<Problem> {
    if g.spans.is_empty() {
        return None;
    }
    let contents = g
        .probe
        .messages
        .as_array()?
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        .filter_map(|m| m.get("content").and_then(Value::as_str))
        .filter(|c| !c.is_empty());
    let mut from = 0;
    for content in contents {
        let Some(at) = g.text[from..].find(content).map(|i| i + from) else {
            continue;
        };
        let end = at + content.len();
        from = end;
        let Some(span) = g.spans.iter().find(|s| s.start <= at && end <= s.end) else {
            continue;
        };
        if let Some(closer) = closer_at(&g.text, end) {
            if span.end < closer.end {
                return Some(Problem::MissesCloser {
                    closer: g.text[closer].to_string(),
                    span: span.clone(),
                });
            }
        }
        if let Some(header) = header_in(&g.text[span.start..at]) {
            return Some(Problem::HasHeader {
                header,
                span: span.clone(),
            });
        }
    }
    None
}

/// Header text in the part of a span before the content: a turn-marker
/// control token, or the word "assistant". Reasoning (`<think>…</think>`)
/// is model output and allowed.
fn header_in(before: &str) -> Option<String> {
    if before.to_ascii_lowercase().contains("assistant") {
        return Some(before.to_string());
    }
    before.char_indices().find_map(|(i, _)| {
        token_at_start(&before[i..])
            .filter(|(_, shape)| *shape != Shape::Angle)
            .map(|_| before.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert!(header_in("<|im_start|>assistant\n").is_some());
        assert!(header_in("<start_of_turn>model\n").is_some());
        assert!(header_in("<think>\nok\n</think>\n\n").is_none());
        assert!(header_in("").is_none());
    }
}

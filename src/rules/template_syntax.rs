//! `template-syntax`: the chat template does not parse as Jinja.
//!
//! The parser's position is an offset into the decoded template; it is mapped
//! back through the template's offset map so the annotation lands on the real
//! line of the file — a template inside a JSON string included.

use super::{template_span, RuleDocs, TemplateContext};
use crate::finding::Finding;
use crate::rules::Rule;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The chat template does not parse as Jinja.",
    what_it_does: "
Compiles every chat template the way transformers' Jinja environment does
(`trim_blocks`, `lstrip_blocks`, loop controls, the `{% generation %}` tag) and reports
the first syntax error, at its line in the file. For a template stored in
`tokenizer_config.json`, the message also names the line inside the template.
",
    why_bad: "
transformers compiles the template on the first `apply_chat_template` call, so a syntax
error does not show when the checkpoint is saved — it shows when someone first tries to
chat with the model, in a serving stack, after release. Every runtime that reads the
template (vLLM, TGI, llama.cpp's Jinja engine, transformers.js) rejects it the same way.
",
    example: "
    {% for message in messages %}
    {{ message['content'] }}
    {% endfor

The closing tag is unterminated: `unexpected end of input, expected end of block`.
",
    how_to_fix: "
Fix the Jinja at the reported line, then render it once with
`chat-template-lint render PATH --add-generation-prompt` to see the prompt it produces.
",
};

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let Err(err) = ctx.compiled else {
        return Vec::new();
    };
    let t = ctx.template;
    let (range, line) = locate(&t.text, err.range.clone(), err.line);
    vec![Finding::new(
        Rule::TemplateSyntax,
        &t.path,
        format!(
            "template does not parse: {} (line {line} of the template)",
            err.message
        ),
    )
    .with_span(template_span(t, range))
    .with_template(&t.name)
    .with_help("fix the Jinja syntax at this line; transformers fails the same way on the first `apply_chat_template` call")]
}

/// Where an engine error points in the template: its byte range (or the
/// start of its line when only the line is known) and its 1-based line.
pub(super) fn locate(
    text: &str,
    range: Option<std::ops::Range<usize>>,
    line: Option<usize>,
) -> (std::ops::Range<usize>, usize) {
    let range = match (range, line) {
        (Some(r), _) => r,
        (None, Some(line)) => {
            let at = line_start(text, line);
            at..at
        }
        (None, None) => 0..0,
    };
    let line = line.unwrap_or_else(|| line_of(text, range.start));
    (range, line)
}

/// 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(at)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Byte offset where 1-based line `line` of `text` starts.
fn line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

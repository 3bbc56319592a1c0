//! `unknown-special-token`: the template writes a control token the
//! tokenizer does not have.
//!
//! Candidates are the literals of the template outside comments that look
//! like control tokens: `<｜…｜>` always; `<|…|>` when the tokenizer has
//! tokens of that shape, or when the name has an underscore
//! (`<|im_start|>`, `<|eot_id|>` — a tokenizer without any `<|…|>` token
//! reads Zephyr's `<|user|>` as plain text, as zephyr-7b-beta was trained);
//! `[UPPER]` or `<snake_case>` only when this tokenizer's own special tokens
//! have that shape (Mistral's `[INST]`, Gemma's `<start_of_turn>`). Tags like `<tools>`
//! or `<think>` are plain text for many models (Qwen2.5 reads `<tools>` as
//! text) and are never flagged; neither is an angle tag the template writes as
//! XML markup, opened and closed (`<tool_response>` … `</tool_response>`):
//! Qwen2.5 has `<tool_call>` as a token but reads `<tool_response>` as text,
//! and a fine-tune that re-saves `<tool_call>` as special does not change that.
//! The rule runs only when the folder says which tokens exist
//! (`added_tokens_decoder` or tokenizer.json).

use std::collections::BTreeSet;

use super::tokens::{control_literals, shape_of, span_in_file, Shape};
use super::{RuleDocs, TemplateContext};
use crate::finding::Finding;
use crate::load::TokenizerInfo;
use crate::rules::Rule;

/// Why `--fix` leaves it (`explain`'s Fix section).
pub(super) const NOT_FIXABLE: &str = "
The literal may be a typo of a real token, a token the tokenizer should have added, or text that
only looks like a control token; adding tokens changes the vocabulary and the model's embeddings.
";

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The template writes a control token that the tokenizer does not have.",
    what_it_does: "
Collects the literals the template can emit (text outside `{# comments #}`) that look
like control tokens — `<|…|>`, `<｜…｜>`, and the shapes of this tokenizer's own special
tokens such as `[INST]` or `<start_of_turn>` — and checks that each one is a single
token of the tokenizer (`added_tokens_decoder`, `additional_special_tokens`,
tokenizer.json's `added_tokens` or vocabulary). It runs only when the folder has that
vocabulary information. Tags that models read as plain text are not checked:
`<tools>`, `<think>`, angle tags the template opens and closes like XML
(`<tool_response>` … `</tool_response>`, even when the tokenizer marks `<tool_call>`
special), and Zephyr's role tags `<|user|>`, `<|assistant|>` when the tokenizer has
no `<|…|>` tokens at all.
",
    why_bad: "
A control token the tokenizer does not know is split into ordinary pieces: `<|im_start|>`
becomes `<`, `|`, `im`, `_start`, `|`, `>`. The model never saw that sequence as a turn
marker, so it cannot tell the turns apart and generation does not stop where it should.
This happens when a template is copied from another model family (a ChatML template on
a Llama tokenizer) or a new template version uses tokens an older tokenizer lacks.
",
    example: "
A ChatML template on a tokenizer whose only added tokens are `<s>`, `</s>` and `<unk>`:

    {{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}
",
    how_to_fix: "
Use the template that belongs to this tokenizer, or add the tokens to the tokenizer
(`tokenizer.add_special_tokens({'additional_special_tokens': [...]})`, then resize the
model's embeddings and train them) and save both together.
",
};

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let tok = &ctx.model.tokenizer;
    if !tok.has_vocab_info {
        return Vec::new();
    }
    let t = ctx.template;
    let shapes = tokenizer_shapes(tok);
    let literals = control_literals(&t.text);
    let markup = xml_markup(&literals);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (range, literal) in &literals {
        let Some(shape) = shape_of(literal) else {
            continue;
        };
        let checked = match shape {
            Shape::FullwidthPipe => true,
            // Zephyr-style role tags (`<|user|>`, `<|assistant|>`) are plain
            // text for tokenizers without any `<|…|>` token (zephyr-7b-beta,
            // TinyLlama-Chat); structural ones (`<|im_start|>`, `<|eot_id|>`)
            // never are.
            Shape::Pipe => shapes.contains(&Shape::Pipe) || literal.contains('_'),
            Shape::UpperBracket => shapes.contains(&shape),
            Shape::SnakeAngle => shapes.contains(&shape) && !markup.contains(tag_name(literal)),
            Shape::Angle => false,
        };
        if !checked || is_known(tok, literal) || !seen.insert(literal) {
            continue;
        }
        out.push(
            Finding::new(
                Rule::UnknownSpecialToken,
                &t.path,
                format!(
                    "template emits `{literal}`, which is not a token of this tokenizer: it will be split into ordinary pieces"
                ),
            )
            .with_span(span_in_file(t, range.clone()))
            .with_template(&t.name)
            .with_help(
                "use the template made for this tokenizer, or add the token to the tokenizer (and train its embedding)",
            ),
        );
    }
    out
}

/// The names of the angle tags the template both opens and closes
/// (`<tool_response>` and `</tool_response>`): XML-style markup, which models
/// read as text, unlike turn markers (`<start_of_turn>` has no `</…>`).
fn xml_markup(literals: &[(std::ops::Range<usize>, String)]) -> BTreeSet<&str> {
    let tags = |closing: bool| -> BTreeSet<&str> {
        literals
            .iter()
            .map(|(_, l)| l.as_str())
            .filter(|l| {
                l.starts_with('<') && !l.starts_with("<|") && l.starts_with("</") == closing
            })
            .map(tag_name)
            .collect()
    };
    let (open, close) = (tags(false), tags(true));
    open.intersection(&close).copied().collect()
}

/// `tool_response` for `<tool_response>` and `</tool_response>`.
fn tag_name(literal: &str) -> &str {
    let inner = literal.trim_start_matches('<').trim_end_matches('>');
    inner.strip_prefix('/').unwrap_or(inner)
}

fn is_known(tok: &TokenizerInfo, literal: &str) -> bool {
    tok.known_tokens.contains(literal)
        || tok.special_tokens.contains(literal)
        || tok.added_tokens.values().any(|t| t == literal)
}

/// The shapes this tokenizer's special tokens come in (beyond `<|…|>`).
fn tokenizer_shapes(tok: &TokenizerInfo) -> Vec<Shape> {
    let mut shapes: Vec<Shape> = tok
        .special_tokens
        .iter()
        .filter_map(|s| shape_of(s))
        .collect();
    shapes.sort();
    shapes.dedup();
    shapes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_tags_opened_and_closed() {
        let t = "{{ '<tool_response>\\n' + c + '\\n</tool_response>' }}<start_of_turn>x<end_of_turn>[INST]a[/INST]<｜x｜></｜x｜>";
        let literals = control_literals(t);
        let markup = xml_markup(&literals);
        assert_eq!(markup.into_iter().collect::<Vec<_>>(), ["tool_response"]);
        assert_eq!(tag_name("</tool_call>"), "tool_call");
    }
}

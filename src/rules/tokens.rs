//! Helpers shared by the tokenizer-consistency rules: what a control token
//! looks like, the literals a template can emit, and where a piece of text
//! sits in the template's file.

use std::ops::Range;

use crate::finding::Span;
pub use crate::jinja_text::{blank_comments, generation_tag};
use crate::load::Template;

/// The longest text taken for one control token.
const MAX_TOKEN_LEN: usize = 64;

/// The shape classes of control tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shape {
    /// `<|…|>` (ChatML, Llama 3, Phi, …).
    Pipe,
    /// `<｜…｜>` with full-width bars (DeepSeek).
    FullwidthPipe,
    /// `[UPPER_CASE]` or `[/UPPER]` (Mistral's `[INST]`, `[TOOL_CALLS]`).
    UpperBracket,
    /// `<lower_snake>` or `</lower_snake>` with an underscore (Gemma's `<start_of_turn>`).
    SnakeAngle,
    /// Any other `<…>` without whitespace (`</s>`, `<eos>`, `<think>`).
    Angle,
}

/// The control token at the very start of `s`, if there is one, with its shape.
pub fn token_at_start(s: &str) -> Option<(&str, Shape)> {
    let (open, close, shape) = if s.starts_with("<|") {
        ("<|", "|>", Shape::Pipe)
    } else if s.starts_with("<｜") {
        ("<｜", "｜>", Shape::FullwidthPipe)
    } else if s.starts_with('[') {
        ("[", "]", Shape::UpperBracket)
    } else if s.starts_with('<') {
        ("<", ">", Shape::Angle)
    } else {
        return None;
    };
    let window = &s[..floor_char_boundary(s, MAX_TOKEN_LEN)];
    let end = window[open.len()..].find(close)? + open.len() + close.len();
    let token = &s[..end];
    let inner = &token[open.len()..token.len() - close.len()];
    let plain = |c: char| !c.is_whitespace() && !"<>{}%'\"|｜[]+~".contains(c);
    if inner.is_empty() || !inner.chars().all(plain) {
        return None;
    }
    let name = inner.strip_prefix('/').unwrap_or(inner);
    let shape = match shape {
        Shape::UpperBracket => {
            let upper = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                && name.chars().next().is_some_and(|c| c.is_ascii_uppercase());
            if !upper {
                return None;
            }
            shape
        }
        Shape::Angle => {
            let snake = name.contains('_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
            if snake {
                Shape::SnakeAngle
            } else {
                shape
            }
        }
        Shape::Pipe | Shape::FullwidthPipe | Shape::SnakeAngle => shape,
    };
    Some((token, shape))
}

/// The shape of a whole string, when it is exactly one control token.
pub fn shape_of(s: &str) -> Option<Shape> {
    token_at_start(s).and_then(|(t, shape)| (t.len() == s.len()).then_some(shape))
}

/// Every control-token-shaped literal in the template's emitted text
/// (comments excluded), with its byte range in the template.
pub fn control_literals(text: &str) -> Vec<(Range<usize>, String)> {
    let blanked = blank_comments(text);
    let mut out = Vec::new();
    let mut at = 0;
    while at < blanked.len() {
        let rest = &blanked[at..];
        let Some(next) = rest.find(['<', '[']) else {
            break;
        };
        let start = at + next;
        match token_at_start(&blanked[start..]) {
            Some((tok, _)) => {
                out.push((start..start + tok.len(), tok.to_string()));
                at = start + tok.len();
            }
            None => at = start + 1,
        }
    }
    out
}

/// The first place `needle` occurs in the template outside comments.
pub fn find_in_template(text: &str, needle: &str) -> Option<Range<usize>> {
    if needle.is_empty() {
        return None;
    }
    blank_comments(text)
        .find(needle)
        .map(|at| at..at + needle.len())
}

/// A template byte range as a span in the template's file.
pub fn span_in_file(t: &Template, range: Range<usize>) -> Span {
    Span::new(t.offsets.to_file(range.start), t.offsets.to_file(range.end))
}

/// The largest char boundary of `s` at or below `at`.
pub fn floor_char_boundary(s: &str, at: usize) -> usize {
    let mut i = at.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_blanked_keeping_offsets() {
        let t = "a{# <|x|> é #}b";
        let b = blank_comments(t);
        assert_eq!(b.len(), t.len());
        assert!(b.starts_with('a') && b.ends_with('b'));
        assert!(!b.contains("<|x|>"));
    }

    #[test]
    fn generation_tags() {
        assert_eq!(generation_tag("a{% generation %}b"), Some(1..17));
        assert!(generation_tag("{%- generation -%}x{%- endgeneration %}").is_some());
        assert_eq!(generation_tag("{% if generation %}{% endif %}"), None);
        assert_eq!(generation_tag("{% endgeneration %}"), None);
        assert_eq!(generation_tag("{# {% generation %} #}"), None);
    }

    #[test]
    fn token_shapes() {
        assert_eq!(
            token_at_start("<|im_end|>\n"),
            Some(("<|im_end|>", Shape::Pipe))
        );
        assert_eq!(
            token_at_start("<｜end▁of▁sentence｜>"),
            Some(("<｜end▁of▁sentence｜>", Shape::FullwidthPipe))
        );
        assert_eq!(
            token_at_start("<end_of_turn>\n"),
            Some(("<end_of_turn>", Shape::SnakeAngle))
        );
        assert_eq!(token_at_start("</s>"), Some(("</s>", Shape::Angle)));
        assert_eq!(
            token_at_start("[/INST] x"),
            Some(("[/INST]", Shape::UpperBracket))
        );
        assert_eq!(token_at_start("[1, 2]"), None);
        assert_eq!(token_at_start("<|' + role + '|>"), None);
        assert_eq!(token_at_start("< b >"), None);
        assert_eq!(token_at_start("plain"), None);
    }

    #[test]
    fn literals_skip_comments_and_expressions() {
        let t = "{# <|no|> #}{{ '<|im_start|>' + m.role }}<|{{ role }}|>[INST]";
        let lits: Vec<String> = control_literals(t).into_iter().map(|(_, s)| s).collect();
        assert_eq!(lits, ["<|im_start|>", "[INST]"]);
    }
}

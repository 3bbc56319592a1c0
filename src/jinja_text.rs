//! Plain-text facts about a Jinja template's source, read without parsing
//! it: the text with its comments blanked out, and the `{% generation %}`
//! tag. A leaf (it imports nothing from the crate): the rules and the
//! capability detection both use it, so `capabilities` does not import
//! `rules` (which imports `capabilities`).

use std::ops::Range;

/// The template text with every `{# … #}` comment blanked out byte for byte
/// (so offsets stay valid): text inside comments is never emitted.
pub fn blank_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{#") {
        out.push_str(&rest[..open]);
        let body = &rest[open..];
        let len = body.find("#}").map_or(body.len(), |close| close + 2);
        out.extend(std::iter::repeat_n(' ', len));
        rest = &body[len..];
    }
    out.push_str(rest);
    out
}

/// The first `{% generation %}` tag (any whitespace control) outside comments.
pub fn generation_tag(text: &str) -> Option<Range<usize>> {
    let blanked = blank_comments(text);
    let mut from = 0;
    while let Some(at) = blanked[from..].find("{%").map(|i| i + from) {
        let after = &blanked[at + 2..];
        let inner = after.trim_start_matches(['-', '+']).trim_start();
        if let Some(tail) = inner.strip_prefix("generation") {
            let rest = tail.trim_start().trim_start_matches(['-', '+']);
            if rest.starts_with("%}") {
                let end = blanked.len() - rest.len() + 2;
                return Some(at..end);
            }
        }
        from = at + 2;
    }
    None
}

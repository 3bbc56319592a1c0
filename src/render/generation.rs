//! `{% generation %}` blocks (transformers' AssistantTracker): rendered as
//! their body; optionally the output byte ranges they produced are recorded
//! for the assistant-token mask.
//!
//! How spans are recorded: the pre-pass turns each block into
//! `{% filter __generation__ %}…{% endfilter %}`. When spans are requested,
//! the render context sets `RECORD` and the filter brackets the body with two
//! private-use marker characters; after rendering, the markers are removed
//! and their positions become the spans. Markers travel with captured text
//! (`{% set x %}{% generation %}…{% endgeneration %}{% endset %}{{ x }}`
//! still marks the text where it finally lands). Text that already contains
//! the marker characters is rendered without spans (see `extract`).

use std::ops::Range;

use minijinja::value::Value;
use minijinja::State;

/// Context variable that turns marking on.
pub const RECORD: &str = "__ctl_record_generation__";
const OPEN: char = '\u{F8F0}';
const CLOSE: char = '\u{F8F1}';

/// The `__generation__` filter: identity, or the body between markers.
pub fn mark(state: &State, body: Value) -> Value {
    let record = state.lookup(RECORD).is_some_and(|v| v.is_true());
    if !record {
        return body;
    }
    let s = body
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| body.to_string());
    Value::from_safe_string(format!("{OPEN}{s}{CLOSE}"))
}

/// Whether `text` holds marker characters of its own (then marking is off).
pub fn has_markers(text: &str) -> bool {
    text.contains([OPEN, CLOSE])
}

/// Remove the markers from `marked`; return the text and the spans (merged
/// when nested or adjacent).
pub fn extract(marked: &str) -> (String, Vec<Range<usize>>) {
    let mut out = String::with_capacity(marked.len());
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    for c in marked.chars() {
        match c {
            OPEN => {
                if depth == 0 {
                    start = out.len();
                }
                depth += 1;
            }
            CLOSE => {
                depth = depth.saturating_sub(1);
                if depth == 0 && out.len() > start {
                    match spans.last_mut() {
                        Some(last) if last.end == start => last.end = out.len(),
                        _ => spans.push(start..out.len()),
                    }
                }
            }
            c => out.push(c),
        }
    }
    (out, spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_become_spans() {
        let (text, spans) = extract("a\u{F8F0}bc\u{F8F1}d\u{F8F0}\u{F8F1}e\u{F8F0}f\u{F8F1}");
        assert_eq!(text, "abcdef");
        assert_eq!(spans, vec![1..3, 5..6]);
    }
}

//! Where in the template a piece of a render came from: the span that wrote
//! the turn closer `eos-mismatch` reports, so the finding points at the
//! assistant branch that emits it, not at the first `<|im_end|>` of the
//! template (often inside the tools preamble).
//!
//! The engine keeps no map from output to source, so the answer is found by
//! experiment: each candidate span (every place the closer's text is written
//! literally, and every use of a variable whose value is the closer, such as
//! `eos_token`) is changed to write a marked copy of the closer, of the same
//! length, and the probe is rendered again. The candidate whose change shows
//! up at the closer's position in an otherwise same-length render wrote it.
//! Pure: variants are rendered through `Renders::render_variant`.

use std::ops::Range;

use serde_json::{Map, Value};

use super::tokens::blank_comments;
use crate::probes::{ProbeId, Renders};

/// The variable a variant reads instead of the one that holds the closer.
const STAND_IN: &str = "ctl_closer_stand_in";

/// The byte range of the template text that wrote the closer found at `at`
/// (`at..at + closer.len()`) in the training render of probe `probe`.
pub fn closer_source(
    text: &str,
    renders: &Renders,
    probe: ProbeId,
    at: usize,
    closer: &str,
) -> Option<Range<usize>> {
    // Every folder holding this template shares `renders`: the variants are
    // rendered once for all of them.
    let key = format!("closer-source\0{text}\0{}\0{at}\0{closer}", probe.as_str());
    renders.remember(key, || search(text, renders, probe, at, closer))
}

fn search(
    text: &str,
    renders: &Renders,
    probe: ProbeId,
    at: usize,
    closer: &str,
) -> Option<Range<usize>> {
    let render = renders.ok(probe, false)?;
    let marked = marked_copy(closer)?;
    let shows = |variant: &str, extra: &Map<String, Value>| {
        renders
            .render_variant(variant, probe, false, extra)
            .is_some_and(|out| {
                out.len() == render.len() && out.get(at..at + closer.len()) == Some(marked.as_str())
            })
    };
    let blanked = blank_comments(text);
    let no_extra = Map::new();
    for (start, _) in blanked.match_indices(closer) {
        let range = start..start + closer.len();
        if shows(&splice(text, &range, &marked), &no_extra) {
            return Some(range);
        }
    }
    let mut extra = Map::new();
    extra.insert(STAND_IN.to_string(), Value::String(marked.clone()));
    for (name, value) in &renders.vars {
        if value.as_str() != Some(closer) {
            continue;
        }
        for range in identifier_uses(&blanked, name) {
            if shows(&splice(text, &range, STAND_IN), &extra) {
                return Some(range);
            }
        }
    }
    None
}

/// `closer` with its first ASCII letter or digit changed: the same length,
/// and different from the closer.
fn marked_copy(closer: &str) -> Option<String> {
    let at = closer.find(|c: char| c.is_ascii_alphanumeric())?;
    let was = closer.as_bytes()[at];
    let mark = if was == b'Q' { "X" } else { "Q" };
    Some(format!("{}{mark}{}", &closer[..at], &closer[at + 1..]))
}

fn splice(text: &str, range: &Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..range.start], &text[range.end..])
}

/// Every place `name` appears as a whole identifier.
fn identifier_uses(text: &str, name: &str) -> Vec<Range<usize>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(name)
        .map(|(start, _)| start..start + name.len())
        .filter(|r| !text[..r.start].ends_with(ident) && !text[r.end..].starts_with(ident))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marked_copies_keep_the_length() {
        assert_eq!(marked_copy("<|im_end|>").as_deref(), Some("<|Qm_end|>"));
        assert_eq!(marked_copy("</s>").as_deref(), Some("</Q>"));
        assert_eq!(marked_copy("<|||>"), None);
    }

    #[test]
    fn identifiers_are_whole_words() {
        let t = "{{ eos_token }}{{ my_eos_token }}{{ eos_token2 }}{{ x+eos_token }}";
        let found: Vec<&str> = identifier_uses(t, "eos_token")
            .into_iter()
            .map(|r| &t[r])
            .collect();
        assert_eq!(found, ["eos_token", "eos_token"]);
    }
}

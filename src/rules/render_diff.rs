//! The first differing probe between two templates' renders, with a
//! unified diff of the two prompts: shared by `template-drift` (against a
//! baseline), `gguf-template-drift` (a GGUF's embedded copy against the
//! folder's template) and `template-sources-disagree` (two sources of one
//! folder, which diffs the template texts with the same function).

use similar::TextDiff;

use super::anatomy::common_prefix_len;
use crate::finding::escape_snippet;
use crate::probes::{ProbeId, RenderedProbe, Renders};

/// Where two sets of renders first differ.
#[derive(Debug)]
pub(crate) struct RenderDiff {
    /// The probe conversation.
    pub probe: ProbeId,
    pub add_generation_prompt: bool,
    /// A unified diff (`old_label` → `new_label`) of the two renders, then a
    /// line naming the first differing byte.
    pub diff: String,
}

impl RenderDiff {
    /// `True` / `False`, as the keyword argument is written.
    pub fn generation_flag(&self) -> &'static str {
        if self.add_generation_prompt {
            "True"
        } else {
            "False"
        }
    }
}

/// How one side of a diff is named: in the diff header (a file or origin)
/// and in the sentence naming the first change (`baseline`, `this template`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Side<'a> {
    pub header: &'a str,
    pub word: &'a str,
}

/// The first render of `new` (in probe order) whose result differs from
/// `old`'s render of the same probe; `None` when every shared probe agrees.
pub(crate) fn first_render_diff(
    old: &Renders,
    new: &Renders,
    old_side: Side<'_>,
    new_side: Side<'_>,
) -> Option<RenderDiff> {
    let (n, o) = first_difference(&new.items, &old.items)?;
    let new_text = shown(&n.result);
    let old_text = shown(&o.result);
    let diff = unified_diff(&old_text, &new_text, old_side.header, new_side.header, 3);
    Some(RenderDiff {
        probe: n.probe.id,
        add_generation_prompt: n.add_generation_prompt,
        diff: format!(
            "{diff}{}",
            first_change(&old_text, &new_text, old_side.word, new_side.word)
        ),
    })
}

/// A unified diff of two texts by lines, with `radius` lines of context.
pub(crate) fn unified_diff(
    old: &str,
    new: &str,
    old_header: &str,
    new_header: &str,
    radius: usize,
) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(radius)
        .header(old_header, new_header)
        .to_string()
}

/// The first render of `new` (in probe order) whose result differs from
/// `old`'s render of the same probe (a failure matches a failure of the
/// same kind), with that render of `old`.
pub(crate) fn first_difference<'a>(
    new: &'a [RenderedProbe],
    old: &'a [RenderedProbe],
) -> Option<(&'a RenderedProbe, &'a RenderedProbe)> {
    new.iter().find_map(|n| {
        let o = old.iter().find(|o| {
            o.probe.id == n.probe.id && o.add_generation_prompt == n.add_generation_prompt
        })?;
        let same = match (&n.result, &o.result) {
            (Ok(x), Ok(y)) => x == y,
            (Err(x), Err(y)) => x.kind == y.kind,
            (Ok(_), Err(_)) | (Err(_), Ok(_)) => false,
        };
        (!same).then_some((n, o))
    })
}

/// One line naming the first differing byte with the text around it,
/// escaped: a line diff hides whitespace changes (`\n\n` → `\n`).
fn first_change(old: &str, new: &str, old_word: &str, new_word: &str) -> String {
    let at = common_prefix_len(old, new);
    let around = |s: &str| {
        let tail: String = s[at..].chars().take(24).collect();
        if tail.is_empty() {
            "the end of the render".to_string()
        } else {
            format!("`{}`", escape_snippet(&tail, 40))
        }
    };
    format!(
        "first difference at byte {at}: {old_word} has {}, {new_word} has {}\n",
        around(old),
        around(new)
    )
}

/// A render as diffable text: the prompt, or the error in its place.
fn shown(result: &Result<String, crate::render::RenderError>) -> String {
    match result {
        Ok(s) => s.clone(),
        Err(e) => format!("(render failed: {})\n", e.message),
    }
}

//! `prefix-mismatch`: the inference prompt is not a prefix of the training
//! render.
//!
//! For every assistant turn of every probe: the messages before it rendered
//! with `add_generation_prompt=True` (what the model is served with) must be
//! a prefix of the whole conversation rendered with
//! `add_generation_prompt=False` (what it is trained on, one sample with a
//! loss on each assistant turn). One finding per template, for the first
//! turn that breaks; the detail lists every probe that does.

use super::tokens::floor_char_boundary;
use super::{RuleDocs, TemplateContext};
use crate::finding::{escape_snippet, Finding};
use crate::rules::Rule;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The inference prompt is not a prefix of the training render.",
    what_it_does: "
For each assistant turn of the probe conversations, renders the messages before it with
`add_generation_prompt=True` — the prompt the model gets when serving — and checks that
it is a prefix of the whole conversation rendered with `add_generation_prompt=False` —
the text the model is trained on. Reports the first byte where they differ, with
context, and the probe.
",
    why_bad: "
The model learns to answer after exactly the text it saw in training. If serving puts
different text before the answer (another header, a `<think>` block, a history with the
reasoning removed), the model works slightly out of distribution on every request, and
training pipelines that mask the prompt by rendering it with a generation prompt mask
the wrong tokens. Some templates do this on purpose (Qwen3 drops earlier reasoning from
the history; DeepSeek-R1 opens the answer with `<think>\\n`): then the warning documents
a known trade-off.
",
    example: "
    {% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}

while assistant messages are rendered as `<|assistant|>` + content, without the newline.
",
    how_to_fix: "
Make the generation prompt the exact text that starts an assistant turn in the loop
(same tokens, same whitespace). If the difference is deliberate (reasoning handling),
ignore the rule for this template in the config.
",
};

/// Characters of context shown on each side of the first difference.
const CONTEXT: usize = 24;

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let mut broken: Vec<(&'static str, usize, usize, &str, &str)> = Vec::new();
    for p in &ctx.renders.prefixes {
        let (Ok(prompt), Some(full)) = (&p.result, ctx.renders.ok(p.probe.name, false)) else {
            continue;
        };
        if full.starts_with(prompt.as_str()) {
            continue;
        }
        let at = first_difference(prompt, full);
        broken.push((p.probe.name, p.turn, at, prompt.as_str(), full));
    }
    let Some(&(probe, turn, at, prompt, full)) = broken.first() else {
        return Vec::new();
    };
    let t = ctx.template;
    let served = around(prompt, at);
    let trained = around(full, at);
    let reasoning = [prompt, full].iter().any(|s| involves_think(s, at));
    let known = if reasoning {
        " The difference involves `<think>`: the template adds a thinking block to the generation prompt or strips reasoning from the history, as Qwen3 and DeepSeek-R1 templates do on purpose."
    } else {
        ""
    };
    let detail = broken
        .iter()
        .map(|(probe, turn, at, prompt, full)| {
            format!(
                "probe `{probe}`, assistant message {turn}: at byte {at}, served `{}` vs trained `{}`",
                around(prompt, *at),
                around(full, *at)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    vec![Finding::new(
        Rule::PrefixMismatch,
        &t.path,
        format!(
            "the prompt served before assistant message {turn} is not a prefix of the training render: at byte {at} the prompt has `{served}` where training has `{trained}`.{known}"
        ),
    )
    .with_template(&t.name)
    .with_probe(probe)
    .with_detail(detail)
    .with_help(if reasoning {
        "if the reasoning handling is intended, ignore `prefix-mismatch` for this template; otherwise make the generation prompt match the assistant header"
    } else {
        "make the generation prompt the exact text that opens an assistant turn in the message loop"
    })]
}

/// The byte where `a` and `b` first differ (a char boundary of both).
fn first_difference(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i)
}

/// Up to `CONTEXT` bytes before and after `at`, escaped for one line, with
/// `⟨end⟩` marking the end of the text.
fn around(s: &str, at: usize) -> String {
    let at = floor_char_boundary(s, at);
    let start = floor_char_boundary(s, at.saturating_sub(CONTEXT));
    let end = floor_char_boundary(s, at + CONTEXT);
    let mut out = escape_snippet(&s[start..end], 3 * CONTEXT);
    if end == s.len() {
        out.push_str("⟨end⟩");
    }
    out
}

/// Whether a `<think>` or `</think>` tag overlaps the text near `at`.
fn involves_think(s: &str, at: usize) -> bool {
    let start = floor_char_boundary(s, at.saturating_sub(8));
    let end = floor_char_boundary(s, at + 2 * CONTEXT);
    let window = &s[start..end];
    window.contains("<think>") || window.contains("</think>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences() {
        assert_eq!(first_difference("abc", "abd"), 2);
        assert_eq!(first_difference("ab", "abc"), 2);
        assert_eq!(first_difference("héllo", "hèllo"), 1);
        assert!(involves_think("A<think>\n", 1));
        assert!(!involves_think("plain text", 3));
        assert_eq!(around("ab", 2), "ab⟨end⟩");
    }
}

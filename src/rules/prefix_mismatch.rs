//! `prefix-mismatch`: the inference prompt is not a prefix of the training
//! render.
//!
//! For every assistant turn of every probe: the messages before it rendered
//! with `add_generation_prompt=True` (what the model is served with) must be
//! a prefix of the whole conversation rendered with
//! `add_generation_prompt=False` (what it is trained on, one sample with a
//! loss on each assistant turn). So must the conversation rendered through
//! that turn: otherwise the history is rewritten once later turns follow
//! (Qwen3 drops earlier reasoning). One finding per template, for the first
//! turn that breaks; the detail lists the others that do.

use serde_json::Value;

use super::eos_mismatch::closer_at;
use super::tokens::{find_in_template, floor_char_boundary, span_in_file};
use super::{RuleDocs, TemplateContext};
use crate::finding::{escape_snippet, Finding};
use crate::probes::ProbeId;
use crate::rules::Rule;

/// Why `--fix` leaves it (`explain`'s Fix section).
pub(super) const NOT_FIXABLE: &str = "
The inference prompt and the training render can both be what the authors meant (a reasoning
model that opens a think block, a template that drops past reasoning); which one to change is a
decision about how the model was trained.
";

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The inference prompt is not a prefix of the training render.",
    what_it_does: "
For each assistant turn of the probe conversations, renders the messages before it with
`add_generation_prompt=True` — the prompt the model gets when serving — and checks that
it is a prefix of the whole conversation rendered with `add_generation_prompt=False` —
the text the model is trained on. It also checks that the conversation rendered up to
and including a turn is a prefix of the whole conversation, i.e. that a turn is
rendered the same way once later turns follow. Reports the first byte where they
differ, with context, and the probe.
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
A generation prompt with a newline the message loop does not write:

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

/// Which comparison broke.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The inference prompt before a turn vs the training render.
    Prompt,
    /// The conversation through a turn vs the training render (history
    /// rendered differently once later turns follow).
    History,
}

/// One turn whose render is not a prefix of the training render.
struct Break<'a> {
    kind: Kind,
    probe: ProbeId,
    turn: usize,
    at: usize,
    left: &'a str,
    full: &'a str,
}

impl Break<'_> {
    fn describe(&self) -> String {
        let what = match self.kind {
            Kind::Prompt => "the prompt served before",
            Kind::History => "the conversation through",
        };
        format!(
            "{what} the assistant message at index {} of probe `{}` is not a prefix of the training render: at byte {} it has `{}` where training has `{}`",
            self.turn,
            self.probe,
            self.at,
            around(self.left, self.at),
            around(self.full, self.at)
        )
    }

    /// Whether reasoning markup is where the two texts part.
    fn involves_reasoning(&self) -> bool {
        [self.left, self.full]
            .iter()
            .any(|s| involves_think(s, self.at))
    }
}

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let turns = [
        (Kind::Prompt, &ctx.renders.prompts),
        (Kind::History, &ctx.renders.answered),
    ];
    let mut breaks = Vec::new();
    for (kind, renders) in turns {
        for p in renders.iter() {
            let (Ok(left), Some(full)) = (&p.result, ctx.renders.ok(p.probe.id, false)) else {
                continue;
            };
            let left = match kind {
                Kind::Prompt => left.as_str(),
                Kind::History => match through_turn(left, &p.probe.messages, p.turn) {
                    Some(l) => l,
                    None => continue,
                },
            };
            if full.starts_with(left) {
                continue;
            }
            breaks.push(Break {
                kind,
                probe: p.probe.id,
                turn: p.turn,
                at: first_difference(left, full),
                left,
                full,
            });
        }
    }
    let Some(first) = breaks.first() else {
        return Vec::new();
    };
    let t = ctx.template;
    let reasoning = first.involves_reasoning();
    let known = match (reasoning, first.kind) {
        (false, _) => "",
        (true, Kind::Prompt) if first.left.len() - first.at <= 2 * CONTEXT => " The difference involves reasoning markup: the template opens a thinking block in the generation prompt, as DeepSeek-R1 and Qwen3-style templates do on purpose.",
        (true, Kind::Prompt) => " The difference involves reasoning markup: the prompt and the training render keep different reasoning of earlier turns, as reasoning templates often do on purpose.",
        (true, Kind::History) => " The difference involves reasoning markup: the template strips reasoning from earlier turns, as Qwen3-style templates do on purpose.",
    };
    // The message has the first break; the detail names the others on one
    // line (they fail the same way; listing each in full buried the first).
    let detail = others(&breaks[1..]);
    // Point at the generation prompt's branch: where the served text is made.
    let at = find_in_template(&t.text, "add_generation_prompt");
    let mut finding = Finding::new(
        Rule::PrefixMismatch,
        &t.path,
        format!("{}.{known}", first.describe()),
    )
    .with_template(&t.name)
    .with_probe(first.probe.as_str())
    .with_help(if reasoning {
        "if the reasoning handling is intended, ignore `prefix-mismatch` for this template; otherwise render every turn the same way wherever it appears"
    } else {
        "make the generation prompt the exact text that opens an assistant turn in the message loop, and render each turn the same way whatever follows it"
    });
    if !detail.is_empty() {
        finding = finding.with_detail(detail);
    }
    if let Some(range) = at {
        finding = finding.with_span(span_in_file(t, range));
    }
    vec![finding]
}

/// `also in 11 more turns: the prompt before `multi-turn` [1, 3],
/// `image` [1]; the conversation through `reasoning` [3]`: each kind of
/// break, its probes in order with the indexes of their assistant messages.
fn others(breaks: &[Break<'_>]) -> String {
    if breaks.is_empty() {
        return String::new();
    }
    let mut parts = Vec::new();
    for (kind, what) in [
        (Kind::Prompt, "the prompt before"),
        (Kind::History, "the conversation through"),
    ] {
        let mut probes: Vec<(&str, Vec<String>)> = Vec::new();
        let name = |b: &Break<'_>| b.probe.as_str();
        for b in breaks.iter().filter(|b| b.kind == kind) {
            match probes.iter_mut().find(|(p, _)| *p == name(b)) {
                Some((_, turns)) => turns.push(b.turn.to_string()),
                None => probes.push((name(b), vec![b.turn.to_string()])),
            }
        }
        if probes.is_empty() {
            continue;
        }
        let listed: Vec<String> = probes
            .iter()
            .map(|(p, turns)| format!("`{p}` [{}]", turns.join(", ")))
            .collect();
        parts.push(format!("{what} {}", listed.join(", ")));
    }
    format!(
        "also in {} more turn{}: {}",
        breaks.len(),
        if breaks.len() == 1 { "" } else { "s" },
        parts.join("; ")
    )
}

/// The render through an assistant turn, cut after the turn's content and
/// the control token that closes it: what follows is the end of the
/// conversation (an eos, a dangling header), not part of the turn. `None`
/// when the content is not in the render.
fn through_turn<'r>(render: &'r str, messages: &Value, turn: usize) -> Option<&'r str> {
    let content = messages.get(turn)?.get("content")?.as_str()?;
    if content.is_empty() {
        return None;
    }
    let end = render.rfind(content)? + content.len();
    let cut = closer_at(render, end).map_or(end, |r| r.end);
    Some(&render[..cut])
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

/// Whether reasoning markup (`<think>`, `</think>`, Command R's
/// `<|START_THINKING|>`, Gemma's `thought` channel, …) is near `at`.
fn involves_think(s: &str, at: usize) -> bool {
    let start = floor_char_boundary(s, at.saturating_sub(8));
    let end = floor_char_boundary(s, at + 2 * CONTEXT);
    let window = s[start..end].to_ascii_lowercase();
    ["think", "thought", "reasoning"]
        .iter()
        .any(|w| window.contains(w))
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

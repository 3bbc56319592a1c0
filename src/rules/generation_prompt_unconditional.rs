//! `generation-prompt-unconditional`: the template opens an assistant turn
//! even when no generation prompt is asked for.
//!
//! The Llama-3 template Meta shipped at launch (April 2024), and the
//! MiniCPM-Llama3-V 2.5 inference template built from it, append
//! `<|start_header_id|>assistant<|end_header_id|>\n\n` after every
//! conversation, ignoring `add_generation_prompt`. The rule reads the text a
//! training render of `[user, assistant]` ends with (see `anatomy`): when it
//! is the same text that opens the assistant's answer, the render ends with a
//! dangling header. Only the text beyond the normal end of an assistant turn
//! (as the multi-turn render shows it) counts, so a template that ends every
//! turn the same way (`…<sep>`), or whose turn end shares characters with its
//! header (`<｜end▁of▁sentence｜>` / `<｜Assistant｜>`), is not reported.

use super::anatomy::{common_prefix_len, text_between, Anatomy, ExchangeRenders};
use super::{template_span, RuleDocs, TemplateContext};
use crate::finding::{escape_snippet, Finding};
use crate::probes::{ProbeId, ASSISTANT_TEXT, USER_TEXT_2};
use crate::rules::Rule;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The template opens an assistant turn even when no generation prompt is asked for.",
    what_it_does: "
Renders the training conversation `[user, assistant]` with `add_generation_prompt=False`
and looks at how it ends. When the render ends with the same text that introduces the
assistant's answer (for Llama 3, `<|start_header_id|>assistant<|end_header_id|>\\n\\n`),
the template opens a new assistant turn that nobody asked for.
",
    why_bad: "
Trainers render whole conversations with `add_generation_prompt=False`. A template that
always appends the assistant header puts an empty assistant turn at the end of every
training sample, and the loss then teaches the model that a header is followed by the
end of the text. It also breaks multi-turn prompts built by concatenation. Fine-tuning
code that notices this (MiniCPM-V's did) tends to swap in a training-only template —
which is how checkpoints end up with no generation prompt at all.
",
    example: "
The original MiniCPM-Llama3-V 2.5 / early Llama-3 template:

    {% for message in messages %}…{{ content }}{% endfor %}
    {{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}

`[user, assistant]` renders as `…I am a helpful assistant.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\\n\\n`.
",
    how_to_fix: "
Emit the header only when it is asked for:

    {% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}
",
};

/// The dangling header at the end of the training render, when there is
/// one. `continued` is what the template writes after an assistant answer
/// when a user message follows (from the multi-turn render): the normal end
/// of an assistant turn.
pub fn dangling_header(anatomy: &Anatomy, continued: &str) -> Option<String> {
    let after = &anatomy.after_assistant;
    // What the training render adds beyond the normal end of the turn…
    let extra = &after[common_prefix_len(after, continued)..];
    // …is a dangling header when it is the text that opens an answer.
    if extra.trim().is_empty() || !anatomy.between.ends_with(extra) {
        return None;
    }
    Some(anatomy.dangling_header().to_string())
}

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let r = ctx.renders;
    let (Some(exchange), Some(multi)) = (
        ExchangeRenders::of_probes(r, None),
        r.ok(ProbeId::MultiTurn, false),
    ) else {
        return Vec::new();
    };
    let Some(anatomy) = Anatomy::read(&exchange) else {
        return Vec::new();
    };
    let Some(continued) = text_between(multi, ASSISTANT_TEXT, USER_TEXT_2) else {
        return Vec::new();
    };
    let Some(dangling) = dangling_header(&anatomy, continued) else {
        return Vec::new();
    };
    let t = ctx.template;
    let end = t.text.trim_end().len();
    let shown = escape_snippet(&dangling, 80);
    vec![Finding::new(
        Rule::GenerationPromptUnconditional,
        &t.path,
        format!(
            "the render of [user, assistant] with `add_generation_prompt=False` ends with \
             the assistant header `{shown}`: every training sample gets an empty assistant turn"
        ),
    )
    .with_span(template_span(t, end..end))
    .with_template(&t.name)
    .with_probe(ProbeId::UserAssistant.as_str())
    .with_help("wrap the trailing header in `{% if add_generation_prompt %}…{% endif %}`")]
}

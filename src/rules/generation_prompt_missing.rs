//! `generation-prompt-missing`: `add_generation_prompt=True` does not open an
//! assistant turn — the seed bug.
//!
//! MiniCPM-Llama3-V 2.5's fine-tuning code (OpenBMB/MiniCPM-V, May 2024)
//! overwrote `tokenizer.chat_template` with a training-only Llama-3 template
//! that has no `add_generation_prompt` branch; `save_pretrained` wrote it into
//! every checkpoint, and inference prompts then ended after the user's turn.
//! The rule reads the header H from the template's own training render of
//! `[user, assistant]` (see `anatomy`) and reports when the `[user]` render
//! with a generation prompt is identical to the one without, while H is not
//! blank. A generation prompt that exists but differs from H (Qwen3's empty
//! think block, DeepSeek-R1's `<think>\n`) is `prefix-mismatch`, not this.

use super::anatomy::{text_between, Anatomy, ExchangeRenders};
use super::{template_span, RuleDocs, TemplateContext};
use crate::finding::{escape_snippet, Finding};
use crate::probes::{ProbeId, Renders, SYSTEM_TEXT, USER_TEXT};
use crate::rules::Rule;

/// What `--fix` does (`explain`'s Fix section).
pub(super) const FIX: &str = "
With a baseline (`--baseline`, `--baseline-ref`) whose template differs from this one only by
the missing generation prompt, the baseline's template is restored. Otherwise
`{% if add_generation_prompt %}{{ 'H' }}{% endif %}` is added where the template's output
ends, H being the header the training render uses (an existing `add_generation_prompt` branch
that prints nothing is filled instead). Before anything is written the fix is proven on every
probe conversation: renders with `add_generation_prompt=False` are byte-identical to the
original's, and every prompt with it `True` is that render followed by exactly H. When the
proof fails nothing is written, and the finding says so.
";

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "`add_generation_prompt=True` does not open an assistant turn.",
    what_it_does: "
Renders the conversation `[user, assistant]` the way a trainer does and reads the
assistant header: the text between the end of the user's turn and the assistant's
answer (`<|start_header_id|>assistant<|end_header_id|>\\n\\n`, `<|im_start|>assistant\\n`,
`<start_of_turn>model\\n`). Then renders `[user]` with `add_generation_prompt` false and
true. When both renders are identical although the template has a header, the
generation prompt is missing. Templates whose header is empty or part of the user turn
(`[INST] … [/INST]`) are fine, and so are templates that end a prompt differently
without a generation prompt (Phi-3.5 appends the eos token), templates whose `[user]`
render already opens the assistant turn (Command A), and templates that embed the whole
conversation in one prompt (Llama Guard). A generation prompt that exists but differs
from the header (Qwen3's empty think block, DeepSeek-R1's `<think>\\n`) is
`prefix-mismatch`.
",
    why_bad: "
At inference, `apply_chat_template(messages, add_generation_prompt=True)` is how every
runtime asks a model to answer. Without the header the prompt stops where the user's
turn ends: the model never sees the cue it was trained to answer after, and it
continues the user's text, emits an empty reply, or starts a turn of its own. This is
what happened to MiniCPM-Llama3-V 2.5 fine-tunes: the fine-tuning script replaced the
tokenizer's chat template with a training-only one, and `save_pretrained` shipped it
with every checkpoint.
",
    example: "
A training-only Llama-3 template, saved into a fine-tuned checkpoint:

    {% for message in messages %}
    {{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}
    {% endfor %}

Rendering `[user]` with `add_generation_prompt=True` ends with `<|eot_id|>`, not with
`<|start_header_id|>assistant<|end_header_id|>\\n\\n`.
",
    how_to_fix: "
Restore the base model's inference template, or end the template with the header the
training render uses:

    {% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}

When fine-tuning needs a different template, pass it per call
(`apply_chat_template(..., chat_template=...)`) instead of assigning
`tokenizer.chat_template`, so the checkpoint keeps the inference one.
",
};

/// The missing header, when `renders` show the bug: a generation prompt
/// that changes nothing, a non-blank header, and a `[user]` render that
/// stops where the user's turn ends.
pub fn missing_header(renders: &ExchangeRenders<'_>) -> Option<String> {
    let anatomy = Anatomy::read(renders)?;
    if anatomy.gen_changes_render || !anatomy.has_header() || !anatomy.ends_with_user_turn() {
        return None;
    }
    Some(anatomy.header().to_string())
}

/// The missing header of a template, read from its probe renders (the
/// `[user]` renders both ways and the `[user, assistant]` training render):
/// what this rule reports, and what `--fix` adds.
pub fn missing_header_in(r: &Renders) -> Option<String> {
    let after_system = r
        .ok(ProbeId::SystemUserAssistant, false)
        .and_then(|s| text_between(s, SYSTEM_TEXT, USER_TEXT));
    missing_header(&ExchangeRenders::of_probes(r, after_system)?)
}

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let Some(header) = missing_header_in(ctx.renders) else {
        return Vec::new();
    };
    let header = escape_snippet(&header, 80);
    let t = ctx.template;
    // Point at the end of the template: that is where the missing
    // `{% if add_generation_prompt %}` block belongs.
    let end = t.text.trim_end().len();
    let finding = Finding::new(
        Rule::GenerationPromptMissing,
        &t.path,
        format!(
            "`add_generation_prompt=True` does not add the assistant header `{header}`: \
             the prompt ends after the user's turn, so the model is never told to answer"
        ),
    )
    .with_span(template_span(t, end..end))
    .with_template(&t.name)
    .with_probe(ProbeId::User.as_str())
    .with_help(format!(
        "end the template with `{{% if add_generation_prompt %}}{{{{ '{header}' }}}}{{% endif %}}`, \
         or restore the base model's inference template"
    ));
    vec![finding]
}

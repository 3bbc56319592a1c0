//! `template-ignores-messages`: the template renders the same text whatever
//! the conversation is — it never prints the messages (`hello`, a file that
//! is not a chat template, a template that reads a variable transformers
//! does not pass).
//!
//! Such a template renders without error, so no other rule fires on it and it
//! would pass a gate silently. The rule compares the training renders
//! (`add_generation_prompt=False`) of the probes: the `user` probe and the
//! `non-ascii` probe share no message text, role sequence or length, so a
//! template that reads `messages` at all renders them differently (one that
//! prints only the first message, its role or the number of messages
//! included). It fires only when those two render, are identical, and every
//! other probe that renders gives that same text, with and without the
//! generation prompt.

use super::{template_span, RuleDocs, TemplateContext};
use crate::finding::{escape_snippet, Finding};
use crate::probes::ProbeId;
use crate::rules::Rule;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The template renders the same text whatever the conversation is: it never prints the messages.",
    what_it_does: "
Renders every probe conversation and compares the results. When two conversations that
share no text (one user turn, and a two-turn exchange in other languages) render to the
same prompt, and so does every other probe that renders, the template does not depend
on `messages`.
",
    why_bad: "
The model would receive the same prompt whatever the user writes. Nothing fails: the
template parses and renders, so the other rules have nothing to report, and a gate would
pass. It happens when the wrong file is saved as `chat_template.jinja`, when a template
reads a variable transformers does not pass (`conversation` instead of `messages`), or
when a placeholder template is shipped.
",
    example: "
    hello

or a template that loops over the wrong variable:

    {% for m in conversation %}{{ m.content }}{% endfor %}{{ '<|assistant|>' }}
",
    how_to_fix: "
Render the conversation from `messages`, the variable transformers passes:

    {% for message in messages %}<|{{ message.role }}|>{{ message.content }}{% endfor %}

or restore the chat template the model was trained with.
",
};

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let r = ctx.renders;
    let (Some(user), Some(other)) = (r.ok(ProbeId::User, false), r.ok(ProbeId::NonAscii, false))
    else {
        return Vec::new();
    };
    if user != other {
        return Vec::new();
    }
    // Every probe that renders, each way, gives one text per flag.
    for flag in [false, true] {
        let mut texts = r
            .items
            .iter()
            .filter(|i| i.add_generation_prompt == flag)
            .filter_map(|i| i.result.as_ref().ok());
        let Some(first) = texts.next() else {
            continue;
        };
        if texts.any(|t| t != first) {
            return Vec::new();
        }
    }
    let t = ctx.template;
    let first_line = t.text.find('\n').unwrap_or(t.text.len());
    let rendered = if user.is_empty() {
        "an empty prompt".to_string()
    } else {
        format!("`{}`", escape_snippet(user, 60))
    };
    vec![Finding::new(
        Rule::TemplateIgnoresMessages,
        &t.path,
        format!(
            "every probe conversation renders to the same text ({rendered}): the template never \
             prints `messages`, so the model gets this prompt whatever the user writes"
        ),
    )
    .with_span(template_span(t, 0..first_line))
    .with_template(&t.name)
    .with_probe(ProbeId::NonAscii.as_str())
    .with_help(
        "render the conversation from `messages` (`{% for message in messages %}…{% endfor %}`), \
         or check that the right file was saved as the chat template",
    )]
}

//! `template-drift`: the template renders differently from the baseline's.
//!
//! The seed's "check the configuration before and after fine-tuning": with
//! `--baseline DIR`, each template is compared with the baseline's template
//! of the same name. Text differences alone do not matter (whitespace
//! control, renamed variables); only renders do. The first probe whose render
//! differs is reported with a unified diff of the two renders.

use super::render_diff::{first_render_diff, Side};
use super::{template_span, ModelContext, RuleDocs, TemplateContext};
use crate::finding::Finding;
use crate::rules::Rule;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The template renders differently from the baseline's.",
    what_it_does: "
With `--baseline DIR` (a base model folder, or a tree of folders matched by relative
path), compares each chat template with the baseline's template of the same name. When
the texts differ, both are rendered on every probe conversation, with and without a
generation prompt; the first probe whose renders differ is reported with a unified
diff of the two prompts. Templates that differ only in text but render identically are
fine. A template the baseline has and the folder lost (a `tool_use` template, or the only
chat template) is reported too.
",
    why_bad: "
A fine-tune should answer in the format its base model was trained on. Fine-tuning
scripts and tokenizer round trips silently replace chat templates — a training-only
template without a generation prompt, a changed system prompt, a lost think block —
and the checkpoint then prompts differently from what the model learned, degrading
every answer without an error anywhere.
",
    example: "
    chat-template-lint check --baseline base-model/ finetuned/

The fine-tune's template no longer emits the generation prompt; the render of `[user]`
with `add_generation_prompt=True` differs from the base model's:

    -<|begin_of_text|><|start_header_id|>user<|end_header_id|>
    +<|begin_of_text|><|start_header_id|>user<|end_header_id|>
    …
",
    how_to_fix: "
Copy the baseline's template back (or save the tokenizer from the base model), unless
the change is intended; then update the baseline in the same commit so the change is
reviewed.
",
};

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let Some(base) = ctx.baseline else {
        return Vec::new();
    };
    let t = ctx.template;
    if base.text == t.text {
        return Vec::new();
    }
    let side = |header, word| Side { header, word };
    let Some(d) = first_render_diff(
        base.renders(),
        ctx.renders,
        side(&base.origin, "baseline"),
        side(&t.path, "this template"),
    ) else {
        return Vec::new();
    };
    let (probe, gen) = (d.probe, d.generation_flag());
    vec![Finding::new(
        Rule::TemplateDrift,
        &t.path,
        format!(
            "template renders differently from the baseline `{}` on probe `{probe}` (add_generation_prompt={gen})",
            base.origin
        ),
    )
    .with_span(template_span(t, 0..0))
    .with_template(&t.name)
    .with_probe(probe.as_str())
    .with_detail(d.diff)
    .with_help("restore the baseline's template, or update the baseline if the change is intended")]
}

/// Folder-level drift: templates the baseline has (`(name, origin)`) that
/// the folder lost — a fine-tune saved without its `tool_use` template, or
/// without any chat template at all.
pub(super) fn check_lost(ctx: &ModelContext<'_>) -> Vec<Finding> {
    let (model, Some(baseline)) = (ctx.model, ctx.baseline) else {
        return Vec::new();
    };
    let path = model
        .templates
        .first()
        .map(|t| t.path.clone())
        .or_else(|| model.tokenizer_config_path.clone())
        .unwrap_or_else(|| model.rel_dir.clone());
    baseline
        .iter()
        .filter(|(name, _)| !model.templates.iter().any(|t| &t.name == name))
        .map(|(name, origin)| {
            Finding::new(
                Rule::TemplateDrift,
                &path,
                format!(
                    "the baseline `{origin}` has the chat template `{name}`, which this folder lacks"
                ),
            )
            .with_template(name)
            .with_help(format!(
                "copy the `{name}` template from the baseline (transformers reads \
                 `chat_template.jinja`, `additional_chat_templates/{name}.jinja` or the \
                 `chat_template` key of tokenizer_config.json)"
            ))
        })
        .collect()
}

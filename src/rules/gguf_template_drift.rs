//! `gguf-template-drift`: the chat template embedded in a GGUF file renders
//! differently from the template transformers uses in the same model folder
//! (or, in a folder of only GGUF files, from `--baseline`'s), or the GGUF
//! lost a template the folder has.
//!
//! llama.cpp, Ollama and LM Studio users get the GGUF's copy
//! (`tokenizer.chat_template`), made at conversion time; it goes stale when
//! the folder's template is fixed and the file not reconverted, or when the
//! converter read another source than transformers does (llama.cpp's
//! `convert_hf_to_gguf.py` takes `tokenizer_config.json`'s key, transformers
//! prefers `chat_template.jinja`). Texts that render alike are fine. Without a
//! template, llama.cpp falls back to a built-in guess (`llama_chat_apply_template`
//! detects a format, else ChatML).

use super::render_diff::{first_render_diff, Side};
use super::{template_span, ModelContext, RuleDocs, TemplateContext};
use crate::finding::Finding;
use crate::rules::Rule;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "A GGUF file's embedded chat template renders differently from the folder's.",
    what_it_does: "
For every `.gguf` file in a model folder, compares each embedded template
(`tokenizer.chat_template`, `tokenizer.chat_template.<name>`) with the template of
the same name that transformers uses in the folder (`chat_template.jinja`,
`additional_chat_templates/`, `tokenizer_config.json`); in a folder of only GGUF
files, with the `--baseline` folder's. Both are rendered on every probe, with the
GGUF's own special tokens; the first probe whose prompts differ is reported with a
unified diff. When the GGUF holds the folder's ignored source (the
`tokenizer_config.json` key that `chat_template.jinja` replaces), the message says
so. A GGUF without a template, or without a named template the folder has, is
reported too.
",
    why_bad: "
People who run a model locally load the GGUF, never `tokenizer_config.json`: the
prompt they get is the GGUF's copy, made at conversion time. When the folder's
template was fixed later, or the converter read another source, every local user
prompts the model in a format it was not trained on (llama.cpp #15110: the gpt-oss
GGUF renders a different prompt than transformers). A GGUF without a template makes
llama.cpp guess a format from built-in heuristics.
",
    example: "
A folder whose `chat_template.jinja` was fixed to add the generation prompt, beside
`model-Q4_K_M.gguf` converted from the old `tokenizer_config.json`:

    --- chat_template.jinja
    +++ model-Q4_K_M.gguf
",
    how_to_fix: "
Reconvert the GGUF from the current files, or write the current template into it
(gguf-py's `gguf_new_metadata.py --chat-template-config tokenizer_config.json`,
or `--chat-template`), and keep both in the same commit.
",
};

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let Some(reference) = ctx.baseline else {
        return Vec::new();
    };
    let t = ctx.template;
    if reference.text == t.text {
        return Vec::new();
    }
    let side = |header, word| Side { header, word };
    let Some(d) = first_render_diff(
        reference.renders(),
        ctx.renders,
        side(&reference.origin, &reference.origin),
        side(&t.path, "the GGUF's"),
    ) else {
        return Vec::new();
    };
    let stale = ctx
        .model
        .folder_shadowed
        .iter()
        .find(|s| s.name == t.name && s.text == t.text);
    let why = match stale {
        Some(s) => format!(
            "the GGUF holds `{}`, the source transformers ignores: it was converted from the stale copy",
            s.path
        ),
        None => format!(
            "the GGUF's copy is not `{}`'s: the file was converted from another revision, or one side was edited after conversion",
            reference.origin
        ),
    };
    vec![Finding::new(
        Rule::GgufTemplateDrift,
        &t.path,
        format!(
            "the embedded chat template renders differently from `{}` on probe `{}` (add_generation_prompt={}): {why}",
            reference.origin,
            d.probe,
            d.generation_flag()
        ),
    )
    .with_span(template_span(t, 0..0))
    .with_template(&t.name)
    .with_probe(d.probe.as_str())
    .with_detail(d.diff)
    .with_help(format!(
        "reconvert the GGUF from the current files, or write `{}` into it (gguf-py: `gguf_new_metadata.py --chat-template`)",
        reference.origin
    ))]
}

/// Templates the folder has that the GGUF lacks (`ModelContext::baseline`
/// holds the folder's, or the baseline's, as `(name, origin)`).
pub(super) fn check_lost(ctx: &ModelContext<'_>) -> Vec<Finding> {
    let Some(expected) = ctx.baseline else {
        return Vec::new();
    };
    let model = ctx.model;
    expected
        .iter()
        .filter(|(name, _)| !model.templates.iter().any(|t| &t.name == name))
        .map(|(name, origin)| {
            let message = if model.templates.is_empty() {
                format!(
                    "the GGUF has no chat template, but `{origin}` has one: llama.cpp falls back to guessing the format from built-in patterns"
                )
            } else {
                format!("the GGUF lacks the chat template `{name}` that `{origin}` has")
            };
            Finding::new(Rule::GgufTemplateDrift, &model.rel_dir, message)
                .with_template(name)
                .with_help(format!(
                    "reconvert the GGUF, or add the template (`tokenizer.chat_template{}`) with gguf-py's `gguf_new_metadata.py`",
                    if name == "default" { String::new() } else { format!(".{name}") }
                ))
        })
        .collect()
}

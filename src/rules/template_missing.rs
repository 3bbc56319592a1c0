//! `template-missing`: a `tokenizer_config.json` with no chat template
//! anywhere in its folder.
//!
//! transformers' `apply_chat_template` raises "Cannot use chat template
//! functions because tokenizer.chat_template is not set" for such a folder.
//! Base (non-chat) models legitimately have none, hence a warning.

use super::{ModelContext, Rule, RuleDocs};
use crate::finding::Finding;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "A `tokenizer_config.json` with no chat template anywhere in its folder.",
    what_it_does: "Reports a folder that has a `tokenizer_config.json` but no chat template in any \
of the places transformers looks: the config's `chat_template` key, `chat_template.jinja`, \
`additional_chat_templates/*.jinja` or a processor's `chat_template.json`. A JSON file checked on \
its own (not named tokenizer_config.json) is reported when it has no `chat_template` key.",
    why_bad: "`tokenizer.apply_chat_template(...)` raises because `tokenizer.chat_template` is not \
set, and serving stacks fall back to a generic format or refuse chat requests. The usual cause is a \
fine-tuning script that saved the tokenizer of the base model, or copied only some files of the \
checkpoint: the chat template was lost on the way.",
    example: "ft-output/\n  tokenizer_config.json   # no \"chat_template\" key\n  tokenizer.json\n  \
model.safetensors\n  # and no chat_template.jinja",
    how_to_fix: "Copy `chat_template.jinja` from the instruct model the fine-tune started from, or set \
`tokenizer.chat_template = ...` before `tokenizer.save_pretrained(...)`. For a base model that is \
not meant to chat, ignore the rule for that path in the config file.",
};

pub(super) fn check(ctx: &ModelContext<'_>) -> Vec<Finding> {
    let model = ctx.model;
    // A file that could not be read is already a `config-invalid` finding;
    // saying "no template" on top of it would only repeat it.
    let unreadable = model.findings.iter().any(|f| f.rule == Rule::ConfigInvalid);
    let Some(path) = &model.tokenizer_config_path else {
        return Vec::new();
    };
    if !model.has_tokenizer_config
        || unreadable
        || !model.templates.is_empty()
        || !model.shadowed.is_empty()
    {
        return Vec::new();
    }
    let message = if model.loose {
        format!("`{path}` has no `chat_template` key")
    } else {
        format!(
            "no chat template in `{}`: `tokenizer_config.json` has no `chat_template` key and there is no `chat_template.jinja`",
            model.rel_dir
        )
    };
    vec![Finding::new(Rule::TemplateMissing, path.clone(), message).with_help(
        "copy chat_template.jinja from the model this one was trained from, or set `tokenizer.chat_template` before saving",
    )]
}

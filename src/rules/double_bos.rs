//! `double-bos`: the template writes the BOS token and the tokenizer adds
//! another one.
//!
//! The tokenizer prepends BOS when tokenizing with default settings
//! (`add_special_tokens=True`) if `add_bos_token` is true in
//! tokenizer_config.json, or — when the config does not say — if
//! tokenizer.json's post-processor puts the BOS first (`TemplateProcessing`
//! `single` starting with it, `RobertaProcessing`/`BertProcessing`'s `cls`).
//! An explicit `add_bos_token: false` wins: transformers rebuilds the
//! post-processor from it.

use super::tokens::{find_in_template, span_in_file};
use super::{RuleDocs, TemplateContext};
use crate::finding::{escape_snippet, Finding};
use crate::load::{Runtime, TokenizerInfo};
use crate::probes::ProbeId;
use crate::rules::Rule;

/// Why `--fix` leaves it (`explain`'s Fix section).
pub(super) const NOT_FIXABLE: &str = "
Removing `bos_token` from the template and turning off the tokenizer's BOS are each right
for some runtimes and wrong for others (llama.cpp strips one leading BOS, tokenizing a
rendered chat with `add_special_tokens=True` adds one), so the choice needs someone who
knows how the model is served.
";

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The template writes the BOS token and the tokenizer adds another one.",
    what_it_does: "
Checks whether the rendered prompt starts with the `bos_token` while the tokenizer also
prepends a BOS by default: `add_bos_token: true` in tokenizer_config.json, or (when the
config does not set it) a tokenizer.json post-processor that puts the BOS first.
For a template embedded in a GGUF file, llama.cpp's rules apply: its tokenizer adds BOS
when `tokenizer.ggml.add_bos_token` (or the vocabulary's default) says so, and its chat
code strips one leading BOS from the render, so only a template that writes BOS twice
is reported.
",
    why_bad: "
Code that renders the template to text and then tokenizes it with default settings —
`tokenizer(text)`, many SFT trainers, RAG and evaluation pipelines — gets two BOS
tokens at the start. The model was not trained on that and quality drops, often
silently. `apply_chat_template(tokenize=True)` avoids it, but not every pipeline uses it.
",
    example: "
tokenizer_config.json with `\"add_bos_token\": true` and a template that starts with

    {{ bos_token }}{% for message in messages %}...
",
    how_to_fix: "
Tokenize rendered chats with `add_special_tokens=False`, or remove `{{ bos_token }}` from
the template and let the tokenizer add it — one of the two, not both. If the tokenizer
should not add it, set `\"add_bos_token\": false`.
",
};

/// Probes whose render shows how a prompt starts.
const PROBES: [ProbeId; 2] = [ProbeId::User, ProbeId::UserAssistant];

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let Some(bos) = ctx
        .model
        .special_tokens
        .get("bos_token")
        .filter(|b| !b.is_empty())
    else {
        return Vec::new();
    };
    let runtime = ctx.model.runtime;
    let Some(why) = tokenizer_adds_bos(&ctx.model.tokenizer, runtime) else {
        return Vec::new();
    };
    // llama.cpp's chat code removes one leading BOS text from the render
    // when its tokenizer adds BOS (common/chat.cpp: `if (inputs.add_bos &&
    // string_starts_with(result, tmpl.bos_token())) result = result.substr(…)`),
    // so there a template doubles BOS only when it writes it twice.
    let doubled = format!("{bos}{bos}");
    let written: &str = match runtime {
        Runtime::Transformers => bos,
        Runtime::LlamaCpp => &doubled,
    };
    let Some(probe) = PROBES.into_iter().find(|p| {
        [true, false].into_iter().any(|g| {
            ctx.renders
                .ok(*p, g)
                .is_some_and(|r| r.starts_with(written))
        })
    }) else {
        return Vec::new();
    };
    let t = ctx.template;
    let message = match runtime {
        Runtime::Transformers => format!(
            "the template starts the prompt with `{}` and the tokenizer adds another BOS ({why}): tokenizing the rendered text with default settings gives two",
            escape_snippet(bos, 40)
        ),
        Runtime::LlamaCpp => format!(
            "the template starts the prompt with `{}` twice and llama.cpp adds BOS ({why}): it strips one and the prompt still starts with two",
            escape_snippet(bos, 40)
        ),
    };
    let mut finding = Finding::new(Rule::DoubleBos, &t.path, message)
    .with_template(&t.name)
    .with_probe(probe.as_str())
    .with_help(match runtime {
        Runtime::Transformers => "tokenize rendered chats with `add_special_tokens=False`, or drop `{{ bos_token }}` from the template",
        Runtime::LlamaCpp => "write `{{ bos_token }}` once, at the start of the template",
    });
    let at = find_in_template(&t.text, "bos_token").or_else(|| find_in_template(&t.text, bos));
    if let Some(range) = at {
        finding = finding.with_span(span_in_file(t, range));
    }
    vec![finding]
}

/// Why the tokenizer prepends BOS by default, or `None` when it does not
/// (or the folder does not say).
fn tokenizer_adds_bos(tok: &TokenizerInfo, runtime: Runtime) -> Option<&'static str> {
    if runtime == Runtime::LlamaCpp {
        // `add_bos` as llama-vocab.cpp settles it (`gguf::vocab::adds_bos`).
        return (tok.add_bos_token == Some(true)).then_some(
            "`tokenizer.ggml.add_bos_token`, or its default for this vocabulary, is true",
        );
    }
    match (tok.add_bos_token, tok.post_processor_adds_bos) {
        (Some(true), _) => Some("`add_bos_token` is true"),
        (None, Some(true)) => Some("tokenizer.json's post-processor prepends it"),
        (Some(false), _) | (None, Some(false)) | (None, None) => None,
    }
}

//! `template-sources-disagree`: two sources in one folder hold different
//! chat templates for the same name, or a template transformers ignores.
//!
//! Which runtime reads which source (verified in their code):
//! - transformers 5.x `AutoTokenizer`: `chat_template.jinja` +
//!   `additional_chat_templates/` replace `tokenizer_config.json`'s key
//!   wholesale; it never reads `chat_template.json`.
//! - transformers `AutoProcessor` (`ProcessorMixin.get_processor_dict`): the
//!   legacy `chat_template.json` first, `chat_template.jinja` only without it.
//! - llama.cpp's GGUF converter (gguf-py `SpecialVocab`): the
//!   `tokenizer_config.json` key when present, else chat_template.jinja, else
//!   chat_template.json — the opposite of transformers.
//! - TGI reads only `tokenizer_config.json`'s key
//!   (huggingface/text-generation-inference#3247).
//!
//! Equality: jinja2 turns `\r\n` into `\n` and drops one trailing newline
//! of a template (`keep_trailing_newline=False`), so texts differing only
//! there are the same template. Other differences are reported only when
//! the two templates render different prompts on some probe conversation
//! (the message names it); whitespace-only differences that do change a
//! prompt are labelled as such. Seen in the wild: gpt-oss-20b's
//! chat_template.json holds raw newlines where chat_template.jinja has `\n`
//! inside Jinja strings — different text, identical prompts.

use super::render_diff::{first_difference, unified_diff};
use super::{ModelContext, Rule, RuleDocs, TemplateWork};
use crate::finding::{Finding, Span};
use crate::load::{Origin, Template};

/// What `--fix --unsafe-fixes` does (`explain`'s Fix section).
pub(super) const FIX: &str = "
Writes the template transformers uses into the other source(s), so llama.cpp's converter, TGI
and `AutoProcessor` read the same text. Unsafe: which of two disagreeing templates is right is a
human decision (the ignored one may be the newer fix), so plain `--fix` leaves it.
";

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "Two files in one folder hold different chat templates.",
    what_it_does: "Compares every template that transformers ignores in a folder (because a source \
with higher precedence exists) with the one it uses under the same name: `chat_template.jinja` / \
`additional_chat_templates/*.jinja` over a processor's `chat_template.json` over \
`tokenizer_config.json`'s `chat_template` key. Reports when they differ (ignoring only what Jinja \
ignores: line-ending style and one trailing newline), and when a named template survives only in an \
ignored source.",
    why_bad: "Runtimes disagree on which source wins. transformers' tokenizer uses \
`chat_template.jinja` and drops the config key entirely; its processor prefers the legacy \
`chat_template.json`; llama.cpp's GGUF converter takes the `tokenizer_config.json` key when present; \
TGI reads only the key. The same checkpoint then formats prompts differently depending on where it \
runs — typically an old template left in tokenizer_config.json after the template was fixed in \
chat_template.jinja.",
    example: "model/\n  chat_template.jinja     # fixed: ends with '<|im_start|>assistant\\n'\n  \
tokenizer_config.json   # \"chat_template\": old version without the generation prompt",
    how_to_fix: "Keep one source: delete the `chat_template` key from tokenizer_config.json (or the \
stale file), or copy the correct template into both so every runtime sees the same text.",
};

pub(super) fn check(ctx: &ModelContext<'_>) -> Vec<Finding> {
    let model = ctx.model;
    let mut out = Vec::new();
    // `ProcessorMixin.get_processor_dict` refuses this combination outright.
    let additional = model
        .templates
        .iter()
        .any(|t| t.origin == Origin::AdditionalJinja);
    let conflict = model
        .shadowed
        .iter()
        .find(|t| t.origin == Origin::ChatTemplateJson)
        .filter(|_| additional);
    if let Some(json) = conflict {
        out.push(
            Finding::new(
                Rule::TemplateSourcesDisagree,
                json.path.clone(),
                format!(
                    "`{}` next to `additional_chat_templates/` makes transformers' AutoProcessor.from_pretrained raise ValueError (conflicting chat template files)",
                    json.path
                ),
            )
            .with_help("replace the legacy chat_template.json with chat_template.jinja"),
        );
    }
    for (i, ignored) in model.shadowed.iter().enumerate() {
        if conflict.is_some() && ignored.origin == Origin::ChatTemplateJson {
            continue; // already the conflict above
        }
        match model.templates.iter().position(|t| t.name == ignored.name) {
            Some(u) => {
                let used = &model.templates[u];
                if normalize(&used.text) == normalize(&ignored.text) {
                    continue;
                }
                // The pipeline renders every template with the folder's
                // variables and the run's clock; without its work (no rule
                // that renders is running) the texts alone decide.
                let evidence = match (ctx.templates.get(u), ctx.shadowed.get(i)) {
                    (Some(a), Some(b)) => first_render_difference(used, a, ignored, b),
                    _ => Some("their texts differ".to_string()),
                };
                // Different text, same prompts (e.g. `"\n"` written as a raw
                // newline inside a Jinja string): no runtime can tell them apart.
                let Some(evidence) = evidence else {
                    continue;
                };
                let whitespace_only = squash(&used.text) == squash(&ignored.text);
                let message = format!(
                    "`{}` and `{}` hold different `{}` templates{} ({evidence}); {}",
                    used.path,
                    ignored.path,
                    ignored.name,
                    if whitespace_only {
                        " (only whitespace differs)"
                    } else {
                        ""
                    },
                    who_reads(used, ignored)
                );
                out.push(finding(ignored, message).with_detail(diff(used, ignored)));
            }
            None => {
                let winner = model
                    .templates
                    .first()
                    .map_or("another source", |t| t.path.as_str());
                let message = format!(
                    "template `{}` in `{}` is ignored by transformers because `{}` exists; only tools that read `{}` see it",
                    ignored.name, ignored.path, winner, ignored.path
                );
                out.push(finding(ignored, message));
            }
        }
    }
    out
}

fn finding(ignored: &Template, message: String) -> Finding {
    let mut f = Finding::new(Rule::TemplateSourcesDisagree, ignored.path.clone(), message)
        .with_template(ignored.name.clone())
        .with_help("keep one source of truth: remove the stale template, or make both identical (`check --fix --unsafe-fixes` writes the template transformers uses into the other source; unsafe because which one is right is your call)");
    if matches!(
        ignored.origin,
        Origin::ChatTemplateJson | Origin::TokenizerConfig
    ) {
        // Point at the JSON string literal (its quotes included).
        let start = ignored.offsets.to_file(0).saturating_sub(1);
        let end = ignored.offsets.to_file(ignored.text.len()) + 1;
        f = f.with_span(Span::new(start, end));
    }
    f
}

/// Which runtimes read which of the two sources.
fn who_reads(used: &Template, ignored: &Template) -> String {
    use Origin::{AdditionalJinja, ChatTemplateJson, Gguf, JinjaFile, TokenizerConfig};
    match (used.origin, ignored.origin) {
        (JinjaFile | AdditionalJinja, TokenizerConfig) => format!(
            "transformers uses `{}`; llama.cpp's GGUF converter (which prefers the config key) and TGI use `{}`",
            used.path, ignored.path
        ),
        (JinjaFile | AdditionalJinja, ChatTemplateJson) => format!(
            "transformers' AutoTokenizer uses `{}`, but AutoProcessor reads the legacy `{}` first",
            used.path, ignored.path
        ),
        (ChatTemplateJson, TokenizerConfig) => format!(
            "transformers' AutoProcessor uses `{}`; AutoTokenizer, llama.cpp's GGUF converter and TGI use `{}`",
            used.path, ignored.path
        ),
        (a, b) if a == b => format!(
            "`{}` defines `{}` twice and transformers keeps the last one",
            used.path, used.name
        ),
        (JinjaFile | AdditionalJinja, JinjaFile | AdditionalJinja)
        | (JinjaFile | AdditionalJinja, Gguf)
        | (ChatTemplateJson | TokenizerConfig | Gguf, _) => format!(
            "AutoTokenizer and AutoProcessor load these in different orders, so `{}` depends on the loader",
            used.name
        ),
    }
}

/// The first probe (both values of `add_generation_prompt`) whose prompts
/// differ between the renders of `a` and `b`; `None` when every render is
/// the same.
fn first_render_difference(
    a: &Template,
    wa: &TemplateWork<'_>,
    b: &Template,
    wb: &TemplateWork<'_>,
) -> Option<String> {
    match (wa.compiled, wb.compiled) {
        (Ok(_), Ok(_)) => {}
        (Err(_), Ok(_)) => return Some(format!("`{}` does not parse", a.path)),
        (Ok(_), Err(_)) => return Some(format!("`{}` does not parse", b.path)),
        (Err(_), Err(_)) => return Some("neither parses".to_string()),
    }
    let (x, _) = first_difference(&wa.renders.items, &wb.renders.items)?;
    Some(format!(
        "their prompts differ on probe `{}` with add_generation_prompt={}",
        x.probe.id, x.add_generation_prompt
    ))
}

/// What Jinja itself ignores: line-ending style and one trailing newline.
pub fn normalize(text: &str) -> String {
    let t = text.replace("\r\n", "\n").replace('\r', "\n");
    match t.strip_suffix('\n') {
        Some(s) => s.to_string(),
        None => t,
    }
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A short unified diff of the two texts (used first).
fn diff(used: &Template, ignored: &Template) -> String {
    let (a, b) = (normalize(&used.text), normalize(&ignored.text));
    let text = unified_diff(&a, &b, &used.path, &ignored.path, 2);
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() > 40 {
        format!(
            "{}\n… ({} more lines)",
            lines[..40].join("\n"),
            lines.len() - 40
        )
    } else {
        text
    }
}

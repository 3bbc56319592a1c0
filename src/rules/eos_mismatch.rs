//! `eos-mismatch`: the token that closes an assistant turn is not a stop token.
//!
//! The closer is read from the training render of a conversation that ends
//! with an assistant turn: the text right after the assistant's content, when
//! it starts (after blanks) with a control-token-shaped piece. It is judged
//! against each runtime's own stop set (`stop_runtimes`: transformers'
//! `generate()` reads only the generation config's ids, vLLM adds the
//! tokenizer's `eos_token`, TGI reads the generation config only when it is a
//! list); the finding names the runtimes that never stop. A tokenizer-only
//! folder (no generation_config.json or config.json) gets a warning when its
//! `eos_token` is not the closer, since vLLM and TGI then stop on it alone; an
//! adapter folder (adapter_config.json) none, as its base model decides. With
//! too little information (no closer, ids that map to nothing known) the rule
//! stays silent: a false alarm costs more than a miss. The span is the place
//! in the template that wrote the closer in that render (`closer_source`).

use super::closer_source::closer_source;
use super::stop_runtimes::{and_list, Runtime, StopFacts};
use super::tokens::{find_in_template, span_in_file, token_at_start};
use super::{RuleDocs, TemplateContext};
use crate::finding::{Finding, Severity};
use crate::load::Runtime as LoadRuntime;
use crate::probes::{ProbeId, Renders, ASSISTANT_TEXT, ASSISTANT_TEXT_2, NON_ASCII_ASSISTANT};
use crate::rules::Rule;

/// What `--fix` does (`explain`'s Fix section).
pub(super) const FIX: &str = "
Adds the end-of-turn token's id to generation_config.json's `eos_token_id`, turning an id into
a list that keeps the existing ids first. Without generation_config.json, when config.json sets
the stop ids, it creates generation_config.json as transformers' `save_pretrained` writes it.
`eos_token` in tokenizer_config.json is left alone.
";

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The token that ends an assistant turn is not a stop token.",
    what_it_does: "
Renders a conversation that ends with an assistant answer and reads the control token
the template puts right after the answer (`<|eot_id|>`, `<|im_end|>`, `<end_of_turn>`,
`</s>`, …), then checks that each runtime stops on it. Runtimes read different files:
transformers' `generate()` and `pipeline()` stop only on `generation_config.json`'s
`eos_token_id` (or config.json's, when there is no generation_config.json); vLLM stops on
the tokenizer's `eos_token` and those ids; TGI on `eos_token`, replaced by
generation_config.json's `eos_token_id` when that is a list. Ids are mapped to text
through `added_tokens_decoder` or tokenizer.json's `added_tokens`. The message names the
runtimes that never stop. A tokenizer-only folder (no generation_config.json, config.json
or adapter_config.json) whose `eos_token` is not the closer is a warning: vLLM and TGI
then stop on `eos_token` alone. An adapter folder is not checked (its base model decides),
nor a folder that lacks the information to decide. The finding points at the place in the
template that wrote the closer. For a template embedded in a GGUF file the runtime is
llama.cpp, and the stop tokens are its end-of-generation set: the GGUF's eos, eot and eom
ids, the FIM separators, and every vocabulary token llama.cpp recognises by its text
(`<|eot_id|>`, `<|im_end|>`, `<end_of_turn>`, …; src/llama-vocab.cpp).
",
    why_bad: "
The model is trained to end its answer with the template's end-of-turn token. If
generation does not stop on that token, the model writes the end-of-turn token and
keeps going: it invents the user's next message, or rambles until `max_new_tokens`.
This is the classic Llama 3 fine-tune bug: `<|eot_id|>` closes turns but the saved
tokenizer says `eos_token` is `<|end_of_text|>` and no generation config lists 128009.
Fixing only `eos_token` is not enough: `pipeline()` still never stops (open-r1 PR #663).
",
    example: "
tokenizer_config.json: \"eos_token\": \"<|end_of_text|>\", config.json with
`\"eos_token_id\": 128001` and no generation_config.json, and the Llama 3 template

    {{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] + '<|eot_id|>' }}
",
    how_to_fix: "
Make the end-of-turn token a stop token everywhere: ship a `generation_config.json`
whose `eos_token_id` is a list that includes it (Llama 3: `[128001, 128008, 128009]`),
and set `eos_token` in tokenizer_config.json to the end-of-turn token (`<|eot_id|>`,
`<|im_end|>`).
",
};

/// Probes whose training render ends with an assistant turn, and that turn's content.
const ENDINGS: [(ProbeId, &str); 4] = [
    (ProbeId::UserAssistant, ASSISTANT_TEXT),
    (ProbeId::SystemUserAssistant, ASSISTANT_TEXT),
    (ProbeId::MultiTurn, ASSISTANT_TEXT_2),
    (ProbeId::NonAscii, NON_ASCII_ASSISTANT),
];

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let model = ctx.model;
    let tok = &model.tokenizer;
    // An adapter's base model decides when generation stops; a loose file
    // has no folder to read the stop ids from; a broken generation config
    // is `config-invalid`, whose message says this rule did not run.
    if tok.adapter || model.loose || tok.stops_unknown {
        return Vec::new();
    }
    let Some((probe, at, closer)) = assistant_closer(ctx.renders) else {
        return Vec::new();
    };
    let eos = model
        .special_tokens
        .get("eos_token")
        .map(String::as_str)
        .filter(|e| !e.is_empty());
    let t = ctx.template;
    let span = closer_source(&t.text, ctx.renders, probe, at, closer)
        .or_else(|| find_in_template(&t.text, closer))
        .map(|range| span_in_file(t, range));
    let finding = match (&tok.generation_eos_ids, model.runtime) {
        // A GGUF file: llama.cpp stops on its end-of-generation set, which
        // loading put in `generation_eos_ids` (load/gguf.rs).
        (Some(eog), LoadRuntime::LlamaCpp) => {
            let texts: Vec<Option<&String>> =
                eog.ids.iter().map(|id| tok.added_tokens.get(id)).collect();
            if texts.contains(&None) || texts.iter().flatten().any(|t| *t == closer) {
                return Vec::new();
            }
            Finding::new(
                Rule::EosMismatch,
                &t.path,
                format!(
                    "assistant turns end with `{closer}`, which llama.cpp does not stop on: its end-of-generation tokens are [{}]",
                    listed(&eog.ids, &tok.added_tokens)
                ),
            )
            .with_help(format!(
                "set `tokenizer.ggml.eot_token_id` (or `eos_token_id`) to `{closer}`'s id, e.g. with gguf-py's `gguf_set_metadata.py`, or reconvert"
            ))
        }
        (None, LoadRuntime::LlamaCpp) => return Vec::new(),
        (Some(generation), LoadRuntime::Transformers) => {
            let facts = StopFacts {
                eos,
                generation,
                added: &tok.added_tokens,
            };
            let verdicts: Vec<(Runtime, Option<bool>)> = Runtime::ALL
                .into_iter()
                .map(|r| (r, facts.stops(r, closer)))
                .collect();
            let runtimes = |v: bool| -> Vec<&str> {
                verdicts
                    .iter()
                    .filter(|(_, s)| *s == Some(v))
                    .map(|(r, _)| r.label())
                    .collect()
            };
            let (never, stop) = (runtimes(false), runtimes(true));
            if never.is_empty() {
                return Vec::new();
            }
            let others = match stop.len() {
                0 => String::new(),
                1 => format!("; {} stops", stop[0]),
                _ => format!("; {} stop", and_list(&stop)),
            };
            Finding::new(
                Rule::EosMismatch,
                &t.path,
                format!(
                    "assistant turns end with `{closer}`: generation never stops under {}{others} ({})",
                    and_list(&never),
                    facts.describe()
                ),
            )
            .with_help(fix_help(closer, &tok.added_tokens))
        }
        // A tokenizer-only folder: the model (and its generation config) is
        // elsewhere, but serving with this tokenizer makes vLLM and TGI stop
        // on its `eos_token`, plus whatever the model's config adds.
        (None, LoadRuntime::Transformers) => {
            let Some(eos) = eos.filter(|e| *e != closer) else {
                return Vec::new();
            };
            Finding::new(
                Rule::EosMismatch,
                &t.path,
                format!(
                    "assistant turns end with `{closer}`, but `eos_token` is `{eos}`: vLLM and TGI stop on `eos_token` alone unless the model's generation config lists `{closer}` (this folder has no generation_config.json or config.json)"
                ),
            )
            .with_severity(Severity::Warning)
            .with_help(format!(
                "set `eos_token` to `{closer}`, or ship a generation_config.json whose `eos_token_id` lists it"
            ))
        }
    };
    let finding = finding.with_template(&t.name).with_probe(probe.as_str());
    vec![match span {
        Some(span) => finding.with_span(span),
        None => finding,
    }]
}

/// `id (`text`)` for each id, comma-separated.
fn listed(ids: &[u32], added: &std::collections::BTreeMap<u32, String>) -> String {
    let items: Vec<String> = ids
        .iter()
        .map(|id| match added.get(id) {
            Some(text) => format!("{id} (`{text}`)"),
            None => id.to_string(),
        })
        .collect();
    items.join(", ")
}

/// The control token that closes an assistant turn in a template's training
/// renders: the probe it was read from, its byte offset in that render, and
/// the token.
pub fn assistant_closer(renders: &Renders) -> Option<(ProbeId, usize, &str)> {
    ENDINGS.iter().find_map(|(probe, content)| {
        let render = renders.ok(*probe, false)?;
        let range = turn_closer_range(render, content)?;
        Some((*probe, range.start, &render[range]))
    })
}

/// What to change so that every runtime stops on `closer`.
fn fix_help(closer: &str, added: &std::collections::BTreeMap<u32, String>) -> String {
    let id = added
        .iter()
        .find(|(_, text)| text.as_str() == closer)
        .map(|(id, _)| format!("{id} (`{closer}`)"))
        .unwrap_or_else(|| format!("`{closer}`'s id"));
    format!(
        "list {id} in generation_config.json's `eos_token_id`, written as a list: transformers generate() stops only on those ids, TGI reads them only from a list, vLLM adds them to `eos_token`"
    )
}

/// The control token right after the last occurrence of `content` in
/// `render`, skipping blanks; `None` when the turn is closed by plain text or
/// not at all.
#[cfg(test)]
fn turn_closer<'r>(render: &'r str, content: &str) -> Option<&'r str> {
    turn_closer_range(render, content).map(|r| &render[r])
}

/// The byte range of `turn_closer` in `render`.
fn turn_closer_range(render: &str, content: &str) -> Option<std::ops::Range<usize>> {
    let at = render.rfind(content)? + content.len();
    closer_at(render, at)
}

/// The byte range of the control token that follows `at` after blanks.
pub(super) fn closer_at(render: &str, at: usize) -> Option<std::ops::Range<usize>> {
    let rest = &render[at..];
    let after = rest.trim_start_matches([' ', '\n', '\r', '\t']);
    let start = at + (rest.len() - after.len());
    token_at_start(after).map(|(t, _)| start..start + t.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closers() {
        assert_eq!(
            turn_closer("<|im_start|>assistant\nHi<|im_end|>\n", "Hi"),
            Some("<|im_end|>")
        );
        assert_eq!(turn_closer("[/INST] Hi </s>", "Hi"), Some("</s>"));
        assert_eq!(turn_closer("### Response:\nHi\n\n### User", "Hi"), None);
        assert_eq!(turn_closer("assistant: Hi", "Hi"), None);
        assert_eq!(turn_closer("no content here", "Hi"), None);
    }
}

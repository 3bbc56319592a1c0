//! `eos-mismatch`: the token that closes an assistant turn is not a stop token.
//!
//! The closer is read from the training render of a conversation that ends
//! with an assistant turn: the text right after the assistant's content, when
//! it starts (after blanks) with a control-token-shaped piece. The stop
//! tokens are the tokenizer's `eos_token` plus every id in
//! `generation_config.json`'s `eos_token_id` (transformers' `generate` stops
//! on any of them), mapped to text through the tokenizer's added tokens.
//! With too little information (no closer, no eos, ids that map to nothing
//! known) the rule stays silent: a false alarm costs more than a miss.

use super::tokens::{find_in_template, span_in_file, token_at_start};
use super::{RuleDocs, TemplateContext};
use crate::finding::Finding;
use crate::probes::{ASSISTANT_TEXT, ASSISTANT_TEXT_2, NON_ASCII_ASSISTANT};
use crate::rules::Rule;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The token that ends an assistant turn is not a stop token.",
    what_it_does: "
Renders a conversation that ends with an assistant answer and reads the control token
the template puts right after the answer (`<|eot_id|>`, `<|im_end|>`, `<end_of_turn>`,
`</s>`, …). That token must stop generation: it must be the tokenizer's `eos_token`,
or one of the ids listed in `generation_config.json`'s `eos_token_id` (an int or a
list; ids are mapped to text through `added_tokens_decoder` or tokenizer.json's
`added_tokens`). Without generation_config.json the model's config.json decides, as
transformers derives the generation config from it. The rule says nothing when the
folder has neither (a tokenizer-only or adapter folder) or otherwise lacks the
information to decide.
",
    why_bad: "
The model is trained to end its answer with the template's end-of-turn token. If
generation does not stop on that token, the model writes the end-of-turn token and
keeps going: it invents the user's next message, or rambles until `max_new_tokens`.
This is the classic Llama 3 fine-tune bug: `<|eot_id|>` closes turns but the saved
tokenizer says `eos_token` is `<|end_of_text|>` and no generation config lists 128009.
",
    example: "
tokenizer_config.json: \"eos_token\": \"<|end_of_text|>\", config.json with
`\"eos_token_id\": 128001` and no generation_config.json, and the Llama 3 template

    {{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] + '<|eot_id|>' }}
",
    how_to_fix: "
Make the end-of-turn token a stop token: add a `generation_config.json` whose
`eos_token_id` lists it (Llama 3: `[128001, 128008, 128009]`), or set `eos_token` in
tokenizer_config.json to the end-of-turn token (`<|eot_id|>`, `<|im_end|>`).
",
};

/// Probes whose training render ends with an assistant turn, and that turn's content.
const ENDINGS: [(&str, &str); 4] = [
    ("user-assistant", ASSISTANT_TEXT),
    ("system-user-assistant", ASSISTANT_TEXT),
    ("multi-turn", ASSISTANT_TEXT_2),
    ("non-ascii", NON_ASCII_ASSISTANT),
];

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let Some((probe, closer)) = ENDINGS.iter().find_map(|(probe, content)| {
        let render = ctx.renders.ok(probe, false)?;
        Some((*probe, turn_closer(render, content)?))
    }) else {
        return Vec::new();
    };
    let tok = &ctx.model.tokenizer;
    let eos = ctx
        .model
        .special_tokens
        .get("eos_token")
        .filter(|e| !e.is_empty());
    // Without a generation or model config the stop ids are decided elsewhere
    // (an adapter's base model, a tokenizer-only folder): nothing to judge.
    let Some(generation_ids) = tok.generation_eos_ids.as_deref() else {
        return Vec::new();
    };
    let mut stops: Vec<&str> = eos.map(String::as_str).into_iter().collect();
    let mut unmapped = Vec::new();
    for id in generation_ids {
        match tok.added_tokens.get(id) {
            Some(text) => stops.push(text),
            None => unmapped.push(*id),
        }
    }
    if stops.is_empty() || stops.contains(&closer) || !unmapped.is_empty() {
        return Vec::new();
    }
    let t = ctx.template;
    let mut finding = Finding::new(
        Rule::EosMismatch,
        &t.path,
        format!(
            "assistant turns end with `{closer}`, which is not a stop token: {}",
            describe_stops(eos.map(String::as_str), generation_ids, &tok.added_tokens)
        ),
    )
    .with_template(&t.name)
    .with_probe(probe)
    .with_help(format!(
        "add `{closer}`'s id to `eos_token_id` in generation_config.json, or set `eos_token` to `{closer}`"
    ));
    if let Some(range) = find_in_template(&t.text, closer) {
        finding = finding.with_span(span_in_file(t, range));
    }
    vec![finding]
}

/// The control token right after the last occurrence of `content` in
/// `render`, skipping blanks; `None` when the turn is closed by plain text or
/// not at all.
pub(super) fn turn_closer<'r>(render: &'r str, content: &str) -> Option<&'r str> {
    let at = render.rfind(content)? + content.len();
    closer_at(render, at).map(|r| &render[r])
}

/// The byte range of the control token that follows `at` after blanks.
pub(super) fn closer_at(render: &str, at: usize) -> Option<std::ops::Range<usize>> {
    let rest = &render[at..];
    let after = rest.trim_start_matches([' ', '\n', '\r', '\t']);
    let start = at + (rest.len() - after.len());
    token_at_start(after).map(|(t, _)| start..start + t.len())
}

fn describe_stops(
    eos: Option<&str>,
    ids: &[u32],
    added: &std::collections::BTreeMap<u32, String>,
) -> String {
    let eos = match eos {
        Some(e) => format!("`eos_token` is `{e}`"),
        None => "no `eos_token`".to_string(),
    };
    if ids.is_empty() {
        return format!("{eos} and the generation config lists no `eos_token_id`");
    }
    let listed: Vec<String> = ids
        .iter()
        .map(|id| match added.get(id) {
            Some(text) => format!("{id} (`{text}`)"),
            None => id.to_string(),
        })
        .collect();
    format!(
        "{eos} and the generation config's `eos_token_id` is [{}]",
        listed.join(", ")
    )
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

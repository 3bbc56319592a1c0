//! The variables a template is rendered with: a folder's special tokens,
//! stand-ins when its tokenizer is unknown, then the user's `--var`s. One
//! place, so every render of a run (probes, baselines, shadowed sources)
//! sees the same values.

use serde_json::{Map, Value};

use crate::load::LoadedModel;

/// Template variables for a folder: its special tokens, then `--var`s.
pub fn template_vars(model: &LoadedModel, user: &Map<String, Value>) -> Map<String, Value> {
    let mut vars: Map<String, Value> = model
        .special_tokens
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    for (k, v) in user {
        vars.insert(k.clone(), v.clone());
    }
    vars
}

/// Stand-ins for the special tokens of a folder that has no
/// tokenizer_config.json (a lone `.jinja` file, a `chat_template.jinja`-only
/// folder): its tokenizer is unknown, not token-less, and a template that
/// writes `bos_token + …` must still render on the probes. The values are the
/// conformance environment's (`../shared/conformance`); `--var` overrides them.
const UNKNOWN_TOKENIZER_TOKENS: [(&str, &str); 4] = [
    ("bos_token", "<s>"),
    ("eos_token", "</s>"),
    ("unk_token", "<unk>"),
    ("pad_token", "<pad>"),
];

/// The variables the probes are rendered with: `template_vars`, with
/// stand-in special tokens when the folder's tokenizer is unknown (no
/// tokenizer_config.json, or a loose JSON file that names no special token:
/// a processor's `chat_template.json` saved on its own).
pub fn probe_vars(model: &LoadedModel, user: &Map<String, Value>) -> Map<String, Value> {
    let unknown = !model.has_tokenizer_config || (model.loose && model.special_tokens.is_empty());
    if !unknown {
        return template_vars(model, user);
    }
    let mut vars: Map<String, Value> = UNKNOWN_TOKENIZER_TOKENS
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    vars.extend(template_vars(model, user));
    vars
}

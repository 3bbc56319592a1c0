//! The `eos-mismatch` fix: make the end-of-turn token a stop token by adding
//! its id to generation_config.json's `eos_token_id`.
//!
//! - An int becomes a list, existing ids first (TGI reads the ids only from
//!   a list; see `rules::stop_runtimes`). A list gets the id appended. Only
//!   that value's bytes change; a list spread over lines gets the new id on
//!   a line of its own with the indentation of the others.
//! - Without generation_config.json, transformers derives the generation
//!   config from config.json (`GenerationConfig.from_model_config`). The
//!   file is then created as `GenerationConfig.save_pretrained` writes it:
//!   `to_json_file(use_diff=True)` → `to_json_string` =
//!   `json.dumps(config_dict, indent=2, sort_keys=True) + "\n"`, holding
//!   only the values that differ from `GenerationConfig()`'s defaults plus
//!   `transformers_version` (transformers
//!   `src/transformers/generation/configuration_utils.py`). The values are
//!   the generation attributes config.json sets (top level, else its
//!   `text_config`, as `from_model_config` reads a decoder's), so nothing
//!   generation used before is lost; `transformers_version` is config.json's
//!   (the version that saved the model). `_from_model_config` is not
//!   written: with it, `generate()` may rebuild the config from config.json
//!   and drop the new id.
//!
//! Pure: texts in, text out.

use serde_json::{Map, Value};

use super::splice::Edit;
use crate::load::json::{member, members, value_span};

/// GenerationConfig attributes a config.json may carry, with
/// `GenerationConfig()`'s default (`None`: no default, written when set).
const GENERATION_ATTRIBUTES: [(&str, Option<&str>); 29] = [
    ("bad_words_ids", None),
    ("begin_suppress_tokens", None),
    ("bos_token_id", None),
    ("decoder_start_token_id", None),
    ("diversity_penalty", Some("0.0")),
    ("do_sample", Some("false")),
    ("early_stopping", Some("false")),
    ("encoder_no_repeat_ngram_size", Some("0")),
    ("eos_token_id", None),
    ("exponential_decay_length_penalty", None),
    ("forced_bos_token_id", None),
    ("forced_eos_token_id", None),
    ("length_penalty", Some("1.0")),
    ("max_length", Some("20")),
    ("min_length", Some("0")),
    ("no_repeat_ngram_size", Some("0")),
    ("num_beam_groups", Some("1")),
    ("num_beams", Some("1")),
    ("num_return_sequences", Some("1")),
    ("output_attentions", Some("false")),
    ("output_hidden_states", Some("false")),
    ("output_scores", Some("false")),
    ("pad_token_id", None),
    ("remove_invalid_values", Some("false")),
    ("repetition_penalty", Some("1.0")),
    ("return_dict_in_generate", Some("false")),
    ("suppress_tokens", None),
    ("temperature", Some("1.0")),
    ("top_k", Some("50")),
];

/// The ids of an `eos_token_id` value (an int, or a list of ints).
fn ids_of(v: Option<&Value>) -> Vec<u64> {
    match v {
        Some(Value::Number(n)) => n.as_u64().into_iter().collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_u64).collect(),
        _ => Vec::new(),
    }
}

/// The edit of an existing generation_config.json (`src`) that lists
/// `add` in `eos_token_id`. `Ok(None)`: nothing to change.
pub fn edit_generation_config(src: &str, add: &[u64]) -> Result<Option<Edit>, String> {
    let json: Value = serde_json::from_str(src)
        .map_err(|e| format!("generation_config.json is not valid JSON: {e}"))?;
    let current = json.get("eos_token_id");
    let mut ids = ids_of(current);
    let listed = matches!(current, Some(Value::Array(_)));
    let new: Vec<u64> = add.iter().copied().filter(|id| !ids.contains(id)).collect();
    if new.is_empty() && listed {
        return Ok(None);
    }
    ids.extend(new);
    let indent = member_indent(src);
    match member(src, 0, "eos_token_id") {
        Some(at) => {
            let span = value_span(src, at).ok_or("cannot locate `eos_token_id`")?;
            if !matches!(
                current,
                Some(Value::Number(_) | Value::Array(_) | Value::Null)
            ) {
                return Err("`eos_token_id` is neither an id nor a list of ids".into());
            }
            Ok(Some(Edit {
                start: span.start,
                end: span.end,
                text: id_list(&ids, indent.as_deref(), 1),
            }))
        }
        None => insert_member(src, "eos_token_id", &ids, indent.as_deref()).map(Some),
    }
}

/// `[a, b]` as `json.dumps(indent=…)` writes it at `depth` (one line when
/// the file is not indented).
fn id_list(ids: &[u64], indent: Option<&str>, depth: usize) -> String {
    let items: Vec<String> = ids.iter().map(u64::to_string).collect();
    match indent {
        None => format!("[{}]", items.join(", ")),
        Some(_) if items.is_empty() => "[]".into(),
        Some(unit) => {
            let inner = unit.repeat(depth + 1);
            let outer = unit.repeat(depth);
            format!("[\n{inner}{}\n{outer}]", items.join(&format!(",\n{inner}")))
        }
    }
}

/// The indentation of the top-level members (`None`: all on one line).
fn member_indent(src: &str) -> Option<String> {
    let (_, key_quote, _) = members(src, 0)?.into_iter().next()?;
    let line_start = src[..key_quote].rfind('\n')? + 1;
    let indent = &src[line_start..key_quote];
    (indent.trim().is_empty() && !indent.is_empty()).then(|| indent.to_string())
}

/// Insert `"key": [ids]` among the top-level members, before the first key
/// that sorts after it (save_pretrained sorts keys), else last.
fn insert_member(src: &str, key: &str, ids: &[u64], indent: Option<&str>) -> Result<Edit, String> {
    let all = members(src, 0).ok_or("generation_config.json is not an object")?;
    let value = id_list(ids, indent, 1);
    let sep = match indent {
        Some(unit) => format!(",\n{unit}"),
        None => ", ".into(),
    };
    if let Some((_, quote, _)) = all.iter().find(|(k, _, _)| k.as_str() > key) {
        return Ok(Edit {
            start: *quote,
            end: *quote,
            text: format!("\"{key}\": {value}{sep}"),
        });
    }
    match all.last() {
        Some((_, _, at)) => {
            let end = value_span(src, *at)
                .ok_or("cannot locate the last member")?
                .end;
            Ok(Edit {
                start: end,
                end,
                text: format!("{sep}\"{key}\": {value}"),
            })
        }
        None => Err("generation_config.json is an empty object".into()),
    }
}

/// The generation_config.json `save_pretrained` would write for the
/// generation config transformers derives from `config_json`, with `ids` as
/// `eos_token_id`.
pub fn new_generation_config(config_json: &str, ids: &[u64]) -> Result<String, String> {
    let cfg: Value = serde_json::from_str(config_json)
        .map_err(|e| format!("config.json is not valid JSON: {e}"))?;
    let text_config = cfg.get("text_config");
    let mut out = Map::new();
    for (key, default) in GENERATION_ATTRIBUTES {
        let value = cfg.get(key).filter(|v| !v.is_null()).or_else(|| {
            text_config
                .and_then(|t| t.get(key))
                .filter(|v| !v.is_null())
        });
        let Some(value) = value else { continue };
        let is_default = default
            .and_then(|d| serde_json::from_str::<Value>(d).ok())
            .is_some_and(|d| same_number(&d, value));
        if !is_default {
            out.insert(key.to_string(), value.clone());
        }
    }
    let mut all = ids_of(out.get("eos_token_id"));
    for id in ids {
        if !all.contains(id) {
            all.push(*id);
        }
    }
    out.insert(
        "eos_token_id".into(),
        Value::Array(all.into_iter().map(Value::from).collect()),
    );
    if let Some(v) = cfg.get("transformers_version").filter(|v| v.is_string()) {
        out.insert("transformers_version".into(), v.clone());
    }
    // sort_keys=True
    let sorted: std::collections::BTreeMap<String, Value> = out.into_iter().collect();
    let mut text = serde_json::to_string_pretty(&sorted).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

/// Python compares `1 == 1.0` as equal: so does the default check.
fn same_number(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::splice::apply;

    fn edited(src: &str, add: &[u64]) -> String {
        let edit = edit_generation_config(src, add)
            .expect("edit")
            .expect("a change");
        apply(src, &[edit]).expect("applies")
    }

    #[test]
    fn an_int_becomes_a_list_existing_first() {
        let src = "{\n  \"bos_token_id\": 1,\n  \"eos_token_id\": 128001,\n  \"transformers_version\": \"4.40.0\"\n}\n";
        insta::assert_snapshot!(edited(src, &[128009]), @r#"
        {
          "bos_token_id": 1,
          "eos_token_id": [
            128001,
            128009
          ],
          "transformers_version": "4.40.0"
        }
        "#);
        assert_eq!(
            edited("{\"eos_token_id\": [1, 2]}", &[3]),
            "{\"eos_token_id\": [1, 2, 3]}"
        );
        assert_eq!(
            edit_generation_config("{\"eos_token_id\": [1, 3]}", &[3]),
            Ok(None)
        );
        // An int already right still becomes a list (for TGI).
        assert_eq!(
            edited("{\"eos_token_id\": 3}", &[3]),
            "{\"eos_token_id\": [3]}"
        );
    }

    #[test]
    fn a_missing_key_is_inserted_in_sorted_place() {
        let src = "{\n  \"bos_token_id\": 1,\n  \"max_length\": 4096\n}\n";
        assert_eq!(
            edited(src, &[7]),
            "{\n  \"bos_token_id\": 1,\n  \"eos_token_id\": [\n    7\n  ],\n  \"max_length\": 4096\n}\n"
        );
    }

    #[test]
    fn created_like_save_pretrained() {
        let config = r#"{"architectures": ["X"], "bos_token_id": 128000, "eos_token_id": 128001,
            "max_length": 20, "temperature": 0.6, "pad_token_id": null, "transformers_version": "4.43.0"}"#;
        insta::assert_snapshot!(new_generation_config(config, &[128009]).expect("json"), @r#"
        {
          "bos_token_id": 128000,
          "eos_token_id": [
            128001,
            128009
          ],
          "temperature": 0.6,
          "transformers_version": "4.43.0"
        }
        "#);
    }
}

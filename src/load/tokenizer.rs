//! Tokenizer facts for the consistency rules: which tokens exist, which ids
//! stop generation, and whether tokenization prepends a BOS.
//!
//! Sources, as transformers reads them:
//! - `tokenizer_config.json`: `added_tokens_decoder` (id → `{"content", "special"}`),
//!   `additional_special_tokens` / `extra_special_tokens`, the special-token
//!   keys, `add_bos_token`;
//! - `tokenizer.json`: `added_tokens`, the `post_processor` (what
//!   `add_special_tokens=True` wraps around a text) and the `model.vocab`;
//! - `generation_config.json`: `eos_token_id`, an int or a list.
//!
//! `tokenizer.json` is often 10-30 MB, almost all of it the vocabulary and
//! merges. It is parsed in one streaming pass that keeps only `added_tokens`,
//! the `post_processor`, and the vocabulary entries shaped like control
//! tokens (`<…>`, `[…]`, `<|…|>`); everything else is skipped with
//! `IgnoredAny`, without building a tree. A broken file (truncated, a Git
//! LFS pointer, nested too deep, `1e400`) is a `config-invalid` finding that
//! names the rules it starves; its facts stay unknown, and the rules then
//! stay silent rather than guess.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::read::{read_facts, MAX_FILE_BYTES};
use super::{GenerationStops, LoadedModel, TokenizerCache, TokenizerInfo};

/// tokenizer.json is larger than a config: Gemma 3's is 33 MB. Past this
/// the file is not read (and that is said).
pub const MAX_TOKENIZER_JSON_BYTES: u64 = 256 * 1024 * 1024;

/// What a broken tokenizer.json leaves unchecked.
const TOKENIZER_JSON_LOST: &str =
    "; `double-bos` and `unknown-special-token` did not use its post-processor and vocabulary";

/// What a broken generation config leaves unchecked.
const STOPS_LOST: &str = "; `eos-mismatch` did not check this folder's stop tokens";

/// Read what the folder's tokenizer files say. `config` is the parsed
/// `tokenizer_config.json`, when the folder has one; `dir` is the folder
/// (`None` for a loose file, which has no companion files). Broken
/// companion files are `config-invalid` findings in `model`. `tokenizers`
/// shares the parse of a tokenizer.json among the folders that hold the
/// same one (`None`: parse it here).
pub fn read_tokenizer_info(
    model: &mut LoadedModel,
    dir: Option<&Path>,
    config: Option<&Value>,
    tokenizers: Option<&TokenizerCache>,
) -> TokenizerInfo {
    let mut info = TokenizerInfo::default();
    let bos = config.and_then(|c| c.get("bos_token")).and_then(content);
    if let Some(cfg) = config {
        read_config(cfg, &mut info);
    }
    let Some(dir) = dir else {
        return info;
    };
    let path = dir.join("tokenizer.json");
    // A file parsed before in the run (a hard link) is not read again; only
    // successful parses are remembered, so a broken file is every folder's
    // finding.
    let known = tokenizers.and_then(|cache| cache.known_file(&path));
    let tj = known.or_else(|| {
        let tj = read_facts(
            model,
            &path,
            "tokenizer.json",
            MAX_TOKENIZER_JSON_BYTES,
            TOKENIZER_JSON_LOST,
            |text| match tokenizers {
                Some(cache) => cache.parse(text.as_bytes()),
                None => parse_tokenizer_json(text.as_bytes()).map(std::sync::Arc::new),
            },
        );
        if let (Some(cache), Some(tj)) = (tokenizers, &tj) {
            cache.remember_file(&path, tj);
        }
        tj
    });
    if let Some(tj) = tj {
        for t in &tj.added_tokens {
            info.known_tokens.insert(t.content.clone());
            if t.special {
                info.special_tokens.insert(t.content.clone());
            }
            info.added_tokens
                .entry(t.id)
                .or_insert_with(|| t.content.clone());
        }
        info.known_tokens.extend(tj.control_vocab.keys().cloned());
        for (text, id) in &tj.control_vocab {
            info.added_tokens.entry(*id).or_insert_with(|| text.clone());
        }
        info.post_processor_adds_bos = tj
            .post_processor
            .as_ref()
            .map(|pp| post_processor_prepends(pp, bos.as_deref()));
        info.has_vocab_info = true;
    }
    match generation_eos_ids(model, dir) {
        Ok(stops) => info.generation_eos_ids = stops,
        Err(Broken) => info.stops_unknown = true,
    }
    // Only whether it exists matters: PEFT loads the base model named inside.
    info.adapter = dir.join("adapter_config.json").is_file();
    info
}

/// A file that exists but could not be used (its finding is in the model).
struct Broken;

/// The ids `generate` stops on: generation_config.json's `eos_token_id`; when
/// that file is missing, the model config's (transformers then derives the
/// generation config from config.json, `GenerationConfig.from_model_config`;
/// multimodal configs keep it under `text_config`). `Some(vec![])` when a
/// config exists but names none; `None` when the folder has neither file
/// (a tokenizer-only or adapter folder: the generation config lives elsewhere).
/// `Err` when the file that decides is broken.
fn generation_eos_ids(
    model: &mut LoadedModel,
    dir: &Path,
) -> Result<Option<GenerationStops>, Broken> {
    let mut read = |name: &str| -> Result<Option<Value>, Broken> {
        let path = dir.join(name);
        let exists = path.symlink_metadata().is_ok();
        let parsed = read_facts(model, &path, name, MAX_FILE_BYTES, STOPS_LOST, python_json);
        match (parsed, exists) {
            (Some(v), _) => Ok(Some(v)),
            (None, false) => Ok(None),
            (None, true) => Err(Broken),
        }
    };
    if let Some(gc) = read("generation_config.json")? {
        return Ok(Some(stops(gc.get("eos_token_id"), true)));
    }
    let Some(cfg) = read("config.json")? else {
        return Ok(None);
    };
    let eos = cfg
        .get("eos_token_id")
        .or_else(|| cfg.get("text_config").and_then(|t| t.get("eos_token_id")));
    Ok(Some(stops(eos, false)))
}

/// JSON as Python's `json.loads` (which transformers' configs are read
/// with) accepts it: also the bare constants `NaN`, `Infinity` and
/// `-Infinity`, which model configs sometimes hold in float fields. They
/// are read as `null` here (no stop id is a float).
fn python_json(text: &str) -> Result<Value, serde_json::Error> {
    let first = serde_json::from_str::<Value>(text);
    if first.is_ok() || !(text.contains("NaN") || text.contains("Infinity")) {
        return first;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if !in_string {
            if let Some(word) = ["-Infinity", "Infinity", "NaN"]
                .into_iter()
                .find(|w| rest.starts_with(w))
            {
                out.push_str("null");
                rest = &rest[word.len()..];
                continue;
            }
        }
        match c {
            '"' => in_string = !in_string,
            '\\' if in_string => {
                out.push(c);
                rest = &rest[1..];
                if let Some(next) = rest.chars().next() {
                    out.push(next);
                    rest = &rest[next.len_utf8()..];
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    // Positions of a remaining error are the original's only without
    // replacements before it: report the original error.
    serde_json::from_str::<Value>(&out).or(first)
}

/// An `eos_token_id` value as stop ids.
fn stops(eos_token_id: Option<&Value>, from_generation_config: bool) -> GenerationStops {
    GenerationStops {
        ids: eos_token_id.and_then(ids).unwrap_or_default(),
        from_generation_config,
        listed: eos_token_id.is_some_and(Value::is_array),
    }
}

/// Facts from `tokenizer_config.json`.
fn read_config(cfg: &Value, info: &mut TokenizerInfo) {
    info.add_bos_token = cfg.get("add_bos_token").and_then(Value::as_bool);
    if let Some(decoder) = cfg.get("added_tokens_decoder").and_then(Value::as_object) {
        for (id, tok) in decoder {
            let (Ok(id), Some(text)) = (id.parse::<u32>(), content(tok)) else {
                continue;
            };
            if tok.get("special").and_then(Value::as_bool) == Some(true) {
                info.special_tokens.insert(text.clone());
            }
            info.known_tokens.insert(text.clone());
            info.added_tokens.insert(id, text);
            info.has_vocab_info = true;
        }
    }
    // Tokens named in the config are single tokens of the vocabulary.
    for key in ["additional_special_tokens", "extra_special_tokens"] {
        let listed: Vec<String> = match cfg.get(key) {
            Some(Value::Array(items)) => items.iter().filter_map(content).collect(),
            Some(Value::Object(map)) => map.values().filter_map(content).collect(),
            _ => Vec::new(),
        };
        for text in listed {
            info.special_tokens.insert(text.clone());
            info.known_tokens.insert(text);
        }
    }
    for key in super::read::SPECIAL_TOKEN_KEYS {
        if let Some(text) = cfg.get(key).and_then(content) {
            info.special_tokens.insert(text.clone());
            info.known_tokens.insert(text);
        }
    }
}

/// A token given as a string or as an `{"content": ...}` object.
fn content(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Object(o) => o
            .get("content")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        _ => None,
    }
}

/// `eos_token_id`: an int, or a list of ints.
fn ids(v: &Value) -> Option<Vec<u32>> {
    let one = |x: &Value| x.as_u64().and_then(|n| u32::try_from(n).ok());
    match v {
        Value::Array(items) => Some(items.iter().filter_map(one).collect()),
        other => one(other).map(|n| vec![n]),
    }
}

/// Whether the post-processor puts a BOS before a single sequence.
///
/// `TemplateProcessing` (Llama 3, Gemma, Mistral fast tokenizers) lists the
/// pieces of `single`; `RobertaProcessing` / `BertProcessing` always put
/// their `cls` first; a `Sequence` applies each processor in turn. When the
/// config names no `bos_token`, a special token first in `single` counts.
fn post_processor_prepends(pp: &Value, bos: Option<&str>) -> bool {
    let is_bos = |tok: &str| bos.is_none_or(|b| b == tok);
    match pp.get("type").and_then(Value::as_str) {
        Some("TemplateProcessing") => pp
            .get("single")
            .and_then(Value::as_array)
            .and_then(|pieces| pieces.first())
            .and_then(|first| first.get("SpecialToken"))
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str)
            .is_some_and(is_bos),
        Some("RobertaProcessing") | Some("BertProcessing") => pp
            .get("cls")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
            .and_then(Value::as_str)
            .is_some_and(is_bos),
        Some("Sequence") => pp
            .get("processors")
            .and_then(Value::as_array)
            .is_some_and(|ps| ps.iter().any(|p| post_processor_prepends(p, bos))),
        _ => false,
    }
}

pub use crate::gguf::vocab::control_shaped;

/// One entry of tokenizer.json's `added_tokens`.
#[derive(Debug, Deserialize)]
pub(super) struct AddedToken {
    id: u32,
    content: String,
    #[serde(default)]
    special: bool,
}

/// What the streaming pass keeps from tokenizer.json.
#[derive(Debug, Default)]
pub(super) struct TokenizerJson {
    pub(super) added_tokens: Vec<AddedToken>,
    post_processor: Option<Value>,
    /// Vocabulary entries shaped like control tokens, with their ids.
    control_vocab: BTreeMap<String, u32>,
}

pub(super) fn parse_tokenizer_json(bytes: &[u8]) -> Result<TokenizerJson, serde_json::Error> {
    // serde_json's recursion limit (128 levels) stays on: a post-processor
    // nested 20,000 deep is an error at its offset, not a stack overflow.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let tj = (&mut de).deserialize_map(TopVisitor)?;
    de.end()?;
    Ok(tj)
}

/// A map key or string that borrows from the input when it has no escapes.
struct Str<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = TokenizerJson;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tokenizer.json object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TokenizerJson, A::Error> {
        let mut out = TokenizerJson::default();
        while let Some(key) = map.next_key::<Str<'de>>()? {
            match key.0.as_ref() {
                "added_tokens" => {
                    out.added_tokens = map
                        .next_value::<Option<Vec<AddedToken>>>()?
                        .unwrap_or_default()
                }
                "post_processor" => out.post_processor = map.next_value::<Option<Value>>()?,
                "model" => out.control_vocab = map.next_value::<ModelVocab>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// `model`: only its `vocab` is read.
struct ModelVocab(BTreeMap<String, u32>);

impl<'de> Deserialize<'de> for ModelVocab {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ModelVocab;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a tokenizer model object")
            }
            fn visit_unit<E: de::Error>(self) -> Result<ModelVocab, E> {
                Ok(ModelVocab(BTreeMap::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ModelVocab, A::Error> {
                let mut vocab = BTreeMap::new();
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    if key.0 == "vocab" {
                        vocab = map.next_value::<Vocab>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(ModelVocab(vocab))
            }
        }
        d.deserialize_any(V)
    }
}

/// `model.vocab`: a `{piece: id}` map (BPE, WordPiece, WordLevel) or a
/// `[[piece, score], …]` list whose index is the id (Unigram). Only
/// control-shaped pieces are kept.
struct Vocab(BTreeMap<String, u32>);

impl<'de> Deserialize<'de> for Vocab {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Vocab;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a vocabulary map or list")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Vocab, E> {
                Ok(Vocab(BTreeMap::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vocab, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<Str<'de>>()? {
                    let id = map.next_value::<u32>()?;
                    if control_shaped(&key.0) {
                        out.insert(key.0.into_owned(), id);
                    }
                }
                Ok(Vocab(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vocab, A::Error> {
                let mut out = BTreeMap::new();
                let mut id: u32 = 0;
                while let Some((piece, _score)) = seq.next_element::<(Str<'de>, IgnoredAny)>()? {
                    if control_shaped(&piece.0) {
                        out.insert(piece.0.into_owned(), id);
                    }
                    id = id.saturating_add(1);
                }
                Ok(Vocab(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn streaming_pass_keeps_added_tokens_post_processor_and_control_vocab() {
        let text = r#"{"version":"1.0","added_tokens":[{"id":5,"content":"<|eot_id|>","special":true}],
            "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}]},
            "model":{"type":"BPE","vocab":{"a":0,"<tool_call>":1,"[INST]":2,"b\u0020c":3},"merges":["a b"]}}"#;
        let tj = parse_tokenizer_json(text.as_bytes()).expect("parses");
        assert_eq!(tj.added_tokens.len(), 1);
        assert_eq!(tj.added_tokens[0].content, "<|eot_id|>");
        assert!(tj.added_tokens[0].special);
        assert_eq!(
            tj.control_vocab.keys().cloned().collect::<Vec<_>>(),
            ["<tool_call>", "[INST]"]
        );
        let pp = tj.post_processor.expect("post_processor kept");
        assert!(post_processor_prepends(&pp, Some("<s>")));
        assert!(!post_processor_prepends(&pp, Some("<bos>")));
    }

    #[test]
    fn unigram_vocab_ids_are_list_positions() {
        let text = r#"{"model":{"type":"Unigram","vocab":[["<unk>",0.0],["▁a",-1.5],["<start_of_turn>",0.0]]}}"#;
        let tj = parse_tokenizer_json(text.as_bytes()).expect("parses");
        assert_eq!(tj.control_vocab.get("<start_of_turn>"), Some(&2));
        assert_eq!(tj.control_vocab.get("<unk>"), Some(&0));
    }

    #[test]
    fn sequence_and_roberta_post_processors() {
        let seq = json!({"type":"Sequence","processors":[{"type":"ByteLevel"},
            {"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|begin_of_text|>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}]}]});
        assert!(post_processor_prepends(&seq, Some("<|begin_of_text|>")));
        let roberta = json!({"type":"RobertaProcessing","cls":["<s>",0],"sep":["</s>",2]});
        assert!(post_processor_prepends(&roberta, Some("<s>")));
        let bytelevel = json!({"type":"ByteLevel"});
        assert!(!post_processor_prepends(&bytelevel, Some("<s>")));
    }

    #[test]
    fn model_configs_are_read_like_python_s_json() {
        let v = python_json(
            r#"{"a": NaN, "b": [-Infinity, Infinity], "s": "NaN \" Infinity", "eos_token_id": 2}"#,
        )
        .expect("Python reads it");
        assert_eq!(v["eos_token_id"], 2);
        assert_eq!(v["s"], "NaN \" Infinity");
        assert!(v["a"].is_null());
        assert!(python_json(r#"{"a": NaNa}"#).is_err());
        assert!(python_json(r#"{"eos_token_id": 1e400}"#).is_err());
    }

    #[test]
    fn config_facts() {
        let cfg = json!({
            "add_bos_token": true,
            "added_tokens_decoder": {"128009": {"content": "<|eot_id|>", "special": true}},
            "additional_special_tokens": ["<extra>", {"content": "<obj>"}],
            "bos_token": {"content": "<s>"}
        });
        let mut info = TokenizerInfo::default();
        read_config(&cfg, &mut info);
        assert_eq!(info.add_bos_token, Some(true));
        assert_eq!(
            info.added_tokens.get(&128009).map(String::as_str),
            Some("<|eot_id|>")
        );
        assert!(info.known_tokens.contains("<obj>"));
        assert!(info.special_tokens.contains("<s>"));
        assert!(info.has_vocab_info);
        assert_eq!(ids(&json!([1, 106])), Some(vec![1, 106]));
        assert_eq!(ids(&json!(2)), Some(vec![2]));
    }
}

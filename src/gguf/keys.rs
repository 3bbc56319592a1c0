//! The key/value walk: every key is visited once, the few this tool uses are
//! decoded (after a type check), everything else is skipped without being
//! read. Arrays the rules may need later (`tokenizer.ggml.tokens`,
//! `tokenizer.ggml.token_type`) are remembered by offset and read lazily
//! (`vocab.rs`).
//!
//! Key names and types: the GGUF specification's "Standardized key-value
//! pairs" (`tokenizer.chat_template`, `tokenizer.ggml.*`) and llama.cpp's
//! `llama-arch.cpp` (`tokenizer.chat_template.%s` for named templates,
//! `tokenizer.ggml.eot_token_id`, `eom_token_id`, `add_bos_token`,
//! `split.no`/`split.count` from `gguf-split`).

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Seek};

use super::reader::{Reader, ValueType};
use super::{Invalid, MAX_KEY_BYTES, MAX_METADATA_BYTES};
use crate::files::MAX_FILE_BYTES;

/// What this tool takes from a GGUF file's metadata.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    pub version: u32,
    pub big_endian: bool,
    pub tensor_count: u64,
    pub file_len: u64,
    /// `tokenizer.chat_template` (named `default`) and every
    /// `tokenizer.chat_template.<name>`, in file order.
    pub templates: Vec<EmbeddedTemplate>,
    /// `general.architecture`.
    pub architecture: Option<String>,
    /// `general.type` (`model`, `adapter`, `mmproj`, … in gguf-py).
    pub general_type: Option<String>,
    /// `tokenizer.ggml.model` (`llama` = SentencePiece, `gpt2` = BPE, …).
    pub tokenizer_model: Option<String>,
    /// `tokenizer.ggml.pre` (the BPE pre-tokenizer: `llama-bpe`, `qwen2`, …).
    pub tokenizer_pre: Option<String>,
    /// `tokenizer.ggml.add_bos_token`.
    pub add_bos_token: Option<bool>,
    pub ids: SpecialIds,
    /// `tokenizer.ggml.tokens` (id → text), not read yet.
    pub tokens: Option<TokenArray>,
    /// `tokenizer.ggml.token_type` (`i32` per id; 3 = control), not read yet.
    pub token_types: Option<TokenArray>,
    /// `split.no` (0-based) and `split.count` of a shard written by gguf-split.
    pub split: Option<(u16, u16)>,
}

/// The special-token ids llama.cpp reads (`tokenizer.ggml.<name>_token_id`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpecialIds {
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    pub eot: Option<u32>,
    pub eom: Option<u32>,
    pub fim_pad: Option<u32>,
    pub fim_rep: Option<u32>,
    pub fim_sep: Option<u32>,
}

/// A chat template stored in the metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmbeddedTemplate {
    /// `default` for `tokenizer.chat_template`, else the key's suffix.
    pub name: String,
    /// The metadata key it was read from.
    pub key: String,
    pub text: String,
    /// Byte offset of the template's first byte in the file.
    pub offset: u64,
}

/// An array left in the file: where its first element starts, and how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenArray {
    pub offset: u64,
    pub count: u64,
}

/// The prefix of every chat-template key.
const TEMPLATE_KEY: &str = "tokenizer.chat_template";

/// Walk `count` key/value pairs from the reader's position.
pub(super) fn read_all<R: Read + Seek>(r: &mut Reader<R>, count: u64) -> Result<Metadata, Invalid> {
    let mut meta = Metadata::default();
    let mut seen = HashSet::new();
    for i in 0..count {
        let key_at = r.pos();
        let raw = r.string(&format!("the name of key {i}"), MAX_KEY_BYTES)?;
        if raw.is_empty() {
            return Err(Invalid::new(key_at, format!("key {i} has an empty name")));
        }
        let key = String::from_utf8_lossy(&raw).into_owned();
        // Keys are compared by hash: `seen` stays small whatever the keys' lengths.
        let mut h = DefaultHasher::new();
        raw.hash(&mut h);
        if !seen.insert(h.finish()) {
            return Err(Invalid::new(
                key_at,
                format!("key `{key}` appears twice; llama.cpp refuses duplicate keys"),
            ));
        }
        let ty = r.value_type(&format!("the value type of `{key}`"))?;
        decode(r, &mut meta, &key, ty)?;
        if r.pos() > MAX_METADATA_BYTES {
            return Err(r.invalid(format!(
                "the metadata runs past {} MB (at key `{key}`); real metadata is a few MB",
                MAX_METADATA_BYTES / (1024 * 1024)
            )));
        }
    }
    Ok(meta)
}

/// Decode `key`'s value when this tool uses it, else skip it.
fn decode<R: Read + Seek>(
    r: &mut Reader<R>,
    meta: &mut Metadata,
    key: &str,
    ty: ValueType,
) -> Result<(), Invalid> {
    let what = format!("the value of `{key}`");
    let at = r.pos();
    let wrong = |want: &str| {
        Invalid::new(
            at,
            format!(
                "`{key}` has type {}; llama.cpp expects {want} and refuses to load the model",
                ty.name()
            ),
        )
    };
    if key == TEMPLATE_KEY || key.starts_with("tokenizer.chat_template.") {
        if ty != ValueType::String {
            return Err(wrong("a string"));
        }
        let bytes = r.string(&what, MAX_FILE_BYTES)?;
        let offset = r.pos() - bytes.len() as u64;
        let text = String::from_utf8(bytes).map_err(|e| {
            let bad = offset + e.utf8_error().valid_up_to() as u64;
            Invalid::new(
                bad,
                format!("`{key}` is not valid UTF-8 (byte {bad} of the file)"),
            )
        })?;
        let name = match key.strip_prefix("tokenizer.chat_template.") {
            Some(n) => n.to_string(),
            None => "default".to_string(),
        };
        meta.templates.push(EmbeddedTemplate {
            name,
            key: key.to_string(),
            text,
            offset,
        });
        return Ok(());
    }
    let id_slot = match key {
        "tokenizer.ggml.bos_token_id" => Some(&mut meta.ids.bos),
        "tokenizer.ggml.eos_token_id" => Some(&mut meta.ids.eos),
        "tokenizer.ggml.eot_token_id" => Some(&mut meta.ids.eot),
        "tokenizer.ggml.eom_token_id" => Some(&mut meta.ids.eom),
        "tokenizer.ggml.fim_pad_token_id" => Some(&mut meta.ids.fim_pad),
        "tokenizer.ggml.fim_rep_token_id" => Some(&mut meta.ids.fim_rep),
        "tokenizer.ggml.fim_sep_token_id" => Some(&mut meta.ids.fim_sep),
        _ => None,
    };
    if let Some(slot) = id_slot {
        if ty != ValueType::U32 {
            return Err(wrong("u32"));
        }
        *slot = Some(r.u32(&what)?);
        return Ok(());
    }
    let text_slot = match key {
        "general.architecture" => Some(&mut meta.architecture),
        "general.type" => Some(&mut meta.general_type),
        "tokenizer.ggml.model" => Some(&mut meta.tokenizer_model),
        "tokenizer.ggml.pre" => Some(&mut meta.tokenizer_pre),
        _ => None,
    };
    if let Some(slot) = text_slot {
        if ty != ValueType::String {
            return Err(wrong("a string"));
        }
        let bytes = r.string(&what, MAX_KEY_BYTES)?;
        *slot = Some(String::from_utf8_lossy(&bytes).into_owned());
        return Ok(());
    }
    match key {
        "tokenizer.ggml.add_bos_token" => {
            if ty != ValueType::Bool {
                return Err(wrong("bool"));
            }
            // ggml reads a bool as one byte, `!= 0` (`gguf_reader::read(bool&)`).
            meta.add_bos_token = Some(r.array::<1>(&what)?[0] != 0);
            Ok(())
        }
        "general.alignment" => {
            // ggml: "must be of type u32", and a power of 2.
            if ty != ValueType::U32 {
                return Err(wrong("u32"));
            }
            let a = r.u32(&what)?;
            if a == 0 || !a.is_power_of_two() {
                return Err(Invalid::new(
                    at,
                    format!(
                        "`general.alignment` is {a}, not a power of 2; llama.cpp refuses the file"
                    ),
                ));
            }
            Ok(())
        }
        "tokenizer.ggml.tokens" | "tokenizer.ggml.token_type" => {
            let want = if key == "tokenizer.ggml.tokens" {
                ValueType::String
            } else {
                ValueType::I32
            };
            if ty != ValueType::Array {
                return Err(wrong(&format!("an array of {}", want.name())));
            }
            let (elem, count) = r.array_header(&what)?;
            if elem != want {
                return Err(Invalid::new(
                    at,
                    format!(
                        "`{key}` is an array of {}; llama.cpp expects {} (\"invalid gguf type for {key}\")",
                        elem.name(),
                        want.name()
                    ),
                ));
            }
            let array = TokenArray {
                offset: r.pos(),
                count,
            };
            if key == "tokenizer.ggml.tokens" {
                meta.tokens = Some(array);
                for _ in 0..count {
                    let len = r.string_len(&what)?;
                    r.skip(len, &what)?;
                }
            } else {
                meta.token_types = Some(array);
                r.skip(count * 4, &what)?;
            }
            Ok(())
        }
        "split.no" | "split.count" if ty == ValueType::U16 => {
            let b = r.array::<2>(&what)?;
            let v = if r.big_endian {
                u16::from_be_bytes(b)
            } else {
                u16::from_le_bytes(b)
            };
            let (no, total) = meta.split.unwrap_or((0, 0));
            meta.split = Some(if key == "split.no" {
                (v, total)
            } else {
                (no, v)
            });
            Ok(())
        }
        _ => r.skip_value(ty, &what),
    }
}

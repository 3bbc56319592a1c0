//! The vocabulary facts the rules need, read lazily from
//! `tokenizer.ggml.tokens`: the text of the special ids, llama.cpp's
//! end-of-generation set, whether llama.cpp prepends BOS, and the tokens
//! shaped like control tokens. The token list is walked once with one
//! reused buffer; only those few texts are kept, never the whole vocabulary.
//!
//! llama.cpp facts, from `src/llama-vocab.cpp` (`llama_vocab::impl::load`,
//! ggml-org/llama.cpp at 00ad355e):
//! - default ids when a key is absent: `tokenizer.ggml.model` `llama`
//!   (SentencePiece) bos 1 / eos 2; `gpt2` (BPE) bos 11 / eos 11; `t5` eos 1;
//!   `bert` bos 101; other models none. A key whose id is out of the vocabulary
//!   is ignored ("bad special token ... using default id");
//! - `add_bos` defaults to true for `llama` and `bert` vocabularies and for the
//!   BPE pre-tokenizers `llama3`, `llama-v3`, `llama-bpe`, `falcon3`,
//!   `falcon-h1`, `pixtral`, `midm-2.0`, `lfm2`, `jina-v5-nano`, `tekken`,
//!   `chameleon`; `tokenizer.ggml.add_bos_token` overrides it, and the
//!   `gemma4` pre-tokenizer forces it on;
//! - the end-of-generation set (`special_eog_ids`) is the FIM pad/repo/file
//!   separator tokens, every token whose text is in [`EOG_TEXTS`], and the
//!   eos, eot and eom ids; then `<|end|>` is dropped when `<|return|>` and
//!   `<|call|>` (or `<|calls|>` and `<|flush|>`) are there (gpt-oss, solar),
//!   and `</s>` when `<|tool_response>` is (gemma4).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek};
use std::path::Path;

use super::reader::Reader;
use super::{Invalid, Metadata, ReadError};

/// The longest vocabulary entry kept as a possible control token.
const MAX_CONTROL_LEN: usize = 64;

/// Whether a vocabulary entry could be a control token: `<…>` or `[…]`
/// (which covers `<|…|>` and `<｜…｜>`), short, without whitespace. Shared
/// with tokenizer.json's vocabulary (`load::tokenizer`).
pub fn control_shaped(s: &str) -> bool {
    let bracketed =
        (s.starts_with('<') && s.ends_with('>')) || (s.starts_with('[') && s.ends_with(']'));
    bracketed && s.len() >= 3 && s.len() <= MAX_CONTROL_LEN && !s.chars().any(char::is_whitespace)
}

/// Token texts llama.cpp treats as end of generation wherever they are in
/// the vocabulary (`special_eog_ids`, "determined based on the token text").
pub const EOG_TEXTS: [&str; 22] = [
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<|return|>",
    "<|call|>",
    "<|flush|>",
    "<|calls|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "</s>",
    "<|eom_id|>",
    "<EOT>",
    "_<EOT>",
    "[EOT]",
    "[EOS]",
    "<|end_of_text|>",
    "<end_of_utterance>",
    "<eos>",
    "<turn|>",
    "<|tool_response>",
    "<｜end▁of▁sentence｜>",
    "[e~[",
];

/// FIM pad, repo and file-separator texts llama.cpp detects when the kind's
/// key (`fim_pad_token_id`, `fim_rep_token_id`, `fim_sep_token_id`) is
/// absent; all three kinds are end-of-generation tokens.
const FIM_PAD_TEXTS: [&str; 5] = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];
const FIM_REP_TEXTS: [&str; 5] = [
    "<|fim_repo|>",
    "<|repo_name|>",
    "<fim-repo>",
    "<REPO>",
    "<reponame>",
];
const FIM_SEP_TEXTS: [&str; 1] = ["<|file_sep|>"];

/// Tokens kept (control-shaped or control-typed) before the vocabulary is
/// called too large to judge: then `complete` is false and the
/// vocabulary-based rules stay silent.
const MAX_KEPT: usize = 1 << 18;

/// Longest token text read in full; longer ones are skipped unless an id asks for them.
const MAX_TOKEN_TEXT: u64 = 1024;

/// `tokenizer.ggml.token_type` value of a control token (the specification:
/// 1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte).
const TOKEN_TYPE_CONTROL: i32 = 3;

/// What the vocabulary says, as llama.cpp reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vocab {
    /// Number of tokens.
    pub size: u64,
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    /// llama.cpp's end-of-generation ids.
    pub eog: BTreeSet<u32>,
    /// id → text of the special ids, the end-of-generation tokens, and every
    /// control-typed or control-shaped token.
    pub texts: BTreeMap<u32, String>,
    /// Ids whose `token_type` is control.
    pub control: BTreeSet<u32>,
    /// False when the vocabulary had more candidates than this tool keeps.
    pub complete: bool,
}

impl Vocab {
    pub fn text(&self, id: u32) -> Option<&str> {
        self.texts.get(&id).map(String::as_str)
    }
}

/// Read the vocabulary facts of the file at `path` (its `meta` read before).
pub fn read(path: &Path, meta: &Metadata) -> Result<Vocab, ReadError> {
    let file = crate::files::open_regular(path).map_err(ReadError::from_fail)?;
    read_from(file, meta).map_err(ReadError::Invalid)
}

/// Whether llama.cpp prepends BOS when it tokenizes a prompt; `None` when the
/// file has no tokenizer model to say.
pub fn adds_bos(meta: &Metadata) -> Option<bool> {
    let pre = meta.tokenizer_pre.as_deref().unwrap_or("");
    if pre == "gemma4" || meta.tokenizer_model.as_deref() == Some("gemma4") {
        return Some(true);
    }
    if let Some(explicit) = meta.add_bos_token {
        return Some(explicit);
    }
    let model = meta.tokenizer_model.as_deref()?;
    Some(match model {
        "llama" | "bert" => true,
        "gpt2" => matches!(
            pre,
            "llama3"
                | "llama-v3"
                | "llama-bpe"
                | "falcon3"
                | "falcon-h1"
                | "pixtral"
                | "midm-2.0"
                | "lfm2"
                | "jina-v5-nano"
                | "tekken"
                | "chameleon"
        ),
        _ => false,
    })
}

/// The vocabulary facts, from any seekable source holding the file.
pub fn read_from<R: Read + Seek>(source: R, meta: &Metadata) -> Result<Vocab, Invalid> {
    let Some(tokens) = meta.tokens else {
        return Ok(Vocab::default());
    };
    let mut r = Reader::new(source, meta.file_len);
    r.big_endian = meta.big_endian;
    let size = tokens.count;
    let in_range = |id: Option<u32>| id.filter(|&i| u64::from(i) < size);
    let (default_bos, default_eos) = match meta.tokenizer_model.as_deref() {
        Some("llama") => (Some(1), Some(2)),
        Some("gpt2") => (Some(11), Some(11)),
        Some("t5") => (None, Some(1)),
        Some("bert") => (Some(101), None),
        _ => (None, None),
    };
    let bos = in_range(meta.ids.bos).or(in_range(default_bos));
    let eos = in_range(meta.ids.eos).or(in_range(default_eos));
    let wanted: BTreeSet<u32> = [
        bos,
        eos,
        in_range(meta.ids.eot),
        in_range(meta.ids.eom),
        in_range(meta.ids.fim_pad),
        in_range(meta.ids.fim_rep),
        in_range(meta.ids.fim_sep),
    ]
    .into_iter()
    .flatten()
    .collect();

    let control = control_ids(&mut r, meta, size)?;
    let mut vocab = Vocab {
        size,
        bos,
        eos,
        complete: true,
        ..Vocab::default()
    };
    for id in &control {
        vocab.control.insert(*id);
    }
    r.seek_to(tokens.offset)?;
    let mut buf = Vec::new();
    for id in 0..size {
        let what = "an entry of `tokenizer.ggml.tokens`";
        let len = r.string_len(what)?;
        let Ok(id32) = u32::try_from(id) else {
            // Ids past u32 cannot be named by any key: nothing to keep.
            r.skip(len, what)?;
            continue;
        };
        let want = wanted.contains(&id32) || control.contains(&id32);
        if len > MAX_TOKEN_TEXT || (!want && len > 64) {
            if want {
                vocab.texts.insert(id32, format!("<token {id32}>"));
            }
            r.skip(len, what)?;
            continue;
        }
        r.read_into(&mut buf, len, what)?;
        let Ok(text) = std::str::from_utf8(&buf) else {
            continue;
        };
        let fim = (meta.ids.fim_pad.is_none() && FIM_PAD_TEXTS.contains(&text))
            || (meta.ids.fim_rep.is_none() && FIM_REP_TEXTS.contains(&text))
            || (meta.ids.fim_sep.is_none() && FIM_SEP_TEXTS.contains(&text));
        let eog = fim || EOG_TEXTS.contains(&text);
        if eog {
            vocab.eog.insert(id32);
        }
        if want || eog || control_shaped(text) {
            if vocab.texts.len() >= MAX_KEPT {
                vocab.complete = false;
            } else {
                vocab.texts.insert(id32, text.to_string());
            }
        }
    }
    let keyed = [eos, meta.ids.eot, meta.ids.eom];
    let fim = [meta.ids.fim_pad, meta.ids.fim_rep, meta.ids.fim_sep];
    for id in keyed.into_iter().chain(fim).flatten() {
        if u64::from(id) < size {
            vocab.eog.insert(id);
        }
    }
    drop_workaround_tokens(&mut vocab);
    Ok(vocab)
}

/// llama.cpp's two exclusions from the end-of-generation set (see the module docs).
fn drop_workaround_tokens(vocab: &mut Vocab) {
    let find = |v: &Vocab, text: &str| v.eog.iter().copied().find(|id| v.text(*id) == Some(text));
    let has = |v: &Vocab, text: &str| find(v, text).is_some();
    let call = has(vocab, "<|call|>") || has(vocab, "<|calls|>");
    if let Some(end) = find(vocab, "<|end|>") {
        if call && (has(vocab, "<|return|>") || has(vocab, "<|flush|>")) {
            vocab.eog.remove(&end);
        }
    }
    if has(vocab, "<|tool_response>") {
        if let Some(s) = find(vocab, "</s>") {
            vocab.eog.remove(&s);
        }
    }
}

/// Ids whose `tokenizer.ggml.token_type` is control (empty without the array).
fn control_ids<R: Read + Seek>(
    r: &mut Reader<R>,
    meta: &Metadata,
    size: u64,
) -> Result<BTreeSet<u32>, Invalid> {
    let mut out = BTreeSet::new();
    let Some(types) = meta.token_types else {
        return Ok(out);
    };
    if types.count < size {
        // llama.cpp: "Index out of array bounds for toktypes", and no load.
        return Err(Invalid::new(
            types.offset,
            format!(
                "`tokenizer.ggml.token_type` has {} entries for {size} tokens; llama.cpp refuses the file",
                types.count
            ),
        ));
    }
    r.seek_to(types.offset)?;
    for id in 0..size {
        let ty = r.i32("an entry of `tokenizer.ggml.token_type`")?;
        if ty == TOKEN_TYPE_CONTROL && out.len() < MAX_KEPT {
            if let Ok(id) = u32::try_from(id) {
                out.insert(id);
            }
        }
    }
    Ok(out)
}

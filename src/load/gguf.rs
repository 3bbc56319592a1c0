//! Loading the GGUF files of a model folder: each one becomes a model of its
//! own (`LoadedModel::ggufs`), with the chat templates embedded in its
//! metadata, the special tokens taken from its own token list, and the
//! tokenizer facts llama.cpp uses (its end-of-generation set, `add_bos`).
//! Findings point at the `.gguf` file.
//!
//! Which files: every `*.gguf` in the folder, except shards after the first
//! (`-00002-of-00003.gguf`: gguf-split keeps the metadata in the first
//! shard, GGUF naming convention in ggml's `docs/gguf.md`), and files that
//! are not language models: multimodal projectors (`mmproj-` files, gguf-py's
//! `general.type` `mmproj`) and LoRA adapters (`general.type` `adapter`) carry
//! no tokenizer and no chat template.

use std::path::Path;

use super::read::display_path;
use super::{
    GenerationStops, LoadOptions, LoadedModel, OffsetMap, Origin, Runtime, Template, TokenizerInfo,
};
use crate::finding::{Finding, Severity};
use crate::gguf::{self, vocab, Metadata, ReadError};
use crate::rule::Rule;

/// Load every GGUF model file of `dir` into `model.ggufs`.
pub(super) fn load_ggufs(model: &mut LoadedModel, dir: &Path, opts: &LoadOptions) {
    for name in gguf_files(dir) {
        let display = display_path(model, &name);
        match load_one(&dir.join(&name), &display, opts) {
            Ok(Some(child)) => model.ggufs.push(child),
            Ok(None) => {}
            Err(finding) => model.findings.push(*finding),
        }
    }
}

/// Load one GGUF file (shown as `display`) as a model of its own. `Ok(None)`
/// for a file that is not a language model (a projector, an adapter).
pub fn load_one(
    path: &Path,
    display: &str,
    opts: &LoadOptions,
) -> Result<Option<LoadedModel>, Box<Finding>> {
    let meta = gguf::read(path).map_err(|e| Box::new(read_error(display, e)))?;
    if !is_language_model(&meta, display) {
        return Ok(None);
    }
    let mut child = LoadedModel {
        dir: path.to_path_buf(),
        rel_dir: display.to_string(),
        runtime: Runtime::LlamaCpp,
        // The file says which tokens exist: no stand-in tokens are needed.
        has_tokenizer_config: true,
        ..LoadedModel::default()
    };
    child.templates = meta
        .templates
        .iter()
        .map(|t| Template {
            name: t.name.clone(),
            text: t.text.clone(),
            origin: Origin::Gguf,
            path: display.to_string(),
            offsets: OffsetMap::identity(),
        })
        .collect();
    let vocab = vocab::read(path, &meta).map_err(|e| Box::new(read_error(display, e)))?;
    // llama.cpp's chat code passes the vocabulary's bos/eos texts as
    // `bos_token` / `eos_token` (common/chat.cpp, `common_chat_templates_init`).
    for (key, id) in [("bos_token", vocab.bos), ("eos_token", vocab.eos)] {
        if let Some(text) = id.and_then(|i| vocab.text(i)) {
            child
                .special_tokens
                .insert(key.to_string(), text.to_string());
        }
    }
    if opts.tokenizer {
        child.tokenizer = tokenizer_info(&meta, &vocab);
    }
    Ok(Some(child))
}

/// The GGUF file names of `dir`, sorted, first shards only.
fn gguf_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_gguf_name(n) && shard_number(n).is_none_or(|no| no == 1))
        .collect();
    names.sort();
    names
}

pub use crate::files::is_gguf_name;

/// The shard number of a split file name (`…-00002-of-00003.gguf` → 2).
fn shard_number(name: &str) -> Option<u32> {
    let stem = name.get(..name.len().checked_sub(5)?)?;
    let (head, total) = stem.rsplit_once("-of-")?;
    let (_, no) = head.rsplit_once('-')?;
    let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
    (digits(no) && digits(total)).then(|| no.parse().ok())?
}

/// Projectors and adapters are loaded beside a model, never as one.
fn is_language_model(meta: &Metadata, display: &str) -> bool {
    let file = display.rsplit('/').next().unwrap_or(display);
    let sidecar = file.to_ascii_lowercase().starts_with("mmproj");
    let kind = meta.general_type.as_deref();
    !sidecar && !matches!(kind, Some("mmproj" | "adapter")) && meta.tokens.is_some()
}

/// The tokenizer facts as llama.cpp has them.
fn tokenizer_info(meta: &Metadata, vocab: &vocab::Vocab) -> TokenizerInfo {
    let mut info = TokenizerInfo {
        add_bos_token: vocab::adds_bos(meta),
        added_tokens: vocab.texts.clone(),
        // llama.cpp stops on its end-of-generation set (`eos-mismatch` reads
        // it here for a GGUF's model).
        generation_eos_ids: Some(GenerationStops {
            ids: vocab.eog.iter().copied().collect(),
            from_generation_config: true,
            listed: true,
        }),
        has_vocab_info: vocab.complete,
        known_tokens: vocab.texts.values().cloned().collect(),
        ..TokenizerInfo::default()
    };
    let special = vocab
        .control
        .iter()
        .chain(vocab.bos.iter())
        .chain(vocab.eos.iter())
        .chain(vocab.eog.iter());
    for id in special {
        if let Some(text) = vocab.text(*id) {
            info.special_tokens.insert(text.to_string());
        }
    }
    info
}

/// A file that cannot be read: an info finding for an LFS pointer (the
/// usual CI checkout), `config-invalid` otherwise.
fn read_error(display: &str, e: ReadError) -> Finding {
    let bad = |msg: String| Finding::new(Rule::ConfigInvalid, display, msg);
    match e {
        ReadError::LfsPointer => {
            let mut f = bad(format!(
                "`{display}` is a Git LFS pointer: the model file was not checked out, so its chat template was not checked"
            ))
            .with_help("check out with LFS (`lfs: true` on actions/checkout, or `git lfs pull`) to check the GGUF's template");
            // Not a problem of the file, only of this checkout.
            f.severity = Severity::Info;
            f
        }
        ReadError::Io(e) => bad(format!("cannot read `{display}`: {e}")),
        ReadError::Invalid(e) => bad(format!(
            "`{display}` is not a valid GGUF file: {} (byte {})",
            e.message, e.offset
        ))
        .with_help("llama.cpp cannot load this file either; re-download or reconvert it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_and_names() {
        assert_eq!(shard_number("m-Q4_K_M-00001-of-00003.gguf"), Some(1));
        assert_eq!(shard_number("m-00002-of-00003.gguf"), Some(2));
        assert_eq!(shard_number("m-Q4_K_M.gguf"), None);
        assert_eq!(shard_number("m-2-of-3.gguf"), None);
        assert!(is_gguf_name("a.GGUF"));
        assert!(!is_gguf_name("a.gguf.json"));
    }
}

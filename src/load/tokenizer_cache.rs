//! tokenizer.json parsed once per distinct content in a run. The checkpoints
//! of a training run carry the same 10-30 MB tokenizer.json (hard-linked or
//! copied); its streaming parse is most of the cost of loading a folder.
//!
//! Two keys, both cheap. A file already parsed in this run (same device,
//! inode, size and modification time: a hard link, or the same file again)
//! is not read again. Any other file is read through the one reader (its
//! size cap, its checks, its findings), and its parse is keyed by the text's
//! size and a fast hash of its bytes (a copy). What is kept per content is the little the streaming
//! pass extracts, not the file. A text that does not parse is not kept (its
//! error, with its offset, is every folder's own finding). Disabled (`check
//! --no-cache`, `LoadOptions::tokenizers` is `None`), every file is parsed on
//! its own.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use super::tokenizer::{parse_tokenizer_json, TokenizerJson};

/// The run's parsed tokenizer.json texts.
#[derive(Debug, Default)]
pub struct TokenizerCache {
    by_content: Mutex<HashMap<(usize, u64, u64), Arc<TokenizerJson>>>,
    by_file: Mutex<HashMap<FileId, Arc<TokenizerJson>>>,
}

/// Device, inode, size and modification time (seconds, nanoseconds).
type FileId = (u64, u64, u64, i64, i64);

#[cfg(unix)]
fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
}

#[cfg(not(unix))]
fn file_id(_: &Path) -> Option<FileId> {
    None
}

impl TokenizerCache {
    /// The parse of `path` when this very file was parsed before in the run.
    pub(super) fn known_file(&self, path: &Path) -> Option<Arc<TokenizerJson>> {
        let id = file_id(path)?;
        let files = self.by_file.lock().unwrap_or_else(PoisonError::into_inner);
        files.get(&id).cloned()
    }

    /// Remember that `path` parsed to `parsed`.
    pub(super) fn remember_file(&self, path: &Path, parsed: &Arc<TokenizerJson>) {
        if let Some(id) = file_id(path) {
            let mut files = self.by_file.lock().unwrap_or_else(PoisonError::into_inner);
            files.insert(id, Arc::clone(parsed));
        }
    }

    /// `bytes` parsed, or the parse of the same bytes seen before.
    pub(super) fn parse(&self, bytes: &[u8]) -> Result<Arc<TokenizerJson>, serde_json::Error> {
        let (a, b) = hash(bytes);
        let key = (bytes.len(), a, b);
        let lock = || {
            self.by_content
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        };
        if let Some(known) = lock().get(&key) {
            return Ok(Arc::clone(known));
        }
        // The parse runs without the lock held.
        let parsed = Arc::new(parse_tokenizer_json(bytes)?);
        lock().insert(key, Arc::clone(&parsed));
        Ok(parsed)
    }
}

/// Two independent 64-bit hashes of `bytes`, eight bytes a step (several
/// GB/s: a fraction of the parse it saves). Not meant to resist a crafted
/// collision; with the size in the key an accidental one is out of reach.
fn hash(bytes: &[u8]) -> (u64, u64) {
    const K1: u64 = 0x9e37_79b9_7f4a_7c15;
    const K2: u64 = 0xc2b2_ae3d_27d4_eb4f;
    let (mut a, mut b) = (K2, K1);
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_le_bytes(word);
        a = (a ^ x).wrapping_mul(K1).rotate_left(29);
        b = (b.rotate_left(17) ^ x).wrapping_mul(K2);
    }
    for &byte in words.remainder() {
        a = (a ^ u64::from(byte)).wrapping_mul(K1).rotate_left(29);
        b = (b.rotate_left(17) ^ u64::from(byte)).wrapping_mul(K2);
    }
    (a ^ (a >> 31), b ^ (b >> 29))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_parse_per_content() {
        let text = br#"{"added_tokens": [{"id": 7, "content": "<x>", "special": true}]}"#;
        let cache = TokenizerCache::default();
        let a = cache.parse(text).expect("parses");
        let b = cache.parse(text.as_ref()).expect("parses");
        assert!(Arc::ptr_eq(&a, &b), "a copy is one content");
        let c = cache.parse(b"{}").expect("parses");
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(a.added_tokens.len(), 1);
        assert!(cache.parse(b"{").is_err(), "an error is each caller's own");
        assert!(cache.parse(b"{").is_err());
    }

    #[test]
    fn a_file_parsed_once_is_known_by_its_identity() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
        std::fs::write(&a, "{}").expect("write");
        std::fs::write(&b, "{}").expect("write");
        let cache = TokenizerCache::default();
        assert!(cache.known_file(&a).is_none());
        let parsed = cache.parse(b"{}").expect("parses");
        cache.remember_file(&a, &parsed);
        assert!(cache.known_file(&a).is_some() || cfg!(not(unix)));
        assert!(cache.known_file(&b).is_none(), "another file");
        #[cfg(unix)]
        {
            let link = dir.path().join("link.json");
            std::fs::hard_link(&a, &link).expect("link");
            assert!(
                cache.known_file(&link).is_some(),
                "a hard link is the same file"
            );
        }
    }

    #[test]
    fn hashes_see_every_byte() {
        assert_ne!(hash(b"abcdefgh1"), hash(b"abcdefgh2"));
        assert_ne!(hash(b"abcdefgh"), hash(b"abcdefgi"));
        assert_ne!(hash(b""), hash(b"\0"));
    }
}

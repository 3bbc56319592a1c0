//! What discovery and loading agree on about files on disk: how large a
//! file may be before it is not read, what a Git LFS pointer starts with,
//! which names are GGUF files, and the one way the tool reads a file. A
//! leaf (it imports nothing from the crate), so `discover` runs before
//! `load` without either importing the other's internals (they formed an
//! import cycle), and every reader (discover, load, gguf, config, hub, fix)
//! shares it.
//!
//! The one reader: a name in a repository can hold anything: a FIFO
//! (opening it for reading waits for a writer forever), a symlink to
//! `/dev/zero` (reading it never ends), a multi-GB file. So:
//! - only a regular file is opened, judged on the opened handle's own
//!   metadata (a name swapped for a FIFO between a check and the open cannot
//!   slip through), and opened non-blocking on Unix, so even that open
//!   returns at once;
//! - the read is bounded by the caller's cap (`Read::take`), never by the
//!   size the file claims: a file that grows while read stops at the cap.
//!
//! Inputs the user names for one command (`--messages`, `--tools`, stdin)
//! may be pipes (`--messages <(jq …)`): `read_input` accepts those, with the
//! same cap.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Files larger than this are not read. The largest real tokenizer_config.json
/// we know is a few MB (Gemma's, 1.2 MB); templates are kilobytes. The cap
/// keeps a stray multi-GB file (or a device node) from exhausting memory.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// First line of a Git LFS pointer file (https://github.com/git-lfs/git-lfs/blob/main/docs/spec.md).
pub const LFS_POINTER: &str = "version https://git-lfs.github.com/spec/v1";

/// Whether a file name is a GGUF file's (`.gguf`, any case).
pub fn is_gguf_name(name: &str) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
}

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadFail {
    /// Nothing at that path (or a dangling symlink).
    Missing,
    /// A folder, FIFO, socket or device.
    NotRegular,
    /// Larger than the cap (`len` is what was seen: the claimed size, or
    /// the cap plus one when the file grew past it while read).
    TooLarge { len: u64, cap: u64 },
    /// Any other I/O error (permission denied, a path too long, …).
    Io(std::io::Error),
}

impl fmt::Display for ReadFail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFail::Missing => f.write_str("no such file"),
            ReadFail::NotRegular => {
                f.write_str("not a regular file (a folder, FIFO, socket or device)")
            }
            ReadFail::TooLarge { len, cap } => write!(
                f,
                "{} MB, over the {} MB limit",
                len / (1024 * 1024),
                cap / (1024 * 1024)
            ),
            ReadFail::Io(e) => write!(f, "{e}"),
        }
    }
}

fn io_fail(e: std::io::Error) -> ReadFail {
    match e.kind() {
        std::io::ErrorKind::NotFound => ReadFail::Missing,
        _ => ReadFail::Io(e),
    }
}

/// Open `path` for reading if it is a regular file (after following
/// symlinks). Never blocks: a FIFO is refused before and after the open.
pub fn open_regular(path: &Path) -> Result<File, ReadFail> {
    // Refuse what is plainly not a file before opening it at all.
    let before = std::fs::metadata(path).map_err(|e| match io_fail(e) {
        // A link to nothing is there, and broken: not the same as absent.
        ReadFail::Missing if path.symlink_metadata().is_ok() => ReadFail::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "a symbolic link to a path that does not exist",
        )),
        other => other,
    })?;
    if !before.is_file() {
        return Err(ReadFail::NotRegular);
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO put there since the check opens at once instead of waiting
        // for a writer; for a regular file the flag changes nothing.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io_fail)?;
    // Judge what was opened, not what the name was a moment ago.
    if !file.metadata().map_err(ReadFail::Io)?.is_file() {
        return Err(ReadFail::NotRegular);
    }
    Ok(file)
}

/// The bytes of the regular file at `path`, at most `cap` of them.
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadFail> {
    let file = open_regular(path)?;
    let len = file.metadata().map_err(ReadFail::Io)?.len();
    if len > cap {
        return Err(ReadFail::TooLarge { len, cap });
    }
    // Sized once from the metadata: growing by doubling would copy a 30 MB
    // tokenizer.json several times and hold up to twice its size.
    read_bounded(file, cap, len as usize)
}

/// A file or pipe the user named for one command (`-` is stdin), at most
/// `cap` bytes. Pipes are allowed (process substitution); devices and
/// folders are not.
pub fn read_input(path: &Path, cap: u64) -> Result<Vec<u8>, ReadFail> {
    if path.as_os_str() == "-" {
        return read_bounded(std::io::stdin().lock(), cap, 0);
    }
    let meta = std::fs::metadata(path).map_err(io_fail)?;
    #[cfg(unix)]
    let pipe = std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type());
    #[cfg(not(unix))]
    let pipe = false;
    if !meta.is_file() && !pipe {
        return Err(ReadFail::NotRegular);
    }
    read_bounded(File::open(path).map_err(io_fail)?, cap, 0)
}

/// Read to the end, but never more than `cap` bytes; `expected` is the
/// size the file claims (a capacity hint, capped).
fn read_bounded(source: impl Read, cap: u64, expected: usize) -> Result<Vec<u8>, ReadFail> {
    let hint = (expected as u64).min(cap).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    source
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadFail::Io)?;
    if bytes.len() as u64 > cap {
        return Err(ReadFail::TooLarge {
            len: bytes.len() as u64,
            cap,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_file_and_refuses_what_is_not_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.json");
        std::fs::write(&file, b"{}").expect("write");
        assert_eq!(read_capped(&file, 10).expect("reads"), b"{}");
        assert!(matches!(
            read_capped(&file, 1),
            Err(ReadFail::TooLarge { len: 2, cap: 1 })
        ));
        assert!(matches!(
            read_capped(&dir.path().join("none"), 10),
            Err(ReadFail::Missing)
        ));
        assert!(matches!(
            read_capped(dir.path(), 10),
            Err(ReadFail::NotRegular)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_not_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let link = dir.path().join("tokenizer.json");
        std::os::unix::fs::symlink("/dev/zero", &link).expect("symlink");
        assert!(matches!(read_capped(&link, 10), Err(ReadFail::NotRegular)));
        assert!(matches!(read_input(&link, 10), Err(ReadFail::NotRegular)));
    }

    #[test]
    fn a_stream_is_cut_at_the_cap() {
        let endless = std::io::repeat(b'x');
        assert!(matches!(
            read_bounded(endless, 1000, 0),
            Err(ReadFail::TooLarge { len: 1001, .. })
        ));
    }
}

/// The top-level keys of a JSON text, its values skipped without being
/// built (discovery's question: is this a tokenizer config?); none when it
/// is JSON but not an object, `None` when it is not JSON (or not UTF-8).
pub fn top_level_keys(bytes: &[u8]) -> Option<Vec<String>> {
    std::str::from_utf8(bytes).ok()?;
    // Skipped values have no depth limit in serde_json; a full parse has
    // one (128 levels), and past it the file is not JSON to the loader.
    if nesting(bytes) >= 128 {
        return None;
    }
    serde_json::from_slice::<TopKeys>(bytes).ok().map(|k| k.0)
}

/// The deepest nesting of arrays and objects in a JSON text (brackets
/// inside strings not counted).
fn nesting(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for &b in bytes {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, false, _) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'[' | b'{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            (false, _, _) => {}
        }
    }
    deepest
}

/// The keys of a JSON object; none for any other JSON value.
struct TopKeys(Vec<String>);

impl<'de> serde::Deserialize<'de> for TopKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = TopKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopKeys, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    keys.push(key);
                }
                Ok(TopKeys(keys))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<TopKeys, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(TopKeys(Vec::new()))
            }
            fn visit_bool<E>(self, _: bool) -> Result<TopKeys, E> {
                Ok(TopKeys(Vec::new()))
            }
            fn visit_i64<E>(self, _: i64) -> Result<TopKeys, E> {
                Ok(TopKeys(Vec::new()))
            }
            fn visit_u64<E>(self, _: u64) -> Result<TopKeys, E> {
                Ok(TopKeys(Vec::new()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<TopKeys, E> {
                Ok(TopKeys(Vec::new()))
            }
            fn visit_str<E>(self, _: &str) -> Result<TopKeys, E> {
                Ok(TopKeys(Vec::new()))
            }
            fn visit_unit<E>(self) -> Result<TopKeys, E> {
                Ok(TopKeys(Vec::new()))
            }
        }
        d.deserialize_any(Keys)
    }
}

#[cfg(test)]
mod keys_tests {
    use super::top_level_keys;

    #[test]
    fn top_level_keys_are_what_a_full_parse_sees() {
        let keys = top_level_keys(br#"{"a": {"b": [1, "x"]}, "eos_token": null}"#);
        assert_eq!(keys, Some(vec!["a".to_string(), "eos_token".to_string()]));
        assert_eq!(top_level_keys(b"[1, {\"a\": 2}]"), Some(Vec::new()));
        assert_eq!(top_level_keys(b"\"s\""), Some(Vec::new()));
        assert_eq!(top_level_keys(b"{\"a\": 1,}"), None, "not JSON");
        assert_eq!(top_level_keys(b"{\"a\": 1} x"), None, "trailing text");
        assert_eq!(top_level_keys(b"{\"a\": \"\xff\"}"), None, "not UTF-8");
        let deep = |n: usize| {
            format!(
                "{{\"a\": {}1{}, \"b\": \"[[\"}}",
                "[".repeat(n),
                "]".repeat(n)
            )
        };
        assert!(top_level_keys(deep(126).as_bytes()).is_some());
        assert!(serde_json::from_str::<serde_json::Value>(&deep(126)).is_ok());
        assert_eq!(
            top_level_keys(deep(127).as_bytes()),
            None,
            "as deep as a parse refuses"
        );
        assert!(serde_json::from_str::<serde_json::Value>(&deep(127)).is_err());
    }
}

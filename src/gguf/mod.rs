//! Reading a GGUF file's metadata: the header and the key/value section,
//! never the tensor infos or the tensor data, so a 4 GB model costs what a
//! 4 KB one does. Every length is checked against the file's size before it
//! is used, and every allocation is bounded: a hostile file (truncated, bad
//! magic, a string past the end, an array count of 2^60, a key of the wrong
//! type) is an [`Invalid`] error with the byte offset, never a panic, a hang
//! or a huge allocation.
//!
//! Format facts (GGUF specification, `docs/gguf.md` in the ggml repository):
//! - header: the bytes `GGUF`, a `uint32` version, a `uint64` tensor count and
//!   a `uint64` key/value count (v2 widened counts and lengths from v1's
//!   `uint32`; v3 allows a big-endian file, where every value is big-endian
//!   and there is no flag: the version then reads as `0x03000000`);
//! - each key/value: a string key, a `uint32` value type, the value.
//!
//! What llama.cpp accepts (ggml's `gguf.cpp`, `gguf_init_from_reader`): v1 is
//! refused ("GGUFv1 is no longer supported"), versions past 3 are refused,
//! keys must be non-empty and unique, arrays of arrays are invalid, and
//! `llama_model_loader` refuses a known key of the wrong type ("key %s has
//! wrong type %s but expected type %s"). The same files are invalid here.

use std::path::Path;

mod keys;
mod reader;
pub mod vocab;

pub use keys::{EmbeddedTemplate, Metadata, TokenArray};
use reader::Reader;
pub use reader::ValueType;

/// The four bytes every GGUF file starts with.
pub const MAGIC: &[u8; 4] = b"GGUF";

/// First line of a Git LFS pointer file (git-lfs `docs/spec.md`).
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/v1";

/// More array elements than this is refused. Real arrays are vocabularies
/// and merge lists (at most a few hundred thousand entries); ggml itself
/// stops at 2^30 (`GGUF_MAX_ARRAY_ELEMENTS`). Lower here so that walking a
/// hostile string array stays well under a second.
pub const MAX_ARRAY_ELEMENTS: u64 = 1 << 24;

/// More metadata than this is refused: real metadata (vocabulary, merges,
/// an embedded tokenizer.json) is tens of MB at most.
pub const MAX_METADATA_BYTES: u64 = 256 * 1024 * 1024;

/// More keys than this is refused (real files have well under 100).
pub const MAX_KEYS: u64 = 1 << 16;

/// Longest key: the specification's limit ("at most 2^16-1 bytes").
pub const MAX_KEY_BYTES: u64 = 65_535;

/// Why a file's metadata cannot be used.
#[derive(Debug)]
pub enum ReadError {
    /// The file is a Git LFS pointer: the model was not checked out.
    LfsPointer,
    /// The file cannot be opened or its size read.
    Io(std::io::Error),
    /// The bytes are not valid GGUF (or not what llama.cpp accepts).
    Invalid(Invalid),
}

/// A structural problem at a byte offset of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub offset: u64,
    /// One line, naming the key when there is one.
    pub message: String,
}

impl Invalid {
    pub fn new(offset: u64, message: impl Into<String>) -> Invalid {
        Invalid {
            offset,
            message: message.into(),
        }
    }
}

impl ReadError {
    /// Why the one reader (`files`) refused to open the file.
    pub fn from_fail(fail: crate::files::ReadFail) -> ReadError {
        use crate::files::ReadFail;
        match fail {
            ReadFail::Io(e) => ReadError::Io(e),
            ReadFail::Missing => ReadError::Io(std::io::ErrorKind::NotFound.into()),
            other @ (ReadFail::NotRegular | ReadFail::TooLarge { .. }) => {
                ReadError::Io(std::io::Error::other(other.to_string()))
            }
        }
    }
}

impl From<Invalid> for ReadError {
    fn from(e: Invalid) -> ReadError {
        ReadError::Invalid(e)
    }
}

/// Read the metadata of the GGUF file at `path`.
pub fn read(path: &Path) -> Result<Metadata, ReadError> {
    let file = crate::files::open_regular(path).map_err(ReadError::from_fail)?;
    let len = file.metadata().map_err(ReadError::Io)?.len();
    read_from(file, len)
}

/// Read metadata from any seekable source of `len` bytes (tests use memory).
pub fn read_from<R: std::io::Read + std::io::Seek>(
    source: R,
    len: u64,
) -> Result<Metadata, ReadError> {
    let mut r = Reader::new(source, len);
    let version = header(&mut r)?;
    let tensors = r.u64("the tensor count")?;
    let count = r.u64("the key/value count")?;
    if count > MAX_KEYS || count.saturating_mul(13) > r.remaining() {
        // A key/value takes at least 13 bytes: an 8-byte key length, one key
        // byte, a 4-byte type (and a value).
        return Err(r
            .invalid(format!(
                "the header claims {count} metadata keys, more than the rest of the file ({} bytes) can hold",
                r.remaining()
            ))
            .into());
    }
    let mut meta = keys::read_all(&mut r, count)?;
    meta.version = version;
    meta.big_endian = r.big_endian;
    meta.tensor_count = tensors;
    meta.file_len = len;
    Ok(meta)
}

/// Check the magic and the version; set the byte order.
fn header<R: std::io::Read + std::io::Seek>(r: &mut Reader<R>) -> Result<u32, ReadError> {
    let magic = r.array::<4>("the magic bytes")?;
    if &magic != MAGIC {
        r.seek_to(0)?;
        let head = r.bytes(r.remaining().min(LFS_POINTER.len() as u64), "the start")?;
        if head == LFS_POINTER {
            return Err(ReadError::LfsPointer);
        }
        return Err(Invalid::new(
            0,
            format!(
                "not a GGUF file: it starts with `{}`, not `GGUF`",
                shown_bytes(&magic)
            ),
        )
        .into());
    }
    let raw = r.array::<4>("the version")?;
    let le = u32::from_le_bytes(raw);
    // ggml: a version whose low 16 bits are zero was written in the other
    // byte order ("is there a mismatch between the host and model endianness?").
    let version = if le & 0xFFFF == 0 {
        r.big_endian = true;
        u32::from_be_bytes(raw)
    } else {
        le
    };
    match version {
        2 | 3 => Ok(version),
        1 => Err(Invalid::new(
            4,
            "GGUF version 1, which llama.cpp no longer loads (\"GGUFv1 is no longer supported\"); reconvert the model",
        )
        .into()),
        v => Err(Invalid::new(
            4,
            format!("unknown GGUF version {v} (this tool reads versions 2 and 3)"),
        )
        .into()),
    }
}

/// Up to 4 bytes as text, non-printable ones escaped.
fn shown_bytes(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                (b as char).to_string()
            } else {
                format!("\\x{b:02x}")
            }
        })
        .collect()
}

//! What discovery and loading agree on about files on disk: how large a
//! file may be before it is not read, what a Git LFS pointer starts with,
//! and which names are GGUF files. A leaf (it imports nothing from the
//! crate), so `discover` runs before `load` without either importing the
//! other's internals (they formed an import cycle).

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

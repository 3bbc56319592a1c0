//! What a file found by the walk (or named on the command line) makes of
//! itself: its folder a model folder, a loose template, or nothing — a
//! marker name alone is not enough (see the module docs of `discover`).

use std::path::{Path, PathBuf};

use super::{is_model_folder, COMPANION_FILES, HF_FILES, MARKER_FILES};
use crate::files::{is_gguf_name, LFS_POINTER, MAX_FILE_BYTES};

/// What a file makes of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Its folder is a model folder.
    Folder,
    /// It is checked on its own.
    Loose,
}

/// The folder holding `path`, `.` for a bare name.
fn parent_or_dot(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The model folder (or loose file) a file belongs to. Files matched by a
/// glob must look like templates; files named explicitly always count.
pub(super) fn classify(file: &Path, explicit: bool) -> Option<(PathBuf, Kind)> {
    let name = file.file_name()?.to_string_lossy();
    let parent = parent_or_dot(file);
    if MARKER_FILES.contains(&name.as_ref()) {
        let model =
            explicit || in_model_folder(file, &parent) || looks_like_model_file(file, &name);
        return model.then_some((parent, Kind::Folder));
    }
    if explicit && COMPANION_FILES.contains(&name.as_ref()) {
        return is_model_folder(&parent).then_some((parent, Kind::Folder));
    }
    // A GGUF file belongs to its folder's model (loading reads every GGUF
    // there); a folder of only GGUF files is a model folder of its own.
    if is_gguf_name(&name) {
        return Some((parent, Kind::Folder));
    }
    let ext = Path::new(name.as_ref())
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if ext.as_deref() == Some("jinja")
        && parent
            .file_name()
            .is_some_and(|n| n == "additional_chat_templates")
    {
        let folder = parent_or_dot(&parent);
        let model = explicit
            || in_model_folder(file, &folder)
            || looks_like_model_file(file, "chat_template.jinja");
        return model.then_some((folder, Kind::Folder));
    }
    let loose = explicit
        || match ext.as_deref() {
            Some("jinja") => true,
            Some("json") => json_has_chat_template(file),
            _ => false,
        };
    loose.then(|| (file.to_path_buf(), Kind::Loose))
}

/// Whether `dir` holds a Hugging Face file other than `file` itself.
fn in_model_folder(file: &Path, dir: &Path) -> bool {
    HF_FILES.iter().any(|name| {
        let other = dir.join(name);
        other.is_file() && other.file_name() != file.file_name()
    })
}

/// Whether a file with a marker name, in a folder with no other Hugging Face
/// file, holds what that name holds in a model folder:
/// - `chat_template.json`: a top-level `chat_template` key (transformers'
///   processor reads only that key; LMDeploy's `chat_template.json` is
///   `{"model_name", "system", "meta_instruction", …}`);
/// - `tokenizer_config.json`: a JSON object with a tokenizer setting (a
///   `chat_template`, `tokenizer_class`, `added_tokens_decoder`,
///   `model_max_length`, or a special token `*_token` / `*_tokens`);
/// - a `.jinja` template: one that reads `messages` (every chat template
///   does; a web page's or a prompt file's Jinja does not).
///
/// A file that cannot be read or parsed, an empty one and a Git LFS pointer
/// count: loading says why they fail.
fn looks_like_model_file(file: &Path, name: &str) -> bool {
    match name {
        "chat_template.json" => read_capped(file).is_none() || json_has_chat_template(file),
        "tokenizer_config.json" => json_object_keys(file).is_none_or(|keys| {
            keys.iter().any(|k| {
                matches!(
                    k.as_str(),
                    "chat_template"
                        | "tokenizer_class"
                        | "added_tokens_decoder"
                        | "model_max_length"
                ) || k.ends_with("_token")
                    || k.ends_with("_tokens")
            })
        }),
        _ => read_capped(file).is_none_or(|bytes| match std::str::from_utf8(&bytes) {
            Ok(text) => {
                text.trim().is_empty() || text.starts_with(LFS_POINTER) || text.contains("messages")
            }
            Err(_) => true,
        }),
    }
}

/// The file's bytes, when it is a regular file under the size cap (the
/// one reader, `files`: a FIFO or device is never opened).
fn read_capped(file: &Path) -> Option<Vec<u8>> {
    crate::files::read_capped(file, MAX_FILE_BYTES).ok()
}

/// The top-level keys of a JSON file; `None` when it cannot be read or is
/// not JSON (loading reports why); no keys when it is JSON but not an object.
/// Values are skipped without building them (loading parses the file
/// again, fully: discovery only decides whether to load it).
fn json_object_keys(file: &Path) -> Option<Vec<String>> {
    let bytes = read_capped(file)?;
    crate::files::top_level_keys(&bytes)
}

/// Whether a JSON file found by a glob has a top-level `chat_template` key.
/// Unparsable files that mention the key count (loading reports why they
/// fail); files over the size cap do not (they are not configs).
fn json_has_chat_template(file: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        chat_template: Option<serde::de::IgnoredAny>,
    }
    let Some(bytes) = read_capped(file) else {
        return false;
    };
    let needle = b"\"chat_template\"";
    if !bytes.windows(needle.len()).any(|w| w == needle) {
        return false;
    }
    match serde_json::from_slice::<Probe>(&bytes) {
        Ok(p) => p.chat_template.is_some(),
        Err(e) => !e.is_data(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_files() {
        let c = |p: &str, explicit| classify(Path::new(p), explicit);
        assert_eq!(
            c("m/tokenizer_config.json", false),
            Some((PathBuf::from("m"), Kind::Folder))
        );
        assert_eq!(
            c("tokenizer_config.json", false),
            Some((PathBuf::from("."), Kind::Folder))
        );
        assert_eq!(
            c("m/additional_chat_templates/rag.jinja", false),
            Some((PathBuf::from("m"), Kind::Folder))
        );
        assert_eq!(
            c("t/llama.jinja", false),
            Some((PathBuf::from("t/llama.jinja"), Kind::Loose))
        );
        assert_eq!(c("t/README.md", false), None);
        assert_eq!(
            c("t/README.md", true),
            Some((PathBuf::from("t/README.md"), Kind::Loose))
        );
    }
}

//! Reading files safely: every way a file can be unusable (missing bytes,
//! too large, not UTF-8, empty, a Git LFS pointer, not JSON) becomes a
//! `config-invalid` finding with a span, never a panic or an abort.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::json::offset_of;
use super::{LoadedModel, SourceFile};
use crate::discover::join_rel;
use crate::finding::{Finding, Span};
use crate::rule::Rule;

// Kept reachable here for `tokenizer.rs`.
pub use super::folder::SPECIAL_TOKEN_KEYS;

pub use crate::files::{LFS_POINTER, MAX_FILE_BYTES};

/// A file's text, read into `model.sources`.
pub struct Text {
    pub text: String,
    /// Relative to the scan root, `/`-separated.
    pub path: String,
}

/// Read `path` (shown as `display`) as UTF-8 text. `None` (with a finding
/// when the file exists but is unusable) when there is nothing to use.
pub fn read_text(model: &mut LoadedModel, path: &Path, display: &str) -> Option<Text> {
    let bad = |msg: String| Finding::new(Rule::ConfigInvalid, display, msg);
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            model
                .findings
                .push(bad(format!("cannot read `{display}`: {e}")));
            return None;
        }
    };
    if !meta.is_file() {
        model.findings.push(
            bad(format!("`{display}` is not a regular file")).with_help(
                "transformers opens this name as a file; rename or remove what is there",
            ),
        );
        return None;
    }
    if meta.len() > MAX_FILE_BYTES {
        model.findings.push(
            bad(format!(
                "`{display}` is {} MB, over the {} MB limit for config and template files; not read",
                meta.len() / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ))
            .with_help("a chat template or tokenizer config this large is almost certainly the wrong file"),
        );
        return None;
    }
    let mut bytes = Vec::new();
    let read =
        std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes));
    if let Err(e) = read {
        model
            .findings
            .push(bad(format!("cannot read `{display}`: {e}")));
        return None;
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        model.findings.push(bad(format!(
            "`{display}` grew past the size limit while being read"
        )));
        return None;
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            model.sources.push(SourceFile {
                path: display.to_string(),
                text: lossy,
            });
            model.findings.push(
                bad(format!(
                    "`{display}` is not valid UTF-8 (byte {at}); transformers reads it as UTF-8 and fails"
                ))
                .with_span(Span::new(at, at + 1))
                .with_help("re-save the file as UTF-8"),
            );
            return None;
        }
    };
    if text.starts_with(LFS_POINTER) {
        model.sources.push(SourceFile {
            path: display.to_string(),
            text: text.clone(),
        });
        model.findings.push(
            bad(format!(
                "`{display}` is a Git LFS pointer, not the file itself"
            ))
            .with_span(Span::new(0, LFS_POINTER.len()))
            .with_help(
                "run `git lfs pull`, or check out with LFS (`lfs: true` in actions/checkout)",
            ),
        );
        return None;
    }
    if text.trim().is_empty() {
        model.findings.push(
            bad(format!("`{display}` is empty"))
                .with_help("an interrupted download or save leaves empty files; restore the file"),
        );
        return None;
    }
    model.sources.push(SourceFile {
        path: display.to_string(),
        text: text.clone(),
    });
    Some(Text {
        text,
        path: display.to_string(),
    })
}

/// Read and parse a JSON file. Invalid JSON is a finding pointing at the
/// error (serde_json's line and column, as a byte span).
pub fn read_json(model: &mut LoadedModel, path: &Path, display: &str) -> Option<(Text, Value)> {
    let text = read_text(model, path, display)?;
    match serde_json::from_str::<Value>(&text.text) {
        Ok(v) => Some((text, v)),
        Err(e) => {
            let at = offset_of(&text.text, e.line(), e.column());
            let mut finding = Finding::new(
                Rule::ConfigInvalid,
                display,
                format!("`{display}` is not valid JSON: {}", serde_error_text(&e)),
            )
            .with_span(Span::new(at, at + 1));
            if text.text.starts_with('\u{feff}') {
                finding = finding.with_help(
                    "the file starts with a UTF-8 byte-order mark, which Python's `json` rejects; save it without one",
                );
            } else {
                finding = finding.with_help("fix the JSON syntax at this position");
            }
            model.findings.push(finding);
            None
        }
    }
}

/// serde_json's message without its trailing " at line L column C" (the
/// report prints the position itself).
fn serde_error_text(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

/// `rel` inside the folder, for display.
pub fn display_path(model: &LoadedModel, rel: &str) -> String {
    join_rel(&model.rel_dir, rel)
}

//! Reading files safely: every way a file can be unusable (missing bytes,
//! too large, not UTF-8, empty, a Git LFS pointer, not JSON) becomes a
//! `config-invalid` finding with a span, never a panic or an abort.

use std::path::Path;

use serde_json::Value;

use super::json::offset_of;
use super::{LoadedModel, SourceFile};
use crate::discover::join_rel;
use crate::files::{read_capped, ReadFail};
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

/// The finding for a file that could not be read (none when it is missing).
pub fn unreadable(display: &str, fail: &ReadFail) -> Option<Finding> {
    let bad = |msg: String| Finding::new(Rule::ConfigInvalid, display, msg);
    Some(match fail {
        ReadFail::Missing => return None,
        ReadFail::NotRegular => bad(format!(
            "`{display}` is not a regular file (a folder, FIFO, socket or device); not read"
        ))
        .with_help("transformers opens this name as a file; rename or remove what is there"),
        ReadFail::TooLarge { .. } => bad(format!(
            "`{display}` is {fail} for config and template files; not read"
        ))
        .with_help(
            "a chat template or tokenizer config this large is almost certainly the wrong file",
        ),
        ReadFail::Io(e) => bad(format!("cannot read `{display}`: {e}")),
    })
}

/// Read `path` (shown as `display`) as UTF-8 text. `None` (with a finding
/// when the file exists but is unusable) when there is nothing to use.
pub fn read_text(model: &mut LoadedModel, path: &Path, display: &str) -> Option<Text> {
    let text = read_checked(model, path, display, MAX_FILE_BYTES, "")?;
    model.sources.push(SourceFile {
        path: display.to_string(),
        text: text.clone(),
    });
    Some(Text {
        text,
        path: display.to_string(),
    })
}

/// The text of a file that exists, is readable within `cap`, is UTF-8, not a
/// Git LFS pointer and not empty; otherwise a finding (its message ending
/// with `consequence`, what could not be checked without the file).
fn read_checked(
    model: &mut LoadedModel,
    path: &Path,
    display: &str,
    cap: u64,
    consequence: &str,
) -> Option<String> {
    let bad =
        |msg: String| Finding::new(Rule::ConfigInvalid, display, format!("{msg}{consequence}"));
    let bytes = match read_capped(path, cap) {
        Ok(bytes) => bytes,
        Err(fail) => {
            model
                .findings
                .extend(unreadable(display, &fail).map(|f| Finding {
                    message: format!("{}{consequence}", f.message),
                    ..f
                }));
            return None;
        }
    };
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
    Some(text)
}

/// Read and parse a JSON file. Invalid JSON is a finding pointing at the
/// error (serde_json's line and column, as a byte span).
pub fn read_json(model: &mut LoadedModel, path: &Path, display: &str) -> Option<(Text, Value)> {
    let text = read_text(model, path, display)?;
    match serde_json::from_str::<Value>(&text.text) {
        Ok(v) => Some((text, v)),
        Err(e) => {
            json_error(model, display, &text.text, &e, "");
            None
        }
    }
}

/// A file the rules read for facts (tokenizer.json, generation_config.json,
/// …), parsed by `parse`. A missing file is `None` without a word; an
/// unreadable or unparsable one is `None` with a `config-invalid` finding
/// whose message ends with `consequence` (what went unchecked, so a rule
/// that lost its input says so). Its text is kept only for a finding.
pub fn read_facts<T>(
    model: &mut LoadedModel,
    path: &Path,
    name: &str,
    cap: u64,
    consequence: &str,
    parse: impl FnOnce(&str) -> Result<T, serde_json::Error>,
) -> Option<T> {
    let display = display_path(model, name);
    let text = read_checked(model, path, &display, cap, consequence)?;
    match parse(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            json_error(model, &display, &text, &e, consequence);
            model.sources.push(SourceFile {
                path: display,
                text,
            });
            None
        }
    }
}

/// The finding for JSON serde_json rejected, at the error's position.
fn json_error(
    model: &mut LoadedModel,
    display: &str,
    text: &str,
    e: &serde_json::Error,
    consequence: &str,
) {
    let at = offset_of(text, e.line(), e.column());
    let help = if text.starts_with('\u{feff}') {
        "the file starts with a UTF-8 byte-order mark, which Python's `json` rejects; save it without one"
    } else if e.to_string().starts_with("recursion limit exceeded") {
        "no Hugging Face file nests this deep; restore the file"
    } else {
        "fix the JSON syntax at this position"
    };
    model.findings.push(
        Finding::new(
            Rule::ConfigInvalid,
            display,
            format!(
                "`{display}` is not valid JSON: {}{consequence}",
                serde_error_text(e)
            ),
        )
        .with_span(Span::new(at, at + 1))
        .with_help(help),
    );
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

//! Changing a template's text in its file while keeping everything else
//! byte for byte: in a JSON file only the bytes of the string literal that
//! differ change (key order, indentation, the other values, the final
//! newline and the literal's own escaping style stay); a `.jinja` file is
//! the template itself.
//!
//! New text inside a JSON literal is escaped the way Python's `json.dumps`
//! escapes it, since transformers writes tokenizer_config.json with
//! `json.dumps(..., indent=2, sort_keys=True, ensure_ascii=False)`
//! (`PreTrainedTokenizerBase.save_pretrained`): non-ASCII stays as it is,
//! unless the file already writes it as `\uXXXX` (`ensure_ascii=True`, the
//! json default that older tools used), which is then kept.
//!
//! Pure: text in, edits out.

use crate::load::{decode_string, Origin, Template};

/// Replace bytes `start..end` of a file with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Apply non-overlapping edits to `src`. `None` when two edits overlap.
pub fn apply(src: &str, edits: &[Edit]) -> Option<String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(src.len());
    let mut at = 0;
    for e in sorted {
        if e.start < at || e.end < e.start {
            return None;
        }
        out.push_str(src.get(at..e.start)?);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(src.get(at..)?);
    Some(out)
}

/// The edit of `src` (the text of `template.path`) that turns `template`'s
/// text into `new`. `None` when the template's literal cannot be found
/// exactly where loading found it (the file is not what was loaded).
pub fn template_edit(src: &str, template: &Template, new: &str) -> Option<Edit> {
    let old = template.text.as_str();
    let (p, s) = common_ends(old, new);
    let middle = &new[p..new.len() - s];
    match template.origin {
        Origin::JinjaFile | Origin::AdditionalJinja => {
            (src == old).then_some(())?;
            Some(Edit {
                start: p,
                end: old.len() - s,
                text: middle.to_string(),
            })
        }
        Origin::TokenizerConfig | Origin::ChatTemplateJson => {
            let quote = template.offsets.to_file(0).checked_sub(1)?;
            let decoded = decode_string(src, quote).filter(|d| d.text == old)?;
            let ascii = ascii_style(&src[quote..decoded.end], src);
            Some(Edit {
                start: decoded.offsets.to_file(p),
                end: decoded.offsets.to_file(old.len() - s),
                text: json_escape(middle, ascii),
            })
        }
        Origin::Gguf => None,
    }
}

/// Lengths of the common prefix and suffix of `a` and `b`, on character
/// boundaries, not overlapping.
fn common_ends(a: &str, b: &str) -> (usize, usize) {
    let mut p = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !a.is_char_boundary(p) || !b.is_char_boundary(p) {
        p -= 1;
    }
    let max = a.len().min(b.len()) - p;
    let mut s = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take(max)
        .take_while(|(x, y)| x == y)
        .count();
    while !a.is_char_boundary(a.len() - s) || !b.is_char_boundary(b.len() - s) {
        s -= 1;
    }
    (p, s)
}

/// Whether new text in `literal` should be written `ensure_ascii=True`:
/// the literal (else the file) spells non-ASCII characters as `\uXXXX`
/// escapes and holds none raw.
fn ascii_style(literal: &str, file: &str) -> bool {
    let judge = |text: &str| {
        if !text.is_ascii() {
            Some(false)
        } else if escapes_non_ascii(text) {
            Some(true)
        } else {
            None
        }
    };
    judge(literal).or_else(|| judge(file)).unwrap_or(false)
}

/// A `\uXXXX` escape of a character above U+007F.
fn escapes_non_ascii(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 5 < b.len() {
        if b[i] == b'\\' {
            if b[i + 1] == b'u' {
                let hex = std::str::from_utf8(&b[i + 2..i + 6]).ok();
                if hex
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .is_some_and(|v| v > 0x7f)
                {
                    return true;
                }
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// `text` escaped as inside a JSON string, as Python's `json.dumps` does
/// (`ensure_ascii` as given): the renderer's `tojson` encoder, unquoted.
pub fn json_escape(text: &str, ensure_ascii: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    crate::render::python_json_string(&mut out, text, ensure_ascii);
    out[1..out.len() - 1].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_python_json() {
        assert_eq!(
            json_escape("a\"b\\c\nd\u{1}é🚀", false),
            "a\\\"b\\\\c\\nd\\u0001é🚀"
        );
        assert_eq!(
            json_escape("é🚀\u{7f}", true),
            "\\u00e9\\ud83d\\ude80\\u007f"
        );
    }

    #[test]
    fn common_ends_stay_on_char_boundaries() {
        assert_eq!(common_ends("abc", "abXc"), (2, 1));
        assert_eq!(common_ends("aé", "aè"), (1, 0));
        assert_eq!(common_ends("aa", "aaa"), (2, 0));
        assert_eq!(common_ends("", "x"), (0, 0));
    }

    #[test]
    fn apply_rejects_overlaps() {
        let e = |start, end, text: &str| Edit {
            start,
            end,
            text: text.into(),
        };
        assert_eq!(
            apply("abcdef", &[e(4, 5, "X"), e(0, 1, "Y")]).as_deref(),
            Some("YbcdXf")
        );
        assert_eq!(apply("abcdef", &[e(0, 3, "X"), e(2, 4, "Y")]), None);
    }

    #[test]
    fn only_the_changed_bytes_of_a_literal_are_rewritten() {
        // `\/` and `\u003c` are kept as written; the new text is escaped.
        let src = "{\"chat_template\": \"a\\/b\\u003cc\"}\n";
        let quote = src.find("\"a").expect("literal");
        let decoded = decode_string(src, quote).expect("decodes");
        let t = Template {
            name: "default".into(),
            text: decoded.text.clone(),
            origin: Origin::TokenizerConfig,
            path: "tokenizer_config.json".into(),
            offsets: decoded.offsets,
        };
        assert_eq!(t.text, "a/b<c");
        let edit = template_edit(src, &t, "a/b<c{{ '\"\n' }}").expect("edit");
        let out = apply(src, &[edit]).expect("applies");
        assert_eq!(
            out,
            "{\"chat_template\": \"a\\/b\\u003cc{{ '\\\"\\n' }}\"}\n"
        );
        let after: serde_json::Value = serde_json::from_str(&out).expect("json");
        assert_eq!(after["chat_template"], "a/b<c{{ '\"\n' }}");
        // A file that is not what was loaded is not edited.
        assert!(template_edit("{\"chat_template\": \"x\"}", &t, "y").is_none());
    }

    #[test]
    fn ascii_style_follows_the_literal_then_the_file() {
        assert!(ascii_style("\"caf\\u00e9\"", ""));
        assert!(!ascii_style("\"café\"", "\\u00e9"));
        assert!(!ascii_style("\"x\"", "{}"));
        assert!(ascii_style("\"x\"", "{\"a\": \"\\u00e9\"}"));
    }
}

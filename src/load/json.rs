//! Finding values inside a JSON file's text: byte spans of object members and
//! array elements, and JSON errors as byte spans.
//!
//! serde_json gives values without positions. Findings need positions (the
//! wrong-typed `chat_template`, the template literal an `OffsetMap` starts
//! from), so this walks the text of a file serde_json has already accepted.
//! The walk is iterative (no recursion on nesting) and never panics on any
//! input: on text it does not understand it returns `None`.

use super::offsets::{decode_string, DecodedString};
use crate::finding::Span;

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// Byte just past the string literal whose opening quote is at `i`.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match *b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

/// Byte just past the JSON value starting at `i` (after whitespace).
pub fn skip_value(src: &str, i: usize) -> Option<usize> {
    let b = src.as_bytes();
    let i = skip_ws(b, i);
    match *b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            // number, true, false, null
            let mut j = i;
            while matches!(b.get(j), Some(c) if !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// The span of the value starting at `i` (after whitespace).
pub fn value_span(src: &str, i: usize) -> Option<Span> {
    let start = skip_ws(src.as_bytes(), i);
    Some(Span::new(start, skip_value(src, start)?))
}

/// Members of the object at `obj` (after whitespace): `(key, key_quote, value_start)`.
pub fn members(src: &str, obj: usize) -> Option<Vec<(String, usize, usize)>> {
    let b = src.as_bytes();
    let mut i = skip_ws(b, obj);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    let mut out = Vec::new();
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b'}') {
        return Some(out);
    }
    loop {
        let key_quote = i;
        let DecodedString { text: key, end, .. } = decode_string(src, key_quote)?;
        i = skip_ws(b, end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let value = skip_ws(b, i + 1);
        out.push((key, key_quote, value));
        i = skip_ws(b, skip_value(src, value)?);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b'}' => return Some(out),
            _ => return None,
        }
    }
}

/// Where the value of `key` in the object at `obj` starts. With duplicate
/// keys the last one counts, as in Python's `json` and serde_json.
pub fn member(src: &str, obj: usize, key: &str) -> Option<usize> {
    members(src, obj)?
        .into_iter()
        .rev()
        .find(|(k, _, _)| k == key)
        .map(|(_, _, v)| v)
}

/// Where each element of the array at `arr` (after whitespace) starts.
pub fn elements(src: &str, arr: usize) -> Option<Vec<usize>> {
    let b = src.as_bytes();
    let mut i = skip_ws(b, arr);
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut out = Vec::new();
    i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b']') {
        return Some(out);
    }
    loop {
        out.push(i);
        i = skip_ws(b, skip_value(src, i)?);
        match b.get(i)? {
            b',' => i = skip_ws(b, i + 1),
            b']' => return Some(out),
            _ => return None,
        }
    }
}

/// The byte offset of serde_json's 1-based `line`/`column` (the column
/// counts bytes; 0 means "before the first byte of the line").
pub fn offset_of(src: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        src.match_indices('\n')
            .nth(line - 2)
            .map_or(src.len(), |(i, _)| i + 1)
    };
    let mut at = (line_start + column.saturating_sub(1)).min(src.len());
    while !src.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{
  "chat_template": "old",
  "added_tokens_decoder": {"0": {"content": "}]\"{", "special": true}},
  "list": [1, -2.5e3, true, null, {"a": [[]]}, "x,]"],
  "chat_template": [{"name": "default", "template": "hi"}]
}"#;

    #[test]
    fn finds_members_and_elements() {
        let keys: Vec<String> = members(FILE, 0)
            .expect("object")
            .into_iter()
            .map(|m| m.0)
            .collect();
        assert_eq!(
            keys,
            [
                "chat_template",
                "added_tokens_decoder",
                "list",
                "chat_template"
            ]
        );
        // The last duplicate wins.
        let v = member(FILE, 0, "chat_template").expect("member");
        assert!(FILE[v..].starts_with("[{\"name\""));
        let items = elements(FILE, v).expect("array");
        assert_eq!(items.len(), 1);
        let t = member(FILE, items[0], "template").expect("template");
        assert_eq!(&FILE[t..t + 4], "\"hi\"");
        let list = member(FILE, 0, "list").expect("list");
        assert_eq!(elements(FILE, list).expect("array").len(), 6);
        let span = value_span(FILE, list).expect("span");
        assert!(FILE[span.start..span.end].ends_with("\"x,]\"]"));
    }

    #[test]
    fn never_panics_on_garbage() {
        for bad in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":",
            "[1,",
            "\"abc",
            "{\"a\" 1}",
            "}}}",
            "[[[[",
        ] {
            let _ = members(bad, 0);
            let _ = elements(bad, 0);
            let _ = skip_value(bad, 0);
        }
        assert_eq!(offset_of("ab\ncd", 2, 2), 4);
        assert_eq!(offset_of("ab\ncd", 9, 9), 5);
        assert_eq!(offset_of("ab", 1, 0), 0);
    }
}

//! Mapping byte offsets in a decoded template back to byte offsets in the file.
//!
//! A template stored in a JSON string (`"chat_template": "{% for m in ... %}\n"`)
//! is longer in the file than after decoding (`\n` is two bytes there, one
//! here; `\u00e9` six there, two here; a surrogate pair `\ud83d\ude00` twelve
//! there, four here). Annotations must point at the real line of
//! tokenizer_config.json, so each decoded template keeps this map, built by
//! `decode_string` while it decodes the literal.

/// Piecewise-linear map: each segment starts at `template_offset` and maps to
/// `file_offset`; within a segment bytes correspond one to one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffsetMap {
    /// Sorted by template offset; always non-empty.
    segments: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// A template that is the whole file (`chat_template.jinja`).
    pub fn identity() -> Self {
        OffsetMap::starting_at(0)
    }

    /// A template whose bytes map one to one onto the file from `file_offset`.
    pub fn starting_at(file_offset: usize) -> Self {
        OffsetMap {
            segments: vec![(0, file_offset)],
        }
    }

    /// Build from explicit segments `(template_offset, file_offset)`, sorted.
    pub fn from_segments(mut segments: Vec<(usize, usize)>) -> Self {
        segments.sort_unstable();
        if segments.first().map(|s| s.0) != Some(0) {
            segments.insert(0, (0, segments.first().map(|s| s.1).unwrap_or(0)));
        }
        OffsetMap { segments }
    }

    /// The file offset of template offset `at`. An offset inside a character
    /// that an escape produced maps to the start of that escape.
    pub fn to_file(&self, at: usize) -> usize {
        let idx = match self.segments.binary_search_by(|s| s.0.cmp(&at)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (t, f) = self.segments[idx];
        match self.segments.get(idx + 1) {
            // An escape's decoded bytes (`\n`, the 2 bytes of `é` from
            // `\u00e9`) have no byte-for-byte source: point at the escape.
            Some(&(nt, nf)) if nt - t != nf - f => f,
            _ => f + (at - t),
        }
    }
}

/// A JSON string literal, decoded, with where its bytes came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedString {
    pub text: String,
    pub offsets: OffsetMap,
    /// File offset just past the closing quote.
    pub end: usize,
}

/// Decode the JSON string literal whose opening `"` is at byte `quote` of
/// `src`. Escapes are resolved the way Python's `json` module does (a lone
/// surrogate, which Python keeps but UTF-8 cannot hold, becomes U+FFFD).
/// Returns `None` when `src[quote]` is not `"` or the literal is unterminated.
pub fn decode_string(src: &str, quote: usize) -> Option<DecodedString> {
    let bytes = src.as_bytes();
    if bytes.get(quote) != Some(&b'"') {
        return None;
    }
    let mut text = String::new();
    // Segments start at the literal's first byte and after every escape.
    let mut segments = vec![(0, quote + 1)];
    let mut i = quote + 1;
    let mut run_start = i;
    loop {
        let b = *bytes.get(i)?;
        match b {
            b'"' => {
                text.push_str(&src[run_start..i]);
                return Some(DecodedString {
                    text,
                    offsets: OffsetMap::from_segments(segments),
                    end: i + 1,
                });
            }
            b'\\' => {
                text.push_str(&src[run_start..i]);
                let escape_at = i;
                let t_at = text.len();
                let (ch, len) = decode_escape(bytes, i)?;
                text.push(ch);
                i += len;
                // The escape's decoded bytes start at the escape; the next
                // literal byte maps one to one from just after it.
                segments.push((t_at, escape_at));
                segments.push((text.len(), i));
                run_start = i;
            }
            _ => i += 1,
        }
    }
}

/// One escape at `bytes[at] == b'\\'`: the character and how many file bytes it took.
fn decode_escape(bytes: &[u8], at: usize) -> Option<(char, usize)> {
    let simple = match *bytes.get(at + 1)? {
        b'n' => '\n',
        b't' => '\t',
        b'r' => '\r',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'/' => '/',
        b'\\' => '\\',
        b'"' => '"',
        b'u' => {
            let hi = hex4(bytes, at + 2)?;
            if (0xD800..0xDC00).contains(&hi)
                && bytes.get(at + 6) == Some(&b'\\')
                && bytes.get(at + 7) == Some(&b'u')
            {
                if let Some(lo) = hex4(bytes, at + 8).filter(|lo| (0xDC00..0xE000).contains(lo)) {
                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return Some((char::from_u32(code).unwrap_or('\u{fffd}'), 12));
                }
            }
            return Some((char::from_u32(hi).unwrap_or('\u{fffd}'), 6));
        }
        // Not valid JSON; serde_json rejected the file before we get here.
        _ => return None,
    };
    Some((simple, 2))
}

fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    let digits = bytes.get(at..at + 4)?;
    let s = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(s, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_through_segments() {
        // template "a\nb" stored as "a\\nb" starting at file offset 10:
        // 'a'@0→10, '\n'@1→11 (2 bytes), 'b'@2→13
        let map = OffsetMap::from_segments(vec![(0, 10), (1, 11), (2, 13)]);
        assert_eq!(map.to_file(0), 10);
        assert_eq!(map.to_file(1), 11);
        assert_eq!(map.to_file(2), 13);
        assert_eq!(map.to_file(3), 14);
        assert_eq!(OffsetMap::identity().to_file(7), 7);
    }

    /// Every byte of the decoded text that begins a character maps to the
    /// file byte that produced it: a literal byte maps to itself, an escaped
    /// character to its backslash.
    fn assert_round_trip(file: &str, quote: usize) -> DecodedString {
        let d = decode_string(file, quote).expect("decodes");
        let expected: String = serde_json::from_str(&file[quote..d.end]).expect("valid json");
        assert_eq!(d.text, expected);
        for (t, ch) in d.text.char_indices() {
            let f = d.offsets.to_file(t);
            let at_file = &file[f..];
            if at_file.starts_with('\\') {
                continue;
            }
            assert!(
                at_file.starts_with(ch),
                "template byte {t} ({ch:?}) maps to file byte {f} ({:?})",
                &at_file[..at_file.len().min(8)]
            );
        }
        d
    }

    #[test]
    fn decodes_escapes_with_exact_offsets() {
        let file = r#"{
  "bos_token": "<s>",
  "chat_template": "{% for m in messages %}\n{{ '<|im_start|>' + m[\"role\"] + '\\n' }}caf\u00e9 \ud83d\ude00 é\t{% endfor %}",
  "eos_token": "</s>"
}"#;
        let quote = file.find(r#""{% for"#).expect("literal");
        let d = assert_round_trip(file, quote);
        assert!(d
            .text
            .starts_with("{% for m in messages %}\n{{ '<|im_start|>' + m[\"role\"]"));
        assert!(d.text.contains("café 😀 é\t"));
        // The `{{` on the template's 2nd line is on the file's 3rd line, right after `\n`.
        let t = d.text.find("{{").expect("{{");
        let f = d.offsets.to_file(t);
        assert_eq!(&file[f..f + 2], "{{");
        // The end of the template maps to the closing quote.
        assert_eq!(&file[d.offsets.to_file(d.text.len())..][..1], "\"");
        assert_eq!(d.end, file.find(",\n  \"eos_token\"").expect("end"));
    }

    #[test]
    fn escape_interior_maps_to_the_escape() {
        let file = r#""x\u00e9y""#;
        let d = assert_round_trip(file, 0);
        // 'é' is bytes 1..3 of the text; byte 2 is inside it.
        assert_eq!(d.offsets.to_file(1), 2);
        assert_eq!(d.offsets.to_file(2), 2);
        assert_eq!(d.offsets.to_file(3), 8);
        let file = r#""\ud83d\ude00!""#;
        let d = assert_round_trip(file, 0);
        assert_eq!(d.text, "😀!");
        assert_eq!(d.offsets.to_file(4), 13);
    }

    #[test]
    fn lone_surrogate_and_bad_input() {
        let d = decode_string(r#""a\ud800b""#, 0).expect("decodes");
        assert_eq!(d.text, "a\u{fffd}b");
        assert_eq!(d.offsets.to_file(4), 8);
        assert!(decode_string(r#""unterminated"#, 0).is_none());
        assert!(decode_string("x", 0).is_none());
    }
}

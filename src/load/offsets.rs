//! Mapping byte offsets in a decoded template back to byte offsets in the file.
//!
//! A template stored in a JSON string (`"chat_template": "{% for m in ... %}\n"`)
//! is longer in the file than after decoding (`\n` is two bytes there, one
//! here; `\u00e9` six there, two here). Annotations must point at the real line
//! of tokenizer_config.json, so each decoded template keeps this map.

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

    /// The file offset of template offset `at`.
    pub fn to_file(&self, at: usize) -> usize {
        let idx = match self.segments.binary_search_by(|s| s.0.cmp(&at)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (t, f) = self.segments[idx];
        f + (at - t)
    }
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
}

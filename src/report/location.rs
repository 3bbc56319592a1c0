//! Byte offsets to 1-based line and column, computed only when printing.

/// 1-based (line, column) of byte `offset` in `text`; the column counts
/// characters, not bytes. Offsets past the end clamp to the end.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = clamp(text, offset);
    let before = &text[..offset];
    // Byte loops the compiler vectorizes (`matches('\n')` walks chars):
    // every finding and template of a run asks this.
    let bytes = before.as_bytes();
    let line = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}

/// `offset` clamped to the text and moved back to a character boundary.
fn clamp(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// `line_col` of `start` and of `end`, the second counted on from the
/// first: a span costs one scan from the top of the file, not two.
pub fn span_line_col(text: &str, start: usize, end: usize) -> ((usize, usize), (usize, usize)) {
    let from = line_col(text, start);
    let (start, end) = (clamp(text, start), clamp(text, end));
    if end < start {
        return (from, line_col(text, end));
    }
    let between = &text[start..end];
    let newlines = between.bytes().filter(|&b| b == b'\n').count();
    let to = match between.bytes().rposition(|b| b == b'\n') {
        Some(i) => (from.0 + newlines, between[i + 1..].chars().count() + 1),
        None => (from.0, from.1 + between.chars().count()),
    };
    (from, to)
}

/// The text of 1-based line `line` (without its newline).
pub fn line_text(text: &str, line: usize) -> &str {
    text.split('\n')
        .nth(line.saturating_sub(1))
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_ends_where_line_col_says() {
        let text = "ab\ncé d\n\n🚀x\n";
        for start in 0..=text.len() + 2 {
            for end in 0..=text.len() + 2 {
                let got = span_line_col(text, start, end);
                assert_eq!(
                    got,
                    (line_col(text, start), line_col(text, end)),
                    "{start}..{end}"
                );
            }
        }
    }

    #[test]
    fn computes_lines_and_char_columns() {
        let text = "ab\ncé d\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        // 'd' is after "cé " = 4 bytes into line 2
        assert_eq!(line_col(text, 7), (2, 4));
        assert_eq!(line_col(text, 100), (3, 1));
        assert_eq!(line_text(text, 2), "cé d");
    }
}

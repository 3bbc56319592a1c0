//! Candidate repairs of a template that lacks its generation prompt: the
//! texts `--fix` tries, in order, each one kept only if `proof` accepts it.
//!
//! 1. The baseline's template, when the candidate differs from it only by
//!    the missing generation prompt (the proof decides that: same training
//!    renders, and the baseline's prompts add exactly the header).
//! 2. An `add_generation_prompt` branch that exists but emits nothing, at the
//!    end of the template, filled with `{{- 'H' }}` (the `-` eats the
//!    whitespace inside the branch, which printed nothing before).
//! 3. `{% if add_generation_prompt %}{{ 'H' }}{% endif %}` appended where
//!    the template's output ends: before its one trailing newline, which
//!    jinja2 drops (`keep_trailing_newline=False`, transformers'
//!    `_compile_jinja_template`), so the new block is the last thing
//!    rendered. In the style of the template (`{%- … %}`/`{{- … }}` when it
//!    uses whitespace control), then plain, then `{%+ … %}`, which turns off
//!    `lstrip_blocks` for a template whose last line is indentation that
//!    the original prints.
//!
//! Pure string work; the proof renders.

/// `text` as a single-quoted Jinja string literal. jinja2 unescapes string
/// literals with Python's `unicode-escape` codec (lexer.py), minijinja with
/// the same escapes (`\\`, `\'`, `\n`, `\r`, `\t`, `\uXXXX`): quotes,
/// backslashes and every control character are escaped, the rest is kept.
pub fn jinja_string(text: &str) -> String {
    let mut out = String::from("'");
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// The texts to try for a template missing header `header`, in order
/// (without the baseline's, which the caller puts first).
pub fn candidates(text: &str, header: &str) -> Vec<String> {
    let literal = jinja_string(header);
    let mut out = Vec::new();
    if let Some(at) = empty_branch_end(text) {
        out.push(format!(
            "{}{{{{- {literal} }}}}{}",
            &text[..at],
            &text[at..]
        ));
    }
    let end = output_end(text);
    let (head, tail) = text.split_at(end);
    let dashed = format!("{{%- if add_generation_prompt %}}{{{{- {literal} }}}}{{%- endif %}}");
    let plain = format!("{{% if add_generation_prompt %}}{{{{ {literal} }}}}{{% endif %}}");
    let plus = format!("{{%+ if add_generation_prompt %}}{{{{ {literal} }}}}{{% endif %}}");
    let blocks = if text.contains("{%-") {
        vec![dashed, plain, plus]
    } else {
        vec![plain, plus]
    };
    out.extend(blocks.into_iter().map(|b| format!("{head}{b}{tail}")));
    out
}

/// Where the template's output ends: before one trailing newline (`\r\n`,
/// `\r` or `\n`, all of which jinja2's lexer treats as one).
pub fn output_end(text: &str) -> usize {
    for nl in ["\r\n", "\n", "\r"] {
        if let Some(head) = text.strip_suffix(nl) {
            return head.len();
        }
    }
    text.len()
}

/// When the template ends (after blanks) with `{% if add_generation_prompt
/// %}` and `{% endif %}` with only blanks between them: where the `{% endif`
/// tag starts.
fn empty_branch_end(text: &str) -> Option<usize> {
    let trimmed = text.trim_end();
    let endif = last_tag(trimmed, trimmed.len())?;
    if tag_words(&trimmed[endif..]) != ["endif"] {
        return None;
    }
    let before = trimmed[..endif].trim_end();
    let open = last_tag(before, before.len())?;
    (tag_words(&before[open..]) == ["if", "add_generation_prompt"]).then_some(endif)
}

/// The start of the `{% … %}` tag that ends exactly at `end`.
fn last_tag(text: &str, end: usize) -> Option<usize> {
    let head = text.get(..end)?;
    if !head.ends_with("%}") {
        return None;
    }
    head.rfind("{%")
}

/// The words inside a `{% … %}` tag, whitespace-control marks dropped.
fn tag_words(tag: &str) -> Vec<&str> {
    let inner = tag
        .trim_start_matches("{%")
        .trim_end_matches("%}")
        .trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
    inner.split_whitespace().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jinja_literals_escape_quotes_backslashes_and_controls() {
        assert_eq!(
            jinja_string("<|im_start|>assistant\n"),
            "'<|im_start|>assistant\\n'"
        );
        assert_eq!(
            jinja_string("it's \\ \r\t\u{1}"),
            "'it\\'s \\\\ \\r\\t\\u0001'"
        );
        assert_eq!(jinja_string("ü🚀"), "'ü🚀'");
    }

    #[test]
    fn blocks_go_before_the_trailing_newline() {
        let c = candidates("{% for m in messages %}{{ m.content }}{% endfor %}\n", "H");
        assert_eq!(
            c[0],
            "{% for m in messages %}{{ m.content }}{% endfor %}{% if add_generation_prompt %}{{ 'H' }}{% endif %}\n"
        );
        let dashed = candidates("{%- for m in messages %}{{- m.content }}{%- endfor %}", "H");
        assert!(dashed[0].ends_with("{%- if add_generation_prompt %}{{- 'H' }}{%- endif %}"));
        assert_eq!(output_end("a\r\n"), 1);
        assert_eq!(output_end("a\n\n"), 2);
    }

    #[test]
    fn an_empty_branch_is_filled() {
        let text = "{{ x }}{%- if add_generation_prompt %}\n    {%- endif %}\n";
        let c = candidates(text, "H");
        assert_eq!(
            c[0],
            "{{ x }}{%- if add_generation_prompt %}\n    {{- 'H' }}{%- endif %}\n"
        );
        assert!(empty_branch_end("{% if add_generation_prompt %}x{% endif %}").is_none());
        assert!(empty_branch_end("{% if other %}{% endif %}").is_none());
    }
}

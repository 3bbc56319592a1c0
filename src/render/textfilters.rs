//! jinja2 filters whose arguments or text handling minijinja's versions do
//! not match: `default`/`d` (the `boolean=` keyword), `indent` (a string
//! width, `first=`/`blank=` keywords, Python's `splitlines`), `center`,
//! `trim` (Python's whitespace).

use minijinja::value::{from_args, Kwargs, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};

use super::pyrepr::py_str;

pub fn install(env: &mut Environment<'static>) {
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("indent", indent);
    env.add_filter("center", center);
    env.add_filter("trim", trim);
}

fn plain(args: Rest<ValueOrKwargs>) -> Vec<Value> {
    args.0.into_iter().map(ValueOrKwargs::into_value).collect()
}

/// jinja2 `default(value, default_value='', boolean=False)`: the default
/// replaces undefined, or any false value when `boolean` is true. `None` is
/// not undefined.
fn default(value: &Value, args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let args = plain(args);
    let (other, boolean, kwargs): (Option<Value>, Option<Value>, Kwargs) = from_args(&args)?;
    let other = match kwargs.get::<Option<Value>>("default_value")? {
        Some(v) => v,
        None => other.unwrap_or_else(|| Value::from("")),
    };
    let boolean = match kwargs.get::<Option<Value>>("boolean")? {
        Some(b) => b.is_true(),
        None => boolean.is_some_and(|b| b.is_true()),
    };
    kwargs.assert_all_used()?;
    Ok(if value.is_undefined() || (boolean && !value.is_true()) {
        other
    } else {
        value.clone()
    })
}

/// Python's `str.splitlines()` (without keepends).
pub fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let brk = matches!(
            c,
            '\n' | '\r'
                | '\u{b}'
                | '\u{c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if brk {
            out.push(&s[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = it.peek() {
                    it.next();
                    next = j + 1;
                }
            }
            start = next;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// jinja2 `indent(s, width=4, first=False, blank=False)`; `width` may be a
/// string used as the indentation.
fn indent(value: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let args = plain(args);
    let (width, first, blank, kwargs): (Option<Value>, Option<bool>, Option<bool>, Kwargs) =
        from_args(&args)?;
    let width = kwargs.get::<Option<Value>>("width")?.or(width);
    let first = kwargs
        .get::<Option<bool>>("first")?
        .or(first)
        .unwrap_or(false);
    let blank = kwargs
        .get::<Option<bool>>("blank")?
        .or(blank)
        .unwrap_or(false);
    kwargs.assert_all_used()?;
    let pad = match &width {
        None => "    ".to_string(),
        Some(w) if w.kind() == ValueKind::String => py_str(w),
        Some(w) => {
            let w = usize::try_from(w.as_i64().unwrap_or(0)).unwrap_or(0);
            super::limits::check_built(w)?;
            " ".repeat(w)
        }
    };
    // jinja2 appends "\n" before splitting (so a trailing newline is dropped).
    let s = py_str(value) + "\n";
    let lines = splitlines(&s);
    super::limits::check_built(pad.len().saturating_mul(lines.len() + 1))?;
    let mut out = String::new();
    if blank {
        out = lines.join(&format!("\n{pad}"));
    } else {
        let mut it = lines.into_iter();
        out.push_str(it.next().unwrap_or(""));
        for line in it {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(&pad);
            }
            out.push_str(line);
        }
    }
    if first {
        out.insert_str(0, &pad);
    }
    Ok(out)
}

/// jinja2 `trim(value, chars=None)`: Python's `str(value).strip(chars)`.
fn trim(value: &Value, chars: Option<Value>) -> String {
    let s = py_str(value);
    match chars.filter(|c| !c.is_none()) {
        None => s.trim_matches(super::methods::py_isspace).to_string(),
        Some(c) => {
            let set: Vec<char> = py_str(&c).chars().collect();
            s.trim_matches(set.as_slice()).to_string()
        }
    }
}

/// jinja2 `center(value, width=80)`: Python's `str.center`.
fn center(value: &Value, width: Option<usize>) -> Result<String, Error> {
    let s = py_str(value);
    let width = width.unwrap_or(80);
    let n = s.chars().count();
    if n >= width {
        return Ok(s);
    }
    let total = width - n;
    super::limits::check_built(total)?;
    // CPython: left = total / 2 + (total & width & 1).
    let left = total / 2 + (total & width & 1);
    Ok(format!(
        "{}{s}{}",
        " ".repeat(left),
        " ".repeat(total - left)
    ))
}

#[cfg(test)]
mod tests {
    use crate::render::test_render as render;

    // Expected values are what jinja2 3.1.6 prints for the same template.

    #[test]
    fn default_takes_boolean_by_keyword() {
        assert_eq!(
            render(
                r#"{{ ""|default("d") }}{{ ""|default("d", true) }}{{ none|default("d", boolean=true) }}{{ 0|d("z", true) }}{{ none|default("d") }}"#
            ),
            "ddzNone"
        );
    }

    #[test]
    fn indent_like_jinja2() {
        assert_eq!(
            render(
                r#"{{ "a\nb\n\nc"|indent }}|{{ "a\nb"|indent(first=true) }}|{{ "a\nb"|indent("> ") }}|{{ "a\r\nb\n"|indent(2) }}"#
            ),
            "a\n    b\n\n    c|    a\n    b|a\n> b|a\n  b\n"
        );
    }

    #[test]
    fn trim_strips_python_whitespace_or_given_chars() {
        assert_eq!(
            render(r"[{{ ' \x1c a \x85'|trim }}][{{ 'xax'|trim('x') }}][{{ none|trim }}]"),
            "[a][a][None]"
        );
    }

    #[test]
    fn center_like_python() {
        assert_eq!(
            render(r#"[{{ "abc"|center(9) }}][{{ "ab"|center(5) }}]"#),
            "[   abc   ][  ab ]"
        );
    }
}

//! Python methods on template values (`s.rsplit('.', 1)`, `d.get('k')`),
//! via minijinja's unknown-method callback.
//!
//! Methods minijinja-contrib's `pycompat` lacks are implemented here with
//! Python's semantics; the rest go to `pycompat`. Mutating methods of lists
//! and dicts (`append`, `update`, `pop`, …) raise like jinja2's
//! ImmutableSandboxedEnvironment does (SecurityError).

use minijinja::value::{from_args, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::filters::type_error;

const LIST_MUTATORS: &[&str] = &[
    "append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
];
const DICT_MUTATORS: &[&str] = &["update", "pop", "popitem", "setdefault", "clear"];

pub fn unknown_method(
    state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => {
            if method == "format" {
                super::limits::check_format_specs(value.as_str().unwrap_or_default())?;
            }
            if let Some(r) = str_method(value.as_str().unwrap_or_default(), method, args) {
                return r;
            }
        }
        ValueKind::Seq if LIST_MUTATORS.contains(&method) => {
            return Err(unsafe_call(method, "list"))
        }
        ValueKind::Map if DICT_MUTATORS.contains(&method) => {
            return Err(unsafe_call(method, "dict"))
        }
        ValueKind::Seq => {
            if let Some(r) = seq_method(value, method, args) {
                return r;
            }
        }
        _ => {}
    }
    minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args)
}

fn unsafe_call(method: &str, ty: &str) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("SecurityError: access to attribute '{method}' of '{ty}' object is unsafe."),
    )
}

fn seq_method(value: &Value, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    match method {
        "index" => Some((|| {
            let (needle,): (Value,) = from_args(args)?;
            value
                .try_iter()?
                .position(|x| x == needle)
                .map(Value::from)
                .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "ValueError: x not in list"))
        })()),
        "copy" => Some(Ok(value.clone())),
        _ => None,
    }
}

fn str_method(s: &str, method: &str, args: &[Value]) -> Option<Result<Value, Error>> {
    let r = match method {
        "rsplit" => rsplit(s, args),
        // Python's str.title(): a cased character after an uncased one is
        // uppercased, every other cased character lowercased ("o'neil" →
        // "O'Neil", unlike jinja2's `|title` filter).
        "title" => (|| {
            let () = from_args(args)?;
            let mut out = String::with_capacity(s.len());
            let mut prev_cased = false;
            for c in s.chars() {
                let cased = c.is_uppercase() || c.is_lowercase();
                if cased && !prev_cased {
                    out.extend(c.to_uppercase());
                } else if cased {
                    out.extend(c.to_lowercase());
                } else {
                    out.push(c);
                }
                prev_cased = cased;
            }
            Ok(Value::from(out))
        })(),
        // Without arguments, Python strips what str.isspace() accepts.
        "strip" | "lstrip" | "rstrip" if args.iter().all(Value::is_none) => (|| {
            let _: (Option<Value>,) = from_args(args)?;
            Ok(Value::from(match method {
                "strip" => s.trim_matches(py_isspace),
                "lstrip" => s.trim_start_matches(py_isspace),
                _ => s.trim_end_matches(py_isspace),
            }))
        })(),
        "partition" | "rpartition" => (|| {
            let (sep,): (&str,) = from_args(args)?;
            if sep.is_empty() {
                return Err(value_error("empty separator"));
            }
            let found = if method == "partition" {
                s.split_once(sep)
            } else {
                s.rsplit_once(sep)
            };
            let parts = match (found, method) {
                (Some((a, b)), _) => [a, sep, b],
                (None, "partition") => [s, "", ""],
                (None, _) => ["", "", s],
            };
            Ok(Value::from(minijinja::value::Tuple::from(
                parts.iter().map(|p| Value::from(*p)).collect::<Vec<_>>(),
            )))
        })(),
        "removeprefix" => (|| {
            let (p,): (&str,) = from_args(args)?;
            Ok(Value::from(s.strip_prefix(p).unwrap_or(s)))
        })(),
        "removesuffix" => (|| {
            let (p,): (&str,) = from_args(args)?;
            Ok(Value::from(s.strip_suffix(p).unwrap_or(s)))
        })(),
        "zfill" => (|| {
            let (width,): (usize,) = from_args(args)?;
            let n = s.chars().count();
            if n >= width {
                return Ok(Value::from(s));
            }
            super::limits::check_built(width - n)?;
            let pad = "0".repeat(width - n);
            Ok(Value::from(match s.chars().next() {
                Some(c @ ('+' | '-')) => format!("{c}{pad}{}", &s[1..]),
                _ => format!("{pad}{s}"),
            }))
        })(),
        "ljust" | "rjust" | "center" => (|| {
            let (width, fill): (usize, Option<&str>) = from_args(args)?;
            let fill = fill.unwrap_or(" ");
            let mut chars = fill.chars();
            let (Some(f), None) = (chars.next(), chars.next()) else {
                return Err(type_error(
                    "The fill character must be exactly one character long",
                ));
            };
            let n = s.chars().count();
            if n >= width {
                return Ok(Value::from(s));
            }
            let total = width - n;
            // CPython's center puts the odd extra fill on the left when
            // the width is odd... precisely: left = total/2 + (total & width & 1).
            let (left, right) = match method {
                "ljust" => (0, total),
                "rjust" => (total, 0),
                _ => {
                    let left = total / 2 + (total & width & 1);
                    (left, total - left)
                }
            };
            super::limits::check_built(total.saturating_mul(f.len_utf8()))?;
            let f = f.to_string();
            Ok(Value::from(format!(
                "{}{s}{}",
                f.repeat(left),
                f.repeat(right)
            )))
        })(),
        "index" | "rindex" => (|| {
            let (sub,): (&str,) = from_args(args)?;
            let at = if method == "index" {
                s.find(sub)
            } else {
                s.rfind(sub)
            };
            at.map(|b| Value::from(s[..b].chars().count()))
                .ok_or_else(|| value_error("substring not found"))
        })(),
        "isdigit" | "isnumeric" | "isdecimal" => (|| {
            let () = from_args(args)?;
            Ok(Value::from(
                !s.is_empty() && s.chars().all(|c| c.is_numeric()),
            ))
        })(),
        "casefold" => (|| {
            let () = from_args(args)?;
            Ok(Value::from(s.to_lowercase()))
        })(),
        "swapcase" => (|| {
            let () = from_args(args)?;
            Ok(Value::from(
                s.chars()
                    .flat_map(|c| {
                        if c.is_uppercase() {
                            c.to_lowercase().collect::<Vec<_>>()
                        } else {
                            c.to_uppercase().collect::<Vec<_>>()
                        }
                    })
                    .collect::<String>(),
            ))
        })(),
        _ => return None,
    };
    Some(r)
}

/// Python's `str.isspace()` for one character: Unicode White_Space plus the
/// ASCII information separators U+001C..U+001F.
pub fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn value_error(msg: &str) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("ValueError: {msg}"))
}

/// Python `str.rsplit(sep=None, maxsplit=-1)`.
fn rsplit(s: &str, args: &[Value]) -> Result<Value, Error> {
    let (sep, maxsplit): (Option<Value>, Option<i64>) = from_args(args)?;
    let maxsplit = maxsplit.unwrap_or(-1);
    let sep = sep.filter(|v| !v.is_none());
    let limit = if maxsplit < 0 {
        usize::MAX
    } else {
        maxsplit as usize
    };
    let mut parts: Vec<String> = match sep {
        Some(sep) => {
            let sep = sep.as_str().unwrap_or_default().to_string();
            if sep.is_empty() {
                return Err(value_error("empty separator"));
            }
            let mut v: Vec<String> = s
                .rsplitn(limit.saturating_add(1), &sep)
                .map(String::from)
                .collect();
            v.reverse();
            v
        }
        None => {
            // Whitespace split from the right: runs of whitespace separate,
            // leading/trailing whitespace is dropped (the remainder keeps
            // its leading whitespace stripped too, as CPython does).
            let mut v = Vec::new();
            let mut rest = s.trim_end();
            while !rest.is_empty() {
                if v.len() == limit {
                    v.push(rest.trim_start().to_string());
                    break;
                }
                match rest.rfind(char::is_whitespace) {
                    Some(i) => {
                        let ws_len = rest[i..].chars().next().map_or(1, char::len_utf8);
                        v.push(rest[i + ws_len..].to_string());
                        rest = rest[..i].trim_end();
                    }
                    None => {
                        v.push(rest.to_string());
                        rest = "";
                    }
                }
            }
            v.reverse();
            v
        }
    };
    Ok(Value::from(
        parts.drain(..).map(Value::from).collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use crate::render::test_render as render;

    // Expected values are what jinja2 3.1.6 prints for the same template.

    #[test]
    fn str_methods_python_lacks_in_minijinja() {
        assert_eq!(
            render(
                r#"{{ "abc".partition("b") }}{{ "x".zfill(3) }}{{ "-5".zfill(3) }}{{ "ab".center(6, "*") }}{{ "ab".center(5) }}|{{ "ab".ljust(4) }}|{{ "a.b.c".rsplit(".", 1) }}{{ "a b  c ".rsplit() }}{{ "ab".removeprefix("a") }}{{ "abc".index("c") }}"#
            ),
            "('a', 'b', 'c')00x-05**ab**  ab |ab  |['a.b', 'c']['a', 'b', 'c']b2"
        );
    }

    #[test]
    fn title_and_strip_like_python() {
        assert_eq!(
            render(
                r#"{{ "hello o'neil-x 3rd".title() }}|{{ " \x1c a \x85".strip()|length }}|{{ "xax".strip("x") }}"#
            ),
            "Hello O'Neil-X 3Rd|1|a"
        );
    }

    #[test]
    fn mutating_methods_are_refused() {
        assert!(render("{{ [1].append(2) }}").starts_with("ERR"));
        assert!(render("{{ {'a': 1}.update({'b': 2}) }}").starts_with("ERR"));
    }
}

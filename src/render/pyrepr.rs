//! Python's `str()` and `repr()` of template values: what jinja2 prints for
//! `{{ x }}`, `x | string` and `x | join`.
//!
//! jinja2 prints with `str(x)`: strings as they are, `None`/`True`/`False`,
//! floats with Python's shortest round-trip repr (`1e+20`, `2.0`, `1e-05`),
//! containers as their `repr` (`['a', None]`, `{'k': 1}`, `(1,)`), with each
//! string inside quoted the way Python's `repr(str)` picks quotes. Undefined
//! prints as the empty string.

use std::fmt::Write;

use minijinja::value::{Value, ValueKind};

use super::generator::Generator;

/// Python `str(value)`.
pub fn py_str(v: &Value) -> String {
    let mut out = String::new();
    write_str(&mut out, v);
    out
}

/// Append Python `str(value)` to `out`.
pub fn write_str(out: &mut String, v: &Value) {
    match v.kind() {
        ValueKind::String => out.push_str(v.as_str().unwrap_or_default()),
        ValueKind::Undefined => {}
        _ => write_repr(out, v),
    }
}

/// Python's `repr(float)`: shortest round-trip digits, scientific notation
/// when the exponent is below -4 or at least 16.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if (-4..16).contains(&exp) {
        let mut s = f.to_string();
        if !s.contains('.') {
            s.push_str(".0");
        }
        s
    } else {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    }
}

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`;
/// backslash escapes for the quote, `\\`, `\n`, `\r`, `\t`, and `\xNN` /
/// `\uNNNN` for characters Python does not consider printable.
pub fn str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let n = c as u32;
                let _ = if n < 0x100 {
                    write!(out, "\\x{n:02x}")
                } else if n < 0x10000 {
                    write!(out, "\\u{n:04x}")
                } else {
                    write!(out, "\\U{n:08x}")
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Approximates Python's `str.isprintable()` (Unicode categories Cc, Cf,
/// Co, Zl, Zp and Zs other than the ASCII space are not printable).
fn is_printable(c: char) -> bool {
    let n = c as u32;
    !(n < 0x20
        || (0x7f..=0xa0).contains(&n)
        || n == 0xad
        || n == 0x1680
        || (0x2000..=0x200f).contains(&n)
        || (0x2028..=0x202f).contains(&n)
        || (0x205f..=0x206f).contains(&n)
        || n == 0x3000
        || n == 0xfeff
        || (0xd800..=0xf8ff).contains(&n)
        || (0xfff9..=0xfffb).contains(&n)
        || n >= 0xf0000)
}

fn write_repr(out: &mut String, v: &Value) {
    match v.kind() {
        // repr(jinja2.Undefined()); printed on its own it is "" (write_str).
        ValueKind::Undefined => out.push_str("Undefined"),
        ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if v.is_true() { "True" } else { "False" }),
        ValueKind::Number => {
            if v.is_integer() {
                let _ = write!(out, "{v}");
            } else {
                out.push_str(&float_repr(f64::try_from(v.clone()).unwrap_or(f64::NAN)));
            }
        }
        ValueKind::String => str_repr(out, v.as_str().unwrap_or_default()),
        ValueKind::Bytes => {
            out.push('b');
            str_repr(
                out,
                &String::from_utf8_lossy(v.as_bytes().unwrap_or_default()),
            );
        }
        ValueKind::Seq => {
            let tuple = v.is_tuple();
            out.push(if tuple { '(' } else { '[' });
            let mut n = 0;
            for (i, item) in v.try_iter().into_iter().flatten().enumerate() {
                if super::limits::past_bound(out.len()) {
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, &item);
                n += 1;
            }
            if tuple && n == 1 {
                out.push(',');
            }
            out.push(if tuple { ')' } else { ']' });
        }
        ValueKind::Map if v.as_object().is_some_and(is_plain_map) => {
            out.push('{');
            write_items(out, v);
            out.push('}');
        }
        ValueKind::Map => {
            // jinja2's Namespace repr: `<Namespace {'a': 1}>`.
            out.push_str("<Namespace {");
            write_items(out, v);
            out.push_str("}>");
        }
        ValueKind::Iterable if v.downcast_object_ref::<Generator>().is_some() => {
            // jinja2 prints `<generator object … at 0x…>`; the address is
            // not reproducible, the type name is.
            out.push_str("<generator object>");
        }
        _ => {
            let _ = write!(out, "{v}");
        }
    }
}

/// Maps that Python would print as a dict (not namespaces, loops, …).
/// A mapping's `key: value` pairs as Python prints them inside braces,
/// stopping at the render bound.
fn write_items(out: &mut String, v: &Value) {
    for (i, key) in v.try_iter().into_iter().flatten().enumerate() {
        if super::limits::past_bound(out.len()) {
            break;
        }
        if i > 0 {
            out.push_str(", ");
        }
        write_repr(out, &key);
        out.push_str(": ");
        write_repr(out, &v.get_item(&key).unwrap_or_default());
    }
}

fn is_plain_map(o: &minijinja::value::DynObject) -> bool {
    !o.type_name().ends_with("Namespace")
}

#[cfg(test)]
mod tests {
    use super::*;

    trait FromJson {
        fn from_serialize_json(v: serde_json::Value) -> Value;
    }
    impl FromJson for Value {
        fn from_serialize_json(v: serde_json::Value) -> Value {
            Value::from(minijinja::value::Serde(v))
        }
    }

    #[test]
    fn floats_print_like_python() {
        assert_eq!(float_repr(1e20), "1e+20");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1e15), "1000000000000000.0");
        assert_eq!(float_repr(2.0), "2.0");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(float_repr(1.2345678901234568e17), "1.2345678901234568e+17");
        assert_eq!(float_repr(-0.0), "-0.0");
    }

    #[test]
    fn strings_pick_quotes_like_python() {
        let r = |s: &str| {
            let mut o = String::new();
            str_repr(&mut o, s);
            o
        };
        assert_eq!(r("a"), "'a'");
        assert_eq!(r("it's"), "\"it's\"");
        assert_eq!(r("it's \"q\""), "'it\\'s \"q\"'");
        assert_eq!(r("a\nb\\"), "'a\\nb\\\\'");
        assert_eq!(r("\u{7f}é\u{200b}"), "'\\x7fé\\u200b'");
    }

    #[test]
    fn containers_print_as_python_repr() {
        let v =
            Value::from_serialize_json(serde_json::json!(["a", null, true, 1.0, 1e20, {"k": [2]}]));
        assert_eq!(py_str(&v), "['a', None, True, 1.0, 1e+20, {'k': [2]}]");
        assert_eq!(py_str(&Value::from("x")), "x");
        assert_eq!(py_str(&Value::UNDEFINED), "");
    }
}

//! The `tojson` filter transformers installs: exactly Python's
//! `json.dumps(x, ensure_ascii=False, indent=None, separators=None,
//! sort_keys=False)`, with those four parameters passable by position or
//! keyword.
//!
//! Unlike jinja2's and minijinja's own `tojson` there is no HTML escaping;
//! separators are `", "` / `": "` (`","` at line ends with `indent`); keys
//! keep insertion order; dict keys that are numbers, booleans or None become
//! strings the way Python converts them; floats print as Python's repr;
//! NaN/Infinity are allowed; anything else (undefined, generators,
//! namespaces, macros) is a TypeError.

use std::fmt::Write;

use minijinja::value::{from_args, Kwargs, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Error, ErrorKind};

use super::generator::is_generator;
use super::pyrepr::float_repr;

/// Nesting deeper than this raises (Python raises RecursionError ~1000).
const MAX_DEPTH: usize = 512;

struct Opts {
    ensure_ascii: bool,
    indent: Option<String>,
    item_sep: String,
    key_sep: String,
    sort_keys: bool,
}

/// The filter: `x | tojson(ensure_ascii, indent, separators, sort_keys)`.
pub fn tojson_filter(value: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    super::limits::charge_walk(value)?;
    let args: Vec<Value> = args.0.into_iter().map(ValueOrKwargs::into_value).collect();
    let (ensure_ascii, indent, separators, sort_keys, kwargs) = from_args(&args)?;
    tojson(value, ensure_ascii, indent, separators, sort_keys, kwargs)
}

pub fn tojson(
    value: &Value,
    ensure_ascii: Option<Value>,
    indent: Option<Value>,
    separators: Option<Value>,
    sort_keys: Option<Value>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let pick = |pos: Option<Value>, name: &str| -> Result<Option<Value>, Error> {
        if kwargs.has(name) {
            if pos.is_some() {
                return Err(type_error(format!(
                    "tojson() got multiple values for argument '{name}'"
                )));
            }
            return Ok(Some(kwargs.get::<Value>(name)?));
        }
        Ok(pos)
    };
    let ensure_ascii = pick(ensure_ascii, "ensure_ascii")?.is_some_and(|v| v.is_true());
    let indent = match pick(indent, "indent")? {
        None => None,
        Some(v) if v.is_none() => None,
        Some(v) if v.kind() == ValueKind::String => Some(v.as_str().unwrap_or_default().into()),
        Some(v) if v.is_integer() => {
            let width = usize::try_from(v.as_i64().unwrap_or(0)).unwrap_or(0);
            super::limits::check_built(width)?;
            Some(" ".repeat(width))
        }
        Some(v) => {
            return Err(type_error(format!(
                "can't multiply sequence by non-int of type '{}'",
                v.kind()
            )))
        }
    };
    let (item_sep, key_sep) = match pick(separators, "separators")? {
        Some(v) if !v.is_none() => {
            let parts: Vec<Value> = v.try_iter().map(|i| i.collect()).unwrap_or_default();
            match parts.as_slice() {
                [a, b] => (
                    a.as_str().unwrap_or_default().to_string(),
                    b.as_str().unwrap_or_default().to_string(),
                ),
                _ => return Err(type_error("separators must be a pair of strings".into())),
            }
        }
        _ if indent.is_some() => (",".into(), ": ".into()),
        _ => (", ".into(), ": ".into()),
    };
    let sort_keys = pick(sort_keys, "sort_keys")?.is_some_and(|v| v.is_true());
    kwargs.assert_all_used()?;
    let opts = Opts {
        ensure_ascii,
        indent,
        item_sep,
        key_sep,
        sort_keys,
    };
    let mut out = String::new();
    dump(&mut out, value, &opts, 0)?;
    Ok(out)
}

fn type_error(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("TypeError: {msg}"))
}

fn not_serializable(v: &Value) -> Error {
    let name = if is_generator(v) {
        "generator".to_string()
    } else if v.is_undefined() {
        "Undefined".to_string()
    } else {
        v.kind().to_string()
    };
    type_error(format!("Object of type {name} is not JSON serializable"))
}

fn newline(out: &mut String, opts: &Opts, depth: usize) -> Result<(), Error> {
    if let Some(ind) = &opts.indent {
        super::limits::check_built(out.len() + 1 + ind.len().saturating_mul(depth))?;
        out.push('\n');
        for _ in 0..depth {
            out.push_str(ind);
        }
    }
    Ok(())
}

fn dump(out: &mut String, v: &Value, opts: &Opts, depth: usize) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "RecursionError: maximum recursion depth exceeded while encoding a JSON object",
        ));
    }
    match v.kind() {
        ValueKind::None => out.push_str("null"),
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::Number => number(out, v),
        ValueKind::String => string(out, v.as_str().unwrap_or_default(), opts.ensure_ascii),
        ValueKind::Seq => {
            let items: Vec<Value> = v.try_iter()?.collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&opts.item_sep);
                }
                super::limits::check_built(out.len())?;
                newline(out, opts, depth + 1)?;
                dump(out, item, opts, depth + 1)?;
            }
            newline(out, opts, depth)?;
            out.push(']');
        }
        ValueKind::Map
            if !v
                .as_object()
                .is_some_and(|o| o.type_name().ends_with("Namespace")) =>
        {
            let mut keys: Vec<Value> = v.try_iter()?.collect();
            if opts.sort_keys {
                sort_keys(&mut keys)?;
            }
            if keys.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(&opts.item_sep);
                }
                super::limits::check_built(out.len())?;
                newline(out, opts, depth + 1)?;
                match key.kind() {
                    ValueKind::String => {
                        string(out, key.as_str().unwrap_or_default(), opts.ensure_ascii)
                    }
                    ValueKind::Number => {
                        out.push('"');
                        number(out, key);
                        out.push('"');
                    }
                    ValueKind::Bool => out.push_str(if key.is_true() {
                        "\"true\""
                    } else {
                        "\"false\""
                    }),
                    ValueKind::None => out.push_str("\"null\""),
                    _ => {
                        return Err(type_error(format!(
                            "keys must be str, int, float, bool or None, not {}",
                            key.kind()
                        )))
                    }
                }
                out.push_str(&opts.key_sep);
                dump(out, &v.get_item(key)?, opts, depth + 1)?;
            }
            newline(out, opts, depth)?;
            out.push('}');
        }
        _ => return Err(not_serializable(v)),
    }
    Ok(())
}

/// Python sorts str keys with str keys and numbers with numbers; a mix is a
/// TypeError ("'<' not supported between instances of …").
fn sort_keys(keys: &mut [Value]) -> Result<(), Error> {
    let all_str = keys.iter().all(|k| k.kind() == ValueKind::String);
    let all_num = keys
        .iter()
        .all(|k| matches!(k.kind(), ValueKind::Number | ValueKind::Bool));
    if !all_str && !all_num {
        return Err(type_error(
            "'<' not supported between instances of mixed key types".into(),
        ));
    }
    keys.sort();
    Ok(())
}

fn number(out: &mut String, v: &Value) {
    if v.is_integer() {
        let _ = write!(out, "{v}");
        return;
    }
    let f = f64::try_from(v.clone()).unwrap_or(f64::NAN);
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        out.push_str(&float_repr(f));
    }
}

/// A JSON string as Python's encoder writes it.
pub fn string(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if ensure_ascii && (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dumps(v: serde_json::Value, kw: &[(&str, Value)]) -> Result<String, Error> {
        let kwargs = Kwargs::from_iter(kw.iter().map(|(k, v)| (*k, v.clone())));
        tojson(
            &Value::from(minijinja::value::Serde(v)),
            None,
            None,
            None,
            None,
            kwargs,
        )
    }

    #[test]
    fn default_separators_and_no_html_escaping() {
        let v = serde_json::json!({"b": 1, "a": [1.0, 1e20, null, true, "<&'>é"]});
        assert_eq!(
            dumps(v, &[]).ok().as_deref(),
            Some(r#"{"b": 1, "a": [1.0, 1e+20, null, true, "<&'>é"]}"#)
        );
    }

    #[test]
    fn indent_uses_comma_at_line_ends() {
        let v = serde_json::json!([1, {"a": 2}, [], {}]);
        assert_eq!(
            dumps(v, &[("indent", Value::from(2))]).ok().as_deref(),
            Some("[\n  1,\n  {\n    \"a\": 2\n  },\n  [],\n  {}\n]")
        );
    }

    #[test]
    fn ensure_ascii_escapes_with_surrogate_pairs() {
        let v = serde_json::json!("é🚀\u{7f}");
        assert_eq!(
            dumps(v, &[("ensure_ascii", Value::from(true))])
                .ok()
                .as_deref(),
            Some(r#""\u00e9\ud83d\ude80\u007f""#)
        );
        let v = serde_json::json!("é\u{7f}\u{1}");
        assert_eq!(dumps(v, &[]).ok().as_deref(), Some("\"é\u{7f}\\u0001\""));
    }

    #[test]
    fn separators_and_sort_keys() {
        let v = serde_json::json!({"b": 1, "a": 2});
        let seps = Value::from(vec![Value::from(","), Value::from(":")]);
        assert_eq!(
            dumps(v, &[("separators", seps), ("sort_keys", Value::from(true))])
                .ok()
                .as_deref(),
            Some(r#"{"a":2,"b":1}"#)
        );
    }

    #[test]
    fn undefined_and_generators_are_type_errors() {
        let kw = Kwargs::from_iter(std::iter::empty::<(&str, Value)>());
        assert!(tojson(&Value::UNDEFINED, None, None, None, None, kw).is_err());
        let kw = Kwargs::from_iter(std::iter::empty::<(&str, Value)>());
        let g = super::super::generator::Generator::make(vec![Value::from(1)]);
        assert!(tojson(&g, None, None, None, None, kw).is_err());
    }
}

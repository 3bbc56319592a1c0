//! jinja2's number and text filters whose Python semantics minijinja lacks
//! or differs on: `int`, `float` (fall back to a default instead of failing),
//! `round` (Python's `round`, half to even, floats stay floats),
//! `wordcount`, `truncate`.

use minijinja::value::{from_args, Kwargs, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind};

use super::pyrepr::py_str;

pub fn install(env: &mut Environment<'static>) {
    env.add_filter("int", int);
    env.add_filter("float", float);
    env.add_filter("round", round);
    env.add_filter("wordcount", |v: &Value| wordcount(&py_str(v)));
    env.add_filter("truncate", truncate);
}

/// Python `int(str, base)`: optional sign, digits of `base` (prefix
/// allowed when it matches), underscores between digits, outer whitespace.
fn parse_int(s: &str, base: u32) -> Option<i64> {
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = t.to_ascii_lowercase();
    let digits = match base {
        16 => lower.strip_prefix("0x").unwrap_or(&lower),
        8 => lower.strip_prefix("0o").unwrap_or(&lower),
        2 => lower.strip_prefix("0b").unwrap_or(&lower),
        _ => &lower,
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let n = i64::from_str_radix(&digits.replace('_', ""), base).ok()?;
    Some(if neg { -n } else { n })
}

/// Python `float(str)`: also `inf`, `nan`, exponents, outer whitespace.
fn parse_float(s: &str) -> Option<f64> {
    let t = s.trim().to_ascii_lowercase();
    match t.trim_start_matches(['+', '-']) {
        "inf" | "infinity" | "nan" => {}
        x if x.is_empty() || !x.chars().all(|c| c.is_ascii_digit() || "._e+-".contains(c)) => {
            return None
        }
        _ => {}
    }
    t.replace('_', "").parse().ok()
}

/// jinja2 `int(value, default=0, base=10)`: `int(value)`, else
/// `int(float(value))`, else the default.
fn int(
    value: &Value,
    default: Option<Value>,
    base: Option<u32>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let default = match kwargs.get::<Option<Value>>("default")? {
        Some(d) => d,
        None => default.unwrap_or(Value::from(0)),
    };
    let base = kwargs.get::<Option<u32>>("base")?.or(base).unwrap_or(10);
    kwargs.assert_all_used()?;
    Ok(match value.kind() {
        ValueKind::Bool => Value::from(i64::from(value.is_true())),
        ValueKind::Number if value.is_integer() => value.clone(),
        ValueKind::Number => {
            let f = f64::try_from(value.clone()).unwrap_or(f64::NAN);
            if f.is_finite() {
                Value::from(f.trunc() as i64)
            } else {
                default
            }
        }
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            match parse_int(s, base) {
                Some(n) => Value::from(n),
                None => match parse_float(s) {
                    Some(f) if f.is_finite() => Value::from(f.trunc() as i64),
                    _ => default,
                },
            }
        }
        _ => default,
    })
}

/// jinja2 `float(value, default=0.0)`.
fn float(value: &Value, default: Option<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let default = match kwargs.get::<Option<Value>>("default")? {
        Some(d) => d,
        None => default.unwrap_or(Value::from(0.0)),
    };
    kwargs.assert_all_used()?;
    Ok(match value.kind() {
        ValueKind::Bool => Value::from(if value.is_true() { 1.0 } else { 0.0 }),
        ValueKind::Number => Value::from(f64::try_from(value.clone()).unwrap_or(f64::NAN)),
        ValueKind::String => parse_float(value.as_str().unwrap_or_default())
            .map(Value::from)
            .unwrap_or(default),
        _ => default,
    })
}

/// jinja2 `round(value, precision=0, method='common')`: `common` is
/// Python's `round` (half to even; an int stays an int), `ceil`/`floor`
/// round the scaled value; both of those return floats.
fn round(
    value: &Value,
    precision: Option<i32>,
    method: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let precision = kwargs
        .get::<Option<i32>>("precision")?
        .or(precision)
        .unwrap_or(0);
    let method = kwargs
        .get::<Option<String>>("method")?
        .or(method)
        .unwrap_or_else(|| "common".into());
    kwargs.assert_all_used()?;
    if !matches!(method.as_str(), "common" | "ceil" | "floor") {
        return Err(super::filters::type_error(
            "method must be 'common', 'ceil' or 'floor'",
        ));
    }
    if value.is_integer() && method == "common" {
        return Ok(value.clone());
    }
    let f = match value.kind() {
        ValueKind::Number | ValueKind::Bool => f64::try_from(value.clone()).unwrap_or(f64::NAN),
        _ => {
            return Err(super::filters::type_error(format!(
                "type {} doesn't define __round__ method",
                super::filters::py_type(value)
            )))
        }
    };
    let scale = 10f64.powi(precision);
    if !(f * scale).is_finite() {
        // Python's round(x, n) returns x when n is past a float's digits;
        // jinja2's ceil/floor compute math.ceil(x * 10**n), which overflows.
        if method == "common" || !f.is_finite() {
            return Ok(Value::from(f));
        }
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "OverflowError: cannot convert float infinity to integer",
        ));
    }
    let r = match method.as_str() {
        "ceil" => (f * scale).ceil() / scale,
        "floor" => (f * scale).floor() / scale,
        _ => {
            let x = f * scale;
            let r = x.round();
            // Half to even, as Python's round does.
            let r = if (x - x.trunc()).abs() == 0.5 {
                2.0 * (x / 2.0).round()
            } else {
                r
            };
            r / scale
        }
    };
    Ok(Value::from(r))
}

/// jinja2 `wordcount`: `len(re.findall(r"\w+", s))`.
fn wordcount(s: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for c in s.chars() {
        let w = c.is_alphanumeric() || c == '_';
        if w && !in_word {
            n += 1;
        }
        in_word = w;
    }
    n
}

/// jinja2 `truncate(s, length=255, killwords=False, end='...', leeway=5)`.
fn truncate(value: &Value, args: Rest<ValueOrKwargs>) -> Result<String, Error> {
    let args: Vec<Value> = args.0.into_iter().map(ValueOrKwargs::into_value).collect();
    let (length, killwords, end, leeway, kwargs): (
        Option<usize>,
        Option<bool>,
        Option<String>,
        Option<usize>,
        Kwargs,
    ) = from_args(&args)?;
    let length = kwargs
        .get::<Option<usize>>("length")?
        .or(length)
        .unwrap_or(255);
    let killwords = kwargs
        .get::<Option<bool>>("killwords")?
        .or(killwords)
        .unwrap_or(false);
    let end = kwargs
        .get::<Option<String>>("end")?
        .or(end)
        .unwrap_or_else(|| "...".into());
    let leeway = kwargs
        .get::<Option<usize>>("leeway")?
        .or(leeway)
        .unwrap_or(5);
    kwargs.assert_all_used()?;
    let s = py_str(value);
    let chars: Vec<char> = s.chars().collect();
    let end_len = end.chars().count();
    if length < end_len {
        return Err(super::filters::type_error("expected length >= len(end)"));
    }
    if chars.len() <= length + leeway {
        return Ok(s);
    }
    let head: String = chars[..length - end_len].iter().collect();
    if killwords {
        return Ok(head + &end);
    }
    let cut = match head.rfind(' ') {
        Some(i) => &head[..i],
        None => &head[..],
    };
    Ok(format!("{cut}{end}"))
}

#[cfg(test)]
mod tests {
    use crate::render::test_render as render;

    // Expected values are what jinja2 3.1.6 prints for the same template.

    #[test]
    fn int_and_float_fall_back_like_jinja2() {
        assert_eq!(
            render(
                r#"{{ "12abc"|int }}{{ "0x1A"|int(base=16) }}{{ "1A"|int(0, 16) }}{{ " 7 "|int }}{{ "3.9"|int }}{{ none|int }}{{ true|int }}{{ "1e3"|float }}{{ "nan"|float }}{{ none|float }}"#
            ),
            "0262673011000.0nan0.0"
        );
    }

    #[test]
    fn round_is_pythons() {
        assert_eq!(
            render(
                r#"{{ 2.5|round }}{{ 3.5|round }}{{ 2.567|round(2) }}{{ 2.5|round(0, "floor") }}{{ 2.1|round(0, "ceil") }}{{ 5|round }}"#
            ),
            "2.04.02.572.03.05"
        );
        // Python: round(1.5, 400) is 1.5; math.ceil(1.5 * 10**400) overflows.
        assert_eq!(
            render(r#"{{ 1.5|round(400) }}{{ 1e300|round(20) }}"#),
            "1.51e+300"
        );
        assert!(render(r#"{{ 1.5|round(400, "ceil") }}"#).starts_with("ERR OverflowError"));
    }

    #[test]
    fn wordcount_and_truncate() {
        assert_eq!(
            render(
                r#"{{ "a b c d e f g h i j"|truncate(9) }}|{{ "abcdefghijklmnop"|truncate(9, true) }}|{{ "abcdefghijklmnop"|truncate(9, false, "…", 0) }}|{{ "a-b c_d é"|wordcount }}"#
            ),
            "a b c...|abcdef...|abcdefgh…|4"
        );
    }
}

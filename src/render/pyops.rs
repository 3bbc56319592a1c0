//! Python operator semantics minijinja's operators lack, called from
//! expressions the AST pre-pass rewrites (see `astpass.rs`):
//!
//! - `__pyadd__(a, b)` for `a + b` in templates that make markup (`|safe`,
//!   `|e`): markupsafe's `Markup.__add__` escapes the plain-string operand
//!   (`"<b>"|safe + x` escapes `x`). (`~` needs nothing: without autoescape
//!   jinja2 compiles it to a plain `str` join.)
//! - `__pyformat__(fmt, args)` for `"literal" % args`: printf-style string
//!   formatting (`%s %r %d %i %f %e %g %x %o %c %%`, flags, width,
//!   precision, a tuple of args or a single arg, `%(name)s` with a dict).

use std::fmt::Write;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

use super::filters::{py_type, type_error};
use super::generator::is_generator;
use super::pyrepr::{py_str, str_repr};

fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// markupsafe `escape(x)` as text: markup stays, anything else is `str()`'d
/// and escaped.
pub fn escape_value(v: &Value) -> String {
    if v.is_safe() {
        py_str(v)
    } else {
        escape_str(&py_str(v))
    }
}

fn undefined_error() -> Error {
    Error::new(
        ErrorKind::UndefinedError,
        "UndefinedError: value is undefined",
    )
}

/// Python `a + b` (with Markup's escaping).
pub fn add(a: &Value, b: &Value) -> Result<Value, Error> {
    if a.is_undefined() || b.is_undefined() {
        return Err(undefined_error());
    }
    match (a.kind(), b.kind()) {
        (ValueKind::String, ValueKind::String) => {
            if a.is_safe() || b.is_safe() {
                Ok(Value::from_safe_string(escape_value(a) + &escape_value(b)))
            } else {
                Ok(Value::from(py_str(a) + &py_str(b)))
            }
        }
        (ValueKind::Number | ValueKind::Bool, ValueKind::Number | ValueKind::Bool) => {
            let int = |v: &Value| v.is_integer() || v.kind() == ValueKind::Bool;
            if int(a) && int(b) {
                if let Some(s) = int_of(a).checked_add(int_of(b)) {
                    return Ok(Value::from(s));
                }
            }
            Ok(Value::from(
                f64::try_from(a.clone()).unwrap_or(f64::NAN)
                    + f64::try_from(b.clone()).unwrap_or(f64::NAN),
            ))
        }
        // Lists (minijinja's lazy slices and ranges count as lists).
        (ValueKind::Seq | ValueKind::Iterable, ValueKind::Seq | ValueKind::Iterable)
            if a.is_tuple() == b.is_tuple() && !is_generator(a) && !is_generator(b) =>
        {
            // Sized up front where known (a list, a slice, a range), and
            // cut at the bound where not, so nothing is built past it.
            let known = a.len().unwrap_or(0).saturating_add(b.len().unwrap_or(0));
            super::limits::charge_items(known)?;
            let items: Vec<Value> = a
                .try_iter()?
                .chain(b.try_iter()?)
                .take(super::limits::MAX_LIST_ITEMS.saturating_add(1))
                .collect();
            if items.len() > known {
                super::limits::charge_items(items.len() - known)?;
            }
            Ok(if a.is_tuple() {
                Value::from(minijinja::value::Tuple::from(items))
            } else {
                Value::from(items)
            })
        }
        // CPython's words: a str, list or tuple on the left says what it
        // can be concatenated with.
        _ => Err(type_error(match py_type(a) {
            left @ ("str" | "list" | "tuple") => format!(
                "can only concatenate {left} (not \"{}\") to {left}",
                py_type(b)
            ),
            left => format!(
                "unsupported operand type(s) for +: '{left}' and '{}'",
                py_type(b)
            ),
        })),
    }
}

fn int_of(v: &Value) -> i64 {
    if v.kind() == ValueKind::Bool {
        i64::from(v.is_true())
    } else {
        v.as_i64().unwrap_or(0)
    }
}

/// Python's ordering comparison `a OP b` (OP one of `< <= > >=`): numbers
/// (and booleans) with numbers, strings with strings, lists with lists and
/// tuples with tuples (element by element); anything else is a TypeError.
pub fn compare(a: &Value, op: &str, b: &Value) -> Result<bool, Error> {
    use std::cmp::Ordering;
    if a.is_undefined() || b.is_undefined() {
        return Err(undefined_error());
    }
    let unsupported = || {
        type_error(format!(
            "'{op}' not supported between instances of '{}' and '{}'",
            py_type(a),
            py_type(b)
        ))
    };
    let numeric = |v: &Value| matches!(v.kind(), ValueKind::Number | ValueKind::Bool);
    let ord: Ordering = if numeric(a) && numeric(b) {
        // bool is an int subclass in Python.
        let as_num = |v: &Value| {
            if v.kind() == ValueKind::Bool {
                Value::from(i64::from(v.is_true()))
            } else {
                v.clone()
            }
        };
        let (a, b) = (as_num(a), as_num(b));
        let (x, y) = (
            f64::try_from(a.clone()).unwrap_or(f64::NAN),
            f64::try_from(b.clone()).unwrap_or(f64::NAN),
        );
        if a.is_integer() && b.is_integer() {
            a.cmp(&b)
        } else {
            match x.partial_cmp(&y) {
                Some(o) => o,
                // NaN: every ordering comparison is false.
                None => return Ok(false),
            }
        }
    } else if a.kind() == ValueKind::String && b.kind() == ValueKind::String {
        a.as_str().cmp(&b.as_str())
    } else if a.kind() == ValueKind::Seq
        && b.kind() == ValueKind::Seq
        && a.is_tuple() == b.is_tuple()
    {
        let xs: Vec<Value> = a.try_iter()?.collect();
        let ys: Vec<Value> = b.try_iter()?.collect();
        for (x, y) in xs.iter().zip(&ys) {
            if x != y {
                return compare(x, op, y);
            }
        }
        xs.len().cmp(&ys.len())
    } else {
        return Err(unsupported());
    };
    Ok(match op {
        "<" => ord == Ordering::Less,
        "<=" => ord != Ordering::Greater,
        ">" => ord == Ordering::Greater,
        _ => ord != Ordering::Less,
    })
}

/// jinja2's `x[a:b:c]`. Slices bypass the environment's `getitem`
/// (jinja2's `CodeGenerator.visit_Getitem` writes `x[slice]` directly), so
/// at run time Python's own errors surface: a generator (`d | items`,
/// `map(…)`), `None` and numbers are not subscriptable, a dict raises on the
/// slice key, indices must be ints, `None` or booleans, and a zero step is
/// a ValueError. `folded`: the operand and every index are constants, which
/// jinja2's optimizer folds through the sandbox's `getitem` at compile time
/// (`Getitem.as_const`), and that returns Undefined where Python raises
/// TypeError (`{{ none[1:] }}` prints nothing). Subscripting Undefined raises
/// (`Undefined.__getitem__`).
pub fn slice(
    x: &Value,
    start: &Value,
    stop: &Value,
    step: &Value,
    folded: bool,
) -> Result<Value, Error> {
    if x.is_undefined() {
        return Err(undefined_error());
    }
    let raise = |msg: String| {
        if folded {
            Ok(Value::UNDEFINED)
        } else {
            Err(type_error(msg))
        }
    };
    let sliceable = match x.kind() {
        ValueKind::String => true,
        ValueKind::Seq | ValueKind::Iterable => !is_generator(x) && x.len().is_some(),
        _ => false,
    };
    if !sliceable {
        return match x.kind() {
            ValueKind::Map => raise("unhashable type: 'slice'".into()),
            _ => raise(format!("'{}' object is not subscriptable", py_type(x))),
        };
    }
    let index = |v: &Value| -> Option<Option<i64>> {
        match v.kind() {
            ValueKind::None => Some(None),
            ValueKind::Bool => Some(Some(i64::from(v.is_true()))),
            ValueKind::Number if v.is_integer() => v.as_i64().map(Some),
            _ => None,
        }
    };
    let (Some(a), Some(b), Some(c)) = (index(start), index(stop), index(step)) else {
        return raise("slice indices must be integers or None or have an __index__ method".into());
    };
    let step = c.unwrap_or(1);
    if step == 0 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "ValueError: slice step cannot be zero",
        ));
    }
    let picks = |n: usize| -> Vec<usize> {
        // CPython's `PySlice_AdjustIndices`.
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let (lower, upper) = if step < 0 { (-1, n - 1) } else { (0, n) };
        let adjust = |i: Option<i64>, default: i64| match i {
            None => default,
            Some(i) if i < 0 => (i + n).max(lower),
            Some(i) => i.min(upper),
        };
        let mut i = adjust(a, if step < 0 { upper } else { lower });
        let end = adjust(b, if step < 0 { lower } else { upper });
        let mut out = Vec::new();
        while (step > 0 && i < end) || (step < 0 && i > end) {
            out.extend(usize::try_from(i).ok());
            i = i.saturating_add(step);
        }
        out
    };
    if let Some(text) = x.as_str() {
        let chars: Vec<char> = text.chars().collect();
        let s: String = picks(chars.len())
            .into_iter()
            .filter_map(|i| chars.get(i))
            .collect();
        return Ok(if x.is_safe() {
            Value::from_safe_string(s)
        } else {
            Value::from(s)
        });
    }
    super::limits::charge_walk(x)?;
    let items: Vec<Value> = x.try_iter()?.collect();
    let out: Vec<Value> = picks(items.len())
        .into_iter()
        .filter_map(|i| items.get(i).cloned())
        .collect();
    Ok(if x.is_tuple() {
        Value::from(minijinja::value::Tuple::from(out))
    } else {
        Value::from(out)
    })
}

/// Python's unary `-x`.
pub fn negate(v: &Value) -> Result<Value, Error> {
    match v.kind() {
        ValueKind::Undefined => Err(undefined_error()),
        ValueKind::Bool => Ok(Value::from(-i64::from(v.is_true()))),
        ValueKind::Number if v.is_integer() => match v.as_i64().and_then(i64::checked_neg) {
            Some(n) => Ok(Value::from(n)),
            None => Ok(Value::from(-f64::try_from(v.clone()).unwrap_or(f64::NAN))),
        },
        ValueKind::Number => Ok(Value::from(-f64::try_from(v.clone()).unwrap_or(f64::NAN))),
        _ => Err(type_error(format!(
            "bad operand type for unary -: '{}'",
            py_type(v)
        ))),
    }
}

/// Python's `a * b`: a list (or tuple) or a string times an int repeats it
/// (within the render's bounds: minijinja's own `*` builds up to 10^8
/// items), numbers multiply (ints stay ints), anything else is a TypeError.
pub fn multiply(a: &Value, b: &Value) -> Result<Value, Error> {
    if a.is_undefined() || b.is_undefined() {
        return Err(undefined_error());
    }
    let seq =
        |v: &Value| matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable) && !is_generator(v);
    let num = |v: &Value| matches!(v.kind(), ValueKind::Number | ValueKind::Bool);
    let int = |v: &Value| {
        v.kind() == ValueKind::Bool || (v.kind() == ValueKind::Number && v.is_integer())
    };
    let text = |v: &Value| v.kind() == ValueKind::String;
    if seq(a) && !seq(b) && !text(b) {
        return repeat_seq(a, b);
    }
    if seq(b) && !seq(a) && !text(a) {
        return repeat_seq(b, a);
    }
    if text(a) != text(b) && (num(a) || num(b)) {
        let (s, n) = if text(a) { (a, b) } else { (b, a) };
        if !int(n) {
            return Err(type_error(format!(
                "can't multiply sequence by non-int of type '{}'",
                py_type(n)
            )));
        }
        let times = usize::try_from(int_of(n)).unwrap_or(0);
        let s_text = s.as_str().unwrap_or_default();
        super::limits::check_built(s_text.len().saturating_mul(times))?;
        let repeated = s_text.repeat(times);
        return Ok(if s.is_safe() {
            Value::from_safe_string(repeated)
        } else {
            Value::from(repeated)
        });
    }
    if num(a) && num(b) {
        if int(a) && int(b) {
            if let Some(p) = i128::from(int_of(a)).checked_mul(i128::from(int_of(b))) {
                return Ok(Value::from(p));
            }
        }
        return Ok(Value::from(
            f64::try_from(a.clone()).unwrap_or(f64::NAN)
                * f64::try_from(b.clone()).unwrap_or(f64::NAN),
        ));
    }
    Err(type_error(format!(
        "unsupported operand type(s) for *: '{}' and '{}'",
        py_type(a),
        py_type(b)
    )))
}

/// `repeat_list`, a tuple staying a tuple.
fn repeat_seq(seq: &Value, n: &Value) -> Result<Value, Error> {
    let out = repeat_list(seq, n)?;
    if seq.is_tuple() {
        let items: Vec<Value> = out.try_iter()?.collect();
        return Ok(Value::from(minijinja::value::Tuple::from(items)));
    }
    Ok(out)
}

/// Python's `list * n` (`[x] * n`): a list of the items repeated `n` times
/// (none for `n <= 0`); `n` must be an int or a bool.
pub fn repeat_list(seq: &Value, n: &Value) -> Result<Value, Error> {
    let times = match n.kind() {
        ValueKind::Bool => i64::from(n.is_true()),
        ValueKind::Number if n.is_integer() => n.as_i64().unwrap_or(i64::MAX),
        _ => {
            return Err(type_error(format!(
                "can't multiply sequence by non-int of type '{}'",
                py_type(n)
            )))
        }
    };
    let items: Vec<Value> = seq.try_iter()?.collect();
    let times = usize::try_from(times).unwrap_or(0);
    if items.is_empty() || times == 0 {
        return Ok(Value::from(Vec::<Value>::new()));
    }
    let len = items.len().saturating_mul(times);
    super::limits::charge_items(len)?;
    let mut out = Vec::with_capacity(len);
    for _ in 0..times {
        out.extend(items.iter().cloned());
    }
    Ok(Value::from(out))
}

/// Python's `a in b`.
pub fn contains(a: &Value, b: &Value) -> Result<bool, Error> {
    super::limits::charge_walk(b)?;
    match b.kind() {
        ValueKind::Undefined => Ok(false),
        ValueKind::String => match a.as_str() {
            Some(x) if a.kind() == ValueKind::String => {
                Ok(b.as_str().unwrap_or_default().contains(x))
            }
            _ => Err(type_error(format!(
                "'in <string>' requires string as left operand, not {}",
                py_type(a)
            ))),
        },
        ValueKind::Map => Ok(b.try_iter()?.any(|k| &k == a)),
        ValueKind::Seq | ValueKind::Iterable | ValueKind::Bytes => {
            Ok(b.try_iter()?.any(|x| &x == a))
        }
        _ => Err(type_error(format!(
            "argument of type '{}' is not iterable",
            py_type(b)
        ))),
    }
}

/// Python `fmt % args` for a string `fmt`.
pub fn format(fmt: &str, args: &Value) -> Result<Value, Error> {
    let positional: Vec<Value> = if args.is_tuple() {
        args.try_iter()?.collect()
    } else {
        vec![args.clone()]
    };
    let mapping = (args.kind() == ValueKind::Map).then_some(args);
    let mut next = 0usize;
    let mut out = String::with_capacity(fmt.len());
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut key = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            let mut k = String::new();
            for c in chars.by_ref() {
                if c == ')' {
                    break;
                }
                k.push(c);
            }
            key = Some(k);
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek().filter(|c| "-+ #0".contains(**c)) {
            flags.push(f);
            chars.next();
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|c| c.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|c| c.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            let p: usize = p.parse().unwrap_or(usize::MAX);
            super::limits::check_format_number(p)?;
            precision = Some(p);
        }
        let Some(conv) = chars.next() else {
            return Err(value_error("incomplete format"));
        };
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = match (&key, mapping) {
            (Some(k), Some(m)) => m.get_item(&Value::from(k.as_str()))?,
            (Some(_), None) => return Err(type_error("format requires a mapping")),
            (None, _) => {
                let a = positional
                    .get(next)
                    .cloned()
                    .ok_or_else(|| type_error("not enough arguments for format string"))?;
                next += 1;
                a
            }
        };
        let body = convert(conv, &arg, &flags, precision)?;
        let width: usize = if width.is_empty() {
            0
        } else {
            width.parse().unwrap_or(usize::MAX)
        };
        super::limits::check_built(width)?;
        let n = body.chars().count();
        if n >= width {
            out.push_str(&body);
        } else if flags.contains('-') {
            out.push_str(&body);
            out.push_str(&" ".repeat(width - n));
        } else if flags.contains('0') && conv != 's' && conv != 'r' {
            let (sign, digits) = match body.strip_prefix('-') {
                Some(d) => ("-", d),
                None => ("", body.as_str()),
            };
            out.push_str(sign);
            out.push_str(&"0".repeat(width - n));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(width - n));
            out.push_str(&body);
        }
    }
    if mapping.is_none() && next < positional.len() {
        return Err(type_error(
            "not all arguments converted during string formatting",
        ));
    }
    Ok(Value::from(out))
}

/// C's `%g` for a non-negative `f` with precision `p`: scientific when the
/// exponent is below -4 or at least `p`, trailing zeros removed unless `#`.
fn general(f: f64, p: usize, alt: bool) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "nan".into()
        } else {
            "inf".into()
        };
    }
    let sci = format!("{:.*e}", p - 1, f);
    let (m, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    let strip = |s: String| -> String {
        if alt || !s.contains('.') {
            s
        } else {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    if exp < -4 || exp >= p as i32 {
        let m = strip(m.to_string());
        format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip(format!("{f:.decimals$}"))
    }
}

fn value_error(msg: &str) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("ValueError: {msg}"))
}

fn number(arg: &Value, conv: char) -> Result<f64, Error> {
    match arg.kind() {
        ValueKind::Number | ValueKind::Bool => Ok(f64::try_from(arg.clone()).unwrap_or(0.0)),
        _ => Err(type_error(format!(
            "%{conv} format: a real number is required, not {}",
            py_type(arg)
        ))),
    }
}

fn convert(
    conv: char,
    arg: &Value,
    flags: &str,
    precision: Option<usize>,
) -> Result<String, Error> {
    let sign = |neg: bool| {
        if neg {
            "-"
        } else if flags.contains('+') {
            "+"
        } else if flags.contains(' ') {
            " "
        } else {
            ""
        }
    };
    Ok(match conv {
        's' => {
            let s = py_str(arg);
            match precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'r' | 'a' => {
            let mut s = String::new();
            if arg.kind() == ValueKind::String {
                str_repr(&mut s, arg.as_str().unwrap_or_default());
            } else {
                s = py_str(arg);
            }
            s
        }
        'd' | 'i' | 'u' => {
            let f = number(arg, conv)?;
            let i = if arg.is_integer() {
                arg.as_i64().unwrap_or(f as i64)
            } else {
                f.trunc() as i64
            };
            format!("{}{}", sign(i < 0), i.unsigned_abs())
        }
        'x' | 'X' | 'o' => {
            if !arg.is_integer() && arg.kind() != ValueKind::Bool {
                return Err(type_error(format!(
                    "%{conv} format: an integer is required, not {}",
                    py_type(arg)
                )));
            }
            let i = int_of(arg);
            let mag = i.unsigned_abs();
            let digits = match conv {
                'x' => format!("{mag:x}"),
                'X' => format!("{mag:X}"),
                _ => format!("{mag:o}"),
            };
            let prefix = match (flags.contains('#'), conv) {
                (true, 'x') => "0x",
                (true, 'X') => "0X",
                (true, _) => "0o",
                _ => "",
            };
            format!("{}{prefix}{digits}", sign(i < 0))
        }
        'f' | 'F' => {
            let f = number(arg, conv)?;
            let p = precision.unwrap_or(6);
            format!(
                "{}{:.*}",
                sign(f.is_sign_negative() && f != 0.0),
                p,
                f.abs()
            )
        }
        'e' | 'E' => {
            let f = number(arg, conv)?;
            let p = precision.unwrap_or(6);
            let s = format!("{:.*e}", p, f.abs());
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            let e: i32 = e.parse().unwrap_or(0);
            let s = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
            let s = if conv == 'E' { s.to_uppercase() } else { s };
            format!("{}{s}", sign(f.is_sign_negative() && f != 0.0))
        }
        'g' | 'G' => {
            let f = number(arg, conv)?;
            let s = general(f.abs(), precision.unwrap_or(6).max(1), flags.contains('#'));
            let s = if conv == 'G' { s.to_uppercase() } else { s };
            format!("{}{s}", sign(f.is_sign_negative() && f != 0.0))
        }
        'c' => match arg.kind() {
            ValueKind::String => py_str(arg),
            _ => char::from_u32(int_of(arg).clamp(0, 0x10ffff) as u32)
                .map(String::from)
                .unwrap_or_default(),
        },
        other => {
            let mut msg = String::new();
            let _ = write!(msg, "unsupported format character '{other}'");
            return Err(value_error(&msg));
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::render::test_render as render;

    // Expected values are what jinja2 3.1.6 prints for the same template.

    #[test]
    fn percent_formatting() {
        assert_eq!(
            render(
                r#"{{ "%s-%d-%.2f|%5s|%-4d|%03d|%x|%r|%%" % ("a", 3, 2.5, "b", 7, 5, 255, "q") }}"#
            ),
            "a-3-2.50|    b|7   |005|ff|'q'|%"
        );
        assert_eq!(render(r#"{{ "%s" % [1, 'x'] }}"#), "[1, 'x']");
        assert_eq!(
            render(
                r#"{{ "%g|%g|%g|%.3g|%e|%+d" % (0.0001, 1234567.0, 100000.0, 2.5, 12345.678, 5) }}"#
            ),
            "0.0001|1.23457e+06|100000|2.5|1.234568e+04|+5"
        );
        assert_eq!(render(r#"{{ "%(a)s!" % {"a": 1} }}"#), "1!");
        assert!(render(r#"{{ "%s %s" % ("a",) }}"#).starts_with("ERR"));
    }

    #[test]
    fn ordering_comparisons_follow_python() {
        assert_eq!(
            render(
                r#"{{ 1 < 2.5 }}{{ true < 2 }}{{ "a" < "b" }}{{ [1,2] < [1,3] }}{{ (1,) < (2,) }}{{ [1] < [1, 0] }}{{ [1, "a"] < [2, 2] }}{{ 3 >= 3 }}"#
            ),
            "TrueTrueTrueTrueTrueTrueTrueTrue"
        );
        for bad in [
            r#"{% set n = 1 %}{{ n < "a" }}"#,
            "{{ none < 1 }}",
            "{{ x < 1 }}",
            "{{ [1] < (1,) }}",
            "{{ {} < {} }}",
            r#"{{ [1, "a"] < [1, 2] }}"#,
        ] {
            assert!(render(bad).starts_with("ERR"), "{bad} should raise");
        }
    }

    #[test]
    fn membership_follows_python() {
        assert_eq!(
            render(
                r#"{{ "a" in {"a": 1} }}{{ 1 in [1.0] }}{{ "ab" in "cab" }}{{ [1] in [[1]] }}{{ "a" in x }}{{ "z" not in "abc" }}"#
            ),
            "TrueTrueTrueTrueFalseTrue"
        );
        for bad in [
            r#"{% set n = 1 %}{{ n in "1" }}"#,
            r#"{{ none in "abc" }}"#,
            "{{ 'a' in none }}",
            "{{ 1 in 5 }}",
        ] {
            assert!(render(bad).starts_with("ERR"), "{bad} should raise");
        }
    }

    #[test]
    fn negation_follows_python() {
        assert_eq!(
            render(
                r#"{% set t = true %}{% set f = 1.5 %}{{ -t }}{{ -f }}{{ -(t) }}{{ - -t }}{{ +t }}{{ -2|abs }}"#
            ),
            "-1-1.5-1112"
        );
        assert!(render(r#"{% set s = "a" %}{{ -s }}"#).starts_with("ERR"));
        // The filter applies to the negation: -(messages)|length.
        assert!(render("{{ -messages|length }}").starts_with("ERR"));
    }

    #[test]
    fn markup_escapes_plain_operands() {
        assert_eq!(
            render(r#"{{ "<b>"|safe + '"x"' }}|{{ "<i>"|safe ~ "<" }}|{{ "<" + ">" }}"#),
            "<b>&#34;x&#34;|<i><|<>"
        );
    }
}

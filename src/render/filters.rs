//! jinja2's filters with Python's semantics, where minijinja's differ.
//!
//! - Iterating filters (`list`, `join`, `first`, `sort`, `map`, …) raise
//!   TypeError on `None` and numbers, as Python's `iter()` does; minijinja
//!   treats `None` as empty. Undefined still iterates as empty (jinja2's
//!   Undefined has `__iter__`).
//! - `map`, `select`, `reject`, `selectattr`, `rejectattr`, `unique` return
//!   one-shot generators (see `generator.rs`).
//! - `sum` is Python's `sum()`: a string `start` raises TypeError, and lists
//!   add up without building a new list per item.
//! - `length`/`count` is Python's `len()`; `string` and `join` use Python's
//!   `str()`; `tojson` is `json.dumps` (see `pyjson.rs`); `escape`/`e` is
//!   markupsafe's escaping (`&#34;` and `&#39;` for quotes).
//!
//! Each override keeps minijinja's builtin under a private `__mj_<name>`
//! name and delegates to it after the Python-specific checks.

use minijinja::value::{Kwargs, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{filters, Environment, Error, ErrorKind, State};

use super::generator::{is_generator, Generator};
use super::pyjson;
use super::pyrepr::{py_str, write_str};

pub fn type_error(msg: impl Into<String>) -> Error {
    Error::new(
        ErrorKind::InvalidOperation,
        format!("TypeError: {}", msg.into()),
    )
}

/// Python's type name for error messages.
pub fn py_type(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::None => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number if v.is_integer() => "int",
        ValueKind::Number => "float",
        ValueKind::String => "str",
        ValueKind::Seq if v.is_tuple() => "tuple",
        ValueKind::Seq => "list",
        ValueKind::Map => "dict",
        ValueKind::Undefined => "Undefined",
        _ if is_generator(v) => "generator",
        _ => "object",
    }
}

/// Python's `iter(v)` would raise.
pub fn check_iterable(v: &Value) -> Result<(), Error> {
    if matches!(
        v.kind(),
        ValueKind::None | ValueKind::Bool | ValueKind::Number | ValueKind::Plain
    ) {
        return Err(type_error(format!(
            "'{}' object is not iterable",
            py_type(v)
        )));
    }
    Ok(())
}

/// Python's `len(v)`.
pub fn py_len(v: &Value) -> Result<usize, Error> {
    match v.kind() {
        ValueKind::Undefined => Ok(0),
        ValueKind::String => Ok(v.as_str().unwrap_or_default().chars().count()),
        ValueKind::Iterable if is_generator(v) => {
            Err(type_error("object of type 'generator' has no len()"))
        }
        // Slices and ranges are lazy in minijinja but sized in Python.
        ValueKind::Bytes | ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => match v.len() {
            Some(n) => Ok(n),
            None => {
                let n = v.try_iter()?.count();
                super::limits::charge_items(n.min(super::limits::MAX_LIST_ITEMS))?;
                Ok(n)
            }
        },
        _ => Err(type_error(format!(
            "object of type '{}' has no len()",
            py_type(v)
        ))),
    }
}

fn delegate(
    state: &mut State,
    name: &str,
    value: Value,
    rest: Rest<ValueOrKwargs>,
) -> Result<Value, Error> {
    let mut args = Vec::with_capacity(rest.len() + 1);
    args.push(value);
    args.extend(rest.0.into_iter().map(ValueOrKwargs::into_value));
    state.apply_filter(name, &args)
}

/// Register `name` as: TypeError unless the input is iterable, then the builtin.
macro_rules! guarded {
    ($env:expr, $name:literal, $builtin:expr) => {{
        $env.add_filter(concat!("__mj_", $name), $builtin);
        $env.add_filter(
            $name,
            |state: &mut State, value: Value, rest: Rest<ValueOrKwargs>| -> Result<Value, Error> {
                check_iterable(&value)?;
                super::limits::charge_walk(&value)?;
                // jinja2's `last` is `next(iter(reversed(seq)))`:
                // generators are not reversible.
                if $name == "last" && is_generator(&value) {
                    return Err(type_error("'generator' object is not reversible"));
                }
                delegate(state, concat!("__mj_", $name), value, rest)
            },
        );
    }};
}

/// Register `name` as a generator over the builtin's result. jinja2's
/// `map`/`select`/`reject`/`selectattr`/`rejectattr` start with `if value:`,
/// so a false input (`None`, `0`, empty) yields nothing; `unique` iterates
/// its input directly, so a non-iterable fails when consumed.
macro_rules! generator {
    ($env:expr, $name:literal, $builtin:expr, $falsy_is_empty:expr) => {{
        $env.add_filter(concat!("__mj_", $name), $builtin);
        $env.add_filter(
            $name,
            |state: &mut State, value: Value, rest: Rest<ValueOrKwargs>| -> Result<Value, Error> {
                if $falsy_is_empty && !value.is_true() {
                    return Ok(Generator::make(Vec::new()));
                }
                if check_iterable(&value).is_err() {
                    // Python builds the generator; it fails when consumed.
                    return Ok(Generator::broken());
                }
                super::limits::charge_walk(&value)?;
                let items = delegate(state, concat!("__mj_", $name), value, rest)?;
                Ok(Generator::make(items.try_iter()?.collect()))
            },
        );
    }};
}

pub fn install(env: &mut Environment<'static>) {
    env.add_filter("tojson", pyjson::tojson_filter);
    env.add_filter("length", |v: &Value| py_len(v));
    env.add_filter("count", |v: &Value| py_len(v));
    env.add_filter("string", |v: &Value| -> Result<String, Error> {
        super::limits::charge_walk(v)?;
        Ok(py_str(v))
    });
    env.add_filter("join", join);
    env.add_filter("escape", escape);
    env.add_filter("e", escape);
    env.add_filter("forceescape", escape);
    guarded!(env, "list", filters::list);
    guarded!(env, "first", filters::first);
    guarded!(env, "last", filters::last);
    guarded!(env, "sort", filters::sort);
    // jinja2 `sort(value, reverse=False, case_sensitive=False, attribute=None)`
    // also takes its options by position; minijinja's only by keyword.
    env.add_filter(
        "sort",
        |state: &mut State, value: Value, rest: Rest<ValueOrKwargs>| -> Result<Value, Error> {
            check_iterable(&value)?;
            let args: Vec<Value> = rest.0.into_iter().map(ValueOrKwargs::into_value).collect();
            let (reverse, case_sensitive, attribute, kwargs): (
                Option<Value>,
                Option<Value>,
                Option<Value>,
                Kwargs,
            ) = minijinja::value::from_args(&args)?;
            let mut opts: Vec<(String, Value)> = Vec::new();
            for (name, pos) in [
                ("reverse", reverse),
                ("case_sensitive", case_sensitive),
                ("attribute", attribute),
            ] {
                if let Some(v) = kwargs.get::<Option<Value>>(name)?.or(pos) {
                    opts.push((name.to_string(), v));
                }
            }
            kwargs.assert_all_used()?;
            let kw: Kwargs = opts.into_iter().collect();
            state.apply_filter("__mj_sort", &[value, Value::from(kw)])
        },
    );
    // jinja2 `items` is a generator: undefined gives nothing, a mapping its
    // pairs, anything else raises when consumed.
    env.add_filter("items", |value: &Value| -> Result<Value, Error> {
        if value.is_undefined() {
            return Ok(Generator::make(Vec::new()));
        }
        if value.kind() != ValueKind::Map {
            return Ok(Generator::broken());
        }
        let mut pairs = Vec::new();
        for k in value.try_iter()? {
            let v = value.get_item(&k)?;
            pairs.push(Value::from(minijinja::value::Tuple::from(vec![k, v])));
        }
        Ok(Generator::make(pairs))
    });
    guarded!(env, "reverse", filters::reverse);
    env.add_filter("sum", sum);
    guarded!(env, "min", filters::min);
    guarded!(env, "max", filters::max);
    guarded!(env, "batch", filters::batch);
    guarded!(env, "slice", filters::slice);
    guarded!(env, "dictsort", filters::dictsort);
    generator!(env, "map", filters::map, true);
    generator!(env, "select", filters::select, true);
    generator!(env, "reject", filters::reject, true);
    generator!(env, "selectattr", filters::selectattr, true);
    generator!(env, "rejectattr", filters::rejectattr, true);
    generator!(env, "unique", filters::unique, false);
}

/// jinja2 `sum(iterable, attribute=None, start=0)`: Python's `sum(iterable,
/// start)`. A string start raises as Python's does (minijinja concatenates,
/// and a long list of long strings would take quadratic time and memory);
/// a list start extends one list, bounded like every built value.
fn sum(
    state: &State,
    values: Value,
    attribute: Option<String>,
    start: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    check_iterable(&values)?;
    let start = match start {
        Some(s) => Some(s),
        None => kwargs.get::<Option<Value>>("start")?,
    };
    let attribute = match attribute {
        Some(a) => Some(a),
        None => kwargs.get::<Option<String>>("attribute")?,
    };
    match start.as_ref().map(Value::kind) {
        Some(ValueKind::String) => {
            return Err(type_error(
                "sum() can't sum strings [use ''.join(seq) instead]",
            ))
        }
        Some(ValueKind::Seq)
            if attribute.is_none() && !start.as_ref().is_some_and(Value::is_tuple) =>
        {
            kwargs.assert_all_used()?;
            let mut out: Vec<Value> = start
                .iter()
                .flat_map(|s| s.try_iter().into_iter().flatten())
                .collect();
            for item in values.try_iter()? {
                if item.kind() != ValueKind::Seq || item.is_tuple() {
                    return Err(type_error(format!(
                        "can only concatenate list (not \"{}\") to list",
                        py_type(&item)
                    )));
                }
                out.extend(item.try_iter()?);
                super::limits::check_items(out.len())?;
            }
            return Ok(Value::from(out));
        }
        _ => {}
    }
    filters::sum(state, values, attribute.as_deref(), start, kwargs)
}

/// jinja2 `join(value, d='', attribute=None)`: `d.join(map(str, value))`.
fn join(
    state: &State,
    value: &Value,
    sep: Option<Value>,
    attribute: Option<Value>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    super::limits::charge_walk(value)?;
    let _ = state;
    check_iterable(value)?;
    let attribute = match kwargs.get::<Option<Value>>("attribute")? {
        Some(a) => Some(a),
        None => attribute,
    };
    let sep = match kwargs.get::<Option<Value>>("d")? {
        Some(d) => Some(d),
        None => sep,
    };
    kwargs.assert_all_used()?;
    let sep = sep.map(|s| py_str(&s)).unwrap_or_default();
    let mut out = String::new();
    for (i, item) in value.try_iter()?.enumerate() {
        if i > 0 {
            out.push_str(&sep);
        }
        let item = match &attribute {
            Some(a) => item.get_item(a).unwrap_or_default(),
            None => item,
        };
        write_str(&mut out, &item);
        super::limits::check_built(out.len())?;
    }
    Ok(out)
}

/// markupsafe's `escape`: `& < > " '` become `&amp; &lt; &gt; &#34; &#39;`;
/// already-safe strings pass through.
fn escape(value: &Value) -> Value {
    if value.is_safe() {
        return value.clone();
    }
    Value::from_safe_string(super::pyops::escape_value(value))
}

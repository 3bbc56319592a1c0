//! The minijinja environment configured like transformers' jinja2
//! environment (`ImmutableSandboxedEnvironment(trim_blocks=True,
//! lstrip_blocks=True, extensions=[AssistantTracker, loopcontrols])` plus its
//! globals and `tojson`), with bounds for untrusted templates.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, ErrorKind, Output, State};

use super::limits::{count_emitted, RENDER_NOW};
use super::{filters, methods, numfilters, pyops, pyrepr, pytests, strftime, textfilters};

/// Marks errors raised by the template's own `raise_exception(...)`.
pub const RAISED_PREFIX: &str = "raise_exception: ";

/// Deepest macro/include nesting allowed (jinja2 stops at Python's
/// recursion limit; this keeps native stacks small on worker threads).
const RECURSION_LIMIT: usize = 100;

/// jinja2's lexer settings in transformers: `trim_blocks` and
/// `lstrip_blocks` on, `keep_trailing_newline` off.
pub fn syntax() -> Result<SyntaxConfig, Error> {
    SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(false)
        .build()
}

pub fn environment(syntax: SyntaxConfig, fuel: u64) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_syntax(syntax);
    env.set_fuel(Some(fuel));
    // Errors name the undefined expression (`message['from']` is undefined)
    // in release builds too; minijinja enables this only in debug builds.
    env.set_debug(true);
    env.set_recursion_limit(RECURSION_LIMIT);
    env.set_formatter(format_output);
    env.set_unknown_method_callback(methods::unknown_method);
    filters::install(&mut env);
    numfilters::install(&mut env);
    textfilters::install(&mut env);
    pytests::install(&mut env);
    // Globals transformers adds.
    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", strftime_now);
    env.add_function("namespace", namespace);
    env.add_function("dict", dict);
    env.add_function("joiner", super::joiner::joiner);
    // jinja2 has `self` (the template reference); chat templates only read
    // blocks off it, which are undefined here.
    env.add_global(
        "self",
        Value::from(std::collections::BTreeMap::<String, Value>::new()),
    );
    // `{% for x in EXPR %}` → `__pyiter__(EXPR)` (see prepass.rs).
    env.add_function("__pyiter__", pyiter);
    // Operators rewritten by astpass.rs.
    env.add_function("__pyadd__", |a: Value, b: Value| pyops::add(&a, &b));
    env.add_function("__pyformat__", |f: Value, args: Value| {
        pyops::format(f.as_str().unwrap_or_default(), &args)
    });
    env.add_function("__pyattr__", private_attr);
    env.add_function("__pyneg__", |v: Value| pyops::negate(&v));
    env.add_function("__pymul__", |a: Value, b: Value| pyops::multiply(&a, &b));
    env.add_function(
        "__pyslice__",
        |x: Value, a: Value, b: Value, c: Value, folded: bool| pyops::slice(&x, &a, &b, &c, folded),
    );
    env.add_function("__pyin__", |a: Value, b: Value| pyops::contains(&a, &b));
    env.add_function("__pycmp__", |a: Value, op: &str, b: Value| {
        pyops::compare(&a, op, &b)
    });
    // `{% generation %}` → `{% filter __generation__ %}` (see prepass.rs).
    env.add_filter("__generation__", super::generation::mark);
    env
}

/// `{{ x }}` prints Python's `str(x)`; undefined prints nothing (jinja2's
/// default Undefined). Every emitted byte, captured or not, counts toward
/// the render's output bound.
fn format_output(out: &mut Output, state: &mut State, value: &Value) -> Result<(), Error> {
    match value.kind() {
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            count_emitted(state, s.len())?;
            out.write_str(s).map_err(Error::from)
        }
        _ => {
            super::limits::charge_walk(value)?;
            let s = pyrepr::py_str(value);
            count_emitted(state, s.len())?;
            out.write_str(&s).map_err(Error::from)
        }
    }
}

/// transformers: `def raise_exception(message): raise TemplateError(message)`.
fn raise_exception(msg: Option<Value>) -> Result<Value, Error> {
    let msg = msg.map(|m| pyrepr::py_str(&m)).unwrap_or_default();
    Err(Error::new(
        ErrorKind::InvalidOperation,
        format!("{RAISED_PREFIX}{msg}"),
    ))
}

/// transformers: `strftime_now(fmt)` = `datetime.now().strftime(fmt)`, with
/// the clock frozen to the render's `now`.
fn strftime_now(state: &State, fmt: &str) -> Result<Value, Error> {
    let now = state
        .lookup(RENDER_NOW)
        .and_then(|v| v.as_str().map(str::to_string))
        .and_then(|s| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f").ok())
        .unwrap_or_else(super::default_now);
    Ok(Value::from(strftime::format(&now, fmt)))
}

/// Python `dict(mapping_or_pairs=(), **kwargs)` (jinja2 exposes the builtin).
fn dict(args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let mut merged: Vec<(Value, Value)> = Vec::new();
    let mut put = |k: Value, v: Value| match merged.iter_mut().find(|(x, _)| *x == k) {
        Some(slot) => slot.1 = v,
        None => merged.push((k, v)),
    };
    let mut positional = 0;
    for a in args.0 {
        let is_kwargs = minijinja::value::Kwargs::try_from(a.clone().into_value()).is_ok();
        let v = a.into_value();
        if !is_kwargs {
            positional += 1;
            if positional > 1 {
                return Err(filters::type_error("dict expected at most 1 argument"));
            }
        }
        if v.kind() == ValueKind::Map {
            for key in v.try_iter()? {
                let item = v.get_item(&key)?;
                put(key, item);
            }
        } else if v.is_undefined() {
            return Err(Error::new(ErrorKind::UndefinedError, "value is undefined"));
        } else {
            filters::check_iterable(&v)?;
            for pair in v.try_iter()? {
                let items: Vec<Value> = match pair.kind() {
                    ValueKind::Seq | ValueKind::String => pair.try_iter()?.collect(),
                    _ => Vec::new(),
                };
                let [k, item] = <[Value; 2]>::try_from(items).map_err(|_| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        "ValueError: dictionary update sequence element has the wrong length",
                    )
                })?;
                put(k, item);
            }
        }
    }
    Ok(Value::from_pairs(merged))
}

/// jinja2 `namespace(mapping=None, **kwargs)`: a positional dict and
/// keyword arguments, merged (minijinja's takes one or the other).
fn namespace(args: Rest<ValueOrKwargs>) -> Result<Value, Error> {
    let mut merged: Vec<(Value, Value)> = Vec::new();
    for a in args.0 {
        let v = a.into_value();
        if !matches!(v.kind(), ValueKind::Map) {
            return Err(filters::type_error(format!(
                "'{}' object is not iterable",
                filters::py_type(&v)
            )));
        }
        for key in v.try_iter()? {
            let item = v.get_item(&key)?;
            match merged.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = item,
                None => merged.push((key, item)),
            }
        }
    }
    let map = Value::from_pairs(merged);
    minijinja::functions::namespace(Some(ValueOrKwargs::from(map)))
}

/// `obj._name` in jinja2's sandbox: a dict's item, else undefined (the
/// attribute is unsafe); an undefined object raises.
fn private_attr(obj: Value, name: &str) -> Result<Value, Error> {
    if obj.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            format!("UndefinedError: undefined value has no attribute '{name}'"),
        ));
    }
    if pytests::is_mapping(&obj) {
        return Ok(obj.get_item(&Value::from(name)).unwrap_or_default());
    }
    Ok(Value::UNDEFINED)
}

/// Python's `iter()` check for `{% for %}`; several values (`for x in a, b`)
/// form a tuple.
fn pyiter(args: Rest<Value>) -> Result<Value, Error> {
    let mut values = args.0;
    if values.len() == 1 {
        let v = values.pop().unwrap_or_default();
        filters::check_iterable(&v)?;
        return Ok(v);
    }
    Ok(Value::from(values))
}

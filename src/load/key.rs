//! Templates stored in a JSON `chat_template` value (tokenizer_config.json,
//! a processor's chat_template.json, or a loose JSON file): a string (the
//! `default` template), a list of `{"name", "template"}` objects (what
//! transformers' tokenizer `__init__` turns into a dict), or an object
//! `{name: template}`. Each template keeps the exact offset map of its string
//! literal; wrong types and empty templates are `config-invalid` findings
//! pointing at the value.

use serde_json::Value;

use super::json::{elements, member, value_span};
use super::offsets::decode_string;
use super::read::Text;
use super::{LoadedModel, OffsetMap, Origin, Template};
use crate::finding::{Finding, Span};
use crate::rule::Rule;

/// The templates of a `chat_template` value: a string (`default`), a list
/// of `{"name", "template"}` objects, or an object `{name: template}`.
pub(super) fn templates_from_key(
    model: &mut LoadedModel,
    out: &mut Vec<Template>,
    file: &Text,
    v: &Value,
    origin: Origin,
) {
    let first_new = out.len();
    collect_key(model, out, file, v, origin);
    // An empty template loads fine and then renders every conversation as "".
    let mut i = first_new;
    while i < out.len() {
        if out[i].text.trim().is_empty() {
            let t = out.remove(i);
            let start = t.offsets.to_file(0).saturating_sub(1);
            model.findings.push(
                Finding::new(
                    Rule::ConfigInvalid,
                    &file.path,
                    format!("chat template `{}` in `{}` is empty; every prompt would render as an empty string", t.name, file.path),
                )
                .with_template(t.name.clone())
                .with_span(Span::new(start, t.offsets.to_file(t.text.len()) + 1))
                .with_help("restore the template, or remove the key"),
            );
        } else {
            i += 1;
        }
    }
}

fn collect_key(
    model: &mut LoadedModel,
    out: &mut Vec<Template>,
    file: &Text,
    v: &Value,
    origin: Origin,
) {
    let src = &file.text;
    let value_at = member(src, 0, "chat_template");
    let span_at = |at: Option<usize>| at.and_then(|a| value_span(src, a));
    let bad = |model: &mut LoadedModel, at: Option<usize>, msg: String| {
        let mut f = Finding::new(Rule::ConfigInvalid, &file.path, msg).with_help(
            "`chat_template` must be a string, or a list of `{\"name\": ..., \"template\": ...}` objects",
        );
        if let Some(span) = span_at(at) {
            f = f.with_span(span);
        }
        model.findings.push(f);
    };
    match v {
        Value::Null => {}
        Value::String(s) => out.push(from_literal("default", s, origin, file, value_at)),
        Value::Array(items) => {
            let starts = value_at.and_then(|a| elements(src, a));
            for (i, item) in items.iter().enumerate() {
                let item_at = starts.as_ref().and_then(|s| s.get(i).copied());
                let name = item.get("name").and_then(Value::as_str);
                let text = item.get("template").and_then(Value::as_str);
                match (name, text) {
                    (Some(n), Some(t)) => {
                        let at = item_at.and_then(|a| member(src, a, "template"));
                        out.push(from_literal(n, t, origin, file, at));
                    }
                    _ => bad(
                        model,
                        item_at,
                        format!(
                            "`chat_template` entry {i} in `{}` is not a `{{\"name\": string, \"template\": string}}` object",
                            file.path
                        ),
                    ),
                }
            }
        }
        Value::Object(map) => {
            for (n, t) in map {
                let at = value_at.and_then(|a| member(src, a, n));
                match t.as_str() {
                    Some(t) => out.push(from_literal(n, t, origin, file, at)),
                    None => bad(
                        model,
                        at,
                        format!(
                            "`chat_template.{n}` in `{}` is {}, not a string",
                            file.path,
                            kind(t)
                        ),
                    ),
                }
            }
        }
        Value::Bool(_) | Value::Number(_) => bad(
            model,
            value_at,
            format!(
                "`chat_template` in `{}` is {}, not a string or a list of named templates",
                file.path,
                kind(v)
            ),
        ),
    }
}

/// A template decoded from the JSON string literal at `at`, with its exact
/// offset map; falls back to the value serde_json gave (mapped to the
/// literal's start) if the literal cannot be located.
fn from_literal(
    name: &str,
    text: &str,
    origin: Origin,
    file: &Text,
    at: Option<usize>,
) -> Template {
    let decoded = at
        .and_then(|a| decode_string(&file.text, a))
        .filter(|d| d.text == text);
    let offsets = match decoded {
        Some(d) => d.offsets,
        None => OffsetMap::starting_at(at.unwrap_or(0)),
    };
    Template {
        name: name.to_string(),
        text: text.to_string(),
        origin,
        path: file.path.clone(),
        offsets,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

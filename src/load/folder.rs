//! Resolving a model folder's chat templates the way transformers 5.x does.
//!
//! Facts (transformers 5.x source):
//! - `PreTrainedTokenizerBase.from_pretrained` lists `chat_template.jinja` and
//!   every `additional_chat_templates/*.jinja` (name = file stem). In
//!   `_from_pretrained`, when any of those files exists, the dict they form
//!   *replaces* `tokenizer_config.json`'s `chat_template` key wholesale ("If
//!   independent chat template file(s) exist, they take priority over template
//!   entries in the tokenizer config"): a `tool_use` template that lives only
//!   in the key is then gone.
//! - The tokenizer's `__init__` turns a list `[{"name", "template"}]` into a
//!   dict; a plain string is the `default` template.
//! - The tokenizer never reads `chat_template.json`. `ProcessorMixin.
//!   get_processor_dict` reads it first (the "legacy path"), and only without
//!   it `chat_template.jinja` + `additional_chat_templates/`; the two together
//!   with additional templates is a `ValueError`.
//!
//! So the templates transformers' tokenizer uses come from the first present
//! group of: the `.jinja` files, then (for processors) `chat_template.json`,
//! then the `tokenizer_config.json` key. The lower groups are kept as
//! `shadowed` for `template-sources-disagree`.

use std::path::Path;

use serde_json::Value;

use super::json::{elements, member, value_span};
use super::offsets::decode_string;
use super::read::{display_path, read_json, read_text, Text};
use super::{LoadedModel, OffsetMap, Origin, Template};
use crate::discover::ModelDir;
use crate::finding::Finding;
use crate::rules::Rule;

/// The special-token keys transformers passes to templates, in its order
/// (`SPECIAL_TOKENS_ATTRIBUTES`; `apply_chat_template` renders with
/// `{**self.special_tokens_map, **kwargs}`).
pub const SPECIAL_TOKEN_KEYS: [&str; 7] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
];

/// Load one model folder, or one loose template file (`ModelDir::dir` is then
/// the file: a `.jinja` template, or a JSON file with a `chat_template` key).
pub fn load(md: &ModelDir) -> LoadedModel {
    let mut model = LoadedModel {
        dir: md.dir.clone(),
        rel_dir: md.rel_dir.clone(),
        ..LoadedModel::default()
    };
    if md.dir.is_file() {
        model.loose = true;
        load_loose(&mut model, &md.dir);
        return model;
    }
    let dir = md.dir.clone();

    // Group 1: the .jinja files.
    let mut jinja = Vec::new();
    let path = display_path(&model, "chat_template.jinja");
    if let Some(t) = read_text(&mut model, &dir.join("chat_template.jinja"), &path) {
        jinja.push(whole_file("default", Origin::JinjaFile, t));
    }
    for name in additional_template_names(&dir) {
        let rel = format!("additional_chat_templates/{name}.jinja");
        let path = display_path(&model, &rel);
        if let Some(t) = read_text(&mut model, &dir.join(&rel), &path) {
            jinja.push(whole_file(&name, Origin::AdditionalJinja, t));
        }
    }

    // Group 2: a processor's chat_template.json.
    let mut processor = Vec::new();
    let path = display_path(&model, "chat_template.json");
    if let Some((text, json)) = read_json(&mut model, &dir.join("chat_template.json"), &path) {
        match json.get("chat_template") {
            Some(v) => templates_from_key(&mut model, &mut processor, &text, v, Origin::ChatTemplateJson),
            None => model.findings.push(
                Finding::new(
                    Rule::ConfigInvalid,
                    &text.path,
                    format!("`{}` has no `chat_template` key; transformers' processor fails with a KeyError", text.path),
                )
                .with_help("write `{\"chat_template\": \"...\"}`, or replace the file with chat_template.jinja"),
            ),
        }
    }

    // Group 3: tokenizer_config.json's key; also the special tokens.
    let mut config_templates = Vec::new();
    let path = display_path(&model, "tokenizer_config.json");
    let config = read_json(&mut model, &dir.join("tokenizer_config.json"), &path);
    if let Some((text, json)) = &config {
        model.has_tokenizer_config = true;
        model.tokenizer_config_path = Some(text.path.clone());
        if let Some(v) = json.get("chat_template") {
            templates_from_key(
                &mut model,
                &mut config_templates,
                text,
                v,
                Origin::TokenizerConfig,
            );
        }
    }
    read_special_tokens(&mut model, &dir, config.as_ref().map(|c| &c.1));
    model.tokenizer = super::tokenizer::read_tokenizer_info(&dir, config.as_ref().map(|c| &c.1));

    let groups = [jinja, processor, config_templates];
    resolve_precedence(&mut model, groups);
    model
}

/// A loose file: a `.jinja` template, or a tokenizer_config-like JSON file.
fn load_loose(model: &mut LoadedModel, file: &Path) {
    let display = model.rel_dir.clone();
    let is_json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let mut found = Vec::new();
    if !is_json {
        if let Some(t) = read_text(model, file, &display) {
            found.push(whole_file("default", Origin::JinjaFile, t));
        }
        model.tokenizer = super::tokenizer::read_tokenizer_info(file, None);
    } else {
        let parsed = read_json(model, file, &display);
        if let Some((text, json)) = &parsed {
            model.has_tokenizer_config = true;
            model.tokenizer_config_path = Some(text.path.clone());
            if let Some(v) = json.get("chat_template") {
                templates_from_key(model, &mut found, text, v, Origin::TokenizerConfig);
            }
            special_tokens_from(model, json);
        }
        model.tokenizer =
            super::tokenizer::read_tokenizer_info(file, parsed.as_ref().map(|p| &p.1));
    }
    resolve_precedence(model, [found, Vec::new(), Vec::new()]);
}

/// `additional_chat_templates/*.jinja` stems, sorted.
fn additional_template_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("additional_chat_templates")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".jinja").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

fn whole_file(name: &str, origin: Origin, t: Text) -> Template {
    Template {
        name: name.to_string(),
        text: t.text,
        origin,
        path: t.path,
        offsets: OffsetMap::identity(),
    }
}

/// The first non-empty group is what transformers uses; the rest is shadowed.
/// Within the used group a later duplicate of a name wins (Python dict
/// semantics), except that `chat_template.jinja` keeps `default`.
fn resolve_precedence(model: &mut LoadedModel, groups: [Vec<Template>; 3]) {
    let mut used = false;
    for group in groups {
        if group.is_empty() {
            continue;
        }
        if used {
            model.shadowed.extend(group);
            continue;
        }
        used = true;
        for t in group {
            match model.templates.iter().position(|k| k.name == t.name) {
                Some(i) if model.templates[i].origin != Origin::JinjaFile => {
                    let old = std::mem::replace(&mut model.templates[i], t);
                    model.shadowed.push(old);
                }
                Some(_) => model.shadowed.push(t),
                None => model.templates.push(t),
            }
        }
    }
}

/// The templates of a `chat_template` value: a string (`default`), a list
/// of `{"name", "template"}` objects, or an object `{name: template}`.
fn templates_from_key(
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

/// Special tokens: tokenizer_config.json's keys, each a string or an
/// AddedToken object (`{"content": ...}`). Like transformers' legacy path,
/// a `special_tokens_map.json` overrides them only when the config has no
/// `added_tokens_decoder`.
fn read_special_tokens(model: &mut LoadedModel, dir: &Path, config: Option<&Value>) {
    if let Some(c) = config {
        special_tokens_from(model, c);
    }
    let legacy = config.is_none_or(|c| c.get("added_tokens_decoder").is_none());
    let map_path = dir.join("special_tokens_map.json");
    if legacy && map_path.is_file() {
        let display = display_path(model, "special_tokens_map.json");
        if let Some((_, map)) = read_json(model, &map_path, &display) {
            special_tokens_from(model, &map);
        }
    }
}

fn special_tokens_from(model: &mut LoadedModel, json: &Value) {
    for key in SPECIAL_TOKEN_KEYS {
        let tok = match json.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Object(o)) => o.get("content").and_then(Value::as_str).map(str::to_string),
            _ => None,
        };
        if let Some(tok) = tok {
            model.special_tokens.insert(key.to_string(), tok);
        }
    }
}

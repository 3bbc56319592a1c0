//! Reading one model folder into a `LoadedModel`.
//!
//! NOTE: first working version (happy path). Hardening (LFS pointers, huge
//! files, non-UTF-8, exact JSON offset maps) is issue 2 §1/§5.

use std::path::Path;

use serde_json::Value;

use super::{LoadedModel, OffsetMap, Origin, SourceFile, Template};
use crate::discover::{join_rel, ModelDir};
use crate::finding::Finding;
use crate::rules::Rule;

/// The special-token keys transformers passes to templates, in its order.
pub const SPECIAL_TOKEN_KEYS: [&str; 7] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
];

pub fn load(md: &ModelDir) -> LoadedModel {
    let mut model = LoadedModel {
        dir: md.dir.clone(),
        rel_dir: md.rel_dir.clone(),
        ..LoadedModel::default()
    };
    let mut candidates: Vec<Template> = Vec::new();

    if let Some(text) = read_text(&mut model, "chat_template.jinja") {
        candidates.push(template(
            "default",
            text,
            Origin::JinjaFile,
            &model,
            "chat_template.jinja",
        ));
    }
    let extra = md.dir.join("additional_chat_templates");
    if let Ok(entries) = std::fs::read_dir(&extra) {
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".jinja"))
            .collect();
        names.sort();
        for name in names {
            let rel = format!("additional_chat_templates/{name}");
            if let Some(text) = read_text(&mut model, &rel) {
                let tname = name.trim_end_matches(".jinja").to_string();
                candidates.push(template(
                    &tname,
                    text,
                    Origin::AdditionalJinja,
                    &model,
                    &rel,
                ));
            }
        }
    }
    if let Some(json) = read_json(&mut model, "chat_template.json") {
        if let Some(v) = json.get("chat_template") {
            collect_key(
                &mut model,
                &mut candidates,
                v,
                Origin::ChatTemplateJson,
                "chat_template.json",
            );
        }
    }
    if let Some(json) = read_json(&mut model, "tokenizer_config.json") {
        model.has_tokenizer_config = true;
        model.tokenizer_config_path = Some(join_rel(&model.rel_dir, "tokenizer_config.json"));
        for key in SPECIAL_TOKEN_KEYS {
            if let Some(tok) = json.get(key).and_then(token_content) {
                model.special_tokens.insert(key.to_string(), tok);
            }
        }
        model.tokenizer = super::tokenizer::read_tokenizer_info(&md.dir, Some(&json));
        if let Some(v) = json.get("chat_template") {
            collect_key(
                &mut model,
                &mut candidates,
                v,
                Origin::TokenizerConfig,
                "tokenizer_config.json",
            );
        }
    }

    // Precedence: the first source (in Origin order) defining a name wins.
    candidates.sort_by_key(|t| t.origin);
    for t in candidates {
        if model.templates.iter().any(|k| k.name == t.name) {
            model.shadowed.push(t);
        } else {
            model.templates.push(t);
        }
    }
    model
}

fn template(name: &str, text: String, origin: Origin, model: &LoadedModel, rel: &str) -> Template {
    Template {
        name: name.to_string(),
        text,
        origin,
        path: join_rel(&model.rel_dir, rel),
        offsets: OffsetMap::identity(),
    }
}

fn token_content(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("content").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn collect_key(
    model: &mut LoadedModel,
    out: &mut Vec<Template>,
    v: &Value,
    origin: Origin,
    rel: &str,
) {
    let path = join_rel(&model.rel_dir, rel);
    match v {
        Value::String(s) => out.push(Template {
            name: "default".into(),
            text: s.clone(),
            origin,
            path,
            offsets: OffsetMap::identity(),
        }),
        Value::Array(items) => {
            for item in items {
                let name = item.get("name").and_then(Value::as_str);
                let text = item.get("template").and_then(Value::as_str);
                match (name, text) {
                    (Some(n), Some(t)) => out.push(Template {
                        name: n.to_string(),
                        text: t.to_string(),
                        origin,
                        path: path.clone(),
                        offsets: OffsetMap::identity(),
                    }),
                    _ => model.findings.push(Finding::new(
                        Rule::ConfigInvalid,
                        path.clone(),
                        "`chat_template` list entry is not a `{\"name\", \"template\"}` object",
                    )),
                }
            }
        }
        Value::Null => {}
        _ => model.findings.push(Finding::new(
            Rule::ConfigInvalid,
            path,
            "`chat_template` must be a string or a list of `{\"name\", \"template\"}` objects",
        )),
    }
}

fn read_text(model: &mut LoadedModel, rel: &str) -> Option<String> {
    let path = model.dir.join(rel);
    if !Path::new(&path).is_file() {
        return None;
    }
    let display = join_rel(&model.rel_dir, rel);
    match std::fs::read(&path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => {
                model.sources.push(SourceFile {
                    path: display,
                    text: text.clone(),
                });
                Some(text)
            }
            Err(_) => {
                model.findings.push(Finding::new(
                    Rule::ConfigInvalid,
                    display,
                    "file is not valid UTF-8",
                ));
                None
            }
        },
        Err(e) => {
            model.findings.push(Finding::new(
                Rule::ConfigInvalid,
                display,
                format!("cannot read file: {e}"),
            ));
            None
        }
    }
}

fn read_json(model: &mut LoadedModel, rel: &str) -> Option<Value> {
    let text = read_text(model, rel)?;
    match serde_json::from_str::<Value>(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            model.findings.push(Finding::new(
                Rule::ConfigInvalid,
                join_rel(&model.rel_dir, rel),
                format!("invalid JSON: {e}"),
            ));
            None
        }
    }
}

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

use super::key::templates_from_key;
use super::read::{display_path, read_facts, read_json, read_text, MAX_FILE_BYTES};
use super::{LoadOptions, LoadedModel, OffsetMap, Origin, Template, TokenizerInfo};
use crate::discover::ModelDir;
use crate::finding::{Finding, Span};
use crate::rule::Rule;

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
    load_with(md, &LoadOptions::default())
}

/// `load`, reading only what `opts` asks for.
pub fn load_with(md: &ModelDir, opts: &LoadOptions) -> LoadedModel {
    let mut model = LoadedModel {
        dir: md.dir.clone(),
        rel_dir: md.rel_dir.clone(),
        ..LoadedModel::default()
    };
    // Anything but a folder is a loose file (a FIFO or device too: reading
    // it then says what it is).
    if !md.dir.is_dir() {
        model.loose = true;
        load_loose(&mut model, &md.dir, opts);
        return model;
    }
    let dir = md.dir.clone();
    model.processor = ["preprocessor_config.json", "processor_config.json"]
        .iter()
        .any(|name| dir.join(name).is_file());

    // Group 1: the .jinja files.
    let mut jinja = Vec::new();
    let path = display_path(&model, "chat_template.jinja");
    jinja.extend(read_template(
        &mut model,
        &dir.join("chat_template.jinja"),
        &path,
        "default",
        Origin::JinjaFile,
    ));
    for name in additional_template_names(&dir) {
        let rel = format!("additional_chat_templates/{name}.jinja");
        let path = display_path(&model, &rel);
        jinja.extend(read_template(
            &mut model,
            &dir.join(&rel),
            &path,
            &name,
            Origin::AdditionalJinja,
        ));
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
    model.tokenizer = tokenizer_info(&mut model, opts, Some(&dir), config.as_ref().map(|c| &c.1));

    let groups = [jinja, processor, config_templates];
    resolve_precedence(&mut model, groups);
    super::gguf::load_ggufs(&mut model, &dir, opts);
    let shadowed = model.shadowed.clone();
    for gguf in &mut model.ggufs {
        gguf.folder_shadowed = shadowed.clone();
    }
    model
}

/// A loose file: a `.jinja` template, or a tokenizer_config-like JSON file.
fn load_loose(model: &mut LoadedModel, file: &Path, opts: &LoadOptions) {
    let display = model.rel_dir.clone();
    let is_json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let mut found = Vec::new();
    if !is_json {
        found.extend(read_template(
            model,
            file,
            &display,
            loose_template_name(file),
            Origin::JinjaFile,
        ));
        model.tokenizer = tokenizer_info(model, opts, None, None);
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
        model.tokenizer = tokenizer_info(model, opts, None, parsed.as_ref().map(|p| &p.1));
    }
    resolve_precedence(model, [found, Vec::new(), Vec::new()]);
}

/// The tokenizer facts, when `opts` asks for them (reading tokenizer.json
/// is most of the cost of loading a folder).
fn tokenizer_info(
    model: &mut LoadedModel,
    opts: &LoadOptions,
    dir: Option<&Path>,
    config: Option<&Value>,
) -> TokenizerInfo {
    if opts.tokenizer {
        super::tokenizer::read_tokenizer_info(model, dir, config, opts.tokenizers.as_deref())
    } else {
        TokenizerInfo::default()
    }
}

/// The name of a loose `.jinja` file's template. transformers names an
/// additional template by its file stem (`additional_chat_templates/tool_use.jinja`
/// is `tool_use`); a loose copy keeps that name at the end of its stem
/// (`Hermes-3-tool_use.jinja`, `c4ai-command-r__rag.jinja`), and is then called
/// the way that name is (with tools, with documents). Anything else is `default`.
fn loose_template_name(file: &Path) -> &'static str {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    for name in ["tool_use", "rag"] {
        if let Some(head) = stem.strip_suffix(name) {
            if head.is_empty() || head.ends_with(['-', '_', '.']) {
                return name;
            }
        }
    }
    "default"
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

/// A `.jinja` file: the whole file is the template, byte for byte (like
/// transformers' `open(..., encoding="utf-8").read()`).
fn read_template(
    model: &mut LoadedModel,
    path: &Path,
    display: &str,
    name: &str,
    origin: Origin,
) -> Option<Template> {
    let t = read_text(model, path, display)?;
    if t.text.starts_with('\u{feff}') {
        // Python's "utf-8" codec keeps the BOM, and Jinja prints it as text.
        model.findings.push(
            Finding::new(
                Rule::ConfigInvalid,
                display,
                format!("`{display}` starts with a UTF-8 byte-order mark; transformers keeps it, so every prompt starts with an invisible U+FEFF"),
            )
            .with_span(Span::new(0, 3))
            .with_help("save the file as UTF-8 without a BOM"),
        );
    }
    Some(Template {
        name: name.to_string(),
        text: t.text,
        origin,
        path: t.path,
        offsets: OffsetMap::identity(),
    })
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

/// Special tokens: tokenizer_config.json's keys, each a string or an
/// AddedToken object (`{"content": ...}`). Like transformers' legacy path,
/// a `special_tokens_map.json` overrides them only when the config has no
/// `added_tokens_decoder`.
fn read_special_tokens(model: &mut LoadedModel, dir: &Path, config: Option<&Value>) {
    if let Some(c) = config {
        special_tokens_from(model, c);
    }
    let legacy = config.is_none_or(|c| c.get("added_tokens_decoder").is_none());
    if legacy {
        let map = read_facts(
            model,
            &dir.join("special_tokens_map.json"),
            "special_tokens_map.json",
            MAX_FILE_BYTES,
            "; the template renders without the special tokens it names",
            |text| serde_json::from_str::<Value>(text),
        );
        if let Some(map) = map {
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

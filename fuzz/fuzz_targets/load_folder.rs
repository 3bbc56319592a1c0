//! A model folder from bytes: the input is split at `\0` into the files of
//! one folder (tokenizer_config.json, chat_template.jinja, chat_template.json,
//! tokenizer.json, generation_config.json, config.json,
//! special_tokens_map.json, additional_chat_templates/tool_use.jinja), which
//! are loaded like any folder. Loading must never panic or hang; every
//! finding it makes must point inside the file it names.
#![no_main]

use chat_template_lint::discover::ModelDir;
use chat_template_lint::load::load;
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 8] = [
    "tokenizer_config.json",
    "chat_template.jinja",
    "chat_template.json",
    "tokenizer.json",
    "generation_config.json",
    "config.json",
    "special_tokens_map.json",
    "additional_chat_templates/tool_use.jinja",
];

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    let _ = std::fs::create_dir(dir.path().join("additional_chat_templates"));
    for (name, bytes) in NAMES.iter().zip(data.split(|b| *b == 0)) {
        if !bytes.is_empty() {
            let _ = std::fs::write(dir.path().join(name), bytes);
        }
    }
    let model = load(&ModelDir {
        dir: dir.path().to_path_buf(),
        rel_dir: ".".into(),
    });
    for f in &model.findings {
        if let Some(span) = f.span {
            let text = model.sources.iter().find(|s| s.path == f.path);
            if let Some(text) = text {
                assert!(
                    span.start <= span.end && span.end <= text.text.len() + 1,
                    "{f:?}"
                );
            }
        }
    }
    for t in &model.templates {
        // The offset map of a template inside JSON stays inside its file.
        if let Some(src) = model.sources.iter().find(|s| s.path == t.path) {
            assert!(
                t.offsets.to_file(t.text.len()) <= src.text.len(),
                "{}",
                t.path
            );
        }
    }
});

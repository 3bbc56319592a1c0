//! The JSON readers on the same bytes: the input is every companion file of
//! a folder at once (tokenizer.json through the streaming pass,
//! generation_config.json and config.json as Python's `json` reads them,
//! tokenizer_config.json with its templates and tokens). Deep nesting, huge
//! numbers and broken text must be findings, never a panic or an overflow.
#![no_main]

use chat_template_lint::discover::ModelDir;
use chat_template_lint::load::load;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    for name in [
        "tokenizer.json",
        "generation_config.json",
        "special_tokens_map.json",
    ] {
        let _ = std::fs::write(dir.path().join(name), data);
    }
    // A config whose chat_template is the input as a JSON string value too.
    let config = serde_json::json!({
        "chat_template": String::from_utf8_lossy(data),
        "eos_token": "</s>",
    });
    let _ = std::fs::write(dir.path().join("tokenizer_config.json"), config.to_string());
    let model = load(&ModelDir {
        dir: dir.path().to_path_buf(),
        rel_dir: ".".into(),
    });
    std::hint::black_box(model.findings.len());
});

//! Rendering untrusted template text within the bounds: compile, then render
//! on a short conversation with and without the generation prompt. A panic
//! inside the engine is caught and turned into an "internal error" message;
//! here that message is a crash, so the fuzzer sees it. Hangs show as
//! libFuzzer timeouts, memory blow-ups as its RSS limit.
#![no_main]

use chat_template_lint::render::{compile, default_now, RenderInput};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let compiled = match compile(text) {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.message.contains("internal error"), "{}", e.message);
            return;
        }
    };
    let mut vars = Map::new();
    vars.insert("bos_token".into(), json!("<s>"));
    vars.insert("eos_token".into(), json!("</s>"));
    for add_generation_prompt in [false, true] {
        let input = RenderInput {
            messages: json!([
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi <b>%s</b> {{ x }}"},
                {"role": "assistant", "content": "Hello!", "tool_calls": [
                    {"type": "function", "function": {"name": "f", "arguments": {"a": 1}}}
                ]},
                {"role": "user", "content": [{"type": "text", "text": "more"}]}
            ]),
            tools: Some(json!([{"type": "function", "function": {"name": "f", "parameters": {}}}])),
            documents: None,
            add_generation_prompt,
            vars: vars.clone(),
            now: default_now(),
        };
        if let Err(e) = compiled.render(&input) {
            assert!(!e.message.contains("internal error"), "{}", e.message);
        }
    }
});

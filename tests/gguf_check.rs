//! GGUF files end to end: model folders with byte-built `.gguf` files beside
//! (or instead of) the Hugging Face files, checked and rendered by the
//! binary; the whole text report is snapshotted.
#![allow(clippy::unwrap_used)]

mod common;
mod gguf_support;

use std::path::Path;

use gguf_support::{Gguf, STRING};

const LLAMA3_TOKENS: [&str; 6] = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "hello",
];

fn example(rel: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(rel),
    )
    .unwrap()
}

/// The base model's Llama 3 template (with its generation prompt).
fn good_template() -> String {
    let config: serde_json::Value =
        serde_json::from_str(&example("base-model/tokenizer_config.json")).unwrap();
    config["chat_template"].as_str().unwrap().to_string()
}

/// The seed bug: the fine-tune's template without a generation prompt.
fn seed_template() -> String {
    example("finetuned-broken/chat_template.jinja")
}

/// A Llama 3 GGUF (bos 0, eos 1 = `<|end_of_text|>`; `<|eot_id|>` is
/// end-of-generation by text) with `template`, if any.
fn llama3(template: Option<&str>) -> Gguf {
    let g = Gguf::new()
        .string("general.architecture", "llama")
        .vocab(&LLAMA3_TOKENS, 0, 1)
        .string("tokenizer.ggml.pre", "llama-bpe");
    match template {
        Some(t) => g.string("tokenizer.chat_template", t),
        None => g,
    }
}

fn hf_folder(dir: &Path, template: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("chat_template.jinja"), template).unwrap();
    std::fs::write(
        dir.join("tokenizer_config.json"),
        r#"{"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"}"#,
    )
    .unwrap();
}

/// `check --no-config` in `root`, text output (exit code first).
fn check(root: &Path, args: &[&str]) -> String {
    let out = common::ctl(root)
        .args(["check", "--no-config", "--format", "text"])
        .args(args)
        .output()
        .unwrap();
    format!(
        "exit {}\n{}{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn seed_template_in_a_gguf_only_folder_is_reported_on_the_gguf() {
    let tmp = tempfile::tempdir().unwrap();
    llama3(Some(&seed_template())).write(&tmp.path().join("quants/model-Q4_K_M.gguf"));
    insta::assert_snapshot!(check(tmp.path(), &["."]));
}

#[test]
fn same_good_template_in_hf_files_and_gguf_is_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let good = good_template();
    hf_folder(&tmp.path().join("m"), &good);
    llama3(Some(&good)).write(&tmp.path().join("m/model-Q8_0.gguf"));
    // A projector beside the model has no tokenizer and is not a model.
    Gguf::new()
        .string("general.type", "mmproj")
        .write(&tmp.path().join("m/mmproj-model-f16.gguf"));
    insta::assert_snapshot!(check(tmp.path(), &["."]));
}

#[test]
fn an_old_template_in_the_gguf_is_drift_with_a_diff() {
    let tmp = tempfile::tempdir().unwrap();
    hf_folder(&tmp.path().join("m"), &good_template());
    llama3(Some(&seed_template())).write(&tmp.path().join("m/model-Q4_K_M.gguf"));
    insta::assert_snapshot!(check(tmp.path(), &["."]));
}

#[test]
fn a_gguf_converted_from_the_ignored_config_key_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("m");
    hf_folder(&dir, &good_template());
    // transformers uses chat_template.jinja; the converter read the key.
    let config = serde_json::json!({
        "bos_token": "<|begin_of_text|>",
        "eos_token": "<|eot_id|>",
        "chat_template": seed_template(),
    });
    std::fs::write(dir.join("tokenizer_config.json"), config.to_string()).unwrap();
    llama3(Some(&seed_template())).write(&dir.join("model.gguf"));
    let out = check(tmp.path(), &[".", "--select", "gguf-template-drift"]);
    insta::assert_snapshot!(out);
}

#[test]
fn a_gguf_without_a_template_beside_one_is_drift() {
    let tmp = tempfile::tempdir().unwrap();
    hf_folder(&tmp.path().join("m"), &good_template());
    llama3(None).write(&tmp.path().join("m/model.gguf"));
    insta::assert_snapshot!(check(tmp.path(), &["."]));
}

#[test]
fn hostile_and_unchecked_out_gguf_files_are_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a-lfs.gguf"),
        "version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 4683073952\n",
    )
    .unwrap();
    let full = llama3(Some(&good_template())).bytes();
    std::fs::write(dir.join("b-truncated.gguf"), &full[..full.len() / 2]).unwrap();
    Gguf::new()
        .array("tokenizer.ggml.tokens", STRING, 1 << 60, vec![])
        .write(&dir.join("c-count.gguf"));
    Gguf::new()
        .vocab(&LLAMA3_TOKENS, 0, 1)
        .u32("tokenizer.chat_template", 7)
        .write(&dir.join("d-type.gguf"));
    std::fs::write(dir.join("e-magic.gguf"), b"PK\x03\x04 not a model").unwrap();
    // Later shards carry no metadata and are not read.
    std::fs::write(dir.join("f-00002-of-00002.gguf"), b"garbage").unwrap();
    insta::assert_snapshot!(check(tmp.path(), &["."]));
}

#[test]
fn llama_cpp_stop_set_and_bos_semantics() {
    let tmp = tempfile::tempdir().unwrap();
    // Turns end with `<|END|>`, a vocabulary token llama.cpp does not stop
    // on; the template writes BOS twice, and llama.cpp adds one (llama-bpe).
    let template = "{{ bos_token }}{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n{{ m.content }}<|END|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}";
    let mut tokens = LLAMA3_TOKENS.to_vec();
    tokens.push("<|END|>");
    Gguf::new()
        .vocab(&tokens, 0, 1)
        .string("tokenizer.ggml.pre", "llama-bpe")
        .string("tokenizer.chat_template", template)
        .write(&tmp.path().join("m.gguf"));
    // One leading BOS is fine: llama.cpp strips it before tokenizing.
    llama3(Some(&good_template())).write(&tmp.path().join("ok/m.gguf"));
    let out = check(
        tmp.path(),
        &[
            ".",
            "--select",
            "eos-mismatch,double-bos,unknown-special-token",
        ],
    );
    insta::assert_snapshot!(out);
}

#[test]
fn render_prints_the_embedded_template_with_the_gguf_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    llama3(Some(
        "{{ bos_token }}|{{ eos_token }}|{{ messages[0].content }}",
    ))
    .string(
        "tokenizer.chat_template.tool_use",
        "tool template for {{ messages | length }} message",
    )
    .write(&tmp.path().join("m.gguf"));
    std::fs::write(
        tmp.path().join("msgs.json"),
        r#"[{"role": "user", "content": "hi"}]"#,
    )
    .unwrap();
    let render = |extra: &[&str]| {
        let out = common::ctl(tmp.path())
            .args(["render", "m.gguf", "--messages", "msgs.json"])
            .args(extra)
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    assert_eq!(render(&[]), "<|begin_of_text|>|<|end_of_text|>|hi");
    assert_eq!(
        render(&["--template-name", "tool_use"]),
        "tool template for 1 message"
    );
    assert!(render(&["--template-name", "rag"])
        .contains("no chat template named `rag` in `m.gguf` (found: default, tool_use)"));
}

#[test]
fn a_gguf_only_folder_is_compared_with_the_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    hf_folder(&tmp.path().join("base"), &good_template());
    llama3(Some(&seed_template())).write(&tmp.path().join("quant/model.gguf"));
    let out = check(
        tmp.path(),
        &[
            "quant",
            "--baseline",
            "base",
            "--select",
            "gguf-template-drift,template-drift",
        ],
    );
    insta::assert_snapshot!(out);
}

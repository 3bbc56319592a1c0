//! The GGUF metadata reader on files written byte by byte from the
//! specification: what it reads, and every hostile layout turning into an
//! `Invalid` error at the right offset (never a panic, hang or huge allocation).
#![allow(clippy::unwrap_used)]

mod gguf_support;

use std::io::Cursor;

use chat_template_lint::gguf::{self, vocab, Invalid, Metadata, ReadError};
use gguf_support::{Gguf, ARRAY, STRING, U32, U8};

fn read(bytes: &[u8]) -> Result<Metadata, ReadError> {
    gguf::read_from(Cursor::new(bytes), bytes.len() as u64)
}

fn invalid(bytes: &[u8]) -> Invalid {
    match read(bytes) {
        Err(ReadError::Invalid(e)) => e,
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

const TEMPLATE: &str = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

fn chat_model() -> Gguf {
    chat_model_in(Gguf::new())
}

fn chat_model_in(base: Gguf) -> Gguf {
    base.string("general.architecture", "qwen2")
        .vocab(&["<|endoftext|>", "<|im_start|>", "<|im_end|>", "hi"], 0, 2)
        .i32s("tokenizer.ggml.token_type", &[3, 3, 3, 1])
        .bool("tokenizer.ggml.add_bos_token", false)
        .string("tokenizer.chat_template", TEMPLATE)
        .string("tokenizer.chat_template.tool_use", "{{ tools }}")
}

#[test]
fn reads_templates_ids_and_flags_of_v2_and_v3() {
    for version in [2, 3] {
        let mut file = chat_model();
        file.version = version;
        let bytes = file.bytes();
        let meta = read(&bytes).unwrap();
        assert_eq!(meta.version, version);
        assert!(!meta.big_endian);
        assert_eq!(meta.architecture.as_deref(), Some("qwen2"));
        assert_eq!(meta.tokenizer_model.as_deref(), Some("gpt2"));
        assert_eq!(meta.add_bos_token, Some(false));
        assert_eq!((meta.ids.bos, meta.ids.eos), (Some(0), Some(2)));
        let names: Vec<(&str, &str)> = meta
            .templates
            .iter()
            .map(|t| (t.name.as_str(), t.key.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("default", "tokenizer.chat_template"),
                ("tool_use", "tokenizer.chat_template.tool_use")
            ]
        );
        let t = &meta.templates[0];
        assert_eq!(t.text, TEMPLATE);
        let at = t.offset as usize;
        assert_eq!(&bytes[at..at + TEMPLATE.len()], TEMPLATE.as_bytes());
        assert_eq!(meta.tokens.map(|t| t.count), Some(4));
    }
}

#[test]
fn reads_big_endian_v3() {
    let bytes = chat_model_in(Gguf::big_endian()).bytes();
    let meta = read(&bytes).unwrap();
    assert!(meta.big_endian);
    assert_eq!(meta.version, 3);
    assert_eq!(meta.templates[0].text, TEMPLATE);
    let v = vocab::read_from(Cursor::new(&bytes), &meta).unwrap();
    assert_eq!(v.text(2), Some("<|im_end|>"));
}

#[test]
fn vocab_has_special_texts_and_llama_cpp_end_of_generation_set() {
    let bytes = chat_model().bytes();
    let meta = read(&bytes).unwrap();
    let v = vocab::read_from(Cursor::new(&bytes), &meta).unwrap();
    assert_eq!(v.size, 4);
    assert_eq!((v.bos, v.eos), (Some(0), Some(2)));
    assert_eq!(v.text(0), Some("<|endoftext|>"));
    assert_eq!(v.text(2), Some("<|im_end|>"));
    assert_eq!(v.text(3), None, "plain tokens are not kept");
    // `<|endoftext|>` and `<|im_end|>` are end-of-generation by text; eos is 2.
    assert_eq!(v.eog.iter().copied().collect::<Vec<_>>(), [0, 2]);
    assert_eq!(v.control.iter().copied().collect::<Vec<_>>(), [0, 1, 2]);
    assert!(v.complete);
    assert_eq!(vocab::adds_bos(&meta), Some(false));
}

#[test]
fn end_of_generation_workarounds_follow_llama_cpp() {
    // gpt-oss: `<|end|>` is dropped when `<|return|>` and `<|call|>` exist.
    let harmony = Gguf::new().vocab(&["<|return|>", "<|call|>", "<|end|>", "x"], 3, 0);
    let bytes = harmony.bytes();
    let meta = read(&bytes).unwrap();
    let v = vocab::read_from(Cursor::new(&bytes), &meta).unwrap();
    assert_eq!(v.eog.iter().copied().collect::<Vec<_>>(), [0, 1]);
    // gemma4: `</s>` is not end-of-generation beside `<|tool_response>`.
    let gemma = Gguf::new().vocab(&["<bos>", "</s>", "<|tool_response>", "<turn|>"], 0, 3);
    let bytes = gemma.bytes();
    let meta = read(&bytes).unwrap();
    let v = vocab::read_from(Cursor::new(&bytes), &meta).unwrap();
    assert_eq!(v.eog.iter().copied().collect::<Vec<_>>(), [2, 3]);
}

#[test]
fn add_bos_defaults_follow_the_vocabulary_type() {
    let meta = |model: &str, pre: Option<&str>, key: Option<bool>| {
        let mut g = Gguf::new().string("tokenizer.ggml.model", model);
        if let Some(p) = pre {
            g = g.string("tokenizer.ggml.pre", p);
        }
        if let Some(k) = key {
            g = g.bool("tokenizer.ggml.add_bos_token", k);
        }
        read(&g.bytes()).unwrap()
    };
    assert_eq!(vocab::adds_bos(&meta("llama", None, None)), Some(true));
    assert_eq!(
        vocab::adds_bos(&meta("gpt2", Some("qwen2"), None)),
        Some(false)
    );
    assert_eq!(
        vocab::adds_bos(&meta("gpt2", Some("llama-bpe"), None)),
        Some(true)
    );
    assert_eq!(
        vocab::adds_bos(&meta("gpt2", Some("llama-bpe"), Some(false))),
        Some(false)
    );
    assert_eq!(
        vocab::adds_bos(&meta("gpt2", Some("gemma4"), Some(false))),
        Some(true)
    );
    assert_eq!(vocab::adds_bos(&read(&Gguf::new().bytes()).unwrap()), None);
}

#[test]
fn default_ids_apply_when_keys_are_absent_or_out_of_range() {
    let g = Gguf::new()
        .string("tokenizer.ggml.model", "llama")
        .strings("tokenizer.ggml.tokens", &["<unk>", "<s>", "</s>"])
        .u32("tokenizer.ggml.bos_token_id", 99);
    let bytes = g.bytes();
    let meta = read(&bytes).unwrap();
    let v = vocab::read_from(Cursor::new(&bytes), &meta).unwrap();
    assert_eq!((v.bos, v.eos), (Some(1), Some(2)));
    assert_eq!(v.text(1), Some("<s>"));
}

#[test]
fn skips_unused_values_of_every_type() {
    let g = Gguf::new()
        .raw("a.u8", U8, vec![7])
        .raw("a.f64", 12, vec![0; 8])
        .strings("tokenizer.ggml.merges", &["a b", "c d"])
        .array("a.u32s", U32, 3, vec![0; 12])
        .string("tokenizer.chat_template", "{{ x }}");
    let meta = read(&g.bytes()).unwrap();
    assert_eq!(meta.templates[0].text, "{{ x }}");
}

#[test]
fn bad_magic_lfs_pointer_and_old_versions() {
    let e = invalid(b"GGML\x03\x00\x00\x00");
    assert_eq!(e.offset, 0);
    assert_eq!(
        e.message,
        "not a GGUF file: it starts with `GGML`, not `GGUF`"
    );
    let lfs = b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 4000000000\n";
    assert!(matches!(read(lfs), Err(ReadError::LfsPointer)));
    let mut v1 = chat_model();
    v1.version = 1;
    assert!(invalid(&v1.bytes()).message.contains("GGUF version 1"));
    let mut v9 = chat_model();
    v9.version = 9;
    assert_eq!(
        invalid(&v9.bytes()).message,
        "unknown GGUF version 9 (this tool reads versions 2 and 3)"
    );
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = chat_model().bytes();
    for cut in 0..bytes.len() {
        match read(&bytes[..cut]) {
            Err(ReadError::Invalid(e)) => assert!(e.offset <= cut as u64, "cut {cut}: {e:?}"),
            other => panic!("cut at {cut}: expected an error, got {other:?}"),
        }
    }
}

#[test]
fn huge_counts_and_lengths_fail_at_once() {
    // 2^60 metadata keys.
    let mut g = chat_model();
    g.kv_count = Some(1 << 60);
    assert!(invalid(&g.bytes()).message.contains("metadata keys"));
    // An array of 2^60 strings.
    let g = Gguf::new().array("tokenizer.ggml.tokens", STRING, 1 << 60, vec![]);
    let e = invalid(&g.bytes());
    assert!(
        e.message.contains("claims 1152921504606846976 elements"),
        "{e:?}"
    );
    // A string whose length runs past the end of the file.
    let g = Gguf::new().raw(
        "tokenizer.chat_template",
        STRING,
        [u64::MAX.to_le_bytes().to_vec(), b"{{".to_vec()].concat(),
    );
    let e = invalid(&g.bytes());
    assert!(e.message.contains("past the end of the file"), "{e:?}");
    // Arrays of arrays are invalid for llama.cpp.
    let g = Gguf::new().array("x", ARRAY, 1, vec![]);
    assert!(invalid(&g.bytes()).message.contains("array of arrays"));
}

#[test]
fn wrong_types_duplicates_and_unknown_types_are_errors() {
    let g = Gguf::new().u32("tokenizer.chat_template", 5);
    assert_eq!(
        invalid(&g.bytes()).message,
        "`tokenizer.chat_template` has type u32; llama.cpp expects a string and refuses to load the model"
    );
    let g = Gguf::new().string("tokenizer.ggml.eos_token_id", "2");
    assert!(invalid(&g.bytes()).message.contains("expects u32"));
    let g = Gguf::new().strings("tokenizer.ggml.token_type", &["x"]);
    assert!(invalid(&g.bytes()).message.contains("expects i32"));
    let g = Gguf::new().u32("a", 1).u32("a", 2);
    assert!(invalid(&g.bytes()).message.contains("appears twice"));
    let g = Gguf::new().raw("a", 77, vec![]);
    assert!(invalid(&g.bytes())
        .message
        .contains("unknown value type 77"));
    let g = Gguf::new().raw("tokenizer.chat_template", STRING, {
        let mut v = 2u64.to_le_bytes().to_vec();
        v.extend_from_slice(&[0xff, 0xfe]);
        v
    });
    assert!(invalid(&g.bytes()).message.contains("not valid UTF-8"));
    let g = Gguf::new()
        .vocab(&["a", "b"], 0, 1)
        .i32s("tokenizer.ggml.token_type", &[1]);
    let bytes = g.bytes();
    let meta = read(&bytes).unwrap();
    let e = vocab::read_from(Cursor::new(&bytes), &meta).unwrap_err();
    assert!(e.message.contains("has 1 entries for 2 tokens"), "{e:?}");
}

#[test]
fn tensor_data_is_never_read() {
    // A tail of garbage after the metadata (tensor infos and data) changes nothing.
    let mut g = chat_model();
    g.tensor_count = 3;
    let clean = read(&g.bytes()).unwrap();
    g.tail = vec![0xAB; 1 << 20];
    let with_tail = read(&g.bytes()).unwrap();
    assert_eq!(clean.templates, with_tail.templates);
    assert_eq!(with_tail.tensor_count, 3);
}

//! Criterion bench of the gate as CI runs it: `check` on the bundled
//! example repo, on every template of `../shared/corpus` (skipped when
//! absent), and the read of a large `tokenizer.json` (a synthetic 20+ MB
//! file shaped like a Llama-3 one, scaled up: a 256k-entry vocabulary, 500k
//! merges, 256 added tokens, a BOS-adding post-processor). Peak memory of the same runs:
//! `benches/peak-memory.sh`.

use std::io::Write;
use std::path::{Path, PathBuf};

use chat_template_lint::check::{run_check, CheckOptions};
use chat_template_lint::discover::DiscoverOptions;
use chat_template_lint::load::tokenizer::read_tokenizer_info;
use chat_template_lint::render::default_now;
use chat_template_lint::resolve::Settings;
use criterion::{criterion_group, criterion_main, Criterion};

fn options(path: &Path, include: &[&str]) -> CheckOptions {
    CheckOptions {
        paths: vec![path.to_path_buf()],
        root: path.to_path_buf(),
        discover: DiscoverOptions {
            include: include.iter().map(|s| s.to_string()).collect(),
            exclude: vec![],
            ..DiscoverOptions::default()
        },
        now: default_now(),
        ..CheckOptions::default()
    }
}

/// Write a Llama-3-shaped tokenizer.json of more than 20 MB into `dir`.
pub fn write_large_tokenizer(dir: &Path) -> std::io::Result<u64> {
    let path = dir.join("tokenizer.json");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path)?);
    write!(
        f,
        "{{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":["
    )?;
    for id in 0..256u32 {
        let content = match id {
            0 => "<|begin_of_text|>".to_string(),
            1 => "<|end_of_text|>".to_string(),
            9 => "<|eot_id|>".to_string(),
            n => format!("<|reserved_special_token_{n}|>"),
        };
        let sep = if id == 0 { "" } else { "," };
        write!(
            f,
            "{sep}{{\"id\":{},\"content\":\"{content}\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,\"normalized\":false,\"special\":true}}",
            128_000 + id
        )?;
    }
    write!(
        f,
        "],\"normalizer\":null,\"pre_tokenizer\":{{\"type\":\"ByteLevel\"}},"
    )?;
    write!(
        f,
        "\"post_processor\":{{\"type\":\"TemplateProcessing\",\"single\":[{{\"SpecialToken\":{{\"id\":\"<|begin_of_text|>\",\"type_id\":0}}}},{{\"Sequence\":{{\"id\":\"A\",\"type_id\":0}}}}],\"pair\":[],\"special_tokens\":{{\"<|begin_of_text|>\":{{\"id\":\"<|begin_of_text|>\",\"ids\":[128000],\"tokens\":[\"<|begin_of_text|>\"]}}}}}},"
    )?;
    write!(
        f,
        "\"decoder\":{{\"type\":\"ByteLevel\"}},\"model\":{{\"type\":\"BPE\",\"vocab\":{{"
    )?;
    for id in 0..256_000u32 {
        let sep = if id == 0 { "" } else { "," };
        write!(f, "{sep}\"Ġtoken{id:x}\\u00e9nization\":{id}")?;
    }
    write!(f, "}},\"merges\":[")?;
    for i in 0..500_000u32 {
        let sep = if i == 0 { "" } else { "," };
        write!(f, "{sep}\"Ġtok{:x} enization{:x}\"", i / 7, i % 4096)?;
    }
    write!(f, "]}}}}")?;
    f.flush()?;
    drop(f);
    Ok(std::fs::metadata(&path)?.len())
}

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let settings = Settings::default();

    let examples = options(&root.join("examples"), &[]);
    c.bench_function("check examples/ (4 folders, 5 templates)", |b| {
        b.iter(|| run_check(&examples, &settings).map(|r| r.findings.len()))
    });

    let corpus = root.join("../shared/corpus");
    if corpus.is_dir() {
        let opts = options(&corpus, &["*.jinja", "*.json"]);
        c.bench_function("check ../shared/corpus (598 templates)", |b| {
            b.iter(|| run_check(&opts, &settings).map(|r| r.stats.renders))
        });
    } else {
        println!("SKIPPED: ../shared/corpus is absent");
    }

    let dir = tempfile::tempdir().expect("a temp dir");
    let size = write_large_tokenizer(dir.path()).expect("write tokenizer.json");
    println!("synthetic tokenizer.json: {:.1} MB", size as f64 / 1e6);
    c.bench_function("read a 20 MB tokenizer.json", |b| {
        b.iter(|| {
            let mut model = chat_template_lint::load::LoadedModel::default();
            read_tokenizer_info(&mut model, Some(dir.path()), None, None)
                .added_tokens
                .len()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);

//! Criterion bench: render every conformance case (issue 3 asks for all
//! 12,712 renders in well under a second of CPU). Templates are compiled
//! once, outside the measured loop, as `check` does. Skips when
//! `../shared` is absent.

use std::path::PathBuf;

use chat_template_lint::render::{compile, Compiled, RenderInput};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;

fn load_cases() -> Option<Vec<(usize, RenderInput)>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance");
    let text = std::fs::read_to_string(dir.join("cases.jsonl")).ok()?;
    let mut templates: Vec<(String, Option<Compiled>)> = Vec::new();
    let mut cases = Vec::new();
    for line in text.lines() {
        let case: Value = serde_json::from_str(line).ok()?;
        let tpath = case["template"].as_str()?.to_string();
        let idx = match templates.iter().position(|(p, _)| *p == tpath) {
            Some(i) => i,
            None => {
                let src = std::fs::read_to_string(dir.join(&tpath)).ok()?;
                templates.push((tpath, compile(&src).ok()));
                templates.len() - 1
            }
        };
        let now = chrono::NaiveDateTime::parse_from_str(
            case["now"].as_str().unwrap_or("2024-07-26T00:00:00"),
            "%Y-%m-%dT%H:%M:%S",
        )
        .ok()?;
        cases.push((
            idx,
            RenderInput {
                messages: case["messages"].clone(),
                tools: case.get("tools").cloned(),
                documents: None,
                add_generation_prompt: case["add_generation_prompt"].as_bool()?,
                vars: case["vars"].as_object().cloned().unwrap_or_default(),
                now,
            },
        ));
    }
    TEMPLATES.with(|t| *t.borrow_mut() = templates.into_iter().map(|(_, c)| c).collect());
    Some(cases)
}

thread_local! {
    static TEMPLATES: std::cell::RefCell<Vec<Option<Compiled>>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn bench(c: &mut Criterion) {
    let Some(cases) = load_cases() else {
        println!("SKIPPED: ../shared/conformance is absent; nothing to bench");
        return;
    };
    c.bench_function("render all conformance cases", |b| {
        b.iter(|| {
            TEMPLATES.with(|t| {
                let t = t.borrow();
                let mut bytes = 0usize;
                for (idx, input) in &cases {
                    if let Some(Some(compiled)) = t.get(*idx) {
                        bytes += compiled.render(input).map(|s| s.len()).unwrap_or(0);
                    }
                }
                bytes
            })
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);

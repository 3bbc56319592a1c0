//! Conformance: render every case in `../shared/conformance/cases.jsonl`
//! and compare with what transformers 5.24.0 produced (issue 3).
//!
//! A case matches when transformers rendered and we render the same bytes,
//! or when transformers raised and we fail too. Skips (with a printed
//! message) when `../shared` is absent.
//!
//! `CONFORMANCE_DUMP=FILE` writes every mismatch as one JSON line (id,
//! expected, got, first differing byte) for grouping by cause.

mod common;

use std::collections::HashMap;
use std::io::Write;

use chat_template_lint::render::{compile, Compiled, RenderInput};
use serde_json::{json, Map, Value};

/// First byte where `a` and `b` differ, if they do.
fn first_diff(a: &str, b: &str) -> Option<usize> {
    let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    (n < a.len().max(b.len()) || a.len() != b.len()).then_some(n)
}

/// Up to 40 bytes either side of `at`, widened to char boundaries.
fn context(s: &str, at: usize) -> &str {
    let mut lo = at.saturating_sub(40).min(s.len());
    let mut hi = (at + 40).min(s.len());
    while !s.is_char_boundary(lo) {
        lo -= 1;
    }
    while !s.is_char_boundary(hi) {
        hi += 1;
    }
    &s[lo..hi]
}

fn parse_now(s: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .unwrap_or_else(|e| panic!("bad `now` {s}: {e}"))
}

/// Print past libtest's output capture (it captures `print!`/`eprint!`,
/// not direct writes), so the count shows in every `cargo test` log.
fn visible(line: &str) {
    let _ = writeln!(std::io::stderr(), "conformance: {line}");
}

#[test]
fn conformance_with_transformers() {
    let Some(dir) = common::shared("conformance") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("cases.jsonl"))
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join("cases.jsonl").display()));
    // Per template: the compiled engine, and whether it has generation tags.
    let mut compiled: HashMap<String, (Option<Compiled>, bool)> = HashMap::new();
    let mut total = 0usize;
    let mut matched = 0usize;
    let mut failures: Vec<String> = Vec::new();
    let mut dump = std::env::var_os("CONFORMANCE_DUMP")
        .map(|p| std::fs::File::create(p).expect("cannot create the dump file"));
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Value = serde_json::from_str(line).expect("case is JSON");
        total += 1;
        let id = case["id"].as_str().unwrap_or_default().to_string();
        let tpath = case["template"]
            .as_str()
            .expect("template path")
            .to_string();
        let (engine, has_generation) = compiled.entry(tpath.clone()).or_insert_with(|| {
            let src = std::fs::read_to_string(dir.join(&tpath)).expect("template readable");
            (compile(&src).ok(), src.contains("endgeneration"))
        });
        let vars: Map<String, Value> = case["vars"].as_object().cloned().unwrap_or_default();
        let input = RenderInput {
            messages: case["messages"].clone(),
            tools: case.get("tools").cloned().filter(|v| !v.is_null()),
            documents: case.get("documents").cloned().filter(|v| !v.is_null()),
            add_generation_prompt: case["add_generation_prompt"].as_bool().unwrap_or(false),
            vars,
            now: parse_now(case["now"].as_str().unwrap_or("2024-07-26T00:00:00")),
        };
        let got: Result<String, String> = match engine {
            None => Err("compile error".into()),
            Some(c) => c
                .render(&input)
                .map_err(|e| format!("{} (line {:?})", e.message, e.line)),
        };
        // Recording `{% generation %}` spans must not change the text, and
        // the spans must lie inside it.
        if let (Some(c), Ok(text)) = (engine.as_ref(), &got) {
            if *has_generation {
                let (marked, spans) = c
                    .render_with_generation_spans(&input)
                    .unwrap_or_else(|e| panic!("{id}: spans render failed: {}", e.message));
                assert_eq!(&marked, text, "{id}: recording spans changed the render");
                assert!(
                    spans.iter().all(|r| r.start < r.end && r.end <= text.len()),
                    "{id}: bad spans {spans:?}"
                );
                if id.contains("/train_pair") {
                    assert!(
                        !spans.is_empty(),
                        "{id}: no generation span for the assistant turn"
                    );
                }
            }
        }
        let expected = &case["expected"];
        let want: Result<&str, &str> = if expected["ok"].as_bool() == Some(true) {
            Ok(expected["output"].as_str().unwrap_or_default())
        } else {
            Err(expected["error"].as_str().unwrap_or_default())
        };
        let (ok, note) = match (&want, &got) {
            (Ok(w), Ok(g)) => match first_diff(w, g) {
                None => (true, String::new()),
                Some(at) => (
                    false,
                    format!(
                        "first difference at byte {at}: expected …{:?}… got …{:?}…",
                        context(w, at),
                        context(g, at)
                    ),
                ),
            },
            (Err(_), Err(_)) => (true, String::new()),
            (Ok(_), Err(e)) => (false, format!("we fail ({e}) where transformers renders")),
            (Err(w), Ok(_)) => (false, format!("we render where transformers raises {w}")),
        };
        if ok {
            matched += 1;
            continue;
        }
        if failures.len() < 8 {
            failures.push(format!("{tpath} / {id}: {note}"));
        }
        if let Some(f) = dump.as_mut() {
            let at = match (&want, &got) {
                (Ok(w), Ok(g)) => first_diff(w, g),
                _ => None,
            };
            let rec = json!({
                "id": id,
                "template": tpath,
                "expected": expected,
                "got": match &got { Ok(s) => json!({"ok": true, "output": s}), Err(e) => json!({"ok": false, "error": e}) },
                "diff_at": at,
                "note": note,
            });
            writeln!(f, "{rec}").expect("dump write");
        }
    }
    visible(&format!("{matched}/{total} cases match transformers"));
    assert!(
        failures.is_empty(),
        "{} of {total} cases differ from transformers; first ones:\n{}",
        total - matched,
        failures.join("\n")
    );
}

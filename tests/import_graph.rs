//! The import graph of `src/` (issue 10): the leaf modules stay leaves.
//!
//! `rule` (rule identity), `finding` and `load` must not import the rules,
//! the pipeline, the commands or the reports, and no import cycle may run
//! through them (one did: `finding` and `load` imported `rules::Rule`, and
//! 23 files formed one cycle). The graph is read from the source text:
//! every `crate::NAME` path in a file is an edge from the file's top-level
//! module to `NAME`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src is readable")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/load/json.rs` → `load`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy()
        .to_string();
    first.trim_end_matches(".rs").to_string()
}

/// Every `NAME` in `crate::NAME` (and `crate::{NAME, …}`) outside comments.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let names: Vec<&str> = match after.strip_prefix('{') {
                Some(list) => list
                    .split('}')
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .map(|n| n.trim().split("::").next().unwrap_or(""))
                    .collect(),
                None => vec![after],
            };
            for name in names {
                let ident: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !ident.is_empty() {
                    out.insert(ident);
                }
            }
            rest = after;
        }
    }
    out
}

/// Module (or file) → the modules it names.
type Edges = BTreeMap<String, BTreeSet<String>>;

/// Module → the modules it names, and file → the modules it names.
fn graph() -> (Edges, Vec<(String, BTreeSet<String>)>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut modules = Edges::new();
    let mut per_file = Vec::new();
    for file in files {
        let module = module_of(&src, &file);
        let text = std::fs::read_to_string(&file).expect("readable");
        let refs: BTreeSet<String> = crate_refs(&text)
            .into_iter()
            .filter(|r| *r != module)
            .collect();
        modules
            .entry(module)
            .or_default()
            .extend(refs.iter().cloned());
        let rel = file
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        per_file.push((rel, refs));
    }
    (modules, per_file)
}

/// The modules `from` reaches by following imports.
fn reachable(graph: &Edges, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_string()];
    while let Some(m) = stack.pop() {
        for next in graph.get(&m).into_iter().flatten() {
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    seen
}

#[test]
fn leaf_modules_import_nothing_from_the_pipeline() {
    let (_, files) = graph();
    let leaves = |f: &str| f == "rule.rs" || f == "finding.rs" || f.starts_with("load/");
    let forbidden = ["rules", "check", "commands", "report"];
    let mut bad = Vec::new();
    let mut checked = 0;
    for (file, refs) in files.iter().filter(|(f, _)| leaves(f)) {
        checked += 1;
        for r in refs.iter().filter(|r| forbidden.contains(&r.as_str())) {
            bad.push(format!("{file} imports crate::{r}"));
        }
    }
    assert!(
        checked >= 8,
        "rule.rs, finding.rs and load/* were not found"
    );
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn no_import_cycle_runs_through_the_lower_modules() {
    let (modules, _) = graph();
    assert!(modules.contains_key("rules") && modules.contains_key("load"));
    // The leaves of issue 10, and the modules the cycles ran through
    // before (discover and gguf with load; capabilities with the rules).
    for leaf in [
        "rule",
        "finding",
        "load",
        "discover",
        "gguf",
        "capabilities",
        "probes",
        "resolve",
        "suppress",
    ] {
        let back = reachable(&modules, leaf);
        assert!(
            !back.contains(leaf),
            "`{leaf}` reaches itself through {:?}",
            back.iter()
                .filter(|m| reachable(&modules, m).contains(leaf))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_reference_parser_sees_every_form() {
    let refs = crate_refs(
        "use crate::finding::{Finding, Span};\nuse crate::{load, rule::Rule};\nlet x = crate::report::location::line_col(a, b); // crate::commands\n",
    );
    let want: BTreeSet<String> = ["finding", "load", "rule", "report"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(refs, want);
}

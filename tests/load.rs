//! Discovery and loading: model folders, named templates, precedence,
//! `config-invalid` / `template-missing` / `template-sources-disagree`,
//! and hostile input (fixtures under tests/fixtures/load/, generated cases in
//! temp folders). What `check` prints for each fixture folder, message,
//! line, column and help, is its snapshot
//! (`tests/snapshots/fixture_snapshots__load@NAME.snap`); generated cases
//! snapshot their whole output here.

mod common;

use std::path::{Path, PathBuf};

use chat_template_lint::check::{run_check, CheckOptions};
use chat_template_lint::discover::{discover, DiscoverOptions, ModelDir};
use chat_template_lint::finding::Finding;
use chat_template_lint::load::{load, LoadedModel, Origin};
use chat_template_lint::render::default_now;
use chat_template_lint::report::position;
use chat_template_lint::resolve::{Report, Settings};
use chat_template_lint::rules::Rule;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/load")
}

fn load_fixture(name: &str) -> LoadedModel {
    let root = fixtures();
    load(&ModelDir {
        dir: root.join(name),
        rel_dir: name.to_string(),
    })
}

/// The whole pipeline over `paths`, reported relative to `root`.
fn check(paths: &[PathBuf], root: &Path, discover: DiscoverOptions) -> Report {
    let opts = CheckOptions {
        paths: paths.to_vec(),
        root: root.to_path_buf(),
        discover,
        now: default_now(),
        ..CheckOptions::default()
    };
    run_check(&opts, &Settings::default()).expect("check runs")
}

/// A temp folder checked whole, reported relative to it.
fn check_dir(dir: &Path) -> Report {
    check(&[dir.to_path_buf()], dir, DiscoverOptions::default())
}

/// `rule` reported nothing.
fn assert_quiet(r: &Report, rule: Rule) {
    assert!(of_rule(r, rule).is_empty(), "{rule:?}: {:?}", r.findings);
}

/// Write a generated file.
fn write(path: &Path, contents: impl AsRef<[u8]>) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn check_fixture(name: &str) -> Report {
    let root = fixtures();
    check(&[root.join(name)], &root, DiscoverOptions::default())
}

fn of_rule(report: &Report, rule: Rule) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.rule == rule).collect()
}

fn names(model: &LoadedModel) -> Vec<(&str, Origin)> {
    model
        .templates
        .iter()
        .map(|t| (t.name.as_str(), t.origin))
        .collect()
}

// ---- precedence and named templates ----

#[test]
fn modern_layout_loads_chat_template_jinja() {
    let m = load_fixture("modern");
    assert_eq!(names(&m), [("default", Origin::JinjaFile)]);
    assert!(m.findings.is_empty(), "{:?}", m.findings);
    assert!(m.has_tokenizer_config);
    // `{"content": ...}` special tokens are unwrapped; null ones are absent.
    assert_eq!(
        m.special_tokens.get("eos_token").map(String::as_str),
        Some("<|im_end|>")
    );
    assert_eq!(
        m.special_tokens.get("pad_token").map(String::as_str),
        Some("<|endoftext|>")
    );
    assert!(!m.special_tokens.contains_key("bos_token"));
    let r = check_fixture("modern");
    for rule in [
        Rule::ConfigInvalid,
        Rule::TemplateMissing,
        Rule::TemplateSourcesDisagree,
    ] {
        assert!(of_rule(&r, rule).is_empty(), "{rule:?}: {:?}", r.findings);
    }
}

#[test]
fn named_templates_in_the_config_key_are_all_loaded() {
    let m = load_fixture("named");
    assert_eq!(
        names(&m),
        [
            ("default", Origin::TokenizerConfig),
            ("tool_use", Origin::TokenizerConfig)
        ]
    );
    assert!(m.templates[1].text.contains("tools | tojson"));
    assert_eq!(check_fixture("named").stats.templates, 2);
}

#[test]
fn additional_chat_templates_are_named_by_file_stem() {
    let m = load_fixture("additional");
    assert_eq!(
        names(&m),
        [
            ("default", Origin::JinjaFile),
            ("rag", Origin::AdditionalJinja)
        ]
    );
    assert_eq!(
        m.templates[1].path,
        "additional/additional_chat_templates/rag.jinja"
    );
}

// ---- template-sources-disagree ----

/// The shadowed source is rendered by the pipeline with the run's `--var`s
/// and `--now`: two templates that differ only in where a value comes from
/// agree once the user supplies it.
#[test]
fn shadowed_sources_render_with_the_runs_variables_and_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    let used =
        "{{ greeting }}{{ strftime_now('%Y') }}{% for m in messages %}{{ m.content }}{% endfor %}";
    let old = "{{ 'hi' }}{{ '2031' }}{% for m in messages %}{{ m.content }}{% endfor %}";
    std::fs::write(p.join("chat_template.jinja"), used).expect("write");
    std::fs::write(
        p.join("tokenizer_config.json"),
        serde_json::json!({"eos_token": "</s>", "chat_template": old}).to_string(),
    )
    .expect("write");
    let run = |vars: serde_json::Map<String, serde_json::Value>, now| {
        let opts = CheckOptions {
            paths: vec![p.to_path_buf()],
            root: p.to_path_buf(),
            now,
            vars,
            ..CheckOptions::default()
        };
        let r = run_check(&opts, &Settings::default()).expect("check runs");
        of_rule(&r, Rule::TemplateSourcesDisagree).len()
    };
    let mut vars = serde_json::Map::new();
    vars.insert("greeting".into(), "hi".into());
    let in_2031 = chrono::NaiveDate::from_ymd_opt(2031, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date");
    assert_eq!(run(serde_json::Map::new(), default_now()), 1, "no --var");
    assert_eq!(run(vars.clone(), default_now()), 1, "another clock");
    assert_eq!(run(vars, in_2031), 0, "same prompts with --var and --now");
}

#[test]
fn stale_config_key_disagrees_with_chat_template_jinja() {
    let m = load_fixture("disagree");
    assert_eq!(names(&m), [("default", Origin::JinjaFile)]);
    assert_eq!(m.shadowed.len(), 1);
    let r = check_fixture("disagree");
    let found = of_rule(&r, Rule::TemplateSourcesDisagree);
    assert_eq!(found.len(), 1, "{:?}", r.findings);
    // Reported on the stale source, at its JSON string literal (line 3).
    assert_eq!(found[0].path, "disagree/tokenizer_config.json");
    assert_eq!(position(&r, found[0]).map(|p| p.line), Some(3));
}

#[test]
fn a_trailing_newline_is_not_a_disagreement() {
    let r = check_fixture("agree-trailing-newline");
    assert_quiet(&r, Rule::TemplateSourcesDisagree);
}

#[test]
fn line_endings_are_not_a_disagreement_but_other_whitespace_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let template = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}";
    write(
        &dir.path().join("chat_template.jinja"),
        template.replace('\n', "\r\n") + "\r\n",
    );
    write(
        &dir.path().join("tokenizer_config.json"),
        serde_json::json!({ "chat_template": template }).to_string(),
    );
    let r = check_dir(dir.path());
    assert_quiet(&r, Rule::TemplateSourcesDisagree);
    // `whitespace-differs` (other whitespace) is one finding: its snapshot.
}

#[test]
fn named_template_lost_to_chat_template_jinja_is_reported() {
    let m = load_fixture("lost-named");
    // transformers replaces the key wholesale: `tool_use` is gone.
    assert_eq!(names(&m), [("default", Origin::JinjaFile)]);
    let r = check_fixture("lost-named");
    let found = of_rule(&r, Rule::TemplateSourcesDisagree);
    assert_eq!(found.len(), 1, "{:?}", r.findings);
    assert_eq!(found[0].template.as_deref(), Some("tool_use"));
}

#[test]
fn processor_chat_template_json_disagrees_with_config_key() {
    let m = load_fixture("processor");
    assert_eq!(names(&m), [("default", Origin::ChatTemplateJson)]);
    let r = check_fixture("processor");
    assert_eq!(
        of_rule(&r, Rule::TemplateSourcesDisagree).len(),
        1,
        "{:?}",
        r.findings
    );
}

// ---- template-missing ----

#[test]
fn config_without_any_template_is_template_missing() {
    let r = check_fixture("missing");
    let found = of_rule(&r, Rule::TemplateMissing);
    assert_eq!(found.len(), 1, "{:?}", r.findings);
    assert_eq!(found[0].path, "missing/tokenizer_config.json");
    for ok in ["modern", "named", "disagree", "invalid-json", "lfs-pointer"] {
        let r = check_fixture(ok);
        assert!(
            of_rule(&r, Rule::TemplateMissing).is_empty(),
            "{ok}: {:?}",
            r.findings
        );
    }
}

// ---- config-invalid ----
// The fixture folders (invalid-json, wrong-type, lfs-pointer, empty, …):
// message, line, column and help are in their snapshots.

#[test]
fn bad_list_entries_are_reported_and_good_ones_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "{\n  \"chat_template\": [\n    {\"name\": \"default\", \"template\": \"hi\"},\n    {\"name\": \"rag\"},\n    \"x\"\n  ]\n}\n";
    write(&dir.path().join("tokenizer_config.json"), text);
    let r = check_dir(dir.path());
    // Two config-invalid findings, at lines 4 and 5; one template kept.
    insta::assert_snapshot!(common::text_output(&r));
}

#[test]
fn non_utf8_file_is_reported_at_the_bad_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = b"{\n  \"eos_token\": \"caf".to_vec();
    bytes.extend([0xE9, b'"', b'\n', b'}']); // Latin-1 é
    write(&dir.path().join("tokenizer_config.json"), bytes);
    let r = check_dir(dir.path());
    // At line 2, column 20: the bad byte.
    insta::assert_snapshot!(common::text_output(&r));
}

#[test]
fn a_folder_named_like_a_config_is_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("tokenizer_config.json")).expect("mkdir");
    write(&dir.path().join("chat_template.jinja"), "{{ messages }}");
    let r = check_dir(dir.path());
    insta::assert_snapshot!(common::text_output(&r));
}

#[test]
fn huge_config_is_a_finding_not_an_allocation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big");
    std::fs::create_dir(&big).expect("mkdir");
    let file = std::fs::File::create(big.join("tokenizer_config.json")).expect("create");
    file.set_len(50 * 1024 * 1024).expect("50 MB"); // sparse: cheap to make
    let ok = dir.path().join("ok");
    std::fs::create_dir(&ok).expect("mkdir");
    write(&ok.join("chat_template.jinja"), "{{ messages }}");
    let r = check_dir(dir.path());
    // One finding on the big file; the other folder is still checked.
    insta::assert_snapshot!(common::text_output(&r));
}

// ---- offsets: templates inside JSON point at real file lines ----

#[test]
fn template_offsets_map_to_file_lines() {
    let m = load_fixture("named");
    let t = &m.templates[1];
    let source = &m
        .sources
        .iter()
        .find(|s| s.path == t.path)
        .expect("source kept")
        .text;
    for needle in ["{%- if tools %}", "<|im_start|>assistant", "{%- endif %}"] {
        let at = t.text.rfind(needle).expect("needle in template");
        let f = t.offsets.to_file(at);
        assert!(
            source[f..].starts_with(needle),
            "{needle}: {:?}",
            &source[f..f + 20]
        );
    }
    // The template's own `\n` (backslash, n) is `\\n` in the file: the
    // backslash maps to its escape, the `n` to the byte after it.
    let bs = t.text.find('\\').expect("backslash");
    let f = t.offsets.to_file(bs);
    assert_eq!(&source[f..f + 3], "\\\\n");
    assert_eq!(t.offsets.to_file(bs + 1), f + 2);
}

// ---- discovery ----

#[test]
fn default_discovery_finds_every_kind_of_model_folder() {
    let root = fixtures();
    let dirs = discover(
        std::slice::from_ref(&root),
        &root,
        &DiscoverOptions::default(),
    )
    .expect("discover");
    let rels: Vec<&str> = dirs.iter().map(|d| d.rel_dir.as_str()).collect();
    for expected in [
        "additional",
        "modern",
        "named",
        "processor",
        "missing",
        "empty",
    ] {
        assert!(rels.contains(&expected), "{expected} not in {rels:?}");
    }
    // Loose files are not model folders by default.
    assert!(!rels.iter().any(|r| r.starts_with("loose")), "{rels:?}");
}

/// Files with model-file names that are something else (LMDeploy's
/// chat-template config, a messenger app's strings, an aider prompt file, a
/// persona list, a web page template, a playground's settings), in folders
/// with no Hugging Face file: not model folders, so no findings.
#[test]
fn marker_names_alone_do_not_make_a_model_folder() {
    let root = fixtures();
    let apps = root.join("not-model-files");
    let dirs = discover(
        std::slice::from_ref(&apps),
        &root,
        &DiscoverOptions::default(),
    )
    .expect("discover");
    assert!(dirs.is_empty(), "{dirs:?}");
    let r = check(
        std::slice::from_ref(&apps),
        &root,
        DiscoverOptions::default(),
    );
    assert!(r.findings.is_empty(), "{:?}", r.findings);

    // Beside a processor file, a chat_template.json without the key is
    // broken: the `processor-without-key` snapshot.

    // With the key it is a processor's template, wherever it is.
    let r = check_fixture("processor-json-only");
    assert_eq!((r.stats.folders, r.stats.templates), (1, 1));
    assert!(r.findings.is_empty(), "{:?}", r.findings);

    // Named on the command line, a file is always checked.
    let lmdeploy = apps.join("lmdeploy/chat_template.json");
    let r = check(&[lmdeploy], &root, DiscoverOptions::default());
    let found = of_rule(&r, Rule::ConfigInvalid);
    assert_eq!(found.len(), 1, "{:?}", r.findings);
    assert_eq!(found[0].path, "not-model-files/lmdeploy/chat_template.json");
}

#[test]
fn include_globs_make_loose_files_checkable() {
    let root = fixtures();
    let opts = DiscoverOptions {
        include: vec!["loose/*.jinja".into(), "loose/*.json".into()],
        exclude: vec![],
        ..DiscoverOptions::default()
    };
    let dirs = discover(std::slice::from_ref(&root), &root, &opts).expect("discover");
    let rels: Vec<&str> = dirs.iter().map(|d| d.rel_dir.as_str()).collect();
    // settings.json has no top-level `chat_template` key: skipped.
    assert_eq!(
        rels,
        [
            "loose/llama-ish.jinja",
            "loose/org__model__tokenizer_config.json"
        ]
    );
    let r = check(std::slice::from_ref(&root), &root, opts);
    assert_eq!(
        (r.stats.folders, r.stats.files, r.stats.templates),
        (0, 2, 2)
    );
    assert_quiet(&r, Rule::ConfigInvalid);
    let json = load(&dirs[1]);
    assert!(json.loose);
    assert_eq!(
        json.templates[0].path,
        "loose/org__model__tokenizer_config.json"
    );
    assert_eq!(
        json.special_tokens.get("eos_token").map(String::as_str),
        Some("<|im_end|>")
    );
}

#[test]
fn explicit_files_are_always_checked() {
    let root = fixtures();
    let paths = [
        root.join("loose/settings.json"),
        root.join("named/tokenizer_config.json"),
    ];
    let r = check(&paths, &root, DiscoverOptions::default());
    let rels: Vec<&str> = r.models.iter().map(|m| m.rel_dir.as_str()).collect();
    assert_eq!(rels, ["loose/settings.json", "named"]);
    // A JSON file named explicitly without a `chat_template` key.
    let found = of_rule(&r, Rule::TemplateMissing);
    assert_eq!(found.len(), 1, "{:?}", r.findings);
    assert_eq!(found[0].path, "loose/settings.json");
}

#[test]
fn exclude_gitignore_and_dot_git_are_respected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    for sub in ["a", "old/b", "ignored/c", ".git/d", ".hidden/e"] {
        std::fs::create_dir_all(p.join(sub)).expect("mkdir");
        std::fs::write(p.join(sub).join("chat_template.jinja"), "{{ messages }}").expect("write");
    }
    write(&p.join(".gitignore"), "ignored/\n");
    let opts = DiscoverOptions {
        include: vec![],
        exclude: vec!["old".into()],
        ..DiscoverOptions::default()
    };
    let dirs = discover(&[p.to_path_buf()], p, &opts).expect("discover");
    let rels: Vec<&str> = dirs.iter().map(|d| d.rel_dir.as_str()).collect();
    assert_eq!(rels, [".hidden/e", "a"]);
    let bad = DiscoverOptions {
        include: vec!["a/[".into()],
        exclude: vec![],
        ..DiscoverOptions::default()
    };
    assert!(discover(&[p.to_path_buf()], p, &bad).is_err());
    assert!(discover(&[p.join("nope")], p, &DiscoverOptions::default()).is_err());
}

#[cfg(unix)]
#[test]
fn symlink_loops_do_not_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::create_dir_all(p.join("m/sub")).expect("mkdir");
    write(&p.join("m/chat_template.jinja"), "{{ messages }}");
    std::os::unix::fs::symlink(p.join("m"), p.join("m/sub/loop")).expect("symlink");
    std::os::unix::fs::symlink("self", p.join("self")).expect("symlink");
    let (tx, rx) = std::sync::mpsc::channel();
    let root = p.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(discover(
            std::slice::from_ref(&root),
            &root,
            &DiscoverOptions::default(),
        ));
    });
    let dirs = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("discovery finished")
        .expect("discover");
    let rels: Vec<&str> = dirs.iter().map(|d| d.rel_dir.as_str()).collect();
    assert!(rels.contains(&"m"), "{rels:?}");
}

// ---- the shared corpus ----

#[test]
fn discovers_every_template_in_the_shared_corpus() {
    let Some(corpus) = common::shared("corpus") else {
        return;
    };
    let opts = DiscoverOptions {
        include: vec!["**/*.jinja".into(), "**/*.json".into()],
        exclude: vec![],
        ..DiscoverOptions::default()
    };
    let dirs = discover(std::slice::from_ref(&corpus), &corpus, &opts).expect("discover");
    let mut expected = Vec::new();
    let mut stack = vec![corpus.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "jinja") {
                expected.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                if v.get("chat_template").is_some() {
                    expected.push(path);
                }
            }
        }
    }
    let found: std::collections::BTreeSet<&Path> = dirs.iter().map(|d| d.dir.as_path()).collect();
    for path in &expected {
        assert!(
            found.contains(path.as_path()),
            "not discovered: {}",
            path.display()
        );
    }
    let mut templates = 0;
    for d in &dirs {
        let m = load(d);
        assert!(m.findings.is_empty(), "{}: {:?}", d.rel_dir, m.findings);
        templates += m.templates.len();
    }
    println!(
        "corpus: {} files/folders, {} templates",
        dirs.len(),
        templates
    );
    assert!(templates >= expected.len());
}

#[test]
fn lfs_pointer_template_and_deeply_nested_json_are_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    write(
        &p.join("chat_template.jinja"),
        "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 12\n",
    );
    let deep = format!("{{\"a\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    write(&p.join("tokenizer_config.json"), deep);
    let r = check_dir(p);
    // Two config-invalid findings: the LFS pointer, the recursion limit.
    assert_eq!(
        of_rule(&r, Rule::ConfigInvalid).len(),
        2,
        "{:?}",
        r.findings
    );
    insta::assert_snapshot!(common::text_output(&r));
}

#[test]
fn render_takes_the_template_of_the_file_it_is_given() {
    let root = fixtures();
    let tmp = tempfile::tempdir().expect("tempdir");
    let messages = tmp.path().join("messages.json");
    std::fs::write(&messages, r#"[{"role": "user", "content": "hi"}]"#).expect("write");
    let render = |file: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
            .args(["render", "--add-generation-prompt", "--messages"])
            .arg(&messages)
            .arg(root.join(file))
            .output()
            .expect("runs")
    };
    let out = render("loose/org__model__tokenizer_config.json");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    );
    // The folder's winner is chat_template.jinja; naming the config renders the config's (stale) key.
    let out = render("disagree/tokenizer_config.json");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "<|im_start|>user\nhi<|im_end|>\n"
    );
    let out = render("disagree");
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("<|im_start|>assistant\n"));
}

#[test]
fn bom_empty_template_and_processor_conflict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    // A BOM in a .jinja file is kept by transformers: reported, still checked.
    std::fs::create_dir_all(p.join("bom")).expect("mkdir");
    write(&p.join("bom/chat_template.jinja"), "\u{feff}{{ messages }}");
    // An empty template string in the config.
    std::fs::create_dir_all(p.join("empty-key")).expect("mkdir");
    write(
        &p.join("empty-key/tokenizer_config.json"),
        "{\n  \"chat_template\": \"  \"\n}\n",
    );
    // chat_template.json + additional_chat_templates/: AutoProcessor raises.
    std::fs::create_dir_all(p.join("conflict/additional_chat_templates")).expect("mkdir");
    write(
        &p.join("conflict/additional_chat_templates/rag.jinja"),
        "{{ messages }}",
    );
    write(
        &p.join("conflict/chat_template.json"),
        r#"{"chat_template": "{{ messages }}"}"#,
    );
    let r = check_dir(p);
    // config-invalid for the BOM and for the empty key (at line 2, and not
    // also template-missing), template-sources-disagree for the conflict
    // (AutoProcessor raises ValueError); two templates checked.
    assert_eq!(
        of_rule(&r, Rule::ConfigInvalid).len(),
        2,
        "{:?}",
        r.findings
    );
    assert_quiet(&r, Rule::TemplateMissing);
    insta::assert_snapshot!(common::text_output(&r));
}

#[test]
fn different_text_with_identical_prompts_is_not_a_disagreement() {
    // `"\n"` in a Jinja string written as an escape in one source and as a
    // raw newline in the other (seen in gpt-oss-20b's two template files).
    let dir = tempfile::tempdir().expect("tempdir");
    let jinja =
        std::fs::read_to_string(fixtures().join("modern/chat_template.jinja")).expect("read");
    let raw = jinja.replace("\\n", "\n");
    assert_ne!(raw, jinja);
    write(&dir.path().join("chat_template.jinja"), &jinja);
    write(
        &dir.path().join("tokenizer_config.json"),
        serde_json::json!({ "chat_template": raw }).to_string(),
    );
    let r = check_dir(dir.path());
    assert_quiet(&r, Rule::TemplateSourcesDisagree);
}

#[test]
fn cli_include_exclude_flags_reach_discovery() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_chat-template-lint"))
            .args(["check", "--no-config", "--format", "json"])
            .args(args)
            .current_dir(fixtures())
            .env_remove("GITHUB_ACTIONS")
            .output()
            .expect("runs")
    };
    let paths = |o: &std::process::Output| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
        let mut p: Vec<String> = v
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|f| f["path"].as_str().map(str::to_string))
            .collect();
        p.sort();
        p.dedup();
        p
    };
    // A glob-matched JSON file without a `chat_template` key is skipped; the
    // same file named explicitly is checked (and has no template).
    let missing = ["--select", "template-missing", "--fail-on", "warning"];
    let o = run(&[&missing[..], &["--include", "loose/*.json", "."]].concat());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = run(&[&missing[..], &["loose/settings.json"]].concat());
    assert_eq!(paths(&o), ["loose/settings.json"]);
    // Default discovery minus the broken folders: no config-invalid left.
    let o = run(&[
        "--select",
        "config-invalid",
        "--exclude",
        "{invalid-json,wrong-type,lfs-pointer,empty,processor-without-key}",
        ".",
    ]);
    assert_eq!(o.status.code(), Some(0), "{:?}", paths(&o));
    let o = run(&["--select", "config-invalid", "."]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        paths(&o),
        [
            "empty/tokenizer_config.json",
            "invalid-json/tokenizer_config.json",
            "lfs-pointer/tokenizer_config.json",
            "processor-without-key/chat_template.json",
            "wrong-type/tokenizer_config.json"
        ]
    );
    // A bad glob is the tool's failure: exit 2.
    let o = run(&["--include", "a/[", "."]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--include `a/[`"));
}

#[test]
fn a_loose_template_is_named_by_the_end_of_its_stem() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Iterates `tools` unguarded, as Hermes-2-Pro's tool_use template does:
    // transformers passes tools=None when there are none, so it fails then.
    let tool_loop = "{% for tool in tools %}{{ tool | tojson }}{% endfor %}\
        {% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}\
        {% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    for file in ["Hermes-3-tool_use.jinja", "plain.jinja", "gadget_use.jinja"] {
        std::fs::write(dir.path().join(file), tool_loop).expect("write");
    }
    write(&dir.path().join("c4ai__RAG.jinja"), "{{ documents[0] }}");
    write(&dir.path().join("drag.jinja"), "hi");
    let name_of = |file: &str| {
        let m = load(&ModelDir {
            dir: dir.path().join(file),
            rel_dir: file.to_string(),
        });
        m.templates[0].name.clone()
    };
    assert_eq!(name_of("Hermes-3-tool_use.jinja"), "tool_use");
    assert_eq!(name_of("c4ai__RAG.jinja"), "rag");
    assert_eq!(name_of("plain.jinja"), "default");
    assert_eq!(name_of("drag.jinja"), "default");
    assert_eq!(name_of("gadget_use.jinja"), "default");

    let opts = DiscoverOptions {
        include: vec!["*.jinja".into()],
        exclude: vec![],
        ..DiscoverOptions::default()
    };
    let r = check(&[dir.path().to_path_buf()], dir.path(), opts);
    let failing: Vec<(&str, Option<&str>)> = of_rule(&r, Rule::TemplateRender)
        .iter()
        .map(|f| (f.path.as_str(), f.help.as_deref()))
        .collect();
    // The tool_use one is called with tools, the rag one not on basic probes.
    let paths: Vec<&str> = failing.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        paths,
        ["gadget_use.jinja", "plain.jinja"],
        "{:?}",
        r.findings
    );
    assert!(
        failing[0].1.is_some_and(|h| h.contains("{% if tools %}")),
        "{failing:?}"
    );
}

#[test]
fn a_companion_file_named_explicitly_checks_its_model_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("m");
    let other = dir.path().join("other");
    std::fs::create_dir_all(&model).expect("mkdir");
    std::fs::create_dir_all(&other).expect("mkdir");
    write(
        &model.join("tokenizer_config.json"),
        r#"{"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}"#,
    );
    for name in ["generation_config.json", "tokenizer.json", "config.json"] {
        std::fs::write(model.join(name), "{}").expect("write");
        std::fs::write(other.join(name), "{}").expect("write");
    }
    // As a pre-commit hook passes changed files.
    let paths = [
        model.join("generation_config.json"),
        model.join("tokenizer.json"),
        other.join("config.json"),
        other.join("generation_config.json"),
    ];
    let r = check(&paths, dir.path(), DiscoverOptions::default());
    let rels: Vec<&str> = r.models.iter().map(|m| m.rel_dir.as_str()).collect();
    assert_eq!(rels, ["m"], "{:?}", r.findings);
    assert_quiet(&r, Rule::TemplateMissing);
}

/// Special tokens as transformers 5.x `PreTrainedTokenizerBase._from_pretrained`
/// merges them: when `tokenizer_config.json` has no `added_tokens_decoder`
/// (the legacy layout, or no config at all), every key of
/// `special_tokens_map.json` replaces the config's (only call arguments win);
/// with an `added_tokens_decoder` the map is not read at all. A map that is
/// read and broken is `config-invalid`; a template using `bos_token` then
/// renders with the map's token, not an undefined.
#[test]
fn special_tokens_map_follows_transformers_precedence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |sub: &str, name: &str, text: &str| {
        std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        std::fs::write(dir.path().join(sub).join(name), text).expect("write");
    };
    let map = r#"{"bos_token": {"content": "<map-bos>"}, "eos_token": "<map-eos>"}"#;
    // Legacy: the map fills what the config lacks and replaces what it has.
    write(
        "legacy",
        "tokenizer_config.json",
        r#"{"eos_token": "<cfg-eos>"}"#,
    );
    write("legacy", "special_tokens_map.json", map);
    // Modern: `added_tokens_decoder` present, the map is ignored.
    write(
        "modern",
        "tokenizer_config.json",
        r#"{"eos_token": "<cfg-eos>", "added_tokens_decoder": {}}"#,
    );
    write("modern", "special_tokens_map.json", map);
    // No tokenizer_config.json at all: the map alone.
    write(
        "map-only",
        "chat_template.jinja",
        "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}",
    );
    write("map-only", "special_tokens_map.json", map);
    let tokens = |sub: &str| {
        let m = load(&ModelDir {
            dir: dir.path().join(sub),
            rel_dir: sub.to_string(),
        });
        (
            m.special_tokens.get("bos_token").cloned(),
            m.special_tokens.get("eos_token").cloned(),
        )
    };
    let some = |s: &str| Some(s.to_string());
    assert_eq!(tokens("legacy"), (some("<map-bos>"), some("<map-eos>")));
    assert_eq!(tokens("modern"), (None, some("<cfg-eos>")));
    assert_eq!(tokens("map-only"), (some("<map-bos>"), some("<map-eos>")));

    // A broken map that transformers reads is config-invalid at its position.
    write(
        "broken",
        "tokenizer_config.json",
        r#"{"eos_token": "</s>"}"#,
    );
    write(
        "broken",
        "special_tokens_map.json",
        "{\"bos_token\": \"<s>\",\n",
    );
    // … and one it never opens (beside an added_tokens_decoder) is not checked.
    write(
        "unread",
        "tokenizer_config.json",
        r#"{"eos_token": "</s>", "added_tokens_decoder": {}}"#,
    );
    write("unread", "special_tokens_map.json", "{");
    let r = check(
        &[dir.path().to_path_buf()],
        dir.path(),
        DiscoverOptions::default(),
    );
    let invalid: Vec<(&str, Option<(usize, usize)>)> = of_rule(&r, Rule::ConfigInvalid)
        .iter()
        .map(|f| (f.path.as_str(), position(&r, f).map(|p| (p.line, p.column))))
        .collect();
    assert_eq!(invalid, [("broken/special_tokens_map.json", Some((2, 1)))]);
}

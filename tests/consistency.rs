//! The tokenizer-consistency rules (`prefix-mismatch`, `eos-mismatch`,
//! `double-bos`, `unknown-special-token`, `capability-missing`,
//! `generation-mask`) beyond their fixture folders (each folder's whole
//! output is a snapshot: tests/fixture_snapshots.rs): spans, capabilities,
//! baselines from git, and the real tokenizer configs of `../shared/corpus`
//! when present.

mod common;

use std::path::{Path, PathBuf};

use chat_template_lint::capabilities::Capability;
use chat_template_lint::check::{run_check, CheckOptions};
use chat_template_lint::finding::{Finding, Severity};
use chat_template_lint::render::default_now;
use chat_template_lint::resolve::{Report, Settings};
use chat_template_lint::rules::Rule;

const RULES: [Rule; 6] = [
    Rule::PrefixMismatch,
    Rule::EosMismatch,
    Rule::DoubleBos,
    Rule::UnknownSpecialToken,
    Rule::CapabilityMissing,
    Rule::GenerationMask,
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/consistency")
}

fn check(dir: &Path, require: &[&str]) -> Report {
    common::check_with_require(vec![dir.to_path_buf()], dir, require)
}

/// A fresh git repository in a temp folder, or `None` (said) without git.
fn git_repo(name: &str) -> Option<PathBuf> {
    let repo = std::env::temp_dir().join(format!("ctl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).expect("mkdir");
    if git(&repo, &["init", "-q"]) {
        Some(repo)
    } else {
        println!("SKIPPED: git is not available");
        None
    }
}

fn ours(report: &Report) -> Vec<&Finding> {
    report
        .findings
        .iter()
        .filter(|f| RULES.contains(&f.rule))
        .collect()
}

#[test]
fn capabilities_are_found_by_rendering_probes() {
    let report = check(
        &fixtures().join("unknown-special-token/qwen-plain-text-tags"),
        &[],
    );
    let caps = &report.models[0].templates[0].capabilities;
    for cap in [
        Capability::System,
        Capability::Tools,
        Capability::ToolCalls,
        Capability::ToolResults,
    ] {
        assert!(caps.contains(&cap), "missing {cap:?} in {caps:?}");
    }
    // `tc.function | tojson` re-encodes string arguments.
    for cap in [
        Capability::StringArguments,
        Capability::Reasoning,
        Capability::Images,
        Capability::GenerationMask,
    ] {
        assert!(!caps.contains(&cap), "unexpected {cap:?} in {caps:?}");
    }

    // Gemma's template raises on a system message and ignores tools.
    let report = check(
        &fixtures().join("eos-mismatch/gemma-generation-config-1-106"),
        &[],
    );
    let caps = &report.models[0].templates[0].capabilities;
    assert!(!caps.contains(&Capability::System), "{caps:?}");
    assert!(!caps.contains(&Capability::Tools), "{caps:?}");
}

/// `eos-mismatch` is judged per runtime; its span is the place in the
/// template that wrote the closer in the probe's render, not the first
/// occurrence of the token (Qwen2.5's tools preamble also writes `<|im_end|>`).
#[test]
fn eos_mismatch_names_runtimes_and_points_at_the_closer_it_rendered() {
    let dir = fixtures().join("eos-mismatch/qwen-eos-im-end-generation-config-endoftext");
    let report = check(&dir, &[]);
    let found: Vec<&Finding> = ours(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    let f = found[0];
    assert_eq!(f.severity, Severity::Error);
    let text = &report.sources[&f.path];
    let span = f.span.expect("span");
    assert_eq!(&text[span.start..span.end], "<|im_end|>");
    let assistant = text
        .find("message.role == 'assistant'")
        .expect("assistant branch");
    let tool = text.find("message.role == 'tool'").expect("tool branch");
    assert!(text.find("<|im_end|>").expect("first") < assistant);
    assert!(assistant < span.start && span.start < tool, "{span:?}");

    // Tokenizer-only: a warning. Adapter: nothing.
    let report = check(
        &fixtures().join("eos-mismatch/llama3-tokenizer-only-folder"),
        &[],
    );
    assert_eq!(ours(&report)[0].severity, Severity::Warning);
    let report = check(
        &fixtures().join("eos-mismatch/llama3-lora-adapter-folder"),
        &[],
    );
    assert!(ours(&report).is_empty());

    // A closer written through a variable: the span is that use of it.
    let tmp = tempfile::tempdir().expect("tempdir");
    let template = "{{ bos_token }}{% for m in messages %}{% if m.role == 'user' %}{{ '[INST] ' + m.content + ' [/INST]' }}{% else %}{{ m.content + eos_token }}{% endif %}{% endfor %}";
    write(
        &tmp.path().join("tokenizer_config.json"),
        &serde_json::json!({
            "bos_token": "<s>", "eos_token": "</s>", "chat_template": template,
            "added_tokens_decoder": {"1": {"content": "<s>", "special": true}, "2": {"content": "</s>", "special": true}}
        })
        .to_string(),
    );
    write(
        &tmp.path().join("generation_config.json"),
        r#"{"eos_token_id": 1}"#,
    );
    let report = check(tmp.path(), &[]);
    let found = ours(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    insta::assert_snapshot!(common::text_output(&report));
    let span = found[0].span.expect("span");
    let text = &report.sources[&found[0].path];
    assert_eq!(&text[span.start..span.end], "eos_token");
    assert!(span.start > text.find("m.content + eos_token").expect("use"));
}

/// Real, complete tokenizer_config.json files must not raise false errors.
/// Each one is checked alone in a folder (no tokenizer.json, no generation
/// or model config). The remaining error findings are real bugs, explained.
#[test]
fn real_tokenizer_configs_have_no_unexplained_errors() {
    let Some(corpus) = common::shared("corpus/tokenizer_configs") else {
        return;
    };
    let entries = std::fs::read_dir(&corpus).expect("the corpus folder is readable");
    let root = std::env::temp_dir().join(format!("ctl-consistency-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut count = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let dir = root.join(stem);
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::copy(&path, dir.join("tokenizer_config.json")).expect("copy");
        count += 1;
    }
    assert!(count >= 30, "expected the 39 corpus configs, found {count}");
    let report = check(&root, &[]);
    let _ = std::fs::remove_dir_all(&root);
    let mut errors: Vec<String> = ours(&report)
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            let folder = f.path.split('/').next().unwrap_or("");
            let literal = f.message.split('`').nth(1).unwrap_or("");
            format!("{folder} {} {literal}", f.rule.id())
        })
        .collect();
    errors.sort();
    // Each is a real bug:
    // - iLLuMinator: a ChatML template on a tokenizer whose only added tokens
    //   are <|pad|>, <|bos|>, <|eos|>, <|unk|>.
    // - dhanush-raja-a: the Llama 3.1 template (<|python_tag|>, <|eom_id|>)
    //   on a Llama 3.0 tokenizer, where ids 128008/128010 are still
    //   <|reserved_special_token_4|>/<|reserved_special_token_5|>.
    let explained = [
        "Anipaleja__iLLuMinator-4.9B__huggingface_model__tokenizer_config unknown-special-token <|im_end|>",
        "Anipaleja__iLLuMinator-4.9B__huggingface_model__tokenizer_config unknown-special-token <|im_start|>",
        "dhanush-raja-a__intel-unnati-bug-detection_project__lora_model__tokenizer_config unknown-special-token <|eom_id|>",
        "dhanush-raja-a__intel-unnati-bug-detection_project__lora_model__tokenizer_config unknown-special-token <|python_tag|>",
    ];
    let warnings = ours(&report)
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    println!(
        "{count} real configs: {} consistency errors (all explained), {warnings} warnings",
        errors.len()
    );
    assert_eq!(errors, explained, "unexplained errors on real configs");
}

/// Run git in `dir` for a test; `false` when git is not available.
fn git(dir: &Path, args: &[&str]) -> bool {
    std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

const CHATML: &str = "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// Check `path` in the git repository `repo` with `--baseline-ref HEAD`.
fn check_against_head(repo: &Path, path: &Path) -> Report {
    use chat_template_lint::baseline::Baseline;
    use chat_template_lint::gitref::GitRef;

    let base = GitRef::open("HEAD", path).expect("HEAD resolves");
    let opts = CheckOptions {
        paths: vec![path.to_path_buf()],
        root: repo.to_path_buf(),
        now: default_now(),
        baseline: Some(Baseline::GitRef(Box::new(base))),
        ..CheckOptions::default()
    };
    run_check(&opts, &Settings::default()).expect("check runs")
}

fn drift(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.rule == Rule::TemplateDrift)
        .map(|f| format!("{} | {}", f.path, f.message))
        .collect();
    out.sort();
    out
}

#[test]
fn baseline_ref_compares_with_the_file_at_a_git_ref() {
    use chat_template_lint::gitref::GitRef;

    let Some(repo) = git_repo("gitref") else {
        return;
    };
    let config = |template: &str| {
        serde_json::json!({"eos_token": "<|im_end|>", "chat_template": template}).to_string()
    };
    // Distinct texts, so git pairs renamed files unambiguously.
    let tagged = |tag: &str| format!("{{# {tag} #}}\n{CHATML}");
    write(
        &repo.join("m/changed/tokenizer_config.json"),
        &config(CHATML),
    );
    write(&repo.join("m/same/chat_template.jinja"), &tagged("same"));
    write(
        &repo.join("m/old-name/chat_template.jinja"),
        &tagged("renamed"),
    );
    let moved = tagged("moved and changed");
    write(
        &repo.join("m/moved-and-changed/chat_template.jinja"),
        &moved,
    );
    write(&repo.join("m/named/chat_template.jinja"), &tagged("named"));
    write(
        &repo.join("m/named/additional_chat_templates/tool_use.jinja"),
        &tagged("tool use"),
    );
    assert!(git(&repo, &["add", "-A"]));
    assert!(git(&repo, &["commit", "-q", "-m", "base"]));

    // The pull request: one template edited, one folder renamed, one renamed
    // and edited, one folder added.
    let edited = CHATML.replace("'<|im_start|>assistant\\n'", "'<|im_start|>assistant'");
    write(
        &repo.join("m/changed/tokenizer_config.json"),
        &config(&edited),
    );
    assert!(git(&repo, &["mv", "m/old-name", "m/new-name"]));
    assert!(git(&repo, &["mv", "m/moved-and-changed", "m/moved"]));
    let moved_edited = moved.replace("'<|im_start|>assistant\\n'", "'<|im_start|>assistant'");
    write(&repo.join("m/moved/chat_template.jinja"), &moved_edited);
    // The named template `tool_use` is lost in the PR.
    assert!(git(
        &repo,
        &[
            "rm",
            "-q",
            "m/named/additional_chat_templates/tool_use.jinja"
        ]
    ));
    write(
        &repo.join("m/added/chat_template.jinja"),
        "{% for m in messages %}{{ m.role + ': ' + m.content + '\n' }}{% endfor %}",
    );
    assert!(git(&repo, &["add", "-A"]));

    let found = drift(&check_against_head(&repo, &repo.join("m")));
    // m/changed against HEAD:m/changed/…, the renamed m/moved against its
    // old path HEAD:m/moved-and-changed/…, and m/named lost `tool_use`.
    assert_eq!(found.len(), 3, "{found:#?}");
    insta::assert_snapshot!(found.join("\n"));

    // A ref the clone does not have: the error says how to fetch it.
    let err = GitRef::open("origin/no-such-branch", &repo).expect_err("missing ref");
    assert!(err.to_string().contains("fetch-depth: 0"), "{err}");

    // A shallow clone (actions/checkout's default) lacks the base branch.
    assert!(git(&repo, &["commit", "-q", "-m", "pr"]));
    assert!(git(&repo, &["branch", "-q", "other"]));
    let clone = repo.join("clone");
    let url = format!("file://{}", repo.display());
    if git(
        &repo,
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--single-branch",
            &url,
            "clone",
        ],
    ) {
        let err = GitRef::open("origin/other", &clone).expect_err("shallow");
        assert!(err.to_string().contains("shallow"), "{err}");
        assert!(err.to_string().contains("fetch-depth: 0"), "{err}");
    }
    let _ = std::fs::remove_dir_all(&repo);
}

#[test]
fn require_accepts_capability_ids_only() {
    let dir = std::env::temp_dir().join(format!("ctl-require-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("chat-template-lint.toml");
    std::fs::write(&path, "require = [\"tools\", \"system\"]\n").expect("write");
    let cfg = chat_template_lint::config::load(&path).expect("valid require");
    assert_eq!(
        cfg.require,
        Some(vec![Capability::Tools, Capability::System])
    );
    std::fs::write(&path, "require = [\"tools\",\n  \"telepathy\"]\n").expect("write");
    let err = chat_template_lint::config::load(&path).expect_err("unknown capability");
    assert_eq!((err.line, err.column), (2, 3), "{err}");
    assert!(err.message.contains("`telepathy`"), "{err}");
    assert!(err.message.contains("string-arguments"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Capabilities of real templates match what their model cards say.
#[test]
fn capabilities_of_real_templates() {
    let Some(dir) = common::shared("corpus/templates") else {
        return;
    };
    let caps = |name: &str| -> Vec<&'static str> {
        let file = dir.join(name);
        let opts = CheckOptions {
            paths: vec![file.clone()],
            root: dir.clone(),
            now: default_now(),
            ..CheckOptions::default()
        };
        let report = run_check(&opts, &Settings::default()).expect("check runs");
        let caps: Vec<&str> = report.models[0].templates[0]
            .capabilities
            .iter()
            .map(|c| c.id())
            .collect();
        println!("{name}: {}", caps.join(", "));
        caps
    };
    // (template, capabilities it has, capabilities it lacks)
    let expected: [(&str, &[&str], &[&str]); 8] = [
        (
            "../templates-extra/edwardzjl__chat-templates/qwen2_5__chat_template.jinja",
            &["content-parts", "images", "system"],
            &["reasoning"],
        ),
        (
            "../templates-extra/axolotl-ai-cloud__axolotl/gemma3.jinja",
            &["content-parts", "images"],
            &["reasoning"],
        ),
        (
            "meta-llama-Llama-3.1-8B-Instruct.jinja",
            &["system", "tools", "tool-calls", "tool-results"],
            // `arguments | tojson` re-encodes a string argument.
            &["string-arguments", "reasoning", "images"],
        ),
        (
            "google-gemma-2-2b-it.jinja",
            &[],
            &["system", "tools", "tool-calls"],
        ),
        (
            "Qwen-Qwen2.5-7B-Instruct.jinja",
            &["system", "tools", "tool-calls", "tool-results"],
            &["string-arguments", "reasoning", "content-parts"],
        ),
        (
            "Qwen-Qwen3-0.6B.jinja",
            &["tools", "tool-calls", "string-arguments", "reasoning"],
            &["generation-mask"],
        ),
        // The system message shows only when the last turn is the user's.
        (
            "mistralai-Mistral-Nemo-Instruct-2407.jinja",
            &["system", "tools", "tool-calls"],
            &["reasoning"],
        ),
        // Tool calls are dropped from the history.
        (
            "HuggingFaceTB-SmolLM3-3B.jinja",
            &["system", "tool-results"],
            &["tool-calls"],
        ),
    ];
    for (name, has, lacks) in expected {
        let got = caps(name);
        for c in has {
            assert!(
                got.iter().any(|g| g == c),
                "{name} should have {c}: {got:?}"
            );
        }
        for c in lacks {
            assert!(
                !got.iter().any(|g| g == c),
                "{name} should lack {c}: {got:?}"
            );
        }
    }
}

/// `baseline = "pr-base"`: `origin/$GITHUB_BASE_REF` in a pull request,
/// nothing elsewhere; a base branch the clone lacks is a tool error (exit 2)
/// that names `fetch-depth`.
#[test]
fn pr_base_baseline_uses_github_base_ref() {
    let Some(repo) = git_repo("prbase") else {
        return;
    };
    write(
        &repo.join("chat-template-lint.toml"),
        "baseline = \"pr-base\"\n",
    );
    write(&repo.join("m/chat_template.jinja"), CHATML);
    assert!(git(&repo, &["add", "-A"]));
    assert!(git(&repo, &["commit", "-q", "-m", "base"]));
    let run = |base_ref: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chat-template-lint"));
        cmd.args(["check", "--format", "json", "m"])
            .current_dir(&repo)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("GITHUB_OUTPUT")
            .env_remove("GITHUB_BASE_REF");
        if let Some(b) = base_ref {
            cmd.env("GITHUB_BASE_REF", b);
        }
        cmd.output().expect("runs")
    };
    let outside_pr = run(None);
    assert_eq!(outside_pr.status.code(), Some(0), "{outside_pr:?}");
    let missing = run(Some("main"));
    assert_eq!(missing.status.code(), Some(2), "{missing:?}");
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("origin/main"), "{err}");
    assert!(err.contains("fetch-depth: 0"), "{err}");

    // With the base branch fetched, an edited template is drift against it.
    let url = repo.display().to_string();
    assert!(git(&repo, &["remote", "add", "origin", &url]));
    assert!(git(&repo, &["fetch", "-q", "origin"]));
    let edited = CHATML.replace("'<|im_start|>assistant\\n'", "'<|im_start|>assistant'");
    assert_ne!(edited, CHATML);
    write(&repo.join("m/chat_template.jinja"), &edited);
    let drift = run(Some("main"));
    assert_eq!(drift.status.code(), Some(1), "{drift:?}");
    let out = String::from_utf8_lossy(&drift.stdout);
    assert!(out.contains("template-drift"), "{out}");
    assert!(out.contains("origin/main:m/chat_template.jinja"), "{out}");
    let _ = std::fs::remove_dir_all(&repo);
}

/// Checkpoints holding the same blobs at the ref are loaded once from git,
/// and each finding still names its own folder's file at the ref.
#[test]
fn baseline_ref_shares_identical_old_folders_but_names_each_file() {
    let Some(repo) = git_repo("gitref-same") else {
        return;
    };
    let edited = CHATML.replace("'<|im_start|>assistant\\n'", "'<|im_start|>assistant'");
    for step in ["checkpoint-1", "checkpoint-2", "checkpoint-3"] {
        write(&repo.join(step).join("chat_template.jinja"), CHATML);
    }
    assert!(git(&repo, &["add", "-A"]));
    assert!(git(&repo, &["commit", "-q", "-m", "base"]));
    for step in ["checkpoint-1", "checkpoint-2", "checkpoint-3"] {
        write(&repo.join(step).join("chat_template.jinja"), &edited);
    }
    let found = drift(&check_against_head(&repo, &repo));
    assert_eq!(found.len(), 3, "{found:#?}");
    for (f, step) in found
        .iter()
        .zip(["checkpoint-1", "checkpoint-2", "checkpoint-3"])
    {
        let file = format!("{step}/chat_template.jinja");
        assert!(f.starts_with(&file), "{f}");
        assert!(f.contains(&format!("`HEAD:{file}`")), "{f}");
    }
    let _ = std::fs::remove_dir_all(&repo);
}

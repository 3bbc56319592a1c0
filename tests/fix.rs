//! `check --fix`: each fix on a fixture folder of its own
//! (`tests/fixtures/fix/`), copied to a temporary folder and fixed there.
//! Each case is one insta snapshot: what `--fix` printed, the diff of every
//! file it changed or created, then the fixed folder run back through
//! `check` and through `render --add-generation-prompt`. JSON files are
//! also compared as values: only the fixed template may differ.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::ctl;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix")
}

/// Every file under `dir`, by `/`-separated relative path.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy();
                out.insert(
                    rel.replace('\\', "/"),
                    std::fs::read_to_string(&path).unwrap(),
                );
            }
        }
    }
    out
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = ctl(dir).args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The fixed folder back through the renderer: the prompt ends with the
/// header `header`.
fn assert_prompt_ends_with(root: &Path, target: &str, header: &str) {
    let (code, prompt, err) = run(root, &["render", target, "--add-generation-prompt"]);
    assert_eq!(code, 0, "{err}");
    assert!(prompt.ends_with(header), "{prompt:?}");
}

/// Unified diffs of what changed between two listings.
fn changes(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (path, new) in after {
        let old = before.get(path).map_or("", String::as_str);
        if before.get(path) == Some(new) {
            continue;
        }
        let from = if before.contains_key(path) {
            format!("a/{path}")
        } else {
            "/dev/null".into()
        };
        out.push_str(
            &similar::TextDiff::from_lines(old, new)
                .unified_diff()
                .context_radius(1)
                .missing_newline_hint(true)
                .header(&from, &format!("b/{path}"))
                .to_string(),
        );
    }
    if out.is_empty() {
        out.push_str("(nothing changed)\n");
    }
    out
}

/// A fixed case: the snapshot text, and the folder before and after.
struct Fixed {
    text: String,
    before: BTreeMap<String, String>,
    after: BTreeMap<String, String>,
}

/// Copy fixture `name`, run `check --no-config --fix ARGS` on `target`
/// (default: the fixture folder) in the copy, then `check` and `render`
/// the fixed folder.
fn fix(name: &str, args: &[&str], target: Option<&str>) -> Fixed {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::copy_dir(&fixtures().join(name), &root.join(name));
    let before = files(root);
    let target = target.map_or_else(|| name.to_string(), |t| format!("{name}/{t}"));
    let mut fix_args = vec!["check", "--no-config", "--fix"];
    fix_args.extend(args);
    fix_args.push(&target);
    let (code, out, err) = run(root, &fix_args);
    let after = files(root);
    let mut again_args = vec!["check", "--no-config"];
    again_args.extend(args.iter().filter(|a| !a.starts_with("--unsafe")));
    again_args.push(&target);
    let (again_code, again, _) = run(root, &again_args);
    let (render_code, prompt, render_err) =
        run(root, &["render", &target, "--add-generation-prompt"]);
    assert_eq!(render_code, 0, "the fixed template renders: {render_err}");
    let text = format!(
        "$ chat-template-lint {}\nexit {code}\n{out}{err}\n--- changes\n{}\n$ chat-template-lint {}\nexit {again_code}\n{again}\n$ chat-template-lint render {target} --add-generation-prompt\n{prompt:?}\n",
        fix_args.join(" "),
        changes(&before, &after),
        again_args.join(" "),
    );
    Fixed {
        text,
        before,
        after,
    }
}

/// `json.load(before)` and `json.load(after)` differ only at `pointer`, and
/// the keys keep their order.
fn only_value_changed(fixed: &Fixed, path: &str, pointer: &str) {
    let parse = |text: &String| serde_json::from_str::<Value>(text).unwrap();
    let (mut before, mut after) = (parse(&fixed.before[path]), parse(&fixed.after[path]));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&before), keys(&after), "key order");
    let old = before.pointer_mut(pointer).unwrap().take();
    let new = after.pointer_mut(pointer).unwrap().take();
    assert_ne!(old, new, "{pointer} changed");
    assert_eq!(before, after, "nothing but {pointer} changed");
    let trailing = |t: &String| t.ends_with('\n');
    assert_eq!(trailing(&fixed.before[path]), trailing(&fixed.after[path]));
}

#[test]
fn llama3_in_tokenizer_config() {
    let f = fix("llama3-json", &[], None);
    only_value_changed(&f, "llama3-json/tokenizer_config.json", "/chat_template");
    insta::assert_snapshot!(f.text);
}

#[test]
fn chatml_in_chat_template_jinja_keeps_its_final_newline() {
    let f = fix("chatml-jinja", &[], None);
    assert!(f.after["chatml-jinja/chat_template.jinja"].ends_with("{% endif %}\n"));
    insta::assert_snapshot!(f.text);
}

#[test]
fn a_config_key_in_step_with_chat_template_jinja_stays_in_step() {
    let f = fix("in-step", &[], None);
    assert!(!f.text.contains("template-sources-disagree"), "{}", f.text);
    only_value_changed(&f, "in-step/tokenizer_config.json", "/chat_template");
    insta::assert_snapshot!(f.text);
}

#[test]
fn gemma_with_non_ascii_written_raw() {
    let f = fix("gemma-json", &[], None);
    only_value_changed(&f, "gemma-json/tokenizer_config.json", "/chat_template");
    insta::assert_snapshot!(f.text);
}

#[test]
fn deepseek_in_an_ensure_ascii_file_gets_escapes() {
    let f = fix("deepseek-ascii", &[], None);
    only_value_changed(&f, "deepseek-ascii/tokenizer_config.json", "/chat_template");
    assert!(f.after["deepseek-ascii/tokenizer_config.json"].is_ascii());
    insta::assert_snapshot!(f.text);
}

#[test]
fn phi3_branch_that_emits_nothing_is_filled() {
    let f = fix("phi3-empty-branch", &[], None);
    only_value_changed(
        &f,
        "phi3-empty-branch/tokenizer_config.json",
        "/chat_template",
    );
    insta::assert_snapshot!(f.text);
}

#[test]
fn processor_chat_template_json() {
    let f = fix("processor-json", &[], None);
    only_value_changed(&f, "processor-json/chat_template.json", "/chat_template");
    insta::assert_snapshot!(f.text);
}

#[test]
fn whitespace_control_template() {
    let f = fix("dash-heavy", &[], None);
    insta::assert_snapshot!(f.text);
}

#[test]
fn named_template_list_changes_only_the_fixed_entry() {
    let f = fix("named-list", &[], None);
    only_value_changed(
        &f,
        "named-list/tokenizer_config.json",
        "/chat_template/0/template",
    );
    insta::assert_snapshot!(f.text);
}

#[test]
fn unproven_fix_writes_nothing_and_says_why() {
    let f = fix("proof-fails", &[], None);
    assert_eq!(f.before, f.after, "nothing is written");
    assert!(f.text.contains("the fix was not safe"));
    insta::assert_snapshot!(f.text);
}

#[test]
fn eos_id_added_to_generation_config() {
    let f = fix("eos-generation-config", &[], None);
    only_value_changed(
        &f,
        "eos-generation-config/generation_config.json",
        "/eos_token_id",
    );
    insta::assert_snapshot!(f.text);
}

#[test]
fn generation_config_created_from_config_json() {
    let f = fix("eos-config-only", &[], None);
    assert!(!f
        .before
        .contains_key("eos-config-only/generation_config.json"));
    insta::assert_snapshot!(f.text);
}

#[test]
fn sources_disagree_needs_unsafe_fixes() {
    let safe = fix("sources-disagree", &[], None);
    assert_eq!(safe.before, safe.after, "plain --fix leaves it");
    insta::assert_snapshot!("sources_disagree_safe", safe.text);
    let f = fix("sources-disagree", &["--unsafe-fixes"], None);
    only_value_changed(
        &f,
        "sources-disagree/tokenizer_config.json",
        "/chat_template",
    );
    insta::assert_snapshot!("sources_disagree_unsafe", f.text);
}

#[test]
fn baseline_template_is_restored() {
    let tmp_args = ["--baseline", "baseline/base"];
    let f = fix("baseline", &tmp_args, Some("tuned"));
    assert_eq!(
        f.after["baseline/tuned/chat_template.jinja"],
        f.before["baseline/base/chat_template.jinja"]
    );
    insta::assert_snapshot!(f.text);
}

#[test]
fn baseline_ref_template_is_restored() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::copy_dir(&fixtures().join("baseline/base"), &root.join("m"));
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(root)
            .output()
            .map(|o| o.status.success())
    };
    if git(&["init", "-q"]).ok() != Some(true) {
        println!("SKIPPED: git is not available");
        return;
    }
    assert_eq!(git(&["add", "-A"]).ok(), Some(true));
    assert_eq!(git(&["commit", "-qm", "base"]).ok(), Some(true));
    let base = std::fs::read_to_string(root.join("m/chat_template.jinja")).unwrap();
    std::fs::copy(
        fixtures().join("baseline/tuned/chat_template.jinja"),
        root.join("m/chat_template.jinja"),
    )
    .unwrap();
    let (code, out, err) = run(
        root,
        &[
            "check",
            "--no-config",
            "--fix",
            "--baseline-ref",
            "HEAD",
            "m",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("fixed 1 finding in 1 file"), "{out}");
    assert_eq!(
        std::fs::read_to_string(root.join("m/chat_template.jinja")).unwrap(),
        base
    );
}

#[test]
fn select_and_ignore_limit_what_is_fixed() {
    let f = fix(
        "gemma-json",
        &["--ignore", "generation-prompt-missing"],
        None,
    );
    assert_eq!(f.before, f.after);
    let f = fix("gemma-json", &["--select", "eos-mismatch"], None);
    assert_eq!(
        f.before, f.after,
        "the only eos finding has nowhere to write"
    );
}

#[test]
fn config_fix_true_and_unfixable() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::copy_dir(&fixtures().join("gemma-json"), &root.join("m"));
    std::fs::write(root.join("chat-template-lint.toml"), "fix = true\n").unwrap();
    let (code, out, _) = run(root, &["check", "m", "--no-fix"]);
    assert_eq!(code, 1, "--no-fix wins over the file: {out}");
    std::fs::write(
        root.join("chat-template-lint.toml"),
        "fix = true\nunfixable = [\"generation-prompt-missing\"]\n",
    )
    .unwrap();
    let (code, out, _) = run(root, &["check", "m"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("fixed 0 findings in 0 files"), "{out}");
    let (code, out, _) = run(
        root,
        &[
            "check",
            "m",
            "--unfixable",
            "generation-prompt-missing,eos-mismatch",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("fixed 0 findings in 0 files"), "{out}");
    std::fs::write(root.join("chat-template-lint.toml"), "fix = true\n").unwrap();
    let (code, out, _) = run(root, &["check", "m"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("fixed 1 finding in 1 file"), "{out}");
    assert_prompt_ends_with(root, "m", "<start_of_turn>model\n");
}

#[test]
fn config_unsafe_fixes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::copy_dir(&fixtures().join("sources-disagree"), &root.join("m"));
    std::fs::write(
        root.join("chat-template-lint.toml"),
        "unsafe-fixes = true\n",
    )
    .unwrap();
    let (code, out, _) = run(root, &["check", "m", "--fix"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("fixed 1 finding in 1 file"), "{out}");
    let key: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("m/tokenizer_config.json")).unwrap(),
    )
    .unwrap();
    let jinja = std::fs::read_to_string(root.join("m/chat_template.jinja")).unwrap();
    assert_eq!(key["chat_template"], jinja.trim_end_matches('\n'));
    assert_prompt_ends_with(root, "m/tokenizer_config.json", "<|im_start|>assistant\n");
    let (_, _, err) = run(
        root,
        &["check", "m", "--unfixable", "no-such-rule", "--fix"],
    );
    assert!(err.contains("unknown rule `no-such-rule`"), "{err}");
}

/// The real templates of the families in `../shared/conformance/templates`,
/// with their generation prompt turned off (`add_generation_prompt` read
/// as `false`): the fixed template must prompt exactly as the real one.
#[test]
fn real_families_regain_their_generation_prompt() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/templates");
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is required under CI",
            dir.display()
        );
        println!("SKIPPED: {} is absent", dir.display());
        return;
    }
    let families = [
        "templates__meta-llama-Llama-3.1-8B-Instruct.jinja",
        "templates__meta-llama-Llama-3.2-3B-Instruct.jinja",
        "minja__templates-history__Qwen-Qwen2.5-7B-Instruct.jinja",
        "templates-extra__chujiezheng__chat_templates__chatml.jinja",
        "templates__google-gemma-2-2b-it.jinja",
        "templates-extra__axolotl-ai-cloud__axolotl__gemma.jinja",
        "templates__google-gemma-4-31B-it.jinja",
        "templates-extra__chujiezheng__chat_templates__phi-3.jinja",
        "templates-extra__unslothai__unsloth__chat_templates.py__phi3_template.jinja",
        // Appends the eos token when no generation prompt is asked: with
        // the prompt turned off every prompt ends `<|end|>\n</s>`, and no
        // added branch can make that a prefix of the training render.
        "minja__templates-history__microsoft-Phi-3-mini-4k-instruct.jinja",
    ];
    let mut report = String::new();
    for name in families {
        let real = std::fs::read_to_string(dir.join(name)).unwrap();
        let broken = real.replace("add_generation_prompt", "false");
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("m")).unwrap();
        std::fs::write(tmp.path().join("m/chat_template.jinja"), &broken).unwrap();
        let (_, before, _) = run(tmp.path(), &["check", "--no-config", "m"]);
        assert!(
            before.contains("generation-prompt-missing"),
            "{name}: {before}"
        );
        let (_, out, _) = run(tmp.path(), &["check", "--no-config", "--fix", "m"]);
        let fixed = std::fs::read_to_string(tmp.path().join("m/chat_template.jinja")).unwrap();
        if fixed == broken {
            assert!(
                out.contains("not fixed by --fix: the fix was not safe"),
                "{name}: {out}"
            );
            let why = out
                .lines()
                .find(|l| l.contains("not fixed"))
                .unwrap_or_default();
            report.push_str(&format!(
                "{name}: refused
  {}
",
                why.trim()
            ));
            continue;
        }
        assert!(!out.contains("generation-prompt-missing"), "{name}: {out}");
        // Back through the renderer: the fixed and the real template prompt
        // the same way.
        std::fs::write(tmp.path().join("real.jinja"), &real).unwrap();
        std::fs::write(
            tmp.path().join("conversation.json"),
            r#"[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Why?"}]"#,
        )
        .unwrap();
        let prompt = |path: &str| {
            let args = [
                "render",
                path,
                "--messages",
                "conversation.json",
                "--add-generation-prompt",
            ];
            let (code, out, err) = run(tmp.path(), &args);
            assert_eq!(code, 0, "{name} {path}: {err}");
            out
        };
        // The real prompt may add more than the training header (a stray
        // newline after `}}`): the fix adds exactly the header.
        let (ours, theirs) = (prompt("m/chat_template.jinja"), prompt("real.jinja"));
        assert!(theirs.starts_with(&ours), "{name}: {ours:?} vs {theirs:?}");
        let at = common_prefix(&fixed, &broken);
        report.push_str(&format!(
            "{name}: fixed\n  added at byte {at}: {:?}\n  the real template's prompt has {:?} more\n",
            &fixed[at..fixed.len() - (broken.len() - at).min(fixed.len() - at)],
            &theirs[ours.len()..]
        ));
    }
    insta::assert_snapshot!(report);
}

fn common_prefix(a: &str, b: &str) -> usize {
    let mut n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !a.is_char_boundary(n) {
        n -= 1;
    }
    n
}

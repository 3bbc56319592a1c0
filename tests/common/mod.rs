//! Test helpers shared by the tests: the one way to reach `../shared`, the
//! whole text output of a check (what snapshots hold), a parser that reads
//! output the way the GitHub Actions runner does, and one hostile sample
//! report.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chat_template_lint::finding::{Finding, Severity, Span};
use chat_template_lint::resolve::{CheckedModel, CheckedTemplate, FailOn, Report, Stats};
use chat_template_lint::rules::Rule;

/// `../shared/<sub>` (the corpus, the conformance cases), when it is there.
/// A fresh clone has no `../shared`: the test then prints one visible
/// SKIPPED line (straight to stderr, past the test harness's capture) and
/// gets `None`. Under `CI=true` a missing `../shared` is a failure, not a
/// skip: a gate that silently skips its corpus tests proves nothing.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    shared_in(&shared, sub, std::env::var("CI").as_deref() == Ok("true"))
}

/// `shared` with the folder and the CI flag given (so both ways are tested).
pub fn shared_in(shared: &Path, sub: &str, ci: bool) -> Option<PathBuf> {
    let path = shared.join(sub);
    if path.exists() {
        return Some(path);
    }
    let shown = format!("../shared/{sub}");
    assert!(
        !ci,
        "{shown} is absent and CI=true: the corpus tests must run in CI"
    );
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED: {shown} is absent (a fresh clone has no ../shared); set it up to run this test"
    );
    None
}

/// The whole check with default settings and no config: `paths` reported
/// relative to `root`, with the config's `require` capabilities.
pub fn check_with_require(paths: Vec<PathBuf>, root: &Path, require: &[&str]) -> Report {
    use chat_template_lint::check::{run_check, CheckOptions};
    use chat_template_lint::rules::RuleOptions;
    let opts = CheckOptions {
        paths,
        root: root.to_path_buf(),
        now: chat_template_lint::render::default_now(),
        rule_options: RuleOptions {
            require: require
                .iter()
                .map(|id| {
                    chat_template_lint::capabilities::Capability::from_id(id)
                        .expect("a capability id")
                })
                .collect(),
        },
        ..CheckOptions::default()
    };
    run_check(&opts, &chat_template_lint::resolve::Settings::default()).expect("check runs")
}

/// The whole text output of a report, as `check` prints it on stdout
/// without colour, then the warnings it prints on stderr (`warning: …`).
pub fn text_output(report: &Report) -> String {
    use chat_template_lint::report::{emit, Format, Sinks};
    let mut out = Vec::new();
    emit(report, &Sinks::stdout(Format::Text), &mut out).unwrap();
    let mut text = String::from_utf8(out).unwrap();
    for w in &report.unmatched_globs {
        text.push_str(&format!("warning: {w}\n"));
    }
    for w in &report.directive_warnings {
        text.push_str(&format!("warning: {w}\n"));
    }
    text
}

/// The binary, run in `dir`, with the GitHub Actions variables of the
/// environment the tests run in removed (tests set the ones they need).
pub fn ctl(dir: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_chat-template-lint"));
    c.current_dir(dir);
    for var in [
        "GITHUB_ACTIONS",
        "GITHUB_OUTPUT",
        "GITHUB_STEP_SUMMARY",
        "GITHUB_WORKSPACE",
    ] {
        c.env_remove(var);
    }
    c
}

/// A workflow command as the runner would execute it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    pub name: String,
    pub props: BTreeMap<String, String>,
    pub data: String,
}

/// The commands the runner registers (lower-case; matching is case-insensitive).
const REGISTERED: &[&str] = &[
    "error",
    "warning",
    "notice",
    "debug",
    "group",
    "endgroup",
    "add-mask",
    "stop-commands",
    "set-output",
    "save-state",
    "set-env",
    "add-path",
    "echo",
    "add-matcher",
    "remove-matcher",
];

/// Characters .NET's culture-sensitive comparison ignores (a superset of the
/// ones seen in practice: zero-width and format characters).
fn ignorable(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{034F}')
}

/// Lines as `StreamReader.ReadLine` splits them: at `\r\n`, `\r` or `\n`.
pub fn runner_lines(out: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = out.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => lines.push(std::mem::take(&mut cur)),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut cur));
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn unescape(s: &str, pairs: &[(&str, &str)]) -> String {
    let mut s = s.to_string();
    for (from, to) in pairs {
        s = s.replace(from, to);
    }
    s
}

fn registered(name: &str) -> bool {
    REGISTERED.contains(&name.to_ascii_lowercase().as_str())
}

/// Parse one line like `ActionCommand.TryParseV2`, then `TryParse` (legacy).
pub fn parse_line(line: &str) -> Option<Cmd> {
    // Culture-sensitive StartsWith/IndexOf skip ignorable characters.
    let visible: String = line.chars().filter(|c| !ignorable(*c)).collect();
    let msg = visible.trim_start();
    if let Some(rest) = msg.strip_prefix("::") {
        if let Some(end) = rest.find("::") {
            let info = &rest[..end];
            let (name, props_str) = match info.find(' ') {
                Some(i) => (&info[..i], Some(&info[i + 1..])),
                None => (info, None),
            };
            if registered(name) {
                let mut props = BTreeMap::new();
                for p in props_str
                    .unwrap_or("")
                    .trim()
                    .split(',')
                    .filter(|p| !p.is_empty())
                {
                    let mut kv = p.splitn(2, '=');
                    if let (Some(k), Some(v)) = (kv.next(), kv.next()) {
                        if !k.is_empty() && !v.is_empty() {
                            props.insert(
                                k.to_string(),
                                unescape(
                                    v,
                                    &[
                                        ("%0D", "\r"),
                                        ("%0A", "\n"),
                                        ("%3A", ":"),
                                        ("%2C", ","),
                                        ("%25", "%"),
                                    ],
                                ),
                            );
                        }
                    }
                }
                let data = unescape(
                    &rest[end + 2..],
                    &[("%0D", "\r"), ("%0A", "\n"), ("%25", "%")],
                );
                return Some(Cmd {
                    name: name.to_ascii_lowercase(),
                    props,
                    data,
                });
            }
        }
    }
    // Legacy `##[name props]data`, anywhere in the line.
    let at = visible.find("##[")?;
    let after = &visible[at + 3..];
    let rb = after.find(']')?;
    let info = &after[..rb];
    let name = info.split(' ').next().unwrap_or("");
    if registered(name) {
        return Some(Cmd {
            name: name.to_ascii_lowercase(),
            props: BTreeMap::new(),
            data: after[rb + 1..].to_string(),
        });
    }
    None
}

/// Every command the runner would see in `out` (stdout or stderr).
pub fn runner_commands(out: &str) -> Vec<Cmd> {
    runner_lines(out)
        .iter()
        .filter_map(|l| parse_line(l))
        .collect()
}

/// Every command the runner would execute in `out`, following
/// `::stop-commands::TOKEN` as ActionCommandManager does: while stopped, only
/// a `::TOKEN::` line (case-insensitive) is a command, and it resumes. The
/// stop and resume lines themselves are not returned.
pub fn runner_commands_with_stops(out: &str) -> Vec<Cmd> {
    let mut stopped: Option<String> = None;
    let mut cmds = Vec::new();
    for line in runner_lines(out) {
        if let Some(token) = &stopped {
            let resume = format!("::{token}::");
            let visible: String = line.chars().filter(|c| !ignorable(*c)).collect();
            if visible
                .trim_start()
                .to_ascii_lowercase()
                .starts_with(&resume.to_ascii_lowercase())
            {
                stopped = None;
            }
            continue;
        }
        match parse_line(&line) {
            Some(cmd) if cmd.name == "stop-commands" => stopped = Some(cmd.data),
            Some(cmd) => cmds.push(cmd),
            None => {}
        }
    }
    cmds
}

/// Hostile text used everywhere: percent signs, colons, commas, line breaks,
/// command look-alikes, legacy prefixes, hidden characters, XML/Markdown
/// specials and non-ASCII.
pub const HOSTILE: &str = "50% ok: a,b\n::error::x\r::stop-commands::tok\r\n  ##[group]g ]]> <b>|`x`| é \u{200B}::warning::z \u{1}";

pub fn hostile_source() -> String {
    format!(
        "{{\n  \"chat_template\": \"{{{{ bos }}}}\",\n  ::error::frame-line ##[group]frame\n  \"x\": \"{}\"\n}}\n",
        "::warning::tail"
    )
}

pub const HOSTILE_PATH: &str = "m%25 ,x:y/::error::dir/tokenizer_config.json";

/// A report with one finding per severity, all hostile, plus a clean folder.
pub fn hostile_report() -> Report {
    let src = hostile_source();
    let at = src.find("::error::frame-line").unwrap();
    let mut findings = vec![
        Finding::new(
            Rule::TemplateSyntax,
            HOSTILE_PATH,
            format!("bad: {HOSTILE}"),
        )
        .with_span(Span::new(at, at + 5))
        .with_help(format!("fix it: {HOSTILE}"))
        .with_template("tool_use,::x"),
        Finding::new(
            Rule::TemplateMissing,
            HOSTILE_PATH,
            "no template ##[endgroup]",
        )
        .with_detail(format!("detail line\n{HOSTILE}")),
        Finding::new(
            Rule::DoubleBos,
            "::error::top/chat_template.jinja",
            "info level",
        ),
    ];
    findings[2].severity = Severity::Info;
    let mut sources = BTreeMap::new();
    sources.insert(HOSTILE_PATH.to_string(), src.into());
    sources.insert(
        "::error::top/chat_template.jinja".to_string(),
        "{{ x }}\n".into(),
    );
    Report {
        findings,
        sources,
        stats: Stats {
            folders: 2,
            files: 0,
            templates: 3,
            renders: 24,
        },
        models: vec![
            CheckedModel {
                rel_dir: "::error::top".into(),
                templates: vec![CheckedTemplate {
                    name: "default".into(),
                    path: "::error::top/chat_template.jinja".into(),
                    line: 1,
                    capabilities: vec![],
                }],
            },
            CheckedModel {
                rel_dir: "m%25 ,x:y/::error::dir".into(),
                templates: vec![
                    CheckedTemplate {
                        name: "default".into(),
                        path: HOSTILE_PATH.into(),
                        line: 2,
                        capabilities: vec![],
                    },
                    CheckedTemplate {
                        name: "tool_use,::x".into(),
                        path: HOSTILE_PATH.into(),
                        line: 2,
                        capabilities: vec![],
                    },
                ],
            },
        ],
        rules: Rule::ALL.to_vec(),
        fail_on: FailOn::Error,
        unmatched_globs: Vec::new(),
        directive_warnings: Vec::new(),
        ignored: Default::default(),
    }
}

/// `n` error findings in distinct files, for cap tests.
pub fn many(n: usize, severity: Severity) -> Vec<Finding> {
    (0..n)
        .map(|i| {
            let mut f = Finding::new(
                Rule::TemplateRender,
                format!("m{i:03}/chat_template.jinja"),
                format!("finding {i}"),
            );
            f.severity = severity;
            f
        })
        .collect()
}

/// The official SARIF 2.1.0 schema, offline (see tests/report_sarif.rs).
pub mod sarif_schema {
    use std::path::PathBuf;

    use serde_json::Value;

    /// Where cargo unpacked the `serde-sarif` crate: found in cargo's registry
    /// (the version from Cargo.lock), else asked of `cargo metadata --offline`.
    pub fn schema_path() -> PathBuf {
        let lock =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock")).unwrap();
        let version = lock
            .split("[[package]]")
            .find(|p| p.contains("name = \"serde-sarif\""))
            .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
            .map(|v| v.trim_matches('"').to_string())
            .expect("serde-sarif is in Cargo.lock");
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .or_else(|| std::env::var_os("USERPROFILE"))
                    .map(|h| PathBuf::from(h).join(".cargo"))
            });
        if let Some(home) = home {
            if let Ok(indexes) = std::fs::read_dir(home.join("registry/src")) {
                for index in indexes.flatten() {
                    let p = index
                        .path()
                        .join(format!("serde-sarif-{version}/src/schema.json"));
                    if p.is_file() {
                        return p;
                    }
                }
            }
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = std::process::Command::new(cargo)
            .args(["metadata", "--offline", "--format-version", "1"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
        let pkg = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "serde-sarif")
            .expect("serde-sarif is a dev-dependency");
        let manifest = PathBuf::from(pkg["manifest_path"].as_str().unwrap());
        manifest.parent().unwrap().join("src/schema.json")
    }

    /// The pattern the official file uses for `language` properties. Its stray
    /// `]` is a literal in ECMA-262 regexes; the Rust meta-schema check rejects
    /// it, so it is given in its escaped, equivalent form.
    const LANGUAGE_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

    fn escape_language_patterns(v: &mut Value) -> usize {
        match v {
            Value::Object(map) => {
                let mut n = 0;
                for (k, child) in map.iter_mut() {
                    if k == "pattern" && *child == LANGUAGE_PATTERN {
                        *child = Value::from(LANGUAGE_PATTERN.replace("}]?", "}\\]?"));
                        n += 1;
                    } else {
                        n += escape_language_patterns(child);
                    }
                }
                n
            }
            Value::Array(items) => items.iter_mut().map(escape_language_patterns).sum(),
            _ => 0,
        }
    }

    /// A validator with format checks on (`uri-reference`, …).
    pub fn validator(schema: &Value) -> jsonschema::Validator {
        let mut schema = schema.clone();
        assert!(escape_language_patterns(&mut schema) > 0);
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    }

    pub fn validate(log: &Value) {
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(schema_path()).unwrap()).unwrap();
        assert_eq!(
            schema["$id"],
            "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
        );
        let validator = validator(&schema);
        let errors: Vec<String> = validator
            .iter_errors(log)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}

/// Copy folder `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

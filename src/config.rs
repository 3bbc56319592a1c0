//! The config file: `[tool.chat-template-lint]` in `pyproject.toml` (where ML
//! repos keep their tool config) or a `chat-template-lint.toml`, found from the
//! scanned folder upward.
//!
//! Parsed strictly (unknown keys and unknown rule ids are errors that name the
//! file, line and column — cargo-deny's shape) and validated once into plain
//! values. The command-line flags become a `Config` of their own
//! (`ConfigArgs::to_config`, as typos does it) layered over the file's
//! (`Layers`), which also says where each value came from (`--show-settings`).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::finding::Severity;
use crate::report::location::line_col;
use crate::resolve::{FailOn, GlobBase, PathIgnore};
use crate::rule::Rule;

mod layers;
pub use layers::{parse_rules, Layers, Origin};

/// The standalone config file name; wins over `pyproject.toml` in the same folder.
pub const CONFIG_FILE: &str = "chat-template-lint.toml";
/// The table used inside `pyproject.toml`.
pub const PYPROJECT_TABLE: &str = "tool.chat-template-lint";

/// A config file problem: where (1-based line and column) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

impl std::error::Error for ConfigError {}

/// The validated settings of one config file. `None`/empty = not set there.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file these came from.
    pub path: PathBuf,
    pub select: Option<Vec<Rule>>,
    pub ignore: Option<Vec<Rule>>,
    pub severity: BTreeMap<Rule, Severity>,
    /// (glob relative to the config's folder, rules).
    pub per_path_ignores: Vec<(String, Vec<Rule>)>,
    pub include: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    /// As written (a path relative to the config's folder, or a keyword such as `pr-base`).
    pub baseline: Option<String>,
    pub fail_on: Option<FailOn>,
    pub require: Option<Vec<crate::capabilities::Capability>>,
    /// `fix = true`: `check` fixes as with `--fix`.
    pub fix: Option<bool>,
    /// `unsafe-fixes = true`: as `--unsafe-fixes`.
    pub unsafe_fixes: Option<bool>,
    /// `unfixable = [...]`: rules `--fix` leaves alone.
    pub unfixable: Option<Vec<Rule>>,
    /// `respect-gitignore` (`--no-ignore` sets it false): whether folders that
    /// `.gitignore` / `.ignore` files exclude are skipped.
    pub respect_gitignore: Option<bool>,
}

impl Config {
    /// The folder the config's relative paths and globs are anchored at.
    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// `baseline` as a path: relative paths are anchored at the config's folder.
    pub fn baseline_path(&self) -> Option<PathBuf> {
        self.baseline.as_ref().map(|b| self.dir().join(b))
    }

    /// Compile `per-path-ignores` for findings whose paths are relative to `root`.
    pub fn path_ignores(&self, root: &Path) -> Vec<PathIgnore> {
        let base = glob_base(&absolute(self.dir()), &absolute(root));
        self.per_path_ignores
            .iter()
            .filter_map(|(glob, rules)| {
                // Globs were checked when the file was read.
                let matcher = globset::Glob::new(glob).ok()?.compile_matcher();
                Some(PathIgnore {
                    glob: matcher,
                    rules: rules.clone(),
                    base: base.clone(),
                })
            })
            .collect()
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// How root-relative paths map onto paths relative to the config folder.
fn glob_base(config_dir: &Path, root: &Path) -> GlobBase {
    let join = |p: &Path| {
        p.components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/")
    };
    if let Ok(below) = root.strip_prefix(config_dir) {
        let below = join(below);
        if below.is_empty() {
            GlobBase::Same
        } else {
            GlobBase::Prepend(below)
        }
    } else if let Ok(below) = config_dir.strip_prefix(root) {
        GlobBase::Strip(join(below))
    } else {
        GlobBase::Same
    }
}

/// The keys of the config table, exactly as users write them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    severity: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    per_path_ignores: Option<BTreeMap<Spanned<String>, Vec<Spanned<String>>>>,
    include: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    baseline: Option<String>,
    fail_on: Option<FailOn>,
    require: Option<Vec<Spanned<String>>>,
    fix: Option<bool>,
    unsafe_fixes: Option<bool>,
    unfixable: Option<Vec<Spanned<String>>>,
    respect_gitignore: Option<bool>,
}

/// `pyproject.toml`: only our table matters; everything else is someone else's.
#[derive(Debug, Deserialize)]
struct Pyproject {
    tool: Option<PyTools>,
}

#[derive(Debug, Deserialize)]
struct PyTools {
    #[serde(rename = "chat-template-lint")]
    ours: Option<RawConfig>,
}

/// Find the config for a scan of `start` (a folder or file): the nearest
/// `chat-template-lint.toml`, or `pyproject.toml` with our table, from `start`
/// upward. `Ok(None)` when there is none.
pub fn discover(start: &Path) -> Result<Option<Config>, ConfigError> {
    let start = absolute(start);
    let first = if start.is_file() {
        start.parent().map(Path::to_path_buf)
    } else {
        Some(start)
    };
    // Anything under a config name but a folder is read, so a FIFO or a
    // device there is an error of the run, never a config skipped in silence.
    let present = |p: &Path| p.symlink_metadata().is_ok_and(|m| !m.is_dir());
    let mut dir = first;
    while let Some(d) = dir {
        let own = d.join(CONFIG_FILE);
        if present(&own) {
            return load(&own).map(Some);
        }
        let py = d.join("pyproject.toml");
        if present(&py) {
            if let Some(cfg) = load_pyproject(&py)? {
                return Ok(Some(cfg));
            }
        }
        dir = d.parent().map(Path::to_path_buf);
    }
    Ok(None)
}

/// Read a config file given by path: `pyproject.toml` (must hold our table) or
/// a standalone file.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    if is_pyproject {
        return load_pyproject(path)?.ok_or_else(|| ConfigError {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            message: format!("no [{PYPROJECT_TABLE}] table in this file"),
        });
    }
    let text = read(path)?;
    let raw: RawConfig = toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
    validate(path, &text, raw)
}

/// `Ok(None)` when the file has no table of ours.
fn load_pyproject(path: &Path) -> Result<Option<Config>, ConfigError> {
    let text = read(path)?;
    match toml::from_str::<Pyproject>(&text) {
        Ok(py) => match py.tool.and_then(|t| t.ours) {
            Some(raw) => validate(path, &text, raw).map(Some),
            None => Ok(None),
        },
        // A broken pyproject.toml is only our problem when it is meant for us.
        Err(e) if text.contains("chat-template-lint") => Err(toml_error(path, &text, &e)),
        Err(_) => Ok(None),
    }
}

/// The largest config file read (a real one is a few KB).
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

fn read(path: &Path) -> Result<String, ConfigError> {
    let fail = |message: String| ConfigError {
        path: path.to_path_buf(),
        line: 1,
        column: 1,
        message,
    };
    let bytes = crate::files::read_capped(path, MAX_CONFIG_BYTES)
        .map_err(|e| fail(format!("cannot read the config file: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        fail(format!(
            "cannot read the config file: not UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn at(path: &Path, text: &str, span: Range<usize>, message: String) -> ConfigError {
    let (line, column) = line_col(text, span.start);
    ConfigError {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

fn toml_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let message = e.message().trim().to_string();
    at(path, text, e.span().unwrap_or(0..0), message)
}

fn rule_ids(path: &Path, text: &str, ids: &[Spanned<String>]) -> Result<Vec<Rule>, ConfigError> {
    ids.iter().map(|id| rule_id(path, text, id)).collect()
}

fn rule_id(path: &Path, text: &str, id: &Spanned<String>) -> Result<Rule, ConfigError> {
    Rule::from_id(id.get_ref()).ok_or_else(|| {
        at(
            path,
            text,
            id.span(),
            format!(
                "unknown rule `{}` (see `chat-template-lint rules`)",
                id.get_ref()
            ),
        )
    })
}

/// `require = [...]`: capability ids (see `capabilities`).
fn capability_ids(
    path: &Path,
    text: &str,
    ids: &[Spanned<String>],
) -> Result<Vec<crate::capabilities::Capability>, ConfigError> {
    use crate::capabilities::Capability;
    ids.iter()
        .map(|id| match Capability::from_id(id.get_ref()) {
            Some(c) => Ok(c),
            None => {
                let known: Vec<&str> = Capability::ALL.iter().map(|c| c.id()).collect();
                Err(at(
                    path,
                    text,
                    id.span(),
                    format!(
                        "unknown capability `{}` (one of: {})",
                        id.get_ref(),
                        known.join(", ")
                    ),
                ))
            }
        })
        .collect()
}

fn validate(path: &Path, text: &str, raw: RawConfig) -> Result<Config, ConfigError> {
    let mut cfg = Config {
        path: path.to_path_buf(),
        include: raw.include,
        exclude: raw.exclude,
        baseline: raw.baseline,
        fail_on: raw.fail_on,
        fix: raw.fix,
        unsafe_fixes: raw.unsafe_fixes,
        respect_gitignore: raw.respect_gitignore,
        ..Config::default()
    };
    if let Some(ids) = &raw.unfixable {
        cfg.unfixable = Some(rule_ids(path, text, ids)?);
    }
    if let Some(ids) = &raw.require {
        cfg.require = Some(capability_ids(path, text, ids)?);
    }
    if let Some(ids) = &raw.select {
        cfg.select = Some(rule_ids(path, text, ids)?);
    }
    if let Some(ids) = &raw.ignore {
        cfg.ignore = Some(rule_ids(path, text, ids)?);
    }
    for (id, level) in raw.severity.iter().flatten() {
        let rule = rule_id(path, text, id)?;
        let sev = match level.get_ref().as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            "info" => Severity::Info,
            other => {
                return Err(at(
                    path,
                    text,
                    level.span(),
                    format!("unknown severity `{other}` (expected `error`, `warning` or `info`)"),
                ))
            }
        };
        cfg.severity.insert(rule, sev);
    }
    for (glob, ids) in raw.per_path_ignores.iter().flatten() {
        if let Err(e) = globset::Glob::new(glob.get_ref()) {
            return Err(at(
                path,
                text,
                glob.span(),
                format!("invalid glob `{}`: {}", glob.get_ref(), e.kind()),
            ));
        }
        cfg.per_path_ignores
            .push((glob.get_ref().clone(), rule_ids(path, text, ids)?));
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_base_relates_root_and_config_folder() {
        let a = Path::new("/repo");
        assert_eq!(glob_base(a, Path::new("/repo")), GlobBase::Same);
        assert_eq!(
            glob_base(a, Path::new("/repo/models/x")),
            GlobBase::Prepend("models/x".into())
        );
        assert_eq!(
            glob_base(Path::new("/repo/models"), a),
            GlobBase::Strip("models".into())
        );
    }
}

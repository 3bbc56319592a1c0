//! Discovery: walk the paths given on the command line once and turn the
//! files that hold chat templates into model folders (or loose template files).
//!
//! Glob semantics (`--include` / `--exclude`, and the config file's lists):
//! - A pattern is matched against a file's path relative to the scanned
//!   path *and* relative to the working directory (`/`-separated); either
//!   match counts. `*` and `?` stop at `/`, `**` crosses folders, `{a,b}`
//!   alternates. A pattern without `/` matches the file name at any depth
//!   (`*.jinja` = `**/*.jinja`), as in `.gitignore`.
//! - `--include` replaces the default set, which is every
//!   `tokenizer_config.json`, `chat_template.jinja`, `chat_template.json` and
//!   `additional_chat_templates/*.jinja`. A matching file with one of those
//!   names makes its folder a model folder, loaded like transformers loads it.
//!   Any other matching `.jinja` file is checked on its own, and so is any other
//!   matching `.json` file that has a top-level `chat_template` key (a flat
//!   tokenizer_config.json saved under another name). Other files are skipped.
//! - `--exclude` wins over `--include`; an excluded folder is not entered.
//! - Files named on the command line are always checked, whatever their name
//!   and whatever the globs say (like ripgrep's explicit paths).
//! - `.gitignore` / `.ignore` files are respected (also outside a Git
//!   checkout); `.git` is never entered; other hidden folders are.
//!   Symbolic links are followed, and a link loop is skipped, not walked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::load::MAX_FILE_BYTES;

/// A folder that holds at least one file the tool reads, or a loose template
/// file (then `dir` is the file itself; `load` tells them apart).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ModelDir {
    /// The folder (or loose file), as a path the process can open.
    pub dir: PathBuf,
    /// Relative to the scan root, `/`-separated; `.` for the root itself.
    pub rel_dir: String,
}

/// How to walk: glob patterns as the user wrote them (flags or config file).
#[derive(Clone, Debug, Default)]
pub struct DiscoverOptions {
    /// Files to look at; empty = `DEFAULT_INCLUDE`.
    pub include: Vec<String>,
    /// Files and folders to skip.
    pub exclude: Vec<String>,
}

/// Names of files that make a folder a model folder.
pub const MARKER_FILES: [&str; 3] = [
    "tokenizer_config.json",
    "chat_template.jinja",
    "chat_template.json",
];

/// Other files of a model folder that rules read (tokens, stop ids). Named
/// on the command line (a pre-commit hook passes changed files), one checks
/// its folder when that is a model folder, and is skipped otherwise.
pub const COMPANION_FILES: [&str; 4] = [
    "tokenizer.json",
    "generation_config.json",
    "config.json",
    "special_tokens_map.json",
];

/// What is looked at when no `--include` is given.
pub const DEFAULT_INCLUDE: [&str; 4] = [
    "tokenizer_config.json",
    "chat_template.jinja",
    "chat_template.json",
    "**/additional_chat_templates/*.jinja",
];

/// Compiled include/exclude globs.
struct Globs {
    include: GlobSet,
    exclude: GlobSet,
}

impl Globs {
    fn new(opts: &DiscoverOptions) -> Result<Globs> {
        let include: Vec<&str> = if opts.include.is_empty() {
            DEFAULT_INCLUDE.to_vec()
        } else {
            opts.include.iter().map(String::as_str).collect()
        };
        Ok(Globs {
            include: glob_set(&include, "--include")?,
            exclude: glob_set(
                &opts.exclude.iter().map(String::as_str).collect::<Vec<_>>(),
                "--exclude",
            )?,
        })
    }
}

fn glob_set(patterns: &[&str], flag: &str) -> Result<GlobSet> {
    let mut set = GlobSetBuilder::new();
    for raw in patterns {
        let p = raw.trim_start_matches("./");
        let p = p.strip_suffix('/').unwrap_or(p);
        // No `/`: match the name at any depth, like .gitignore.
        let full = if p.contains('/') {
            p.to_string()
        } else {
            format!("**/{p}")
        };
        let glob = GlobBuilder::new(&full)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .with_context(|| format!("{flag} `{raw}` is not a valid glob"))?;
        set.add(glob);
    }
    set.build()
        .with_context(|| format!("cannot compile the {flag} globs"))
}

/// Find model folders and loose template files under `paths` (folders or
/// files). `root` is what relative paths are computed against. A path that
/// does not exist, or a bad glob, is an error of the run (exit 2).
pub fn discover(paths: &[PathBuf], root: &Path, opts: &DiscoverOptions) -> Result<Vec<ModelDir>> {
    let globs = Globs::new(opts)?;
    let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in paths {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot read path `{}`", path.display()))?;
        if !meta.is_dir() {
            if let Some((dir, _)) = classify(path, true) {
                found.insert(relative(&dir, root), dir);
            }
            continue;
        }
        walk(path, root, &globs, &mut found);
    }
    Ok(found
        .into_iter()
        .map(|(rel_dir, dir)| ModelDir { dir, rel_dir })
        .collect())
}

fn walk(base: &Path, root: &Path, globs: &Globs, found: &mut BTreeMap<String, PathBuf>) {
    let walker = ignore::WalkBuilder::new(base)
        .hidden(false)
        .require_git(false)
        .follow_links(true)
        .filter_entry({
            let base = base.to_path_buf();
            let root = root.to_path_buf();
            let exclude = globs.exclude.clone();
            move |e| {
                if e.file_name() == ".git" {
                    return false;
                }
                let p = e.path();
                e.depth() == 0
                    || !(exclude.is_match(relative(p, &base))
                        || exclude.is_match(relative(p, &root)))
            }
        })
        .build();
    for entry in walker {
        // Unreadable entries and symlink loops are skipped, not fatal.
        // (`filter_entry` already dropped excluded files and folders.)
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let p = entry.path();
        let rel_base = relative(p, base);
        let rel_root = relative(p, root);
        if !(globs.include.is_match(&rel_base) || globs.include.is_match(&rel_root)) {
            continue;
        }
        if let Some((dir, _)) = classify(p, false) {
            found.insert(relative(&dir, root), dir);
        }
    }
}

/// What a file makes of itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Its folder is a model folder.
    Folder,
    /// It is checked on its own.
    Loose,
}

/// The model folder (or loose file) a file belongs to. Files matched by a
/// glob must look like templates; files named explicitly always count.
fn classify(file: &Path, explicit: bool) -> Option<(PathBuf, Kind)> {
    let name = file.file_name()?.to_string_lossy();
    let parent = file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let parent = if parent.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        parent
    };
    if MARKER_FILES.contains(&name.as_ref()) {
        return Some((parent, Kind::Folder));
    }
    if explicit && COMPANION_FILES.contains(&name.as_ref()) {
        let model = MARKER_FILES.iter().any(|m| parent.join(m).is_file())
            || parent.join("additional_chat_templates").is_dir();
        return model.then_some((parent, Kind::Folder));
    }
    let ext = Path::new(name.as_ref())
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if ext.as_deref() == Some("jinja")
        && parent
            .file_name()
            .is_some_and(|n| n == "additional_chat_templates")
    {
        let folder = parent
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let folder = if folder.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            folder
        };
        return Some((folder, Kind::Folder));
    }
    let loose = explicit
        || match ext.as_deref() {
            Some("jinja") => true,
            Some("json") => json_has_chat_template(file),
            _ => false,
        };
    loose.then(|| (file.to_path_buf(), Kind::Loose))
}

/// Whether a JSON file found by a glob has a top-level `chat_template` key.
/// Unparsable files that mention the key count (loading reports why they
/// fail); files over the size cap do not (they are not configs).
fn json_has_chat_template(file: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        chat_template: Option<serde::de::IgnoredAny>,
    }
    if std::fs::metadata(file).map_or(true, |m| m.len() > MAX_FILE_BYTES) {
        return false;
    }
    let Ok(bytes) = std::fs::read(file) else {
        return false;
    };
    let needle = b"\"chat_template\"";
    if !bytes.windows(needle.len()).any(|w| w == needle) {
        return false;
    }
    match serde_json::from_slice::<Probe>(&bytes) {
        Ok(p) => p.chat_template.is_some(),
        Err(e) => !e.is_data(),
    }
}

/// `path` relative to `root`, `/`-separated, `.` when equal.
pub fn relative(path: &Path, root: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            std::path::Component::CurDir => None,
            // An absolute path outside `root`: joined below as `/a/b`.
            std::path::Component::RootDir => Some(String::new()),
            other => Some(other.as_os_str().to_string_lossy().into_owned()),
        })
        .collect();
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Join a relative folder and a file name for display.
pub fn join_rel(rel_dir: &str, name: &str) -> String {
    if rel_dir == "." {
        name.to_string()
    } else {
        format!("{rel_dir}/{name}")
    }
}

/// Reject glob patterns early (for config-file validation): `Ok` when every
/// pattern compiles.
pub fn validate_globs(opts: &DiscoverOptions) -> Result<()> {
    Globs::new(opts).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_without_slash_match_at_any_depth() {
        let set =
            glob_set(&["*.jinja", "models/*/chat_template.json"], "--include").expect("globs");
        assert!(set.is_match("a/b/x.jinja"));
        assert!(set.is_match("x.jinja"));
        assert!(set.is_match("models/m1/chat_template.json"));
        assert!(!set.is_match("models/a/b/chat_template.json"));
        let set = glob_set(&DEFAULT_INCLUDE, "--include").expect("globs");
        assert!(set.is_match("tokenizer_config.json"));
        assert!(set.is_match("a/b/additional_chat_templates/rag.jinja"));
        assert!(!set.is_match("a/b/other.jinja"));
        assert!(glob_set(&["a/[b"], "--include").is_err());
    }

    #[test]
    fn relative_paths_use_slashes() {
        let root = Path::new("/work/repo");
        assert_eq!(relative(Path::new("/work/repo"), root), ".");
        assert_eq!(relative(Path::new("/work/repo/a/b"), root), "a/b");
        assert_eq!(relative(Path::new("./a/./b"), root), "a/b");
        assert_eq!(relative(Path::new("../x/y"), root), "../x/y");
        assert_eq!(relative(Path::new("/tmp/m"), root), "/tmp/m");
    }

    #[test]
    fn classifies_files() {
        let c = |p: &str, explicit| classify(Path::new(p), explicit);
        assert_eq!(
            c("m/tokenizer_config.json", false),
            Some((PathBuf::from("m"), Kind::Folder))
        );
        assert_eq!(
            c("tokenizer_config.json", false),
            Some((PathBuf::from("."), Kind::Folder))
        );
        assert_eq!(
            c("m/additional_chat_templates/rag.jinja", false),
            Some((PathBuf::from("m"), Kind::Folder))
        );
        assert_eq!(
            c("t/llama.jinja", false),
            Some((PathBuf::from("t/llama.jinja"), Kind::Loose))
        );
        assert_eq!(c("t/README.md", false), None);
        assert_eq!(
            c("t/README.md", true),
            Some((PathBuf::from("t/README.md"), Kind::Loose))
        );
    }
}

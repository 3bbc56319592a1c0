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
//!   names makes its folder a model folder, loaded like transformers loads it,
//!   when it is a Hugging Face file: its folder holds another Hugging Face file
//!   (`HF_FILES`), or its content is what that name holds in a model folder
//!   (see `looks_like_model_file`). Other programs use the same names for
//!   other things (LMDeploy's chat-template configs, a messenger app's
//!   `chat_template.json`, a web page `chat_template.jinja`); a name alone
//!   does not make a model folder.
//!   Any other matching `.jinja` file is checked on its own, and so is any other
//!   matching `.json` file that has a top-level `chat_template` key (a flat
//!   tokenizer_config.json saved under another name). Other files are skipped.
//! - `--exclude` wins over `--include`; an excluded folder is not entered.
//! - Files named on the command line are always checked, whatever their name
//!   and whatever the globs say (like ripgrep's explicit paths).
//! - `.gitignore` / `.ignore` files are respected (also outside a Git
//!   checkout) unless `no_ignore` (`--no-ignore`, `respect-gitignore =
//!   false`); `.git` is never entered; other hidden folders are. The model
//!   folders the ignore files hide are counted (`ignored`), so that a
//!   fine-tune's gitignored `outputs/` is said, not silently skipped.
//!   Symbolic links are followed, and a link loop is skipped, not walked.
//! - What the walk cannot look into is said, never skipped in silence: a
//!   folder it may not enter, a path longer than the OS allows, a dangling
//!   link with an included name (`config-invalid`); a FIFO or device with an
//!   included name is handed to loading, which says it is not a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::finding::Finding;
use crate::rule::Rule;

mod classify;
mod globs;
mod ignored;
use classify::classify;
use globs::{mark, Globs};
pub use ignored::Ignored;

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
    /// Walk into folders that `.gitignore` / `.ignore` files exclude.
    pub no_ignore: bool,
    /// The config file `include` came from, for the warning about a glob
    /// that matches nothing (`None`: the `--include` flags).
    pub include_source: Option<String>,
    /// The same for `exclude`.
    pub exclude_source: Option<String>,
}

/// Names of files that make a folder a model folder.
pub const MARKER_FILES: [&str; 3] = [
    "tokenizer_config.json",
    "chat_template.jinja",
    "chat_template.json",
];

/// Files only Hugging Face model, tokenizer and processor folders hold: one of
/// them beside a file with a marker name makes that file a model file,
/// whatever its content (a `chat_template.json` without the key is then
/// `config-invalid`, as transformers' processor fails on it).
pub const HF_FILES: [&str; 6] = [
    "tokenizer_config.json",
    "tokenizer.json",
    "config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "special_tokens_map.json",
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
pub const DEFAULT_INCLUDE: [&str; 5] = [
    "tokenizer_config.json",
    "chat_template.jinja",
    "chat_template.json",
    "**/additional_chat_templates/*.jinja",
    "*.gguf",
];

/// What discovery found, and the user's globs that matched nothing.
#[derive(Debug, Default)]
pub struct Discovered {
    pub dirs: Vec<ModelDir>,
    /// Paths the walk could not look into (a folder it may not enter, a
    /// path longer than the OS allows, a dangling link with a name it
    /// reads): `config-invalid` findings, so a run never reads as clean
    /// where it did not look.
    pub unreadable: Vec<Finding>,
    /// `--include `x` matched nothing`, … (from the flags or the config file).
    pub unmatched_globs: Vec<String>,
    /// The model folders that ignore files hid from the walk.
    pub ignored: ignored::Ignored,
}

/// Find model folders and loose template files under `paths` (folders or
/// files). `root` is what relative paths are computed against. A path that
/// does not exist, or a bad glob, is an error of the run (exit 2).
pub fn discover(paths: &[PathBuf], root: &Path, opts: &DiscoverOptions) -> Result<Vec<ModelDir>> {
    discover_all(paths, root, opts).map(|d| d.dirs)
}

/// `discover`, and the user's include/exclude globs that matched nothing.
pub fn discover_all(paths: &[PathBuf], root: &Path, opts: &DiscoverOptions) -> Result<Discovered> {
    let globs = Globs::new(opts)?;
    let mut found: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut unreadable = Vec::new();
    let mut walked = ignored::Walked::default();
    for path in paths {
        let meta = std::fs::metadata(path)
            .with_context(|| format!("cannot read path `{}`", path.display()))?;
        if !meta.is_dir() {
            // Named files are checked whatever the globs say; a pattern
            // matching one still counts as used.
            globs.includes(&relative(path, root), &relative(path, root));
            if let Some((dir, _)) = classify(path, true) {
                found.insert(relative(&dir, root), dir);
            }
            continue;
        }
        walk(
            path,
            root,
            &globs,
            opts.no_ignore,
            &mut found,
            &mut unreadable,
            &mut walked,
        );
    }
    // The count of ignored folders below does not mark globs as used: a
    // glob that matches only in ignored folders was not used by the check.
    let unmatched_globs = globs.unmatched();
    let ignored = if opts.no_ignore {
        ignored::Ignored::default()
    } else {
        ignored::count(
            &walked,
            root,
            |path, base| excluded(&globs, path, base, root),
            |file, base| {
                let included = globs.include.is_match(relative(file, base))
                    || globs.include.is_match(relative(file, root));
                included
                    .then(|| classify(file, false).map(|(dir, _)| dir))
                    .flatten()
            },
        )
    };
    Ok(Discovered {
        unreadable,
        dirs: found
            .into_iter()
            .map(|(rel_dir, dir)| ModelDir { dir, rel_dir })
            .collect(),
        unmatched_globs,
        ignored,
    })
}

/// Whether `path` (relative to `base` and to `root`) is excluded by a glob.
fn excluded(globs: &Globs, path: &Path, base: &Path, root: &Path) -> bool {
    globs.exclude.is_match(relative(path, base)) || globs.exclude.is_match(relative(path, root))
}

fn walk(
    base: &Path,
    root: &Path,
    globs: &Globs,
    no_ignore: bool,
    found: &mut BTreeMap<String, PathBuf>,
    unreadable: &mut Vec<Finding>,
    walked: &mut ignored::Walked,
) {
    let walker = ignore::WalkBuilder::new(base)
        .standard_filters(!no_ignore)
        .hidden(false)
        .require_git(false)
        .follow_links(true)
        .filter_entry({
            let base = base.to_path_buf();
            let root = root.to_path_buf();
            let exclude = globs.exclude.clone();
            let used = globs.exclude_used.clone();
            move |e| {
                if e.file_name() == ".git" {
                    return false;
                }
                let p = e.path();
                e.depth() == 0 || !mark(&exclude, &used, &relative(p, &base), &relative(p, &root))
            }
        })
        .build();
    let mut candidates = Vec::new();
    for entry in walker {
        // (`filter_entry` already dropped excluded files and folders.)
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                unreadable.extend(walk_error(&e, base, root, globs));
                continue;
            }
        };
        // Folders are walked (and remembered, to tell what the ignore files
        // hid); anything else with an included name is looked at, also a
        // FIFO or device (loading says it is not a file).
        if entry.file_type().is_none_or(|t| t.is_dir()) {
            if entry.file_type().is_some_and(|t| t.is_dir()) {
                walked.visit(base, entry.path());
            }
            continue;
        }
        let p = entry.path();
        let rel_base = relative(p, base);
        let rel_root = relative(p, root);
        if globs.includes(&rel_base, &rel_root) {
            candidates.push(entry.into_path());
        }
    }
    // Classifying reads files (a tokenizer_config.json's keys): in
    // parallel, and `found` is ordered whatever the order of the answers.
    let classified: Vec<PathBuf> = candidates
        .par_iter()
        .filter_map(|p| classify(p, false).map(|(dir, _)| dir))
        .collect();
    for dir in classified {
        found.insert(relative(&dir, root), dir);
    }
}

/// The finding for an error of the walk, if it hides something the tool
/// would have looked at: a folder it could not enter, or a path with an
/// included name it could not read. A symlink loop is skipped (walking it
/// would never end), and so is a dangling link whose name is not included
/// (a repository's broken link to a file the tool never reads).
fn walk_error(e: &ignore::Error, base: &Path, root: &Path, globs: &Globs) -> Option<Finding> {
    let mut err = e;
    let mut path = None;
    loop {
        match err {
            ignore::Error::WithPath {
                path: p,
                err: inner,
            } => {
                path = Some(p.clone());
                err = inner;
            }
            ignore::Error::WithDepth { err: inner, .. }
            | ignore::Error::WithLineNumber { err: inner, .. } => err = inner,
            ignore::Error::Loop { .. } => return None,
            // Errors of an ignore file's patterns are not about the walk.
            ignore::Error::Glob { .. }
            | ignore::Error::UnrecognizedFileType(_)
            | ignore::Error::InvalidDefinition
            | ignore::Error::Partial(_) => return None,
            ignore::Error::Io(io) => {
                let path = path.unwrap_or_else(|| base.to_path_buf());
                let included = globs.includes(&relative(&path, base), &relative(&path, root));
                if io.kind() == std::io::ErrorKind::NotFound && !included {
                    return None;
                }
                let shown = relative(&path, root);
                // The OS's own words, without the walker's restatement of the path.
                let io = match (io.kind(), io.raw_os_error()) {
                    // The walk listed it: a link to nothing.
                    (std::io::ErrorKind::NotFound, _) => {
                        "a symbolic link to a path that does not exist".to_string()
                    }
                    (_, Some(code)) => std::io::Error::from_raw_os_error(code).to_string(),
                    (kind, None) => kind.to_string(),
                };
                return Some(
                    Finding::new(
                        Rule::ConfigInvalid,
                        &shown,
                        format!("cannot read `{shown}`: {io}; nothing in it was checked"),
                    )
                    .with_help(
                        "make the path readable by the user running the check, or exclude it (`--exclude`)",
                    ),
                );
            }
        }
    }
}

/// Whether `dir` itself is a model folder: it holds one of `MARKER_FILES`
/// or an `additional_chat_templates/` folder.
pub fn is_model_folder(dir: &Path) -> bool {
    MARKER_FILES.iter().any(|m| dir.join(m).is_file())
        || dir.join("additional_chat_templates").is_dir()
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
    fn relative_paths_use_slashes() {
        let root = Path::new("/work/repo");
        assert_eq!(relative(Path::new("/work/repo"), root), ".");
        assert_eq!(relative(Path::new("/work/repo/a/b"), root), "a/b");
        assert_eq!(relative(Path::new("./a/./b"), root), "a/b");
        assert_eq!(relative(Path::new("../x/y"), root), "../x/y");
        assert_eq!(relative(Path::new("/tmp/m"), root), "/tmp/m");
    }
}

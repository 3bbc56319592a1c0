//! Discovery: walk the paths given on the command line once and group the
//! files that hold chat templates by folder.
//!
//! NOTE: first working version; the full glob scanner (`--include`/`--exclude`,
//! .gitignore, symlink loops) is issue 2 §1.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// A folder that holds at least one file the tool reads.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ModelDir {
    /// The folder, as a path the process can open.
    pub dir: PathBuf,
    /// Relative to the scan root, `/`-separated; `.` for the root itself.
    pub rel_dir: String,
}

/// How to walk.
#[derive(Clone, Debug, Default)]
pub struct DiscoverOptions {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// Names of files that make a folder a model folder.
pub const MARKER_FILES: [&str; 3] = [
    "tokenizer_config.json",
    "chat_template.jinja",
    "chat_template.json",
];

/// Find model folders under `paths` (folders or files). `root` is what
/// relative paths are computed against.
pub fn discover(paths: &[PathBuf], root: &Path, _opts: &DiscoverOptions) -> Result<Vec<ModelDir>> {
    let mut out = Vec::new();
    for path in paths {
        if !path.exists() {
            bail!("path `{}` does not exist", path.display());
        }
        if path.is_file() {
            let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            out.push(model_dir(&dir, root));
            continue;
        }
        for entry in ignore::WalkBuilder::new(path).hidden(false).build() {
            let Ok(entry) = entry else { continue };
            if entry.file_type().is_some_and(|t| t.is_dir()) && is_model_dir(entry.path()) {
                out.push(model_dir(entry.path(), root));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn is_model_dir(dir: &Path) -> bool {
    MARKER_FILES.iter().any(|f| dir.join(f).is_file())
        || dir.join("additional_chat_templates").is_dir()
}

fn model_dir(dir: &Path, root: &Path) -> ModelDir {
    ModelDir {
        dir: dir.to_path_buf(),
        rel_dir: relative(dir, root),
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

//! What the ignore files hid: the usual fine-tuning layout gitignores
//! `outputs/` or `checkpoint-*/`, so `check .` would pass on one folder
//! while 300 checkpoints sit beside it. After the walk, the folders it never
//! entered (children of walked folders that the walk skipped, not because of
//! an `--exclude` or `.git`) are walked a second time without ignore files,
//! within a budget of entries, and the model folders found there counted.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

/// How many entries the second walk may visit in all: an ignored `outputs/`
/// holds weights and optimizer states, not only configs, and this walk only
/// counts.
const BUDGET: usize = 100_000;

/// Ignored folders of other tools, never entered by the second walk: they
/// are large (a virtualenv holds tens of thousands of files) and hold no
/// model of the user's.
const TOOL_DIRS: [&str; 12] = [
    ".git",
    "node_modules",
    ".venv",
    "venv",
    "site-packages",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "target",
];

/// Whether a file name can hold a chat template (what `classify` accepts
/// at most): checked before anything costlier.
fn candidate(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    super::MARKER_FILES.contains(&name.as_ref())
        || [".jinja", ".json", ".gguf"]
            .iter()
            .any(|ext| name.to_ascii_lowercase().ends_with(ext))
}

/// The folders the main walk entered, each with the path it was walked from.
#[derive(Debug, Default)]
pub(super) struct Walked {
    seen: HashSet<PathBuf>,
    dirs: Vec<(PathBuf, PathBuf)>,
}

impl Walked {
    pub(super) fn visit(&mut self, base: &Path, dir: &Path) {
        if self.seen.insert(dir.to_path_buf()) {
            self.dirs.push((base.to_path_buf(), dir.to_path_buf()));
        }
    }
}

/// Model folders that ignore files hid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ignored {
    /// How many (at least this many when `capped`).
    pub folders: usize,
    /// The ignored folders they are in, relative to the root, `/`-separated.
    pub roots: Vec<String>,
    /// The budget ran out before the ignored folders were all walked.
    pub capped: bool,
}

impl Ignored {
    /// `300 model folders ignored by .gitignore (outputs/); --no-ignore to
    /// check them`, when there are any.
    pub fn message(&self) -> Option<String> {
        if self.folders == 0 {
            return None;
        }
        const SHOWN: usize = 3;
        let mut roots: Vec<String> = self
            .roots
            .iter()
            .take(SHOWN)
            .map(|r| format!("{r}/"))
            .collect();
        if self.roots.len() > SHOWN {
            roots.push(format!("and {} more", self.roots.len() - SHOWN));
        }
        Some(format!(
            "{}{} model folder{} ignored by .gitignore ({}); --no-ignore to check {}",
            if self.capped { "at least " } else { "" },
            self.folders,
            if self.folders == 1 { "" } else { "s" },
            roots.join(", "),
            if self.folders == 1 { "it" } else { "them" },
        ))
    }
}

/// Count the model folders under the folders the walk skipped. `excluded`
/// says whether a path is excluded by a glob (relative to its walk's base);
/// `model_dir` classifies a file as the main walk does.
pub(super) fn count(
    walked: &Walked,
    root: &Path,
    excluded: impl Fn(&Path, &Path) -> bool,
    model_dir: impl Fn(&Path, &Path) -> Option<PathBuf>,
) -> Ignored {
    let mut skipped = Vec::new();
    for (base, dir) in &walked.dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            // `metadata` follows links, as the walk does.
            if TOOL_DIRS.iter().any(|d| entry.file_name() == *d)
                || walked.seen.contains(&path)
                || !std::fs::metadata(&path).is_ok_and(|m| m.is_dir())
                || excluded(&path, base)
            {
                continue;
            }
            skipped.push((base.clone(), path));
        }
    }
    skipped.sort();
    let mut budget = BUDGET;
    let mut found = BTreeSet::new();
    let mut roots = Vec::new();
    let mut capped = false;
    for (base, top) in &skipped {
        let before = found.len();
        let walker = ignore::WalkBuilder::new(top)
            .standard_filters(false)
            .follow_links(true)
            .filter_entry(|e| !TOOL_DIRS.iter().any(|d| e.file_name() == *d))
            .build();
        for entry in walker {
            if budget == 0 {
                capped = true;
                break;
            }
            budget -= 1;
            let Ok(entry) = entry else { continue };
            let path = entry.path();
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            if !is_file || !candidate(entry.file_name()) || excluded(path, base) {
                continue;
            }
            if let Some(dir) = model_dir(path, base) {
                found.insert(dir);
            }
        }
        if found.len() > before {
            roots.push(super::relative(top, root));
        }
        if capped {
            break;
        }
    }
    Ignored {
        folders: found.len(),
        roots,
        capped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_counts_and_names_the_folders() {
        let none = Ignored::default();
        assert_eq!(none.message(), None);
        let one = Ignored {
            folders: 1,
            roots: vec!["outputs".into()],
            capped: false,
        };
        assert_eq!(
            one.message().as_deref(),
            Some("1 model folder ignored by .gitignore (outputs/); --no-ignore to check it")
        );
        let many = Ignored {
            folders: 300,
            roots: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            capped: true,
        };
        assert_eq!(
            many.message().as_deref(),
            Some("at least 300 model folders ignored by .gitignore (a/, b/, c/, and 1 more); --no-ignore to check them")
        );
        assert!(candidate("tokenizer_config.json".as_ref()));
        assert!(candidate("Model.GGUF".as_ref()));
        assert!(!candidate("optimizer.pt".as_ref()));
    }
}

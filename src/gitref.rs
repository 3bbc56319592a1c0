//! `--baseline-ref REF`: the baseline of each template is its own file at a
//! git ref (`origin/main`; in a pull request `baseline = "pr-base"` means
//! `origin/$GITHUB_BASE_REF`).
//!
//! Git is asked for exactly what is needed, in a fixed number of processes:
//! `rev-parse` once for the ref, one `diff -M --name-status` for files
//! renamed since the ref (a template renamed or moved in the PR is compared
//! with its old path; an added one has no baseline), one `ls-tree` of the
//! template files at the ref and one `cat-file --batch` serving their blobs
//! (`gitcat`). A folder's files are written to a temporary folder and
//! loaded with the normal loader, so the old folder's templates resolve
//! exactly as transformers would have resolved them (a template moved from
//! tokenizer_config.json to chat_template.jinja is still matched by name).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};

use crate::baseline::Found;
use crate::discover::ModelDir;
use crate::gitcat::{command, CatFile, TemplateFiles};
use crate::load::{load, LoadedModel, Template};

/// A git ref opened as a baseline.
#[derive(Debug, Clone)]
pub struct GitRef {
    /// The ref as the user gave it, for messages (`origin/main`).
    pub name: String,
    /// The commit it resolved to.
    commit: String,
    /// The repository's top-level folder (canonical).
    top: PathBuf,
    /// Path now → path at the ref, for files renamed since (repo-relative, `/`).
    renamed_from: BTreeMap<String, String>,
    /// The template files at the ref.
    files: Arc<TemplateFiles>,
    /// The one `git cat-file --batch` every blob is read through.
    cat: Arc<Mutex<CatFile>>,
    /// Folders already looked up at the ref (old path → its templates;
    /// `None` = not there).
    cache: Arc<Mutex<BTreeMap<String, Option<OldFolder>>>>,
    /// Folders loaded from the ref, by their template files' blob ids: the
    /// checkpoints of a run hold the same blobs, and are loaded once.
    by_content: Arc<Mutex<ContentCache>>,
}

type ContentCache = std::collections::HashMap<Vec<(String, String)>, OldFolder>;

/// A folder (or loose file) at the ref: its templates only, loaded once per
/// distinct content under the path `loaded_as`, and seen at `path`.
#[derive(Debug, Clone)]
struct OldFolder {
    model: Arc<LoadedModel>,
    loaded_as: String,
    path: String,
}

impl OldFolder {
    /// `template`'s path in this folder (it was loaded under `loaded_as`).
    fn path_of(&self, template: &Template) -> String {
        if self.loaded_as == self.path {
            return template.path.clone();
        }
        let inner = if self.loaded_as.is_empty() {
            Some(template.path.as_str())
        } else {
            template.path.strip_prefix(&format!("{}/", self.loaded_as))
        };
        match inner {
            Some(inner) if self.path.is_empty() => inner.to_string(),
            Some(inner) => format!("{}/{inner}", self.path),
            None => template.path.clone(),
        }
    }
}

impl GitRef {
    /// Resolve `rev` in the repository that holds `at`. A missing ref is an
    /// error that says how to fetch it (shallow CI clones lack it).
    pub fn open(rev: &str, at: &Path) -> Result<GitRef> {
        let dir = if at.is_file() {
            at.parent().unwrap_or(Path::new("."))
        } else {
            at
        };
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let top = git(dir, &["rev-parse", "--show-toplevel"]).with_context(|| {
            format!(
                "--baseline-ref needs a git repository, and `{}` is not inside one",
                dir.display()
            )
        })?;
        let top = PathBuf::from(String::from_utf8_lossy(&top).trim());
        let top = top.canonicalize().unwrap_or(top);
        let spec = format!("{rev}^{{commit}}");
        let commit = match git(&top, &["rev-parse", "--verify", "--quiet", &spec]) {
            Ok(out) => String::from_utf8_lossy(&out).trim().to_string(),
            Err(_) => bail!("{}", missing_ref_message(rev, &top)),
        };
        let renamed_from = renames(&top, &commit)?;
        let files = Arc::new(TemplateFiles::list(&top, &commit)?);
        let cat = Arc::new(Mutex::new(CatFile::spawn(&top)?));
        Ok(GitRef {
            name: rev.to_string(),
            commit,
            top,
            renamed_from,
            files,
            cat,
            cache: Arc::default(),
            by_content: Arc::default(),
        })
    }

    /// The template named like `template` in the same folder at the ref
    /// (following renames); `None` when the folder or file is new.
    pub fn find(&self, model: &LoadedModel, template: &Template) -> Option<Found> {
        let base = self.old_model(model)?;
        base.model
            .templates
            .iter()
            .find(|t| t.name == template.name)
            .map(|t| Found {
                origin: format!("{}:{}", self.name, base.path_of(t)),
                text: t.text.clone(),
            })
    }

    /// The templates of `model`'s folder at the ref, as (name, origin).
    pub fn templates_for(&self, model: &LoadedModel) -> Vec<(String, String)> {
        self.old_model(model).map_or_else(Vec::new, |base| {
            base.model
                .templates
                .iter()
                .map(|t| (t.name.clone(), format!("{}:{}", self.name, base.path_of(t))))
                .collect()
        })
    }

    /// `model`'s folder (or loose file) as it was at the ref, loaded once
    /// per distinct content.
    fn old_model(&self, model: &LoadedModel) -> Option<OldFolder> {
        let (old, is_file) = self.old_path(model)?;
        if let Some(hit) = self.cache.lock().ok()?.get(&old) {
            return hit.clone();
        }
        // Loaded without holding the lock: folders load in parallel. Only
        // the templates are kept (`find` and `templates_for` read nothing
        // else), so the cache does not hold every old file's text.
        let keep = |m: LoadedModel, loaded_as: &str| OldFolder {
            model: Arc::new(LoadedModel {
                templates: m.templates,
                ..LoadedModel::default()
            }),
            loaded_as: loaded_as.to_string(),
            path: old.clone(),
        };
        let loaded = if is_file {
            self.load_file(&old).map(|m| keep(m, &old))
        } else {
            let listing: Vec<(String, String)> = self
                .files
                .in_folder(&old)
                .into_iter()
                .map(|(inner, oid)| (inner.to_string(), oid.to_string()))
                .collect();
            let known = self.by_content.lock().ok()?.get(&listing).cloned();
            match known {
                Some(same) => Some(OldFolder {
                    path: old.clone(),
                    ..same
                }),
                None => {
                    let loaded = self.load_folder(&old).map(|m| keep(m, &old));
                    if let Some(l) = &loaded {
                        self.by_content.lock().ok()?.insert(listing, l.clone());
                    }
                    loaded
                }
            }
        };
        self.cache.lock().ok()?.insert(old, loaded.clone());
        loaded
    }

    /// The repo-relative path `model` had at the ref: its folder (or loose
    /// file), or the old folder when one of its template files was renamed.
    fn old_path(&self, model: &LoadedModel) -> Option<(String, bool)> {
        let here = model.dir.canonicalize().ok()?;
        let rel = repo_path(here.strip_prefix(&self.top).ok()?);
        if model.dir.is_file() {
            let old = self.renamed_from.get(&rel).cloned().unwrap_or(rel);
            return Some((old, true));
        }
        for t in &model.templates {
            // The template's file inside its folder (`tokenizer_config.json`,
            // `additional_chat_templates/tool_use.jinja`).
            let in_folder = if model.rel_dir == "." {
                Some(t.path.as_str())
            } else {
                t.path.strip_prefix(&format!("{}/", model.rel_dir))
            };
            let Some(in_folder) = in_folder else { continue };
            if let Some(old) = self.renamed_from.get(&join(&rel, in_folder)) {
                let folder = old
                    .strip_suffix(in_folder)
                    .map(|f| f.trim_end_matches('/').to_string())
                    .unwrap_or_else(|| parent(old));
                return Some((folder, false));
            }
        }
        Some((rel, false))
    }

    /// Load a loose template file as it was at the ref.
    fn load_file(&self, old: &str) -> Option<LoadedModel> {
        let name = Path::new(old).file_name()?.to_owned();
        let temp = TempDir::new()?;
        let bytes = self.blob(&format!("{}:{}", self.commit, old))?;
        std::fs::write(temp.0.join(&name), bytes).ok()?;
        Some(load(&ModelDir {
            dir: temp.0.join(&name),
            rel_dir: old.to_string(),
        }))
    }

    /// Load the template files of `folder` (repo-relative) as they were at the ref.
    fn load_folder(&self, folder: &str) -> Option<LoadedModel> {
        let temp = TempDir::new()?;
        for (inner, oid) in self.files.in_folder(folder) {
            // Only plain relative names are written (a crafted tree could
            // hold `..` components).
            if inner
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
            {
                continue;
            }
            let bytes = self.blob(oid)?;
            let dest = temp.0.join(inner);
            if let Some(p) = dest.parent() {
                std::fs::create_dir_all(p).ok()?;
            }
            std::fs::write(dest, bytes).ok()?;
        }
        Some(load(&ModelDir {
            dir: temp.0.clone(),
            rel_dir: if folder.is_empty() { "." } else { folder }.to_string(),
        }))
    }

    /// A blob through the shared `cat-file --batch` (the lock is held for
    /// one request and answer only).
    fn blob(&self, object: &str) -> Option<Vec<u8>> {
        self.cat.lock().ok()?.blob(object)
    }
}

/// The error for a ref this clone does not have.
fn missing_ref_message(rev: &str, top: &Path) -> String {
    let shallow = git(top, &["rev-parse", "--is-shallow-repository"])
        .map(|o| String::from_utf8_lossy(&o).trim() == "true")
        .unwrap_or(false);
    let branch = rev.strip_prefix("origin/").unwrap_or(rev);
    let why = if shallow {
        "this is a shallow clone that does not have it"
    } else {
        "it does not exist in this clone"
    };
    format!(
        "--baseline-ref `{rev}`: {why}. Fetch it first (`git fetch origin {branch}`), or in GitHub Actions check out with `actions/checkout` and `fetch-depth: 0`"
    )
}

/// Files renamed between `commit` and the working tree: new path → old path.
fn renames(top: &Path, commit: &str) -> Result<BTreeMap<String, String>> {
    let out = git(
        top,
        &[
            "diff",
            "-z",
            "-M",
            "--name-status",
            "--no-ext-diff",
            commit,
            "--",
        ],
    )?;
    let fields: Vec<String> = out
        .split(|b| *b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let mut map = BTreeMap::new();
    let mut i = 0;
    while i < fields.len() {
        let status = &fields[i];
        if status.starts_with('R') || status.starts_with('C') {
            if let (Some(old), Some(new)) = (fields.get(i + 1), fields.get(i + 2)) {
                if status.starts_with('R') {
                    map.insert(new.clone(), old.clone());
                }
            }
            i += 3;
        } else {
            i += 2;
        }
    }
    Ok(map)
}

/// Run git in `dir`; its stdout, or an error with its stderr.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = command(dir)
        .args(args)
        .output()
        .context("cannot run `git` (is it installed?)")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(out.stdout)
}

/// A repo-relative path with `/` separators (`""` for the top level).
fn repo_path(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn join(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

fn parent(path: &str) -> String {
    path.rsplit_once('/')
        .map(|(p, _)| p.to_string())
        .unwrap_or_default()
}

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Option<TempDir> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("chat-template-lint-ref-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ok()?;
        Some(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(join("", "a.json"), "a.json");
        assert_eq!(join("m/x", "a.json"), "m/x/a.json");
        assert_eq!(parent("m/x/a.json"), "m/x");
        assert_eq!(parent("a.json"), "");
    }
}

//! Baselines for `template-drift`: where the "before" version of a template
//! comes from — a base model folder used for every template, or a tree of
//! folders matched by relative path.
//!
//! The git variant (`--baseline-ref`) lives in `gitref`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

use crate::discover::ModelDir;
use crate::load::{load, LoadedModel, Template};

/// Where baseline templates come from.
#[derive(Debug, Clone)]
pub enum Baseline {
    /// One model folder: its templates are the baseline for every folder.
    Folder(Box<LoadedModel>),
    /// A tree: folder `a/b` in the scan is compared with `ROOT/a/b`, else
    /// `ROOT/b` (the longest trailing part of its path that exists there).
    Tree(PathBuf),
    /// Each template's own file at a git ref (`--baseline-ref`, `baseline = "pr-base"`).
    GitRef(Box<crate::gitref::GitRef>),
}

/// A baseline template found for a template under check.
#[derive(Debug, Clone)]
pub struct Found {
    /// For messages: `base/tokenizer_config.json`.
    pub origin: String,
    pub text: String,
}

impl Baseline {
    /// Open `dir` as a baseline: a model folder if it holds template files,
    /// else a tree. A path that is not a folder is the caller's error (exit 2).
    pub fn open(dir: PathBuf) -> Result<Baseline> {
        if !dir.is_dir() {
            bail!("--baseline `{}` is not a folder", dir.display());
        }
        let model = load_dir(&dir);
        Ok(
            if model.templates.is_empty() && !model.has_tokenizer_config {
                Baseline::Tree(dir)
            } else {
                Baseline::Folder(Box::new(model))
            },
        )
    }

    /// The baseline's templates for `model`'s folder as (name, origin), when
    /// the baseline is a folder, a tree or a git ref.
    pub fn templates_for(&self, model: &LoadedModel) -> Vec<(String, String)> {
        let list = |base: &LoadedModel| {
            base.templates
                .iter()
                .map(|t| (t.name.clone(), t.path.clone()))
                .collect()
        };
        match self {
            Baseline::GitRef(git) => git.templates_for(model),
            Baseline::Folder(base) => list(base),
            Baseline::Tree(root) => tree_match(root, model).map_or_else(Vec::new, |b| list(&b)),
        }
    }

    /// The baseline's template of the same name as `template` in `model`.
    pub fn find(&self, model: &LoadedModel, template: &Template) -> Option<Found> {
        let pick = |base: &LoadedModel| {
            base.templates
                .iter()
                .find(|t| t.name == template.name)
                .map(|t| Found {
                    origin: t.path.clone(),
                    text: t.text.clone(),
                })
        };
        match self {
            Baseline::GitRef(git) => git.find(model, template),
            Baseline::Folder(base) => pick(base),
            Baseline::Tree(root) => tree_match(root, model).and_then(|base| pick(&base)),
        }
    }
}

/// The folder of tree `root` that matches `model`: `ROOT/a/b` for folder
/// `a/b`, else `ROOT/b` — the longest trailing part of its path that holds
/// templates there.
fn tree_match(root: &Path, model: &LoadedModel) -> Option<LoadedModel> {
    let parts: Vec<&str> = model
        .rel_dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    (0..parts.len())
        .map(|skip| root.join(parts[skip..].join("/")))
        .filter(|dir| dir.is_dir())
        .map(|dir| load_dir(&dir))
        .find(|base| !base.templates.is_empty())
}

/// Load a baseline folder; its paths in messages are the folder as given.
fn load_dir(dir: &Path) -> LoadedModel {
    let shown = dir.to_string_lossy().replace('\\', "/");
    let shown = shown.trim_end_matches('/');
    load(&ModelDir {
        dir: dir.to_path_buf(),
        rel_dir: if shown.is_empty() { "." } else { shown }.to_string(),
    })
}

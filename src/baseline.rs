//! Baselines for `template-drift`: where the "before" version of a template
//! comes from — a base model folder used for every template, or a tree of
//! folders matched by relative path.
//!
//! NOTE: first working version; `--baseline-ref` (git) is issue 5 §5.

use std::path::PathBuf;

use crate::discover::ModelDir;
use crate::load::{load, LoadedModel, Template};

/// Where baseline templates come from.
#[derive(Debug, Clone)]
pub enum Baseline {
    /// One model folder: its templates are the baseline for every folder.
    Folder(Box<LoadedModel>),
    /// A tree: folder `a/b` in the scan is compared with `ROOT/a/b`.
    Tree(PathBuf),
}

/// A baseline template found for a template under check.
#[derive(Debug, Clone)]
pub struct Found {
    /// For messages: `base/tokenizer_config.json`.
    pub origin: String,
    pub text: String,
}

impl Baseline {
    /// Open `dir` as a baseline: a model folder if it holds template files, else a tree.
    pub fn open(dir: PathBuf) -> Baseline {
        let md = ModelDir {
            dir: dir.clone(),
            rel_dir: dir.to_string_lossy().replace('\\', "/"),
        };
        let model = load(&md);
        if model.templates.is_empty() && !model.has_tokenizer_config {
            Baseline::Tree(dir)
        } else {
            Baseline::Folder(Box::new(model))
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
            Baseline::Folder(base) => pick(base),
            Baseline::Tree(root) => {
                let dir = if model.rel_dir == "." {
                    root.clone()
                } else {
                    root.join(&model.rel_dir)
                };
                let md = ModelDir {
                    rel_dir: dir.to_string_lossy().replace('\\', "/"),
                    dir,
                };
                pick(&load(&md))
            }
        }
    }
}

//! Planning the fixes of one model folder: from the findings `check`
//! reported and the folder as loaded, the new text of each file, each
//! template change proven by rendering first (`proof`). Nothing is written
//! here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::eos::{edit_generation_config, new_generation_config};
use super::gen_prompt::candidates;
use super::proof::prove_generation_prompt;
use super::splice::{apply, template_edit, Edit};
use super::write::FileChange;
use super::{FindingKey, FixOptions};
use crate::check::{probe_vars, CheckOptions};
use crate::load::{LoadedModel, Origin, Template};
use crate::probes::{render_probes, Renders};
use crate::render::compile;
use crate::rule::Rule;
use crate::rules::{assistant_closer, missing_header_in, normalize_template as normalize};

/// What planning one folder produced.
#[derive(Debug, Default)]
pub struct FolderPlan {
    pub changes: Vec<FileChange>,
    /// The findings the changes fix.
    pub fixed: Vec<FindingKey>,
    /// Findings whose fix is not applied, and why.
    pub refused: Vec<(FindingKey, String)>,
}

/// Edits collected per file before they are applied together.
#[derive(Default)]
struct Files {
    /// display path → (path to open, text as loaded, edits).
    edits: BTreeMap<String, (PathBuf, String, Vec<Edit>)>,
    created: Vec<FileChange>,
}

impl Files {
    /// Apply a template's text change to its file.
    fn template(&mut self, model: &LoadedModel, t: &Template, new: &str) -> Result<(), String> {
        self.templates(model, &[(t, new.to_string())])
    }

    /// Apply several template changes, all or none.
    fn templates(
        &mut self,
        model: &LoadedModel,
        changes: &[(&Template, String)],
    ) -> Result<(), String> {
        let mut queued = Vec::new();
        for (t, new) in changes {
            let src = model
                .sources
                .iter()
                .find(|s| s.path == t.path)
                .ok_or_else(|| format!("`{}` was not read", t.path))?;
            let edit = template_edit(&src.text, t, new)
                .ok_or_else(|| format!("the template's text was not found in `{}`", t.path))?;
            queued.push((
                t.path.clone(),
                open_path(model, &t.path),
                src.text.as_str(),
                edit,
            ));
        }
        for (display, path, text, edit) in queued {
            self.add(display, path, text, edit);
        }
        Ok(())
    }

    /// Queue `edit` of file `display` (its text `text` as read).
    fn add(&mut self, display: String, path: PathBuf, text: &str, edit: Edit) {
        self.edits
            .entry(display)
            .or_insert_with(|| (path, text.to_string(), Vec::new()))
            .2
            .push(edit);
    }

    fn into_changes(self) -> Result<Vec<FileChange>, String> {
        let mut out = Vec::new();
        for (display, (path, before, edits)) in self.edits {
            let after = apply(&before, &edits)
                .ok_or_else(|| format!("two fixes overlap in `{display}`"))?;
            if after != before {
                out.push(FileChange {
                    path,
                    display,
                    before: Some(before),
                    after,
                });
            }
        }
        out.extend(self.created);
        Ok(out)
    }
}

/// The path the process opens for a file `display` of `model`.
fn open_path(model: &LoadedModel, display: &str) -> PathBuf {
    if model.loose {
        return model.dir.clone();
    }
    let inside = if model.rel_dir == "." {
        display
    } else {
        display
            .strip_prefix(&format!("{}/", model.rel_dir))
            .unwrap_or(display)
    };
    model.dir.join(inside)
}

/// `new` with `like`'s one trailing newline (or none).
fn with_trailing_newline_of(new: &str, like: &str) -> String {
    let base = new.strip_suffix('\n').unwrap_or(new);
    if like.ends_with('\n') {
        format!("{base}\n")
    } else {
        base.to_string()
    }
}

fn key_of(rule: Rule, t: &Template) -> FindingKey {
    FindingKey {
        rule,
        path: t.path.clone(),
        template: Some(t.name.clone()),
    }
}

/// Plan the fixes of `model` for the findings `wanted` (already filtered to
/// enabled, fixable rules).
pub fn plan_folder(
    model: &LoadedModel,
    wanted: &[FindingKey],
    opts: &CheckOptions,
    fix: &FixOptions,
) -> FolderPlan {
    let vars = probe_vars(model, &opts.vars);
    // The probe renders of each template a fix needs them for, made once.
    let renders = model
        .templates
        .iter()
        .filter(|t| {
            [Rule::GenerationPromptMissing, Rule::EosMismatch]
                .iter()
                .any(|r| wanted.contains(&key_of(*r, t)))
        })
        .filter_map(|t| {
            let compiled = compile(&t.text).ok()?;
            Some((t.name.clone(), render_probes(&compiled, &vars, opts.now)))
        })
        .collect();
    let mut planner = Planner {
        model,
        wanted,
        opts,
        vars,
        renders,
        files: Files::default(),
        plan: FolderPlan::default(),
        fixed_text: BTreeMap::new(),
    };
    planner.generation_prompts();
    planner.stop_ids();
    if fix.unsafe_fixes {
        planner.sources();
    }
    let Planner {
        files, mut plan, ..
    } = planner;
    match files.into_changes() {
        Ok(changes) => plan.changes = changes,
        Err(why) => {
            let fixed = std::mem::take(&mut plan.fixed);
            plan.refused
                .extend(fixed.into_iter().map(|k| (k, why.clone())));
        }
    }
    plan
}

/// One folder's planning state: the edits so far, and what they fix.
struct Planner<'a> {
    model: &'a LoadedModel,
    wanted: &'a [FindingKey],
    opts: &'a CheckOptions,
    vars: serde_json::Map<String, serde_json::Value>,
    /// By template name.
    renders: BTreeMap<String, Renders>,
    files: Files,
    plan: FolderPlan,
    /// Fixed template texts by name, for the sources that copy them.
    fixed_text: BTreeMap<String, String>,
}

impl Planner<'_> {
    fn done(&mut self, key: FindingKey, result: Result<(), String>) {
        match result {
            Ok(()) => self.plan.fixed.push(key),
            Err(why) => self.plan.refused.push((key, why)),
        }
    }

    /// `generation-prompt-missing`: the proven repair of each template,
    /// also written into a lower source that held the same text.
    fn generation_prompts(&mut self) {
        let model = self.model;
        for t in &model.templates {
            let key = key_of(Rule::GenerationPromptMissing, t);
            if !self.wanted.contains(&key) {
                continue;
            }
            let result = self
                .renders
                .get(&t.name)
                .and_then(missing_header_in)
                .ok_or_else(|| "the assistant header could not be read".to_string())
                .and_then(|header| {
                    repair_generation_prompt(model, t, &header, self.opts, &self.vars)
                })
                .and_then(|new| {
                    let mut changes = vec![(t, new.clone())];
                    changes.extend(
                        model
                            .shadowed
                            .iter()
                            .filter(|s| {
                                s.name == t.name && normalize(&s.text) == normalize(&t.text)
                            })
                            .map(|s| (s, with_trailing_newline_of(&new, &s.text))),
                    );
                    self.files.templates(model, &changes)?;
                    self.fixed_text.insert(t.name.clone(), new);
                    Ok(())
                });
            self.done(key, result);
        }
    }

    /// `eos-mismatch`: every closer's id listed in one generation config.
    fn stop_ids(&mut self) {
        let model = self.model;
        let keys: Vec<FindingKey> = model
            .templates
            .iter()
            .map(|t| key_of(Rule::EosMismatch, t))
            .filter(|k| self.wanted.contains(k))
            .collect();
        if keys.is_empty() {
            return;
        }
        let mut ids = Vec::new();
        let mut unknown = None;
        for t in &model.templates {
            if !keys.contains(&key_of(Rule::EosMismatch, t)) {
                continue;
            }
            let closer = self
                .renders
                .get(&t.name)
                .and_then(|r| assistant_closer(r).map(|c| c.2.to_string()));
            let id = closer.as_deref().and_then(|c| {
                model
                    .tokenizer
                    .added_tokens
                    .iter()
                    .find(|(_, text)| text.as_str() == c)
                    .map(|(id, _)| u64::from(*id))
            });
            match id {
                Some(id) if !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => unknown = closer.or(Some("the end-of-turn token".into())),
            }
        }
        let result = match unknown {
            Some(closer) => Err(format!("the id of `{closer}` is not known")),
            None => eos_change(model, &ids, &mut self.files),
        };
        for key in keys {
            self.done(key, result.clone());
        }
    }

    /// `template-sources-disagree` (unsafe): the used template, as fixed,
    /// written into each ignored source of the same name.
    fn sources(&mut self) {
        let model = self.model;
        for ignored in &model.shadowed {
            let key = key_of(Rule::TemplateSourcesDisagree, ignored);
            if !self.wanted.contains(&key) {
                continue;
            }
            let result = match model.templates.iter().find(|t| t.name == ignored.name) {
                None => Err("no source transformers uses defines this template".to_string()),
                Some(used) => {
                    let text = self.fixed_text.get(&used.name).unwrap_or(&used.text);
                    let text = with_trailing_newline_of(text, &ignored.text);
                    self.files.template(model, ignored, &text)
                }
            };
            self.done(key, result);
        }
    }
}

/// The first proven repair of template `t`: the baseline's template, then
/// the synthesized ones. `Err` says why none is safe.
fn repair_generation_prompt(
    model: &LoadedModel,
    t: &Template,
    header: &str,
    opts: &CheckOptions,
    vars: &serde_json::Map<String, serde_json::Value>,
) -> Result<String, String> {
    if t.origin == Origin::Gguf {
        return Err("a GGUF file's metadata is not edited".into());
    }
    let baseline = opts
        .baseline
        .as_ref()
        .and_then(|b| b.find(model, t))
        .map(|found| found.text)
        .filter(|text| *text != t.text);
    if let Some(text) = baseline {
        if prove_generation_prompt(&t.text, &text, header, vars, opts.now).is_ok() {
            return Ok(text);
        }
    }
    let mut first_failure = None;
    for candidate in candidates(&t.text, header) {
        match prove_generation_prompt(&t.text, &candidate, header, vars, opts.now) {
            Ok(()) => return Ok(candidate),
            Err(why) => {
                first_failure.get_or_insert(why.0);
            }
        }
    }
    Err(format!(
        "the fix was not safe: {}",
        first_failure.unwrap_or_else(|| "no candidate".into())
    ))
}

/// List `ids` as stop ids: edit generation_config.json, or create it from
/// config.json.
fn eos_change(model: &LoadedModel, ids: &[u64], files: &mut Files) -> Result<(), String> {
    if model.loose {
        return Err("a loose file has no folder to hold generation_config.json".into());
    }
    let display = crate::discover::join_rel(&model.rel_dir, "generation_config.json");
    let path = model.dir.join("generation_config.json");
    if let Some(text) = crate::load::read_folder_file(model, "generation_config.json") {
        let edit = edit_generation_config(&text, ids)?;
        if let Some(edit) = edit {
            files.add(display, path, &text, edit);
        }
        return Ok(());
    }
    let config = crate::load::read_folder_file(model, "config.json")
        .ok_or("the folder has no generation_config.json or config.json to add the id to")?;
    let after = new_generation_config(&config, ids)?;
    files.created.push(FileChange {
        path,
        display,
        before: None,
        after,
    });
    Ok(())
}

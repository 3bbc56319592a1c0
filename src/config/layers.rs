//! Flags over the config file: the command line becomes a `Config` of its
//! own (`ConfigArgs::to_config`, typos' `bin/typos-cli/args.rs` shape), laid
//! over the file's; each resolved value knows where it came from, which
//! `--show-settings` prints.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Config;
use crate::cli::ConfigArgs;
use crate::resolve::{FailOn, Settings};
use crate::rule::Rule;

impl ConfigArgs {
    /// The settings the flags set, `None` where a flag is not given. A list
    /// flag (`--select`, `--include`, …) replaces the file's list.
    pub fn to_config(&self) -> Result<Config> {
        let list = |v: &[String]| (!v.is_empty()).then(|| v.to_vec());
        Ok(Config {
            path: PathBuf::new(),
            select: (!self.select.is_empty())
                .then(|| parse_rules(&self.select))
                .transpose()?,
            ignore: (!self.ignore.is_empty())
                .then(|| parse_rules(&self.ignore))
                .transpose()?,
            include: list(&self.include),
            exclude: list(&self.exclude),
            fail_on: self.fail_on,
            respect_gitignore: self.no_ignore.then_some(false),
            ..Config::default()
        })
    }

    /// The config file for a scan of `first` (the first path): `--config
    /// FILE`, none with `--no-config`, else the nearest one upward.
    pub fn file(&self, first: &Path) -> Result<Option<Config>> {
        Ok(if self.no_config {
            None
        } else if let Some(path) = &self.file {
            Some(super::load(path)?)
        } else {
            super::discover(first)?
        })
    }

    /// The file's settings under the flags'.
    pub fn layers(&self, first: &Path) -> Result<Layers> {
        Ok(Layers {
            file: self.file(first)?,
            flags: self.to_config()?,
        })
    }
}

/// Rule ids from the command line (`--select a,b`); an unknown one is an error.
pub fn parse_rules(ids: &[String]) -> Result<Vec<Rule>> {
    ids.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|id| {
            Rule::from_id(id.trim())
                .with_context(|| format!("unknown rule `{id}` (see `chat-template-lint rules`)"))
        })
        .collect()
}

/// Where a resolved value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A command-line flag (named).
    Flag(&'static str),
    /// The config file at this path.
    File(PathBuf),
    /// The environment (`GITHUB_ACTIONS=true` picks the `github` format).
    Env(&'static str),
    Default,
}

/// The config file (if any) and the flags laid over it.
#[derive(Clone, Debug, Default)]
pub struct Layers {
    pub file: Option<Config>,
    pub flags: Config,
}

impl Layers {
    /// Which layer sets a value: the flags, else the file, else the default.
    fn origin<T>(&self, get: fn(&Config) -> Option<&T>, flag: &'static str) -> Origin {
        if get(&self.flags).is_some() {
            Origin::Flag(flag)
        } else if let Some(file) = self.file.as_ref().filter(|f| get(f).is_some()) {
            Origin::File(file.path.clone())
        } else {
            Origin::Default
        }
    }

    fn pick<T: Clone>(&self, get: fn(&Config) -> Option<&T>) -> Option<T> {
        get(&self.flags)
            .or_else(|| self.file.as_ref().and_then(get))
            .cloned()
    }

    /// The config with every flag applied (its `path` is the file's).
    pub fn merged(&self) -> Config {
        let mut cfg = self.file.clone().unwrap_or_default();
        cfg.select = self.pick(|c| c.select.as_ref());
        cfg.ignore = self.pick(|c| c.ignore.as_ref());
        cfg.include = self.pick(|c| c.include.as_ref());
        cfg.exclude = self.pick(|c| c.exclude.as_ref());
        cfg.fail_on = self.pick(|c| c.fail_on.as_ref());
        cfg.respect_gitignore = self.pick(|c| c.respect_gitignore.as_ref());
        cfg.fix = self.pick(|c| c.fix.as_ref());
        cfg.unsafe_fixes = self.pick(|c| c.unsafe_fixes.as_ref());
        cfg.unfixable = self.pick(|c| c.unfixable.as_ref());
        cfg
    }

    /// Reporting policy for findings whose paths are relative to `root`.
    pub fn settings(&self, root: &Path) -> Settings {
        let cfg = self.merged();
        Settings {
            select: cfg.select.clone(),
            ignore: cfg.ignore.clone().unwrap_or_default(),
            severity: cfg.severity.clone(),
            per_path_ignores: cfg.path_ignores(root),
            fail_on: cfg.fail_on.unwrap_or_default(),
        }
    }

    /// Where the value of `key` (as `show` names it) came from.
    pub fn origin_of(&self, key: &str) -> Origin {
        self.show()
            .into_iter()
            .find(|(k, _, _)| k == key)
            .map_or(Origin::Default, |(_, _, o)| o)
    }

    /// `--show-settings`: every key as TOML, with where its value came from.
    pub fn show(&self) -> Vec<(String, String, Origin)> {
        let cfg = self.merged();
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let strings = |v: &[String]| {
            let items: Vec<String> = v.iter().map(|s| quote(s)).collect();
            format!("[{}]", items.join(", "))
        };
        let rules = |v: &[Rule]| {
            let items: Vec<String> = v.iter().map(|r| quote(r.id())).collect();
            format!("[{}]", items.join(", "))
        };
        let file_origin = || {
            self.file
                .as_ref()
                .map_or(Origin::Default, |f| Origin::File(f.path.clone()))
        };
        let mut rows = vec![
            (
                "select".to_string(),
                cfg.select
                    .as_deref()
                    .map_or_else(|| "\"all\"".to_string(), rules),
                self.origin(|c| c.select.as_ref(), "--select"),
            ),
            (
                "ignore".to_string(),
                rules(cfg.ignore.as_deref().unwrap_or_default()),
                self.origin(|c| c.ignore.as_ref(), "--ignore"),
            ),
            (
                "include".to_string(),
                match cfg.include.as_deref() {
                    Some(v) => strings(v),
                    None => strings(&crate::discover::DEFAULT_INCLUDE.map(str::to_string)),
                },
                self.origin(|c| c.include.as_ref(), "--include"),
            ),
            (
                "exclude".to_string(),
                strings(cfg.exclude.as_deref().unwrap_or_default()),
                self.origin(|c| c.exclude.as_ref(), "--exclude"),
            ),
            (
                "respect-gitignore".to_string(),
                cfg.respect_gitignore.unwrap_or(true).to_string(),
                self.origin(|c| c.respect_gitignore.as_ref(), "--no-ignore"),
            ),
            (
                "fail-on".to_string(),
                quote(match cfg.fail_on.unwrap_or_default() {
                    FailOn::Error => "error",
                    FailOn::Warning => "warning",
                    FailOn::Never => "never",
                }),
                self.origin(|c| c.fail_on.as_ref(), "--fail-on"),
            ),
            (
                "require".to_string(),
                strings(
                    &cfg.require
                        .iter()
                        .flatten()
                        .map(|c| c.id().to_string())
                        .collect::<Vec<_>>(),
                ),
                self.origin(|c| c.require.as_ref(), ""),
            ),
        ];
        rows.push((
            "fix".to_string(),
            cfg.fix.unwrap_or(false).to_string(),
            self.origin(|c| c.fix.as_ref(), "--fix"),
        ));
        rows.push((
            "unsafe-fixes".to_string(),
            cfg.unsafe_fixes.unwrap_or(false).to_string(),
            self.origin(|c| c.unsafe_fixes.as_ref(), "--unsafe-fixes"),
        ));
        rows.push((
            "unfixable".to_string(),
            rules(cfg.unfixable.as_deref().unwrap_or_default()),
            self.origin(|c| c.unfixable.as_ref(), "--unfixable"),
        ));
        if let Some(b) = &cfg.baseline {
            rows.push(("baseline".to_string(), quote(b), file_origin()));
        }
        for (rule, sev) in &cfg.severity {
            rows.push((
                format!("severity.{}", rule.id()),
                quote(sev.as_str()),
                file_origin(),
            ));
        }
        for (glob, ids) in &cfg.per_path_ignores {
            rows.push((
                format!("per-path-ignores.{}", quote(glob)),
                rules(ids),
                file_origin(),
            ));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_say_so() {
        let file = Config {
            path: PathBuf::from("x/chat-template-lint.toml"),
            ignore: Some(vec![Rule::DoubleBos]),
            fail_on: Some(FailOn::Warning),
            ..Config::default()
        };
        let args = ConfigArgs {
            fail_on: Some(FailOn::Never),
            no_ignore: true,
            ..ConfigArgs::default()
        };
        let layers = Layers {
            file: Some(file),
            flags: args.to_config().expect("flags"),
        };
        let merged = layers.merged();
        assert_eq!(merged.fail_on, Some(FailOn::Never));
        assert_eq!(merged.ignore, Some(vec![Rule::DoubleBos]));
        assert_eq!(merged.respect_gitignore, Some(false));
        let origin = |key: &str| {
            layers
                .show()
                .into_iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, _, o)| o)
        };
        assert_eq!(origin("fail-on"), Some(Origin::Flag("--fail-on")));
        assert_eq!(
            origin("ignore"),
            Some(Origin::File(PathBuf::from("x/chat-template-lint.toml")))
        );
        assert_eq!(origin("exclude"), Some(Origin::Default));
        assert!(ConfigArgs {
            select: vec!["no-such-rule".into()],
            ..ConfigArgs::default()
        }
        .to_config()
        .is_err());
    }
}

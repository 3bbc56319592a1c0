//! Include/exclude globs compiled once for the walk, each pattern the user
//! wrote flagged when it matches (see the module docs of `discover` for the
//! matching rules).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::{DiscoverOptions, DEFAULT_INCLUDE};

/// Compiled include/exclude globs, with a flag per pattern the user wrote
/// that is set when it matches a file or folder (an unmatched one is said:
/// a misspelt `--exclude` that excludes nothing must not pass silently).
pub(super) struct Globs {
    pub(super) include: GlobSet,
    pub(super) exclude: GlobSet,
    /// The user's `--include` patterns (empty: the defaults, not tracked).
    include_raw: Vec<String>,
    exclude_raw: Vec<String>,
    include_used: Arc<[AtomicBool]>,
    pub(super) exclude_used: Arc<[AtomicBool]>,
    /// The config files the include and exclude lists came from (`None`: flags).
    sources: (Option<String>, Option<String>),
}

impl Globs {
    pub(super) fn new(opts: &DiscoverOptions) -> Result<Globs> {
        let include: Vec<&str> = if opts.include.is_empty() {
            DEFAULT_INCLUDE.to_vec()
        } else {
            opts.include.iter().map(String::as_str).collect()
        };
        let flags =
            |n: usize| -> Arc<[AtomicBool]> { (0..n).map(|_| AtomicBool::new(false)).collect() };
        Ok(Globs {
            include: glob_set(&include, "--include")?,
            exclude: glob_set(
                &opts.exclude.iter().map(String::as_str).collect::<Vec<_>>(),
                "--exclude",
            )?,
            include_raw: opts.include.clone(),
            exclude_raw: opts.exclude.clone(),
            include_used: flags(opts.include.len()),
            exclude_used: flags(opts.exclude.len()),
            sources: (opts.include_source.clone(), opts.exclude_source.clone()),
        })
    }

    /// Whether a file (by its two relative paths) is included; marks the
    /// user's patterns that match it.
    pub(super) fn includes(&self, rel_base: &str, rel_root: &str) -> bool {
        if self.include_raw.is_empty() {
            return self.include.is_match(rel_base) || self.include.is_match(rel_root);
        }
        mark(&self.include, &self.include_used, rel_base, rel_root)
    }

    /// The user's patterns that matched nothing, as warnings.
    pub(super) fn unmatched(&self) -> Vec<String> {
        let list = |raw: &[String], used: &[AtomicBool], flag: &str| {
            raw.iter()
                .zip(used)
                .filter(|(_, u)| !u.load(Ordering::Relaxed))
                .map(|(r, _)| format!("{flag} `{r}` matched nothing"))
                .collect::<Vec<_>>()
        };
        let label = |source: &Option<String>, key: &str| match source {
            Some(file) => format!("{file}: {key}"),
            None => format!("--{key}"),
        };
        let mut out = list(
            &self.include_raw,
            &self.include_used,
            &label(&self.sources.0, "include"),
        );
        out.extend(list(
            &self.exclude_raw,
            &self.exclude_used,
            &label(&self.sources.1, "exclude"),
        ));
        out
    }
}

/// Whether `set` matches either path; marks each pattern that does.
pub(super) fn mark(set: &GlobSet, used: &[AtomicBool], a: &str, b: &str) -> bool {
    let mut any = false;
    for i in set.matches(a).into_iter().chain(set.matches(b)) {
        any = true;
        if let Some(flag) = used.get(i) {
            flag.store(true, Ordering::Relaxed);
        }
    }
    any
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
}

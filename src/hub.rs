//! Hugging Face Hub ids on the command line. `check org/model` where no such
//! path exists, and `org/model` has the shape of a Hub model id, checks the
//! model's snapshot in the local Hugging Face cache; when it is not cached,
//! the error says how to fetch only the small files the checks read.
//!
//! Part of discovery (it only reads folder names and one ref file). Facts
//! from huggingface_hub, cited where used: the cache location
//! (`constants.py`), the folder layout (`file_download.py`, "Manage the
//! cache" guide) and the id shape (`utils/_validators.py`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

/// Where the Hub cache is, from the environment, resolved as huggingface_hub's
/// `constants.py` does: `HF_HUB_CACHE`, else the legacy
/// `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, else
/// `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`; a
/// leading `~` is the home folder (`expanduser`). `var` reads one variable
/// (an empty value counts as set, as `os.getenv` sees it). `None` when no
/// home folder is known either.
pub fn cache_dir(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let home = var("HOME")
        .or_else(|| var("USERPROFILE"))
        .map(PathBuf::from);
    let expand = |v: OsString| -> Option<PathBuf> {
        let s = v.to_string_lossy();
        match s.strip_prefix('~') {
            Some(rest) if rest.is_empty() || rest.starts_with(['/', '\\']) => {
                Some(home.clone()?.join(rest.trim_start_matches(['/', '\\'])))
            }
            _ => Some(PathBuf::from(v)),
        }
    };
    if let Some(v) = var("HF_HUB_CACHE").or_else(|| var("HUGGINGFACE_HUB_CACHE")) {
        return expand(v);
    }
    if let Some(v) = var("HF_HOME") {
        return expand(v).map(|h| h.join("hub"));
    }
    let cache = match var("XDG_CACHE_HOME") {
        Some(v) => expand(v)?,
        None => home.clone()?.join(".cache"),
    };
    Some(cache.join("huggingface").join("hub"))
}

/// Whether `arg` has the shape of a Hub model id `namespace/name`:
/// huggingface_hub's `REPO_ID_REGEX` allows `[\w\-.]` in each part, starting
/// and ending with a word character, at most 96 characters for the name,
/// and `validate_repo_id` rejects `--` and `..`. Only the two-part form is
/// taken (a bare `gpt2` is more likely a folder name).
pub fn looks_like_hub_id(arg: &str) -> bool {
    let Some((org, name)) = arg.split_once('/') else {
        return false;
    };
    let part = |p: &str| {
        let word = |c: char| c.is_alphanumeric() || c == '_';
        !p.is_empty()
            && p.chars().all(|c| word(c) || c == '-' || c == '.')
            && p.starts_with(word)
            && p.ends_with(word)
    };
    part(org)
        && part(name)
        && name.chars().count() <= 96
        && !arg.contains("--")
        && !arg.contains("..")
}

/// The cached snapshot of model `id` under the cache folder `cache`:
/// `models--{org}--{name}/snapshots/{commit}`, where the commit is the one
/// `refs/main` names (the default revision), else the only snapshot there.
/// The error says what was looked for and how to fetch the small files.
pub fn snapshot(id: &str, cache: &Path) -> Result<PathBuf> {
    let repo = cache.join(format!("models--{}", id.replace('/', "--")));
    let snapshots = repo.join("snapshots");
    let main = crate::files::read_capped(&repo.join("refs").join("main"), 1024)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .filter(|c| !c.is_empty() && c.chars().all(|ch| ch.is_ascii_hexdigit()))
        .map(|c| snapshots.join(c))
        .filter(|p| p.is_dir());
    if let Some(dir) = main {
        return Ok(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(&snapshots)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    match found.as_slice() {
        [only] => Ok(only.clone()),
        [] => bail!("{}", not_cached(id, &repo)),
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect();
            bail!(
                "`{id}` has {} snapshots in the Hugging Face cache and no `refs/main` to choose one: check one of them by its path ({})",
                several.len(),
                names.join(", ")
            )
        }
    }
}

/// The error for a Hub id that is neither a path nor cached.
fn not_cached(id: &str, repo: &Path) -> String {
    format!(
        "`{id}` is not a file or folder, and the Hugging Face cache has no snapshot of it (looked in `{}`). Fetch only the small files the checks read, then run the check again:\n  hf download {id} --include '*.json' '*.jinja'",
        repo.display()
    )
}

/// A path from the command line as the checks should open it: itself when
/// it exists or does not look like a Hub id, else the cached snapshot of
/// that id (`Some(snapshot)`), else an error saying how to fetch it. With no
/// known cache folder, the error names the environment variables instead.
pub fn resolve_arg(path: &Path, cache: Option<&Path>) -> Result<Option<PathBuf>> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Ok(None);
    }
    let Some(id) = path.to_str().filter(|s| looks_like_hub_id(s)) else {
        return Ok(None);
    };
    match cache {
        Some(cache) => snapshot(id, cache).map(Some),
        None => bail!(
            "`{id}` is not a file or folder, and no Hugging Face cache folder is known (set HF_HOME or HF_HUB_CACHE). Fetch only the small files the checks read:\n  hf download {id} --include '*.json' '*.jinja'"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_cache_folder_follows_huggingface_hub() {
        let at = |vars: &[(&str, &str)]| cache_dir(env(vars));
        assert_eq!(
            at(&[("HOME", "/h")]),
            Some("/h/.cache/huggingface/hub".into())
        );
        assert_eq!(
            at(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")]),
            Some("/x/huggingface/hub".into())
        );
        assert_eq!(
            at(&[
                ("HOME", "/h"),
                ("XDG_CACHE_HOME", "/x"),
                ("HF_HOME", "~/hf")
            ]),
            Some("/h/hf/hub".into())
        );
        assert_eq!(
            at(&[("HF_HOME", "/hf"), ("HUGGINGFACE_HUB_CACHE", "/legacy")]),
            Some("/legacy".into())
        );
        assert_eq!(
            at(&[("HF_HUB_CACHE", "/c"), ("HUGGINGFACE_HUB_CACHE", "/legacy")]),
            Some("/c".into())
        );
        assert_eq!(at(&[]), None);
    }

    #[test]
    fn hub_ids_have_two_parts_of_word_characters() {
        for id in [
            "Qwen/Qwen2.5-7B-Instruct",
            "meta-llama/Llama-3.1-8B",
            "a/b",
            "org_1/m.v2",
        ] {
            assert!(looks_like_hub_id(id), "{id}");
        }
        for not in [
            "models",
            "./a/b",
            "a/b/c",
            "/a",
            "a/",
            "org/-m",
            "org/m.",
            "a--b/c",
            "a/b..c",
            "a b/c",
            "a/.hidden",
        ] {
            assert!(!looks_like_hub_id(not), "{not}");
        }
    }
}

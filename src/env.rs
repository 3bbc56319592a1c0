//! The process environment, read once: `main` builds one `Env` and passes it
//! down, so nothing below the command layer reads environment variables or
//! asks whether stdout is a terminal (tests build an `Env` by hand).

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// What the run learns from its environment.
#[derive(Clone, Debug, Default)]
pub struct Env {
    /// The working folder.
    pub cwd: PathBuf,
    /// `GITHUB_ACTIONS=true`: the runner reads our output for workflow commands.
    pub actions: bool,
    /// `GITHUB_WORKSPACE` (under Actions): what reported paths are relative to.
    pub workspace: Option<PathBuf>,
    /// `GITHUB_STEP_SUMMARY`, when set and not empty.
    pub step_summary: Option<PathBuf>,
    /// `GITHUB_OUTPUT`, when set and not empty (used only under Actions).
    pub github_output: Option<PathBuf>,
    /// `GITHUB_BASE_REF`: the base branch of a pull request.
    pub base_ref: Option<String>,
    /// The colour variables and whether stdout is a terminal.
    pub color: ColorEnv,
    /// stdout is a regular file (`render … > prompt.txt`).
    pub stdout_is_file: bool,
    /// The variables that locate the Hugging Face cache (see `hub::cache_dir`).
    pub hf: Vec<(&'static str, OsString)>,
}

/// The inputs of the colour decision (`ColorEnv::enabled`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColorEnv {
    pub no_color: Option<OsString>,
    pub force_color: Option<OsString>,
    pub clicolor: Option<OsString>,
    pub clicolor_force: Option<OsString>,
    pub stdout_tty: bool,
}

impl ColorEnv {
    /// Whether text output is coloured, by the usual conventions, strongest
    /// first: `--no-color`; `NO_COLOR` set and not empty disables colour
    /// (no-color.org); `FORCE_COLOR` set and not empty forces it
    /// (force-color.org); `CLICOLOR_FORCE` other than `0` forces it and
    /// `CLICOLOR=0` disables it (bixense.com/clicolors, where NO_COLOR wins
    /// over CLICOLOR_FORCE); otherwise colour only on a terminal.
    pub fn enabled(&self, no_color_flag: bool) -> bool {
        let set = |v: &Option<OsString>| v.as_ref().is_some_and(|v| !v.is_empty());
        let not_zero = |v: &Option<OsString>| set(v) && v.as_deref() != Some("0".as_ref());
        if no_color_flag || set(&self.no_color) {
            return false;
        }
        if set(&self.force_color) || not_zero(&self.clicolor_force) {
            return true;
        }
        if self.clicolor.as_deref() == Some("0".as_ref()) {
            return false;
        }
        self.stdout_tty
    }
}

/// The variables `hub::cache_dir` reads (a test keeps the two in step).
const HF_VARS: [&str; 6] = [
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "HF_HOME",
    "XDG_CACHE_HOME",
    "HOME",
    "USERPROFILE",
];

impl Env {
    /// Read the process environment.
    pub fn read() -> Env {
        let var = |name: &str| std::env::var_os(name);
        let path = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let actions = std::env::var("GITHUB_ACTIONS").as_deref() == Ok("true");
        Env {
            cwd: std::env::current_dir().unwrap_or_default(),
            actions,
            workspace: path("GITHUB_WORKSPACE"),
            step_summary: path("GITHUB_STEP_SUMMARY"),
            github_output: path("GITHUB_OUTPUT"),
            base_ref: std::env::var("GITHUB_BASE_REF")
                .ok()
                .filter(|v| !v.is_empty()),
            color: ColorEnv {
                no_color: var("NO_COLOR"),
                force_color: var("FORCE_COLOR"),
                clicolor: var("CLICOLOR"),
                clicolor_force: var("CLICOLOR_FORCE"),
                stdout_tty: std::io::stdout().is_terminal(),
            },
            stdout_is_file: stdout_is_file(),
            hf: HF_VARS
                .iter()
                .filter_map(|&name| var(name).map(|v| (name, v)))
                .collect(),
        }
    }

    /// A variable `hub::cache_dir` asks for.
    pub fn hf_var(&self, name: &str) -> Option<OsString> {
        self.hf
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }

    /// What reported paths are relative to: under Actions the workspace
    /// (annotations need that) when the working folder is inside it, else the
    /// working folder.
    pub fn report_root(&self) -> PathBuf {
        let cwd = &self.cwd;
        let Some(ws) = self.workspace.as_ref().filter(|_| self.actions) else {
            return cwd.clone();
        };
        // Compare resolved paths (macOS /var → /private/var), but return the
        // workspace as an ancestor of `cwd`, in the form `cwd` has.
        let resolve = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        match resolve(cwd).strip_prefix(resolve(ws)) {
            Ok(below) => cwd
                .ancestors()
                .nth(below.components().count())
                .map_or_else(|| cwd.clone(), Path::to_path_buf),
            Err(_) => cwd.clone(),
        }
    }
}

/// Whether stdout is a regular file, not the runner's log or a terminal.
fn stdout_is_file() -> bool {
    #[cfg(unix)]
    let handle = {
        use std::os::fd::AsFd;
        std::io::stdout().as_fd().try_clone_to_owned()
    };
    #[cfg(windows)]
    let handle = {
        use std::os::windows::io::AsHandle;
        std::io::stdout().as_handle().try_clone_to_owned()
    };
    #[cfg(any(unix, windows))]
    return handle
        .map(std::fs::File::from)
        .and_then(|f| f.metadata())
        .is_ok_and(|m| m.is_file());
    #[cfg(not(any(unix, windows)))]
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)], tty: bool) -> ColorEnv {
        let get = |n: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| OsString::from(v))
        };
        ColorEnv {
            no_color: get("NO_COLOR"),
            force_color: get("FORCE_COLOR"),
            clicolor: get("CLICOLOR"),
            clicolor_force: get("CLICOLOR_FORCE"),
            stdout_tty: tty,
        }
    }

    #[test]
    fn every_variable_the_hub_cache_lookup_reads_is_kept() {
        let asked = std::cell::RefCell::new(Vec::new());
        let _ = crate::hub::cache_dir(|name| {
            asked.borrow_mut().push(name.to_string());
            None
        });
        let asked = asked.into_inner();
        assert!(!asked.is_empty());
        for name in asked {
            assert!(
                HF_VARS.contains(&name.as_str()),
                "{name} is not read by Env"
            );
        }
    }

    #[test]
    fn colour_conventions() {
        assert!(env(&[], true).enabled(false));
        assert!(!env(&[], false).enabled(false));
        assert!(!env(&[], true).enabled(true));
        assert!(!env(&[("NO_COLOR", "1")], true).enabled(false));
        // An empty NO_COLOR / FORCE_COLOR is unset.
        assert!(env(&[("NO_COLOR", "")], true).enabled(false));
        assert!(!env(&[("FORCE_COLOR", "")], false).enabled(false));
        assert!(env(&[("FORCE_COLOR", "1")], false).enabled(false));
        assert!(env(&[("CLICOLOR_FORCE", "1")], false).enabled(false));
        assert!(!env(&[("CLICOLOR_FORCE", "0")], false).enabled(false));
        assert!(!env(&[("CLICOLOR", "0")], true).enabled(false));
        assert!(env(&[("CLICOLOR", "1")], true).enabled(false));
        // NO_COLOR wins over the forcing variables; the flag over everything.
        assert!(!env(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")], true).enabled(false));
        assert!(!env(&[("CLICOLOR_FORCE", "1")], true).enabled(true));
    }
}

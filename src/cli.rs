//! Command-line definitions (clap derive). Parsing only; `commands` acts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::report::Format;
use crate::resolve::FailOn;

/// Guard the chat templates of language models in CI.
#[derive(Debug, Parser)]
#[command(name = "chat-template-lint", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find every chat template under PATHS, render it like transformers, and report problems.
    Check(CheckArgs),
    /// Render one template exactly as transformers would and print the prompt.
    ///
    /// The prompt is printed as it is, with no added newline. Under GitHub
    /// Actions (`GITHUB_ACTIONS=true`) a prompt printed to the log is wrapped in
    /// `::stop-commands::TOKEN` … `::TOKEN::` so template text cannot run
    /// workflow commands; redirect stdout to a file for the exact bytes there.
    Render(RenderArgs),
    /// List the rules.
    Rules,
    /// Print the documentation of one rule.
    Explain {
        /// A rule id, e.g. `generation-prompt-missing`.
        rule: String,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Folders or files to check (default: the current folder).
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a SARIF 2.1.0 log to FILE (for GitHub code scanning).
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Compare every template with the one in DIR (a model folder, or a tree matched by relative path).
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
    /// Compare every template with its own file at git REF (e.g. `origin/main`).
    #[arg(long, value_name = "REF", conflicts_with = "baseline")]
    pub baseline_ref: Option<String>,
    #[command(flatten)]
    pub env: EnvArgs,
    /// Print the resolved settings and where each value came from (a flag,
    /// the config file, the default), and exit without checking.
    #[arg(long, conflicts_with = "show_files")]
    pub show_settings: bool,
    /// List the model folders and template files that would be checked, and
    /// exit 0 without checking.
    #[arg(long)]
    pub show_files: bool,
    /// Work out each template in each folder afresh instead of once per
    /// distinct content (for testing that the cache changes nothing).
    #[arg(long, hide = true)]
    pub no_cache: bool,
    #[command(flatten)]
    pub fix: FixArgs,
}

/// The flags that a config file can also set; `config::ConfigArgs::to_config`
/// turns them into a config layered over the file's (typos' shape).
#[derive(Debug, Args, Default)]
pub struct ConfigArgs {
    /// Read settings from FILE (a chat-template-lint.toml, or a pyproject.toml
    /// with [tool.chat-template-lint]) instead of searching upward from the first path.
    #[arg(long = "config", value_name = "FILE", conflicts_with = "no_config")]
    pub file: Option<PathBuf>,
    /// Ignore config files.
    #[arg(long)]
    pub no_config: bool,
    /// Look at files matching GLOB instead of the default template/config names (repeatable; see README).
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files and folders matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Check folders that .gitignore / .ignore files exclude too (config: `respect-gitignore = false`).
    #[arg(long)]
    pub no_ignore: bool,
    /// When to exit 1.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Only run these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,
    /// Skip these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
}

/// How the report is printed on stdout.
#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// Output format (default: `github` when GITHUB_ACTIONS=true, else `text`;
    /// `full` is `text`, `concise` one line per finding).
    #[arg(long = "output-format", visible_alias = "format", value_enum)]
    pub format: Option<Format>,
    /// Print the number of findings per rule instead of the findings.
    #[arg(long)]
    pub statistics: bool,
    /// Print the findings and nothing else (no summary line, no warnings on
    /// stderr); `-qq` prints nothing, only the exit code tells (ruff's
    /// `--quiet` and `--silent`).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Print nothing, as `-qq` (ruff's `--silent`).
    #[arg(short, long, conflicts_with = "quiet")]
    pub silent: bool,
    /// Never colour the output (also: NO_COLOR; FORCE_COLOR, CLICOLOR_FORCE force it).
    #[arg(long)]
    pub no_color: bool,
    /// Also list what each template supports (system, tools, reasoning, …):
    /// a line per template in text, a `capabilities` entry per template in JSON.
    #[arg(long)]
    pub capabilities: bool,
}

/// `--fix` and friends (see `fix`).
#[derive(Debug, Args, Default)]
pub struct FixArgs {
    /// Repair what the fixable rules found, in place (each template change proven by
    /// rendering first), then check again and report what remains.
    #[arg(long, overrides_with = "no_fix")]
    pub fix: bool,
    /// Do not fix (overrides `fix = true` in the config file).
    #[arg(long, overrides_with = "fix")]
    pub no_fix: bool,
    /// Write nothing: print a unified diff of the files as `--fix` would change them;
    /// exit 1 when a fix is pending, 0 when nothing would change.
    #[arg(long)]
    pub diff: bool,
    /// Also apply fixes that need a human decision (template-sources-disagree).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Never fix these rules (comma-separated ids).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub unfixable: Vec<String>,
}

/// Options that shape the render environment (shared by `check` and `render`).
#[derive(Debug, Args, Default)]
pub struct EnvArgs {
    /// Set a template variable; VALUE is parsed as JSON, else taken as a string (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// The time `strftime_now` sees (RFC 3339 or `YYYY-MM-DDTHH:MM:SS`; default 2024-07-26T00:00:00).
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A model folder, a tokenizer_config.json, a chat_template.json or a .jinja file.
    pub path: PathBuf,
    /// A JSON file (`-` for stdin): a list of messages, or an object like an OpenAI request body.
    #[arg(long, value_name = "FILE")]
    pub messages: Option<PathBuf>,
    /// A JSON file with a list of tool schemas.
    #[arg(long, value_name = "FILE")]
    pub tools: Option<PathBuf>,
    /// Render with add_generation_prompt=True.
    #[arg(long)]
    pub add_generation_prompt: bool,
    /// Which named template to render (default: `default`).
    #[arg(long, value_name = "NAME")]
    pub template_name: Option<String>,
    #[command(flatten)]
    pub env: EnvArgs,
}

//! The rules: a closed set of checks, each in its own file with its docs,
//! listed once in `registry::TABLE`.
//!
//! A rule is a small, stateless function over a loaded model folder and the
//! renders of its templates. Rules never read files and never print; the one
//! render a rule makes is of a variant of its template, through the pure
//! `Renders::render_variant`, to find which span wrote a piece of a render
//! (`closer_source`); they return findings with the rule's default severity, which
//! `resolve` may change by policy. Rule ids are a public contract (`crate::rule`):
//! never rename one.
//!
//! Adding a rule: a line in `crate::rule`'s list, a `mod` line here, a row in
//! `registry::TABLE` (its docs, needs and check function), and its file.

use crate::capabilities::Capability;
use crate::finding::{Finding, Span};
use crate::load::{LoadedModel, Runtime, Template};
use crate::probes::Renders;
use crate::render::{CompileError, Compiled};

pub mod anatomy;
mod capability_missing;
mod closer_source;
mod config_invalid;
mod double_bos;
mod eos_mismatch;
mod generation_mask;
mod generation_prompt_missing;
mod generation_prompt_unconditional;
mod gguf_template_drift;
mod prefix_mismatch;
pub mod registry;
mod render_diff;
mod stop_runtimes;
mod template_drift;
mod template_ignores_messages;
mod template_missing;
mod template_render;
mod template_sources_disagree;
mod template_syntax;
mod tokens;
mod unknown_special_token;

pub use eos_mismatch::assistant_closer;
pub use generation_prompt_missing::{missing_header, missing_header_in};
pub use generation_prompt_unconditional::dangling_header;
pub use template_sources_disagree::normalize as normalize_template;
pub use tokens::{blank_comments, generation_tag};

pub use crate::rule::Rule;
pub use registry::{entry, Check, Fixability, Needs, RuleDocs, RuleEntry, TABLE};

/// What the template-level rules see.
pub struct TemplateContext<'a> {
    pub model: &'a LoadedModel,
    pub template: &'a Template,
    /// The compiled template, or why it did not compile.
    pub compiled: Result<&'a Compiled, &'a CompileError>,
    /// Renders of the probe conversations (empty when it did not compile).
    pub renders: &'a Renders,
    /// The baseline's version of this template, when `--baseline` matched one.
    pub baseline: Option<&'a BaselineTemplate>,
    pub options: &'a RuleOptions,
}

/// What the folder-level rules see.
pub struct ModelContext<'a> {
    pub model: &'a LoadedModel,
    /// The baseline's templates for this folder as `(name, origin)`, when a
    /// baseline is given.
    pub baseline: Option<&'a [(String, String)]>,
    pub options: &'a RuleOptions,
    /// The pipeline's work on each of `model.templates`, in order (empty
    /// when no running rule looks at templates).
    pub templates: &'a [TemplateWork<'a>],
    /// The same for each of `model.shadowed` (the sources transformers
    /// ignores), rendered with the same variables and clock.
    pub shadowed: &'a [TemplateWork<'a>],
}

/// One template compiled and rendered on the probes by the pipeline.
#[derive(Clone, Copy)]
pub struct TemplateWork<'a> {
    /// The compiled template, or why it did not compile.
    pub compiled: Result<&'a Compiled, &'a CompileError>,
    /// Renders of the probe conversations (empty when it did not compile).
    pub renders: &'a Renders,
}

/// A template from a baseline (a base model folder, or a git ref), with its renders.
pub struct BaselineTemplate {
    /// Where it came from, for messages: `base/tokenizer_config.json`, `origin/main:chat_template.jinja`.
    pub origin: String,
    pub text: String,
    /// Its renders, with the variables of the template it is compared with
    /// (empty when the two texts are the same).
    pub rendered: std::sync::Arc<crate::cache::Rendered>,
}

impl BaselineTemplate {
    pub fn renders(&self) -> &Renders {
        &self.rendered.renders
    }
}

/// Settings that change what rules check (not how findings are reported).
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    /// Capabilities every template must have (`require = [...]` in the config).
    pub require: Vec<Capability>,
}

/// The file span of byte range `range` of a template's text (templates in
/// JSON strings are mapped back through their offset map).
pub(crate) fn template_span(template: &Template, range: std::ops::Range<usize>) -> Span {
    let start = range.start.min(template.text.len());
    let end = range.end.clamp(start, template.text.len());
    Span::new(
        template.offsets.to_file(start),
        template.offsets.to_file(end),
    )
}

/// Whether `rule` runs on templates read by `runtime`: each drift rule
/// belongs to one (a GGUF's copy is compared by `gguf-template-drift`, a
/// folder's template against a baseline by `template-drift`).
pub fn runs_on(rule: Rule, runtime: Runtime) -> bool {
    match runtime {
        Runtime::Transformers => rule != Rule::GgufTemplateDrift,
        Runtime::LlamaCpp => rule != Rule::TemplateDrift,
    }
}

/// Findings about a folder as a whole (its files, not one template), from
/// the rules `run` accepts.
pub fn check_model_rules(ctx: &ModelContext<'_>, run: impl Fn(Rule) -> bool) -> Vec<Finding> {
    TABLE
        .iter()
        .filter(|row| run(row.rule))
        .filter_map(|row| row.check.model())
        .flat_map(|check| check(ctx))
        .collect()
}

/// Findings about one template and its renders, from the rules `run` accepts.
pub fn check_template_rules(ctx: &TemplateContext<'_>, run: impl Fn(Rule) -> bool) -> Vec<Finding> {
    TABLE
        .iter()
        .filter(|row| run(row.rule))
        .filter_map(|row| row.check.template())
        .flat_map(|check| check(ctx))
        .collect()
}

/// Findings about one template and its renders, from every template rule.
pub fn check_template(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    check_template_rules(ctx, |_| true)
}

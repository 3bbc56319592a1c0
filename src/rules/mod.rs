//! The rules: a closed set of checks, each in its own file with its docs.
//!
//! A rule is a small, stateless function over a loaded model folder and the
//! renders of its templates. Rules never read files and never print; they
//! return findings with the rule's default severity, which `resolve` may
//! change by policy. Rule ids are a public contract: never rename one.

use crate::finding::{Finding, Severity, Span};
use crate::load::{LoadedModel, Template};
use crate::probes::Renders;
use crate::render::{CompileError, Compiled};

pub mod anatomy;
mod capability_missing;
mod config_invalid;
mod double_bos;
mod eos_mismatch;
mod generation_mask;
mod generation_prompt_missing;
mod generation_prompt_unconditional;
mod prefix_mismatch;
mod template_drift;
mod template_missing;
mod template_render;
mod template_sources_disagree;
mod template_syntax;
mod tokens;
mod unknown_special_token;

pub use generation_prompt_missing::missing_header;
pub use generation_prompt_unconditional::dangling_header;
pub use template_drift::check_lost as check_lost_templates;
pub use tokens::{blank_comments, generation_tag};

/// Every rule the tool has. Adding one means adding a variant here, a file
/// beside this one, and a row in `Rule::ALL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    ConfigInvalid,
    TemplateSyntax,
    TemplateRender,
    GenerationPromptMissing,
    GenerationPromptUnconditional,
    TemplateSourcesDisagree,
    TemplateMissing,
    TemplateDrift,
    PrefixMismatch,
    EosMismatch,
    DoubleBos,
    UnknownSpecialToken,
    CapabilityMissing,
    GenerationMask,
}

/// The documentation of a rule, in fixed sections (shared by `rules`,
/// `explain`, the README table and SARIF help).
#[derive(Debug, Clone, Copy)]
pub struct RuleDocs {
    /// One line: what the rule checks.
    pub summary: &'static str,
    pub what_it_does: &'static str,
    pub why_bad: &'static str,
    pub example: &'static str,
    pub how_to_fix: &'static str,
}

impl Rule {
    pub const ALL: [Rule; 14] = [
        Rule::ConfigInvalid,
        Rule::TemplateSyntax,
        Rule::TemplateRender,
        Rule::GenerationPromptMissing,
        Rule::GenerationPromptUnconditional,
        Rule::TemplateSourcesDisagree,
        Rule::TemplateMissing,
        Rule::TemplateDrift,
        Rule::PrefixMismatch,
        Rule::EosMismatch,
        Rule::DoubleBos,
        Rule::UnknownSpecialToken,
        Rule::CapabilityMissing,
        Rule::GenerationMask,
    ];

    /// The permanent kebab-case id.
    pub fn id(self) -> &'static str {
        match self {
            Rule::ConfigInvalid => "config-invalid",
            Rule::TemplateSyntax => "template-syntax",
            Rule::TemplateRender => "template-render",
            Rule::GenerationPromptMissing => "generation-prompt-missing",
            Rule::GenerationPromptUnconditional => "generation-prompt-unconditional",
            Rule::TemplateSourcesDisagree => "template-sources-disagree",
            Rule::TemplateMissing => "template-missing",
            Rule::TemplateDrift => "template-drift",
            Rule::PrefixMismatch => "prefix-mismatch",
            Rule::EosMismatch => "eos-mismatch",
            Rule::DoubleBos => "double-bos",
            Rule::UnknownSpecialToken => "unknown-special-token",
            Rule::CapabilityMissing => "capability-missing",
            Rule::GenerationMask => "generation-mask",
        }
    }

    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }

    pub fn default_severity(self) -> Severity {
        match self {
            Rule::ConfigInvalid
            | Rule::TemplateSyntax
            | Rule::TemplateRender
            | Rule::GenerationPromptMissing
            | Rule::TemplateSourcesDisagree
            | Rule::TemplateDrift
            | Rule::EosMismatch
            | Rule::UnknownSpecialToken
            | Rule::CapabilityMissing => Severity::Error,
            Rule::GenerationPromptUnconditional
            | Rule::TemplateMissing
            | Rule::PrefixMismatch
            | Rule::DoubleBos
            | Rule::GenerationMask => Severity::Warning,
        }
    }

    pub fn docs(self) -> &'static RuleDocs {
        match self {
            Rule::ConfigInvalid => &config_invalid::DOCS,
            Rule::TemplateSyntax => &template_syntax::DOCS,
            Rule::TemplateRender => &template_render::DOCS,
            Rule::GenerationPromptMissing => &generation_prompt_missing::DOCS,
            Rule::GenerationPromptUnconditional => &generation_prompt_unconditional::DOCS,
            Rule::TemplateSourcesDisagree => &template_sources_disagree::DOCS,
            Rule::TemplateMissing => &template_missing::DOCS,
            Rule::TemplateDrift => &template_drift::DOCS,
            Rule::PrefixMismatch => &prefix_mismatch::DOCS,
            Rule::EosMismatch => &eos_mismatch::DOCS,
            Rule::DoubleBos => &double_bos::DOCS,
            Rule::UnknownSpecialToken => &unknown_special_token::DOCS,
            Rule::CapabilityMissing => &capability_missing::DOCS,
            Rule::GenerationMask => &generation_mask::DOCS,
        }
    }

    /// The full docs as Markdown-ish text, for `explain`.
    pub fn explain(self) -> String {
        let d = self.docs();
        format!(
            "# {} ({})\n\n{}\n\n## What it does\n{}\n\n## Why is this bad?\n{}\n\n## Example\n{}\n\n## How to fix\n{}\n",
            self.id(),
            self.default_severity().as_str(),
            d.summary,
            d.what_it_does.trim(),
            d.why_bad.trim(),
            d.example.trim(),
            d.how_to_fix.trim()
        )
    }
}

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

/// A template from a baseline (a base model folder, or a git ref), with its renders.
pub struct BaselineTemplate {
    /// Where it came from, for messages: `base/tokenizer_config.json`, `origin/main:chat_template.jinja`.
    pub origin: String,
    pub text: String,
    pub renders: Renders,
}

/// Settings that change what rules check (not how findings are reported).
#[derive(Debug, Clone, Default)]
pub struct RuleOptions {
    /// Capabilities every template must have (`require = [...]` in the config).
    pub require: Vec<String>,
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

/// Findings about a folder as a whole (its files, not one template).
pub fn check_model(model: &LoadedModel) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(template_missing::check(model));
    out.extend(template_sources_disagree::check(model));
    out
}

/// Findings about one template and its renders.
pub fn check_template(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    out.extend(template_syntax::check(ctx));
    out.extend(template_render::check(ctx));
    out.extend(generation_prompt_missing::check(ctx));
    out.extend(generation_prompt_unconditional::check(ctx));
    out.extend(template_drift::check(ctx));
    out.extend(prefix_mismatch::check(ctx));
    out.extend(eos_mismatch::check(ctx));
    out.extend(double_bos::check(ctx));
    out.extend(unknown_special_token::check(ctx));
    out.extend(capability_missing::check(ctx));
    out.extend(generation_mask::check(ctx));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_kebab_case() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_id(rule.id()), Some(rule));
            assert!(rule
                .id()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(!rule.docs().summary.is_empty(), "{} has no docs", rule.id());
        }
    }
}

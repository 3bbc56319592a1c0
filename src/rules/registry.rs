//! The one table of rules: for each `Rule`, its docs, what it needs from the
//! pipeline, whether it can fix what it finds, and its check function.
//!
//! Everything that lists rules reads this table: the pipeline (which rules
//! run, and what work they need: `--select config-invalid` renders nothing),
//! `rules`, `explain`, the README test, JUnit and SARIF. A rule left out of
//! the table does not compile (`TABLE` is checked against `Rule::ALL` at
//! compile time), so a rule cannot be listed and documented yet never run.
//!
//! The shape follows ruff's registry (`crates/ruff_linter/src/registry.rs`):
//! the rule code is a closed enum, and one table maps it to what implements it.

use super::{
    capability_missing, config_invalid, double_bos, eos_mismatch, generation_mask,
    generation_prompt_missing, generation_prompt_unconditional, gguf_template_drift,
    prefix_mismatch, template_drift, template_ignores_messages, template_missing, template_render,
    template_sources_disagree, template_syntax, unknown_special_token, ModelContext,
    TemplateContext,
};
use crate::finding::Finding;
use crate::rule::Rule;

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

/// What a rule needs from the pipeline. The pipeline skips work no running
/// rule needs, and a rule whose input is absent (no baseline, no `require`)
/// does not run at all (so JUnit lists no check that was never made).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Needs {
    /// Runs only with a baseline (`--baseline`, `--baseline-ref`, `baseline =`).
    pub baseline: bool,
    /// Runs only when the config sets `require = [...]`.
    pub require: bool,
    /// Reads the tokenizer facts (`LoadedModel::tokenizer`: tokenizer.json,
    /// generation_config.json, config.json).
    pub tokenizer: bool,
    /// Reads the probe renders of the templates.
    pub renders: bool,
}

impl Needs {
    /// Nothing beyond the loaded folder (and the compiled template).
    pub const NOTHING: Needs = Needs {
        baseline: false,
        require: false,
        tokenizer: false,
        renders: false,
    };
    /// The probe renders.
    pub const RENDERS: Needs = Needs {
        renders: true,
        ..Needs::NOTHING
    };
    /// The probe renders and the tokenizer facts.
    pub const RENDERS_TOKENIZER: Needs = Needs {
        renders: true,
        tokenizer: true,
        ..Needs::NOTHING
    };
}

/// A check over one template and its renders.
pub type TemplateCheck = fn(&TemplateContext<'_>) -> Vec<Finding>;
/// A check over a folder as a whole.
pub type ModelCheck = fn(&ModelContext<'_>) -> Vec<Finding>;

/// How a rule produces its findings.
#[derive(Clone, Copy)]
pub enum Check {
    /// Made while loading (only `load` reads files): no function runs here.
    Load,
    /// Once per template.
    Template(TemplateCheck),
    /// Once per folder.
    Model(ModelCheck),
    /// Once per template and once per folder (e.g. a changed template, and
    /// a template the folder lost).
    TemplateAndModel(TemplateCheck, ModelCheck),
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Check::Load => "Load",
            Check::Template(_) => "Template",
            Check::Model(_) => "Model",
            Check::TemplateAndModel(..) => "TemplateAndModel",
        })
    }
}

impl Check {
    /// The per-template function, if any.
    pub fn template(self) -> Option<TemplateCheck> {
        match self {
            Check::Template(t) | Check::TemplateAndModel(t, _) => Some(t),
            Check::Load | Check::Model(_) => None,
        }
    }

    /// The per-folder function, if any.
    pub fn model(self) -> Option<ModelCheck> {
        match self {
            Check::Model(m) | Check::TemplateAndModel(_, m) => Some(m),
            Check::Load | Check::Template(_) => None,
        }
    }
}

/// Whether `--fix` repairs what a rule finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixability {
    /// Never: the right change needs judgement.
    Never,
    /// Applied by `--fix` (each change is proven before it is written).
    Safe,
    /// Applied only with `--unsafe-fixes`: a human should choose.
    Unsafe,
}

impl Fixability {
    /// The `rules` listing's word for it.
    pub fn label(self) -> &'static str {
        match self {
            Fixability::Never => "",
            Fixability::Safe => "fix",
            Fixability::Unsafe => "unsafe-fix",
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct RuleEntry {
    pub rule: Rule,
    pub docs: &'static RuleDocs,
    pub needs: Needs,
    /// Whether `--fix` can repair what the rule finds (never unless a row says so).
    pub fixable: Fixability,
    /// What `--fix` does for this rule, or why it does nothing (`explain`).
    pub fix_docs: &'static str,
    pub check: Check,
}

impl RuleEntry {
    /// A row that needs nothing and fixes nothing; the builders below add to it.
    pub const fn new(rule: Rule, docs: &'static RuleDocs, check: Check) -> Self {
        RuleEntry {
            rule,
            docs,
            needs: Needs::NOTHING,
            fixable: Fixability::Never,
            fix_docs: "",
            check,
        }
    }

    pub const fn needs(mut self, needs: Needs) -> Self {
        self.needs = needs;
        self
    }

    /// `--fix` repairs this rule's findings, as `docs` says.
    pub const fn fixable(mut self, docs: &'static str) -> Self {
        self.fixable = Fixability::Safe;
        self.fix_docs = docs;
        self
    }

    /// `--fix --unsafe-fixes` repairs this rule's findings, as `docs` says.
    pub const fn unsafe_fixable(mut self, docs: &'static str) -> Self {
        self.fixable = Fixability::Unsafe;
        self.fix_docs = docs;
        self
    }

    /// Not fixed automatically, for the reason `docs` gives.
    pub const fn not_fixable(mut self, docs: &'static str) -> Self {
        self.fix_docs = docs;
        self
    }
}

use Check::{Load, Model, Template, TemplateAndModel};

/// Every rule, in `Rule::ALL` order.
pub static TABLE: [RuleEntry; Rule::ALL.len()] = ROWS;

const ROWS: [RuleEntry; Rule::ALL.len()] = [
    // The companion files (tokenizer.json, generation_config.json,
    // config.json) are read with the tokenizer facts: their breakage is
    // this rule's to say.
    RuleEntry::new(Rule::ConfigInvalid, &config_invalid::DOCS, Load).needs(Needs {
        tokenizer: true,
        ..Needs::NOTHING
    }),
    RuleEntry::new(
        Rule::TemplateSyntax,
        &template_syntax::DOCS,
        Template(template_syntax::check),
    ),
    RuleEntry::new(
        Rule::TemplateRender,
        &template_render::DOCS,
        Template(template_render::check),
    )
    .needs(Needs::RENDERS),
    RuleEntry::new(
        Rule::GenerationPromptMissing,
        &generation_prompt_missing::DOCS,
        Template(generation_prompt_missing::check),
    )
    .needs(Needs::RENDERS)
    .fixable(generation_prompt_missing::FIX),
    RuleEntry::new(
        Rule::GenerationPromptUnconditional,
        &generation_prompt_unconditional::DOCS,
        Template(generation_prompt_unconditional::check),
    )
    .needs(Needs::RENDERS),
    RuleEntry::new(
        Rule::TemplateSourcesDisagree,
        &template_sources_disagree::DOCS,
        Model(template_sources_disagree::check),
    )
    .unsafe_fixable(template_sources_disagree::FIX)
    .needs(Needs::RENDERS),
    RuleEntry::new(
        Rule::TemplateMissing,
        &template_missing::DOCS,
        Model(template_missing::check),
    ),
    RuleEntry::new(
        Rule::TemplateDrift,
        &template_drift::DOCS,
        TemplateAndModel(template_drift::check, template_drift::check_lost),
    )
    .needs(Needs {
        baseline: true,
        ..Needs::RENDERS
    }),
    RuleEntry::new(
        Rule::PrefixMismatch,
        &prefix_mismatch::DOCS,
        Template(prefix_mismatch::check),
    )
    .needs(Needs::RENDERS)
    .not_fixable(prefix_mismatch::NOT_FIXABLE),
    RuleEntry::new(
        Rule::EosMismatch,
        &eos_mismatch::DOCS,
        Template(eos_mismatch::check),
    )
    .needs(Needs::RENDERS_TOKENIZER)
    .fixable(eos_mismatch::FIX),
    RuleEntry::new(
        Rule::DoubleBos,
        &double_bos::DOCS,
        Template(double_bos::check),
    )
    .needs(Needs::RENDERS_TOKENIZER)
    .not_fixable(double_bos::NOT_FIXABLE),
    RuleEntry::new(
        Rule::UnknownSpecialToken,
        &unknown_special_token::DOCS,
        Template(unknown_special_token::check),
    )
    .needs(Needs::RENDERS_TOKENIZER)
    .not_fixable(unknown_special_token::NOT_FIXABLE),
    RuleEntry::new(
        Rule::CapabilityMissing,
        &capability_missing::DOCS,
        Template(capability_missing::check),
    )
    .needs(Needs {
        require: true,
        ..Needs::RENDERS
    }),
    RuleEntry::new(
        Rule::GenerationMask,
        &generation_mask::DOCS,
        Template(generation_mask::check),
    )
    .needs(Needs::RENDERS),
    RuleEntry::new(
        Rule::GgufTemplateDrift,
        &gguf_template_drift::DOCS,
        TemplateAndModel(gguf_template_drift::check, gguf_template_drift::check_lost),
    )
    .needs(Needs::RENDERS),
    RuleEntry::new(
        Rule::TemplateIgnoresMessages,
        &template_ignores_messages::DOCS,
        Template(template_ignores_messages::check),
    )
    .needs(Needs::RENDERS),
];

// The table covers every rule, in order, so `entry` can index it: checked
// when the crate compiles.
const _: () = {
    let mut i = 0;
    while i < ROWS.len() {
        assert!(
            ROWS[i].rule as usize == i,
            "TABLE is not in Rule::ALL order"
        );
        i += 1;
    }
};

/// The table row of `rule`.
pub fn entry(rule: Rule) -> &'static RuleEntry {
    // In range and in order: checked at compile time above.
    &TABLE[rule as usize]
}

impl Rule {
    /// The rule's docs (from its table row).
    pub fn docs(self) -> &'static RuleDocs {
        entry(self).docs
    }

    /// The full docs as Markdown-ish text, for `explain` and SARIF help.
    pub fn explain(self) -> String {
        let d = self.docs();
        format!(
            "# {} ({})\n\n{}\n\n## What it does\n{}\n\n## Why is this bad?\n{}\n\n## Example\n{}\n\n## How to fix\n{}\n\n## Fix\n{}\n",
            self.id(),
            self.default_severity().as_str(),
            d.summary,
            d.what_it_does.trim(),
            d.why_bad.trim(),
            d.example.trim(),
            d.how_to_fix.trim(),
            self.fix_text()
        )
    }

    /// The `## Fix` section of `explain`: what `--fix` does, or that it
    /// does nothing and why.
    pub fn fix_text(self) -> String {
        let row = entry(self);
        let docs = row.fix_docs.trim();
        match row.fixable {
            Fixability::Safe => format!("Fixable: `check --fix` applies it.\n{docs}"),
            Fixability::Unsafe => {
                format!("Fixable with `check --fix --unsafe-fixes` only.\n{docs}")
            }
            Fixability::Never if docs.is_empty() => "Not fixable automatically.".to_string(),
            Fixability::Never => format!("Not fixable automatically.\n{docs}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_covers_every_rule_once_in_order() {
        assert_eq!(TABLE.len(), Rule::ALL.len());
        for (row, rule) in TABLE.iter().zip(Rule::ALL) {
            assert_eq!(row.rule, rule);
            assert_eq!(entry(rule).rule, rule);
            assert!(!row.docs.summary.is_empty(), "{} has no docs", rule.id());
        }
    }

    #[test]
    fn only_config_invalid_is_made_while_loading() {
        for row in &TABLE {
            let load = matches!(row.check, Check::Load);
            assert_eq!(load, row.rule == Rule::ConfigInvalid, "{}", row.rule.id());
        }
    }

    #[test]
    fn fixable_rules_say_what_the_fix_does() {
        let fixable: Vec<(&str, Fixability)> = TABLE
            .iter()
            .filter(|row| row.fixable != Fixability::Never)
            .map(|row| (row.rule.id(), row.fixable))
            .collect();
        assert_eq!(
            fixable,
            [
                ("generation-prompt-missing", Fixability::Safe),
                ("template-sources-disagree", Fixability::Unsafe),
                ("eos-mismatch", Fixability::Safe),
            ]
        );
        for row in &TABLE {
            let judged = [
                Rule::DoubleBos,
                Rule::PrefixMismatch,
                Rule::UnknownSpecialToken,
            ];
            if row.fixable != Fixability::Never || judged.contains(&row.rule) {
                assert!(!row.fix_docs.is_empty(), "{}", row.rule.id());
            }
        }
    }
}

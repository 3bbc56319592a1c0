//! Rule identity: the closed set of rules, their permanent ids and default
//! severities. A leaf: it imports nothing from the pipeline, so `finding`,
//! `load` and `config` can name rules without depending on `rules/` (which
//! depends on them). What a rule does, its docs and its needs are in the
//! table in `rules::registry`.
//!
//! Adding a rule: one line in the list below, one row in
//! `rules::registry::TABLE`, and one file in `rules/` (plus its `mod` line).

use serde::Serialize;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Declares `Rule` with `ALL`, `id` and `default_severity` from one list, so
/// a variant cannot be missing from any of them.
macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident => $id:literal, $severity:ident;)+) => {
        /// Every rule the tool has (see the module docs for how to add one).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($(#[$doc])* $variant,)+
        }

        impl Rule {
            /// Every rule, in declaration order (the order of `rules`, JUnit and SARIF).
            pub const ALL: [Rule; [$($id),+].len()] = [$(Rule::$variant),+];

            /// The permanent kebab-case id. Never rename one: configs and
            /// ignore comments name rules by it.
            pub const fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)+
                }
            }

            /// The severity a finding has unless policy (`resolve`) changes it.
            pub const fn default_severity(self) -> Severity {
                match self {
                    $(Rule::$variant => Severity::$severity,)+
                }
            }
        }
    };
}

rules! {
    ConfigInvalid => "config-invalid", Error;
    TemplateSyntax => "template-syntax", Error;
    TemplateRender => "template-render", Error;
    GenerationPromptMissing => "generation-prompt-missing", Error;
    GenerationPromptUnconditional => "generation-prompt-unconditional", Warning;
    TemplateSourcesDisagree => "template-sources-disagree", Error;
    TemplateMissing => "template-missing", Warning;
    TemplateDrift => "template-drift", Error;
    PrefixMismatch => "prefix-mismatch", Warning;
    EosMismatch => "eos-mismatch", Error;
    DoubleBos => "double-bos", Warning;
    UnknownSpecialToken => "unknown-special-token", Error;
    CapabilityMissing => "capability-missing", Error;
    GenerationMask => "generation-mask", Warning;
    GgufTemplateDrift => "gguf-template-drift", Error;
    TemplateIgnoresMessages => "template-ignores-messages", Error;
}

impl Rule {
    /// The rule with this id, if there is one.
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }
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
        }
        assert_eq!(Rule::from_id("no-such-rule"), None);
    }

    #[test]
    fn all_is_in_declaration_order() {
        for (i, rule) in Rule::ALL.into_iter().enumerate() {
            assert_eq!(rule as usize, i);
        }
    }
}

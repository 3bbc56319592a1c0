//! `config-invalid`: A config file is not valid JSON, not UTF-8, or its `chat_template` has the wrong type.
//!
//! NOT YET IMPLEMENTED: a placeholder owned by the rule's issue.

use super::RuleDocs;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary:
        "A config file is not valid JSON, not UTF-8, or its `chat_template` has the wrong type.",
    what_it_does: "",
    why_bad: "",
    example: "",
    how_to_fix: "",
};

//! `generation-prompt-missing`: `add_generation_prompt=True` does not open an assistant turn.
//!
//! NOT YET IMPLEMENTED: a placeholder owned by the rule's issue.

use super::RuleDocs;
use super::TemplateContext;
use crate::finding::Finding;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "`add_generation_prompt=True` does not open an assistant turn.",
    what_it_does: "",
    why_bad: "",
    example: "",
    how_to_fix: "",
};

pub(super) fn check(_ctx: &TemplateContext<'_>) -> Vec<Finding> {
    Vec::new()
}

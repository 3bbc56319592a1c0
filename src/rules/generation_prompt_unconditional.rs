//! `generation-prompt-unconditional`: The template opens an assistant turn even when no generation prompt is asked for.
//!
//! NOT YET IMPLEMENTED: a placeholder owned by the rule's issue.

use super::RuleDocs;
use super::TemplateContext;
use crate::finding::Finding;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The template opens an assistant turn even when no generation prompt is asked for.",
    what_it_does: "",
    why_bad: "",
    example: "",
    how_to_fix: "",
};

pub(super) fn check(_ctx: &TemplateContext<'_>) -> Vec<Finding> {
    Vec::new()
}

//! `double-bos`: The template emits BOS and the tokenizer adds another.
//!
//! NOT YET IMPLEMENTED: a placeholder owned by the rule's issue.

use super::RuleDocs;
use crate::finding::Finding;
use crate::load::LoadedModel;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The template emits BOS and the tokenizer adds another.",
    what_it_does: "",
    why_bad: "",
    example: "",
    how_to_fix: "",
};

pub(super) fn check(_model: &LoadedModel) -> Vec<Finding> {
    Vec::new()
}

//! `template-sources-disagree`: Two files in one folder hold different chat templates.
//!
//! NOT YET IMPLEMENTED: a placeholder owned by the rule's issue.

use super::RuleDocs;
use crate::finding::Finding;
use crate::load::LoadedModel;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "Two files in one folder hold different chat templates.",
    what_it_does: "",
    why_bad: "",
    example: "",
    how_to_fix: "",
};

pub(super) fn check(_model: &LoadedModel) -> Vec<Finding> {
    Vec::new()
}

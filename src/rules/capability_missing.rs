//! `capability-missing`: the template lacks a capability the config requires
//! (`require = ["tools", "system"]`).
//!
//! Capabilities are found by rendering the probes (see `capabilities`); the
//! finding names the probe that showed the feature missing.

use super::{RuleDocs, TemplateContext};
use crate::capabilities::detect;
use crate::finding::Finding;
use crate::rules::Rule;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary: "The template lacks a capability that the config requires.",
    what_it_does: "
Finds what each template supports by rendering probe conversations — `system` role,
`tools`, `tool-calls` (object arguments), `string-arguments` (tool-call arguments as a
JSON string), `tool-results`, `string-content` (content as a string, what a tokenizer
sends), `content-parts` (content as a list of parts, what a processor sends), `images`,
`reasoning` (`reasoning_content`), `generation-mask` (`{% generation %}` blocks) — and
reports each capability listed in the config's `require` that a template lacks. A
feature is missing when its probe raises or its content does not appear in the render.
",
    why_bad: "
A serving stack or training pipeline that relies on a feature the template silently
drops loses data without an error: tool definitions never reach the model, the system
prompt vanishes, images have no placeholder, or assistant masks are empty.
",
    example: "
A config that requires tools and a system role:

    [tool.chat-template-lint]
    require = [\"tools\", \"system\"]

with a Gemma 2 template, which raises on a `system` message and ignores `tools`.
",
    how_to_fix: "
Use a template version that supports the feature (most model families ship a
tool-use template, e.g. as the named template `tool_use`), extend the template, or
drop the capability from `require` for this path.
",
};

pub(super) fn check(ctx: &TemplateContext<'_>) -> Vec<Finding> {
    if ctx.options.require.is_empty() || ctx.compiled.is_err() {
        return Vec::new();
    }
    let t = ctx.template;
    let has = detect(ctx.renders, &t.text);
    ctx.options
        .require
        .iter()
        .copied()
        .filter(|cap| !has.contains(cap))
        .map(|cap| {
            Finding::new(
                Rule::CapabilityMissing,
                &t.path,
                format!(
                    "template lacks the required capability `{}` (probe `{}` {})",
                    cap.id(),
                    cap.probe(),
                    cap.missing_means()
                ),
            )
            .with_template(&t.name)
            .with_probe(cap.probe().as_str())
            .with_help(format!(
                "use a template that supports `{}`, or remove it from `require`",
                cap.id()
            ))
        })
        .collect()
}

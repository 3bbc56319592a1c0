//! Inline suppressions: a Jinja comment inside a template that silences
//! rules for that template, with the reason next to it, e.g.
//!
//! ```jinja
//! {#- chat-template-lint: ignore[template-render] rejects a system turn on purpose -#}
//! ```
//!
//! This module owns the syntax and the matching: `parse` reads the directives
//! out of a template's text, `Inline::read` collects them for every template
//! of a checked folder, and `apply` (called by `resolve`, where all policy
//! is applied after the checks ran, cargo-deny's shape) drops the findings
//! they cover and returns the suppressions that covered nothing. A directive
//! applies to the whole template it stands in (findings of a template point
//! at its last line, its header or a probe's render, rarely at the line a
//! comment would sit on), and only to findings about that template in that
//! file: a finding that names the template, or a file-level finding (no
//! template) in the file the template is in.
//!
//! Syntax, like ruff's `# noqa: RULE` but in a Jinja comment: `{#` with
//! optional whitespace control (`{#-`, `-#}`; jinja2 strips around comments
//! with them), then `chat-template-lint:`, then `ignore[` a comma-separated
//! list of rule ids `]`, then free text: the reason. Comments that do not
//! start with `chat-template-lint:` are not directives; ones that do but are
//! not well-formed are reported as `Malformed`.
//!
//! How problems with directives are reported: as warning lines on stderr
//! (`chat-template-lint: warning: path:line: …`), like the warning for a glob
//! that matches nothing, never as findings and never changing the exit code.
//! That is ruff's split: a malformed `# noqa` is a `warning:` line on stderr
//! (`Invalid # noqa directive on path:line: …`), while an unused one is rule
//! RUF100, which is not in ruff's default rule set. Here no rule id fits (a
//! finding under `config-invalid` or another existing rule would say the
//! model files are broken, and would fail a gate over a comment), and the
//! issue asks that a stale suppression is not silent, so both are warnings,
//! always on. A suppression counts as unused only for a rule that ran in
//! this run: `ignore[template-drift]` without a baseline, or under
//! `--select config-invalid`, could not have matched anything, and is not
//! called stale.

use std::ops::Range;

use crate::finding::Finding;
use crate::load::{LoadedModel, Template};
use crate::rule::Rule;

/// What every directive starts with, inside the comment.
pub const PREFIX: &str = "chat-template-lint:";

/// One well-formed directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The comment's byte range in the template text.
    pub span: Range<usize>,
    /// The rules it silences, in the order written.
    pub rules: Vec<Rule>,
    /// The free text after the brackets (may be empty).
    pub reason: String,
    /// The 1-based line the comment starts on: of the template text from
    /// `parse`, of the file it is in from `Inline::read`.
    pub line: usize,
}

/// A comment found in a template that is meant as a directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    Ignore(Suppression),
    /// It starts with `chat-template-lint:` but does not parse: `why` says
    /// what is wrong (an unknown rule id, a missing `]`, …).
    Malformed {
        span: Range<usize>,
        why: String,
    },
}

/// 1-based line of byte `at` in `text`.
fn line_at(text: &str, at: usize) -> usize {
    text.get(..at)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The directives in a template's text, in order. Comments are found the way
/// the Jinja lexer finds them: from `{#` to the next `#}`. (A `{#` inside a
/// `{% raw %}` block is text to Jinja; such a block holding a directive is
/// taken as a directive all the same.)
pub fn parse(text: &str) -> Vec<Directive> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{#").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("#}").map(|i| open + 2 + i) else {
            break;
        };
        let span = open..close + 2;
        from = close + 2;
        let body = text[open + 2..close]
            .strip_prefix(['-', '+'])
            .unwrap_or(&text[open + 2..close]);
        let body = body.strip_suffix(['-', '+']).unwrap_or(body).trim();
        if let Some(rest) = body.strip_prefix(PREFIX) {
            let mut found = directive(rest.trim_start(), span);
            if let Directive::Ignore(s) = &mut found {
                s.line = line_at(text, open);
            }
            out.push(found);
        }
    }
    out
}

/// One directive from what follows `chat-template-lint:`.
fn directive(rest: &str, span: Range<usize>) -> Directive {
    let malformed = |why: String| Directive::Malformed {
        span: span.clone(),
        why,
    };
    let Some(list) = rest.strip_prefix("ignore[") else {
        return malformed(format!(
            "a `{PREFIX}` comment must continue with `ignore[rule-id, …] reason`"
        ));
    };
    let Some(end) = list.find(']') else {
        return malformed("`ignore[` is never closed with `]`".to_string());
    };
    let mut rules = Vec::new();
    for id in list[..end].split(',').map(str::trim) {
        match Rule::from_id(id) {
            Some(rule) if !rules.contains(&rule) => rules.push(rule),
            Some(_) => {}
            None if id.is_empty() => {
                return malformed("`ignore[…]` names no rule".to_string());
            }
            None => {
                return malformed(format!(
                    "`{id}` is not a rule id (see `chat-template-lint rules`)"
                ));
            }
        }
    }
    Directive::Ignore(Suppression {
        span,
        rules,
        reason: list[end + 1..].trim().to_string(),
        line: 0,
    })
}

/// The suppressions of one template, and where they apply.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The file the template is in (as findings name it).
    pub path: String,
    /// The template's name (`default`, `tool_use`, …).
    pub template: String,
    pub suppressions: Vec<Suppression>,
}

impl Scope {
    /// Whether `finding` is about this template: same file, and the same
    /// template when the finding names one.
    fn covers(&self, finding: &Finding) -> bool {
        finding.path == self.path
            && finding
                .template
                .as_deref()
                .is_none_or(|t| t == self.template)
    }
}

/// A rule of a suppression that silenced nothing: which scope, which
/// suppression in it, which rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unused {
    pub scope: usize,
    pub suppression: usize,
    pub rule: Rule,
}

/// A problem with a directive, said on stderr as `path:line: message`
/// (see the module docs for why it is not a finding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path, self.line, self.message)
    }
}

/// The directives of every checked template: what `apply` matches against,
/// and the warnings about malformed ones.
#[derive(Debug, Clone, Default)]
pub struct Inline {
    pub scopes: Vec<Scope>,
    pub malformed: Vec<Warning>,
}

impl Inline {
    /// Read the directives of `model`'s templates, with lines of the files
    /// they are in (a template inside tokenizer_config.json is mapped back
    /// through its offset map).
    pub fn read(&mut self, model: &LoadedModel) {
        for template in &model.templates {
            let directives = parse(&template.text);
            if directives.is_empty() {
                continue;
            }
            let line = |at: usize| file_line(model, template, at);
            let mut suppressions = Vec::new();
            for d in directives {
                match d {
                    Directive::Ignore(mut s) => {
                        s.line = line(s.span.start);
                        suppressions.push(s);
                    }
                    Directive::Malformed { span, why } => self.malformed.push(Warning {
                        path: template.path.clone(),
                        line: line(span.start),
                        message: format!(
                            "malformed suppression comment, it silences nothing: {why}"
                        ),
                    }),
                }
            }
            if !suppressions.is_empty() {
                self.scopes.push(Scope {
                    path: template.path.clone(),
                    template: template.name.clone(),
                    suppressions,
                });
            }
        }
    }

    /// The warning for a suppression that silenced nothing.
    pub fn unused_warning(&self, unused: &Unused) -> Option<Warning> {
        let scope = self.scopes.get(unused.scope)?;
        let s = scope.suppressions.get(unused.suppression)?;
        Some(Warning {
            path: scope.path.clone(),
            line: s.line,
            message: format!(
                "unused suppression: `{}` reported nothing in template `{}`; remove it from `ignore[…]`",
                unused.rule.id(),
                scope.template
            ),
        })
    }
}

/// The 1-based line of the file `template` is in, at byte `at` of its text.
fn file_line(model: &LoadedModel, template: &Template, at: usize) -> usize {
    match model.sources.iter().find(|s| s.path == template.path) {
        Some(source) => line_at(&source.text, template.offsets.to_file(at)),
        None => line_at(&template.text, at),
    }
}

/// Drop the findings a suppression covers; return what is kept and every
/// (suppression, rule) that covered nothing, in scope order.
pub fn apply(findings: Vec<Finding>, scopes: &[Scope]) -> (Vec<Finding>, Vec<Unused>) {
    let mut used: Vec<Vec<Vec<bool>>> = scopes
        .iter()
        .map(|s| {
            s.suppressions
                .iter()
                .map(|x| vec![false; x.rules.len()])
                .collect()
        })
        .collect();
    let mut kept = Vec::with_capacity(findings.len());
    for finding in findings {
        let mut silenced = false;
        for (si, scope) in scopes.iter().enumerate() {
            if !scope.covers(&finding) {
                continue;
            }
            for (xi, s) in scope.suppressions.iter().enumerate() {
                if let Some(ri) = s.rules.iter().position(|r| *r == finding.rule) {
                    used[si][xi][ri] = true;
                    silenced = true;
                }
            }
        }
        if !silenced {
            kept.push(finding);
        }
    }
    let mut unused = Vec::new();
    for (si, scope) in scopes.iter().enumerate() {
        for (xi, s) in scope.suppressions.iter().enumerate() {
            for (ri, rule) in s.rules.iter().enumerate() {
                if !used[si][xi][ri] {
                    unused.push(Unused {
                        scope: si,
                        suppression: xi,
                        rule: *rule,
                    });
                }
            }
        }
    }
    (kept, unused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ignore(d: &Directive) -> &Suppression {
        match d {
            Directive::Ignore(s) => s,
            Directive::Malformed { why, .. } => panic!("malformed: {why}"),
        }
    }

    #[test]
    fn directives_are_read_from_comments() {
        let text = "{{ x }}{#- chat-template-lint: ignore[template-render, double-bos] rejects system on purpose -#}\n{# plain comment #}{#chat-template-lint:ignore[double-bos]#}";
        let found = parse(text);
        assert_eq!(found.len(), 2);
        let first = ignore(&found[0]);
        assert_eq!(first.rules, vec![Rule::TemplateRender, Rule::DoubleBos]);
        assert_eq!(first.reason, "rejects system on purpose");
        assert_eq!(
            &text[first.span.clone()],
            &text[7..text.find('\n').unwrap_or(0)]
        );
        assert_eq!(first.line, 1);
        let second = ignore(&found[1]);
        assert_eq!(second.rules, vec![Rule::DoubleBos]);
        assert_eq!(second.reason, "");
        assert_eq!(second.line, 2);
    }

    #[test]
    fn bad_directives_say_why() {
        let why = |text: &str| match parse(text).as_slice() {
            [Directive::Malformed { why, .. }] => why.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            why("{# chat-template-lint: ignore[no-such-rule] x #}"),
            "`no-such-rule` is not a rule id (see `chat-template-lint rules`)"
        );
        assert_eq!(
            why("{# chat-template-lint: ignore[double-bos #}"),
            "`ignore[` is never closed with `]`"
        );
        assert_eq!(
            why("{# chat-template-lint: ignore[] x #}"),
            "`ignore[…]` names no rule"
        );
        assert_eq!(
            why("{# chat-template-lint: noqa #}"),
            "a `chat-template-lint:` comment must continue with `ignore[rule-id, …] reason`"
        );
        // An unclosed comment is not a directive (the template does not parse).
        assert!(parse("{# chat-template-lint: ignore[double-bos]").is_empty());
    }

    #[test]
    fn suppressions_drop_only_their_template_s_findings_and_report_the_unused() {
        let scope = |template: &str, rules: Vec<Rule>| Scope {
            path: "m/tokenizer_config.json".into(),
            template: template.into(),
            suppressions: vec![Suppression {
                span: 0..1,
                rules,
                reason: String::new(),
                line: 1,
            }],
        };
        let scopes = [
            scope("default", vec![Rule::TemplateRender, Rule::DoubleBos]),
            scope("tool_use", vec![Rule::EosMismatch]),
        ];
        let f = |rule, path: &str, template: Option<&str>| {
            let mut f = Finding::new(rule, path, "m");
            f.template = template.map(str::to_string);
            f
        };
        let findings = vec![
            f(
                Rule::TemplateRender,
                "m/tokenizer_config.json",
                Some("default"),
            ),
            f(
                Rule::TemplateRender,
                "m/tokenizer_config.json",
                Some("tool_use"),
            ),
            f(
                Rule::TemplateRender,
                "other/tokenizer_config.json",
                Some("default"),
            ),
        ];
        let (kept, unused) = apply(findings, &scopes);
        assert_eq!(kept.len(), 2);
        assert!(kept
            .iter()
            .all(|k| k.template.as_deref() == Some("tool_use") || k.path.starts_with("other/")));
        assert_eq!(
            unused,
            vec![
                Unused {
                    scope: 0,
                    suppression: 0,
                    rule: Rule::DoubleBos
                },
                Unused {
                    scope: 1,
                    suppression: 0,
                    rule: Rule::EosMismatch
                },
            ]
        );
    }
}

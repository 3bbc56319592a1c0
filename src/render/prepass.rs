//! Source pre-pass: rewrite the few jinja2 constructs minijinja cannot be
//! configured to handle, before minijinja compiles the template.
//!
//! - `{% generation %}` … `{% endgeneration %}` (transformers' AssistantTracker
//!   extension) becomes `{% filter __generation__ %}{% with %}` …
//!   `{% endwith %}{% endfilter %}`. jinja2 compiles the tag to a call block,
//!   so the body renders in place, in its own scope (a `set` inside does not
//!   leak out — the `with` reproduces that). The `__generation__` filter is
//!   the identity, or brackets the body with markers when spans are recorded
//!   (see `mod.rs`). Whitespace control is kept: the `-` / trim_blocks /
//!   lstrip_blocks of the original tag apply to the outer tags, and the two
//!   inserted tags touch, so no text lies between them.
//! - `{% for x in EXPR %}` becomes `{% for x in __pyiter__(EXPR) %}`: jinja2
//!   runs Python's `iter()`, which raises TypeError on `None`, where minijinja
//!   iterates nothing.
//!
//! Both are found in one pass over minijinja's own lexer tokens (so strings,
//! comments and raw blocks are never touched).
//!
//! Edits never add newlines, so error line numbers stay right; `map_offset`
//! maps byte offsets in the rewritten text back to the original.

use minijinja::machinery::{tokenize, Token};
use minijinja::syntax::SyntaxConfig;

/// The rewritten template plus how to map offsets back.
#[derive(Debug)]
pub struct Rewritten {
    pub source: String,
    /// Per stage, latest first: (offset in that stage's input, bytes
    /// inserted there minus bytes removed).
    edits: Vec<(usize, isize)>,
    /// How many of `edits` belong to each stage.
    stage_lens: Vec<usize>,
}

impl Rewritten {
    /// Map a byte offset in the rewritten text back to the original text.
    pub fn map_offset(&self, mut offset: usize) -> usize {
        let mut rest = self.edits.as_slice();
        for &n in &self.stage_lens {
            let (stage, more) = rest.split_at(n.min(rest.len()));
            rest = more;
            // Walk the stage's edits in order, in its output coordinates.
            let mut shift: isize = 0;
            for &(at, delta) in stage {
                let at_new = (at as isize + shift) as usize;
                if at_new >= offset {
                    break;
                }
                shift += delta;
            }
            offset = (offset as isize - shift).max(0) as usize;
        }
        offset
    }
}

/// One edit of the original text: replace `range` with `with`.
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub with: std::borrow::Cow<'static, str>,
}

/// Rewrite `text`. Never fails: anything it cannot lex is left alone for
/// the compiler to report.
pub fn rewrite(text: &str, syntax: &SyntaxConfig) -> Rewritten {
    let mut first = edits(text, syntax);
    // For-loop insertions are recorded when the loop header ends, after any
    // edit inside it: order by position, insertions before replacements.
    first.sort_by_key(|e| (e.start, e.end > e.start));
    let stage1 = apply(text, &first);
    let stage2 = apply(
        &stage1.source,
        &super::astpass::edits(&stage1.source, syntax),
    );
    Rewritten {
        source: stage2.source,
        // Undo the later stage first.
        edits: [stage2.edits, stage1.edits].concat(),
        stage_lens: vec![stage2.stage_lens[0], stage1.stage_lens[0]],
    }
}

fn apply(text: &str, edits: &[Edit]) -> Rewritten {
    let mut out = String::with_capacity(text.len() + edits.len() * 16);
    let mut pos = 0;
    let mut shifts = Vec::with_capacity(edits.len());
    // Edits come in source order (one token pass).
    for e in edits {
        if e.start < pos || e.end > text.len() {
            continue;
        }
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.with);
        shifts.push((e.start, e.with.len() as isize - (e.end - e.start) as isize));
        pos = e.end;
    }
    out.push_str(&text[pos..]);
    Rewritten {
        source: out,
        stage_lens: vec![shifts.len()],
        edits: shifts,
    }
}

/// Where the lexer is inside a `{% for %}` tag.
enum ForState {
    Outside,
    /// Between `for` and `in`.
    Target,
    /// In the iterable: where it started, where its last token ended, and
    /// the bracket depth.
    Iter {
        start: Option<usize>,
        end: usize,
        depth: usize,
    },
}

/// One pass over the tokens: `{% generation %}` / `{% endgeneration %}` tags
/// (the tag name must be the first word of a block, as jinja2's extension
/// requires) and for-loop iterables. The iterable of `{% for T in EXPR
/// [if C] [recursive] %}` is every token after `in` up to a top-level `if`
/// or `recursive` or the end of the tag, as jinja2's parser reads it
/// (`parse_tuple(with_condexpr=False)`).
fn edits(text: &str, syntax: &SyntaxConfig) -> Vec<Edit> {
    let mut edits = Vec::new();
    let mut after_block_start = false;
    // Whether the previous token ends an operand (then `+` is binary).
    let mut after_operand = false;
    let mut state = ForState::Outside;
    for tok in tokenize(text, false, syntax.clone()) {
        let Ok((tok, span)) = tok else { break };
        let (start, end) = (span.start_offset as usize, span.end_offset as usize);
        state = match state {
            ForState::Outside => match tok {
                Token::Ident("for") if after_block_start => ForState::Target,
                _ => ForState::Outside,
            },
            ForState::Target => match tok {
                Token::Ident("in") => ForState::Iter {
                    start: None,
                    end: start,
                    depth: 0,
                },
                Token::BlockEnd => ForState::Outside,
                _ => ForState::Target,
            },
            ForState::Iter {
                start: first,
                end: last,
                depth,
            } => {
                let stop = depth == 0
                    && matches!(
                        tok,
                        Token::BlockEnd | Token::Ident("if") | Token::Ident("recursive")
                    );
                if stop {
                    if let Some(first) = first {
                        edits.push(Edit {
                            start: first,
                            end: first,
                            with: "__pyiter__(".into(),
                        });
                        edits.push(Edit {
                            start: last,
                            end: last,
                            with: ")".into(),
                        });
                    }
                    ForState::Outside
                } else {
                    let depth = match tok {
                        Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => depth + 1,
                        Token::ParenClose | Token::BracketClose | Token::BraceClose => {
                            depth.saturating_sub(1)
                        }
                        _ => depth,
                    };
                    ForState::Iter {
                        start: Some(first.unwrap_or(start)),
                        end,
                        depth,
                    }
                }
            }
        };
        match tok {
            Token::Ident("generation") if after_block_start => edits.push(Edit {
                start,
                end,
                with: "filter __generation__ %}{% with".into(),
            }),
            Token::Ident("endgeneration") if after_block_start => edits.push(Edit {
                start,
                end,
                with: "endwith %}{% endfilter".into(),
            }),
            // jinja2 has unary `+`, minijinja does not: `+x` becomes `- -x`
            // (same precedence; identity on numbers, an error on strings,
            // as in Python).
            Token::Plus if !after_operand => edits.push(Edit {
                start,
                end,
                with: "- -".into(),
            }),
            _ => {}
        }
        after_operand = match tok {
            Token::Ident(w) => !matches!(
                w,
                "and" | "or" | "not" | "in" | "is" | "if" | "else" | "elif" | "set" | "for"
            ),
            Token::Str(_)
            | Token::String(_)
            | Token::Int(_)
            | Token::Int128(_)
            | Token::Float(_)
            | Token::ParenClose
            | Token::BracketClose
            | Token::BraceClose => true,
            _ => false,
        };
        after_block_start = matches!(tok, Token::BlockStart);
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax() -> SyntaxConfig {
        SyntaxConfig::default()
    }

    #[test]
    fn generation_tags_become_a_scoped_filter_block() {
        let r = rewrite("a{%- generation -%}b{% endgeneration %}c", &syntax());
        assert_eq!(
            r.source,
            "a{%- filter __generation__ %}{% with -%}b{% endwith %}{% endfilter %}c"
        );
    }

    #[test]
    fn generation_as_a_variable_is_left_alone() {
        let r = rewrite("{% set generation = 1 %}{{ generation }}", &syntax());
        assert_eq!(r.source, "{% set generation = 1 %}{{ generation }}");
    }

    #[test]
    fn for_iterables_are_wrapped() {
        let r = rewrite(
            "{% for m in messages[1:] if m %}{% for k in (a or b) %}{% endfor %}{% endfor %}",
            &syntax(),
        );
        assert_eq!(
            r.source,
            // (the AST pass then turns the slice into jinja2's getitem)
            "{% for m in __pyiter__(__pyslice__(messages, 1, none, none, false)) if m %}{% for k in __pyiter__((a or b)) %}{% endfor %}{% endfor %}"
        );
    }

    #[test]
    fn unary_plus_becomes_double_minus() {
        let r = rewrite("{{ +a + (+1) }}{% for x in +b %}{% endfor %}", &syntax());
        assert_eq!(
            r.source,
            // (the AST pass then turns each `-` into Python's negation, and
            // `+` into Python's addition)
            "{{ __pyadd__(__pyneg__(__pyneg__(a)), (__pyneg__(__pyneg__(1)))) }}{% for x in __pyiter__(__pyneg__(__pyneg__(b))) %}{% endfor %}"
        );
    }

    #[test]
    fn offsets_map_back_to_the_original() {
        let text = "{% for m in xs %}{{ oops }}{% endfor %}";
        let r = rewrite(text, &syntax());
        let at = r.source.find("oops").unwrap_or_default();
        assert_eq!(r.map_offset(at), text.find("oops").unwrap_or_default());
    }
}

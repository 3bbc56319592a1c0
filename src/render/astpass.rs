//! Second pre-pass, on minijinja's AST: rewrite operators whose Python
//! semantics minijinja's operators lack into calls of `pyops.rs` functions.
//!
//! - `"literal" % args` → `__pyformat__("literal", args)` (printf-style
//!   formatting; minijinja's `%` is numeric only). Only a string-literal
//!   left side is rewritten: that is how templates format, and a variable
//!   left side keeps minijinja's (Python-like, floored) numeric modulo.
//! - `a + b` → `__pyadd__(a, b)`, in every template but where an operand
//!   is a string or number literal outside markup templates: Python's `+`
//!   (`Markup + str` escapes the plain operand; `list + list` builds a
//!   list). minijinja's `+` on sequences is lazy and uncharged, so
//!   `{% set l = l + l %}` forty times made a 2^40-item chain that any walk
//!   over took minutes; `__pyadd__` builds the list within the render's
//!   bounds (`limits::charge_items`).
//!
//! - `obj._name` → `__pyattr__(obj, "_name")`: the sandbox treats
//!   attributes starting with `_` as unsafe (they read as undefined, and
//!   using them raises SecurityError); a dict's item of that name is still
//!   found, as jinja2 falls back to `obj["_name"]`.
//!
//! - `a < b` (and `<=`, `>`, `>=`, unchained) → `__pycmp__(a, "<", b)`:
//!   Python raises TypeError comparing unlike types (`1 < "a"`, `None < 1`,
//!   a list with a tuple), where minijinja orders any two values.
//!
//! - `a in b` → `__pyin__(a, b)`: Python's `in` (a string needs a string
//!   on the left, `None` and numbers are not containers, undefined contains
//!   nothing).
//!
//! - `a * b` → `__pymul__(a, b)`: Python makes a list of `[…] * n`;
//!   minijinja a lazy iterable that `tojson` and `is sequence` do not take
//!   for a list, and for a variable `l * n` up to 10^8 items uncharged.
//!
//! - `x[a:b:c]` → `__pyslice__(x, a, b, c, folded)`: jinja2 writes
//!   `x[slice(a, b, c)]` directly, so Python's TypeError surfaces (a
//!   generator such as `d | items`, `None`, a number, float indices), except
//!   for all-constant slices, which its optimizer folds through the
//!   sandbox's `getitem` into Undefined; minijinja slices any iterable.
//!
//! - `-x` → `__pyneg__(x)`: Python negates booleans as ints (`-True` is
//!   `-1`) and raises TypeError on strings.
//!
//! Operand extents are computed from the AST spans (a node's span can start
//! at its filter name, so the extent is the union over its subtree), then
//! widened over grouping parentheses that directly enclose the operand.

use minijinja::machinery::{ast, parse};
use minijinja::syntax::SyntaxConfig;

use super::prepass::Edit;

/// Edits for `text` (already through the token pre-pass); none when it
/// does not parse (the compiler reports that).
pub fn edits(text: &str, syntax: &SyntaxConfig) -> Vec<Edit> {
    let markup = ["safe", "escape", "forceescape", "|e", "| e"]
        .iter()
        .any(|w| text.contains(w));
    let wants_add = text.contains('+');
    let private_attrs = text.contains("._");
    let ordering = text.contains('<') || text.contains('>');
    let membership = text.contains(" in ");
    let negation = text.contains('-');
    let repeat = text.contains('*');
    let slicing = text.contains('[') && text.contains(':');
    if !text.contains('%')
        && !wants_add
        && !private_attrs
        && !ordering
        && !membership
        && !negation
        && !repeat
        && !slicing
    {
        return Vec::new();
    }
    let Ok(tree) = parse(text, "chat_template", syntax.clone()) else {
        return Vec::new();
    };
    let mut w = Walker {
        text,
        wants_add,
        markup,
        edits: Vec::new(),
        depth: 0,
    };
    w.stmt(&tree);
    // Order: by position; at one position closing parens (inner first),
    // then openings (outer first), then replacements: an operand that
    // starts with a replaced token (`-a + b`, the `-` becoming
    // `__pyneg__(`) is opened before its first token is rewritten.
    w.edits.sort_by_key(|(e, rank, depth)| {
        let depth = *depth as i64;
        let tie = match rank {
            Rank::Open => depth,
            Rank::Close | Rank::Replace => -depth,
        };
        (e.start, *rank, tie)
    });
    w.edits.into_iter().map(|(e, _, _)| e).collect()
}

/// What an edit does to the nesting of the rewritten text, which decides
/// its order among edits at the same position (declaration order: closing
/// parens, then openings, then replacements).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// Closes a call (`)`): inner calls close first.
    Close,
    /// Opens a call (`__pyadd__(`): outer calls open first.
    Open,
    /// Replaces an operator between operands (`, "<", `), or a token that
    /// starts an operand (`-` → `__pyneg__(`).
    Replace,
}

struct Walker<'t> {
    text: &'t str,
    wants_add: bool,
    /// The template makes markup (`|safe`, `|e`): every `+` may escape.
    markup: bool,
    /// (edit, rank, nesting depth).
    edits: Vec<(Edit, Rank, usize)>,
    depth: usize,
}

/// `'text' + x` or `x + 1`: a string or number literal operand means the
/// `+` never concatenates lists, so outside markup templates minijinja's
/// own `+` (with its undefined-origin error detail) is kept.
fn has_scalar_literal(b: &ast::BinOp<'_>) -> bool {
    [&b.left, &b.right].into_iter().any(|side| {
        matches!(side, ast::Expr::Const(c) if matches!(c.value.kind(), minijinja::value::ValueKind::String | minijinja::value::ValueKind::Number))
    })
}

fn span_of(e: &ast::Expr<'_>) -> (usize, usize) {
    let s = e.span();
    (s.start_offset as usize, s.end_offset as usize)
}

/// Union of the spans of `e` and its subtree.
fn extent(e: &ast::Expr<'_>) -> (usize, usize) {
    let mut r = span_of(e);
    for_each_child(e, &mut |x| {
        let (a, b) = extent(x);
        r = (r.0.min(a), r.1.max(b));
    });
    r
}

fn for_each_arg<'a>(args: &'a [ast::CallArg<'a>], f: &mut dyn FnMut(&'a ast::Expr<'a>)) {
    for a in args {
        match a {
            ast::CallArg::Pos(x)
            | ast::CallArg::Kwarg(_, x)
            | ast::CallArg::PosSplat(x)
            | ast::CallArg::KwargSplat(x) => f(x),
        }
    }
}

/// Every direct sub-expression of `e`.
fn for_each_child<'a>(e: &'a ast::Expr<'a>, f: &mut dyn FnMut(&'a ast::Expr<'a>)) {
    match e {
        ast::Expr::BinOp(b) => {
            f(&b.left);
            f(&b.right);
        }
        ast::Expr::Slice(s) => {
            f(&s.expr);
            for x in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                f(x);
            }
        }
        ast::Expr::UnaryOp(u) => f(&u.expr),
        ast::Expr::Compare(c) => {
            f(&c.expr);
            c.ops.iter().for_each(|o| f(&o.expr));
        }
        ast::Expr::IfExpr(i) => {
            f(&i.test_expr);
            f(&i.true_expr);
            if let Some(x) = &i.false_expr {
                f(x);
            }
        }
        ast::Expr::Filter(x) => {
            if let Some(e) = &x.expr {
                f(e);
            }
            for_each_arg(&x.args, f);
        }
        ast::Expr::Test(t) => {
            f(&t.expr);
            for_each_arg(&t.args, f);
        }
        ast::Expr::GetAttr(g) => f(&g.expr),
        ast::Expr::GetItem(g) => {
            f(&g.expr);
            f(&g.subscript_expr);
        }
        ast::Expr::Call(c) => {
            f(&c.expr);
            for_each_arg(&c.args, f);
        }
        ast::Expr::List(l) => l.items.iter().for_each(f),
        ast::Expr::Tuple(t) => t.items.iter().for_each(f),
        ast::Expr::Map(m) => {
            m.keys.iter().for_each(&mut *f);
            m.values.iter().for_each(f);
        }
        ast::Expr::Var(_) | ast::Expr::Const(_) => {}
    }
}

impl Walker<'_> {
    /// Record an edit replacing `range` with `with`, at the current depth.
    fn push(
        &mut self,
        rank: Rank,
        range: std::ops::Range<usize>,
        with: impl Into<std::borrow::Cow<'static, str>>,
    ) {
        let edit = Edit {
            start: range.start,
            end: range.end,
            with: with.into(),
        };
        self.edits.push((edit, rank, self.depth));
    }

    /// Balance brackets in `(s, e)` (a parenthesised node's span can
    /// include its `(` but not its `)`), then widen over parentheses that
    /// directly enclose it.
    fn grouped(&self, (s, e): (usize, usize)) -> (usize, usize) {
        let (mut s, mut e) = self.balanced(s, e);
        let bytes = self.text.as_bytes();
        loop {
            let before = self.text[..s].trim_end();
            let after = self.text.get(e..).unwrap_or("").trim_start();
            if before.ends_with('(') && after.starts_with(')') {
                s = before.len() - 1;
                e = self.text.len() - after.len() + 1;
                if e > bytes.len() {
                    return (s, bytes.len());
                }
            } else {
                return (s, e);
            }
        }
    }

    /// Extend `e` over closing brackets left open in `text[s..e]`.
    fn balanced(&self, s: usize, mut e: usize) -> (usize, usize) {
        let Some(inner) = self.text.get(s..e) else {
            return (s, e);
        };
        let mut open = 0usize;
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for c in inner.chars() {
            match quote {
                Some(q) => {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '\'' | '"' => quote = Some(c),
                    '(' | '[' | '{' => open += 1,
                    ')' | ']' | '}' => open = open.saturating_sub(1),
                    _ => {}
                },
            }
        }
        while open > 0 {
            let after = self.text.get(e..).unwrap_or("");
            let trimmed = after.trim_start();
            match trimmed.chars().next() {
                Some(')' | ']' | '}') => {
                    e += after.len() - trimmed.len() + 1;
                    open -= 1;
                }
                _ => break,
            }
        }
        (s, e)
    }

    fn call(&mut self, name: &'static str, left: &ast::Expr<'_>, right: &ast::Expr<'_>) {
        self.call_sep(name, ", ", left, right);
    }

    /// `LEFT op RIGHT` → `name LEFT sep RIGHT)`.
    fn call_sep(
        &mut self,
        name: &'static str,
        sep: &'static str,
        left: &ast::Expr<'_>,
        right: &ast::Expr<'_>,
    ) {
        self.call_wrapped(name, sep, ")", left, right);
    }

    /// `LEFT op RIGHT` → `open LEFT sep RIGHT close`.
    fn call_wrapped(
        &mut self,
        name: &'static str,
        sep: &'static str,
        close: &'static str,
        left: &ast::Expr<'_>,
        right: &ast::Expr<'_>,
    ) {
        let (ls, le) = self.grouped(extent(left));
        let (rs, re) = self.grouped(extent(right));
        if le > rs || ls > le || rs > re {
            return;
        }
        self.push(Rank::Open, ls..ls, name);
        self.push(Rank::Replace, le..rs, sep);
        self.push(Rank::Close, re..re, close);
    }

    /// `x[a:b:c]` → `__pyslice__(x, a, b, c, folded)` (`none` for a missing
    /// part; `folded` when jinja2's optimizer would fold it: all constants).
    fn slice(&mut self, s: &ast::Slice<'_>, whole: &ast::Expr<'_>) {
        let (xs, xe) = self.grouped(extent(&s.expr));
        let end = extent(whole).1;
        if self.text.get(..end).is_none_or(|t| !t.ends_with(']')) || xe > end {
            return;
        }
        let parts = [&s.start, &s.stop, &s.step];
        let folded = s.expr.as_const().is_some()
            && parts
                .iter()
                .all(|p| p.as_ref().is_none_or(|p| p.as_const().is_some()));
        let mut cursor = xe;
        let mut next = 0;
        let mut pending: Vec<(usize, usize, String)> = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let Some(p) = part else { continue };
            let (ps, pe) = self.grouped(extent(p));
            if ps < cursor || pe > end {
                return;
            }
            let gap = self.text.get(cursor..ps).unwrap_or("");
            if gap
                .chars()
                .any(|c| !matches!(c, '[' | ':' | ' ' | '\t' | '\n' | '\r'))
            {
                return;
            }
            pending.push((cursor, ps, ", none".repeat(i - next) + ", "));
            cursor = pe;
            next = i + 1;
        }
        let tail = self.text.get(cursor..end).unwrap_or("");
        if tail
            .chars()
            .any(|c| !matches!(c, ']' | ':' | ' ' | '\t' | '\n' | '\r'))
        {
            return;
        }
        let close = if folded { ", true)" } else { ", false)" };
        pending.push((cursor, end, ", none".repeat(3 - next) + close));
        self.push(Rank::Open, xs..xs, "__pyslice__(");
        for (start, end, with) in pending {
            self.push(Rank::Replace, start..end, with);
        }
    }

    /// `-x` → `__pyneg__(x)`.
    fn negation(&mut self, operand: &ast::Expr<'_>, whole: &ast::Expr<'_>) {
        let start = extent(whole).0;
        let (os, oe) = self.grouped(extent(operand));
        if start > os || self.text.get(start..os).map(str::trim) != Some("-") {
            return;
        }
        self.push(Rank::Replace, start..os, "__pyneg__(");
        self.push(Rank::Close, oe..oe, ")");
    }

    /// `obj._name` → `__pyattr__(obj, "_name")`.
    fn private_attr(&mut self, obj: &ast::Expr<'_>, name: &str, whole: &ast::Expr<'_>) {
        let (s, oe) = self.grouped(extent(obj));
        let end = extent(whole).1;
        if oe > end
            || !self
                .text
                .get(oe..end)
                .is_some_and(|t| t.trim_start().starts_with('.'))
        {
            return;
        }
        self.push(Rank::Open, s..s, "__pyattr__(");
        self.push(Rank::Replace, oe..end, format!(", \"{name}\")"));
    }

    fn expr(&mut self, e: &ast::Expr<'_>) {
        self.depth += 1;
        if let ast::Expr::Compare(c) = e {
            // Only a single comparison: a chain evaluates its middle operand
            // once, which a rewrite could not keep.
            if let [op] = c.ops.as_slice() {
                let sep = match op.op {
                    ast::CompareOpKind::Lt => Some(", \"<\", "),
                    ast::CompareOpKind::Lte => Some(", \"<=\", "),
                    ast::CompareOpKind::Gt => Some(", \">\", "),
                    ast::CompareOpKind::Gte => Some(", \">=\", "),
                    _ => None,
                };
                if let Some(sep) = sep {
                    self.call_sep("__pycmp__(", sep, &c.expr, &op.expr);
                }
            }
        }
        if let ast::Expr::Slice(s) = e {
            self.slice(s, e);
        }
        if let ast::Expr::UnaryOp(u) = e {
            if matches!(u.op, ast::UnaryOpKind::Neg) {
                self.negation(&u.expr, e);
            }
        }
        if let ast::Expr::GetAttr(g) = e {
            if g.name.starts_with('_') {
                self.private_attr(&g.expr, g.name, e);
            }
        }
        if let ast::Expr::BinOp(b) = e {
            match b.op {
                ast::BinOpKind::Rem if matches!(&b.left, ast::Expr::Const(c) if c.value.as_str().is_some()) => {
                    self.call("__pyformat__(", &b.left, &b.right)
                }
                ast::BinOpKind::Add
                    if self.wants_add && (self.markup || !has_scalar_literal(b)) =>
                {
                    self.call("__pyadd__(", &b.left, &b.right)
                }
                ast::BinOpKind::Mul => self.call("__pymul__(", &b.left, &b.right),
                ast::BinOpKind::In => {
                    // `a not in b` parses to a negated `in` node spanning
                    // the same operands: keep the `not`.
                    let (_, le) = self.grouped(extent(&b.left));
                    let (rs, _) = self.grouped(extent(&b.right));
                    let between = self.text.get(le..rs).unwrap_or("");
                    if between.split_whitespace().any(|w| w == "not") {
                        self.call_wrapped("(not __pyin__(", ", ", "))", &b.left, &b.right)
                    } else {
                        self.call("__pyin__(", &b.left, &b.right)
                    }
                }
                ast::BinOpKind::Lt => self.call_sep("__pycmp__(", ", \"<\", ", &b.left, &b.right),
                ast::BinOpKind::Lte => self.call_sep("__pycmp__(", ", \"<=\", ", &b.left, &b.right),
                ast::BinOpKind::Gt => self.call_sep("__pycmp__(", ", \">\", ", &b.left, &b.right),
                ast::BinOpKind::Gte => self.call_sep("__pycmp__(", ", \">=\", ", &b.left, &b.right),
                _ => {}
            }
        }
        let mut kids: Vec<&ast::Expr<'_>> = Vec::new();
        for_each_child(e, &mut |x| kids.push(x));
        for k in kids {
            self.expr(k);
        }
        self.depth -= 1;
    }

    fn args(&mut self, args: &[ast::CallArg<'_>]) {
        for a in args {
            match a {
                ast::CallArg::Pos(x)
                | ast::CallArg::Kwarg(_, x)
                | ast::CallArg::PosSplat(x)
                | ast::CallArg::KwargSplat(x) => self.expr(x),
            }
        }
    }

    fn body(&mut self, stmts: &[ast::Stmt<'_>]) {
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, s: &ast::Stmt<'_>) {
        match s {
            ast::Stmt::Template(t) => self.body(&t.children),
            ast::Stmt::EmitExpr(e) => self.expr(&e.expr),
            ast::Stmt::ForLoop(f) => {
                self.expr(&f.iter);
                if let Some(x) = &f.filter_expr {
                    self.expr(x);
                }
                self.body(&f.body);
                self.body(&f.else_body);
            }
            ast::Stmt::IfCond(c) => {
                self.expr(&c.expr);
                self.body(&c.true_body);
                self.body(&c.false_body);
            }
            ast::Stmt::WithBlock(w) => {
                for (_, v) in &w.assignments {
                    self.expr(v);
                }
                self.body(&w.body);
            }
            ast::Stmt::Set(x) => self.expr(&x.expr),
            ast::Stmt::SetBlock(x) => {
                if let Some(f) = &x.filter {
                    self.expr(f);
                }
                self.body(&x.body);
            }
            ast::Stmt::AutoEscape(a) => self.body(&a.body),
            ast::Stmt::FilterBlock(f) => {
                self.expr(&f.filter);
                self.body(&f.body);
            }
            ast::Stmt::Block(b) => self.body(&b.body),
            ast::Stmt::Macro(m) => {
                m.defaults.iter().for_each(|x| self.expr(x));
                self.body(&m.body);
            }
            ast::Stmt::CallBlock(c) => {
                self.expr(&c.call.expr);
                self.args(&c.call.args);
                self.body(&c.macro_decl.body);
            }
            ast::Stmt::Do(d) => {
                self.expr(&d.call.expr);
                self.args(&d.call.args);
            }
            _ => {}
        }
    }
}

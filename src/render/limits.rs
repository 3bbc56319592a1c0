//! Bounds for untrusted templates, enforced while rendering: the output is
//! written into a size-capped writer (a template that emits gigabytes stops
//! at the cap instead of allocating them), and every value printed — also
//! into `{% set %}` captures and filter blocks, which do not reach the
//! writer — counts toward a per-render budget.

use std::io;

use minijinja::{Error, ErrorKind, State};

use super::MAX_OUTPUT;

/// Context variable holding the frozen clock for `strftime_now`.
pub const RENDER_NOW: &str = "__ctl_render_now__";

/// Message of the errors raised when a bound is hit.
pub const OUTPUT_LIMIT_MESSAGE: &str = "output limit exceeded";

/// Bytes printed by `{{ … }}` across all captures of one render.
const MAX_EMITTED: usize = 8 * MAX_OUTPUT;

#[derive(Default)]
struct Emitted(usize);

/// The error of a render that hit a bound (reported as `LimitExceeded`).
pub fn past_the_bounds() -> Error {
    Error::new(ErrorKind::InvalidOperation, OUTPUT_LIMIT_MESSAGE)
}

/// Count `n` printed bytes; fail once the render's budget is spent.
pub fn count_emitted(state: &mut State, n: usize) -> Result<(), Error> {
    let total = state.get_or_insert_extension(Emitted::default());
    total.0 = total.0.saturating_add(n);
    if total.0 > MAX_EMITTED {
        return Err(past_the_bounds());
    }
    Ok(())
}

/// Fail when one operation (a padding width, an indentation) would build a
/// string of `n` bytes, more than a whole render may print. Python would
/// build it (or run out of memory); here it is reported as past the bounds,
/// never clamped into a different result and never allocated.
pub fn check_built(n: usize) -> Result<(), Error> {
    if n > MAX_EMITTED {
        return Err(past_the_bounds());
    }
    Ok(())
}

/// `check_built` for a list of `n` values being built.
pub fn check_items(n: usize) -> Result<(), Error> {
    check_built(n.saturating_mul(std::mem::size_of::<minijinja::Value>()))
}

/// Items one render may build or walk through list operations (`+`, `*`,
/// the iterating filters, `tojson`, `in`), all of them together. The most
/// any conformance render uses is a few thousand.
pub const MAX_WORK_ITEMS: usize = 2 * 1024 * 1024;

/// The most items one list built by `+` or `*` may hold. Python has no such
/// bound, but no chat template builds a list of a quarter million items;
/// a template that doubles a list in a loop reaches it in 18 steps.
pub const MAX_LIST_ITEMS: usize = 1 << 18;

thread_local! {
    /// Items built or walked by list operations in the current render.
    static WORK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Charge `n` items built or walked to the render's budget, and fail when a
/// single list of `n` items is past the bounds or the budget is spent
/// (a loop that walks a large list again and again stops here, where fuel,
/// one unit per instruction, would let it run for hours).
pub fn charge_items(n: usize) -> Result<(), Error> {
    if n > MAX_LIST_ITEMS {
        return Err(past_the_bounds());
    }
    spend(n)
}

/// Charge a walk over `v` (a list, a map, a sized lazy sequence) to the
/// render's budget.
pub fn charge_walk(v: &minijinja::Value) -> Result<(), Error> {
    match v.kind() {
        minijinja::value::ValueKind::Seq
        | minijinja::value::ValueKind::Map
        | minijinja::value::ValueKind::Iterable => spend(v.len().unwrap_or(0)),
        _ => Ok(()),
    }
}

fn spend(n: usize) -> Result<(), Error> {
    let total = WORK.with(|w| {
        let total = w.get().saturating_add(n);
        w.set(total);
        total
    });
    if total > MAX_WORK_ITEMS {
        return Err(past_the_bounds());
    }
    Ok(())
}

/// Start a render's work budget afresh.
pub fn reset_work() {
    WORK.with(|w| w.set(0));
}

thread_local! {
    /// Set by a builder that stopped at the bound without a way to fail.
    static PAST_BOUND: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// For builders that cannot return an error (Python's `str()`/`repr()` of a
/// container): whether a string of `len` bytes is past the bound. If so the
/// render is marked, and fails as past the bounds when it ends
/// (`take_past_bound`), so the cut-short value is never taken for a result.
pub fn past_bound(len: usize) -> bool {
    let past = len > MAX_EMITTED;
    if past {
        PAST_BOUND.with(|p| p.set(true));
    }
    past
}

/// Whether a builder hit the bound since the last call (and reset).
pub fn take_past_bound() -> bool {
    PAST_BOUND.with(|p| p.replace(false))
}

/// The largest width or precision a format spec may ask for (Rust's
/// formatter panics past `u16::MAX`; Python would build the string).
pub const MAX_FORMAT_NUMBER: usize = u16::MAX as usize;

/// Fail on a format width or precision past `MAX_FORMAT_NUMBER`, as past
/// the bounds (no real template pads a field to 64 KB).
pub fn check_format_number(n: usize) -> Result<(), Error> {
    if n > MAX_FORMAT_NUMBER {
        return Err(past_the_bounds());
    }
    Ok(())
}

/// `str.format` specs (`{:>20}`, `{0:.3f}`): fail when a number in a spec is
/// past `MAX_FORMAT_NUMBER`, before the formatter allocates or panics.
pub fn check_format_specs(template: &str) -> Result<(), Error> {
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '{' {
            continue;
        }
        if chars.peek() == Some(&'{') {
            chars.next(); // `{{` is a literal brace
            continue;
        }
        // A replacement field: numbers after its `:` are width/precision.
        let mut in_spec = false;
        let mut number: usize = 0;
        for c in chars.by_ref() {
            match c {
                '}' => break,
                ':' => in_spec = true,
                '0'..='9' if in_spec => {
                    number = number
                        .saturating_mul(10)
                        .saturating_add(c as usize - '0' as usize);
                    check_format_number(number)?;
                }
                _ => number = 0,
            }
        }
    }
    Ok(())
}

/// An `io::Write` into a `Vec` that refuses to grow past `cap` bytes.
pub struct CappedWriter {
    pub buf: Vec<u8>,
    cap: usize,
    pub overflowed: bool,
}

impl CappedWriter {
    pub fn new(cap: usize) -> Self {
        CappedWriter {
            buf: Vec::new(),
            cap,
            overflowed: false,
        }
    }
}

impl io::Write for &mut CappedWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.buf.len() + data.len() > self.cap {
            self.overflowed = true;
            return Err(io::Error::other(OUTPUT_LIMIT_MESSAGE));
        }
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

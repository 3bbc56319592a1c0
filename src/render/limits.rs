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

/// Count `n` printed bytes; fail once the render's budget is spent.
pub fn count_emitted(state: &mut State, n: usize) -> Result<(), Error> {
    let total = state.get_or_insert_extension(Emitted::default());
    total.0 = total.0.saturating_add(n);
    if total.0 > MAX_EMITTED {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            OUTPUT_LIMIT_MESSAGE,
        ));
    }
    Ok(())
}

/// Fail when one operation (a padding width, an indentation) would build a
/// string of `n` bytes, more than a whole render may print. Python would
/// build it (or run out of memory); here it is reported as past the bounds,
/// never clamped into a different result and never allocated.
pub fn check_built(n: usize) -> Result<(), Error> {
    if n > MAX_EMITTED {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            OUTPUT_LIMIT_MESSAGE,
        ));
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

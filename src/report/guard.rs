//! No workflow-command injection: under GitHub Actions every line the tool
//! prints passes through here, so template text, file names and messages from
//! a pull request can never become a runner command.
//!
//! What the runner executes (actions/runner `ActionCommand.TryParseV2` and
//! `TryParse`, fed by `ProcessInvoker`, which reads stdout and stderr with
//! .NET `StreamReader.ReadLine`):
//! - lines end at `\n`, `\r` or `\r\n` — a bare CR starts a new line;
//! - a line is a command when, after `TrimStart()` (all Unicode white space),
//!   it starts with `::` (`::error::x`, `::stop-commands::tok`, …);
//! - the legacy form `##[command]` is found *anywhere* in a line;
//! - both searches use culture-sensitive .NET string comparison, which skips
//!   "ignorable" characters such as U+200B, so `:\u{200B}:error::` can still
//!   count as `::error::`. Invisible characters are therefore shown as
//!   `\u{…}` escapes rather than trusted to separate anything.
//!
//! Neutralising keeps the text readable: `##[` becomes `## [`, and a line
//! that would start with `::` gets a leading `\`.

use std::io::{self, Write};

/// Characters that are invisible or ignored by culture-sensitive comparison
/// (Unicode default-ignorable code points and format characters), plus
/// control characters other than TAB.
pub fn is_hidden(c: char) -> bool {
    c.is_control() && c != '\t'
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
            | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Show hidden characters as `\u{…}` escapes; CR and LF are kept when
/// `keep_breaks` (a command's data %-escapes them afterwards).
fn show_hidden(text: &str, keep_breaks: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_hidden(c) && !(keep_breaks && matches!(c, '\n' | '\r')) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Untrusted text that goes inside a workflow command we build (a message or
/// a property value): hidden characters shown, `##[` broken; line breaks are
/// left for the command's %-escaping.
pub fn inline(text: &str) -> String {
    break_legacy(&show_hidden(text, true))
}

/// Make one line (no line breaks expected; any are shown escaped) safe to
/// print under GitHub Actions.
pub fn line(text: &str) -> String {
    let mut out = break_legacy(&show_hidden(text, false));
    let trimmed = out.trim_start();
    if trimmed.starts_with("::") {
        let at = out.len() - trimmed.len();
        out.insert(at, '\\');
    }
    out
}

/// `##[` → `## [` everywhere (the runner's legacy command prefix).
pub fn break_legacy(text: &str) -> String {
    if !text.contains("##[") {
        return text.to_string();
    }
    text.replace("##[", "## [")
}

/// Make any text safe: split it into lines the way the runner does and guard
/// each; the result uses `\n` line ends only.
pub fn text(text: &str) -> String {
    split_lines(text)
        .into_iter()
        .map(line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Split at `\r\n`, `\r` or `\n`, like .NET's `ReadLine`.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines.push(&text[start..]);
    lines
}

/// Where a report is printed: a writer that, when `guard` is on, neutralises
/// every line written through `Write`, and lets only lines the report module
/// built itself from escaped parts through unchanged (`command`).
pub struct Out<'a> {
    inner: &'a mut dyn Write,
    guard: bool,
    partial: Vec<u8>,
    /// The last byte written was a CR (so a following LF ends nothing new).
    after_cr: bool,
}

impl<'a> Out<'a> {
    pub fn new(inner: &'a mut dyn Write, guard: bool) -> Self {
        Out {
            inner,
            guard,
            partial: Vec::new(),
            after_cr: false,
        }
    }

    /// Whether output is being guarded (we are under GitHub Actions).
    pub fn guarded(&self) -> bool {
        self.guard
    }

    /// Write one workflow command line built by `report::github` from escaped
    /// parts. It must be a single line.
    pub fn command(&mut self, line: &str) -> io::Result<()> {
        self.finish_partial()?;
        if line.contains(['\n', '\r']) {
            return Err(io::Error::other("a workflow command must be one line"));
        }
        self.inner.write_all(line.as_bytes())?;
        self.inner.write_all(b"\n")
    }

    fn emit_line(&mut self, raw: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(raw);
        self.inner.write_all(line(&text).as_bytes())?;
        self.inner.write_all(b"\n")
    }

    fn finish_partial(&mut self) -> io::Result<()> {
        if !self.partial.is_empty() {
            let raw = std::mem::take(&mut self.partial);
            self.emit_line(&raw)?;
        }
        Ok(())
    }
}

impl Write for Out<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.guard {
            return self.inner.write(buf);
        }
        for &b in buf {
            match b {
                b'\n' | b'\r' => {
                    // "\r\n" ends one line: the `\n` after a `\r` closes nothing new.
                    let raw = std::mem::take(&mut self.partial);
                    if b == b'\n' && raw.is_empty() && self.after_cr {
                        self.after_cr = false;
                        continue;
                    }
                    self.emit_line(&raw)?;
                    self.after_cr = b == b'\r';
                }
                _ => {
                    self.after_cr = false;
                    self.partial.push(b);
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.guard {
            self.finish_partial()?;
        }
        self.inner.flush()
    }
}

impl Drop for Out<'_> {
    fn drop(&mut self) {
        if self.guard {
            let _ = self.finish_partial();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn breaks_commands_and_legacy_prefixes() {
        assert_eq!(line("::error::x"), "\\::error::x");
        assert_eq!(line("  \u{3000}::warning::x"), "  \u{3000}\\::warning::x");
        assert_eq!(line("a ##[group]b"), "a ## [group]b");
        assert_eq!(line(":\u{200B}:error::x"), ":\\u{200b}:error::x");
        assert_eq!(line("plain: text"), "plain: text");
    }

    #[test]
    fn splits_like_readline() {
        assert_eq!(split_lines("a\r\nb\rc\nd"), vec!["a", "b", "c", "d"]);
        assert_eq!(text("x\r::error::y"), "x\n\\::error::y");
    }

    #[test]
    fn writer_guards_each_line_and_passes_commands() {
        let mut buf = Vec::new();
        {
            let mut out = Out::new(&mut buf, true);
            write!(out, "ok\r\n::error::bad\rtail").unwrap();
            out.command("::notice::mine").unwrap();
        }
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "ok\n\\::error::bad\ntail\n::notice::mine\n"
        );
    }
}

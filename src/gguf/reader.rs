//! The bounded byte reader under the GGUF metadata parser: little- or
//! big-endian scalars, length-prefixed strings and skips, each checked
//! against the file's size before anything is read or allocated.
//!
//! Layout facts (GGUF specification, ggml repository `docs/gguf.md`):
//! scalars are fixed-size and, from v3 on, may be big-endian (the whole file
//! then is); a string is a `uint64` byte length followed by that many UTF-8
//! bytes (v1 used `uint32` lengths; v1 is not read, see `mod.rs`); an array
//! is a `uint32` element type, a `uint64` count, then the elements.

use std::io::{BufReader, Read, Seek, SeekFrom};

use super::{Invalid, MAX_ARRAY_ELEMENTS};

/// A metadata value type (`gguf_metadata_value_type` in the specification).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    F32,
    Bool,
    String,
    Array,
    U64,
    I64,
    F64,
}

impl ValueType {
    /// The type with this number, if the specification defines one.
    pub fn from_code(code: u32) -> Option<ValueType> {
        Some(match code {
            0 => ValueType::U8,
            1 => ValueType::I8,
            2 => ValueType::U16,
            3 => ValueType::I16,
            4 => ValueType::U32,
            5 => ValueType::I32,
            6 => ValueType::F32,
            7 => ValueType::Bool,
            8 => ValueType::String,
            9 => ValueType::Array,
            10 => ValueType::U64,
            11 => ValueType::I64,
            12 => ValueType::F64,
            _ => return None,
        })
    }

    /// The size of one value in bytes; `None` for strings and arrays.
    pub fn fixed_size(self) -> Option<u64> {
        match self {
            ValueType::U8 | ValueType::I8 | ValueType::Bool => Some(1),
            ValueType::U16 | ValueType::I16 => Some(2),
            ValueType::U32 | ValueType::I32 | ValueType::F32 => Some(4),
            ValueType::U64 | ValueType::I64 | ValueType::F64 => Some(8),
            ValueType::String | ValueType::Array => None,
        }
    }

    /// The name ggml's `gguf_type_name` gives the type (`u32`, `str`, …).
    pub fn name(self) -> &'static str {
        match self {
            ValueType::U8 => "u8",
            ValueType::I8 => "i8",
            ValueType::U16 => "u16",
            ValueType::I16 => "i16",
            ValueType::U32 => "u32",
            ValueType::I32 => "i32",
            ValueType::F32 => "f32",
            ValueType::Bool => "bool",
            ValueType::String => "str",
            ValueType::Array => "arr",
            ValueType::U64 => "u64",
            ValueType::I64 => "i64",
            ValueType::F64 => "f64",
        }
    }
}

/// A position-tracking reader that never reads past `len`.
pub struct Reader<R> {
    inner: BufReader<R>,
    pos: u64,
    len: u64,
    pub big_endian: bool,
}

impl<R: Read + Seek> Reader<R> {
    pub fn new(inner: R, len: u64) -> Reader<R> {
        Reader {
            inner: BufReader::with_capacity(64 * 1024, inner),
            pos: 0,
            len,
            big_endian: false,
        }
    }

    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Bytes left before the end of the file.
    pub fn remaining(&self) -> u64 {
        self.len - self.pos
    }

    /// An error at the current position.
    pub fn invalid(&self, message: impl Into<String>) -> Invalid {
        Invalid::new(self.pos, message)
    }

    /// Fail (without reading) unless `n` more bytes exist.
    fn need(&self, n: u64, what: &str) -> Result<(), Invalid> {
        if n > self.remaining() {
            return Err(self.invalid(format!(
                "the file ends inside {what} ({n} bytes needed at byte {}, {} left): it is truncated",
                self.pos,
                self.remaining()
            )));
        }
        Ok(())
    }

    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Invalid> {
        self.need(N as u64, what)?;
        let mut buf = [0u8; N];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| self.invalid(format!("cannot read {what}: {e}")))?;
        self.pos += N as u64;
        Ok(buf)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, Invalid> {
        let b = self.array::<4>(what)?;
        Ok(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, Invalid> {
        let b = self.array::<8>(what)?;
        Ok(if self.big_endian {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        })
    }

    pub fn i32(&mut self, what: &str) -> Result<i32, Invalid> {
        self.u32(what).map(|v| v as i32)
    }

    /// A string's length prefix, checked against the bytes left.
    pub fn string_len(&mut self, what: &str) -> Result<u64, Invalid> {
        let at = self.pos;
        let len = self.u64(what)?;
        if len > self.remaining() {
            return Err(Invalid::new(
                at,
                format!(
                    "{what} claims {len} bytes at byte {at}, past the end of the file ({} bytes left)",
                    self.remaining()
                ),
            ));
        }
        Ok(len)
    }

    /// A whole string's bytes, at most `max` of them (longer is an error).
    pub fn string(&mut self, what: &str, max: u64) -> Result<Vec<u8>, Invalid> {
        let at = self.pos;
        let len = self.string_len(what)?;
        if len > max {
            return Err(Invalid::new(
                at,
                format!("{what} is {len} bytes, over the limit of {max}"),
            ));
        }
        self.bytes(len, what)
    }

    /// `len` raw bytes (the caller has checked `len` against the file size).
    pub fn bytes(&mut self, len: u64, what: &str) -> Result<Vec<u8>, Invalid> {
        let mut buf = Vec::new();
        self.read_into(&mut buf, len, what)?;
        Ok(buf)
    }

    /// `len` raw bytes into `buf` (cleared first), so a caller reading many
    /// short strings reuses one buffer.
    pub fn read_into(&mut self, buf: &mut Vec<u8>, len: u64, what: &str) -> Result<(), Invalid> {
        self.need(len, what)?;
        buf.clear();
        let read = (&mut self.inner).take(len).read_to_end(buf);
        match read {
            Ok(n) if n as u64 == len => {
                self.pos += len;
                Ok(())
            }
            Ok(_) => Err(self.invalid(format!("the file ends inside {what}: it is truncated"))),
            Err(e) => Err(self.invalid(format!("cannot read {what}: {e}"))),
        }
    }

    /// Move forward `n` bytes without reading them.
    pub fn skip(&mut self, n: u64, what: &str) -> Result<(), Invalid> {
        self.need(n, what)?;
        let step = i64::try_from(n).map_err(|_| self.invalid(format!("{what} is too large")))?;
        self.inner
            .seek_relative(step)
            .map_err(|e| self.invalid(format!("cannot seek past {what}: {e}")))?;
        self.pos += n;
        Ok(())
    }

    /// Jump to an absolute position inside the file.
    pub fn seek_to(&mut self, pos: u64) -> Result<(), Invalid> {
        if pos > self.len {
            return Err(self.invalid(format!("offset {pos} is past the end of the file")));
        }
        self.inner
            .seek(SeekFrom::Start(pos))
            .map_err(|e| self.invalid(format!("cannot seek to byte {pos}: {e}")))?;
        self.pos = pos;
        Ok(())
    }

    /// A value type code, as the specification numbers them.
    pub fn value_type(&mut self, what: &str) -> Result<ValueType, Invalid> {
        let at = self.pos;
        let code = self.u32(what)?;
        ValueType::from_code(code)
            .ok_or_else(|| Invalid::new(at, format!("{what} has the unknown value type {code}")))
    }

    /// An array header: element type and count. The count is checked
    /// against what the rest of the file could hold (every element takes at
    /// least one byte; a string at least its 8-byte length) before any
    /// element is touched, so a count of 2^60 fails here, at once.
    pub fn array_header(&mut self, what: &str) -> Result<(ValueType, u64), Invalid> {
        let elem = self.value_type(what)?;
        let at = self.pos;
        let count = self.u64(what)?;
        if elem == ValueType::Array {
            // ggml's `gguf_init_from_reader` rejects arrays of arrays.
            return Err(Invalid::new(
                at,
                format!("{what} is an array of arrays, which llama.cpp rejects"),
            ));
        }
        let min = elem.fixed_size().unwrap_or(8);
        if count > MAX_ARRAY_ELEMENTS || count.saturating_mul(min) > self.remaining() {
            return Err(Invalid::new(
                at,
                format!(
                    "{what} claims {count} elements, more than the rest of the file ({} bytes) can hold",
                    self.remaining()
                ),
            ));
        }
        Ok((elem, count))
    }

    /// Skip one value of type `ty` (an array's elements included).
    pub fn skip_value(&mut self, ty: ValueType, what: &str) -> Result<(), Invalid> {
        match ty.fixed_size() {
            Some(n) => self.skip(n, what),
            None if ty == ValueType::String => {
                let len = self.string_len(what)?;
                self.skip(len, what)
            }
            None => {
                let (elem, count) = self.array_header(what)?;
                match elem.fixed_size() {
                    Some(n) => self.skip(n * count, what),
                    None => {
                        for _ in 0..count {
                            let len = self.string_len(what)?;
                            self.skip(len, what)?;
                        }
                        Ok(())
                    }
                }
            }
        }
    }
}

//! Writing GGUF files byte by byte from the specification (ggml
//! `docs/gguf.md`), for the GGUF tests: a header (`GGUF`, version, tensor
//! count, key/value count) and key/values, little-endian unless asked.
//! Values are written exactly as the spec lays them out, so tests can also
//! write broken files (a wrong count, a cut-off string) on purpose.
#![allow(dead_code, clippy::unwrap_used)]

/// Value type codes (`gguf_metadata_value_type`).
pub const U8: u32 = 0;
pub const U16: u32 = 2;
pub const U32: u32 = 4;
pub const I32: u32 = 5;
pub const BOOL: u32 = 7;
pub const STRING: u32 = 8;
pub const ARRAY: u32 = 9;

/// A GGUF file under construction.
#[derive(Clone, Debug)]
pub struct Gguf {
    pub version: u32,
    pub big_endian: bool,
    pub tensor_count: u64,
    /// Overrides the key/value count written in the header.
    pub kv_count: Option<u64>,
    kvs: Vec<Vec<u8>>,
    /// Bytes written after the metadata (stand-in tensor infos and data).
    pub tail: Vec<u8>,
}

impl Default for Gguf {
    fn default() -> Self {
        Gguf {
            version: 3,
            big_endian: false,
            tensor_count: 0,
            kv_count: None,
            kvs: Vec::new(),
            tail: Vec::new(),
        }
    }
}

impl Gguf {
    pub fn new() -> Gguf {
        Gguf::default()
    }

    /// A big-endian file (v3): set before any key is added, as every value
    /// is encoded when it is added.
    pub fn big_endian() -> Gguf {
        Gguf {
            big_endian: true,
            ..Gguf::default()
        }
    }

    fn u32b(&self, v: u32) -> [u8; 4] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    fn u64b(&self, v: u64) -> [u8; 8] {
        if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }

    /// A `gguf_string_t`: u64 length, then the bytes.
    pub fn string_bytes(&self, s: &[u8]) -> Vec<u8> {
        let mut out = self.u64b(s.len() as u64).to_vec();
        out.extend_from_slice(s);
        out
    }

    /// A key/value with a raw, already encoded value of type `ty`.
    pub fn raw(mut self, key: &str, ty: u32, value: Vec<u8>) -> Gguf {
        let mut kv = self.string_bytes(key.as_bytes());
        kv.extend_from_slice(&self.u32b(ty));
        kv.extend(value);
        self.kvs.push(kv);
        self
    }

    pub fn string(self, key: &str, value: &str) -> Gguf {
        let v = self.string_bytes(value.as_bytes());
        self.raw(key, STRING, v)
    }

    pub fn u32(self, key: &str, value: u32) -> Gguf {
        let v = self.u32b(value).to_vec();
        self.raw(key, U32, v)
    }

    pub fn bool(self, key: &str, value: bool) -> Gguf {
        self.raw(key, BOOL, vec![u8::from(value)])
    }

    /// An array header (element type, u64 count) followed by `elements`.
    pub fn array(self, key: &str, elem: u32, count: u64, elements: Vec<u8>) -> Gguf {
        let mut v = self.u32b(elem).to_vec();
        v.extend_from_slice(&self.u64b(count));
        v.extend(elements);
        self.raw(key, ARRAY, v)
    }

    pub fn strings(self, key: &str, items: &[&str]) -> Gguf {
        let elements: Vec<u8> = items
            .iter()
            .flat_map(|s| self.string_bytes(s.as_bytes()))
            .collect();
        self.array(key, STRING, items.len() as u64, elements)
    }

    pub fn i32s(self, key: &str, items: &[i32]) -> Gguf {
        let elements: Vec<u8> = items.iter().flat_map(|v| self.u32b(*v as u32)).collect();
        self.array(key, I32, items.len() as u64, elements)
    }

    /// A typical chat model's tokenizer keys: `tokens` as the vocabulary,
    /// with bos/eos ids.
    pub fn vocab(self, tokens: &[&str], bos: u32, eos: u32) -> Gguf {
        self.string("tokenizer.ggml.model", "gpt2")
            .strings("tokenizer.ggml.tokens", tokens)
            .u32("tokenizer.ggml.bos_token_id", bos)
            .u32("tokenizer.ggml.eos_token_id", eos)
    }

    /// The file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&self.u32b(self.version));
        out.extend_from_slice(&self.u64b(self.tensor_count));
        out.extend_from_slice(&self.u64b(self.kv_count.unwrap_or(self.kvs.len() as u64)));
        for kv in &self.kvs {
            out.extend_from_slice(kv);
        }
        out.extend_from_slice(&self.tail);
        out
    }

    /// Write the file at `path`.
    pub fn write(&self, path: &std::path::Path) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, self.bytes()).unwrap();
    }
}

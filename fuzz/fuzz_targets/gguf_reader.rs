//! The GGUF metadata reader and the vocabulary reader on arbitrary bytes:
//! errors at an offset inside the file, never a panic, an allocation sized
//! by a claimed count, or a hang.
#![no_main]

use std::io::Cursor;

use chat_template_lint::gguf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let len = data.len() as u64;
    match gguf::read_from(Cursor::new(data), len) {
        Ok(meta) => {
            if let Err(e) = gguf::vocab::read_from(Cursor::new(data), &meta) {
                assert!(e.offset <= len, "vocab error past the end: {e:?}");
            }
        }
        Err(gguf::ReadError::Invalid(e)) => assert!(e.offset <= len, "error past the end: {e:?}"),
        Err(_) => {}
    }
});

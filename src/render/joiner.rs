//! jinja2's `joiner(sep=", ")` global: a callable that returns "" the first
//! time and `sep` after that.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use minijinja::value::{from_args, Object, Value};
use minijinja::{Error, State};

#[derive(Debug)]
pub struct Joiner {
    sep: String,
    used: AtomicBool,
}

impl Object for Joiner {
    fn call(self: &Arc<Self>, _state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let () = from_args(args)?;
        Ok(Value::from(if self.used.swap(true, Ordering::Relaxed) {
            self.sep.as_str()
        } else {
            ""
        }))
    }
}

/// The `joiner` global.
pub fn joiner(sep: Option<String>) -> Value {
    Value::from_object(Joiner {
        sep: sep.unwrap_or_else(|| ", ".into()),
        used: AtomicBool::new(false),
    })
}

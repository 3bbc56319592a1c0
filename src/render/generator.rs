//! Python generators: what jinja2's `map`, `select`, `reject`,
//! `selectattr`, `rejectattr` and `unique` filters return.
//!
//! A generator is iterable once (a second loop over it sees nothing), has no
//! `len()` (`| length` raises TypeError), cannot be indexed, is always true
//! (even when empty), is not a sequence, and `tojson` refuses it ("Object of
//! type generator is not JSON serializable"). minijinja's filters return
//! sequences instead; wrapping their result in `Generator` restores Python's
//! behaviour for every template at once.

use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

#[derive(Debug)]
pub struct Generator {
    /// The items not consumed yet; `None` once iteration has started.
    items: Mutex<Option<Vec<Value>>>,
    /// Built over something Python cannot iterate: consuming it raises.
    broken: bool,
}

impl Generator {
    pub fn make(items: Vec<Value>) -> Value {
        Value::from_object(Generator {
            items: Mutex::new(Some(items)),
            broken: false,
        })
    }

    /// A generator whose first `next()` raises TypeError.
    pub fn broken() -> Value {
        Value::from_object(Generator {
            items: Mutex::new(None),
            broken: true,
        })
    }

    fn take(&self) -> Vec<Value> {
        match self.items.lock() {
            Ok(mut g) => g.take().unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }
}

impl Object for Generator {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        if self.broken {
            return Enumerator::NonEnumerable;
        }
        Enumerator::Iter(Box::new(self.take().into_iter()))
    }

    /// Unknown without consuming it (Python generators have no `len()`).
    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        None
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<generator object>")
    }
}

/// Whether `v` is a Python generator.
pub fn is_generator(v: &Value) -> bool {
    v.downcast_object_ref::<Generator>().is_some()
}

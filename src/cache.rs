//! Work keyed by content, done once per run: a template text is compiled
//! once, and its probes rendered (with the capabilities read off the renders)
//! once per distinct `(template text, template variables)` — the clock is one
//! per run. A training run's `checkpoint-N/` folders hold the same template
//! and tokens byte for byte, so a tree of 10,000 of them renders a few dozen
//! times instead of 10,000.
//!
//! Workers are never serialized by the cache: the map is split in shards, a
//! shard's lock is held only to find or insert a key's slot, and the work
//! itself runs in the slot's `OnceLock` (two workers wanting the same key wait
//! for one render; workers on other keys do not wait). A key is kept from its
//! second sighting on, so templates seen once (a corpus of distinct models)
//! cost no memory after their folder; what is kept is bounded (`BUDGET`, by
//! an estimate of the compiled template and renders): past it, new keys are
//! worked out for their one caller and not kept. Memory does not grow with
//! the number of folders, nor past the budget with distinct templates. The output does not depend on the
//! cache: renders are pure functions of their key (`check --no-cache`
//! computes everything per folder, and tests compare the two).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde_json::{Map, Value};

use crate::capabilities::{detect as detect_capabilities, Capability};
use crate::probes::{render_probes, Renders};
use crate::render::{compile, CompileError, Compiled};

/// How many bytes of template and render text the cache keeps at most.
const BUDGET: usize = 64 << 20;
/// Shards of each map: more than the workers, so two rarely share a lock.
const SHARDS: usize = 16;

/// A template compiled, or why it did not compile.
pub type CompileResult = Result<Compiled, CompileError>;

/// A template's probe renders and the capabilities they show.
#[derive(Debug, Default)]
pub struct Rendered {
    /// Empty when the template did not compile, or no running rule needs renders.
    pub renders: Renders,
    pub capabilities: Vec<Capability>,
}

/// Everything the pipeline works out about one template text with one set
/// of variables.
#[derive(Debug)]
pub struct Work {
    pub compiled: Arc<CompileResult>,
    pub rendered: Arc<Rendered>,
}

/// The run's cache (or, disabled, a pass-through that computes every call).
#[derive(Debug)]
pub struct WorkCache {
    enabled: bool,
    /// Render the probes (some running rule or the report needs them).
    render: bool,
    now: chrono::NaiveDateTime,
    compiled: Sharded<String, CompileResult>,
    rendered: Sharded<(String, String), Rendered>,
    kept: AtomicUsize,
    /// File texts the report keeps, one copy per distinct content (the
    /// checkpoints of a run hold byte-identical configs).
    texts: Vec<Mutex<HashMap<u64, Vec<Arc<str>>>>>,
}

impl WorkCache {
    pub fn new(enabled: bool, render: bool, now: chrono::NaiveDateTime) -> WorkCache {
        WorkCache {
            enabled,
            render,
            now,
            compiled: Sharded::default(),
            rendered: Sharded::default(),
            kept: AtomicUsize::new(0),
            texts: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    /// `text`, shared with every other file of the run with the same content.
    pub fn intern(&self, text: &str) -> Arc<str> {
        let hash = hash_of(&text);
        let shard = &self.texts[(hash % SHARDS as u64) as usize];
        let mut texts = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let same = texts.entry(hash).or_default();
        if let Some(known) = same.iter().find(|t| ***t == *text) {
            return Arc::clone(known);
        }
        let new: Arc<str> = Arc::from(text);
        same.push(Arc::clone(&new));
        new
    }

    /// `text` compiled.
    pub fn compile(&self, text: &str) -> Arc<CompileResult> {
        // A compiled template weighs about ten times its text (measured
        // on the corpus: 18 MB for 598 templates).
        self.get(&self.compiled, text.to_string(), 10 * text.len(), || {
            compile(text)
        })
    }

    /// `text` compiled, and (when the run renders) rendered on every probe
    /// with `vars` and the run's clock.
    pub fn work(&self, text: &str, vars: &Map<String, Value>) -> Work {
        let compiled = self.compile(text);
        let render = || match compiled.as_ref() {
            Ok(c) if self.render => {
                let renders = render_probes(c, vars, self.now);
                let capabilities = detect_capabilities(&renders, text);
                Rendered {
                    renders,
                    capabilities,
                }
            }
            Ok(_) | Err(_) => Rendered::default(),
        };
        // serde_json's `Map` keeps insertion order (`preserve_order`): the
        // same variables in another order are another key, which only costs a render.
        let key = (text.to_string(), Value::Object(vars.clone()).to_string());
        // Its renders weigh about ten times the template too.
        let size = 10 * key.0.len() + key.1.len();
        let rendered = self.get(&self.rendered, key, size, render);
        Work { compiled, rendered }
    }

    /// The value of `key` in `map`, computed by `make`. A key is kept from
    /// its second sighting on: a template seen once (most of a corpus of
    /// distinct models) leaves nothing behind after its folder, and a shared
    /// one is worked out twice in all instead of once per folder.
    fn get<K: Hash + Eq, V>(
        &self,
        map: &Sharded<K, V>,
        key: K,
        size: usize,
        make: impl FnOnce() -> V,
    ) -> Arc<V> {
        if !self.enabled {
            return Arc::new(make());
        }
        let hash = hash_of(&key);
        let shard = &map.shards[(hash % SHARDS as u64) as usize];
        let slot = {
            let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(slot) = shard.slots.get(&key) {
                Arc::clone(slot)
            } else if shard.seen.insert(hash) || self.kept.load(Ordering::Relaxed) + size > BUDGET {
                drop(shard);
                return Arc::new(make());
            } else {
                self.kept.fetch_add(size, Ordering::Relaxed);
                let slot = Arc::new(OnceLock::new());
                shard.slots.insert(key, Arc::clone(&slot));
                slot
            }
        };
        // The shard lock is released: only workers wanting this key wait here.
        Arc::clone(slot.get_or_init(|| Arc::new(make())))
    }
}

type Slot<V> = Arc<OnceLock<Arc<V>>>;

#[derive(Debug)]
struct Sharded<K, V> {
    shards: Vec<Mutex<Shard<K, V>>>,
}

#[derive(Debug)]
struct Shard<K, V> {
    slots: HashMap<K, Slot<V>>,
    /// Hashes of the keys seen once (and not kept).
    seen: HashSet<u64>,
}

impl<K, V> Default for Sharded<K, V> {
    fn default() -> Self {
        Sharded {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        slots: HashMap::new(),
                        seen: HashSet::new(),
                    })
                })
                .collect(),
        }
    }
}

fn hash_of<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Map<String, Value> {
        let mut v = Map::new();
        v.insert("eos_token".into(), Value::String("</s>".into()));
        v
    }

    #[test]
    fn a_key_seen_again_is_worked_out_once_more_and_shared() {
        let cache = WorkCache::new(true, true, crate::render::default_now());
        let text = "{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}";
        let first = cache.work(text, &vars());
        let a = cache.work(text, &vars());
        let b = cache.work(text, &vars());
        assert!(
            !Arc::ptr_eq(&first.rendered, &a.rendered),
            "kept from the second sighting"
        );
        assert!(Arc::ptr_eq(&a.rendered, &b.rendered));
        assert!(Arc::ptr_eq(&a.compiled, &b.compiled));
        assert!(a.rendered.renders.count() > 0);
        cache.work(text, &Map::new());
        let other = cache.work(text, &Map::new());
        assert!(
            !Arc::ptr_eq(&a.rendered, &other.rendered),
            "other variables"
        );
        assert!(
            Arc::ptr_eq(&a.compiled, &other.compiled),
            "one compile per text"
        );
    }

    #[test]
    fn equal_texts_are_kept_once() {
        let cache = WorkCache::new(true, false, crate::render::default_now());
        let (one, other) = (String::from("{\"x\": 1}"), String::from("{\"x\": 1}"));
        let a = cache.intern(&one);
        let b = cache.intern(&other);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &cache.intern("{}")));
    }

    #[test]
    fn disabled_computes_every_call() {
        let cache = WorkCache::new(false, true, crate::render::default_now());
        let a = cache.work("{{ messages }}", &vars());
        let b = cache.work("{{ messages }}", &vars());
        assert!(!Arc::ptr_eq(&a.rendered, &b.rendered));
        assert_eq!(
            a.rendered.renders.ok(crate::probes::ProbeId::User, false),
            b.rendered.renders.ok(crate::probes::ProbeId::User, false)
        );
    }

    #[test]
    fn a_template_that_does_not_compile_has_no_renders() {
        let cache = WorkCache::new(true, true, crate::render::default_now());
        let work = cache.work("{% if %}", &vars());
        assert!(work.compiled.is_err());
        assert_eq!(work.rendered.renders.count(), 0);
    }
}

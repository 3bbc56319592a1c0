//! Which tokens stop generation, runtime by runtime. They do not agree, so
//! `eos-mismatch` judges a closer against each of them (their source):
//!
//! - transformers `generate()` / `pipeline()`: only the generation config's
//!   `eos_token_id` (`GenerationMixin._prepare_special_tokens` reads
//!   `generation_config.eos_token_id`; the model's generation config is
//!   generation_config.json, else `GenerationConfig.from_model_config` of
//!   config.json). The tokenizer's `eos_token` plays no part: open-r1 PR #663
//!   (set `eos_token` to `<|im_end|>`, generation_config still said
//!   `<|endoftext|>`: unbounded generations in `pipeline()`).
//! - vLLM: the tokenizer's eos plus every generation-config id
//!   (`SamplingParams.update_from_generation_config` adds the config's
//!   `eos_token_id`s to the stop ids next to the tokenizer's
//!   `eos_token_id`; `try_get_generation_config` reads generation_config.json,
//!   else builds one from config.json).
//! - TGI: the tokenizer's eos, replaced by generation_config.json's
//!   `eos_token_id` only when that is a list (`FlashCausalLM.__init__` sets
//!   `tokenizer._eos_token_ids` for a list; `StoppingCriteria.from_pb` uses
//!   it, else `tokenizer.eos_token_id`). config.json is never read for it:
//!   `GenerationConfig.from_pretrained` fails without the file.

use std::collections::BTreeMap;

use crate::load::GenerationStops;

/// A serving or generation runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Transformers,
    Vllm,
    Tgi,
}

impl Runtime {
    pub const ALL: [Runtime; 3] = [Runtime::Transformers, Runtime::Vllm, Runtime::Tgi];

    pub fn label(self) -> &'static str {
        match self {
            Runtime::Transformers => "transformers generate()",
            Runtime::Vllm => "vLLM",
            Runtime::Tgi => "TGI",
        }
    }
}

/// What a folder says about stopping: the tokenizer's eos, the generation
/// config's ids and the id → text table to read them with.
pub struct StopFacts<'a> {
    pub eos: Option<&'a str>,
    pub generation: &'a GenerationStops,
    pub added: &'a BTreeMap<u32, String>,
}

impl StopFacts<'_> {
    /// Whether `runtime` stops on `closer`: `None` when the ids cannot be
    /// read as text (an id missing from the token table may be the closer).
    pub fn stops(&self, runtime: Runtime, closer: &str) -> Option<bool> {
        let by_ids = || {
            let texts: Vec<Option<&str>> = self
                .generation
                .ids
                .iter()
                .map(|id| self.added.get(id).map(String::as_str))
                .collect();
            if texts.contains(&Some(closer)) {
                Some(true)
            } else if texts.contains(&None) {
                None
            } else {
                Some(false)
            }
        };
        let by_eos = || self.eos.map(|e| e == closer);
        match runtime {
            Runtime::Transformers => by_ids(),
            Runtime::Vllm => match by_eos() {
                Some(true) => Some(true),
                _ => by_ids(),
            },
            Runtime::Tgi if self.generation.from_generation_config && self.generation.listed => {
                by_ids()
            }
            Runtime::Tgi => by_eos(),
        }
    }

    /// `eos_token` and the generation config's ids, for messages.
    pub fn describe(&self) -> String {
        let eos = match self.eos {
            Some(e) => format!("`eos_token` is `{e}`"),
            None => "no `eos_token`".to_string(),
        };
        let file = if self.generation.from_generation_config {
            "generation_config.json"
        } else {
            "config.json"
        };
        if self.generation.ids.is_empty() {
            return format!("{eos}, and {file} gives no `eos_token_id`");
        }
        let listed: Vec<String> = self
            .generation
            .ids
            .iter()
            .map(|id| match self.added.get(id) {
                Some(text) => format!("{id} (`{text}`)"),
                None => id.to_string(),
            })
            .collect();
        let shape = if self.generation.listed {
            format!("[{}]", listed.join(", "))
        } else {
            listed.join(", ")
        };
        format!("{eos}, and {file}'s `eos_token_id` is {shape}")
    }
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(
        eos: Option<&'a str>,
        generation: &'a GenerationStops,
        added: &'a BTreeMap<u32, String>,
    ) -> StopFacts<'a> {
        StopFacts {
            eos,
            generation,
            added,
        }
    }

    #[test]
    fn each_runtime_has_its_own_stop_set() {
        let added: BTreeMap<u32, String> = [(1, "<|endoftext|>"), (2, "<|im_end|>")]
            .into_iter()
            .map(|(id, t)| (id, t.to_string()))
            .collect();
        // open-r1 #663: eos_token changed, generation config not.
        let gen = GenerationStops {
            ids: vec![1],
            from_generation_config: true,
            listed: false,
        };
        let f = facts(Some("<|im_end|>"), &gen, &added);
        assert_eq!(f.stops(Runtime::Transformers, "<|im_end|>"), Some(false));
        assert_eq!(f.stops(Runtime::Vllm, "<|im_end|>"), Some(true));
        assert_eq!(f.stops(Runtime::Tgi, "<|im_end|>"), Some(true));
        // An int id in generation_config.json: TGI keeps the tokenizer's eos.
        let f = facts(Some("<|endoftext|>"), &gen, &added);
        let gen2 = GenerationStops {
            ids: vec![2],
            ..gen.clone()
        };
        let f2 = facts(Some("<|endoftext|>"), &gen2, &added);
        assert_eq!(f.stops(Runtime::Vllm, "<|im_end|>"), Some(false));
        assert_eq!(f2.stops(Runtime::Transformers, "<|im_end|>"), Some(true));
        assert_eq!(f2.stops(Runtime::Tgi, "<|im_end|>"), Some(false));
        let listed = GenerationStops {
            listed: true,
            ..gen2
        };
        assert_eq!(
            facts(Some("<|endoftext|>"), &listed, &added).stops(Runtime::Tgi, "<|im_end|>"),
            Some(true)
        );
        // An id the token table does not know may be the closer.
        let unknown = GenerationStops {
            ids: vec![9],
            ..gen
        };
        assert_eq!(
            facts(None, &unknown, &added).stops(Runtime::Transformers, "<|im_end|>"),
            None
        );
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}

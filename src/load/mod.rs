//! Loading a model folder: read its JSON and `.jinja` files, resolve which
//! chat templates transformers would use, and collect the tokenizer facts the
//! rules need. Problems in the files become `config-invalid` findings; the
//! folder (and the rest of the repo) is still checked.
//!
//! Only `discover` and this module read files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::finding::Finding;

mod offsets;

pub use offsets::{decode_string, DecodedString, OffsetMap};

/// Which file a template came from. Order = the precedence used here (see
/// `folder.rs` for the transformers facts): the `.jinja` files replace the
/// others wholesale; else a processor's `chat_template.json`; else
/// `tokenizer_config.json`'s key. A loose `.jinja` file counts as `JinjaFile`,
/// a loose JSON file as `TokenizerConfig`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// `chat_template.jinja` (the default template).
    JinjaFile,
    /// `additional_chat_templates/<name>.jinja`.
    AdditionalJinja,
    /// A processor's `chat_template.json` (`{"chat_template": ...}`).
    ChatTemplateJson,
    /// The `chat_template` key of `tokenizer_config.json`.
    TokenizerConfig,
    /// `tokenizer.chat_template` (or `.<name>`) in a GGUF file's metadata.
    Gguf,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::JinjaFile => "chat_template.jinja",
            Origin::AdditionalJinja => "additional_chat_templates/",
            Origin::ChatTemplateJson => "chat_template.json",
            Origin::TokenizerConfig => "tokenizer_config.json `chat_template`",
            Origin::Gguf => "GGUF `tokenizer.chat_template`",
        }
    }
}

/// One chat template, as text, with where it lives.
#[derive(Clone, Debug)]
pub struct Template {
    /// `default` for the main template, else its name (`tool_use`, `rag`, …).
    pub name: String,
    /// The decoded template source (JSON escapes resolved).
    pub text: String,
    pub origin: Origin,
    /// The file, relative to the scan root, `/`-separated.
    pub path: String,
    /// Maps byte offsets in `text` to byte offsets in the file.
    pub offsets: OffsetMap,
}

/// A file's text, kept for computing line/column and code frames when printing.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Relative to the scan root, `/`-separated.
    pub path: String,
    pub text: String,
}

/// What the tokenizer files say, as far as the rules need it.
#[derive(Clone, Debug, Default)]
pub struct TokenizerInfo {
    /// `add_bos_token` from tokenizer_config.json, when present.
    pub add_bos_token: Option<bool>,
    /// Whether tokenizer.json's post-processor adds the BOS token (None: unknown / no tokenizer.json).
    pub post_processor_adds_bos: Option<bool>,
    /// id → content of added/special tokens (`added_tokens_decoder`, tokenizer.json
    /// `added_tokens`, and control-shaped `model.vocab` entries).
    pub added_tokens: BTreeMap<u32, String>,
    /// The generation config's stop ids: `eos_token_id` (int or list) of
    /// generation_config.json, else of config.json; `None` when the folder has
    /// neither (the generation config lives elsewhere, e.g. an adapter's base model).
    pub generation_eos_ids: Option<GenerationStops>,
    /// The folder holds `adapter_config.json`: a PEFT adapter, served on top
    /// of a base model whose generation config decides when generation stops.
    pub adapter: bool,
    /// The generation config that decides the stop ids exists but is
    /// broken (its `config-invalid` finding says `eos-mismatch` did not run).
    pub stops_unknown: bool,
    /// Whether the folder holds enough vocabulary information to say a token is unknown.
    pub has_vocab_info: bool,
    /// Other tokens known to be single tokens in the vocabulary (e.g. from
    /// `additional_special_tokens`, or looked up in tokenizer.json's vocab).
    pub known_tokens: std::collections::BTreeSet<String>,
    /// Tokens marked special (`"special": true`, `additional_special_tokens`,
    /// the special-token keys): their shapes say what a control token looks like here.
    pub special_tokens: std::collections::BTreeSet<String>,
}

/// The `eos_token_id` of a folder's generation config, and where it was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenerationStops {
    /// The ids, in file order (an int is one id).
    pub ids: Vec<u32>,
    /// Read from generation_config.json; `false`: derived from config.json
    /// (`GenerationConfig.from_model_config`), which only transformers and
    /// vLLM do.
    pub from_generation_config: bool,
    /// Written as a list. TGI replaces the tokenizer's eos with these ids
    /// only when generation_config.json lists them.
    pub listed: bool,
}

/// Which runtime reads the model's templates: the rules follow its semantics
/// (stop tokens, BOS handling).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Runtime {
    /// transformers, from the Hugging Face files.
    #[default]
    Transformers,
    /// llama.cpp (and the apps built on it), from a GGUF file.
    LlamaCpp,
}

/// A model folder with everything read from it.
#[derive(Clone, Debug, Default)]
pub struct LoadedModel {
    /// The folder, as a path the process can open.
    pub dir: PathBuf,
    /// The folder relative to the scan root, `/`-separated (`.` for the root).
    pub rel_dir: String,
    /// A loose template file checked on its own (`dir` and `rel_dir` are then
    /// the file), not a model folder.
    pub loose: bool,
    /// The templates transformers would use, in precedence order, one per name.
    pub templates: Vec<Template>,
    /// Templates transformers ignores: every template of a lower-precedence
    /// source (the `.jinja` files replace the config key wholesale, even for
    /// names they do not define), and earlier duplicates of a name (for
    /// `template-sources-disagree`).
    pub shadowed: Vec<Template>,
    /// Special tokens as template variables (`bos_token` → `<s>`), in
    /// transformers' order.
    pub special_tokens: BTreeMap<String, String>,
    pub tokenizer: TokenizerInfo,
    /// `tokenizer_config.json` exists (and parsed) in this folder.
    pub has_tokenizer_config: bool,
    /// The folder holds `preprocessor_config.json` or `processor_config.json`:
    /// a multimodal model, whose processor renders `chat_template.json`,
    /// `chat_template.jinja` and `additional_chat_templates/` with content as
    /// lists of parts.
    pub processor: bool,
    /// Path of tokenizer_config.json relative to the scan root, if present.
    pub tokenizer_config_path: Option<String>,
    /// Files read, for line/column computation when printing.
    pub sources: Vec<SourceFile>,
    /// Problems found while loading (`config-invalid`).
    pub findings: Vec<Finding>,
    /// Who reads the templates (a GGUF file's model is `LlamaCpp`).
    pub runtime: Runtime,
    /// The folder's GGUF model files, each a model of its own (`dir` and
    /// `rel_dir` are then the file); empty inside one.
    pub ggufs: Vec<LoadedModel>,
    /// For a GGUF file's model: the templates its folder has that
    /// transformers ignores (`shadowed`), to tell a GGUF converted from a
    /// stale source.
    pub folder_shadowed: Vec<Template>,
}

/// What `load_with` reads besides the templates and special tokens.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The tokenizer facts (`TokenizerInfo`): tokenizer.json,
    /// generation_config.json, config.json. Only some rules need them.
    pub tokenizer: bool,
    /// tokenizer.json files parsed so far in the run, shared by the folders
    /// that hold the same one; `None` parses each file on its own.
    pub tokenizers: Option<std::sync::Arc<TokenizerCache>>,
}

impl Default for LoadOptions {
    /// Everything.
    fn default() -> Self {
        LoadOptions {
            tokenizer: true,
            tokenizers: None,
        }
    }
}

mod folder;
mod gguf;
pub mod json;
mod key;
mod read;
pub mod tokenizer;
mod tokenizer_cache;

pub use folder::{load, load_with, SPECIAL_TOKEN_KEYS};
pub use gguf::{is_gguf_name, load_one as load_gguf};
pub use read::{LFS_POINTER, MAX_FILE_BYTES};
pub use tokenizer_cache::TokenizerCache;

/// The text of file `name` in `model`'s folder (read with the same limits
/// as every other file), for `fix`, which edits files the rules read only
/// as facts (generation_config.json, config.json). `None` when it is
/// missing or unusable.
pub fn read_folder_file(model: &LoadedModel, name: &str) -> Option<String> {
    if model.loose {
        return None;
    }
    let mut scratch = LoadedModel::default();
    let display = crate::discover::join_rel(&model.rel_dir, name);
    read::read_text(&mut scratch, &model.dir.join(name), &display).map(|t| t.text)
}

//! `config-invalid`: a config or template file cannot be used.
//!
//! The findings are made while loading (`load::read`, `load::folder`): only
//! loading reads files. This file holds the rule's docs.

use super::RuleDocs;

pub(super) const DOCS: RuleDocs = RuleDocs {
    summary:
        "A config file is not valid JSON, not UTF-8, or its `chat_template` has the wrong type.",
    what_it_does: "Reports a `tokenizer_config.json`, `chat_template.json`, \
`special_tokens_map.json`, `tokenizer.json`, `generation_config.json`, `config.json` or template \
file that cannot be loaded: invalid JSON (at the line and column of the error, also a number out of \
range such as `1e400` or nesting past 128 levels), bytes that are not UTF-8, an empty file, a Git \
LFS pointer checked out instead of the file, a file over the size limit (32 MB; 256 MB for \
tokenizer.json), a path that is not a regular file (a FIFO, a device, a folder), or a \
`chat_template` that is neither a string nor a list of `{\"name\", \"template\"}` objects. When a \
broken file is the input of another rule (`eos-mismatch` reads the generation config, \
`double-bos` and `unknown-special-token` tokenizer.json), the message says that rule did not run \
on it. A path the walk cannot look into (a folder it may not enter, a path longer than the OS \
allows, a dangling link with a name the tool reads) is reported too: a run never reads as clean \
where it did not look. The rest of the folder, and every other folder, is still checked.",
    why_bad: "`AutoTokenizer.from_pretrained` fails on these files (or, for an empty template, \
silently renders empty prompts), so training or serving breaks at load time — often only on the \
machine that deploys, because a CI checkout without Git LFS sees pointer files where the configs \
should be.",
    example: "tokenizer_config.json:\n  {\n    \"chat_template\": \"{% for m in messages %}...\",\n    \
\"eos_token\": \"</s>\",   <- trailing comma: not JSON\n  }",
    how_to_fix: "Fix the JSON at the reported position and re-save the file as UTF-8. For a Git LFS \
pointer run `git lfs pull`, or set `lfs: true` on `actions/checkout`. Write `chat_template` as a \
string, or as `[{\"name\": \"default\", \"template\": \"...\"}, ...]`.",
};

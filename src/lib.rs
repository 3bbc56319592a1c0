//! chat-template-lint: find the chat templates of language models, render
//! them exactly as transformers does, and report what is broken.
//!
//! The pipeline (see `check`): `discover` → `load` → `render` (+ `probes`) →
//! `rules` → `resolve` → `report`. The library never prints; only `report`
//! writes, and only to the writers it is given.

pub mod baseline;
pub mod cache;
pub mod capabilities;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config;
pub mod discover;
pub mod env;
pub mod files;
pub mod finding;
pub mod fix;
pub mod gguf;
mod gitcat;
pub mod gitref;
pub mod hub;
pub mod jinja_text;
pub mod load;
pub mod probes;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rule;
pub mod rules;
pub mod suppress;
mod vars;

//! The template context, shaped as transformers 5.x builds it
//! (`render_jinja_template` / `apply_chat_template`).
//!
//! - `messages`, then `tools` and `documents` (always defined: `None` when
//!   not given), then `add_generation_prompt`, then the special tokens and
//!   user variables (`RenderInput::vars`, later keys win).
//! - In every message, keys whose value is `None` are dropped.
//! - If any of `reasoning_content`, `thinking`, `reasoning` is set, the
//!   first of them in that order (r) is aliased: the message becomes
//!   Python's `{"thinking": r, **message, "reasoning_content": r}`, so
//!   `thinking` comes first and `reasoning_content` keeps its place or goes
//!   last (the order shows in `tojson` and in loops over `message.items()`).

use serde_json::{Map, Value};

use super::RenderInput;

const REASONING_KEYS: [&str; 3] = ["reasoning_content", "thinking", "reasoning"];

/// One message as the template sees it.
pub fn shape_message(msg: &Value) -> Value {
    let Value::Object(m) = msg else {
        return msg.clone();
    };
    let kept: Map<String, Value> = m
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let Some(r) = REASONING_KEYS.iter().find_map(|k| kept.get(*k)).cloned() else {
        return Value::Object(kept);
    };
    let mut out = Map::new();
    out.insert("thinking".into(), r.clone());
    for (k, v) in kept {
        out.insert(k, v);
    }
    // `insert` on an existing key keeps its position, like a Python dict.
    out.insert("reasoning_content".into(), r);
    Value::Object(out)
}

/// The root context, in transformers' order.
pub fn context(input: &RenderInput) -> Map<String, Value> {
    let messages = match &input.messages {
        Value::Array(items) => Value::Array(items.iter().map(shape_message).collect()),
        other => other.clone(),
    };
    let mut ctx = Map::new();
    ctx.insert("messages".into(), messages);
    ctx.insert("tools".into(), input.tools.clone().unwrap_or(Value::Null));
    ctx.insert(
        "documents".into(),
        input.documents.clone().unwrap_or(Value::Null),
    );
    ctx.insert(
        "add_generation_prompt".into(),
        Value::Bool(input.add_generation_prompt),
    );
    for (k, v) in &input.vars {
        ctx.insert(k.clone(), v.clone());
    }
    ctx
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(v: &Value) -> Vec<&str> {
        v.as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn none_keys_are_dropped() {
        let m = shape_message(&json!({"role": "user", "content": null, "name": "x"}));
        assert_eq!(m, json!({"role": "user", "name": "x"}));
    }

    #[test]
    fn reasoning_aliases_in_python_dict_order() {
        let m =
            shape_message(&json!({"role": "assistant", "reasoning_content": "r", "content": "c"}));
        assert_eq!(
            keys(&m),
            ["thinking", "role", "reasoning_content", "content"]
        );
        assert_eq!(m["thinking"], "r");
        let m = shape_message(&json!({"role": "assistant", "content": "c", "reasoning": "r"}));
        assert_eq!(
            keys(&m),
            [
                "thinking",
                "role",
                "content",
                "reasoning",
                "reasoning_content"
            ]
        );
        assert_eq!(m["reasoning_content"], "r");
        let m = shape_message(&json!({"thinking": null, "role": "user"}));
        assert_eq!(keys(&m), ["role"]);
    }
}

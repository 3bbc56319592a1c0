//! The proof a `generation-prompt-missing` fix must pass before a byte is
//! written (issue 13): rendered on every probe conversation, the fixed
//! template must
//!
//! 1. render byte-identically to the original with
//!    `add_generation_prompt=False` (or both must raise) — training renders,
//!    and every prompt that does not ask for a generation prompt, are
//!    unchanged;
//! 2. on each conversation that ends where a generation prompt goes (the
//!    probes whose last message is not the assistant's, and the inference
//!    prompt before each assistant turn), render with `True` exactly its
//!    `False` render followed by the header H;
//! 3. and the `[user]` prompt must be a prefix of the original's training
//!    render of `[user, assistant]`, so the inference prompt is what the
//!    model was trained to answer after.
//!
//! Pure: renders only, no I/O.

use serde_json::{Map, Value};

use crate::probes::{probes, render_messages, ContentShape, Probe, ProbeId};
use crate::render::{compile, Compiled, RenderError};

/// Why a fix is not safe: the first probe where the proof failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unproven(pub String);

/// One conversation the proof renders: a probe, or the messages of a probe
/// before one of its assistant turns.
struct Conversation<'p> {
    probe: &'p Probe,
    messages: Value,
    /// Ends where a generation prompt goes.
    prompt_ending: bool,
    label: String,
}

fn conversations() -> Vec<Conversation<'static>> {
    let mut out = Vec::new();
    for probe in probes() {
        let Some(messages) = probe.messages.as_array() else {
            continue;
        };
        let role = |m: &Value| m.get("role").and_then(Value::as_str).map(str::to_string);
        out.push(Conversation {
            probe,
            messages: probe.messages.clone(),
            prompt_ending: messages.last().and_then(role).as_deref() != Some("assistant"),
            label: format!("probe `{}`", probe.id),
        });
        if probe.content != ContentShape::String {
            continue;
        }
        for (turn, message) in messages.iter().enumerate().skip(1) {
            if role(message).as_deref() == Some("assistant") {
                out.push(Conversation {
                    probe,
                    messages: Value::Array(messages[..turn].to_vec()),
                    prompt_ending: true,
                    label: format!("the prompt before turn {turn} of probe `{}`", probe.id),
                });
            }
        }
    }
    out
}

/// Prove that `fixed` differs from `original` only by adding `header` as the
/// generation prompt (see the module docs).
pub fn prove_generation_prompt(
    original: &str,
    fixed: &str,
    header: &str,
    vars: &Map<String, Value>,
    now: chrono::NaiveDateTime,
) -> Result<(), Unproven> {
    let original = compile(original)
        .map_err(|e| Unproven(format!("the template does not parse: {}", e.message)))?;
    let fixed = compile(fixed)
        .map_err(|e| Unproven(format!("the fixed template does not parse: {}", e.message)))?;
    let render = |c: &Compiled, conv: &Conversation<'_>, gen: bool| {
        render_messages(c, conv.probe, &conv.messages, gen, vars, now)
    };
    for conv in conversations() {
        let before = render(&original, &conv, false);
        let after = render(&fixed, &conv, false);
        if !same(&before, &after) {
            return Err(Unproven(format!(
                "{} renders differently with add_generation_prompt=False",
                conv.label
            )));
        }
        let Ok(without) = after else { continue };
        if !conv.prompt_ending {
            continue;
        }
        match render(&fixed, &conv, true) {
            Ok(with) if with.strip_prefix(&without) == Some(header) => {}
            Ok(_) => {
                return Err(Unproven(format!(
                    "{} with add_generation_prompt=True is not its render without it followed by the header",
                    conv.label
                )))
            }
            Err(e) => {
                return Err(Unproven(format!(
                    "{} fails with add_generation_prompt=True: {}",
                    conv.label, e.message
                )))
            }
        }
    }
    training_prefix(&original, &fixed, vars, now)
}

/// The fixed `[user]` prompt is a prefix of the original `[user, assistant]`
/// training render.
fn training_prefix(
    original: &Compiled,
    fixed: &Compiled,
    vars: &Map<String, Value>,
    now: chrono::NaiveDateTime,
) -> Result<(), Unproven> {
    let (user, pair) = (ProbeId::User.probe(), ProbeId::UserAssistant.probe());
    let prompt = render_messages(fixed, user, &user.messages, true, vars, now);
    let training = render_messages(original, pair, &pair.messages, false, vars, now);
    match (prompt, training) {
        (Ok(p), Ok(t)) if t.starts_with(&p) => Ok(()),
        (Ok(_), Ok(_)) => Err(Unproven(
            "the `[user]` prompt with the header is not how the training render of `[user, assistant]` begins".into(),
        )),
        (Err(_), _) | (_, Err(_)) => Err(Unproven(
            "the `[user]` or `[user, assistant]` conversation does not render".into(),
        )),
    }
}

/// Both renders succeeded with the same text, or both raised.
fn same(a: &Result<String, RenderError>, b: &Result<String, RenderError>) -> bool {
    match (a, b) {
        (Ok(a), Ok(b)) => a == b,
        (Err(_), Err(_)) => true,
        (Ok(_), Err(_)) | (Err(_), Ok(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(r: Result<(), Unproven>) -> String {
        r.err().map(|u| u.0).unwrap_or_default()
    }

    const BROKEN: &str =
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}";
    const H: &str = "<|im_start|>assistant\n";

    fn prove(fixed: &str) -> Result<(), Unproven> {
        prove_generation_prompt(BROKEN, fixed, H, &Map::new(), crate::render::default_now())
    }

    #[test]
    fn an_added_branch_that_emits_the_header_is_proven() {
        let fixed = format!("{BROKEN}{{% if add_generation_prompt %}}{{{{ '<|im_start|>assistant\\n' }}}}{{% endif %}}");
        assert_eq!(prove(&fixed), Ok(()));
    }

    #[test]
    fn a_change_to_training_renders_or_the_wrong_header_fails() {
        let changed = BROKEN.replace("<|im_end|>", "<|end|>");
        assert!(why(prove(&changed)).contains("add_generation_prompt=False"));
        let wrong = format!(
            "{BROKEN}{{% if add_generation_prompt %}}{{{{ '<|im_start|>model\\n' }}}}{{% endif %}}"
        );
        assert!(why(prove(&wrong)).contains("followed by the header"));
        assert!(why(prove("{% if %}")).contains("does not parse"));
    }
}

//! The anatomy of one exchange, read off a template's renders: what it writes
//! after a user message, before an assistant's answer, and after that answer.
//!
//! The generation-prompt rules compare these pieces instead of guessing a
//! family's tokens: a template is judged only against what it itself renders
//! for `[user]` (with `add_generation_prompt` false and true) and for the
//! training pair `[user, assistant]`. Pure string work on renders already
//! made, no rendering here.

use crate::probes::{ProbeId, Renders, ASSISTANT_TEXT, USER_TEXT};

/// The three renders the anatomy is read from, with the message texts used.
#[derive(Clone, Copy, Debug)]
pub struct ExchangeRenders<'a> {
    /// Render of `[user]`, `add_generation_prompt=False`.
    pub user: &'a str,
    /// Render of `[user]`, `add_generation_prompt=True`.
    pub user_gen: &'a str,
    /// Render of `[user, assistant]`, `add_generation_prompt=False`.
    pub pair: &'a str,
    /// The user message's text in `user`/`user_gen`.
    pub user_text: &'a str,
    /// The user message's text in `pair` (usually the same).
    pub pair_user_text: &'a str,
    /// The assistant message's text in `pair`.
    pub assistant_text: &'a str,
    /// What a render of `[system, user, …]` writes between the system text
    /// and the user text, when the template accepts a system message.
    pub after_system: Option<&'a str>,
}

impl<'a> ExchangeRenders<'a> {
    /// The exchange of the basic probes (`user` both ways, `user-assistant`
    /// for training), when all three rendered.
    pub fn of_probes(r: &'a Renders, after_system: Option<&'a str>) -> Option<Self> {
        Some(ExchangeRenders {
            user: r.ok(ProbeId::User, false)?,
            user_gen: r.ok(ProbeId::User, true)?,
            pair: r.ok(ProbeId::UserAssistant, false)?,
            user_text: USER_TEXT,
            pair_user_text: USER_TEXT,
            assistant_text: ASSISTANT_TEXT,
            after_system,
        })
    }
}

/// The pieces of an exchange, as rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anatomy {
    /// After the user text in the `[user]` render: the user turn's end (plus
    /// whatever the template appends when no generation prompt is asked).
    pub user_tail: String,
    /// After the user text in the `[user]` render with a generation prompt.
    pub user_gen_tail: String,
    /// Between the user text and the assistant text in the training pair.
    pub between: String,
    /// After the assistant text in the training pair.
    pub after_assistant: String,
    /// Whether `add_generation_prompt=True` changed the `[user]` render at all.
    pub gen_changes_render: bool,
    /// See `ExchangeRenders::after_system`.
    pub after_system: Option<String>,
}

impl Anatomy {
    /// Read the anatomy, or `None` when the message texts cannot be found in
    /// the renders (a template that rewrites content: nothing can be said).
    pub fn read(r: &ExchangeRenders<'_>) -> Option<Anatomy> {
        let user_end = end_of(r.user, r.user_text)?;
        let user_gen_end = end_of(r.user_gen, r.user_text)?;
        let pair_user_end = end_of(r.pair, r.pair_user_text)?;
        let assistant_start = pair_user_end + r.pair[pair_user_end..].find(r.assistant_text)?;
        let after = assistant_start + r.assistant_text.len();
        Some(Anatomy {
            user_tail: r.user[user_end..].to_string(),
            user_gen_tail: r.user_gen[user_gen_end..].to_string(),
            between: r.pair[pair_user_end..assistant_start].to_string(),
            after_assistant: r.pair[after..].to_string(),
            gen_changes_render: r.user != r.user_gen,
            after_system: r.after_system.map(str::to_string),
        })
    }

    /// The assistant header H: the text the training render puts between the
    /// end of the user turn (as the `[user]` render ends it) and the
    /// assistant's content. Empty for templates whose "header" is part of the
    /// user turn (`[INST] … [/INST]`).
    pub fn header(&self) -> &str {
        let k = common_prefix_len(&self.user_tail, &self.between);
        &self.between[token_start(&self.between, k)..]
    }

    /// Whether the header holds anything but whitespace.
    pub fn has_header(&self) -> bool {
        !self.header().trim().is_empty()
    }

    /// Whether the `[user]` render stops where the user's turn ends: what it
    /// writes after the user text is how the training render goes on too (up
    /// to one trailing special token, such as an eos appended when no
    /// generation prompt is asked), and it has not begun an assistant turn.
    ///
    /// Not so for a template that embeds the conversation in one prompt
    /// (Llama Guard's `User: … Agent: …`), nor for one that always opens the
    /// assistant turn (Command A's unconditional `<|CHATBOT_TOKEN|>`). The
    /// role-independent part of a turn change is what follows a system
    /// message too; the `[user]` render must not go beyond it.
    pub fn ends_with_user_turn(&self) -> bool {
        let k = token_start(
            &self.between,
            common_prefix_len(&self.user_tail, &self.between),
        );
        let rest = self.user_tail[k..].trim();
        if !(rest.is_empty() || is_one_special_token(rest)) {
            return false;
        }
        match &self.after_system {
            Some(after_system) => {
                let generic = token_start(
                    &self.between,
                    common_prefix_len(after_system, &self.between),
                );
                k <= generic
            }
            None => true,
        }
    }

    /// The text the training render ends with that also opens the assistant's
    /// answer (the longest common suffix of "after the answer" and "before
    /// the answer"): a dangling assistant header when it is not blank.
    pub fn dangling_header(&self) -> &str {
        let after = &self.after_assistant;
        let k = common_suffix_len(after, &self.between);
        &after[token_end(after, after.len() - k)..]
    }
}

/// Special tokens are bracketed (`<|eot_id|>`, `<｜Assistant｜>`, `[INST]`);
/// a common prefix may end inside one (`<|end|>\n<` of `</s>` and
/// `<|assistant|>`). Move such a cut back to where the token opens.
fn token_start(s: &str, at: usize) -> usize {
    let before = &s[..at];
    match before.rfind(['<', '[']) {
        Some(open) if !before[open..].contains(['>', ']']) => open,
        _ => at,
    }
}

/// `<…>` or `[…]` with no other bracket inside: one special token.
fn is_one_special_token(s: &str) -> bool {
    let inner = |open: char, close: char| {
        s.strip_prefix(open)
            .and_then(|r| r.strip_suffix(close))
            .is_some_and(|r| !r.contains(['<', '>', '[', ']']))
    };
    inner('<', '>') || inner('[', ']')
}

/// Like `token_start`, for a common suffix starting at `at`: a cut inside a
/// bracketed token moves forward past its end (`｜>` of two different tokens).
fn token_end(s: &str, at: usize) -> usize {
    if token_start(s, at) == at {
        return at;
    }
    s[at..]
        .find(['>', ']'])
        .map_or(s.len(), |close| at + close + 1)
}

/// The text after the first `a` in `hay` and before the next `b`.
pub fn text_between<'h>(hay: &'h str, a: &str, b: &str) -> Option<&'h str> {
    let start = end_of(hay, a)?;
    let len = hay[start..].find(b)?;
    Some(&hay[start..start + len])
}

/// Byte offset just after the first occurrence of `needle` in `hay`.
fn end_of(hay: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.find(needle).map(|i| i + needle.len())
}

/// Length in bytes of the longest common prefix, on a char boundary.
pub fn common_prefix_len(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, ca), cb)| ca != cb)
        .map_or(a.len().min(b.len()), |((i, _), _)| i)
}

/// Length in bytes of the longest common suffix, on a char boundary.
pub fn common_suffix_len(a: &str, b: &str) -> usize {
    a.chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(ca, cb)| ca == cb)
        .map(|(c, _)| c.len_utf8())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(user: &str, user_gen: &str, pair: &str) -> Anatomy {
        Anatomy::read(&ExchangeRenders {
            user,
            user_gen,
            pair,
            user_text: "U",
            pair_user_text: "U",
            assistant_text: "A",
            after_system: None,
        })
        .expect("texts are present")
    }

    #[test]
    fn llama3_header_is_found() {
        let a = read(
            "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>",
            "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            "<|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nA<|eot_id|>",
        );
        assert_eq!(
            a.header(),
            "<|start_header_id|>assistant<|end_header_id|>\n\n"
        );
        assert!(a.gen_changes_render);
        assert_eq!(a.dangling_header(), "");
    }

    #[test]
    fn inst_header_is_part_of_the_user_turn() {
        let a = read(
            "<s>[INST] U [/INST]",
            "<s>[INST] U [/INST]",
            "<s>[INST] U [/INST] A</s>",
        );
        assert!(!a.has_header(), "header {:?}", a.header());
    }

    #[test]
    fn eos_after_prompt_does_not_hide_the_header() {
        // Phi-3.5 ends a prompt with eos when no generation prompt is asked.
        let a = read(
            "<|user|>\nU<|end|>\n</s>",
            "<|user|>\nU<|end|>\n<|assistant|>\n",
            "<|user|>\nU<|end|>\n<|assistant|>\nA<|end|>\n</s>",
        );
        assert_eq!(a.header(), "<|assistant|>\n");
    }

    #[test]
    fn cuts_do_not_split_special_tokens() {
        assert_eq!(token_start("<|end|>\n<|assistant|>", 9), 8);
        assert_eq!(token_start("<|end|>\n<|assistant|>", 8), 8);
        let s = "<｜end▁of▁sentence｜>";
        let cut = s.len() - "｜>".len();
        assert_eq!(token_end(s, cut), s.len());
        assert_eq!(token_end(s, 0), 0);
    }

    #[test]
    fn common_affixes_respect_char_boundaries() {
        assert_eq!(common_prefix_len("é1", "é2"), 2);
        assert_eq!(common_prefix_len("ab", "abc"), 2);
        assert_eq!(common_suffix_len("xé", "yé"), 2);
        assert_eq!(common_suffix_len("", "a"), 0);
    }
}

//! Compaction's decisions, kept apart from the loop that acts on them
//! (`Agent::compact`): the context estimate, when to compact, where to cut
//! and what to ask the model. A context-length error is recognised in
//! provider/mod.rs (`is_context_length`).
//!
//! The estimate is the last usage the provider reported (input + output
//! tokens of the last turn) plus bytes/4 for everything added after it.
//! Compaction replaces the older messages with a model-written summary and
//! keeps the most recent `keep` tokens verbatim, cut at a message boundary
//! that never separates a tool call from its result.

use crate::arena::{Arena, Msg};
use crate::provider::Usage;

pub const DEFAULT_WINDOW: u64 = 128_000;
/// What an attached image counts as in the estimate: ~1,600 tokens.
pub const IMAGE_BYTES: usize = 6400;

/// The context estimate, in tokens.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub struct Estimate {
    /// Tokens the provider last counted.
    base: u64,
    /// Bytes added since.
    bytes: u64,
}

impl Estimate {
    pub fn tokens(&self) -> u64 {
        self.base + self.bytes / 4
    }

    pub fn usage(&mut self, u: &Usage) {
        if u.input + u.output > 0 {
            self.base = u.input + u.output;
            self.bytes = 0;
        }
    }

    pub fn add(&mut self, bytes: usize) {
        self.bytes += bytes as u64;
    }

    /// After compaction nothing reported applies: count the arena.
    pub fn reset(&mut self, bytes: usize) {
        self.base = 0;
        self.bytes = bytes as u64;
    }
}

/// When and how much to compact.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub window: u64,
    /// Room left for the answer and what the turn adds.
    pub reserve: u64,
    /// Tokens of recent conversation kept verbatim.
    pub keep: u64,
}

impl Limits {
    pub fn new(window: u64) -> Limits {
        Limits {
            window,
            reserve: (window / 4).min(16_384),
            keep: (window / 4).min(20_000),
        }
    }

    pub fn over(&self, est: &Estimate) -> bool {
        est.tokens() > self.window.saturating_sub(self.reserve)
    }
}

/// How many leading messages to summarise: the fewest that leave at most
/// `keep` tokens, cut before a user or assistant message (never between a
/// call and its result). If even the last such boundary leaves more, cut
/// there. 0: nothing to compact.
pub fn cut(arena: &Arena, keep: u64) -> usize {
    let mut sizes: Vec<(usize, bool)> = Vec::new();
    for m in arena.messages() {
        let (size, boundary) = match m {
            Msg::User(t) => (t.len(), true),
            Msg::Assistant {
                text,
                calls,
                thinking,
            } => (
                text.len()
                    + thinking
                        .iter()
                        .map(|t| t.text.len() + t.signature.len())
                        .sum::<usize>()
                    + calls
                        .iter()
                        .map(|c| c.id.len() + c.name.len() + c.args.len())
                        .sum::<usize>(),
                true,
            ),
            Msg::Result { id, name, text, .. } => (id.len() + name.len() + text.len(), false),
            // Providers count an image as ~1,600 tokens, whatever its size.
            Msg::Image(_) => (IMAGE_BYTES, false),
        };
        sizes.push((size, boundary));
    }
    let mut after = 0u64;
    let mut best = 0;
    for i in (1..sizes.len()).rev() {
        let (size, boundary) = sizes.get(i).copied().unwrap_or((0, false));
        after += size as u64 / 4;
        if boundary {
            if after > keep && best != 0 {
                break;
            }
            best = i;
        }
    }
    best
}

/// The last user message of a summarisation request.
pub const INSTRUCTION: &str = "Summarise the conversation so far for a fresh start: it will replace the \
messages above, and the most recent messages will follow it unchanged. Do not call any tools. Answer with \
these sections, concise but complete:\n\
## Goal\nWhat the user asked for, with every requirement and constraint.\n\
## Progress\nWhat has been done and what was found.\n\
## Decisions\nChoices made and why.\n\
## Files touched\nEach file read or changed, with what matters about it.\n\
## Next steps\nWhat remains, in order.";

/// The head of the user message that replaces the summarised turns.
pub const SUMMARY_HEAD: &str =
    "[The earlier part of this conversation was compacted by mote; its summary:]\n\n";

/// The message that replaces the older turns when the model gave no summary.
pub const DROPPED: &str =
    "[The earlier part of this conversation was dropped by mote: the model gave no summary of it.]";

/// An API error that says the request is longer than the model's context.
/// Detected from status and message until providers give it a kind of its own.
#[cfg(test)]
mod tests {
    use super::*;

    fn turn(a: &mut Arena, n: usize, result: &str) {
        a.push(crate::arena::Role::Assistant, crate::arena::Kind::Text, "");
        a.call(&format!("c{n}"), "read", "{}");
        a.result(&format!("c{n}"), "read", result, false);
    }

    #[test]
    fn cuts_before_an_assistant_message_keeping_the_recent_tokens() {
        let mut a = Arena::new();
        a.user("task");
        for n in 0..10 {
            turn(&mut a, n, &"x".repeat(400)); // ~100 tokens a turn
        }
        // messages: user, then (assistant, result) x 10
        let c = cut(&a, 250);
        let msgs: Vec<Msg> = a.messages().collect();
        assert!(matches!(msgs[c], Msg::Assistant { .. }), "cut at {c}");
        assert_eq!(
            c, 17,
            "keeps the last two turns whole, then one more boundary would pass 250"
        );
        assert_eq!(cut(&a, 1_000_000), 1);
        // A last turn bigger than `keep` still compacts everything before it.
        assert_eq!(cut(&a, 1), 19);
        let mut small = Arena::new();
        small.user("only");
        assert_eq!(cut(&small, 0), 0);
    }

    #[test]
    fn every_part_of_a_message_counts_toward_what_is_kept() {
        use crate::arena::{Kind, Role};
        // user, then the message measured, then a small user message: the
        // cut is before the measured one exactly when it fits in `keep`.
        let mut a = Arena::new();
        a.user("a");
        a.push(Role::Assistant, Kind::Thinking, &"t".repeat(12));
        a.push(Role::Assistant, Kind::Signature, &"s".repeat(16));
        a.push(Role::Assistant, Kind::Text, &"x".repeat(8));
        a.call(&"i".repeat(20), &"n".repeat(24), &"g".repeat(28));
        a.result("i", "n", "r", false);
        a.user("b");
        // 8 + 12 + 16 + 20 + 24 + 28 = 108 bytes: 27 tokens, with the
        // result's 3 bytes (0 tokens).
        assert_eq!((cut(&a, 27), cut(&a, 26)), (1, 3));
        let mut r = Arena::new();
        r.user("a");
        r.push(Role::Assistant, Kind::Text, "");
        r.call("c", "x", "{}");
        r.result(&"i".repeat(20), &"n".repeat(24), &"r".repeat(28), false);
        r.user("b");
        // The call: 4 bytes; its result: 72 bytes. 76 / 4 = 19 tokens.
        assert_eq!((cut(&r, 19), cut(&r, 18)), (1, 3));
    }

    #[test]
    fn an_empty_usage_keeps_the_estimate_and_the_limit_is_inclusive() {
        let mut e = Estimate::default();
        e.usage(&Usage {
            input: 0,
            output: 5,
            cached: 0,
            cache_write: 0,
        });
        e.add(8);
        assert_eq!(e.tokens(), 7);
        e.usage(&Usage::default());
        assert_eq!(
            e.tokens(),
            7,
            "a turn with no usage reported changes nothing"
        );
        let l = Limits::new(128_000);
        let mut e = Estimate::default();
        e.add(4 * (128_000 - 16_384));
        assert!(!l.over(&e), "exactly at the limit");
        e.add(4);
        assert!(l.over(&e));
    }

    #[test]
    fn estimate_and_limits() {
        let mut e = Estimate::default();
        e.add(400);
        assert_eq!(e.tokens(), 100);
        e.usage(&Usage {
            input: 1000,
            output: 50,
            cached: 0,
            cache_write: 0,
        });
        e.add(40);
        assert_eq!(e.tokens(), 1060);
        let l = Limits::new(128_000);
        assert_eq!((l.reserve, l.keep), (16_384, 20_000));
        assert!(!l.over(&e));
        e.add(4 * 120_000);
        assert!(l.over(&e));
        e.reset(8);
        assert_eq!(e.tokens(), 2);
    }

    #[test]
    fn overflow_errors_are_recognised() {
        assert!(crate::provider::is_context_length(
            400,
            "This model's maximum context length is 128000 tokens."
        ));
        assert!(crate::provider::is_context_length(
            400,
            "prompt is too long: 210000 tokens > 200000 maximum"
        ));
        assert!(crate::provider::is_context_length(
            400,
            "error code context_length_exceeded"
        ));
        assert!(!crate::provider::is_context_length(
            429,
            "maximum context length"
        ));
        assert!(!crate::provider::is_context_length(400, "invalid model"));
    }
}

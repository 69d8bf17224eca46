//! The session file's records: one JSON object per line, `"type"` first.
//! Each kind is one variant of `Record` with three jobs written next to
//! each other: `write` (one line), `parse` (from a parsed line) and `apply`
//! (to the arena and the context estimate on replay). A new kind (say, a
//! thinking block) is one more variant and one more arm in each.
//!
//! Replaying the records in order rebuilds the arena byte for byte, so the
//! next request after a resume is the request that would have been sent.
//! Nothing secret is ever a field here: no keys, no headers.

use std::io::{self, Write};

use super::compact::Estimate;
use crate::arena::{Arena, Kind, Role};
use crate::json::value::Value;
use crate::json::write::string;
use crate::provider::Usage;

/// The format version in the header; readers refuse newer majors.
pub const VERSION: u64 = 1;

#[derive(Debug, PartialEq)]
pub enum Record<'a> {
    /// The first line of every file.
    Header {
        id: &'a str,
        cwd: &'a str,
        provider: &'a str,
        model: &'a str,
        created: u64,
        mote: &'a str,
        /// A subagent's session: its parent's id ("" for a top-level run).
        parent: &'a str,
    },
    User {
        text: &'a str,
    },
    /// An attached image: its path, size, hash and type, never its bytes.
    Image(crate::image::Image),
    /// A reasoning block of the assistant message that follows: `kind` is
    /// thinking, signature or redacted, kept byte for byte because the
    /// provider must get it back unchanged (Anthropic signatures, OpenAI
    /// encrypted reasoning, Gemini thought signatures).
    Reasoning {
        kind: &'a str,
        text: &'a str,
    },
    /// The text part of an assistant message (possibly empty); its tool
    /// calls follow as `Call` records.
    Assistant {
        text: &'a str,
    },
    Call {
        id: &'a str,
        name: &'a str,
        args: &'a str,
    },
    Result {
        id: &'a str,
        name: &'a str,
        text: &'a str,
        error: bool,
    },
    /// What the provider reported for the turn just recorded.
    Usage(Usage),
    /// The first `messages` messages were replaced by `summary` (as a user
    /// message). The records before stay in the file: the full history.
    Compact {
        messages: u64,
        summary: &'a str,
    },
    /// The task call `call` ran a subagent whose transcript is the session
    /// `session` (src/subagent/).
    Subagent {
        call: &'a str,
        session: &'a str,
    },
    /// Undo (src/undo/): prompt `seq` of the session starts (`at`
    /// "prompt", with the time, the messages before it and the prompt's
    /// start), or a snapshot was taken before its first change ("before")
    /// or at its end ("after"): a git commit, or "" for the file store.
    Checkpoint {
        seq: u64,
        at: &'a str,
        time: u64,
        messages: u64,
        commit: &'a str,
        prompt: &'a str,
        note: &'a str,
        uncovered: u64,
    },
    /// Prompts `seq` and later were taken back (/undo, /rewind).
    Rewind {
        seq: u64,
    },
    /// The session moved to the workspace `cwd` (`/worktree NAME`): its
    /// later prompts worked, and took their checkpoints, there.
    Moved {
        cwd: &'a str,
    },
}

/// One record line as it is written: `{"type":KIND`, then each field in
/// order; the caller closes it.
struct Line<'w>(&'w mut dyn Write);

impl<'w> Line<'w> {
    fn start(w: &'w mut dyn Write, kind: &str) -> io::Result<Line<'w>> {
        write!(w, "{{\"type\":\"{kind}\"")?;
        Ok(Line(w))
    }

    /// A string field, JSON-escaped.
    fn str(self, key: &str, v: &str) -> io::Result<Line<'w>> {
        write!(self.0, ",\"{key}\":")?;
        string(self.0, v)?;
        Ok(self)
    }

    /// A string field left out when empty.
    fn str_unless_empty(self, key: &str, v: &str) -> io::Result<Line<'w>> {
        if v.is_empty() {
            return Ok(self);
        }
        self.str(key, v)
    }

    /// A number or boolean field.
    fn num(self, key: &str, v: impl std::fmt::Display) -> io::Result<Line<'w>> {
        write!(self.0, ",\"{key}\":{v}")?;
        Ok(self)
    }
}

impl Record<'_> {
    /// Write the record as one line, newline included.
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        match self {
            Record::Header {
                id,
                cwd,
                provider,
                model,
                created,
                mote,
                parent,
            } => {
                Line::start(w, "session")?
                    .num("version", VERSION)?
                    .str("id", id)?
                    .str("cwd", cwd)?
                    .str("provider", provider)?
                    .str("model", model)?
                    .num("created", created)?
                    .str("mote", mote)?
                    .str_unless_empty("parent", parent)?;
            }
            Record::User { text } => _ = Line::start(w, "user")?.str("text", text)?,
            Record::Image(img) => {
                Line::start(w, "image")?
                    .str("path", &img.path)?
                    .num("size", img.size)?
                    .str("hash", &img.hash)?
                    .str("media", &img.media)?;
            }
            Record::Reasoning { kind, text } => {
                Line::start(w, "reasoning")?
                    .str("kind", kind)?
                    .str("text", text)?;
            }
            Record::Assistant { text } => _ = Line::start(w, "assistant")?.str("text", text)?,
            Record::Call { id, name, args } => {
                Line::start(w, "call")?
                    .str("id", id)?
                    .str("name", name)?
                    .str("args", args)?;
            }
            Record::Result {
                id,
                name,
                text,
                error,
            } => {
                Line::start(w, "result")?
                    .str("id", id)?
                    .str("name", name)?
                    .str("text", text)?
                    .num("error", error)?;
            }
            Record::Usage(u) => {
                Line::start(w, "usage")?
                    .num("input", u.input)?
                    .num("output", u.output)?
                    .num("cached", u.cached)?
                    .num("cache_write", u.cache_write)?;
            }
            Record::Compact { messages, summary } => {
                Line::start(w, "compact")?
                    .num("messages", messages)?
                    .str("summary", summary)?;
            }
            Record::Subagent { call, session } => {
                Line::start(w, "subagent")?
                    .str("call", call)?
                    .str("session", session)?;
            }
            Record::Checkpoint {
                seq,
                at,
                time,
                messages,
                commit,
                prompt,
                note,
                uncovered,
            } => {
                Line::start(w, "checkpoint")?
                    .num("seq", seq)?
                    .str("at", at)?
                    .num("time", time)?
                    .num("messages", messages)?
                    .num("uncovered", uncovered)?
                    .str("commit", commit)?
                    .str("prompt", prompt)?
                    .str("note", note)?;
            }
            Record::Rewind { seq } => _ = Line::start(w, "rewind")?.num("seq", seq)?,
            Record::Moved { cwd } => _ = Line::start(w, "moved")?.str("cwd", cwd)?,
        }
        w.write_all(b"}\n")
    }

    /// The record in a parsed line. `Ok(None)`: a kind this version does
    /// not know (from a newer mote), to be skipped.
    pub fn parse(v: &Value) -> Result<Option<Record<'_>>, String> {
        let kind = v.get("type").and_then(Value::as_str).ok_or("no \"type\"")?;
        let s = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{kind}: no string \"{k}\""))
        };
        let n = |k: &str| {
            v.get(k)
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("{kind}: no number \"{k}\""))
        };
        Ok(Some(match kind {
            "session" => {
                let version = n("version")?;
                if version > VERSION {
                    return Err(format!("session format version {version} is newer than this mote reads ({VERSION})"));
                }
                Record::Header {
                    id: s("id")?,
                    cwd: s("cwd")?,
                    provider: s("provider")?,
                    model: s("model")?,
                    created: n("created")?,
                    mote: s("mote")?,
                    parent: v.get("parent").and_then(Value::as_str).unwrap_or(""),
                }
            }
            "user" => Record::User { text: s("text")? },
            "image" => Record::Image(crate::image::Image {
                path: s("path")?.to_string(),
                size: n("size")?,
                hash: s("hash")?.to_string(),
                media: s("media")?.to_string(),
            }),
            "reasoning" => match s("kind")? {
                k @ ("thinking" | "signature" | "redacted") => Record::Reasoning {
                    kind: k,
                    text: s("text")?,
                },
                other => return Err(format!("reasoning: unknown kind \"{other}\"")),
            },
            "assistant" => Record::Assistant { text: s("text")? },
            "call" => Record::Call {
                id: s("id")?,
                name: s("name")?,
                args: s("args")?,
            },
            "result" => Record::Result {
                id: s("id")?,
                name: s("name")?,
                text: s("text")?,
                error: v.get("error").and_then(Value::as_bool).unwrap_or(false),
            },
            "usage" => Record::Usage(Usage {
                input: n("input")?,
                output: n("output")?,
                cached: n("cached")?,
                // Absent in files from before cache writes were counted.
                cache_write: v.get("cache_write").and_then(Value::as_u64).unwrap_or(0),
            }),
            "compact" => Record::Compact {
                messages: n("messages")?,
                summary: s("summary")?,
            },
            "subagent" => Record::Subagent {
                call: s("call")?,
                session: s("session")?,
            },
            "checkpoint" => Record::Checkpoint {
                seq: n("seq")?,
                at: s("at")?,
                time: n("time")?,
                messages: n("messages")?,
                commit: s("commit")?,
                prompt: s("prompt")?,
                note: s("note")?,
                uncovered: n("uncovered")?,
            },
            "rewind" => Record::Rewind { seq: n("seq")? },
            "moved" => Record::Moved { cwd: s("cwd")? },
            _ => return Ok(None),
        }))
    }

    /// Bytes of conversation the record adds (for the context estimate).
    pub fn bytes(&self) -> usize {
        match self {
            Record::User { text } | Record::Assistant { text } | Record::Reasoning { text, .. } => {
                text.len()
            }
            Record::Call { id, name, args } => id.len() + name.len() + args.len(),
            Record::Result { id, name, text, .. } => id.len() + name.len() + text.len(),
            Record::Image(_) => super::compact::IMAGE_BYTES,
            Record::Header { .. }
            | Record::Usage(_)
            | Record::Compact { .. }
            | Record::Subagent { .. }
            | Record::Checkpoint { .. }
            | Record::Rewind { .. }
            | Record::Moved { .. } => 0,
        }
    }

    /// Replay the record: what the live session did to the arena when it
    /// wrote it.
    pub fn apply(&self, arena: &mut Arena, est: &mut Estimate) {
        match self {
            // Checkpoints, rewinds and moves are replayed by `undo::Undo::replay`.
            Record::Header { .. }
            | Record::Subagent { .. }
            | Record::Checkpoint { .. }
            | Record::Rewind { .. }
            | Record::Moved { .. } => {}
            Record::User { text } => arena.user(text),
            Record::Image(img) => arena.image(&img.record()),
            Record::Reasoning { kind, text } => {
                let kind = match *kind {
                    "signature" => Kind::Signature,
                    "redacted" => Kind::Redacted,
                    _ => Kind::Thinking,
                };
                arena.push(Role::Assistant, kind, text)
            }
            Record::Assistant { text } => arena.push(Role::Assistant, Kind::Text, text),
            Record::Call { id, name, args } => arena.call(id, name, args),
            Record::Result {
                id,
                name,
                text,
                error,
            } => arena.result(id, name, text, *error),
            Record::Usage(u) => est.usage(u),
            Record::Compact { messages, summary } => {
                arena.compact(usize::try_from(*messages).unwrap_or(usize::MAX), summary);
                est.reset(arena.bytes());
            }
        }
        est.add(self.bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_results_count_every_field() {
        let call = Record::Call {
            id: "abc",
            name: "defgh",
            args: "ijklmno",
        };
        let result = Record::Result {
            id: "abc",
            name: "defgh",
            text: "ijklmno",
            error: false,
        };
        assert_eq!((call.bytes(), result.bytes()), (15, 15));
    }

    #[test]
    fn every_kind_round_trips_through_one_line() {
        let u = Usage {
            input: 10,
            output: 2,
            cached: 1,
            cache_write: 4,
        };
        let recs = [
            Record::Header {
                id: "x",
                cwd: "/w \"q\"",
                provider: "openai",
                model: "m",
                created: 5,
                mote: "0.1.0",
                parent: "",
            },
            Record::Header {
                id: "y",
                cwd: "/w",
                provider: "openai",
                model: "m",
                created: 5,
                mote: "0.1.0",
                parent: "x",
            },
            Record::User {
                text: "line\nnext\u{1}",
            },
            Record::Image(crate::image::Image {
                media: "image/png".into(),
                size: 12,
                hash: "ab01".into(),
                path: "/w/shot \"1\".png".into(),
            }),
            Record::Reasoning {
                kind: "thinking",
                text: "hmm\n",
            },
            Record::Reasoning {
                kind: "signature",
                text: "c2ln==",
            },
            Record::Assistant { text: "" },
            Record::Call {
                id: "c1",
                name: "read",
                args: r#"{"path":"a"}"#,
            },
            Record::Result {
                id: "c1",
                name: "read",
                text: "x",
                error: true,
            },
            Record::Usage(u),
            Record::Compact {
                messages: 3,
                summary: "s",
            },
            Record::Subagent {
                call: "c2",
                session: "y",
            },
            Record::Checkpoint {
                seq: 2,
                at: "before",
                time: 9,
                messages: 4,
                commit: "abc",
                prompt: "fix \"it\"",
                note: "",
                uncovered: 1,
            },
            Record::Rewind { seq: 2 },
            Record::Moved { cwd: "/w/repo-b" },
        ];
        for r in &recs {
            let mut line = Vec::new();
            r.write(&mut line).unwrap();
            assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
            assert_eq!(line.last(), Some(&b'\n'));
            let v = crate::json::value::parse(std::str::from_utf8(&line).unwrap()).unwrap();
            assert_eq!(Record::parse(&v).unwrap().as_ref(), Some(r));
        }
        let v = crate::json::value::parse(r#"{"type":"thinking","text":"t"}"#).unwrap();
        assert_eq!(Record::parse(&v).unwrap(), None);
        let v = crate::json::value::parse(r#"{"type":"call","id":"c"}"#).unwrap();
        assert!(Record::parse(&v).unwrap_err().contains("name"));
    }
}

//! The conversation arena: every byte of message content in one growable
//! buffer, indexed by compact records of (role, kind, span). There is no
//! `String` per message; providers read messages out of it as borrowed
//! `Text`s while they assemble a request body, and the stream decoder
//! appends to the open record as text arrives, so a cut-off answer is kept.
//!
//! Text is kept wire-ready: escaped as the inside of a JSON string, which is
//! the same for every wire format, so a request body is framing plus copies
//! out of this buffer. It is escaped once, when appended. A record whose
//! escaped form would be over 1.5 times its size (control bytes escape to
//! six) is kept raw instead, flagged, and escaped as it is sent: memory
//! stays within 1.5 times the text. Readers who need the text itself
//! (display, hooks, session records) call `Text::unescape`.
//!
//! Records group into messages by position: a user message is one `Text`
//! record; an assistant message is a `Text` record (possibly empty)
//! followed by `CallId`, `CallName`, `CallArgs` triples; a tool result is
//! `ResultId`, `ResultName`, `ResultText`. Reasoning the provider wants back
//! (Anthropic thinking blocks, encrypted reasoning) comes first in an
//! assistant message: `Thinking` with an optional `Signature` after it, or
//! `Redacted`. An attached image is a user `Image` record holding only its
//! path, size, hash and type (src/image.rs); its own message.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    User,
    Assistant,
    Tool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Text,
    CallId,
    CallName,
    CallArgs,
    ResultId,
    ResultName,
    ResultText,
    /// Reasoning text, as streamed.
    Thinking,
    /// The signature of the `Thinking` record before it, kept byte for byte.
    Signature,
    /// An opaque (redacted or encrypted) reasoning block.
    Redacted,
    /// An attached image: `image::Image`'s arena form, never its bytes.
    Image,
}

/// Record flags.
const ERROR: u8 = 1;
/// The bytes are the text itself, not escaped.
const RAW: u8 = 2;
/// `CallArgs` that are a JSON object, once unescaped and trimmed.
const OBJECT: u8 = 4;

/// 12 bytes per record.
#[derive(Clone, Copy, Debug)]
pub struct Rec {
    pub role: Role,
    pub kind: Kind,
    flags: u8,
    start: u32,
    len: u32,
}

/// A record's text as stored: the inside of a JSON string (escaped), or
/// raw text that is escaped when it is sent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Text<'a> {
    /// Bytes, not `&str`: a request copies them without a UTF-8 check.
    stored: &'a [u8],
    flags: u8,
}

impl<'a> Text<'a> {
    /// Text that is kept raw (tests, and values from outside the arena).
    pub fn raw(s: &'a str) -> Text<'a> {
        Text {
            stored: s.as_bytes(),
            flags: RAW,
        }
    }

    /// The stored bytes and whether they are raw (`false`: escaped).
    pub fn stored(&self) -> (&'a [u8], bool) {
        (self.stored, self.flags & RAW != 0)
    }

    /// The text itself.
    pub fn unescape(&self) -> std::borrow::Cow<'a, str> {
        // Only &str, or escapes of it, is ever appended: spans are UTF-8.
        let s = std::str::from_utf8(self.stored).unwrap_or("");
        if self.flags & RAW != 0 {
            std::borrow::Cow::Borrowed(s)
        } else {
            crate::json::write::unescape(s)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.stored.is_empty()
    }

    /// Bytes held (about the text's length).
    pub fn len(&self) -> usize {
        self.stored.len()
    }

    /// Call arguments that are a JSON object (checked once, when stored).
    pub fn is_object(&self) -> bool {
        self.flags & OBJECT != 0
    }
}

/// Two texts are equal when they stand for the same text.
impl PartialEq for Text<'_> {
    fn eq(&self, o: &Text) -> bool {
        self.stored() == o.stored() || self.unescape() == o.unescape()
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, o: &&str) -> bool {
        self.unescape() == *o
    }
}

#[derive(Default)]
pub struct Arena {
    buf: Vec<u8>,
    recs: Vec<Rec>,
}

#[derive(Clone, Copy)]
pub struct Mark(usize, usize);

/// One tool call of an assistant message.
#[derive(Debug, PartialEq)]
pub struct Call<'a> {
    pub id: Text<'a>,
    pub name: Text<'a>,
    pub args: Text<'a>,
}

/// A reasoning block of an assistant message, to send back unchanged.
#[derive(Debug, PartialEq)]
pub struct Think<'a> {
    pub text: Text<'a>,
    pub signature: Text<'a>,
    /// `text` is opaque data (Anthropic `redacted_thinking`).
    pub redacted: bool,
}

#[derive(Debug, PartialEq)]
pub enum Msg<'a> {
    User(Text<'a>),
    Assistant {
        text: Text<'a>,
        calls: Vec<Call<'a>>,
        thinking: Vec<Think<'a>>,
    },
    Result {
        id: Text<'a>,
        name: Text<'a>,
        text: Text<'a>,
        error: bool,
    },
    /// An attached image, sent as a user message of its own.
    Image(crate::image::Image),
}

impl Arena {
    pub fn new() -> Arena {
        Arena::default()
    }

    /// Append a whole record: escaped, or raw when escaping would make it
    /// over 1.5 times as long.
    pub fn push(&mut self, role: Role, kind: Kind, text: &str) {
        self.open(role, kind);
        let esc = crate::json::write::escaped_len(text.as_bytes());
        if esc > text.len() + text.len() / 2 + 16 {
            self.buf.extend_from_slice(text.as_bytes());
            self.close(RAW);
        } else {
            self.extend(text);
        }
        if kind == Kind::CallArgs && object(text) {
            self.close(OBJECT);
        }
    }

    /// A point to roll back to.
    pub fn mark(&self) -> Mark {
        Mark(self.recs.len(), self.buf.len())
    }

    /// Forget everything appended since `m` (a failed attempt's partial turn).
    pub fn rollback(&mut self, m: Mark) {
        self.recs.truncate(m.0);
        self.buf.truncate(m.1);
    }

    /// Start an empty record; `extend` appends to it.
    pub fn open(&mut self, role: Role, kind: Kind) {
        let start = self.buf.len() as u32;
        self.recs.push(Rec {
            role,
            kind,
            flags: 0,
            start,
            len: 0,
        });
    }

    /// Append to the last record (escaped, unless the record is raw).
    pub fn extend(&mut self, text: &str) {
        let raw = match self.recs.last() {
            Some(r) => r.flags & RAW != 0,
            None => return,
        };
        if raw {
            self.buf.extend_from_slice(text.as_bytes());
        } else {
            crate::json::write::escape_into(&mut self.buf, text.as_bytes());
        }
        self.close(0);
    }

    /// The last record ends where the buffer does; `flags` are added.
    fn close(&mut self, flags: u8) {
        let end = self.buf.len() as u32;
        if let Some(r) = self.recs.last_mut() {
            r.len = end - r.start;
            r.flags |= flags;
        }
    }

    /// Mark the last record as a failed tool result.
    pub fn set_error(&mut self) {
        self.close(ERROR);
    }

    pub fn user(&mut self, text: &str) {
        self.push(Role::User, Kind::Text, text);
    }

    /// Attach an image (its arena form, from `image::attach`).
    pub fn image(&mut self, record: &str) {
        self.push(Role::User, Kind::Image, record);
    }

    pub fn call(&mut self, id: &str, name: &str, args: &str) {
        self.push(Role::Assistant, Kind::CallId, id);
        self.push(Role::Assistant, Kind::CallName, name);
        self.push(Role::Assistant, Kind::CallArgs, args);
    }

    pub fn result(&mut self, id: &str, name: &str, text: &str, error: bool) {
        self.push(Role::Tool, Kind::ResultId, id);
        self.push(Role::Tool, Kind::ResultName, name);
        self.push(Role::Tool, Kind::ResultText, text);
        if error {
            self.set_error();
        }
    }

    fn text(&self, r: &Rec) -> Text<'_> {
        let span = self
            .buf
            .get(r.start as usize..(r.start + r.len) as usize)
            .unwrap_or(&[]);
        Text {
            stored: span,
            flags: r.flags,
        }
    }

    /// The messages, in order.
    pub fn messages(&self) -> Messages<'_> {
        Messages { arena: self, i: 0 }
    }

    /// Bytes of message content held.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Where message `n` starts: its first record and its first byte (the
    /// ends when there are `n` messages or fewer).
    fn cut(&self, n: usize) -> (usize, usize) {
        let mut it = self.messages();
        for _ in 0..n {
            if it.next().is_none() {
                break;
            }
        }
        let cut = it.i.min(self.recs.len());
        (
            cut,
            self.recs
                .get(cut)
                .map_or(self.buf.len(), |r| r.start as usize),
        )
    }

    /// Compaction: replace the first `n` messages with one user message
    /// holding `summary`; the rest stay as they are. Used live and when a
    /// session file is replayed, so both build the same arena.
    pub fn compact(&mut self, n: usize, summary: &str) {
        let (cut, byte) = self.cut(n);
        let mut head = Arena::new();
        head.user(summary);
        let len = head.buf.len();
        self.buf.drain(..byte);
        self.buf.splice(0..0, head.buf);
        self.recs.drain(..cut);
        for r in &mut self.recs {
            r.start = r.start - byte as u32 + len as u32;
        }
        self.recs.splice(0..0, head.recs);
        // Give back what the dropped turns held, so memory stays bounded.
        if self.buf.capacity() > 2 * self.buf.len() + 4096 {
            self.buf.shrink_to_fit();
        }
        if self.recs.capacity() > 2 * self.recs.len() + 64 {
            self.recs.shrink_to_fit();
        }
    }

    /// Move messages `n..` out into a new arena (undone by `append`).
    pub fn split_off(&mut self, n: usize) -> Arena {
        let (cut, byte) = self.cut(n);
        let mut tail = Arena {
            buf: self.buf.split_off(byte),
            recs: self.recs.split_off(cut),
        };
        for r in &mut tail.recs {
            r.start -= byte as u32;
        }
        tail
    }

    /// Append every record of `other`.
    pub fn append(&mut self, other: &Arena) {
        let base = self.buf.len() as u32;
        self.buf.extend_from_slice(&other.buf);
        self.recs.extend(other.recs.iter().map(|r| Rec {
            start: r.start + base,
            ..*r
        }));
    }

    /// The text of the last assistant message.
    pub fn last_answer(&self) -> Text<'_> {
        self.recs
            .iter()
            .rev()
            .find(|r| r.role == Role::Assistant && r.kind == Kind::Text)
            .map_or(Text::default(), |r| self.text(r))
    }
}

/// Call arguments a wire may send as an object: a JSON object once trimmed.
fn object(args: &str) -> bool {
    let t = args.trim();
    t.starts_with('{') && crate::json::stream::validate(t.as_bytes()).is_ok()
}

pub struct Messages<'a> {
    arena: &'a Arena,
    i: usize,
}

impl<'a> Iterator for Messages<'a> {
    type Item = Msg<'a>;

    fn next(&mut self) -> Option<Msg<'a>> {
        let a = self.arena;
        let rec = |i: usize| a.recs.get(i);
        let text = |i: usize| rec(i).map_or(Text::default(), |r| a.text(r));
        let first = *rec(self.i)?;
        let msg = match (first.role, first.kind) {
            (Role::User, Kind::Image) => {
                self.i += 1;
                match crate::image::Image::parse(&a.text(&first).unescape()) {
                    Some(img) => Msg::Image(img),
                    None => Msg::User(Text::raw("[an attached image whose record is damaged]")),
                }
            }
            (Role::User, _) => {
                self.i += 1;
                Msg::User(a.text(&first))
            }
            (Role::Tool, _) => {
                let m = Msg::Result {
                    id: text(self.i),
                    name: text(self.i + 1),
                    text: text(self.i + 2),
                    error: rec(self.i + 2).is_some_and(|r| r.flags & ERROR != 0),
                };
                self.i += 3;
                m
            }
            (Role::Assistant, _) => {
                let mut calls = Vec::new();
                let mut thinking = Vec::new();
                let mut body = Text::default();
                let start = self.i;
                while let Some(r) = rec(self.i).filter(|r| r.role == Role::Assistant) {
                    match r.kind {
                        Kind::Text if body.is_empty() || r.len > 0 => body = a.text(r),
                        Kind::Thinking => thinking.push(Think {
                            text: a.text(r),
                            signature: Text::default(),
                            redacted: false,
                        }),
                        Kind::Signature => match thinking.last_mut() {
                            Some(t) if t.signature.is_empty() && !t.redacted => {
                                t.signature = a.text(r)
                            }
                            _ => {}
                        },
                        Kind::Redacted => thinking.push(Think {
                            text: a.text(r),
                            signature: Text::default(),
                            redacted: true,
                        }),
                        _ => break,
                    }
                    self.i += 1;
                }
                while rec(self.i).is_some_and(|r| r.kind == Kind::CallId) {
                    calls.push(Call {
                        id: text(self.i),
                        name: text(self.i + 1),
                        args: text(self.i + 2),
                    });
                    self.i += 3;
                }
                if self.i == start {
                    self.i += 1; // a stray record: skip it rather than loop
                }
                Msg::Assistant {
                    text: body,
                    calls,
                    thinking,
                }
            }
        };
        Some(msg)
    }
}

#[cfg(test)]
#[path = "arena_tests.rs"]
mod tests;

//! A streaming JSON parser, written by hand.
//!
//! It owns turning bytes that arrive in chunks split anywhere (inside a
//! string, a `\uXXXX` escape, a surrogate pair or a multi-byte UTF-8
//! character) into events: string fragments, whole scalars, and the opening
//! and closing of containers, each reported with the path at which it stands
//! (`choices.0.delta.content`). It builds no tree and does not recurse: the
//! nesting lives in an explicit, bounded stack. Provider decoders match on
//! paths; tool arguments are validated by running them through it whole.

use std::fmt;

/// What the parser reports, together with the path of the value.
#[derive(Debug, PartialEq)]
pub enum Event<'a> {
    /// A piece of a string value, decoded. Never split inside a character.
    Str(&'a str),
    /// The string value at this path is complete.
    StrEnd,
    /// A number, `true`, `false` or `null`, whole, as written.
    Scalar(&'a [u8]),
    /// An object (`b'{'`) or array (`b'['`) starts at this path.
    Open(u8),
    /// The object or array at this path is complete.
    Close(u8),
}

/// A syntax error, with the byte offset (counted over all chunks) where it was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub msg: &'static str,
    pub offset: u64,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.offset, self.msg)
    }
}

const MAX_DEPTH: usize = 64;
/// String bytes are handed out at least this often, so a long string never
/// piles up in the parser.
const FLUSH_AT: usize = 4096;

#[derive(Clone, Copy, PartialEq, Debug)]
enum State {
    /// A value is expected (top level, after `:` or `,` in an array).
    Value,
    /// Just after `[`: a value or `]`.
    ArrayFirst,
    /// Just after `{`: a key or `}`.
    ObjectFirst,
    /// After `,` in an object: a key.
    Key,
    /// After a key: `:`.
    Colon,
    /// After a value inside a container: `,` or the closing bracket.
    After,
    /// Inside a string (a key when `self.key`).
    Str,
    /// After a backslash in a string.
    Escape,
    /// Reading the hex digits of `\u`.
    Hex,
    /// Inside a number.
    Num,
    /// Inside `true`, `false` or `null`.
    Lit,
    /// A whole top-level value has been read.
    Done,
}

struct Frame {
    kind: u8,
    /// Length of `path` where this container's own path ends.
    base: usize,
    index: u32,
}

pub struct Parser {
    state: State,
    stack: Vec<Frame>,
    path: Vec<u8>,
    buf: Vec<u8>,
    key: bool,
    hex: u32,
    hex_len: u8,
    /// A high surrogate waiting for its low half.
    high: Option<u32>,
    lit: &'static [u8],
    lit_pos: u8,
    offset: u64,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

type Sink<'s> = dyn FnMut(&[u8], Event) + 's;

impl Parser {
    pub fn new() -> Parser {
        Parser {
            state: State::Value,
            stack: Vec::new(),
            path: Vec::new(),
            buf: Vec::new(),
            key: false,
            hex: 0,
            hex_len: 0,
            high: None,
            lit: b"",
            lit_pos: 0,
            offset: 0,
        }
    }

    /// Forget everything and expect a new top-level value. Keeps allocations.
    pub fn reset(&mut self) {
        self.state = State::Value;
        self.stack.clear();
        self.path.clear();
        self.buf.clear();
        self.key = false;
        self.high = None;
        self.offset = 0;
    }

    /// Parse one more chunk, reporting events to `sink` as they complete.
    pub fn feed(&mut self, input: &[u8], sink: &mut Sink) -> Result<(), Error> {
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            if self.state == State::Str && !self.key {
                // Fast path: copy a run of plain string bytes at once. The
                // scan stops at FLUSH_AT bytes: scanning to the string's end
                // for every chunk made one long string quadratic.
                let window = input.len().min(i + FLUSH_AT);
                let run = input
                    .get(i..window)
                    .unwrap_or_default()
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                let end = run.map_or(window, |r| i + r);
                if end > i {
                    self.flush_high();
                    self.buf.extend_from_slice(&input[i..end]);
                    self.offset += (end - i) as u64;
                    i = end;
                    if self.buf.len() >= FLUSH_AT {
                        self.flush(sink, false)?;
                    }
                    continue;
                }
            }
            if self.step(b, sink)? {
                i += 1;
                self.offset += 1;
            }
        }
        if self.state == State::Str && !self.key {
            self.flush(sink, false)?;
        }
        Ok(())
    }

    /// The input has ended: a number still open is completed; anything else
    /// unfinished is an error.
    pub fn finish(&mut self, sink: &mut Sink) -> Result<(), Error> {
        if self.state == State::Num {
            self.end_number(sink)?;
        }
        match self.state {
            State::Done => Ok(()),
            _ => Err(self.err("unexpected end of input")),
        }
    }

    fn err(&self, msg: &'static str) -> Error {
        Error {
            msg,
            offset: self.offset,
        }
    }

    /// Handle one byte. Returns false when the byte must be seen again in the
    /// new state (a number ends at the byte after it).
    fn step(&mut self, b: u8, sink: &mut Sink) -> Result<bool, Error> {
        match self.state {
            State::Str => self.string_byte(b, sink)?,
            State::Escape => self.escape(b)?,
            State::Hex => self.hex_digit(b)?,
            State::Num => {
                if matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                    if self.buf.len() >= 64 {
                        return Err(self.err("number too long"));
                    }
                    self.buf.push(b);
                } else {
                    self.end_number(sink)?;
                    return Ok(false);
                }
            }
            State::Lit => {
                if self.lit.get(self.lit_pos as usize) != Some(&b) {
                    return Err(self.err("unknown literal"));
                }
                self.lit_pos += 1;
                if self.lit_pos as usize == self.lit.len() {
                    sink(&self.path, Event::Scalar(self.lit));
                    self.after_value();
                }
            }
            State::Value | State::ArrayFirst => self.value_start(b, sink)?,
            State::ObjectFirst | State::Key => self.key_start(b, sink)?,
            State::Colon if is_ws(b) => {}
            State::Colon if b == b':' => self.state = State::Value,
            State::Colon => return Err(self.err("expected ':'")),
            State::After => self.separator(b, sink)?,
            State::Done if is_ws(b) => {}
            State::Done => return Err(self.err("trailing characters after the value")),
        }
        Ok(true)
    }

    /// Where a value is expected (`]` too, just after `[`).
    fn value_start(&mut self, b: u8, sink: &mut Sink) -> Result<(), Error> {
        if is_ws(b) {
            return Ok(());
        }
        if b == b']' && self.state == State::ArrayFirst {
            return self.close(b'[', sink);
        }
        self.begin_value(b, sink)
    }

    /// Where a key is expected (`}` too, just after `{`).
    fn key_start(&mut self, b: u8, sink: &mut Sink) -> Result<(), Error> {
        if is_ws(b) {
            return Ok(());
        }
        match b {
            b'}' if self.state == State::ObjectFirst => self.close(b'{', sink)?,
            b'"' => {
                let base = self.stack.last().map_or(0, |f| f.base);
                self.path.truncate(base);
                if base > 0 {
                    self.path.push(b'.');
                }
                self.key = true;
                self.state = State::Str;
            }
            _ => return Err(self.err("expected a key")),
        }
        Ok(())
    }

    /// After a value in a container: `,` or its closing bracket.
    fn separator(&mut self, b: u8, sink: &mut Sink) -> Result<(), Error> {
        if is_ws(b) {
            return Ok(());
        }
        let kind = self.stack.last().map_or(0, |f| f.kind);
        match (kind, b) {
            (b'{', b',') => self.state = State::Key,
            (b'[', b',') => {
                if let Some(f) = self.stack.last_mut() {
                    f.index += 1;
                }
                self.element_path();
                self.state = State::Value;
            }
            (b'{', b'}') | (b'[', b']') => self.close(kind, sink)?,
            _ => return Err(self.err("expected ',' or a closing bracket")),
        }
        Ok(())
    }

    /// A byte inside a string that the fast path in `feed` did not take.
    fn string_byte(&mut self, b: u8, sink: &mut Sink) -> Result<(), Error> {
        match b {
            b'"' => {
                self.flush_high();
                self.end_string(sink)?;
            }
            b'\\' => self.state = State::Escape,
            0..=0x1f => return Err(self.err("control character in string")),
            _ => {
                self.flush_high();
                self.buf.push(b);
            }
        }
        Ok(())
    }

    /// The byte after a backslash in a string.
    fn escape(&mut self, b: u8) -> Result<(), Error> {
        let c = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 8,
            b'f' => 12,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                self.hex = 0;
                self.hex_len = 0;
                self.state = State::Hex;
                return Ok(());
            }
            _ => return Err(self.err("bad escape in string")),
        };
        self.flush_high();
        self.buf.push(c);
        self.state = State::Str;
        Ok(())
    }

    /// One of the four hex digits of `\u`.
    fn hex_digit(&mut self, b: u8) -> Result<(), Error> {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return Err(self.err("bad \\u escape")),
        };
        self.hex = self.hex * 16 + d as u32;
        self.hex_len += 1;
        if self.hex_len == 4 {
            self.code_point(self.hex);
            self.state = State::Str;
        }
        Ok(())
    }

    fn begin_value(&mut self, b: u8, sink: &mut Sink) -> Result<(), Error> {
        match b {
            b'{' | b'[' => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.err("nesting too deep"));
                }
                sink(&self.path, Event::Open(b));
                self.stack.push(Frame {
                    kind: b,
                    base: self.path.len(),
                    index: 0,
                });
                if b == b'[' {
                    self.element_path();
                    self.state = State::ArrayFirst;
                } else {
                    self.state = State::ObjectFirst;
                }
            }
            b'"' => {
                self.key = false;
                self.buf.clear();
                self.state = State::Str;
            }
            b'-' | b'0'..=b'9' => {
                self.buf.clear();
                self.buf.push(b);
                self.state = State::Num;
            }
            b't' | b'f' | b'n' => {
                self.lit = match b {
                    b't' => b"true",
                    b'f' => b"false",
                    _ => b"null",
                };
                self.lit_pos = 1;
                self.state = State::Lit;
            }
            _ => return Err(self.err("expected a value")),
        }
        Ok(())
    }

    /// Set the path to `<container>.<index>` for the current array element.
    fn element_path(&mut self) {
        if let Some(f) = self.stack.last() {
            let (base, index) = (f.base, f.index);
            self.path.truncate(base);
            if base > 0 {
                self.path.push(b'.');
            }
            self.path.extend_from_slice(index.to_string().as_bytes());
        }
    }

    fn close(&mut self, kind: u8, sink: &mut Sink) -> Result<(), Error> {
        let Some(f) = self.stack.pop() else {
            return Err(self.err("unbalanced closing bracket"));
        };
        self.path.truncate(f.base);
        sink(&self.path, Event::Close(kind));
        self.after_value();
        Ok(())
    }

    fn after_value(&mut self) {
        self.state = if self.stack.is_empty() {
            State::Done
        } else {
            State::After
        };
    }

    fn end_number(&mut self, sink: &mut Sink) -> Result<(), Error> {
        if !valid_number(&self.buf) {
            return Err(self.err("malformed number"));
        }
        sink(&self.path, Event::Scalar(&self.buf));
        self.buf.clear();
        self.after_value();
        Ok(())
    }

    fn end_string(&mut self, sink: &mut Sink) -> Result<(), Error> {
        if self.key {
            if std::str::from_utf8(&self.buf).is_err() {
                return Err(self.err("invalid UTF-8 in key"));
            }
            self.path.extend_from_slice(&self.buf);
            self.buf.clear();
            self.key = false;
            self.state = State::Colon;
        } else {
            self.flush(sink, true)?;
            sink(&self.path, Event::StrEnd);
            self.after_value();
        }
        Ok(())
    }

    /// Hand out the decoded string bytes that form whole characters. At the
    /// end of the string every byte must.
    fn flush(&mut self, sink: &mut Sink, last: bool) -> Result<(), Error> {
        let valid = match std::str::from_utf8(&self.buf) {
            Ok(_) => self.buf.len(),
            Err(e) if e.error_len().is_none() && !last => e.valid_up_to(),
            Err(_) => return Err(self.err("invalid UTF-8 in string")),
        };
        if valid > 0 {
            if let Ok(s) = std::str::from_utf8(&self.buf[..valid]) {
                sink(&self.path, Event::Str(s));
            }
            self.buf.drain(..valid);
        }
        Ok(())
    }

    fn code_point(&mut self, cp: u32) {
        match cp {
            0xD800..=0xDBFF => {
                self.flush_high();
                self.high = Some(cp);
            }
            0xDC00..=0xDFFF => match self.high.take() {
                Some(h) => self.push_char(0x10000 + ((h - 0xD800) << 10) + (cp - 0xDC00)),
                None => self.push_char(0xFFFD),
            },
            _ => {
                self.flush_high();
                self.push_char(cp);
            }
        }
    }

    /// A high surrogate not followed by a low one becomes U+FFFD.
    fn flush_high(&mut self) {
        if self.high.take().is_some() {
            self.push_char(0xFFFD);
        }
    }

    fn push_char(&mut self, cp: u32) {
        let c = char::from_u32(cp).unwrap_or('\u{FFFD}');
        let mut tmp = [0u8; 4];
        self.buf
            .extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
fn valid_number(s: &[u8]) -> bool {
    let mut i = 0;
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let digits = |mut i: usize| {
        let start = i;
        while at(i).is_ascii_digit() {
            i += 1;
        }
        (i, i > start)
    };
    if at(i) == b'-' {
        i += 1;
    }
    if at(i) == b'0' {
        i += 1;
    } else {
        let (j, any) = digits(i);
        if !any {
            return false;
        }
        i = j;
    }
    if at(i) == b'.' {
        let (j, any) = digits(i + 1);
        if !any {
            return false;
        }
        i = j;
    }
    if matches!(at(i), b'e' | b'E') {
        i += 1;
        if matches!(at(i), b'+' | b'-') {
            i += 1;
        }
        let (j, any) = digits(i);
        if !any {
            return false;
        }
        i = j;
    }
    i == s.len()
}

/// The rest of `path` after `prefix` and a dot, if `path` is below `prefix`.
pub fn below<'p>(path: &'p [u8], prefix: &[u8]) -> Option<&'p [u8]> {
    let rest = path.strip_prefix(prefix)?;
    rest.strip_prefix(b".")
}

/// Check that `input` is one whole JSON value.
pub fn validate(input: &[u8]) -> Result<(), Error> {
    let mut p = Parser::new();
    let sink = &mut |_: &[u8], _: Event| {};
    p.feed(input, sink)?;
    p.finish(sink)
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;

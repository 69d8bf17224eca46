//! A request body being assembled: the wire's framing, small values and
//! short texts in one buffer, and the conversation's long texts as borrowed
//! spans of the arena (already escaped there), so the body's length is the
//! sum of stored sizes (no counting pass) and sending it is a few large
//! copies. A `Source` is a piece produced only while the body is sent, of a
//! length known before (an image streamed from disk).

use std::io::{self, Write};

use crate::arena::Text;
use crate::json::write::{escape_into, escaped_len, unescape};

/// Bytes written into the body as it is sent, of a known length.
pub trait Source {
    /// Exactly the bytes `write_to` writes.
    fn size(&self) -> u64;
    /// May be called more than once (a request sent again).
    fn write_to(&self, w: &mut dyn Write) -> io::Result<()>;
}

enum Part<'a> {
    /// `small[start..end]`.
    Small(usize, usize),
    /// Bytes sent as they are (escaped arena text).
    Copy(&'a [u8]),
    /// Raw text, escaped as it is sent.
    Escape(&'a [u8]),
    Source(Box<dyn Source + 'a>),
}

/// Arena texts shorter than this are copied into the framing buffer rather
/// than kept as a span of their own.
const SPAN_MIN: usize = 256;

#[derive(Default)]
pub struct ReqBody<'a> {
    small: Vec<u8>,
    parts: Vec<Part<'a>>,
    /// Bytes in parts other than `Small`.
    big: u64,
    /// `small` up to here is in `parts`.
    sealed: usize,
}

impl<'a> ReqBody<'a> {
    pub fn new() -> ReqBody<'a> {
        ReqBody::default()
    }

    /// The body's length in bytes.
    pub fn len(&self) -> u64 {
        self.small.len() as u64 + self.big
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Framing bytes, sent as they are.
    pub fn raw(&mut self, b: &[u8]) {
        self.small.extend_from_slice(b);
    }

    /// `s` as a quoted JSON string (values from outside the arena).
    pub fn string(&mut self, s: &str) {
        self.small.push(b'"');
        escape_into(&mut self.small, s.as_bytes());
        self.small.push(b'"');
    }

    /// Arena text as a quoted JSON string.
    pub fn text(&mut self, t: Text<'a>) {
        self.small.push(b'"');
        self.inside(t);
        self.small.push(b'"');
    }

    /// Arena text as the inside of a JSON string (no quotes).
    pub fn inside(&mut self, t: Text<'a>) {
        match t.stored() {
            (s, false) if s.len() < SPAN_MIN => self.small.extend_from_slice(s),
            (s, false) => self.span(Part::Copy(s), s.len() as u64),
            (s, true) if s.len() < SPAN_MIN => escape_into(&mut self.small, s),
            (s, true) => {
                let n = escaped_len(s) as u64;
                self.span(Part::Escape(s), n)
            }
        }
    }

    /// Call arguments as a JSON object: the model's text if it is one,
    /// else `{}` (a broken call must not break every later request).
    pub fn object(&mut self, args: Text<'a>) {
        if !args.is_object() {
            return self.raw(b"{}");
        }
        match args.stored() {
            (s, true) => self.raw(s.trim_ascii()),
            (s, false) => {
                let u = unescape(std::str::from_utf8(s).unwrap_or("{}"));
                self.raw(u.trim().as_bytes())
            }
        }
    }

    /// A piece produced while the body is sent.
    pub fn source(&mut self, s: Box<dyn Source + 'a>) {
        let n = s.size();
        self.span(Part::Source(s), n);
    }

    fn span(&mut self, p: Part<'a>, n: u64) {
        self.seal();
        self.parts.push(p);
        self.big += n;
    }

    /// Close the framing written since the last part into a part.
    fn seal(&mut self) {
        if self.small.len() > self.sealed {
            self.parts.push(Part::Small(self.sealed, self.small.len()));
            self.sealed = self.small.len();
        }
    }

    /// Write the whole body to `w`, in order.
    pub fn send(&mut self, w: &mut dyn Write) -> io::Result<()> {
        self.seal();
        for p in &self.parts {
            match p {
                Part::Small(a, b) => w.write_all(self.small.get(*a..*b).unwrap_or(&[]))?,
                Part::Copy(b) => w.write_all(b)?,
                Part::Escape(s) => {
                    // In pieces, so the escaped copy is never whole in memory.
                    let mut buf = Vec::with_capacity(16 * 1024 + 16 * 6);
                    for piece in s.chunks(16 * 1024) {
                        buf.clear();
                        escape_into(&mut buf, piece);
                        w.write_all(&buf)?;
                    }
                }
                Part::Source(s) => s.write_to(w)?,
            }
        }
        Ok(())
    }

    /// The whole body as bytes (tests, goldens).
    pub fn to_vec(&mut self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len() as usize);
        let _ = self.send(&mut v);
        v
    }
}

/// Framing written with `write!`.
impl Write for ReqBody<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.small.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arena::Arena;

    struct Stars(u64);
    impl Source for Stars {
        fn size(&self) -> u64 {
            self.0
        }
        fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
            w.write_all(&vec![b'*'; self.0 as usize])
        }
    }

    #[test]
    fn length_is_known_before_sending_and_matches_what_is_sent() {
        let long = "line \"quoted\"\n".repeat(100);
        let ctrl = "\u{1}\u{2}".repeat(300);
        let mut a = Arena::new();
        a.user(&long);
        a.user(&ctrl);
        a.user("short");
        let texts: Vec<_> = a
            .messages()
            .map(|m| match m {
                crate::arena::Msg::User(t) => t,
                _ => unreachable!(),
            })
            .collect();
        assert!(texts[1].stored().1, "control bytes are kept raw");
        let mut b = ReqBody::new();
        b.raw(b"[");
        for (i, t) in texts.iter().enumerate() {
            if i > 0 {
                b.raw(b",");
            }
            b.text(*t);
        }
        b.raw(b",");
        b.source(Box::new(Stars(3)));
        write!(b, ",{}]", 7).unwrap();
        let n = b.len();
        let sent = b.to_vec();
        assert_eq!(sent.len() as u64, n);
        let mut want = Vec::new();
        want.push(b'[');
        for s in [&long, &ctrl, &"short".to_string()] {
            crate::json::write::string(&mut want, s).unwrap();
            want.push(b',');
        }
        want.extend_from_slice(b"***,7]");
        assert_eq!(
            String::from_utf8(sent).unwrap(),
            String::from_utf8(want).unwrap()
        );
        // Sent again (a retried request): the same bytes.
        assert_eq!(b.to_vec().len() as u64, n);
    }
}

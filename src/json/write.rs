//! Writing JSON: string escaping into any `io::Write`, so request bodies and
//! output lines are produced straight from borrowed bytes without building
//! intermediate values.

use std::io::{self, Write};

/// Write `s` as a quoted JSON string.
pub fn string(w: &mut dyn Write, s: &str) -> io::Result<()> {
    w.write_all(b"\"")?;
    escaped(w, s)?;
    w.write_all(b"\"")
}

/// Write `s` escaped for the inside of a JSON string, without quotes.
pub fn escaped(w: &mut dyn Write, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        w.write_all(&bytes[start..i])?;
        if esc.is_empty() {
            write!(w, "\\u{:04x}", b)?;
        } else {
            w.write_all(esc)?;
        }
        start = i + 1;
    }
    w.write_all(&bytes[start..])
}

/// A JSON string literal as an owned `String`, for small values.
pub fn quote(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    let _ = string(&mut out, s);
    String::from_utf8(out).unwrap_or_default()
}

/// An `io::Write` that only counts bytes: used to learn a body's length
/// before streaming it, instead of holding a second copy of it.
#[derive(Default)]
pub struct Counter(pub u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_json_requires() {
        assert_eq!(quote("a\"b\\c\nd\u{1}é"), r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn escaped_output_parses_back() {
        let s = "tab\t cr\r nul\0 quote\" 😀";
        let q = quote(s);
        let mut got = String::new();
        let mut p = super::super::Parser::new();
        p.feed(q.as_bytes(), &mut |_, e| {
            if let super::super::Event::Str(f) = e {
                got.push_str(f)
            }
        })
        .unwrap();
        assert_eq!(got, s);
    }
}

//! Writing JSON: string escaping into any `io::Write` (output lines,
//! session records) or appended to a buffer (the conversation arena, which
//! keeps text escaped so request bodies are copies), the length escaping
//! gives, and unescaping for the rare reader who needs the text back.

use std::borrow::Cow;
use std::io::{self, Write};

/// What a byte becomes inside a JSON string: 0 for itself, else the letter
/// after the backslash (`u` for `\u00XX`).
const ESC: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

/// Append `s` escaped for the inside of a JSON string (the same bytes
/// `escaped` writes): runs without escapes are copied whole.
pub fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let e = ESC[b as usize];
        if e == 0 {
            continue;
        }
        out.extend_from_slice(bytes.get(start..i).unwrap_or(&[]));
        if e == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(b >> 4) as usize]);
            out.push(HEX[(b & 15) as usize]);
        } else {
            out.push(b'\\');
            out.push(e);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or(&[]));
}

/// How long `s` is once escaped.
pub fn escaped_len(s: &[u8]) -> usize {
    s.iter()
        .map(|&b| match ESC[b as usize] {
            0 => 1,
            b'u' => 6,
            _ => 2,
        })
        .sum()
}

/// The text an escaped JSON string body stands for (as `escape_into`
/// writes it; a malformed escape is kept as it is). Borrowed when there is
/// no escape in it.
pub fn unescape(esc: &str) -> Cow<'_, str> {
    if !esc.contains('\\') {
        return Cow::Borrowed(esc);
    }
    let mut out = String::with_capacity(esc.len());
    let mut rest = esc;
    while let Some(i) = rest.find('\\') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        let mut chars = after.chars();
        let (c, used) = match chars.next() {
            Some('n') => ('\n', 1),
            Some('r') => ('\r', 1),
            Some('t') => ('\t', 1),
            Some('b') => ('\u{8}', 1),
            Some('f') => ('\u{c}', 1),
            Some('u') => match after
                .get(1..5)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .and_then(char::from_u32)
            {
                Some(c) => (c, 5),
                None => ('\\', 0),
            },
            Some(c) => (c, c.len_utf8()),
            None => ('\\', 0),
        };
        out.push(c);
        rest = after.get(used..).unwrap_or("");
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Write `s` as a quoted JSON string.
pub fn string(w: &mut dyn Write, s: &str) -> io::Result<()> {
    w.write_all(b"\"")?;
    escaped(w, s)?;
    w.write_all(b"\"")
}

/// Write `s` escaped for the inside of a JSON string, without quotes.
pub fn escaped(w: &mut dyn Write, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| ESC[b as usize] != 0) {
        return w.write_all(bytes);
    }
    let mut out = Vec::with_capacity(s.len() + s.len() / 8);
    escape_into(&mut out, bytes);
    w.write_all(&out)
}

/// A JSON string literal as an owned `String`, for small values.
pub fn quote(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    let _ = string(&mut out, s);
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_json_requires() {
        assert_eq!(quote("a\"b\\c\nd\u{1}é"), r#""a\"b\\c\nd\u0001é""#);
    }

    #[test]
    fn escape_into_matches_what_the_parser_reads_back() {
        let s = "tab\t cr\r nul\0 \u{1f} quote\" back\\ 😀 plain";
        let mut out = Vec::new();
        escape_into(&mut out, s.as_bytes());
        let esc = String::from_utf8(out).unwrap();
        assert_eq!(
            esc,
            r#"tab\t cr\r nul\u0000 \u001f quote\" back\\ 😀 plain"#
        );
        assert_eq!(escaped_len(s.as_bytes()), esc.len());
        assert_eq!(unescape(&esc), s);
        assert!(matches!(unescape("no escapes"), Cow::Borrowed(_)));
        assert_eq!(unescape(r#"\u00e9\b\/"#), "é\u{8}/");
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

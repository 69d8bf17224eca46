//! What of the model's and the tools' text may reach a terminal: every
//! control sequence (CSI, OSC, DCS and the other string sequences, in
//! their 7-bit `ESC x` and 8-bit C1 forms) is dropped with its payload, and
//! so is every other control character except newline and tab. A sequence
//! left open at the end of the text is dropped to the end, so cleaning a
//! prefix of a text gives a prefix of the cleaned text. The colours mote
//! adds itself are added after cleaning.

use std::borrow::Cow;

/// `s` with no control sequences or control characters but '\n' and '\t'.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| control(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    scan(s, &mut out);
    Cow::Owned(out)
}

/// Cleans text that arrives in pieces: a sequence split between two
/// pieces is held back (up to `HOLD` bytes) and dropped whole.
#[derive(Default)]
pub struct Stream {
    held: String,
}

const HOLD: usize = 4096;

impl Stream {
    pub fn push(&mut self, s: &str) -> String {
        let mut buf = std::mem::take(&mut self.held);
        buf.push_str(s);
        let mut out = String::with_capacity(buf.len());
        if let Some(at) = scan(&buf, &mut out) {
            if buf.len() - at <= HOLD {
                self.held = buf.get(at..).unwrap_or("").to_string();
            }
        }
        out
    }
}

/// Append `s` cleaned to `out`; where a sequence left open at the end starts.
fn scan(s: &str, out: &mut String) -> Option<usize> {
    let mut it = s.char_indices().peekable();
    while let Some((at, c)) = it.next() {
        let intro = match c {
            '\x1b' => match it.next().map(|(_, k)| k) {
                Some('[') => '\u{9b}',
                Some(']') => '\u{9d}',
                Some(k @ ('P' | 'X' | '^' | '_')) => {
                    char::from_u32(k as u32 + 0x40).unwrap_or('\u{90}')
                }
                // A two- or three-character escape: ESC, intermediates, final.
                Some(mut k) => {
                    while (' '..='/').contains(&k) {
                        match it.next() {
                            Some((_, n)) => k = n,
                            None => return Some(at),
                        }
                    }
                    continue;
                }
                None => return Some(at),
            },
            c => c,
        };
        match intro {
            // CSI: parameters and intermediates, then one final byte.
            '\u{9b}' => loop {
                match it.next() {
                    Some((_, k)) if (' '..='?').contains(&k) => {}
                    Some(_) => break,
                    None => return Some(at),
                }
            },
            // OSC, DCS, SOS, PM, APC: a string ended by BEL (OSC) or ST.
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => loop {
                match it.next() {
                    Some((_, '\x07' | '\u{9c}')) => break,
                    Some((_, '\x1b')) if it.next_if(|&(_, k)| k == '\\').is_some() => break,
                    Some(_) => {}
                    None => return Some(at),
                }
            },
            c if control(c) && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    None
}

fn control(c: char) -> bool {
    c < ' ' || ('\x7f'..='\u{9f}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn drops_sequences_and_controls() {
        let cases = [
            ("plain\ttext\n", "plain\ttext\n"),
            ("a\x1b]0;pwned\x07b", "ab"),
            ("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),
            ("a\x1b[31mred\x1b[0m b", "ared b"),
            ("a\x1b[2J\x1b[?1049hb", "ab"),
            ("a\u{9b}31mb\u{9d}2;t\u{9c}c", "abc"),
            ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
            ("a\x1b(Bb\x1b7c\x1b", "abc"),
            ("over\rwrite\x08\x7f\x00", "overwrite"),
            ("title\x1b]2;never ended", "title"),
            ("日本\x1b[1m語", "日本語"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "{input:?}");
        }
        // Cut anywhere, streamed pieces clean to the whole's cleaning.
        let w = "a\x1b]0;title\x07b\x1b[1;31mc\x1bPdcs\x1b\\d\u{9b}2Je\x1b(Bf";
        for n in 0..w.len() {
            if let (Some(a), Some(b)) = (w.get(..n), w.get(n..)) {
                let mut st = super::Stream::default();
                let got = st.push(a) + &st.push(b);
                assert_eq!(got, clean(w), "cut at {n}");
            }
        }
        // A prefix cleans to a prefix of the whole.
        let whole = "x \x1b]0;t i t l e\x07 y";
        for n in 0..whole.len() {
            if let Some(p) = whole.get(..n) {
                assert!(clean(whole).starts_with(&*clean(p)), "{p:?}");
            }
        }
    }
}

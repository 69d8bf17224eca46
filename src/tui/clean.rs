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
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        let intro = match c {
            '\x1b' => match it.next() {
                Some('[') => '\u{9b}',
                Some(']') => '\u{9d}',
                Some(k @ ('P' | 'X' | '^' | '_')) => {
                    char::from_u32(k as u32 + 0x40).unwrap_or('\u{90}')
                }
                // A two- or three-character escape: ESC, intermediates, final.
                Some(mut k) => {
                    while (' '..='/').contains(&k) {
                        match it.next() {
                            Some(n) => k = n,
                            None => break,
                        }
                    }
                    continue;
                }
                None => continue,
            },
            c => c,
        };
        match intro {
            // CSI: parameters and intermediates, then one final byte.
            '\u{9b}' => {
                for k in it.by_ref() {
                    if ('@'..='~').contains(&k) || !(' '..='?').contains(&k) {
                        break;
                    }
                }
            }
            // OSC, DCS, SOS, PM, APC: a string ended by BEL (OSC) or ST.
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                while let Some(k) = it.next() {
                    if k == '\x07' || k == '\u{9c}' || k == '\x1b' && it.next_if_eq(&'\\').is_some()
                    {
                        break;
                    }
                }
            }
            c if control(c) && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
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
        // A prefix cleans to a prefix of the whole.
        let whole = "x \x1b]0;t i t l e\x07 y";
        for n in 0..whole.len() {
            if let Some(p) = whole.get(..n) {
                assert!(clean(whole).starts_with(&*clean(p)), "{p:?}");
            }
        }
    }
}

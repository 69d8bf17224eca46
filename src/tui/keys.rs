//! Bytes from a raw-mode terminal to keys: UTF-8 characters, control
//! keys, the escape sequences of xterm-style terminals (arrows, Home/End,
//! Delete, Ctrl/Alt+arrows, Alt+Enter) and the bracketed-paste markers.
//! Pure, so the tests can feed it any bytes.

#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Char(char),
    Enter,
    /// Alt+Enter (or Ctrl-J): a newline inside the input.
    Newline,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    WordLeft,
    WordRight,
    /// Ctrl-W or Alt+Backspace.
    KillWordBack,
    /// Alt+D.
    KillWordFwd,
    KillToStart,
    KillToEnd,
    CtrlC,
    CtrlD,
    CtrlL,
    /// Reverse history search.
    CtrlR,
    /// Edit the input in $VISUAL/$EDITOR.
    CtrlG,
    Tab,
    Esc,
    PasteStart,
    PasteEnd,
    /// A sequence this editor does not use.
    Ignore,
}

/// Decode the first key in `b`: the key and the bytes it took, or `None`
/// when `b` holds only the start of one (a lone ESC is decided by the
/// caller, after a short wait for more bytes).
pub fn parse(b: &[u8]) -> Option<(Key, usize)> {
    let first = *b.first()?;
    let k = match first {
        0x1b => return escape(b),
        0x01 => Key::Home,
        0x02 => Key::Left,
        0x03 => Key::CtrlC,
        0x04 => Key::CtrlD,
        0x05 => Key::End,
        0x06 => Key::Right,
        0x07 => Key::CtrlG,
        0x08 | 0x7f => Key::Backspace,
        0x09 => Key::Tab,
        0x0a => Key::Newline,
        0x0b => Key::KillToEnd,
        0x0c => Key::CtrlL,
        0x0d => Key::Enter,
        0x0e => Key::Down,
        0x10 => Key::Up,
        0x12 => Key::CtrlR,
        0x15 => Key::KillToStart,
        0x17 => Key::KillWordBack,
        0x00..=0x1f => Key::Ignore,
        0x20..=0x7e => Key::Char(first as char),
        _ => return utf8(b),
    };
    Some((k, 1))
}

fn utf8(b: &[u8]) -> Option<(Key, usize)> {
    let first = *b.first()?;
    let len = match first {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return Some((Key::Ignore, 1)),
    };
    let seq = b.get(..len)?;
    match std::str::from_utf8(seq).ok().and_then(|s| s.chars().next()) {
        Some(c) => Some((Key::Char(c), len)),
        None => Some((Key::Ignore, 1)),
    }
}

fn escape(b: &[u8]) -> Option<(Key, usize)> {
    let second = *b.get(1)?;
    let k = match second {
        b'[' => return csi(b),
        b'O' => {
            let k = match *b.get(2)? {
                b'H' => Key::Home,
                b'F' => Key::End,
                b'A' => Key::Up,
                b'B' => Key::Down,
                b'C' => Key::Right,
                b'D' => Key::Left,
                _ => Key::Ignore,
            };
            return Some((k, 3));
        }
        b'\r' | b'\n' => Key::Newline,
        b'b' => Key::WordLeft,
        b'f' => Key::WordRight,
        b'd' => Key::KillWordFwd,
        0x7f | 0x08 => Key::KillWordBack,
        0x1b => return Some((Key::Esc, 1)),
        _ => Key::Ignore,
    };
    Some((k, 2))
}

/// "ESC [ params final": the parameters are digits and ';'.
fn csi(b: &[u8]) -> Option<(Key, usize)> {
    let rest = b.get(2..)?;
    let end = rest.iter().position(|&c| (0x40..=0x7e).contains(&c))?;
    let params = std::str::from_utf8(rest.get(..end)?).unwrap_or("");
    let fin = *rest.get(end)?;
    let mods = params
        .split(';')
        .nth(1)
        .and_then(|m| m.parse::<u8>().ok())
        .unwrap_or(1);
    let word = mods == 3 || mods == 5; // Alt or Ctrl
    let k = match (fin, params) {
        (b'A', _) => Key::Up,
        (b'B', _) => Key::Down,
        (b'C', _) if word => Key::WordRight,
        (b'D', _) if word => Key::WordLeft,
        (b'C', _) => Key::Right,
        (b'D', _) => Key::Left,
        (b'H', _) => Key::Home,
        (b'F', _) => Key::End,
        (b'~', "1" | "7") => Key::Home,
        (b'~', "4" | "8") => Key::End,
        (b'~', "3") => Key::Delete,
        (b'~', "200") => Key::PasteStart,
        (b'~', "201") => Key::PasteEnd,
        _ => Key::Ignore,
    };
    Some((k, end + 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(mut b: &[u8]) -> Vec<Key> {
        let mut v = Vec::new();
        while let Some((k, n)) = parse(b) {
            v.push(k);
            b = &b[n..];
        }
        v
    }

    #[test]
    fn decodes() {
        use Key::*;
        assert_eq!(
            keys(b"a\x1b[D\x1b[1;5C\x1b[3~\x1bOH\x1b\r\x03"),
            [Char('a'), Left, WordRight, Delete, Home, Newline, CtrlC]
        );
        assert_eq!(
            keys("é日🦀".as_bytes()),
            [Char('é'), Char('日'), Char('🦀')]
        );
        assert_eq!(
            keys(b"\x1b[200~x\x1b[201~"),
            [PasteStart, Char('x'), PasteEnd]
        );
        // Incomplete input waits for more.
        assert_eq!(parse(b"\x1b["), None);
        assert_eq!(parse(&"日".as_bytes()[..2]), None);
        assert_eq!(parse(b"\x1b"), None);
        assert_eq!(keys(b"\xff\x1b[99;99Zq"), [Ignore, Ignore, Char('q')]);
    }
}

//! The grep prefilter: a literal that every match of a regex must contain,
//! read off the pattern text (regex-lite has no literal optimiser), and a
//! fast search for it with memchr. A line without the literal cannot match,
//! so the regex runs only on lines the search lands in. The extraction is
//! conservative: anything it does not fully understand (flags, alternation
//! at the top level, hex escapes) gives no literal, and the regex then runs
//! on every line as before. Case-insensitive search is ASCII-only, exactly
//! as regex-lite's case folding is.

use memchr::memmem;

/// The runs of plain characters that every match of `pattern` must
/// contain, longest first; `None` when there is none or the pattern is
/// beyond this reader.
pub fn required(pattern: &str) -> Option<Vec<String>> {
    let mut runs = Vec::new();
    let mut run = String::new();
    let mut it = pattern.chars().peekable();
    let mut depth = 0usize;
    // U+FFFD also stands for invalid bytes, which the raw file does not hold.
    let end_run = |run: &mut String, runs: &mut Vec<String>| {
        if !run.is_empty() && !run.contains('\u{fffd}') {
            runs.push(std::mem::take(run));
        }
        run.clear();
    };
    while let Some(c) = it.next() {
        let atom = atom(c, &mut it, &mut depth)?.filter(|_| depth == 0);
        let min = repetition(&mut it)?;
        match (atom, min) {
            (Some(ch), None) => run.push(ch),
            (Some(ch), Some(m)) => {
                if m > 0 {
                    run.push(ch);
                }
                end_run(&mut run, &mut runs);
            }
            (None, _) => end_run(&mut run, &mut runs),
        }
    }
    end_run(&mut run, &mut runs);
    // Longest first; the sort is stable, so among equals the first.
    crate::sort::by_key(&mut runs, |r| std::cmp::Reverse(r.len()));
    (!runs.is_empty()).then_some(runs)
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// The atom `c` starts: `Some(Some(ch))` for one plain character,
/// `Some(None)` for anything else (a class, a group's edge, an anchor),
/// `None` for what this reader gives up on. `depth` counts open groups.
fn atom(c: char, it: &mut Chars, depth: &mut usize) -> Option<Option<char>> {
    Some(match c {
        '\\' => escape(it)?,
        '[' => {
            skip_class(it)?;
            None
        }
        '(' => {
            if it.peek() == Some(&'?') {
                it.next();
                match it.next()? {
                    ':' => {}
                    'P' | '<' => skip_past(it, '>')?,
                    _ => return None, // flags such as (?i) or (?x)
                }
            }
            *depth += 1;
            None
        }
        ')' => {
            *depth = depth.checked_sub(1)?;
            None
        }
        '|' if *depth == 0 => return None,
        '.' | '^' | '$' | '|' => None,
        '?' | '*' | '+' | '{' => return None, // nothing to repeat: the regex failed to compile
        c => Some(c),
    })
}

/// The atom after a backslash, as `atom` answers.
fn escape(it: &mut Chars) -> Option<Option<char>> {
    Some(match it.next()? {
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        'f' => Some('\x0c'),
        'v' => Some('\x0b'),
        'a' => Some('\x07'),
        'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'A' | 'z' | '<' | '>' => None,
        'b' | 'B' => {
            if it.peek() == Some(&'{') {
                skip_past(it, '}')?;
            }
            None
        }
        e if e.is_ascii_punctuation() => Some(e),
        _ => return None,
    })
}

/// A repetition after an atom: `Some(Some(min))`, `Some(None)` for none,
/// `None` for one this reader gives up on (a repeated repetition). Min 0
/// drops the atom, min 1+ keeps one copy but ends the run (what follows
/// need not come right after it).
fn repetition(it: &mut Chars) -> Option<Option<u32>> {
    let min = match it.peek() {
        Some('?' | '*') => {
            it.next();
            0
        }
        Some('+') => {
            it.next();
            1
        }
        Some('{') => {
            it.next();
            let mut digits = String::new();
            for d in it.by_ref() {
                if d == '}' {
                    break;
                }
                digits.push(d);
            }
            digits.split(',').next()?.trim().parse::<u32>().ok()?
        }
        _ => return Some(None),
    };
    if it.peek() == Some(&'?') {
        it.next(); // lazy
    }
    if matches!(it.peek(), Some('?' | '*' | '+' | '{')) {
        return None; // a repeated repetition
    }
    Some(Some(min))
}

/// Skip to just past `close`.
fn skip_past(it: &mut impl Iterator<Item = char>, close: char) -> Option<()> {
    it.find(|&c| c == close).map(|_| ())
}

/// Skip a bracketed class, its opening `[` already read: nested classes,
/// escapes and a leading `]` (or `^]`) that is a literal.
fn skip_class(it: &mut std::iter::Peekable<std::str::Chars>) -> Option<()> {
    let mut depth = 1;
    if it.peek() == Some(&'^') {
        it.next();
    }
    if it.peek() == Some(&']') {
        it.next();
    }
    while depth > 0 {
        match it.next()? {
            '\\' => {
                it.next()?;
            }
            '[' => {
                depth += 1;
                if it.peek() == Some(&'^') {
                    it.next();
                }
                if it.peek() == Some(&']') {
                    it.next();
                }
            }
            ']' => depth -= 1,
            _ => {}
        }
    }
    Some(())
}

/// The literals a matching line must contain: a fast search for the first
/// finds candidate lines, and a candidate must hold the rest as well.
pub struct Prefilter {
    first: Finder,
    rest: Vec<Finder>,
}

impl Prefilter {
    pub fn new(needles: &[String], ignore_case: bool) -> Option<Prefilter> {
        let (first, rest) = needles.split_first()?;
        Some(Prefilter {
            first: Finder::new(first, ignore_case),
            rest: rest.iter().map(|n| Finder::new(n, ignore_case)).collect(),
        })
    }

    /// Offset of the first occurrence of the first literal in `hay`.
    pub fn find(&self, hay: &[u8]) -> Option<usize> {
        self.first.find(hay)
    }

    /// `line` holds the other literals too.
    pub fn rest_in(&self, line: &[u8]) -> bool {
        self.rest.iter().all(|f| f.find(line).is_some())
    }
}

/// A search for one literal in raw bytes.
pub enum Finder {
    Exact(Box<memmem::Finder<'static>>),
    /// ASCII case-insensitive: memchr for both cases of the needle's rarest
    /// byte, then a folded compare of the whole needle around each hit.
    Folded {
        needle: Vec<u8>,
        at: usize,
        lo: u8,
        up: u8,
    },
}

impl Finder {
    pub fn new(needle: &str, ignore_case: bool) -> Finder {
        let bytes = needle.as_bytes();
        if !ignore_case {
            return Finder::Exact(Box::new(memmem::Finder::new(bytes).into_owned()));
        }
        let at = (0..bytes.len())
            .min_by_key(|&i| rank(bytes.get(i).copied().unwrap_or(0)))
            .unwrap_or(0);
        let b = bytes.get(at).copied().unwrap_or(0);
        Finder::Folded {
            needle: bytes.to_vec(),
            at,
            lo: b.to_ascii_lowercase(),
            up: b.to_ascii_uppercase(),
        }
    }

    /// Offset of the first occurrence in `hay`.
    pub fn find(&self, hay: &[u8]) -> Option<usize> {
        match self {
            Finder::Exact(f) => f.find(hay),
            Finder::Folded { needle, at, lo, up } => {
                let mut from = *at;
                loop {
                    let hit = from + memchr::memchr2(*lo, *up, hay.get(from..)?)?;
                    let start = hit - at;
                    let cand = hay.get(start..start + needle.len())?;
                    if cand.eq_ignore_ascii_case(needle) {
                        return Some(start);
                    }
                    from = hit + 1;
                }
            }
        }
    }
}

/// How common a byte is in source text (lower is rarer), to pick the byte
/// that memchr looks for.
fn rank(b: u8) -> u8 {
    const COMMON: &[u8] = b" e_taoinsrhldcumfpgwybvkxjqz";
    match COMMON.iter().position(|&c| c == b.to_ascii_lowercase()) {
        Some(i) => 255 - i as u8,
        None if b"().;,=\t".contains(&b) => 230,
        None if b.is_ascii_digit() => 200,
        None => 100,
    }
}

/// The bytes a line may hold, one flag per byte value.
pub type ByteSet = [bool; 256];

/// For a pattern that must match a whole line, `^ATOMS$` where each atom
/// is a plain character or `\d \s \w \D \S \W`, optionally repeated: the
/// bytes such a line is made of (regex-lite's classes are ASCII, and so is
/// its case folding). A line with any other byte cannot match, so the regex
/// need not run on it: `^\s*$` looks at a code line's first non-blank byte
/// only. `None` for any other pattern.
pub fn line_bytes(pattern: &str, ignore_case: bool) -> Option<Box<ByteSet>> {
    let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
    let mut set = Box::new([false; 256]);
    let mut it = body.chars().peekable();
    let mut atom = false;
    while let Some(c) = it.next() {
        let class: fn(u8) -> bool = match c {
            '*' | '+' | '?' if atom => {
                atom = false;
                if c != '?' && it.peek() == Some(&'?') {
                    it.next();
                }
                continue;
            }
            '{' if atom => {
                skip_past(&mut it, '}')?;
                atom = false;
                continue;
            }
            '\\' => match it.next()? {
                'd' => |b: u8| b.is_ascii_digit(),
                'w' => |b: u8| b.is_ascii_alphanumeric() || b == b'_',
                's' => |b: u8| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' '),
                'D' => |b: u8| !b.is_ascii_digit(),
                'W' => |b: u8| !(b.is_ascii_alphanumeric() || b == b'_'),
                'S' => |b: u8| !matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' '),
                e if e.is_ascii_punctuation() => {
                    add_char(&mut set, e, ignore_case);
                    atom = true;
                    continue;
                }
                _ => return None,
            },
            '.' | '[' | ']' | '(' | ')' | '|' | '^' | '$' | '*' | '+' | '?' | '{' => return None,
            c => {
                add_char(&mut set, c, ignore_case);
                atom = true;
                continue;
            }
        };
        for (b, flag) in (0..=255u8).zip(set.iter_mut()) {
            *flag |= class(b);
        }
        atom = true;
    }
    Some(set)
}

fn add_char(set: &mut ByteSet, c: char, ignore_case: bool) {
    let mut buf = [0; 4];
    let folded = [c.to_ascii_uppercase(), c.to_ascii_lowercase()];
    for ch in std::iter::once(c).chain(folded.into_iter().filter(|_| ignore_case)) {
        for b in ch.encode_utf8(&mut buf).bytes() {
            if let Some(f) = set.get_mut(usize::from(b)) {
                *f = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_line_bytes() {
        let admits = |pat, ic, line: &str| {
            let set = line_bytes(pat, ic).unwrap();
            line.bytes().all(|b| set[usize::from(b)])
        };
        assert!(admits(r"^\s*$", false, " \t "));
        assert!(!admits(r"^\s*$", false, "    x"));
        assert!(admits(r"^\d+-\w{2,3}$", false, "12-a_Z"));
        assert!(!admits(r"^\d+-\w{2,3}$", false, "12-a Z"));
        assert!(admits(r"^\S+$", false, "é;x"));
        assert!(admits("^end$", true, "END") && !admits("^end$", false, "END"));
        assert!(admits(r"^\}?$", false, "}") && !admits(r"^\}?$", false, "{"));
        for other in [
            r"\s*$", r"^\s*", r"^a|b$", r"^(a)$", r"^[ ]$", r"^.$", r"^a\$", r"^\n$", r"^\bx$",
            r"^a**$", r"^*$",
        ] {
            assert!(line_bytes(other, false).is_none(), "{other}");
        }
    }

    #[test]
    fn required_literals() {
        let cases: &[(&str, &[&str])] = &[
            (r"createHash\(", &["createHash("]),
            (r"function\s+\w+Hash", &["function", "Hash"]),
            ("ZZZ_NOT_.*_ANYWHERE", &["_ANYWHERE", "ZZZ_NOT_"]),
            (r"\d{4}-\d{2}", &["-"]),
            (r"^\s*$", &[]),
            ("foo|barbaz", &[]),
            ("(foo|bar)baz", &["baz"]),
            ("(?:ab|cd)xy", &["xy"]),
            ("(?i)hello", &[]),
            ("colou?r", &["colo", "r"]),
            ("ab*cdef", &["cdef", "a"]),
            ("abc+d", &["abc", "d"]),
            ("xa{0,3}yz", &["yz", "x"]),
            ("qa{2}", &["qa"]),
            ("[abc]def[g-i]", &["def"]),
            ("[]x]yyy", &["yyy"]),
            (r"[\]]zz", &["zz"]),
            (r"\bword\b", &["word"]),
            (r"\b{start}hey", &["hey"]),
            (r"a\.b\nc", &["a.b\nc"]),
            (r"\x41BC", &[]),
            ("grüße", &["grüße"]),
            ("a.b", &["a", "b"]),
            ("(?P<n>abc)de", &["de"]),
            ("abc?", &["ab"]),
            ("x*?yy", &["yy"]),
            ("xy{2}*z", &[]),
            ("ab??c", &["a", "c"]),
            ("", &[]),
            ("\u{fffd}", &[]),
            ("a\u{fffd}.bc", &["bc"]),
        ];
        for (pat, want) in cases {
            let got = required(pat).unwrap_or_default();
            assert_eq!(got, *want, "pattern {pat:?}");
        }
    }

    #[test]
    fn finders() {
        let f = Finder::new("needle", false);
        assert_eq!(f.find(b"hay needle"), Some(4));
        assert_eq!(f.find(b"hay NEEDLE"), None);
        let f = Finder::new("Need_le", true);
        assert_eq!(f.find(b"NEED_LE"), Some(0));
        assert_eq!(f.find(b"xx_ need_le need_lE"), Some(4));
        assert_eq!(f.find(b"_le need_l"), None);
        let f = Finder::new("é", true);
        assert_eq!(f.find("É é".as_bytes()), Some(3), "no Unicode folding");
    }
}

//! Colours for code blocks: one table row per language (its names,
//! keywords, comment and string markers) and one small lexer that reads a
//! line at a time, keeping an open block comment or long string across
//! lines. Keywords, strings, comments, numbers and (in data formats) keys
//! are coloured; a language not in the table stays plain. Diffs colour
//! whole lines by their first character.

use super::inline::{fg, push_char, Span, B, DIM, I};

const KW: u16 = fg(5);
const STR: u16 = fg(2);
const NUM: u16 = fg(3);
const COM: u16 = DIM | I;
const KEY: u16 = fg(6);

pub struct Lang {
    names: &'static str,
    kw: &'static str,
    /// Line comment marker ("" for none).
    line: &'static str,
    /// Block comment (or long string, when it starts with a quote).
    block: (&'static str, &'static str),
    quotes: &'static str,
    /// `key:` or `key =` at a line's start, and `"key":`, are keys.
    keys: bool,
}

const C_BLOCK: (&str, &str) = ("/*", "*/");

const LANGS: &[Lang] = &[
    Lang {
        names: "rust rs",
        kw: "as async await break const continue crate dyn else enum extern false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while",
        line: "//",
        block: C_BLOCK,
        quotes: "\"",
        keys: false,
    },
    Lang {
        names: "python py python3",
        kw: "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return self try while with yield",
        line: "#",
        block: ("\"\"\"", "\"\"\""),
        quotes: "\"'",
        keys: false,
    },
    Lang {
        names: "javascript js jsx mjs cjs typescript ts tsx",
        kw: "as async await break case catch class const continue default delete do else enum export extends false finally for from function if implements import in instanceof interface let new null of private public readonly return static super switch this throw true try type typeof undefined var void while yield",
        line: "//",
        block: C_BLOCK,
        quotes: "\"'`",
        keys: false,
    },
    Lang {
        names: "go golang",
        kw: "break case chan const continue default defer else fallthrough false for func go goto if import interface map nil package range return select struct switch true type var",
        line: "//",
        block: C_BLOCK,
        quotes: "\"'`",
        keys: false,
    },
    Lang {
        names: "c h cpp c++ cc cxx hpp",
        kw: "#define #endif #if #ifdef #ifndef #include #pragma auto bool break case char class const constexpr continue default delete do double else enum extern false float for goto if inline int long namespace new nullptr private protected public return short signed sizeof static struct switch template this throw true try typedef typename union unsigned using virtual void volatile while",
        line: "//",
        block: C_BLOCK,
        quotes: "\"'",
        keys: false,
    },
    Lang {
        names: "sh bash shell zsh console",
        kw: "case cd do done echo elif else esac exit export fi for function if in local return set shift source then unset until while",
        line: "#",
        block: ("", ""),
        quotes: "\"'",
        keys: false,
    },
    Lang {
        names: "json jsonc",
        kw: "true false null",
        line: "//",
        block: ("", ""),
        quotes: "\"",
        keys: true,
    },
    Lang {
        names: "yaml yml",
        kw: "true false null",
        line: "#",
        block: ("", ""),
        quotes: "\"'",
        keys: true,
    },
    Lang {
        names: "toml",
        kw: "true false",
        line: "#",
        block: ("", ""),
        quotes: "\"'",
        keys: true,
    },
];

/// The table row for a fence's info string, if the language is known
/// (`Err(())` for a diff).
pub fn lang(info: &str) -> Option<Result<&'static Lang, ()>> {
    let name = info.split_whitespace().next()?.to_ascii_lowercase();
    if name == "diff" || name == "patch" {
        return Some(Err(()));
    }
    LANGS
        .iter()
        .find(|l| l.names.split(' ').any(|n| n == name))
        .map(Ok)
}

/// The spans of one line of code; `open` carries a block comment or long
/// string that is still open at the line's end.
pub fn line(lang: Result<&Lang, ()>, s: &str, open: &mut bool) -> Vec<Span> {
    let mut out = Vec::new();
    let Ok(lang) = lang else {
        s.chars()
            .for_each(|c| push_char(&mut out, c, diff_style(s), ""));
        return out;
    };
    let (bopen, bclose) = lang.block;
    let block_style = if bopen.starts_with('"') { STR } else { COM };
    let mut rest = s;
    let mut first = true;
    let put = |out: &mut Vec<Span>, t: &str, st: u16| {
        t.chars().for_each(|c| push_char(out, c, st, ""));
    };
    while !rest.is_empty() {
        if *open {
            let (body, tail) = match rest.find(bclose) {
                Some(k) => {
                    *open = false;
                    rest.split_at(k + bclose.len())
                }
                None => (rest, ""),
            };
            put(&mut out, body, block_style);
            rest = tail;
            continue;
        }
        let at_word = out
            .last()
            .is_none_or(|l: &Span| l.text.ends_with(char::is_whitespace));
        if !lang.line.is_empty() && rest.starts_with(lang.line) && (lang.line != "#" || at_word) {
            put(&mut out, rest, COM);
            break;
        }
        if !bopen.is_empty() && rest.starts_with(bopen) {
            *open = true;
            put(&mut out, bopen, block_style);
            rest = &rest[bopen.len()..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        // A TOML table header, `[section]`.
        if lang.keys && first && c == '[' && rest.trim_end().ends_with(']') && !rest.contains(',') {
            put(&mut out, rest, KEY);
            break;
        }
        let (n, st) = token(lang, c, rest, first);
        put(&mut out, &rest[..n], st);
        if !c.is_whitespace() && c != '-' && c != '[' {
            first = false;
        }
        rest = &rest[n..];
    }
    out
}

/// A line of a diff: added, removed, a hunk header, a file header.
fn diff_style(s: &str) -> u16 {
    match s.chars().next() {
        Some('+') if !s.starts_with("+++") => fg(2),
        Some('-') if !s.starts_with("---") => fg(1),
        Some('@') => fg(6),
        Some('d' | 'i' | '+' | '-') => B,
        _ => 0,
    }
}

/// The token at the start of `rest` (which starts with `c`): its length
/// and style. A string, a number, a word (keyword or key), or one char.
fn token(lang: &Lang, c: char, rest: &str, first: bool) -> (usize, u16) {
    if lang.quotes.contains(c) {
        let mut esc = false;
        let end = rest[1..].find(|x| {
            let hit = !esc && x == c;
            esc = !esc && x == '\\';
            hit
        });
        let n = end.map_or(rest.len(), |e| e + 2);
        let key = lang.keys && rest[n..].trim_start().starts_with(':');
        return (n, if key { KEY } else { STR });
    }
    if c.is_ascii_digit() {
        let n = rest
            .find(|x: char| !x.is_ascii_alphanumeric() && x != '.' && x != '_')
            .unwrap_or(rest.len());
        return (n, NUM);
    }
    if !(c.is_alphabetic() || c == '_' || c == '#' || (lang.keys && first)) {
        return (c.len_utf8(), 0);
    }
    let skip = usize::from(c == '#');
    let n = skip
        + rest[skip..]
            .find(|x: char| {
                !(x.is_alphanumeric() || x == '_' || lang.keys && (x == '-' || x == '.'))
            })
            .unwrap_or(rest.len() - skip);
    let n = n.max(c.len_utf8());
    let word = &rest[..n];
    let after = rest[n..].trim_start();
    let st = if lang.kw.split(' ').any(|k| k == word) {
        KW
    } else if lang.keys && first && (after.starts_with(':') || after.starts_with('=')) {
        KEY
    } else {
        0
    };
    (n, st)
}

//! Inline Markdown for the terminal: one line's text turned into styled
//! spans (strong, emphasis, strike-through, code, links), those spans
//! wrapped into rows of a given width, and a row painted with SGR colours
//! and OSC 8 hyperlinks. Delimiters pair as in CommonMark, simplified:
//! same character and run length, inner unpaired openers stay literal, and
//! an opener with no closer yet is reported as `open` (so a streamed line
//! is not shown before its markup is known).

use super::width::char_width;

/// Style bits; the colour is a number 1-7 (ANSI 31-37) in bits 8-10.
pub const B: u16 = 1;
pub const I: u16 = 2;
pub const S: u16 = 4;
pub const U: u16 = 8;
pub const DIM: u16 = 16;
pub const CODE: u16 = fg(6);
pub const HEAD: u16 = B | fg(5);

pub const fn fg(n: u16) -> u16 {
    n << 8
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Span {
    pub text: String,
    pub style: u16,
    pub url: String,
}

impl Span {
    pub fn new(text: &str, style: u16) -> Span {
        Span {
            text: text.to_string(),
            style,
            url: String::new(),
        }
    }
}

/// Add `c` to the row, merging with the last span when alike.
pub fn push_char(row: &mut Vec<Span>, c: char, style: u16, url: &str) {
    match row.last_mut() {
        Some(l) if l.style == style && l.url == url => l.text.push(c),
        _ => row.push(Span {
            text: c.to_string(),
            style,
            url: url.to_string(),
        }),
    }
}

pub fn width(spans: &[Span]) -> usize {
    spans
        .iter()
        .flat_map(|s| s.text.chars())
        .map(char_width)
        .sum()
}

enum Tok {
    Text(String),
    /// A run of `n` of `ch`; which ends it may take.
    Delim {
        ch: char,
        n: usize,
        open: bool,
        close: bool,
    },
    Code(String),
    Link(Vec<Span>, String),
}

/// The spans of `s`, each with `base` added; `osc8`: links keep their URL
/// for a hyperlink, else the URL follows the text. Also: whether an opener
/// is still waiting for its closer.
pub fn parse(s: &str, base: u16, osc8: bool) -> (Vec<Span>, bool) {
    let (toks, mut open) = tokens(s, osc8);
    let mut pair: Vec<Option<u16>> = toks.iter().map(|_| None).collect();
    let mut stack: Vec<usize> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let Tok::Delim { ch, n, open, close } = *t else {
            continue;
        };
        let found = close
            .then(|| {
                stack.iter().rposition(
                    |&j| matches!(toks.get(j), Some(Tok::Delim { ch: c, n: m, .. }) if *c == ch && *m == n),
                )
            })
            .flatten();
        if let Some(k) = found {
            let j = stack.get(k).copied().unwrap_or(i);
            let bit = match (ch, n) {
                ('~', _) => S,
                (_, 1) => I,
                (_, 2) => B,
                _ => B | I,
            };
            if let Some(p) = pair.get_mut(j) {
                *p = Some(bit);
            }
            if let Some(p) = pair.get_mut(i) {
                *p = Some(0);
            }
            stack.truncate(k);
        } else if open {
            stack.push(i);
        }
    }
    open |= !stack.is_empty();
    let mut out = Vec::new();
    let mut active: Vec<u16> = Vec::new();
    for (t, p) in toks.iter().zip(pair) {
        let style = active.iter().fold(base, |a, b| a | b);
        match (t, p) {
            (Tok::Delim { .. }, Some(0)) => {
                active.pop();
            }
            (Tok::Delim { .. }, Some(bit)) => active.push(bit),
            (Tok::Delim { ch, n, .. }, None) => {
                (0..*n).for_each(|_| push_char(&mut out, *ch, style, ""))
            }
            (Tok::Text(t), _) => t.chars().for_each(|c| push_char(&mut out, c, style, "")),
            (Tok::Code(t), _) => t
                .chars()
                .for_each(|c| push_char(&mut out, c, style | CODE, "")),
            (Tok::Link(text, url), _) => {
                for sp in text {
                    let u = if osc8 { url.as_str() } else { "" };
                    let st = style | sp.style | if osc8 { U } else { 0 };
                    sp.text.chars().for_each(|c| push_char(&mut out, c, st, u));
                }
            }
        }
    }
    (out, open)
}

/// Split `s` into text, delimiter runs, code spans and links.
fn tokens(s: &str, osc8: bool) -> (Vec<Tok>, bool) {
    let mut toks = Vec::new();
    let mut text = String::new();
    let mut open = false;
    let mut i = 0;
    while let Some(c) = s.get(i..).and_then(|r| r.chars().next()) {
        let rest = s.get(i..).unwrap_or("");
        let prev = s.get(..i).and_then(|p| p.chars().next_back());
        if c == '\\' {
            if let Some(e) = rest[1..].chars().next().filter(char::is_ascii_punctuation) {
                text.push(e);
                i += 2;
                continue;
            }
        }
        let tok = match c {
            '`' => match code_span(rest) {
                Ok(t) => Some(t),
                Err(n) => {
                    // An unclosed run is text, and may close on a later line.
                    open = true;
                    text.push_str(&rest[..n]);
                    i += n;
                    continue;
                }
            },
            '[' => link_tok(rest, osc8, &mut open),
            '!' if rest.starts_with("![") => link_tok(rest, osc8, &mut open),
            '<' => autolink(rest),
            '*' | '_' | '~' => delim(c, rest, prev),
            _ => None,
        };
        match tok {
            Some((t, len)) => {
                if !text.is_empty() {
                    toks.push(Tok::Text(std::mem::take(&mut text)));
                }
                toks.push(t);
                i += len;
            }
            None => {
                text.push(c);
                i += c.len_utf8();
            }
        }
    }
    if !text.is_empty() {
        toks.push(Tok::Text(text));
    }
    (toks, open)
}

/// A code span at the start of `rest` and its length, or the length of
/// its backtick run when nothing closes it.
fn code_span(rest: &str) -> Result<(Tok, usize), usize> {
    let n = rest.len() - rest.trim_start_matches('`').len();
    let (fence, body) = rest.split_at(n);
    let end = find_run(body, fence).ok_or(n)?;
    let code = &body[..end];
    let code = match code.strip_prefix(' ').and_then(|c| c.strip_suffix(' ')) {
        Some(inner) if !inner.trim().is_empty() => inner,
        _ => code,
    };
    Ok((Tok::Code(code.to_string()), n + end + n))
}

/// A link or image (`[label](url)`, `![alt](url)`) at the start of `rest`;
/// `open` is set when one may still close on a later line.
fn link_tok(rest: &str, osc8: bool, open: &mut bool) -> Option<(Tok, usize)> {
    let at = usize::from(rest.starts_with("!["));
    match link(&rest[at..]) {
        Ok((label, url, len)) => {
            let (mut spans, o) = parse(label, 0, false);
            *open |= o;
            if !osc8 && label != url {
                spans.push(Span::new(&format!(" ({url})"), DIM));
            }
            Some((Tok::Link(spans, url.to_string()), at + len))
        }
        Err(pending) => {
            *open |= pending;
            None
        }
    }
}

/// `<scheme://...>` at the start of `rest`.
fn autolink(rest: &str) -> Option<(Tok, usize)> {
    let end = rest.find('>')?;
    let url = &rest[1..end];
    if !url.contains("://") || url.contains(char::is_whitespace) {
        return None;
    }
    Some((Tok::Link(vec![Span::new(url, 0)], url.to_string()), end + 1))
}

/// A run of `*`, `_` or `~~` and whether it can open or close emphasis.
fn delim(c: char, rest: &str, prev: Option<char>) -> Option<(Tok, usize)> {
    let n = rest.len() - rest.trim_start_matches(c).len();
    if c == '~' && n != 2 {
        return None;
    }
    let next = rest[n..].chars().next();
    let left = next.is_some_and(|x| !x.is_whitespace());
    let right = prev.is_some_and(|x| !x.is_whitespace());
    let word = |x: Option<char>| x.is_some_and(char::is_alphanumeric);
    let (open, close) = match c {
        '_' => (left && !word(prev), right && !word(next)),
        _ => (left, right),
    };
    Some((
        Tok::Delim {
            ch: c,
            n,
            open,
            close,
        },
        n,
    ))
}

/// Where the run `fence` of backticks occurs again, exactly.
fn find_run(body: &str, fence: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = body.get(from..)?.find(fence) {
        let at = from + k;
        let after = &body[at + fence.len()..];
        let before_tick = body[..at].ends_with('`');
        if !after.starts_with('`') && !before_tick {
            return Some(at);
        }
        from = at + fence.len() + after.len() - after.trim_start_matches('`').len();
    }
    None
}

/// `[label](url)` at the start of `s`: label, url and length; else
/// whether the rest of the line could still make it a link.
fn link(s: &str) -> Result<(&str, &str, usize), bool> {
    let mut depth = 0;
    let mut close = None;
    let mut esc = false;
    for (k, c) in s.char_indices() {
        match c {
            _ if esc => esc = false,
            '\\' => esc = true,
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(k);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else { return Err(true) };
    let after = &s[close + 1..];
    if after.is_empty() {
        return Err(true);
    }
    let Some(target) = after.strip_prefix('(') else {
        return Err(false);
    };
    let Some(end) = target.find(')') else {
        return Err(true);
    };
    let url = target[..end].split_whitespace().next().unwrap_or("");
    let url = url.trim_start_matches('<').trim_end_matches('>');
    Ok((&s[1..close], url, close + 2 + end + 1))
}

/// Break `spans` into rows at most `width` columns wide (0: one row), at
/// spaces; a word too long for a whole row is broken where the row ends.
pub fn wrap(spans: &[Span], width: usize) -> Vec<Vec<Span>> {
    let mut words: Vec<Vec<Span>> = vec![Vec::new()];
    for sp in spans {
        for c in sp.text.chars() {
            if c == ' ' || c == '\t' {
                if words.last().is_some_and(|w| !w.is_empty()) {
                    words.push(Vec::new());
                }
            } else if let Some(w) = words.last_mut() {
                push_char(w, c, sp.style, &sp.url);
            }
        }
    }
    let width = if width == 0 { usize::MAX } else { width };
    let mut rows = vec![Vec::new()];
    let mut col = 0;
    let mut last: Option<(u16, String)> = None;
    for word in words.iter().filter(|w| !w.is_empty()) {
        let w = self::width(word);
        let first = word.first().map(|s| (s.style, s.url.clone()));
        if col > 0 {
            if col + 1 + w <= width || (w > width && col + 2 < width) {
                // The space takes the style both sides share.
                let (st, url) = match (&last, &first) {
                    (Some((a, ua)), Some((b, ub))) if ua == ub => (a & b, ua.clone()),
                    (Some((a, _)), Some((b, _))) => (a & b & !U, String::new()),
                    _ => (0, String::new()),
                };
                if let Some(r) = rows.last_mut() {
                    push_char(r, ' ', st, &url);
                }
                col += 1;
            } else {
                rows.push(Vec::new());
                col = 0;
            }
        }
        for sp in word {
            for c in sp.text.chars() {
                let cw = char_width(c);
                if col > 0 && col + cw > width {
                    rows.push(Vec::new());
                    col = 0;
                }
                if let Some(r) = rows.last_mut() {
                    push_char(r, c, sp.style, &sp.url);
                }
                col += cw;
            }
        }
        last = word.last().map(|s| (s.style, s.url.clone()));
    }
    rows
}

/// Append `row` to `out` with the styles `mask` lets through (0: none,
/// no hyperlinks either).
pub fn paint(row: &[Span], mask: u16, out: &mut String) {
    let color = mask != 0;
    let mut style = 0;
    let mut url = "";
    for sp in row.iter().filter(|s| !s.text.is_empty()) {
        if color && sp.url != url {
            if !url.is_empty() {
                out.push_str("\x1b]8;;\x1b\\");
            }
            if !sp.url.is_empty() {
                out.push_str("\x1b]8;;");
                out.push_str(&sp.url);
                out.push_str("\x1b\\");
            }
            url = &sp.url;
        }
        if color && sp.style & mask != style {
            if style != 0 {
                out.push_str("\x1b[0m");
            }
            style = sp.style & mask;
            sgr(style, out);
        }
        out.push_str(&sp.text);
    }
    if !url.is_empty() {
        out.push_str("\x1b]8;;\x1b\\");
    }
    if style != 0 {
        out.push_str("\x1b[0m");
    }
}

fn sgr(style: u16, out: &mut String) {
    if style == 0 {
        return;
    }
    out.push_str("\x1b[");
    let mut sep = "";
    for (bit, code) in [(B, "1"), (DIM, "2"), (I, "3"), (U, "4"), (S, "9")] {
        if style & bit != 0 {
            out.push_str(sep);
            out.push_str(code);
            sep = ";";
        }
    }
    let color = (style >> 8) & 7;
    if color != 0 {
        out.push_str(sep);
        out.push('3');
        out.push(char::from(b'0' + color as u8));
    }
    out.push('m');
}

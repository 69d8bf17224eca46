//! Streaming Markdown for the terminal: the model's text is taken in
//! fragments, cleaned of control sequences (`clean`), and shown a line at
//! a time as styled rows wrapped to the terminal width: headings, block
//! quotes, rules, nested lists with bullets, numbers and task boxes,
//! fenced code with a language label and colours (`highlight`), tables
//! (`table`) and inline markup (`inline`). A long paragraph line is shown
//! row by row as it arrives once its markup is settled. Without colour
//! (NO_COLOR) the same structure is shown as clean text: no markers, a
//! table as a padded Markdown table, code between its fences.

use super::clean::clean;
use super::highlight::{self, Lang};
use super::inline::{self, paint, wrap, Span, DIM, HEAD};
use super::table::Table;
use super::width::str_width;

pub const BOLD: &str = "\x1b[1m";
pub const RESET: &str = "\x1b[0m";
const BULLETS: [&str; 3] = ["•", "◦", "▪"];

#[derive(Default)]
pub struct Markdown {
    pub color: bool,
    pub width: usize,
    /// Links as OSC 8 hyperlinks (else `text (url)`).
    pub osc8: bool,
    /// The terminal shows italics (else emphasis is plain).
    pub italic: bool,
    /// The line being received, and how many of its rows are shown.
    line: String,
    shown: usize,
    fence: Option<Fence>,
    table: Option<Table>,
    /// A `|` line held until the next shows whether a table starts.
    head: Option<String>,
    /// Open list levels: (source column of the content, display column).
    lists: Vec<(usize, usize)>,
    /// The last source line was blank / the last row printed was blank.
    blank: bool,
    blank_out: bool,
}

struct Fence {
    ch: char,
    n: usize,
    indent: usize,
    pad: usize,
    lang: Option<Result<&'static Lang, ()>>,
    open: bool,
}

/// A line of running text: its prefixes (first row, later rows), its
/// text and style, and the list levels after it.
struct Para<'a> {
    first: Vec<Span>,
    rest: Vec<Span>,
    text: &'a str,
    style: u16,
    lists: Vec<(usize, usize)>,
}

impl Markdown {
    pub fn new(color: bool, width: usize) -> Markdown {
        Markdown {
            color,
            width,
            italic: true,
            ..Default::default()
        }
    }

    /// The styles that reach the terminal.
    fn mask(&self) -> u16 {
        match (self.color, self.italic) {
            (false, _) => 0,
            (true, true) => !0,
            (true, false) => !inline::I,
        }
    }

    /// Take a fragment; append what can be shown now to `out`.
    pub fn push(&mut self, s: &str, out: &mut String) {
        let mut rest = s;
        while let Some(i) = rest.find('\n') {
            self.line.push_str(&rest[..i]);
            let l = std::mem::take(&mut self.line);
            self.complete(&l, out);
            rest = &rest[i + 1..];
        }
        self.line.push_str(rest);
        self.partial(out);
    }

    /// End of the answer: show what is held back; close what is open.
    pub fn finish(&mut self, out: &mut String) {
        if !self.line.is_empty() {
            let l = std::mem::take(&mut self.line);
            self.complete(&l, out);
        }
        if let Some(h) = self.head.take() {
            self.block(&h, 0, false, out);
        }
        if let Some(t) = self.table.take() {
            t.finish(self.width, out);
        }
        if self.fence.take().is_some() && !self.color {
            out.push_str("```\n");
        }
        self.lists.clear();
        self.blank = false;
        self.blank_out = false;
    }

    fn complete(&mut self, raw: &str, out: &mut String) {
        let l = clean(raw.strip_suffix('\r').unwrap_or(raw)).into_owned();
        let skip = std::mem::take(&mut self.shown);
        if let Some(h) = self.head.take() {
            match Table::start(&h, &l, self.mask(), self.osc8, 0) {
                Some(t) => {
                    self.table = Some(t);
                    return;
                }
                None => self.block(&h, 0, false, out),
            }
        }
        self.block(&l, skip, true, out);
    }

    /// Show the rows of the unfinished line that can no longer change.
    fn partial(&mut self, out: &mut String) {
        if self.fence.is_some() || self.head.is_some() || self.table.is_some() {
            return;
        }
        // Cut at a space of the cleaned text: a sequence may hide spaces.
        let mut l = clean(&self.line).into_owned();
        let Some(cut) = l.rfind(' ') else {
            return;
        };
        l.truncate(cut);
        let Some(p) = self.para(&l, self.blank, true) else {
            return;
        };
        let (spans, open) = inline::parse(p.text, p.style, self.osc8);
        if open {
            return;
        }
        let rows = self.rows(&p, &spans);
        let n = rows.len().saturating_sub(1);
        for r in rows.get(self.shown..n).unwrap_or(&[]) {
            self.emit(r, out);
        }
        self.shown = self.shown.max(n);
    }

    /// One whole line; the first `skip` rows were shown already. With
    /// `tables` off a `|` line is text.
    fn block(&mut self, l: &str, skip: usize, tables: bool, out: &mut String) {
        if self.fence.is_some() {
            return self.code(l, out);
        }
        let t = l.trim_start();
        let was_blank = std::mem::replace(&mut self.blank, t.is_empty());
        if let Some(tb) = &mut self.table {
            self.blank_out = false;
            if t.starts_with('|') {
                return tb.add(l, self.width, out);
            }
            if let Some(tb) = self.table.take() {
                tb.finish(self.width, out);
            }
        }
        if t.is_empty() {
            if !self.blank_out {
                out.push('\n');
                self.blank_out = true;
            }
            return;
        }
        let indent = indent_of(l);
        if let Some((ch, n, info)) = fence_open(t) {
            let pad = self.pad_for(indent, was_blank);
            let lang = highlight::lang(info);
            if !self.color {
                self.emit_plain(&format!("{}{}", " ".repeat(pad), t), out);
            } else if !info.is_empty() {
                let label = vec![
                    Span::new(&" ".repeat(pad + 2), 0),
                    Span::new(info, inline::fg(3)),
                ];
                self.emit(&label, out);
            }
            self.fence = Some(Fence {
                ch,
                n,
                indent,
                pad,
                lang,
                open: false,
            });
            return;
        }
        if is_rule(t) {
            let n = if self.width == 0 {
                40
            } else {
                self.width.min(80)
            };
            let rule = if self.color {
                "─".repeat(n)
            } else {
                "---".to_string()
            };
            self.lists.clear();
            return self.emit(&[Span::new(&rule, DIM)], out);
        }
        if tables && t.starts_with('|') {
            self.head = Some(l.to_string());
            return;
        }
        let Some(p) = self.para(l, was_blank, tables) else {
            return;
        };
        let (spans, _) = inline::parse(p.text, p.style, self.osc8);
        let rows = self.rows(&p, &spans);
        self.lists = p.lists;
        for r in rows.get(skip..).unwrap_or(&[]) {
            self.emit(r, out);
        }
    }

    fn code(&mut self, l: &str, out: &mut String) {
        let Some(f) = &mut self.fence else { return };
        let t = l.trim_start();
        let run = t.len() - t.trim_start_matches(f.ch).len();
        if run >= f.n && t[run..].trim().is_empty() {
            let plain = (!self.color).then(|| " ".repeat(f.pad) + t);
            self.fence = None;
            if let Some(p) = plain {
                self.emit_plain(&p, out);
            }
            return;
        }
        // The fence's indentation is not part of the code.
        let cut = l.len() - l.trim_start().len();
        let code = &l[cut.min(f.indent)..];
        let mut row = vec![Span::new(
            &" ".repeat(f.pad + if self.color { 2 } else { 0 }),
            0,
        )];
        match f.lang {
            Some(lang) if self.color => row.extend(highlight::line(lang, code, &mut f.open)),
            _ => row.push(Span::new(code, 0)),
        }
        self.emit(&row, out);
    }

    /// How a line of running text is shown, or None if it is not one.
    fn para<'a>(&self, l: &'a str, after_blank: bool, tables: bool) -> Option<Para<'a>> {
        let mut t = l.trim_start();
        let mut depth = 0;
        while let Some(r) = t.strip_prefix('>') {
            depth += 1;
            t = r.strip_prefix(' ').unwrap_or(r).trim_start_matches(' ');
        }
        let bars = if self.color { "│ " } else { "> " };
        let quote = vec![Span::new(&bars.repeat(depth), DIM)];
        if t.is_empty() || depth == 0 && (tables && t.starts_with('|') || fence_open(t).is_some()) {
            return None;
        }
        let indent = if depth > 0 { 0 } else { indent_of(l) };
        let mut lists = if depth > 0 {
            Vec::new()
        } else {
            self.lists.clone()
        };
        let mut p = Para {
            first: quote.clone(),
            rest: quote,
            text: t,
            style: 0,
            lists: Vec::new(),
        };
        if let Some(level) = heading(t) {
            p.text = t.get(level..).unwrap_or("").trim();
            p.style = HEAD;
            if !self.color {
                p.first.push(Span::new(t.get(..=level).unwrap_or(t), 0));
            }
            lists.clear();
        } else if let Some((marker, body)) = item(t) {
            while lists.last().is_some_and(|&(src, _)| src > indent) {
                lists.pop();
            }
            let col = lists.last().map_or(0, |&(_, d)| d);
            let (mark, body) = self.marker(marker, body, lists.len());
            let w = str_width(&mark) + 1;
            lists.push((indent + marker.len() + 1, col + w));
            p.first.push(Span::new(&" ".repeat(col), 0));
            p.first.push(Span::new(&(mark + " "), 0));
            p.rest.push(Span::new(&" ".repeat(col + w), 0));
            p.text = body;
        } else if !lists.is_empty() && (indent > 0 || !after_blank) {
            let col = lists
                .iter()
                .rev()
                .find(|&&(src, _)| src <= indent)
                .or(lists.last())
                .map_or(0, |&(_, d)| d);
            p.first.push(Span::new(&" ".repeat(col), 0));
            p.rest = p.first.clone();
        } else {
            lists.clear();
        }
        p.lists = lists;
        Some(p)
    }

    /// A list item's marker as shown, and the item's text.
    fn marker<'a>(&self, marker: &str, body: &'a str, level: usize) -> (String, &'a str) {
        let task = [("[ ]", "☐"), ("[x]", "☑"), ("[X]", "☑")]
            .into_iter()
            .find(|(k, _)| body.starts_with(k) && body[3..].starts_with(' ') || body == *k);
        match task {
            Some((k, boxed)) => {
                let shown = if self.color {
                    boxed.to_string()
                } else {
                    format!("{marker} {k}")
                };
                (shown, body[k.len()..].trim_start())
            }
            None if self.color && !marker.ends_with(['.', ')']) => {
                (BULLETS.get(level % 3).unwrap_or(&"•").to_string(), body)
            }
            None => (marker.to_string(), body),
        }
    }

    /// Display indentation for a fence (or other block) at `indent`.
    fn pad_for(&mut self, indent: usize, was_blank: bool) -> usize {
        if self.lists.is_empty() || indent == 0 && was_blank {
            self.lists.clear();
            return 0;
        }
        self.lists
            .iter()
            .rev()
            .find(|&&(src, _)| src <= indent)
            .map_or(0, |&(_, d)| d)
    }

    fn rows(&self, p: &Para, spans: &[Span]) -> Vec<Vec<Span>> {
        let pw = inline::width(&p.first).max(inline::width(&p.rest));
        let room = if self.width == 0 {
            0
        } else {
            self.width.saturating_sub(pw).max(1)
        };
        let mut rows = wrap(spans, room);
        for (k, r) in rows.iter_mut().enumerate() {
            let prefix = if k == 0 { &p.first } else { &p.rest };
            r.splice(0..0, prefix.iter().cloned());
        }
        rows
    }

    fn emit(&mut self, row: &[Span], out: &mut String) {
        paint(row, self.mask(), out);
        out.push('\n');
        self.blank_out = false;
    }

    fn emit_plain(&mut self, s: &str, out: &mut String) {
        self.emit(&[Span::new(s, 0)], out);
    }
}

/// Columns of leading white space (a tab is 4).
fn indent_of(l: &str) -> usize {
    l.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// "```lang" or "~~~": the fence character, its count and the info string.
fn fence_open(t: &str) -> Option<(char, usize, &str)> {
    let ch = t.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = t.len() - t.trim_start_matches(ch).len();
    let info = t[n..].trim();
    (n >= 3 && !(ch == '`' && info.contains('`'))).then_some((ch, n, info))
}

/// `---`, `***` or `___` (three or more, spaces allowed).
fn is_rule(t: &str) -> bool {
    let ch = t.chars().next().unwrap_or(' ');
    "-*_".contains(ch)
        && t.chars().filter(|&c| c == ch).count() >= 3
        && t.chars().all(|c| c == ch || c == ' ')
}

/// `# ` to `###### `: the length of the marker.
fn heading(t: &str) -> Option<usize> {
    let n = t.len() - t.trim_start_matches('#').len();
    let rest = &t[n..];
    ((1..=6).contains(&n) && (rest.is_empty() || rest.starts_with(' '))).then_some(n)
}

/// `- `, `* `, `+ `, `1. ` or `1) `: the marker and the item's text.
fn item(t: &str) -> Option<(&str, &str)> {
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let n = match t.chars().next()? {
        '-' | '*' | '+' => 1,
        _ if (1..=9).contains(&digits) && t[digits..].starts_with(['.', ')']) => digits + 1,
        _ => return None,
    };
    let body = &t[n..];
    if body.is_empty() {
        return Some((&t[..n], ""));
    }
    body.strip_prefix(' ').map(|b| (&t[..n], b.trim_start()))
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;

//! Markdown tables for the terminal: the rows of a `| a | b |` table,
//! held while they stream in, then laid out to the width: box-drawing
//! rules in colour (a padded Markdown table without), columns aligned as
//! the delimiter row says, the widest columns shrunk and their cells
//! wrapped when the table is too wide, and one `key: value` block per row
//! when even that does not fit. A table that grows past `MAX_ROWS` or
//! `MAX_BYTES` is shown as it is and its later rows follow one by one.

use super::inline::{self, paint, wrap, Span, B, DIM};

const MAX_ROWS: usize = 200;
const MAX_BYTES: usize = 64 * 1024;
/// A shrunk column keeps at least this many columns (or its longest word).
const MIN_COL: usize = 8;

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
    Right,
}

pub struct Table {
    color: bool,
    /// The styles the terminal shows (`inline::paint`).
    mask: u16,
    osc8: bool,
    aligns: Vec<Align>,
    /// Each cell's spans: the header's, and the body rows not yet shown.
    head: Vec<Vec<Span>>,
    rows: Vec<Vec<Vec<Span>>>,
    bytes: usize,
    /// Once shown: the column widths (None: key-value blocks).
    shown: Option<Option<Vec<usize>>>,
    pad: String,
}
/// The cells of a `| a | b |` line: split at `|` outside code spans and
/// not escaped.
pub fn cells(line: &str) -> Vec<&str> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let mut out = Vec::new();
    let (mut start, mut code, mut esc) = (0, false, false);
    for (i, c) in t.char_indices() {
        match c {
            _ if esc => esc = false,
            '\\' => esc = true,
            '`' => code = !code,
            '|' if !code => {
                out.push(t[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = t[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

/// The alignments of a delimiter row (`|:---|---:|`), if it is one.
fn delimiter(line: &str) -> Option<Vec<Align>> {
    let cs = cells(line);
    let ok = |c: &&str| {
        let d = c.trim_start_matches(':').trim_end_matches(':');
        !d.is_empty() && d.chars().all(|x| x == '-')
    };
    if cs.is_empty() || !cs.iter().all(ok) {
        return None;
    }
    let align = |c: &&str| match (c.starts_with(':'), c.ends_with(':')) {
        (true, true) => Align::Center,
        (false, true) => Align::Right,
        _ => Align::Left,
    };
    Some(cs.iter().map(align).collect())
}

impl Table {
    /// A table, if `delim` is the delimiter row for the header `head`.
    pub fn start(head: &str, delim: &str, mask: u16, osc8: bool, pad: usize) -> Option<Table> {
        let aligns = delimiter(delim)?;
        if cells(head).len() != aligns.len() {
            return None;
        }
        let mut t = Table {
            color: mask != 0,
            mask,
            osc8,
            aligns,
            head: Vec::new(),
            rows: Vec::new(),
            bytes: 0,
            shown: None,
            pad: " ".repeat(pad),
        };
        t.head = t.cells_of(head, B);
        Some(t)
    }

    fn cells_of(&self, line: &str, base: u16) -> Vec<Vec<Span>> {
        let n = self.aligns.len();
        let mut row: Vec<Vec<Span>> = cells(line)
            .into_iter()
            .take(n)
            .map(|c| {
                let mut spans = inline::parse(c, base, self.osc8).0;
                if !self.color {
                    // Still a valid table when copied.
                    spans
                        .iter_mut()
                        .for_each(|s| s.text = s.text.replace('|', "\\|"));
                }
                spans
            })
            .collect();
        row.resize(n, Vec::new());
        row
    }

    /// Take a body row; print what can be printed now.
    pub fn add(&mut self, line: &str, width: usize, out: &mut String) {
        let row = self.cells_of(line, 0);
        self.bytes += line.len();
        self.rows.push(row);
        if self.shown.is_some() {
            let rows = std::mem::take(&mut self.rows);
            self.draw_rows(&rows, width, out);
        } else if self.rows.len() > MAX_ROWS || self.bytes > MAX_BYTES {
            self.show(width, out);
        }
    }

    /// The table has ended: print it (or its end).
    pub fn finish(mut self, width: usize, out: &mut String) {
        if self.shown.is_none() {
            self.show(width, out);
        }
        let rows = std::mem::take(&mut self.rows);
        self.draw_rows(&rows, width, out);
        if let Some(Some(w)) = &self.shown {
            if self.color {
                self.rule(w, "└┴┘", out);
            }
        }
    }

    fn show(&mut self, width: usize, out: &mut String) {
        let widths = self.layout(width);
        self.shown = Some(widths.clone());
        let rows = std::mem::take(&mut self.rows);
        if let Some(w) = widths {
            if self.color {
                self.rule(&w, "┌┬┐", out);
            }
            self.draw_rows(std::slice::from_ref(&self.head), width, out);
            if self.color {
                self.rule(&w, "├┼┤", out);
            } else {
                let mut s = self.pad.clone() + "|";
                for (a, n) in self.aligns.iter().zip(&w) {
                    let dashes = "-".repeat(n.saturating_sub(2));
                    let (l, r) = match a {
                        Align::Left => ("-", "-"),
                        Align::Center => (":", ":"),
                        Align::Right => ("-", ":"),
                    };
                    s.push_str(&format!(" {l}{dashes}{r} |"));
                }
                out.push_str(&s);
                out.push('\n');
            }
        }
        self.draw_rows(&rows, width, out);
    }

    /// Column widths for `width`, or None when the table cannot fit.
    fn layout(&self, width: usize) -> Option<Vec<usize>> {
        let n = self.aligns.len();
        let mut natural = vec![if self.color { 1 } else { 3 }; n];
        let mut least = vec![1; n];
        for row in std::iter::once(&self.head).chain(&self.rows) {
            for (i, cell) in row.iter().enumerate() {
                if let (Some(nat), Some(l)) = (natural.get_mut(i), least.get_mut(i)) {
                    *nat = (*nat).max(inline::width(cell));
                    let longest = cell
                        .iter()
                        .flat_map(|s| s.text.split(' '))
                        .map(super::width::str_width)
                        .max()
                        .unwrap_or(0);
                    *l = (*l).max(longest.min(MIN_COL));
                }
            }
        }
        if width == 0 {
            return Some(natural);
        }
        let room = width.saturating_sub(3 * n + 1 + self.pad.len());
        let mut w = natural.clone();
        if w.iter().sum::<usize>() <= room {
            return Some(w);
        }
        let least: Vec<usize> = least.iter().zip(&natural).map(|(l, n)| *l.min(n)).collect();
        if !self.color || least.iter().sum::<usize>() > room {
            return None;
        }
        while w.iter().sum::<usize>() > room {
            let widest = (0..n)
                .filter(|&i| w.get(i) > least.get(i))
                .max_by_key(|&i| w.get(i));
            match widest.and_then(|i| w.get_mut(i)) {
                Some(x) => *x -= 1,
                None => return None,
            }
        }
        Some(w)
    }

    fn rule(&self, w: &[usize], corners: &str, out: &mut String) {
        let c: Vec<char> = corners.chars().collect();
        let (l, m, r) = (c.first(), c.get(1), c.get(2));
        let mut s = String::new();
        for (i, n) in w.iter().enumerate() {
            s.extend(if i == 0 { l } else { m });
            s.push_str(&"─".repeat(n + 2));
        }
        s.extend(r);
        out.push_str(&self.pad);
        paint(&[Span::new(&s, DIM)], self.mask, out);
        out.push('\n');
    }

    /// Print `rows` with the shown widths, or as key-value blocks.
    fn draw_rows(&self, rows: &[Vec<Vec<Span>>], width: usize, out: &mut String) {
        let Some(Some(w)) = &self.shown else {
            return self.blocks(rows, width, out);
        };
        let bar = if self.color { "│" } else { "|" };
        let wrapped: Vec<Vec<Vec<Vec<Span>>>> = rows
            .iter()
            .map(|row| {
                let width = |cw: usize| if self.color { cw } else { 0 };
                row.iter()
                    .zip(w)
                    .map(|(c, &cw)| wrap(c, width(cw)))
                    .collect()
            })
            .collect();
        // When a cell wraps, rules between the rows show where each ends.
        let tall = wrapped.iter().flatten().any(|c| c.len() > 1);
        for (i, cells) in wrapped.iter().enumerate() {
            if tall && i > 0 && self.color {
                self.rule(w, "├┼┤", out);
            }
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for k in 0..height {
                let mut line = vec![Span::new(&self.pad, 0)];
                for ((cell, &cw), a) in cells.iter().zip(w).zip(&self.aligns) {
                    let part = cell.get(k).map_or(&[][..], |p| p.as_slice());
                    let gap = cw.saturating_sub(inline::width(part));
                    let (l, r) = match a {
                        Align::Left => (0, gap),
                        Align::Center => (gap / 2, gap - gap / 2),
                        Align::Right => (gap, 0),
                    };
                    line.push(Span::new(bar, DIM));
                    line.push(Span::new(&" ".repeat(l + 1), 0));
                    line.extend(part.iter().cloned());
                    line.push(Span::new(&" ".repeat(r + 1), 0));
                }
                line.push(Span::new(bar, DIM));
                paint(&line, self.mask, out);
                out.push('\n');
            }
        }
    }

    /// One `header: value` block per row, the header in bold, a blank
    /// line after each.
    fn blocks(&self, rows: &[Vec<Vec<Span>>], width: usize, out: &mut String) {
        let room = width.saturating_sub(self.pad.len() + 2);
        for row in rows {
            for (h, v) in self.head.iter().zip(row) {
                let mut spans = h.clone();
                spans.push(Span::new(": ", B));
                spans.extend(v.iter().cloned());
                for (k, r) in wrap(&spans, room).iter().enumerate() {
                    out.push_str(&self.pad);
                    out.push_str(if k > 0 { "  " } else { "" });
                    paint(r, self.mask, out);
                    out.push('\n');
                }
            }
            out.push('\n');
        }
    }
}

//! The model's reasoning as it streams: dimmed, folded to its last
//! `SHOWN` lines (redrawn in place under a header that counts them), and
//! left on screen in that folded form when the answer or a tool call
//! follows. `/thinking` turns the display off and on. Only a tail of the
//! text is kept, so a long reasoning costs no memory.

use super::spinner::clip;

/// Lines of reasoning shown while it streams.
pub const SHOWN: usize = 3;

#[derive(Default)]
pub struct Thinking {
    /// Hidden by `/thinking`.
    pub hidden: bool,
    /// The last lines (the final one still growing).
    tail: Vec<String>,
    /// Lines seen in this block.
    lines: usize,
    /// Rows drawn for the block, the cursor on the last one.
    rows: usize,
}

impl Thinking {
    /// Add `s` to the block; the escapes that redraw it, for a terminal `w` wide.
    pub fn push(&mut self, s: &str, w: usize, color: bool) -> String {
        if self.hidden || s.is_empty() {
            return String::new();
        }
        if self.tail.is_empty() {
            self.tail.push(String::new());
            self.lines = 1;
        }
        for (i, part) in s.split('\n').enumerate() {
            if i > 0 {
                self.tail.push(String::new());
                self.lines += 1;
            }
            if let Some(last) = self.tail.last_mut() {
                last.push_str(part);
                // Only the end of a long line is shown.
                let cut = last.len().saturating_sub(4 * w.max(20));
                let cut = crate::text::floor_char(last, cut);
                last.replace_range(..cut, "");
            }
        }
        let keep = self.tail.len().saturating_sub(SHOWN + 1);
        self.tail.drain(..keep);
        self.draw(w, color)
    }

    fn draw(&mut self, w: usize, color: bool) -> String {
        let (dim, off) = if color {
            ("\x1b[2m", "\x1b[0m")
        } else {
            ("", "")
        };
        let mut s = String::from("\r");
        if self.rows > 1 {
            s.push_str(&format!("\x1b[{}A", self.rows - 1));
        }
        s.push_str("\x1b[J");
        let n = self.lines;
        s.push_str(&format!(
            "{dim}✻ thinking ({n} line{}){off}",
            if n == 1 { "" } else { "s" }
        ));
        let shown: Vec<&String> = self
            .tail
            .iter()
            .rev()
            .filter(|l| !l.trim().is_empty())
            .take(SHOWN)
            .collect();
        for l in shown.iter().rev() {
            s.push_str(&format!(
                "\r\n{dim}  ┊ {}{off}",
                left_clip(l.trim_end(), w.saturating_sub(5).max(10))
            ));
        }
        self.rows = 1 + shown.len();
        s
    }

    /// The block ended: leave it as drawn and go to a new line.
    pub fn end(&mut self) -> &'static str {
        self.tail.clear();
        self.lines = 0;
        match std::mem::take(&mut self.rows) {
            0 => "",
            _ => "\r\n",
        }
    }
}

/// The last `max` columns of `s`, with an ellipsis when cut.
fn left_clip(s: &str, max: usize) -> String {
    if super::width::str_width(s) <= max {
        return s.to_string();
    }
    let rev: String = s.chars().rev().collect();
    let cut = clip(&rev, max);
    let mut out: String = cut.trim_end_matches('…').chars().rev().collect();
    out.insert(0, '…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_to_the_last_lines() {
        let mut t = Thinking::default();
        let out = t.push("one\ntwo\nthree\nfour\nfi", 80, false);
        assert!(out.contains("thinking (5 lines)"), "{out}");
        assert!(!out.contains("one") && !out.contains("two"), "{out}");
        assert!(out.contains("three") && out.contains("four") && out.contains("fi"));
        let out = t.push("ve", 80, false);
        assert!(
            out.starts_with("\r\x1b[3A\x1b[J"),
            "redrawn in place: {out:?}"
        );
        assert!(out.contains("┊ five"), "{out}");
        assert_eq!(t.end(), "\r\n");
        assert_eq!(left_clip("abcdefghij", 5), "…ghij");
        t.hidden = true;
        assert_eq!(t.push("x", 80, false), "");
    }
}

//! Streaming light markdown for the terminal: text is taken in fragments
//! as the model sends them and printed a word at a time, wrapped at the
//! terminal width, with headings and bold in bold, inline code and fenced
//! code blocks in their own colours, and list items on a hanging indent.
//! With `color` off (NO_COLOR, TERM=dumb) the text is printed as sent, only
//! wrapped; with `width` 0 (stdout not a terminal) not even that.

use super::width::str_width;

pub const BOLD: &str = "\x1b[1m";
pub const RESET: &str = "\x1b[0m";
const CODE: &str = "\x1b[36m";
const FENCE: &str = "\x1b[33m";
const HEADING: &str = "\x1b[1;35m";

#[derive(Default)]
pub struct Markdown {
    pub color: bool,
    pub width: usize,
    /// The current word (or, at a line's start, its possible prefix).
    word: String,
    line_start: bool,
    /// Column where the cursor is; 0 at a line's start.
    col: usize,
    indent: usize,
    space: bool,
    fence: bool,
    heading: bool,
    bold: bool,
    code: bool,
}

impl Markdown {
    pub fn new(color: bool, width: usize) -> Markdown {
        Markdown {
            color,
            width,
            line_start: true,
            ..Default::default()
        }
    }

    /// Take a fragment; append what can be shown now to `out`.
    pub fn push(&mut self, s: &str, out: &mut String) {
        for c in s.chars() {
            if self.line_start && self.fence_or_prefix(c, out) {
                continue;
            }
            match c {
                '\n' => {
                    self.flush_word(out);
                    self.end_line(out);
                }
                ' ' | '\t' if !self.fence => {
                    self.flush_word(out);
                    self.space = true;
                }
                c => self.word.push(c),
            }
        }
    }

    /// End of the answer: show what is held back and end the line.
    pub fn finish(&mut self, out: &mut String) {
        if self.line_start && !self.word.is_empty() {
            self.line_start = false;
        }
        self.flush_word(out);
        if self.col > 0 {
            self.end_line(out);
        }
        self.line_start = true;
        self.fence = false;
        self.indent = 0;
    }

    /// At a line's start the first characters are held until the line's
    /// kind is known. Returns true if `c` was consumed.
    fn fence_or_prefix(&mut self, c: char, out: &mut String) -> bool {
        if c != '\n' {
            self.word.push(c);
        }
        let w = self.word.as_str();
        let digits =
            |s: &str| !s.is_empty() && s.len() < 4 && s.chars().all(|c| c.is_ascii_digit());
        let undecided = c != '\n'
            && (w.len() < 3 && "```".starts_with(w)
                || w.starts_with('#') && w.trim_start_matches('#').is_empty()
                || w == "-"
                || w == "*"
                || digits(w)
                || w.strip_suffix('.').is_some_and(digits));
        if undecided {
            return true;
        }
        self.line_start = false;
        if w.starts_with("```") {
            if c != '\n' {
                // Hold the whole fence line.
                self.line_start = true;
                return true;
            }
            let lang = self.word.trim_start_matches('`').to_string();
            self.word.clear();
            if !self.color {
                out.push_str("```");
                out.push_str(&lang);
                out.push('\n');
            } else if !self.fence && !lang.is_empty() {
                out.push_str(&format!("{FENCE}  {lang}{RESET}\n"));
            }
            self.fence = !self.fence;
            self.col = 0;
            self.line_start = true;
            return true;
        }
        if self.fence {
            if self.color {
                out.push_str("  ");
                self.col = 2;
            }
            return c != '\n';
        }
        let item = w == "- " || w == "* " || w.strip_suffix(". ").is_some_and(digits);
        let heading = w.ends_with(' ') && w.trim_end().chars().all(|c| c == '#');
        if self.color && heading {
            self.word.clear();
            self.heading = true;
            return true;
        }
        if item {
            let bullet = if self.color && (w == "- " || w == "* ") {
                "•".to_string()
            } else {
                w.trim_end().to_string()
            };
            self.word.clear();
            self.indent = str_width(&bullet) + 1;
            out.push_str(&bullet);
            out.push(' ');
            self.col = self.indent;
            return true;
        }
        self.indent = 0;
        if c == '\n' {
            return false;
        }
        if c == ' ' {
            // The held characters were a whole word.
            self.word.pop();
            self.flush_word(out);
            self.space = true;
        }
        true
    }

    fn flush_word(&mut self, out: &mut String) {
        if self.word.is_empty() {
            return;
        }
        let word = std::mem::take(&mut self.word);
        if self.fence {
            out.push_str(if self.color { FENCE } else { "" });
            out.push_str(&word);
            out.push_str(if self.color { RESET } else { "" });
            self.col += str_width(&word);
            return;
        }
        let (styled, w) = self.style(&word);
        let gap = usize::from(self.space && self.col > self.indent);
        if self.width > 0 && self.col > self.indent && self.col + gap + w > self.width {
            out.push('\n');
            out.push_str(&" ".repeat(self.indent));
            self.col = self.indent;
        } else if gap == 1 {
            out.push(' ');
            self.col += 1;
        }
        self.space = false;
        if self.heading && self.color {
            out.push_str(HEADING);
        }
        out.push_str(&styled);
        if self.heading && self.color {
            out.push_str(RESET);
        }
        self.col += w;
        if self.width > 0 && self.col > self.width {
            self.col %= self.width;
        }
    }

    /// Turn `**` and `` ` `` into styles (in colour); the visible width.
    fn style(&mut self, word: &str) -> (String, usize) {
        if !self.color {
            return (word.to_string(), str_width(word));
        }
        let mut s = String::with_capacity(word.len() + 8);
        let mut w = 0;
        let mut rest = word;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("**") && !self.code {
                self.bold = !self.bold;
                s.push_str(if self.bold { BOLD } else { RESET });
                if !self.bold && self.code {
                    s.push_str(CODE);
                }
                rest = &rest[2..];
                continue;
            }
            if c == '`' {
                self.code = !self.code;
                s.push_str(if self.code { CODE } else { RESET });
                if !self.code && self.bold {
                    s.push_str(BOLD);
                }
            } else {
                s.push(c);
                w += super::width::char_width(c);
            }
            rest = &rest[c.len_utf8()..];
        }
        (s, w)
    }

    fn end_line(&mut self, out: &mut String) {
        if self.color && (self.bold || self.code) && !self.fence {
            out.push_str(RESET);
            self.bold = false;
            self.code = false;
        }
        self.heading = false;
        out.push('\n');
        self.col = 0;
        self.space = false;
        self.line_start = true;
        if !self.fence {
            self.indent = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(color: bool, width: usize, parts: &[&str]) -> String {
        let mut m = Markdown::new(color, width);
        let mut out = String::new();
        for p in parts {
            m.push(p, &mut out);
        }
        m.finish(&mut out);
        out
    }

    #[test]
    fn plain_is_the_text_as_sent() {
        let t = "# Title\nSome **bold** and `code`.\n- item one\n```rust\nfn main() {}\n```\nend";
        assert_eq!(render(false, 0, &[t]), format!("{t}\n"));
        // Fragment boundaries do not matter.
        let parts: Vec<String> = t.chars().map(String::from).collect();
        let parts: Vec<&str> = parts.iter().map(|s| s.as_str()).collect();
        assert_eq!(render(false, 0, &parts), format!("{t}\n"));
    }

    #[test]
    fn wraps_at_width_with_hanging_indent() {
        assert_eq!(
            render(false, 10, &["one two three four"]),
            "one two\nthree four\n"
        );
        assert_eq!(
            render(true, 12, &["- alpha beta gamma"]),
            "• alpha beta\n  gamma\n"
        );
    }

    #[test]
    fn styles_in_colour() {
        let out = render(
            true,
            80,
            &["# Hi\n", "a **b** `c`\n", "```sh\nls -l\n```\n"],
        );
        assert_eq!(
            out,
            format!("{HEADING}Hi{RESET}\na {BOLD}b{RESET} {CODE}c{RESET}\n{FENCE}  sh{RESET}\n  {FENCE}ls -l{RESET}\n")
        );
    }
}

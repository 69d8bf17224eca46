//! The line editor: one input (possibly many lines) edited in place below
//! the scrollback, redrawn whole on each change (clear to the end of the
//! screen, print, put the cursor back), so wrapping and wide characters
//! need no special cases beyond `layout`. Keys come from `keys::parse`.

use std::io::{self, Write};

use super::complete::{Complete, Menu};
use super::compose;

#[path = "editor_menu.rs"]
mod menu;
use super::history::History;
use super::keys::{self, Key};
use super::search::Search;
use super::term;
use super::width::char_width;

/// How reading a line ended.
#[derive(Debug, PartialEq)]
pub enum Read {
    Line(String),
    /// Ctrl-D on an empty line.
    Eof,
    /// Ctrl-C on an empty line.
    Cancel,
}

pub struct Editor {
    buf: String,
    /// Byte offset of the cursor in `buf`, always on a char boundary.
    cur: usize,
    pub history: History,
    /// Index into the history while browsing it; `entries.len()` = the draft.
    hist_pos: usize,
    draft: String,
    /// Rows between the first row of the drawn input and the cursor.
    rows_up: usize,
    /// Bytes read but not yet decoded.
    pending: Vec<u8>,
    pasting: bool,
    /// Offers completions for the main input (`read_line` with history).
    completer: Option<Box<dyn Complete>>,
    menu: Option<Menu>,
    /// A Ctrl-R search in progress.
    search: Option<Search>,
    /// Long pastes shown folded: (label in the input, the text).
    pastes: Vec<(String, String)>,
    /// Where the paste being read began.
    paste_from: usize,
    /// Reading an answer: keys typed ahead are left for the next input.
    fresh: bool,
    /// Keys typed ahead, held back while an answer is read.
    held: Vec<u8>,
    /// `pending` holds only keys read during an answer.
    pending_fresh: bool,
}

/// Where the cursor and the end of the text fall: (row, col) pairs, rows
/// counted from the prompt's row, for a terminal `w` columns wide.
pub fn layout(
    prompt_w: usize,
    text: &str,
    cur: usize,
    w: usize,
) -> ((usize, usize), (usize, usize)) {
    let w = w.max(prompt_w + 2);
    let (mut row, mut col) = (0, prompt_w);
    let mut at = None;
    for (i, c) in text.char_indices() {
        if i == cur {
            at = Some((row, col));
        }
        if c == '\n' {
            row += 1;
            col = prompt_w;
            continue;
        }
        let cw = char_width(c);
        if col + cw > w {
            row += 1;
            col = 0;
        }
        col += cw;
    }
    let end = (row, col);
    let norm = |(r, c): (usize, usize)| if c >= w { (r + 1, 0) } else { (r, c) };
    (norm(at.unwrap_or(end)), end)
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl Editor {
    pub fn new(history: History) -> Editor {
        Editor {
            buf: String::new(),
            cur: 0,
            hist_pos: history.entries.len(),
            history,
            draft: String::new(),
            rows_up: 0,
            pending: Vec::new(),
            pasting: false,
            completer: None,
            menu: None,
            search: None,
            pastes: Vec::new(),
            paste_from: 0,
            fresh: false,
            held: Vec::new(),
            pending_fresh: false,
        }
    }

    /// What completes the main input from now on.
    pub fn set_completer(&mut self, c: Box<dyn Complete>) {
        self.completer = Some(c);
    }

    /// Read one input after printing `prompt` (`cont` prefixes the lines
    /// after the first; both are plain text of the same width, styled by
    /// `style`, e.g. a colour). History is used and extended if `hist`.
    /// Without `hist` (an answer's reason), keys typed ahead are left for
    /// the next input.
    pub fn read_line(&mut self, prompt: &str, style: (&str, &str), hist: bool) -> io::Result<Read> {
        if hist {
            return self.read_input(prompt, style, hist);
        }
        self.aside(|e| e.read_input(prompt, style, hist))
    }

    /// Run `f` on fresh keys only: what was typed ahead waits until after.
    fn aside<T>(&mut self, f: impl FnOnce(&mut Editor) -> T) -> T {
        if !self.pending_fresh {
            let ahead = std::mem::take(&mut self.pending);
            self.held.extend_from_slice(&ahead);
        }
        self.fresh = true;
        let res = f(self);
        self.fresh = false;
        // What is left was typed after the question: keys like any others.
        self.pending_fresh = true;
        res
    }

    fn read_input(&mut self, prompt: &str, style: (&str, &str), hist: bool) -> io::Result<Read> {
        self.buf.clear();
        self.cur = 0;
        self.rows_up = 0;
        self.hist_pos = self.history.entries.len();
        self.draft.clear();
        self.pastes.clear();
        let pw = super::width::str_width(prompt);
        let cont = format!("{:<pw$}", "·");
        self.draw(prompt, &cont, style)?;
        // About to wait for the user, maybe for hours: give back code pages.
        crate::idle::release_code_pages();
        loop {
            if self.pasting {
                self.paste_run();
            }
            let key = self.key()?;
            let Some(mut key) = key else {
                // A resize: the old layout is gone; draw afresh below it.
                self.rows_up = 0;
                io::stdout().write_all(b"\r\n")?;
                self.draw(prompt, &cont, style)?;
                continue;
            };
            if self.pasting {
                self.paste_key(&key);
                if !self.pasting || self.pending.is_empty() {
                    self.draw(prompt, &cont, style)?;
                }
                continue;
            }
            if self.intercept(&mut key) {
                self.draw(prompt, &cont, style)?;
                continue;
            }
            if let Some(read) = self.finish(&key, hist, prompt, &cont, style)? {
                return Ok(read);
            }
            if !self.edit(&key, hist)? {
                continue;
            }
            let edits = matches!(
                key,
                Key::Char(_) | Key::Backspace | Key::Delete | Key::KillWordBack
            );
            if hist && edits {
                let tab = self.menu.as_ref().is_some_and(|m| m.tab);
                self.refresh(tab);
            } else if key != Key::Tab {
                self.close_menu();
            }
            if self.pending.is_empty() {
                self.draw(prompt, &cont, style)?;
            }
        }
    }

    /// A key inside a bracketed paste: text goes in as typed.
    fn paste_key(&mut self, key: &Key) {
        match key {
            Key::PasteEnd => {
                self.pasting = false;
                self.fold_paste();
            }
            Key::Char(c) => self.insert(*c),
            Key::Enter | Key::Newline => self.insert('\n'),
            Key::Tab => self.insert('\t'),
            _ => {}
        }
    }

    /// The keys that end the input: Enter (unless after a trailing `\`)
    /// gives the line; Ctrl-C and Ctrl-D on an empty line cancel and end.
    fn finish(
        &mut self,
        key: &Key,
        hist: bool,
        prompt: &str,
        cont: &str,
        style: (&str, &str),
    ) -> io::Result<Option<Read>> {
        match key {
            Key::Enter if !self.continued() => {
                self.close_menu();
                self.cur = self.buf.len();
                self.draw(prompt, cont, style)?;
                let mut out = io::stdout().lock();
                out.write_all(b"\r\n")?;
                out.flush()?;
                let line = compose::unfold(std::mem::take(&mut self.buf), &mut self.pastes);
                if hist {
                    self.history.add(&line);
                }
                Ok(Some(Read::Line(line)))
            }
            Key::CtrlC | Key::CtrlD if self.buf.is_empty() => {
                let mut out = io::stdout().lock();
                out.write_all(b"\r\n")?;
                out.flush()?;
                Ok(Some(if *key == Key::CtrlD {
                    Read::Eof
                } else {
                    Read::Cancel
                }))
            }
            _ => Ok(None),
        }
    }

    /// The cursor is at the end, after a `\`: Enter continues the line.
    fn continued(&self) -> bool {
        self.buf[..self.cur].ends_with('\\') && self.cur == self.buf.len()
    }

    /// Apply an editing key (history, menus and the screen included);
    /// false for a key that does nothing here.
    fn edit(&mut self, key: &Key, hist: bool) -> io::Result<bool> {
        match key {
            Key::Char(c) => self.insert(*c),
            Key::Tab if hist && self.completer.is_some() => self.refresh(true),
            Key::Tab => self.insert('\t'),
            Key::Newline => self.insert('\n'),
            Key::Enter => {
                // `continued()`: the `\` becomes a newline.
                self.buf.pop();
                self.cur -= 1;
                self.insert('\n');
            }
            Key::CtrlC => {
                self.buf.clear();
                self.cur = 0;
            }
            Key::Up if hist => self.browse(-1),
            Key::Down if hist => self.browse(1),
            Key::CtrlL => {
                io::stdout().write_all(b"\x1b[H\x1b[2J")?;
                self.rows_up = 0;
            }
            Key::PasteStart => {
                self.pasting = true;
                self.paste_from = self.cur;
            }
            Key::CtrlG if hist => self.external()?,
            Key::CtrlR if hist => {
                self.close_menu();
                self.search = Some(Search::new(self.buf.clone()));
            }
            _ => return Ok(self.motion(key)),
        }
        Ok(true)
    }

    /// Move the cursor or delete around it; false for any other key.
    fn motion(&mut self, key: &Key) -> bool {
        match key {
            Key::CtrlD | Key::Delete => {
                if let Some(c) = self.buf[self.cur..].chars().next() {
                    self.buf
                        .replace_range(self.cur..self.cur + c.len_utf8(), "");
                }
            }
            Key::Backspace => {
                if let Some(c) = self.buf[..self.cur].chars().next_back() {
                    self.cur -= c.len_utf8();
                    self.buf.remove(self.cur);
                }
            }
            Key::Left => {
                self.cur -= self.buf[..self.cur]
                    .chars()
                    .next_back()
                    .map_or(0, char::len_utf8)
            }
            Key::Right => {
                self.cur += self.buf[self.cur..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8)
            }
            Key::Home => self.cur = self.buf[..self.cur].rfind('\n').map_or(0, |i| i + 1),
            Key::End => {
                self.cur += self.buf[self.cur..]
                    .find('\n')
                    .unwrap_or(self.buf.len() - self.cur)
            }
            Key::WordLeft => self.cur = self.word_left(),
            Key::WordRight => self.cur = self.word_right(),
            Key::KillWordBack => {
                let to = self.word_left();
                self.buf.replace_range(to..self.cur, "");
                self.cur = to;
            }
            Key::KillWordFwd => {
                let to = self.word_right();
                self.buf.replace_range(self.cur..to, "");
            }
            Key::KillToStart => {
                self.buf.replace_range(..self.cur, "");
                self.cur = 0;
            }
            Key::KillToEnd => self.buf.truncate(self.cur),
            _ => return false,
        }
        true
    }

    /// Wait for one key with nothing drawn (for y/a/n answers). `None`
    /// means end of input. Keys typed ahead (queued prompts) are not
    /// answers: they wait for the next input.
    pub fn read_key(&mut self) -> io::Result<Option<Key>> {
        self.aside(|e| loop {
            match e.key() {
                Ok(Some(k)) => return Ok(Some(k)),
                Ok(None) => continue,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(e) => return Err(e),
            }
        })
    }

    /// Inside a bracketed paste, insert everything up to the end marker in
    /// one go (a char at a time would be quadratic for a big paste).
    fn paste_run(&mut self) {
        const END: &[u8] = b"\x1b[201~";
        let upto = match self.pending.windows(END.len()).position(|w| w == END) {
            Some(i) => i,
            // Keep a possible start of the marker, and an incomplete character.
            None => self.pending.len().saturating_sub(END.len() + 3),
        };
        let mut cut = upto;
        while cut > 0
            && std::str::from_utf8(self.pending.get(..cut).unwrap_or(&[])).is_err()
            && upto - cut < 4
        {
            cut -= 1;
        }
        let chunk: Vec<u8> = self.pending.drain(..cut).collect();
        let text = String::from_utf8_lossy(&chunk)
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .replace('\t', "    ");
        let text: String = text
            .chars()
            .filter(|&c| c == '\n' || !c.is_control())
            .collect();
        self.buf.insert_str(self.cur, &text);
        self.cur += text.len();
    }

    fn insert(&mut self, c: char) {
        let c = if c == '\t' { ' ' } else { c };
        self.buf.insert(self.cur, c);
        self.cur += c.len_utf8();
    }

    fn word_left(&self) -> usize {
        let before = &self.buf[..self.cur];
        let trimmed = before.trim_end_matches(|c: char| !is_word(c));
        trimmed.trim_end_matches(is_word).len()
    }

    fn word_right(&self) -> usize {
        let after = &self.buf[self.cur..];
        let skipped = after.trim_start_matches(|c: char| !is_word(c));
        let rest = skipped.trim_start_matches(is_word);
        self.buf.len() - rest.len()
    }

    fn browse(&mut self, dir: i32) {
        let n = self.history.entries.len();
        let to = if dir < 0 {
            self.hist_pos.checked_sub(1)
        } else {
            Some(self.hist_pos + 1).filter(|&p| p <= n)
        };
        let Some(to) = to else { return };
        if self.hist_pos == n {
            self.draft = self.buf.clone();
        }
        self.hist_pos = to;
        self.buf = self
            .history
            .entries
            .get(to)
            .cloned()
            .unwrap_or_else(|| self.draft.clone());
        self.cur = self.buf.len();
    }

    /// Redraw the input from its first row.
    fn draw(&mut self, prompt: &str, cont: &str, (on, off): (&str, &str)) -> io::Result<()> {
        let label = self.search.as_ref().map(Search::label);
        let prompt = label.as_deref().unwrap_or(prompt);
        let w = term::width();
        let pw = super::width::str_width(prompt);
        let mut s = String::with_capacity(self.buf.len() + 32);
        s.push('\r');
        if self.rows_up > 0 {
            s.push_str(&format!("\x1b[{}A", self.rows_up));
        }
        s.push_str("\x1b[J");
        s.push_str(on);
        s.push_str(prompt);
        s.push_str(off);
        for (i, line) in self.buf.split('\n').enumerate() {
            if i > 0 {
                s.push_str("\r\n");
                s.push_str(on);
                s.push_str(cont);
                s.push_str(off);
            }
            s.push_str(line);
        }
        let ((cr, cc), (er, ec)) = layout(pw, &self.buf, self.cur, w);
        let mut end_row = er;
        if ec >= w {
            s.push_str("\r\n");
            end_row += 1;
        }
        if let Some(m) = &self.menu {
            let (rows, n) = m.draw(w, !on.is_empty());
            s.push_str(&rows);
            end_row += n;
        }
        if end_row > cr {
            s.push_str(&format!("\x1b[{}A", end_row - cr));
        }
        s.push('\r');
        if cc > 0 {
            s.push_str(&format!("\x1b[{cc}C"));
        }
        self.rows_up = cr;
        let mut out = io::stdout().lock();
        out.write_all(s.as_bytes())?;
        out.flush()
    }

    /// The next key, reading stdin as needed; `Ok(None)` after a resize.
    fn key(&mut self) -> io::Result<Option<Key>> {
        if !self.fresh {
            // Keys held back during an answer come before those typed since.
            let later = std::mem::take(&mut self.pending);
            self.pending = std::mem::take(&mut self.held);
            self.pending.extend_from_slice(&later);
            self.pending
                .extend_from_slice(&crate::interrupt::take_typeahead());
            self.pending_fresh = false;
        }
        loop {
            if let Some((k, n)) = keys::parse(&self.pending) {
                self.pending.drain(..n.min(self.pending.len()));
                return Ok(Some(k));
            }
            // A lone ESC is the Esc key unless more of a sequence follows soon.
            if self.pending == [0x1b] && !term::stdin_ready(30) {
                self.pending.clear();
                return Ok(Some(Key::Esc));
            }
            let mut buf = [0u8; 4096];
            match term::read_stdin(&mut buf) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "end of input")),
                Ok(n) => self.pending.extend_from_slice(buf.get(..n).unwrap_or(&[])),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    if term::resized() {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_wraps_wide_chars_and_lines() {
        // "> " then 8 columns of text on a 10-column terminal: ends at the edge.
        assert_eq!(layout(2, "abcdefgh", 8, 10), ((1, 0), (0, 10)));
        // A wide char that would straddle the edge moves to the next row.
        assert_eq!(layout(2, "abcdefg日", 7, 10), ((0, 9), (1, 2)));
        assert_eq!(layout(2, "ab\ncd", 4, 80), ((1, 3), (1, 4)));
        assert_eq!(layout(2, "日本", 3, 80), ((0, 4), (0, 6)));
    }

    #[test]
    fn words() {
        let mut e = Editor::new(History::default());
        e.buf = "foo bar_1 baz".into();
        e.cur = e.buf.len();
        assert_eq!(e.word_left(), 10);
        e.cur = 10;
        assert_eq!(e.word_left(), 4);
        e.cur = 0;
        assert_eq!(e.word_right(), 3);
    }
}

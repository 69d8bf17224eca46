//! The grep tool's search of one file: the file is read in blocks into one
//! reused buffer, a NUL in its first block marks it binary (and one in a
//! later block ends its search there, as binary from that point on), and
//! each block's complete lines are searched. With a prefilter (a literal every match must
//! contain, see literal.rs) a fast substring search jumps to the candidate
//! lines and only those meet the matcher; newlines are counted in bulk for
//! the line numbers. Matches are written as `path:N:text` and context lines
//! as `path-N-text`, with `--` between groups, exactly as grep -n -C does.
//! Memory is the buffer, a line plus a block: a line longer than `MAX_LINE`
//! is searched in windows of `MAX_LINE` bytes that overlap by `OVERLAP`, so
//! it is never held whole (a match longer than `OVERLAP` that crosses a
//! window's edge can be missed; `$` and `\b` are trusted at a window's end
//! only at the line's end).

use super::literal::{ByteSet, Prefilter};
use super::truncate::floor_char;
use memchr::{memchr, memchr_iter, memrchr};
use regex_lite::Regex;
use std::borrow::Cow;
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::Path;

/// Bytes read at a time; also the buffer's resting size.
const BLOCK: usize = 64 * 1024;
/// Bytes read before a file's first search: a NUL in them marks it binary.
const BINARY_PROBE: usize = 8192;
/// Longer lines are searched in windows of this many bytes.
pub const MAX_LINE: usize = 512 << 10;
/// Bytes a window shares with the one before it.
const OVERLAP: usize = 4 << 10;
/// Longer lines are cut to this many bytes in the output.
const MAX_LINE_BYTES: usize = 300;

pub enum Matcher {
    /// A regex, and the bytes a matching line is made of when the pattern
    /// must match a whole line (literal::line_bytes).
    Regex(Regex, Option<Box<ByteSet>>),
    /// Case-sensitive plain text.
    Text(String),
}

impl Matcher {
    fn is_match(&self, line: &str) -> bool {
        match self {
            Matcher::Regex(re, _) => re.is_match(line),
            Matcher::Text(t) => line.contains(t.as_str()),
        }
    }

    /// False when the line `raw` (a `\r` before its newline aside) holds a
    /// byte no match can be made of.
    fn may_match(&self, raw: &[u8]) -> bool {
        let Matcher::Regex(_, Some(set)) = self else {
            return true;
        };
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        raw.iter().all(|b| set.get(usize::from(*b)) == Some(&true))
    }
}

/// The state of a search across files, and its output.
pub struct Scan {
    matcher: Matcher,
    prefilter: Option<Prefilter>,
    context: usize,
    limit: usize,
    out: String,
    matches: usize,
    /// A match beyond `limit` exists.
    more: bool,
    /// Files whose search ended at a NUL byte past their first block.
    binary_tails: usize,
    buf: Vec<u8>,
}

/// Where the search of one file is.
struct At {
    /// Offset in the buffer of the next line to look at.
    pos: usize,
    /// Its 0-based line number.
    line: usize,
    /// The last line written out.
    shown: Option<usize>,
    /// After-context lines still to write.
    after: usize,
    /// The limit was reached: only the after-context is left to write.
    stop: bool,
    /// The first line the buffer may hold (lines before a skipped long
    /// line's end are gone).
    held: usize,
}

impl Scan {
    pub fn new(
        matcher: Matcher,
        prefilter: Option<Prefilter>,
        context: usize,
        limit: usize,
    ) -> Scan {
        Scan {
            matcher,
            prefilter,
            context,
            limit,
            out: String::new(),
            matches: 0,
            more: false,
            binary_tails: 0,
            buf: Vec::new(),
        }
    }

    pub fn matches(&self) -> usize {
        self.matches
    }

    /// A match beyond the limit was found: the search is over.
    pub fn more(&self) -> bool {
        self.more
    }

    pub fn binary_tails(&self) -> usize {
        self.binary_tails
    }

    pub fn output(&self) -> &str {
        &self.out
    }

    /// Search the file at `abs`, shown as `rel`. Unreadable files are
    /// passed over, as binary ones are.
    pub fn file(&mut self, abs: &Path, rel: &str) {
        let Ok(mut f) = File::open(abs) else { return };
        let mut buf = std::mem::take(&mut self.buf);
        if buf.len() != BLOCK {
            buf = vec![0; BLOCK];
        }
        let mut filled = 0;
        let mut eof = false;
        while filled < BINARY_PROBE && !eof {
            eof = !read_more(&mut f, &mut buf, &mut filled);
        }
        if memchr(0, buf.get(..filled).unwrap_or_default()).is_none() {
            self.lines(&mut f, &mut buf, filled, eof, rel);
        }
        if buf.len() == BLOCK {
            self.buf = buf; // a grown buffer is let go
        }
    }

    fn lines(
        &mut self,
        f: &mut File,
        buf: &mut Vec<u8>,
        mut filled: usize,
        mut eof: bool,
        rel: &str,
    ) {
        let mut at = At {
            pos: 0,
            line: 0,
            shown: None,
            after: 0,
            stop: false,
            held: 0,
        };
        // The bytes from `at.pos` to `clean` hold no newline: a long line
        // is looked through once, not once a block.
        let mut clean = 0;
        loop {
            let from = clean.max(at.pos);
            let end = match memrchr(b'\n', buf.get(from..filled).unwrap_or_default()) {
                _ if eof => filled,
                Some(i) => from + i + 1,
                None => at.pos,
            };
            if !self.region(buf.get(..end).unwrap_or_default(), &mut at, rel) || eof {
                return;
            }
            clean = filled;
            // Keep the unfinished line and the lines before-context may need.
            let keep = back_lines(buf, at.pos, self.context);
            if keep > 0 {
                buf.copy_within(keep..filled, 0);
                filled -= keep;
                at.pos -= keep;
                clean -= keep;
            }
            if filled - at.pos >= MAX_LINE {
                // One line fills the buffer: its first window is searched
                // as a line, the rest window by window (`rest_of_line`).
                let head = buf.get(..filled).unwrap_or_default();
                let line = head.get(at.pos..).unwrap_or_default();
                let start = line_text(line.get(..MAX_LINE_BYTES).unwrap_or(line), false);
                let (start, i) = (start.into_owned(), at.line);
                let hit = !at.stop && self.window_matches(line, false, false);
                if hit {
                    self.long_hit(head, &mut at, rel, &start);
                    at.line += 1;
                } else {
                    self.line(head, &mut at, rel, false);
                }
                let (late, next) = self.rest_of_line(f, buf, filled, !hit && !at.stop);
                if late {
                    let next = at.line;
                    (at.line, at.held) = (i, i);
                    self.long_hit(&[], &mut at, rel, &start);
                    at.line = next;
                }
                match next {
                    Some(n) => (filled, at.pos, at.held, clean) = (n, 0, at.line, 0),
                    None => return,
                }
                continue;
            }
            if filled == buf.len() {
                buf.resize(filled + BLOCK, 0);
            }
            let from = filled;
            eof = !read_more(f, buf, &mut filled);
            if self.nul_in(buf.get(from..filled)) {
                return;
            }
        }
    }

    /// Read the rest of a line longer than `MAX_LINE`, whose last bytes
    /// are `buf[..filled]`, in windows of `MAX_LINE` that overlap by
    /// `OVERLAP`; with `search`, until one matches. Whether one did, and the
    /// count of the bytes after the line's newline, now at the start of
    /// `buf` (None at the end of the file or at a NUL).
    fn rest_of_line(
        &mut self,
        f: &mut File,
        buf: &mut [u8],
        filled: usize,
        mut search: bool,
    ) -> (bool, Option<usize>) {
        let (mut have, mut matched) = (filled, false);
        loop {
            let ov = OVERLAP.min(have);
            buf.copy_within(have - ov..have, 0);
            let mut n = ov;
            let (nl, eof) = loop {
                let from = n;
                if !read_more(f, buf, &mut n) {
                    break (None, true);
                }
                let got = buf.get(from..n).unwrap_or_default();
                if self.nul_in(Some(got)) {
                    return (matched, None);
                }
                if let Some(i) = memchr(b'\n', got) {
                    break (Some(from + i), false);
                }
                if n >= MAX_LINE {
                    break (None, false);
                }
            };
            let window = buf.get(..nl.unwrap_or(n)).unwrap_or_default();
            if search && self.window_matches(window, ov > 0, nl.is_some() || eof) {
                (matched, search) = (true, false);
            }
            match nl {
                Some(i) => {
                    buf.copy_within(i + 1..n, 0);
                    return (matched, Some(n - i - 1));
                }
                None if eof => return (matched, None),
                None => have = n,
            }
        }
    }

    /// Whether the matcher matches in one window of a long line. Its first
    /// character is only context when `context` (the window overlaps the
    /// one before); a match found to end at the window's end counts only at
    /// the line's `last` window, since `$` or `\b` may have matched there.
    fn window_matches(&self, window: &[u8], context: bool, last: bool) -> bool {
        if self
            .prefilter
            .as_ref()
            .is_some_and(|p| p.find(window).is_none())
        {
            return false;
        }
        let text = window_text(window);
        match &self.matcher {
            Matcher::Text(t) => text.contains(t.as_str()),
            Matcher::Regex(re, _) => {
                let start = match text.chars().next() {
                    Some(c) if context => c.len_utf8(),
                    _ => 0,
                };
                re.shortest_match_at(&text, start)
                    .is_some_and(|end| last || end < text.len())
            }
        }
    }

    /// A line longer than a window matched (at `at.line`, which starts
    /// with `start`): it is written unless the limit was reached or it was
    /// written already as context. Before-context comes from `buf`.
    fn long_hit(&mut self, buf: &[u8], at: &mut At, rel: &str, start: &str) {
        if self.matches == self.limit {
            (self.more, at.stop) = (true, true);
        } else if at.shown != Some(at.line) {
            self.matches += 1;
            self.hit(buf, at, rel, (start, true));
        } else {
            self.matches += 1;
        }
    }

    /// Whether newly read `bytes` hold a NUL: the file is binary from there
    /// on (a sparse file's hole, an archive's tail), so what was found
    /// before stays and the rest is skipped.
    fn nul_in(&mut self, bytes: Option<&[u8]>) -> bool {
        let nul = memchr(0, bytes.unwrap_or_default()).is_some();
        self.binary_tails += usize::from(nul);
        nul
    }

    /// Search the lines of `buf` from `at.pos` to its end (complete lines,
    /// but for the last line of a file). False when the file is done with.
    fn region(&mut self, buf: &[u8], at: &mut At, rel: &str) -> bool {
        let end = buf.len();
        while at.pos < end {
            if at.stop && at.after == 0 {
                return false;
            }
            let next = match &self.prefilter {
                Some(p) if !at.stop => match p.find(buf.get(at.pos..).unwrap_or_default()) {
                    Some(h) => back_lines(buf, at.pos + h, 0).max(at.pos),
                    None => end,
                },
                _ => at.pos,
            };
            self.skip_to(buf, next, at, rel);
            if at.pos >= end {
                break;
            }
            self.line(buf, at, rel, true);
        }
        !(at.stop && at.after == 0)
    }

    /// Look at the line at `at.pos` (it ends at a newline or at the end of
    /// `buf`) and move past it. Only a `candidate` line (one the prefilter
    /// found, or any without one) can match.
    fn line(&mut self, buf: &[u8], at: &mut At, rel: &str, candidate: bool) {
        let rest = buf.get(at.pos..).unwrap_or_default();
        let (raw, len) = match memchr(b'\n', rest) {
            Some(i) => (rest.get(..i).unwrap_or_default(), i + 1),
            None => (rest, rest.len()),
        };
        let candidate = candidate
            && !at.stop
            && self.prefilter.as_ref().is_none_or(|p| p.rest_in(raw))
            && self.matcher.may_match(raw);
        if !candidate && (at.after == 0 || at.shown == Some(at.line)) {
            at.pos += len;
            at.line += 1;
            return;
        }
        let text = line_text(raw, len > raw.len());
        if candidate && self.matcher.is_match(&text) {
            if self.matches == self.limit {
                self.more = true;
                at.stop = true;
            } else {
                self.matches += 1;
                self.hit(buf, at, rel, (&text, false));
            }
        }
        if at.after > 0 && at.shown != Some(at.line) {
            self.emit(rel, at.line, (&text, false), '-');
            at.shown = Some(at.line);
            at.after -= 1;
        }
        at.pos += len;
        at.line += 1;
    }

    /// Write a match at `at.line` (`text`, and whether it is the start of a
    /// line longer than a window), with its before-context.
    fn hit(&mut self, buf: &[u8], at: &mut At, rel: &str, (text, long): (&str, bool)) {
        let i = at.line;
        let mut from = i.saturating_sub(self.context).max(at.held);
        if let Some(s) = at.shown {
            from = from.max(s + 1);
        }
        let joined = at.shown.is_some_and(|s| s + 1 == from);
        if self.context > 0 && !self.out.is_empty() && !joined {
            self.out.push_str("--\n");
        }
        // The buffer holds `context` lines before `at.pos` (see `lines`).
        let mut start = back_lines(buf, at.pos, i - from);
        for j in from..i {
            let rest = buf.get(start..at.pos).unwrap_or_default();
            let raw = memchr(b'\n', rest).map_or(rest, |n| rest.get(..n).unwrap_or_default());
            self.emit(rel, j, (&line_text(raw, true), false), '-');
            start += raw.len() + 1;
        }
        self.emit(rel, i, (text, long), ':');
        at.shown = Some(i);
        at.after = self.context;
    }

    /// Move `at` to `next` (a line start), writing the after-context lines
    /// on the way and counting the others.
    fn skip_to(&mut self, buf: &[u8], next: usize, at: &mut At, rel: &str) {
        while at.after > 0 && at.pos < next {
            self.line(buf.get(..next).unwrap_or_default(), at, rel, false);
        }
        if at.pos < next {
            at.line += memchr_iter(b'\n', buf.get(at.pos..next).unwrap_or_default()).count();
            at.pos = next;
        }
    }

    /// One output line: `path:N:text` for a match, `path-N-text` for
    /// context; `long`: `line` is the start of a line longer than a window.
    fn emit(&mut self, rel: &str, i: usize, (line, long): (&str, bool), sep: char) {
        let keep = floor_char(line, MAX_LINE_BYTES);
        let body = line.get(..keep).unwrap_or(line);
        self.out
            .push_str(&format!("{rel}{sep}{}{sep}{body}", i + 1));
        if long {
            self.out
                .push_str(&format!(" [… line over {} KB]", MAX_LINE >> 10));
        } else if keep < line.len() {
            self.out
                .push_str(&format!(" [… {} more bytes]", line.len() - keep));
        }
        self.out.push('\n');
    }
}

/// A line's text as `str::lines` gives it: without its `\r\n` or `\n`,
/// invalid UTF-8 replaced.
fn line_text(raw: &[u8], had_newline: bool) -> Cow<'_, str> {
    let raw = match raw.split_last() {
        Some((b'\r', head)) if had_newline => head,
        _ => raw,
    };
    match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(raw),
    }
}

/// A window of a long line as text: a character cut at its start is
/// dropped and one cut at its end left out; invalid UTF-8 is replaced.
fn window_text(bytes: &[u8]) -> Cow<'_, str> {
    let lead = bytes
        .iter()
        .take(3)
        .take_while(|b| **b & 0xc0 == 0x80)
        .count();
    let bytes = bytes.get(lead..).unwrap_or_default();
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(e) if e.error_len().is_none() => {
            let ok = bytes.get(..e.valid_up_to()).unwrap_or_default();
            Cow::Borrowed(std::str::from_utf8(ok).unwrap_or_default())
        }
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The start of the line `n` lines before the one containing `pos` (0: its
/// own start), or 0 at the start of the buffer.
fn back_lines(buf: &[u8], pos: usize, n: usize) -> usize {
    let mut start = match memrchr(b'\n', buf.get(..pos).unwrap_or_default()) {
        Some(i) => i + 1,
        None => return 0,
    };
    for _ in 0..n {
        if start == 0 {
            break;
        }
        start = memrchr(b'\n', buf.get(..start - 1).unwrap_or_default()).map_or(0, |i| i + 1);
    }
    start
}

/// Read what fits into `buf` after `filled`; false at the end of the file
/// (or on a read error, which ends the file as well).
fn read_more(f: &mut File, buf: &mut [u8], filled: &mut usize) -> bool {
    loop {
        match f.read(buf.get_mut(*filled..).unwrap_or_default()) {
            Ok(0) => return false,
            Ok(n) => {
                *filled += n;
                return true;
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

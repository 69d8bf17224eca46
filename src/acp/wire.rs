//! The ACP transport: JSON-RPC 2.0 messages, one per line, on stdin and
//! stdout. This file owns the line reader (bytes read from fd 0 only when
//! the caller's poll says so, split at newlines, a line over 64 MiB
//! dropped and reported instead of held), the writer (one whole line per
//! message, flushed) and the shapes of replies and errors, so every error
//! code mote answers with is named here once.

use std::io::{self, Write};

use crate::json::value::Value;
use crate::mcp::rpc::{obj, s};

/// The largest message mote accepts; a longer line is answered with an
/// error and skipped, never buffered whole.
pub const MAX_MESSAGE: usize = 64 << 20;

/// JSON-RPC error codes, and ACP's "resource not found" for unknown sessions.
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
pub const NOT_FOUND: i64 = -32002;

/// What the reader found in the buffered bytes.
#[derive(Debug, PartialEq)]
pub enum Line {
    Msg(Vec<u8>),
    /// A message longer than `MAX_MESSAGE`, dropped.
    TooLarge,
}

/// Reads fd 0 (or any fd) in whatever pieces arrive.
pub struct Input {
    fd: i32,
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for a newline.
    scanned: usize,
    /// Inside an oversized line: drop bytes up to its newline.
    skipping: bool,
    limit: usize,
    pub eof: bool,
}

impl Input {
    pub fn new(fd: i32) -> Input {
        Input::with_limit(fd, MAX_MESSAGE)
    }

    pub fn with_limit(fd: i32, limit: usize) -> Input {
        Input {
            fd,
            buf: Vec::new(),
            scanned: 0,
            skipping: false,
            limit,
            eof: false,
        }
    }

    /// One `read` of what is available (call after poll says readable).
    pub fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            // SAFETY: `chunk` is a valid writable buffer of its length.
            let n = unsafe { libc::read(self.fd, chunk.as_mut_ptr().cast(), chunk.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                self.eof = true;
            }
            self.buf
                .extend_from_slice(chunk.get(..n as usize).unwrap_or(&[]));
            return Ok(());
        }
    }

    /// The next complete line, if one is buffered. Blank lines are skipped.
    pub fn next_line(&mut self) -> Option<Line> {
        loop {
            let found = self
                .buf
                .get(self.scanned..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'));
            let Some(pos) = found.map(|p| p + self.scanned) else {
                self.scanned = self.buf.len();
                if !self.skipping && self.buf.len() > self.limit {
                    self.skipping = true;
                    self.drop_buffer();
                    return Some(Line::TooLarge);
                }
                if self.skipping {
                    self.drop_buffer();
                }
                return None;
            };
            let rest = self.buf.split_off(pos + 1);
            let mut line = std::mem::replace(&mut self.buf, rest);
            self.scanned = 0;
            if std::mem::take(&mut self.skipping) {
                continue;
            }
            line.pop();
            if line.len() > self.limit {
                return Some(Line::TooLarge);
            }
            if line.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return Some(Line::Msg(line));
        }
    }

    fn drop_buffer(&mut self) {
        self.buf = Vec::new();
        self.scanned = 0;
    }
}

/// Write one message as a line on stdout. A closed stdout (the editor went
/// away) is an error the caller treats as the end.
pub fn send(msg: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(msg.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// An error reply; `data` adds the error's `data` member.
pub fn error(id: &Value, code: i64, message: &str, data: Option<Value>) -> String {
    let mut e = vec![
        ("code", Value::Num(code.to_string())),
        ("message", s(message)),
    ];
    if let Some(d) = data {
        e.push(("data", d));
    }
    obj(vec![
        ("jsonrpc", s("2.0")),
        ("id", id.clone()),
        ("error", obj(e)),
    ])
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe() -> (i32, i32) {
        let mut fds = [0i32; 2];
        // SAFETY: a valid array of two fds.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        (fds[0], fds[1])
    }

    fn put(fd: i32, b: &[u8]) {
        // SAFETY: writing a valid buffer to our own pipe.
        let n = unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
        assert_eq!(n as usize, b.len());
    }

    #[test]
    fn lines_split_anywhere_and_oversized_ones_are_dropped() {
        let (r, w) = pipe();
        let mut inp = Input::with_limit(r, 16);
        put(w, b"{\"a\":");
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), None);
        put(w, b"1}\n\n  \n[2]\n");
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), Some(Line::Msg(b"{\"a\":1}".to_vec())));
        assert_eq!(inp.next_line(), Some(Line::Msg(b"[2]".to_vec())));
        assert_eq!(inp.next_line(), None);
        // 40 bytes with no newline: reported once, then skipped to its end.
        put(w, &[b'x'; 40]);
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), Some(Line::TooLarge));
        put(w, b"yyyy\n{}\n");
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), Some(Line::Msg(b"{}".to_vec())));
        // Oversized and complete in one read.
        put(w, &[b'z'; 20]);
        put(w, b"\n[]\n");
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), Some(Line::TooLarge));
        assert_eq!(inp.next_line(), Some(Line::Msg(b"[]".to_vec())));
        // SAFETY: closing our own fds.
        unsafe {
            libc::close(w);
        }
        inp.fill().unwrap();
        assert!(inp.eof);
        unsafe {
            libc::close(r);
        }
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_taken_and_one_byte_more_is_not() {
        let (r, w) = pipe();
        let mut inp = Input::with_limit(r, 8);
        put(w, b"12345678\n123456789\n");
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), Some(Line::Msg(b"12345678".to_vec())));
        assert_eq!(inp.next_line(), Some(Line::TooLarge));
        assert_eq!(inp.next_line(), None);
        // Unterminated: the limit may still end in a newline; one more byte
        // cannot, and the buffer is let go at once.
        put(w, b"abcdefgh");
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), None);
        assert_eq!(inp.buf.len(), 8);
        put(w, b"i");
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), Some(Line::TooLarge));
        assert!(inp.buf.is_empty() && inp.buf.capacity() == 0);
        // What follows while skipping is dropped too, up to the newline.
        put(w, b"jklmnop");
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), None);
        assert!(inp.buf.is_empty());
        put(w, b"q\n[1]\n");
        inp.fill().unwrap();
        assert_eq!(inp.next_line(), Some(Line::Msg(b"[1]".to_vec())));
        // SAFETY: closing our own fds.
        unsafe {
            libc::close(w);
            libc::close(r);
        }
    }

    #[test]
    fn a_read_error_is_returned() {
        // A directory cannot be read: EISDIR, not an endless retry.
        let dir = std::fs::File::open("/").unwrap();
        let mut inp = Input::new(std::os::fd::AsRawFd::as_raw_fd(&dir));
        let e = inp.fill().unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EISDIR));
        assert!(!inp.eof);
    }

    #[test]
    fn errors_carry_code_and_data() {
        let e = error(
            &Value::Num("7".into()),
            NOT_FOUND,
            "Resource not found",
            Some(obj(vec![("sessionId", s("x"))])),
        );
        assert_eq!(
            e,
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32002,"message":"Resource not found","data":{"sessionId":"x"}}}"#
        );
        // JSON-RPC's codes.
        assert_eq!(
            [
                PARSE_ERROR,
                INVALID_REQUEST,
                METHOD_NOT_FOUND,
                INVALID_PARAMS,
                INTERNAL_ERROR
            ],
            [-32700, -32600, -32601, -32602, -32603]
        );
    }
}

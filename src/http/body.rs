//! A response body, de-chunked or length-limited, read as it arrives. A
//! body read to its exact end (Content-Length reached, or the last chunk and
//! its trailers) hands its connection back to the keep-alive pool, unless
//! the server said `Connection: close` or ends the body by closing.

use std::io::{self, BufRead, BufReader, Read};
use std::os::fd::AsRawFd;
use std::time::Duration;

use super::clip;
use super::conn::{self, Key, Stream};

pub(super) enum Framing {
    Length(u64),
    Chunked { left: u64, done: bool },
    Close,
}

pub struct Body {
    /// None once the body has ended and the connection went back to the pool.
    conn: Option<BufReader<Stream>>,
    framing: Framing,
    /// The connection may serve the next request to this endpoint.
    keep: Option<Key>,
}

impl Body {
    pub(super) fn new(r: BufReader<Stream>, framing: Framing, keep: Option<Key>) -> Body {
        let mut b = Body {
            conn: Some(r),
            framing,
            keep,
        };
        if b.at_end() {
            b.finish();
        }
        b
    }

    fn at_end(&self) -> bool {
        matches!(
            self.framing,
            Framing::Length(0) | Framing::Chunked { done: true, .. }
        )
    }

    /// The body is complete: pool the connection (or close it).
    fn finish(&mut self) {
        if let (Some(r), Some(key)) = (self.conn.take(), self.keep.take()) {
            conn::release(r, key);
        }
    }

    /// The socket, for poll(2) alongside other fds; -1 once the body ended
    /// (poll ignores it, and `buffered` says a read will not block).
    pub fn fd(&self) -> std::os::fd::RawFd {
        self.conn
            .as_ref()
            .map_or(-1, |r| r.get_ref().tcp().as_raw_fd())
    }

    /// How long the next read may wait for a byte.
    pub fn set_timeout(&self, d: Duration) {
        if let Some(r) = &self.conn {
            let _ = r
                .get_ref()
                .tcp()
                .set_read_timeout(Some(d.max(Duration::from_millis(1))));
        }
    }

    /// Are bytes already decoded or buffered, so a read would not block
    /// (and polling the socket would wait for the wrong thing)?
    pub fn buffered(&mut self) -> bool {
        let Some(r) = self.conn.as_mut() else {
            return true;
        };
        if !r.buffer().is_empty() {
            return true;
        }
        match r.get_mut() {
            Stream::Plain(_) => false,
            Stream::Tls(s) => s
                .conn
                .process_new_packets()
                .map_or(true, |st| st.plaintext_bytes_to_read() > 0),
        }
    }
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(r) = self.conn.as_mut() else {
            return Ok(0);
        };
        let n = match &mut self.framing {
            Framing::Close => return r.read(buf),
            Framing::Length(left) => read_part(r, buf, left, "body ended early")?,
            Framing::Chunked { done: true, .. } => 0,
            Framing::Chunked { left, done } => {
                if *left == 0 {
                    *left = chunk_size(r)?;
                    if *left == 0 {
                        trailers(r)?;
                        *done = true;
                    }
                }
                if *done {
                    0
                } else {
                    let n = read_part(r, buf, left, "stream ended inside a chunk")?;
                    if *left == 0 {
                        let mut crlf = [0u8; 2];
                        r.read_exact(&mut crlf)?;
                    }
                    n
                }
            }
        };
        if self.at_end() {
            self.finish();
        }
        Ok(n)
    }
}

/// Read at most `left` bytes; the stream ending first is an error.
fn read_part(
    r: &mut BufReader<Stream>,
    buf: &mut [u8],
    left: &mut u64,
    early: &str,
) -> io::Result<usize> {
    let max = buf.len().min(usize::try_from(*left).unwrap_or(usize::MAX));
    if max == 0 {
        return Ok(0);
    }
    let n = r.read(&mut buf[..max])?;
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, early));
    }
    *left -= n as u64;
    Ok(n)
}

/// Read a chunk-size line ("1a;ext=1\r\n").
fn chunk_size(r: &mut BufReader<Stream>) -> io::Result<u64> {
    let mut line = Vec::new();
    r.take(1024).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "stream ended before the last chunk",
        ));
    }
    let text = String::from_utf8_lossy(&line);
    let hex = text.split(';').next().unwrap_or("").trim();
    u64::from_str_radix(hex, 16).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad chunk size `{}`", clip(hex)),
        )
    })
}

/// Skip the trailer fields after the last chunk, up to the blank line that
/// ends the message (so the next response starts clean).
fn trailers(r: &mut BufReader<Stream>) -> io::Result<()> {
    for _ in 0..64 {
        let mut line = Vec::new();
        r.take(8 * 1024).read_until(b'\n', &mut line)?;
        if line.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "stream ended in the trailers",
            ));
        }
        if line == b"\r\n" || line == b"\n" {
            return Ok(());
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "too many trailer fields",
    ))
}

//! The HTTP/1.1 wire for the mock: reading one request at a time off a keep-alive
//! connection (Content-Length or chunked bodies, `Expect: 100-continue`), and an
//! `Out` writer that frames chunked bodies and can dribble every byte in its own
//! write() so clients meet frames split at every possible boundary.

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;

/// One request as the mock received it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    pub method: String,
    /// The request target as sent, query string included.
    pub path: String,
    /// Header names lowercased, values trimmed, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body, decoded from chunked framing if needed (lossy UTF-8).
    pub body: String,
}

impl Request {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path without its query string.
    pub fn route(&self) -> &str {
        self.path.split('?').next().unwrap_or("")
    }

    /// Whether the client wants the connection closed after this exchange.
    pub fn wants_close(&self, version: &str) -> bool {
        let conn = self.header("connection").unwrap_or("").to_ascii_lowercase();
        let has = |token: &str| conn.split(',').any(|t| t.trim() == token);
        has("close") || (version == "HTTP/1.0" && !has("keep-alive"))
    }
}

const MAX_LINE: usize = 64 * 1024;
const MAX_HEADERS: usize = 200;

/// Read the next request. `Ok(None)` when the client closed the connection cleanly
/// between requests. The second value is the HTTP version from the request line.
/// `continue_to` receives "100 Continue" if the client asked for it.
pub fn read_request(
    r: &mut impl BufRead,
    continue_to: &mut impl Write,
) -> io::Result<Option<(Request, String)>> {
    let mut line = match read_line(r)? {
        None => return Ok(None),
        Some(l) => l,
    };
    // Tolerate stray blank lines between requests (RFC 9112 §2.2).
    while line.is_empty() {
        line = match read_line(r)? {
            None => return Ok(None),
            Some(l) => l,
        };
    }
    let mut parts = line.split(' ');
    let (method, path, version) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(p), Some(v), None) if v.starts_with("HTTP/1.") && !m.is_empty() => (m, p, v),
        _ => return Err(bad(format!("bad request line: {line:?}"))),
    };
    let mut req = Request {
        method: method.into(),
        path: path.into(),
        ..Request::default()
    };
    loop {
        let h = read_line(r)?.ok_or_else(|| bad("connection closed in headers".into()))?;
        if h.is_empty() {
            break;
        }
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header: {h:?}")))?;
        req.headers
            .push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        if req.headers.len() > MAX_HEADERS {
            return Err(bad("too many headers".into()));
        }
    }
    if req
        .header("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        continue_to.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        continue_to.flush()?;
    }
    let chunked = req
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        read_chunked(r)?
    } else if let Some(len) = req.header("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| bad(format!("bad content-length {len:?}")))?;
        let mut body = vec![0; len];
        r.read_exact(&mut body)?;
        body
    } else {
        Vec::new()
    };
    req.body = String::from_utf8_lossy(&body).into_owned();
    Ok(Some((req, version.to_string())))
}

/// A chunked request body, trailers skipped.
fn read_chunked(r: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(r)?.ok_or_else(|| bad("connection closed in chunked body".into()))?;
        let size = line.split(';').next().unwrap_or("").trim();
        let size =
            usize::from_str_radix(size, 16).map_err(|_| bad(format!("bad chunk size {line:?}")))?;
        if size == 0 {
            while !read_line(r)?
                .ok_or_else(|| bad("connection closed in trailers".into()))?
                .is_empty()
            {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..])?;
        let mut crlf = [0; 2];
        r.read_exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(bad("chunk not followed by CRLF".into()));
        }
    }
}

/// One line without its CRLF (or bare LF). `None` on EOF before any byte.
fn read_line(r: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut buf = Vec::new();
    let n = r
        .by_ref()
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        return Err(bad("line too long or connection closed mid-line".into()));
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    String::from_utf8(buf)
        .map(Some)
        .map_err(|_| bad("non-UTF-8 header line".into()))
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// The reason phrase for the status codes tests use.
pub fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Site Overloaded",
        _ => "Unknown",
    }
}

/// Where responses go. Every `send` is flushed; with `one_byte` each byte is its
/// own write() call (TCP_NODELAY is set on the socket, so they leave separately).
pub struct Out {
    pub stream: TcpStream,
    pub one_byte: bool,
}

impl Out {
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.one_byte {
            for b in bytes {
                self.stream.write_all(std::slice::from_ref(b))?;
                self.stream.flush()?;
            }
            Ok(())
        } else {
            self.stream.write_all(bytes)?;
            self.stream.flush()
        }
    }

    /// Status line and headers; `extra` lines are written as given ("Name: value").
    pub fn head(&mut self, code: u16, extra: &[String], close: bool) -> io::Result<()> {
        let mut h = format!("HTTP/1.1 {code} {}\r\n", reason(code));
        for line in extra {
            h.push_str(line);
            h.push_str("\r\n");
        }
        h.push_str("x-request-id: req_mock\r\n");
        h.push_str(if close {
            "Connection: close\r\n"
        } else {
            "Connection: keep-alive\r\n"
        });
        h.push_str("\r\n");
        self.send(h.as_bytes())
    }

    /// A complete response with a Content-Length body.
    pub fn whole(
        &mut self,
        code: u16,
        content_type: &str,
        extra: &[String],
        body: &[u8],
        close: bool,
    ) -> io::Result<()> {
        let mut headers = vec![
            format!("Content-Type: {content_type}"),
            format!("Content-Length: {}", body.len()),
        ];
        headers.extend(extra.iter().cloned());
        self.head(code, &headers, close)?;
        self.send(body)
    }

    /// Headers for a chunked server-sent-events stream.
    pub fn sse_head(&mut self, close: bool) -> io::Result<()> {
        let headers = [
            "Content-Type: text/event-stream; charset=utf-8".to_string(),
            "Cache-Control: no-cache".to_string(),
            "Transfer-Encoding: chunked".to_string(),
        ];
        self.head(200, &headers, close)
    }

    /// Headers for a chunked newline-delimited JSON stream (Ollama).
    pub fn ndjson_head(&mut self, close: bool) -> io::Result<()> {
        let headers = [
            "Content-Type: application/x-ndjson".to_string(),
            "Transfer-Encoding: chunked".to_string(),
        ];
        self.head(200, &headers, close)
    }

    /// One HTTP chunk (one SSE event, in practice).
    pub fn chunk(&mut self, data: &[u8]) -> io::Result<()> {
        if data.is_empty() {
            return Ok(()); // an empty chunk would end the body
        }
        let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
        framed.extend_from_slice(data);
        framed.extend_from_slice(b"\r\n");
        self.send(&framed)
    }

    /// The zero-length chunk that ends a chunked body.
    pub fn end_chunks(&mut self) -> io::Result<()> {
        self.send(b"0\r\n\r\n")
    }
}

/// Undo chunked framing: the payload and whether the terminating chunk was seen.
/// Handy for tests that read raw responses off a socket.
pub fn dechunk(mut raw: &[u8]) -> Result<(Vec<u8>, bool), String> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") else {
            return Ok((out, false));
        };
        let line = std::str::from_utf8(&raw[..eol]).map_err(|_| "non-UTF-8 chunk size")?;
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {line:?}"))?;
        raw = &raw[eol + 2..];
        if size == 0 {
            return Ok((out, true));
        }
        if raw.len() < size + 2 {
            out.extend_from_slice(&raw[..size.min(raw.len())]);
            return Ok((out, false));
        }
        if &raw[size..size + 2] != b"\r\n" {
            return Err("chunk not followed by CRLF".into());
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

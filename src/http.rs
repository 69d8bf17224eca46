//! A minimal HTTP/1.1 client: one request per connection, plain TCP for
//! local servers and rustls for `https`. It exists instead of minreq so the
//! request body can be streamed from the conversation arena (no second copy
//! of the conversation), the response body can be read as it arrives, and
//! the TLS stack can use ring rather than aws-lc-rs (see README, "Dependencies").

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Url {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

impl Url {
    pub fn parse(s: &str) -> Result<Url, String> {
        let bad = || format!("bad URL `{s}`: expected http://HOST[:PORT]/PATH or https://...");
        let (tls, rest) = if let Some(r) = s.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = s.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(bad());
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or_else(bad)?;
            match after.strip_prefix(':') {
                Some(p) => (h, p.parse().map_err(|_| bad())?),
                None if after.is_empty() => (h, default_port),
                None => return Err(bad()),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p.parse().map_err(|_| bad())?),
                None => (authority, default_port),
            }
        };
        if host.is_empty() || authority.contains('@') {
            return Err(bad());
        }
        Ok(Url { tls, host: host.to_string(), port, path: path.to_string() })
    }

    /// This URL with `suffix` appended to its path (`/v1` + `/chat/completions`).
    pub fn join(&self, suffix: &str) -> Url {
        let mut u = self.clone();
        let base = u.path.trim_end_matches('/');
        u.path = format!("{base}{suffix}");
        u
    }

    fn host_header(&self) -> String {
        let h = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        if self.port == if self.tls { 443 } else { 80 } {
            h
        } else {
            format!("{h}:{}", self.port)
        }
    }
}

/// Why a request failed, sorted by what the caller may do about it.
#[derive(Debug)]
pub enum Error {
    /// No connection could be made, or it broke before a response began:
    /// worth retrying.
    Connect(String),
    /// The server answered with something that is not HTTP/1.1.
    Protocol(String),
}

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

pub struct Response {
    pub status: u16,
    /// Header names are lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Read at most `cap` bytes of the body as text, for error messages.
    pub fn text(&mut self, cap: u64) -> String {
        let mut v = Vec::new();
        let _ = (&mut self.body).take(cap).read_to_end(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }
}

/// POST a body of `len` bytes produced by `body` (called once, writing
/// straight to the connection) and return the response with its body unread.
pub fn post(
    url: &Url,
    headers: &[(&str, &str)],
    len: u64,
    body: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    timeout: Duration,
) -> Result<Response, Error> {
    send("POST", url, headers, len, body, timeout)
}

/// Any method (MCP needs GET and DELETE too); a body of 0 bytes sends no
/// Content-Length for GET and DELETE.
pub fn send(
    method: &str,
    url: &Url,
    headers: &[(&str, &str)],
    len: u64,
    body: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    timeout: Duration,
) -> Result<Response, Error> {
    let mut stream = connect(url, timeout)?;
    let sent = (|| {
        let mut w = BufWriter::with_capacity(16 * 1024, &mut stream);
        write!(w, "{method} {} HTTP/1.1\r\nHost: {}\r\n", url.path, url.host_header())?;
        for (k, v) in headers {
            write!(w, "{k}: {v}\r\n")?;
        }
        if len > 0 || method == "POST" {
            write!(w, "Content-Length: {len}\r\n")?;
        }
        write!(w, "Connection: close\r\n\r\n")?;
        body(&mut w)?;
        w.flush()
    })();
    sent.map_err(|e| Error::Connect(format!("sending request to {}: {e}", url.host)))?;
    read_head(BufReader::with_capacity(16 * 1024, stream), &url.host)
}

fn connect(url: &Url, timeout: Duration) -> Result<Stream, Error> {
    let addrs = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| Error::Connect(format!("cannot resolve {}: {e}", url.host)))?;
    let mut last = format!("{} has no address", url.host);
    let connect_timeout = timeout.min(Duration::from_secs(30));
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, connect_timeout) {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                tcp.set_read_timeout(Some(timeout)).map_err(|e| Error::Connect(e.to_string()))?;
                let _ = tcp.set_write_timeout(Some(timeout));
                if !url.tls {
                    return Ok(Stream::Plain(tcp));
                }
                let conn = crate::tls::connect(&url.host).map_err(Error::Connect)?;
                return Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))));
            }
            Err(e) => last = format!("cannot connect to {}:{}: {e}", url.host, url.port),
        }
    }
    Err(Error::Connect(last))
}

fn read_head(mut r: BufReader<Stream>, host: &str) -> Result<Response, Error> {
    let mut line = Vec::new();
    let mut status = 0u16;
    let mut headers = Vec::new();
    loop {
        line.clear();
        let n = (&mut r)
            .take(16 * 1024)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::Connect(format!("reading response from {host}: {}", describe(&e))))?;
        if n == 0 {
            return Err(Error::Connect(format!("{host} closed the connection before answering")));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if status == 0 {
            // "HTTP/1.1 200 OK"
            let mut parts = text.splitn(3, ' ');
            let proto = parts.next().unwrap_or("");
            status = match (proto.starts_with("HTTP/"), parts.next().and_then(|c| c.parse().ok())) {
                (true, Some(c)) => c,
                _ => return Err(Error::Protocol(format!("{host} did not answer with HTTP: `{}`", clip(text)))),
            };
            continue;
        }
        if text.is_empty() {
            if (100..200).contains(&status) {
                status = 0; // an interim response; the real one follows
                continue;
            }
            break;
        }
        if let Some((k, v)) = text.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
        if headers.len() > 200 {
            return Err(Error::Protocol(format!("{host} sent too many headers")));
        }
    }
    let find = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let chunked = find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let framing = if chunked {
        Framing::Chunked { left: 0, done: false }
    } else if let Some(n) = find("content-length").and_then(|v| v.parse().ok()) {
        Framing::Length(n)
    } else {
        Framing::Close
    };
    Ok(Response { status, headers, body: Body { r, framing } })
}

/// An I/O error in words a user can act on: a read timeout is reported as
/// the silence it is, not as EAGAIN.
pub fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => "the server sent nothing within --timeout".into(),
        _ => e.to_string(),
    }
}

fn clip(s: &str) -> &str {
    &s[..crate::tool::truncate::floor_char(s, 80)]
}

enum Framing {
    Length(u64),
    Chunked { left: u64, done: bool },
    Close,
}

/// The response body, de-chunked, read as it arrives.
pub struct Body {
    r: BufReader<Stream>,
    framing: Framing,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.framing {
            Framing::Close => self.r.read(buf),
            Framing::Length(left) => {
                if *left == 0 {
                    return Ok(0);
                }
                let max = buf.len().min(*left as usize);
                let n = self.r.read(&mut buf[..max])?;
                if n == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "body ended early"));
                }
                *left -= n as u64;
                Ok(n)
            }
            Framing::Chunked { left, done } => {
                if *done {
                    return Ok(0);
                }
                if *left == 0 {
                    let size = chunk_size(&mut self.r)?;
                    if size == 0 {
                        *done = true;
                        return Ok(0);
                    }
                    *left = size;
                }
                let max = buf.len().min(*left as usize);
                let n = self.r.read(&mut buf[..max])?;
                if n == 0 {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "stream ended inside a chunk"));
                }
                *left -= n as u64;
                if *left == 0 {
                    let mut crlf = [0u8; 2];
                    self.r.read_exact(&mut crlf)?;
                }
                Ok(n)
            }
        }
    }
}

impl Body {
    /// The socket, for poll(2) over several open streams (MCP).
    pub fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        match self.r.get_ref() {
            Stream::Plain(s) => s.as_raw_fd(),
            Stream::Tls(s) => s.sock.as_raw_fd(),
        }
    }

    /// Bytes already read from the socket and not yet returned (poll would
    /// not see them). (Plaintext rustls decrypted beyond what the 16 KiB
    /// buffer took is not seen; records are smaller than the buffer.)
    pub fn pending(&self) -> bool {
        !self.r.buffer().is_empty()
    }
}

/// Read a chunk-size line ("1a;ext=1\r\n").
fn chunk_size(r: &mut BufReader<Stream>) -> io::Result<u64> {
    let mut line = Vec::new();
    r.take(1024).read_until(b'\n', &mut line)?;
    if line.is_empty() {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "stream ended before the last chunk"));
    }
    let text = String::from_utf8_lossy(&line);
    let hex = text.split(';').next().unwrap_or("").trim();
    u64::from_str_radix(hex, 16)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("bad chunk size `{}`", clip(hex))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn parses_urls() {
        let u = Url::parse("https://api.openai.com/v1").unwrap();
        assert_eq!((u.tls, u.host.as_str(), u.port, u.path.as_str()), (true, "api.openai.com", 443, "/v1"));
        let u = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((u.port, u.path.as_str()), (8080, "/"));
        assert_eq!(u.join("/chat/completions").path, "/chat/completions");
        let u = Url::parse("http://[::1]:11434/api").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 11434));
        assert_eq!(u.host_header(), "[::1]:11434");
        for bad in ["ftp://x", "http://", "http://h:port/", "http://u@h/", "localhost:80", "http://[::1/"] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    /// Serve one canned response and return what the client sent.
    fn serve(response: &'static [u8]) -> (Url, std::thread::JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") || !got.ends_with(b"BODY") {
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            for b in response {
                s.write_all(&[*b]).unwrap();
            }
            got
        });
        (Url::parse(&format!("http://127.0.0.1:{port}/v1")).unwrap(), h)
    }

    fn send(url: &Url) -> Result<Response, Error> {
        post(url, &[("X-Test", "1")], 4, &mut |w| w.write_all(b"BODY"), Duration::from_secs(5))
    }

    #[test]
    fn chunked_response_split_into_single_bytes() {
        let (url, h) = serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        let mut resp = send(&url).unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.text(100), "hello world");
        let req = String::from_utf8(h.join().unwrap()).unwrap();
        assert!(req.starts_with("POST /v1 HTTP/1.1\r\nHost: 127.0.0.1:"), "{req}");
        assert!(req.contains("X-Test: 1\r\nContent-Length: 4\r\n"));
        assert!(req.ends_with("\r\n\r\nBODY"));
    }

    #[test]
    fn content_length_and_interim_responses() {
        let (url, _h) = serve(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nContent-Length: 2\r\n\r\nnoEXTRA");
        let mut resp = send(&url).unwrap();
        assert_eq!((resp.status, resp.header("retry-after")), (429, Some("3")));
        assert_eq!(resp.text(100), "no");
    }

    #[test]
    fn broken_responses_are_errors_not_panics() {
        let (url, _h) = serve(b"SSH-2.0-OpenSSH\r\n\r\n");
        assert!(matches!(send(&url), Err(Error::Protocol(_))));
        let (url, _h) = serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        let mut resp = send(&url).unwrap();
        let mut v = Vec::new();
        assert!(resp.body.read_to_end(&mut v).is_err());
        let (url, _h) = serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort");
        let mut resp = send(&url).unwrap();
        assert!(resp.body.read_to_end(&mut v).is_err());
        let (url, _h) = serve(b"");
        assert!(matches!(send(&url), Err(Error::Connect(_))));
    }

    #[test]
    fn refused_connection_is_a_connect_error() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        assert!(matches!(send(&url), Err(Error::Connect(_))));
    }
}

//! A minimal HTTP/1.1 client: one request per connection, plain TCP for
//! local servers and rustls for `https`. It exists instead of minreq so the
//! request body can be streamed from the conversation arena (no second copy
//! of the conversation), the response body can be read as it arrives, and
//! the TLS stack can use ring rather than aws-lc-rs (see README, "Dependencies").
//! HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured: https through a CONNECT
//! tunnel, plain http by sending the whole URL to the proxy.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::proxy::{proxy_for, Proxy};

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
        Ok(Url {
            tls,
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    /// This URL with `suffix` appended to its path (`/v1` + `/chat/completions`).
    pub fn join(&self, suffix: &str) -> Url {
        let mut u = self.clone();
        let base = u.path.trim_end_matches('/');
        u.path = format!("{base}{suffix}");
        u
    }

    /// The host as it goes in an authority (IPv6 in brackets).
    fn host_header_name(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    fn host_header(&self) -> String {
        let h = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
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
    /// The user pressed Ctrl-C or Esc while waiting (interactive mode).
    Interrupted,
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
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
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
/// Goes through the proxy that HTTPS_PROXY / HTTP_PROXY / NO_PROXY name.
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
    let proxy = proxy_for(url, &|k| std::env::var(k).ok()).map_err(Error::Protocol)?;
    send_via(method, url, proxy.as_ref(), headers, len, body, timeout)
}

fn send_via(
    method: &str,
    url: &Url,
    proxy: Option<&Proxy>,
    headers: &[(&str, &str)],
    len: u64,
    body: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    timeout: Duration,
) -> Result<Response, Error> {
    let mut stream = match proxy {
        None => connect(url, timeout)?,
        Some(p) => through(p, url, timeout)?,
    };
    // A plain-HTTP request through a proxy names the whole URL.
    let target = match proxy {
        Some(_) if !url.tls => format!("http://{}{}", url.host_header(), url.path),
        _ => url.path.clone(),
    };
    let sent = (|| {
        let mut w = BufWriter::with_capacity(16 * 1024, &mut stream);
        write!(
            w,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\n",
            url.host_header()
        )?;
        if let (Some(p), false) = (proxy, url.tls) {
            if let Some(auth) = &p.auth {
                write!(w, "Proxy-Authorization: Basic {auth}\r\n")?;
            }
        }
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
    let fd = match &stream {
        Stream::Plain(s) => std::os::fd::AsRawFd::as_raw_fd(s),
        Stream::Tls(s) => std::os::fd::AsRawFd::as_raw_fd(&s.sock),
    };
    if crate::interrupt::wait(fd, timeout).unwrap_or(false) {
        return Err(Error::Interrupted);
    }
    read_head(BufReader::with_capacity(16 * 1024, stream), &url.host)
}

fn tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, Error> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::Connect(format!("cannot resolve {host}: {e}")))?;
    let mut last = format!("{host} has no address");
    let connect_timeout = timeout.min(Duration::from_secs(30));
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, connect_timeout) {
            Ok(tcp) => {
                let _ = tcp.set_nodelay(true);
                tcp.set_read_timeout(Some(timeout))
                    .map_err(|e| Error::Connect(e.to_string()))?;
                let _ = tcp.set_write_timeout(Some(timeout));
                return Ok(tcp);
            }
            Err(e) => last = format!("cannot connect to {host}:{port}: {e}"),
        }
    }
    Err(Error::Connect(last))
}

fn connect(url: &Url, timeout: Duration) -> Result<Stream, Error> {
    let tcp = tcp(&url.host, url.port, timeout)?;
    wrap(url, tcp)
}

/// TLS on top of `tcp` for https URLs.
fn wrap(url: &Url, tcp: TcpStream) -> Result<Stream, Error> {
    if !url.tls {
        return Ok(Stream::Plain(tcp));
    }
    let conn = crate::tls::connect(&url.host).map_err(Error::Connect)?;
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
}

/// A connection to `url` through `proxy`: a CONNECT tunnel for https, the
/// proxy itself for plain http.
fn through(proxy: &Proxy, url: &Url, timeout: Duration) -> Result<Stream, Error> {
    let mut tcp = tcp(&proxy.host, proxy.port, timeout)?;
    if !url.tls {
        return Ok(Stream::Plain(tcp));
    }
    let authority = format!("{}:{}", url.host_header_name(), url.port);
    let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(auth) = &proxy.auth {
        req.push_str(&format!("Proxy-Authorization: Basic {auth}\r\n"));
    }
    req.push_str("\r\n");
    let fail = |e: io::Error| Error::Connect(format!("proxy {}:{}: {e}", proxy.host, proxy.port));
    tcp.write_all(req.as_bytes()).map_err(fail)?;
    // Read the proxy's answer byte by byte: what follows it belongs to TLS.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || tcp.read(&mut byte).map_err(fail)? == 0 {
            return Err(Error::Connect(format!(
                "proxy {}:{} closed the tunnel",
                proxy.host, proxy.port
            )));
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head);
    let status = text.split(' ').nth(1).unwrap_or("");
    if status != "200" {
        let line = text.lines().next().unwrap_or("");
        // Not worth retrying: the proxy wants credentials or forbids the host.
        return Err(Error::Protocol(format!(
            "proxy {}:{} refused the tunnel: {}",
            proxy.host,
            proxy.port,
            clip(line)
        )));
    }
    wrap(url, tcp)
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
            .map_err(|e| {
                Error::Connect(format!("reading response from {host}: {}", describe(&e)))
            })?;
        if n == 0 {
            return Err(Error::Connect(format!(
                "{host} closed the connection before answering"
            )));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if status == 0 {
            // "HTTP/1.1 200 OK"
            let mut parts = text.splitn(3, ' ');
            let proto = parts.next().unwrap_or("");
            status = match (
                proto.starts_with("HTTP/"),
                parts.next().and_then(|c| c.parse().ok()),
            ) {
                (true, Some(c)) => c,
                _ => {
                    return Err(Error::Protocol(format!(
                        "{host} did not answer with HTTP: `{}`",
                        clip(text)
                    )))
                }
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
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let chunked =
        find("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    let framing = if chunked {
        Framing::Chunked {
            left: 0,
            done: false,
        }
    } else if let Some(n) = find("content-length").and_then(|v| v.parse().ok()) {
        Framing::Length(n)
    } else {
        Framing::Close
    };
    Ok(Response {
        status,
        headers,
        body: Body { r, framing },
    })
}

/// An I/O error in words a user can act on: a read timeout is reported as
/// the silence it is, not as EAGAIN.
pub fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            "the server sent nothing within --timeout".into()
        }
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
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "body ended early",
                    ));
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
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "stream ended inside a chunk",
                    ));
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
    /// The socket, for poll(2) alongside other fds.
    pub fn fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        match self.r.get_ref() {
            Stream::Plain(s) => s.as_raw_fd(),
            Stream::Tls(s) => s.sock.as_raw_fd(),
        }
    }

    /// Are bytes already decoded or buffered, so a read would not block
    /// (and polling the socket would wait for the wrong thing)?
    pub fn buffered(&mut self) -> bool {
        if !self.r.buffer().is_empty() {
            return true;
        }
        match self.r.get_mut() {
            Stream::Plain(_) => false,
            Stream::Tls(s) => s
                .conn
                .process_new_packets()
                .map_or(true, |st| st.plaintext_bytes_to_read() > 0),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn parses_urls() {
        let u = Url::parse("https://api.openai.com/v1").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (true, "api.openai.com", 443, "/v1")
        );
        let u = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!((u.port, u.path.as_str()), (8080, "/"));
        assert_eq!(u.join("/chat/completions").path, "/chat/completions");
        let u = Url::parse("http://[::1]:11434/api").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 11434));
        assert_eq!(u.host_header(), "[::1]:11434");
        for bad in [
            "ftp://x",
            "http://",
            "http://h:port/",
            "http://u@h/",
            "localhost:80",
            "http://[::1/",
        ] {
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
        (
            Url::parse(&format!("http://127.0.0.1:{port}/v1")).unwrap(),
            h,
        )
    }

    fn send(url: &Url) -> Result<Response, Error> {
        post(
            url,
            &[("X-Test", "1")],
            4,
            &mut |w| w.write_all(b"BODY"),
            Duration::from_secs(5),
        )
    }

    #[test]
    fn chunked_response_split_into_single_bytes() {
        let (url, h) =
            serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        let mut resp = send(&url).unwrap();
        assert_eq!(resp.status, 200);
        assert_eq!(resp.text(100), "hello world");
        let req = String::from_utf8(h.join().unwrap()).unwrap();
        assert!(
            req.starts_with("POST /v1 HTTP/1.1\r\nHost: 127.0.0.1:"),
            "{req}"
        );
        assert!(req.contains("X-Test: 1\r\nContent-Length: 4\r\n"));
        assert!(req.ends_with("\r\n\r\nBODY"));
    }

    #[test]
    fn content_length_and_interim_responses() {
        let (url, _h) = serve(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many\r\nRetry-After: 3\r\nContent-Length: 2\r\n\r\nnoEXTRA",
        );
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
    fn https_goes_through_a_connect_tunnel_and_http_through_the_proxy() {
        // Plain http: the proxy gets the absolute URL and answers itself.
        let (proxy_url, h) = serve(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        let proxy = Proxy {
            host: proxy_url.host.clone(),
            port: proxy_url.port,
            auth: Some("dTpw".into()),
        };
        let target = Url::parse("http://models.internal:8000/v1").unwrap();
        let mut resp = send_via(
            "POST",
            &target,
            Some(&proxy),
            &[],
            4,
            &mut |w| w.write_all(b"BODY"),
            Duration::from_secs(5),
        )
        .unwrap();
        assert_eq!(resp.text(10), "ok");
        let req = String::from_utf8(h.join().unwrap()).unwrap();
        assert!(req.starts_with(
            "POST http://models.internal:8000/v1 HTTP/1.1\r\nHost: models.internal:8000\r\n"
        ));
        assert!(req.contains("Proxy-Authorization: Basic dTpw\r\n"), "{req}");
        // https: CONNECT first; a refusal is a clear error.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let h = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            while !got.ends_with(b"\r\n\r\n") {
                let n = s.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            s.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                .unwrap();
            got
        });
        let proxy = Proxy {
            host: "127.0.0.1".into(),
            port,
            auth: None,
        };
        let api = Url::parse("https://api.openai.com/v1").unwrap();
        let e = send_via(
            "POST",
            &api,
            Some(&proxy),
            &[],
            0,
            &mut |_| Ok(()),
            Duration::from_secs(5),
        )
        .err()
        .unwrap();
        let Error::Protocol(msg) = e else {
            panic!("{e:?}")
        };
        assert!(msg.contains("refused the tunnel: HTTP/1.1 407"), "{msg}");
        let connect = String::from_utf8(h.join().unwrap()).unwrap();
        assert_eq!(
            connect,
            "CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n"
        );
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

//! A minimal HTTP/1.1 client: requests and response heads, over kept-alive
//! connections (conn.rs: TCP, TLS, proxy tunnels, the pool; body.rs: the
//! response body and its framing; records.rs: requests written in whole
//! 16 KB pieces), plain TCP for local servers and rustls
//! for `https`. It exists instead of minreq so the
//! request body can be streamed from the conversation arena (no second copy
//! of the conversation), the response body can be read as it arrives, and
//! the TLS stack can use ring rather than aws-lc-rs (see README, "Dependencies").
//! HTTPS_PROXY / HTTP_PROXY / NO_PROXY are honoured: https through a CONNECT
//! tunnel, plain http by sending the whole URL to the proxy.

use std::io::{self, BufRead, Read, Write};
use std::time::Duration;

use crate::proxy::{proxy_for, Proxy};

mod body;
pub mod conn;
mod records;

pub use body::Body;
use body::Framing;

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

    /// `https://host[:port]`, the part a `/path` reference keeps.
    pub fn origin(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.host_header())
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

/// The config's `network` section, applied once at start-up: `ca_file`
/// (a PEM bundle trusted besides the built-in roots and SSL_CERT_FILE /
/// SSL_CERT_DIR), `ca_only` (trust only those) and `keep_alive` (seconds an
/// idle connection is kept for reuse; 0: a new connection per request).
pub fn configure(
    network: Option<&crate::json::value::Value>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    use crate::json::value::Value;
    let empty = Value::Obj(Vec::new());
    let v = network.unwrap_or(&empty);
    if v.as_object().is_none() {
        return Err("config: `network` must be an object".into());
    }
    let bad = |k: &str, what: &str| format!("config: `network.{k}` must be {what}");
    let ca_file = match v.get("ca_file") {
        None | Some(Value::Null) => None,
        Some(f) => Some(f.as_str().ok_or_else(|| bad("ca_file", "a path"))?),
    };
    let only = match v.get("ca_only") {
        None | Some(Value::Null) => false,
        Some(b) => b.as_bool().ok_or_else(|| bad("ca_only", "true or false"))?,
    };
    if let Some(k) = v.get("keep_alive") {
        let secs = k.as_u64().ok_or_else(|| bad("keep_alive", "seconds"))?;
        conn::set_keep_alive(secs);
    }
    let mut trust = crate::tls::Trust::from_env(env, ca_file);
    trust.only = only;
    crate::tls::set_trust(trust);
    Ok(())
}

/// Why a request failed, sorted by what the caller may do about it.
#[derive(Debug)]
pub enum Error {
    /// No connection could be made, or it broke before a response began:
    /// worth retrying.
    Connect(String),
    /// The server answered with something that is not HTTP/1.1.
    Protocol(String),
    /// The server's certificate is not trusted (unknown issuer, expired,
    /// wrong name) or the trust settings are broken: retrying cannot help.
    Trust(String),
    /// The user pressed Ctrl-C or Esc while waiting (interactive mode).
    Interrupted,
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

/// POST a body of `len` bytes produced by `body` (called once per attempt,
/// writing straight to the connection) and return the response with its
/// body unread. For model requests: such a request has no effect but its
/// answer, so it may be sent again on a fresh connection when a kept-alive
/// one turns out closed before any byte of the answer arrived.
/// Goes through the proxy that HTTPS_PROXY / HTTP_PROXY / NO_PROXY name.
pub fn post(
    url: &Url,
    headers: &[(&str, &str)],
    len: u64,
    body: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    timeout: Duration,
    interrupt: Interrupt,
) -> Result<Response, Error> {
    let req = Req {
        method: "POST",
        url,
        proxy: None,
        headers,
        len,
        replay: true,
        interrupt,
    };
    through_env(req, body, timeout)
}

/// Any method (MCP needs GET and DELETE too); a body of 0 bytes sends no
/// Content-Length for GET and DELETE. A POST here may act (an MCP tool
/// call), so it is never sent twice.
pub fn send(
    method: &str,
    url: &Url,
    headers: &[(&str, &str)],
    len: u64,
    body: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    timeout: Duration,
    interrupt: Interrupt,
) -> Result<Response, Error> {
    let req = Req {
        method,
        url,
        proxy: None,
        headers,
        len,
        replay: method != "POST",
        interrupt,
    };
    through_env(req, body, timeout)
}

/// A GET on a new connection made only to addresses `check` accepts (see
/// `conn::guarded`): the fetch tool's, so a hostile page cannot steer a
/// request into the user's own network. `connect` bounds the TCP connect,
/// `timeout` each wait for bytes. Sent once, never on a pooled connection.
pub fn get_checked(
    url: &Url,
    headers: &[(&str, &str)],
    connect: Duration,
    timeout: Duration,
    check: &dyn Fn(std::net::IpAddr) -> Result<(), String>,
    interrupt: Interrupt,
) -> Result<Response, Error> {
    check_headers(headers)?;
    let proxy = proxy_for(url, &|k| std::env::var(k).ok()).map_err(Error::Protocol)?;
    let conn = conn::guarded(url, proxy.as_ref(), connect, timeout, check)?;
    let req = Req {
        method: "GET",
        url,
        proxy: proxy.as_ref(),
        headers,
        len: 0,
        replay: false,
        interrupt,
    };
    exchange(&req, conn, &mut |_| Ok(()), timeout)
        .map_err(|(Failed::Silent(e) | Failed::Other(e))| e)
}

/// The caller's wait for the answer's first byte on a connection's fd, up
/// to the idle timeout: true when the user interrupted instead (the
/// interactive mode's keys; `never` where nothing can interrupt).
pub type Interrupt<'a> = &'a dyn Fn(i32, Duration) -> bool;

/// An `Interrupt` for requests nobody can interrupt.
pub fn never(_: i32, _: Duration) -> bool {
    false
}

/// A request through the proxy the environment names for its URL.
fn through_env(
    req: Req,
    body: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    timeout: Duration,
) -> Result<Response, Error> {
    let proxy = proxy_for(req.url, &|k| std::env::var(k).ok()).map_err(Error::Protocol)?;
    let req = Req {
        proxy: proxy.as_ref(),
        ..req
    };
    send_via(&req, body, timeout)
}

/// One request, all borrowed.
struct Req<'a> {
    method: &'a str,
    url: &'a Url,
    proxy: Option<&'a Proxy>,
    headers: &'a [(&'a str, &'a str)],
    len: u64,
    /// May be sent again when a reused connection was found closed.
    replay: bool,
    interrupt: Interrupt<'a>,
}

/// How one exchange on one connection failed.
enum Failed {
    /// The connection broke before any byte of a response arrived.
    Silent(Error),
    Other(Error),
}

fn send_via(
    req: &Req,
    body: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    timeout: Duration,
) -> Result<Response, Error> {
    check_headers(req.headers)?;
    let mut conn = conn::open(req.url, req.proxy, timeout)?;
    loop {
        let reused = conn.reused;
        match exchange(req, conn, body, timeout) {
            Ok(r) => return Ok(r),
            // A kept-alive connection the server closed meanwhile: once more
            // on a new one, if the request may be sent twice.
            Err(Failed::Silent(_)) if reused && req.replay => {
                conn = conn::fresh(req.url, req.proxy, timeout)?;
            }
            Err(Failed::Silent(e) | Failed::Other(e)) => return Err(e),
        }
    }
}

/// A header name or value with a line break would end the header early and
/// inject another (a key pasted with its newline, a hostile config).
fn check_headers(headers: &[(&str, &str)]) -> Result<(), Error> {
    for (k, v) in headers {
        if k.bytes()
            .chain(v.bytes())
            .any(|b| b == b'\r' || b == b'\n' || b == 0)
        {
            return Err(Error::Protocol(format!(
                "the `{k}` header (an API key or a configured header) contains a line break; fix the value"
            )));
        }
    }
    Ok(())
}

/// Send the request on `conn` and read the response head.
fn exchange(
    req: &Req,
    mut conn: conn::Conn,
    body: &mut dyn FnMut(&mut dyn Write) -> io::Result<()>,
    timeout: Duration,
) -> Result<Response, Failed> {
    let url = req.url;
    // A plain-HTTP request through a proxy names the whole URL.
    let target = match req.proxy {
        Some(_) if !url.tls => format!("http://{}{}", url.host_header(), url.path),
        _ => url.path.clone(),
    };
    let sent = (|| {
        let mut w = records::Records::new(conn.r.get_mut());
        write!(
            w,
            "{} {target} HTTP/1.1\r\nHost: {}\r\n",
            req.method,
            url.host_header()
        )?;
        if let (Some(p), false) = (req.proxy, url.tls) {
            if let Some(auth) = &p.auth {
                write!(w, "Proxy-Authorization: Basic {auth}\r\n")?;
            }
        }
        for (k, v) in req.headers {
            write!(w, "{k}: {v}\r\n")?;
        }
        if req.len > 0 || req.method == "POST" {
            write!(w, "Content-Length: {}\r\n", req.len)?;
        }
        w.write_all(b"\r\n")?;
        body(&mut w)?;
        w.flush()
    })();
    if let Err(e) = sent {
        let e = Error::Connect(format!("sending request to {}: {e}", url.host));
        return Err(Failed::Silent(e));
    }
    let fd = std::os::fd::AsRawFd::as_raw_fd(conn.r.get_ref().tcp());
    if (req.interrupt)(fd, timeout) {
        return Err(Failed::Other(Error::Interrupted));
    }
    read_head(conn, &url.host)
}

fn read_head(mut conn: conn::Conn, host: &str) -> Result<Response, Failed> {
    let mut line = Vec::new();
    let mut status = 0u16;
    let mut version = String::new();
    let mut headers = Vec::new();
    let mut first = true;
    loop {
        head_line(&mut conn.r, &mut line, host, first)?;
        first = false;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if status == 0 {
            (status, version) = status_line(text, host)?;
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
            let e = Error::Protocol(format!("{host} sent too many headers"));
            return Err(Failed::Other(e));
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    let framing = framing(status, &find);
    // HTTP/1.1 keeps the connection unless either side says close.
    let close = find("connection").is_some_and(|v| v.split(',').any(|t| t.trim() == "close"));
    let keep = (version == "HTTP/1.1" && !close && !matches!(framing, Framing::Close))
        .then(|| conn.key.clone());
    Ok(Response {
        status,
        headers,
        body: Body::new(conn.r, framing, keep),
    })
}

/// One line of the response head into `line`. A connection that fails or
/// closes before the first byte is `Silent` (a kept connection the server
/// dropped: the request may be sent again on a new one).
fn head_line(
    r: &mut impl BufRead,
    line: &mut Vec<u8>,
    host: &str,
    first: bool,
) -> Result<(), Failed> {
    line.clear();
    match r.take(16 * 1024).read_until(b'\n', line) {
        Ok(0) => {
            let err = Error::Connect(format!("{host} closed the connection before answering"));
            Err(if first {
                Failed::Silent(err)
            } else {
                Failed::Other(err)
            })
        }
        Ok(_) => Ok(()),
        Err(e) => {
            let err = Error::Connect(format!("reading response from {host}: {}", describe(&e)));
            let reset = matches!(
                e.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            );
            Err(if first && line.is_empty() && reset {
                Failed::Silent(err)
            } else {
                Failed::Other(err)
            })
        }
    }
}

/// "HTTP/1.1 200 OK": the status code and the protocol.
fn status_line(text: &str, host: &str) -> Result<(u16, String), Failed> {
    let mut parts = text.splitn(3, ' ');
    let proto = parts.next().unwrap_or("");
    match (
        proto.starts_with("HTTP/"),
        parts.next().and_then(|c| c.parse().ok()),
    ) {
        (true, Some(c)) => Ok((c, proto.to_string())),
        _ => Err(Failed::Other(Error::Protocol(format!(
            "{host} did not answer with HTTP: `{}`",
            clip(text)
        )))),
    }
}

/// How the body ends: chunked, a length, or the connection's close.
fn framing(status: u16, find: &dyn Fn(&str) -> Option<String>) -> Framing {
    if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        Framing::Chunked {
            left: 0,
            done: false,
        }
    } else if matches!(status, 204 | 304) {
        Framing::Length(0)
    } else if let Some(n) = find("content-length").and_then(|v| v.parse().ok()) {
        Framing::Length(n)
    } else {
        Framing::Close
    }
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

pub(crate) fn clip(s: &str) -> &str {
    &s[..crate::text::floor_char(s, 80)]
}

#[cfg(test)]
mod tests;

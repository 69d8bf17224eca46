//! Connections for the HTTP client: TCP (a host's addresses resolved once
//! per run, and again after a connect error), TLS on top with the handshake
//! done at once so a certificate problem is named before anything is sent,
//! CONNECT tunnels through a proxy, and the keep-alive pool: one idle
//! connection per endpoint, kept for the run. A pooled connection is checked
//! when it is taken, not by a timer: one idle longer than the limit, or one
//! the server has closed (or sent anything on unasked), is dropped and a
//! fresh one made.

use std::io::{self, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{clip, Error, Url};
use crate::proxy::Proxy;

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
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

/// Where a connection leads; a request with the same key may reuse it.
#[derive(Clone, PartialEq, Debug)]
pub struct Key {
    tls: bool,
    host: String,
    port: u16,
    proxy: Option<(String, u16)>,
}

/// A connection serving one request.
pub struct Conn {
    pub r: BufReader<Stream>,
    pub key: Key,
    /// Taken from the pool: it served a request before, and the server may
    /// have closed it since.
    pub reused: bool,
}

struct Idle {
    r: BufReader<Stream>,
    key: Key,
    since: Instant,
}

static POOL: Mutex<Vec<Idle>> = Mutex::new(Vec::new());
static ADDRS: Mutex<Vec<(String, u16, Vec<SocketAddr>)>> = Mutex::new(Vec::new());
/// Seconds an idle connection is kept (0: no keep-alive).
static KEEP_SECS: AtomicU64 = AtomicU64::new(60);
/// Connections made this run (TCP connects), for tests and the bench.
static OPENED: AtomicU64 = AtomicU64::new(0);
/// At most this many idle connections are kept (one per endpoint).
const MAX_IDLE: usize = 4;
const BUF: usize = 16 * 1024;

/// A poisoned lock only means a thread panicked while holding it; the list
/// is still sound.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How long an idle connection may be reused (the config's `network.keep_alive`).
pub fn set_keep_alive(secs: u64) {
    KEEP_SECS.store(secs, Ordering::Relaxed);
    if secs == 0 {
        lock(&POOL).clear();
    }
}

/// TCP connections made so far in this process.
pub fn opened() -> u64 {
    OPENED.load(Ordering::Relaxed)
}

impl Key {
    pub fn new(url: &Url, proxy: Option<&Proxy>) -> Key {
        Key {
            tls: url.tls,
            host: url.host.clone(),
            port: url.port,
            proxy: proxy.map(|p| (p.host.clone(), p.port)),
        }
    }
}

/// A connection for `url`: the pooled one if it is still good, else a new one.
pub fn open(url: &Url, proxy: Option<&Proxy>, timeout: Duration) -> Result<Conn, Error> {
    let key = Key::new(url, proxy);
    if let Some(r) = take(&key, timeout) {
        return Ok(Conn {
            r,
            key,
            reused: true,
        });
    }
    fresh(url, proxy, timeout)
}

/// A new connection for `url`, never a pooled one. The TLS settings are
/// checked before any TCP connection is made.
pub fn fresh(url: &Url, proxy: Option<&Proxy>, timeout: Duration) -> Result<Conn, Error> {
    let tls = match url.tls {
        true => Some(crate::tls::connect(&url.host).map_err(Error::Trust)?),
        false => None,
    };
    let stream = match proxy {
        None => wrap(url, tls, tcp(&url.host, url.port, timeout)?)?,
        Some(p) => through(p, url, tls, timeout)?,
    };
    Ok(Conn {
        r: BufReader::with_capacity(BUF, stream),
        key: Key::new(url, proxy),
        reused: false,
    })
}

/// Put a connection whose response was read to its end back in the pool.
pub fn release(r: BufReader<Stream>, key: Key) {
    // Bytes after the response mean the framing was not what it seemed.
    if KEEP_SECS.load(Ordering::Relaxed) == 0 || !r.buffer().is_empty() {
        return;
    }
    let mut pool = lock(&POOL);
    pool.retain(|i| i.key != key);
    if pool.len() >= MAX_IDLE {
        pool.remove(0);
    }
    pool.push(Idle {
        r,
        key,
        since: Instant::now(),
    });
}

/// The pooled connection for `key`, if it is young enough and still open.
fn take(key: &Key, timeout: Duration) -> Option<BufReader<Stream>> {
    let idle = {
        let mut pool = lock(&POOL);
        let i = pool.iter().position(|c| c.key == *key)?;
        pool.swap_remove(i)
    };
    let keep = Duration::from_secs(KEEP_SECS.load(Ordering::Relaxed));
    if idle.since.elapsed() >= keep {
        return None;
    }
    let mut r = idle.r;
    if !still_open(r.get_mut()) {
        return None;
    }
    let tcp = r.get_ref().tcp();
    tcp.set_read_timeout(Some(timeout)).ok()?;
    let _ = tcp.set_write_timeout(Some(timeout));
    Some(r)
}

/// Has the server left this idle connection alone? A read that would block
/// says yes; end of stream, an error or unasked-for bytes say no. (For TLS
/// the read also takes in session tickets the server sent after the answer.)
fn still_open(s: &mut Stream) -> bool {
    if s.tcp().set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let open = matches!(s.read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock);
    s.tcp().set_nonblocking(false).is_ok() && open
}

/// The addresses of `host`, looked up once per run.
fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, Error> {
    let cached = lock(&ADDRS)
        .iter()
        .find(|(h, p, _)| h == host && *p == port)
        .map(|(_, _, a)| a.clone());
    if let Some(a) = cached {
        return Ok(a);
    }
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::Connect(format!("cannot resolve {host}: {e}")))?
        .collect();
    lock(&ADDRS).push((host.to_string(), port, addrs.clone()));
    Ok(addrs)
}

fn tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, Error> {
    let connect = timeout.min(Duration::from_secs(30));
    let got = dial(host, port, &resolve(host, port)?, connect, timeout);
    if got.is_err() {
        // The host may have moved: look it up again next time.
        lock(&ADDRS).retain(|(h, p, _)| !(h == host && *p == port));
    }
    got
}

/// A TCP connection to the first of `addrs` that answers within `connect`.
fn dial(
    host: &str,
    port: u16,
    addrs: &[SocketAddr],
    connect: Duration,
    timeout: Duration,
) -> Result<TcpStream, Error> {
    let mut last = format!("{host} has no address");
    for addr in addrs {
        match TcpStream::connect_timeout(addr, connect) {
            Ok(tcp) => {
                OPENED.fetch_add(1, Ordering::Relaxed);
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

/// A new connection for `url` made only to addresses `check` accepts: the
/// host is looked up afresh (not from the run's cache), every address it
/// has must pass, and the connection goes to one of exactly those, so no
/// second lookup can swap in another (DNS rebinding). Through a proxy the
/// proxy connects; the host's local addresses are still checked when it
/// has any. Never a pooled connection.
pub fn guarded(
    url: &Url,
    proxy: Option<&Proxy>,
    connect: Duration,
    timeout: Duration,
    check: &dyn Fn(std::net::IpAddr) -> Result<(), String>,
) -> Result<Conn, Error> {
    let tls = match url.tls {
        true => Some(crate::tls::connect(&url.host).map_err(Error::Trust)?),
        false => None,
    };
    let found = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map(|a| a.collect::<Vec<_>>());
    let addrs = match (found, proxy) {
        (Ok(a), _) => a,
        (Err(_), Some(_)) => Vec::new(),
        (Err(e), None) => return Err(Error::Connect(format!("cannot resolve {}: {e}", url.host))),
    };
    for a in &addrs {
        check(a.ip()).map_err(Error::Protocol)?;
    }
    let stream = match proxy {
        None => wrap(
            url,
            tls,
            dial(&url.host, url.port, &addrs, connect, timeout)?,
        )?,
        Some(p) => through(p, url, tls, timeout)?,
    };
    Ok(Conn {
        r: BufReader::with_capacity(BUF, stream),
        key: Key::new(url, proxy),
        reused: false,
    })
}

/// TLS on top of `tcp` for https URLs, handshake done.
fn wrap(
    url: &Url,
    tls: Option<rustls::ClientConnection>,
    mut tcp: TcpStream,
) -> Result<Stream, Error> {
    let Some(mut conn) = tls else {
        return Ok(Stream::Plain(tcp));
    };
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut tcp) {
            return Err(match crate::tls::explain(&e, &url.host) {
                Some(m) => Error::Trust(m),
                None => Error::Connect(format!(
                    "TLS handshake with {}: {}",
                    url.host,
                    super::describe(&e)
                )),
            });
        }
    }
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
}

/// A connection to `url` through `proxy`: a CONNECT tunnel for https, the
/// proxy itself for plain http.
fn through(
    proxy: &Proxy,
    url: &Url,
    tls: Option<rustls::ClientConnection>,
    timeout: Duration,
) -> Result<Stream, Error> {
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
    wrap(url, tls, tcp)
}

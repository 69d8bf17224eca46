//! The `fetch` tool: GET a URL through mote's own HTTP client (rustls,
//! the environment's proxies) and give the model readable text, at most
//! 50 KB per call with an offset to go on. It owns the network policy of a
//! fetch: up to 5 redirects, each one's host judged by the deny and ask
//! rules; no connection to a loopback, link-local or private address unless
//! a config rule names the host (checked on the addresses actually
//! connected to, after every redirect); 10 s to connect, 30 s in all. The
//! body is read as it arrives, through the HTML converter (html.rs), and
//! only the requested window of text is kept.

use std::io::{ErrorKind, Read};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use super::html::{join, Html};
use super::truncate::MAX_BYTES;
use super::{Effect, Preview, Target, Tool, ToolCtx};
use crate::http::{self, Body, Url};
use crate::json::Args;
use crate::permission::rules::{Action, Rules, Subject};

pub const TOOL: Tool = Tool {
    name: "fetch",
    description: "GET a URL as text (HTML as Markdown), 50 KB per call.",
    params: r#"{"type":"object","properties":{"url":{"type":"string"},"offset":{"type":"integer"},"max_bytes":{"type":"integer"}},"required":["url"]}"#,
    effect: Effect::Network,
    target: Target::Url("url"),
    title: |_| "fetch".into(),
    preview: Preview::Args,
    run,
    attach: None,
};

const REDIRECTS: usize = 5;
const CONNECT: Duration = Duration::from_secs(10);
const TOTAL: Duration = Duration::from_secs(30);
const HEADERS: &[(&str, &str)] = &[
    ("User-Agent", concat!("mote/", env!("CARGO_PKG_VERSION"))),
    ("Accept", "text/html, text/plain;q=0.9, */*;q=0.5"),
];

fn run(args: &Args, cx: &ToolCtx) -> Result<String, String> {
    let url = args.str("url")?;
    let offset = args.opt_u64("offset")?.unwrap_or(0);
    let max = match args.opt_u64("max_bytes")? {
        Some(0) => return Err("`max_bytes` must be at least 1".into()),
        Some(n) => usize::try_from(n).unwrap_or(MAX_BYTES).min(MAX_BYTES),
        None => MAX_BYTES,
    };
    let deadline = Instant::now() + TOTAL;
    let (at, mut resp) = follow(url, cx.rules, deadline)?;
    let shown = format!("{}{}", at.origin(), at.path);
    let ctype = resp
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let texty = ["text/", "html", "json", "xml", "javascript"];
    if !ctype.is_empty() && !texty.iter().any(|t| ctype.contains(t)) {
        return Err(format!("{shown} is `{ctype}`, not text"));
    }
    let error = resp.status >= 400;
    let mut win = Window::new(if error { 0 } else { offset }, max);
    read(&mut resp.body, &ctype, &at, &mut win, deadline)
        .map_err(|e| format!("fetch {shown}: {e}"))?;
    let text = win.text();
    if error {
        let excerpt = &text[..crate::text::floor_char(&text, 1000)];
        return Err(format!("HTTP {} from {shown}: {excerpt}", resp.status));
    }
    let mut out = String::new();
    if Some(shown.as_str()) != url.split('#').next() {
        out.push_str(&format!("[{shown}]\n"));
    }
    if win.seen <= offset && offset > 0 {
        return Ok(format!(
            "{out}[offset {offset} is past the end: the text is {} bytes]",
            win.seen
        ));
    }
    let end = offset + text.len() as u64;
    out.push_str(&text);
    if win.more {
        out.push_str(&format!(
            "\n[cut at text byte {end}; call fetch with offset {end} for more]"
        ));
    }
    Ok(out)
}

/// GET `first`, following redirects: the final URL and its response, body
/// unread.
fn follow(first: &str, rules: &Rules, deadline: Instant) -> Result<(Url, http::Response), String> {
    let mut target = first.to_string();
    for hop in 0..=REDIRECTS {
        let bare = target.split('#').next().unwrap_or("");
        let url = Url::parse(bare)?;
        let host = url.host.to_ascii_lowercase();
        if hop > 0 {
            redirect_allowed(rules, &host, &target)?;
        }
        let check = |ip: IpAddr| reach(rules, &host, ip);
        let resp = http::get_checked(
            &url,
            HEADERS,
            CONNECT,
            left(deadline)?,
            &check,
            &crate::interrupt::waited,
        )
        .map_err(|e| failed(&target, e))?;
        let moved = matches!(resp.status, 301 | 302 | 303 | 307 | 308);
        let Some(loc) = resp.header("location").filter(|_| moved) else {
            return Ok((url, resp));
        };
        target = join(&url, loc).ok_or_else(|| {
            let loc = &loc[..crate::text::floor_char(loc, 200)];
            format!("{target} redirects to `{loc}`, which is not an http(s) URL")
        })?;
    }
    Err(format!(
        "more than {REDIRECTS} redirects; the last went to {target}"
    ))
}

/// The gate judged the first URL; a redirect's host answers to the deny
/// and ask rules here (nobody can be asked in the middle of a call).
fn redirect_allowed(rules: &Rules, host: &str, target: &str) -> Result<(), String> {
    match rules.judge(TOOL.name, &[Subject::Host(host)]) {
        Some((Action::Deny, r)) => Err(format!(
            "a redirect leads to {target}, which the deny rule `{r}` forbids"
        )),
        Some((Action::Ask, r)) => Err(format!(
            "a redirect leads to {target}, which the ask rule `{r}` wants approved; fetch that URL itself"
        )),
        _ => Ok(()),
    }
}

/// May a request for `host` connect to `ip`?
fn reach(rules: &Rules, host: &str, ip: IpAddr) -> Result<(), String> {
    if !private(ip) || rules.names_host(TOOL.name, host) {
        return Ok(());
    }
    Err(format!(
        "refused: {host} is {ip}, a loopback, link-local or private address; an allow rule `fetch(domain:{host})` in config.json would permit it"
    ))
}

/// Loopback, unspecified, link-local, private (RFC 1918, CGNAT, ULA),
/// multicast and reserved addresses, also inside IPv4-mapped,
/// -compatible, NAT64 and 6to4 IPv6 ones.
pub fn private(ip: IpAddr) -> bool {
    let v6 = match ip {
        IpAddr::V4(v4) => return private_v4(v4),
        IpAddr::V6(v6) => v6,
    };
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo]
        | [0, 0, 0, 0, 0, 0, hi, lo]
        | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => private_v4(v4(hi, lo)),
        [0x2002, hi, lo, ..] => private_v4(v4(hi, lo)),
        [first, ..] => {
            first & 0xfe00 == 0xfc00 // unique local fc00::/7
                || first & 0xffc0 == 0xfe80 // link-local
                || first & 0xffc0 == 0xfec0 // site-local (deprecated)
                || first & 0xff00 == 0xff00 // multicast
        }
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0
        || a == 10
        || a == 127
        || a >= 224 // multicast, reserved, broadcast
        || (a == 100 && b & 0xc0 == 64) // CGNAT 100.64/10
        || (a == 169 && b == 254)
        || (a == 172 && b & 0xf0 == 16)
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && b & 0xfe == 18)
}

fn left(deadline: Instant) -> Result<Duration, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    match left.is_zero() {
        true => Err(format!("timed out after {} s", TOTAL.as_secs())),
        false => Ok(left),
    }
}

fn failed(target: &str, e: http::Error) -> String {
    match e {
        http::Error::Connect(m) | http::Error::Protocol(m) | http::Error::Trust(m) => {
            format!("fetch {target}: {m}")
        }
        http::Error::Interrupted => "fetch interrupted".into(),
    }
}

/// Read the body into `win`, through the HTML converter when it is HTML
/// (by its type, or, untyped, by its first byte), until the window is full,
/// the body ends or the time is up.
fn read(
    body: &mut Body,
    ctype: &str,
    at: &Url,
    win: &mut Window,
    deadline: Instant,
) -> Result<(), String> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut html: Option<Html> = None;
    let mut first = true;
    while !win.more {
        let wait = left(deadline)?;
        body.set_timeout(wait);
        if !body.buffered() && crate::interrupt::wait(body.fd(), wait).unwrap_or(false) {
            return Err("interrupted".into());
        }
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                left(deadline)?;
                continue;
            }
            Err(e) => return Err(e.to_string()),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        if first {
            first = false;
            let lead = chunk.iter().find(|b| !b.is_ascii_whitespace());
            if ctype.contains("html") || (ctype.is_empty() && lead == Some(&b'<')) {
                html = Some(Html::new(at.clone()));
            } else if chunk.contains(&0) {
                return Err("the body is binary, not text".into());
            }
        }
        match &mut html {
            Some(h) => {
                h.feed(chunk);
                win.push(&h.out);
                h.out.clear();
            }
            None => win.push(chunk),
        }
    }
    if let Some(h) = &mut html {
        h.finish();
        win.push(&h.out);
    }
    Ok(())
}

/// The part of the text a call returns: `max` bytes from `skip`.
struct Window {
    skip: u64,
    max: usize,
    /// Text bytes produced so far.
    seen: u64,
    kept: Vec<u8>,
    /// There is text past the window.
    more: bool,
}

impl Window {
    fn new(skip: u64, max: usize) -> Window {
        Window {
            skip,
            max,
            seen: 0,
            kept: Vec::new(),
            more: false,
        }
    }

    fn push(&mut self, b: &[u8]) {
        let start = self.seen;
        self.seen += b.len() as u64;
        let drop = usize::try_from(self.skip.saturating_sub(start)).unwrap_or(usize::MAX);
        let b = b.get(drop..).unwrap_or_default();
        let room = self.max.saturating_sub(self.kept.len());
        if b.len() > room {
            self.more = true;
        }
        self.kept.extend_from_slice(b.get(..room).unwrap_or(b));
    }

    /// The kept text, ending on a whole character (a cut one is left for
    /// the next call).
    fn text(&mut self) -> String {
        if let (Err(e), true) = (std::str::from_utf8(&self.kept), self.more) {
            if e.error_len().is_none() {
                self.kept.truncate(e.valid_up_to());
                self.more = true;
            }
        }
        String::from_utf8_lossy(&self.kept).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_in_every_spelling() {
        for a in [
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ] {
            assert!(private(a.parse().unwrap()), "{a}");
        }
        for a in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::",
        ] {
            assert!(!private(a.parse().unwrap()), "{a}");
        }
        // Decimal, octal and hex spellings resolve to the address they
        // name, which is what is checked.
        for host in ["2130706433", "0177.0.0.1", "0x7f.1", "127.1"] {
            use std::net::ToSocketAddrs;
            let Ok(addrs) = (host, 80).to_socket_addrs() else {
                continue; // a resolver that refuses them refuses the fetch too
            };
            for a in addrs {
                assert!(private(a.ip()), "{host} -> {a}");
            }
        }
    }

    #[test]
    fn only_a_config_rule_naming_the_host_opens_a_private_address() {
        let v = crate::json::value::parse(
            r#"{"allow":["fetch","fetch(domain:*.corp)","fetch(domain:wiki.lan)"],"deny":["fetch(domain:evil.org)"]}"#,
        )
        .unwrap();
        let mut r = Rules::from_config(Some(&v), None).unwrap();
        r.allow_session("fetch(domain:looks-public.org)").unwrap();
        let lo: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(reach(&r, "wiki.lan", lo).is_ok());
        for host in ["x.corp", "looks-public.org", "other", "127.0.0.1"] {
            let e = reach(&r, host, lo).unwrap_err();
            assert!(e.contains("fetch(domain:") && e.contains(host), "{e}");
        }
        assert!(reach(&r, "other", "93.184.215.14".parse().unwrap()).is_ok());
        assert!(redirect_allowed(&r, "evil.org", "http://evil.org/").is_err());
        assert!(redirect_allowed(&r, "fine.org", "http://fine.org/").is_ok());
    }

    #[test]
    fn the_window_keeps_whole_characters() {
        let mut w = Window::new(2, 5);
        w.push(b"abc");
        w.push("d\u{e9}\u{e9}x".as_bytes());
        assert!(w.more);
        // "cdé" is 4 bytes; the next é would cut: it waits for the next call.
        assert_eq!(w.text(), "cd\u{e9}");
        assert_eq!(w.seen, 9);
    }
}

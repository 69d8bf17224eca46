//! Unit tests of the HTTP client against canned servers on loopback.

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
        &never,
    )
}

#[test]
fn chunked_response_split_into_single_bytes() {
    let (url, h) =
        serve(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    let mut resp = send(&url).unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(100), "hello world");
    let sent = String::from_utf8(h.join().unwrap()).unwrap();
    assert!(
        sent.starts_with("POST /v1 HTTP/1.1\r\nHost: 127.0.0.1:"),
        "{sent}"
    );
    assert!(sent.contains("X-Test: 1\r\nContent-Length: 4\r\n"));
    assert!(sent.ends_with("\r\n\r\nBODY"));
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

fn req<'a>(method: &'a str, url: &'a Url, proxy: Option<&'a Proxy>, len: u64) -> Req<'a> {
    Req {
        method,
        url,
        proxy,
        headers: &[],
        len,
        replay: false,
        interrupt: &never,
    }
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
        &req("POST", &target, Some(&proxy), 4),
        &mut |w| w.write_all(b"BODY"),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(resp.text(10), "ok");
    let sent = String::from_utf8(h.join().unwrap()).unwrap();
    assert!(sent.starts_with(
        "POST http://models.internal:8000/v1 HTTP/1.1\r\nHost: models.internal:8000\r\n"
    ));
    assert!(
        sent.contains("Proxy-Authorization: Basic dTpw\r\n"),
        "{sent}"
    );
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
        &req("POST", &api, Some(&proxy), 0),
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

/// A keep-alive server: each connection is served by `plan(accept_index,
/// request_index_on_it)`, which gives the bytes to answer and whether to
/// close afterwards (None: close without answering). Returns the URL, and
/// the count of connections accepted and requests read.
type Plan = fn(usize, usize) -> Option<(&'static [u8], bool)>;

fn serve_many(plan: Plan) -> (Url, std::sync::Arc<(AtomicUsize, AtomicUsize)>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen = std::sync::Arc::new((AtomicUsize::new(0), AtomicUsize::new(0)));
    let counts = seen.clone();
    std::thread::spawn(move || {
        for (conn_no, s) in l.incoming().enumerate() {
            let Ok(s) = s else { return };
            counts.0.fetch_add(1, SeqCst);
            let counts = counts.clone();
            std::thread::spawn(move || {
                let mut r = std::io::BufReader::new(s.try_clone().unwrap());
                let mut w = s;
                for req_no in 0.. {
                    // Head, then the Content-Length body.
                    let mut len = 0usize;
                    loop {
                        let mut line = String::new();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0u8; len];
                    r.read_exact(&mut body).unwrap();
                    counts.1.fetch_add(1, SeqCst);
                    match plan(conn_no, req_no) {
                        None => return,
                        Some((bytes, close)) => {
                            w.write_all(bytes).unwrap();
                            if close {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    (
        Url::parse(&format!("http://127.0.0.1:{port}/v1")).unwrap(),
        seen,
    )
}

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

const LENGTH: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
const CHUNKED: &[u8] =
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Trailer: 1\r\n\r\n";

fn post_ok(url: &Url) -> String {
    let mut r = post(
        url,
        &[],
        4,
        &mut |w| w.write_all(b"BODY"),
        Duration::from_secs(5),
        &never,
    )
    .unwrap();
    assert_eq!(r.status, 200);
    r.text(100)
}

#[test]
fn one_connection_serves_many_requests_of_either_framing() {
    let (url, seen) = serve_many(|_, i| Some((if i % 2 == 0 { CHUNKED } else { LENGTH }, false)));
    for _ in 0..5 {
        assert_eq!(post_ok(&url), "ok");
    }
    assert_eq!((seen.0.load(SeqCst), seen.1.load(SeqCst)), (1, 5));
}

#[test]
fn a_server_that_closes_after_each_answer_gets_each_request_once() {
    let (url, seen) = serve_many(|_, _| Some((LENGTH, true)));
    for _ in 0..4 {
        assert_eq!(post_ok(&url), "ok");
        // Let the server's FIN arrive, as it does while a tool runs.
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!((seen.0.load(SeqCst), seen.1.load(SeqCst)), (4, 4));
}

#[test]
fn connection_close_and_unread_bodies_are_not_reused() {
    const CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
    // The server leaves the socket open: reusing it would hang.
    let (url, seen) = serve_many(|_, _| Some((CLOSE, false)));
    assert_eq!(post_ok(&url), "ok");
    assert_eq!(post_ok(&url), "ok");
    assert_eq!(seen.0.load(SeqCst), 2);
    let (url, seen) = serve_many(|_, _| Some((LENGTH, false)));
    let r = post(
        &url,
        &[],
        0,
        &mut |_| Ok(()),
        Duration::from_secs(5),
        &never,
    )
    .unwrap();
    drop(r); // body never read
    assert_eq!(post_ok(&url), "ok");
    assert_eq!(seen.0.load(SeqCst), 2);
}

#[test]
fn a_kept_connection_closed_under_a_request_is_replayed_only_if_allowed() {
    // Connection 0 answers once, then closes on reading the second request
    // without a byte of answer: the race with a server's idle close.
    fn plan(conn: usize, req: usize) -> Option<(&'static [u8], bool)> {
        (conn > 0 || req == 0).then_some((LENGTH, false))
    }
    let (url, seen) = serve_many(plan);
    assert_eq!(post_ok(&url), "ok");
    assert_eq!(post_ok(&url), "ok");
    assert_eq!((seen.0.load(SeqCst), seen.1.load(SeqCst)), (2, 3));
    // A POST that may act (an MCP tool call) is not sent again.
    let (url, seen) = serve_many(plan);
    let mcp = |url: &Url| {
        super::send(
            "POST",
            url,
            &[],
            0,
            &mut |_| Ok(()),
            Duration::from_secs(5),
            &never,
        )
    };
    assert_eq!(mcp(&url).unwrap().text(10), "ok");
    let e = mcp(&url).err().unwrap();
    assert!(
        matches!(&e, Error::Connect(m) if m.contains("closed the connection before answering")),
        "{e:?}"
    );
    assert_eq!((seen.0.load(SeqCst), seen.1.load(SeqCst)), (1, 2));
}

#[test]
fn line_breaks_in_headers_are_refused_before_connecting() {
    let url = Url::parse("http://127.0.0.1:9/v1").unwrap();
    let e = post(
        &url,
        &[("Authorization", "Bearer sk-1\r\nX-Evil: 1")],
        0,
        &mut |_| Ok(()),
        Duration::from_secs(1),
        &never,
    )
    .err()
    .unwrap();
    assert!(
        matches!(&e, Error::Protocol(m) if m.contains("`Authorization` header") && m.contains("line break")),
        "{e:?}"
    );
}

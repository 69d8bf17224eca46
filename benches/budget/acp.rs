//! The ACP figures: `mote acp` driven over its stdin/stdout as an editor
//! would, peak RSS at exit: after `initialize` and one `session/new`, and
//! the 14-turn task of session.rs run as one ACP prompt.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Command};

use crate::measure::{measure_driven, tempfile, Run};

/// Send each request and wait for the line that answers it; `at_end` runs
/// after the last answer, then stdin is closed (EOF ends `mote acp`).
/// Returns every line read.
fn converse(
    mut i: ChildStdin,
    o: ChildStdout,
    requests: Vec<String>,
    at_end: impl FnOnce(),
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut o = BufReader::new(o);
    let mut sid = String::new();
    for (n, req) in requests.iter().enumerate() {
        let req = req.replace("\"SID\"", &format!("\"{sid}\""));
        i.write_all(req.as_bytes()).unwrap();
        i.write_all(b"\n").unwrap();
        i.flush().unwrap();
        let want = format!("\"id\":{n},");
        loop {
            let mut line = String::new();
            if o.read_line(&mut line).unwrap_or(0) == 0 {
                return lines;
            }
            let done = line.contains(&want) && !line.contains("\"method\"");
            if let Some(rest) = line.split("\"sessionId\":\"").nth(1).filter(|_| done) {
                sid = rest.split('"').next().unwrap_or_default().to_string();
            }
            lines.push(line);
            if done {
                break;
            }
        }
    }
    at_end();
    drop(i);
    lines
}

/// `mote acp` answering `initialize` and one `session/new`, then idle
/// (its VmRSS read after 300 ms of waiting for the editor), then EOF.
/// Returns the run, the lines read and the idle RSS in bytes.
pub fn idle(bin: &Path) -> (Run, (Vec<String>, u64)) {
    let ws = tempfile("acp-ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    let requests = vec![
        r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":1,"clientCapabilities":{}}}"#.to_string(),
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"session/new","params":{{"cwd":"{}","mcpServers":[]}}}}"#,
            ws.display()
        ),
    ];
    let got = measure_driven(
        Command::new(bin)
            .arg("acp")
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            .env("XDG_DATA_HOME", tempfile("acp-data"))
            .args(["--model", "mock", "--no-context-files"]),
        move |i, o, pid| {
            let mut rss = 0;
            let lines = converse(i, o, requests, || {
                std::thread::sleep(std::time::Duration::from_millis(300));
                rss = crate::measure::status_field(pid, "VmRSS");
            });
            (lines, rss)
        },
    );
    let _ = std::fs::remove_dir_all(&ws);
    got
}

/// The 14-turn task (session.rs) run through `mote acp`: initialize,
/// session/new, one session/prompt to its answer, then EOF. Returns the
/// run, the lines read and the number of model requests.
pub fn session(bin: &Path) -> (Run, Vec<String>, usize) {
    let (ws, replies) = crate::session::task("acp-ws14");
    let m = crate::mock::Mock::start(replies);
    let requests = vec![
        r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":1,"clientCapabilities":{}}}"#.to_string(),
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"session/new","params":{{"cwd":"{}","mcpServers":[]}}}}"#,
            ws.display()
        ),
        r#"{"jsonrpc":"2.0","id":2,"method":"session/prompt","params":{"sessionId":"SID","prompt":[{"type":"text","text":"Read the big files, then fix the greeting."}]}}"#.to_string(),
    ];
    let (run, lines) = measure_driven(
        Command::new(bin)
            .arg("acp")
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env_remove("OPENAI_API_KEY")
            .env("XDG_DATA_HOME", tempfile("acp-data14"))
            .args([
                "--model",
                "mock",
                "--permission",
                "auto",
                "--no-context-files",
            ]),
        move |i, o, _| converse(i, o, requests, || ()),
    );
    let fixed = std::fs::read_to_string(ws.join("main.rs")).unwrap_or_default();
    assert!(
        fixed.contains("\"hello\""),
        "the ACP session did not edit main.rs"
    );
    let _ = std::fs::remove_dir_all(&ws);
    (run, lines, m.requests().len())
}

//! The ACP figures: `mote acp` driven over its stdin/stdout as an editor
//! would, peak RSS at exit: after `initialize` and one `session/new`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Command};

use crate::measure::{measure_driven, tempfile, Run};

/// Send each request and wait for the line that answers it; stdin is
/// closed at the end (EOF ends `mote acp`). Returns every line read.
fn converse(mut i: ChildStdin, o: ChildStdout, requests: Vec<String>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut o = BufReader::new(o);
    for (n, req) in requests.iter().enumerate() {
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
            lines.push(line);
            if done {
                break;
            }
        }
    }
    drop(i);
    lines
}

/// `mote acp` answering `initialize` and one `session/new`, then EOF.
pub fn idle(bin: &Path) -> (Run, Vec<String>) {
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
        move |i, o| converse(i, o, requests),
    );
    let _ = std::fs::remove_dir_all(&ws);
    got
}

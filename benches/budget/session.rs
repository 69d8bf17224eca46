//! The session figures: the 14-turn 115k-token task (peak RSS, CPU, first
//! and last request size), the 300-turn compacting session, and resuming a
//! session with one 50 MB record.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::measure::{measure, tempfile, Run};
use crate::mock::{Item, Mock, Reply};

/// The 14-turn task's workspace (under the temp name `name`) and the
/// model's replies.
pub fn task(name: &str) -> (PathBuf, Vec<Reply>) {
    task_of(name, 10)
}

/// The task with `files` 40 KB files to read: `files + 4` requests.
pub fn task_of(name: &str, files: usize) -> (PathBuf, Vec<Reply>) {
    let ws = tempfile(name);
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    for i in 0..files {
        let mut text = String::new();
        let mut n = 0;
        while text.len() < 40 * 1024 {
            text.push_str(&format!(
                "fn f{i}_{n}(x: u64) -> u64 {{ x.wrapping_mul({n}) ^ 0x5eed }} // filler line\n"
            ));
            n += 1;
        }
        std::fs::write(ws.join(format!("big{i}.rs")), text).unwrap();
    }
    std::fs::write(
        ws.join("main.rs"),
        "fn main() {\n    println!(\"helo\");\n}\n",
    )
    .unwrap();
    let call = |name: &str, args: &str| Item::Call {
        name: name.into(),
        args: args.into(),
    };
    let mut replies: Vec<Reply> = (0..files)
        .map(|i| Reply::Turn {
            items: vec![call("read", &format!(r#"{{"path":"big{i}.rs"}}"#))],
            finish: None,
        })
        .collect();
    replies.push(Reply::Turn {
        items: vec![call("read", r#"{"path":"main.rs"}"#)],
        finish: None,
    });
    replies.push(Reply::Turn {
        items: vec![call("bash", r#"{"command":"wc -l main.rs big0.rs"}"#)],
        finish: None,
    });
    replies.push(Reply::Turn {
        items: vec![
            Item::Text("Fixing the typo.".into()),
            call(
                "edit",
                r#"{"path":"main.rs","old_text":"helo","new_text":"hello"}"#,
            ),
        ],
        finish: None,
    });
    replies.push(Reply::Turn {
        items: vec![Item::Text("Fixed the greeting in main.rs.".into())],
        finish: None,
    });
    (ws, replies)
}

/// The 14-turn task: read ten 40 KB files (~115k tokens of context), read a
/// small one, run a command, edit, answer.
pub fn session(bin: &Path) -> (Run, usize, usize) {
    let (run, bodies) = files_session(bin, 10, &[]);
    let first = bodies.first().copied().unwrap_or(0);
    let last = bodies.last().copied().unwrap_or(0);
    (run, first, last)
}

/// The task with `files` 40 KB files, `extra` flags added; the run and the
/// size of every request body, in order.
pub fn files_session(bin: &Path, files: usize, extra: &[&str]) -> (Run, Vec<usize>) {
    let (ws, replies) = task_of(&format!("ws{files}"), files);
    let m = Mock::start(replies);
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env_remove("OPENAI_API_KEY")
            .env("XDG_DATA_HOME", tempfile("data"))
            .args([
                "-p",
                "Read the big files, then fix the greeting.",
                "--model",
                "mock",
                "--permission",
                "auto",
                "--no-context-files",
            ])
            .args(extra),
    );
    let reqs = m.requests();
    let fixed = std::fs::read_to_string(ws.join("main.rs")).unwrap_or_default();
    assert!(
        fixed.contains("\"hello\""),
        "the session did not edit main.rs: {fixed}"
    );
    assert_eq!(reqs.len(), files + 4, "expected {} requests", files + 4);
    let _ = std::fs::remove_dir_all(&ws);
    (run, reqs.iter().map(|r| r.body.len()).collect())
}

/// The 300-turn task (sessions): each turn reads an 8 KB file, ~600k
/// tokens in all, so the default 128k context window is compacted several
/// times; the session file is written throughout. Every reply is a text
/// (which serves as the summary when the request is a summarisation) and a
/// call; --max-turns 300 ends it. Returns the run, requests, compactions.
pub fn long_session(bin: &Path) -> (Run, usize, usize) {
    let ws = tempfile("ws300");
    let data = tempfile("data300");
    let _ = std::fs::remove_dir_all(&ws);
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&ws).unwrap();
    for i in 0..20 {
        let line = format!(
            "// file {i}: filler text standing in for source code, eighty bytes a line....\n"
        );
        std::fs::write(
            ws.join(format!("f{i}.rs")),
            line.repeat(8 * 1024 / line.len()),
        )
        .unwrap();
    }
    let replies: Vec<Reply> = (0..360)
        .map(|i| Reply::Turn {
            items: vec![
                Item::Text(format!(
                    "## Goal\nRead every file.\n## Progress\nRead up to f{}.rs.",
                    i % 20
                )),
                Item::Call {
                    name: "read".into(),
                    args: format!(r#"{{"path":"f{}.rs"}}"#, i % 20),
                },
            ],
            finish: None,
        })
        .collect();
    let m = Mock::start(replies);
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env_remove("OPENAI_API_KEY")
            .env("XDG_DATA_HOME", &data)
            .args([
                "-p",
                "Read every file, again and again.",
                "--model",
                "mock",
                "--permission",
                "auto",
            ])
            .args(["--max-turns", "300"])
            // Its expected "stopped after 300 turns" error is no news.
            .stderr(std::process::Stdio::null()),
    );
    let reqs = m.requests().len();
    let mut compactions = 0;
    for e in std::fs::read_dir(data.join("mote/sessions")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        compactions += text
            .lines()
            .filter(|l| l.starts_with("{\"type\":\"compact\""))
            .count();
    }
    let _ = std::fs::remove_dir_all(&ws);
    let _ = std::fs::remove_dir_all(&data);
    (run, reqs, compactions)
}

/// Resume a session whose one user record is 50 MB, and answer once: the
/// loader must be linear in the record's size (it was quadratic).
pub fn resume_big(bin: &Path) -> Run {
    let ws = tempfile("ws-big");
    let dir = tempfile("sessions-big");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&ws).unwrap();
    let ws = ws.canonicalize().unwrap();
    let header = format!(
        r#"{{"type":"session","version":1,"id":"big","cwd":"{}","provider":"openai","model":"mock","created":1,"mote":"0.1.0"}}"#,
        ws.display()
    );
    let text = "fifty megabytes of one pasted log line. ".repeat(50 * 1000 * 1000 / 40);
    let body = format!(
        "{header}\n{{\"type\":\"user\",\"text\":\"{text}\"}}\n{{\"type\":\"assistant\",\"text\":\"ok\"}}\n{{\"type\":\"usage\",\"input\":1,\"output\":1,\"cached\":0,\"cache_write\":0}}\n"
    );
    std::fs::write(dir.join("big.jsonl"), body).unwrap();
    let m = Mock::start(vec![Reply::text("done")]);
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env_remove("OPENAI_API_KEY")
            .args(["--session-dir", dir.to_str().unwrap(), "--resume", "big"])
            .args([
                "-p",
                "next",
                "--model",
                "mock",
                "--context-window",
                "100000000",
            ])
            .stderr(std::process::Stdio::null()),
    );
    let _ = std::fs::remove_dir_all(&dir);
    run
}

//! `@path` mentions in a `-p` prompt: the request carries the file's lines
//! (or a range of them) and a folder's listing, and a mention that leads
//! out of the workspace (`..`, an absolute path, a symlink) or onto a
//! file a deny rule protects attaches nothing of it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{fresh_dir, mote_command, run, Out, HANG};
use mock::{Mock, Reply};

fn dir(name: &str) -> PathBuf {
    fresh_dir("mention", name).canonicalize().unwrap()
}

/// `mote -p PROMPT` in `ws`; the run and the first request's body.
fn ask(ws: &Path, prompt: &str, args: &[&str]) -> (Out, String) {
    let m = Mock::start(vec![Reply::text("ok")]);
    let mut c = mote_command();
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "k")
        .env_remove("MOTE_MODEL")
        .args(["--model", "m", "-p", prompt])
        .args(args);
    let out = run(&mut c, HANG, args);
    let body = m
        .requests()
        .first()
        .map(|r| r.body.clone())
        .unwrap_or_default();
    (out, body)
}

#[test]
fn files_lines_and_folders_are_attached() {
    let ws = dir("attach");
    std::fs::create_dir_all(ws.join("src/deep")).unwrap();
    let lines: String = (1..=60).map(|i| format!("line number {i}\n")).collect();
    std::fs::write(ws.join("src/deep/notes.txt"), &lines).unwrap();
    std::fs::write(ws.join("src/main.rs"), "fn main() { println!(\"hi\"); }\n").unwrap();
    let (out, body) = ask(
        &ws,
        "look at @src/main.rs, @src/deep/notes.txt:10-12 and @src/ please; mail me@example.com",
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(body.contains(r#"println!(\"hi\")"#), "{body}");
    assert!(
        body.contains("line number 10\\nline number 11\\nline number 12\\n"),
        "{body}"
    );
    assert!(!body.contains("line number 13\\n") && !body.contains("line number 9\\n"));
    // The folder's listing names its entries.
    assert!(body.contains("<folder path=\\\"src/\\\">"), "{body}");
    assert!(body.contains("deep/") && body.contains("main.rs"), "{body}");
    assert!(out.stderr.is_empty() || !out.stderr.contains("not attached"));
}

#[test]
fn mentions_cannot_leave_the_workspace_or_pass_a_deny_rule() {
    let root = dir("escape");
    let ws = root.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(root.join("secret.txt"), "TOP-SECRET-OUTSIDE\n").unwrap();
    std::os::unix::fs::symlink(root.join("secret.txt"), ws.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(&root, ws.join("up")).unwrap();
    std::fs::write(ws.join(".env"), "API_TOKEN=DENIED-BY-RULE\n").unwrap();
    let outside = root.join("secret.txt");
    // Enough `../` to climb from the workspace to / wherever it is.
    let to_root = "../".repeat(ws.components().count());
    let prompt = format!(
        "read @../secret.txt @{} @link.txt @up/secret.txt @up/ @.env @{to_root}etc/passwd",
        outside.display()
    );
    std::fs::create_dir_all(ws.join(".mote")).unwrap();
    let conf = r#"{"permissions":{"deny":["read(.env)"]}}"#;
    std::fs::write(ws.join(".mote/config.json"), conf).unwrap();
    let (out, body) = ask(&ws, &prompt, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!body.contains("TOP-SECRET-OUTSIDE"), "{body}");
    assert!(!body.contains("DENIED-BY-RULE"), "{body}");
    assert!(!body.contains("root:x:0"), "{body}");
    assert!(
        !body.contains("<file") && !body.contains("<folder"),
        "{body}"
    );
    // Each refusal is told to the user.
    assert!(
        out.stderr.contains("@link.txt not attached"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("@.env not attached"), "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("not attached").count(),
        7,
        "{}",
        out.stderr
    );
}

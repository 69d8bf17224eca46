//! Scripting and CI, on the real binary against the mock model: input piped
//! beside `-p` reaches the request as a fenced block (over 256 KB: saved to
//! a file the model may read), `-p -` and `-p @FILE`, binary stdin refused,
//! `--system-prompt-file` and `--append-system-prompt`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{body, fresh_dir, mote_command, wait, Out, HANG};
use mock::{Mock, Reply};

fn workspace(name: &str) -> PathBuf {
    fresh_dir("script", name).canonicalize().unwrap()
}

/// The TMPDIR of runs in `ws`: a fresh dir beside it, outside the
/// workspace, so a spill file's name is known (`mote-stdin-1.txt`).
fn tmp_of(ws: &Path) -> PathBuf {
    PathBuf::from(format!("{}-tmp", ws.display()))
}

/// mote in `ws` with `stdin` written to its standard input.
fn mote(ws: &Path, m: &Mock, stdin: &[u8], args: &[&str]) -> Out {
    std::fs::create_dir_all(tmp_of(ws)).unwrap();
    let mut c = mote_command();
    c.current_dir(ws)
        .env("TMPDIR", tmp_of(ws))
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "k")
        .env_remove("MOTE_MODEL")
        .args(["-m", "mock-model", "--no-session", "--no-context-files"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    // A writer thread: mote may stop reading early (binary input).
    let w = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = wait(child, HANG, args);
    let _ = w.join();
    out
}

/// The request's messages as (role, content) pairs.
fn messages(m: &Mock, i: usize) -> Vec<(String, String)> {
    let b = body(m, i);
    b.get("messages")
        .and_then(|v| v.as_array())
        .unwrap()
        .iter()
        .map(|v| {
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            (s("role"), s("content"))
        })
        .collect()
}

#[test]
fn piped_input_is_appended_to_the_prompt_as_a_fenced_block() {
    let ws = workspace("piped");
    let m = Mock::start(vec![Reply::text("looks fine")]);
    let diff = "diff --git a/x b/x\n-old line\n+new ```fenced``` line\n";
    let o = mote(&ws, &m, diff.as_bytes(), &["-p", "review this"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "looks fine\n"),
        "{}",
        o.stderr
    );
    let msgs = messages(&m, 0);
    let user = &msgs.last().unwrap().1;
    assert!(
        user.starts_with(&format!(
            "review this\n\nInput piped on stdin ({} bytes):\n````\n",
            diff.len()
        )),
        "{user}"
    );
    assert!(user.contains(diff) && user.ends_with("\n````"), "{user}");
}

#[test]
fn prompt_from_stdin_and_from_a_file() {
    let ws = workspace("dash");
    std::fs::write(ws.join("task.md"), "the task in a file\n").unwrap();
    let m = Mock::start(vec![Reply::text("one"), Reply::text("two")]);
    let o = mote(&ws, &m, b"the task on stdin", &["-p", "-"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(messages(&m, 0).last().unwrap().1, "the task on stdin");
    let o = mote(&ws, &m, b"", &["-p", "@task.md"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(messages(&m, 1).last().unwrap().1, "the task in a file\n");
    let o = mote(&ws, &m, b"", &["-p", "@missing.md"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("-p @missing.md: cannot read it"),
        "{}",
        o.stderr
    );
}

#[test]
fn binary_stdin_is_refused_with_one_line() {
    let ws = workspace("binary");
    let m = Mock::start(vec![Reply::text("never")]);
    for args in [&["-p", "review"][..], &["-p", "-"][..]] {
        let o = mote(&ws, &m, b"PK\x03\x04\x00\x00binary", args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert_eq!(o.stderr.trim().lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.contains("stdin is binary"), "{}", o.stderr);
    }
    assert!(m.requests().is_empty());
}

#[test]
fn large_piped_input_is_saved_to_a_file_the_model_may_read() {
    let ws = workspace("large");
    let _ = std::fs::remove_dir_all(tmp_of(&ws));
    let tmp = tmp_of(&ws);
    let line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n";
    let big = line.repeat(300 * 1024 / line.len()) + "THE LAST LINE\n";
    let file = tmp.join("mote-stdin-1.txt");
    let m = Mock::start(vec![
        Reply::call(
            "read",
            &format!(r#"{{"path":"{}","offset":4800}}"#, file.display()),
        ),
        Reply::text("read it"),
    ]);
    let o = mote(&ws, &m, big.as_bytes(), &["-p", "summarise"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), big);
    let user = messages(&m, 0).last().unwrap().1.clone();
    let said = format!(
        "Input piped on stdin ({} bytes, too large for this message) is saved in {}",
        big.len(),
        file.display()
    );
    assert!(user.contains(&said), "{user}");
    assert!(
        !user.contains("THE LAST LINE"),
        "the input is not in the message"
    );
    // The read rule let the headless run read the file (no ask, no denial).
    let result = messages(&m, 1).last().unwrap().1.clone();
    assert!(result.contains("THE LAST LINE"), "{result}");
}

#[test]
fn system_prompt_file_and_append_system_prompt() {
    let ws = workspace("system");
    std::fs::write(ws.join("sys.md"), "You review code for a CI job.\n").unwrap();
    let m = Mock::start(vec![Reply::text("ok")]);
    let args = [
        "-p",
        "go",
        "--system-prompt-file",
        "sys.md",
        "--append-system-prompt",
        "Answer in one line.",
    ];
    let o = mote(&ws, &m, b"", &args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let system = messages(&m, 0)[0].1.clone();
    assert!(
        system.starts_with("You review code for a CI job.\n\nWorkspace: "),
        "{system}"
    );
    assert!(system.ends_with("\n\nAnswer in one line."), "{system}");
    assert!(
        !system.contains("coding agent"),
        "the base prompt is replaced: {system}"
    );
    let o = mote(
        &ws,
        &m,
        b"",
        &["-p", "go", "--system-prompt-file", "nope.md"],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("--system-prompt-file nope.md"),
        "{}",
        o.stderr
    );
}

#[test]
fn the_spill_file_opens_only_itself_outside_the_workspace() {
    let ws = workspace("spillonly");
    let tmp = tmp_of(&ws);
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("neighbour.txt"), "not for the model\n").unwrap();
    let big = "x".repeat(300 * 1024);
    let path = |f: &str| tmp.join(f).display().to_string();
    let m = Mock::start(vec![
        Reply::call(
            "read",
            &format!(r#"{{"path":"{}"}}"#, path("neighbour.txt")),
        ),
        Reply::call(
            "write",
            &format!(r#"{{"path":"{}","content":"planted"}}"#, path("evil.txt")),
        ),
        Reply::call(
            "read",
            &format!(r#"{{"path":"{}","limit":1}}"#, path("mote-stdin-1.txt")),
        ),
        Reply::text("done"),
    ]);
    let args = ["-p", "go", "--permission", "auto"];
    let o = mote(&ws, &m, big.as_bytes(), &args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let result = |i: usize| messages(&m, i).last().unwrap().1.clone();
    assert!(result(1).contains("outside the workspace"), "{}", result(1));
    assert!(!result(1).contains("not for the model"));
    assert!(result(2).contains("outside the workspace"), "{}", result(2));
    assert!(
        !tmp.join("evil.txt").exists(),
        "auto wrote beside the spill file"
    );
    assert!(result(3).contains("xxxx"), "{}", result(3));
}

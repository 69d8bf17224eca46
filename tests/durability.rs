//! The durability promises, checked on the real binary: session records are
//! fdatasynced one by one (seen with strace), the write tool replaces a file
//! atomically (a new inode; an old hard link keeps the old bytes), and a
//! crash before the rename leaves the old content (rename failed with
//! strace's fault injection). strace is a prerequisite (tests/setup.sh).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bin, fresh_dir, require, run, temp_xdg, Out, HANG};
use mock::{Mock, Reply};

fn strace() -> bool {
    let ok = Command::new("strace").arg("-V").output();
    require(
        "strace",
        ok.is_ok_and(|o| o.status.success()),
        "strace is needed (apt-get install strace)",
    )
}

/// mote under `strace -f -o LOG` with `extra` strace options, in `ws`.
fn traced(ws: &Path, m: &Mock, strace_opts: &[&str], args: &[&str]) -> (Out, String) {
    let log = ws.join("strace.log");
    let mut c = Command::new("strace");
    c.args(["-f", "-qq", "-o"])
        .arg(&log)
        .args(strace_opts)
        .arg(bin())
        .current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "test-key")
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "--permission", "auto"])
        .args(args);
    temp_xdg(&mut c);
    c.env("XDG_DATA_HOME", ws.join("data"));
    let out = run(&mut c, HANG, args);
    (out, std::fs::read_to_string(&log).unwrap_or_default())
}

fn workspace(name: &str) -> PathBuf {
    fresh_dir("durable", name).canonicalize().unwrap()
}

/// The fd number an `openat(..., "<path containing needle>", ...) = N` line returned.
fn opened_fd(log: &str, needle: &str) -> Option<String> {
    log.lines()
        .filter(|l| (l.contains("open(") || l.contains("openat(")) && l.contains(needle))
        .find_map(|l| {
            l.rsplit(" = ")
                .next()?
                .split_whitespace()
                .next()
                .map(String::from)
        })
        .filter(|fd| fd.parse::<u32>().is_ok())
}

#[test]
fn every_session_record_is_fdatasynced() {
    if !strace() {
        return;
    }
    let ws = workspace("fsync");
    std::fs::write(ws.join("a.txt"), "alpha\n").unwrap();
    let m = Mock::start(vec![
        Reply::call("read", r#"{"path":"a.txt"}"#),
        Reply::text("done"),
    ]);
    let opts = ["-e", "trace=open,openat,write,fdatasync,fsync"];
    let (o, log) = traced(&ws, &m, &opts, &["-p", "read a.txt"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let fd = opened_fd(&log, "/sessions/").expect("the session file was not opened");
    let writes = log
        .lines()
        .filter(|l| l.contains(&format!("write({fd},")))
        .count();
    let syncs = log
        .lines()
        .filter(|l| l.contains(&format!("fdatasync({fd})")) || l.contains(&format!("fsync({fd})")))
        .count();
    assert!(
        writes >= 4,
        "expected the session's records, saw {writes} writes"
    );
    assert_eq!(
        syncs, writes,
        "each record write is followed by its sync:\n{log}"
    );
}

#[test]
fn the_write_tool_replaces_a_file_with_a_new_inode() {
    let ws = workspace("atomic");
    let f = ws.join("notes.txt");
    std::fs::write(&f, "old bytes\n").unwrap();
    std::fs::hard_link(&f, ws.join("link.txt")).unwrap();
    let before = std::fs::metadata(&f).unwrap().ino();
    let m = Mock::start(vec![
        Reply::call("write", r#"{"path":"notes.txt","content":"new bytes\n"}"#),
        Reply::text("written"),
    ]);
    let mut c = common::mote_command();
    c.current_dir(&ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "test-key")
        .args([
            "--model",
            "mock-model",
            "--permission",
            "auto",
            "-p",
            "write",
        ]);
    let o = run(&mut c, HANG, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "new bytes\n");
    assert_ne!(
        std::fs::metadata(&f).unwrap().ino(),
        before,
        "written in place"
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("link.txt")).unwrap(),
        "old bytes\n",
        "the old hard link must keep the old bytes"
    );
}

#[test]
fn a_crash_before_the_rename_leaves_the_old_content() {
    if !strace() {
        return;
    }
    let ws = workspace("crash");
    let f = ws.join("notes.txt");
    std::fs::write(&f, "old bytes\n").unwrap();
    let m = Mock::start(vec![
        Reply::call("write", r#"{"path":"notes.txt","content":"new bytes\n"}"#),
        Reply::text("could not write"),
    ]);
    // Every rename fails with EIO, as if the machine died just before it.
    let opts = [
        "-e",
        "trace=rename,renameat,renameat2",
        "-e",
        "inject=rename,renameat,renameat2:error=EIO",
    ];
    let (o, log) = traced(&ws, &m, &opts, &["-p", "write", "--no-session"]);
    assert!(log.contains("EIO"), "no rename was attempted:\n{log}");
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "old bytes\n");
    let left: Vec<_> = std::fs::read_dir(&ws)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("mote-tmp"))
        .collect();
    assert!(left.is_empty(), "temp files left behind: {left:?}");
    let reqs = m.requests();
    assert!(
        reqs[1].body.contains("Input/output error") || reqs[1].body.contains("I/O error"),
        "the model is told the write failed: {}",
        reqs[1].body
    );
}

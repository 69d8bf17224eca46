//! The "proven read-only" promise of the default mode, end to end: the
//! real binary, headless in standard mode against the mock model, is given
//! commands that once passed the checker and ran code or wrote files (issue
//! 18). Each must be asked about (a denial, headless) and leave nothing
//! behind; the same command under `--permission auto` shows that the
//! attack is real. Planted git repositories must not make `git` run a
//! program. The generative test with strace is in tests/readonly_strace.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fresh_dir, mote_command, run, tool_results, HANG};
use mock::json::quote;
use mock::{Mock, Reply};

fn dir(name: &str) -> PathBuf {
    fresh_dir("proof", name).canonicalize().unwrap()
}

/// Run mote with one bash call per command; the tool results, in order.
fn session(ws: &Path, cmds: &[String], mode: &str) -> Vec<String> {
    session_env(ws, cmds, mode, &[])
}

fn session_env(ws: &Path, cmds: &[String], mode: &str, env: &[(&str, String)]) -> Vec<String> {
    let mut replies: Vec<Reply> = cmds
        .iter()
        .map(|c| Reply::call("bash", &format!(r#"{{"command":{}}}"#, quote(c))))
        .collect();
    replies.push(Reply::text("done"));
    let m = Mock::start(replies);
    let mut c = mote_command();
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "k")
        .env("XDG_CONFIG_HOME", ws.join(".no-user-config"))
        .env_remove("MOTE_MODEL")
        .args(["--model", "m", "-p", "task", "--permission", mode]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = run(&mut c, HANG, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    tool_results(&m)
}

/// Each reproduction, with `P` standing for the file it must not create.
const REPRODUCTIONS: &[&str] = &[
    "echo $[1<<2]\ntouch MARK",
    "echo ${x:-'}'}; touch MARK #'",
    "cat <<$'E'\nx\nE\ntouch MARK",
    "LANG='a[$(touch MARK)]'; echo $[LANG]",
    "LANG='a[$(touch MARK)]'; echo ${x[LANG]}",
    "sed -n -- 'w MARK' f",
    "echo | sed -- '1e touch MARK'",
    "echo | sed ':a;e touch MARK'",
    "sed -n 'b;w MARK' f",
    "echo x | uniq - MARK",
    "sort -S 1K --co=sh big",
    "git grep --no-index --open=sh touch a.sh",
    // Found while fixing those: the same classes.
    "LANG='a[$(touch MARK)]'; echo ${PWD:LANG}",
    "LANG='a[$(touch MARK)]'; echo ${!LANG}",
    "LANG='$(touch MARK)'; echo ${LANG@P}",
    "LANG='a[$(touch MARK)]'; echo hi {fd[LANG]}>/dev/null",
    "test -v 'a[$(touch MARK)]'",
    "cat <<E; echo $(\ntouch MARK\nE\n)",
    "LANG='-o MARK'; sort $LANG f",
];

#[test]
fn issue_reproductions_are_asked_about_and_change_nothing() {
    let cmds = |ws: &Path| -> Vec<String> {
        REPRODUCTIONS
            .iter()
            .enumerate()
            .map(|(k, c)| c.replace("MARK", &ws.join(format!("pwned-{k}")).display().to_string()))
            .collect()
    };
    let setup = |ws: &Path| {
        std::fs::write(ws.join("f"), "a\n").unwrap();
        std::fs::write(
            ws.join("a.sh"),
            format!("touch {}\n", ws.join("pwned-11").display()),
        )
        .unwrap();
        let line = format!("touch {}\n", ws.join("pwned-10").display());
        std::fs::write(ws.join("big"), line.repeat(4000)).unwrap();
    };
    let pwned = |ws: &Path| -> Vec<usize> {
        (0..REPRODUCTIONS.len())
            .filter(|k| ws.join(format!("pwned-{k}")).exists())
            .collect()
    };
    // The attacks are real: unchecked, each one creates its file.
    let ws = dir("auto");
    setup(&ws);
    session(&ws, &cmds(&ws), "auto");
    assert_eq!(pwned(&ws), (0..REPRODUCTIONS.len()).collect::<Vec<_>>());
    // In standard mode each one asks, and nothing is created.
    let ws = dir("standard");
    setup(&ws);
    let r = session(&ws, &cmds(&ws), "standard");
    assert_eq!(pwned(&ws), Vec::<usize>::new(), "{r:#?}");
    assert_eq!(r.len(), REPRODUCTIONS.len());
    for (x, c) in r.iter().zip(REPRODUCTIONS) {
        assert!(x.contains("not proven read-only"), "{c:?}: {x}");
    }
}

#[test]
fn a_redirection_with_an_expansion_opens_no_connection() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let port = l.local_addr().unwrap().port();
    let ws = dir("tcp");
    let cmd = format!("cat < /dev/tc${{z}}p/127.0.0.1/{port}");
    let r = session(&ws, &[cmd], "standard");
    assert!(r[0].contains("not proven read-only"), "{}", r[0]);
    assert!(l.accept().is_err(), "a connection was opened");
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
        .status
        .success();
    assert!(ok, "git {args:?}");
}

/// A repository with one commit at `at`, its git directory moved to
/// `gitdir` (a folder not named `.git`, as a model could write one).
fn repo(at: &Path, gitdir: &Path) {
    std::fs::create_dir_all(at).unwrap();
    git(at, &["init", "-q"]);
    std::fs::write(at.join("a"), "a\n").unwrap();
    git(at, &["add", "a"]);
    git(at, &["commit", "-qm", "x"]);
    if gitdir != at.join(".git") {
        std::fs::rename(at.join(".git"), gitdir).unwrap();
    }
}

#[test]
fn planted_git_config_makes_git_ask() {
    // A repository not named `.git` whose config runs a program.
    let ws = dir("git-evil");
    let evil = ws.join("evil");
    repo(&ws.join("src"), &evil);
    let marker = ws.join("fsmonitor-ran");
    let config = format!(
        "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = ../src\n\tfsmonitor = \"touch {}; false\"\n",
        marker.display()
    );
    std::fs::write(evil.join("config"), &config).unwrap();
    let cmds = ["cd evil && git status".to_string()];
    let r = session(&ws, &cmds, "standard");
    assert!(
        r[0].contains("not proven read-only") && r[0].contains("evil/config"),
        "{}",
        r[0]
    );
    assert!(!marker.exists());
    session(&ws, &cmds, "auto");
    assert!(marker.exists(), "the planted config is not what git runs");

    // The same key in a real `.git`, and a hook `git status` runs.
    let ws = dir("git-dotgit");
    repo(&ws, &ws.join(".git"));
    let marker = ws.join("fsmonitor-ran");
    git(
        &ws,
        &[
            "config",
            "core.fsmonitor",
            &format!("touch {}; false", marker.display()),
        ],
    );
    let r = session(&ws, &["git status".to_string()], "standard");
    assert!(r[0].contains("not proven read-only"), "{}", r[0]);
    assert!(!marker.exists());
    git(&ws, &["config", "--unset", "core.fsmonitor"]);
    std::fs::write(
        ws.join(".git/hooks/post-index-change"),
        "#!/bin/sh\ntouch hook-ran\n",
    )
    .unwrap();
    let r = session(&ws, &["git status".to_string()], "standard");
    assert!(r[0].contains("post-index-change"), "{}", r[0]);

    // A clean repository: git is read-only there, and runs.
    let ws = dir("git-clean");
    repo(&ws, &ws.join(".git"));
    let r = session(
        &ws,
        &["git status --short && git log --oneline -1".to_string()],
        "standard",
    );
    assert!(
        r[0].contains(" x\n") && r[0].ends_with("exit code: 0"),
        "{}",
        r[0]
    );
}

#[test]
fn a_path_entry_in_the_workspace_makes_program_names_unproven() {
    let ws = dir("path");
    let bin = ws.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("ls"), "#!/bin/sh\ntouch ls-ran\n").unwrap();
    std::process::Command::new("chmod")
        .args(["755", "bin/ls"])
        .current_dir(&ws)
        .status()
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let r = session_env(
        &ws,
        &["ls".to_string()],
        "standard",
        &[("PATH", path.clone())],
    );
    assert!(r[0].contains("PATH includes"), "{}", r[0]);
    assert!(!ws.join("ls-ran").exists());
    session_env(&ws, &["ls".to_string()], "auto", &[("PATH", path)]);
    assert!(
        ws.join("ls-ran").exists(),
        "the planted ls is not what runs"
    );
}

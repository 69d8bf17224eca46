//! Worktrees, end to end with the real binary, real git and the mock
//! model: two headless runs started together in two worktrees of one
//! repository change only their own trees; a second `--worktree` reuses
//! the first's folder and `-c` there continues its session; `mote
//! worktree rm` refuses a dirty or unmerged worktree (exit 11) unless
//! `--force`, and removes a clean merged one with its branch; hostile
//! names are refused before git runs; `/worktree` in a real terminal
//! lists them with their status and moves the session into one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;
#[path = "tui/mod.rs"]
mod tui;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{fresh_dir, git, mote_command, Out, HANG};
use mock::{Mock, Reply};

/// A repository `top/repo` with one commit, a staged change and an
/// untracked file; sessions go to `top/data`.
fn repo(name: &str) -> (PathBuf, PathBuf) {
    let top = fresh_dir("worktree", name);
    let ws = top.join("repo");
    std::fs::create_dir_all(&ws).unwrap();
    git(&ws, &["init", "-q", "-b", "main"]);
    git(&ws, &["config", "user.email", "t@example.com"]);
    git(&ws, &["config", "user.name", "t"]);
    std::fs::write(ws.join("a.txt"), "alpha\n").unwrap();
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "one"]);
    std::fs::write(ws.join("a.txt"), "alpha staged\n").unwrap();
    git(&ws, &["add", "a.txt"]);
    std::fs::write(ws.join("notes.md"), "untracked\n").unwrap();
    (ws, top.join("data"))
}

/// mote in `dir` against `m`, sessions in `data`.
fn mote(dir: &Path, data: &Path, m: &Mock, args: &[&str]) -> Command {
    let mut c = mote_command();
    c.current_dir(dir)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "sk-test")
        .env("XDG_DATA_HOME", data)
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "--permission", "auto"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn run(dir: &Path, args: &[&str]) -> Out {
    common::run(mote_command().current_dir(dir).args(args), HANG, args)
}

/// What must not change in the main checkout: its status, index and files.
fn main_state(ws: &Path) -> (String, Vec<u8>, String, String) {
    let status = git(
        ws,
        &[
            "--no-optional-locks",
            "status",
            "--porcelain=v2",
            "--untracked-files=all",
        ],
    );
    let index = std::fs::read(ws.join(".git/index")).unwrap();
    let files = std::fs::read_to_string(ws.join("a.txt")).unwrap()
        + &std::fs::read_to_string(ws.join("notes.md")).unwrap();
    let listing: Vec<String> = std::fs::read_dir(ws)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    (status, index, files, format!("{listing:?}"))
}

/// The model writes `file` and appends to a.txt with bash, then answers.
fn work(file: &str) -> Vec<Reply> {
    vec![
        Reply::call(
            "write",
            &format!(r#"{{"path":"{file}","content":"made in {file}\n"}}"#),
        ),
        Reply::call(
            "bash",
            &format!(
                r#"{{"command":"echo {file} >> a.txt && git add -A && git commit -q -m {file}"}}"#
            ),
        ),
        Reply::text("done"),
    ]
}

#[test]
fn two_runs_at_once_change_only_their_own_worktrees() {
    let (ws, data) = repo("two");
    let before = main_state(&ws);
    let (ma, mb) = (
        Mock::start(work("from-a.txt")),
        Mock::start(work("from-b.txt")),
    );
    let a = mote(&ws, &data, &ma, &["--worktree", "a", "-p", "work a"])
        .spawn()
        .unwrap();
    let b = mote(&ws, &data, &mb, &["--worktree", "b", "-p", "work b"])
        .spawn()
        .unwrap();
    let (a, b) = (common::wait(a, HANG, &["a"]), common::wait(b, HANG, &["b"]));
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(b.code, 0, "{}", b.stderr);
    let top = ws.parent().unwrap();
    let (wa, wb) = (top.join("repo-a"), top.join("repo-b"));
    assert!(a.stderr.contains("made worktree a"), "{}", a.stderr);
    assert_eq!(
        std::fs::read_to_string(wa.join("from-a.txt")).unwrap(),
        "made in from-a.txt\n"
    );
    assert!(!wa.join("from-b.txt").exists() && !wb.join("from-a.txt").exists());
    assert_eq!(
        std::fs::read_to_string(wb.join("a.txt")).unwrap(),
        "alpha\nfrom-b.txt\n"
    );
    // Each commit landed on its own branch, from main.
    assert!(git(&wa, &["log", "--format=%s", "mote/a"]).starts_with("from-a.txt\none"));
    assert!(git(&wb, &["log", "--format=%s", "mote/b"]).starts_with("from-b.txt\none"));
    assert_eq!(main_state(&ws), before, "the main checkout changed");
    assert_eq!(git(&ws, &["log", "--format=%s", "main"]), "one\n");

    // The list shows both: a commit ahead of main, clean.
    let out = run(&ws, &["worktree", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for n in ["a", "b"] {
        assert!(
            out.stdout.lines().any(|l| l.starts_with(n)
                && l.contains(&format!("repo-{n}"))
                && l.ends_with("1 ahead, 0 behind main, clean")),
            "{}",
            out.stdout
        );
    }

    // Reuse: the same folder, its file still there, and the session the
    // first run saved there continues with -c.
    let m = Mock::start(vec![Reply::text("again")]);
    let out = common::wait(
        mote(&ws, &data, &m, &["--worktree", "a", "-c", "-p", "more"])
            .spawn()
            .unwrap(),
        HANG,
        &["reuse"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("made worktree"), "{}", out.stderr);
    let body = common::body(&m, 0);
    let text = format!("{:?}", body.get("messages").unwrap());
    assert!(text.contains("work a") && text.contains("more"), "{text}");
    assert!(text.contains(&*wa.canonicalize().unwrap().to_string_lossy()));
    assert_eq!(git(&ws, &["worktree", "list"]).lines().count(), 3);
}

#[test]
fn rm_refuses_dirty_and_unmerged_work_unless_forced() {
    let (ws, data) = repo("rm");
    let top = ws.parent().unwrap().to_path_buf();
    let m = Mock::start(vec![
        Reply::text("ok"),
        Reply::text("ok"),
        Reply::text("ok"),
    ]);
    for n in ["dirty", "ahead", "merged"] {
        let out = common::wait(
            mote(&ws, &data, &m, &["--worktree", n, "-p", "hi"])
                .spawn()
                .unwrap(),
            HANG,
            &[n],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let (dirty, ahead, merged) = (
        top.join("repo-dirty"),
        top.join("repo-ahead"),
        top.join("repo-merged"),
    );
    std::fs::write(dirty.join("new.txt"), "work\n").unwrap();
    for (dir, file) in [(&ahead, "b.txt"), (&merged, "c.txt")] {
        std::fs::write(dir.join(file), "new\n").unwrap();
        git(dir, &["add", file]);
        git(dir, &["commit", "-q", "-m", file]);
    }
    git(&ws, &["merge", "-q", "--ff-only", "mote/merged"]);

    let out = run(&ws, &["worktree", "rm", "dirty"]);
    assert_eq!(out.code, 11, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("uncommitted"), "{}", out.stderr);
    assert!(dirty.join("new.txt").exists());
    let out = run(&ws, &["worktree", "rm", "ahead"]);
    assert_eq!(out.code, 11, "{}", out.stderr);
    assert!(
        out.stderr.contains("1 commit(s) not merged into main"),
        "{}",
        out.stderr
    );
    assert!(ahead.join("b.txt").exists());
    assert!(git(&ws, &["branch", "--list", "mote/ahead"]).contains("mote/ahead"));

    // Clean and merged: removed, with its branch, without --force.
    let out = run(&ws, &["worktree", "rm", "merged"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!merged.exists());
    assert!(git(&ws, &["branch", "--list", "mote/merged"]).is_empty());
    // --force removes the others, from inside another worktree too.
    for n in ["dirty", "ahead"] {
        let out = run(&ws, &["worktree", "rm", n, "--force"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!top.join(format!("repo-{n}")).exists());
    }
    assert_eq!(git(&ws, &["worktree", "list"]).lines().count(), 1);
    let out = run(&ws, &["worktree", "rm", "gone"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("no worktree gone"), "{}", out.stderr);
}

#[test]
fn hostile_names_are_refused_before_git_runs() {
    let (ws, data) = repo("names");
    let m = Mock::start(vec![Reply::text("never")]);
    let bad = [
        "--force",
        "-b",
        "../x",
        "/tmp/x",
        "a/b",
        "a..b",
        ".hidden",
        "x.lock",
        "a b",
        "a\tb",
        "a\u{1b}[2J",
        "a~1",
        "a^{}",
        "a:b",
        "@{-1}",
        "a\\b",
        "",
    ];
    for name in bad {
        let out = common::wait(
            mote(&ws, &data, &m, &["--worktree", name, "-p", "hi"])
                .spawn()
                .unwrap(),
            HANG,
            &[name],
        );
        assert_eq!(out.code, 2, "{name:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("bad worktree name"),
            "{name:?}: {}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        let out = run(&ws, &["worktree", "rm", name]);
        assert_eq!(out.code, 2, "rm {name:?}: {}", out.stderr);
    }
    assert!(m.requests().is_empty());
    assert_eq!(git(&ws, &["worktree", "list"]).lines().count(), 1);
    assert!(git(&ws, &["branch", "--list", "mote/*"]).is_empty());
    let listing: Vec<_> = std::fs::read_dir(ws.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(listing.len(), 1, "{listing:?}");
    // Outside a repository: one clear line.
    let plain = fresh_dir("worktree", "plain");
    let out = common::wait(
        mote(&plain, &data, &m, &["--worktree", "ok", "-p", "hi"])
            .spawn()
            .unwrap(),
        HANG,
        &["plain"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("not in a git repository"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_repository_config_runs_no_program_when_a_worktree_is_made() {
    let (ws, data) = repo("config");
    let top = ws.parent().unwrap().to_path_buf();
    let mark = top.join("ran");
    let cmd = format!("touch {}", mark.display());
    std::fs::write(ws.join(".gitattributes"), "*.txt filter=evil\n").unwrap();
    git(&ws, &["add", ".gitattributes"]);
    git(&ws, &["commit", "-q", "-m", "attrs"]);
    for (k, v) in [
        ("filter.evil.smudge", format!("sh -c '{cmd}; cat'")),
        ("filter.evil.clean", format!("sh -c '{cmd}; cat'")),
        ("filter.evil.process", cmd.clone()),
        ("core.fsmonitor", cmd.clone()),
    ] {
        git(&ws, &["config", k, &v]);
    }
    let hooks = ws.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    for h in ["post-checkout", "reference-transaction"] {
        std::fs::write(hooks.join(h), format!("#!/bin/sh\n{cmd}\n")).unwrap();
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(hooks.join(h))
            .status()
            .unwrap();
    }
    let m = Mock::start(vec![Reply::text("ok")]);
    let out = common::wait(
        mote(&ws, &data, &m, &["--worktree", "w", "-p", "hi"])
            .spawn()
            .unwrap(),
        HANG,
        &["config"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(top.join("repo-w/a.txt").exists());
    let out = run(&ws, &["worktree", "list"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&ws, &["worktree", "rm", "w"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!mark.exists(), "a program from the repository's config ran");
}

#[test]
fn slash_worktree_lists_and_moves_the_session() {
    let (ws, _) = repo("tui");
    std::fs::write(
        ws.join(".git/info/exclude"),
        "stty.*\nmote.err\nstate\ndata\nconfig\n",
    )
    .unwrap();
    let top = ws.parent().unwrap().to_path_buf();
    // A stdio MCP server that notes the folder of each start.
    let cwds = top.join("mcp-cwds");
    // A hook that notes the folder it runs in.
    let hook_cwd = top.join("hook-cwd");
    let flaky = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/flaky.sh");
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    std::fs::write(
        ws.join("config/mote/config.json"),
        format!(
            r#"{{"mcpServers":{{"flaky":{{"command":"{}","env":{{"FLAKY_CWD":"{}"}}}}}},
                "hooks":{{"PostToolUse":[{{"hooks":[{{"type":"command","command":"pwd > {}"}}]}}]}}}}"#,
            flaky.display(),
            cwds.display(),
            hook_cwd.display()
        ),
    )
    .unwrap();
    let m = Mock::start(vec![
        Reply::call(
            "write",
            r#"{"path":"tui.txt","content":"in the worktree\n"}"#,
        ),
        Reply::text("written"),
    ]);
    let t = tui::start_mote("worktree", &ws, &m.base_url(), 120, "--permission auto");
    t.type_text("/worktree");
    t.keys(&["Enter"]);
    t.wait_text("no mote worktrees");
    t.type_text("/worktree feat");
    t.keys(&["Enter"]);
    t.wait_text("following prompts work in");
    t.wait_text("MCP servers restarted there");
    // The MCP server runs in the worktree now, as the tools do.
    let want = format!(
        "{}\n{}\n",
        ws.canonicalize().unwrap().display(),
        top.join("repo-feat").canonicalize().unwrap().display()
    );
    let mut started = String::new();
    for _ in 0..100 {
        started = std::fs::read_to_string(&cwds).unwrap_or_default();
        if started == want {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(started, want);
    t.type_text("/worktree");
    t.keys(&["Enter"]);
    t.wait_text("0 ahead, 0 behind main, clean");
    t.type_text("write it");
    t.keys(&["Enter"]);
    t.wait_text("written");
    let s = t.wait_for("the status line", |s| s.contains("worktree feat ·"));
    assert!(s.contains("worktree feat"), "{s}");
    assert_eq!(
        std::fs::read_to_string(top.join("repo-feat/tui.txt")).unwrap(),
        "in the worktree\n"
    );
    assert!(!ws.join("tui.txt").exists());
    // The write's PostToolUse hook ran in the worktree too.
    assert_eq!(
        std::fs::read_to_string(&hook_cwd).unwrap().trim_end(),
        top.join("repo-feat")
            .canonicalize()
            .unwrap()
            .display()
            .to_string()
    );
    t.type_text("/worktree");
    t.keys(&["Enter"]);
    t.wait_text("0 ahead, 0 behind main, 1 changed");
    t.type_text("/help");
    t.keys(&["Enter"]);
    t.wait_text("/worktree [NAME]");
}

/// `/worktree NAME` in a session with messages: the session file records
/// the move, and a resume in the worktree takes back the later prompt's
/// files there but leaves the main checkout's earlier checkpoint alone:
/// no file of one tree is compared with, or put back into, the other.
#[test]
fn a_moved_session_resumed_undoes_only_in_the_tree_of_its_checkpoints() {
    let (ws, _) = repo("tui-move");
    std::fs::write(
        ws.join(".git/info/exclude"),
        "stty.*\nmote.err\nstate\ndata\nconfig\n",
    )
    .unwrap();
    let feat = ws.parent().unwrap().join("repo-feat");
    let m = Mock::start(vec![
        Reply::call(
            "edit",
            r#"{"path":"a.txt","old_text":"staged","new_text":"EDITED"}"#,
        ),
        Reply::text("one done"),
        Reply::call(
            "write",
            r#"{"path":"second.txt","content":"in the worktree\n"}"#,
        ),
        Reply::text("two done"),
    ]);
    let t = tui::start_mote(
        "worktree-move",
        &ws,
        &m.base_url(),
        120,
        "--permission auto",
    );
    t.type_text("first");
    t.keys(&["Enter"]);
    t.wait_text("one done");
    t.type_text("/worktree feat");
    t.keys(&["Enter"]);
    t.wait_text("following prompts work in");
    t.type_text("second");
    t.keys(&["Enter"]);
    t.wait_text("two done");
    t.keys(&["C-d"]);
    t.wait_text("EXIT:0");
    assert_eq!(
        std::fs::read_to_string(ws.join("a.txt")).unwrap(),
        "alpha EDITED\n"
    );
    assert!(feat.join("second.txt").exists());
    let data = ws.join("data");
    let file = std::fs::read_dir(data.join("mote/sessions"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let id = file.file_stem().unwrap().to_string_lossy().into_owned();
    let moved = format!(
        r#"{{"type":"moved","cwd":"{}"}}"#,
        feat.canonicalize().unwrap().display()
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.lines().any(|l| l == moved), "{text}");
    let mut c = mote(
        &feat,
        &data,
        &Mock::start(vec![]),
        &["--resume", &id, "--rewind", "1"],
    );
    let out = common::run(&mut c, HANG, &["--rewind"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!feat.join("second.txt").exists(), "{}", out.stdout);
    assert!(!out.stdout.contains("a.txt"), "{}", out.stdout);
    assert!(
        out.stderr.contains("took their checkpoints in") && out.stderr.contains("not here"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(feat.join("a.txt")).unwrap(),
        "alpha\n"
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("a.txt")).unwrap(),
        "alpha EDITED\n"
    );
    assert!(out.stdout.contains("took 2 prompt(s)"), "{}", out.stdout);
}

//! Undo, end to end with the real binary, real git and real files: a
//! scripted session edits files and runs rm, mv and a redirect through
//! bash; `-c --undo` and `--rewind N` put every byte and mode back, leave
//! the user's index, status and stash as they were, survive kill -9, never
//! clobber a file the user changed since, and outside git undo the edit
//! tools' changes and say what commands changed is not covered.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;
#[path = "tui/mod.rs"]
mod tui;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{fresh_dir, git, mote_command, Out, HANG};
use mock::{Mock, Reply};

/// Run mote in `ws` against `m`, sessions in `data`.
fn mote(ws: &Path, data: &Path, m: &Mock, args: &[&str]) -> Out {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "sk-test")
        .env("XDG_DATA_HOME", data)
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "--permission", "auto"])
        .args(args);
    common::run(&mut c, HANG, args)
}

/// Every file under `dir` but .git: its bytes (a symlink's target) and mode.
fn tree(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().unwrap() == ".git" {
                continue;
            }
            let md = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            if md.is_dir() {
                todo.push(p);
            } else if md.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(rel, (t.into_os_string().into_encoded_bytes(), 0o120000));
            } else {
                out.insert(rel, (std::fs::read(&p).unwrap(), md.permissions().mode()));
            }
        }
    }
    out
}

/// What of the user's git state must never change: status, the index
/// file's bytes, HEAD, branches and stash. (`status` here may not refresh
/// the index, or the test itself would write it.)
fn git_state(dir: &Path) -> (String, Vec<u8>, String, String) {
    let index = std::fs::read(dir.join(".git/index")).unwrap();
    let refs = git(
        dir,
        &[
            "for-each-ref",
            "--format=%(refname) %(objectname)",
            "refs/heads",
            "refs/stash",
            "refs/tags",
        ],
    );
    (
        git(
            dir,
            &[
                "--no-optional-locks",
                "status",
                "--porcelain=v2",
                "--untracked-files=all",
            ],
        ),
        index,
        git(dir, &["rev-parse", "HEAD"]) + &refs,
        git(dir, &["stash", "list"]),
    )
}

/// A repository with a commit, a stash, a staged change, an unstaged one,
/// an untracked file, an ignored one, an executable and a symlink.
fn repo(name: &str) -> (PathBuf, PathBuf) {
    let dir = fresh_dir("undo", name);
    let ws = dir.join("ws");
    std::fs::create_dir_all(ws.join("src")).unwrap();
    git(&ws, &["init", "-q", "-b", "main"]);
    git(&ws, &["config", "user.email", "t@example.com"]);
    git(&ws, &["config", "user.name", "t"]);
    std::fs::write(ws.join("a.txt"), "alpha\nbeta\n").unwrap();
    std::fs::write(ws.join("src/b.txt"), "bee\n").unwrap();
    std::fs::write(ws.join("gone.txt"), "to be removed\n").unwrap();
    std::fs::write(ws.join("moved.txt"), "to be moved\n").unwrap();
    std::fs::write(ws.join("run.sh"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(ws.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("a.txt", ws.join("link")).unwrap();
    std::fs::write(ws.join(".gitignore"), "*.log\n").unwrap();
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "one"]);
    std::fs::write(ws.join("a.txt"), "stashed\n").unwrap();
    git(&ws, &["stash", "-q"]);
    std::fs::write(ws.join("src/b.txt"), "bee staged\n").unwrap();
    git(&ws, &["add", "src/b.txt"]);
    std::fs::write(ws.join("src/b.txt"), "bee staged then changed\n").unwrap();
    std::fs::write(ws.join("notes.md"), "untracked\n").unwrap();
    std::fs::write(ws.join("build.log"), "ignored\n").unwrap();
    (ws, dir.join("data"))
}

fn edit(path: &str, old: &str, new: &str) -> Reply {
    Reply::call(
        "edit",
        &format!(r#"{{"path":"{path}","old_text":"{old}","new_text":"{new}"}}"#),
    )
}

fn bash(cmd: &str) -> Reply {
    Reply::call("bash", &format!(r#"{{"command":"{cmd}"}}"#))
}

/// The session's changes: two edits, a new file, rm, mv, a redirect, a chmod.
fn changes() -> Vec<Reply> {
    vec![
        edit("a.txt", "beta", "BETA"),
        edit("src/b.txt", "changed", "edited"),
        Reply::call("write", r#"{"path":"new/dir/made.txt","content":"made\n"}"#),
        bash("rm gone.txt && mv moved.txt src/moved2.txt && echo redirected > notes.md && chmod -x run.sh && ln -sf src/b.txt link"),
        Reply::text("done"),
    ]
}

fn records(data: &Path) -> Vec<String> {
    let dir = data.join("mote/sessions");
    let f = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    std::fs::read_to_string(f)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn undo_restores_every_byte_and_mode_and_leaves_git_alone() {
    let (ws, data) = repo("git");
    let before = tree(&ws);
    let state = git_state(&ws);
    let m = Mock::start(changes());
    let out = mote(&ws, &data, &m, &["-p", "change things"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let after = tree(&ws);
    assert_ne!(before, after);
    assert!(!ws.join("gone.txt").exists() && ws.join("src/moved2.txt").exists());
    // The snapshot wrote nothing the user sees in git.
    assert_eq!(git_state(&ws).1, state.1, "the index file changed");
    assert_eq!(git_state(&ws).3, state.3, "the stash changed");
    let recs = records(&data);
    assert!(
        recs.iter()
            .any(|r| r.contains("\"type\":\"checkpoint\"") && r.contains("\"at\":\"before\"")),
        "{recs:?}"
    );
    assert!(git(&ws, &["for-each-ref", "refs/mote/checkpoints"]).contains("commit"));

    let m2 = Mock::start(vec![]);
    let out = mote(&ws, &data, &m2, &["-c", "--undo"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(m2.requests().is_empty(), "--undo contacted the model");
    assert_eq!(tree(&ws), before, "stdout: {}", out.stdout);
    assert_eq!(git_state(&ws), state);
    for f in [
        "a.txt",
        "gone.txt",
        "moved.txt",
        "src/moved2.txt",
        "new/dir/made.txt",
        "notes.md",
        "run.sh",
        "link",
    ] {
        assert!(out.stdout.contains(f), "{f} not reported: {}", out.stdout);
    }
    assert!(
        out.stdout
            .contains("took 1 prompt(s) out of the conversation"),
        "{}",
        out.stdout
    );
    assert!(
        !ws.join("new").exists(),
        "the directories the turn made stay"
    );
    // The conversation lost the turn: the next prompt's request has only itself.
    let m3 = Mock::start(vec![Reply::text("ok")]);
    let out = mote(&ws, &data, &m3, &["-c", "-p", "next"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let body = common::body(&m3, 0);
    let msgs = body.get("messages").and_then(|v| v.as_array()).unwrap();
    let text = format!("{msgs:?}");
    assert!(
        !text.contains("change things") && text.contains("next"),
        "{text}"
    );
}

#[test]
fn outside_git_the_edit_tools_are_undone_and_commands_reported() {
    let dir = fresh_dir("undo", "plain");
    let (ws, data) = (dir.join("ws"), dir.join("data"));
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("a.txt"), "alpha\nbeta\n").unwrap();
    std::fs::set_permissions(ws.join("a.txt"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let before = tree(&ws);
    let m = Mock::start(vec![
        edit("a.txt", "beta", "BETA"),
        Reply::call("write", r#"{"path":"sub/new.txt","content":"new\n"}"#),
        bash("echo by-bash > other.txt"),
        Reply::text("done"),
    ]);
    let out = mote(&ws, &data, &m, &["-p", "change"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(ws.join("a.txt")).unwrap(),
        "alpha\nBETA\n"
    );
    let out = mote(&ws, &data, &Mock::start(vec![]), &["-c", "--undo"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut now = tree(&ws);
    assert_eq!(
        now.remove(Path::new("other.txt")).map(|f| f.0),
        Some(b"by-bash\n".to_vec()),
        "a command's change is not covered outside git"
    );
    assert_eq!(now, before, "{}", out.stdout);
    assert!(
        out.stdout.contains("restored a.txt") && out.stdout.contains("removed sub/new.txt"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("1 command(s) ran outside git"),
        "{}",
        out.stdout
    );
}

#[test]
fn after_kill_9_the_resumed_session_still_undoes() {
    let (ws, data) = repo("kill");
    let before = tree(&ws);
    let m = Mock::start(vec![
        edit("a.txt", "beta", "BETA"),
        bash("rm gone.txt"),
        Reply::Hang,
    ]);
    let mut c = mote_command();
    c.current_dir(&ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "sk-test")
        .env("XDG_DATA_HOME", &data)
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "--permission", "auto", "-p", "go"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let start = std::time::Instant::now();
    while m.requests().len() < 3 {
        assert!(
            start.elapsed() < HANG,
            "the session never got to its third request"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(!ws.join("gone.txt").exists());
    let out = mote(&ws, &data, &Mock::start(vec![]), &["-c", "--undo"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(tree(&ws), before, "{}", out.stdout);
}

/// In git and outside it (the file store's end-of-prompt states), a file
/// changed after the prompt's end is reported and kept by `--undo`, while
/// the prompt's other file goes back.
#[test]
fn a_file_the_user_changed_since_is_reported_and_kept() {
    let (ws, data) = repo("user");
    let plain = fresh_dir("undo", "plain-user");
    let plain = (plain.join("ws"), plain.join("data"));
    std::fs::create_dir_all(plain.0.join("src")).unwrap();
    std::fs::write(plain.0.join("a.txt"), "alpha\nbeta\n").unwrap();
    std::fs::write(plain.0.join("src/b.txt"), "bee staged then changed\n").unwrap();
    for (ws, data) in [(ws, data), plain] {
        let m = Mock::start(vec![
            edit("a.txt", "beta", "BETA"),
            edit("src/b.txt", "changed", "edited"),
            Reply::text("done"),
        ]);
        assert_eq!(mote(&ws, &data, &m, &["-p", "edit"]).code, 0);
        std::fs::write(ws.join("a.txt"), "the user's own work\n").unwrap();
        let out = mote(&ws, &data, &Mock::start(vec![]), &["-c", "--undo"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(
            std::fs::read_to_string(ws.join("a.txt")).unwrap(),
            "the user's own work\n"
        );
        assert_eq!(
            std::fs::read_to_string(ws.join("src/b.txt")).unwrap(),
            "bee staged then changed\n"
        );
        assert!(
            out.stdout
                .contains("skipped a.txt: changed since the checkpoint")
                && out.stdout.contains("restored src/b.txt"),
            "{}: {}",
            ws.display(),
            out.stdout
        );
    }
}

#[test]
fn rewind_goes_back_to_before_the_nth_prompt() {
    let (ws, data) = repo("rewind");
    let start = tree(&ws);
    let m = Mock::start(vec![edit("a.txt", "beta", "BETA"), Reply::text("one")]);
    assert_eq!(mote(&ws, &data, &m, &["-p", "first"]).code, 0);
    let middle = tree(&ws);
    let m = Mock::start(vec![Reply::text("just talk")]);
    assert_eq!(mote(&ws, &data, &m, &["-c", "-p", "second"]).code, 0);
    let m = Mock::start(vec![
        edit("src/b.txt", "changed", "edited"),
        Reply::text("three"),
    ]);
    assert_eq!(mote(&ws, &data, &m, &["-c", "-p", "third"]).code, 0);
    let out = mote(&ws, &data, &Mock::start(vec![]), &["-c", "--rewind", "4"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("has 3 prompt(s)"), "{}", out.stderr);
    let out = mote(&ws, &data, &Mock::start(vec![]), &["-c", "--rewind", "2"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(tree(&ws), middle, "{}", out.stdout);
    assert!(out.stdout.contains("took 2 prompt(s)"), "{}", out.stdout);
    let out = mote(&ws, &data, &Mock::start(vec![]), &["-c", "--rewind", "1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(tree(&ws), start, "{}", out.stdout);
}

#[test]
fn a_hostile_repository_config_runs_nothing_during_checkpoints() {
    let (ws, data) = repo("hostile");
    let marker = ws.parent().unwrap().join("ran");
    let evil = ws.parent().unwrap().join("evil.sh");
    std::fs::write(
        &evil,
        format!("#!/bin/sh\necho \"$0 $*\" >> {}\ncat\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&evil, std::fs::Permissions::from_mode(0o755)).unwrap();
    let e = evil.display();
    let mut config = std::fs::read_to_string(ws.join(".git/config")).unwrap();
    config.push_str(&format!(
        "[core]\n\tfsmonitor = {e}\n[filter \"x\"]\n\tclean = {e}\n\tsmudge = {e}\n[diff \"x\"]\n\ttextconv = {e}\n\tcommand = {e}\n[commit]\n\tgpgSign = true\n[gpg]\n\tprogram = {e}\n"
    ));
    std::fs::write(ws.join(".git/config"), config).unwrap();
    std::fs::write(ws.join(".gitattributes"), "* filter=x diff=x\n").unwrap();
    for hook in [
        "post-index-change",
        "reference-transaction",
        "pre-commit",
        "post-commit",
    ] {
        std::fs::copy(&evil, ws.join(".git/hooks").join(hook)).unwrap();
    }
    let before = tree(&ws);
    let m = Mock::start(vec![edit("a.txt", "beta", "BETA"), Reply::text("done")]);
    let out = mote(&ws, &data, &m, &["-p", "edit"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        git(&ws, &["for-each-ref", "refs/mote/checkpoints"]).contains("commit"),
        "no checkpoint: {}",
        out.stderr
    );
    let out = mote(&ws, &data, &Mock::start(vec![]), &["-c", "--undo"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(tree(&ws), before, "{}", out.stdout);
    assert!(
        !marker.exists(),
        "a program from the repository config ran: {}",
        std::fs::read_to_string(&marker).unwrap()
    );
    // The config is live: plain git runs it.
    git(&ws, &["status"]);
    assert!(marker.exists());
}

/// /diff, then /undo in a real terminal: the file the user changed since
/// is asked about (kept on `n`), the other is restored, and /rewind lists
/// what is left.
#[test]
fn interactive_diff_undo_asks_before_overwriting() {
    let ws = tui::workspace("undo");
    git(&ws, &["init", "-q", "-b", "main"]);
    std::fs::write(
        ws.join(".gitignore"),
        "data/\nstate/\nconfig/\nstty.*\nmote.err\n",
    )
    .unwrap();
    std::fs::write(ws.join("a.txt"), "alpha\nbeta\n").unwrap();
    std::fs::write(ws.join("b.txt"), "bee\n").unwrap();
    let m = Mock::start(vec![
        edit("a.txt", "beta", "BETA"),
        bash("rm b.txt"),
        Reply::text("all done"),
    ]);
    let t = tui::start_mote("undo", &ws, &m.base_url(), 100, "--permission auto");
    t.type_text("change them");
    t.keys(&["Enter"]);
    t.wait_text("all done");
    t.type_text("/diff");
    t.keys(&["Enter"]);
    t.wait_text("+BETA");
    assert!(t.screen().contains("-bee"), "{}", t.screen());
    std::fs::write(ws.join("a.txt"), "mine\n").unwrap();
    t.type_text("/undo");
    t.keys(&["Enter"]);
    t.wait_text("overwrite it?");
    t.type_text("n");
    t.wait_text("took 1 prompt(s)");
    let screen = t.screen();
    assert!(
        screen.contains("skipped a.txt") && screen.contains("restored b.txt"),
        "{screen}"
    );
    assert_eq!(std::fs::read_to_string(ws.join("a.txt")).unwrap(), "mine\n");
    assert_eq!(std::fs::read_to_string(ws.join("b.txt")).unwrap(), "bee\n");
    t.type_text("/rewind");
    t.keys(&["Enter"]);
    t.wait_text("no prompts yet");
    t.keys(&["C-d"]);
    t.wait_text("EXIT:0");
}

/// Several prompts, each in its own run, checkpoint through the session's
/// persistent private index: the user's status, stash, index bytes and
/// HEAD stay as they were; each undo still puts every byte back.
#[test]
fn the_private_index_persists_and_the_users_git_is_untouched() {
    let (ws, data) = repo("persist");
    let state = git_state(&ws);
    let mut trees = vec![tree(&ws)];
    let prompts = [
        vec![edit("a.txt", "beta", "BETA"), Reply::text("one")],
        vec![
            bash("rm gone.txt && echo x > extra.txt"),
            Reply::text("two"),
        ],
        vec![edit("src/b.txt", "changed", "edited"), Reply::text("three")],
    ];
    for (i, replies) in prompts.into_iter().enumerate() {
        let mut args = vec!["-p", "go"];
        if i > 0 {
            args.insert(0, "-c");
        }
        let out = mote(&ws, &data, &Mock::start(replies), &args);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!out.stderr.contains("checkpoint"), "{}", out.stderr);
        trees.push(tree(&ws));
        let mut now = git_state(&ws);
        now.0 = state.0.clone(); // the files did change
        assert_eq!(now, state, "prompt {i} wrote the user's git state");
    }
    let sessions = data.join("mote/sessions");
    let undo_dir = std::fs::read_dir(&sessions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "undo"))
        .expect("no ID.undo folder beside the session");
    let mut names: Vec<String> = std::fs::read_dir(&undo_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // One private index, its last snapshot's note, and where the ref is
    // (src/undo/prune.rs).
    assert!(
        names.len() == 3
            && names[0].starts_with("index-")
            && names[1] == format!("{}.last", names[0])
            && names[2] == "repo",
        "{names:?}"
    );
    let repo = std::fs::read(undo_dir.join("repo")).unwrap();
    assert_eq!(repo, ws.as_os_str().as_encoded_bytes());
    for back in (0..3).rev() {
        let out = mote(&ws, &data, &Mock::start(vec![]), &["-c", "--undo"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(tree(&ws), trees[back], "undo to {back}: {}", out.stdout);
    }
    assert_eq!(git_state(&ws), state);
}

/// git's racy-file rule: a file rewritten with the same size in the same
/// second as the user's index was written looks unchanged by its stat
/// data. The private index starts as a copy with the original's mtime, so
/// git still compares its content and the checkpoint holds the new bytes.
#[test]
fn a_racily_clean_file_is_captured_as_it_is() {
    let dir = fresh_dir("undo", "racy");
    let (ws, data) = (dir.join("ws"), dir.join("data"));
    std::fs::create_dir_all(&ws).unwrap();
    git(&ws, &["init", "-q", "-b", "main"]);
    git(&ws, &["config", "user.email", "t@example.com"]);
    git(&ws, &["config", "user.name", "t"]);
    std::fs::write(ws.join("other.txt"), "other\n").unwrap();
    let sec = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(p).unwrap().mtime()
    };
    let mut tries = 0;
    loop {
        // Another text each try, so that each commit has something in it.
        std::fs::write(ws.join("r.txt"), format!("aaa{tries}\n")).unwrap();
        git(&ws, &["add", "-A"]);
        git(&ws, &["commit", "-q", "-m", "r"]);
        // Same size, same inode, and (unless the second turned) same mtime second.
        std::fs::write(ws.join("r.txt"), "bbbb\n").unwrap();
        if sec(&ws.join("r.txt")) == sec(&ws.join(".git/index")) {
            break;
        }
        tries += 1;
        assert!(tries < 10, "could not write within one second");
    }
    // Past that second, the stat data alone says "unchanged".
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let m = Mock::start(vec![edit("other.txt", "other", "OTHER"), Reply::text("ok")]);
    let out = mote(&ws, &data, &m, &["-p", "go"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let snap = git(
        &ws,
        &[
            "for-each-ref",
            "--format=%(refname)",
            "refs/mote/checkpoints",
        ],
    );
    let shown = git(&ws, &["show", &format!("{}~1:r.txt", snap.trim())]);
    assert_eq!(shown, "bbbb\n", "the checkpoint before the prompt");
    let shown = git(&ws, &["show", &format!("{}:r.txt", snap.trim())]);
    assert_eq!(shown, "bbbb\n", "the checkpoint after it");
}

/// `--no-session`: the checkpoints live in a temp directory of the run's
/// own (trees on no ref in git) and /undo works; the directory is gone
/// when mote exits and the repository holds no checkpoint ref.
#[test]
fn undo_works_without_a_saved_session() {
    for in_git in [true, false] {
        let name = if in_git { "nosess-git" } else { "nosess" };
        let ws = tui::workspace(name);
        let tmp = ws.join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        std::fs::write(ws.join("a.txt"), "alpha\nbeta\n").unwrap();
        std::fs::write(ws.join("b.txt"), "bee\n").unwrap();
        if in_git {
            git(&ws, &["init", "-q", "-b", "main"]);
            std::fs::write(
                ws.join(".gitignore"),
                "data/\nstate/\nconfig/\ntmp/\nstty.*\nmote.err\n",
            )
            .unwrap();
        }
        let m = Mock::start(vec![
            edit("a.txt", "beta", "BETA"),
            bash("rm b.txt"),
            Reply::text("all done"),
        ]);
        let env = format!("TMPDIR={}", tmp.display());
        let t = tui::start_mote_env(
            name,
            &ws,
            &m.base_url(),
            100,
            &env,
            "--permission auto --no-session",
        );
        t.type_text("change them");
        t.keys(&["Enter"]);
        t.wait_text("all done");
        assert_eq!(
            std::fs::read_to_string(ws.join("a.txt")).unwrap(),
            "alpha\nBETA\n"
        );
        t.type_text("/undo");
        t.keys(&["Enter"]);
        t.wait_text("took 1 prompt(s)");
        assert_eq!(
            std::fs::read_to_string(ws.join("a.txt")).unwrap(),
            "alpha\nbeta\n",
            "{}",
            t.screen()
        );
        assert_eq!(ws.join("b.txt").exists(), in_git, "{}", t.screen());
        if !in_git {
            assert!(t.screen().contains("not covered"), "{}", t.screen());
        }
        assert!(
            std::fs::read_dir(&tmp).unwrap().next().is_some(),
            "the checkpoints are not in the run's temp directory"
        );
        t.keys(&["C-d"]);
        t.wait_text("EXIT:0");
        let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?}");
        if in_git {
            assert_eq!(git(&ws, &["for-each-ref", "refs/mote"]), "");
        }
    }
}

/// The private index is a cache per repository folder: when the session
/// goes on in another folder (here the repository moved), the new one
/// replaces the old, so they do not pile up beside the session file; the
/// checkpoint ref stays one, and the new prompt still undoes.
#[test]
fn a_private_index_for_an_old_folder_is_removed() {
    let (ws, data) = repo("stale");
    let m = Mock::start(vec![edit("a.txt", "beta", "BETA"), Reply::text("one")]);
    assert_eq!(mote(&ws, &data, &m, &["-p", "first"]).code, 0);
    let sessions = data.join("mote/sessions");
    let undo_dir = std::fs::read_dir(&sessions)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "undo"))
        .unwrap();
    let id = undo_dir.file_stem().unwrap().to_string_lossy().into_owned();
    // The private indexes, each with its `.last` note.
    let indexes = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&undo_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("index-"))
            .collect();
        v.sort();
        v
    };
    let first = indexes();
    assert_eq!(first.len(), 2, "{first:?}");
    let moved = ws.with_file_name("ws-moved");
    std::fs::rename(&ws, &moved).unwrap();
    let before = tree(&moved);
    let m = Mock::start(vec![
        edit("src/b.txt", "changed", "edited"),
        Reply::text("two"),
    ]);
    let out = mote(&moved, &data, &m, &["--resume", &id, "-p", "second"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let now = indexes();
    assert!(
        now.len() == 2 && now.iter().all(|n| !first.contains(n)),
        "{first:?} then {now:?}"
    );
    let refs = git(
        &moved,
        &["for-each-ref", "--format=%(refname)", "refs/mote"],
    );
    assert_eq!(refs.trim(), format!("refs/mote/checkpoints/{id}"));
    let out = mote(
        &moved,
        &data,
        &Mock::start(vec![]),
        &["--resume", &id, "--undo"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(tree(&moved), before, "{}", out.stdout);
}

/// A headless `--no-session` run in git: its checkpoints (private index,
/// temp files) are in a temp directory removed when it exits, and no ref
/// is left in the repository.
#[test]
fn a_headless_run_without_a_session_leaves_no_checkpoints() {
    let (ws, data) = repo("nosess-headless");
    let tmp = ws.parent().unwrap().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let m = Mock::start(vec![edit("a.txt", "beta", "BETA"), Reply::text("done")]);
    let mut c = mote_command();
    c.current_dir(&ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "sk-test")
        .env("XDG_DATA_HOME", &data)
        .env("TMPDIR", &tmp)
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "--permission", "auto"])
        .args(["--no-session", "-p", "go"]);
    let out = common::run(&mut c, HANG, &["--no-session"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("checkpoint"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(ws.join("a.txt")).unwrap(),
        "alpha\nBETA\n"
    );
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert_eq!(git(&ws, &["for-each-ref", "refs/mote"]), "");
    assert!(!data.join("mote/sessions").exists());
}

/// A `-c -p` run whose files are as the last run left them reuses that
/// run's last snapshot (kept beside the private index) for its first
/// checkpoint: no tree written, no ref read, no commit made; only the
/// end-of-prompt snapshot commits. Both checkpoints still undo.
#[test]
fn the_next_run_reuses_the_last_snapshot() {
    let (ws, data) = repo("reuse");
    let bin = ws.parent().unwrap().join("bin");
    let log = ws.parent().unwrap().join("git.log");
    std::fs::create_dir_all(&bin).unwrap();
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v git"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    std::fs::write(
        bin.join("git"),
        format!(
            "#!/bin/sh\necho \"$*\" >> {}\nexec {} \"$@\"\n",
            log.display(),
            real.trim()
        ),
    )
    .unwrap();
    std::fs::set_permissions(bin.join("git"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let m = Mock::start(vec![edit("a.txt", "beta", "BETA"), Reply::text("one")]);
    assert_eq!(mote(&ws, &data, &m, &["-p", "first"]).code, 0);
    let before = tree(&ws);
    let _ = std::fs::remove_file(&log);
    let m = Mock::start(vec![
        edit("src/b.txt", "changed", "edited"),
        Reply::text("two"),
    ]);
    let mut c = mote_command();
    c.current_dir(&ws)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "sk-test")
        .env("XDG_DATA_HOME", &data)
        .env_remove("MOTE_MODEL")
        .args([
            "--model",
            "mock-model",
            "--permission",
            "auto",
            "-c",
            "-p",
            "second",
        ]);
    let out = common::run(&mut c, HANG, &["-c"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let calls = std::fs::read_to_string(&log).unwrap();
    let count = |sub: &str| calls.lines().filter(|l| l.contains(sub)).count();
    assert_eq!(
        (
            count("write-tree"),
            count("commit-tree"),
            count("update-ref"),
            count("--verify")
        ),
        (1, 1, 1, 0),
        "{calls}"
    );
    let commits: Vec<String> = records(&data)
        .into_iter()
        .filter(|r| r.contains("\"type\":\"checkpoint\"") && !r.contains("\"at\":\"prompt\""))
        .collect();
    let id = |r: &String| r.split("\"commit\":\"").nth(1).unwrap()[..40].to_string();
    assert_eq!(commits.len(), 4, "{commits:?}");
    assert_eq!(id(&commits[1]), id(&commits[2]), "{commits:?}");
    let out = mote(&ws, &data, &Mock::start(vec![]), &["-c", "--undo"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(tree(&ws), before, "{}", out.stdout);
}

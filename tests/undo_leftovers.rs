//! What checkpoints leave behind is pruned (src/undo/prune.rs), with the
//! real binary, real git and real processes: a session file deleted by
//! hand loses its `ID.undo` folder and its `refs/mote/checkpoints/ID` ref
//! at the next `--sessions` or the next session's start, while sessions
//! whose file is there (a live one too) keep theirs; a run killed with
//! SIGKILL leaves its `mote-ckpt-PID-N` temp directory, which the next run
//! that checkpoints removes, leaving alone a live process's, a symlink
//! (and what it points to), a plain file, a name off the pattern and
//! another user's.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{fresh_dir, git, mote_command, Out, HANG};
use mock::{Mock, Reply};

/// mote in `ws` against `m`, sessions in `data`, temp files in `tmp`.
fn command(ws: &Path, data: &Path, tmp: &Path, m: &Mock, args: &[&str]) -> Command {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "sk-test")
        .env("XDG_DATA_HOME", data)
        .env("TMPDIR", tmp)
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "--permission", "auto"])
        .args(args);
    c
}

fn mote(ws: &Path, data: &Path, tmp: &Path, m: &Mock, args: &[&str]) -> Out {
    common::run(&mut command(ws, data, tmp, m, args), HANG, args)
}

fn edit(path: &str, old: &str, new: &str) -> Reply {
    Reply::call(
        "edit",
        &format!(r#"{{"path":"{path}","old_text":"{old}","new_text":"{new}"}}"#),
    )
}

/// A repository with one committed file, its sessions folder and a temp folder.
fn repo(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = fresh_dir("leftovers", name);
    let ws = dir.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    git(&ws, &["init", "-q", "-b", "main"]);
    git(&ws, &["config", "user.email", "t@example.com"]);
    git(&ws, &["config", "user.name", "t"]);
    std::fs::write(ws.join("a.txt"), "alpha\nbeta\n").unwrap();
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-q", "-m", "one"]);
    (ws, dir.join("data"), dir.join("tmp"))
}

/// The ids of the saved sessions in `data`.
fn sessions(data: &Path) -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(data.join("mote/sessions"))
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.strip_suffix(".jsonl").map(String::from)
        })
        .collect();
    ids.sort();
    ids
}

/// The session ids that have a checkpoint ref in `ws`.
fn refs(ws: &Path) -> Vec<String> {
    let out = git(
        ws,
        &[
            "for-each-ref",
            "--format=%(refname)",
            "refs/mote/checkpoints",
        ],
    );
    let mut ids: Vec<String> = out
        .lines()
        .filter_map(|l| l.strip_prefix("refs/mote/checkpoints/"))
        .map(String::from)
        .collect();
    ids.sort();
    ids
}

fn sorted<const N: usize>(ids: [&String; N]) -> Vec<String> {
    let mut v: Vec<String> = ids.into_iter().cloned().collect();
    v.sort();
    v
}

fn undo_dir(data: &Path, id: &str) -> PathBuf {
    data.join(format!("mote/sessions/{id}.undo"))
}

fn write(text: &str) -> Reply {
    Reply::call(
        "write",
        &format!(r#"{{"path":"a.txt","content":"{text}\\n"}}"#),
    )
}

/// One write in a new saved session; its id.
fn one_session(ws: &Path, data: &Path, tmp: &Path, text: &str) -> String {
    let before = sessions(data_or_empty(data));
    let m = Mock::start(vec![write(text), Reply::text("done")]);
    let out = mote(ws, data, tmp, &m, &["-p", "edit"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let ids = sessions(data);
    let new: Vec<&String> = ids.iter().filter(|i| !before.contains(i)).collect();
    assert_eq!(new.len(), 1, "{ids:?}");
    new[0].clone()
}

fn data_or_empty(data: &Path) -> &Path {
    std::fs::create_dir_all(data.join("mote/sessions")).unwrap();
    data
}

/// `c` started with no input and its output dropped.
fn quiet(mut c: Command) -> Child {
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Wait until `m` got `n` requests (the child is then mid-session).
fn wait_requests(m: &Mock, n: usize, child: &mut Child) {
    let start = Instant::now();
    while m.requests().len() < n {
        assert!(child.try_wait().unwrap().is_none(), "mote exited early");
        assert!(start.elapsed() < HANG, "mote never got to request {n}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_deleted_session_file_takes_its_checkpoints_with_it() {
    let (ws, data, tmp) = repo("orphans");
    let first = one_session(&ws, &data, &tmp, "ONE");
    let second = one_session(&ws, &data, &tmp, "TWO");
    let third = one_session(&ws, &data, &tmp, "THREE");
    for id in [&first, &second, &third] {
        assert!(undo_dir(&data, id).is_dir(), "{id}: no checkpoint folder");
    }
    assert_eq!(refs(&ws), sorted([&first, &second, &third]));
    // A session from before `repo` was kept gets it at its next snapshot.
    let repo_file = undo_dir(&data, &first).join("repo");
    std::fs::remove_file(&repo_file).unwrap();
    let m = Mock::start(vec![write("AGAIN"), Reply::text("done")]);
    let out = mote(&ws, &data, &tmp, &m, &["--resume", &first, "-p", "again"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read(&repo_file).unwrap(),
        ws.as_os_str().as_encoded_bytes()
    );

    // A live session (its run waits on the model) keeps everything.
    let m = Mock::start(vec![write("LIVE"), Reply::Hang]);
    let mut live = quiet(command(&ws, &data, &tmp, &m, &["-p", "edit"]));
    wait_requests(&m, 2, &mut live);
    let all = sessions(&data);
    let live_id = all.iter().find(|i| ![&first, &second, &third].contains(i));
    let live_id = live_id.unwrap().clone();

    // --sessions prunes the first, whose file the user deleted.
    std::fs::remove_file(data.join(format!("mote/sessions/{first}.jsonl"))).unwrap();
    let out = mote(&ws, &data, &tmp, &Mock::start(vec![]), &["--sessions"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!undo_dir(&data, &first).exists());
    assert_eq!(
        refs(&ws),
        sorted([&second, &third, &live_id]),
        "the first session's ref is gone, the others stay"
    );

    // The next session's start prunes the second.
    std::fs::remove_file(data.join(format!("mote/sessions/{second}.jsonl"))).unwrap();
    let m2 = Mock::start(vec![Reply::text("hi")]);
    assert_eq!(mote(&ws, &data, &tmp, &m2, &["-p", "hi"]).code, 0);
    assert!(!undo_dir(&data, &second).exists());
    assert_eq!(refs(&ws), sorted([&third, &live_id]));
    assert!(undo_dir(&data, &third).is_dir() && undo_dir(&data, &live_id).is_dir());

    live.kill().unwrap();
    live.wait().unwrap();
}

/// The entries of `tmp` named like `mote-ckpt-*`.
fn ckpt_entries(tmp: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("mote-ckpt-"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_killed_run_s_temp_directory_is_removed_by_the_next_run() {
    let (ws, data, tmp) = repo("tmp");
    // An unsaved session keeps its private index in a temp directory for
    // its whole life: SIGKILL leaves it behind.
    let m = Mock::start(vec![edit("a.txt", "beta", "KILLED"), Reply::Hang]);
    let mut killed = quiet(command(
        &ws,
        &data,
        &tmp,
        &m,
        &["--no-session", "-p", "edit"],
    ));
    wait_requests(&m, 2, &mut killed);
    let dead = killed.id();
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();
    let left = ckpt_entries(&tmp);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left[0].starts_with(&format!("mote-ckpt-{dead}-")),
        "{left:?}"
    );
    let (name, left) = (left[0].clone(), tmp.join(&left[0]));
    assert!(std::fs::read_dir(&left).unwrap().count() > 0);

    // What must stay: a live process's directory, a symlink with the
    // dead PID's name (and the files it points to), a plain file with
    // that name, names off the pattern, and (as root) another user's.
    let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
    let live = tmp.join(format!("mote-ckpt-{}-0", sleeper.id()));
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join("index"), "in use").unwrap();
    let victim = tmp.join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("precious"), "keep").unwrap();
    std::os::unix::fs::symlink(&victim, tmp.join(format!("mote-ckpt-{dead}-7"))).unwrap();
    std::fs::write(tmp.join(format!("mote-ckpt-{dead}-8")), "a file").unwrap();
    for odd in [format!("mote-ckpt-{dead}-x"), format!("mote-ckpt-{dead}")] {
        std::fs::create_dir(tmp.join(odd)).unwrap();
    }
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let theirs = tmp.join(format!("mote-ckpt-{dead}-9"));
    if root {
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    }
    let mut expected = ckpt_entries(&tmp);
    expected.retain(|n| *n != name);

    // The next run that checkpoints.
    let m = Mock::start(vec![edit("a.txt", "KILLED", "NEXT"), Reply::text("done")]);
    let out = mote(&ws, &data, &tmp, &m, &["--no-session", "-p", "edit"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(ws.join("a.txt")).unwrap(),
        "alpha\nNEXT\n"
    );
    assert!(!left.exists(), "the killed run's directory stayed");
    assert_eq!(ckpt_entries(&tmp), expected);
    assert_eq!(
        std::fs::read_to_string(victim.join("precious")).unwrap(),
        "keep"
    );
    assert_eq!(
        std::fs::read_to_string(live.join("index")).unwrap(),
        "in use"
    );
    assert!(!root || theirs.is_dir());
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
}

#[test]
fn a_saved_session_s_checkpoints_leave_the_temp_folder_alone() {
    // A saved session's snapshots write symlink targets in its own
    // folder: the shared temp folder is never read (a run would read it
    // whole to prune it: ~70 ms per prompt with 100,000 entries there)
    // nor written, even when a symlink changes.
    let (ws, data, tmp) = repo("saved");
    std::os::unix::fs::symlink("a.txt", ws.join("link")).unwrap();
    git(&ws, &["add", "link"]);
    git(&ws, &["commit", "-q", "-m", "link"]);
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let planted = tmp.join(format!("mote-ckpt-{dead}-0"));
    std::fs::create_dir(&planted).unwrap();
    let bash = r#"{"command":"ln -sf b.txt link && ln -s a.txt new-link"}"#;
    let m = Mock::start(vec![Reply::call("bash", bash), Reply::text("done")]);
    let out = mote(&ws, &data, &tmp, &m, &["-p", "relink"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let names: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(planted.is_dir(), "the temp folder was swept");
    let id = &sessions(&data)[0];
    let kept: Vec<_> = std::fs::read_dir(undo_dir(&data, id))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(kept.iter().all(|n| n != "links"), "{kept:?}");
    let at = format!("refs/mote/checkpoints/{id}");
    for (path, target) in [("link", "b.txt"), ("new-link", "a.txt")] {
        let blob = git(&ws, &["cat-file", "-p", &format!("{at}:{path}")]);
        assert_eq!(blob, target, "{path} in the last checkpoint");
    }
    // What a scan killed midway left there (a folder with a stale target,
    // or a file) is replaced, not an error, and not left; a symlink put
    // there (by anything that could write the session's folder) is
    // removed, never followed: its target folder is untouched.
    let links = undo_dir(&data, id).join("links");
    std::fs::create_dir(&links).unwrap();
    std::fs::write(links.join("link0"), "stale").unwrap();
    let victim = tmp.join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("link0"), "keep").unwrap();
    for (n, target) in [(0, "c.txt"), (1, "d.txt"), (2, "e.txt")] {
        match n {
            1 => std::fs::write(&links, "a file").unwrap(),
            2 => std::os::unix::fs::symlink(&victim, &links).unwrap(),
            _ => {}
        }
        let bash = format!(r#"{{"command":"ln -sf {target} link"}}"#);
        let m = Mock::start(vec![Reply::call("bash", &bash), Reply::text("done")]);
        let out = mote(&ws, &data, &tmp, &m, &["-c", "-p", "relink"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!out.stdout.contains("links"), "{}", out.stdout);
        let blob = git(&ws, &["cat-file", "-p", &format!("{at}:link")]);
        assert_eq!(blob, target, "run {n}: the link in the last checkpoint");
        assert!(
            std::fs::symlink_metadata(&links).is_err(),
            "run {n}: links stayed"
        );
    }
    let kept: Vec<_> = std::fs::read_dir(&victim).unwrap().flatten().collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        std::fs::read_to_string(victim.join("link0")).unwrap(),
        "keep"
    );
}

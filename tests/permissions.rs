//! Permission modes, rules, confinement, the Landlock sandbox and the
//! doom-loop guard, end to end: the real binary in temp workspaces against
//! the mock model, asserting what is (and is not) on disk afterwards and
//! what the model was told.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{fresh_dir, mote_command, run, HANG};
use mock::{Mock, Reply};

fn dir(name: &str) -> PathBuf {
    fresh_dir("perm", name).canonicalize().unwrap()
}

/// Bytes that a careless rewrite would change: no final newline, CRLF, NUL-free binary-ish text.
const ORIGINAL: &[u8] = b"alpha\r\nbeta \xc3\xa9\tgamma";

fn mote(ws: &Path, m: &Mock, args: &[&str], env: &[(&str, &Path)]) -> (i32, String) {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "k")
        .env("XDG_CONFIG_HOME", ws.join(".no-user-config"))
        .env_remove("MOTE_MODEL")
        .args(["--model", "m", "-p", "task"])
        .args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = run(&mut c, HANG, args);
    (out.code, out.stderr)
}

/// The tool results the model saw, in order.
fn results(m: &Mock) -> Vec<String> {
    common::tool_results(m)
}

const LANDLOCK: &str = "a kernel with Landlock (Linux 5.13+, `landlock` in the lsm= list)";

fn landlock() -> bool {
    common::landlock_abi() >= 1
}

/// The same five calls in each mode: write a new file, edit an existing
/// one, run a writing command, run a read-only command, answer.
fn session() -> Vec<Reply> {
    vec![
        Reply::call("write", r#"{"path":"new.txt","content":"made"}"#),
        Reply::call(
            "edit",
            r#"{"path":"keep.txt","old_text":"alpha","new_text":"omega"}"#,
        ),
        Reply::call("bash", r#"{"command":"touch by-bash"}"#),
        Reply::call("bash", r#"{"command":"cat keep.txt | wc -c"}"#),
        Reply::text("done"),
    ]
}

#[test]
fn headless_run_in_each_mode() {
    for mode in ["read-only", "cautious", "standard", "auto"] {
        let ws = dir(mode);
        std::fs::write(ws.join("keep.txt"), ORIGINAL).unwrap();
        let m = Mock::start(session());
        let (code, err) = mote(&ws, &m, &["--permission", mode], &[]);
        assert_eq!(code, 0, "{mode}: {err}");
        let r = results(&m);
        assert_eq!(r.len(), 4, "{mode}: {r:?}");
        let keep = std::fs::read(ws.join("keep.txt")).unwrap();
        let (wrote, edited, touched) = (
            ws.join("new.txt").exists(),
            keep != ORIGINAL,
            ws.join("by-bash").exists(),
        );
        match mode {
            "read-only" | "cautious" => {
                assert!(!wrote && !edited && !touched, "{mode}: {r:?}");
                assert_eq!(keep, ORIGINAL, "{mode}: a denied edit changed bytes");
                assert!(
                    r[0].starts_with("permission denied: `write`"),
                    "{mode}: {}",
                    r[0]
                );
                assert!(
                    r[1].starts_with("permission denied: `edit`"),
                    "{mode}: {}",
                    r[1]
                );
            }
            "standard" => {
                assert!(wrote && edited && !touched, "{r:?}");
                assert!(
                    r[2].contains("not proven read-only: `touch` is not a known read-only program"),
                    "{}",
                    r[2]
                );
                assert!(
                    r[2].ends_with("--permission auto would allow it"),
                    "{}",
                    r[2]
                );
            }
            _ => assert!(wrote && edited && touched, "{r:?}"),
        }
        match mode {
            "cautious" => {
                assert!(
                    r[2].contains("cautious mode asks before every command"),
                    "{}",
                    r[2]
                );
                assert!(r[3].starts_with("permission denied: `bash`"), "{}", r[3]);
            }
            // The read-only command runs everywhere else (in read-only mode, in the sandbox).
            _ => assert!(
                r[3].contains(&format!("{}\nexit code: 0", keep.len())),
                "{mode}: {}",
                r[3]
            ),
        }
        if mode == "read-only" {
            if common::require("landlock", landlock(), LANDLOCK) {
                assert!(
                    r[2].contains("[sandbox denial: the command ran in the read-only sandbox"),
                    "{}",
                    r[2]
                );
            } else {
                assert!(r[2].contains("not allowed in read-only mode"), "{}", r[2]);
            }
        }
    }
}

#[test]
fn landlock_blocks_touch_outside_the_workspace_but_not_inside() {
    if !common::require("landlock", landlock(), LANDLOCK) {
        return;
    }
    let ws = dir("sandbox");
    let outside = dir("sandbox-outside");
    // The temp dir is writable in the sandbox: point it into the workspace.
    let tmp = ws.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    // New files directly in the root are not for commands (grants.rs).
    std::fs::create_dir_all(ws.join("src")).unwrap();
    let cmd = |target: &Path| format!(r#"{{"command":"touch {}"}}"#, target.display());
    let m = Mock::start(vec![
        Reply::call("bash", &cmd(&ws.join("src/inside"))),
        Reply::call("bash", &cmd(&outside.join("escaped"))),
        Reply::call("bash", r#"{"command":"touch $TMPDIR/scratch"}"#),
        Reply::text("done"),
    ]);
    let (code, err) = mote(
        &ws,
        &m,
        &["--permission", "auto", "--sandbox", "workspace-write"],
        &[("TMPDIR", &tmp)],
    );
    assert_eq!(code, 0, "{err}");
    let r = results(&m);
    assert!(ws.join("src/inside").exists(), "{r:?}");
    assert!(!outside.join("escaped").exists(), "{r:?}");
    assert!(tmp.join("scratch").exists(), "{r:?}");
    assert!(r[0].ends_with("exit code: 0"), "{}", r[0]);
    assert!(
        r[1].contains("Permission denied") && r[1].contains("[sandbox denial:"),
        "{}",
        r[1]
    );
    // Without the sandbox the same command succeeds outside: the denial was the sandbox.
    let m = Mock::start(vec![
        Reply::call("bash", &cmd(&outside.join("escaped"))),
        Reply::text("done"),
    ]);
    let (code, _) = mote(&ws, &m, &["--permission", "auto"], &[]);
    assert_eq!(code, 0);
    assert!(outside.join("escaped").exists());
}

#[test]
fn symlinks_out_and_protected_paths_are_refused() {
    let ws = dir("links");
    let outside = dir("links-outside");
    std::fs::write(outside.join("target.txt"), ORIGINAL).unwrap();
    std::os::unix::fs::symlink(&outside, ws.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.join("target.txt"), ws.join("t.txt")).unwrap();
    std::fs::create_dir_all(ws.join(".git")).unwrap();
    std::fs::write(ws.join(".git/config"), ORIGINAL).unwrap();
    let m = Mock::start(vec![
        Reply::call("write", r#"{"path":"out/new.txt","content":"x"}"#),
        Reply::call("write", r#"{"path":"t.txt","content":"x"}"#),
        Reply::call("read", r#"{"path":"out/target.txt"}"#),
        Reply::call(
            "edit",
            r#"{"path":".git/config","old_text":"alpha","new_text":"x"}"#,
        ),
        Reply::text("done"),
    ]);
    let (code, err) = mote(&ws, &m, &["--permission", "auto"], &[]);
    assert_eq!(code, 0, "{err}");
    let r = results(&m);
    assert!(!outside.join("new.txt").exists());
    assert_eq!(std::fs::read(outside.join("target.txt")).unwrap(), ORIGINAL);
    assert_eq!(std::fs::read(ws.join(".git/config")).unwrap(), ORIGINAL);
    for x in &r[..3] {
        assert!(
            x.starts_with("permission denied") && x.contains("outside the workspace"),
            "{x}"
        );
    }
    assert!(r[3].contains("is protected in every mode"), "{}", r[3]);
}

#[test]
fn config_rules_deny_allow_and_open_external_directories() {
    let ws = dir("rules");
    let ext = dir("rules-ext");
    std::fs::write(ext.join("notes.txt"), "external notes").unwrap();
    std::fs::write(ws.join("keep.txt"), ORIGINAL).unwrap();
    std::fs::create_dir_all(ws.join(".mote")).unwrap();
    let conf = format!(
        r#"{{"permissions":{{"allow":["bash(touch allowed-file)","read({}/**)"],"deny":["bash(rm:*)"]}}}}"#,
        ext.display()
    );
    std::fs::write(ws.join(".mote/config.json"), conf).unwrap();
    // Not trusted (src/trust.rs): the project's allow rules are left out
    // with a warning; its deny rules hold.
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"touch allowed-file"}"#),
        Reply::call("bash", r#"{"command":"rm keep.txt"}"#),
        Reply::text("done"),
    ]);
    let (code, err) = mote(&ws, &m, &[], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("not using permissions.allow in") && err.contains("--trust"),
        "{err}"
    );
    let r = results(&m);
    assert!(!ws.join("allowed-file").exists(), "{}", r[0]);
    assert!(r[1].contains("deny rule `bash(rm:*)`"), "{}", r[1]);
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"touch allowed-file && touch other"}"#),
        Reply::call("bash", r#"{"command":"touch allowed-file"}"#),
        Reply::call("bash", r#"{"command":"cat keep.txt; rm keep.txt"}"#),
        Reply::call(
            "read",
            &format!(r#"{{"path":"{}/notes.txt"}}"#, ext.display()),
        ),
        Reply::text("done"),
    ]);
    let (code, err) = mote(&ws, &m, &["--trust"], &[]);
    assert_eq!(code, 0, "{err}");
    let r = results(&m);
    assert!(
        r[0].starts_with("permission denied") && !ws.join("other").exists(),
        "{}",
        r[0]
    );
    assert!(ws.join("allowed-file").exists(), "{}", r[1]);
    assert!(
        r[2].contains("forbidden by the deny rule `bash(rm:*)`"),
        "{}",
        r[2]
    );
    assert_eq!(std::fs::read(ws.join("keep.txt")).unwrap(), ORIGINAL);
    assert!(r[3].contains("external notes"), "{}", r[3]);
    // In auto mode the deny rule still holds.
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"rm keep.txt"}"#),
        Reply::text("done"),
    ]);
    let (code, _) = mote(&ws, &m, &["--permission", "auto"], &[]);
    assert_eq!(code, 0);
    assert!(ws.join("keep.txt").exists());
    // A broken rule is a configuration error.
    std::fs::write(
        ws.join(".mote/config.json"),
        r#"{"permissions":{"allow":["bash(x"]}}"#,
    )
    .unwrap();
    let (code, err) = mote(&ws, &Mock::start(vec![Reply::text("x")]), &["--trust"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("permission rule `bash(x`: missing `)`"),
        "{err}"
    );
}

#[test]
fn doom_loop_ends_the_run_with_its_own_exit_code() {
    let ws = dir("doom");
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"echo hi >> log"}"#);
        6
    ]);
    let (code, err) = mote(&ws, &m, &["--permission", "auto"], &[]);
    assert_eq!(code, 8, "{err}");
    assert!(
        err.contains("the model called `bash` with the same arguments 3 times in a row"),
        "{err}"
    );
    assert_eq!(m.requests().len(), 3);
    // The third call did not run.
    assert_eq!(std::fs::read_to_string(ws.join("log")).unwrap(), "hi\nhi\n");
}

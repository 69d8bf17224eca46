//! Integration tests for prompt modes, context files, prompt templates and
//! loop tasks: the real binary in temp repositories against the mock model,
//! asserting the recorded request bodies, files on disk and exit codes.
//! Each run gets its own empty config dir, so the tester's own
//! ~/.config/mote cannot leak in.

#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mock::json::{parse, Value};
use mock::{Mock, Reply};

fn bin() -> PathBuf {
    std::env::var_os("MOTE_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mote")))
}

/// A temp dir holding `repo/` (a git repository, by its `.git` dir) and
/// `config/` (the user config dir's parent, as $XDG_CONFIG_HOME).
fn setup(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mote-modes-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("repo/.git")).unwrap();
    std::fs::create_dir_all(d.join("config/mote")).unwrap();
    d
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Run mote in `dir` with `root` as its sandbox of config; over 60 s is a hang.
fn mote(root: &Path, dir: &Path, m: &Mock, args: &[&str]) -> Out {
    let mut child = Command::new(bin())
        .current_dir(dir)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "test-key")
        .env("XDG_CONFIG_HOME", root.join("config"))
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("mote hung for 60 s with {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The messages of request `i`, as (role, content).
fn messages(m: &Mock, i: usize) -> Vec<(String, String)> {
    let reqs = m.requests();
    let r = reqs.get(i).unwrap_or_else(|| panic!("no request {i}; got {}", reqs.len()));
    let b: Value = parse(&r.body).unwrap_or_else(|e| panic!("request {i} is not JSON: {e}"));
    let msgs = b.get("messages").and_then(|v| v.as_array()).unwrap().to_vec();
    msgs.iter()
        .map(|v| {
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            (s("role"), s("content"))
        })
        .collect()
}

fn system(m: &Mock, i: usize) -> String {
    let msgs = messages(m, i);
    assert_eq!(msgs[0].0, "system");
    msgs[0].1.clone()
}

#[test]
fn context_files_reach_the_request_in_order() {
    let d = setup("context");
    let sub = d.join("repo/sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(d.join("config/mote/AGENTS.md"), "USER-RULE: be terse").unwrap();
    std::fs::write(d.join("repo/AGENTS.md"), "ROOT-RULE: run make check").unwrap();
    std::fs::write(sub.join("CLAUDE.md"), "SUB-RULE: no unsafe").unwrap();
    std::fs::write(d.join("AGENTS.md"), "OUTSIDE-RULE").unwrap();
    let m = Mock::start(vec![Reply::text("ok"), Reply::text("ok")]);
    let o = mote(&d, &sub, &m, &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s = system(&m, 0);
    let at = |w: &str| s.find(w).unwrap_or_else(|| panic!("{w} not in the system prompt:\n{s}"));
    assert!(at("USER-RULE") < at("ROOT-RULE") && at("ROOT-RULE") < at("SUB-RULE"));
    assert!(s.contains(&format!("## {}", sub.join("CLAUDE.md").display())), "{s}");
    assert!(!s.contains("OUTSIDE-RULE"));

    let o = mote(&d, &sub, &m, &["-p", "hi", "--no-context-files"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s = system(&m, 1);
    assert!(!s.contains("-RULE"), "{s}");
}

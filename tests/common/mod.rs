//! What the integration tests share: the binary under test (MOTE_BIN, run
//! under MOTE_RUNNER when it is built for another architecture), fresh temp
//! dirs, the demo project and its script, and the one way to run mote: with
//! XDG dirs in a temp dir, so no test reads or writes the tester's home, and
//! with a time limit, so a hang fails the test instead of blocking the suite.
//! Each test file includes it with `mod common;`, beside `mod mock;`.

#![allow(dead_code)] // each test binary uses its own share of these

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::mock::json::{parse, Value};
use crate::mock::{Mock, Reply};

mod require;
#[allow(unused_imports)] // not every suite states a prerequisite
pub use require::require;

/// How long one run of mote may take before it counts as a hang.
pub const HANG: Duration = Duration::from_secs(60);

pub fn bin() -> PathBuf {
    std::env::var_os("MOTE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mote")))
}

/// A command running mote; under MOTE_RUNNER (e.g. `qemu-aarch64-static`)
/// when the binary is for another architecture; with `temp_xdg`.
pub fn mote_command() -> Command {
    let mut c = match std::env::var_os("MOTE_RUNNER").filter(|r| !r.is_empty()) {
        Some(runner) => {
            let mut c = Command::new(runner);
            c.arg(bin());
            c
        }
        None => Command::new(bin()),
    };
    temp_xdg(&mut c);
    c
}

/// mote in `ws` with a home of its own (`HOME`; config, state and data in
/// `home/.config`, `home/state`, `home/data`) against the mock `m`, model `m`.
#[allow(dead_code)]
pub fn mote_at_home(ws: &Path, home: &Path, m: &Mock) -> Command {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "k")
        .env_remove("MOTE_MODEL")
        .args(["--model", "m"]);
    c
}

/// Point XDG_DATA_HOME, XDG_STATE_HOME and XDG_CONFIG_HOME into a temp dir
/// of this test process (empty unless a run writes there), so mote never
/// touches the tester's home; a test that looks at one sets its own after.
pub fn temp_xdg(c: &mut Command) -> &mut Command {
    let xdg = std::env::temp_dir().join(format!("mote-xdg-{}", std::process::id()));
    c.env("XDG_DATA_HOME", xdg.join("data"))
        .env("XDG_STATE_HOME", xdg.join("state"))
        .env("XDG_CONFIG_HOME", xdg.join("config"))
}

/// A fresh empty dir `$TMPDIR/mote-{prefix}-{pid}-{name}`.
pub fn fresh_dir(prefix: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mote-{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Copy the demo project's files (tests/demo/project) into the dir `to`.
pub fn copy_demo(to: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/demo/project");
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// The model's side of the demo task (tests/demo/script.txt).
pub fn demo_replies() -> Vec<Reply> {
    crate::mock::script::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/demo/script.txt"
    ))
    .unwrap()
}

/// The demo task is done: greet.sh is fixed and its test passes.
pub fn assert_fixed(ws: &Path) {
    let greet = std::fs::read_to_string(ws.join("greet.sh")).unwrap();
    assert!(
        greet.contains("${1:-world}"),
        "greet.sh not fixed:\n{greet}"
    );
    let test = Command::new("sh")
        .arg("test.sh")
        .current_dir(ws)
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "test.sh still fails: {}",
        String::from_utf8_lossy(&test.stdout)
    );
}

/// How a run ended.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `c` with no stdin and its output captured; see `wait`.
pub fn run(c: &mut Command, limit: Duration, args: &[&str]) -> Out {
    wait(
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        limit,
        args,
    )
}

/// Wait for `child`; a run over `limit` is a hang: it is killed and the test
/// fails, naming `args`.
pub fn wait(mut child: Child, limit: Duration, args: &[&str]) -> Out {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("mote hung for {} s with {args:?}", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The body of request `i` to `m`, parsed.
pub fn body(m: &Mock, i: usize) -> Value {
    let reqs = m.requests();
    let r = reqs
        .get(i)
        .unwrap_or_else(|| panic!("no request {i}; got {}", reqs.len()));
    parse(&r.body).unwrap_or_else(|e| panic!("request {i} is not JSON: {e}"))
}

/// The tool results the model saw in the last request to `m`, in order.
pub fn tool_results(m: &Mock) -> Vec<String> {
    let last = body(m, m.requests().len().saturating_sub(1));
    let msgs = last.get("messages").and_then(|v| v.as_array()).unwrap();
    msgs.iter()
        .filter(|v| v.get("role").and_then(|r| r.as_str()) == Some("tool"))
        .map(|v| {
            v.get("content")
                .and_then(|c| c.as_str())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

/// The Landlock ABI version of this kernel (0: none).
pub fn landlock_abi() -> i64 {
    // SAFETY: the version query takes no ruleset and writes nothing.
    unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    }
    .max(0)
}

/// Run git in `dir`; its stdout (the test fails if git does).
#[allow(dead_code)]
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

//! The budget check: runs the static release binary against the mock model
//! and asserts binary size and peak RSS. Peak RSS comes from the OS
//! (`wait4`'s rusage of the child), never from inside mote. Prints a table
//! of figures. Run with `make bench` (which builds the static binary).
//!
//! The allocator comparison builds a second binary with `--features
//! mimalloc` and measures it the same way, so the choice of musl's malloc is
//! re-checked on every run.

#[path = "../tests/mock/mod.rs"]
mod mock;
#[path = "../tests/tui/mod.rs"]
mod tui;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mock::{Item, Mock, Reply};

const MIB: u64 = 1024 * 1024;
const BUDGET_BINARY: u64 = 2 * MIB + MIB / 2;
const BUDGET_VERSION_RSS: u64 = 3 * MIB / 2;
const BUDGET_SESSION_RSS: u64 = 4 * MIB;
const BUDGET_FIRST_REQUEST: usize = 5 * 1024;
// The interactive mode, idle at its prompt after one turn.
const BUDGET_IDLE_RSS: u64 = 3 * MIB / 2;
const IDLE_SECS: u64 = 5;

struct Run {
    status: i32,
    max_rss: u64,
    cpu_ms: u64,
    stdout: String,
}

/// Run `cmd` to its end. Its peak RSS is the VmHWM of the exec'd image,
/// read from /proc while the child is stopped at exit (PTRACE_O_TRACEEXIT):
/// `ru_maxrss` would also count the RSS of the bench process the child was
/// forked from, since Linux carries it over exec. CPU time comes from wait4.
fn measure(cmd: &mut Command) -> Run {
    use std::os::unix::process::CommandExt;
    let out = tempfile("stdout");
    unsafe {
        cmd.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd
        .stdout(Stdio::from(std::fs::File::create(&out).unwrap()))
        .stderr(Stdio::inherit())
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id() as i32;
    let mut status = 0;
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    let mut hwm_kib = 0u64;
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut ru) };
        assert_eq!(r, pid, "wait4 failed");
        if !libc::WIFSTOPPED(status) {
            break;
        }
        let sig = libc::WSTOPSIG(status);
        let mut pass = 0;
        if sig == libc::SIGTRAP && (status >> 16) == libc::PTRACE_EVENT_EXIT {
            let st = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            hwm_kib = st
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
        } else if sig == libc::SIGTRAP && hwm_kib == 0 {
            // The stop after exec: from here on, report the exit.
            unsafe { libc::ptrace(libc::PTRACE_SETOPTIONS, pid, 0, libc::PTRACE_O_TRACEEXIT) };
        } else {
            pass = sig;
        }
        unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, pass) };
    }
    assert!(hwm_kib > 0, "no VmHWM read for the child");
    let tv_ms = |tv: libc::timeval| tv.tv_sec as u64 * 1000 + tv.tv_usec as u64 / 1000;
    Run {
        status: if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 },
        max_rss: hwm_kib * 1024,
        cpu_ms: tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime),
        stdout: std::fs::read_to_string(&out).unwrap_or_default(),
    }
}

fn tempfile(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mote-bench-{}-{name}", std::process::id()))
}

/// The 14-turn task: read ten 40 KB files (~115k tokens of context), read a
/// small one, run a command, edit, answer.
fn session(bin: &Path) -> (Run, usize, usize) {
    let ws = tempfile("ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    for i in 0..10 {
        let mut text = String::new();
        let mut n = 0;
        while text.len() < 40 * 1024 {
            text.push_str(&format!("fn f{i}_{n}(x: u64) -> u64 {{ x.wrapping_mul({n}) ^ 0x5eed }} // filler line\n"));
            n += 1;
        }
        std::fs::write(ws.join(format!("big{i}.rs")), text).unwrap();
    }
    std::fs::write(ws.join("main.rs"), "fn main() {\n    println!(\"helo\");\n}\n").unwrap();
    let call = |name: &str, args: &str| Item::Call { name: name.into(), args: args.into() };
    let mut replies: Vec<Reply> = (0..10)
        .map(|i| Reply::Turn { items: vec![call("read", &format!(r#"{{"path":"big{i}.rs"}}"#))], finish: None })
        .collect();
    replies.push(Reply::Turn { items: vec![call("read", r#"{"path":"main.rs"}"#)], finish: None });
    replies.push(Reply::Turn { items: vec![call("bash", r#"{"command":"wc -l main.rs big0.rs"}"#)], finish: None });
    replies.push(Reply::Turn {
        items: vec![
            Item::Text("Fixing the typo.".into()),
            call("edit", r#"{"path":"main.rs","old_text":"helo","new_text":"hello"}"#),
        ],
        finish: None,
    });
    replies.push(Reply::Turn { items: vec![Item::Text("Fixed the greeting in main.rs.".into())], finish: None });
    let m = Mock::start(replies);
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env_remove("OPENAI_API_KEY")
            .args(["-p", "Read the big files, then fix the greeting.", "--model", "mock", "--permission", "auto"]),
    );
    let reqs = m.requests();
    let fixed = std::fs::read_to_string(ws.join("main.rs")).unwrap_or_default();
    assert!(fixed.contains("\"hello\""), "the session did not edit main.rs: {fixed}");
    let first = reqs.first().map_or(0, |r| r.body.len());
    let last = reqs.last().map_or(0, |r| r.body.len());
    assert_eq!(reqs.len(), 14, "expected 14 requests");
    let _ = std::fs::remove_dir_all(&ws);
    (run, first, last)
}

/// utime + stime of `pid`, in clock ticks, from /proc/PID/stat.
fn cpu_ticks(pid: i32) -> u64 {
    let st = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
    let rest = &st[st.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

fn vm_rss(pid: i32) -> u64 {
    let st = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = st
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// The interactive mode in tmux: one turn against the mock, then idle at
/// the prompt. Returns (RSS at the fresh prompt, RSS idle after the turn,
/// CPU ticks used over IDLE_SECS of idling).
fn idle(bin: &Path) -> (u64, u64, u64) {
    let ws = tempfile("idle-ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    let m = Mock::start(vec![Reply::text("Hello from the mock. **Bold** and `code`.")]);
    let cmd = format!(
        "exec env -u MOTE_MODEL OPENAI_BASE_URL={} OPENAI_API_KEY=k XDG_STATE_HOME={} {} --model mock-model",
        m.base_url(),
        tui::sh_quote(&ws.join("state").to_string_lossy()),
        tui::sh_quote(&bin.to_string_lossy())
    );
    let t = tui::Tmux::start("idle", &ws, 100, 30, &cmd);
    t.wait_text("/help for commands");
    let pid = t.pane_pid();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let fresh = vm_rss(pid);
    t.type_text("say hello");
    t.keys(&["Enter"]);
    t.wait_text(" out · context");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let before = cpu_ticks(pid);
    std::thread::sleep(std::time::Duration::from_secs(IDLE_SECS));
    let ticks = cpu_ticks(pid) - before;
    let rss = vm_rss(pid);
    t.keys(&["C-d"]);
    let _ = std::fs::remove_dir_all(&ws);
    (fresh, rss, ticks)
}

fn kib(b: u64) -> String {
    format!("{:.0} KiB", b as f64 / 1024.0)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = std::env::var_os("MOTE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/x86_64-unknown-linux-musl/release/mote"));
    assert!(bin.exists(), "{} is missing: run `make bench`", bin.display());

    let mut failures = Vec::new();
    let mut check = |what: &str, ok: bool| {
        if !ok {
            failures.push(what.to_string());
        }
    };
    let size = std::fs::metadata(&bin).unwrap().len();
    let version = measure(Command::new(&bin).arg("--version"));
    assert_eq!(version.status, 0);
    let (sess, first_req, last_req) = session(&bin);
    assert_eq!(sess.status, 0, "session failed: {}", sess.stdout);

    println!("\nmote budget (static musl release, musl malloc)");
    println!("{:<34} {:>12} {:>12}", "figure", "measured", "budget");
    println!("{:<34} {:>12} {:>12}", "binary size", kib(size), kib(BUDGET_BINARY));
    println!("{:<34} {:>12} {:>12}", "peak RSS, --version", kib(version.max_rss), kib(BUDGET_VERSION_RSS));
    println!("{:<34} {:>12} {:>12}", "peak RSS, 14-turn session", kib(sess.max_rss), kib(BUDGET_SESSION_RSS));
    println!("{:<34} {:>9} ms {:>12}", "CPU time, 14-turn session", sess.cpu_ms, "-");
    println!("{:<34} {:>8} bytes {:>6} bytes", "first request (prompt + tools)", first_req, BUDGET_FIRST_REQUEST);
    println!("{:<34} {:>8} bytes {:>12}", "last request (whole context)", last_req, "-");
    check("binary size", size <= BUDGET_BINARY);
    check("--version RSS", version.max_rss <= BUDGET_VERSION_RSS);
    check("session RSS", sess.max_rss <= BUDGET_SESSION_RSS);
    check("first request size", first_req <= BUDGET_FIRST_REQUEST);
    let (fresh_rss, idle_rss, idle_ticks) = idle(&bin);
    println!("{:<34} {:>12} {:>12}", "RSS, interactive, fresh prompt", kib(fresh_rss), "-");
    println!("{:<34} {:>12} {:>12}", "RSS, interactive, idle after turn", kib(idle_rss), kib(BUDGET_IDLE_RSS));
    println!("{:<34} {:>6} ticks {:>6} ticks", format!("CPU, interactive, {IDLE_SECS} s idle"), idle_ticks, 0);
    check("idle interactive RSS", idle_rss <= BUDGET_IDLE_RSS);
    check("idle interactive CPU", idle_ticks == 0);

    // The allocator comparison: the same runs with mimalloc.
    if std::env::var_os("MOTE_BENCH_SKIP_MIMALLOC").is_none() {
        let dir = root.join("target/bench-mimalloc");
        let built = Command::new(env!("CARGO"))
            .current_dir(root)
            .args(["build", "--quiet", "--release", "--target", "x86_64-unknown-linux-musl", "--features", "mimalloc"])
            .arg("--target-dir")
            .arg(&dir)
            .status();
        let mi = dir.join("x86_64-unknown-linux-musl/release/mote");
        if built.is_ok_and(|s| s.success()) && mi.exists() {
            let v = measure(Command::new(&mi).arg("--version"));
            let (s, _, _) = session(&mi);
            println!("\nallocator comparison (same runs)   {:>12} {:>12}", "musl malloc", "mimalloc");
            println!("{:<34} {:>12} {:>12}", "binary size", kib(size), kib(std::fs::metadata(&mi).unwrap().len()));
            println!("{:<34} {:>12} {:>12}", "peak RSS, --version", kib(version.max_rss), kib(v.max_rss));
            println!("{:<34} {:>12} {:>12}", "peak RSS, 14-turn session", kib(sess.max_rss), kib(s.max_rss));
            println!("{:<34} {:>9} ms {:>9} ms", "CPU time, 14-turn session", sess.cpu_ms, s.cpu_ms);
        } else {
            println!("\n(mimalloc build failed; allocator comparison skipped)");
        }
    }

    if !failures.is_empty() {
        eprintln!("\nBUDGET EXCEEDED: {}", failures.join(", "));
        std::process::exit(1);
    }
    println!("\nall budgets held");
}

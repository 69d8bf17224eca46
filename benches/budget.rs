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
// The budgets of the developers' brief: 2.5 MiB binary (goal 2 MiB),
// 1 MiB --version, 3 MiB session.
const BUDGET_BINARY: u64 = 5 * MIB / 2;
const BUDGET_VERSION_RSS: u64 = MIB;
const BUDGET_SESSION_RSS: u64 = 3 * MIB;
/// The 300-turn compacting session (sessions issue): the core 4 MiB.
const BUDGET_LONG_SESSION_RSS: u64 = 4 * MIB;
const BUDGET_FIRST_REQUEST: usize = 5 * 1024;
const BUDGET_MCP_RSS: u64 = 3 * MIB;
/// Start-up to the first request byte, over a trivial static binary's exec.
const BUDGET_STARTUP_RATIO: f64 = 10.0;
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
    // Reaped by the wait4 loop below, which also reads the exit status.
    #[allow(clippy::zombie_processes)]
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
        status: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
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
            text.push_str(&format!(
                "fn f{i}_{n}(x: u64) -> u64 {{ x.wrapping_mul({n}) ^ 0x5eed }} // filler line\n"
            ));
            n += 1;
        }
        std::fs::write(ws.join(format!("big{i}.rs")), text).unwrap();
    }
    std::fs::write(
        ws.join("main.rs"),
        "fn main() {\n    println!(\"helo\");\n}\n",
    )
    .unwrap();
    let call = |name: &str, args: &str| Item::Call {
        name: name.into(),
        args: args.into(),
    };
    let mut replies: Vec<Reply> = (0..10)
        .map(|i| Reply::Turn {
            items: vec![call("read", &format!(r#"{{"path":"big{i}.rs"}}"#))],
            finish: None,
        })
        .collect();
    replies.push(Reply::Turn {
        items: vec![call("read", r#"{"path":"main.rs"}"#)],
        finish: None,
    });
    replies.push(Reply::Turn {
        items: vec![call("bash", r#"{"command":"wc -l main.rs big0.rs"}"#)],
        finish: None,
    });
    replies.push(Reply::Turn {
        items: vec![
            Item::Text("Fixing the typo.".into()),
            call(
                "edit",
                r#"{"path":"main.rs","old_text":"helo","new_text":"hello"}"#,
            ),
        ],
        finish: None,
    });
    replies.push(Reply::Turn {
        items: vec![Item::Text("Fixed the greeting in main.rs.".into())],
        finish: None,
    });
    let m = Mock::start(replies);
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env_remove("OPENAI_API_KEY")
            .env("XDG_DATA_HOME", tempfile("data"))
            .args([
                "-p",
                "Read the big files, then fix the greeting.",
                "--model",
                "mock",
                "--permission",
                "auto",
                "--no-context-files",
            ]),
    );
    let reqs = m.requests();
    let fixed = std::fs::read_to_string(ws.join("main.rs")).unwrap_or_default();
    assert!(
        fixed.contains("\"hello\""),
        "the session did not edit main.rs: {fixed}"
    );
    let first = reqs.first().map_or(0, |r| r.body.len());
    let last = reqs.last().map_or(0, |r| r.body.len());
    assert_eq!(reqs.len(), 14, "expected 14 requests");
    let _ = std::fs::remove_dir_all(&ws);
    (run, first, last)
}

/// mote with two MCP servers configured (server-everything and
/// server-filesystem, from tests/mcp/setup.sh): three turns, two MCP calls.
/// Only mote's own RSS is measured (the Node servers are ~70 MB each).
/// `None` when npm could not install the servers.
fn mcp_session(bin: &Path, root: &Path) -> Option<Run> {
    let setup = Command::new("bash")
        .arg(root.join("tests/mcp/setup.sh"))
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !setup.status.success() {
        return None;
    }
    let nm = PathBuf::from(String::from_utf8_lossy(&setup.stdout).trim());
    let ws = tempfile("mcp-ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    let ws = ws.canonicalize().unwrap();
    std::fs::write(ws.join("a.txt"), "x").unwrap();
    let conf = format!(
        r#"{{"mcpServers":{{"every":{{"command":"{}"}},"fs":{{"command":"{}","args":["{}"]}}}}}}"#,
        nm.join(".bin/mcp-server-everything").display(),
        nm.join(".bin/mcp-server-filesystem").display(),
        ws.display()
    );
    std::fs::write(ws.join(".mcp.json"), conf).unwrap();
    let call = |name: &str, args: &str| Reply::Turn {
        items: vec![Item::Call {
            name: name.into(),
            args: args.into(),
        }],
        finish: None,
    };
    let m = Mock::start(vec![
        call("mcp__every__echo", r#"{"message":"hi"}"#),
        call(
            "mcp__fs__list_directory",
            &format!(r#"{{"path":"{}"}}"#, ws.display()),
        ),
        Reply::Turn {
            items: vec![Item::Text("done".into())],
            finish: None,
        },
    ]);
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env("XDG_STATE_HOME", ws.join("state"))
            .env("XDG_DATA_HOME", ws.join("data"))
            .env_remove("OPENAI_API_KEY")
            .args([
                "-p",
                "Use the MCP tools.",
                "--model",
                "mock",
                "--permission",
                "auto",
            ]),
    );
    let reqs = m.requests();
    assert_eq!(reqs.len(), 3, "expected 3 requests in the MCP session");
    assert!(
        reqs[2].body.contains("Echo: hi") && reqs[2].body.contains("[FILE] a.txt"),
        "MCP results missing"
    );
    let _ = std::fs::remove_dir_all(&ws);
    Some(run)
}

/// Median of `n` timings of `f`, in microseconds.
fn median_us(n: usize, mut f: impl FnMut() -> std::time::Duration) -> f64 {
    let mut v: Vec<f64> = (0..n).map(|_| f().as_secs_f64() * 1e6).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[n / 2]
}

/// Start-up cost as a ratio, so machine noise cancels: the time from spawn
/// to mote's first request byte, over the time to spawn and reap a trivial
/// static binary (built here with musl-gcc), measured alternately.
fn startup_ratio(bin: &Path) -> Option<(f64, f64, f64)> {
    use std::io::Read;
    use std::time::Instant;
    let dir = tempfile("true");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(dir.join("true.c"), "int main(void) { return 0; }\n").ok()?;
    let ok = Command::new("musl-gcc")
        .args(["-static", "-O2", "-o"])
        .arg(dir.join("true"))
        .arg(dir.join("true.c"))
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return None;
    }
    let trivial = dir.join("true");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
    let url = format!("http://{}/v1", listener.local_addr().ok()?);
    let (mut t_true, mut t_mote) = (Vec::new(), Vec::new());
    for _ in 0..25 {
        let t = Instant::now();
        Command::new(&trivial).status().ok()?;
        t_true.push(t.elapsed());
        let t = Instant::now();
        let mut child = Command::new(bin)
            .args([
                "-p",
                "hi",
                "-m",
                "m",
                "--retries",
                "0",
                "--no-session",
                "--base-url",
                &url,
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let (mut conn, _) = listener.accept().ok()?;
        let mut byte = [0u8; 1];
        conn.read_exact(&mut byte).ok()?;
        t_mote.push(t.elapsed());
        drop(conn);
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut it = t_true.into_iter();
    let a = median_us(25, || it.next().unwrap_or_default());
    let mut it = t_mote.into_iter();
    let b = median_us(25, || it.next().unwrap_or_default());
    let _ = std::fs::remove_dir_all(&dir);
    Some((b / a, b, a))
}

/// The 300-turn task (sessions): each turn reads an 8 KB file, ~600k
/// tokens in all, so the default 128k context window is compacted several
/// times; the session file is written throughout. Every reply is a text
/// (which serves as the summary when the request is a summarisation) and a
/// call; --max-turns 300 ends it. Returns the run, requests, compactions.
fn long_session(bin: &Path) -> (Run, usize, usize) {
    let ws = tempfile("ws300");
    let data = tempfile("data300");
    let _ = std::fs::remove_dir_all(&ws);
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&ws).unwrap();
    for i in 0..20 {
        let line = format!(
            "// file {i}: filler text standing in for source code, eighty bytes a line....\n"
        );
        std::fs::write(
            ws.join(format!("f{i}.rs")),
            line.repeat(8 * 1024 / line.len()),
        )
        .unwrap();
    }
    let replies: Vec<Reply> = (0..360)
        .map(|i| Reply::Turn {
            items: vec![
                Item::Text(format!(
                    "## Goal\nRead every file.\n## Progress\nRead up to f{}.rs.",
                    i % 20
                )),
                Item::Call {
                    name: "read".into(),
                    args: format!(r#"{{"path":"f{}.rs"}}"#, i % 20),
                },
            ],
            finish: None,
        })
        .collect();
    let m = Mock::start(replies);
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env_remove("OPENAI_API_KEY")
            .env("XDG_DATA_HOME", &data)
            .args([
                "-p",
                "Read every file, again and again.",
                "--model",
                "mock",
                "--permission",
                "auto",
            ])
            .args(["--max-turns", "300"]),
    );
    let reqs = m.requests().len();
    let mut compactions = 0;
    for e in std::fs::read_dir(data.join("mote/sessions")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        compactions += text
            .lines()
            .filter(|l| l.starts_with("{\"type\":\"compact\""))
            .count();
    }
    let _ = std::fs::remove_dir_all(&ws);
    let _ = std::fs::remove_dir_all(&data);
    (run, reqs, compactions)
}

/// utime + stime of `pid`, in clock ticks, from /proc/PID/stat.
fn cpu_ticks(pid: i32) -> u64 {
    let st = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
    let rest = &st[st.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// A `/proc/PID/status` figure in bytes (VmRSS, RssAnon, RssFile).
fn status_field(pid: i32, field: &str) -> u64 {
    let st = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = st
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

fn vm_rss(pid: i32) -> u64 {
    status_field(pid, "VmRSS")
}

/// The interactive mode in tmux: one turn against the mock, then idle at
/// the prompt. Returns (RSS at the fresh prompt, RSS idle after the turn,
/// CPU ticks used over IDLE_SECS of idling).
fn idle(bin: &Path) -> (u64, u64, u64, u64, u64) {
    let ws = tempfile("idle-ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    let m = Mock::start(vec![Reply::text(
        "Hello from the mock. **Bold** and `code`.",
    )]);
    let cmd = format!(
        "exec env -u MOTE_MODEL OPENAI_BASE_URL={} OPENAI_API_KEY=k XDG_STATE_HOME={} {} --model mock-model --no-session",
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
    let (anon, file) = (status_field(pid, "RssAnon"), status_field(pid, "RssFile"));
    t.keys(&["C-d"]);
    let _ = std::fs::remove_dir_all(&ws);
    (fresh, rss, ticks, anon, file)
}

fn kib(b: u64) -> String {
    format!("{:.0} KiB", b as f64 / 1024.0)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = std::env::var_os("MOTE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/x86_64-unknown-linux-musl/release/mote"));
    assert!(
        bin.exists(),
        "{} is missing: run `make bench`",
        bin.display()
    );

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
    let (long, long_reqs, compactions) = long_session(&bin);
    assert_eq!(
        long.status, 5,
        "the 300-turn session should stop at --max-turns"
    );
    assert!(
        compactions >= 3 && long_reqs == 300 + compactions,
        "{long_reqs} requests, {compactions} compactions"
    );

    println!("\nmote budget (static musl release, musl malloc)");
    println!("{:<34} {:>12} {:>12}", "figure", "measured", "budget");
    println!(
        "{:<34} {:>12} {:>12}",
        "binary size",
        kib(size),
        kib(BUDGET_BINARY)
    );
    println!(
        "{:<34} {:>12} {:>12}",
        "peak RSS, --version",
        kib(version.max_rss),
        kib(BUDGET_VERSION_RSS)
    );
    println!(
        "{:<34} {:>12} {:>12}",
        "peak RSS, 14-turn session",
        kib(sess.max_rss),
        kib(BUDGET_SESSION_RSS)
    );
    println!(
        "{:<34} {:>9} ms {:>12}",
        "CPU time, 14-turn session", sess.cpu_ms, "-"
    );
    println!(
        "{:<34} {:>12} {:>12}",
        "peak RSS, 300 turns, compacting",
        kib(long.max_rss),
        kib(BUDGET_LONG_SESSION_RSS)
    );
    println!(
        "{:<34} {:>9} ms {:>12}",
        "CPU time, 300 turns", long.cpu_ms, "-"
    );
    println!(
        "{:<34} {:>12} {:>12}",
        "compactions in 300 turns", compactions, "-"
    );
    println!(
        "{:<34} {:>8} bytes {:>6} bytes",
        "first request (prompt + tools)", first_req, BUDGET_FIRST_REQUEST
    );
    println!(
        "{:<34} {:>8} bytes {:>12}",
        "last request (whole context)", last_req, "-"
    );
    match startup_ratio(&bin) {
        Some((ratio, mote_us, true_us)) => {
            println!(
                "{:<34} {:>9.1} x  ({:.0} us to the first byte; a trivial static exec: {:.0} us)",
                "start-up to first request byte", ratio, mote_us, true_us
            );
            check("start-up ratio", ratio <= BUDGET_STARTUP_RATIO);
        }
        None => println!("(start-up ratio skipped: musl-gcc could not build the trivial binary)"),
    }
    check("binary size", size <= BUDGET_BINARY);
    check("--version RSS", version.max_rss <= BUDGET_VERSION_RSS);
    check("session RSS", sess.max_rss <= BUDGET_SESSION_RSS);
    check(
        "300-turn session RSS",
        long.max_rss <= BUDGET_LONG_SESSION_RSS,
    );
    check("first request size", first_req <= BUDGET_FIRST_REQUEST);
    match mcp_session(&bin, root) {
        Some(r) => {
            assert_eq!(r.status, 0, "MCP session failed: {}", r.stdout);
            println!(
                "{:<34} {:>12} {:>12}",
                "peak RSS, 2 MCP servers, 2 calls",
                kib(r.max_rss),
                kib(BUDGET_MCP_RSS)
            );
            check("MCP session RSS", r.max_rss <= BUDGET_MCP_RSS);
        }
        None => println!("(MCP servers could not be installed from npm: MCP RSS not measured)"),
    }
    let (fresh_rss, idle_rss, idle_ticks, idle_anon, idle_file) = idle(&bin);
    println!(
        "{:<34} {:>12} {:>12}",
        "RSS, interactive, fresh prompt",
        kib(fresh_rss),
        "-"
    );
    println!(
        "{:<34} {:>12} {:>12}",
        "RSS, interactive, idle after turn",
        kib(idle_rss),
        kib(BUDGET_IDLE_RSS)
    );
    println!(
        "{:<34} {:>12} {:>12}",
        "  of which private (RssAnon)",
        kib(idle_anon),
        "-"
    );
    println!(
        "{:<34} {:>12} {:>12}",
        "  of which file-backed (RssFile)",
        kib(idle_file),
        "-"
    );
    println!(
        "{:<34} {:>6} ticks {:>6} ticks",
        format!("CPU, interactive, {IDLE_SECS} s idle"),
        idle_ticks,
        0
    );
    check("idle interactive RSS", idle_rss <= BUDGET_IDLE_RSS);
    check("idle interactive CPU", idle_ticks == 0);

    // The allocator comparison: the same runs with mimalloc.
    if std::env::var_os("MOTE_BENCH_SKIP_MIMALLOC").is_none() {
        let dir = root.join("target/bench-mimalloc");
        let built = Command::new(env!("CARGO"))
            .current_dir(root)
            .args([
                "build",
                "--quiet",
                "--release",
                "--target",
                "x86_64-unknown-linux-musl",
                "--features",
                "mimalloc",
            ])
            .arg("--target-dir")
            .arg(&dir)
            .status();
        let mi = dir.join("x86_64-unknown-linux-musl/release/mote");
        if built.is_ok_and(|s| s.success()) && mi.exists() {
            let v = measure(Command::new(&mi).arg("--version"));
            let (s, _, _) = session(&mi);
            println!(
                "\nallocator comparison (same runs)   {:>12} {:>12}",
                "musl malloc", "mimalloc"
            );
            println!(
                "{:<34} {:>12} {:>12}",
                "binary size",
                kib(size),
                kib(std::fs::metadata(&mi).unwrap().len())
            );
            println!(
                "{:<34} {:>12} {:>12}",
                "peak RSS, --version",
                kib(version.max_rss),
                kib(v.max_rss)
            );
            println!(
                "{:<34} {:>12} {:>12}",
                "peak RSS, 14-turn session",
                kib(sess.max_rss),
                kib(s.max_rss)
            );
            println!(
                "{:<34} {:>9} ms {:>9} ms",
                "CPU time, 14-turn session", sess.cpu_ms, s.cpu_ms
            );
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

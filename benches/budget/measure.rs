//! How the bench measures a run of the real binary: peak RSS as the
//! process's own VmHWM read from /proc while it is stopped at exit (ptrace
//! PTRACE_O_TRACEEXIT), CPU from wait4, and /proc figures of a live process.
//! wait4's ru_maxrss is never used for RSS: Linux carries the forking
//! process's figure over exec, so it would count the bench itself.

use std::path::PathBuf;
use std::process::{ChildStdin, ChildStdout, Command, Stdio};

pub struct Run {
    pub status: i32,
    pub max_rss: u64,
    pub cpu_ms: u64,
    /// User CPU alone (what the process computed, not the kernel's work for it).
    pub user_ms: u64,
    pub stdout: String,
}

/// Run `cmd` to its end. Its peak RSS is the VmHWM of the exec'd image,
/// read from /proc while the child is stopped at exit (PTRACE_O_TRACEEXIT):
/// `ru_maxrss` would also count the RSS of the bench process the child was
/// forked from, since Linux carries it over exec. CPU time comes from wait4.
pub fn measure(cmd: &mut Command) -> Run {
    let out = tempfile("stdout");
    let mut run = trace(spawn_traced(cmd, &out));
    run.stdout = std::fs::read_to_string(&out).unwrap_or_default();
    run
}

/// Start `cmd` traced, its stdout to the file `out`; its pid. Reaped by
/// the caller's wait4 loop, which also reads the exit status.
fn spawn_traced(cmd: &mut Command, out: &std::path::Path) -> i32 {
    traced(cmd);
    #[allow(clippy::zombie_processes)]
    let child = cmd
        .stdout(Stdio::from(std::fs::File::create(out).unwrap()))
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn");
    child.id() as i32
}

/// Like `measure`, with the child's stdin and stdout piped to `drive`,
/// which talks to it on its own thread (a protocol client, such as an ACP
/// editor) while this one traces it; `drive` also gets the child's pid.
/// Returns the run and what `drive` returned.
pub fn measure_driven<T: Send + 'static>(
    cmd: &mut Command,
    drive: impl FnOnce(ChildStdin, ChildStdout, i32) -> T + Send + 'static,
) -> (Run, T) {
    traced(cmd);
    #[allow(clippy::zombie_processes)]
    let mut child = cmd
        .stdout(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn");
    let (i, o) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
    let pid = child.id() as i32;
    let driver = std::thread::spawn(move || drive(i, o, pid));
    let run = trace(child.id() as i32);
    (run, driver.join().expect("the driver thread panicked"))
}

/// The child stops after exec for its tracer (this process).
fn traced(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    unsafe {
        cmd.pre_exec(|| {
            if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Run the traced child `pid` to its end; VmHWM read at its exit stop.
fn trace(pid: i32) -> Run {
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
        user_ms: tv_ms(ru.ru_utime),
        stdout: String::new(),
    }
}

pub fn tempfile(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("mote-bench-{}-{name}", std::process::id()))
}

/// utime + stime of `pid`, in clock ticks, from /proc/PID/stat.
pub fn cpu_ticks(pid: i32) -> u64 {
    let st = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
    let rest = &st[st.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// A `/proc/PID/status` number: kB figures (VmRSS, RssAnon, RssFile) in
/// bytes, counts (voluntary_ctxt_switches) as they are.
pub fn status_field(pid: i32, field: &str) -> u64 {
    let st = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let v = st
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
        .trim();
    match v.strip_suffix("kB") {
        Some(kb) => kb.trim().parse::<u64>().unwrap() * 1024,
        None => v.parse().unwrap(),
    }
}

/// A process tree's run: the root's figures and each mote descendant's
/// own peak RSS, all read the same way (VmHWM at its exit stop).
pub struct Tree {
    pub root: Run,
    /// Peak RSS of each descendant whose command name is `mote`, in exit order.
    pub children: Vec<u64>,
}

/// Like `measure`, tracing the whole tree: forks, clones and execs of the
/// root and its descendants are followed (PTRACE_O_TRACEFORK and friends),
/// and every process is stopped at its exit to read its VmHWM.
pub fn measure_tree(cmd: &mut Command) -> Tree {
    let out = tempfile("tree-stdout");
    let root = spawn_traced(cmd, &out);
    let opts = libc::PTRACE_O_TRACEEXIT
        | libc::PTRACE_O_TRACEFORK
        | libc::PTRACE_O_TRACEVFORK
        | libc::PTRACE_O_TRACECLONE
        | libc::PTRACE_O_TRACEEXEC;
    let mut tree = Tree {
        root: Run {
            status: -1,
            max_rss: 0,
            cpu_ms: 0,
            user_ms: 0,
            stdout: String::new(),
        },
        children: Vec::new(),
    };
    let mut started = false;
    loop {
        let mut status = 0;
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let pid = unsafe { libc::wait4(-1, &mut status, libc::__WALL, &mut ru) };
        if pid < 0 {
            break; // no traced process left
        }
        if !libc::WIFSTOPPED(status) {
            if pid == root {
                let tv_ms = |tv: libc::timeval| tv.tv_sec as u64 * 1000 + tv.tv_usec as u64 / 1000;
                tree.root.cpu_ms = tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime);
                tree.root.status = if libc::WIFEXITED(status) {
                    libc::WEXITSTATUS(status)
                } else {
                    -1
                };
            }
            continue;
        }
        let sig = libc::WSTOPSIG(status);
        let event = status >> 16;
        let mut pass = 0;
        if pid == root && !started && sig == libc::SIGTRAP && event == 0 {
            // The root's stop after exec: follow everything from here.
            started = true;
            unsafe { libc::ptrace(libc::PTRACE_SETOPTIONS, pid, 0, opts) };
        } else if sig == libc::SIGTRAP && event == libc::PTRACE_EVENT_EXIT {
            let hwm = status_field(pid, "VmHWM");
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if pid == root {
                tree.root.max_rss = hwm;
            } else if comm.trim() == "mote" {
                tree.children.push(hwm);
            }
        } else if sig == libc::SIGTRAP && event != 0 {
            // fork, clone, exec events: nothing to pass on.
        } else if sig == libc::SIGSTOP && pid != root {
            // A new tracee's first stop.
        } else {
            pass = sig;
        }
        unsafe { libc::ptrace(libc::PTRACE_CONT, pid, 0, pass) };
    }
    tree.root.stdout = std::fs::read_to_string(&out).unwrap_or_default();
    tree
}

//! The sandbox's gaps from issue 18, each as the attack a model would run
//! through the bash tool: UDP and unix-socket sends, keystroke injection
//! into a terminal (also from a job left running), sethostname as root,
//! jobs that outlive their command, the temp dir they may write, and the
//! note that tells the model a failure was the sandbox. A missing
//! prerequisite (Landlock, root, python3) fails the test with a message: it
//! never passes unseen.

use super::*;
use crate::json::write::quote;
use crate::sandbox::Mode;
use crate::tool::write::tests::tmp_ws;
use std::os::unix::net::UnixListener;

fn need_landlock() {
    if let Err(e) = crate::sandbox::abi() {
        panic!("this test needs Landlock, and {e}");
    }
}

fn need_python() {
    let ok = Command::new("python3")
        .arg("-c")
        .arg("pass")
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "this test needs python3 on PATH");
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn bash_in(mode: Mode, name: &str, cmd: &str) -> String {
    let (_d, mut ws) = tmp_ws(name);
    ws.sandbox = mode;
    let args = Args::parse(&format!("{{\"command\":{}}}", quote(cmd))).unwrap();
    run(&args, &ws).unwrap_or_else(|e| e)
}

#[test]
fn no_udp_or_unix_socket_traffic_from_a_sandbox() {
    need_landlock();
    need_python();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let port = udp.local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("mote-sock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s");
    let unix = UnixListener::bind(&path).unwrap();
    unix.set_nonblocking(true).unwrap();
    let send = format!(
        "echo leak > /dev/udp/127.0.0.1/{port}; python3 -c \"import socket; s=socket.socket(socket.AF_UNIX); s.connect('{}'); s.send(b'leak')\"",
        path.display()
    );
    let mut buf = [0u8; 16];
    // Without a sandbox both arrive: the test can see a leak.
    bash_in(Mode::Off, "sock-off", &send);
    assert!(
        udp.recv(&mut buf).is_ok(),
        "UDP did not arrive without a sandbox"
    );
    assert!(
        unix.accept().is_ok(),
        "unix connect failed without a sandbox"
    );
    for mode in [Mode::ReadOnly, Mode::WorkspaceWrite] {
        let out = bash_in(mode, "sock", &send);
        assert!(udp.recv(&mut buf).is_err(), "{mode:?}: UDP got out: {out}");
        assert!(
            unix.accept().is_err(),
            "{mode:?}: a unix socket connected: {out}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh pseudo-terminal: (master, slave, slave's path).
fn pty() -> (OwnedFd, OwnedFd, String) {
    let (mut m, mut s) = (0, 0);
    // SAFETY: openpty fills the two ints; the other pointers may be null.
    let r = unsafe {
        libc::openpty(
            &mut m,
            &mut s,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(r, 0, "openpty: {}", io::Error::last_os_error());
    let path = std::fs::read_link(format!("/proc/self/fd/{s}")).unwrap();
    // Raw mode: every injected byte counts at once, not only whole lines.
    // SAFETY: termios is plain data filled by tcgetattr.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        libc::tcgetattr(s, &mut t);
        libc::cfmakeraw(&mut t);
        libc::tcsetattr(s, libc::TCSANOW, &t);
    }
    // SAFETY: both descriptors are fresh and ours.
    unsafe {
        (
            OwnedFd::from_raw_fd(m),
            OwnedFd::from_raw_fd(s),
            path.display().to_string(),
        )
    }
}

/// Bytes waiting in the terminal's input queue (what a shell would read).
fn queued(slave: &OwnedFd) -> i32 {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int.
    unsafe { libc::ioctl(slave.as_raw_fd(), libc::FIONREAD, &mut n) };
    n
}

#[test]
fn commands_cannot_push_keystrokes_into_a_terminal() {
    need_landlock();
    need_python();
    let (_m, slave, path) = pty();
    let inject = format!(
        "python3 -c \"import os,fcntl,termios; fd=os.open('{path}', os.O_RDWR); [fcntl.ioctl(fd, termios.TIOCSTI, bytes([c])) for c in b'echo pwned\\n']; print('injected')\""
    );
    if is_root() {
        // Root may use TIOCSTI on any terminal: the test can see a success.
        let b = b'x';
        // SAFETY: TIOCSTI reads one byte.
        let r = unsafe { libc::ioctl(slave.as_raw_fd(), libc::TIOCSTI, &b) };
        assert_eq!(r, 0, "TIOCSTI: {}", io::Error::last_os_error());
        assert_eq!(queued(&slave), 1);
        let mut drain = [0u8; 8];
        // SAFETY: reading into a local buffer.
        unsafe { libc::read(slave.as_raw_fd(), drain.as_mut_ptr().cast(), 8) };
    }
    for mode in [Mode::Off, Mode::ReadOnly, Mode::WorkspaceWrite] {
        let out = bash_in(mode, "tiocsti", &inject);
        assert!(!out.contains("injected"), "{mode:?}: {out}");
        // A job left behind tries after the command has ended.
        let out = bash_in(
            mode,
            "tiocsti-bg",
            &format!("(sleep 0.5; {inject}) & echo started"),
        );
        assert!(out.contains("started"), "{out}");
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(
            queued(&slave),
            0,
            "{mode:?}: keystrokes reached the terminal"
        );
    }
}

#[test]
fn root_in_a_sandbox_has_no_capabilities() {
    need_landlock();
    assert!(
        is_root(),
        "this test needs root (it checks that a root command loses its capabilities)"
    );
    // Setting the hostname to itself changes nothing, but needs CAP_SYS_ADMIN.
    let cmd = "hostname \"$(hostname)\" && echo set; grep CapEff /proc/self/status";
    let out = bash_in(Mode::Off, "caps-off", cmd);
    assert!(
        out.contains("set"),
        "root could not set the hostname unsandboxed: {out}"
    );
    for mode in [Mode::ReadOnly, Mode::WorkspaceWrite] {
        let out = bash_in(mode, "caps", cmd);
        assert!(!out.contains("set\n"), "{mode:?}: {out}");
        assert!(out.contains("CapEff:\t0000000000000000"), "{mode:?}: {out}");
    }
}

#[test]
fn jobs_end_with_their_command() {
    need_landlock();
    for mode in [Mode::Off, Mode::ReadOnly] {
        let out = bash_in(
            mode,
            "jobs",
            "sleep 30 & echo $!; (setsid sleep 30 &) ; true",
        );
        let pid: libc::pid_t = out.lines().next().unwrap_or("").parse().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let alive = stat
            .rsplit_once(") ")
            .is_some_and(|(_, r)| !r.starts_with('Z'));
        assert!(
            !alive,
            "{mode:?}: background job {pid} outlived its command"
        );
    }
    // In a sandbox, a job cannot leave the command's session to survive it.
    let out = bash_in(Mode::ReadOnly, "setsid", "setsid sleep 30; echo rc=$?");
    assert!(
        out.contains("rc=1") || out.contains("not permitted"),
        "{out}"
    );
}

#[test]
fn workspace_write_keeps_config_that_runs_programs_read_only() {
    need_landlock();
    let (d, mut ws) = tmp_ws("planted-sandbox");
    for sub in [
        ".git/hooks",
        ".git/objects",
        ".mote",
        ".claude",
        "src",
        "sub/.git",
    ] {
        std::fs::create_dir_all(d.join(sub)).unwrap();
    }
    for f in [
        ".git/config",
        ".mcp.json",
        ".mote/config.json",
        "sub/.git/config",
    ] {
        std::fs::write(d.join(f), "original").unwrap();
    }
    ws.sandbox = Mode::WorkspaceWrite;
    let attempt = |cmd: &str| {
        let args = Args::parse(&format!("{{\"command\":{}}}", quote(cmd))).unwrap();
        run(&args, &ws).unwrap_or_else(|e| e)
    };
    for f in [
        ".git/config",
        ".mcp.json",
        ".mote/config.json",
        "sub/.git/config",
    ] {
        let out = attempt(&format!("echo planted > {f}"));
        assert_eq!(
            std::fs::read_to_string(d.join(f)).unwrap(),
            "original",
            "{f}: {out}"
        );
        let out = attempt(&format!("rm -f {f} && echo planted > {f}"));
        assert_eq!(
            std::fs::read_to_string(d.join(f)).unwrap(),
            "original",
            "{f}: {out}"
        );
    }
    for f in [
        ".git/hooks/pre-commit",
        ".claude/settings.json",
        "new-top-level",
    ] {
        let out = attempt(&format!("echo planted > {f}"));
        assert!(!d.join(f).exists(), "{f}: {out}");
    }
    // The rest of the workspace, and git's object store, stay writable.
    let out = attempt("echo ok > src/a && echo ok > .git/objects/b && mkdir build");
    assert!(out.ends_with("exit code: 0"), "{out}");
    let out = attempt("echo ok > build/c");
    assert!(
        out.ends_with("exit code: 0"),
        "a directory made by a command is writable by the next: {out}"
    );
}

#[test]
fn a_denial_note_follows_only_a_failure_that_looks_like_the_sandbox() {
    need_landlock();
    let out = bash_in(Mode::ReadOnly, "note-ro", "touch made");
    assert!(out.contains("Permission denied"), "{out}");
    assert!(
        out.ends_with("[sandbox denial: the command ran in the read-only sandbox (no writes anywhere, no sockets); this error comes from the sandbox, not from file permissions, so retrying the same way will fail again]"),
        "{out}"
    );
    let (d, mut ws) = tmp_ws("note-ww");
    ws.sandbox = Mode::WorkspaceWrite;
    let args = Args::parse(r#"{"command":"touch made"}"#).unwrap();
    let out = run(&args, &ws).unwrap_or_else(|e| e);
    let root = format!("(writes only in {} and ", d.display());
    assert!(
        out.contains("[sandbox denial: the command ran in the workspace-write sandbox ")
            && out.contains(&root),
        "{out}"
    );
    // A success that prints the words, and a failure that does not, get no note.
    for cmd in ["echo Permission denied", "echo failed; exit 3"] {
        let out = bash_in(Mode::ReadOnly, "note-none", cmd);
        assert!(!out.contains("[sandbox denial"), "{cmd}: {out}");
    }
}

#[test]
fn sandboxed_commands_get_their_writable_temp_dir_as_tmpdir() {
    need_landlock();
    let (d, mut ws) = tmp_ws("tmpdir");
    ws.sandbox = Mode::WorkspaceWrite;
    let args = Args::parse(r#"{"command":"printf '%s\\n' \"$TMPDIR\"; mktemp"}"#).unwrap();
    let out = run(&args, &ws).unwrap_or_else(|e| e);
    let scratch = crate::sandbox::scratch(&d);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(scratch.to_str().unwrap()), "{out}");
    let made = lines.next().unwrap_or("");
    assert!(
        made.starts_with(scratch.to_str().unwrap()) && Path::new(made).is_file(),
        "{out}"
    );
    assert!(out.ends_with("exit code: 0"), "{out}");
    let _ = std::fs::remove_file(made);
    // Unsandboxed, the command inherits mote's own TMPDIR (or none).
    ws.sandbox = Mode::Off;
    let args = Args::parse(r#"{"command":"printf '[%s]\\n' \"${TMPDIR-unset}\""}"#).unwrap();
    let inherited = std::env::var("TMPDIR").unwrap_or_else(|_| "unset".into());
    assert_eq!(
        run(&args, &ws).unwrap(),
        format!("[{inherited}]\nexit code: 0")
    );
}

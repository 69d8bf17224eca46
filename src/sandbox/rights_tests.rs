//! Each Landlock right the workspace-write ruleset handles, seen from a
//! command: what it may do in the workspace and may not do outside (write,
//! remove, make, rename across directories, truncate, signal), plus the
//! small helpers around the ruleset (mode names, scratch dir, denial guess).
//! Written from the mutants `make mutants SETS=sandbox` found unchecked.

use super::*;
use std::os::unix::process::CommandExt;
use std::process::Command;

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mote-rights-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d.canonicalize().unwrap()
}

/// Run `cmd` in bash restricted to `rs`: did it succeed?
fn ok(rs: &Ruleset, cmd: &str) -> bool {
    let mut c = Command::new("bash");
    c.arg("-c").arg(cmd);
    let fd = rs.raw();
    // SAFETY: only syscalls in the child.
    unsafe {
        c.pre_exec(move || restrict(fd));
    }
    c.output().unwrap().status.success()
}

fn need_abi() -> u32 {
    abi().unwrap_or_else(|e| panic!("this test needs Landlock, and {e}"))
}

#[test]
fn modes_parse_from_their_labels() {
    let modes = [Mode::Off, Mode::ReadOnly, Mode::WorkspaceWrite];
    let labels: Vec<&str> = modes.iter().map(|m| m.label()).collect();
    assert_eq!(labels, ["off", "read-only", "workspace-write"]);
    for m in modes {
        assert_eq!(Mode::parse(m.label()), Some(m));
    }
    assert_eq!(Mode::parse("workspace"), None);
    assert!(Mode::Off.confines() < Mode::WorkspaceWrite.confines());
    assert!(Mode::WorkspaceWrite.confines() < Mode::ReadOnly.confines());
}

#[test]
fn the_abi_is_the_kernels() {
    // SAFETY: the version query takes no attribute pointer.
    let kernel = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    };
    assert!(kernel >= 1, "this test needs Landlock");
    assert_eq!(abi(), Ok(kernel as u32));
}

#[test]
fn every_version_from_1_is_an_abi() {
    // ABI 1 (Linux 5.13 to 5.18) included; the kernel here may be newer.
    let none = || io::Error::from_raw_os_error(0);
    assert_eq!(version(1, none()), Ok(1));
    assert_eq!(version(6, none()), Ok(6));
    let nosys = version(-1, io::Error::from_raw_os_error(libc::ENOSYS));
    assert_eq!(nosys, Err("the kernel has no Landlock".to_string()));
    assert!(version(0, none()).is_err());
}

#[test]
fn workspace_write_grants_each_right_inside_only() {
    let abi = need_abi();
    let ws = tmp("ws");
    let out = tmp("out");
    for d in ["src/d", "src/sub", "lib"] {
        std::fs::create_dir_all(ws.join(d)).unwrap();
    }
    std::fs::create_dir_all(out.join("d")).unwrap();
    for f in ["README", "src/f", "src/g"] {
        std::fs::write(ws.join(f), "old").unwrap();
    }
    std::fs::write(out.join("f"), "old").unwrap();
    // A fifo among the entries: granting it must not open (and block on) it.
    assert!(ok_plain(&format!("mkfifo {}/fifo", ws.display())));
    let rs = ruleset(Mode::WorkspaceWrite, abi, &ws, &[]).unwrap();
    let w = ws.display();
    let o = out.display();
    let truncate = |p: String| format!("python3 -c \"import os; os.truncate('{p}', 0)\"");
    // Inside: every right, each checked on disk.
    for cmd in [
        format!("echo a >> {w}/README"),
        format!("echo b >> {w}/src/f"),
        format!("rmdir {w}/src/d"),
        format!("rm {w}/src/g"),
        // rename(2) itself: mv would fall back to copy and remove.
        format!("python3 -c \"import os; os.rename('{w}/src/f', '{w}/lib/f')\""),
        format!("mkfifo {w}/src/p && ln -s x {w}/src/l && mkdir {w}/src/n"),
        format!("mkdir {w}/newdir"),
        truncate(format!("{w}/README")),
    ] {
        assert!(ok(&rs, &cmd), "refused inside: {cmd}");
    }
    assert_eq!(std::fs::read_to_string(ws.join("lib/f")).unwrap(), "oldb\n");
    assert!(!ws.join("src/d").exists() && !ws.join("src/g").exists());
    assert!(ws.join("src/p").exists() && ws.join("src/n").is_dir() && ws.join("newdir").is_dir());
    assert!(std::fs::symlink_metadata(ws.join("src/l")).is_ok());
    assert_eq!(std::fs::read_to_string(ws.join("README")).unwrap(), "");
    // Outside (and files straight in the workspace root): each refused.
    for cmd in [
        format!("echo x >> {o}/f"),
        format!("rm {o}/f"),
        format!("rmdir {o}/d"),
        format!("mkdir {o}/n"),
        format!("mkfifo {o}/p"),
        format!("ln -s x {o}/l"),
        format!("touch {w}/newfile"),
        truncate(format!("{o}/f")),
    ] {
        assert!(!ok(&rs, &cmd), "allowed outside: {cmd}");
    }
    assert_eq!(std::fs::read_to_string(out.join("f")).unwrap(), "old");
    assert!(out.join("d").is_dir());
    for gone in ["n", "p", "l"] {
        assert!(std::fs::symlink_metadata(out.join(gone)).is_err(), "{gone}");
    }
    assert!(!ws.join("newfile").exists());
    if abi >= 6 {
        // Signals stay inside the sandbox.
        let mut outside = Command::new("sleep")
            .arg("30")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let killed = ok(&rs, &format!("kill -TERM {}", outside.id()));
        let alive = outside.try_wait().unwrap().is_none();
        let _ = outside.kill();
        let _ = outside.wait();
        assert!(!killed && alive, "a sandboxed command signalled outside");
    }
    let _ = std::fs::remove_dir_all(&ws);
    let _ = std::fs::remove_dir_all(&out);
}

/// Run `cmd` in bash without a sandbox: did it succeed?
fn ok_plain(cmd: &str) -> bool {
    Command::new("bash")
        .arg("-c")
        .arg(cmd)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn scratch_is_tmp_unless_the_workspace_is_inside_it() {
    let tmp_dir = std::env::temp_dir().canonicalize().unwrap();
    assert_eq!(scratch(Path::new("/nonexistent-ws")), tmp_dir);
    let ws = tmp("scratch-ws");
    let own = scratch(&ws);
    assert!(
        own.starts_with(&tmp_dir) && own != tmp_dir,
        "{}",
        own.display()
    );
    assert!(!ws.starts_with(&own) && own.is_dir());
    let _ = std::fs::remove_dir_all(&ws);
}

#[test]
fn denials_are_guessed_from_their_messages_only() {
    assert!(looks_denied("touch: cannot touch 'x': Permission denied"));
    assert!(looks_denied("bash: x: Read-only file system"));
    assert!(!looks_denied(
        "ls: cannot access 'x': No such file or directory"
    ));
    assert!(!looks_denied(""));
}

/// Set by `abi_fails_without_landlock` for the copy of this test binary it
/// runs under a seccomp filter that makes Landlock's calls fail.
const NO_LANDLOCK: &str = "MOTE_TEST_NO_LANDLOCK";

#[test]
fn abi_fails_without_landlock() {
    if let Some(errno) = std::env::var_os(NO_LANDLOCK) {
        // The copy: the kernel "has no Landlock" (errno as given).
        let e = abi().expect_err("an ABI reported without Landlock");
        let want = match errno.to_str() {
            Some("38") => "the kernel has no Landlock",
            _ => "Landlock is disabled in this kernel (boot with lsm=landlock,...)",
        };
        assert_eq!(e, want);
        // And a ruleset cannot be made: an error, not a bad descriptor.
        let rs = ruleset(Mode::ReadOnly, 7, Path::new("/"), &[]);
        assert_eq!(
            rs.err().and_then(|e| e.raw_os_error()),
            errno.to_str().and_then(|e| e.parse().ok())
        );
        return;
    }
    for errno in [libc::ENOSYS, libc::EOPNOTSUPP] {
        let mut c = Command::new(std::env::current_exe().unwrap());
        c.args([
            "--exact",
            "sandbox::rights_tests::abi_fails_without_landlock",
        ])
        .env(NO_LANDLOCK, errno.to_string());
        // SAFETY: only syscalls in the child; the filter outlives them.
        unsafe {
            c.pre_exec(move || deny_landlock(errno));
        }
        let out = c.output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "errno {errno}: {text}");
        assert!(text.contains("1 passed"), "{text}");
    }
}

/// In a child: landlock_create_ruleset fails with `errno` from now on.
fn deny_landlock(errno: i32) -> std::io::Result<()> {
    let insn = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let prog = [
        insn(0x20, 0, 0, 0), // ld nr
        insn(0x15, 0, 1, libc::SYS_landlock_create_ruleset as u32),
        insn(0x06, 0, 0, 0x0005_0000 | errno as u32), // errno
        insn(0x06, 0, 0, 0x7fff_0000),                // allow
    ];
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: prctl with a filter that lives through the call.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
            || libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &fprog) != 0
        {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

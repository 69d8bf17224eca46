//! Low-spec reach: the static binary runs with no libc and no other files
//! (an empty root, entered with chroot(2)), and the test task passes inside
//! a 16 MiB memory limit (a memory cgroup where one can be made, otherwise
//! RLIMIT_AS). Both need root for chroot/cgroups; CI runs as root.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{bin, fresh_dir, mote_command};
use mock::{Mock, Reply};

const LIMIT: u64 = 16 * 1024 * 1024;

/// A dynamically linked binary (the debug build) cannot run in an empty root:
/// it has an ELF interpreter (PT_INTERP, program header type 3).
fn is_static(path: &std::path::Path) -> bool {
    let Ok(elf) = std::fs::read(path) else {
        return false;
    };
    let u64_at = |o: usize| {
        elf.get(o..o + 8)
            .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    };
    let u16_at = |o: usize| {
        elf.get(o..o + 2)
            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
    };
    let (phoff, phentsize, phnum) = (
        u64_at(0x20) as usize,
        u16_at(0x36) as usize,
        u16_at(0x3c) as usize,
    );
    !(0..phnum).any(|i| {
        elf.get(phoff + i * phentsize..phoff + i * phentsize + 4) == Some(&3u32.to_le_bytes()[..])
    })
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

fn dir(name: &str) -> PathBuf {
    fresh_dir("low", name)
}

/// A read → edit → answer task that needs no other program.
fn task() -> Vec<Reply> {
    vec![
        Reply::call("read", r#"{"path":"notes.txt"}"#),
        Reply::call(
            "edit",
            r#"{"path":"notes.txt","old_text":"teh","new_text":"the"}"#,
        ),
        Reply::text("Fixed the typo."),
    ]
}

#[test]
fn static_binary_runs_in_an_empty_root() {
    let native = std::env::var_os("MOTE_RUNNER").is_none();
    if !common::require(
        "chroot",
        is_root() && native && is_static(&bin()),
        "runs as root with the native static binary that `make test` builds",
    ) {
        return;
    }
    let root = dir("chroot");
    std::fs::copy(bin(), root.join("mote")).unwrap();
    std::fs::write(root.join("notes.txt"), "read teh manual\n").unwrap();
    let entries: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        entries.len(),
        2,
        "the root holds only the binary and the file"
    );
    let m = Mock::start(task());
    let croot = CString::new(root.as_os_str().to_str().unwrap()).unwrap();
    let mut cmd = Command::new("/mote");
    unsafe {
        cmd.pre_exec(move || {
            if libc::chroot(croot.as_ptr()) != 0 || libc::chdir(c"/".as_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.env_clear()
        .args([
            "-p",
            "fix the typo",
            "--model",
            "m",
            "--base-url",
            &m.base_url(),
        ])
        .stdin(Stdio::null());
    // A fork in another test thread may briefly hold the copy open for
    // writing (ETXTBSY): try again.
    let mut tries = 0;
    let out = loop {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 50 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => break r.unwrap(),
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Fixed the typo.\n");
    assert_eq!(
        std::fs::read_to_string(root.join("notes.txt")).unwrap(),
        "read the manual\n"
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// A memory cgroup limited to LIMIT, v2 or v1, if this machine lets us make one.
fn make_cgroup() -> Option<PathBuf> {
    let name = format!("mote-test-{}", std::process::id());
    for (base, file) in [
        ("/sys/fs/cgroup", "memory.max"),
        ("/sys/fs/cgroup/memory", "memory.limit_in_bytes"),
    ] {
        let base = Path::new(base);
        if !base
            .join(if file == "memory.max" {
                "cgroup.controllers"
            } else {
                "memory.limit_in_bytes"
            })
            .exists()
        {
            continue;
        }
        let cg = base.join(&name);
        if std::fs::create_dir(&cg).is_ok()
            && std::fs::write(cg.join(file), LIMIT.to_string()).is_ok()
        {
            let _ = std::fs::write(cg.join("memory.swap.max"), "0");
            return Some(cg);
        }
        let _ = std::fs::remove_dir(&cg);
    }
    None
}

#[test]
fn the_task_passes_within_16_mib() {
    let ws = dir("limit");
    std::fs::write(ws.join("notes.txt"), "read teh manual\n").unwrap();
    let m = Mock::start(task());
    let cg = make_cgroup();
    let mut cmd = mote_command();
    let procs = cg
        .as_ref()
        .map(|cg| CString::new(cg.join("cgroup.procs").to_str().unwrap()).unwrap());
    unsafe {
        cmd.pre_exec(move || {
            match &procs {
                // Join the cgroup: write "0" (this process) to cgroup.procs.
                Some(p) => {
                    let fd = libc::open(p.as_ptr(), libc::O_WRONLY);
                    if fd < 0 || libc::write(fd, b"0".as_ptr().cast(), 1) != 1 {
                        return Err(std::io::Error::last_os_error());
                    }
                    libc::close(fd);
                }
                None => {
                    let lim = libc::rlimit {
                        rlim_cur: LIMIT,
                        rlim_max: LIMIT,
                    };
                    if libc::setrlimit(libc::RLIMIT_AS, &lim) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                }
            }
            Ok(())
        });
    }
    let out = cmd
        .current_dir(&ws)
        .args([
            "-p",
            "fix the typo",
            "--model",
            "m",
            "--no-session",
            "--base-url",
            &m.base_url(),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let how = if cg.is_some() {
        "memory cgroup"
    } else {
        "RLIMIT_AS"
    };
    if let Some(cg) = &cg {
        let _ = std::fs::remove_dir(cg);
    }
    eprintln!("limit applied with {how}");
    assert!(
        out.status.success(),
        "failed under a {} KiB {how}: {}",
        LIMIT / 1024,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("notes.txt")).unwrap(),
        "read the manual\n"
    );
}

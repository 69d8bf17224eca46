//! What a command's process does to itself between fork and exec, in
//! every mode: a new session (no controlling terminal; its process group is
//! killed when the command ends), no CAP_SYS_PTRACE (so even as root it
//! cannot read mote's memory), and the ioctl filter where it is needed (as
//! root, TIOCSTI works on any terminal). In a sandbox it also sets
//! no_new_privs, enters the Landlock ruleset, drops every capability
//! (bounding, ambient, inheritable, permitted) and takes the full seccomp
//! filter. Everything is computed before fork; `apply` makes syscalls only.

use super::seccomp::{self, Insn};
use super::Ruleset;
use std::io;

const CAP_SYS_PTRACE: libc::c_ulong = 19;
const CAP_VERSION_3: u32 = 0x2008_0522;
const PR_CAP_AMBIENT: libc::c_int = 47;
const PR_CAP_AMBIENT_CLEAR_ALL: libc::c_ulong = 4;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The plan for one command's process.
pub struct Plan {
    /// The Landlock ruleset's fd: the command is sandboxed.
    landlock: Option<i32>,
    filter: Option<Vec<Insn>>,
    root: bool,
}

impl Plan {
    /// `ruleset` is the sandbox, if any. Runs in the parent.
    pub fn new(ruleset: Option<&Ruleset>) -> Plan {
        let sandboxed = ruleset.is_some();
        // SAFETY: geteuid cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        // Without CAP_SYS_ADMIN, TIOCSTI needs the controlling terminal,
        // which setsid has taken away: a plain user's command needs no filter
        // (and could not install one without no_new_privs, which would stop
        // sudo and set-uid programs in a command the user allowed).
        let filter = (sandboxed || root)
            .then(|| seccomp::program(sandboxed))
            .flatten();
        Plan {
            landlock: ruleset.map(Ruleset::raw),
            filter,
            root,
        }
    }

    /// In the child, between fork and exec. Only async-signal-safe calls.
    pub fn apply(&self) -> io::Result<()> {
        // SAFETY: plain syscalls on integers and on memory owned by self.
        unsafe {
            if libc::setsid() < 0 {
                return Err(io::Error::last_os_error());
            }
            if self.root {
                // Failing here (no CAP_SETPCAP) leaves nothing to drop.
                libc::prctl(libc::PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0);
            }
        }
        if let Some(fd) = self.landlock {
            super::restrict(fd)?;
            drop_all_caps();
        }
        if let Some(f) = &self.filter {
            // Outside a sandbox the filter only stops TIOCSTI as root; where
            // the kernel (or an emulator such as qemu-user) has no seccomp
            // filters (EINVAL), the command runs without it. A sandboxed
            // command never runs without its filter.
            match seccomp::install(f) {
                Err(e) if self.landlock.is_some() || e.raw_os_error() != Some(libc::EINVAL) => {
                    return Err(e)
                }
                _ => {}
            }
        }
        if self.landlock.is_some() {
            clear_cap_sets()?;
        }
        Ok(())
    }
}

/// Empty the bounding and ambient sets: after exec nothing, not even a
/// root or file-capability program, gets a capability back.
fn drop_all_caps() {
    // SAFETY: plain prctl calls; the loop ends at the first unknown cap.
    unsafe {
        libc::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        for cap in 0..64 {
            if libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) != 0
                && io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL)
            {
                break;
            }
        }
    }
}

/// Empty the effective, permitted and inheritable sets of this process.
fn clear_cap_sets() -> io::Result<()> {
    let mut head = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: header and two data words, as capset(2) version 3 takes.
    let r = unsafe { libc::syscall(libc::SYS_capset, &mut head as *mut CapHeader, data.as_ptr()) };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
#[path = "child_tests.rs"]
mod tests;

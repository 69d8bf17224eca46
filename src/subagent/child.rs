//! The child's side of a subagent: what its hidden `--subagent` flag sets
//! up. A child must never outlive its parent nor leave commands behind, so
//! it is started with a parent-death signal (SIGTERM), and its SIGTERM
//! handler stops the process groups it started (its bash commands, its
//! own children) before it exits. The groups are kept in a small static
//! table because a signal handler can read nothing else; `track` and
//! `untrack` are called around each spawn.

use std::os::unix::process::CommandExt;
use std::sync::atomic::{AtomicI32, Ordering};

/// Process groups to stop on SIGTERM: > 0 a command's (SIGKILL), < 0 a
/// subagent's (SIGTERM, so it can stop its own commands in turn).
static GROUPS: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

#[derive(Clone, Copy, PartialEq)]
pub enum Group {
    /// A command's group: killed outright.
    Command,
    /// A subagent's group: asked to stop.
    Subagent,
}

/// Spawn `cmd` (which must start its own process group) and track its
/// group, with SIGTERM held off in between: a stop arriving right after
/// the spawn still finds the new group in the table; the new process
/// unblocks it before it execs.
pub fn spawn(
    cmd: &mut std::process::Command,
    kind: Group,
) -> std::io::Result<(std::process::Child, Option<usize>)> {
    // SAFETY: sigset manipulation on a local set, and the thread's mask.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old);
    }
    // SAFETY: sigprocmask is async-signal-safe; the child unblocks SIGTERM.
    unsafe {
        cmd.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
    let spawned = cmd.spawn();
    let slot = spawned.as_ref().ok().and_then(|c| track(c.id(), kind));
    // SAFETY: as above; a SIGTERM that came meanwhile is delivered now.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    spawned.map(|c| (c, slot))
}

/// Remember the group `pgid` until `untrack`; `None` if the table is full
/// (then only the parent-death signal of that group's own leader helps).
pub fn track(pgid: u32, kind: Group) -> Option<usize> {
    let v = i32::try_from(pgid).ok()?;
    let v = if kind == Group::Command { v } else { -v };
    GROUPS.iter().position(|g| {
        g.compare_exchange(0, v, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    })
}

pub fn untrack(slot: Option<usize>) {
    if let Some(g) = slot.and_then(|s| GROUPS.get(s)) {
        g.store(0, Ordering::SeqCst);
    }
}

extern "C" fn on_term(_: libc::c_int) {
    for g in &GROUPS {
        let v = g.load(Ordering::SeqCst);
        // SAFETY: kill and _exit are async-signal-safe.
        unsafe {
            if v > 0 {
                libc::kill(-v, libc::SIGKILL);
            } else if v < 0 {
                libc::kill(v, libc::SIGTERM);
            }
        }
    }
    // SAFETY: as above.
    unsafe { libc::_exit(143) };
}

/// Called first thing in a child: SIGTERM (from the parent, or the
/// parent-death signal) stops what the child started, then the child.
pub fn install() {
    let handler: extern "C" fn(libc::c_int) = on_term;
    // SAFETY: installing a handler that only makes async-signal-safe calls.
    unsafe {
        libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
    }
}

//! The child's side of a subagent: what its hidden `--subagent` flag sets
//! up. A child must never outlive its parent nor leave commands behind, so
//! it is started with a parent-death signal (SIGTERM), and its SIGTERM
//! handler stops the process groups it started (its bash commands, its
//! own children) before it exits. The groups are kept in a small static
//! table because a signal handler can read nothing else; `track` and
//! `untrack` are called around each spawn.

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

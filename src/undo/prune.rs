//! What checkpoints leave behind when mote does not get to remove it: the
//! `ID.undo` folder and the `refs/mote/checkpoints/ID` ref of a session
//! whose file was deleted by hand (the folder's `repo` file names the
//! repository holding the ref), and the private temp directories
//! (`mote-ckpt-PID-N`, `tmp_dir`) of a run killed with SIGKILL. This file
//! owns finding those orphans and removing them, and nothing else: a
//! session whose file is there, and a temp directory of a live process or
//! of another user, are never touched.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The prefix of `tmp_dir`'s names: `mote-ckpt-PID-N`.
pub const TMP_PREFIX: &str = "mote-ckpt-";

/// Note in the session's checkpoint folder `dir` that its snapshots are
/// in the repository at `top`, for `orphans`.
pub fn remember_repo(dir: &Path, top: &Path) {
    use std::os::unix::fs::DirBuilderExt;
    let made = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir);
    if made.is_ok() {
        let _ = std::fs::write(dir.join("repo"), top.as_os_str().as_bytes());
    }
}

/// Remove the checkpoints of the sessions in `sessions` whose file
/// (`ID.jsonl`) is gone: the `ID.undo` folder, and the ref in the
/// repository its `repo` file names.
pub fn orphans(sessions: &Path) {
    let Ok(rd) = std::fs::read_dir(sessions) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".undo")) else {
            continue;
        };
        let plain = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir || id.is_empty() || !id.bytes().all(plain) {
            continue;
        }
        if std::fs::symlink_metadata(sessions.join(format!("{id}.jsonl"))).is_ok() {
            continue;
        }
        let dir = e.path();
        if let Ok(top) = std::fs::read(dir.join("repo")) {
            let top = PathBuf::from(OsStr::from_bytes(&top));
            let refname = format!("refs/mote/checkpoints/{id}");
            if top.is_dir() {
                let _ = super::git::run(&top, None, &["update-ref", "-d", &refname], None);
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// The process id in a name `mote-ckpt-PID-N` (digits only), if it is one.
fn pid_of(name: &OsStr) -> Option<i32> {
    let rest = name.to_str()?.strip_prefix(TMP_PREFIX)?;
    let (pid, n) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(n)).then(|| pid.parse().ok())?
}

/// Whether process `pid` is alive (or not ours to signal: alive too).
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Remove the temp directories `tmp_dir` made in `tmp` for runs that are
/// gone: a directory (never a symlink, never followed) owned by this
/// user, named exactly `mote-ckpt-PID-N`, whose PID is not a live process.
/// /tmp is shared: anything else there is left alone.
pub fn dead_runs(tmp: &Path) {
    let Ok(rd) = std::fs::read_dir(tmp) else {
        return;
    };
    // SAFETY: geteuid cannot fail.
    let me = unsafe { libc::geteuid() };
    let own = i32::try_from(std::process::id()).unwrap_or(0);
    for e in rd.flatten() {
        let Some(pid) = pid_of(&e.file_name()).filter(|p| *p > 0 && *p != own) else {
            continue;
        };
        let path = e.path();
        // lstat: a symlink is not a directory here.
        let ours = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir() && m.uid() == me);
        if ours && !alive(pid) {
            // Does not follow symlinks inside; a sticky /tmp lets no one
            // else rename our directory in between.
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_name_pattern_is_a_run_s() {
        let p = |s: &str| pid_of(OsStr::new(s));
        assert_eq!(p("mote-ckpt-123-0"), Some(123));
        assert_eq!(p("mote-ckpt-9-45"), Some(9));
        for bad in [
            "mote-ckpt-123",
            "mote-ckpt-123-",
            "mote-ckpt--1",
            "mote-ckpt-12a-1",
            "mote-ckpt-1-2-3",
            "mote-ckpt-+1-2",
            "xmote-ckpt-1-2",
            "mote-ckpt-99999999999-1",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}

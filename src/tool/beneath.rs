//! Opening a file tool's target without a check-then-open race. The path
//! was made symlink-free by `Workspace::resolve`; a command running at the
//! same time (a sandboxed background job) could swap a directory on it for
//! a symlink before the open. So the parent directory is opened from a
//! descriptor of the workspace root (or the allowed outside directory it
//! lies in) with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), or, where
//! the kernel lacks openat2 (before 5.6), by a walk that opens one
//! component at a time with O_NOFOLLOW. The file itself is then opened,
//! created and renamed relative to that directory descriptor: a symlink
//! that appears anywhere on the way is an error, never followed.

use crate::workspace::Workspace;
use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;

#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

const DIR_FLAGS: libc::c_int = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;

/// The directory `path` lies in, opened race-free, and the file's name.
/// With `create`, missing directories are made on the way.
pub fn parent(ws: &Workspace, path: &Path, create: bool) -> io::Result<(OwnedFd, CString)> {
    let base = std::iter::once(&ws.root)
        .chain(&ws.external)
        .filter(|b| path.starts_with(b))
        .max_by_key(|b| b.as_os_str().len())
        .ok_or_else(|| io::Error::other("the path is outside the workspace"))?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("the path has no file name"))?;
    let rel = path
        .parent()
        .and_then(|p| p.strip_prefix(base).ok())
        .ok_or_else(|| io::Error::other("the path is outside the workspace"))?;
    let base_fd = open_at(libc::AT_FDCWD, base.as_os_str(), DIR_FLAGS)?;
    if rel.as_os_str().is_empty() {
        return Ok((base_fd, cstr(name)?));
    }
    let dir = match openat2(&base_fd, rel.as_os_str()) {
        Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => walk(base_fd, rel, create),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) && create => walk(base_fd, rel, true),
        Err(e)
            if e.raw_os_error() == Some(libc::ELOOP) || e.raw_os_error() == Some(libc::EXDEV) =>
        {
            Err(changed())
        }
        r => r,
    }?;
    Ok((dir, cstr(name)?))
}

fn changed() -> io::Error {
    io::Error::other("a directory on the path was replaced by a symlink; not followed")
}

fn cstr(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| io::Error::other("the path contains a NUL byte"))
}

fn open_at(dir: RawFd, name: &OsStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    let c = cstr(name)?;
    // SAFETY: a valid C string; the descriptor returned is ours.
    let fd = unsafe { libc::openat(dir, c.as_ptr(), flags, 0o666) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn openat2(base: &OwnedFd, rel: &OsStr) -> io::Result<OwnedFd> {
    let c = cstr(rel)?;
    let how = OpenHow {
        flags: DIR_FLAGS as u64,
        mode: 0,
        resolve: RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS,
    };
    // SAFETY: how and c outlive the call; size is how's.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            base.as_raw_fd(),
            c.as_ptr(),
            &how as *const OpenHow,
            std::mem::size_of::<OpenHow>(),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// One component at a time, never following a symlink.
fn walk(mut dir: OwnedFd, rel: &Path, create: bool) -> io::Result<OwnedFd> {
    for c in rel.components() {
        let Component::Normal(name) = c else {
            return Err(io::Error::other("unexpected path component"));
        };
        let next = match open_at(dir.as_raw_fd(), name, DIR_FLAGS | libc::O_NOFOLLOW) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) && create => {
                let n = cstr(name)?;
                // SAFETY: a valid C string.
                if unsafe { libc::mkdirat(dir.as_raw_fd(), n.as_ptr(), 0o777) } != 0 {
                    let e = io::Error::last_os_error();
                    if e.raw_os_error() != Some(libc::EEXIST) {
                        return Err(e);
                    }
                }
                open_at(dir.as_raw_fd(), name, DIR_FLAGS | libc::O_NOFOLLOW)
            }
            // O_DIRECTORY | O_NOFOLLOW on a symlink fails with ENOTDIR.
            Err(_) if is_link(&dir, name) => Err(changed()),
            r => r,
        }?;
        dir = next;
    }
    Ok(dir)
}

fn is_link(dir: &OwnedFd, name: &OsStr) -> bool {
    cstr(name)
        .and_then(|n| stat(dir, &n))
        .is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK)
}

/// What is at `name` in `dir`, not following a symlink.
pub fn stat(dir: &OwnedFd, name: &CString) -> io::Result<libc::stat> {
    // SAFETY: stat is plain data that fstatat fills.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(st)
    }
}

/// Open `name` in `dir` with `flags`, never through a symlink.
pub fn open_file(
    dir: &OwnedFd,
    name: &CString,
    flags: libc::c_int,
    mode: u32,
) -> io::Result<std::fs::File> {
    // SAFETY: a valid C string; the descriptor returned is ours.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            mode,
        )
    };
    if fd < 0 {
        let e = io::Error::last_os_error();
        return Err(if e.raw_os_error() == Some(libc::ELOOP) {
            changed()
        } else {
            e
        });
    }
    // SAFETY: fresh descriptor.
    Ok(unsafe { std::fs::File::from_raw_fd(fd) })
}

/// Rename `from` to `to`, both in `dir`.
pub fn rename(dir: &OwnedFd, from: &CString, to: &CString) -> io::Result<()> {
    let d = dir.as_raw_fd();
    // SAFETY: valid C strings and a directory descriptor.
    if unsafe { libc::renameat(d, from.as_ptr(), d, to.as_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Remove `name` from `dir` (a temp file left by a failure).
pub fn unlink(dir: &OwnedFd, name: &CString) {
    // SAFETY: a valid C string.
    unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) };
}

#[cfg(test)]
mod tests {
    use crate::tool::write::{atomic_write, tests::tmp_ws};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// A job swaps a workspace directory for a symlink to outside, again
    /// and again, while the write tool writes into it 1000 times: nothing may land
    /// outside.
    #[test]
    fn a_symlink_race_cannot_redirect_a_write() {
        let (root, ws) = tmp_ws("race");
        let (outside, _) = tmp_ws("race-outside");
        std::fs::create_dir(root.join("d")).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (root, outside, stop) = (root.clone(), outside.clone(), stop.clone());
            std::thread::spawn(move || {
                let (d, real) = (root.join("d"), root.join("d.real"));
                while !stop.load(Ordering::Relaxed) {
                    let _ = std::fs::rename(&d, &real);
                    let _ = std::os::unix::fs::symlink(&outside, &d);
                    std::thread::yield_now();
                    let _ = std::fs::remove_file(&d);
                    let _ = std::fs::rename(&real, &d);
                    std::thread::yield_now();
                }
            })
        };
        let mut written = 0;
        for i in 0..1000 {
            let rel = format!("d/sub{}/f{i}", i % 3);
            if let Ok(path) = ws.resolve(&rel) {
                written += usize::from(atomic_write(&ws, &path, b"x", true).is_ok());
            }
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        let landed: Vec<_> = walk(&outside);
        assert!(
            landed.is_empty(),
            "{} writes landed outside: {landed:?}",
            landed.len()
        );
        assert!(written > 0, "no write got through at all");
    }

    /// The fallback for kernels without openat2 refuses a symlink on the way.
    #[test]
    fn the_walk_does_not_follow_symlinks() {
        let (root, _ws) = tmp_ws("beneath-walk");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::os::unix::fs::symlink("/tmp", root.join("a/l")).unwrap();
        let open = || super::open_at(libc::AT_FDCWD, root.as_os_str(), super::DIR_FLAGS).unwrap();
        assert!(super::walk(open(), std::path::Path::new("a/b"), false).is_ok());
        let e = super::walk(open(), std::path::Path::new("a/l/x"), true).unwrap_err();
        assert!(e.to_string().contains("symlink"), "{e}");
        assert!(super::walk(open(), std::path::Path::new("a/new/dir"), true).is_ok());
        assert!(root.join("a/new/dir").is_dir());
    }

    fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            }
            out.push(p);
        }
        out
    }
}

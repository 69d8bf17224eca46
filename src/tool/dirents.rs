//! Reading one directory the way `find` does, for the walker and `ls`:
//! getdents64 into a buffer reused across directories, each entry's name
//! borrowed from it and its kind taken from d_type (an lstat only on file
//! systems that leave d_type unknown). No allocation per entry.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Bytes asked of the kernel per getdents64 call.
const BUF: usize = 32 * 1024;
/// Where a record's fields start (struct linux_dirent64).
const RECLEN: usize = 16;
const TYPE: usize = 18;
const NAME: usize = 19;

/// What a directory entry is, without following a symlink.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Kind {
    Dir,
    File,
    Link,
    Fifo,
    Socket,
    /// Devices and whatever could not be told.
    Other,
}

/// The reused buffer.
#[derive(Default)]
pub struct Reader {
    buf: Vec<u8>,
}

impl Reader {
    /// Call `each` with the name and kind of every entry of the directory
    /// at `path` (no trailing NUL; one is added and taken off again) but
    /// `.` and `..`, in the order the file system gives them. `follow`:
    /// whether `path` itself may be a symlink to a directory.
    pub fn read(
        &mut self,
        path: &mut Vec<u8>,
        follow: bool,
        each: &mut dyn FnMut(&[u8], Kind),
    ) -> io::Result<()> {
        let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | nofollow;
        path.push(0);
        // SAFETY: `path` is NUL-terminated and outlives the call.
        let fd = unsafe { libc::open(path.as_ptr().cast(), flags) };
        path.pop();
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let dir = unsafe { OwnedFd::from_raw_fd(fd) };
        self.buf.resize(BUF, 0);
        loop {
            // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_getdents64,
                    dir.as_raw_fd(),
                    self.buf.as_mut_ptr(),
                    self.buf.len(),
                )
            };
            let n = match usize::try_from(n) {
                Ok(0) => return Ok(()),
                Ok(n) => n.min(self.buf.len()),
                Err(_) => return Err(io::Error::last_os_error()),
            };
            records(self.buf.get(..n).unwrap_or_default(), &dir, each);
        }
    }
}

/// The entries of one getdents64 answer.
fn records(mut b: &[u8], dir: &OwnedFd, each: &mut dyn FnMut(&[u8], Kind)) {
    while let (Some(&[lo, hi]), Some(&t)) = (b.get(RECLEN..RECLEN + 2), b.get(TYPE)) {
        let len = usize::from(u16::from_ne_bytes([lo, hi]));
        let Some(rec) = b.get(..len).filter(|_| len > NAME) else {
            return;
        };
        b = b.get(len..).unwrap_or_default();
        let field = rec.get(NAME..).unwrap_or_default();
        let name = field.split(|&c| c == 0).next().unwrap_or_default();
        if name.is_empty() || name == b"." || name == b".." {
            continue;
        }
        let kind = match t {
            libc::DT_UNKNOWN => lstat_kind(dir, field),
            t => kind_of(u32::from(t) << 12),
        };
        each(name, kind);
    }
}

/// The kind from a mode's file-type bits (d_type is those bits >> 12).
fn kind_of(mode: u32) -> Kind {
    match mode & libc::S_IFMT {
        libc::S_IFDIR => Kind::Dir,
        libc::S_IFREG => Kind::File,
        libc::S_IFLNK => Kind::Link,
        libc::S_IFIFO => Kind::Fifo,
        libc::S_IFSOCK => Kind::Socket,
        _ => Kind::Other,
    }
}

/// `field` is the record's NUL-terminated name.
fn lstat_kind(dir: &OwnedFd, field: &[u8]) -> Kind {
    if !field.contains(&0) {
        return Kind::Other;
    }
    // SAFETY: an all-zero stat is valid; the name is NUL-terminated inside
    // `field`, and `st` is written by the kernel only.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let flags = libc::AT_SYMLINK_NOFOLLOW;
    let r = unsafe { libc::fstatat(dir.as_raw_fd(), field.as_ptr().cast(), &mut st, flags) };
    if r == 0 {
        kind_of(st.st_mode)
    } else {
        Kind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One linux_dirent64 record as the kernel lays it out.
    fn record(name: &[u8], t: u8) -> Vec<u8> {
        let len = (NAME + name.len() + 1).div_ceil(8) * 8;
        let mut r = vec![0u8; len];
        r[RECLEN..RECLEN + 2].copy_from_slice(&(len as u16).to_ne_bytes());
        r[TYPE] = t;
        r[NAME..NAME + name.len()].copy_from_slice(name);
        r
    }

    fn dir(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("mote-dirents-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("f"), "").unwrap();
        std::os::unix::fs::symlink("sub", d.join("l")).unwrap();
        d
    }

    /// File systems that leave d_type unknown get an lstat per entry; `.`
    /// and `..` are left out; a record that runs past the end ends the batch.
    #[test]
    fn unknown_types_are_looked_up() {
        let d = dir("unknown");
        let fd = OwnedFd::from(std::fs::File::open(&d).unwrap());
        let mut buf = Vec::new();
        for (name, t) in [
            (&b"sub"[..], libc::DT_UNKNOWN),
            (b"f", libc::DT_UNKNOWN),
            (b"l", libc::DT_UNKNOWN),
            (b"gone", libc::DT_UNKNOWN),
            (b".", libc::DT_DIR),
            (b"..", libc::DT_DIR),
            (b"p", libc::DT_FIFO),
            (b"s", libc::DT_SOCK),
            (b"c", libc::DT_CHR),
        ] {
            buf.extend(record(name, t));
        }
        let mut cut = record(b"cut", libc::DT_REG);
        cut[RECLEN] = 200;
        buf.extend(cut);
        let mut got = Vec::new();
        records(&buf, &fd, &mut |n, k| got.push((n.to_vec(), k)));
        let want: Vec<(Vec<u8>, Kind)> = [
            ("sub", Kind::Dir),
            ("f", Kind::File),
            ("l", Kind::Link),
            ("gone", Kind::Other),
            ("p", Kind::Fifo),
            ("s", Kind::Socket),
            ("c", Kind::Other),
        ]
        .iter()
        .map(|(n, k)| (n.as_bytes().to_vec(), *k))
        .collect();
        assert_eq!(got, want);
    }

    /// `follow` false refuses a symlink to a directory; a missing
    /// directory is an error, not an empty listing.
    #[test]
    fn read_follows_only_when_asked() {
        let d = dir("follow");
        let mut r = Reader::default();
        let mut path = d.join("l").into_os_string().into_encoded_bytes();
        let mut n = 0;
        assert!(r.read(&mut path, false, &mut |_, _| n += 1).is_err());
        r.read(&mut path, true, &mut |_, _| n += 1).unwrap();
        assert_eq!(n, 0);
        let mut path = d.clone().into_os_string().into_encoded_bytes();
        let mut names = Vec::new();
        r.read(&mut path, false, &mut |name, _| names.push(name.to_vec()))
            .unwrap();
        names.sort();
        assert_eq!(names, [b"f".to_vec(), b"l".to_vec(), b"sub".to_vec()]);
        let mut gone = d.join("gone").into_os_string().into_encoded_bytes();
        assert!(r.read(&mut gone, true, &mut |_, _| {}).is_err());
    }
}

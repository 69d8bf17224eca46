//! The Landlock sandbox for the bash tool, by raw syscalls (no crate).
//! The parent builds a ruleset before spawning; the child, between fork
//! and exec, sets no_new_privs and restricts itself to it. Reading stays
//! allowed everywhere; writing is limited by the mode; TCP bind/connect
//! are refused where the kernel's ABI can (>= 4), and signals and abstract
//! unix sockets are scoped to the sandbox where it can (>= 6). What else
//! a command's process does to itself is in child.rs; the seccomp filter in
//! seccomp.rs.

pub mod child;
pub mod grants;
pub mod seccomp;

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Mode {
    Off,
    ReadOnly,
    WorkspaceWrite,
}

impl Mode {
    pub fn parse(v: &str) -> Option<Mode> {
        match v {
            "off" => Some(Mode::Off),
            "read-only" => Some(Mode::ReadOnly),
            "workspace-write" => Some(Mode::WorkspaceWrite),
            _ => None,
        }
    }

    /// How much the mode confines: off < workspace-write < read-only.
    pub fn confines(self) -> u8 {
        match self {
            Mode::Off => 0,
            Mode::WorkspaceWrite => 1,
            Mode::ReadOnly => 2,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Off => "off",
            Mode::ReadOnly => "read-only",
            Mode::WorkspaceWrite => "workspace-write",
        }
    }
}

const CREATE_RULESET_VERSION: u32 = 1;
const RULE_PATH_BENEATH: libc::c_int = 1;

const FS_WRITE_FILE: u64 = 1 << 1;
const FS_REMOVE_DIR: u64 = 1 << 4;
const FS_REMOVE_FILE: u64 = 1 << 5;
/// MAKE_CHAR .. MAKE_SYM.
const FS_MAKE: u64 = 0b111_1111 << 6;
const FS_MAKE_DIR: u64 = 1 << 7;
const FS_REFER: u64 = 1 << 13;
const FS_TRUNCATE: u64 = 1 << 14;
/// Bit 0 (written as 1: `1 << 0` would only breed an equivalent mutant).
const NET_BIND_TCP: u64 = 1;
const NET_CONNECT_TCP: u64 = 1 << 1;
/// Bit 0, as NET_BIND_TCP.
const SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1;
const SCOPE_SIGNAL: u64 = 1 << 1;

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// The Landlock ABI version the kernel offers, or why there is none.
pub fn abi() -> Result<u32, String> {
    // SAFETY: the version query takes no attribute pointer.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    version(r, io::Error::last_os_error())
}

/// What the version query's answer `r` means; `e` is its errno if it failed.
fn version(r: libc::c_long, e: io::Error) -> Result<u32, String> {
    if r < 1 {
        return Err(match e.raw_os_error() {
            Some(libc::ENOSYS) => "the kernel has no Landlock".into(),
            Some(libc::EOPNOTSUPP) => {
                "Landlock is disabled in this kernel (boot with lsm=landlock,...)".into()
            }
            _ => format!("Landlock is unavailable: {e}"),
        });
    }
    Ok(r as u32)
}

/// The temp directory sandboxed commands may write: $TMPDIR, or, when the
/// workspace lies inside it (granting it would grant the workspace's
/// protected paths too), a private directory in it made for this run.
pub fn scratch(root: &Path) -> std::path::PathBuf {
    let tmp = std::env::temp_dir();
    let tmp = tmp.canonicalize().unwrap_or(tmp);
    if !root.starts_with(&tmp) {
        return tmp;
    }
    let own = tmp.join(format!("mote-scratch-{}", std::process::id()));
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&own);
    own
}

/// A ruleset ready to be applied in a child process.
pub struct Ruleset {
    fd: OwnedFd,
}

/// Build the ruleset for `mode`: in workspace-write, writes beneath the
/// workspace `root` as grants.rs allows and beneath `writable` (plus the
/// harmless devices); no TCP, signals scoped.
pub fn ruleset(mode: Mode, abi: u32, root: &Path, writable: &[&Path]) -> io::Result<Ruleset> {
    let mut write = FS_WRITE_FILE | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE;
    if abi >= 2 {
        write |= FS_REFER;
    }
    let truncate = if abi >= 3 { FS_TRUNCATE } else { 0 };
    write |= truncate;
    let attr = RulesetAttr {
        handled_access_fs: write,
        handled_access_net: if abi >= 4 {
            NET_BIND_TCP | NET_CONNECT_TCP
        } else {
            0
        },
        scoped: if abi >= 6 {
            SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
        } else {
            0
        },
    };
    let size = match abi {
        1..=3 => 8,
        4 | 5 => 16,
        _ => std::mem::size_of::<RulesetAttr>(),
    };
    // SAFETY: attr outlives the call and `size` is within it.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            &attr as *const RulesetAttr,
            size,
            0u32,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor (O_CLOEXEC) owned by nobody else.
    let rs = Ruleset {
        fd: unsafe { OwnedFd::from_raw_fd(fd as i32) },
    };
    let file_write = FS_WRITE_FILE | truncate;
    for dev in ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty"] {
        rs.allow(Path::new(dev), file_write);
    }
    if mode == Mode::WorkspaceWrite {
        for (path, whole) in grants::under(root) {
            rs.allow(&path, if whole { write } else { FS_MAKE_DIR });
        }
        for dir in writable {
            rs.allow(dir, write);
        }
    }
    Ok(rs)
}

impl Ruleset {
    /// Allow `access` beneath `path`; a path that cannot be opened is skipped.
    fn allow(&self, path: &Path, access: u64) {
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) else {
            return;
        };
        // SAFETY: a valid C string; the fd is closed below.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        if fd < 0 {
            return;
        }
        let is_dir = std::fs::metadata(path).map(|m| m.is_dir()).unwrap_or(false);
        // Files take only file rights.
        let access = if is_dir {
            access
        } else {
            access & (FS_WRITE_FILE | FS_TRUNCATE)
        };
        let attr = PathBeneathAttr {
            allowed_access: access,
            parent_fd: fd,
        };
        // SAFETY: attr is a valid path_beneath attribute for this call.
        unsafe {
            libc::syscall(
                libc::SYS_landlock_add_rule,
                self.fd.as_raw_fd(),
                RULE_PATH_BENEATH,
                &attr as *const PathBeneathAttr,
                0u32,
            );
            libc::close(fd);
        }
    }

    /// The ruleset's descriptor, for `restrict` in a child (it stays open
    /// while the Ruleset lives and closes on exec).
    pub fn raw(&self) -> i32 {
        self.fd.as_raw_fd()
    }
}

/// Restrict the calling process to the ruleset `fd`. Only
/// async-signal-safe calls, for use between fork and exec.
pub fn restrict(fd: i32) -> io::Result<()> {
    // SAFETY: plain syscalls on integers.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
        if libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Did a failed sandboxed command hit the sandbox? A guess from the
/// output, stated as such to the model.
pub fn looks_denied(output: &str) -> bool {
    [
        "Permission denied",
        "Operation not permitted",
        "Read-only file system",
        "EACCES",
        "EPERM",
    ]
    .iter()
    .any(|m| output.contains(m))
}

#[cfg(test)]
#[path = "rights_tests.rs"]
mod rights_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("mote-sb-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d.canonicalize().unwrap()
    }

    fn sh(rs: &Ruleset, cmd: &str) -> std::process::Output {
        let mut c = Command::new("bash");
        c.arg("-c").arg(cmd);
        let fd = rs.raw();
        // SAFETY: only syscalls in the child.
        unsafe {
            c.pre_exec(move || restrict(fd));
        }
        c.output().unwrap()
    }

    #[test]
    fn landlock_confines_writes() {
        let abi = abi().unwrap_or_else(|e| panic!("this test needs Landlock, and {e}"));
        let ws = tmp("ws");
        let outside = tmp("outside");
        std::fs::create_dir_all(ws.join("src")).unwrap();
        let rs = ruleset(Mode::WorkspaceWrite, abi, &ws, &[]).unwrap();
        let inside = sh(
            &rs,
            &format!("touch {0}/src/made && echo x > /dev/null", ws.display()),
        );
        assert!(
            inside.status.success(),
            "{}",
            String::from_utf8_lossy(&inside.stderr)
        );
        assert!(ws.join("src/made").exists());
        let out = sh(&rs, &format!("touch {}/made", outside.display()));
        assert!(!out.status.success());
        assert!(looks_denied(&String::from_utf8_lossy(&out.stderr)));
        assert!(!outside.join("made").exists());
        // Read-only: not even the workspace.
        let ro = ruleset(Mode::ReadOnly, abi, &ws, &[]).unwrap();
        std::fs::write(ws.join("keep"), "same").unwrap();
        let out = sh(
            &ro,
            &format!("cat {0}/keep && echo changed > {0}/keep", ws.display()),
        );
        assert!(!out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "same");
        assert_eq!(std::fs::read_to_string(ws.join("keep")).unwrap(), "same");
        if abi >= 4 {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = l.local_addr().unwrap().port();
            let out = sh(
                &rs,
                &format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected"),
            );
            assert!(!String::from_utf8_lossy(&out.stdout).contains("connected"));
        }
    }
}

//! What a command's process is after `Plan::apply`, read from inside it
//! (/proc/self/status, the errno of each filtered call, x32 calls on
//! x86_64): sandboxed, and outside a sandbox as root; and that a sandboxed
//! command never runs without its filter. Needs Landlock and python3.

use super::*;
use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Reports `name=value` lines: status fields, then the errno (0: success)
/// of each call the filter is about.
const PROBE: &str = r#"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
for line in open('/proc/self/status'):
    k, v = line.split(':', 1)
    if k in ('NoNewPrivs', 'Seccomp', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'):
        print(k + '=' + v.strip())
print('own_session=%d' % (os.getsid(0) == os.getpid()))
def err(f, *a):
    ctypes.set_errno(0)
    r = f(*a)
    return ctypes.get_errno() if r == -1 else 0
c = ctypes.c_char(b'x')
print('tiocsti=%d' % err(libc.ioctl, 0, 0x5412, ctypes.byref(c)))
print('tioclinux=%d' % err(libc.ioctl, 0, 0x541C, ctypes.byref(c)))
print('socket_unix=%d' % err(libc.socket, 1, 1, 0))
print('socket_udp=%d' % err(libc.socket, 2, 2, 0))
print('io_uring=%d' % err(libc.syscall, 425, 1, None))
print('x32_getpid=%d' % err(libc.syscall, 0x40000000 | 39))
print('x32_tiocsti=%d' % err(libc.syscall, 0x40000000 | 514, 0, 0x5412, ctypes.byref(c)))
pid = os.fork()
if pid == 0:
    os._exit(err(libc.setsid))
print('child_setsid=%d' % os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"#;

/// `hostile`: before `apply`, give the child what earlier code may leave
/// it: (as root) a full inheritable set, which would survive exec, and errno
/// at EINVAL, which a check of errno without the return value would read.
fn probe(plan: Plan, hostile: bool) -> HashMap<String, String> {
    let mut c = Command::new("python3");
    c.arg("-c").arg(PROBE);
    // SAFETY: only syscalls in the child.
    unsafe {
        c.pre_exec(move || {
            if hostile {
                inherit_all();
                libc::prctl(-1, 0, 0, 0, 0);
            }
            plan.apply()
        });
    }
    let out = c.output().expect("python3 runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Copy the permitted set into the inheritable one (a no-op unless root).
fn inherit_all() {
    let mut head = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: header and two data words, as capget/capset version 3 take.
    unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut head as *mut CapHeader,
            data.as_mut_ptr(),
        );
        for d in &mut data {
            d.inheritable = d.permitted;
        }
        libc::syscall(libc::SYS_capset, &mut head as *mut CapHeader, data.as_ptr());
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn ws() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("mote-child-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_sandboxed_command_has_no_privileges_and_its_filter() {
    let abi = super::super::abi().unwrap_or_else(|e| panic!("this test needs Landlock, and {e}"));
    let rs = super::super::ruleset(super::super::Mode::ReadOnly, abi, &ws(), &[]).unwrap();
    let got = probe(Plan::new(Some(&rs)), true);
    let errno = |e: i32| e.to_string();
    let want = [
        ("NoNewPrivs", "1".to_string()),
        ("Seccomp", "2".into()),
        ("own_session", "1".into()),
        ("tiocsti", errno(libc::EPERM)),
        ("tioclinux", errno(libc::EPERM)),
        ("socket_unix", errno(libc::EACCES)),
        ("socket_udp", errno(libc::EACCES)),
        ("io_uring", errno(libc::ENOSYS)),
        ("child_setsid", errno(libc::EPERM)),
    ];
    for (k, v) in want {
        assert_eq!(got.get(k), Some(&v), "{k}: {got:?}");
    }
    // A plain user cannot empty its bounding set (CAP_SETPCAP); with
    // no_new_privs it gains nothing from it.
    let bnd = if is_root() { "CapBnd" } else { "CapEff" };
    for k in ["CapInh", "CapPrm", "CapEff", bnd, "CapAmb"] {
        assert_eq!(
            got.get(k).map(String::as_str),
            Some("0000000000000000"),
            "{k}"
        );
    }
    if cfg!(target_arch = "x86_64") {
        assert_eq!(got.get("x32_getpid"), Some(&errno(libc::ENOSYS)));
        assert_eq!(got.get("x32_tiocsti"), Some(&errno(libc::EPERM)));
    }
}

#[test]
fn outside_a_sandbox_root_keeps_its_powers_but_not_tiocsti() {
    let got = probe(Plan::new(None), false);
    assert_eq!(got.get("own_session").map(String::as_str), Some("1"));
    assert_eq!(got.get("NoNewPrivs").map(String::as_str), Some("0"));
    assert_eq!(got.get("socket_unix").map(String::as_str), Some("0"));
    assert_eq!(got.get("child_setsid").map(String::as_str), Some("0"));
    if !is_root() {
        // A plain user's command gets no filter at all.
        assert_eq!(got.get("Seccomp").map(String::as_str), Some("0"));
        return;
    }
    assert_eq!(got.get("Seccomp").map(String::as_str), Some("2"));
    let eperm = libc::EPERM.to_string();
    assert_eq!(got.get("tiocsti"), Some(&eperm));
    assert_eq!(got.get("tioclinux"), Some(&eperm));
    let bnd = got
        .get("CapBnd")
        .and_then(|b| u64::from_str_radix(b, 16).ok());
    let bnd = bnd.unwrap_or_else(|| panic!("{got:?}"));
    assert_eq!(bnd & (1 << CAP_SYS_PTRACE), 0, "CAP_SYS_PTRACE kept");
    assert_ne!(bnd, 0, "the other capabilities were dropped");
    if cfg!(target_arch = "x86_64") {
        assert_eq!(got.get("x32_tiocsti"), Some(&eperm));
        // Other x32 calls pass the filter (the kernel may not serve them).
        assert_ne!(got.get("x32_getpid"), Some(&eperm));
    }
}

#[test]
fn only_an_unsandboxed_command_runs_where_the_filter_cannot_load() {
    let abi = super::super::abi().unwrap_or_else(|e| panic!("this test needs Landlock, and {e}"));
    let rs = super::super::ruleset(super::super::Mode::ReadOnly, abi, &ws(), &[]).unwrap();
    // An empty program is refused with EINVAL, as where seccomp is missing.
    let run = |landlock: Option<i32>| {
        let plan = Plan {
            landlock,
            filter: Some(Vec::new()),
            root: false,
        };
        let mut c = Command::new("true");
        // SAFETY: apply makes only syscalls.
        unsafe {
            c.pre_exec(move || plan.apply());
        }
        c.status().map(|s| s.success())
    };
    assert!(run(None).is_ok_and(|ok| ok), "unsandboxed: {:?}", run(None));
    let e = run(Some(rs.raw())).expect_err("a sandboxed command ran without its filter");
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}");
}

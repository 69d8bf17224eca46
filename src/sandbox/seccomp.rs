//! The seccomp filter for commands, as a hand-written classic BPF program
//! (no crate). Every command gets the ioctl part: TIOCSTI and TIOCLINUX
//! fail with EPERM, so nothing can push keystrokes into a terminal. A
//! sandboxed command also gets: socket() fails with EACCES whatever the
//! family (no UDP, raw or unix-socket traffic, and no TCP on kernels whose
//! Landlock cannot refuse it; socketpair() still works), io_uring_setup()
//! fails with ENOSYS (io_uring could open sockets behind seccomp's back),
//! setsid() and setpgid() fail with EPERM (so every process a command starts
//! stays in its process group and dies with it), x32 calls fail and
//! another architecture's calls (int 0x80, arm32 compat) kill the process.
//! The ioctl request is compared on its low 32 bits, as the kernel reads it.

use std::io;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Insn {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

#[repr(C)]
struct Prog {
    len: libc::c_ushort,
    filter: *const Insn,
}

const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const RET_K: u16 = 0x06; // BPF_RET | BPF_K

const RET_ALLOW: u32 = 0x7fff_0000;
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_ERRNO: u32 = 0x0005_0000;

/// Offsets in struct seccomp_data: nr, arch, and the low word of args[1]
/// (little-endian targets only).
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const OFF_ARG1_LO: u32 = 24;

const TIOCSTI: u32 = 0x5412;
const TIOCLINUX: u32 = 0x541C;

#[cfg(target_arch = "x86_64")]
const ARCH: Option<u32> = Some(0xC000_003E);
#[cfg(target_arch = "aarch64")]
const ARCH: Option<u32> = Some(0xC000_00B7);
#[cfg(target_arch = "arm")]
const ARCH: Option<u32> = Some(0x4000_0028);
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "arm")))]
const ARCH: Option<u32> = None;

/// x32 system calls on x86_64 carry this bit; x32's ioctl is 514.
#[cfg(target_arch = "x86_64")]
const X32: Option<(u32, u32)> = Some((0x4000_0000, 0x4000_0000 | 514));
#[cfg(not(target_arch = "x86_64"))]
const X32: Option<(u32, u32)> = None;

/// ioctl's number for 32-bit programs on a 64-bit kernel (i386 and arm agree).
const COMPAT_IOCTL: u32 = 54;

/// Where a jump goes: the label's index, patched into jt/jf offsets.
#[derive(Clone, Copy, PartialEq)]
enum L {
    Next,
    Ioctl,
    Foreign,
    X32,
    Deny(u32),
}

/// A BPF program under construction: instructions, jumps by label.
struct Asm {
    code: Vec<(Insn, L, L)>,
    labels: Vec<(L, usize)>,
}

impl Asm {
    fn op(&mut self, code: u16, k: u32, jt: L, jf: L) {
        let insn = Insn {
            code,
            jt: 0,
            jf: 0,
            k,
        };
        self.code.push((insn, jt, jf));
    }
    fn ld(&mut self, off: u32) {
        self.op(LD_W_ABS, off, L::Next, L::Next);
    }
    fn ret(&mut self, v: u32) {
        self.op(RET_K, v, L::Next, L::Next);
    }
    fn here(&mut self, l: L) {
        self.labels.push((l, self.code.len()));
    }
    /// Resolve labels into forward offsets; None if one is out of reach.
    fn finish(self) -> Option<Vec<Insn>> {
        let at = |l: L| self.labels.iter().find(|(x, _)| *x == l).map(|(_, i)| *i);
        let mut out = Vec::with_capacity(self.code.len());
        for (i, (mut insn, jt, jf)) in self.code.iter().copied().enumerate() {
            for (l, slot) in [(jt, &mut insn.jt), (jf, &mut insn.jf)] {
                if l != L::Next {
                    let off = at(l)?.checked_sub(i + 1)?;
                    *slot = u8::try_from(off).ok()?;
                }
            }
            out.push(insn);
        }
        Some(out)
    }
}

/// The filter program: `sandboxed` adds the socket, io_uring, session and
/// architecture rules to the ioctl rule every command gets. None on an
/// architecture this file does not know.
pub fn program(sandboxed: bool) -> Option<Vec<Insn>> {
    let arch = ARCH?;
    let mut a = Asm {
        code: Vec::new(),
        labels: Vec::new(),
    };
    a.ld(OFF_ARCH);
    a.op(JEQ_K, arch, L::Next, L::Foreign);
    a.ld(OFF_NR);
    if let Some((bit, _)) = X32 {
        a.op(JGE_K, bit, L::X32, L::Next);
    }
    a.op(JEQ_K, libc::SYS_ioctl as u32, L::Ioctl, L::Next);
    if sandboxed {
        let eperm = L::Deny(libc::EPERM as u32);
        a.op(
            JEQ_K,
            libc::SYS_socket as u32,
            L::Deny(libc::EACCES as u32),
            L::Next,
        );
        a.op(
            JEQ_K,
            libc::SYS_io_uring_setup as u32,
            L::Deny(libc::ENOSYS as u32),
            L::Next,
        );
        a.op(JEQ_K, libc::SYS_setsid as u32, eperm, L::Next);
        a.op(JEQ_K, libc::SYS_setpgid as u32, eperm, L::Next);
    }
    a.ret(RET_ALLOW);
    if let Some((_, x32_ioctl)) = X32 {
        a.here(L::X32);
        a.op(JEQ_K, x32_ioctl, L::Ioctl, L::Next);
        a.ret(if sandboxed {
            RET_ERRNO | libc::ENOSYS as u32
        } else {
            RET_ALLOW
        });
    }
    a.here(L::Foreign);
    if sandboxed {
        a.ret(RET_KILL_PROCESS);
    } else {
        a.ld(OFF_NR);
        a.op(JEQ_K, COMPAT_IOCTL, L::Ioctl, L::Next);
        a.ret(RET_ALLOW);
    }
    a.here(L::Ioctl);
    a.ld(OFF_ARG1_LO);
    let eperm = L::Deny(libc::EPERM as u32);
    a.op(JEQ_K, TIOCSTI, eperm, L::Next);
    a.op(JEQ_K, TIOCLINUX, eperm, L::Next);
    a.ret(RET_ALLOW);
    for e in [libc::EPERM, libc::EACCES, libc::ENOSYS] {
        let e = e as u32;
        if a.code
            .iter()
            .any(|(_, t, f)| *t == L::Deny(e) || *f == L::Deny(e))
        {
            a.here(L::Deny(e));
            a.ret(RET_ERRNO | e);
        }
    }
    a.finish()
}

/// Install `prog` on the calling thread. Only a syscall: safe between fork
/// and exec. Needs no_new_privs, or CAP_SYS_ADMIN.
pub fn install(prog: &[Insn]) -> io::Result<()> {
    let fprog = Prog {
        len: prog.len() as libc::c_ushort,
        filter: prog.as_ptr(),
    };
    // SAFETY: fprog points at `prog`, which outlives the call.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &fprog as *const Prog,
            0,
            0,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_assemble_with_forward_jumps() {
        for sandboxed in [false, true] {
            let p = program(sandboxed).expect("this architecture has a filter");
            assert!(p.len() <= 20, "the README says at most 20: {}", p.len());
            eprintln!("sandboxed={sandboxed}: {} instructions", p.len());
            // The last instruction of a valid program returns.
            assert_eq!(p.last().map(|i| i.code), Some(RET_K));
        }
    }

    #[test]
    fn every_instruction_is_reachable() {
        // No return is emitted that no jump reaches (the deny returns are
        // made only for the errnos the program uses).
        for sandboxed in [false, true] {
            let p = program(sandboxed).expect("this architecture has a filter");
            let mut seen = vec![false; p.len()];
            let mut todo = vec![0usize];
            while let Some(i) = todo.pop() {
                let Some(insn) = p.get(i) else {
                    panic!("sandboxed={sandboxed}: a jump past the end, to {i}")
                };
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                match insn.code {
                    RET_K => {}
                    JEQ_K | JGE_K => {
                        todo.push(i + 1 + insn.jt as usize);
                        todo.push(i + 1 + insn.jf as usize);
                    }
                    _ => todo.push(i + 1),
                }
            }
            let dead: Vec<usize> = (0..p.len()).filter(|&i| !seen[i]).collect();
            assert!(
                dead.is_empty(),
                "sandboxed={sandboxed}: unreachable {dead:?}"
            );
        }
    }
}

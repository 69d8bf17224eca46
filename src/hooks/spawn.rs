//! Run one hook command: `sh -c COMMAND` in the workspace, in its own
//! process group, its JSON input on stdin from an unlinked temp file and its
//! stdout/stderr into unlinked temp files (so a hook that never reads stdin
//! or prints megabytes cannot block mote), killed with its group at the
//! timeout. Only the first `KEEP` bytes of each output are read back.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KEEP: u64 = 64 * 1024;

pub struct Done {
    /// None: killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// An anonymous temp file: created, then unlinked at once.
fn scratch(tag: &str) -> Result<File, String> {
    let path = std::env::temp_dir().join(format!(
        "mote-hook-{}-{tag}-{:?}",
        std::process::id(),
        Instant::now()
    ));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| format!("cannot create a temp file: {e}"))?;
    let _ = std::fs::remove_file(&path);
    Ok(f)
}

fn read_back(mut f: File) -> String {
    let mut buf = Vec::new();
    let _ = f.seek(SeekFrom::Start(0));
    let _ = f.take(KEEP).read_to_end(&mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

pub fn run(cmd: &str, input: &str, dir: &str, timeout: u64) -> Result<Done, String> {
    let mut stdin = scratch("in")?;
    stdin
        .write_all(input.as_bytes())
        .and_then(|_| stdin.seek(SeekFrom::Start(0)).map(|_| ()))
        .map_err(|e| format!("cannot write its input: {e}"))?;
    let (out, err) = (scratch("out")?, scratch("err")?);
    let clone = |f: &File| f.try_clone().map_err(|e| format!("cannot start: {e}"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .current_dir(dir)
        .env("CLAUDE_PROJECT_DIR", dir)
        .stdin(Stdio::from(stdin))
        .stdout(Stdio::from(clone(&out)?))
        .stderr(Stdio::from(clone(&err)?))
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start: {e}"))?;
    let start = Instant::now();
    let limit = Duration::from_secs(timeout);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= limit => {
                if let Ok(pid) = libc::pid_t::try_from(child.id()) {
                    // SAFETY: plain syscall; the group id is the child's pid (process_group(0)).
                    unsafe { libc::kill(-pid, libc::SIGKILL) };
                }
                let _ = child.wait();
                return Err(format!("timed out after {timeout} s and was killed"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    };
    Ok(Done {
        code: status.code(),
        stdout: read_back(out),
        stderr: read_back(err),
    })
}

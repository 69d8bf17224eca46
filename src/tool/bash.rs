//! The `bash` tool: run a shell command in the workspace root and report
//! its merged output and exit status. One thread: a single pipe carries
//! stdout and stderr (so their order survives), read with poll() against a
//! deadline. Memory stays bounded however much is printed: the first and
//! last 25 KB are kept, and once output outgrows that, all of it is
//! streamed to a log file whose path the model is given.

use super::truncate::{self, MAX_BYTES, MAX_LINES};
use super::{arg_or, Effect, Preview, Target, Tool, ToolCtx};
use crate::json::Args;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub const TOOL: Tool = Tool {
    name: "bash",
    description: "Run a shell command (bash -c) in the workspace root, stdin empty. Returns stdout+stderr merged and the exit code; long output keeps head and tail and saves the rest to a file.",
    params: r#"{"type":"object","properties":{"command":{"type":"string","description":"Shell command"},"timeout":{"type":"integer","description":"Seconds before the command is killed (default 120, max 3600)"}},"required":["command"]}"#,
    effect: Effect::Exec,
    target: Target::Command("command"),
    title: |a| format!("Run `{}`", arg_or(a, "command", "")),
    preview: Preview::Args,
    run,
    attach: None,
};

const DEFAULT_TIMEOUT: u64 = 120;
const MAX_TIMEOUT: u64 = 3600;
/// Bytes kept from each end of the output.
const KEEP: usize = MAX_BYTES / 2;
/// After the shell exits, reading stops once the pipe is quiet this long
/// (a background process may hold it open forever)...
const QUIET: Duration = Duration::from_millis(100);
/// ...or, for a chatty one, this long after the exit.
const DRAIN: Duration = Duration::from_secs(1);

fn run(args: &Args, ws: &ToolCtx) -> Result<String, String> {
    let command = args.str("command")?;
    if command.trim().is_empty() {
        return Err("command is empty".into());
    }
    let secs = args
        .opt_u64("timeout")?
        .unwrap_or(DEFAULT_TIMEOUT)
        .clamp(1, MAX_TIMEOUT);
    let mode = ws.sandbox;
    if mode == crate::sandbox::Mode::Off {
        return exec(command, &ws.root, Duration::from_secs(secs), None);
    }
    let abi = crate::sandbox::abi()?;
    let tmp = crate::sandbox::scratch(&ws.root);
    let rs = crate::sandbox::ruleset(mode, abi, &ws.root, &[&tmp])
        .map_err(|e| format!("cannot set up the sandbox: {e}"))?;
    let (out, ok) = exec_in(
        command,
        &ws.root,
        Duration::from_secs(secs),
        Some((&rs, &tmp)),
    )?;
    // A failure that looks like EACCES/EPERM is most likely the sandbox: say so.
    if !ok && crate::sandbox::looks_denied(&out) {
        let allowed = match mode {
            crate::sandbox::Mode::ReadOnly => "no writes anywhere".to_string(),
            _ => format!(
                "writes only in {} and {}, except .git/config, .git/hooks, .mcp.json, .mote/ and .claude/; \
                 new files directly in the workspace root cannot be created by commands (new directories can, \
                 and a later command may fill them; the write tool can create files)",
                ws.root.display(),
                tmp.display()
            ),
        };
        return Ok(format!(
            "{out}\n[sandbox denial: the command ran in the {} sandbox ({allowed}, no sockets); \
             this error comes from the sandbox, not from file permissions, so retrying the same way will fail again]",
            mode.label()
        ));
    }
    Ok(out)
}

/// Run `command` in `dir` and render what happened for the model.
fn exec(
    command: &str,
    dir: &Path,
    timeout: Duration,
    sandbox: Option<&crate::sandbox::Ruleset>,
) -> Result<String, String> {
    exec_in(command, dir, timeout, sandbox.map(|s| (s, Path::new("")))).map(|(text, _)| text)
}

/// `exec`, and whether the command exited with status 0 (a loop task's check).
pub fn exec_status(command: &str, dir: &Path, timeout: Duration) -> Result<(String, bool), String> {
    exec_in(command, dir, timeout, None)
}

/// Run `command`, in the Landlock `sandbox` if one is given, with its
/// writable temp directory as TMPDIR.
fn exec_in(
    command: &str,
    dir: &Path,
    timeout: Duration,
    sandbox: Option<(&crate::sandbox::Ruleset, &Path)>,
) -> Result<(String, bool), String> {
    let (sandbox, tmp) = (sandbox.map(|s| s.0), sandbox.map(|s| s.1));
    let (read_end, write_end) = pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
    let write_dup = write_end
        .try_clone()
        .map_err(|e| format!("cannot create a pipe: {e}"))?;
    let plan = crate::sandbox::child::Plan::new(sandbox);
    let child = {
        // The Command holds the write ends; it must be dropped before
        // reading, or the pipe never reports end of file.
        let mut cmd = Command::new(shell());
        cmd.arg("-c")
            .arg(command)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::from(write_end))
            .stderr(Stdio::from(write_dup));
        if let Some(t) = tmp.filter(|t| !t.as_os_str().is_empty()) {
            cmd.env("TMPDIR", t);
        }
        for (name, _) in std::env::vars_os() {
            if crate::secrets::is_key_name(&name.to_string_lossy()) {
                cmd.env_remove(name);
            }
        }
        // SAFETY: `apply` makes only async-signal-safe syscalls.
        unsafe {
            cmd.pre_exec(move || plan.apply());
        }
        // A subagent told to stop kills this group on its way out.
        crate::subagent::child::spawn(&mut cmd, crate::subagent::child::Group::Command)
            .map_err(|e| format!("cannot start shell: {e}"))?
    };
    let (mut child, slot) = child;
    let mut pipe = File::from(read_end);
    let mut out = Output::new();
    let deadline = Instant::now() + timeout;
    let status = pump(&mut pipe, &mut child, &mut out, deadline);
    drop(pipe);
    // Whatever the command left running in its session goes with it.
    kill_group(&mut child);
    crate::subagent::child::untrack(slot);
    let status = status.map_err(|e| format!("error while running command: {e}"))?;
    let end = match status {
        None => format!(
            "timed out after {}s; the command and its process group were killed",
            timeout.as_secs()
        ),
        Some(s) => describe(s),
    };
    Ok((out.render(&end), status.is_some_and(|s| s.success())))
}

/// Read the pipe until the shell has exited and the pipe is closed or
/// quiet, or the deadline passes. `None` means the deadline did.
fn pump(
    pipe: &mut File,
    child: &mut Child,
    out: &mut Output,
    deadline: Instant,
) -> io::Result<Option<ExitStatus>> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut exited: Option<(ExitStatus, Instant)> = None;
    let mut open = true;
    loop {
        if exited.is_none() {
            exited = child.try_wait()?.map(|s| (s, Instant::now()));
        }
        let now = Instant::now();
        if let Some((status, at)) = exited {
            if !open || now >= deadline || now >= at + DRAIN {
                return Ok(Some(status));
            }
        } else if now >= deadline {
            kill_group(child);
            return Ok(None);
        }
        // While the shell runs, wake up now and then to notice its exit.
        let wait = if exited.is_some() {
            QUIET
        } else {
            deadline.saturating_duration_since(now).min(QUIET)
        };
        // End of file before the exit (say `exec cmd >log 2>&1`): wait for
        // the shell to finish, still watching for the interrupt keys.
        let (fd, wait) = match open {
            true => (pipe.as_raw_fd(), wait),
            false => (-1, wait.min(Duration::from_millis(10))),
        };
        let ready = poll_in(fd, wait)?;
        if crate::interrupt::requested() {
            // `exec` kills the process group on any error.
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "interrupted by the user",
            ));
        }
        if !open {
            continue;
        }
        if !ready {
            if exited.is_some() {
                // Quiet after the exit: what is left belongs to background jobs.
                open = false;
            }
            continue;
        }
        match pipe.read(&mut buf) {
            Ok(0) => open = false,
            Ok(n) => out.push(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Wait up to `wait` for `fd` to be readable (or hung up), or for an
/// interrupt key when armed. poll(2) ignores a negative `fd`: then this
/// only waits.
fn poll_in(fd: RawFd, wait: Duration) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = wait.as_millis().min(i32::MAX as u128) as libc::c_int;
    if crate::interrupt::armed() {
        // Interactive: Ctrl-C or Esc ends the wait too (then `requested()`).
        crate::interrupt::tick();
        return Ok(crate::interrupt::poll(fd, ms)? == crate::interrupt::Ready::Fd);
    }
    // SAFETY: one valid pollfd, and its count.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(n > 0)
}

/// Kill the child's whole process group and reap the child.
fn kill_group(child: &mut Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: plain syscall; the group id is the child's pid (setsid).
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the two-element array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// bash if there is one, else sh.
fn shell() -> PathBuf {
    let bin = Path::new("/bin/bash");
    if bin.is_file() {
        return bin.into();
    }
    let found = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("bash"))
            .find(|b| b.is_file())
    });
    found.unwrap_or_else(|| PathBuf::from("/bin/sh"))
}

fn describe(s: ExitStatus) -> String {
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit code: {c}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => "exit status unknown".into(),
    }
}

/// The output seen so far, in bounded memory.
struct Output {
    head: Vec<u8>,
    /// The last bytes after the head, as a ring; `at` is the oldest byte
    /// once it is full.
    ring: Vec<u8>,
    at: usize,
    total: u64,
    newlines: u64,
    last: u8,
    /// The full log, opened once the head fills up.
    log: Option<(PathBuf, Result<File, String>)>,
}

impl Output {
    fn new() -> Output {
        Output {
            head: Vec::new(),
            ring: Vec::new(),
            at: 0,
            total: 0,
            newlines: 0,
            last: b'\n',
            log: None,
        }
    }

    fn push(&mut self, mut data: &[u8]) {
        let Some(&last) = data.last() else { return };
        self.total += data.len() as u64;
        self.newlines += data.iter().filter(|&&b| b == b'\n').count() as u64;
        self.last = last;
        if self.head.len() < KEEP {
            let n = data.len().min(KEEP - self.head.len());
            let (now, rest) = data.split_at(n);
            self.head.extend_from_slice(now);
            data = rest;
            if self.head.len() == KEEP {
                self.open_log();
            }
        }
        if let (false, Some((_, Ok(f)))) = (data.is_empty(), &mut self.log) {
            if let Err(e) = f.write_all(data) {
                self.log_failed(e);
            }
        }
        for &b in data {
            if self.ring.len() < KEEP {
                self.ring.push(b);
            } else if let Some(slot) = self.ring.get_mut(self.at) {
                *slot = b;
                self.at = (self.at + 1) % KEEP;
            }
        }
    }

    /// Start the full log, replaying the head, so nothing is lost later.
    fn open_log(&mut self) {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("mote-bash-{}-{n}.log", std::process::id()));
        let file = File::create(&path).and_then(|mut f| f.write_all(&self.head).map(|_| f));
        self.log = Some((path, file.map_err(|e| e.to_string())));
    }

    fn log_failed(&mut self, e: io::Error) {
        if let Some((path, state)) = &mut self.log {
            let _ = std::fs::remove_file(&*path);
            *state = Err(e.to_string());
        }
    }

    fn lines(&self) -> u64 {
        self.newlines + u64::from(self.last != b'\n')
    }

    /// The text for the model, ending with `end` (the exit line).
    fn render(mut self, end: &str) -> String {
        let mut tail = self.ring.split_off(self.at);
        tail.extend_from_slice(&self.ring);
        let fits = self.total <= MAX_BYTES as u64 && self.lines() <= MAX_LINES as u64;
        if fits {
            // Everything is in memory: the head and the unwrapped ring.
            if let Some((path, _)) = &self.log {
                let _ = std::fs::remove_file(path);
            }
            let mut all = self.head;
            all.extend_from_slice(&tail);
            let text = String::from_utf8_lossy(&all);
            return match text.is_empty() {
                true => format!("(no output)\n{end}"),
                false if text.ends_with('\n') => format!("{text}{end}"),
                false => format!("{text}\n{end}"),
            };
        }
        if self.log.is_none() {
            // Many short lines within the head: it holds everything.
            self.open_log();
        }
        let where_ = match &mut self.log {
            Some((path, Ok(f))) => match f.flush() {
                Ok(()) => format!("full output: {}", path.display()),
                Err(e) => format!("full output not saved: {e}"),
            },
            Some((_, Err(e))) => format!("full output not saved: {e}"),
            None => "full output not saved".into(),
        };
        let head_text = String::from_utf8_lossy(&self.head);
        let tail_text = String::from_utf8_lossy(&tail);
        let head = truncate::head(&head_text, MAX_LINES / 2, KEEP);
        // The ring only ever holds bytes after the head, so they never overlap.
        let tail = truncate::tail(&tail_text, MAX_LINES / 2, KEEP);
        let lines = self
            .lines()
            .saturating_sub((head.lines + tail.lines) as u64);
        let bytes = self
            .total
            .saturating_sub((head.text.len() + tail.text.len()) as u64);
        let mut s = String::with_capacity(head.text.len() + tail.text.len() + 200);
        s.push_str(head.text);
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(&format!(
            "[... {lines} of {} lines ({bytes} bytes) omitted; {where_} ...]\n",
            self.lines()
        ));
        s.push_str(tail.text);
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s.push_str(end);
        s
    }
}

#[cfg(test)]
#[path = "bash_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "bash_sandbox_tests.rs"]
mod sandbox_tests;

#[cfg(test)]
#[path = "bash_wait_tests.rs"]
mod wait_tests;

//! The stdio transport: a child process speaking newline-delimited JSON-RPC
//! on stdin/stdout. Its stderr goes straight to a log file (no thread, no
//! terminal noise). Reading waits with poll(2) against a deadline, so a
//! silent server costs a timeout, never a hang; lines that are not JSON
//! objects are skipped.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use super::config::Launch;
use crate::json::value::{self, Value};

/// The variables a stdio server inherits; the rest must be named in its
/// config's `env`.
pub const BASE_ENV: &[&str] = &[
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TMPDIR",
    "TZ",
];

/// One line may be this long (a large tool result); beyond it the server is broken.
const MAX_LINE: usize = 32 << 20;

pub struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    buf: Vec<u8>,
    /// Bytes of `buf` already searched for a newline.
    scanned: usize,
}

impl Proc {
    pub fn spawn(launch: &Launch, log: Option<std::fs::File>) -> Result<Proc, String> {
        let Launch::Stdio {
            command,
            args,
            env,
            cwd,
        } = launch
        else {
            return Err("not a stdio server".into());
        };
        let mut cmd = Command::new(command);
        // Only a minimal base and what the config names: never mote's keys,
        // nor anything else of the user's environment.
        cmd.env_clear();
        for k in BASE_ENV {
            if let Some(v) = std::env::var_os(k) {
                cmd.env(k, v);
            }
        }
        cmd.args(args).envs(env.iter().map(|(k, v)| (k, v)));
        if let Some(d) = cwd {
            cmd.current_dir(d);
        }
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
        cmd.stderr(log.map_or(Stdio::null(), Stdio::from));
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start `{command}`: {e}"))?;
        let (stdin, stdout) = match (child.stdin.take(), child.stdout.take()) {
            (Some(i), Some(o)) => (i, o),
            _ => return Err("no pipes to the server".into()),
        };
        Ok(Proc {
            child,
            stdin: Some(stdin),
            stdout,
            buf: Vec::new(),
            scanned: 0,
        })
    }

    pub fn send(&mut self, msg: &str) -> Result<(), String> {
        let w = self.stdin.as_mut().ok_or("the server's stdin is closed")?;
        let mut line = Vec::with_capacity(msg.len() + 1);
        line.extend_from_slice(msg.as_bytes());
        line.push(b'\n');
        w.write_all(&line)
            .and_then(|_| w.flush())
            .map_err(|e| format!("writing to the server: {e}{}", self.exit_note()))
    }

    /// The next JSON message, or `None` at the deadline.
    pub fn recv(&mut self, deadline: Instant) -> Result<Option<Value>, String> {
        let mut looked = false;
        loop {
            while let Some(p) = self
                .buf
                .get(self.scanned..)
                .and_then(|b| b.iter().position(|&c| c == b'\n'))
            {
                let end = self.scanned + p;
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                self.scanned = 0;
                let text = String::from_utf8_lossy(&line);
                let text = text.trim();
                if text.starts_with('{') {
                    if let Ok(v) = value::parse(text) {
                        return Ok(Some(v));
                    }
                }
                // Anything else (a stray log line on stdout) is ignored.
            }
            self.scanned = self.buf.len();
            if self.buf.len() > MAX_LINE {
                return Err("the server sent a line over 32 MiB".into());
            }
            // A deadline already past still looks once at what is waiting.
            let now = Instant::now();
            if now >= deadline && looked {
                return Ok(None);
            }
            looked = true;
            let ms = match deadline.checked_duration_since(now) {
                Some(d) => (d.as_millis().min(i32::MAX as u128) as i32).max(1),
                None => 0,
            };
            let mut pfd = libc::pollfd {
                fd: self.stdout.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            let r = unsafe { libc::poll(&mut pfd, 1, ms) };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(format!("poll: {e}"));
            }
            if r == 0 {
                continue;
            }
            let mut chunk = [0u8; 16 * 1024];
            match self.stdout.read(&mut chunk) {
                Ok(0) => return Err(format!("the server closed its output{}", self.exit_note())),
                Ok(n) => self.buf.extend_from_slice(chunk.get(..n).unwrap_or(&[])),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("reading from the server: {e}")),
            }
        }
    }

    fn exit_note(&mut self) -> String {
        std::thread::sleep(std::time::Duration::from_millis(20));
        match self.child.try_wait() {
            Ok(Some(st)) => format!(" (it exited: {st})"),
            _ => String::new(),
        }
    }

    /// Close stdin: servers exit on EOF.
    pub fn hang_up(&mut self) {
        self.stdin = None;
    }

    /// Wait until `deadline` for the server to exit, then SIGTERM, then
    /// SIGKILL (the shutdown the MCP spec describes).
    pub fn reap(&mut self, deadline: Instant) {
        let gone = |c: &mut Child, until: Instant| loop {
            if let Ok(Some(_)) = c.try_wait() {
                return true;
            }
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        if gone(&mut self.child, deadline) {
            return;
        }
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: signalling our own child, which has not been reaped.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        if !gone(
            &mut self.child,
            Instant::now() + std::time::Duration::from_millis(200),
        ) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    pub fn close(&mut self) {
        self.hang_up();
        self.reap(Instant::now() + std::time::Duration::from_millis(200));
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_gets_the_base_and_its_named_variables_only() {
        std::env::set_var("MOTE_STDIO_TEST_API_KEY", "sk-mcp-leak");
        std::env::set_var("MOTE_STDIO_TEST_OTHER", "other");
        let out = std::env::temp_dir().join(format!("mote-mcp-env-{}", std::process::id()));
        let launch = Launch::Stdio {
            command: "sh".into(),
            args: vec!["-c".into(), format!("env > {}", out.display())],
            env: vec![("NAMED".into(), "given".into())],
            cwd: None,
        };
        let mut p = Proc::spawn(&launch, None).unwrap();
        let _ = p.child.wait();
        let env = std::fs::read_to_string(&out).unwrap();
        let _ = std::fs::remove_file(&out);
        assert!(
            env.contains("PATH=") && env.contains("NAMED=given"),
            "{env}"
        );
        assert!(
            !env.contains("sk-mcp-leak") && !env.contains("MOTE_STDIO_TEST_OTHER"),
            "{env}"
        );
    }
}

//! Running children: spawn each in its own process group with a
//! parent-death signal, read its stream-json events from a pipe with the
//! streaming JSON parser (one line at a time, nothing but the line being
//! read held), and watch all of them in one single-threaded poll loop,
//! at most `max_parallel` at once. A child past its deadline, or every
//! child when the user interrupts, is stopped: SIGTERM to its group (its
//! handler stops its own commands), SIGKILL after a grace period, then
//! reaped, so nothing is left behind, zombie or orphan.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::child::{self, Group};
use crate::json::{Event as Json, Parser};
use crate::provider::Usage;

/// How long a stopped child has to exit before SIGKILL.
const GRACE: Duration = Duration::from_millis(120);
/// A final answer is cut at this many bytes.
pub const ANSWER_CAP: usize = 16 * 1024;
/// The end of the child's stderr kept for an error message.
const STDERR_TAIL: usize = 2048;
/// A stream-json line longer than this is not passed on whole.
const LINE_CAP: usize = 256 * 1024;

/// One child to run.
pub struct Spec {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub env: Vec<(OsString, OsString)>,
    pub cwd: PathBuf,
}

/// What a running child reports, for the live display.
pub enum Progress<'a> {
    Started,
    Turn(u32),
    Tool(&'a str),
    /// Tokens used so far (input + output).
    Tokens(u64),
    /// A whole stream-json line of the child (only when `Limits::lines`).
    Line(&'a [u8]),
}

#[derive(Clone, Copy)]
pub struct Limits {
    pub max_parallel: usize,
    pub timeout: Duration,
    /// Pass each whole event line to the watcher (stream-json parents).
    pub lines: bool,
}

/// How a child's run ended.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The final answer, at most `ANSWER_CAP` bytes.
    pub answer: String,
    /// The answer was longer and has been cut.
    pub cut: bool,
    pub turns: u32,
    pub usage: Usage,
    /// The `error` of the child's result event.
    pub error: Option<String>,
    /// The exit code, or the signal that ended it (as 128 + N); None: not started.
    pub exit: Option<i32>,
    /// Stopped by the parent: "timeout" or "interrupted".
    pub stopped: Option<&'static str>,
    /// The child's session id, when it saved one.
    pub session: Option<String>,
    pub elapsed: Duration,
    /// The end of what it wrote on stderr.
    pub stderr: String,
}

/// A running child and what has been read of it.
struct Running {
    index: usize,
    proc: Child,
    out: Option<File>,
    err: Option<File>,
    slot: Option<usize>,
    started: Instant,
    parser: Parser,
    line: Line,
    outcome: Outcome,
    status: Option<ExitStatus>,
}

/// The facts of the stream-json line being read.
#[derive(Default)]
struct Line {
    kind: String,
    name: String,
    raw: Vec<u8>,
    too_long: bool,
    turn: Option<u32>,
    usage: Usage,
    error: Option<String>,
    session: String,
}

/// Run every spec, at most `limits.max_parallel` at once, reporting
/// progress to `watch(index, progress)`. Returns one outcome per spec, in
/// order. The user's interrupt (`crate::interrupt`) stops them all.
pub fn run_all(
    specs: &[Spec],
    limits: Limits,
    watch: &mut dyn FnMut(usize, Progress),
) -> Vec<Outcome> {
    let mut outcomes: Vec<Outcome> = specs.iter().map(|_| Outcome::default()).collect();
    let mut running: Vec<Running> = Vec::new();
    let mut next = 0;
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let interrupted = crate::interrupt::requested();
        while !interrupted && running.len() < limits.max_parallel.max(1) && next < specs.len() {
            if let Some(spec) = specs.get(next) {
                match spawn(spec, next) {
                    Ok(r) => {
                        watch(next, Progress::Started);
                        running.push(r);
                    }
                    Err(e) => {
                        if let Some(o) = outcomes.get_mut(next) {
                            o.error = Some(format!("cannot start the subagent: {e}"));
                        }
                    }
                }
            }
            next += 1;
        }
        if interrupted {
            stop_all(&mut running, "interrupted");
        }
        // Done children (both pipes closed and exit status known) leave.
        let mut i = 0;
        while i < running.len() {
            if reap(&mut running[i]) {
                let r = running.swap_remove(i);
                child::untrack(r.slot);
                if let Some(o) = outcomes.get_mut(r.index) {
                    *o = r.outcome;
                }
            } else {
                i += 1;
            }
        }
        if running.is_empty() && (next >= specs.len() || interrupted) {
            for o in outcomes.iter_mut().skip(next) {
                o.stopped = Some("interrupted");
            }
            return outcomes;
        }
        let now = Instant::now();
        let late: Vec<usize> = (0..running.len())
            .filter(|&i| now >= running[i].started + limits.timeout)
            .collect();
        if !late.is_empty() {
            let mut stopping: Vec<&mut Running> = running
                .iter_mut()
                .enumerate()
                .filter(|(i, _)| late.contains(i))
                .map(|(_, r)| r)
                .collect();
            stop(&mut stopping, "timeout");
            continue;
        }
        let wait = running
            .iter()
            .map(|r| (r.started + limits.timeout).saturating_duration_since(now))
            .min()
            .unwrap_or(Duration::ZERO);
        wait_any(&mut running, wait, &mut buf, limits, watch);
    }
}

/// Start one child, its stdout and stderr piped, in its own process group.
fn spawn(spec: &Spec, index: usize) -> std::io::Result<Running> {
    let parent = std::process::id() as libc::pid_t;
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .current_dir(&spec.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    // SAFETY: prctl and getppid are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 || libc::getppid() != parent
            {
                return Err(std::io::Error::other("the parent is gone"));
            }
            Ok(())
        });
    }
    let (mut proc, slot) = child::spawn(&mut cmd, Group::Subagent)?;
    let out = proc.stdout.take().map(|o| File::from(OwnedFd::from(o)));
    let err = proc.stderr.take().map(|e| File::from(OwnedFd::from(e)));
    Ok(Running {
        index,
        proc,
        out,
        err,
        slot,
        started: Instant::now(),
        parser: Parser::new(),
        line: Line::default(),
        outcome: Outcome::default(),
        status: None,
    })
}

/// Wait up to `wait` for output from any child (or an interrupt key) and
/// read what is there.
fn wait_any(
    running: &mut [Running],
    wait: Duration,
    buf: &mut [u8],
    limits: Limits,
    watch: &mut dyn FnMut(usize, Progress),
) {
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut owners: Vec<(usize, bool)> = Vec::new();
    for (i, r) in running.iter().enumerate() {
        for (f, is_out) in [(&r.out, true), (&r.err, false)] {
            if let Some(f) = f {
                fds.push(libc::pollfd {
                    fd: f.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                });
                owners.push((i, is_out));
            }
        }
    }
    // With both pipes closed, only the exit is awaited: check again soon.
    let idle = if fds.len() < running.len() * 2 {
        Duration::from_millis(10)
    } else if crate::interrupt::tick() {
        Duration::from_millis(100)
    } else {
        wait
    };
    let ms = idle.min(wait).as_millis().min(i32::MAX as u128) as i32;
    let ready = match crate::interrupt::poll_many(&mut fds, ms) {
        Ok(true) => return, // interrupted: the loop stops everyone
        Ok(false) => fds,
        Err(_) => return,
    };
    for (pfd, (i, is_out)) in ready.iter().zip(owners) {
        if pfd.revents == 0 {
            continue;
        }
        let Some(r) = running.get_mut(i) else {
            continue;
        };
        let file = if is_out { &mut r.out } else { &mut r.err };
        let Some(f) = file.as_mut() else { continue };
        match f.read(buf) {
            Ok(0) | Err(_) => *file = None,
            Ok(n) => {
                let data = buf.get(..n).unwrap_or(&[]);
                if is_out {
                    feed(r, data, limits.lines, watch);
                } else {
                    keep_tail(&mut r.outcome.stderr, data);
                }
            }
        }
    }
}

fn keep_tail(s: &mut String, data: &[u8]) {
    s.push_str(&String::from_utf8_lossy(data));
    if s.len() > STDERR_TAIL {
        let cut = s.len() - STDERR_TAIL;
        let cut = (cut..s.len()).find(|&i| s.is_char_boundary(i)).unwrap_or(0);
        s.drain(..cut);
    }
}

/// Parse stdout bytes: each newline ends one event.
fn feed(r: &mut Running, mut data: &[u8], lines: bool, watch: &mut dyn FnMut(usize, Progress)) {
    while !data.is_empty() {
        let (part, rest, end) = match data.iter().position(|&b| b == b'\n') {
            Some(p) => (&data[..p], &data[p + 1..], true),
            None => (data, &[][..], false),
        };
        data = rest;
        if lines && !r.line.too_long {
            if r.line.raw.len() + part.len() > LINE_CAP {
                r.line.too_long = true;
                r.line.raw = Vec::new();
            } else {
                r.line.raw.extend_from_slice(part);
            }
        }
        let (line, out) = (&mut r.line, &mut r.outcome);
        let mut sink = |path: &[u8], e: Json| on_json(line, out, path, e);
        let ok = r.parser.feed(part, &mut sink).is_ok();
        if !end {
            if !ok {
                r.parser.reset();
            }
            continue;
        }
        let done = ok && r.parser.finish(&mut sink).is_ok();
        r.parser.reset();
        let line = std::mem::take(&mut r.line);
        if done {
            event(r, &line, watch);
        }
        if lines && !line.raw.is_empty() {
            r.line.raw = line.raw;
            r.line.raw.clear();
        }
    }
}

/// One parser event of the current line.
fn on_json(line: &mut Line, out: &mut Outcome, path: &[u8], e: Json) {
    match (path, e) {
        (b"type", Json::Str(s)) => line.kind.push_str(s),
        (b"name", Json::Str(s)) if line.name.len() < 200 => line.name.push_str(s),
        (b"id", Json::Str(s)) if line.session.len() < 200 => line.session.push_str(s),
        (b"result", Json::Str(s)) if line.kind == "result" => {
            if out.answer.len() + s.len() <= ANSWER_CAP {
                out.answer.push_str(s);
            } else if !out.cut {
                let room = ANSWER_CAP.saturating_sub(out.answer.len());
                let at = crate::text::floor_char(s, room);
                out.answer.push_str(s.get(..at).unwrap_or(""));
                out.cut = true;
            }
        }
        (b"error", Json::Str(s)) => {
            let e = line.error.get_or_insert_with(String::new);
            if e.len() < 2000 {
                e.push_str(s);
            }
        }
        (b"turn" | b"turns", Json::Scalar(n)) => {
            line.turn = std::str::from_utf8(n).ok().and_then(|n| n.parse().ok())
        }
        (p, Json::Scalar(n)) if p.starts_with(b"usage.") => {
            let n: u64 = std::str::from_utf8(n)
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            match p {
                b"usage.input_tokens" => line.usage.input = n,
                b"usage.output_tokens" => line.usage.output = n,
                b"usage.cached_tokens" => line.usage.cached = n,
                b"usage.cache_write_tokens" => line.usage.cache_write = n,
                _ => {}
            }
        }
        _ => {}
    }
}

/// A whole event line was read: update the outcome and tell the watcher.
fn event(r: &mut Running, line: &Line, watch: &mut dyn FnMut(usize, Progress)) {
    let i = r.index;
    let o = &mut r.outcome;
    match line.kind.as_str() {
        "turn_start" => {
            o.turns = line.turn.unwrap_or(o.turns + 1);
            watch(i, Progress::Turn(o.turns));
        }
        "tool_call" => watch(i, Progress::Tool(&line.name)),
        "turn_end" => {
            o.usage.add(line.usage);
            watch(i, Progress::Tokens(o.usage.input + o.usage.output));
        }
        "session" if !line.session.is_empty() => o.session = Some(line.session.clone()),
        "result" => {
            o.turns = line.turn.unwrap_or(o.turns);
            o.usage = line.usage;
            o.error = line.error.clone();
        }
        _ => {}
    }
    if !line.raw.is_empty() && !line.too_long {
        watch(i, Progress::Line(&line.raw));
    }
}

/// Has the child finished (pipes closed, exit status collected)?
fn reap(r: &mut Running) -> bool {
    if r.status.is_none() && r.out.is_none() && r.err.is_none() {
        r.status = r.proc.try_wait().ok().flatten();
    }
    let Some(s) = r.status else { return false };
    r.outcome.exit = Some(s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)));
    r.outcome.elapsed = r.started.elapsed();
    true
}

fn stop_all(running: &mut [Running], why: &'static str) {
    let mut all: Vec<&mut Running> = running.iter_mut().collect();
    stop(&mut all, why);
}

/// Stop children: SIGTERM their groups, SIGKILL after `GRACE`, reap.
fn stop(rs: &mut [&mut Running], why: &'static str) {
    for r in rs.iter_mut() {
        r.outcome.stopped.get_or_insert(why);
        signal(&r.proc, libc::SIGTERM);
    }
    let until = Instant::now() + GRACE;
    while Instant::now() < until && rs.iter_mut().any(|r| !exited(r)) {
        std::thread::sleep(Duration::from_millis(5));
    }
    for r in rs.iter_mut() {
        if !exited(r) {
            signal(&r.proc, libc::SIGKILL);
            r.status = r.proc.wait().ok();
        }
        r.out = None;
        r.err = None;
    }
}

fn exited(r: &mut Running) -> bool {
    if r.status.is_none() {
        r.status = r.proc.try_wait().ok().flatten();
    }
    r.status.is_some()
}

fn signal(p: &Child, sig: libc::c_int) {
    if let Ok(pid) = libc::pid_t::try_from(p.id()) {
        // SAFETY: plain syscall; the group id is the child's pid (process_group(0)).
        unsafe { libc::kill(-pid, sig) };
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;

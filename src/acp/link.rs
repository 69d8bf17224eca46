//! The editor's pipe as the whole process shares it: stdin's line reader
//! and the messages read but not yet handled, in one thread-local, so the
//! main loop, a turn's waits (through `interrupt::set_reader`: the model
//! stream and running commands watch stdin too) and a permission question
//! all read the same bytes. While a turn runs, a `session/cancel` for it (or
//! EOF) stops the turn; every other message waits in the queue for the
//! main loop, except the answer a permission question is waiting for.

use std::cell::RefCell;
use std::collections::VecDeque;

use super::wire::{Input, Line};
use crate::json::value::{self, Value};
use crate::mcp::rpc::{self, Incoming};

struct Link {
    input: Input,
    queue: VecDeque<Line>,
    /// The session whose prompt is running.
    running: Option<String>,
    /// A `session/cancel` for it arrived.
    cancelled: bool,
    next_id: u64,
}

thread_local! {
    static LINK: RefCell<Link> = RefCell::new(Link {
        input: Input::new(0),
        queue: VecDeque::new(),
        running: None,
        cancelled: false,
        next_id: 0,
    });
}

fn with<T>(f: impl FnOnce(&mut Link) -> T) -> T {
    LINK.with(|l| f(&mut l.borrow_mut()))
}

/// Has stdin ended?
pub fn eof() -> bool {
    with(|l| l.input.eof)
}

/// The next message to handle: queued first, then what stdin has buffered.
pub fn next() -> Option<Line> {
    with(|l| l.queue.pop_front().or_else(|| l.input.next_line()))
}

/// One read of stdin (after poll said it is readable).
pub fn fill() -> std::io::Result<()> {
    with(|l| l.input.fill())
}

/// A prompt of `session` starts (`Some`) or ends (`None`).
pub fn running(session: Option<&str>) {
    with(|l| {
        l.running = session.map(String::from);
        l.cancelled = false;
    });
    crate::interrupt::set_reader(session.map(|_| turn_reader as fn() -> bool));
    crate::interrupt::arm(session.is_some());
}

/// Was the running prompt cancelled (or stdin closed)?
pub fn cancelled() -> bool {
    with(|l| l.cancelled || l.input.eof)
}

/// Is `line` a `session/cancel` for `session`?
fn is_cancel(line: &[u8], session: &str) -> bool {
    let Some(v) = std::str::from_utf8(line)
        .ok()
        .and_then(|t| value::parse(t).ok())
    else {
        return false;
    };
    matches!(rpc::classify(&v), Incoming::Notification { method: "session/cancel", params }
        if params.and_then(|p| p.get("sessionId")).and_then(|s| s.as_str()) == Some(session))
}

/// Read what stdin has, keeping every message but a cancel of the running
/// prompt for later. True when the turn must stop.
fn absorb(l: &mut Link) -> bool {
    if l.input.fill().is_err() {
        l.input.eof = true;
    }
    while let Some(line) = l.input.next_line() {
        match (&line, &l.running) {
            (Line::Msg(m), Some(s)) if is_cancel(m, s) => l.cancelled = true,
            _ => l.queue.push_back(line),
        }
    }
    l.cancelled || l.input.eof
}

/// `interrupt`'s stdin reader while a turn runs.
fn turn_reader() -> bool {
    with(absorb)
}

/// Why a question to the client got no answer.
#[derive(Debug)]
pub struct Cancelled;

/// Send a request to the client and wait for its answer, reading stdin
/// meanwhile. `Err` when the prompt was cancelled (or stdin ended) first.
pub fn ask(method: &str, params: Value) -> Result<Result<Value, String>, Cancelled> {
    let id = with(|l| {
        l.next_id += 1;
        l.next_id
    });
    if super::wire::send(&rpc::request(id, method, params)).is_err() {
        return Err(Cancelled);
    }
    loop {
        let got = with(|l| {
            // Answers may already be buffered behind other messages.
            let mut kept = VecDeque::new();
            let mut found = None;
            while let Some(line) = l.input.next_line() {
                let answer = match &line {
                    Line::Msg(m) => answer_to(m, id),
                    // Only an answer (a whole file) gets that big.
                    Line::TooLarge => Some(Err(format!(
                        "the editor's answer is larger than {} MiB",
                        super::wire::MAX_MESSAGE >> 20
                    ))),
                };
                match answer {
                    Some(a) if found.is_none() => found = Some(a),
                    _ => match (&line, &l.running) {
                        (Line::Msg(m), Some(s)) if is_cancel(m, s) => l.cancelled = true,
                        _ => kept.push_back(line),
                    },
                }
            }
            l.queue.extend(kept);
            found
        });
        // A cancel read with the answer wins: the turn stops here, and
        // nothing more (no tool run, no model request) happens in it.
        if cancelled() {
            return Err(Cancelled);
        }
        if let Some(a) = got {
            return Ok(a);
        }
        if super::wait_readable(0).is_err() || fill().is_err() {
            return Err(Cancelled);
        }
    }
}

/// The outcome of our request `id`, if `line` answers it.
fn answer_to(line: &[u8], id: u64) -> Option<Result<Value, String>> {
    let v = value::parse(std::str::from_utf8(line).ok()?).ok()?;
    match rpc::classify(&v) {
        Incoming::Response { id: got, outcome } if rpc::is_id(got, id) => Some(outcome.cloned()),
        _ => None,
    }
}

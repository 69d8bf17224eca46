//! The user's interrupt keys while a turn runs in the interactive mode.
//! The terminal is in raw mode, so Ctrl-C and Esc arrive as bytes on stdin,
//! not as signals: whoever blocks during a turn (the response stream, the
//! bash tool) waits with `poll` on its own fd and on stdin together, so a
//! key press ends the wait at once. Headless runs never arm it, and then
//! `poll` watches only the given fd.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

static ARMED: AtomicBool = AtomicBool::new(false);
static REQUESTED: AtomicBool = AtomicBool::new(false);

#[derive(Debug, PartialEq)]
pub enum Ready {
    Fd,
    Interrupt,
    Timeout,
}

/// Start (or stop) watching stdin for interrupt keys; clears any old request.
pub fn arm(on: bool) {
    REQUESTED.store(false, Ordering::SeqCst);
    ARMED.store(on, Ordering::SeqCst);
}

pub fn armed() -> bool {
    ARMED.load(Ordering::SeqCst)
}

/// Has the user interrupted the turn since it was armed?
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Wait up to `ms` (-1: forever) for `fd` to be readable or for an
/// interrupt key. Other keys typed meanwhile are dropped.
pub fn poll(fd: i32, ms: i32) -> io::Result<Ready> {
    let mut fds = vec![libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }];
    Ok(match poll_many(&mut fds, ms)? {
        true => Ready::Interrupt,
        false if fds.first().is_some_and(|f| f.revents != 0) => Ready::Fd,
        false => Ready::Timeout,
    })
}

/// `poll(2)` on `fds` and, when armed, on stdin for the interrupt keys;
/// true if the user interrupted. The caller reads each fd's `revents`.
/// Keys other than Ctrl-C and Esc are kept for the next prompt.
pub fn poll_many(fds: &mut Vec<libc::pollfd>, ms: i32) -> io::Result<bool> {
    if requested() {
        return Ok(true);
    }
    let watch = armed();
    if watch {
        fds.push(libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        });
    }
    // SAFETY: `fds.len()` valid pollfds.
    let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    let stdin = if watch { fds.pop() } else { None };
    if r < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    if stdin.is_some_and(|s| s.revents != 0) {
        // A front end whose stdin is a protocol pipe (ACP) reads it itself.
        if let Some(read) = READER.with(|r| r.get()) {
            if read() {
                REQUESTED.store(true, Ordering::SeqCst);
                return Ok(true);
            }
            return Ok(false);
        }
        let mut buf = [0u8; 256];
        // SAFETY: reading into a buffer of its length.
        let got = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        let keys = buf.get(..got.max(0) as usize).unwrap_or(&[]);
        // Esc alone (not the start of an arrow key's sequence) clears what
        // was typed ahead (the queued prompts); with nothing there it stops the turn.
        if keys == [0x1b] && TYPEAHEAD.with(|t| !t.borrow().is_empty()) {
            TYPEAHEAD.with(|t| t.borrow_mut().clear());
            return Ok(false);
        }
        // Ctrl-C anywhere, or that Esc.
        if got <= 0 || keys.contains(&0x03) || keys == [0x1b] {
            REQUESTED.store(true, Ordering::SeqCst);
            return Ok(true);
        }
        // Anything else is typed ahead, for the next prompt.
        TYPEAHEAD.with(|t| {
            let mut t = t.borrow_mut();
            if t.len() < 4096 {
                t.extend_from_slice(keys);
            }
        });
    }
    Ok(false)
}

thread_local! {
    /// Keys typed while a turn ran, handed to the line editor afterwards.
    static TYPEAHEAD: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Called while waiting, to animate a spinner; returns whether it wants
    /// to be called again soon (then waits wake up every 100 ms).
    static TICK: std::cell::Cell<Option<fn() -> bool>> = const { std::cell::Cell::new(None) };
}

thread_local! {
    /// Reads stdin while a turn runs instead of the key handler, for a
    /// front end whose stdin carries messages (ACP): true means stop the turn.
    static READER: std::cell::Cell<Option<fn() -> bool>> = const { std::cell::Cell::new(None) };
}

/// Hand stdin, while armed, to `f` (the ACP pipe reader) instead of the keys.
pub fn set_reader(f: Option<fn() -> bool>) {
    READER.with(|r| r.set(f));
}

pub fn set_tick(f: Option<fn() -> bool>) {
    TICK.with(|t| t.set(f));
}

/// Call the tick hook; does it want more ticks?
pub fn tick() -> bool {
    TICK.with(|t| t.get()).is_some_and(|f| f())
}

/// Before a blocking read of `fd` during a turn: wait until it is readable
/// (or `idle` passes, and the read reports the timeout). Returns true if
/// the user interrupted instead. Headless (not armed): returns at once.
pub fn wait(fd: i32, idle: std::time::Duration) -> io::Result<bool> {
    if !armed() {
        return Ok(false);
    }
    let until = std::time::Instant::now() + idle;
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        let ms = if tick() {
            100
        } else {
            left.as_millis().min(i32::MAX as u128) as i32
        };
        match poll(fd, ms)? {
            Ready::Fd => return Ok(false),
            Ready::Interrupt => return Ok(true),
            Ready::Timeout => {}
        }
    }
}

/// `wait` as an `http::Interrupt`: a failed poll is no interrupt (the
/// read that follows reports it).
pub fn waited(fd: i32, idle: std::time::Duration) -> bool {
    wait(fd, idle).unwrap_or(false)
}

/// Interrupt the running turn from inside it (e.g. Ctrl-C at a permission prompt).
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// `f` of the keys typed ahead so far, left in place (to show them).
pub fn peek_typeahead<R>(f: impl FnOnce(&[u8]) -> R) -> R {
    TYPEAHEAD.with(|t| f(&t.borrow()))
}

/// The keys typed during the turn (not the interrupt keys).
pub fn take_typeahead() -> Vec<u8> {
    TYPEAHEAD.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

//! The terminal itself: raw mode on and off, the window size, and the
//! signal handlers that put the terminal back however mote leaves. The
//! saved settings live in a static so that a handler (SIGTERM, SIGHUP,
//! SIGINT, SIGQUIT, and SIGABRT, which is how a panic ends in the release
//! build) can restore them with async-signal-safe calls before dying.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// The settings found at startup, restored on the way out.
static mut SAVED: Option<libc::termios> = None;
static RAW: AtomicBool = AtomicBool::new(false);
static RESIZED: AtomicBool = AtomicBool::new(false);

/// Escape sequences turned on with raw mode: bracketed paste.
const ENTER: &[u8] = b"\x1b[?2004h";
/// ...and off again, with colours reset and the cursor shown.
const LEAVE: &[u8] = b"\x1b[?2004l\x1b[0m\x1b[?25h";

/// Raw mode for the line editor and the running turn: no echo, no line
/// discipline, no signals from keys (Ctrl-C and Ctrl-Z arrive as bytes),
/// output processing kept so "\n" still moves to the next line's start.
pub fn enter_raw() -> io::Result<()> {
    // SAFETY: tcgetattr fills the struct; SAVED is only written here, on
    // the one thread, before any handler that reads it is installed.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(0, &mut t) != 0 {
            return Err(io::Error::last_os_error());
        }
        if !RAW.load(Ordering::SeqCst) {
            SAVED = Some(t);
        }
        let mut raw = t;
        raw.c_iflag &= !(libc::BRKINT | libc::ICRNL | libc::INPCK | libc::ISTRIP | libc::IXON);
        raw.c_cflag |= libc::CS8;
        raw.c_lflag &= !(libc::ECHO | libc::ICANON | libc::IEXTEN | libc::ISIG);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        install_handlers();
        if libc::tcsetattr(0, libc::TCSADRAIN, &raw) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    RAW.store(true, Ordering::SeqCst);
    let mut out = io::stdout().lock();
    out.write_all(ENTER)?;
    out.flush()
}

/// Put the terminal back as it was found. Safe to call more than once.
pub fn restore() {
    if RAW.swap(false, Ordering::SeqCst) {
        let mut out = io::stdout().lock();
        let _ = out.write_all(LEAVE);
        let _ = out.flush();
        restore_termios();
    }
}

fn restore_termios() {
    // SAFETY: SAVED was written once before RAW was set; tcsetattr is
    // async-signal-safe.
    unsafe {
        if let Some(t) = *std::ptr::addr_of!(SAVED) {
            libc::tcsetattr(0, libc::TCSADRAIN, &t);
        }
    }
}

extern "C" fn on_fatal(sig: libc::c_int) {
    if RAW.swap(false, Ordering::SeqCst) {
        // SAFETY: write(2), tcsetattr(3) are async-signal-safe.
        unsafe {
            libc::write(1, b"\r\n".as_ptr().cast(), 2);
            libc::write(1, LEAVE.as_ptr().cast(), LEAVE.len());
        }
        restore_termios();
    }
    // SAFETY: back to the default action, then die of the same signal.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

extern "C" fn on_winch(_: libc::c_int) {
    RESIZED.store(true, Ordering::SeqCst);
}

fn install_handlers() {
    // SAFETY: sigaction with handlers that only touch atomics and
    // async-signal-safe calls. No SA_RESTART for SIGWINCH, so a blocking
    // read returns EINTR and the editor redraws at once.
    unsafe {
        for (sig, f) in [
            (libc::SIGTERM, on_fatal as extern "C" fn(libc::c_int)),
            (libc::SIGHUP, on_fatal),
            (libc::SIGINT, on_fatal),
            (libc::SIGQUIT, on_fatal),
            (libc::SIGABRT, on_fatal),
            (libc::SIGWINCH, on_winch),
        ] {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = f as usize;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = 0;
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Has the window changed size since the last call?
pub fn resized() -> bool {
    RESIZED.swap(false, Ordering::SeqCst)
}

/// Columns of the terminal on stdout (80 when it cannot be asked).
pub fn width() -> usize {
    // SAFETY: TIOCGWINSZ fills a winsize.
    unsafe {
        let mut ws: libc::winsize = std::mem::zeroed();
        if libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) == 0 && ws.ws_col > 0 {
            return ws.ws_col as usize;
        }
    }
    80
}

/// Read what stdin has (blocking until at least one byte). `Ok(0)` is end
/// of input; `Interrupted` comes back to the caller (a resize).
pub fn read_stdin(buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: reading into a buffer of the given length.
    let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Wait up to `ms` (-1: forever) for stdin to be readable.
pub fn stdin_ready(ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, ms) > 0 }
}

//! The busy indicator: one line, a turning glyph, a label and the elapsed
//! time, redrawn from the waits of a running turn (`interrupt::set_tick`)
//! at most every 100 ms, and erased before anything else is printed. It
//! only exists while busy, so an idle mote has no timer at all.

use std::cell::RefCell;
use std::io::Write;
use std::time::{Duration, Instant};

struct Spin {
    on: bool,
    drawn: bool,
    color: bool,
    label: String,
    start: Instant,
    last: Instant,
    frame: usize,
}

thread_local! {
    static S: RefCell<Option<Spin>> = const { RefCell::new(None) };
}

const FRAMES: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const ASCII: &[&str] = &["-", "\\", "|", "/"];

/// Show the spinner with `label` (drawn at the first tick).
pub fn start(label: &str, color: bool) {
    stop();
    let now = Instant::now();
    let label = label.to_string();
    S.with(|s| {
        *s.borrow_mut() = Some(Spin {
            on: true,
            drawn: false,
            color,
            label,
            start: now,
            last: now,
            frame: 0,
        })
    });
}

/// Erase the spinner, if shown. Returns the time since `start`.
pub fn stop() -> Option<Duration> {
    S.with(|s| {
        let sp = s.borrow_mut().take()?;
        if sp.drawn {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(b"\r\x1b[K");
            let _ = out.flush();
        }
        Some(sp.start.elapsed())
    })
}

/// Redraw if due; true while a spinner is on (the waits keep ticking).
pub fn tick() -> bool {
    S.with(|s| {
        let mut b = s.borrow_mut();
        let Some(sp) = b.as_mut().filter(|sp| sp.on) else {
            return false;
        };
        let now = Instant::now();
        if sp.drawn && now < sp.last + Duration::from_millis(90) {
            return true;
        }
        sp.last = now;
        let frames = if sp.color { FRAMES } else { ASCII };
        sp.frame = (sp.frame + 1) % frames.len();
        let glyph = frames.get(sp.frame).copied().unwrap_or("-");
        let secs = super::screen::tenths(sp.start.elapsed().as_millis() as u64 / 100, "s");
        let max = super::term::width().saturating_sub(14);
        let label = clip(&sp.label, max);
        let (dim, off) = if sp.color {
            ("\x1b[2m", "\x1b[0m")
        } else {
            ("", "")
        };
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "\r\x1b[K{dim}{glyph} {label} {secs}{off}");
        let _ = out.flush();
        sp.drawn = true;
        true
    })
}

/// At most `max` columns of `s`, on one line.
pub fn clip(s: &str, max: usize) -> String {
    let mut w = 0;
    let mut out = String::new();
    for c in s.chars() {
        let c = if c == '\n' || c == '\t' { ' ' } else { c };
        let cw = super::width::char_width(c);
        if w + cw > max.saturating_sub(1) {
            out.push('…');
            return out;
        }
        w += cw;
        out.push(c);
    }
    out
}

//! The busy indicator: one line, a turning glyph, a label and the elapsed
//! time, redrawn from the waits of a running turn (`interrupt::set_tick`)
//! at most every 100 ms, and erased before anything else is printed. It
//! only exists while busy, so an idle mote has no timer at all. Prompts
//! typed and sent during the turn are shown on it as queued.

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
        let queued = crate::interrupt::peek_typeahead(queued);
        let label = match queued.is_empty() {
            true => clip(&sp.label, max),
            false => clip(
                &format!("{} · queued: {}", sp.label, queued.join(" | ")),
                max,
            ),
        };
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

/// The prompts typed ahead and sent (ended by Enter), to be run when the
/// turn ends; keys other than characters are left out of the text.
pub fn queued(keys: &[u8]) -> Vec<String> {
    let (mut lines, mut cur, mut rest) = (Vec::new(), String::new(), keys);
    let mut pasting = false;
    while let Some((k, n)) = super::keys::parse(rest) {
        rest = rest.get(n..).unwrap_or(&[]);
        match k {
            super::keys::Key::Char(c) => cur.push(c),
            super::keys::Key::PasteStart => pasting = true,
            super::keys::Key::PasteEnd => pasting = false,
            super::keys::Key::Enter if pasting => cur.push(' '),
            super::keys::Key::Enter => lines.push(std::mem::take(&mut cur)),
            _ => {}
        }
    }
    lines
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

//! The terminal's view of running subagents: one live line per child
//! (agent, description, current tool, turn, tokens, elapsed), redrawn in
//! place while they run; a finished child's line becomes its one-line
//! result, and once the whole batch is done the block is erased, leaving
//! the task calls' ordinary result lines. Without a terminal, only the
//! start and the one-line result are printed.

use super::screen::{say, Screen, DIM, GREEN, OFF, RED};
use super::spinner::{self, clip};
use crate::subagent::task::Shown;

/// The lines of the block now on screen: (call id, text, finished).
#[derive(Default)]
pub struct Live {
    lines: Vec<(String, String, bool)>,
    drawn: usize,
}

impl Screen {
    pub fn show_subagent(&mut self, s: &Shown) {
        spinner::stop();
        let w = if self.tty { super::term::width() } else { 200 };
        let (id, text, done) = match s {
            Shown::Start {
                id,
                agent,
                description,
            } => (id, format!("{agent}: {description} (starting)"), false),
            Shown::Progress {
                id,
                agent,
                description,
                turn,
                tool,
                tokens,
                elapsed,
            } => (
                id,
                format!(
                    "{agent}: {description} · {tool} · turn {turn} · {tokens} tokens · {} s",
                    elapsed.as_secs()
                ),
                false,
            ),
            Shown::Event { .. } => return,
            Shown::End {
                id,
                line,
                is_error,
                outcome,
                ..
            } => {
                self.turn_usage.add(outcome.usage);
                self.total.add(outcome.usage);
                let c = if *is_error { RED } else { GREEN };
                (id, format!("{c}●{OFF} {line}"), true)
            }
        };
        let text = clip(&text, w.saturating_sub(4).max(20));
        match self.live.lines.iter_mut().find(|l| l.0 == **id) {
            Some(l) => (l.1, l.2) = (text, done),
            None => self.live.lines.push((id.to_string(), text, done)),
        }
        self.draw_live(matches!(s, Shown::Start { .. }) || done);
    }

    /// Redraw the block (a terminal), or print a start or result line.
    fn draw_live(&mut self, changed: bool) {
        let all_done = self.live.lines.iter().all(|l| l.2);
        if !self.tty {
            if changed {
                if let Some(l) = self.live.lines.last() {
                    say(&format!("{}\n", strip(&l.1)));
                }
            }
            if all_done {
                self.live = Live::default();
            }
            return;
        }
        let mut out = String::new();
        if self.live.drawn > 0 {
            out.push_str(&format!("\x1b[{}A", self.live.drawn));
        }
        let (dim, off) = if self.color { (DIM, OFF) } else { ("", "") };
        for (_, text, done) in &self.live.lines {
            let text = if self.color {
                text.clone()
            } else {
                strip(text)
            };
            let (d, o) = if *done { ("", "") } else { (dim, off) };
            out.push_str(&format!("\r\x1b[2K  {d}{text}{o}\n"));
        }
        self.live.drawn = self.live.lines.len();
        if all_done {
            // The calls' result lines follow: erase the block.
            out.push_str(&format!("\x1b[{}A\x1b[J", self.live.drawn));
            self.live = Live::default();
        }
        say(&out);
    }
}

/// Text without colour escapes.
fn strip(s: &str) -> String {
    s.replace(GREEN, "").replace(RED, "").replace(OFF, "")
}

//! What one model response may cost, whatever the server sends: a cap on
//! the bytes kept from it (output tokens × bytes, at most 16 MiB) and on
//! the bytes read, an idle timer that only progress resets (text,
//! reasoning, tool calls: not keep-alive comments or empty events), an
//! overall deadline per request, the content type a 200 must carry, and
//! the total time spent waiting between retries of one request.

use std::time::{Duration, Instant};

use super::Wire;

/// Bytes kept per output token allowed (`--max-tokens`): a token is a few
/// bytes of text; escapes in tool arguments and reasoning fit well within.
const BYTES_PER_TOKEN: u64 = 64;
pub const MAX_KEPT: u64 = 16 << 20;
const MIN_KEPT: u64 = 256 << 10;
/// Bytes read off the wire for one response (events carry framing around
/// every token, so this is well above what is kept).
pub const MAX_READ: u64 = 64 << 20;
/// Tool calls run from one response; the rest are answered "not run".
pub const MAX_CALLS: usize = 128;
/// Tool call slots at all: a response asking for more is an error.
pub const MAX_SLOTS: usize = 4096;
/// Longest total wait between the retries of one request.
pub const RETRY_BUDGET: Duration = Duration::from_secs(120);

/// Why a response was cut off.
#[derive(Debug, PartialEq)]
pub enum Cut {
    /// No progress within the idle timeout (`--timeout`).
    Idle(u64),
    /// The request took longer than `--deadline`.
    Deadline(u64),
    /// More bytes than a response may have.
    TooBig(String),
}

impl Cut {
    pub fn message(&self) -> String {
        match self {
            Cut::Idle(s) => format!(
                "the model made no progress for {s} s (--timeout); the server sent nothing or only keep-alive events"
            ),
            Cut::Deadline(s) => format!("the response took longer than --deadline {s} s"),
            Cut::TooBig(m) => m.clone(),
        }
    }
}

pub struct Guard {
    start: Instant,
    last: Instant,
    idle: Duration,
    deadline: Duration,
    kept: u64,
    cap: u64,
    read: u64,
}

impl Guard {
    pub fn new(max_tokens: u32, idle: Duration, deadline: Duration) -> Guard {
        let now = Instant::now();
        Guard {
            start: now,
            last: now,
            idle,
            deadline,
            kept: 0,
            cap: (max_tokens as u64 * BYTES_PER_TOKEN).clamp(MIN_KEPT, MAX_KEPT),
            read: 0,
        }
    }

    /// `n` bytes of the answer arrived (text, reasoning, a tool call).
    pub fn progress(&mut self, n: usize) -> Result<(), Cut> {
        if n == 0 {
            return Ok(());
        }
        self.last = Instant::now();
        self.kept += n as u64;
        if self.kept > self.cap {
            return Err(Cut::TooBig(format!(
                "the response passed {} KiB of output (--max-tokens × {BYTES_PER_TOKEN} bytes, at most 16 MiB); stopped reading it",
                self.cap >> 10
            )));
        }
        Ok(())
    }

    /// `n` bytes were read off the wire.
    pub fn read(&mut self, n: usize) -> Result<(), Cut> {
        self.read += n as u64;
        if self.read > MAX_READ {
            return Err(Cut::TooBig(format!(
                "the response passed {} MiB on the wire; stopped reading it",
                MAX_READ >> 20
            )));
        }
        Ok(())
    }

    /// How long the next read may wait, or why it may not.
    pub fn wait(&self) -> Result<Duration, Cut> {
        let now = Instant::now();
        let idle = self.idle.saturating_sub(now - self.last);
        let deadline = self.deadline.saturating_sub(now - self.start);
        if deadline.is_zero() {
            return Err(Cut::Deadline(self.deadline.as_secs()));
        }
        if idle.is_zero() {
            return Err(Cut::Idle(self.idle.as_secs()));
        }
        Ok(idle.min(deadline))
    }
}

/// A 200 answer to a model request must be the stream the wire speaks; a
/// login page or a proxy's HTML is not worth retrying. A missing type is
/// let through (the decoder judges the bytes).
pub fn check_type(wire: Wire, content_type: Option<&str>) -> Result<(), &'static str> {
    let Some(ct) = content_type else {
        return Ok(());
    };
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (ok, want) = wire.format().stream_types();
    if ok.contains(&media.as_str()) {
        Ok(())
    } else {
        Err(want)
    }
}

/// The first bytes of a body, on one line, for an error message.
pub fn first_bytes(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut = crate::text::floor_char(&one, 200);
    one[..cut].to_string()
}

/// The wait before retry `attempt` (from 0): the server's Retry-After if
/// it gave one, else a doubling backoff; None when that would pass the
/// total retry budget, given what was `spent` already.
pub fn retry_wait(attempt: u32, after: Option<u64>, spent: Duration) -> Option<Duration> {
    let wait = match after {
        Some(s) => Duration::from_secs(s),
        None => Duration::from_millis(500u64 << attempt.min(5)),
    };
    (spent + wait <= RETRY_BUDGET).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_follows_max_tokens_within_bounds() {
        let d = Duration::from_secs(60);
        assert_eq!(Guard::new(8192, d, d).cap, 512 << 10);
        assert_eq!(Guard::new(10, d, d).cap, MIN_KEPT);
        assert_eq!(Guard::new(u32::MAX, d, d).cap, MAX_KEPT);
        let mut g = Guard::new(10, d, d);
        assert!(g.progress(MIN_KEPT as usize).is_ok());
        assert!(matches!(g.progress(1), Err(Cut::TooBig(_))));
    }

    #[test]
    fn idle_and_deadline() {
        let g = Guard::new(10, Duration::from_secs(5), Duration::from_secs(3));
        assert!(g.wait().unwrap() <= Duration::from_secs(3));
        let g = Guard::new(10, Duration::ZERO, Duration::from_secs(3));
        assert_eq!(g.wait(), Err(Cut::Idle(0)));
        let g = Guard::new(10, Duration::from_secs(3), Duration::ZERO);
        assert_eq!(g.wait(), Err(Cut::Deadline(0)));
    }

    #[test]
    fn content_types() {
        assert!(check_type(Wire::OpenAiChat, Some("text/event-stream; charset=utf-8")).is_ok());
        assert!(check_type(Wire::Anthropic, None).is_ok());
        assert!(check_type(Wire::Ollama, Some("application/x-ndjson")).is_ok());
        assert!(check_type(Wire::Gemini, Some("text/html")).is_err());
        assert!(check_type(Wire::Ollama, Some("text/event-stream")).is_err());
    }

    #[test]
    fn retries_stop_at_the_budget() {
        let z = Duration::ZERO;
        assert_eq!(retry_wait(0, None, z), Some(Duration::from_millis(500)));
        assert_eq!(retry_wait(0, Some(30), z), Some(Duration::from_secs(30)));
        assert_eq!(retry_wait(0, Some(999_999), z), None);
        assert_eq!(retry_wait(1, Some(30), Duration::from_secs(100)), None);
    }
}

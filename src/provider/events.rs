//! SSE whose events carry one JSON object each (Anthropic, and the other
//! formats that name their events): the framer and the push parser joined,
//! so a decoder sees path events and an end-of-event mark, never bytes.

use crate::json::{Event, Parser};
use crate::sse::{Field, Framer};

/// What a decoder is told.
pub enum Ev<'a> {
    Json(&'a [u8], Event<'a>),
    /// The event is complete.
    End,
}

#[derive(Default)]
pub struct SseJson {
    sse: Framer,
    json: Parser,
    /// The current event has data.
    data: bool,
    pub failed: Option<String>,
}

impl SseJson {
    /// Feed bytes; `Err` once the stream is unusable (also on later calls).
    pub fn feed(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Ev)) -> Result<(), String> {
        let SseJson {
            sse,
            json,
            data,
            failed,
        } = self;
        sse.feed(bytes, &mut |field| {
            if failed.is_some() {
                return;
            }
            let mut on = |path: &[u8], e: Event| sink(Ev::Json(path, e));
            match field {
                Field::Data(d) => {
                    *data = true;
                    if let Err(e) = json.feed(d, &mut on) {
                        *failed = Some(format!("malformed stream: {e}"));
                    }
                }
                Field::Dispatch => {
                    if *data {
                        if let Err(e) = json.finish(&mut on) {
                            *failed = Some(format!("malformed stream: {e}"));
                        }
                    }
                    json.reset();
                    *data = false;
                    if failed.is_none() {
                        sink(Ev::End);
                    }
                }
                _ => {}
            }
        });
        match &self.failed {
            Some(f) => Err(f.clone()),
            None => Ok(()),
        }
    }

    /// Fail the stream with `msg`, now and on every later call.
    pub fn fail(&mut self, msg: String) -> Result<(), String> {
        self.failed = Some(msg.clone());
        Err(msg)
    }
}

/// Feed `bytes` to the `SseJson` that `events` finds in the decoder `d`,
/// handing each event to `on` along with `d` itself.
pub fn feed<D>(
    d: &mut D,
    events: fn(&mut D) -> &mut SseJson,
    bytes: &[u8],
    mut on: impl FnMut(&mut D, Ev),
) -> Result<(), String> {
    let mut sse = std::mem::take(events(d));
    let r = sse.feed(bytes, &mut |ev| on(d, ev));
    *events(d) = sse;
    r
}

/// How a decoder's body ends: with the stream's failure if it had one,
/// else with whether the answer was complete.
pub fn end(failed: &Option<String>, complete: bool) -> Result<(), String> {
    if let Some(f) = failed {
        return Err(f.clone());
    }
    if complete {
        Ok(())
    } else {
        Err("the stream ended before the answer was complete".into())
    }
}

/// A whole number from a scalar event; 0 if it is not one.
pub fn num(v: &[u8]) -> u64 {
    std::str::from_utf8(v)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

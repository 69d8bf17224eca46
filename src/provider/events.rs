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
        let SseJson { sse, json, data, failed } = self;
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
}

/// A whole number from a scalar event; 0 if it is not one.
pub fn num(v: &[u8]) -> u64 {
    std::str::from_utf8(v).ok().and_then(|v| v.parse().ok()).unwrap_or(0)
}

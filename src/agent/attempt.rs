//! One model request: the body assembled from the arena and sent, the
//! status and content type checked, the stream decoded into the arena and
//! the front end, and retries while nothing has been shown yet.

use std::io::Read;
use std::time::Duration;

use super::{Agent, Fail, Pending};
use crate::arena::{Arena, Kind, Role};
use crate::frontend::Frontend;
use crate::http;
use crate::provider::guard::{self, Guard};
use crate::provider::reqbody::ReqBody;
use crate::provider::{self, Decoder, Delta, Request, Stop, ToolSpec, Usage};

/// A failed attempt, and whether trying again could help.
struct AttemptError {
    fail: Fail,
    retry: bool,
    /// Seconds the server asked us to wait.
    after: Option<u64>,
}

impl Agent<'_> {
    /// One model turn, retried while nothing has been shown. `summary`: the
    /// compaction request, not shown, answered without tool calls.
    pub(super) fn complete(
        &mut self,
        specs: &[ToolSpec],
        summary: bool,
    ) -> Result<(Vec<Pending>, Usage, Stop), Fail> {
        let mut attempt = 0;
        let mut spent = Duration::ZERO;
        loop {
            let mark = self.conv.arena.mark();
            match self.attempt(specs, summary) {
                Ok(r) => return Ok(r),
                Err(e) if e.retry && attempt < self.ctx.retries => {
                    self.conv.arena.rollback(mark);
                    // The total wait is capped: a server asking for more is not waited for.
                    let Some(wait) = guard::retry_wait(attempt, e.after, spent) else {
                        return Err(over_budget(e));
                    };
                    self.out.warn(&format!(
                        "retrying in {} ({}/{}): {}",
                        seconds(wait),
                        attempt + 1,
                        self.ctx.retries,
                        e.fail.message()
                    ));
                    std::thread::sleep(wait);
                    spent += wait;
                    attempt += 1;
                }
                Err(e) => {
                    if matches!(e.fail, Fail::Interrupted) {
                        // Keep the partial answer, and tell the model it was cut.
                        self.conv.arena.extend("\n[interrupted by the user]");
                    }
                    return Err(e.fail);
                }
            }
        }
    }

    /// One request and its streamed answer.
    fn attempt(
        &mut self,
        specs: &[ToolSpec],
        summary: bool,
    ) -> Result<(Vec<Pending>, Usage, Stop), AttemptError> {
        let resp = self.send(specs, summary)?;
        self.stream(resp, !summary)
    }

    /// Send the request; an answer that is not a stream of the wire's
    /// media type with status 200 is an error.
    fn send(&mut self, specs: &[ToolSpec], summary: bool) -> Result<http::Response, AttemptError> {
        let cfg = &self.conv.cfg;
        let url = provider::endpoint(cfg);
        let headers = provider::headers(cfg);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let req = Request {
            cfg,
            system: &self.conv.mode.system,
            arena: &self.conv.arena,
            tools: specs,
            no_calls: summary,
        };
        // Framing plus spans of the arena: its length is known, and sending
        // it copies the conversation once, straight into the connection.
        let mut body = ReqBody::new();
        let _ = provider::write_body(&req, &mut body);
        let sent = http::post(
            &url,
            &headers,
            body.len(),
            &mut |w| body.send(w),
            cfg.timeout,
            &crate::interrupt::waited,
        );
        drop(body);
        if matches!(sent, Err(http::Error::Interrupted)) {
            self.conv.arena.open(Role::Assistant, Kind::Text);
        }
        let mut resp = sent.map_err(|e| match e {
            http::Error::Connect(m) => AttemptError {
                fail: Fail::Network(match provider::unreachable_hint(cfg) {
                    Some(h) => format!("{m}; {h}"),
                    None => m,
                }),
                retry: true,
                after: None,
            },
            http::Error::Protocol(m) => AttemptError {
                fail: Fail::Api(m),
                retry: false,
                after: None,
            },
            http::Error::Trust(m) => AttemptError {
                fail: Fail::Network(m),
                retry: false,
                after: None,
            },
            http::Error::Interrupted => AttemptError {
                fail: Fail::Interrupted,
                retry: false,
                after: None,
            },
        })?;
        if resp.status != 200 {
            let after = resp
                .header("retry-after")
                .and_then(|v| v.trim().parse().ok());
            let msg = provider::error_message(&resp.text(64 * 1024));
            let retry = matches!(resp.status, 408 | 409 | 429 | 500..=599);
            let text = format!("HTTP {}: {msg}", resp.status);
            let fail = if provider::is_context_length(resp.status, &msg) {
                Fail::ContextLength(text)
            } else {
                Fail::Api(text)
            };
            return Err(AttemptError { fail, retry, after });
        }
        if let Err(want) = guard::check_type(cfg.wire, resp.header("content-type")) {
            let ct = resp.header("content-type").unwrap_or("").to_string();
            let first = guard::first_bytes(&resp.text(512));
            let m = format!("HTTP 200 with Content-Type `{ct}`, not {want}: {first}");
            return Err(cut(guard::Cut::TooBig(m), true));
        }
        Ok(resp)
    }

    /// Decode the answer into the arena (and, `show`, the front end), with
    /// the guard's limits on silence, time and size.
    fn stream(
        &mut self,
        mut resp: http::Response,
        show: bool,
    ) -> Result<(Vec<Pending>, Usage, Stop), AttemptError> {
        let cfg = &self.conv.cfg;
        let mut dec = Decoder::new(cfg.wire);
        let mut buf = [0u8; 8192];
        let mut guard = Guard::new(cfg.max_tokens, cfg.timeout, cfg.deadline);
        let mut sink = Sink {
            arena: &mut self.conv.arena,
            out: &mut *self.out,
            show,
            open: None,
            has_text: false,
            calls: Vec::new(),
            usage: Usage::default(),
            stop: Stop::Done,
            shown: false,
            got: 0,
            lost: false,
        };
        loop {
            let n = match read(&mut resp, &mut guard, &mut buf, sink.shown)? {
                0 => break,
                n => n,
            };
            if let Err(m) = dec.feed(buf.get(..n).unwrap_or(&[]), &mut |d| sink.take(d)) {
                return Err(event_error(m, sink.shown));
            }
            let shown = sink.shown;
            guard.read(n).map_err(|c| cut(c, shown))?;
            guard
                .progress(std::mem::take(&mut sink.got))
                .map_err(|c| cut(c, shown))?;
            if sink.lost {
                let m = format!(
                    "the model sent a tool call numbered past {} in one response",
                    guard::MAX_SLOTS
                );
                return Err(cut(guard::Cut::TooBig(m), shown));
            }
        }
        if !sink.has_text {
            sink.arena.open(Role::Assistant, Kind::Text);
        }
        let Sink {
            shown,
            mut calls,
            usage,
            stop,
            ..
        } = sink;
        if let Err(m) = dec.finish() {
            // A stream cut before anything was said is a lost connection.
            return Err(AttemptError {
                fail: Fail::Network(m),
                retry: !shown,
                after: None,
            });
        }
        for (i, c) in calls.iter_mut().enumerate() {
            if c.id.is_empty() {
                c.id = format!("call_{}_{i}", self.conv.turns);
            }
        }
        calls.retain(|c| !c.name.is_empty());
        Ok((calls, usage, stop))
    }
}

/// The failure for an error event in the stream; `shown` says whether output
/// was already shown, which rules out a retry.
fn event_error(m: String, shown: bool) -> AttemptError {
    // An overloaded or rate-limited error event before any output is worth retrying.
    let busy = ["overloaded_error", "rate_limit_error"]
        .iter()
        .any(|w| m.contains(w));
    let fail = if provider::is_context_length(0, &m) {
        Fail::ContextLength(m)
    } else {
        Fail::Api(m)
    };
    AttemptError {
        fail,
        retry: busy && !shown,
        after: None,
    }
}

/// Where an answer's deltas go: the arena (a new record as the kind
/// changes: reasoning, then text), the front end when shown, the calls,
/// the usage and the stop reason.
struct Sink<'s> {
    arena: &'s mut Arena,
    out: &'s mut dyn Frontend,
    show: bool,
    open: Option<Kind>,
    has_text: bool,
    calls: Vec<Pending>,
    usage: Usage,
    stop: Stop,
    /// Text or a call reached the user: a retry would repeat it.
    shown: bool,
    /// Bytes of answer decoded from the last read.
    got: usize,
    /// A call index past every slot.
    lost: bool,
}

impl Sink<'_> {
    /// Open a record of `kind` unless one is open (`whole`: always).
    fn to(&mut self, kind: Kind, whole: bool) {
        if whole || self.open != Some(kind) {
            self.arena.open(Role::Assistant, kind);
            self.open = Some(kind);
            self.has_text |= kind == Kind::Text;
        }
    }

    fn take(&mut self, d: Delta) {
        match d {
            Delta::Text(s) => {
                self.shown = true;
                self.got += s.len();
                self.to(Kind::Text, false);
                self.arena.extend(s);
                if self.show {
                    self.out.text(s);
                }
            }
            Delta::Thinking(s) => {
                self.got += s.len();
                self.to(Kind::Thinking, false);
                self.arena.extend(s);
                if self.show {
                    self.out.reasoning(s);
                }
            }
            Delta::Signature(s) => {
                self.got += s.len();
                self.to(Kind::Signature, true);
                self.arena.extend(s);
            }
            Delta::Redacted(s) => {
                self.got += s.len();
                self.to(Kind::Redacted, true);
                self.arena.extend(s);
            }
            Delta::Call { index, id, name } => {
                self.shown = true;
                self.got += id.len() + name.len();
                match slot(&mut self.calls, index) {
                    Some(c) => {
                        c.id.push_str(id);
                        c.name.push_str(name);
                    }
                    None => self.lost = true,
                }
            }
            Delta::Args { index, frag } => {
                self.shown = true;
                self.got += frag.len();
                match slot(&mut self.calls, index) {
                    Some(c) => c.args.push_str(frag),
                    None => self.lost = true,
                }
            }
            Delta::Usage(u) => self.usage = u,
            Delta::Finish(r) => self.stop = Stop::of(r),
        }
    }
}

/// The next piece of the answer, 0 at its end. Only progress resets the
/// idle timer; the deadline holds throughout; an interrupt key ends the wait.
fn read(
    resp: &mut http::Response,
    guard: &mut Guard,
    buf: &mut [u8],
    shown: bool,
) -> Result<usize, AttemptError> {
    let wait = guard.wait().map_err(|c| cut(c, shown))?;
    resp.body.set_timeout(wait);
    if !resp.body.buffered() && crate::interrupt::wait(resp.body.fd(), wait).unwrap_or(false) {
        return Err(AttemptError {
            fail: Fail::Interrupted,
            retry: false,
            after: None,
        });
    }
    resp.body.read(buf).or_else(|e| {
        guard.wait().map_err(|c| cut(c, shown))?;
        let fail = Fail::Network(format!("the response stream broke: {}", http::describe(&e)));
        Err(AttemptError {
            fail,
            retry: !shown,
            after: None,
        })
    })
}

/// `2 s`, `0.5 s`: a wait as the user reads it.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A response the guard cut off: silence and slowness are network
/// failures, worth retrying before any output; too much is the API's fault.
fn cut(c: guard::Cut, shown: bool) -> AttemptError {
    let m = c.message();
    match c {
        guard::Cut::TooBig(_) => AttemptError {
            fail: Fail::Api(m),
            retry: false,
            after: None,
        },
        guard::Cut::Idle(_) | guard::Cut::Deadline(_) => AttemptError {
            fail: Fail::Network(m),
            retry: !shown,
            after: None,
        },
    }
}

/// A retryable failure whose next wait would pass the retry budget.
fn over_budget(e: AttemptError) -> Fail {
    let why = match e.after {
        Some(s) => format!("the server asked to wait {s} s"),
        None => "the next wait".to_string(),
    };
    let m = format!(
        "{}; not retried: {why} would pass the {} s mote waits in all between retries",
        e.fail.message(),
        guard::RETRY_BUDGET.as_secs()
    );
    match e.fail {
        Fail::Network(_) => Fail::Network(m),
        _ => Fail::Api(m),
    }
}

/// The call slot for a stream index, growing the list; `None` for an
/// absurd index rather than a huge allocation.
fn slot(calls: &mut Vec<Pending>, index: usize) -> Option<&mut Pending> {
    if index >= guard::MAX_SLOTS {
        return None;
    }
    while calls.len() <= index {
        calls.push(Pending::default());
    }
    calls.get_mut(index)
}

//! The agent loop: send the conversation, stream the answer into the arena,
//! run the tools it asks for, append their results, repeat until the model
//! answers without tool calls or the turn limit is reached. Retries of
//! failed requests live here too, since only the loop knows whether any
//! output has been shown yet.

use std::io::Read;
use std::time::Duration;

use crate::arena::{Arena, Kind, Role};
use crate::frontend::Frontend;
use crate::http;
use crate::provider::guard::{self, Guard};
use crate::provider::reqbody::ReqBody;
use crate::provider::{self, Decoder, Delta, Request, Stop, ToolSpec, Usage};
use crate::session::{compact, Record};
use crate::tool;
use crate::workspace::Workspace;

mod call;
mod conversation;
mod tasks;
use crate::hooks::{Event, Input};
pub use conversation::{Conversation, PromptMode};

/// Why a run failed. Each kind has its own exit code (see `cli::EXIT_CODES`).
#[derive(Debug)]
pub enum Fail {
    Network(String),
    Api(String),
    MaxTurns(u32),
    /// The conversation no longer fits the model's context window (the API
    /// said so): compaction can react to this one.
    ContextLength(String),
    /// The user pressed Ctrl-C or Esc (interactive mode only).
    Interrupted,
    /// The doom-loop guard stopped a repeating model.
    DoomLoop(String),
    /// A UserPromptSubmit hook dropped the prompt (src/hooks/).
    Blocked(String),
    /// The answer did not match `--output-schema` (src/schema.rs).
    Schema(String),
}

impl Fail {
    pub fn exit_code(&self) -> i32 {
        match self {
            Fail::Network(_) => 3,
            Fail::Api(_) | Fail::ContextLength(_) => 4,
            Fail::MaxTurns(_) => 5,
            Fail::Interrupted => 130,
            Fail::DoomLoop(_) => 8,
            Fail::Blocked(_) => 9,
            Fail::Schema(_) => 10,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Fail::Network(m) | Fail::Api(m) | Fail::ContextLength(m) => m.clone(),
            Fail::MaxTurns(n) => {
                format!("stopped after {n} turns (--max-turns) before the model finished")
            }
            Fail::Interrupted => "interrupted".into(),
            Fail::DoomLoop(m) => {
                format!("stopped: {m}; it looks stuck in a loop (doom-loop guard)")
            }
            Fail::Blocked(m) => format!("a UserPromptSubmit hook dropped the prompt: {m}"),
            Fail::Schema(m) => format!("the answer does not match --output-schema: {m}"),
        }
    }
}

/// A failed attempt, and whether trying again could help.
struct AttemptError {
    fail: Fail,
    retry: bool,
    /// Seconds the server asked us to wait.
    after: Option<u64>,
}

/// What every turn of a run works with, unchanged during a turn: the
/// workspace, the permission gate, the MCP servers and the limits.
pub struct TurnContext {
    pub ws: Workspace,
    /// Rules and sandbox for the permission gate.
    pub gate: crate::permission::Gate,
    /// MCP servers whose tools the model may call (src/mcp/).
    pub mcp: crate::mcp::Servers,
    pub max_turns: u32,
    pub retries: u32,
    /// A subagent's narrower tools, and the `task` tool (src/subagent/).
    pub scope: crate::subagent::batch::Scope,
    /// Lifecycle hooks (src/hooks/); empty when none are configured.
    pub hooks: crate::hooks::Hooks,
}

/// One task's run: the context, the conversation it adds to, and the
/// front end that shows it and answers its questions.
pub struct Agent<'a> {
    ctx: &'a mut TurnContext,
    conv: &'a mut Conversation,
    out: &'a mut dyn Frontend,
}

/// The result of each call past `guard::MAX_CALLS` in one response.
const TOO_MANY_CALLS: &str =
    "not run: mote runs at most 128 tool calls from one response; ask for this one again in your next response";

/// A tool call as it streams in.
#[derive(Default)]
struct Pending {
    id: String,
    name: String,
    args: String,
}

impl<'a> Agent<'a> {
    pub fn new(
        ctx: &'a mut TurnContext,
        conv: &'a mut Conversation,
        out: &'a mut dyn Frontend,
    ) -> Agent<'a> {
        Agent { ctx, conv, out }
    }

    /// Run the task in `prompt` to its end.
    /// An empty prompt continues a resumed session where it stopped.
    /// A prompt that changed files ends with a checkpoint (src/undo/).
    pub fn run(&mut self, prompt: &str) -> Result<Stop, Fail> {
        let r = self.task(prompt);
        self.undo_step(|u, at| u.end(at));
        r
    }

    fn task(&mut self, prompt: &str) -> Result<Stop, Fail> {
        self.conv.turns = 0;
        if prompt.is_empty() {
            self.conv.undo.resume_last();
        } else {
            let messages = self.conv.arena.messages().count();
            let t = self.conv.undo.begin(prompt, messages);
            self.record(&t.record("prompt"));
            let extra = self.hook(Event::UserPromptSubmit, &Input::Prompt(prompt));
            if let Some(why) = extra.block {
                self.conv.attached.clear();
                return Err(Fail::Blocked(why));
            }
            let text = match extra.context.is_empty() {
                true => prompt.to_string(),
                false => format!("{prompt}\n\n{}", extra.context),
            };
            self.conv.arena.user(&text);
            self.record(&Record::User { text: &text });
            self.put_attached();
        }
        let mut stop_hook_active = false;
        loop {
            if self.conv.turns >= self.ctx.max_turns {
                return Err(Fail::MaxTurns(self.conv.turns));
            }
            self.conv.turns += 1;
            self.out.turn_start(self.conv.turns);
            if self.conv.log.limits.over(&self.conv.log.est) {
                self.compact_as("auto")?;
            }
            let mcp_specs = self.ctx.mcp.specs();
            let scope = self.ctx.scope.clone();
            let specs = specs(&mcp_specs, &scope);
            let (calls, usage, stop_why) = match self.complete(&specs, false) {
                Err(Fail::ContextLength(m)) => {
                    self.out.note(&format!("{m}; compacting and retrying once"));
                    if !self.compact_as("auto")? {
                        return Err(Fail::ContextLength(m));
                    }
                    self.complete(&specs, false)?
                }
                r => r?,
            };
            self.conv.usage.add(usage);
            self.record_reasoning();
            let e = self.conv.log.record(
                &Record::Assistant {
                    text: &self.conv.arena.last_answer().unescape(),
                },
                self.conv.arena.bytes(),
            );
            self.note(e);
            if !calls.is_empty() {
                for c in &calls {
                    self.conv.arena.call(&c.id, &c.name, &c.args);
                    self.record(&Record::Call {
                        id: &c.id,
                        name: &c.name,
                        args: &c.args,
                    });
                }
            }
            self.record(&Record::Usage(usage));
            if !calls.is_empty() {
                let mut stop: Option<Fail> = None;
                if calls.len() > guard::MAX_CALLS {
                    self.out.note(&format!(
                        "the model asked for {} tool calls in one response; mote ran the first {} and told it the rest were not run",
                        calls.len(),
                        guard::MAX_CALLS
                    ));
                }
                // All task calls of the response run at once, first (src/subagent/).
                let mut tasks = match crate::interrupt::requested() {
                    true => Vec::new(),
                    false => self.run_tasks(calls.get(..guard::MAX_CALLS).unwrap_or(&calls)),
                };
                for (i, c) in calls.iter().enumerate() {
                    if stop.is_none() && crate::interrupt::requested() {
                        stop = Some(Fail::Interrupted);
                    }
                    if stop.is_none() && i < guard::MAX_CALLS {
                        stop = self
                            .conv
                            .doom
                            .push(&c.name, &c.args)
                            .and_then(|m| self.doom_ask(m, c));
                    }
                    // Calls not run still get a result, so the conversation stays valid.
                    // A task call's child already ran: its result is the truth.
                    let task = tasks.iter().position(|(id, _)| *id == c.id);
                    let text = match &stop {
                        _ if task.is_some() => {
                            let (_, done) = tasks.swap_remove(task.unwrap_or(0));
                            self.task_result(c, done);
                            continue;
                        }
                        None if i < guard::MAX_CALLS => {
                            self.run_tool(c);
                            continue;
                        }
                        None => TOO_MANY_CALLS,
                        Some(Fail::Interrupted) => "not run: the user interrupted the turn",
                        Some(_) => "not run: the doom-loop guard stopped the turn",
                    };
                    self.conv.arena.result(&c.id, &c.name, text, true);
                    self.record(&Record::Result {
                        id: &c.id,
                        name: &c.name,
                        text,
                        error: true,
                    });
                }
                self.put_attached();
                if stop.is_none() && crate::interrupt::requested() {
                    stop = Some(Fail::Interrupted);
                }
                if let Some(f) = stop {
                    self.out.turn_end(self.conv.turns, &usage);
                    return Err(f);
                }
                if self.answered(&calls) {
                    self.out.turn_end(self.conv.turns, &usage);
                    return Ok(stop_why);
                }
            }
            self.out.turn_end(self.conv.turns, &usage);
            if calls.is_empty() {
                // A Stop hook that exits 2 makes the model go on with its reason.
                let event = match self.ctx.hooks.subagent {
                    true => Event::SubagentStop,
                    false => Event::Stop,
                };
                match self.hook(event, &Input::Stop(stop_hook_active)).block {
                    Some(why) => {
                        stop_hook_active = true;
                        self.conv.arena.user(&why);
                        self.record(&Record::User { text: &why });
                    }
                    None => return Ok(stop_why),
                }
            }
        }
    }

    /// Fire an event's hooks; their notes go to the front end.
    fn hook(&mut self, event: Event, input: &Input) -> crate::hooks::Outcome {
        let o = self.ctx.hooks.fire(event, input);
        o.notes.iter().for_each(|n| self.out.warn(n));
        o
    }

    /// Append a record to the session (its effect is already in the arena).
    /// Save the reasoning blocks of the assistant message just streamed.
    fn record_reasoning(&mut self) {
        let Some(crate::arena::Msg::Assistant { thinking, .. }) = self.conv.arena.messages().last()
        else {
            return;
        };
        let bytes = self.conv.arena.bytes();
        let mut notes = Vec::new();
        for t in thinking {
            let kind = if t.redacted { "redacted" } else { "thinking" };
            let text = &t.text.unescape();
            notes.push(
                self.conv
                    .log
                    .record(&Record::Reasoning { kind, text }, bytes),
            );
            if !t.signature.is_empty() {
                notes.push(self.conv.log.record(
                    &Record::Reasoning {
                        kind: "signature",
                        text: &t.signature.unescape(),
                    },
                    bytes,
                ));
            }
        }
        for e in notes {
            self.note(e);
        }
    }

    /// Before a call that may change files: the turn's checkpoint (and,
    /// outside git, `path`'s content).
    pub(super) fn checkpoint(&mut self, path: Option<&std::path::Path>) {
        self.undo_step(|u, at| u.before_change(at, path));
    }

    /// One step of the undo list where this session keeps checkpoints; its
    /// record goes to the session, its note to the front end.
    fn undo_step(
        &mut self,
        f: impl FnOnce(&mut crate::undo::Undo, &crate::undo::Place) -> crate::undo::Step,
    ) {
        let Some(w) = &self.conv.log.writer else {
            return;
        };
        let at = crate::undo::Place {
            root: &self.ctx.ws.root,
            session: &w.path,
            id: &w.id,
        };
        let step = f(&mut self.conv.undo, &at);
        if let Some(n) = &step.note {
            self.out.note(n);
        }
        if let Some(t) = &step.record {
            let at = if t.after.is_some() { "after" } else { "before" };
            self.record(&t.record(at));
        }
    }

    fn record(&mut self, r: &Record) {
        let e = self.conv.log.record(r, self.conv.arena.bytes());
        self.note(e);
    }

    fn note(&mut self, e: Option<String>) {
        if let Some(m) = e {
            self.out.note(&m);
        }
    }

    /// Compaction: the model summarises the older messages (a separate
    /// request ending in `compact::INSTRUCTION`, sent without the recent
    /// ones), then the arena becomes [summary] + the recent messages, and a
    /// `Compact` record lets a resume do the same. `false`: nothing to do.
    pub fn compact(&mut self) -> Result<bool, Fail> {
        self.compact_as("manual")
    }

    /// Compaction with PreCompact's `trigger`: `manual` or `auto`.
    fn compact_as(&mut self, trigger: &str) -> Result<bool, Fail> {
        let n = compact::cut(&self.conv.arena, self.conv.log.limits.keep);
        if n == 0 {
            return Ok(false);
        }
        self.hook(Event::PreCompact, &Input::Field(trigger));
        let before = self.conv.log.est.tokens();
        let tail = self.conv.arena.split_off(n);
        let mark = self.conv.arena.mark();
        self.conv.arena.user(compact::INSTRUCTION);
        let mcp_specs = self.ctx.mcp.specs();
        let scope = self.ctx.scope.clone();
        let got = self.complete(&specs(&mcp_specs, &scope), true);
        let summary = self.conv.arena.last_answer().unescape();
        let summary = summary.trim();
        let summary = if summary.is_empty() {
            String::new()
        } else {
            format!("{}{summary}", compact::SUMMARY_HEAD)
        };
        self.conv.arena.rollback(mark);
        self.conv.arena.append(&tail);
        drop(tail);
        let (_, usage, _) = got?;
        self.conv.usage.add(usage);
        // No text (a tool call, or nothing): drop the older messages rather
        // than ask again every turn.
        let summary = if summary.is_empty() {
            self.out.note(&format!(
                "compaction: the model answered without a summary; dropping the oldest {n} messages"
            ));
            compact::DROPPED.to_string()
        } else {
            summary
        };
        self.conv.arena.compact(n, &summary);
        self.conv.undo.compacted();
        self.record(&Record::Compact {
            messages: n as u64,
            summary: &summary,
        });
        let after = self.conv.log.est.tokens();
        self.out.note(&format!(
            "compacted {n} messages: context ~{before} -> ~{after} tokens"
        ));
        Ok(true)
    }

    /// One model turn, retried while nothing has been shown. `summary`: the
    /// compaction request, not shown, answered without tool calls.
    fn complete(
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

    fn attempt(
        &mut self,
        specs: &[ToolSpec],
        summary: bool,
    ) -> Result<(Vec<Pending>, Usage, Stop), AttemptError> {
        let show = !summary;
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

        // Records open as the stream's kind changes: reasoning, then text.
        let mut open: Option<Kind> = None;
        let mut has_text = false;
        let mut dec = Decoder::new(cfg.wire);
        let mut calls: Vec<Pending> = Vec::new();
        let mut usage = Usage::default();
        let mut stop = Stop::Done;
        let shown = std::cell::Cell::new(false);
        let mut buf = [0u8; 8192];
        let mut guard = Guard::new(cfg.max_tokens, cfg.timeout, cfg.deadline);
        // Bytes of answer decoded from the last read, and a call index past every slot.
        let (got, lost) = (std::cell::Cell::new(0usize), std::cell::Cell::new(false));
        let add = |n: usize| got.set(got.get() + n);
        let (arena, out) = (&mut self.conv.arena, &mut *self.out);
        let mut to = |arena: &mut Arena, kind: Kind, whole: bool| {
            if whole || open != Some(kind) {
                arena.open(Role::Assistant, kind);
                open = Some(kind);
                has_text |= kind == Kind::Text;
            }
        };
        let mut sink = |d: Delta| match d {
            Delta::Text(s) => {
                shown.set(true);
                add(s.len());
                to(arena, Kind::Text, false);
                arena.extend(s);
                if show {
                    out.text(s);
                }
            }
            Delta::Thinking(s) => {
                add(s.len());
                to(arena, Kind::Thinking, false);
                arena.extend(s);
                if show {
                    out.reasoning(s);
                }
            }
            Delta::Signature(s) => {
                add(s.len());
                to(arena, Kind::Signature, true);
                arena.extend(s);
            }
            Delta::Redacted(s) => {
                add(s.len());
                to(arena, Kind::Redacted, true);
                arena.extend(s);
            }
            Delta::Call { index, id, name } => {
                shown.set(true);
                add(id.len() + name.len());
                match slot(&mut calls, index) {
                    Some(c) => {
                        c.id.push_str(id);
                        c.name.push_str(name);
                    }
                    None => lost.set(true),
                }
            }
            Delta::Args { index, frag } => {
                shown.set(true);
                add(frag.len());
                match slot(&mut calls, index) {
                    Some(c) => c.args.push_str(frag),
                    None => lost.set(true),
                }
            }
            Delta::Usage(u) => usage = u,
            Delta::Finish(r) => stop = Stop::of(r),
        };
        loop {
            // Only progress resets the idle timer; the deadline holds throughout.
            let wait = guard.wait().map_err(|c| cut(c, shown.get()))?;
            resp.body.set_timeout(wait);
            if !resp.body.buffered()
                && crate::interrupt::wait(resp.body.fd(), wait).unwrap_or(false)
            {
                return Err(AttemptError {
                    fail: Fail::Interrupted,
                    retry: false,
                    after: None,
                });
            }
            let n = match resp.body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    guard.wait().map_err(|c| cut(c, shown.get()))?;
                    let fail =
                        Fail::Network(format!("the response stream broke: {}", http::describe(&e)));
                    return Err(AttemptError {
                        fail,
                        retry: !shown.get(),
                        after: None,
                    });
                }
            };
            if let Err(m) = dec.feed(buf.get(..n).unwrap_or(&[]), &mut sink) {
                // An overloaded or rate-limited error event before any output is worth retrying.
                let busy = ["overloaded_error", "rate_limit_error"]
                    .iter()
                    .any(|w| m.contains(w));
                let fail = if provider::is_context_length(0, &m) {
                    Fail::ContextLength(m)
                } else {
                    Fail::Api(m)
                };
                return Err(AttemptError {
                    fail,
                    retry: busy && !shown.get(),
                    after: None,
                });
            }
            guard.read(n).map_err(|c| cut(c, shown.get()))?;
            guard
                .progress(got.replace(0))
                .map_err(|c| cut(c, shown.get()))?;
            if lost.get() {
                let m = format!(
                    "the model sent a tool call numbered past {} in one response",
                    guard::MAX_SLOTS
                );
                return Err(cut(guard::Cut::TooBig(m), shown.get()));
            }
        }
        if !has_text {
            self.conv.arena.open(Role::Assistant, Kind::Text);
        }
        if let Err(m) = dec.finish() {
            // A stream cut before anything was said is a lost connection.
            return Err(AttemptError {
                fail: Fail::Network(m),
                retry: !shown.get(),
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

/// The tools the model is told of: the built-in ones, then the MCP servers'.
fn specs<'a>(
    mcp: &'a [crate::mcp::Spec],
    scope: &'a crate::subagent::batch::Scope,
) -> Vec<ToolSpec<'a>> {
    let builtin = tool::TOOLS.iter().map(|t| ToolSpec {
        name: t.name,
        description: t.description,
        params: t.params,
    });
    let task = scope.tasks.iter().map(|t| ToolSpec {
        name: crate::subagent::task::NAME,
        description: &t.description,
        params: crate::subagent::task::params(),
    });
    let servers = mcp.iter().map(|t| ToolSpec {
        name: &t.name,
        description: &t.description,
        params: &t.schema,
    });
    builtin
        .chain(task)
        .chain(servers)
        .filter(|s| scope.allows(s.name))
        .collect()
}

/// A response the guard cut off: silence and slowness are network
/// failures, worth retrying before any output; too much is the API's fault.
/// `2 s`, `0.5 s`: a wait as the user reads it.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

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

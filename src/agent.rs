//! The agent loop: send the conversation, stream the answer into the arena,
//! run the tools it asks for, append their results, repeat until the model
//! answers without tool calls or the turn limit is reached. Retries of
//! failed requests live here too, since only the loop knows whether any
//! output has been shown yet.

use std::io::Read;
use std::time::{Duration, Instant};

use crate::arena::{Arena, Kind, Role};
use crate::cli::Permission;
use crate::http;
use crate::json::write::Counter;
use crate::json::Args;
use crate::output::Output;
use crate::provider::{self, Config, Decoder, Delta, Request, ToolSpec, Usage};
use crate::session::{compact, start::Log, Record};
use crate::tool;
use crate::workspace::Workspace;

/// Why a run failed. Each kind has its own exit code (see `cli::EXIT_CODES`).
#[derive(Debug)]
pub enum Fail {
    Network(String),
    Api(String),
    MaxTurns(u32),
    /// The doom-loop guard stopped a repeating model.
    DoomLoop(String),
    /// The request is longer than the model's context (compact and retry).
    ContextOverflow(String),
}

impl Fail {
    pub fn exit_code(&self) -> i32 {
        match self {
            Fail::Network(_) => 3,
            Fail::Api(_) | Fail::ContextOverflow(_) => 4,
            Fail::MaxTurns(_) => 5,
            Fail::DoomLoop(_) => 8,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Fail::Network(m) | Fail::Api(m) | Fail::ContextOverflow(m) => m.clone(),
            Fail::MaxTurns(n) => format!("stopped after {n} turns (--max-turns) before the model finished"),
            Fail::DoomLoop(m) => format!("stopped: {m}; it looks stuck in a loop (doom-loop guard)"),
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

pub struct Agent<'a> {
    pub cfg: &'a Config,
    pub ws: &'a Workspace,
    pub permission: Permission,
    /// Rules and sandbox for the permission gate.
    pub gate: &'a mut crate::permission::Gate,
    pub doom: crate::permission::doom::Guard,
    /// Paths the prompt mode may write whatever `permission` says (plan mode's PLAN.md).
    pub writable: &'a [String],
    pub max_turns: u32,
    pub retries: u32,
    pub out: &'a mut Output,
    pub system: String,
    pub arena: Arena,
    pub usage: Usage,
    pub turns: u32,
    /// The session file and context estimate (src/session/).
    pub log: Log,
    /// MCP servers whose tools the model may call (src/mcp/).
    pub mcp: &'a mut crate::mcp::Servers,
}

/// A tool call as it streams in.
#[derive(Default)]
struct Pending {
    id: String,
    name: String,
    args: String,
}

impl Agent<'_> {
    /// Run the task in `prompt` to its end.
    /// An empty prompt continues a resumed session where it stopped.
    pub fn run(&mut self, prompt: &str) -> Result<(), Fail> {
        if !prompt.is_empty() {
            self.arena.user(prompt);
            self.record(&Record::User { text: prompt });
        }
        loop {
            if self.turns >= self.max_turns {
                return Err(Fail::MaxTurns(self.turns));
            }
            self.turns += 1;
            self.out.turn_start(self.turns);
            if self.log.limits.over(&self.log.est) {
                self.compact()?;
            }
            let mcp_specs = self.mcp.specs();
            let specs = specs(&mcp_specs);
            let (calls, usage) = match self.complete(&specs, true) {
                Err(Fail::ContextOverflow(m)) => {
                    self.out.note(&format!("{m}; compacting and retrying once"));
                    if !self.compact()? {
                        return Err(Fail::ContextOverflow(m));
                    }
                    self.complete(&specs, true)?
                }
                r => r?,
            };
            self.usage.add(usage);
            let e = self.log.record(&Record::Assistant { text: self.arena.last_answer() }, self.arena.bytes());
            self.note(e);
            if !calls.is_empty() {
                for c in &calls {
                    self.arena.call(&c.id, &c.name, &c.args);
                    self.record(&Record::Call { id: &c.id, name: &c.name, args: &c.args });
                }
            }
            self.record(&Record::Usage(usage));
            if !calls.is_empty() {
                for c in &calls {
                    if let Some(m) = self.doom.push(&c.name, &c.args) {
                        // Interactive hook: ask the user here, and on "go on" call
                        // `self.doom.reset()` and run the call instead.
                        self.out.turn_end(self.turns, &usage);
                        return Err(Fail::DoomLoop(m));
                    }
                    self.run_tool(c);
                }
            }
            self.out.turn_end(self.turns, &usage);
            if calls.is_empty() {
                return Ok(());
            }
        }
    }

    /// Append a record to the session (its effect is already in the arena).
    fn record(&mut self, r: &Record) {
        let e = self.log.record(r, self.arena.bytes());
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
        let n = compact::cut(&self.arena, self.log.limits.keep);
        if n == 0 {
            return Ok(false);
        }
        let before = self.log.est.tokens();
        let tail = self.arena.split_off(n);
        let mark = self.arena.mark();
        self.arena.user(compact::INSTRUCTION);
        let mcp_specs = self.mcp.specs();
        let got = self.complete(&specs(&mcp_specs), false);
        let summary = self.arena.last_answer().trim();
        let summary = if got.is_ok() && !summary.is_empty() {
            format!("{}{summary}", compact::SUMMARY_HEAD)
        } else {
            String::new()
        };
        self.arena.rollback(mark);
        self.arena.append(&tail);
        drop(tail);
        let (_, usage) = got?;
        self.usage.add(usage);
        if summary.is_empty() {
            self.out.note("compaction: the model's summary was empty; context left as it was");
            return Ok(false);
        }
        self.arena.compact(n, &summary);
        self.record(&Record::Compact { messages: n as u64, summary: &summary });
        let after = self.log.est.tokens();
        self.out.note(&format!("compacted {n} messages: context ~{before} -> ~{after} tokens"));
        Ok(true)
    }

    /// One model turn, retried while nothing has been shown.
    fn complete(&mut self, specs: &[ToolSpec], show: bool) -> Result<(Vec<Pending>, Usage), Fail> {
        let mut attempt = 0;
        loop {
            let mark = self.arena.mark();
            match self.attempt(specs, show) {
                Ok(r) => return Ok(r),
                Err(e) if e.retry && attempt < self.retries => {
                    self.arena.rollback(mark);
                    let backoff = 500u64 << attempt.min(5);
                    let wait = e.after.map_or(backoff, |s| s.min(60) * 1000);
                    self.out.note(&format!("{}; retrying in {} ms", e.fail.message(), wait));
                    std::thread::sleep(Duration::from_millis(wait));
                    attempt += 1;
                }
                Err(e) => return Err(e.fail),
            }
        }
    }

    fn attempt(&mut self, specs: &[ToolSpec], show: bool) -> Result<(Vec<Pending>, Usage), AttemptError> {
        let cfg = self.cfg;
        let url = provider::endpoint(cfg);
        let headers = provider::headers(cfg);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = Request { cfg, system: &self.system, arena: &self.arena, tools: specs };
        // Count the body first, then stream it: no second copy of the conversation.
        let mut count = Counter::default();
        let _ = provider::write_body(&req, &mut count);
        let sent = http::post(&url, &headers, count.0, &mut |w| provider::write_body(&req, w), cfg.timeout);
        let mut resp = sent.map_err(|e| match e {
            http::Error::Connect(m) => AttemptError { fail: Fail::Network(m), retry: true, after: None },
            http::Error::Protocol(m) => AttemptError { fail: Fail::Api(m), retry: false, after: None },
        })?;
        if resp.status != 200 {
            let after = resp.header("retry-after").and_then(|v| v.trim().parse().ok());
            let msg = provider::error_message(&resp.text(64 * 1024));
            let retry = matches!(resp.status, 408 | 409 | 429 | 500..=599);
            let text = format!("HTTP {}: {msg}", resp.status);
            let fail = if compact::is_overflow(resp.status, &msg) { Fail::ContextOverflow(text) } else { Fail::Api(text) };
            return Err(AttemptError { fail, retry, after });
        }

        self.arena.open(Role::Assistant, Kind::Text);
        let mut dec = Decoder::new(cfg.wire);
        let mut calls: Vec<Pending> = Vec::new();
        let mut usage = Usage::default();
        let mut shown = false;
        let mut buf = [0u8; 8192];
        let (arena, out) = (&mut self.arena, &mut *self.out);
        let mut sink = |d: Delta| match d {
            Delta::Text(s) => {
                shown = true;
                arena.extend(s);
                if show {
                    out.text(s);
                }
            }
            Delta::Call { index, id, name } => {
                shown = true;
                if let Some(c) = slot(&mut calls, index) {
                    c.id.push_str(id);
                    c.name.push_str(name);
                }
            }
            Delta::Args { index, frag } => {
                shown = true;
                if let Some(c) = slot(&mut calls, index) {
                    c.args.push_str(frag);
                }
            }
            Delta::Usage(u) => usage = u,
            Delta::Finish(_) => {}
        };
        loop {
            let n = match resp.body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => {
                    let fail = Fail::Network(format!("the response stream broke: {}", http::describe(&e)));
                    return Err(AttemptError { fail, retry: !shown, after: None });
                }
            };
            if let Err(m) = dec.feed(buf.get(..n).unwrap_or(&[]), &mut sink) {
                return Err(AttemptError { fail: Fail::Api(m), retry: false, after: None });
            }
        }
        if let Err(m) = dec.finish() {
            // A stream cut before anything was said is a lost connection.
            return Err(AttemptError { fail: Fail::Network(m), retry: !shown, after: None });
        }
        for (i, c) in calls.iter_mut().enumerate() {
            if c.id.is_empty() {
                c.id = format!("call_{}_{i}", self.turns);
            }
        }
        calls.retain(|c| !c.name.is_empty());
        Ok((calls, usage))
    }

    fn run_tool(&mut self, c: &Pending) {
        self.out.tool_call(&c.id, &c.name, &c.args);
        let start = Instant::now();
        let result = match tool::find_tool(&c.name) {
            None if c.name.starts_with(crate::mcp::PREFIX) => {
                match self.gate.decide_named(self.permission, &c.name, tool::Effect::Exec) {
                    crate::permission::Decision::Allow => self.mcp.call(&c.name, &c.args),
                    d => Err(crate::permission::denial(&c.name, self.permission, &d)),
                }
            }
            None => {
                let names: Vec<&str> = tool::TOOLS.iter().map(|t| t.name).collect();
                Err(format!("unknown tool `{}`; the tools are: {}", c.name, names.join(", ")))
            }
            Some(t) => Args::parse(&c.args)
                .map_err(|e| format!("bad arguments for {}: {e}", t.name))
                .and_then(|args| check_known(t, &args).map(|_| args))
                .and_then(|args| {
                    use crate::permission::{denial, Decision};
                    match self.gate.decide(self.permission, t, &args, self.ws) {
                        Decision::Allow => Ok(args),
                        _ if crate::permission::mode_allows(self.writable, t.effect, &c.args, self.ws) => Ok(args),
                        // Headless: an ask is a denial (the interactive front end asks here).
                        d => Err(denial(t.name, self.permission, &d)),
                    }
                })
                .and_then(|args| {
                    self.ws.sandbox.set(self.gate.sandbox_for(self.permission));
                    (t.run)(&args, self.ws)
                }),
        };
        let ms = start.elapsed().as_millis();
        let (text, is_error) = match &result {
            Ok(s) => (s.as_str(), false),
            Err(e) => (e.as_str(), true),
        };
        self.arena.result(&c.id, &c.name, text, is_error);
        let e = self.log.record(&Record::Result { id: &c.id, name: &c.name, text, error: is_error }, self.arena.bytes());
        self.note(e);
        self.out.tool_result(&c.id, &c.name, text, is_error, ms);
    }
}

/// The tools the model is told of: the built-in ones, then the MCP servers'.
fn specs(mcp: &[crate::mcp::Spec]) -> Vec<ToolSpec<'_>> {
    let builtin = tool::TOOLS.iter().map(|t| ToolSpec { name: t.name, description: t.description, params: t.params });
    let servers = mcp.iter().map(|t| ToolSpec { name: &t.name, description: &t.description, params: &t.schema });
    builtin.chain(servers).collect()
}

/// The call slot for a stream index, growing the list; `None` for an
/// absurd index rather than a huge allocation.
fn slot(calls: &mut Vec<Pending>, index: usize) -> Option<&mut Pending> {
    if index >= 128 {
        return None;
    }
    while calls.len() <= index {
        calls.push(Pending::default());
    }
    calls.get_mut(index)
}

/// Refuse arguments the tool's schema does not name, so a misspelt
/// parameter is reported instead of silently ignored.
fn check_known(t: &tool::Tool, args: &Args) -> Result<(), String> {
    let mut names: Vec<String> = Vec::new();
    let mut p = crate::json::Parser::new();
    let _ = p.feed(t.params.as_bytes(), &mut |path, e| {
        if let (Some(name), crate::json::Event::Open(_)) = (crate::json::below(path, b"properties"), &e) {
            if !name.contains(&b'.') {
                names.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    });
    match args.keys().find(|k| !names.iter().any(|n| n == k)) {
        Some(k) => Err(format!("unknown argument `{k}` for {}; it takes: {}", t.name, names.join(", "))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_arguments_are_named() {
        let t = tool::find_tool("read").unwrap();
        let a = Args::parse(r#"{"file_path":"x"}"#).unwrap();
        let e = check_known(t, &a).unwrap_err();
        assert!(e.starts_with("unknown argument `file_path` for read; it takes: path"), "{e}");
        assert!(check_known(t, &Args::parse(r#"{"path":"x","offset":2}"#).unwrap()).is_ok());
        for t in tool::TOOLS {
            assert!(crate::json::stream::validate(t.params.as_bytes()).is_ok(), "{} schema", t.name);
        }
    }
}

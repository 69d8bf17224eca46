//! The agent loop: send the conversation, stream the answer into the arena,
//! run the tools it asks for, append their results, repeat until the model
//! answers without tool calls or the turn limit is reached. Retries of
//! failed requests live here too, since only the loop knows whether any
//! output has been shown yet.

use crate::frontend::Frontend;
use crate::provider::guard;
use crate::provider::{Stop, ToolSpec, Usage};
use crate::session::{compact, Record};
use crate::tool;
use crate::workspace::Workspace;

mod attempt;
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
        self.begin(prompt)?;
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
            let (calls, usage, stop_why) = self.answer()?;
            if !calls.is_empty() {
                let stop = self.run_calls(&calls);
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

    /// The prompt into the conversation (after UserPromptSubmit hooks), with
    /// its attachments; an empty prompt continues where a resume stopped.
    fn begin(&mut self, prompt: &str) -> Result<(), Fail> {
        if prompt.is_empty() {
            self.conv.undo.resume_last();
            return Ok(());
        }
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
        Ok(())
    }

    /// The model's answer to the conversation (compacted and asked once
    /// more if it no longer fits), recorded with its calls and usage.
    fn answer(&mut self) -> Result<(Vec<Pending>, Usage, Stop), Fail> {
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
        for c in &calls {
            self.conv.arena.call(&c.id, &c.name, &c.args);
            self.record(&Record::Call {
                id: &c.id,
                name: &c.name,
                args: &c.args,
            });
        }
        self.record(&Record::Usage(usage));
        Ok((calls, usage, stop_why))
    }

    /// Run a response's calls: task calls at once, then each other call in
    /// order; every call gets a result, run or not. `Some`: why the turn stops.
    fn run_calls(&mut self, calls: &[Pending]) -> Option<Fail> {
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
            false => self.run_tasks(calls.get(..guard::MAX_CALLS).unwrap_or(calls)),
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
        stop
    }

    /// Fire an event's hooks; their notes go to the front end.
    fn hook(&mut self, event: Event, input: &Input) -> crate::hooks::Outcome {
        let o = self.ctx.hooks.fire(event, self.conv.permission(), input);
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
        if self.conv.undo.idle() {
            return;
        }
        let step = match self.conv.undo_place(&self.ctx.ws.root) {
            Ok(at) => f(&mut self.conv.undo, &at),
            Err(e) => crate::undo::Step {
                record: None,
                note: Some(format!("no checkpoint: {e}")),
            },
        };
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

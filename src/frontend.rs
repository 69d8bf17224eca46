//! The seam between a run and whoever watches it: the events a run emits
//! and the two questions it may ask. The agent loop holds a
//! `&mut dyn Frontend` and never knows which front end it talks to: the
//! headless output (output.rs: text, json, stream-json, --verbose), the
//! terminal screen (tui/screen.rs), or an editor over a pipe. A question
//! blocks until answered, so a front end that answers asynchronously waits
//! for its answer inside `approve` or `confirm` (polling its pipe); one
//! that cannot ask anybody says so with `Nobody`.

use crate::provider::Usage;
use crate::tool::Effect;

/// A tool call that needs the user's yes.
pub struct Ask<'a> {
    /// The call's id, as in `tool_call`.
    pub id: &'a str,
    pub name: &'a str,
    /// The JSON arguments as the model wrote them.
    pub args: &'a str,
    pub effect: Effect,
    /// The rules an "always" answer adds to the session allowlist, to show
    /// the user; empty when "always" is not on offer.
    pub always: &'a [String],
}

/// The answer to `approve`.
#[derive(Debug, PartialEq)]
pub enum Approval {
    Once,
    /// Run it, and add the `always` rules for the rest of the session.
    Always,
    /// Declined, with the user's reason ("" when none was given).
    No(String),
    /// Nobody can be asked (headless, a subagent): the call is denied with
    /// the reason the gate gave.
    Nobody,
}

/// The answer to `confirm`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Answer {
    Yes,
    No,
    Nobody,
}

pub trait Frontend {
    /// A model turn begins (1-based within the task).
    fn turn_start(&mut self, turn: u32);
    /// A piece of the answer's text as it streams.
    fn text(&mut self, s: &str);
    /// A piece of the model's visible reasoning as it streams.
    fn reasoning(&mut self, _s: &str) {}
    fn tool_call(&mut self, id: &str, name: &str, args: &str);
    /// The call was permitted and starts running (an editor shows it as
    /// in progress; until then it waits, perhaps for the user's answer).
    fn tool_start(&mut self, _id: &str) {}
    fn tool_result(&mut self, id: &str, name: &str, text: &str, is_error: bool, ms: u128);
    /// The turn ended; `usage` is what its request cost.
    fn turn_end(&mut self, turn: u32, usage: &Usage);
    /// Something the user should know that is not the model's (a retry, a
    /// compaction, a session file that stopped saving).
    fn note(&mut self, s: &str);
    /// A problem the user must see even in a quiet run (a hook that failed).
    fn warn(&mut self, s: &str) {
        self.note(s);
    }
    /// A subagent started, progressed, spoke or ended (src/subagent/).
    fn subagent(&mut self, _s: &crate::subagent::task::Shown) {}
    /// Does this front end want each subagent's own events, whole?
    fn wants_subagent_events(&self) -> bool {
        false
    }
    /// The editor's buffers the file tools go through (ACP's client file
    /// system); `None`: the disk.
    fn buffers(&self) -> Option<&dyn crate::tool::Buffers> {
        None
    }
    /// Does a person answer `approve` and `confirm` here (the terminal)?
    /// Then waiting for them fires the Notification hooks.
    fn asks_a_person(&self) -> bool {
        false
    }
    /// May this call run?
    fn approve(&mut self, call: &Ask) -> Approval;
    /// A yes/no question (the doom-loop guard).
    fn confirm(&mut self, question: &str, yes: &str, no: &str) -> Answer;
}

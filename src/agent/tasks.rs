//! The agent loop's side of subagents: all the task calls of one response
//! run as one parallel batch (src/subagent/) before the loop records the
//! results in call order, each with a link to the child's session.

use super::{Agent, Pending};
use crate::session::Record;
use crate::subagent::task::{self, Call, Done, Parent};

impl Agent<'_> {
    /// Run the task calls among `calls` together; their results by call
    /// id. The children's tokens join this conversation's.
    pub(super) fn run_tasks(&mut self, calls: &[Pending]) -> Vec<(String, Done)> {
        let Some(t) = self.ctx.scope.tasks.clone() else {
            return Vec::new();
        };
        let batch: Vec<Call> = calls
            .iter()
            .filter(|c| c.name == task::NAME)
            .map(|c| Call {
                id: &c.id,
                args: &c.args,
            })
            .collect();
        if batch.is_empty() {
            return Vec::new();
        }
        // Subagents may change files: the turn's checkpoint comes first.
        self.checkpoint(None);
        for c in &batch {
            self.out.tool_call(c.id, task::NAME, c.args);
        }
        let parent = Parent {
            program: t.program.clone(),
            cwd: self.ctx.ws.root.clone(),
            cfg: self.conv.cfg(),
            permission: self.conv.permission(),
            sandbox: t.sandbox,
            max_turns: self.ctx.max_turns,
            retries: self.ctx.retries,
            settings: t.settings,
            depth: t.depth,
            defs: &t.defs,
            session_dir: t.session_dir.clone(),
            session_id: self.conv.log().writer.as_ref().map(|w| w.id.clone()),
            trusted: t.trusted,
        };
        let out = &mut *self.out;
        let lines = out.wants_subagent_events();
        let done = task::run_batch(&parent, &batch, lines, &mut |s| out.subagent(&s));
        let done: Vec<(String, Done)> = batch.iter().map(|c| c.id.to_string()).zip(done).collect();
        for (_, d) in &done {
            self.conv.add_usage(d.usage);
        }
        done
    }

    /// Record a task call's result (its child already ran, in the batch).
    pub(super) fn task_result(&mut self, c: &Pending, done: Done) {
        if let Some(s) = &done.session {
            self.record(&Record::Subagent {
                call: &c.id,
                session: s,
            });
        }
        self.finish_call(c, &done.result, done.ms);
    }
}

//! The conversation a run holds between turns: the model it talks to,
//! the prompt mode (system prompt, permission, writable files), the arena,
//! the session log, the doom-loop guard, and the usage so far. Other
//! modules read it through accessors and change it only through the
//! methods here (`/model`, `/prompt`, `/mode`, `/new`, `/resume`, `/loop`).

use crate::arena::Arena;
use crate::doom::Guard;
use crate::permission::Permission;
use crate::provider::cost::Prices;
use crate::provider::{Config, Usage};
use crate::session::compact::{Estimate, Limits};
use crate::session::start::Log;
use crate::session::Writer;

/// What a prompt mode sets.
pub struct PromptMode {
    pub system: String,
    pub permission: Permission,
    /// Paths the mode may write whatever `permission` says (plan mode's PLAN.md).
    pub writable: Vec<String>,
}

pub struct Conversation {
    pub(super) cfg: Config,
    pub(super) prices: Option<Prices>,
    pub(super) mode: PromptMode,
    pub(super) arena: Arena,
    pub(super) log: Log,
    pub(super) doom: Guard,
    pub(super) usage: Usage,
    /// Turns of the task running now (or last run).
    pub(super) turns: u32,
    /// The prompts and their checkpoints (src/undo/).
    pub(super) undo: crate::undo::Undo,
    /// Images read by this turn's calls or the prompt's mentions, in
    /// arena form: attached after the results (or the prompt).
    pub(super) attached: Vec<String>,
}

impl Conversation {
    pub fn new(
        cfg: Config,
        prices: Option<Prices>,
        mode: PromptMode,
        arena: Arena,
        log: Log,
    ) -> Conversation {
        Conversation {
            cfg,
            prices,
            mode,
            arena,
            log,
            doom: Guard::default(),
            usage: Usage::default(),
            turns: 0,
            undo: Default::default(),
            attached: Vec::new(),
        }
    }

    /// The same model and prompt mode with nothing said yet (a loop
    /// iteration), logging to `log`.
    pub fn fresh(&self, log: Log) -> Conversation {
        let mode = PromptMode {
            system: self.mode.system.clone(),
            permission: self.mode.permission,
            writable: self.mode.writable.clone(),
        };
        Conversation::new(self.cfg.clone(), self.prices, mode, Arena::new(), log)
    }

    pub fn cfg(&self) -> &Config {
        &self.cfg
    }

    pub fn prices(&self) -> Option<&Prices> {
        self.prices.as_ref()
    }

    pub fn permission(&self) -> Permission {
        self.mode.permission
    }

    /// The files the prompt mode may write (plan mode's PLAN.md).
    pub fn writable(&self) -> &[String] {
        &self.mode.writable
    }

    pub fn arena(&self) -> &Arena {
        &self.arena
    }

    pub fn last_answer(&self) -> std::borrow::Cow<'_, str> {
        self.arena.last_answer().unescape()
    }

    pub fn log(&self) -> &Log {
        &self.log
    }

    /// Tokens used over the whole run (all tasks, compactions and loops).
    pub fn usage(&self) -> Usage {
        self.usage
    }

    pub fn turns(&self) -> u32 {
        self.turns
    }

    /// Switch the model; `limits` are the new model's context limits.
    pub fn set_model(&mut self, cfg: Config, prices: Option<Prices>, limits: Limits) {
        self.cfg = cfg;
        self.prices = prices;
        self.log.limits = limits;
    }

    /// The reasoning effort of the next requests (`--thinking`).
    pub fn set_thinking(&mut self, t: crate::provider::Thinking) {
        self.cfg.thinking = t;
    }

    pub fn set_prompt_mode(&mut self, mode: PromptMode) {
        self.mode = mode;
    }

    pub fn set_permission(&mut self, p: Permission) {
        self.mode.permission = p;
    }

    /// Start over with `arena` (empty for `/new`, a loaded session's for
    /// `/resume`) and its context estimate; the doom-loop guard forgets.
    pub fn reset(&mut self, arena: Arena, est: Estimate) {
        self.arena = arena;
        self.log.est = est;
        self.doom = Guard::default();
    }

    /// The prompts and checkpoints (a loaded session's for `/resume`).
    pub fn undo(&self) -> &crate::undo::Undo {
        &self.undo
    }

    /// Where the checkpoints are: beside the session file, or in a temp
    /// directory of the conversation's when it is not saved.
    pub fn undo_place(&mut self, root: &std::path::Path) -> Result<crate::undo::Place, String> {
        let saved = self
            .log
            .writer
            .as_ref()
            .map(|w| (w.path.as_path(), w.id.as_str()));
        self.undo.place(root, saved)
    }

    pub fn set_undo(&mut self, u: crate::undo::Undo) {
        self.undo = u;
    }

    /// The workspace moved to the folder `root` (`/worktree`): the
    /// session file records it, so a resume knows where the later
    /// prompts' checkpoints were taken and lists the session there.
    pub fn moved(&mut self, root: &std::path::Path) {
        self.undo.moved();
        if let Some(w) = self.log.writer.as_mut() {
            let cwd = root.to_string_lossy();
            let _ = w.append(&crate::session::Record::Moved { cwd: &cwd });
        }
    }

    /// Take back prompts `seq` and later from the conversation (unless a
    /// compaction came since: `false`) and record it.
    pub fn rewind(&mut self, seq: u64) -> bool {
        let whole = self.undo.forget(seq, &mut self.arena, &mut self.log.est);
        if let Some(w) = self.log.writer.as_mut() {
            let _ = w.append(&crate::session::Record::Rewind { seq });
        }
        whole
    }

    /// Where records are saved from now on (`None`: not saved).
    pub fn set_writer(&mut self, w: Option<Writer>) {
        self.log.writer = w;
    }

    /// Count tokens spent elsewhere for this run (a `/loop`'s iterations).
    pub fn add_usage(&mut self, u: Usage) {
        self.usage.add(u);
    }

    /// Count turns of an earlier task of this run (an `--output-schema` retry's).
    pub fn add_turns(&mut self, n: u32) {
        self.turns += n;
    }
}

//! What a run may call beyond the tool table: a subagent's definition may
//! narrow the tools, and the `task` tool exists only below
//! `subagents.max_depth`. The agent loop's side is src/agent/tasks.rs.

use std::path::PathBuf;
use std::rc::Rc;

use super::defs::Def;
use super::task;
use super::Settings;

/// What this agent may call beyond the table: set once per run (cheap to
/// clone, so a turn can hold it while the agent changes).
#[derive(Default, Clone)]
pub struct Scope {
    /// Tool names a subagent's definition allows; `None`: all.
    pub tools: Option<Rc<[String]>>,
    /// The `task` tool, when this run may start subagents.
    pub tasks: Option<Rc<Tasks>>,
}

pub struct Tasks {
    pub defs: Vec<Def>,
    pub settings: Settings,
    /// The `task` tool's description (it lists the agents).
    pub description: String,
    pub depth: u32,
    pub sandbox: crate::sandbox::Mode,
    pub session_dir: Option<PathBuf>,
    /// The binary to start: this one.
    pub program: PathBuf,
    /// The folder is trusted (src/trust.rs): children get `--trust`.
    pub trusted: bool,
}

impl Scope {
    /// May the model call `name`?
    pub fn allows(&self, name: &str) -> bool {
        if name == task::NAME {
            return self.tasks.is_some();
        }
        self.tools
            .as_ref()
            .is_none_or(|t| t.iter().any(|x| x == name))
    }
}

impl Tasks {
    /// The task tool for a run at `depth` (0: the top run), if allowed there.
    pub fn new(
        defs: Vec<Def>,
        settings: Settings,
        depth: u32,
        sandbox: crate::sandbox::Mode,
        session_dir: Option<PathBuf>,
        trusted: bool,
    ) -> Option<Tasks> {
        if depth >= settings.max_depth {
            return None;
        }
        let program = std::env::current_exe()
            .ok()
            .or_else(|| std::env::args_os().next().map(PathBuf::from))?;
        Some(Tasks {
            description: task::description(&defs),
            defs,
            settings,
            depth,
            sandbox,
            session_dir,
            program,
            trusted,
        })
    }
}

//! The one place that turns the flags and the config into a run: the
//! workspace and permission gate, the session to resume or create, the
//! task, the model, the MCP servers, the prompt mode and system prompt.
//! `Run::build` does it all; main.rs only picks the front end and runs.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::agent::{Conversation, PromptMode, TurnContext};
use crate::cli::Options;
use crate::hooks::Event;
use crate::subagent::batch::{Scope, Tasks};
use crate::subagent::{self, defs, defs::Def};
use crate::{config, modes, provider, session, skills, workspace};

mod setup;
pub use setup::{hook_files, named, Saved, Setup};

/// A run's failure: the exit code and the one-line message.
pub type Failure = (u8, String);

pub struct Run {
    pub opts: Options,
    pub ctx: TurnContext,
    pub conv: Conversation,
    /// The task: -p or stdin, expanded by a template; "" to continue.
    pub task: String,
    /// The task is a template's: its `` !`cmd` `` are still to run.
    pub template: bool,
    /// No prompt was given (a resumed session, `--compact` alone, a loop).
    pub no_prompt: bool,
    /// No -p, no loop and a terminal on stdin: the interactive mode.
    pub interactive: bool,
    /// The prompt mode's name.
    pub mode: String,
    pub sessions: Option<PathBuf>,
    pub cwd: PathBuf,
}

/// The model the flags and config select (src/provider/select.rs), its
/// warnings printed; the keys come from `secrets`, never the environment.
pub fn select_model(
    o: &Options,
    config: &config::Config,
) -> Result<provider::select::Selected, Failure> {
    let wanted = provider::select::Wanted {
        provider: &o.provider,
        model: &o.model,
        base_url: &o.base_url,
        max_tokens: o.max_tokens,
        tokens_field: o.tokens_field,
        timeout: o.timeout,
        deadline: o.deadline,
        thinking: o.thinking,
    };
    let env = |k: &str| crate::secrets::env(k);
    let selected =
        provider::select::select(&wanted, &env, Some(&config.value)).map_err(|e| (2, e))?;
    selected.warnings.iter().for_each(|w| warn(w));
    Ok(selected)
}

fn warn(w: &str) {
    eprintln!("mote: warning: {w}");
}

impl Run {
    /// Everything a run needs, or `None` when the flags asked for a
    /// listing or an undo that is already done (`--sessions`, `--undo`).
    /// Each step below turns the options into one piece of the run.
    pub fn build(mut o: Options, config: &config::Config) -> Result<Option<Run>, Failure> {
        let env = |k: &str| crate::secrets::env(k);
        // Sessions (src/session/): list, or load the one to resume.
        let sdir = session::dir(o.session_dir.as_deref(), &env);
        if o.list_sessions {
            // Checkpoints of sessions whose file was deleted go first.
            sdir.iter().for_each(|d| crate::undo::prune::orphans(d));
            return session::start::list(sdir.as_deref())
                .map(|_| None)
                .map_err(|e| (1, e));
        }
        let cwd = std::env::current_dir().map_err(|e| (1, format!("no working directory: {e}")))?;
        let mut ws = workspace::Workspace::new(&cwd)
            .map_err(|e| (1, format!("workspace {}: {e}", cwd.display())))?;
        let (interactive, task) = task(&o)?;
        let skills = Setup::skills(&ws.root);
        let gate = Setup::new(&o, config, sdir.as_deref())
            .gate(&mut ws, task.spill_file.as_deref(), &skills)
            .map_err(config_err)?;
        let root = ws.root.to_string_lossy().into_owned();
        let resumed = session::start::resume(&o, sdir.as_deref(), &root).map_err(config_err)?;
        if o.undo || o.rewind.is_some() {
            return undo(&o, resumed, &ws).map(|_| None);
        }
        if let (true, Some(r)) = (o.model.is_empty(), &resumed) {
            o.model = r.loaded.model.clone();
        }
        let no_prompt = task.text.trim().is_empty();
        check_prompt(&o, no_prompt, resumed.is_some(), interactive)?;
        let (cfg, prices) = model(&o, config, interactive)?;
        // Trust and keep-alive for every connection (src/http/, src/tls.rs).
        crate::http::configure(config.get("network"), &env).map_err(config_err)?;
        o.context_window = o.context_window.or(cfg.context_window);

        // MCP servers (src/mcp/): their tools join the built-in ones.
        let setup = Setup::new(&o, config, sdir.as_deref());
        let mcp = setup
            .mcp(&ws.root, o.trust, Vec::new(), !interactive)
            .map_err(config_err)?;
        // The prompt mode and the system prompt (src/run/setup.rs).
        let prompt = skill_prompt(&setup, &cwd, task.text, &skills);
        let (chosen, grant) = setup.mode(&cwd, &prompt, o.trust).map_err(config_err)?;
        let (scope, me) = setup.scope(&cwd)?;
        let system = setup
            .system(&ws.root, &cwd, &chosen.mode, me.as_ref(), &skills)
            .map_err(config_err)?;
        let resuming = resumed.is_some();
        if let (false, Some(r)) = (interactive, &resumed) {
            check_resumed(&r.loaded, no_prompt, o.compact)?;
        }
        let saved = setup.saved(&ws.root, &cfg, resumed);
        let mut hooks = setup
            .hooks(&ws.root, o.trust, &saved.log)
            .map_err(config_err)?;
        hooks.subagent = o.subagent.is_some();
        let source = if resuming { "resume" } else { "startup" };
        hooks.start(grant.permission, source);
        let mode = PromptMode {
            system: crate::prompt::with_start(system, hooks.started()),
            permission: grant.permission,
            writable: grant.writable,
        };
        let conv = conversation(cfg, prices, mode, saved, o.subagent.is_some());
        let ctx = setup.turn(ws, gate, mcp, scope, hooks);
        Ok(Some(Run {
            opts: o,
            ctx,
            conv,
            task: chosen.task,
            template: chosen.template.is_some(),
            no_prompt,
            interactive,
            mode: chosen.mode.name,
            sessions: sdir,
            cwd,
        }))
    }
}

fn config_err(m: String) -> Failure {
    (2, m)
}

/// The task: -p, piped stdin, a loop, a resumed session, or (no -p and a
/// terminal on stdin) the interactive mode (src/tui), which reads none.
fn task(o: &Options) -> Result<(bool, crate::input::Task), Failure> {
    let interactive = o.prompt.is_none() && o.loop_file.is_none() && std::io::stdin().is_terminal();
    let task = match interactive || (o.loop_file.is_some() && o.prompt.is_none()) {
        true => crate::input::Task {
            text: String::new(),
            spill_file: None,
        },
        false => crate::input::task(o.prompt.as_deref()).map_err(config_err)?,
    };
    Ok((interactive, task))
}

/// `--undo` / `--rewind N` on the session `resumed` (src/undo/).
fn undo(
    o: &Options,
    resumed: Option<session::start::Resumed>,
    ws: &workspace::Workspace,
) -> Result<(), Failure> {
    let r = resumed.ok_or_else(|| {
        config_err("--undo and --rewind work on a saved session: add -c or --resume ID".into())
    })?;
    let n = if o.undo { None } else { o.rewind };
    crate::undo::headless(r, ws, n).map_err(|e| (1, e))
}

/// The flags that need a prompt, or a loop, have one.
fn check_prompt(
    o: &Options,
    no_prompt: bool,
    resumed: bool,
    interactive: bool,
) -> Result<(), Failure> {
    if o.loop_file.is_none() && o.check.is_some() {
        return Err(config_err("--check needs --loop PLAN.md".into()));
    }
    if no_prompt && o.loop_file.is_none() && !resumed && !interactive {
        return Err(config_err(
            "the prompt is empty: pass one with -p \"TASK\" (or -p - to read it from stdin, -p @FILE from a file), or run mote in a terminal for the interactive mode".into(),
        ));
    }
    Ok(())
}

/// The model (src/provider/select.rs) and its prices, with the answer's
/// schema (src/schema.rs) under `--output-schema`.
fn model(
    o: &Options,
    config: &config::Config,
    interactive: bool,
) -> Result<(provider::Config, Option<provider::cost::Prices>), Failure> {
    let selected = select_model(o, config)?;
    let mut cfg = selected.config;
    if let Some(f) = &o.output_schema {
        if interactive || o.loop_file.is_some() {
            return Err(config_err("--output-schema works with -p".into()));
        }
        cfg.schema = Some(crate::schema::load(f).map_err(config_err)?);
    }
    Ok((cfg, selected.prices))
}

/// A leading `/name` that names a skill and no prompt mode: the prompt
/// becomes the skill's invocation.
fn skill_prompt(setup: &Setup, cwd: &Path, prompt: String, skills: &[skills::Skill]) -> String {
    if let Some((name, args)) = modes::command(&prompt) {
        let skill = skills.iter().find(|k| k.name == name);
        if let (Some(k), Ok(None)) = (skill, modes::find(name, &setup.prompt_dirs(cwd))) {
            return skills::invoke(k, args);
        }
    }
    prompt
}

/// A headless run that continues the session `loaded` without a prompt
/// needs one it can continue.
fn check_resumed(
    loaded: &session::load::Loaded,
    no_prompt: bool,
    compact: bool,
) -> Result<(), Failure> {
    let id = &loaded.id;
    if no_prompt && loaded.finished && !compact {
        return Err(config_err(format!(
            "session {id} has finished; give the next task with -p"
        )));
    }
    if no_prompt && loaded.arena.messages().next().is_none() {
        return Err(config_err(format!(
            "session {id} has no messages; give a task with -p"
        )));
    }
    Ok(())
}

/// The conversation of a new or resumed session (`saved`).
fn conversation(
    cfg: provider::Config,
    prices: Option<provider::cost::Prices>,
    mode: PromptMode,
    mut saved: Saved,
    subagent: bool,
) -> Conversation {
    let mut conv = Conversation::new(cfg, prices, mode, saved.arena, saved.log);
    // A subagent's changes are covered by its parent's checkpoints.
    saved.undo.off = subagent;
    conv.set_undo(saved.undo);
    conv
}

impl Run {
    /// The session ends (`reason` as Claude Code's SessionEnd gives it).
    pub fn end(&self, reason: &str) {
        self.ctx
            .hooks
            .session(Event::SessionEnd, self.conv.permission(), reason);
    }
}

/// Decide once whether the folder is trusted (src/trust.rs), naming what
/// its files define that needs it: config.json's held keys and hooks,
/// `.mcp.json` servers, `.claude/settings*.json` hooks, and (`above`: the
/// mode they would loosen, for the interactive question) prompt files
/// asking for more. Yes merges the held config (`Config::admit`).
pub fn trust(
    config: &mut config::Config,
    flag: bool,
    interactive: bool,
    above: Option<crate::permission::Permission>,
) -> Result<bool, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?;
    let root = cwd.canonicalize().unwrap_or_else(|_| cwd.clone());
    let mut what: Vec<String> = config.held().into_iter().collect();
    if let Some(base) = above {
        let user = config::user_dir(&|k: &str| crate::secrets::env(k));
        let dirs = modes::dirs(&cwd, user.as_deref());
        let (modes, templates) = modes::list(&dirs);
        for n in modes.iter().chain(&templates) {
            if let Ok(Some(p)) = modes::find(n, &dirs) {
                if let (true, Some(asked)) = (p.project, p.permission.filter(|a| *a > base)) {
                    what.push(format!("permission {asked} in {}", p.file));
                }
            }
        }
    }
    let (_, project) = hook_files(config, &root)?;
    what.extend(named(&project));
    let mcp = root.join(".mcp.json");
    if mcp.exists() {
        what.push(format!("MCP servers in {}", mcp.display()));
    }
    let yes = crate::trust::allow(&root, &what, flag, interactive);
    if yes {
        config.admit();
    }
    Ok(yes)
}

/// The agents a `task` call may name and what this run may call: a
/// subagent (`--subagent NAME`) gets its definition's tools, and the task
/// tool exists only below `subagents.max_depth`. Also the child's own
/// definition, whose prompt joins its system prompt. Also ACP sessions'.
pub fn subagents(
    o: &Options,
    config: &config::Config,
    cwd: &Path,
    user_dir: Option<&Path>,
    sessions: Option<&Path>,
) -> Result<(Scope, Option<Def>), Failure> {
    let settings = subagent::settings(config.get("subagents")).map_err(|e| (2, e))?;
    let home = crate::secrets::env("HOME").map(PathBuf::from);
    let (defs, warnings) = defs::load(&defs::dirs(cwd, user_dir, home.as_deref()));
    warnings.iter().for_each(|w| warn(w));
    let me = match &o.subagent {
        Some(name) => Some(
            defs.iter()
                .find(|d| d.name == *name)
                .cloned()
                .ok_or_else(|| (2, format!("--subagent: no agent `{name}`")))?,
        ),
        None => None,
    };
    let tools = me.as_ref().and_then(|d| d.tools.clone());
    let may_task = tools.as_ref().is_none_or(|t| t.iter().any(|x| x == "task"));
    let sessions = sessions.map(Path::to_path_buf);
    let tasks = match may_task {
        true => Tasks::new(defs, settings, o.depth, o.sandbox, sessions, o.trust),
        false => None,
    };
    let scope = Scope {
        tools: tools.map(Into::into),
        tasks: tasks.map(std::rc::Rc::new),
    };
    Ok((scope, me))
}

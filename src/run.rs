//! The one place that turns the flags and the config into a run: the
//! workspace and permission gate, the session to resume or create, the
//! task, the model, the MCP servers, the prompt mode and system prompt.
//! `Run::build` does it all; main.rs only picks the front end and runs.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::agent::{Conversation, PromptMode, TurnContext};
use crate::cli::Options;
use crate::hooks::Event;
use crate::json::value::Value;
use crate::subagent::batch::{Scope, Tasks};
use crate::subagent::{self, defs, defs::Def};
use crate::{config, modes, provider, session, skills, workspace};

mod setup;
pub use setup::{Saved, Setup};

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
    /// listing that is already printed (`--sessions`).
    pub fn build(mut o: Options, config: &config::Config) -> Result<Option<Run>, Failure> {
        let config_err = |m: String| (2u8, m);
        let env = |k: &str| crate::secrets::env(k);

        // Sessions (src/session/): list, or load the one to resume.
        let sdir = session::dir(o.session_dir.as_deref(), &env);
        if o.list_sessions {
            return session::start::list(sdir.as_deref())
                .map(|_| None)
                .map_err(|e| (1, e));
        }
        let cwd = std::env::current_dir().map_err(|e| (1, format!("no working directory: {e}")))?;
        let mut ws = workspace::Workspace::new(&cwd)
            .map_err(|e| (1, format!("workspace {}: {e}", cwd.display())))?;
        // The task: -p, piped stdin, a loop, a resumed session, or (no -p and a
        // terminal on stdin) the interactive mode (src/tui).
        let interactive =
            o.prompt.is_none() && o.loop_file.is_none() && std::io::stdin().is_terminal();
        let task = match interactive || (o.loop_file.is_some() && o.prompt.is_none()) {
            true => crate::input::Task {
                text: String::new(),
                spill_file: None,
            },
            false => crate::input::task(o.prompt.as_deref()).map_err(config_err)?,
        };
        let mut prompt = task.text;

        // Permissions: directories outside that allow rules open, the gate and its sandbox.
        let home = env("HOME");
        // Agent Skills (src/skills.rs): the read tool may read their folders.
        let (skills, warnings) = skills::load(&skills::dirs(
            &ws.root,
            config::user_dir(&env).as_deref(),
            home.as_deref().map(Path::new),
        ));
        warnings.iter().for_each(|w| warn(w));
        let gate = Setup::new(&o, config, sdir.as_deref())
            .gate(&mut ws, task.spill_file.as_deref(), &skills)
            .map_err(config_err)?;
        let root = ws.root.to_string_lossy().into_owned();
        let resumed = session::start::resume(&o, sdir.as_deref(), &root).map_err(config_err)?;
        if o.undo || o.rewind.is_some() {
            let r = resumed.ok_or_else(|| {
                config_err(
                    "--undo and --rewind work on a saved session: add -c or --resume ID".into(),
                )
            })?;
            let n = if o.undo { None } else { o.rewind };
            return crate::undo::headless(r, &ws, n)
                .map(|_| None)
                .map_err(|e| (1, e));
        }
        if let (true, Some(r)) = (o.model.is_empty(), &resumed) {
            o.model = r.loaded.model.clone();
        }

        if o.loop_file.is_none() && o.check.is_some() {
            return Err(config_err("--check needs --loop PLAN.md".into()));
        }
        let no_prompt = prompt.trim().is_empty();
        if no_prompt && o.loop_file.is_none() && resumed.is_none() && !interactive {
            return Err(config_err(
                "the prompt is empty: pass one with -p \"TASK\" (or -p - to read it from stdin, -p @FILE from a file), or run mote in a terminal for the interactive mode".into(),
            ));
        }

        // The model (src/provider/select.rs), and the answer's schema (src/schema.rs).
        let selected = select_model(&o, config)?;
        let mut cfg = selected.config;
        if let Some(f) = &o.output_schema {
            if interactive || o.loop_file.is_some() {
                return Err(config_err("--output-schema works with -p".into()));
            }
            cfg.schema = Some(crate::schema::load(f).map_err(config_err)?);
        }
        // Trust and keep-alive for every connection (src/http/, src/tls.rs).
        crate::http::configure(config.get("network"), &env).map_err(config_err)?;
        o.context_window = o.context_window.or(cfg.context_window);

        // MCP servers (src/mcp/): their tools join the built-in ones.
        let setup = Setup::new(&o, config, sdir.as_deref());
        let mcp = setup
            .mcp(&ws.root, o.trust, Vec::new(), !interactive)
            .map_err(config_err)?;

        // The prompt mode and the system prompt (src/run/setup.rs).
        if let Some((name, args)) = modes::command(&prompt) {
            let skill = skills.iter().find(|k| k.name == name);
            if let (Some(k), Ok(None)) = (skill, modes::find(name, &setup.prompt_dirs(&cwd))) {
                prompt = skills::invoke(k, args);
            }
        }
        let (chosen, grant) = setup.mode(&cwd, &prompt, o.trust).map_err(config_err)?;
        let (scope, me) = setup.scope(&cwd)?;
        let mut system = setup
            .system(&ws.root, &cwd, &chosen.mode, me.as_ref(), &skills)
            .map_err(config_err)?;

        let resuming = resumed.is_some();
        if let (false, Some(r)) = (interactive, &resumed) {
            let id = &r.loaded.id;
            if no_prompt && r.loaded.finished && !o.compact {
                return Err(config_err(format!(
                    "session {id} has finished; give the next task with -p"
                )));
            }
            if no_prompt && r.loaded.arena.messages().next().is_none() {
                return Err(config_err(format!(
                    "session {id} has no messages; give a task with -p"
                )));
            }
        }
        let mut saved = setup.saved(&ws.root, &cfg, resumed);
        let mut hooks = hooks(config, &cwd, &ws.root, o.trust).map_err(config_err)?;
        if let Some(w) = &saved.log.writer {
            hooks.session_id = w.id.clone();
            hooks.transcript = w.path.to_string_lossy().into_owned();
        }
        hooks.subagent = o.subagent.is_some();
        let source = if resuming { "resume" } else { "startup" };
        let start = hooks.session(Event::SessionStart, grant.permission, source);
        if !start.is_empty() {
            // SessionStart's output is context for the whole session.
            system.push_str("\n\n# Session start\n\n");
            system.push_str(&start);
        }
        let mode = PromptMode {
            system,
            permission: grant.permission,
            writable: grant.writable,
        };
        let mut conv = Conversation::new(cfg, selected.prices, mode, saved.arena, saved.log);
        // A subagent's changes are covered by its parent's checkpoints.
        saved.undo.off = o.subagent.is_some();
        conv.set_undo(saved.undo);
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

impl Run {
    /// The session ends (`reason` as Claude Code's SessionEnd gives it).
    pub fn end(&self, reason: &str) {
        self.ctx
            .hooks
            .session(Event::SessionEnd, self.conv.permission(), reason);
    }
}

/// The hooks of the user's files, and the project's when the folder is
/// trusted (src/trust.rs): config.json's `hooks`, then Claude Code's
/// `~/.claude/settings.json`, `.claude/settings.json` and
/// `.claude/settings.local.json`. A broken file is a config error.
fn hooks(
    config: &config::Config,
    cwd: &Path,
    root: &Path,
    trusted: bool,
) -> Result<crate::hooks::Hooks, String> {
    let mut user = Vec::new();
    let mut project = Vec::new();
    for (p, v, from_project) in config.hooks(cwd) {
        let list = if from_project {
            &mut project
        } else {
            &mut user
        };
        list.push((p.clone(), v.clone()));
    }
    if let Some(home) = crate::secrets::env("HOME").filter(|h| !h.is_empty()) {
        claude_hooks(&Path::new(&home).join(".claude/settings.json"), &mut user)?;
    }
    for name in [".claude/settings.json", ".claude/settings.local.json"] {
        claude_hooks(&root.join(name), &mut project)?;
    }
    if trusted {
        user.append(&mut project);
    }
    crate::hooks::Hooks::load(&user, root)
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
    let mut found = Vec::new();
    for (p, v, from_project) in config.hooks(&cwd) {
        if from_project {
            found.push((p.clone(), v.clone()));
        }
    }
    for name in [".claude/settings.json", ".claude/settings.local.json"] {
        claude_hooks(&root.join(name), &mut found)?;
    }
    what.extend(
        found
            .iter()
            .map(|(p, _)| format!("hooks in {}", p.display())),
    );
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

/// The `hooks` object of a Claude Code settings file, if it has one.
fn claude_hooks(path: &Path, into: &mut Vec<(PathBuf, Value)>) -> Result<(), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let v = crate::json::value::parse(&text).map_err(|e| {
        let (line, col) = crate::json::value::line_col(&text, e.offset);
        format!("{}:{line}:{col}: {}", path.display(), e.msg)
    })?;
    if let Some(h) = v.get("hooks") {
        into.push((path.to_path_buf(), h.clone()));
    }
    Ok(())
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

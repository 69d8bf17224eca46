//! The parts of a run that every front end builds the same way from the
//! flags and the config for one folder: the skills, the hooks, the
//! permission gate, the MCP servers, the prompt mode and its permission,
//! the system prompt, the subagent scope, the session log, the turn
//! context. `Run::build` (the terminal and headless front ends) and each
//! ACP session (src/acp/session.rs, one per session/new or session/load)
//! are made from these; what differs per front end (the folder, piped
//! input, the client's MCP servers, whether the folder is trusted) is
//! passed in.

use std::path::{Path, PathBuf};

use crate::agent::TurnContext;
use crate::arena::Arena;
use crate::cli::Options;
use crate::config::Config;
use crate::hooks::Hooks;
use crate::json::value::Value;
use crate::modes::{Chosen, Prompt};
use crate::session::start::{limits, Log, Resumed};
use crate::skills::Skill;
use crate::subagent::{batch::Scope, defs::Def};
use crate::undo::Undo;
use crate::workspace::Workspace;
use crate::{context, mcp, modes, permission, prompt, provider, session};

/// What every folder's set-up reads: the flags, the config, the sessions
/// folder and the user's config folder.
pub struct Setup<'a> {
    pub opts: &'a Options,
    pub config: &'a Config,
    pub sessions: Option<&'a Path>,
    pub user_dir: Option<PathBuf>,
}

/// A session's saved state: new (an empty arena and a new file) or resumed.
pub struct Saved {
    /// The session's id (its file's, or a fresh one under --no-session).
    pub id: String,
    pub arena: Arena,
    pub log: Log,
    pub undo: Undo,
}

fn warn(w: &str) {
    eprintln!("mote: warning: {w}");
}

/// Hooks objects, each with the file it came from.
pub type HookFiles = Vec<(PathBuf, Value)>;

/// The `hooks` objects of the user's files and of the project's (the
/// config's project file, and `.claude/settings.json` and
/// `.claude/settings.local.json` of `root`): config.json's, then Claude
/// Code's (`~/.claude/settings.json` for the user). A broken file is an
/// error naming it.
pub fn hook_files(config: &Config, root: &Path) -> Result<(HookFiles, HookFiles), String> {
    let mut user = Vec::new();
    let mut project = Vec::new();
    for (p, v, from_project) in config.hooks() {
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
    Ok((user, project))
}

/// The project's hooks as the trust question names them.
pub fn named(project: &HookFiles) -> impl Iterator<Item = String> + '_ {
    project
        .iter()
        .map(|(p, _)| format!("hooks in {}", p.display()))
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

impl<'a> Setup<'a> {
    pub fn new(opts: &'a Options, config: &'a Config, sessions: Option<&'a Path>) -> Setup<'a> {
        let env = |k: &str| crate::secrets::env(k);
        Setup {
            opts,
            config,
            sessions,
            user_dir: crate::config::user_dir(&env),
        }
    }

    /// The Agent Skills of the workspace `root` and the user's
    /// (src/skills.rs); a malformed one is a warning.
    pub fn skills(root: &Path) -> Vec<Skill> {
        let (skills, warnings) = crate::skills::found(root);
        warnings.iter().for_each(|w| warn(w));
        skills
    }

    /// The hooks of the user's files, and the project's (`hook_files`)
    /// when the folder `root` is `trusted` (src/trust.rs), naming the
    /// session `log` writes. A broken file is a config error.
    pub fn hooks(&self, root: &Path, trusted: bool, log: &Log) -> Result<Hooks, String> {
        let (mut user, mut project) = hook_files(self.config, root)?;
        if trusted {
            user.append(&mut project);
        }
        let mut hooks = Hooks::load(&user, root)?;
        if let Some(w) = &log.writer {
            hooks.session_id = w.id.clone();
            hooks.transcript = w.path.to_string_lossy().into_owned();
        }
        Ok(hooks)
    }

    /// The permission gate of `ws`: the config's rules, plus reading the
    /// piped input saved in `spill` and the skills' folders outside the
    /// root. Directories the rules open outside the root join `ws`.
    pub fn gate(
        &self,
        ws: &mut Workspace,
        spill: Option<&Path>,
        skills: &[Skill],
    ) -> Result<permission::Gate, String> {
        let home = crate::secrets::env("HOME");
        let mut rules =
            permission::rules::Rules::from_config(self.config.get("permissions"), home.as_deref())?;
        if let Some(file) = spill {
            // The model may read the piped input saved there.
            rules.allow_session(&format!("read({})", file.display()))?;
        }
        for k in skills.iter().filter(|k| !k.dir.starts_with(&ws.root)) {
            if let Err(e) = rules.allow_session(&format!("read({}/**)", k.dir.display())) {
                warn(&format!("skill {}: {e}", k.dir.display()));
            }
        }
        ws.external = rules
            .external_dirs()
            .into_iter()
            .map(|d| d.canonicalize().unwrap_or(d))
            .collect();
        let (gate, warning) = permission::Gate::new(rules, self.opts.sandbox);
        if let Some(w) = warning {
            warn(&w);
        }
        Ok(gate)
    }

    /// The configured MCP servers of `root` (none under `--no-mcp`; the
    /// project's `.mcp.json` only when `trusted`), then `extra` (replacing
    /// a configured one of the same name), all started; `wait` waits for
    /// them to be ready.
    pub fn mcp(
        &self,
        root: &Path,
        trusted: bool,
        extra: Vec<mcp::config::Server>,
        wait: bool,
    ) -> Result<mcp::Servers, String> {
        let o = self.opts;
        let env = |k: &str| crate::secrets::env(k);
        let mut servers = Vec::new();
        if !o.no_mcp {
            let (list, warnings) = mcp::config::servers(
                self.config.get("mcpServers"),
                root,
                trusted,
                o.mcp_config.as_deref(),
                &env,
            )?;
            warnings.iter().for_each(|w| warn(w));
            servers = list;
        }
        for e in extra {
            servers.retain(|s| s.name != e.name);
            servers.push(e);
        }
        let mut mcp = mcp::Servers::new(servers, mcp::policy(root.to_path_buf(), o.verbose));
        mcp.start(wait);
        Ok(mcp)
    }

    /// Where the prompt modes and templates of `dir` are.
    pub fn prompt_dirs(&self, dir: &Path) -> Vec<modes::Dir> {
        modes::dirs(dir, self.user_dir.as_deref())
    }

    /// The prompt mode `--prompt-mode` or the prompt's leading `/name`
    /// selects among the prompt folders of `dir`, and the permission mode
    /// and writable paths it is granted (`modes::grant`: `--permission`
    /// when given; a project's prompt file loosens nothing unless the
    /// folder is `trusted`), its notes printed.
    pub fn mode(
        &self,
        dir: &Path,
        task: &str,
        trusted: bool,
    ) -> Result<(Chosen, modes::Grant), String> {
        let o = self.opts;
        let chosen = modes::choose(&o.prompt_mode, task, &self.prompt_dirs(dir))?;
        let grant = modes::grant(
            &chosen.mode,
            chosen.template.as_ref(),
            o.permission,
            o.permission_explicit,
            trusted,
        );
        grant.notes.iter().for_each(|n| warn(n));
        Ok((chosen, grant))
    }

    /// The system prompt for the workspace `root` (its context files read
    /// from `dir`): the base or `--system-prompt-file`, the prompt mode, a
    /// subagent's own prompt (`me`), the context files, the skills, then
    /// `--append-system-prompt`.
    pub fn system(
        &self,
        root: &Path,
        dir: &Path,
        mode: &Prompt,
        me: Option<&Def>,
        skills: &[Skill],
    ) -> Result<String, String> {
        let o = self.opts;
        let base = match &o.system_prompt_file {
            Some(f) => prompt::system_from(
                std::fs::read_to_string(f)
                    .map_err(|e| format!("--system-prompt-file {f}: {e}"))?
                    .trim_end(),
                root,
            ),
            None => prompt::system(root),
        };
        let mut system = prompt::with_mode(base, &mode.name, &mode.body);
        if let Some(me) = me {
            system.push_str(&crate::subagent::child_prompt(me));
        }
        if !o.no_context_files {
            let cx = context::load(dir, self.user_dir.as_deref());
            cx.warnings.iter().for_each(|w| warn(w));
            system = prompt::with_context(system, &cx.text);
        }
        system.push_str(&crate::skills::prompt(skills));
        if let Some(extra) = &o.append_system_prompt {
            system.push_str("\n\n");
            system.push_str(extra);
        }
        Ok(system)
    }

    /// The agents a `task` call may name from `dir`, and a subagent's own
    /// definition (src/run.rs `subagents`).
    pub fn scope(&self, dir: &Path) -> Result<(Scope, Option<Def>), super::Failure> {
        super::subagents(
            self.opts,
            self.config,
            dir,
            self.user_dir.as_deref(),
            self.sessions,
        )
    }

    /// The session `resumed` continues, or a new one for the workspace
    /// `root` and the model of `cfg`. The checkpoints of sessions whose
    /// file was deleted are pruned first (src/undo/prune.rs).
    pub fn saved(&self, root: &Path, cfg: &provider::Config, resumed: Option<Resumed>) -> Saved {
        let o = self.opts;
        if let Some(d) = self.sessions {
            crate::undo::prune::orphans(d);
        }
        match resumed {
            Some(r) => Saved {
                id: r.loaded.id,
                arena: r.loaded.arena,
                log: Log {
                    writer: r.writer,
                    est: r.loaded.est,
                    limits: limits(o),
                },
                undo: r.loaded.undo,
            },
            None => {
                let root = root.to_string_lossy();
                let writer = session::start::create(o, self.sessions, &root, &cfg.name, &cfg.model);
                let id = match &writer {
                    Some(w) => w.id.clone(),
                    None => session::new_id(session::now()),
                };
                Saved {
                    id,
                    arena: Arena::new(),
                    log: Log {
                        writer,
                        est: Default::default(),
                        limits: limits(o),
                    },
                    undo: Undo::default(),
                }
            }
        }
    }

    /// What every turn of the run works with.
    pub fn turn(
        &self,
        ws: Workspace,
        gate: permission::Gate,
        mcp: mcp::Servers,
        scope: Scope,
        hooks: Hooks,
    ) -> TurnContext {
        TurnContext {
            ws,
            gate,
            mcp,
            max_turns: self.opts.max_turns,
            retries: self.opts.retries,
            scope,
            hooks,
        }
    }
}

//! The ACP session table: each editor session is a mote session (saved
//! like any other, under mote's own id) with its own workspace root,
//! permission mode, gate and MCP servers (the configured ones plus those
//! the client passed). Also the permission modes as ACP session modes.

use std::path::{Path, PathBuf};

use crate::agent::{Conversation, PromptMode, TurnContext};
use crate::cli::{Options, Permission};
use crate::config::Config;
use crate::hooks::Event;
use crate::json::value::Value;
use crate::mcp::rpc::{obj, s};
use crate::provider::cost::Prices;
use crate::run::Setup;
use crate::{mcp, provider, session, workspace};

/// The four permission modes, offered to the editor as session modes.
/// The id is the `--permission` value.
pub const MODES: &[(Permission, &str, &str, &str)] = &[
    (
        Permission::ReadOnly,
        "read-only",
        "Read-only",
        "Reads and searches; no edits; commands only when proven read-only or sandboxed",
    ),
    (
        Permission::Cautious,
        "cautious",
        "Cautious",
        "Reads freely; asks before every edit and command",
    ),
    (
        Permission::Standard,
        "standard",
        "Standard",
        "Edits inside the workspace; asks before commands not proven read-only",
    ),
    (
        Permission::Auto,
        "auto",
        "Auto",
        "Edits and runs commands without asking",
    ),
];

pub fn mode_id(p: Permission) -> &'static str {
    MODES.iter().find(|m| m.0 == p).map_or("standard", |m| m.1)
}

pub fn mode_of(id: &str) -> Option<Permission> {
    MODES.iter().find(|m| m.1 == id).map(|m| m.0)
}

/// The `current_mode_update` saying the permission mode is now `p`.
pub fn mode_update(p: Permission) -> Value {
    obj(vec![
        ("sessionUpdate", s("current_mode_update")),
        ("currentModeId", s(mode_id(p))),
    ])
}

/// A `plan` update from the checklist (`- [ ]` items) of the file the
/// prompt mode writes (plan mode's PLAN.md), if it has one.
pub fn plan(sess: &Session) -> Option<Value> {
    let entries: Vec<Value> = sess
        .conv
        .writable()
        .iter()
        .map(|w| sess.ctx.ws.root.join(w))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= 1 << 20))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .flat_map(|text| crate::plan::items(&text))
        .map(|item| {
            let status = if item.checked { "completed" } else { "pending" };
            obj(vec![
                ("content", s(&item.text)),
                ("priority", s("medium")),
                ("status", s(status)),
            ])
        })
        .collect();
    (!entries.is_empty()).then(|| {
        obj(vec![
            ("sessionUpdate", s("plan")),
            ("entries", Value::Arr(entries)),
        ])
    })
}

/// `SessionModeState`: the modes and the current one.
pub fn modes_json(current: Permission) -> Value {
    let list = MODES
        .iter()
        .map(|(_, id, name, what)| {
            obj(vec![
                ("id", s(id)),
                ("name", s(name)),
                ("description", s(what)),
            ])
        })
        .collect();
    obj(vec![
        ("currentModeId", s(mode_id(current))),
        ("availableModes", Value::Arr(list)),
    ])
}

pub struct Session {
    pub id: String,
    /// The prompt mode's name (code, plan, ...).
    pub mode: String,
    pub ctx: TurnContext,
    pub conv: Conversation,
    /// The session's folder is trusted (src/trust.rs).
    pub trusted: bool,
    /// Untrusted: the line saying what its project files did not get,
    /// for the editor (there is no terminal to ask).
    pub held: Option<String>,
}

impl Session {
    /// The editor's note of what the untrusted folder did not get, as an
    /// agent message, if anything was held back.
    pub fn held_note(&self) -> Option<Value> {
        let text = format!("[mote: {}]\n\n", self.held.as_deref()?);
        Some(obj(vec![
            ("sessionUpdate", s("agent_message_chunk")),
            ("content", super::front::text_block(&text)),
        ]))
    }
}

/// What a session's folder may use (`Base::trust`).
struct Trust {
    /// Its .mcp.json, hooks and prompt files.
    trusted: bool,
    /// The project hooks: also those of the folder mote started in, when
    /// it is another.
    hooks_trusted: bool,
    /// The line saying what was held back, if anything.
    held: Option<String>,
}

/// What every session of the process is made from.
pub struct Base<'a> {
    pub opts: &'a Options,
    pub config: &'a Config,
    pub sessions_dir: Option<PathBuf>,
    pub cfg: provider::Config,
    pub prices: Option<Prices>,
}

impl Base<'_> {
    /// The trust of the editor's folder `root`, which may be another than
    /// the one mote started in: its .mcp.json, hooks and prompt files need
    /// its own trust (src/trust.rs). The config's project file is the
    /// starting folder's: its hooks need that folder's trust too. No
    /// terminal to ask: untrusted, they are held back with one line for
    /// the editor.
    fn trust(&self, root: &Path) -> Result<Trust, String> {
        let o = self.opts;
        let file = root.join(".mcp.json");
        let mut what: Vec<String> = (!o.no_mcp && file.exists())
            .then(|| format!("MCP servers in {}", file.display()))
            .into_iter()
            .collect();
        let (_, project_hooks) = crate::run::hook_files(self.config, root)?;
        what.extend(crate::run::named(&project_hooks));
        let trusted = crate::trust::allow(root, &what, o.trust, false);
        let start = self.config.project_file();
        // The starting folder's config.json hooks (when that folder is
        // `root`, its trust is the same).
        let elsewhere: Vec<String> = crate::run::named(&project_hooks)
            .zip(&project_hooks)
            .filter_map(|(name, (p, _))| (p == start).then_some(name))
            .collect();
        let start_dir = start
            .parent()
            .and_then(Path::parent)
            .map(|d| d.canonicalize().unwrap_or_else(|_| d.into()));
        let start_trusted = elsewhere.is_empty()
            || start_dir.is_some_and(|d| crate::trust::allow(&d, &[], o.trust, false));
        let held = match (trusted, start_trusted) {
            (false, _) if !what.is_empty() => Some(crate::trust::held_back(&what)),
            (true, false) => Some(crate::trust::held_back(&elsewhere)),
            _ => None,
        };
        Ok(Trust {
            trusted,
            hooks_trusted: trusted && start_trusted,
            held,
        })
    }

    /// A session rooted at `cwd`, with the configured MCP servers (unless
    /// `--no-mcp`) and the client's `extra` ones, all started: a new one, or
    /// the saved one `resumed` (session/load), which keeps its id and file.
    pub fn open(
        &self,
        cwd: &Path,
        extra: Vec<mcp::config::Server>,
        resumed: Option<session::start::Resumed>,
    ) -> Result<Session, String> {
        let o = self.opts;
        let setup = Setup::new(o, self.config, self.sessions_dir.as_deref());
        let mut ws = workspace::Workspace::new(cwd)
            .map_err(|e| format!("workspace {}: {e}", cwd.display()))?;
        let skills = Setup::skills(&ws.root);
        let gate = setup.gate(&mut ws, None, &skills)?;
        let Trust {
            trusted,
            hooks_trusted,
            held,
        } = self.trust(&ws.root)?;
        let mcp = setup.mcp(&ws.root, trusted, extra, false)?;
        let (chosen, g) = setup.mode(&ws.root, "", trusted)?;
        let system = setup.system(&ws.root, &ws.root, &chosen.mode, None, &skills)?;
        let (scope, _) = setup.scope(&ws.root).map_err(|(_, e)| e)?;
        let new = resumed.is_none();
        let mut saved = setup.saved(&ws.root, &self.cfg, resumed);
        if new {
            // The editor has the id and may load the session later.
            saved.log.writer.iter_mut().for_each(session::Writer::keep);
        }
        let mut hooks = setup.hooks(&ws.root, hooks_trusted, &saved.log)?;
        hooks.start(g.permission, if new { "startup" } else { "resume" });
        let mode = PromptMode {
            system: crate::prompt::with_start(system, hooks.started()),
            permission: g.permission,
            writable: g.writable,
        };
        let mut conv =
            Conversation::new(self.cfg.clone(), self.prices, mode, saved.arena, saved.log);
        conv.set_undo(saved.undo);
        let ctx = setup.turn(ws, gate, mcp, scope, hooks);
        let (id, mode_name) = (saved.id, chosen.mode.name);
        Ok(Session {
            id,
            mode: mode_name,
            ctx,
            conv,
            trusted,
            held,
        })
    }
}

impl Session {
    /// The editor closed the connection: the session's SessionEnd hooks.
    pub fn end(&self) {
        let p = self.conv.permission();
        self.ctx.hooks.session(Event::SessionEnd, p, "other");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_round_trips() {
        for (p, id, _, _) in MODES {
            assert_eq!(mode_of(id), Some(*p));
            assert_eq!(mode_id(*p), *id);
        }
        assert_eq!(mode_of("yolo"), None);
        let j = modes_json(Permission::Cautious).to_json();
        assert!(
            j.starts_with(r#"{"currentModeId":"cautious","availableModes":[{"id":"read-only""#),
            "{j}"
        );
    }
}

//! MCP client: external tool servers, reached over stdio or Streamable HTTP,
//! offered to the model as `mcp__<server>__<tool>`. This file owns the set
//! of configured servers for a session: starting them (a broken one is a
//! warning, never a failed start; a slow one is named after `SLOW`, and
//! where nothing waits for it, joins at the first turn after it is ready,
//! up to its `startup_timeout`), the tool list the model sees, and calls,
//! with one restart of a server that died.

pub mod client;
pub mod config;
pub mod http;
pub mod probe;
pub mod render;
pub mod rpc;
pub mod stdio;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::json::value::{self, Value};
use client::{Client, Policy};
use config::Server;

pub const PREFIX: &str = "mcp__";

/// A tool as the model is told of it (owned: servers may change their list).
pub struct Spec {
    pub name: String,
    pub description: String,
    pub schema: String,
}

struct Entry {
    cfg: Server,
    client: Option<Client>,
    restarts: u32,
    /// Still starting: the client, its `initialize` request and the end of
    /// its `startup_timeout`.
    starting: Option<(Client, u64, Instant)>,
}

/// After this long, the servers still starting are named on stderr.
const SLOW: Duration = Duration::from_secs(1);

pub struct Servers {
    entries: Vec<Entry>,
    policy: Policy,
}

/// The name the model calls: `mcp__server__tool`, in the characters
/// function names allow.
pub fn tool_name(server: &str, tool: &str) -> String {
    let clean: String = tool
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{PREFIX}{server}__{clean}")
}

/// Where a server's stderr goes: `$XDG_STATE_HOME/mote/mcp-NAME.log`
/// (else `~/.local/state/...`), appended to.
pub fn log_file(name: &str) -> Option<std::fs::File> {
    let dir = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".local/state"),
    }
    .join("mote");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("mcp-{name}.log")))
        .ok()
}

impl Servers {
    pub fn new(cfgs: Vec<Server>, policy: Policy) -> Servers {
        let entries = cfgs
            .into_iter()
            .map(|cfg| Entry {
                cfg,
                client: None,
                restarts: 0,
                starting: None,
            })
            .collect();
        Servers { entries, policy }
    }

    /// Start every server, side by side, and send each `initialize`. With
    /// `wait` (a headless run: its first request is the task) the answers
    /// are awaited, each up to its server's startup_timeout, and the
    /// servers still starting after `SLOW` are named once on stderr;
    /// without (the interactive mode, ACP) the servers join at the first
    /// turn after they are ready. One that fails is reported once on
    /// stderr and left out.
    pub fn start(&mut self, wait: bool) {
        let now = Instant::now();
        for e in &mut self.entries {
            match Client::begin(&e.cfg, &self.policy, log_file(&e.cfg.name)) {
                Ok((c, id)) => {
                    let end = now + Duration::from_secs(e.cfg.startup_timeout);
                    e.starting = Some((c, id, end));
                }
                Err(m) => warn_down(e, &m),
            }
        }
        let mut named = !wait;
        while wait && self.join(Duration::from_millis(25)) {
            if !named && now.elapsed() >= SLOW {
                named = true;
                let slow: Vec<&str> = self.starting().collect();
                eprintln!(
                    "mote: waiting for MCP servers to start: {} (each up to its startup_timeout)",
                    slow.join(", ")
                );
            }
        }
    }

    /// The names of the servers still starting.
    fn starting(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(|e| e.starting.is_some())
            .map(|e| e.cfg.name.as_str())
    }

    /// Give each server still starting up to `wait` to answer `initialize`;
    /// one that answered joins, one past its startup_timeout is dropped
    /// with a warning. Whether any is still starting.
    fn join(&mut self, wait: Duration) -> bool {
        let mut left = false;
        for e in &mut self.entries {
            let Some((mut c, id, end)) = e.starting.take() else {
                continue;
            };
            let until = (Instant::now() + wait).min(end);
            match c.try_finish(id, until, end) {
                Ok(true) => {
                    if self.policy.verbose {
                        eprintln!(
                            "mcp {}: connected (MCP {}), {} tools",
                            e.cfg.name,
                            c.protocol,
                            c.tools.len()
                        );
                    }
                    e.client = Some(c);
                }
                Ok(false) if Instant::now() < end => {
                    e.starting = Some((c, id, end));
                    left = true;
                }
                Ok(false) => {
                    c.close();
                    let secs = e.cfg.startup_timeout;
                    warn_down(
                        e,
                        &format!("it did not start within {secs} s (startup_timeout)"),
                    );
                }
                Err(m) => {
                    c.close();
                    warn_down(e, &m);
                }
            }
        }
        left
    }

    /// The tools of the connected servers, listed again where a server
    /// said they changed.
    pub fn specs(&mut self) -> Vec<Spec> {
        // Servers that became ready since the last turn join now.
        self.join(Duration::ZERO);
        let mut out = Vec::new();
        for e in &mut self.entries {
            let Some(c) = e.client.as_mut() else { continue };
            if c.stale {
                let deadline = Instant::now() + self.policy.connect_timeout;
                if let Err(m) = c.list_tools(deadline) {
                    eprintln!(
                        "mote: warning: MCP server `{}`: listing tools: {m}",
                        e.cfg.name
                    );
                }
            }
            for t in &c.tools {
                let description = if t.description.is_empty() {
                    format!("{} (MCP server {})", t.name, e.cfg.name)
                } else {
                    t.description.clone()
                };
                out.push(Spec {
                    name: tool_name(&e.cfg.name, &t.name),
                    description,
                    schema: t.schema.clone(),
                });
            }
        }
        out
    }

    /// Run `mcp__server__tool` with JSON arguments; `Ok` is the text for
    /// the model, `Err` a tool error.
    pub fn call(&mut self, name: &str, args: &str) -> Result<String, String> {
        let args = if args.trim().is_empty() {
            Value::Obj(Vec::new())
        } else {
            value::parse(args).map_err(|e| format!("bad arguments for {name}: {}", e.msg))?
        };
        if args.as_object().is_none() {
            return Err(format!("bad arguments for {name}: expected a JSON object"));
        }
        let found = self.entries.iter_mut().find_map(|e| {
            let tool = e
                .client
                .as_ref()?
                .tools
                .iter()
                .find(|t| tool_name(&e.cfg.name, &t.name) == name)?
                .name
                .clone();
            Some((e, tool))
        });
        let Some((e, tool)) = found else {
            return Err(format!("unknown tool `{name}`"));
        };
        let c = e.client.as_mut().ok_or("the server is down")?;
        match c.call(&tool, args) {
            Ok(result) => render::result(&result),
            Err(m) if m.contains("(JSON-RPC error") => Err(m),
            Err(m) => {
                // The transport failed (crash, timeout): restart once.
                if let Some(mut dead) = e.client.take() {
                    dead.close();
                }
                let note;
                if e.restarts == 0 {
                    e.restarts += 1;
                    match Client::connect(&e.cfg, &self.policy, log_file(&e.cfg.name)) {
                        Ok(c) => {
                            e.client = Some(c);
                            note = "; the server was restarted".into();
                        }
                        Err(r) => note = format!("; restarting it failed: {r}"),
                    }
                } else {
                    note = "; it is not restarted again".into();
                }
                Err(format!(
                    "MCP server `{}` failed during `{tool}`: {m}{note}",
                    e.cfg.name
                ))
            }
        }
    }

    /// The session moved to `root` (`/worktree NAME`): every server starts
    /// again, a stdio one in the new folder (unless its config names a
    /// `cwd`), and `roots/list` answers `root`. Whether any is configured.
    pub fn restart(&mut self, root: PathBuf) -> bool {
        self.shutdown();
        self.policy.root = root;
        self.entries.iter_mut().for_each(|e| e.restarts = 0);
        self.start(false);
        !self.entries.is_empty()
    }

    /// Hang up on every server at once, then give them one shared grace period.
    pub fn shutdown(&mut self) {
        let mut open: Vec<Client> = self
            .entries
            .iter_mut()
            .flat_map(|e| [e.client.take(), e.starting.take().map(|s| s.0)])
            .flatten()
            .collect();
        for c in &mut open {
            c.hang_up();
        }
        let deadline = Instant::now() + Duration::from_millis(200);
        for c in &mut open {
            c.reap(deadline);
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A server that failed to start: its tools are not offered.
fn warn_down(e: &Entry, m: &str) {
    eprintln!(
        "mote: warning: MCP server `{}` is not available: {m}",
        e.cfg.name
    );
}

/// Settings for the session's servers.
pub fn policy(root: PathBuf, verbose: bool) -> Policy {
    Policy {
        elicit: client::Elicit::Decline,
        verbose,
        root,
        connect_timeout: Duration::from_secs(30),
    }
}

//! MCP client: external tool servers, reached over stdio or Streamable HTTP,
//! offered to the model as `mcp__<server>__<tool>`. This file owns the set
//! of configured servers for a session: starting them (a broken one is a
//! warning, never a failed start), the tool list the model sees, and calls,
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
}

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
            })
            .collect();
        Servers { entries, policy }
    }

    /// Connect every server, side by side: all are started and sent
    /// `initialize` first, then each answer is awaited. One that fails is
    /// reported once on stderr and left out.
    pub fn start(&mut self) {
        let deadline = Instant::now() + self.policy.connect_timeout;
        let mut begun = Vec::new();
        for e in &mut self.entries {
            match Client::begin(&e.cfg, &self.policy, log_file(&e.cfg.name)) {
                Ok(b) => begun.push(Some(b)),
                Err(m) => {
                    warn_down(e, &m);
                    begun.push(None);
                }
            }
        }
        for (e, b) in self.entries.iter_mut().zip(begun) {
            let Some((mut c, id)) = b else { continue };
            match c.finish(id, deadline) {
                Ok(()) => {
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
                Err(m) => {
                    c.close();
                    warn_down(e, &m);
                }
            }
        }
    }

    /// The tools of the connected servers, listed again where a server
    /// said they changed.
    pub fn specs(&mut self) -> Vec<Spec> {
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

    /// Hang up on every server at once, then give them one shared grace period.
    pub fn shutdown(&mut self) {
        let mut open: Vec<Client> = self
            .entries
            .iter_mut()
            .filter_map(|e| e.client.take())
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

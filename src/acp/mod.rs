//! `mote acp`: mote as an Agent Client Protocol (v1) agent for editors
//! (Zed, JetBrains, Neovim, Emacs). The editor starts mote and speaks
//! JSON-RPC 2.0 over stdin/stdout, one message per line; logs go to stderr.
//! This file owns the process: the one loop that waits on stdin, and the
//! method table that routes each message. wire.rs frames and shapes
//! messages, params.rs reads requests, session.rs keeps the sessions.

pub mod commands;
pub mod config;
pub mod front;
pub mod fs;
pub mod link;
pub mod params;
pub mod session;
pub mod wire;

use crate::agent::{Agent, Fail};
use crate::cli::Options;
use crate::config::Config;
use crate::frontend::Frontend;
use crate::json::value::{self, Value};
use crate::mcp::rpc::{self, obj, s, Incoming};
use crate::provider::Stop;
use wire::Line;

/// A JSON-RPC error to answer with.
struct Fault {
    code: i64,
    message: String,
    data: Option<Value>,
}

impl Fault {
    fn params(m: impl Into<String>) -> Fault {
        Fault {
            code: wire::INVALID_PARAMS,
            message: format!("Invalid params: {}", m.into()),
            data: None,
        }
    }
}

type Reply = Result<Value, Fault>;

struct Server<'a> {
    base: session::Base<'a>,
    sessions: Vec<session::Session>,
    /// The client's file system, as its initialize said.
    fs: fs::Caps,
    /// stdout failed: the editor is gone.
    closed: bool,
    /// Updates to send once the request's answer is out (a new session's
    /// commands, which the client can place only when it knows its id).
    later: Vec<(String, Value)>,
}

/// Run the agent until stdin ends. Setup errors (flags, provider) are
/// returned before any message is read.
pub fn serve(o: Options, config: &Config) -> Result<(), (u8, String)> {
    let env = |k: &str| crate::secrets::env(k);
    let selected = crate::run::select_model(&o, config)?;
    // Trust and keep-alive for every connection, as in any run (src/http/).
    crate::http::configure(config.get("network"), &env).map_err(|e| (2, e))?;
    let mut server = Server {
        base: session::Base {
            opts: &o,
            config,
            sessions_dir: crate::session::dir(o.session_dir.as_deref(), &env),
            cfg: selected.config,
            prices: selected.prices,
        },
        sessions: Vec::new(),
        fs: fs::Caps::default(),
        closed: false,
        later: Vec::new(),
    };
    loop {
        while let Some(line) = link::next() {
            server.message(line);
        }
        if link::eof() || server.closed {
            break;
        }
        // Idle until the editor writes: give back the code pages, as the
        // interactive mode does (src/idle.rs); the next message faults in
        // only what it runs.
        crate::idle::release_code_pages();
        if let Err(e) = wait_readable(0).and_then(|_| link::fill()) {
            return Err((1, format!("reading stdin: {e}")));
        }
    }
    // EOF: every session ends (its SessionEnd hooks), and its MCP
    // servers are stopped as the table drops.
    server.sessions.iter().for_each(session::Session::end);
    drop(server);
    Ok(())
}

/// Block until `fd` is readable (or hung up).
pub(crate) fn wait_readable(fd: i32) -> std::io::Result<()> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, -1) };
        if r >= 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

impl Server<'_> {
    fn send(&mut self, msg: &str) {
        if !self.closed && wire::send(msg).is_err() {
            self.closed = true;
        }
    }

    fn fail(&mut self, id: &Value, f: Fault) {
        let m = wire::error(id, f.code, &f.message, f.data);
        self.send(&m);
    }

    /// One line from the client.
    fn message(&mut self, line: Line) {
        let bytes = match line {
            Line::Msg(b) => b,
            Line::TooLarge => {
                let m = format!(
                    "Invalid Request: message larger than {} MiB",
                    wire::MAX_MESSAGE >> 20
                );
                return self.fail(&Value::Null, fault(wire::INVALID_REQUEST, m));
            }
        };
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|_| "not UTF-8".to_string())
            .and_then(|t| value::parse(t).map_err(|e| e.to_string()));
        drop(bytes);
        let msg = match parsed {
            Ok(v) => v,
            Err(e) => {
                return self.fail(
                    &Value::Null,
                    fault(wire::PARSE_ERROR, format!("Parse error: {e}")),
                )
            }
        };
        let id = match msg.get("id") {
            None => None,
            Some(v @ (Value::Str(_) | Value::Num(_) | Value::Null)) => Some(v.clone()),
            Some(_) => {
                let f = fault(
                    wire::INVALID_REQUEST,
                    "Invalid Request: `id` must be a string or a number".into(),
                );
                return self.fail(&Value::Null, f);
            }
        };
        let reply_id = id.clone().unwrap_or(Value::Null);
        if !matches!(msg, Value::Obj(_))
            || msg.get("jsonrpc").and_then(|v| v.as_str()) != Some("2.0")
        {
            let f = fault(
                wire::INVALID_REQUEST,
                "Invalid Request: not a JSON-RPC 2.0 message".into(),
            );
            return self.fail(&reply_id, f);
        }
        match rpc::classify(&msg) {
            Incoming::Request { id, method, params } => {
                let answer = self.request(method, params);
                let out = match answer {
                    Ok(v) => rpc::result(id, v),
                    Err(f) => wire::error(id, f.code, &f.message, f.data),
                };
                self.send(&out);
                for (sid, u) in std::mem::take(&mut self.later) {
                    self.update(&sid, u);
                }
            }
            // `session/cancel` between prompts has nothing to stop (a
            // running prompt's cancel is read by link.rs); other
            // notifications are ignored, as JSON-RPC says.
            Incoming::Notification { .. } => {}
            // Answers to requests of ours that are no longer waited for.
            Incoming::Response { .. } => {}
            Incoming::Other => {
                let f = fault(wire::INVALID_REQUEST, "Invalid Request: no `method`".into());
                self.fail(&reply_id, f)
            }
        }
    }

    /// The method table for requests.
    fn request(&mut self, method: &str, params: Option<&Value>) -> Reply {
        match method {
            "initialize" => self.initialize(params),
            "authenticate" => Ok(obj(vec![])),
            "session/new" => self.new_session(params),
            "session/set_mode" => self.set_mode(params),
            "session/set_config_option" => self.set_config_option(params),
            "session/prompt" => self.prompt(params),
            "session/load" => self.load(params),
            _ => Err(Fault {
                code: wire::METHOD_NOT_FOUND,
                message: format!("Method not found: {method}"),
                data: None,
            }),
        }
    }

    fn initialize(&mut self, params: Option<&Value>) -> Reply {
        let p = params::object(params).map_err(Fault::params)?;
        if p.get("protocolVersion").and_then(|v| v.as_u64()).is_none() {
            return Err(Fault::params(
                "`protocolVersion` must be a non-negative integer",
            ));
        }
        self.fs = fs::Caps::of(p);
        let f = |b: bool| Value::Bool(b);
        let caps = obj(vec![
            ("loadSession", f(true)),
            (
                "promptCapabilities",
                obj(vec![
                    ("image", f(false)),
                    ("audio", f(false)),
                    ("embeddedContext", f(true)),
                ]),
            ),
            (
                "mcpCapabilities",
                obj(vec![("http", f(true)), ("sse", f(false))]),
            ),
        ]);
        Ok(obj(vec![
            ("protocolVersion", Value::Num("1".into())),
            ("agentCapabilities", caps),
            ("authMethods", Value::Arr(Vec::new())),
            (
                "agentInfo",
                obj(vec![
                    ("name", s("mote")),
                    ("title", s("mote")),
                    ("version", s(env!("CARGO_PKG_VERSION"))),
                ]),
            ),
        ]))
    }

    fn new_session(&mut self, params: Option<&Value>) -> Reply {
        let p = params::object(params).map_err(Fault::params)?;
        let cwd = params::abs_dir(p, "cwd").map_err(Fault::params)?;
        let extra = params::mcp_servers(p).map_err(Fault::params)?;
        let sess = self
            .base
            .open(&cwd, extra, None)
            .map_err(|e| fault(wire::INTERNAL_ERROR, e))?;
        let answer = obj(vec![
            ("sessionId", s(&sess.id)),
            ("modes", session::modes_json(sess.conv.permission())),
            ("configOptions", config::options(&self.base, &sess)),
        ]);
        self.later
            .push((sess.id.clone(), commands::available(&sess)));
        if let Some(note) = sess.held_note() {
            self.later.push((sess.id.clone(), note));
        }
        self.sessions.push(sess);
        Ok(answer)
    }

    fn set_mode(&mut self, params: Option<&Value>) -> Reply {
        let p = params::object(params).map_err(Fault::params)?;
        let id = params::str_field(p, "modeId").map_err(Fault::params)?;
        let mode =
            session::mode_of(id).ok_or_else(|| Fault::params(format!("unknown mode `{id}`")))?;
        let sess = self.find(p)?;
        sess.conv.set_permission(mode);
        let sid = sess.id.clone();
        self.update(&sid, session::mode_update(mode));
        Ok(obj(vec![]))
    }

    /// Set a config option (prompt mode, model); answer all of them. A
    /// prompt mode that changes the permission mode says so.
    fn set_config_option(&mut self, params: Option<&Value>) -> Reply {
        let p = params::object(params).map_err(Fault::params)?;
        let id = params::str_field(p, "configId").map_err(Fault::params)?;
        let value = params::str_field(p, "value").map_err(Fault::params)?;
        let i = self.index(p)?;
        let Some(sess) = self.sessions.get_mut(i) else {
            return Err(not_found(""));
        };
        let permission = sess.conv.permission();
        config::set(&self.base, sess, id, value).map_err(Fault::params)?;
        let now = sess.conv.permission();
        let answer = obj(vec![("configOptions", config::options(&self.base, sess))]);
        if now != permission {
            self.later
                .push((sess.id.clone(), session::mode_update(now)));
        }
        Ok(answer)
    }

    /// Run a prompt to its end, streaming updates; answer with its stopReason.
    fn prompt(&mut self, params: Option<&Value>) -> Reply {
        let p = params::object(params).map_err(Fault::params)?;
        let text = params::prompt_text(p).map_err(Fault::params)?;
        if text.trim().is_empty() {
            return Err(Fault::params("the prompt is empty"));
        }
        let i = self.index(p)?;
        let Some(sess) = self.sessions.get_mut(i) else {
            return Err(not_found(""));
        };
        let mut front = front::Front::new(&sess.id, &sess.ctx.ws.root, self.fs);
        link::running(Some(&sess.id));
        let before = sess.conv.permission();
        let chosen = (sess.mode.clone(), sess.conv.cfg().model.clone());
        let slash = match text.starts_with('/') {
            true => commands::run(&self.base, sess, &mut front, &text),
            false => None,
        };
        // A prompt mode or template may set the permission mode: said
        // before its task runs.
        let mut permission = before;
        if sess.conv.permission() != permission {
            permission = sess.conv.permission();
            front.update(session::mode_update(permission));
        }
        let res = match slash {
            Some(Ok(commands::Slash::Said(t))) => {
                front.text(&t);
                Ok(Stop::Done)
            }
            Some(Err(e)) => {
                front.text(&format!("[mote: {e}]"));
                Ok(Stop::Done)
            }
            Some(Ok(commands::Slash::Task(t))) => {
                Agent::new(&mut sess.ctx, &mut sess.conv, &mut front).run(&t)
            }
            Some(Ok(commands::Slash::Template(t))) => {
                let res = Agent::new(&mut sess.ctx, &mut sess.conv, &mut front).run(&t);
                // A template's permission was for its one task.
                sess.conv.set_permission(before);
                res
            }
            None => Agent::new(&mut sess.ctx, &mut sess.conv, &mut front).run(&text),
        };
        if sess.conv.permission() != permission {
            front.update(session::mode_update(sess.conv.permission()));
        }
        if chosen != (sess.mode.clone(), sess.conv.cfg().model.clone()) {
            front.update(obj(vec![
                ("sessionUpdate", s("config_option_update")),
                ("configOptions", config::options(&self.base, sess)),
            ]));
        }
        if let Some(plan) = session::plan(sess) {
            front.update(plan);
        }
        let cancelled = link::cancelled();
        link::running(None);
        let stop = match res {
            _ if cancelled => "cancelled",
            Ok(Stop::Done) => "end_turn",
            Ok(Stop::MaxTokens) => "max_tokens",
            Ok(Stop::Refusal) => "refusal",
            Err(Fail::Interrupted) => "cancelled",
            Err(Fail::MaxTurns(_)) => "max_turn_requests",
            Err(f @ Fail::DoomLoop(_)) => {
                front.text(&format!("\n\n[mote: {}]", f.message()));
                "end_turn"
            }
            Err(f) => return Err(fault(wire::INTERNAL_ERROR, f.message())),
        };
        Ok(obj(vec![("stopReason", s(stop))]))
    }

    /// Open a saved mote session (by its id) and replay it to the client as
    /// updates: user and agent messages, reasoning, tool calls with their
    /// final status. Then it takes prompts like a new one.
    fn load(&mut self, params: Option<&Value>) -> Reply {
        let p = params::object(params).map_err(Fault::params)?;
        let id = params::str_field(p, "sessionId").map_err(Fault::params)?;
        let cwd = params::abs_dir(p, "cwd").map_err(Fault::params)?;
        let extra = params::mcp_servers(p).map_err(Fault::params)?;
        if self.sessions.iter().any(|x| x.id == id) {
            return Err(Fault::params(format!("session {id} is already open")));
        }
        let dir = self
            .base
            .sessions_dir
            .as_deref()
            .ok_or_else(|| not_found(id))?;
        let path = crate::session::find(dir, id).map_err(|_| not_found(id))?;
        let resumed = crate::session::start::open(&path, self.base.opts.no_session, &cwd)
            .map_err(|e| fault(wire::INTERNAL_ERROR, e))?;
        let sess = self
            .base
            .open(&cwd, extra, Some(resumed))
            .map_err(|e| fault(wire::INTERNAL_ERROR, e))?;
        let mut front = front::Front::new(&sess.id, &sess.ctx.ws.root, fs::Caps::default());
        front::replay(&mut front, sess.conv.arena());
        front.update(commands::available(&sess));
        if let Some(note) = sess.held_note() {
            front.update(note);
        }
        self.sessions.push(sess);
        Ok(obj(vec![]))
    }

    /// Send a `session/update` notification.
    fn update(&mut self, session_id: &str, update: Value) {
        let params = obj(vec![("sessionId", s(session_id)), ("update", update)]);
        let m = rpc::notification("session/update", Some(params));
        self.send(&m);
    }

    /// The session a request names, or ACP's "resource not found".
    fn find(&mut self, p: &Value) -> Result<&mut session::Session, Fault> {
        let i = self.index(p)?;
        self.sessions.get_mut(i).ok_or_else(|| not_found(""))
    }

    /// Where in the table the session a request names is.
    fn index(&self, p: &Value) -> Result<usize, Fault> {
        let id = params::str_field(p, "sessionId").map_err(Fault::params)?;
        self.sessions
            .iter()
            .position(|x| x.id == id)
            .ok_or_else(|| not_found(id))
    }
}

fn fault(code: i64, message: String) -> Fault {
    Fault {
        code,
        message,
        data: None,
    }
}

fn not_found(id: &str) -> Fault {
    Fault {
        code: wire::NOT_FOUND,
        message: format!("Resource not found: session {id}"),
        data: Some(obj(vec![("sessionId", s(id))])),
    }
}

//! One MCP session over either transport: the initialize handshake with
//! version negotiation, tools/list with pagination, tools/call, and the
//! answers to what servers ask of a client (ping, roots, sampling,
//! elicitation) and tell it (tools changed, progress, log messages).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::config::{Launch, Server};
use super::rpc::{self, obj, s, Incoming};
use super::{http::Session, stdio::Proc};
use crate::json::value::Value;

/// The newest version first; the rest are accepted when a server answers with them.
pub const VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];

/// What to do when a server asks the user for input.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Elicit {
    /// Headless runs cannot ask: decline.
    Decline,
    /// Accept with the schema's defaults (the conformance client).
    AcceptDefaults,
}

#[derive(Clone, Debug)]
pub struct Policy {
    pub elicit: Elicit,
    pub verbose: bool,
    /// The workspace, offered as the one root.
    pub root: PathBuf,
    pub connect_timeout: Duration,
}

pub struct Tool {
    pub name: String,
    pub description: String,
    /// inputSchema as JSON text, passed to the model unchanged.
    pub schema: String,
}

pub enum Transport {
    Stdio(Proc),
    Http(Box<Session>),
}

impl Transport {
    fn send(&mut self, msg: &str, expects_reply: bool) -> Result<(), String> {
        match self {
            Transport::Stdio(p) => p.send(msg),
            Transport::Http(h) => h.send(msg, expects_reply),
        }
    }

    fn recv(&mut self, deadline: Instant) -> Result<Option<Value>, String> {
        match self {
            Transport::Stdio(p) => p.recv(deadline),
            Transport::Http(h) => h.recv(deadline),
        }
    }
}

pub struct Client {
    pub name: String,
    t: Transport,
    next_id: u64,
    pub tools: Vec<Tool>,
    /// The server said its tools changed; list again before the next turn.
    pub stale: bool,
    pub protocol: String,
    policy: Policy,
    call_timeout: Duration,
}

impl Client {
    /// Connect, handshake and list the tools.
    pub fn connect(
        server: &Server,
        policy: &Policy,
        log: Option<std::fs::File>,
    ) -> Result<Client, String> {
        let (mut c, id) = Client::begin(server, policy, log)?;
        c.finish(
            id,
            Instant::now() + Duration::from_secs(server.startup_timeout),
        )?;
        Ok(c)
    }

    /// Start the server and send `initialize`, without waiting: several
    /// servers then start side by side. Returns the request id to finish.
    pub fn begin(
        server: &Server,
        policy: &Policy,
        log: Option<std::fs::File>,
    ) -> Result<(Client, u64), String> {
        let t = match &server.launch {
            l @ Launch::Stdio { .. } => Transport::Stdio(Proc::spawn(l, log)?),
            Launch::Http { url, headers } => {
                let timeout = policy
                    .connect_timeout
                    .max(Duration::from_secs(server.timeout));
                Transport::Http(Box::new(Session::new(url, headers, timeout)?))
            }
        };
        let mut c = Client {
            name: server.name.clone(),
            t,
            next_id: 1,
            tools: Vec::new(),
            stale: false,
            protocol: String::new(),
            policy: policy.clone(),
            call_timeout: Duration::from_secs(server.timeout),
        };
        let caps = obj(vec![
            ("roots", obj(vec![("listChanged", Value::Bool(false))])),
            ("sampling", obj(vec![])),
            ("elicitation", obj(vec![])),
        ]);
        let info = obj(vec![
            ("name", s("mote")),
            ("version", s(env!("CARGO_PKG_VERSION"))),
        ]);
        let params = obj(vec![
            ("protocolVersion", s(VERSIONS[0])),
            ("capabilities", caps),
            ("clientInfo", info),
        ]);
        let id = c.send_request("initialize", params)?;
        Ok((c, id))
    }

    /// Check the server's answer to `initialize`, confirm, list the tools.
    pub fn finish(&mut self, init_id: u64, deadline: Instant) -> Result<(), String> {
        let r = self.wait(init_id, "initialize", deadline)?;
        self.initialized(&r, deadline)
    }

    /// `finish` if the answer to `initialize` comes by `until` (`Ok(false)`
    /// if not yet: the request stays open); the rest by `deadline`.
    pub fn try_finish(
        &mut self,
        init_id: u64,
        until: Instant,
        deadline: Instant,
    ) -> Result<bool, String> {
        match self.wait_for(init_id, until)? {
            Some(r) => self.initialized(&r?, deadline).map(|()| true),
            None => Ok(false),
        }
    }

    fn initialized(&mut self, r: &Value, deadline: Instant) -> Result<(), String> {
        let v = r
            .get("protocolVersion")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if !VERSIONS.contains(&v) {
            self.close();
            return Err(format!(
                "the server speaks MCP version `{v}`; mote speaks {}",
                VERSIONS.join(", ")
            ));
        }
        self.protocol = v.to_string();
        if let Transport::Http(h) = &mut self.t {
            h.protocol = Some(v.to_string());
        }
        self.t
            .send(&rpc::notification("notifications/initialized", None), false)?;
        if let Transport::Http(h) = &mut self.t {
            h.open_listener();
        }
        self.list_tools(deadline)
    }

    pub fn list_tools(&mut self, deadline: Instant) -> Result<(), String> {
        self.stale = false;
        let mut tools = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let params = match &cursor {
                Some(c) => obj(vec![("cursor", s(c))]),
                None => obj(vec![]),
            };
            let r = self.request("tools/list", params, deadline)?;
            for t in r.get("tools").and_then(|t| t.as_array()).unwrap_or(&[]) {
                let Some(name) = t.get("name").and_then(|n| n.as_str()) else {
                    continue;
                };
                let description = t
                    .get("description")
                    .and_then(|d| d.as_str())
                    .unwrap_or("")
                    .to_string();
                let schema = match t.get("inputSchema") {
                    Some(v @ Value::Obj(_)) => v.to_json(),
                    _ => r#"{"type":"object","properties":{}}"#.to_string(),
                };
                tools.push(Tool {
                    name: name.to_string(),
                    description,
                    schema,
                });
            }
            cursor = r
                .get("nextCursor")
                .and_then(|c| c.as_str())
                .filter(|c| !c.is_empty())
                .map(String::from);
            if cursor.is_none() {
                break;
            }
        }
        self.tools = tools;
        Ok(())
    }

    /// Call a tool; the raw result object.
    pub fn call(&mut self, tool: &str, args: Value) -> Result<Value, String> {
        let token = self.next_id;
        let meta = obj(vec![("progressToken", Value::Num(token.to_string()))]);
        let params = obj(vec![
            ("name", s(tool)),
            ("arguments", args),
            ("_meta", meta),
        ]);
        let deadline = Instant::now() + self.call_timeout;
        self.request("tools/call", params, deadline)
    }

    /// Send a request and wait for its response, answering whatever the
    /// server sends meanwhile.
    pub fn request(
        &mut self,
        method: &str,
        params: Value,
        deadline: Instant,
    ) -> Result<Value, String> {
        let id = self.send_request(method, params)?;
        self.wait(id, method, deadline)
    }

    fn send_request(&mut self, method: &str, params: Value) -> Result<u64, String> {
        let id = self.next_id;
        self.next_id += 1;
        self.t.send(&rpc::request(id, method, params), true)?;
        Ok(id)
    }

    fn wait(&mut self, id: u64, method: &str, deadline: Instant) -> Result<Value, String> {
        if let Some(outcome) = self.wait_for(id, deadline)? {
            return outcome;
        }
        let p = obj(vec![
            ("requestId", Value::Num(id.to_string())),
            ("reason", s("timed out")),
        ]);
        let _ = self.t.send(
            &rpc::notification("notifications/cancelled", Some(p)),
            false,
        );
        Err(format!("`{method}` timed out"))
    }

    /// The response to request `id` (the server's result or error), or
    /// `None` at the deadline; the outer error is the transport's.
    #[allow(clippy::type_complexity)]
    fn wait_for(
        &mut self,
        id: u64,
        deadline: Instant,
    ) -> Result<Option<Result<Value, String>>, String> {
        loop {
            let Some(msg) = self.t.recv(deadline)? else {
                return Ok(None);
            };
            match rpc::classify(&msg) {
                Incoming::Response { id: rid, outcome } if rpc::is_id(rid, id) => {
                    return Ok(Some(outcome.cloned()))
                }
                Incoming::Request {
                    id: rid,
                    method,
                    params,
                } => {
                    let reply = self.answer(rid, method, params);
                    self.t.send(&reply, false)?;
                }
                Incoming::Notification { method, params } => self.notified(method, params),
                _ => {}
            }
        }
    }

    fn answer(&mut self, id: &Value, method: &str, params: Option<&Value>) -> String {
        match method {
            "ping" => rpc::result(id, obj(vec![])),
            "roots/list" => {
                let path = self.policy.root.to_string_lossy();
                let uri = format!("file://{path}");
                let name = self
                    .policy
                    .root
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let root = obj(vec![("uri", s(&uri)), ("name", s(&name))]);
                rpc::result(id, obj(vec![("roots", Value::Arr(vec![root]))]))
            }
            "sampling/createMessage" => {
                self.log("declined a sampling request (mote does not lend its model to servers)");
                rpc::error(
                    id,
                    -1,
                    "User rejected sampling request: mote does not lend its model to servers",
                )
            }
            "elicitation/create" => match self.policy.elicit {
                Elicit::Decline => {
                    self.log("declined an elicitation request (mote does not ask the user for servers yet)");
                    rpc::result(id, obj(vec![("action", s("decline"))]))
                }
                Elicit::AcceptDefaults => {
                    let content = defaults(params.and_then(|p| p.get("requestedSchema")));
                    rpc::result(id, obj(vec![("action", s("accept")), ("content", content)]))
                }
            },
            _ => rpc::error(
                id,
                -32601,
                &format!("method `{method}` is not supported by mote"),
            ),
        }
    }

    fn notified(&mut self, method: &str, params: Option<&Value>) {
        let p = |k: &str| params.and_then(|p| p.get(k));
        match method {
            "notifications/tools/list_changed" => self.stale = true,
            "notifications/progress" => {
                let num = |k: &str| p(k).map(|v| v.to_json()).unwrap_or_default();
                let total = p("total")
                    .map(|t| format!("/{}", t.to_json()))
                    .unwrap_or_default();
                let msg = p("message").and_then(|m| m.as_str()).unwrap_or("");
                self.log(&format!("progress {}{total} {msg}", num("progress")));
            }
            "notifications/message" => {
                let level = p("level").and_then(|l| l.as_str()).unwrap_or("info");
                let data = p("data")
                    .map(|d| d.as_str().map(String::from).unwrap_or_else(|| d.to_json()))
                    .unwrap_or_default();
                self.log(&format!("{level}: {data}"));
            }
            _ => {}
        }
    }

    fn log(&self, s: &str) {
        if self.policy.verbose {
            eprintln!("mcp {}: {s}", self.name);
        }
    }

    pub fn close(&mut self) {
        match &mut self.t {
            Transport::Stdio(p) => p.close(),
            Transport::Http(h) => h.close(),
        }
    }

    /// The first half of closing, so that several servers exit side by side.
    pub fn hang_up(&mut self) {
        match &mut self.t {
            Transport::Stdio(p) => p.hang_up(),
            Transport::Http(h) => h.close(),
        }
    }

    pub fn reap(&mut self, deadline: Instant) {
        if let Transport::Stdio(p) = &mut self.t {
            p.reap(deadline);
        }
    }
}

/// An object holding each property's `default` from an elicitation schema.
fn defaults(schema: Option<&Value>) -> Value {
    let props = schema
        .and_then(|s| s.get("properties"))
        .and_then(|p| p.as_object())
        .unwrap_or(&[]);
    Value::Obj(
        props
            .iter()
            .filter_map(|(k, v)| v.get("default").map(|d| (k.clone(), d.clone())))
            .collect(),
    )
}

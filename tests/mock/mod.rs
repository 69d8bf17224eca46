//! The mock model server: a scripted OpenAI Chat Completions endpoint on 127.0.0.1
//! for integration tests, benches and `make demo` (no API key, no network). This
//! file owns the public API (`Mock`, `Reply`, `Item`, `Options`) and the connection
//! loop; `http` speaks HTTP/1.1, `stream` renders replies as OpenAI SSE chunks,
//! `script` reads the plain-text script format, `json` escapes and parses.
//!
//! std only, one thread per connection. Use it from tests/*.rs as
//! `#[path = "mock/mod.rs"] mod mock;` and from benches as
//! `#[path = "../tests/mock/mod.rs"] mod mock;`. The `mock-llm` program (for
//! `make demo` and benches) is mock_llm.rs in this directory.
#![allow(dead_code)]

pub mod anthropic;
pub mod gemini;
pub mod http;
pub mod image;
pub mod json;
pub mod ollama;
// The TLS relay needs rustls: the tests and the bench have it, the
// std-only mock-llm program (cfg mock_llm, tests/mock/build.rs) does not.
#[cfg(not(mock_llm))]
pub mod relay;
pub mod responses;
pub mod script;
pub mod stream;

pub use http::Request;

use std::collections::VecDeque;
use std::io::BufReader;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// One piece of an assistant turn, streamed in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text(String),
    /// `args` is the raw JSON text of the arguments, streamed in fragments.
    Call {
        name: String,
        args: String,
    },
    /// Reasoning with its signature (Anthropic thinking; Ollama `thinking`).
    /// An empty `text` makes an Anthropic `redacted_thinking` block whose
    /// data is `signature`. Chat Completions leaves it out.
    Thinking {
        text: String,
        signature: String,
    },
}

/// Which provider's wire format a request path asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dialect {
    /// POST /v1/chat/completions (or /chat/completions).
    OpenAi,
    /// POST /v1/messages.
    Anthropic,
    /// POST /api/chat.
    Ollama,
    /// POST /v1/responses (or /responses).
    Responses,
    /// POST /v1beta/models/MODEL:streamGenerateContent.
    Gemini,
}

impl Dialect {
    pub fn of(route: &str) -> Option<Dialect> {
        match route {
            "/v1/chat/completions" | "/chat/completions" => Some(Dialect::OpenAi),
            "/v1/messages" => Some(Dialect::Anthropic),
            "/api/chat" => Some(Dialect::Ollama),
            "/v1/responses" | "/responses" => Some(Dialect::Responses),
            r if r.starts_with("/v1beta/models/") && r.ends_with(":streamGenerateContent") => {
                Some(Dialect::Gemini)
            }
            _ => None,
        }
    }
}

/// What the server answers to one chat-completions request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A normal streamed turn. `finish` defaults to "tool_calls" if any call, else "stop".
    Turn {
        items: Vec<Item>,
        finish: Option<String>,
    },
    /// A plain HTTP response: `code`, optional `Retry-After` seconds, JSON body.
    Status {
        code: u16,
        retry_after: Option<u32>,
        body: String,
    },
    /// Send the first `after_events` SSE events of the turn, then close the socket
    /// with no terminating chunk.
    DropMidStream {
        items: Vec<Item>,
        after_events: usize,
    },
    /// A 200 stream with one `data:` line that is not valid JSON (then a normal end).
    Malformed,
    /// A 200 stream with a content string holding invalid UTF-8 bytes (then a normal end).
    InvalidUtf8,
    /// A 200 stream carrying `data: {"error":{...}}` after the role chunk, then the
    /// body ends (no `[DONE]`).
    StreamError { message: String },
    /// Headers, then silence until the client goes away (or `stream::HANG_CAP`).
    Hang,
    /// Send the first `after_events` SSE events of the turn, then hang like `Hang`
    /// (a model that stalls mid-answer, for interrupt tests).
    HangMidStream {
        items: Vec<Item>,
        after_events: usize,
    },
    /// A 200 response with this Content-Type whose chunked body is `pieces`,
    /// sent `repeat` times over with `every` between pieces, then ended:
    /// hostile streams (endless text, keep-alive comments, a trickle, an
    /// HTML page where events belong). Stops when the client goes away.
    Raw {
        content_type: String,
        pieces: Vec<Vec<u8>>,
        every: Duration,
        repeat: usize,
    },
}

impl Reply {
    /// A turn of plain text.
    pub fn text(text: &str) -> Reply {
        Reply::Turn {
            items: vec![Item::Text(text.into())],
            finish: None,
        }
    }

    /// A turn with one tool call.
    pub fn call(name: &str, args: &str) -> Reply {
        Reply::Turn {
            items: vec![Item::Call {
                name: name.into(),
                args: args.into(),
            }],
            finish: None,
        }
    }

    /// An HTTP error with an OpenAI error body, e.g. `Reply::error(429, Some(1), "slow down")`.
    pub fn error(code: u16, retry_after: Option<u32>, message: &str) -> Reply {
        // The type/code pairs api.openai.com uses.
        let (kind, code_field) = match code {
            401 => ("invalid_request_error", Some("invalid_api_key")),
            429 => ("requests", Some("rate_limit_exceeded")),
            400..=499 => ("invalid_request_error", None),
            _ => ("server_error", None),
        };
        Reply::Status {
            code,
            retry_after,
            body: stream::error_json(message, kind, code_field),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Write every byte of every response in its own write() call.
    pub one_byte_writes: bool,
    /// Split text and tool-call arguments into fragments of this many chars (0 = whole).
    pub fragment: usize,
    /// Close the connection silently (no `Connection: close`) after every
    /// Nth response (0 = never), as servers that drop idle connections do.
    pub close_every: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            one_byte_writes: false,
            fragment: 3,
            close_every: 0,
        }
    }
}

/// A running mock server. Dropping it stops accepting new connections.
pub struct Mock {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

struct Shared {
    replies: Mutex<VecDeque<Reply>>,
    /// Replies for requests whose body contains the key (the first key
    /// found wins), before `replies`: for parallel clients (subagents).
    routes: Mutex<Vec<(String, VecDeque<Reply>)>>,
    requests: Mutex<Vec<Request>>,
    opts: Options,
    active: AtomicUsize,
    /// Connections accepted since the start.
    accepted: AtomicUsize,
    stop: AtomicBool,
    seq: AtomicU64,
}

/// An idle keep-alive connection is closed after this long.
const IDLE: Duration = Duration::from_secs(60);

impl Mock {
    pub fn start(replies: Vec<Reply>) -> Mock {
        Mock::with_options(replies, Options::default())
    }

    pub fn with_options(replies: Vec<Reply>, opts: Options) -> Mock {
        Mock::on_port(0, replies, opts).expect("mock: bind 127.0.0.1:0")
    }

    /// Serve on 127.0.0.1:`port` (0 = any free port).
    pub fn on_port(port: u16, replies: Vec<Reply>, opts: Options) -> std::io::Result<Mock> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            replies: Mutex::new(replies.into()),
            routes: Mutex::new(Vec::new()),
            requests: Mutex::new(Vec::new()),
            opts,
            active: AtomicUsize::new(0),
            accepted: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            seq: AtomicU64::new(0),
        });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("mock-accept".into())
            .spawn(move || accept_loop(listener, s))?;
        Ok(Mock { addr, shared })
    }

    /// Serve `replies` to the requests whose body contains `key` (routes
    /// are tried in the order they were added), so clients running in
    /// parallel each get their own script.
    pub fn route(&self, key: &str, replies: Vec<Reply>) {
        lock(&self.shared.routes).push((key.to_string(), replies.into()));
    }

    /// "http://127.0.0.1:PORT/v1"
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// Replies not yet served.
    pub fn remaining(&self) -> usize {
        lock(&self.shared.replies).len()
    }

    /// Connections accepted since the start (keep-alive tests).
    pub fn connections(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> usize {
        self.shared.active.load(Ordering::SeqCst)
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)); // wake accept()
    }
}

/// Poisoning only means a test thread panicked; the data is still fine to read.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = conn else { continue };
        shared.active.fetch_add(1, Ordering::SeqCst);
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        let s = shared.clone();
        let spawned = std::thread::Builder::new()
            .name("mock-conn".into())
            .spawn(move || {
                connection(stream, &s);
                s.active.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            shared.active.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Serve requests on one connection until either side closes it.
fn connection(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IDLE));
    let Ok(write_half) = stream.try_clone() else {
        return;
    };
    let mut out = http::Out {
        stream: write_half,
        one_byte: shared.opts.one_byte_writes,
    };
    let mut reader = BufReader::new(stream);
    loop {
        let (req, version) = match http::read_request(&mut reader, &mut out.stream) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                if e.kind() == std::io::ErrorKind::InvalidData {
                    let body = stream::error_json(&e.to_string(), "invalid_request_error", None);
                    let _ = out.whole(400, "application/json", &[], body.as_bytes(), true);
                }
                return;
            }
        };
        lock(&shared.requests).push(req.clone());
        let close = req.wants_close(&version);
        let route = req.route();
        // Requests the real API would refuse get its 400, not a scripted reply.
        let refused = match Dialect::of(route) {
            Some(Dialect::Anthropic) => anthropic::validate(&req.body),
            _ => None,
        };
        let reply = if let Some(msg) = refused {
            Reply::Status {
                code: 400,
                retry_after: None,
                body: anthropic::error_json(400, &msg),
            }
        } else if req.method == "POST" && Dialect::of(route).is_some() {
            let mut routes = lock(&shared.routes);
            let routed = routes
                .iter_mut()
                .find(|(k, _)| req.body.contains(k.as_str()));
            match routed {
                Some((_, q)) => q.pop_front(),
                None => lock(&shared.replies).pop_front(),
            }
            .unwrap_or_else(|| Reply::Status {
                code: 500,
                retry_after: None,
                body: stream::error_json("mock script exhausted", "server_error", None),
            })
        } else {
            let msg = format!(
                    "Unknown request URL: {} {}. (mock serves POST /v1/chat/completions, /v1/messages, /api/chat, /v1/responses, /v1beta/models/M:streamGenerateContent)",
                    req.method, req.path
                );
            Reply::Status {
                code: 404,
                retry_after: None,
                body: stream::error_json(&msg, "invalid_request_error", Some("unknown_url")),
            }
        };
        let seq = shared.seq.fetch_add(1, Ordering::SeqCst);
        let ctx = stream::Ctx::new(&req, seq);
        let every = shared.opts.close_every;
        let drop_after = every > 0 && (seq + 1) % every == 0;
        match stream::respond(
            &mut out,
            &mut reader,
            &ctx,
            &reply,
            shared.opts.fragment,
            close,
        ) {
            Ok(false) if !drop_after => {}
            _ => return,
        }
    }
}

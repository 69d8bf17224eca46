//! What each scripted `Reply` looks like on the wire: OpenAI Chat Completions
//! `chat.completion.chunk` events (role chunk, content and tool-call fragments,
//! finish chunk, usage chunk with `choices: []`, `[DONE]`), error responses, and
//! the deliberately broken streams that tests use to exercise client failure paths.

use super::http::{Out, Request};
use super::json::quote;
use super::{anthropic, gemini, ollama, responses, Dialect, Item, Reply};
use std::io::{self, BufReader, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long a `Reply::Hang` holds the connection if the client never gives up.
pub const HANG_CAP: Duration = Duration::from_secs(30);

/// Per-response constants shared by every chunk of one completion.
pub struct Ctx {
    pub id: String,
    pub created: u64,
    /// Already a JSON string literal.
    pub model: String,
    pub prompt_tokens: usize,
    /// Seed for tool-call ids.
    pub seed: u64,
    pub dialect: Dialect,
    /// The request asked for prompt caching (Anthropic `cache_control`).
    pub cached: bool,
}

impl Ctx {
    pub fn new(req: &Request, seq: u64) -> Ctx {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let seed = mix(now.as_nanos() as u64 ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Ctx {
            id: format!("chatcmpl-mock{}", alnum(seed, 20)),
            created: now.as_secs(),
            model: quote(&request_model(&req.body).unwrap_or_else(|| "mock".into())),
            prompt_tokens: req.body.len() / 4,
            seed,
            dialect: Dialect::of(req.route()).unwrap_or(Dialect::OpenAi),
            cached: req.body.contains("\"cache_control\""),
        }
    }

    /// One `data: {chunk}\n\n` event with a single choice.
    fn chunk(&self, delta: &str, finish: Option<&str>) -> Vec<u8> {
        let finish = finish.map(quote).unwrap_or_else(|| "null".into());
        let choices =
            format!(r#"[{{"index":0,"delta":{delta},"logprobs":null,"finish_reason":{finish}}}]"#);
        self.event(&choices, "null")
    }

    fn event(&self, choices: &str, usage: &str) -> Vec<u8> {
        format!(
            "data: {{\"id\":\"{}\",\"object\":\"chat.completion.chunk\",\"created\":{},\"model\":{},\
             \"system_fingerprint\":\"fp_mock\",\"choices\":{choices},\"usage\":{usage}}}\n\n",
            self.id, self.created, self.model
        )
        .into_bytes()
    }

    fn role(&self) -> Vec<u8> {
        self.chunk(r#"{"role":"assistant","content":"","refusal":null}"#, None)
    }

    fn usage(&self, completion_chars: usize) -> Vec<u8> {
        let completion = (completion_chars / 4).max(1);
        let usage = format!(
            r#"{{"prompt_tokens":{p},"completion_tokens":{completion},"total_tokens":{t},"prompt_tokens_details":{{"cached_tokens":0}},"completion_tokens_details":{{"reasoning_tokens":0}}}}"#,
            p = self.prompt_tokens,
            t = self.prompt_tokens + completion
        );
        self.event("[]", &usage)
    }
}

const DONE: &[u8] = b"data: [DONE]\n\n";

/// The `"model":"..."` value of a request body, found cheaply (no escapes).
pub fn request_model(body: &str) -> Option<String> {
    let at = body.find("\"model\"")? + "\"model\"".len();
    let rest = body[at..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let end = rest.find('"')?;
    let model = &rest[..end];
    (!model.contains('\\') && !model.is_empty()).then(|| model.to_string())
}

/// `s` cut into pieces of `n` chars (char boundaries; `n == 0` means one piece).
pub fn fragments(s: &str, n: usize) -> Vec<&str> {
    if n == 0 || s.is_empty() {
        return if s.is_empty() { Vec::new() } else { vec![s] };
    }
    let mut out = Vec::new();
    let mut start = 0;
    for (count, (i, _)) in s.char_indices().enumerate() {
        if count > 0 && count % n == 0 {
            out.push(&s[start..i]);
            start = i;
        }
    }
    out.push(&s[start..]);
    out
}

/// Every SSE event of a normal turn, in order, `[DONE]` included.
pub fn turn_events(
    ctx: &Ctx,
    items: &[Item],
    finish: Option<&str>,
    fragment: usize,
) -> Vec<Vec<u8>> {
    let mut events = vec![ctx.role()];
    let mut generated = 0;
    let mut calls = 0;
    for item in items {
        match item {
            Item::Text(text) => {
                generated += text.chars().count();
                for frag in fragments(text, fragment) {
                    events.push(ctx.chunk(&format!(r#"{{"content":{}}}"#, quote(frag)), None));
                }
            }
            Item::Thinking { .. } => {} // Chat Completions has no reasoning blocks
            Item::Call { name, args } => {
                generated += name.len() + args.chars().count();
                let id = format!("call_{}", alnum(mix(ctx.seed ^ (calls as u64 + 1)), 24));
                let head = format!(
                    r#"{{"tool_calls":[{{"index":{calls},"id":"{id}","type":"function","function":{{"name":{},"arguments":""}}}}]}}"#,
                    quote(name)
                );
                events.push(ctx.chunk(&head, None));
                for frag in fragments(args, fragment) {
                    let delta = format!(
                        r#"{{"tool_calls":[{{"index":{calls},"function":{{"arguments":{}}}}}]}}"#,
                        quote(frag)
                    );
                    events.push(ctx.chunk(&delta, None));
                }
                calls += 1;
            }
        }
    }
    let default = if calls > 0 { "tool_calls" } else { "stop" };
    events.push(ctx.chunk("{}", Some(finish.unwrap_or(default))));
    events.push(ctx.usage(generated));
    events.push(DONE.to_vec());
    events
}

/// An OpenAI-style error body.
pub fn error_json(message: &str, kind: &str, code: Option<&str>) -> String {
    let code = code.map(quote).unwrap_or_else(|| "null".into());
    format!(
        r#"{{"error":{{"message":{},"type":{},"param":null,"code":{code}}}}}"#,
        quote(message),
        quote(kind)
    )
}

/// Every event (SSE event, or NDJSON line) of a normal turn in `dialect`.
pub fn dialect_events(
    d: Dialect,
    ctx: &Ctx,
    items: &[Item],
    finish: Option<&str>,
    fragment: usize,
) -> Vec<Vec<u8>> {
    match d {
        Dialect::OpenAi => turn_events(ctx, items, finish, fragment),
        Dialect::Anthropic => anthropic::turn_events(ctx, items, finish, fragment, ctx.cached),
        Dialect::Ollama => ollama::turn_events(ctx, items, finish, fragment),
        Dialect::Responses => responses::turn_events(ctx, items, finish, fragment),
        Dialect::Gemini => gemini::turn_events(ctx, items, finish, fragment),
    }
}

/// An error body in the dialect's shape.
pub fn dialect_error(d: Dialect, code: u16, message: &str) -> String {
    match d {
        Dialect::OpenAi | Dialect::Responses => error_json(message, "server_error", None),
        Dialect::Gemini => gemini::error_json(code, message),
        Dialect::Anthropic => anthropic::error_json(code, message),
        Dialect::Ollama => ollama::error_json(message),
    }
}

/// Write `reply` as the response to one request. Returns whether the connection
/// must be closed afterwards (broken streams always close it).
pub fn respond(
    out: &mut Out,
    reader: &mut BufReader<TcpStream>,
    ctx: &Ctx,
    reply: &Reply,
    fragment: usize,
    close: bool,
) -> io::Result<bool> {
    let d = ctx.dialect;
    let head = |out: &mut Out, close: bool| {
        if d == Dialect::Ollama {
            out.ndjson_head(close)
        } else {
            out.sse_head(close)
        }
    };
    // The first event of a turn, for the broken variants.
    let opening = |text: &str| dialect_events(d, ctx, &[Item::Text(text.into())], None, 0);
    match reply {
        Reply::Turn { items, finish } => {
            head(out, close)?;
            for event in dialect_events(d, ctx, items, finish.as_deref(), fragment) {
                out.chunk(&event)?;
            }
            out.end_chunks()?;
            Ok(close)
        }
        Reply::Status {
            code,
            retry_after,
            body,
        } => {
            let extra: Vec<String> = retry_after
                .iter()
                .map(|s| format!("Retry-After: {s}"))
                .collect();
            // Error bodies written for OpenAI are reshaped for the other dialects.
            let body = match (d, super::json::parse(body)) {
                (Dialect::OpenAi | Dialect::Responses, _) | (_, Err(_)) => body.clone(),
                (_, Ok(v)) => match v
                    .get("error")
                    .and_then(|e| e.get("message"))
                    .and_then(|m| m.as_str())
                {
                    Some(m) => dialect_error(d, *code, m),
                    None => body.clone(),
                },
            };
            out.whole(*code, "application/json", &extra, body.as_bytes(), close)?;
            Ok(close)
        }
        Reply::DropMidStream {
            items,
            after_events,
        } => {
            head(out, false)?;
            for event in dialect_events(d, ctx, items, None, fragment)
                .iter()
                .take(*after_events)
            {
                out.chunk(event)?;
            }
            let _ = out.stream.shutdown(std::net::Shutdown::Both);
            Ok(true)
        }
        Reply::Malformed if d != Dialect::OpenAi => {
            head(out, close)?;
            let events = opening("hi");
            out.chunk(&events[0])?;
            let bad: &[u8] = if d == Dialect::Ollama {
                b"{\"message\":{\"content\":\"hi\"\x01#garbage, not JSON ]]\n"
            } else {
                b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0\x01#garbage ]]\n\n"
            };
            out.chunk(bad)?;
            for e in &events[1..] {
                out.chunk(e)?;
            }
            out.end_chunks()?;
            Ok(close)
        }
        Reply::InvalidUtf8 if d != Dialect::OpenAi => {
            head(out, close)?;
            let events = opening("caf@@");
            for mut e in events {
                if let Some(at) = e.windows(2).position(|w| w == b"@@") {
                    e.splice(at..at + 2, [0xC3, b' ', 0xFF, 0xFE, b'!']);
                }
                out.chunk(&e)?;
            }
            out.end_chunks()?;
            Ok(close)
        }
        Reply::StreamError { message } if d != Dialect::OpenAi => {
            head(out, close)?;
            out.chunk(&opening("")[0])?;
            let e = match d {
                Dialect::Ollama => format!("{}\n", ollama::error_json(message)).into_bytes(),
                Dialect::Responses => responses::failed_event(message),
                Dialect::Gemini => {
                    format!("data: {}\r\n\r\n", gemini::error_json(500, message)).into_bytes()
                }
                _ => anthropic::error_event("overloaded_error", message),
            };
            out.chunk(&e)?;
            out.end_chunks()?;
            Ok(close)
        }
        Reply::Malformed => {
            out.sse_head(close)?;
            out.chunk(&ctx.role())?;
            let mut bad = ctx.chunk(r#"{"content":"hi"}"#, None);
            let cut = bad.windows(4).position(|w| w == b"\"hi\"").unwrap_or(0) + 4;
            bad.truncate(cut);
            bad.extend_from_slice(b"\x01#garbage, not JSON ]]\n\n");
            out.chunk(&bad)?;
            out.chunk(&ctx.chunk("{}", Some("stop")))?;
            out.chunk(&ctx.usage(2))?;
            out.chunk(DONE)?;
            out.end_chunks()?;
            Ok(close)
        }
        Reply::Raw {
            content_type,
            pieces,
            every,
            repeat,
        } => {
            let headers = [
                format!("Content-Type: {content_type}"),
                "Transfer-Encoding: chunked".to_string(),
            ];
            out.head(200, &headers, close)?;
            for _ in 0..*repeat {
                for p in pieces {
                    out.chunk(p)?;
                    if !every.is_zero() {
                        std::thread::sleep(*every);
                    }
                }
            }
            out.end_chunks()?;
            Ok(close)
        }
        Reply::InvalidUtf8 => {
            out.sse_head(close)?;
            out.chunk(&ctx.role())?;
            out.chunk(&ctx.chunk(r#"{"content":"ok "}"#, None))?;
            let mut bad = ctx.chunk(r#"{"content":"caf@@"}"#, None);
            let at = bad.windows(2).position(|w| w == b"@@").unwrap_or(0);
            bad.splice(at..at + 2, [0xC3, b' ', 0xFF, 0xFE, b'!']);
            out.chunk(&bad)?;
            out.chunk(&ctx.chunk("{}", Some("stop")))?;
            out.chunk(&ctx.usage(8))?;
            out.chunk(DONE)?;
            out.end_chunks()?;
            Ok(close)
        }
        Reply::StreamError { message } => {
            out.sse_head(close)?;
            out.chunk(&ctx.role())?;
            let event = format!("data: {}\n\n", error_json(message, "server_error", None));
            out.chunk(event.as_bytes())?;
            out.end_chunks()?;
            Ok(close)
        }
        Reply::HangMidStream {
            items,
            after_events,
        } => {
            out.sse_head(false)?;
            for event in turn_events(ctx, items, None, fragment)
                .iter()
                .take(*after_events)
            {
                out.chunk(event)?;
            }
            hang(reader);
            Ok(true)
        }
        Reply::Hang => {
            out.sse_head(false)?;
            hang(reader);
            Ok(true)
        }
    }
}

/// Hold the connection, sending nothing, until the client closes it or HANG_CAP.
fn hang(reader: &mut BufReader<TcpStream>) {
    let start = Instant::now();
    let _ = reader
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = [0; 1024];
    while start.elapsed() < HANG_CAP {
        match reader.read(&mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// splitmix64: a well-mixed u64 from any seed.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `len` random-looking [A-Za-z0-9] characters derived from `seed`.
pub fn alnum(seed: u64, len: usize) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = mix(state);
            ABC[(state % ABC.len() as u64) as usize] as char
        })
        .collect()
}

//! Anthropic Messages: `POST {base}/v1/messages` with `stream: true`.
//! The body is written straight from the arena: tool results grouped into
//! user messages, thinking blocks replayed with their signatures byte for
//! byte, and `cache_control` breakpoints on the tools, the system prompt and
//! the last two user turns so each request reads the previous one's cache.
//! The SSE stream is decoded by path (message_start, content_block_*,
//! message_delta, message_stop, ping, error).

use std::io::{self, Write};

use super::events::{self, num, Ev, SseJson};
use super::reqbody::ReqBody;
use super::{body, Config, Decode, Delta, Format, Request, Thinking, ToolSpec, Usage};
use crate::arena::{Call, Msg, Text, Think};
use crate::json::Event;
use crate::schema;

const CACHE: &[u8] = b",\"cache_control\":{\"type\":\"ephemeral\"}";

/// Thinking budget in tokens for each `--thinking` level.
fn budget(t: Thinking) -> Option<u32> {
    match t {
        Thinking::Off => None,
        Thinking::Low => Some(2048),
        Thinking::Medium => Some(8192),
        Thinking::High => Some(24576),
    }
}

/// Anthropic Messages: its row of the wire table.
pub struct Messages;

impl Format for Messages {
    fn path(&self, _: &Config) -> String {
        "/v1/messages".into()
    }

    fn auth(&self, cfg: &Config, key: &str) -> (&'static str, String) {
        match cfg.bearer {
            true => ("Authorization", format!("Bearer {key}")),
            false => ("x-api-key", key.to_string()),
        }
    }

    fn fixed_headers(&self) -> &'static [(&'static str, &'static str)] {
        &[("anthropic-version", "2023-06-01")]
    }

    fn write_body<'a>(&self, req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
        write_body(req, w)
    }

    fn decoder(&self) -> Box<dyn Decode> {
        Box::<Decoder>::default()
    }
}

pub fn write_body<'a>(req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
    let cfg = req.cfg;
    let budget = budget(cfg.thinking);
    let max_tokens = match budget {
        Some(b) => cfg.max_tokens.max(b + 4096),
        None => cfg.max_tokens,
    };
    w.write_all(b"{\"model\":")?;
    w.string(&cfg.model);
    write!(w, ",\"max_tokens\":{max_tokens},\"stream\":true")?;
    if let Some(b) = budget {
        write!(
            w,
            ",\"thinking\":{{\"type\":\"enabled\",\"budget_tokens\":{b}}}"
        )?;
    }
    w.write_all(b",\"system\":[{\"type\":\"text\",\"text\":")?;
    w.string(req.system);
    w.write_all(CACHE)?;
    w.write_all(b"}]")?;
    // With --output-schema the answer comes through a tool of its own,
    // declared last (in the summary request too: the history may call it).
    let answer = cfg.schema.as_deref().map(|s| ToolSpec {
        name: schema::TOOL,
        description: schema::TOOL_DESCRIPTION,
        params: s,
    });
    let tools: Vec<&ToolSpec> = req.tools.iter().chain(answer.as_ref()).collect();
    body::list(w, b",\"tools\":[", &tools, b"]", |w, i, t| {
        w.write_all(b"{")?;
        match i == req.tools.len() {
            true => body::tool_fields(w, t, b"input_schema", &schema::tool_schema(t.params))?,
            false => body::tool_fields(w, t, b"input_schema", t.params)?,
        }
        if i + 1 == tools.len() {
            w.write_all(CACHE)?;
        }
        w.write_all(b"}")
    })?;
    if req.forbid_calls() {
        w.write_all(b",\"tool_choice\":{\"type\":\"none\"}")?;
    } else if req.schema().is_some() && budget.is_none() {
        // Every turn calls a tool, so the last one calls the answer tool
        // (the API refuses a forced choice with extended thinking).
        w.write_all(b",\"tool_choice\":{\"type\":\"any\"}")?;
    }
    write_messages(req, w)?;
    super::write_extra(cfg, w)?;
    w.write_all(b"}")
}

/// Messages: a run of user texts and tool results is one user message.
fn write_messages<'a>(req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
    let is_user = |m: &Msg| !matches!(m, Msg::Assistant { .. });
    // The user turns to mark for caching: the last two.
    let mut users = 0usize;
    let mut prev_user = false;
    for m in req.arena.messages() {
        let u = is_user(&m);
        users += usize::from(u && !prev_user);
        prev_user = u;
    }
    let mut user_no = 0usize;
    let mut msgs = req.arena.messages().peekable();
    let mut msg_sep = body::Comma::default();
    w.write_all(b",\"messages\":[")?;
    while let Some(m) = msgs.next() {
        msg_sep.write(w)?;
        if let Msg::Assistant {
            text,
            calls,
            thinking,
        } = &m
        {
            write_assistant(w, *text, calls, thinking)?;
            continue;
        }
        user_no += 1;
        let cache = user_no + 2 > users;
        w.write_all(b"{\"role\":\"user\",\"content\":[")?;
        let mut m = m;
        let mut sep = body::Comma::default();
        loop {
            sep.write(w)?;
            write_user_block(req, w, m)?;
            let last = !msgs.peek().is_some_and(is_user);
            if last && cache {
                w.write_all(CACHE)?;
            }
            w.write_all(b"}")?;
            if last {
                break;
            }
            match msgs.next() {
                Some(next) => m = next,
                None => break,
            }
        }
        w.write_all(b"]}")?;
    }
    w.write_all(b"]")
}

/// An assistant message: signed thinking, text, tool calls.
fn write_assistant<'a>(
    w: &mut ReqBody<'a>,
    text: Text<'a>,
    calls: &[Call<'a>],
    thinking: &[Think<'a>],
) -> io::Result<()> {
    w.write_all(b"{\"role\":\"assistant\",\"content\":[")?;
    let mut sep = body::Comma::default();
    for t in thinking {
        if t.redacted {
            sep.write(w)?;
            w.write_all(b"{\"type\":\"redacted_thinking\",\"data\":")?;
            w.text(t.text);
        } else if !t.signature.is_empty() {
            sep.write(w)?;
            w.write_all(b"{\"type\":\"thinking\",\"thinking\":")?;
            w.text(t.text);
            w.write_all(b",\"signature\":")?;
            w.text(t.signature);
        } else {
            continue; // unsigned (cut off): the API would refuse it
        }
        w.write_all(b"}")?;
    }
    if !text.is_empty() || calls.is_empty() {
        sep.write(w)?;
        w.write_all(b"{\"type\":\"text\",\"text\":")?;
        body::text_or(w, text, "(no answer)");
        w.write_all(b"}")?;
    }
    for c in calls {
        sep.write(w)?;
        w.write_all(b"{\"type\":\"tool_use\",\"id\":")?;
        w.text(c.id);
        w.write_all(b",\"name\":")?;
        w.text(c.name);
        w.write_all(b",\"input\":")?;
        w.object(c.args);
        w.write_all(b"}")?;
    }
    w.write_all(b"]}")
}

/// One block of a user message (text, image or tool result), without its
/// closing brace: the cache mark may follow.
fn write_user_block<'a>(req: &Request<'a>, w: &mut ReqBody<'a>, m: Msg<'a>) -> io::Result<()> {
    match m {
        Msg::User(text) => {
            w.write_all(b"{\"type\":\"text\",\"text\":")?;
            body::text_or(w, text, "(empty)");
        }
        Msg::Image(img) => match img.note(req.cfg.vision) {
            Some(note) => {
                w.write_all(b"{\"type\":\"text\",\"text\":")?;
                w.string(&note);
            }
            None => {
                w.write_all(
                    b"{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":",
                )?;
                w.string(&img.media);
                w.write_all(b",\"data\":")?;
                body::image_data(w, &img, false)?;
                w.write_all(b"}")?;
            }
        },
        Msg::Result {
            id, text, error, ..
        } => {
            w.write_all(b"{\"type\":\"tool_result\",\"tool_use_id\":")?;
            w.text(id);
            w.write_all(b",\"content\":")?;
            w.text(text);
            if error {
                w.write_all(b",\"is_error\":true")?;
            }
        }
        Msg::Assistant { .. } => {}
    }
    Ok(())
}

/// The content block being streamed.
#[derive(Default)]
struct Block {
    kind: String,
    id: String,
    name: String,
    /// Redacted data, or the text/thinking a block starts with.
    data: String,
    signature: String,
}

#[derive(Default)]
pub struct Decoder {
    events: SseJson,
    etype: String,
    block: Block,
    /// Tool calls started so far: the next call's index.
    calls: usize,
    usage: Usage,
    /// input_tokens as reported (without cache reads and writes).
    plain_input: u64,
    stop: String,
    error: String,
    error_type: String,
    /// An error event ended: the stream's failure.
    errored: Option<String>,
    done: bool,
}

impl Decode for Decoder {
    fn feed(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Delta)) -> Result<(), String> {
        let r = events::feed(self, |d| &mut d.events, bytes, |d, ev| d.on(ev, sink));
        if let (Ok(()), Some(e)) = (&r, self.errored.take()) {
            return self.events.fail(e);
        }
        r
    }

    fn finish(&mut self) -> Result<(), String> {
        events::end(&self.events.failed, self.done)
    }
}

impl Decoder {
    fn on(&mut self, ev: Ev, sink: &mut dyn FnMut(Delta)) {
        let (path, e) = match ev {
            Ev::End => return self.end(sink),
            Ev::Json(p, e) => (p, e),
        };
        match (path, e) {
            (b"type", Event::Str(s)) => self.etype.push_str(s),
            (b"delta.text", Event::Str(s)) => sink(Delta::Text(s)),
            (b"delta.thinking", Event::Str(s)) => sink(Delta::Thinking(s)),
            (b"delta.partial_json", Event::Str(s)) => sink(Delta::Args {
                index: self.calls.saturating_sub(1),
                frag: s,
            }),
            (b"delta.signature", Event::Str(s)) => self.block.signature.push_str(s),
            (b"delta.stop_reason", Event::Str(s)) => self.stop.push_str(s),
            (b"content_block", Event::Open(_)) => self.block = Block::default(),
            (b"content_block.type", Event::Str(s)) => self.block.kind.push_str(s),
            (b"content_block.id", Event::Str(s)) => self.block.id.push_str(s),
            (b"content_block.name", Event::Str(s)) => self.block.name.push_str(s),
            (b"content_block.data", Event::Str(s))
            | (b"content_block.text", Event::Str(s))
            | (b"content_block.thinking", Event::Str(s)) => self.block.data.push_str(s),
            (b"content_block.signature", Event::Str(s)) => self.block.signature.push_str(s),
            (b"content_block", Event::Close(_)) => {
                let b = &self.block;
                match b.kind.as_str() {
                    "tool_use" | "server_tool_use" => {
                        sink(Delta::Call {
                            index: self.calls,
                            id: &b.id,
                            name: &b.name,
                        });
                        self.calls += 1;
                    }
                    "redacted_thinking" => sink(Delta::Redacted(&b.data)),
                    "thinking" if !b.data.is_empty() => sink(Delta::Thinking(&b.data)),
                    "text" if !b.data.is_empty() => sink(Delta::Text(&b.data)),
                    _ => {}
                }
            }
            (b"error.message", Event::Str(s)) => self.error.push_str(s),
            (b"error.type", Event::Str(s)) => self.error_type.push_str(s),
            (p, Event::Scalar(v)) => {
                let p = p.strip_prefix(b"message.").unwrap_or(p);
                let n = num(v);
                match p {
                    b"usage.input_tokens" => self.plain_input = n,
                    b"usage.cache_read_input_tokens" => self.usage.cached = n,
                    b"usage.cache_creation_input_tokens" => self.usage.cache_write = n,
                    b"usage.output_tokens" => self.usage.output = n,
                    _ => {}
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, sink: &mut dyn FnMut(Delta)) {
        match self.etype.as_str() {
            "content_block_stop" => {
                if self.block.kind == "thinking" && !self.block.signature.is_empty() {
                    sink(Delta::Signature(&self.block.signature));
                }
                self.block = Block::default();
            }
            "message_delta" => {
                if !self.stop.is_empty() {
                    sink(Delta::Finish(&self.stop));
                }
                self.emit_usage(sink);
            }
            "message_stop" => {
                self.done = true;
                self.emit_usage(sink);
            }
            _ => {}
        }
        if self.etype == "error" || !self.error.is_empty() {
            let kind = if self.error_type.is_empty() {
                String::new()
            } else {
                format!("{}: ", self.error_type)
            };
            let msg = if self.error.is_empty() {
                "unknown error"
            } else {
                &self.error
            };
            self.errored = Some(format!("error in stream: {kind}{msg}"));
        }
        self.etype.clear();
    }

    fn emit_usage(&mut self, sink: &mut dyn FnMut(Delta)) {
        let mut u = self.usage;
        u.input = self.plain_input + u.cached + u.cache_write;
        sink(Delta::Usage(u));
    }
}

#[cfg(test)]
#[path = "anthropic_tests.rs"]
mod tests;

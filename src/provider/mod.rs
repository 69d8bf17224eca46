//! What every provider shares: the settings for reaching a model, the
//! request a turn sends, and the deltas a response stream decodes into.
//! Each wire format lives in its own file and is reached through the plain
//! functions here, matched on `Wire`.

use std::io::{self, Write};
use std::time::Duration;

use crate::arena::Arena;
use crate::http::Url;

pub mod openai;

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Wire {
    /// OpenAI Chat Completions and the many servers that copy it.
    OpenAiChat,
}

/// Which body field carries the output-token limit.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum TokensField {
    /// `max_completion_tokens` for api.openai.com, `max_tokens` elsewhere.
    Auto,
    MaxTokens,
    MaxCompletionTokens,
}

pub struct Config {
    pub wire: Wire,
    pub base: Url,
    pub key: Option<String>,
    pub model: String,
    pub max_tokens: u32,
    pub tokens_field: TokensField,
    pub timeout: Duration,
}

/// A tool as the model is told of it.
pub struct ToolSpec<'a> {
    pub name: &'a str,
    pub description: &'a str,
    /// JSON Schema, as JSON text.
    pub params: &'a str,
}

/// Everything one request is made of, all borrowed.
pub struct Request<'a> {
    pub cfg: &'a Config,
    pub system: &'a str,
    pub arena: &'a Arena,
    pub tools: &'a [ToolSpec<'a>],
}

#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub struct Usage {
    pub input: u64,
    pub output: u64,
    pub cached: u64,
}

impl Usage {
    pub fn add(&mut self, o: Usage) {
        self.input += o.input;
        self.output += o.output;
        self.cached += o.cached;
    }
}

/// What a response stream is decoded into, piece by piece.
#[derive(Debug, PartialEq)]
pub enum Delta<'a> {
    Text(&'a str),
    /// A tool call begins (or more of its id or name arrives).
    Call { index: usize, id: &'a str, name: &'a str },
    /// A piece of a tool call's JSON arguments.
    Args { index: usize, frag: &'a str },
    Usage(Usage),
    /// Why the model stopped: "stop", "tool_calls", "length", ...
    Finish(&'a str),
}

pub fn endpoint(cfg: &Config) -> Url {
    match cfg.wire {
        Wire::OpenAiChat => cfg.base.join("/chat/completions"),
    }
}

pub fn headers(cfg: &Config) -> Vec<(&'static str, String)> {
    let mut h = vec![
        ("Content-Type", "application/json".to_string()),
        ("Accept", "text/event-stream".to_string()),
        ("User-Agent", concat!("mote/", env!("CARGO_PKG_VERSION")).to_string()),
    ];
    match cfg.wire {
        Wire::OpenAiChat => {
            if let Some(k) = &cfg.key {
                h.push(("Authorization", format!("Bearer {k}")));
            }
        }
    }
    h
}

pub fn write_body(req: &Request, w: &mut dyn Write) -> io::Result<()> {
    match req.cfg.wire {
        Wire::OpenAiChat => openai::write_body(req, w),
    }
}

/// A response stream decoder for one wire format.
pub enum Decoder {
    OpenAiChat(Box<openai::Decoder>),
}

impl Decoder {
    pub fn new(wire: Wire) -> Decoder {
        match wire {
            Wire::OpenAiChat => Decoder::OpenAiChat(Box::default()),
        }
    }

    /// Decode one more piece of the body. An `Err` is a one-line reason
    /// the stream cannot be used (malformed, or an error sent inside it).
    pub fn feed(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Delta)) -> Result<(), String> {
        match self {
            Decoder::OpenAiChat(d) => d.feed(bytes, sink),
        }
    }

    /// The body ended: was the answer complete?
    pub fn finish(&mut self) -> Result<(), String> {
        match self {
            Decoder::OpenAiChat(d) => d.finish(),
        }
    }
}

/// The message out of an API error body (`{"error":{"message":...}}` and
/// its variants), or the body itself, on one line.
pub fn error_message(body: &str) -> String {
    let mut msg = String::new();
    let mut p = crate::json::Parser::new();
    let _ = p.feed(body.as_bytes(), &mut |path, e| {
        if let crate::json::Event::Str(s) = e {
            if path == b"error.message" || path == b"message" || path == b"error" || path == b"detail" {
                msg.push_str(s);
            }
        }
    });
    if msg.is_empty() {
        msg = body.to_string();
    }
    let one_line: String = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut = crate::tool::truncate::floor_char(&one_line, 300);
    one_line[..cut].to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_messages_are_one_line() {
        assert_eq!(super::error_message(r#"{"error":{"message":"bad\nkey","type":"x"}}"#), "bad key");
        assert_eq!(super::error_message("<html>\n502 Bad Gateway</html>"), "<html> 502 Bad Gateway</html>");
        assert_eq!(super::error_message(r#"{"error":"model not found"}"#), "model not found");
    }
}

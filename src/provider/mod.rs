//! What every provider shares: the settings for reaching a model, the
//! request a turn sends, and the deltas a response stream decodes into.
//! Each wire format lives in its own file and is reached through its row of
//! the table in wire.rs.

use std::io::{self, Write};
use std::time::Duration;

use crate::arena::Arena;
use crate::http::Url;

pub mod anthropic;
pub mod body;
pub mod cost;
pub mod events;
pub mod gemini;
#[cfg(test)]
mod golden_tests;
pub mod guard;
pub mod ollama;
pub mod openai;
pub mod reqbody;
pub mod responses;
#[cfg(test)]
mod schema_tests;
pub mod select;
#[cfg(test)]
mod test_util;
pub mod wire;

pub use wire::{endpoint, headers, unreachable_hint, write_body, Decode, Decoder, Format, Wire};

/// How hard the model may think before answering (`--thinking`).
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub enum Thinking {
    #[default]
    Off,
    Low,
    Medium,
    High,
}

impl Thinking {
    /// The one mapping of `--thinking` to the effort word the APIs take
    /// (OpenAI's reasoning effort, and the flag's own values); `None`: off.
    pub fn effort(self) -> Option<&'static str> {
        match self {
            Thinking::Off => None,
            Thinking::Low => Some("low"),
            Thinking::Medium => Some("medium"),
            Thinking::High => Some("high"),
        }
    }

    /// `off`, or an effort word.
    pub fn parse(v: &str) -> Option<Thinking> {
        [
            Thinking::Off,
            Thinking::Low,
            Thinking::Medium,
            Thinking::High,
        ]
        .into_iter()
        .find(|t| t.effort().unwrap_or("off") == v)
    }
}

/// Whether `model` is of the family `prefix` names: `claude-` by its start,
/// `o3` as the whole id or followed by `-` (`o3-mini`, not `o30`).
pub fn in_family(model: &str, prefix: &str) -> bool {
    model
        .strip_prefix(prefix)
        .is_some_and(|r| prefix.ends_with('-') || r.is_empty() || r.starts_with('-'))
}

/// Which body field carries the output-token limit.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum TokensField {
    /// `max_completion_tokens` for api.openai.com and reasoning model ids
    /// (o1, o3, o4, gpt-5 families), `max_tokens` elsewhere.
    Auto,
    MaxTokens,
    MaxCompletionTokens,
}

#[derive(Clone)]
pub struct Config {
    pub wire: Wire,
    pub base: Url,
    pub key: Option<String>,
    pub model: String,
    pub max_tokens: u32,
    pub tokens_field: TokensField,
    /// Idle timeout: how long a response may go without progress (`--timeout`).
    pub timeout: Duration,
    /// Longest one response may take, start to end (`--deadline`).
    pub deadline: Duration,
    /// The provider's name, as selected (`anthropic`, or a config entry's).
    pub name: String,
    /// Reasoning effort as an object (the provider table's row says so).
    pub reasoning_object: bool,
    /// Extra request headers (config `headers`, attribution headers).
    pub headers: Vec<(String, String)>,
    /// A JSON object whose members are added to every request body.
    pub extra_body: Option<String>,
    /// The model's context window in tokens, when known.
    pub context_window: Option<u64>,
    pub thinking: Thinking,
    /// Send the key as `Authorization: Bearer` (ANTHROPIC_AUTH_TOKEN).
    pub bearer: bool,
    /// The model takes images (config `models.ID.vision`, default true);
    /// without, an attached image is sent as a note saying so.
    pub vision: bool,
    /// The JSON Schema the final answer must match (`--output-schema`,
    /// src/schema.rs), compact JSON.
    pub schema: Option<String>,
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
    /// The answer must be text (the compaction summary): the tools stay
    /// declared, since the history holds calls, but the wire's "no tool
    /// calls" setting is sent.
    pub no_calls: bool,
}

impl Request<'_> {
    /// Whether to send the wire's "no tool calls" setting: asked for, and
    /// there are tools to forbid (APIs reject a tool choice without tools).
    pub fn forbid_calls(&self) -> bool {
        self.no_calls && !self.tools.is_empty()
    }

    /// The schema the answer must match, in a request that may answer
    /// (not the compaction summary).
    pub fn schema(&self) -> Option<&str> {
        self.cfg.schema.as_deref().filter(|_| !self.no_calls)
    }
}

#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub struct Usage {
    /// All input tokens, cached ones included.
    pub input: u64,
    pub output: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cached: u64,
    /// Input tokens written to the prompt cache (Anthropic).
    pub cache_write: u64,
}

impl Usage {
    pub fn add(&mut self, o: Usage) {
        self.input += o.input;
        self.output += o.output;
        self.cached += o.cached;
        self.cache_write += o.cache_write;
    }
}

/// Why a response ended, as a front end tells it (ACP's stopReason).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Stop {
    /// It finished (or stopped to call tools).
    #[default]
    Done,
    /// It hit the output-token limit.
    MaxTokens,
    /// The provider refused or filtered it.
    Refusal,
}

/// Each wire's finish reasons that are not a normal end: OpenAI chat,
/// Ollama (`length`, `content_filter`), Responses (`max_output_tokens`,
/// `content_filter`), Anthropic (`max_tokens`, `refusal`), Gemini.
const STOPS: &[(&str, Stop)] = &[
    ("length", Stop::MaxTokens),
    ("max_tokens", Stop::MaxTokens),
    ("max_output_tokens", Stop::MaxTokens),
    ("MAX_TOKENS", Stop::MaxTokens),
    ("content_filter", Stop::Refusal),
    ("refusal", Stop::Refusal),
    ("SAFETY", Stop::Refusal),
    ("RECITATION", Stop::Refusal),
    ("BLOCKLIST", Stop::Refusal),
    ("PROHIBITED_CONTENT", Stop::Refusal),
    ("SPII", Stop::Refusal),
    ("IMAGE_SAFETY", Stop::Refusal),
];

impl Stop {
    /// The stop a `Delta::Finish` reason means.
    pub fn of(finish: &str) -> Stop {
        STOPS
            .iter()
            .find(|(r, _)| *r == finish)
            .map_or(Stop::Done, |(_, s)| *s)
    }
}

/// What a response stream is decoded into, piece by piece.
#[derive(Debug, PartialEq)]
pub enum Delta<'a> {
    Text(&'a str),
    /// A tool call begins (or more of its id or name arrives).
    Call {
        index: usize,
        id: &'a str,
        name: &'a str,
    },
    /// A piece of a tool call's JSON arguments.
    Args {
        index: usize,
        frag: &'a str,
    },
    Usage(Usage),
    /// Why the model stopped: "stop", "tool_calls", "length", ...
    Finish(&'a str),
    /// A piece of the model's visible reasoning.
    Thinking(&'a str),
    /// The whole signature of the reasoning just streamed, to send back.
    Signature(&'a str),
    /// A whole redacted (encrypted) reasoning block, to send back.
    Redacted(&'a str),
}

/// The members of the config's `extra_body` object, with a leading comma,
/// for a body writer to put before its closing brace.
pub fn write_extra(cfg: &Config, w: &mut dyn Write) -> io::Result<()> {
    let Some(extra) = &cfg.extra_body else {
        return Ok(());
    };
    let inner = extra
        .trim()
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or("")
        .trim();
    if inner.is_empty() {
        return Ok(());
    }
    w.write_all(b",")?;
    w.write_all(inner.as_bytes())
}

/// Whether an API error (HTTP status and message) says the conversation
/// no longer fits the model's context window, whatever the provider's wording.
pub fn is_context_length(status: u16, msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    matches!(status, 0 | 400 | 413 | 422)
        && [
            "context_length_exceeded",
            "context length",
            "context window",
            "prompt is too long",
            "too many tokens",
            "input token count",
            "maximum context",
            "reduce the length",
        ]
        .iter()
        .any(|p| m.contains(p))
}

/// The message out of an API error body (`{"error":{"message":...}}` and
/// its variants), or the body itself, on one line.
pub fn error_message(body: &str) -> String {
    let mut msg = String::new();
    let mut p = crate::json::Parser::new();
    let _ = p.feed(body.as_bytes(), &mut |path, e| {
        if let crate::json::Event::Str(s) = e {
            if path == b"error.message"
                || path == b"message"
                || path == b"error"
                || path == b"detail"
            {
                msg.push_str(s);
            }
        }
    });
    if msg.is_empty() {
        msg = body.to_string();
    }
    let one_line: String = msg.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut = crate::text::floor_char(&one_line, 300);
    one_line[..cut].to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn finish_reasons_map_to_stops() {
        use super::Stop;
        assert_eq!(Stop::of("stop"), Stop::Done);
        assert_eq!(Stop::of("tool_calls"), Stop::Done);
        assert_eq!(Stop::of("length"), Stop::MaxTokens);
        assert_eq!(Stop::of("MAX_TOKENS"), Stop::MaxTokens);
        assert_eq!(Stop::of("refusal"), Stop::Refusal);
        assert_eq!(Stop::of("SAFETY"), Stop::Refusal);
    }

    #[test]
    fn error_messages_are_one_line() {
        assert_eq!(
            super::error_message(r#"{"error":{"message":"bad\nkey","type":"x"}}"#),
            "bad key"
        );
        assert_eq!(
            super::error_message("<html>\n502 Bad Gateway</html>"),
            "<html> 502 Bad Gateway</html>"
        );
        assert_eq!(
            super::error_message(r#"{"error":"model not found"}"#),
            "model not found"
        );
    }

    #[test]
    fn context_length_errors_are_recognised_in_every_wording() {
        for (status, msg) in [
            (400, "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000"),
            (400, "prompt is too long: 210000 tokens > 200000 maximum"),
            (400, "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."),
            (400, "Your input exceeds the context window of this model."),
            (0, "error in stream: context_length_exceeded: too long"),
        ] {
            assert!(super::is_context_length(status, msg), "{msg}");
        }
        assert!(!super::is_context_length(
            429,
            "Rate limit reached: too many tokens per minute"
        ));
        assert!(!super::is_context_length(400, "invalid tool schema"));
    }
}

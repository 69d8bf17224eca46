//! The wire formats as a table: `Wire` names one, `Format` is what a wire
//! does (its endpoint, how it carries the key, its body, its stream
//! decoder, the media type its stream has), and `Wire::format` is the one
//! place that maps a name to its implementation. A new wire format is a
//! file implementing `Format`, a `Wire` variant and its row there.

use std::io;

use super::reqbody::ReqBody;
use super::{anthropic, gemini, ollama, openai, responses, Config, Delta, Request};
use crate::http::Url;

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Wire {
    /// OpenAI Chat Completions and the many servers that copy it.
    OpenAiChat,
    /// Anthropic Messages.
    Anthropic,
    /// Ollama's native /api/chat (NDJSON).
    Ollama,
    /// OpenAI Responses.
    Responses,
    /// Gemini generateContent.
    Gemini,
}

impl Wire {
    /// Every wire's implementation: one row each.
    pub fn format(self) -> &'static dyn Format {
        match self {
            Wire::OpenAiChat => &openai::Chat,
            Wire::Anthropic => &anthropic::Messages,
            Wire::Ollama => &ollama::Chat,
            Wire::Responses => &responses::Responses,
            Wire::Gemini => &gemini::Generate,
        }
    }
}

/// What one wire format does.
pub trait Format: Sync {
    /// The endpoint's path and query, after the base URL's path.
    fn path(&self, cfg: &Config) -> String;

    /// The header that carries the key.
    fn auth(&self, _cfg: &Config, key: &str) -> (&'static str, String) {
        ("Authorization", format!("Bearer {key}"))
    }

    /// Headers the API always wants besides.
    fn fixed_headers(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }

    /// Assemble the request body for `req`.
    fn write_body<'a>(&self, req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()>;

    /// A decoder for one response stream.
    fn decoder(&self) -> Box<dyn Decode>;

    /// The media types a 200 may carry, and how to name them in an error.
    fn stream_types(&self) -> (&'static [&'static str], &'static str) {
        (
            &["text/event-stream"],
            "an event stream (text/event-stream)",
        )
    }

    /// What to tell the user when the endpoint cannot be reached.
    fn unreachable_hint(&self) -> Option<&'static str> {
        None
    }
}

/// A response stream decoder.
pub trait Decode {
    /// Decode one more piece of the body. An `Err` is a one-line reason
    /// the stream cannot be used (malformed, or an error sent inside it).
    fn feed(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Delta)) -> Result<(), String>;

    /// The body ended: was the answer complete?
    fn finish(&mut self) -> Result<(), String>;
}

/// A response stream decoder for one wire format.
pub struct Decoder(Box<dyn Decode>);

impl Decoder {
    pub fn new(wire: Wire) -> Decoder {
        Decoder(wire.format().decoder())
    }

    /// See `Decode::feed`.
    pub fn feed(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Delta)) -> Result<(), String> {
        self.0.feed(bytes, sink)
    }

    /// See `Decode::finish`.
    pub fn finish(&mut self) -> Result<(), String> {
        self.0.finish()
    }
}

/// What to tell the user when the endpoint cannot be reached, by wire.
pub fn unreachable_hint(cfg: &Config) -> Option<&'static str> {
    cfg.wire.format().unreachable_hint()
}

pub fn endpoint(cfg: &Config) -> Url {
    cfg.base.join(&cfg.wire.format().path(cfg))
}

pub fn headers(cfg: &Config) -> Vec<(String, String)> {
    let format = cfg.wire.format();
    let mut h = vec![
        ("Content-Type", "application/json".to_string()),
        ("Accept", "text/event-stream".to_string()),
        (
            "User-Agent",
            concat!("mote/", env!("CARGO_PKG_VERSION")).to_string(),
        ),
    ];
    if let Some(k) = &cfg.key {
        h.push(format.auth(cfg, k));
    }
    h.extend(
        format
            .fixed_headers()
            .iter()
            .map(|(k, v)| (*k, v.to_string())),
    );
    let mut h: Vec<(String, String)> = h.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    for (k, v) in &cfg.headers {
        h.retain(|(old, _)| !old.eq_ignore_ascii_case(k));
        h.push((k.clone(), v.clone()));
    }
    h
}

/// Assemble the request body for `req` (nothing is copied from the arena
/// until it is sent).
pub fn write_body<'a>(req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
    req.cfg.wire.format().write_body(req, w)
}

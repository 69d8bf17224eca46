//! What the provider tests share: a config to write bodies with, and a
//! decoder run over a stream cut into pieces of a given size.

use super::{Config, Decoder, Thinking, TokensField, Wire};

/// A config for `wire` at `base` with model `m`, 100 output tokens and
/// nothing optional; a test changes what it looks at.
pub fn config(wire: Wire, base: &str) -> Config {
    Config {
        wire,
        base: crate::http::Url::parse(base).unwrap(),
        key: None,
        model: "m".into(),
        max_tokens: 100,
        tokens_field: TokensField::Auto,
        timeout: std::time::Duration::from_secs(1),
        name: String::new(),
        headers: vec![],
        extra_body: None,
        context_window: None,
        thinking: Thinking::Off,
        bearer: false,
    }
}

/// Decode `stream` fed `step` bytes at a time: every delta as `{:?};`, and
/// the first error (or `finish`'s verdict).
pub fn decode(wire: Wire, stream: &[u8], step: usize) -> (String, Result<(), String>) {
    let mut d = Decoder::new(wire);
    let mut log = String::new();
    let mut res = Ok(());
    for chunk in stream.chunks(step) {
        res = d.feed(chunk, &mut |delta| log.push_str(&format!("{delta:?};")));
        if res.is_err() {
            break;
        }
    }
    if res.is_ok() {
        res = d.finish();
    }
    (log, res)
}

//! What the provider tests share: a config to write bodies with, and a
//! decoder run over a stream cut into pieces of a given size.

use super::{Config, Decoder, Delta, Thinking, TokensField, Wire};

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
        deadline: std::time::Duration::from_secs(10),
        name: String::new(),
        headers: vec![],
        extra_body: None,
        context_window: None,
        thinking: Thinking::Off,
        bearer: false,
        reasoning_object: false,
        vision: true,
        schema: None,
    }
}

/// Decode `stream` fed `step` bytes at a time: every delta as `{:?};`, and
/// the first error (or `finish`'s verdict). Text, reasoning and a call's
/// arguments may arrive in more pieces when the stream is cut finer, so
/// consecutive pieces of each are joined: the log is then the same at every
/// split.
pub fn decode(wire: Wire, stream: &[u8], step: usize) -> (String, Result<(), String>) {
    let mut d = Decoder::new(wire);
    let mut log = String::new();
    // A run of pieces not yet logged: its kind and the joined text.
    let mut run: Option<(Piece, String)> = None;
    let mut res = Ok(());
    for chunk in stream.chunks(step) {
        res = d.feed(chunk, &mut |delta| {
            let piece = match delta {
                Delta::Text(s) => Some((Piece::Text, s)),
                Delta::Thinking(s) => Some((Piece::Thinking, s)),
                Delta::Args { index, frag } => Some((Piece::Args(index), frag)),
                _ => None,
            };
            match (piece, &mut run) {
                (Some((kind, s)), Some((open, joined))) if *open == kind => joined.push_str(s),
                (Some((kind, s)), _) => {
                    flush(&mut run, &mut log);
                    run = Some((kind, s.to_string()));
                }
                (None, _) => {
                    flush(&mut run, &mut log);
                    log.push_str(&format!("{delta:?};"));
                }
            }
        });
        if res.is_err() {
            break;
        }
    }
    flush(&mut run, &mut log);
    if res.is_ok() {
        res = d.finish();
    }
    (log, res)
}

#[derive(PartialEq, Clone, Copy)]
enum Piece {
    Text,
    Thinking,
    Args(usize),
}

fn flush(run: &mut Option<(Piece, String)>, log: &mut String) {
    if let Some((kind, s)) = run.take() {
        let d = match kind {
            Piece::Text => Delta::Text(&s),
            Piece::Thinking => Delta::Thinking(&s),
            Piece::Args(index) => Delta::Args { index, frag: &s },
        };
        log.push_str(&format!("{d:?};"));
    }
}

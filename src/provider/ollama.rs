//! Ollama's native API: `POST {OLLAMA_HOST}/api/chat`, answered with one
//! JSON object per line. Unlike its OpenAI-compatible endpoint it takes
//! `options.num_ctx`, so a long session is not cut silently at Ollama's
//! small default context; tool calls arrive whole with `arguments` as an
//! object, which is rebuilt into the text the arena keeps.

use std::io::{self, Write};

use super::events::num;
use super::reqbody::ReqBody;
use super::{body, Config, Decode, Delta, Format, Request, Thinking, Usage};
use crate::arena::Call;
use crate::json::rebuild::Rebuild;
use crate::json::{below, Event, Parser};

/// num_ctx when the config gives no context window for the model.
pub const DEFAULT_CTX: u64 = 32768;

/// Added to a connection error: a local server is most often just not started.
pub const UNREACHABLE: &str =
    "is Ollama running? start it with `ollama serve`, or set OLLAMA_HOST to where it listens";

/// Ollama's /api/chat: its row of the wire table.
pub struct Chat;

impl Format for Chat {
    fn path(&self, _: &Config) -> String {
        "/api/chat".into()
    }

    fn stream_types(&self) -> (&'static [&'static str], &'static str) {
        (
            &["application/x-ndjson", "application/json"],
            "an NDJSON stream",
        )
    }

    fn unreachable_hint(&self) -> Option<&'static str> {
        Some(UNREACHABLE)
    }

    fn write_body<'a>(&self, req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
        write_body(req, w)
    }

    fn decoder(&self) -> Box<dyn Decode> {
        Box::<Decoder>::default()
    }
}

/// An image in the message's `images` list, bare base64.
fn write_image(w: &mut ReqBody, img: &crate::image::Image) -> io::Result<()> {
    w.write_all(b"\"content\":\"\",\"images\":[")?;
    body::image_data(w, img, false)?;
    w.write_all(b"]")
}

pub fn write_body<'a>(req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
    let cfg = req.cfg;
    body::chat_messages(
        req,
        w,
        body::Chat {
            null_content: false,
            by_name: true,
            image: write_image,
        },
        write_call,
    )?;
    // /api/chat has no tool choice: a summary request declares no tools
    // (the calls in the history are still sent; Ollama does not check them).
    if !req.no_calls {
        body::function_tools(req, w)?;
    }
    if cfg.thinking != Thinking::Off {
        w.write_all(b",\"think\":true")?;
    }
    if let Some(schema) = req.schema() {
        write!(w, ",\"format\":{schema}")?;
    }
    let ctx = cfg.context_window.unwrap_or(DEFAULT_CTX);
    write!(
        w,
        ",\"stream\":true,\"options\":{{\"num_ctx\":{ctx},\"num_predict\":{}}}",
        cfg.max_tokens
    )?;
    super::write_extra(cfg, w)?;
    w.write_all(b"}")
}

/// One tool call replayed: no id, and its arguments as an object.
fn write_call<'a>(w: &mut ReqBody<'a>, c: &Call<'a>) -> io::Result<()> {
    w.write_all(b"{\"function\":{\"name\":")?;
    w.text(c.name);
    w.write_all(b",\"arguments\":")?;
    w.object(c.args);
    w.write_all(b"}}")
}

#[derive(Default)]
pub struct Decoder {
    json: Parser,
    /// The current line has bytes other than whitespace.
    started: bool,
    name: String,
    args: Rebuild,
    args_text: String,
    calls: usize,
    finish: String,
    usage: Usage,
    error: String,
    done: bool,
    failed: Option<String>,
}

const CALLS: &[u8] = b"message.tool_calls";

impl Decoder {
    fn fail(&mut self, msg: String) -> Result<(), String> {
        self.failed = Some(msg.clone());
        Err(msg)
    }
}

impl Decode for Decoder {
    fn feed(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Delta)) -> Result<(), String> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let (body, end) = match line.strip_suffix(b"\n") {
                Some(b) => (b, true),
                None => (line, false),
            };
            if !body.trim_ascii().is_empty() {
                self.started = true;
                let Decoder {
                    json,
                    name,
                    args,
                    args_text,
                    calls,
                    finish,
                    usage,
                    error,
                    done,
                    ..
                } = self;
                let mut on = |path: &[u8], e: Event| {
                    on_event(
                        path, e, name, args, args_text, calls, finish, usage, error, done, sink,
                    )
                };
                if let Err(e) = json.feed(body, &mut on) {
                    return self.fail(format!("malformed stream: {e}"));
                }
            }
            if end && self.started {
                self.started = false;
                let Decoder {
                    json,
                    name,
                    args,
                    args_text,
                    calls,
                    finish,
                    usage,
                    error,
                    done,
                    ..
                } = self;
                let mut on = |path: &[u8], e: Event| {
                    on_event(
                        path, e, name, args, args_text, calls, finish, usage, error, done, sink,
                    )
                };
                let r = json.finish(&mut on);
                json.reset();
                if let Err(e) = r {
                    return self.fail(format!("malformed stream: {e}"));
                }
                if !self.error.is_empty() {
                    return self.fail(format!("error in stream: {}", self.error));
                }
                if self.done {
                    sink(Delta::Finish(&self.finish));
                    sink(Delta::Usage(self.usage));
                }
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), String> {
        if self.started {
            // A last line without its newline.
            self.feed(b"\n", &mut |_| {})?;
        }
        super::events::end(&self.failed, self.done)
    }
}

#[allow(clippy::too_many_arguments)]
fn on_event(
    path: &[u8],
    e: Event,
    name: &mut String,
    args: &mut Rebuild,
    args_text: &mut String,
    calls: &mut usize,
    finish: &mut String,
    usage: &mut Usage,
    error: &mut String,
    done: &mut bool,
    sink: &mut dyn FnMut(Delta),
) {
    if let Some(rest) = below(path, CALLS) {
        let field = rest
            .iter()
            .position(|&b| b == b'.')
            .map_or(&b""[..], |d| &rest[d + 1..]);
        if field == b"function.arguments" || field.starts_with(b"function.arguments.") {
            if let Some(t) = args.event(path, &e) {
                args_text.clear();
                args_text.push_str(t);
            }
            return;
        }
        match (field, e) {
            (b"", Event::Open(_)) => {
                name.clear();
                args_text.clear();
            }
            (b"function.name", Event::Str(s)) => name.push_str(s),
            (b"", Event::Close(_)) => {
                sink(Delta::Call {
                    index: *calls,
                    id: "",
                    name,
                });
                sink(Delta::Args {
                    index: *calls,
                    frag: if args_text.is_empty() {
                        "{}"
                    } else {
                        args_text
                    },
                });
                *calls += 1;
            }
            _ => {}
        }
        return;
    }
    match (path, e) {
        (b"message.content", Event::Str(s)) => sink(Delta::Text(s)),
        (b"message.thinking", Event::Str(s)) => sink(Delta::Thinking(s)),
        (b"done", Event::Scalar(v)) => *done = v == b"true",
        (b"done_reason", Event::Str(s)) => finish.push_str(s),
        (b"prompt_eval_count", Event::Scalar(v)) => usage.input = num(v),
        (b"eval_count", Event::Scalar(v)) => usage.output = num(v),
        (b"error", Event::Str(s)) | (b"error.message", Event::Str(s)) => error.push_str(s),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::provider::{test_util, Wire};

    const STREAM: &str = concat!(
        "{\"model\":\"qwen3\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"hm\"},\"done\":false}\n",
        "{\"model\":\"qwen3\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\"I'll read \\u00e9\"},\"done\":false}\n",
        "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"read\",\"arguments\":{\"path\":\"a.sh\",\"offset\":2}}},{\"function\":{\"name\":\"ls\",\"arguments\":{}}}]},\"done\":false}\n",
        "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"total_duration\":1,\"prompt_eval_count\":26,\"eval_count\":298}\n",
    );

    fn decode(stream: &[u8], step: usize) -> (String, Result<(), String>) {
        test_util::decode(Wire::Ollama, stream, step)
    }

    #[test]
    fn decodes_lines_split_anywhere() {
        for step in [1, 4, STREAM.len()] {
            let (log, res) = decode(STREAM.as_bytes(), step);
            res.unwrap();
            assert!(
                log.contains(r#"Call { index: 0, id: "", name: "read" }"#),
                "{log}"
            );
            assert!(
                log.contains(r#"Args { index: 0, frag: "{\"path\":\"a.sh\",\"offset\":2}" }"#),
                "{log}"
            );
            assert!(log.contains(r#"Args { index: 1, frag: "{}" }"#), "{log}");
            assert!(
                log.contains("Usage(Usage { input: 26, output: 298, cached: 0, cache_write: 0 })"),
                "{log}"
            );
            assert!(log.contains(r#"Finish("stop")"#));
        }
        let (log, _) = decode(STREAM.as_bytes(), STREAM.len());
        assert!(
            log.contains(r#"Text("I'll read é")"#) && log.contains(r#"Thinking("hm")"#),
            "{log}"
        );
    }

    #[test]
    fn errors_and_cut_streams_fail() {
        assert_eq!(
            decode(b"{\"error\":\"model 'x' not found\"}\n", 3)
                .1
                .unwrap_err(),
            "error in stream: model 'x' not found"
        );
        let cut = &STREAM[..STREAM.rfind("{\"model\"").unwrap()];
        assert!(decode(cut.as_bytes(), 5)
            .1
            .unwrap_err()
            .contains("ended before"));
        assert!(decode(b"{\"done\":tru\n", 5)
            .1
            .unwrap_err()
            .starts_with("malformed"));
    }
}

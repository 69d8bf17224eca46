//! OpenAI Chat Completions: `POST {base}/chat/completions` with
//! `stream: true`. Covers api.openai.com and the servers that copy it
//! (OpenRouter, Ollama's /v1, vLLM, llama.cpp). The body is written straight
//! from the arena; the SSE stream is decoded by path, without a tree.

use std::io::{self, Write};

use super::reqbody::ReqBody;
use super::{body, Config, Decode, Delta, Format, Request, TokensField, Usage};
use crate::arena::Call;
use crate::json::{below, Event, Parser};
use crate::sse::{Field, Framer};

/// OpenAI Chat Completions: its row of the wire table.
pub struct Chat;

impl Format for Chat {
    fn path(&self, _: &Config) -> String {
        "/chat/completions".into()
    }

    fn write_body<'a>(&self, req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
        write_body(req, w)
    }

    fn decoder(&self) -> Box<dyn Decode> {
        Box::<Decoder>::default()
    }
}

/// An image as a content part with a data URL.
fn write_image(w: &mut ReqBody, img: &crate::image::Image) -> io::Result<()> {
    w.write_all(b"\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":")?;
    body::image_data(w, img, true)?;
    w.write_all(b"}}]")
}

pub fn write_body<'a>(req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
    let cfg = req.cfg;
    body::chat_messages(
        req,
        w,
        body::Chat {
            null_content: true,
            by_name: false,
            image: write_image,
        },
        write_call,
    )?;
    body::function_tools(req, w)?;
    if req.forbid_calls() {
        w.write_all(b",\"tool_choice\":\"none\"")?;
    }
    if let Some(schema) = req.schema() {
        write!(w, ",\"response_format\":{{\"type\":\"json_schema\",\"json_schema\":{{\"name\":\"answer\",\"schema\":{schema},\"strict\":false}}}}")?;
    }
    if let Some(effort) = cfg.thinking.effort() {
        // OpenRouter normalises reasoning across models; OpenAI names it flat.
        if cfg.reasoning_object {
            write!(w, ",\"reasoning\":{{\"effort\":\"{effort}\"}}")?;
        } else {
            write!(w, ",\"reasoning_effort\":\"{effort}\"")?;
        }
    }
    super::write_extra(cfg, w)?;
    let field = match cfg.tokens_field {
        TokensField::MaxTokens => "max_tokens",
        TokensField::MaxCompletionTokens => "max_completion_tokens",
        TokensField::Auto if completion_tokens(&cfg.base.host, &cfg.model) => {
            "max_completion_tokens"
        }
        TokensField::Auto => "max_tokens",
    };
    write!(
        w,
        ",\"stream\":true,\"stream_options\":{{\"include_usage\":true}},\"{field}\":{}}}",
        cfg.max_tokens
    )
}

/// Model id families that reject `max_tokens` wherever they are served
/// (a proxy or Azure in front of them too).
const COMPLETION_TOKENS_FAMILIES: [&str; 4] = ["o1", "o3", "o4", "gpt-5"];

/// `auto`: `max_completion_tokens` for api.openai.com and for a reasoning
/// model family's bare id; `max_tokens` elsewhere (a router's `vendor/model`
/// ids keep `max_tokens`, which routers translate).
fn completion_tokens(host: &str, model: &str) -> bool {
    host == "api.openai.com"
        || COMPLETION_TOKENS_FAMILIES.iter().any(|f| {
            model
                .strip_prefix(f)
                .is_some_and(|r| r.is_empty() || r.starts_with('-'))
        })
}

/// One tool call replayed: its id, and its arguments as the text the model sent.
fn write_call<'a>(w: &mut ReqBody<'a>, c: &Call<'a>) -> io::Result<()> {
    w.write_all(b"{\"id\":")?;
    w.text(c.id);
    w.write_all(b",\"type\":\"function\",\"function\":{\"name\":")?;
    w.text(c.name);
    w.write_all(b",\"arguments\":")?;
    w.text(c.args);
    w.write_all(b"}}")
}

/// One element of `delta.tool_calls`, gathered until it closes, since its
/// `index` may come after its other fields.
#[derive(Default)]
struct Element {
    index: Option<usize>,
    id: String,
    name: String,
    args: String,
}

#[derive(Default)]
pub struct Decoder {
    sse: Framer,
    json: Parser,
    /// The first byte of the current event's data (0 before any).
    first: u8,
    /// Data that is not JSON (`[DONE]`), kept short.
    other: Vec<u8>,
    elem: Element,
    finish: String,
    usage: Option<Usage>,
    error: String,
    failed: Option<String>,
    finished: bool,
    done: bool,
}

const CALLS: &[u8] = b"choices.0.delta.tool_calls";

impl Decode for Decoder {
    fn feed(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Delta)) -> Result<(), String> {
        let Decoder {
            sse,
            json,
            first,
            other,
            elem,
            finish,
            usage,
            error,
            failed,
            finished,
            done,
        } = self;
        sse.feed(bytes, &mut |field| {
            if failed.is_some() {
                return;
            }
            let mut on_json = |path: &[u8], e: Event| {
                on_event(path, e, elem, finish, usage, error, finished, sink);
            };
            match field {
                Field::Data(d) => {
                    if *first == 0 {
                        *first = d.first().copied().unwrap_or(0);
                    }
                    if *first == b'{' {
                        if let Err(e) = json.feed(d, &mut on_json) {
                            *failed = Some(format!("malformed stream: {e}"));
                        }
                    } else if other.len() + d.len() <= 64 {
                        other.extend_from_slice(d);
                    } else {
                        *failed = Some("malformed stream: an event's data is not JSON".into());
                    }
                }
                Field::Dispatch => {
                    if *first == b'{' {
                        if let Err(e) = json.finish(&mut on_json) {
                            *failed = Some(format!("malformed stream: {e}"));
                        }
                        json.reset();
                    } else if other.trim_ascii() == b"[DONE]" {
                        *done = true;
                    } else {
                        let shown = String::from_utf8_lossy(other).into_owned();
                        *failed = Some(format!("malformed stream: unexpected data `{shown}`"));
                    }
                    *first = 0;
                    other.clear();
                    if !error.is_empty() {
                        *failed = Some(format!("error in stream: {error}"));
                    }
                }
                Field::Event(name) if name == b"error" => {
                    // Some servers name error events; the data says what went wrong.
                }
                _ => {}
            }
        });
        match failed {
            Some(f) => Err(f.clone()),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> Result<(), String> {
        super::events::end(&self.failed, self.done || self.finished)
    }
}

#[allow(clippy::too_many_arguments)]
fn on_event(
    path: &[u8],
    e: Event,
    elem: &mut Element,
    finish: &mut String,
    usage: &mut Option<Usage>,
    error: &mut String,
    finished: &mut bool,
    sink: &mut dyn FnMut(Delta),
) {
    if path == b"choices.0.delta.content" {
        if let Event::Str(s) = e {
            sink(Delta::Text(s));
        }
        return;
    }
    // Reasoning text from servers that stream it (DeepSeek, OpenRouter, vLLM).
    if path == b"choices.0.delta.reasoning_content" || path == b"choices.0.delta.reasoning" {
        if let Event::Str(s) = e {
            sink(Delta::Thinking(s));
        }
        return;
    }
    if let Some(rest) = below(path, CALLS) {
        return on_call_event(rest, e, elem, sink);
    }
    match (path, e) {
        (b"choices.0.finish_reason", Event::Str(s)) => finish.push_str(s),
        (b"choices.0.finish_reason", Event::StrEnd) => {
            *finished = true;
            sink(Delta::Finish(finish));
            finish.clear();
        }
        (b"error.message", Event::Str(s)) | (b"error", Event::Str(s)) => error.push_str(s),
        (b"", Event::Close(_)) => {
            if let Some(u) = usage.take() {
                sink(Delta::Usage(u));
            }
        }
        (p, Event::Scalar(v)) if p.starts_with(b"usage.") => {
            let n: u64 = std::str::from_utf8(v)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let u = usage.get_or_insert_with(Usage::default);
            match p {
                b"usage.prompt_tokens" => u.input = n,
                b"usage.completion_tokens" => u.output = n,
                b"usage.prompt_tokens_details.cached_tokens" => u.cached = n,
                _ => {}
            }
        }
        _ => {}
    }
}

/// One event inside `choices.0.delta.tool_calls`: gather an element's id,
/// name and argument text, and emit them when the element closes.
fn on_call_event(rest: &[u8], e: Event, elem: &mut Element, sink: &mut dyn FnMut(Delta)) {
    let (pos, field) = match rest.iter().position(|&b| b == b'.') {
        Some(dot) => (&rest[..dot], &rest[dot + 1..]),
        None => (rest, &b""[..]),
    };
    match (field, e) {
        (b"", Event::Open(_)) => *elem = Element::default(),
        (b"", Event::Close(_)) => {
            let pos = std::str::from_utf8(pos)
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(0);
            let index = elem.index.unwrap_or(pos);
            if !elem.id.is_empty() || !elem.name.is_empty() {
                sink(Delta::Call {
                    index,
                    id: &elem.id,
                    name: &elem.name,
                });
            }
            if !elem.args.is_empty() {
                sink(Delta::Args {
                    index,
                    frag: &elem.args,
                });
            }
        }
        (b"index", Event::Scalar(v)) => {
            elem.index = std::str::from_utf8(v).ok().and_then(|v| v.parse().ok());
        }
        (b"id", Event::Str(s)) => elem.id.push_str(s),
        (b"function.name", Event::Str(s)) => elem.name.push_str(s),
        (b"function.arguments", Event::Str(s)) => elem.args.push_str(s),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arena::Arena;
    use crate::provider::{Config, ToolSpec, Wire};

    fn decode(stream: &[u8], step: usize) -> (String, Result<(), String>) {
        crate::provider::test_util::decode(Wire::OpenAiChat, stream, step)
    }

    const STREAM: &str = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi \\u00e9\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"read\",\"arguments\":\"\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"{\\\"pa\"},\"index\":0}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"th\\\":\\\"a\\\"}\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":2}}}\n\n",
        "data: [DONE]\n\n"
    );

    #[test]
    fn decodes_text_calls_usage_at_any_split() {
        let (whole, res) = decode(STREAM.as_bytes(), STREAM.len());
        res.unwrap();
        assert!(whole.contains(r#"Text("Hi é")"#), "{whole}");
        assert!(whole.contains(r#"Thinking("hmm")"#), "{whole}");
        assert!(whole.contains(r#"Call { index: 0, id: "call_1", name: "read" }"#));
        assert!(
            whole.contains(r#"Args { index: 0, frag: "{\"path\":\"a\"}" }"#),
            "{whole}"
        );
        assert!(whole.contains(r#"Finish("tool_calls")"#));
        assert!(whole.contains("Usage(Usage { input: 10, output: 5, cached: 2, cache_write: 0 })"));
        for step in [1, 2, 3, 7, 64] {
            let (log, res) = decode(STREAM.as_bytes(), step);
            res.unwrap();
            assert_eq!(log, whole, "split every {step} bytes");
        }
    }

    #[test]
    fn broken_streams_are_errors() {
        let (_, r) = decode(
            b"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"\n\ndata: [DONE]\n\n",
            5,
        );
        assert!(r.unwrap_err().starts_with("malformed stream"));
        let (_, r) = decode(
            b"data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n",
            4,
        );
        assert_eq!(r.unwrap_err(), "error in stream: overloaded");
        let (_, r) = decode(
            b"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n",
            4,
        );
        assert!(r.unwrap_err().contains("ended before"));
        let (_, r) = decode(
            b"data: {\"choices\":[{\"delta\":{\"content\":\"\xff\xfe\"}}]}\n\n",
            4,
        );
        assert!(r.unwrap_err().contains("UTF-8"));
        let (_, r) = decode(b"data: hello\n\n", 4);
        assert!(r.is_err());
    }

    #[test]
    fn reasoning_model_ids_get_max_completion_tokens_behind_any_base_url() {
        let field = |base: &str, model: &str| {
            let cfg = Config {
                model: model.into(),
                ..crate::provider::test_util::config(Wire::OpenAiChat, base)
            };
            let req = Request {
                cfg: &cfg,
                system: "s",
                arena: &Arena::new(),
                tools: &[],
                no_calls: false,
            };
            let mut body = crate::provider::reqbody::ReqBody::new();
            write_body(&req, &mut body).unwrap();
            let body = body.to_vec();
            let body = String::from_utf8(body).unwrap();
            body.contains(",\"max_completion_tokens\":") as u8 * 2
                + body.contains(",\"max_tokens\":") as u8
        };
        let proxy = "http://proxy.local/v1";
        for m in ["o1", "o3-mini", "o4-mini-2025-04-16", "gpt-5", "gpt-5-mini"] {
            assert_eq!(field(proxy, m), 2, "{m}");
        }
        for m in ["gpt-4o", "llama3.1", "o10", "openai/gpt-5", "olmo"] {
            assert_eq!(field(proxy, m), 1, "{m}");
        }
        assert_eq!(field("https://api.openai.com/v1", "gpt-4o"), 2);
    }

    #[test]
    fn body_replays_the_conversation() {
        let mut a = Arena::new();
        a.user("hi \"there\"");
        a.open(crate::arena::Role::Assistant, crate::arena::Kind::Text);
        a.call("c1", "read", r#"{"path":"a"}"#);
        a.result("c1", "read", "line\n", false);
        let base =
            crate::provider::test_util::config(Wire::OpenAiChat, "https://api.openai.com/v1");
        let cfg = Config {
            name: "openai".into(),
            ..base
        };
        let tools = [ToolSpec {
            name: "read",
            description: "d",
            params: r#"{"type":"object"}"#,
        }];
        let req = Request {
            cfg: &cfg,
            system: "sys",
            arena: &a,
            tools: &tools,
            no_calls: false,
        };
        let mut body = crate::provider::reqbody::ReqBody::new();
        write_body(&req, &mut body).unwrap();
        let body = body.to_vec();
        let body = String::from_utf8(body).unwrap();
        assert!(
            crate::json::stream::validate(body.as_bytes()).is_ok(),
            "{body}"
        );
        assert_eq!(
            body,
            concat!(
                r#"{"model":"m","messages":[{"role":"system","content":"sys"},{"role":"user","content":"hi \"there\""},"#,
                r#"{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"read","arguments":"{\"path\":\"a\"}"}}]},"#,
                r#"{"role":"tool","tool_call_id":"c1","content":"line\n"}],"#,
                r#""tools":[{"type":"function","function":{"name":"read","description":"d","parameters":{"type":"object"}}}],"#,
                r#""stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":100}"#
            )
        );
    }
}

//! OpenAI Responses: `POST {base}/responses` with `stream: true` and
//! `store: false`. The conversation goes as input items (messages,
//! function_call, function_call_output); reasoning items come back with
//! `encrypted_content` (asked for via `include`) and are replayed unchanged,
//! since nothing is stored server-side. Events are decoded by type:
//! output_item.added/.done, output_text.delta, function_call_arguments.delta,
//! reasoning_summary_text.delta, completed, incomplete, failed, error.

use std::io::{self, Write};

use super::events::{self, num, Ev, SseJson};
use super::reqbody::ReqBody;
use super::{body, Config, Decode, Delta, Format, Request, Usage};
use crate::arena::{Call, Msg, Text, Think};
use crate::json::Event;

/// OpenAI Responses: its row of the wire table.
pub struct Responses;

impl Format for Responses {
    fn path(&self, _: &Config) -> String {
        "/responses".into()
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
    w.write_all(b"{\"model\":")?;
    w.string(&cfg.model);
    w.write_all(b",\"instructions\":")?;
    w.string(req.system);
    write_input(req, w)?;
    // Flat, unlike Chat Completions: no `function` object around the fields.
    body::list(w, b",\"tools\":[", req.tools, b"]", |w, _, t| {
        w.write_all(b"{\"type\":\"function\",")?;
        body::tool_fields(w, t, b"parameters", t.params)?;
        // Without it the API makes the schema strict: optional parameters
        // become required and models fill them in.
        w.write_all(b",\"strict\":false}")
    })?;
    if req.forbid_calls() {
        w.write_all(b",\"tool_choice\":\"none\"")?;
    }
    if let Some(schema) = req.schema() {
        write!(w, ",\"text\":{{\"format\":{{\"type\":\"json_schema\",\"name\":\"answer\",\"schema\":{schema},\"strict\":false}}}}")?;
    }
    if let Some(e) = cfg.thinking.effort() {
        write!(
            w,
            ",\"reasoning\":{{\"effort\":\"{e}\",\"summary\":\"auto\"}},\"include\":[\"reasoning.encrypted_content\"]"
        )?;
    }
    write!(
        w,
        ",\"stream\":true,\"store\":false,\"max_output_tokens\":{}",
        cfg.max_tokens
    )?;
    super::write_extra(cfg, w)?;
    w.write_all(b"}")
}

/// The input items: messages, reasoning, function calls and their outputs.
fn write_input<'a>(req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
    let cfg = req.cfg;
    w.write_all(b",\"input\":[")?;
    let mut sep = body::Comma::default();
    for m in req.arena.messages() {
        match m {
            Msg::Image(img) => {
                sep.write(w)?;
                w.write_all(b"{\"type\":\"message\",\"role\":\"user\",\"content\":[")?;
                match img.note(cfg.vision) {
                    Some(note) => {
                        w.write_all(b"{\"type\":\"input_text\",\"text\":")?;
                        w.string(&note);
                    }
                    None => {
                        w.write_all(b"{\"type\":\"input_image\",\"image_url\":")?;
                        body::image_data(w, &img, true)?;
                    }
                }
                w.write_all(b"}]}")?;
            }
            Msg::User(text) => {
                sep.write(w)?;
                w.write_all(
                    b"{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":",
                )?;
                w.text(text);
                w.write_all(b"}]}")?;
            }
            Msg::Assistant {
                text,
                calls,
                thinking,
            } => write_assistant(w, &mut sep, text, &calls, &thinking)?,
            Msg::Result { id, text, .. } => {
                sep.write(w)?;
                w.write_all(b"{\"type\":\"function_call_output\",\"call_id\":")?;
                w.text(id);
                w.write_all(b",\"output\":")?;
                w.text(text);
                w.write_all(b"}")?;
            }
        }
    }
    w.write_all(b"]")
}

/// An assistant turn as items: its signed reasoning, its text, its calls.
fn write_assistant<'a>(
    w: &mut ReqBody<'a>,
    sep: &mut body::Comma,
    text: Text<'a>,
    calls: &[Call<'a>],
    thinking: &[Think<'a>],
) -> io::Result<()> {
    for t in thinking.iter().filter(|t| !t.signature.is_empty()) {
        sep.write(w)?;
        w.write_all(b"{\"type\":\"reasoning\",\"summary\":[")?;
        if !t.text.is_empty() {
            w.write_all(b"{\"type\":\"summary_text\",\"text\":")?;
            w.text(t.text);
            w.write_all(b"}")?;
        }
        w.write_all(b"],\"encrypted_content\":")?;
        w.text(t.signature);
        w.write_all(b"}")?;
    }
    if !text.is_empty() {
        sep.write(w)?;
        w.write_all(b"{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":")?;
        w.text(text);
        w.write_all(b"}]}")?;
    }
    for c in calls {
        sep.write(w)?;
        w.write_all(b"{\"type\":\"function_call\",\"call_id\":")?;
        w.text(c.id);
        w.write_all(b",\"name\":")?;
        w.text(c.name);
        w.write_all(b",\"arguments\":")?;
        w.text(c.args);
        w.write_all(b"}")?;
    }
    Ok(())
}

#[derive(Default)]
pub struct Decoder {
    events: SseJson,
    etype: String,
    delta: String,
    item_type: String,
    call_id: String,
    name: String,
    arguments: String,
    encrypted: String,
    /// Calls started; the current one is `calls - 1`.
    calls: usize,
    /// The current call got argument deltas.
    got_args: bool,
    usage: Usage,
    reason: String,
    error: String,
    done: bool,
}

impl Decode for Decoder {
    fn feed(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Delta)) -> Result<(), String> {
        events::feed(self, |d| &mut d.events, bytes, |d, ev| d.on(ev, sink))?;
        if !self.error.is_empty() && self.etype.is_empty() {
            return self.events.fail(format!("error in stream: {}", self.error));
        }
        Ok(())
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
        let p = path.strip_prefix(b"response.").unwrap_or(path);
        match (p, e) {
            (b"type", Event::Str(s)) => self.etype.push_str(s),
            (b"delta", Event::Str(s)) => self.delta.push_str(s),
            (b"item", Event::Open(_)) => {
                self.item_type.clear();
                self.call_id.clear();
                self.name.clear();
                self.arguments.clear();
                self.encrypted.clear();
            }
            (b"item.type", Event::Str(s)) => self.item_type.push_str(s),
            (b"item.call_id", Event::Str(s)) => self.call_id.push_str(s),
            (b"item.name", Event::Str(s)) => self.name.push_str(s),
            (b"item.arguments", Event::Str(s)) => self.arguments.push_str(s),
            (b"item.encrypted_content", Event::Str(s)) => self.encrypted.push_str(s),
            (b"error.message", Event::Str(s)) | (b"message", Event::Str(s)) => {
                self.error.push_str(s)
            }
            (b"incomplete_details.reason", Event::Str(s)) => self.reason.push_str(s),
            (b"usage.input_tokens", Event::Scalar(v)) => self.usage.input = num(v),
            (b"usage.output_tokens", Event::Scalar(v)) => self.usage.output = num(v),
            (b"usage.input_tokens_details.cached_tokens", Event::Scalar(v)) => {
                self.usage.cached = num(v)
            }
            _ => {}
        }
    }

    fn end(&mut self, sink: &mut dyn FnMut(Delta)) {
        match self.etype.as_str() {
            "response.output_text.delta" => sink(Delta::Text(&self.delta)),
            "response.reasoning_summary_text.delta" => sink(Delta::Thinking(&self.delta)),
            "response.function_call_arguments.delta" => {
                self.got_args = true;
                sink(Delta::Args {
                    index: self.calls.saturating_sub(1),
                    frag: &self.delta,
                })
            }
            "response.output_item.added" => match self.item_type.as_str() {
                "function_call" => {
                    sink(Delta::Call {
                        index: self.calls,
                        id: &self.call_id,
                        name: &self.name,
                    });
                    self.calls += 1;
                    self.got_args = false;
                }
                "reasoning" => sink(Delta::Thinking("")),
                _ => {}
            },
            "response.output_item.done" => match self.item_type.as_str() {
                "function_call" if !self.got_args && !self.arguments.is_empty() => {
                    sink(Delta::Args {
                        index: self.calls.saturating_sub(1),
                        frag: &self.arguments,
                    })
                }
                "reasoning" if !self.encrypted.is_empty() => {
                    sink(Delta::Signature(&self.encrypted))
                }
                _ => {}
            },
            "response.completed" | "response.incomplete" => {
                self.done = true;
                let reason = if self.reason.is_empty() {
                    "stop"
                } else {
                    &self.reason
                };
                sink(Delta::Finish(reason));
                sink(Delta::Usage(self.usage));
            }
            "response.failed" | "error" => {
                if self.error.is_empty() {
                    self.error = "the response failed".into();
                }
            }
            _ => self.error.clear(), // `message` fields of other events are not errors
        }
        self.etype.clear();
        self.delta.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"output\":[]}}\n\n",
        "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[]}}\n\n",
        "event: response.reasoning_summary_text.delta\ndata: {\"type\":\"response.reasoning_summary_text.delta\",\"item_id\":\"rs_1\",\"output_index\":0,\"summary_index\":0,\"delta\":\"Plan\"}\n\n",
        "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"output_index\":0,\"item\":{\"id\":\"rs_1\",\"type\":\"reasoning\",\"summary\":[{\"type\":\"summary_text\",\"text\":\"Plan\"}],\"encrypted_content\":\"gAAAA/enc==\"}}\n\n",
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":1,\"content_index\":0,\"delta\":\"Hi \\u00e9\"}\n\n",
        "event: response.output_item.added\ndata: {\"type\":\"response.output_item.added\",\"output_index\":2,\"item\":{\"id\":\"fc_1\",\"type\":\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\",\"call_id\":\"call_A\",\"name\":\"read\"}}\n\n",
        "event: response.function_call_arguments.delta\ndata: {\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_1\",\"output_index\":2,\"delta\":\"{\\\"path\\\":\\\"a\\\"}\"}\n\n",
        "event: response.function_call_arguments.done\ndata: {\"type\":\"response.function_call_arguments.done\",\"item_id\":\"fc_1\",\"output_index\":2,\"arguments\":\"{\\\"path\\\":\\\"a\\\"}\"}\n\n",
        "event: response.output_item.done\ndata: {\"type\":\"response.output_item.done\",\"output_index\":2,\"item\":{\"id\":\"fc_1\",\"type\":\"function_call\",\"status\":\"completed\",\"arguments\":\"{\\\"path\\\":\\\"a\\\"}\",\"call_id\":\"call_A\",\"name\":\"read\"}}\n\n",
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"usage\":{\"input_tokens\":50,\"input_tokens_details\":{\"cached_tokens\":10},\"output_tokens\":7,\"total_tokens\":57}}}\n\n",
    );

    #[test]
    fn decodes_items_and_deltas_at_any_split() {
        for step in [1, 7, STREAM.len()] {
            let mut d = Decoder::default();
            let mut log = String::new();
            for c in STREAM.as_bytes().chunks(step) {
                d.feed(c, &mut |x| log.push_str(&format!("{x:?};")))
                    .unwrap();
            }
            d.finish().unwrap();
            assert_eq!(
                log,
                concat!(
                    r#"Thinking("");Thinking("Plan");Signature("gAAAA/enc==");Text("Hi é");"#,
                    r#"Call { index: 0, id: "call_A", name: "read" };Args { index: 0, frag: "{\"path\":\"a\"}" };"#,
                    r#"Finish("stop");Usage(Usage { input: 50, output: 7, cached: 10, cache_write: 0 });"#
                )
            );
        }
        let mut d = Decoder::default();
        let failed = "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":{\"code\":\"server_error\",\"message\":\"boom\"}}}\n\n";
        assert_eq!(
            d.feed(failed.as_bytes(), &mut |_| {}).unwrap_err(),
            "error in stream: boom"
        );
        let mut d = Decoder::default();
        let err = "event: error\ndata: {\"type\":\"error\",\"code\":\"context_length_exceeded\",\"message\":\"Your input exceeds the context window of this model.\"}\n\n";
        assert!(d
            .feed(err.as_bytes(), &mut |_| {})
            .unwrap_err()
            .contains("context window"));
    }
}

//! Gemini: `POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse`.
//! Each SSE event is a whole GenerateContentResponse; function calls arrive
//! whole with `args` as an object (rebuilt into text for the arena), and a
//! part's `thoughtSignature` is kept (as an opaque reasoning record) and
//! echoed on the first functionCall part of that turn. Tool schemas are
//! sent without the JSON Schema keywords Gemini's OpenAPI subset rejects.

use std::io::{self, Write};

use super::events::{self, num, Ev, SseJson};
use super::reqbody::ReqBody;
use super::{body, Config, Decode, Delta, Format, Request, Thinking, Usage};
use crate::arena::{Call, Msg, Text, Think};
use crate::json::rebuild::Rebuild;
use crate::json::value::{self, Value};
use crate::json::{below, Event};

/// Schema keywords Gemini refuses in function declarations.
const UNSUPPORTED: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "$comment",
    "definitions",
    "additionalProperties",
    "patternProperties",
    "unevaluatedProperties",
    "dependentRequired",
    "dependentSchemas",
    "examples",
    "default",
    "const",
    "if",
    "then",
    "else",
    "not",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "contentEncoding",
    "contentMediaType",
    "readOnly",
    "writeOnly",
    "deprecated",
];

/// `schema` without unsupported keywords (property names are left alone).
pub fn strip_schema(schema: &str) -> String {
    fn strip(v: &mut Value, props: bool) {
        match v {
            Value::Obj(members) => {
                if !props {
                    members.retain(|(k, _)| !UNSUPPORTED.contains(&k.as_str()));
                }
                for (k, child) in members.iter_mut() {
                    strip(child, !props && k == "properties");
                }
            }
            Value::Arr(items) => items.iter_mut().for_each(|i| strip(i, false)),
            _ => {}
        }
    }
    match value::parse(schema) {
        Ok(mut v) => {
            strip(&mut v, false);
            v.to_json()
        }
        Err(_) => "{\"type\":\"object\"}".to_string(),
    }
}

fn budget(t: Thinking) -> Option<u32> {
    match t {
        Thinking::Off => None,
        Thinking::Low => Some(1024),
        Thinking::Medium => Some(8192),
        Thinking::High => Some(24576),
    }
}

/// Gemini streamGenerateContent: its row of the wire table.
pub struct Generate;

impl Format for Generate {
    fn path(&self, cfg: &Config) -> String {
        format!("/v1beta/models/{}:streamGenerateContent?alt=sse", cfg.model)
    }

    fn auth(&self, _: &Config, key: &str) -> (&'static str, String) {
        ("x-goog-api-key", key.to_string())
    }

    fn write_body<'a>(&self, req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
        write_body(req, w)
    }

    fn decoder(&self) -> Box<dyn Decode> {
        Box::<Decoder>::default()
    }
}

/// A tool result or an image as a part of a user turn.
fn part<'a>(req: &Request<'a>, w: &mut ReqBody<'a>, m: Msg<'a>) -> io::Result<()> {
    match m {
        Msg::Result {
            name, text, error, ..
        } => {
            w.write_all(b"{\"functionResponse\":{\"name\":")?;
            w.text(name);
            w.write_all(if error {
                b",\"response\":{\"error\":"
            } else {
                b",\"response\":{\"output\":"
            })?;
            w.text(text);
            w.write_all(b"}}}")
        }
        Msg::Image(img) => match img.note(req.cfg.vision) {
            Some(note) => {
                w.write_all(b"{\"text\":")?;
                w.string(&note);
                w.write_all(b"}")
            }
            None => {
                w.write_all(b"{\"inline_data\":{\"mime_type\":")?;
                w.string(&img.media);
                w.write_all(b",\"data\":")?;
                body::image_data(w, &img, false)?;
                w.write_all(b"}}")
            }
        },
        _ => Ok(()),
    }
}

pub fn write_body<'a>(req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
    let cfg = req.cfg;
    w.write_all(b"{\"systemInstruction\":{\"parts\":[{\"text\":")?;
    w.string(req.system);
    w.write_all(b"}]}")?;
    write_contents(req, w)?;
    body::list(
        w,
        b",\"tools\":[{\"functionDeclarations\":[",
        req.tools,
        b"]}]",
        |w, _, t| {
            w.write_all(b"{")?;
            body::tool_fields(w, t, b"parameters", &strip_schema(t.params))?;
            w.write_all(b"}")
        },
    )?;
    if req.forbid_calls() {
        w.write_all(b",\"toolConfig\":{\"functionCallingConfig\":{\"mode\":\"NONE\"}}")?;
    }
    write!(
        w,
        ",\"generationConfig\":{{\"maxOutputTokens\":{}",
        cfg.max_tokens
    )?;
    if let Some(b) = budget(cfg.thinking) {
        write!(
            w,
            ",\"thinkingConfig\":{{\"thinkingBudget\":{b},\"includeThoughts\":true}}"
        )?;
    }
    if let Some(schema) = req.schema() {
        w.write_all(b",\"responseMimeType\":\"application/json\",\"responseSchema\":")?;
        w.write_all(strip_schema(schema).as_bytes())?;
    }
    w.write_all(b"}")?;
    super::write_extra(cfg, w)?;
    w.write_all(b"}")
}

/// The turns; tool results (and images after them) are parts of one user turn.
fn write_contents<'a>(req: &Request<'a>, w: &mut ReqBody<'a>) -> io::Result<()> {
    w.write_all(b",\"contents\":[")?;
    let mut contents = body::Comma::default();
    let mut in_results = false;
    for m in req.arena.messages() {
        // Tool results, and images after them, are parts of one user turn.
        if matches!(m, Msg::Result { .. } | Msg::Image(_)) {
            if !in_results {
                contents.write(w)?;
                w.write_all(b"{\"role\":\"user\",\"parts\":[")?;
            } else {
                w.write_all(b",")?;
            }
            in_results = true;
            part(req, w, m)?;
            continue;
        }
        if in_results {
            w.write_all(b"]}")?;
            in_results = false;
        }
        contents.write(w)?;
        match m {
            Msg::User(text) => {
                w.write_all(b"{\"role\":\"user\",\"parts\":[{\"text\":")?;
                w.text(text);
                w.write_all(b"}]}")?;
            }
            Msg::Assistant {
                text,
                calls,
                thinking,
            } => write_model(w, text, &calls, &thinking)?,
            Msg::Result { .. } | Msg::Image(_) => {}
        }
    }
    if in_results {
        w.write_all(b"]}")?;
    }
    w.write_all(b"]")
}

/// A model turn: its text, its calls (the first carries the thought signature).
fn write_model<'a>(
    w: &mut ReqBody<'a>,
    text: Text<'a>,
    calls: &[Call<'a>],
    thinking: &[Think<'a>],
) -> io::Result<()> {
    w.write_all(b"{\"role\":\"model\",\"parts\":[")?;
    let sig = thinking
        .iter()
        .find(|t| t.redacted)
        .map_or(Text::default(), |t| t.text);
    let mut parts = body::Comma::default();
    if !text.is_empty() || calls.is_empty() {
        parts.write(w)?;
        w.write_all(b"{\"text\":")?;
        body::text_or(w, text, "(no answer)");
        w.write_all(b"}")?;
    }
    for (i, c) in calls.iter().enumerate() {
        parts.write(w)?;
        w.write_all(b"{\"functionCall\":{\"name\":")?;
        w.text(c.name);
        w.write_all(b",\"args\":")?;
        w.object(c.args);
        w.write_all(b"}")?;
        if i == 0 && !sig.is_empty() {
            w.write_all(b",\"thoughtSignature\":")?;
            w.text(sig);
        }
        w.write_all(b"}")?;
    }
    w.write_all(b"]}")?;
    Ok(())
}

/// One part, gathered until it closes (its `thought` flag may follow its text).
#[derive(Default)]
struct Part {
    text: String,
    thought: bool,
    name: String,
    args: String,
    call: bool,
    signature: String,
}

#[derive(Default)]
pub struct Decoder {
    events: SseJson,
    part: Part,
    rebuild: Rebuild,
    calls: usize,
    usage: Usage,
    thoughts: u64,
    finish: String,
    finished: bool,
    error: String,
}

const PARTS: &[u8] = b"candidates.0.content.parts";

impl Decode for Decoder {
    fn feed(&mut self, bytes: &[u8], sink: &mut dyn FnMut(Delta)) -> Result<(), String> {
        events::feed(self, |d| &mut d.events, bytes, |d, ev| d.on(ev, sink))?;
        if !self.error.is_empty() {
            return self.events.fail(format!("error in stream: {}", self.error));
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), String> {
        events::end(&self.events.failed, self.finished)
    }
}

impl Decoder {
    fn on(&mut self, ev: Ev, sink: &mut dyn FnMut(Delta)) {
        let (path, e) = match ev {
            Ev::End => {
                if !self.finish.is_empty() && !self.finished {
                    self.finished = true;
                    sink(Delta::Finish(&self.finish));
                }
                let mut u = self.usage;
                u.output += self.thoughts;
                sink(Delta::Usage(u));
                return;
            }
            Ev::Json(p, e) => (p, e),
        };
        if let Some(rest) = below(path, PARTS) {
            let field = rest
                .iter()
                .position(|&b| b == b'.')
                .map_or(&b""[..], |d| &rest[d + 1..]);
            if field == b"functionCall.args" || field.starts_with(b"functionCall.args.") {
                if let Some(t) = self.rebuild.event(path, &e) {
                    self.part.args = t.to_string();
                }
                return;
            }
            let p = &mut self.part;
            match (field, e) {
                (b"", Event::Open(_)) => *p = Part::default(),
                (b"text", Event::Str(s)) => p.text.push_str(s),
                (b"thought", Event::Scalar(v)) => p.thought = v == b"true",
                (b"thoughtSignature", Event::Str(s)) => p.signature.push_str(s),
                (b"functionCall", Event::Open(_)) => p.call = true,
                (b"functionCall.name", Event::Str(s)) => p.name.push_str(s),
                (b"", Event::Close(_)) => self.close_part(sink),
                _ => {}
            }
            return;
        }
        match (path, e) {
            (b"candidates.0.finishReason", Event::Str(s)) => self.finish.push_str(s),
            (b"error.message", Event::Str(s)) => self.error.push_str(s),
            (p, Event::Scalar(v)) => match p {
                b"usageMetadata.promptTokenCount" => self.usage.input = num(v),
                b"usageMetadata.candidatesTokenCount" => self.usage.output = num(v),
                b"usageMetadata.cachedContentTokenCount" => self.usage.cached = num(v),
                b"usageMetadata.thoughtsTokenCount" => self.thoughts = num(v),
                _ => {}
            },
            _ => {}
        }
    }

    fn close_part(&mut self, sink: &mut dyn FnMut(Delta)) {
        let p = std::mem::take(&mut self.part);
        if p.call {
            sink(Delta::Call {
                index: self.calls,
                id: "",
                name: &p.name,
            });
            sink(Delta::Args {
                index: self.calls,
                frag: if p.args.is_empty() { "{}" } else { &p.args },
            });
            self.calls += 1;
        } else if p.thought {
            sink(Delta::Thinking(&p.text));
        } else if !p.text.is_empty() {
            sink(Delta::Text(&p.text));
        }
        if !p.signature.is_empty() {
            sink(Delta::Redacted(&p.signature));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STREAM: &str = concat!(
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"plan\",\"thought\": true}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"I'll read \\u00e9\"}],\"role\": \"model\"},\"index\": 0}]}\r\n\r\n",
        "data: {\"candidates\": [{\"content\": {\"parts\": [{\"functionCall\": {\"name\": \"read\",\"args\": {\"path\": \"a\"}},\"thoughtSignature\": \"CiQB/sig=\"},",
        "{\"functionCall\": {\"name\": \"ls\",\"args\": {}}}],\"role\": \"model\"},\"finishReason\": \"STOP\",\"index\": 0}],",
        "\"usageMetadata\": {\"promptTokenCount\": 100,\"candidatesTokenCount\": 20,\"cachedContentTokenCount\": 40,\"thoughtsTokenCount\": 5},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n",
    );

    #[test]
    fn decodes_parts_calls_and_signatures_at_any_split() {
        for step in [1, 6, STREAM.len()] {
            let mut d = Decoder::default();
            let mut log = String::new();
            for c in STREAM.as_bytes().chunks(step) {
                d.feed(c, &mut |x| log.push_str(&format!("{x:?};")))
                    .unwrap();
            }
            d.finish().unwrap();
            for want in [
                r#"Thinking("plan")"#,
                r#"Text("I'll read é")"#,
                r#"Call { index: 0, id: "", name: "read" };Args { index: 0, frag: "{\"path\":\"a\"}" };Redacted("CiQB/sig=")"#,
                r#"Call { index: 1, id: "", name: "ls" }"#,
                r#"Finish("STOP")"#,
                "Usage(Usage { input: 100, output: 25, cached: 40, cache_write: 0 })",
            ] {
                assert!(log.contains(want), "{want} not in {log}");
            }
        }
        let mut d = Decoder::default();
        let e = d.feed(
            b"data: {\"error\": {\"code\": 429, \"message\": \"Resource exhausted\"}}\n\n",
            &mut |_| {},
        );
        assert_eq!(e.unwrap_err(), "error in stream: Resource exhausted");
        let mut d = Decoder::default();
        d.feed(&STREAM.as_bytes()[..200], &mut |_| {}).unwrap();
        assert!(d.finish().unwrap_err().contains("ended before"));
    }

    #[test]
    fn schemas_lose_unsupported_keywords_but_not_property_names() {
        let s = r#"{"$schema":"x","type":"object","additionalProperties":false,"properties":{"default":{"type":"string","default":"a"},"n":{"type":"array","items":{"const":1,"type":"number"}}}}"#;
        assert_eq!(
            strip_schema(s),
            r#"{"type":"object","properties":{"default":{"type":"string"},"n":{"type":"array","items":{"type":"number"}}}}"#
        );
    }
}

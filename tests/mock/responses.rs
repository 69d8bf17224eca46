//! The OpenAI Responses dialect of the mock (`POST /v1/responses`): named
//! SSE events with sequence numbers — response.created, in_progress, per
//! item output_item.added ... output_item.done (reasoning with a summary
//! and `encrypted_content`, message with output_text deltas, function_call
//! with argument deltas), then response.completed (or .incomplete) with the
//! whole output and usage, as the SDKs' stream readers expect (tests/sdk.rs).

use super::json::quote;
use super::stream::{alnum, fragments, mix, Ctx};
use super::Item;

struct Seq<'a> {
    ctx: &'a Ctx,
    n: u32,
    out: Vec<Vec<u8>>,
    /// Each finished output item's JSON, for the final response's `output`.
    done: Vec<String>,
}

impl Seq<'_> {
    /// One event; `body` is the JSON members after type and sequence_number.
    fn push(&mut self, kind: &str, body: &str) {
        let comma = if body.is_empty() { "" } else { "," };
        self.out.push(
            format!("event: {kind}\ndata: {{\"type\":\"{kind}\",\"sequence_number\":{}{comma}{body}}}\n\n", self.n)
                .into_bytes(),
        );
        self.n += 1;
    }

    fn response(&self, status: &str, extra: &str) -> String {
        format!(
            r#""response":{{"id":"resp_{}","object":"response","created_at":{},"status":"{status}","model":{},"output":[{}]{extra}}}"#,
            alnum(self.ctx.seed, 24),
            self.ctx.created,
            self.ctx.model,
            self.done.join(",")
        )
    }

    /// `response.output_item.done` for the item `item` (JSON) at `oi`.
    fn item_done(&mut self, oi: usize, item: String) {
        self.push(
            "response.output_item.done",
            &format!(r#""output_index":{oi},"item":{item}"#),
        );
        self.done.push(item);
    }
}

pub fn turn_events(
    ctx: &Ctx,
    items: &[Item],
    finish: Option<&str>,
    fragment: usize,
) -> Vec<Vec<u8>> {
    let mut s = Seq {
        ctx,
        n: 0,
        out: Vec::new(),
        done: Vec::new(),
    };
    let created = s.response("in_progress", "");
    s.push("response.created", &created);
    s.push("response.in_progress", &created);
    let mut generated = 0;
    let mut calls = 0u64;
    for (oi, item) in items.iter().enumerate() {
        let id = alnum(mix(ctx.seed ^ (oi as u64 + 100)), 16);
        match item {
            Item::Thinking { text, signature } => {
                generated += text.chars().count();
                let rid = format!("rs_{id}");
                s.push(
                    "response.output_item.added",
                    &format!(r#""output_index":{oi},"item":{{"id":"{rid}","type":"reasoning","summary":[]}}"#),
                );
                for f in fragments(text, fragment) {
                    s.push(
                        "response.reasoning_summary_text.delta",
                        &format!(
                            r#""item_id":"{rid}","output_index":{oi},"summary_index":0,"delta":{}"#,
                            quote(f)
                        ),
                    );
                }
                s.push(
                    "response.reasoning_summary_text.done",
                    &format!(
                        r#""item_id":"{rid}","output_index":{oi},"summary_index":0,"text":{}"#,
                        quote(text)
                    ),
                );
                s.item_done(
                    oi,
                    format!(
                        r#"{{"id":"{rid}","type":"reasoning","summary":[{{"type":"summary_text","text":{}}}],"encrypted_content":{}}}"#,
                        quote(text),
                        quote(signature)
                    ),
                );
            }
            Item::Text(text) => {
                generated += text.chars().count();
                let mid = format!("msg_{id}");
                s.push(
                    "response.output_item.added",
                    &format!(
                        r#""output_index":{oi},"item":{{"id":"{mid}","type":"message","status":"in_progress","role":"assistant","content":[]}}"#
                    ),
                );
                s.push(
                    "response.content_part.added",
                    &format!(
                        r#""item_id":"{mid}","output_index":{oi},"content_index":0,"part":{{"type":"output_text","text":"","annotations":[]}}"#
                    ),
                );
                for f in fragments(text, fragment) {
                    s.push(
                        "response.output_text.delta",
                        &format!(
                            r#""item_id":"{mid}","output_index":{oi},"content_index":0,"delta":{}"#,
                            quote(f)
                        ),
                    );
                }
                s.push(
                    "response.output_text.done",
                    &format!(
                        r#""item_id":"{mid}","output_index":{oi},"content_index":0,"text":{}"#,
                        quote(text)
                    ),
                );
                s.push(
                    "response.content_part.done",
                    &format!(
                        r#""item_id":"{mid}","output_index":{oi},"content_index":0,"part":{{"type":"output_text","text":{},"annotations":[]}}"#,
                        quote(text)
                    ),
                );
                s.item_done(
                    oi,
                    format!(
                        r#"{{"id":"{mid}","type":"message","status":"completed","role":"assistant","content":[{{"type":"output_text","text":{},"annotations":[]}}]}}"#,
                        quote(text)
                    ),
                );
            }
            Item::Call { name, args } => {
                generated += name.len() + args.chars().count();
                calls += 1;
                let fid = format!("fc_{id}");
                let call_id = format!("call_{}", alnum(mix(ctx.seed ^ calls), 24));
                let item = |status: &str, a: &str| {
                    format!(
                        r#"{{"id":"{fid}","type":"function_call","status":"{status}","arguments":{},"call_id":"{call_id}","name":{}}}"#,
                        quote(a),
                        quote(name)
                    )
                };
                s.push(
                    "response.output_item.added",
                    &format!(r#""output_index":{oi},"item":{}"#, item("in_progress", "")),
                );
                for f in fragments(args, fragment) {
                    s.push(
                        "response.function_call_arguments.delta",
                        &format!(
                            r#""item_id":"{fid}","output_index":{oi},"delta":{}"#,
                            quote(f)
                        ),
                    );
                }
                s.push(
                    "response.function_call_arguments.done",
                    &format!(
                        r#""item_id":"{fid}","output_index":{oi},"arguments":{}"#,
                        quote(args)
                    ),
                );
                s.item_done(oi, item("completed", args));
            }
        }
    }
    let usage = format!(
        r#","usage":{{"input_tokens":{p},"input_tokens_details":{{"cached_tokens":{c}}},"output_tokens":{o},"output_tokens_details":{{"reasoning_tokens":0}},"total_tokens":{t}}}"#,
        p = ctx.prompt_tokens,
        c = ctx.prompt_tokens / 2,
        o = (generated / 4).max(1),
        t = ctx.prompt_tokens + (generated / 4).max(1)
    );
    if finish == Some("length") {
        let r = s.response(
            "incomplete",
            &format!(r#","incomplete_details":{{"reason":"max_output_tokens"}}{usage}"#),
        );
        s.push("response.incomplete", &r);
    } else {
        let r = s.response("completed", &usage);
        s.push("response.completed", &r);
    }
    s.out
}

/// A `response.failed` event carrying `message`.
pub fn failed_event(message: &str) -> Vec<u8> {
    format!(
        "event: response.failed\ndata: {{\"type\":\"response.failed\",\"sequence_number\":2,\"response\":{{\"status\":\"failed\",\"error\":{{\"code\":\"server_error\",\"message\":{}}}}}}}\n\n",
        quote(message)
    )
    .into_bytes()
}

//! The Ollama dialect of the mock (`POST /api/chat`): newline-delimited
//! JSON, one object per line — content and thinking fragments, every tool
//! call of the turn whole in one line with `arguments` as an object, then
//! the `done: true` line with done_reason and the eval counts.

use super::json::quote;
use super::stream::{fragments, Ctx};
use super::Item;

fn line(ctx: &Ctx, message: &str, done: &str) -> Vec<u8> {
    format!(
        "{{\"model\":{},\"created_at\":\"2025-06-01T12:00:00.000000Z\",\"message\":{message},\"done\":{done}}}\n",
        ctx.model
    )
    .into_bytes()
}

/// A line carrying a piece of `content` or of `thinking`.
pub fn text_line(ctx: &Ctx, field: &str, text: &str) -> Vec<u8> {
    let msg = if field == "content" {
        format!(r#"{{"role":"assistant","content":{}}}"#, quote(text))
    } else {
        format!(
            r#"{{"role":"assistant","content":"","{field}":{}}}"#,
            quote(text)
        )
    };
    line(ctx, &msg, "false")
}

pub fn turn_events(
    ctx: &Ctx,
    items: &[Item],
    finish: Option<&str>,
    fragment: usize,
) -> Vec<Vec<u8>> {
    let mut ev = Vec::new();
    let mut generated = 0;
    let mut calls = Vec::new();
    for item in items {
        match item {
            Item::Thinking { text, .. } => {
                generated += text.chars().count();
                for f in fragments(text, fragment) {
                    ev.push(text_line(ctx, "thinking", f));
                }
            }
            Item::Text(text) => {
                generated += text.chars().count();
                for f in fragments(text, fragment) {
                    ev.push(text_line(ctx, "content", f));
                }
            }
            Item::Call { name, args } => {
                generated += name.len() + args.chars().count();
                calls.push(format!(
                    r#"{{"function":{{"name":{},"arguments":{args}}}}}"#,
                    quote(name)
                ));
            }
        }
    }
    if !calls.is_empty() {
        let msg = format!(
            r#"{{"role":"assistant","content":"","tool_calls":[{}]}}"#,
            calls.join(",")
        );
        ev.push(line(ctx, &msg, "false"));
    }
    let reason = match finish {
        Some("length") => "length",
        _ => "stop",
    };
    let done = format!(
        "true,\"done_reason\":\"{reason}\",\"total_duration\":4883583458,\"load_duration\":1334875,\
         \"prompt_eval_count\":{},\"prompt_eval_duration\":342546000,\"eval_count\":{},\"eval_duration\":4535599000",
        ctx.prompt_tokens,
        (generated / 4).max(1)
    );
    ev.push(line(ctx, r#"{"role":"assistant","content":""}"#, &done));
    ev
}

/// Ollama's error shape, in a body or as a line of the stream.
pub fn error_json(message: &str) -> String {
    format!(r#"{{"error":{}}}"#, quote(message))
}

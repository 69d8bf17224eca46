//! The Gemini dialect of the mock (`POST /v1beta/models/M:streamGenerateContent?alt=sse`):
//! every SSE event (CRLF-delimited, as Google sends them) is a whole
//! GenerateContentResponse. Thoughts are parts with `thought: true`; all
//! function calls of a turn arrive whole in one event, the first carrying
//! the `thoughtSignature`; the last event has finishReason and usageMetadata.

use super::json::quote;
use super::stream::{fragments, Ctx};
use super::Item;

fn event(parts: &str, tail: &str) -> Vec<u8> {
    format!("data: {{\"candidates\": [{{\"content\": {{\"parts\": [{parts}],\"role\": \"model\"}}{tail},\"index\": 0}}]}}\r\n\r\n")
        .into_bytes()
}

pub fn turn_events(
    ctx: &Ctx,
    items: &[Item],
    finish: Option<&str>,
    fragment: usize,
) -> Vec<Vec<u8>> {
    let mut ev = Vec::new();
    let mut generated = 0;
    let mut calls: Vec<String> = Vec::new();
    let mut signature = None;
    for item in items {
        match item {
            Item::Thinking {
                text,
                signature: sig,
            } => {
                generated += text.chars().count();
                signature.get_or_insert(sig.clone());
                for f in fragments(text, fragment) {
                    ev.push(event(
                        &format!("{{\"text\": {},\"thought\": true}}", quote(f)),
                        "",
                    ));
                }
            }
            Item::Text(text) => {
                generated += text.chars().count();
                for f in fragments(text, fragment) {
                    ev.push(event(&format!("{{\"text\": {}}}", quote(f)), ""));
                }
            }
            Item::Call { name, args } => {
                generated += name.len() + args.chars().count();
                let sig = match (calls.is_empty(), &signature) {
                    (true, Some(s)) => format!(",\"thoughtSignature\": {}", quote(s)),
                    _ => String::new(),
                };
                calls.push(format!(
                    "{{\"functionCall\": {{\"name\": {},\"args\": {args}}}{sig}}}",
                    quote(name)
                ));
            }
        }
    }
    if !calls.is_empty() {
        ev.push(event(&calls.join(","), ""));
    }
    let reason = if finish == Some("length") {
        "MAX_TOKENS"
    } else {
        "STOP"
    };
    let out = (generated / 4).max(1);
    let last = event(
        "{\"text\": \"\"}",
        &format!(",\"finishReason\": \"{reason}\""),
    );
    let mut last = String::from_utf8(last).unwrap_or_default();
    let usage = format!(
        ",\"usageMetadata\": {{\"promptTokenCount\": {p},\"candidatesTokenCount\": {out},\"totalTokenCount\": {t},\"cachedContentTokenCount\": {c},\"thoughtsTokenCount\": 0}},\"modelVersion\": {m},\"responseId\": \"mockresp\"}}\r\n\r\n",
        p = ctx.prompt_tokens,
        t = ctx.prompt_tokens + out,
        c = ctx.prompt_tokens / 2,
        m = ctx.model
    );
    last.truncate(last.len() - "}\r\n\r\n".len());
    last.push_str(&usage);
    ev.push(last.into_bytes());
    ev
}

/// Google's error shape.
pub fn error_json(code: u16, message: &str) -> String {
    let status = match code {
        400 => "INVALID_ARGUMENT",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    };
    format!(
        r#"{{"error":{{"code":{code},"message":{},"status":"{status}"}}}}"#,
        quote(message)
    )
}

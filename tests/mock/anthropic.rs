//! The Anthropic Messages dialect of the mock (`POST /v1/messages`): a turn
//! as the documented SSE event sequence — message_start, ping, one
//! content_block_start / _delta... / _stop per item (thinking with a
//! signature_delta, text_delta, tool_use with input_json_delta fragments),
//! message_delta with the stop reason and usage, message_stop — plus the
//! error event and the broken variants.

use super::json::quote;
use super::stream::{alnum, fragments, mix, Ctx};
use super::Item;

fn event(name: &str, data: &str) -> Vec<u8> {
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}

/// The script's finish names (OpenAI's) in Anthropic's words.
fn stop_reason(finish: Option<&str>, calls: bool) -> String {
    match finish {
        Some("length") => "max_tokens".into(),
        Some("stop") => "end_turn".into(),
        Some("tool_calls") => "tool_use".into(),
        Some(other) => other.into(),
        None if calls => "tool_use".into(),
        None => "end_turn".into(),
    }
}

pub fn message_start(ctx: &Ctx, cached: bool) -> Vec<u8> {
    let p = ctx.prompt_tokens;
    // With cache_control in the request, most of the prompt is "read from cache".
    let (read, write) = if cached { (p / 2, p / 4) } else { (0, 0) };
    event(
        "message_start",
        &format!(
            r#"{{"type":"message_start","message":{{"id":"msg_{}","type":"message","role":"assistant","content":[],"model":{},"stop_reason":null,"stop_sequence":null,"usage":{{"input_tokens":{},"cache_creation_input_tokens":{write},"cache_read_input_tokens":{read},"output_tokens":1}}}}}}"#,
            alnum(ctx.seed, 24),
            ctx.model,
            p - read - write
        ),
    )
}

pub fn text_block(index: usize, text: &str) -> Vec<u8> {
    event(
        "content_block_delta",
        &format!(
            r#"{{"type":"content_block_delta","index":{index},"delta":{{"type":"text_delta","text":{}}}}}"#,
            quote(text)
        ),
    )
}

pub fn turn_events(
    ctx: &Ctx,
    items: &[Item],
    finish: Option<&str>,
    fragment: usize,
    cached: bool,
) -> Vec<Vec<u8>> {
    let mut ev = vec![
        message_start(ctx, cached),
        event("ping", r#"{"type": "ping"}"#),
    ];
    let mut generated = 0;
    let mut calls = 0;
    for (index, item) in items.iter().enumerate() {
        let start = |block: &str| {
            event(
                "content_block_start",
                &format!(
                    r#"{{"type":"content_block_start","index":{index},"content_block":{block}}}"#
                ),
            )
        };
        let delta = |d: String| {
            event(
                "content_block_delta",
                &format!(r#"{{"type":"content_block_delta","index":{index},"delta":{d}}}"#),
            )
        };
        match item {
            Item::Thinking { text, signature } if text.is_empty() => {
                // Redacted thinking: opaque data, no deltas.
                ev.push(start(&format!(
                    r#"{{"type":"redacted_thinking","data":{}}}"#,
                    quote(signature)
                )));
            }
            Item::Thinking { text, signature } => {
                generated += text.chars().count();
                ev.push(start(r#"{"type":"thinking","thinking":"","signature":""}"#));
                for f in fragments(text, fragment) {
                    ev.push(delta(format!(
                        r#"{{"type":"thinking_delta","thinking":{}}}"#,
                        quote(f)
                    )));
                }
                ev.push(delta(format!(
                    r#"{{"type":"signature_delta","signature":{}}}"#,
                    quote(signature)
                )));
            }
            Item::Text(text) => {
                generated += text.chars().count();
                ev.push(start(r#"{"type":"text","text":""}"#));
                for f in fragments(text, fragment) {
                    ev.push(text_block(index, f));
                }
            }
            Item::Call { name, args } => {
                generated += name.len() + args.chars().count();
                let id = format!("toolu_{}", alnum(mix(ctx.seed ^ (calls as u64 + 1)), 24));
                ev.push(start(&format!(
                    r#"{{"type":"tool_use","id":"{id}","name":{},"input":{{}}}}"#,
                    quote(name)
                )));
                ev.push(delta(
                    r#"{"type":"input_json_delta","partial_json":""}"#.to_string(),
                ));
                for f in fragments(args, fragment) {
                    ev.push(delta(format!(
                        r#"{{"type":"input_json_delta","partial_json":{}}}"#,
                        quote(f)
                    )));
                }
                calls += 1;
            }
        }
        ev.push(event(
            "content_block_stop",
            &format!(r#"{{"type":"content_block_stop","index":{index}}}"#),
        ));
    }
    ev.push(event(
        "message_delta",
        &format!(
            r#"{{"type":"message_delta","delta":{{"stop_reason":{},"stop_sequence":null}},"usage":{{"output_tokens":{}}}}}"#,
            quote(&stop_reason(finish, calls > 0)),
            (generated / 4).max(1)
        ),
    ));
    ev.push(event("message_stop", r#"{"type":"message_stop"}"#));
    ev
}

/// An `error` event, as the API sends when it fails mid-stream.
pub fn error_event(kind: &str, message: &str) -> Vec<u8> {
    event(
        "error",
        &format!(
            r#"{{"type":"error","error":{{"type":{},"message":{}}}}}"#,
            quote(kind),
            quote(message)
        ),
    )
}

/// An Anthropic error body for a plain HTTP error.
pub fn error_json(code: u16, message: &str) -> String {
    let kind = match code {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    format!(
        r#"{{"type":"error","error":{{"type":"{kind}","message":{}}}}}"#,
        quote(message)
    )
}

/// Refuse a request the way the Messages API does (400 invalid_request_error):
/// `None` when the body is acceptable.
pub fn validate(body: &str) -> Option<String> {
    use super::json::{parse, Value};
    let v = parse(body).ok()?;
    let max = v.get("max_tokens").and_then(Value::as_f64);
    let Some(max) = max else {
        return Some("max_tokens: Field required".into());
    };
    if let Some(t) = v.get("thinking") {
        let budget = t
            .get("budget_tokens")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        if budget < 1024.0 || budget >= max {
            return Some("thinking.budget_tokens: must be >= 1024 and less than max_tokens".into());
        }
    }
    let msgs = v.get("messages").and_then(Value::as_array).unwrap_or(&[]);
    let empty = Vec::new();
    let blocks = |m: &Value| {
        m.get("content")
            .and_then(Value::as_array)
            .map(|b| b.to_vec())
            .unwrap_or_else(|| empty.clone())
    };
    let kind = |b: &Value| {
        b.get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    for (i, m) in msgs.iter().enumerate() {
        let content = blocks(m);
        if content.is_empty() {
            return Some(format!(
                "messages.{i}: all messages must have non-empty content"
            ));
        }
        for b in &content {
            match kind(b).as_str() {
                "text"
                    if b.get("text")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .is_empty() =>
                {
                    return Some(format!(
                        "messages.{i}: text content blocks must be non-empty"
                    ));
                }
                "thinking"
                    if b.get("signature")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .is_empty() =>
                {
                    return Some(format!(
                        "messages.{i}.content: thinking block is missing its signature"
                    ));
                }
                _ => {}
            }
        }
        let uses: Vec<&str> = content
            .iter()
            .filter(|b| kind(b) == "tool_use")
            .filter_map(|b| b.get("id").and_then(Value::as_str))
            .collect();
        if uses.is_empty() {
            continue;
        }
        let next = msgs.get(i + 1).map(blocks).unwrap_or_default();
        let results: Vec<&str> = next
            .iter()
            .take_while(|b| kind(b) == "tool_result")
            .filter_map(|b| b.get("tool_use_id").and_then(Value::as_str))
            .collect();
        if let Some(missing) = uses.iter().find(|id| !results.contains(id)) {
            return Some(format!(
                "messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately after: {missing}"
            ));
        }
    }
    None
}

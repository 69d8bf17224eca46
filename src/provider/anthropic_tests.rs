//! Tests of the Anthropic body writer and stream decoder.

use super::*;
use crate::arena::{Arena, Kind, Role};
use crate::provider::{Config, ToolSpec, Wire};

fn cfg(thinking: Thinking) -> Config {
    let base = crate::provider::test_util::config(Wire::Anthropic, "https://api.anthropic.com");
    Config {
        model: "claude".into(),
        max_tokens: 1000,
        name: "anthropic".into(),
        thinking,
        ..base
    }
}

fn decode(stream: &[u8], step: usize) -> (String, Result<(), String>) {
    crate::provider::test_util::decode(Wire::Anthropic, stream, step)
}

const STREAM: &str = concat!(
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":20,\"cache_read_input_tokens\":30,\"output_tokens\":1}}}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me \\u00e9\"}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAhIM+/=\"}}\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
    "event: ping\ndata: {\"type\": \"ping\"}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"ENC\"}}\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"read\",\"input\":{}}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n",
    "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"path\\\":\\\"a\\\"}\"}}\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":3}\n\n",
    "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":4,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_2\",\"name\":\"ls\",\"input\":{}}}\n\n",
    "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":4}\n\n",
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}\n\n",
    "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
);

#[test]
fn decodes_every_event_at_any_split() {
    let (whole, res) = decode(STREAM.as_bytes(), STREAM.len());
    res.unwrap();
    for want in [
        r#"Thinking("Let me é")"#,
        r#"Signature("EqQBCgIYAhIM+/=")"#,
        r#"Redacted("ENC")"#,
        r#"Text("Hi")"#,
        r#"Call { index: 0, id: "toolu_1", name: "read" }"#,
        r#"Args { index: 0, frag: "{\"path\":\"a\"}" }"#,
        r#"Call { index: 1, id: "toolu_2", name: "ls" }"#,
        r#"Finish("tool_use")"#,
        "Usage(Usage { input: 60, output: 42, cached: 30, cache_write: 20 })",
    ] {
        assert!(whole.contains(want), "{want} not in {whole}");
    }
    for step in [1, 2, 5, 13] {
        let (log, res) = decode(STREAM.as_bytes(), step);
        res.unwrap();
        assert_eq!(log, whole, "split every {step} bytes");
    }
}

#[test]
fn error_events_and_cut_streams_fail() {
    let err = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    let (_, r) = decode(err.as_bytes(), 7);
    assert_eq!(
        r.unwrap_err(),
        "error in stream: overloaded_error: Overloaded"
    );
    let cut = &STREAM[..STREAM.find("event: message_stop").unwrap()];
    assert!(decode(cut.as_bytes(), 9)
        .1
        .unwrap_err()
        .contains("ended before"));
    assert!(decode(b"event: ping\ndata: {\"type\":\n\n", 3)
        .1
        .unwrap_err()
        .starts_with("malformed stream"));
}

#[test]
fn body_groups_results_replays_thinking_and_marks_cache() {
    let mut a = Arena::new();
    a.user("fix");
    a.push(Role::Assistant, Kind::Thinking, "think");
    a.push(Role::Assistant, Kind::Signature, "SIG");
    a.push(Role::Assistant, Kind::Thinking, "cut off");
    a.push(Role::Assistant, Kind::Text, "");
    a.call("t1", "read", r#"{"path":"a"}"#);
    a.call("t2", "ls", "{broken");
    a.result("t1", "read", "x", false);
    a.result("t2", "ls", "bad", true);
    let c = cfg(Thinking::Low);
    let tools = [ToolSpec {
        name: "read",
        description: "d",
        params: r#"{"type":"object"}"#,
    }];
    let req = Request {
        cfg: &c,
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
            r#"{"model":"claude","max_tokens":6144,"stream":true,"thinking":{"type":"enabled","budget_tokens":2048},"#,
            r#""system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],"#,
            r#""tools":[{"name":"read","description":"d","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}],"#,
            r#""messages":[{"role":"user","content":[{"type":"text","text":"fix","cache_control":{"type":"ephemeral"}}]},"#,
            r#"{"role":"assistant","content":[{"type":"thinking","thinking":"think","signature":"SIG"},"#,
            r#"{"type":"tool_use","id":"t1","name":"read","input":{"path":"a"}},{"type":"tool_use","id":"t2","name":"ls","input":{}}]},"#,
            r#"{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"x"},"#,
            r#"{"type":"tool_result","tool_use_id":"t2","content":"bad","is_error":true,"cache_control":{"type":"ephemeral"}}]}]}"#
        )
    );
}

//! `--output-schema` in each wire's request body: the native field when the
//! request may answer, none in the compaction summary request (which must
//! answer in prose), and Anthropic's answer tool declared in both.

use super::test_util::config;
use super::{write_body, Request, ToolSpec, Wire};
use crate::arena::Arena;

const SCHEMA: &str = r#"{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"],"additionalProperties":false}"#;

fn body(wire: Wire, no_calls: bool) -> String {
    let mut cfg = config(wire, "http://127.0.0.1:1");
    cfg.schema = Some(SCHEMA.into());
    let mut arena = Arena::new();
    arena.user("check");
    let tools = [ToolSpec {
        name: "read",
        description: "Read.",
        params: r#"{"type":"object"}"#,
    }];
    let req = Request {
        cfg: &cfg,
        system: "s",
        arena: &arena,
        tools: &tools,
        no_calls,
    };
    let mut out = super::reqbody::ReqBody::new();
    write_body(&req, &mut out).unwrap();
    String::from_utf8(out.to_vec()).unwrap()
}

#[test]
fn each_wire_sends_the_schema_natively_but_not_in_the_summary_request() {
    let cases = [
        (Wire::OpenAiChat, format!(",\"response_format\":{{\"type\":\"json_schema\",\"json_schema\":{{\"name\":\"answer\",\"schema\":{SCHEMA},\"strict\":false}}}}")),
        (Wire::Responses, format!(",\"text\":{{\"format\":{{\"type\":\"json_schema\",\"name\":\"answer\",\"schema\":{SCHEMA},\"strict\":false}}}}")),
        (Wire::Ollama, format!(",\"format\":{SCHEMA}")),
        (Wire::Gemini, ",\"responseMimeType\":\"application/json\",\"responseSchema\":{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"]}".into()),
        (Wire::Anthropic, ",\"tool_choice\":{\"type\":\"any\"}".into()),
    ];
    for (wire, field) in cases {
        assert!(
            body(wire, false).contains(&field),
            "{wire:?}: {}",
            body(wire, false)
        );
        assert!(!body(wire, true).contains(&field), "{wire:?} summary");
    }
    let tool = format!(
        "{{\"name\":\"final_answer\",\"description\":\"{}\",\"input_schema\":{SCHEMA}",
        crate::schema::TOOL_DESCRIPTION
    );
    assert!(body(Wire::Anthropic, false).contains(&tool));
    let summary = body(Wire::Anthropic, true);
    assert!(summary.contains(&tool) && summary.contains("\"tool_choice\":{\"type\":\"none\"}"));
}

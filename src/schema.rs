//! `--output-schema FILE`: the JSON Schema a headless run's final answer
//! must match. This file owns loading the schema, the small local
//! validator (type, properties, required, items, enum,
//! additionalProperties), the answer as the forced tool Anthropic is given
//! (`TOOL`), and the retry prompt. Each wire writes the schema in its own
//! native form (src/provider/*.rs); main.rs asks once more on a mismatch.

use crate::json::value::{self, Value};

/// The tool an Anthropic model gives its final answer through.
pub const TOOL: &str = "final_answer";

/// The description of `TOOL`.
pub const TOOL_DESCRIPTION: &str =
    "Give your final answer through this tool once the task is done; its input is the answer.";

/// The schema file's JSON, compact; an error names the file.
pub fn load(path: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--output-schema {path}: {e}"))?;
    let v = value::parse(&text).map_err(|e| {
        let (line, col) = value::line_col(&text, e.offset);
        format!("--output-schema {path}:{line}:{col}: {}", e.msg)
    })?;
    if v.as_object().is_none() {
        return Err(format!(
            "--output-schema {path}: a JSON Schema is an object"
        ));
    }
    Ok(v.to_json())
}

/// Whether the schema's root is an object schema: Anthropic's tool input
/// must be an object, so anything else is wrapped as `{"value": …}`.
fn object_root(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("object")
}

/// The input schema of `TOOL` for `schema`.
pub fn tool_schema(schema: &str) -> String {
    match value::parse(schema) {
        Ok(v) if object_root(&v) => schema.to_string(),
        _ => format!(
            "{{\"type\":\"object\",\"properties\":{{\"value\":{schema}}},\"required\":[\"value\"],\"additionalProperties\":false}}"
        ),
    }
}

/// The answer in a `TOOL` call's arguments, unwrapped as `tool_schema` wrapped it.
pub fn from_tool(schema: &str, args: &str) -> String {
    let wrapped = !matches!(value::parse(schema), Ok(v) if object_root(&v));
    match value::parse(args) {
        Ok(v) if wrapped => v
            .get("value")
            .map_or_else(|| args.to_string(), Value::to_json),
        _ => args.to_string(),
    }
}

/// The answer parsed and checked against `schema`: the value as compact
/// JSON, or what is wrong with it. A fenced block (```json … ```) is
/// taken for what it holds.
pub fn check(schema: &str, answer: &str) -> Result<String, String> {
    let schema = value::parse(schema).map_err(|e| format!("the schema: {}", e.msg))?;
    let text = unfence(answer.trim());
    let v = value::parse(text).map_err(|e| format!("the answer is not JSON: {}", e.msg))?;
    let mut path = String::from("$");
    validate(&schema, &v, &mut path)?;
    Ok(v.to_json())
}

/// The text inside one fenced block that is the whole answer.
fn unfence(s: &str) -> &str {
    let Some(rest) = s.strip_prefix("```") else {
        return s;
    };
    let body = rest.split_once('\n').map_or("", |(_, b)| b);
    body.trim_end().strip_suffix("```").unwrap_or(s).trim()
}

/// What the model is told when its answer does not match.
pub fn retry_prompt(error: &str) -> String {
    format!(
        "Your final answer does not match the required JSON Schema: {error}. Reply with only the corrected JSON value."
    )
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Num(_) => "number",
        Value::Str(_) => "string",
        Value::Arr(_) => "array",
        Value::Obj(_) => "object",
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match (t, v) {
        ("integer", Value::Num(n)) => !n.contains(['.', 'e', 'E']),
        _ => type_name(v) == t,
    }
}

/// Check `v` against `schema` at `path` (`$.items[2].name`). Depth is
/// bounded by the JSON parser that built both.
fn validate(schema: &Value, v: &Value, path: &mut String) -> Result<(), String> {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::Str(t)) => vec![t.as_str()],
        Some(Value::Arr(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| is_type(v, t)) {
        return Err(format!(
            "{path}: expected {}, got {}",
            types.join(" or "),
            type_name(v)
        ));
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(v) {
            let list: Vec<String> = allowed.iter().map(Value::to_json).collect();
            return Err(format!(
                "{path}: {} is not one of {}",
                v.to_json(),
                list.join(", ")
            ));
        }
    }
    let len = path.len();
    if let Some(members) = v.as_object() {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
        {
            if !members.iter().any(|(k, _)| k == name) {
                return Err(format!("{path}: missing required property `{name}`"));
            }
        }
        let props = schema.get("properties");
        for (k, child) in members {
            let sub = match props.and_then(|p| p.get(k)) {
                Some(s) => s,
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        return Err(format!("{path}: property `{k}` is not allowed"))
                    }
                    Some(s @ Value::Obj(_)) => s,
                    _ => continue,
                },
            };
            path.push('.');
            path.push_str(k);
            validate(sub, child, path)?;
            path.truncate(len);
        }
    }
    if let (Some(items), Some(sub)) = (v.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            path.push_str(&format!("[{i}]"));
            validate(sub, item, path)?;
            path.truncate(len);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERDICT: &str = r#"{"type":"object","properties":{"verdict":{"enum":["pass","fail"]},"notes":{"type":"array","items":{"type":"string"}},"score":{"type":"integer"}},"required":["verdict"],"additionalProperties":false}"#;

    #[test]
    fn a_matching_answer_is_returned_compact() {
        let r = check(
            VERDICT,
            "{ \"verdict\": \"pass\", \"notes\": [\"ok\"], \"score\": 3 }",
        );
        assert_eq!(
            r.as_deref(),
            Ok(r#"{"verdict":"pass","notes":["ok"],"score":3}"#)
        );
        let fenced = check(VERDICT, "```json\n{\"verdict\":\"fail\"}\n```");
        assert_eq!(fenced.as_deref(), Ok(r#"{"verdict":"fail"}"#));
    }

    #[test]
    fn each_keyword_names_what_is_wrong_and_where() {
        let cases = [
            ("{}", "$: missing required property `verdict`"),
            (
                r#"{"verdict":"maybe"}"#,
                "$.verdict: \"maybe\" is not one of \"pass\", \"fail\"",
            ),
            (
                r#"{"verdict":"pass","extra":1}"#,
                "$: property `extra` is not allowed",
            ),
            (
                r#"{"verdict":"pass","notes":["a",2]}"#,
                "$.notes[1]: expected string, got number",
            ),
            (
                r#"{"verdict":"pass","score":2.5}"#,
                "$.score: expected integer, got number",
            ),
            ("[1]", "$: expected object, got array"),
        ];
        for (answer, want) in cases {
            assert_eq!(check(VERDICT, answer), Err(want.to_string()), "{answer}");
        }
        assert!(check(VERDICT, "looks good to me")
            .unwrap_err()
            .starts_with("the answer is not JSON"));
        // A list of types, and additionalProperties as a schema.
        let s = r#"{"type":["string","null"]}"#;
        assert!(check(s, "null").is_ok() && check(s, "1").is_err());
        let s = r#"{"type":"object","additionalProperties":{"type":"number"}}"#;
        assert!(check(s, r#"{"a":1}"#).is_ok());
        assert_eq!(
            check(s, r#"{"a":"x"}"#),
            Err("$.a: expected number, got string".into())
        );
    }

    #[test]
    fn a_non_object_schema_is_wrapped_for_the_tool_and_unwrapped_after() {
        let s = r#"{"type":"array","items":{"type":"string"}}"#;
        let t = tool_schema(s);
        assert!(t.starts_with("{\"type\":\"object\",\"properties\":{\"value\":{\"type\":\"array\""));
        assert_eq!(from_tool(s, r#"{"value":["a"]}"#), r#"["a"]"#);
        assert_eq!(tool_schema(VERDICT), VERDICT);
        assert_eq!(
            from_tool(VERDICT, r#"{"verdict":"pass"}"#),
            r#"{"verdict":"pass"}"#
        );
    }
}

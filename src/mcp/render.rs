//! A tools/call result as text for the model: text blocks as they are,
//! structuredContent as JSON, images, audio and resources noted by kind
//! and size rather than pasted, capped like every tool's output.

use crate::json::value::Value;
use crate::text::{head, MAX_BYTES, MAX_LINES};

/// `Ok(text)`, or `Err(text)` when the server set isError.
pub fn result(r: &Value) -> Result<String, String> {
    let mut parts: Vec<String> = Vec::new();
    for block in r.get("content").and_then(|c| c.as_array()).unwrap_or(&[]) {
        let str_of = |k: &str| block.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let part = match str_of("type") {
            "text" => str_of("text").to_string(),
            "image" | "audio" => {
                format!(
                    "[{} {}, {} bytes base64, not shown]",
                    str_of("type"),
                    str_of("mimeType"),
                    str_of("data").len()
                )
            }
            "resource" => {
                let res = block.get("resource");
                let get = |k: &str| res.and_then(|r| r.get(k)).and_then(|v| v.as_str());
                match get("text") {
                    Some(t) => format!("[resource {}]\n{t}", get("uri").unwrap_or("")),
                    None => format!(
                        "[resource {} (binary), not shown]",
                        get("uri").unwrap_or("")
                    ),
                }
            }
            "resource_link" => format!("[resource link {} {}]", str_of("uri"), str_of("name")),
            other => format!("[{other} content, not shown]"),
        };
        parts.push(part);
    }
    // Servers should repeat structured content as text; do not say it twice.
    if let (Some(sc), true) = (r.get("structuredContent"), parts.is_empty()) {
        parts.push(sc.to_json());
    }
    let text = parts.join("\n");
    let cut = head(&text, MAX_LINES, MAX_BYTES);
    let mut out = cut.text.to_string();
    if cut.cut {
        out.push_str(&format!(
            "\n[output cut to {} lines / {} bytes of {} bytes]",
            cut.lines,
            cut.text.len(),
            text.len()
        ));
    }
    if r.get("isError").and_then(|v| v.as_bool()) == Some(true) {
        return Err(if out.is_empty() {
            "the tool failed".into()
        } else {
            out
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::value::parse;

    #[test]
    fn renders_blocks_errors_and_caps() {
        let r = parse(r#"{"content":[{"type":"text","text":"hi"},{"type":"image","mimeType":"image/png","data":"AAAA"}],"structuredContent":{"n":1}}"#).unwrap();
        assert_eq!(
            result(&r).unwrap(),
            "hi\n[image image/png, 4 bytes base64, not shown]"
        );
        let r = parse(r#"{"content":[],"structuredContent":{"n":1}}"#).unwrap();
        assert_eq!(result(&r).unwrap(), "{\"n\":1}");
        let r =
            parse(r#"{"content":[{"type":"text","text":"no such file"}],"isError":true}"#).unwrap();
        assert_eq!(result(&r).unwrap_err(), "no such file");
        let big = format!(
            r#"{{"content":[{{"type":"text","text":"{}"}}]}}"#,
            "x\\n".repeat(5000)
        );
        let out = result(&parse(&big).unwrap()).unwrap();
        assert!(
            out.len() < MAX_BYTES + 200 && out.ends_with("of 10000 bytes]"),
            "{}",
            &out[out.len() - 80..]
        );
    }
}

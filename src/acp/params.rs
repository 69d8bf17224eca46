//! Reading the params of ACP requests: typed look-ups that turn a missing
//! or mistyped field into one `Invalid params` message naming the field,
//! and the request shapes mote takes in (`session/new`'s cwd and MCP
//! servers, a prompt's content blocks). Nothing here panics on what an
//! editor sends.

use std::path::PathBuf;

use crate::json::value::Value;
use crate::mcp::config::{Launch, Server, DEFAULT_CALL_TIMEOUT};

/// The params object, or an error if it is something else.
pub fn object(p: Option<&Value>) -> Result<&Value, String> {
    match p {
        Some(v @ Value::Obj(_)) => Ok(v),
        Some(_) => Err("params must be an object".into()),
        None => Err("params are missing".into()),
    }
}

pub fn str_field<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    match v.get(key) {
        Some(Value::Str(s)) => Ok(s),
        Some(_) => Err(format!("`{key}` must be a string")),
        None => Err(format!("`{key}` is missing")),
    }
}

/// An optional array field: absent and `null` are empty.
pub fn array_field<'a>(v: &'a Value, key: &str) -> Result<&'a [Value], String> {
    match v.get(key) {
        Some(Value::Arr(a)) => Ok(a),
        Some(Value::Null) | None => Ok(&[]),
        Some(_) => Err(format!("`{key}` must be an array")),
    }
}

/// An absolute directory path field (ACP's `cwd`).
pub fn abs_dir(v: &Value, key: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(str_field(v, key)?);
    if !p.is_absolute() {
        return Err(format!("`{key}` must be an absolute path"));
    }
    if !p.is_dir() {
        return Err(format!("`{key}` {} is not a directory", p.display()));
    }
    Ok(p)
}

/// `[{name, value}]`, ACP's shape for environment variables and headers.
fn pairs(v: &Value, key: &str) -> Result<Vec<(String, String)>, String> {
    array_field(v, key)?
        .iter()
        .map(|p| {
            let name = str_field(p, "name").map_err(|e| format!("{key}: {e}"))?;
            let value = str_field(p, "value").map_err(|e| format!("{key}: {e}"))?;
            Ok((name.to_string(), value.to_string()))
        })
        .collect()
}

/// The MCP servers of `session/new` or `session/load`: stdio ones
/// (`command`, `args`, `env`) and http ones (`type: "http"`, `url`,
/// `headers`). SSE servers are refused (mote does not speak that transport).
pub fn mcp_servers(v: &Value) -> Result<Vec<Server>, String> {
    let mut out = Vec::new();
    for (i, s) in array_field(v, "mcpServers")?.iter().enumerate() {
        let at = |e: String| format!("mcpServers[{i}]: {e}");
        let name = str_field(s, "name").map_err(at)?;
        let launch = match s.get("type").and_then(|t| t.as_str()) {
            Some("http") => Launch::Http {
                url: str_field(s, "url").map_err(at)?.to_string(),
                headers: pairs(s, "headers").map_err(at)?,
            },
            Some(other) if other != "stdio" => {
                return Err(at(format!("transport `{other}` is not supported")))
            }
            _ => Launch::Stdio {
                command: str_field(s, "command").map_err(at)?.to_string(),
                args: array_field(s, "args")
                    .map_err(at)?
                    .iter()
                    .map(|a| a.as_str().map(String::from))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| at("`args` must hold strings".into()))?,
                env: pairs(s, "env").map_err(at)?,
                cwd: None,
            },
        };
        out.push(Server {
            name: name.to_string(),
            launch,
            timeout: DEFAULT_CALL_TIMEOUT,
            startup_timeout: crate::mcp::config::DEFAULT_STARTUP_TIMEOUT,
        });
    }
    Ok(out)
}

/// A prompt's content blocks as the user message: text as is, a resource
/// link as a line naming it, an embedded text resource (a file attached
/// in the editor) quoted with its URI. Images and audio are refused: the
/// initialize answer says mote does not take them.
pub fn prompt_text(v: &Value) -> Result<String, String> {
    let blocks = match v.get("prompt") {
        Some(Value::Arr(a)) => a,
        Some(_) => return Err("`prompt` must be an array of content blocks".into()),
        None => return Err("`prompt` is missing".into()),
    };
    let mut text = String::new();
    for (i, b) in blocks.iter().enumerate() {
        let at = |e: String| format!("prompt[{i}]: {e}");
        let sep = |t: &mut String| {
            if !t.is_empty() && !t.ends_with('\n') {
                t.push('\n');
            }
        };
        match str_field(b, "type").map_err(at)? {
            "text" => text.push_str(str_field(b, "text").map_err(at)?),
            "resource_link" => {
                sep(&mut text);
                let uri = str_field(b, "uri").map_err(at)?;
                text.push_str(&format!("[file: {}]\n", uri_path(uri)));
            }
            "resource" => {
                let r = b
                    .get("resource")
                    .ok_or_else(|| at("`resource` is missing".into()))?;
                let uri = str_field(r, "uri").map_err(at)?;
                let body = str_field(r, "text")
                    .map_err(|_| at("only text resources are supported".into()))?;
                sep(&mut text);
                text.push_str(&format!("<file path=\"{}\">\n{body}", uri_path(uri)));
                sep(&mut text);
                text.push_str("</file>\n");
            }
            other => return Err(at(format!("content type `{other}` is not supported"))),
        }
    }
    Ok(text)
}

/// `file:///a/b` → `/a/b`; other URIs as they are.
fn uri_path(uri: &str) -> &str {
    uri.strip_prefix("file://").unwrap_or(uri)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::value::parse;

    #[test]
    fn mcp_servers_in_acp_shape() {
        let v = parse(
            r#"{"mcpServers":[{"name":"a","command":"/bin/x","args":["-v"],"env":[{"name":"K","value":"V"}]},
                {"type":"http","name":"b","url":"http://127.0.0.1:1/mcp","headers":[{"name":"H","value":"1"}]}]}"#,
        )
        .unwrap();
        let s = mcp_servers(&v).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].launch,
            Launch::Stdio {
                command: "/bin/x".into(),
                args: vec!["-v".into()],
                env: vec![("K".into(), "V".into())],
                cwd: None
            }
        );
        assert!(
            matches!(&s[1].launch, Launch::Http { url, headers } if url.ends_with("/mcp") && headers.len() == 1)
        );
        let bad = parse(r#"{"mcpServers":[{"name":"a","command":1}]}"#).unwrap();
        assert_eq!(
            mcp_servers(&bad).unwrap_err(),
            "mcpServers[0]: `command` must be a string"
        );
        let sse =
            parse(r#"{"mcpServers":[{"type":"sse","name":"a","url":"u","headers":[]}]}"#).unwrap();
        assert!(mcp_servers(&sse)
            .unwrap_err()
            .contains("`sse` is not supported"));
        // An explicit stdio type is the default one.
        let stdio =
            parse(r#"{"mcpServers":[{"type":"stdio","name":"a","command":"/bin/x"}]}"#).unwrap();
        assert!(matches!(
            &mcp_servers(&stdio).unwrap()[0].launch,
            Launch::Stdio { command, args, env, .. } if command == "/bin/x" && args.is_empty() && env.is_empty()
        ));
    }

    #[test]
    fn cwd_must_be_an_absolute_directory() {
        let dir = std::env::temp_dir().join(format!("mote-acp-cwd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        std::fs::write(&file, "x").unwrap();
        let cwd = |p: &str| abs_dir(&parse(&format!(r#"{{"cwd":"{p}"}}"#)).unwrap(), "cwd");
        assert_eq!(cwd(&dir.to_string_lossy()), Ok(dir.clone()));
        assert_eq!(
            cwd("rel/dir").unwrap_err(),
            "`cwd` must be an absolute path"
        );
        assert_eq!(
            cwd(&file.to_string_lossy()).unwrap_err(),
            format!("`cwd` {} is not a directory", file.display())
        );
        assert_eq!(
            abs_dir(&parse(r#"{"cwd":1}"#).unwrap(), "cwd").unwrap_err(),
            "`cwd` must be a string"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn prompt_blocks_become_one_message() {
        let v = parse(
            r#"{"prompt":[{"type":"text","text":"fix it"},{"type":"resource_link","uri":"file:///w/a.rs","name":"a.rs"},
                {"type":"resource","resource":{"uri":"file:///w/b.rs","text":"fn b() {}"}}]}"#,
        )
        .unwrap();
        assert_eq!(
            prompt_text(&v).unwrap(),
            "fix it\n[file: /w/a.rs]\n<file path=\"/w/b.rs\">\nfn b() {}\n</file>\n"
        );
        let img =
            parse(r#"{"prompt":[{"type":"image","data":"","mimeType":"image/png"}]}"#).unwrap();
        assert_eq!(
            prompt_text(&img).unwrap_err(),
            "prompt[0]: content type `image` is not supported"
        );
        assert!(prompt_text(&parse(r#"{"prompt":"hi"}"#).unwrap()).is_err());
    }
}

//! Which MCP servers to run: the ecosystem's `mcpServers` shape, read from
//! config.json (user and project, already merged), the project's `.mcp.json`
//! and `--mcp-config FILE`, later sources overriding earlier ones by name.
//! `${VAR}` and `${VAR:-default}` are expanded from the environment in
//! command, args, env, cwd, url and headers, so tokens stay out of files.

use std::path::{Path, PathBuf};

use crate::json::value::{self, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Launch {
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
        cwd: Option<PathBuf>,
    },
    Http {
        url: String,
        headers: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub name: String,
    pub launch: Launch,
    /// Seconds to wait for one tool call.
    pub timeout: u64,
    /// Seconds the server may take to start and list its tools.
    pub startup_timeout: u64,
}

pub const DEFAULT_CALL_TIMEOUT: u64 = 120;
pub const DEFAULT_STARTUP_TIMEOUT: u64 = 10;

/// Gather the `mcpServers` objects in order of precedence (lowest first)
/// and build the server list; the project's `.mcp.json` only if `trusted`
/// (src/trust.rs). Errors name the source.
pub fn servers(
    from_config: Option<&Value>,
    workspace: &Path,
    trusted: bool,
    extra_file: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<Server>, Vec<String>), String> {
    let mut merged: Vec<(String, Value, String)> = Vec::new();
    let mut add = |v: &Value, source: &str| -> Result<(), String> {
        let m = v
            .as_object()
            .ok_or_else(|| format!("{source}: `mcpServers` must be an object"))?;
        for (k, v) in m {
            merged.retain(|(n, _, _)| n != k);
            merged.push((k.clone(), v.clone(), source.to_string()));
        }
        Ok(())
    };
    if let Some(v) = from_config {
        add(v, "config.json")?;
    }
    let project = workspace.join(".mcp.json");
    let found = match trusted {
        true => read_file(&project, false)?,
        false => None,
    };
    if let Some(v) = found {
        if let Some(m) = v.get("mcpServers") {
            add(m, &project.display().to_string())?;
        }
    }
    if let Some(f) = extra_file {
        let p = Path::new(f);
        let v = read_file(p, true)?.unwrap_or(Value::Null);
        let m = v
            .get("mcpServers")
            .ok_or_else(|| format!("{f}: no `mcpServers` object"))?;
        add(m, f)?;
    }
    let mut warnings = Vec::new();
    let mut out = Vec::new();
    for (name, v, source) in merged {
        out.push(
            server(&name, &v, env, &mut warnings)
                .map_err(|e| format!("{source}: mcpServers.{name}: {e}"))?,
        );
    }
    Ok((out, warnings))
}

fn read_file(path: &Path, must_exist: bool) -> Result<Option<Value>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    value::parse(&text).map(Some).map_err(|e| {
        let (line, col) = value::line_col(&text, e.offset);
        format!("{}:{line}:{col}: {}", path.display(), e.msg)
    })
}

fn server(
    name: &str,
    v: &Value,
    env: &dyn Fn(&str) -> Option<String>,
    warn: &mut Vec<String>,
) -> Result<Server, String> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("server names may hold only letters, digits, `-` and `_`".into());
    }
    if v.as_object().is_none() {
        return Err("must be an object".into());
    }
    let f = Fields(v);
    let mut x = |s: &str| expand(s, env, warn);
    let timeout = f.seconds("timeout", DEFAULT_CALL_TIMEOUT)?;
    let startup_timeout = f.seconds("startup_timeout", DEFAULT_STARTUP_TIMEOUT)?;
    let launch = match (f.str("type")?, f.str("url")?, f.str("command")?) {
        (Some("http") | Some("streamable-http") | None, Some(url), None) => {
            let mut headers: Vec<(String, String)> = f
                .pairs("headers")?
                .into_iter()
                .map(|(k, v)| (k, x(&v)))
                .collect();
            if let Some(var) = f.str("bearer_token_env_var")? {
                let t = x(&format!("${{{var}}}"));
                if !t.is_empty() {
                    headers.push(("Authorization".into(), format!("Bearer {t}")));
                }
            }
            let url = x(url);
            crate::http::Url::parse(&url)?;
            Launch::Http { url, headers }
        }
        (Some("stdio") | None, None, Some(cmd)) => {
            // Expanded in this order, so warnings come in it.
            let args = f.strings("args")?.iter().map(|a| x(a)).collect();
            let env = f
                .pairs("env")?
                .into_iter()
                .map(|(k, v)| (k, x(&v)))
                .collect();
            let cwd = f.str("cwd")?.map(|c| PathBuf::from(x(c)));
            Launch::Stdio {
                command: x(cmd),
                args,
                env,
                cwd,
            }
        }
        (Some(t), _, _) if !matches!(t, "http" | "streamable-http" | "stdio") => {
            return Err(format!("unknown type `{t}` (expected stdio or http)"))
        }
        _ => return Err("needs either `command` (stdio) or `url` (http)".into()),
    };
    Ok(Server {
        name: name.to_string(),
        launch,
        timeout,
        startup_timeout,
    })
}

/// A server entry's fields, each checked for its type.
struct Fields<'a>(&'a Value);

impl<'a> Fields<'a> {
    fn str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(format!("`{key}` must be a string")),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<&'a str>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Arr(a)) => a
                .iter()
                .map(|s| s.as_str().ok_or(format!("`{key}` must be strings")))
                .collect(),
            Some(_) => Err(format!("`{key}` must be an array of strings")),
        }
    }

    fn pairs(&self, key: &str) -> Result<Vec<(String, String)>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Obj(m)) => m
                .iter()
                .map(|(k, v)| {
                    v.as_str()
                        .map(|s| (k.clone(), s.to_string()))
                        .ok_or(format!("`{key}.{k}` must be a string"))
                })
                .collect(),
            Some(_) => Err(format!("`{key}` must be an object of strings")),
        }
    }

    fn seconds(&self, key: &str, default: u64) -> Result<u64, String> {
        match self.0.get(key) {
            None => Ok(default),
            Some(t) => t
                .as_u64()
                .filter(|&t| t > 0)
                .ok_or(format!("`{key}` must be a number of seconds")),
        }
    }
}

/// Expand `${VAR}` and `${VAR:-default}`; an unset variable without a
/// default becomes empty, with a warning.
pub fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>, warn: &mut Vec<String>) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = &after[..end];
        let (var, default) = match inner.split_once(":-") {
            Some((v, d)) => (v, Some(d)),
            None => (inner, None),
        };
        match (env(var).filter(|v| !v.is_empty()), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => warn.push(format!("${{{var}}} is not set; it expands to nothing")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_variables() {
        let env = |k: &str| (k == "TOK").then(|| "s3cret".to_string());
        let mut w = Vec::new();
        assert_eq!(expand("Bearer ${TOK}", &env, &mut w), "Bearer s3cret");
        assert_eq!(expand("${NOPE:-dflt}/x ${", &env, &mut w), "dflt/x ${");
        assert!(w.is_empty());
        assert_eq!(expand("a${NOPE}b", &env, &mut w), "ab");
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn sources_merge_and_shapes_are_checked() {
        let d = std::env::temp_dir().join(format!("mote-mcpcfg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join(".mcp.json"),
            r#"{"mcpServers":{"a":{"command":"x","args":["${HOME_X}"],"env":{"K":"${TOK}"}},"web":{"type":"http","url":"http://127.0.0.1:9/mcp","headers":{"Authorization":"Bearer ${TOK}"}}}}"#,
        )
        .unwrap();
        let conf =
            value::parse(r#"{"a":{"command":"old"},"b":{"command":"y","timeout":5}}"#).unwrap();
        let env = |k: &str| (k == "TOK").then(|| "t".to_string());
        let (s, warns) = servers(Some(&conf), &d, true, None, &env).unwrap();
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "web"]);
        assert_eq!(s[0].timeout, 5);
        match &s[1].launch {
            Launch::Stdio { command, env, .. } => {
                assert_eq!((command.as_str(), env[0].1.as_str()), ("x", "t"))
            }
            l => panic!("{l:?}"),
        }
        assert_eq!(
            s[2].launch,
            Launch::Http {
                url: "http://127.0.0.1:9/mcp".into(),
                headers: vec![("Authorization".into(), "Bearer t".into())]
            }
        );
        assert_eq!(warns.len(), 1, "{warns:?}");
        let bad = value::parse(r#"{"c":{"type":"ws","url":"x"}}"#).unwrap();
        let e = servers(Some(&bad), &d, true, None, &env).unwrap_err();
        assert!(e.contains("mcpServers.c: unknown type `ws`"), "{e}");
        let e = servers(None, &d, true, Some("/nonexistent/m.json"), &env).unwrap_err();
        assert!(e.starts_with("/nonexistent/m.json: "), "{e}");
    }
}

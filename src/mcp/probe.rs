//! `mote mcp ...`: try servers without a model. `list` connects and prints
//! each server's tools; `call SERVER TOOL [JSON]` runs one tool and prints
//! its result (exit 1 when the tool reports an error); `conformance URL` is
//! the client the official conformance runner drives: connect over HTTP,
//! call every tool with sample arguments, accept elicitations with the
//! schema's defaults. Wrong words, or no such server configured, exit 2.

use std::path::Path;

use super::client::{Client, Elicit};
use super::config::{self, Launch, Server};
use super::rpc::obj;
use crate::json::value::Value;

pub const USAGE: &str = "usage: mote mcp [--mcp-config FILE] [-v] list [SERVER]\n       mote mcp [--mcp-config FILE] [-v] call SERVER TOOL [JSON]\n       mote mcp conformance URL";

/// The usage as one line, for an error.
fn usage() -> (u8, String) {
    let forms: Vec<&str> = USAGE
        .lines()
        .map(|l| l.trim().trim_start_matches("usage:").trim())
        .collect();
    (2, format!("usage: {}", forms.join(" | ")))
}

/// Run the probe; the exit code and, on failure, the code (2: usage or
/// configuration, 1: a server failed) and a one-line message.
pub fn main(args: &[String], conf: Option<&Value>, workspace: &Path) -> Result<u8, (u8, String)> {
    let bad = |e: String| (2u8, e);
    let env = |k: &str| crate::secrets::env(k);
    let mut file: Option<&str> = None;
    let mut verbose = false;
    let mut rest: Vec<&str> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--mcp-config" => {
                file = Some(
                    it.next()
                        .ok_or((2, "--mcp-config needs a FILE".to_string()))?,
                )
            }
            "-v" | "--verbose" => verbose = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(0);
            }
            _ => rest.push(a),
        }
    }
    let mut policy = super::policy(workspace.to_path_buf(), verbose);
    if let ["conformance", url] = rest.as_slice() {
        policy.elicit = Elicit::AcceptDefaults;
        return conformance(url, &policy);
    }
    let (servers, warnings) = config::servers(conf, workspace, true, file, &env).map_err(bad)?;
    for w in warnings {
        eprintln!("mote: warning: {w}");
    }
    let find = |name: &str| {
        servers
            .iter()
            .find(|s| s.name == name)
            .ok_or((2, format!("no MCP server `{name}` is configured")))
    };
    match rest.as_slice() {
        ["list"] | ["list", _] => {
            let pick: Vec<&Server> = match rest.get(1) {
                Some(n) => vec![find(n)?],
                None => servers.iter().collect(),
            };
            if pick.is_empty() {
                return Err(bad(
                    "no MCP servers are configured (mcpServers in config.json or .mcp.json)".into(),
                ));
            }
            Ok(list(&pick, &policy))
        }
        ["call", server, tool] | ["call", server, tool, _] => {
            let args = match rest.get(3) {
                Some(j) => crate::json::value::parse(j)
                    .map_err(|e| bad(format!("bad JSON arguments: {}", e.msg)))?,
                None => obj(vec![]),
            };
            call(find(server)?, tool, args, &policy)
        }
        _ => Err(usage()),
    }
}

/// `conformance URL`: connect over HTTP and call every tool with sample
/// arguments; 1 when a call failed.
fn conformance(url: &str, policy: &super::Policy) -> Result<u8, (u8, String)> {
    let server = Server {
        name: "conformance".into(),
        launch: Launch::Http {
            url: url.to_string(),
            headers: Vec::new(),
        },
        timeout: 30,
        startup_timeout: 30,
    };
    let mut c = Client::connect(&server, policy, None).map_err(|e| (1, e))?;
    let calls: Vec<(String, Value)> = c
        .tools
        .iter()
        .map(|t| (t.name.clone(), sample_args(&t.schema)))
        .collect();
    let mut failed = false;
    for (name, args) in calls {
        match c.call(&name, args) {
            Ok(r) => println!(
                "{name}: {}",
                super::render::result(&r).unwrap_or_else(|e| e)
            ),
            Err(e) => {
                failed = true;
                eprintln!("mote: {name}: {e}");
            }
        }
    }
    c.close();
    Ok(failed as u8)
}

/// `list [SERVER]`: each server's tools; 1 when one could not start.
fn list(pick: &[&Server], policy: &super::Policy) -> u8 {
    let mut code = 0;
    for s in pick {
        match Client::connect(s, policy, super::log_file(&s.name)) {
            Ok(mut c) => {
                println!("{} (MCP {}): {} tools", s.name, c.protocol, c.tools.len());
                for t in &c.tools {
                    let first = t.description.lines().next().unwrap_or("");
                    println!("  {}  {first}", super::tool_name(&s.name, &t.name));
                }
                c.close();
            }
            Err(e) => {
                println!("{}: not available: {e}", s.name);
                code = 1;
            }
        }
    }
    code
}

/// `call SERVER TOOL [JSON]`: the tool's result; exit 1 when it reports an
/// error.
fn call(s: &Server, tool: &str, args: Value, policy: &super::Policy) -> Result<u8, (u8, String)> {
    let failed = |e: String| (1u8, e);
    let mut c = Client::connect(s, policy, super::log_file(&s.name)).map_err(failed)?;
    let r = c.call(tool, args);
    c.close();
    match super::render::result(&r.map_err(failed)?) {
        Ok(text) => {
            print_line(&text);
            Ok(0)
        }
        Err(text) => {
            print_line(&text);
            Err(failed(format!("`{tool}` reported an error")))
        }
    }
}

fn print_line(text: &str) {
    if text.ends_with('\n') {
        print!("{text}");
    } else {
        println!("{text}");
    }
}

/// Arguments for a tool from its schema: each required property gets a
/// plain value of its type.
fn sample_args(schema: &str) -> Value {
    let s = crate::json::value::parse(schema).unwrap_or(Value::Null);
    let required: Vec<&str> = s
        .get("required")
        .and_then(|r| r.as_array())
        .unwrap_or(&[])
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let props = s
        .get("properties")
        .and_then(|p| p.as_object())
        .unwrap_or(&[]);
    let mut out = Vec::new();
    for (k, p) in props {
        if !required.contains(&k.as_str()) {
            continue;
        }
        let v = match p.get("type").and_then(|t| t.as_str()).unwrap_or("string") {
            "number" | "integer" => Value::Num("1".into()),
            "boolean" => Value::Bool(true),
            "object" => Value::Obj(Vec::new()),
            "array" => Value::Arr(Vec::new()),
            _ => Value::Str("test".into()),
        };
        out.push((k.clone(), v));
    }
    Value::Obj(out)
}

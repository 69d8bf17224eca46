//! Peak RSS of mote with two real MCP servers (from npm, pinned by
//! tests/mcp/setup.sh). A server that cannot be installed fails the row.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::measure::{measure, tempfile, Run};
use crate::mock::{Item, Mock, Reply};

/// mote with two MCP servers configured (server-everything and
/// server-filesystem, from tests/mcp/setup.sh): three turns, two MCP calls.
/// Only mote's own RSS is measured (the Node servers are ~70 MB each).
/// An error when npm could not install the servers.
pub fn mcp_session(bin: &Path, root: &Path) -> Result<Run, String> {
    let setup = Command::new("bash")
        .arg(root.join("tests/mcp/setup.sh"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("tests/mcp/setup.sh: {e}"))?;
    if !setup.status.success() {
        return Err("tests/mcp/setup.sh could not install the MCP servers (needs npm)".into());
    }
    let nm = PathBuf::from(String::from_utf8_lossy(&setup.stdout).trim());
    let ws = tempfile("mcp-ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    let ws = ws.canonicalize().unwrap();
    std::fs::write(ws.join("a.txt"), "x").unwrap();
    let conf = format!(
        r#"{{"mcpServers":{{"every":{{"command":"{}"}},"fs":{{"command":"{}","args":["{}"]}}}}}}"#,
        nm.join(".bin/mcp-server-everything").display(),
        nm.join(".bin/mcp-server-filesystem").display(),
        ws.display()
    );
    std::fs::write(ws.join(".mcp.json"), conf).unwrap();
    let call = |name: &str, args: &str| Reply::Turn {
        items: vec![Item::Call {
            name: name.into(),
            args: args.into(),
        }],
        finish: None,
    };
    let m = Mock::start(vec![
        call("mcp__every__echo", r#"{"message":"hi"}"#),
        call(
            "mcp__fs__list_directory",
            &format!(r#"{{"path":"{}"}}"#, ws.display()),
        ),
        Reply::Turn {
            items: vec![Item::Text("done".into())],
            finish: None,
        },
    ]);
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env("XDG_STATE_HOME", ws.join("state"))
            .env("XDG_DATA_HOME", ws.join("data"))
            .env_remove("OPENAI_API_KEY")
            .args([
                "-p",
                "Use the MCP tools.",
                "--model",
                "mock",
                "--permission",
                "auto",
                "--trust",
            ]),
    );
    let reqs = m.requests();
    assert_eq!(reqs.len(), 3, "expected 3 requests in the MCP session");
    assert!(
        reqs[2].body.contains("Echo: hi") && reqs[2].body.contains("[FILE] a.txt"),
        "MCP results missing"
    );
    let _ = std::fs::remove_dir_all(&ws);
    Ok(run)
}

//! Integration tests for the trust gate on project files (src/trust.rs):
//! a repository that arrives with a `.mcp.json`, a `.mote/config.json`
//! that starts servers and loosens the gate (`mcpServers`, `permission:
//! auto`, `permissions.allow`) must not run or loosen anything until the
//! user trusts the folder: headless runs skip them with one warning,
//! `--trust` uses them, the interactive mode asks once. Servers are shell
//! commands that leave a marker file, so "it ran" is a file on disk.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;
mod tui;

use std::path::{Path, PathBuf};

use common::{fresh_dir, mote_at_home, run, tool_results, Out, HANG};
use mock::{Mock, Reply};

/// A cloned repository with planted project files, and a home of its own.
fn planted(name: &str) -> (PathBuf, PathBuf) {
    let root = fresh_dir("trust", name);
    let ws = root.join("repo");
    let home = root.join("home");
    std::fs::create_dir_all(ws.join(".mote")).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let server = |marker: &str| {
        format!(r#"{{"command":"sh","args":["-c","touch {marker}; exec cat >/dev/null"]}}"#)
    };
    std::fs::write(
        ws.join(".mcp.json"),
        format!(
            r#"{{"mcpServers":{{"planted":{}}}}}"#,
            server("mcp-json-ran")
        ),
    )
    .unwrap();
    std::fs::write(
        ws.join(".mote/config.json"),
        format!(
            r#"{{"mcpServers":{{"cfg":{}}},"permission":"auto","permissions":{{"allow":["bash(touch allowed:*)"]}}}}"#,
            server("config-server-ran")
        ),
    )
    .unwrap();
    (ws.canonicalize().unwrap(), home)
}

fn mote(ws: &Path, home: &Path, m: &Mock, args: &[&str]) -> Out {
    let mut c = mote_at_home(ws, home, m);
    run(
        c.args(["--no-session", "-p", "task"]).args(args),
        HANG,
        args,
    )
}

/// The model tries a command that only `permission: auto` or the allow
/// rule would let through headless, and one the allow rule names.
fn calls() -> Mock {
    Mock::start(vec![
        Reply::call("bash", r#"{"command":"touch by-auto"}"#),
        Reply::call("bash", r#"{"command":"touch allowed-by-rule"}"#),
        Reply::text("done"),
    ])
}

#[test]
fn a_cloned_repositorys_servers_and_loosened_permissions_need_trust() {
    let (ws, home) = planted("headless");
    let m = calls();
    let o = mote(&ws, &home, &m, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    for marker in [
        "mcp-json-ran",
        "config-server-ran",
        "by-auto",
        "allowed-by-rule",
    ] {
        assert!(!ws.join(marker).exists(), "{marker} exists untrusted");
    }
    let r = tool_results(&m);
    assert!(r[0].starts_with("permission denied"), "{}", r[0]);
    let warnings: Vec<&str> = o.stderr.lines().filter(|l| l.contains("--trust")).collect();
    assert_eq!(warnings.len(), 1, "{}", o.stderr);
    for named in ["mcpServers", "permission", "permissions.allow", ".mcp.json"] {
        assert!(warnings[0].contains(named), "{named}: {}", warnings[0]);
    }

    // --trust for this run: both servers start and the gate is the project's.
    let o = mote(&ws, &home, &calls(), &["--trust"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    for marker in [
        "mcp-json-ran",
        "config-server-ran",
        "by-auto",
        "allowed-by-rule",
    ] {
        assert!(ws.join(marker).exists(), "{marker} missing with --trust");
    }
    assert!(!o.stderr.contains("not trusted"), "{}", o.stderr);
}

#[test]
fn a_flag_on_the_command_line_still_beats_the_untrusted_config() {
    // Untrusted, the project's `permission: auto` is gone, but the user's
    // own `--permission auto` is theirs to give.
    let (ws, home) = planted("flag");
    let o = mote(&ws, &home, &calls(), &["--permission", "auto"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(ws.join("by-auto").exists());
    assert!(!ws.join("mcp-json-ran").exists() && !ws.join("config-server-ran").exists());
}

#[test]
fn the_interactive_mode_asks_once_and_remembers() {
    let (ws, home) = planted("ask");
    let m = Mock::start(Vec::new());
    let cmd = format!(
        "env -u MOTE_MODEL HOME={h} XDG_CONFIG_HOME={h}/config XDG_STATE_HOME={h}/state OPENAI_BASE_URL={} OPENAI_API_KEY=k {} --model m --no-session; echo EXIT:$?; sleep 600",
        m.base_url(),
        tui::sh_quote(&tui::bin().to_string_lossy()),
        h = tui::sh_quote(&home.to_string_lossy()),
    );
    let t = tui::Tmux::start("trust-ask", &ws, 120, 24, &cmd);
    let s = t.wait_text("Trust this folder");
    assert!(s.contains(".mcp.json") && s.contains("mcpServers"), "{s}");
    assert!(!ws.join("mcp-json-ran").exists(), "ran before the answer");
    t.type_text("y");
    t.keys(&["Enter"]);
    t.wait_text("/help for commands");
    t.wait_for("the servers to start", |_| {
        ws.join("mcp-json-ran").exists() && ws.join("config-server-ran").exists()
    });
    let list = std::fs::read_to_string(home.join("state/mote/trusted")).unwrap();
    assert_eq!(list.trim(), ws.to_string_lossy());
    t.keys(&["C-d"]);
    t.wait_text("EXIT:0");
    drop(t);

    // The second start does not ask again.
    std::fs::remove_file(ws.join("mcp-json-ran")).unwrap();
    let t = tui::Tmux::start("trust-again", &ws, 120, 24, &cmd);
    let s = t.wait_text("/help for commands");
    assert!(!s.contains("Trust this folder"), "{s}");
    t.wait_for("the server to start", |_| ws.join("mcp-json-ran").exists());
    t.keys(&["C-d"]);
    t.wait_text("EXIT:0");
}

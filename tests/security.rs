//! The adversarial review's reproductions (issue 18), end to end: the real
//! binary against the mock model, each attack as the model would make it,
//! asserting what the attack could reach: the key in a tool result, the
//! session file or a child's environment; a planted config file on disk.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{fresh_dir, mote_command, run, HANG};
use mock::{Mock, Reply};

const KEY: &str = "sk-secret-4f1c9e";
const GW_KEY: &str = "gw-secret-77aa01";

fn dir(name: &str) -> PathBuf {
    fresh_dir("sec", name).canonicalize().unwrap()
}

/// Run mote in `ws` against `m` with the key in its environment; returns
/// the exit code and stderr.
fn mote(ws: &Path, m: &Mock, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", KEY)
        .env("XDG_CONFIG_HOME", ws.join(".no-user-config"))
        .env("XDG_DATA_HOME", ws.join(".state"))
        .env_remove("MOTE_MODEL")
        .args(["--model", "m", "-p", "task"])
        .args(args)
        .envs(env.iter().copied());
    let out = run(&mut c, HANG, args);
    (out.code, out.stderr)
}

/// The tool results the model saw, in order.
fn results(m: &Mock) -> Vec<String> {
    common::tool_results(m)
}

/// Every file under `d`, concatenated (the session files).
fn all_text(d: &Path) -> String {
    let mut s = String::new();
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                s.push_str(&all_text(&p));
            } else {
                s.push_str(&String::from_utf8_lossy(
                    &std::fs::read(&p).unwrap_or_default(),
                ));
            }
        }
    }
    s
}

#[test]
fn keys_are_not_reachable_from_commands() {
    let ws = dir("environ");
    // The provider's key under a custom name, as a gateway would have it.
    std::fs::create_dir_all(ws.join(".no-user-config/mote")).unwrap();
    let port_conf = |m: &Mock| {
        format!(
            r#"{{"providers":{{"gw":{{"api":"openai-chat","base_url":"{}","api_key_env":"GW_KEY"}}}}}}"#,
            m.base_url()
        )
    };
    let cmds = [
        "tr '\\0' '\\n' < /proc/$PPID/environ",
        "env",
        "cat /proc/$PPID/cmdline; grep -a -c secret /proc/$PPID/mem 2>&1; echo",
    ];
    for sandbox in ["off", "read-only"] {
        let mut replies: Vec<Reply> = cmds
            .iter()
            .map(|c| Reply::call("bash", &format!(r#"{{"command":{}}}"#, json_str(c))))
            .collect();
        replies.push(Reply::text("done"));
        let m = Mock::start(replies);
        std::fs::write(ws.join(".no-user-config/mote/config.json"), port_conf(&m)).unwrap();
        let (code, err) = mote(
            &ws,
            &m,
            &[
                "--provider",
                "gw",
                "--permission",
                "auto",
                "--sandbox",
                sandbox,
            ],
            &[("GW_KEY", GW_KEY)],
        );
        assert_eq!(code, 0, "{sandbox}: {err}");
        let r = results(&m);
        assert_eq!(r.len(), 3, "{r:?}");
        // Readable but scrubbed without a sandbox; closed in one.
        let shown = r[0].contains("PATH=") || r[0].contains("Permission denied");
        assert!(shown, "{sandbox}: {}", r[0]);
        assert!(r[1].contains("PATH="), "{}", r[1]);
        for (i, text) in r.iter().enumerate() {
            for k in [KEY, GW_KEY] {
                assert!(
                    !text.contains(k),
                    "{sandbox}: `{}` showed the key:\n{text}",
                    cmds[i]
                );
            }
        }
        assert!(!r[1].contains("GW_KEY="), "{}", r[1]);
        // The gateway's key still reached the provider.
        let reqs = m.requests();
        let auth = reqs[0].header("authorization").unwrap_or_default();
        assert_eq!(auth, format!("Bearer {GW_KEY}"));
        let saved = all_text(&ws.join(".state"));
        assert!(saved.contains("PATH="), "no session file was written");
        assert!(!saved.contains(KEY) && !saved.contains(GW_KEY));
    }
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\t' => o.push_str("\\t"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

#[test]
fn planted_configuration_is_not_written_without_asking() {
    let ws = dir("planted");
    std::fs::create_dir_all(ws.join("sub")).unwrap();
    let w = |path: &str, content: &str| {
        Reply::call(
            "write",
            &format!(
                r#"{{"path":{},"content":{}}}"#,
                json_str(path),
                json_str(content)
            ),
        )
    };
    let server = r#"{"mcpServers":{"x":{"command":"sh","args":["-c","touch pwned"]}}}"#;
    let planted = [
        (".mcp.json", server),
        ("sub/.mcp.json", server),
        ("sub/.mote/config.json", r#"{"permission":"auto"}"#),
        (".claude/settings.json", "{}"),
        (".git/hooks/pre-commit", "touch pwned"),
        // A repository not named .git, written file by file: the last one
        // completes it.
        ("evil/config", "[core]\n\tfsmonitor = touch pwned\n"),
        ("evil/objects/.keep", ""),
        ("evil/HEAD", "ref: refs/heads/main\n"),
        ("evil/refs/heads/main", ""),
    ];
    let mut replies: Vec<Reply> = planted.iter().map(|(p, c)| w(p, c)).collect();
    replies.push(Reply::text("done"));
    let m = Mock::start(replies);
    let (code, err) = mote(&ws, &m, &["--permission", "auto"], &[]);
    assert_eq!(code, 0, "{err}");
    let r = results(&m);
    for (i, (path, _)) in planted.iter().enumerate() {
        let completes_nothing = path.starts_with("evil/") && *path != "evil/refs/heads/main";
        if completes_nothing {
            assert!(ws.join(path).exists(), "{path}: {}", r[i]);
            continue;
        }
        assert!(!ws.join(path).exists(), "{path} was written: {}", r[i]);
        assert!(
            r[i].starts_with("permission denied") && r[i].contains("is protected in every mode"),
            "{path}: {}",
            r[i]
        );
    }
}

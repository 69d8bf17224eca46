//! README promises that no other suite checks, each by its effect on the
//! real binary: which provider key wins when several are set, the sandbox
//! chosen in config.json, signals kept inside the sandbox, and the doom-loop
//! guard stopping a cycle of calls headless.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{fresh_dir, mote_command, require, run, Out, HANG};
use mock::{Mock, Reply};

fn workspace(name: &str) -> PathBuf {
    fresh_dir("promise", name).canonicalize().unwrap()
}

/// mote in `ws` with only the given provider variables set.
fn mote(ws: &Path, env: &[(&str, String)], args: &[&str]) -> Out {
    let mut c = mote_command();
    c.current_dir(ws).env("XDG_CONFIG_HOME", ws.join("config"));
    for v in [
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_BASE_URL",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "GEMINI_BASE_URL",
        "OPENROUTER_API_KEY",
        "OPENROUTER_BASE_URL",
        "MOTE_PROVIDER",
        "MOTE_MODEL",
    ] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args);
    run(&mut c, HANG, args)
}

#[test]
fn with_several_keys_set_the_first_in_the_documented_order_wins() {
    let ws = workspace("keys");
    // The README's order: OpenAI, Anthropic, Gemini, OpenRouter.
    let cases: [(&[&str], &str); 3] = [
        (&["openai", "anthropic", "gemini", "openrouter"], "openai"),
        (&["anthropic", "gemini", "openrouter"], "anthropic"),
        (&["gemini", "openrouter"], "gemini"),
    ];
    for (set, winner) in cases {
        let mocks: Vec<(&str, Mock)> = set
            .iter()
            .map(|p| (*p, Mock::start(vec![Reply::text(&format!("from {p}"))])))
            .collect();
        let mut env = Vec::new();
        for (p, m) in &mocks {
            let host = format!("http://{}", m.addr());
            let (key, base, url) = match *p {
                "openai" => ("OPENAI_API_KEY", "OPENAI_BASE_URL", m.base_url()),
                "anthropic" => ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", host),
                "gemini" => ("GEMINI_API_KEY", "GEMINI_BASE_URL", host),
                _ => ("OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", m.base_url()),
            };
            env.push((key, "k".to_string()));
            env.push((base, url));
        }
        let o = mote(&ws, &env, &["-p", "hi", "-m", "m1", "--no-session"]);
        assert_eq!(o.code, 0, "{set:?}: {}", o.stderr);
        assert_eq!(o.stdout, format!("from {winner}\n"), "{set:?}");
        for (p, m) in &mocks {
            let want = usize::from(*p == winner);
            assert_eq!(m.requests().len(), want, "{set:?}: requests to {p}");
        }
    }
}

#[test]
fn the_sandbox_set_in_config_json_confines_commands() {
    if !require(
        "landlock",
        common::landlock_abi() >= 1,
        "a kernel with Landlock",
    ) {
        return;
    }
    let ws = workspace("sandboxconf");
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    std::fs::write(
        ws.join("config/mote/config.json"),
        r#"{"sandbox": "read-only"}"#,
    )
    .unwrap();
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"touch made.txt"}"#),
        Reply::text("done"),
    ]);
    let env = [
        ("OPENAI_API_KEY", "k".to_string()),
        ("OPENAI_BASE_URL", m.base_url()),
    ];
    let o = mote(
        &ws,
        &env,
        &["-p", "touch", "-m", "m1", "--permission", "auto"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        !ws.join("made.txt").exists(),
        "the read-only sandbox let it write"
    );
    let body = &m.requests()[1].body;
    assert!(body.contains("sandbox denial"), "{body}");
}

#[test]
fn sandboxed_commands_cannot_signal_processes_outside() {
    let abi = common::landlock_abi();
    if !require(
        "landlock",
        abi >= 6,
        "a kernel with Landlock ABI 6+ (signal scoping)",
    ) {
        return;
    }
    let ws = workspace("signals");
    let mut victim = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let cmd = format!(
        r#"{{"command":"kill -TERM {}; echo kill-exit=$?"}}"#,
        victim.id()
    );
    let m = Mock::start(vec![Reply::call("bash", &cmd), Reply::text("done")]);
    let env = [
        ("OPENAI_API_KEY", "k".to_string()),
        ("OPENAI_BASE_URL", m.base_url()),
    ];
    let args = ["-p", "kill", "-m", "m1", "--permission", "auto"];
    let o = mote(
        &ws,
        &env,
        &[&args[..], &["--sandbox", "workspace-write"]].concat(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let alive = victim.try_wait().unwrap().is_none();
    let _ = victim.kill();
    let _ = victim.wait();
    assert!(
        alive,
        "a sandboxed command killed a process outside the sandbox"
    );
    let body = &m.requests()[1].body;
    assert!(body.contains("kill-exit=1"), "{body}");
}

#[test]
fn a_repeating_cycle_of_calls_stops_a_headless_run_with_exit_8() {
    let ws = workspace("cycle");
    std::fs::write(ws.join("a.txt"), "A\n").unwrap();
    std::fs::write(ws.join("b.txt"), "B\n").unwrap();
    let read = |p: &str| Reply::call("read", &format!(r#"{{"path":"{p}"}}"#));
    let mut replies = Vec::new();
    for _ in 0..5 {
        replies.push(read("a.txt"));
        replies.push(read("b.txt"));
    }
    let m = Mock::start(replies);
    let env = [
        ("OPENAI_API_KEY", "k".to_string()),
        ("OPENAI_BASE_URL", m.base_url()),
    ];
    let o = mote(&ws, &env, &["-p", "read", "-m", "m1", "--no-session"]);
    assert_eq!(o.code, 8, "{}", o.stderr);
    assert!(o.stderr.contains("doom"), "{}", o.stderr);
    // Three rounds of the two-call cycle, then the guard: no fourth round.
    assert!(m.requests().len() <= 7, "{} requests", m.requests().len());
}

#[test]
fn an_answer_stdout_cannot_take_is_exit_1_and_stays_in_the_session() {
    let ws = workspace("devfull");
    let m = Mock::start(vec![Reply::text("the answer that must not vanish")]);
    let mut c = mote_command();
    c.current_dir(&ws)
        .env("XDG_DATA_HOME", ws.join("data"))
        .env("OPENAI_API_KEY", "k")
        .env("OPENAI_BASE_URL", m.base_url())
        .env_remove("MOTE_MODEL")
        .args(["-p", "hi", "-m", "m1"])
        .stdout(std::fs::File::create("/dev/full").unwrap());
    let child = c.stderr(std::process::Stdio::piped()).spawn().unwrap();
    let o = common::wait(child, HANG, &[]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.stderr.trim().lines().count() == 1 && o.stderr.contains("cannot write the answer"),
        "{}",
        o.stderr
    );
    let dir = ws.join("data/mote/sessions");
    let saved: String = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(saved.contains("the answer that must not vanish"), "{saved}");
}

#[test]
fn a_config_type_error_names_the_file_that_set_the_key() {
    let ws = workspace("cfgerr");
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    std::fs::create_dir_all(ws.join(".mote")).unwrap();
    let user = ws.join("config/mote/config.json");
    let project = ws.join(".mote/config.json");
    let env = [("OPENAI_API_KEY", "k".to_string())];
    for (file, other, text, want) in [
        (
            &user,
            &project,
            r#"{"model": 5}"#,
            "`model` must be a string",
        ),
        (
            &project,
            &user,
            r#"{"permissions": 5}"#,
            "`permissions` must be an object",
        ),
    ] {
        std::fs::write(file, text).unwrap();
        std::fs::write(other, "{}").unwrap();
        let o = mote(&ws, &env, &["-p", "hi"]);
        assert_eq!(o.code, 2, "{}", o.stderr);
        let line = format!("mote: error: {}: {want}", file.display());
        assert!(o.stderr.starts_with(&line), "{}", o.stderr);
    }
}

#[test]
fn mote_mcp_usage_and_missing_servers_exit_2_and_help_names_the_subcommands() {
    let ws = workspace("mcpusage");
    for (args, want) in [
        (
            &["mcp"][..],
            "usage: mote mcp [--mcp-config FILE] [-v] list [SERVER] | ",
        ),
        (&["mcp", "list"][..], "no MCP servers are configured"),
        (
            &["mcp", "call", "x", "y"][..],
            "no MCP server `x` is configured",
        ),
    ] {
        let o = mote(&ws, &[], args);
        assert_eq!(o.code, 2, "{args:?}: {}", o.stderr);
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(o.stderr.contains(want), "{args:?}: {}", o.stderr);
    }
    let help = mote(&ws, &[], &["--help"]).stdout;
    for form in [
        "mote [options]",
        "mote acp [options]",
        "mote mcp list|call|conformance",
    ] {
        assert!(help.contains(form), "--help lacks `{form}`");
    }
}

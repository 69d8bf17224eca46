//! Integration tests for the hook events past the tool and prompt ones
//! (src/hooks/): SessionStart (its output is context), SessionEnd,
//! PreCompact, SubagentStop (in the child, instead of Stop), Notification
//! (when the terminal asks), `permissionDecision` allow/ask from PreToolUse
//! (a deny rule still wins), and hooks around the interactive `!cmd`.
//! Hook scripts in shell record their stdin in files; the tests read those
//! files, the requests the mock model got, and what ran on disk.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;
mod tui;

use std::path::{Path, PathBuf};

use common::{fresh_dir, mote_at_home, run, tool_results, Out, HANG};
use mock::{Item, Mock, Reply};

/// A workspace and a home of its own, the user's config.json holding `conf`.
fn setup(name: &str, conf: &str) -> (PathBuf, PathBuf) {
    let root = fresh_dir("hookev", name);
    let ws = root.join("ws");
    let home = root.join("home");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::create_dir_all(home.join(".config/mote")).unwrap();
    std::fs::write(home.join(".config/mote/config.json"), conf).unwrap();
    (ws.canonicalize().unwrap(), home)
}

fn mote(ws: &Path, home: &Path, m: &Mock, args: &[&str]) -> Out {
    run(mote_at_home(ws, home, m).args(args), HANG, args)
}

/// `{"EVENT": [{"hooks": [{"command": CMD}]}], ...}` from (event, matcher, command).
fn hooks(list: &[(&str, &str, &str)]) -> String {
    let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let groups: Vec<String> = list
        .iter()
        .map(|(e, m, c)| {
            format!(
                r#""{e}": [{{"matcher": "{}", "hooks": [{{"type": "command", "command": "{}"}}]}}]"#,
                q(m),
                q(c)
            )
        })
        .collect();
    format!("{{{}}}", groups.join(", "))
}

fn read(ws: &Path, name: &str) -> String {
    std::fs::read_to_string(ws.join(name)).unwrap_or_default()
}

#[test]
fn session_start_adds_context_and_session_end_and_pre_compact_fire() {
    let conf = format!(
        r#"{{"hooks": {}}}"#,
        hooks(&[
            (
                "SessionStart",
                "",
                "cat >> start.json; echo >> start.json; echo 'CTX-FROM-SESSION-START'"
            ),
            ("SessionEnd", "", "cat > end.json"),
            ("PreCompact", "", "cat > compact.json"),
        ])
    );
    let (ws, home) = setup("session", &conf);
    let m = Mock::start(vec![Reply::text("first answer")]);
    let o = mote(&ws, &home, &m, &["-p", "hello"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let system = m.requests()[0].body.clone();
    assert!(system.contains("CTX-FROM-SESSION-START"), "{system}");
    let start = read(&ws, "start.json");
    assert!(
        start.contains(r#""hook_event_name":"SessionStart""#)
            && start.contains(r#""source":"startup""#),
        "{start}"
    );
    let end = read(&ws, "end.json");
    assert!(
        end.contains(r#""hook_event_name":"SessionEnd""#) && end.contains(r#""reason":"other""#),
        "{end}"
    );
    assert!(!ws.join("compact.json").exists());

    // Resumed and compacted on request: source resume, trigger manual.
    let m = Mock::start(vec![Reply::text("## Goal\nthe summary")]);
    let o = mote(&ws, &home, &m, &["-c", "--compact"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(read(&ws, "start.json").contains(r#""source":"resume""#));
    let compact = read(&ws, "compact.json");
    assert!(
        compact.contains(r#""hook_event_name":"PreCompact""#)
            && compact.contains(r#""trigger":"manual""#),
        "{compact}"
    );
}

#[test]
fn permission_decision_allow_runs_what_would_be_asked_and_ask_asks() {
    let allow = r#"echo '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"allow"}}'"#;
    let ask = r#"echo '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"ask"}}'"#;
    let conf = format!(
        r#"{{"permissions": {{"deny": ["bash(touch denied-anyway)"]}}, "hooks": {}}}"#,
        hooks(&[("PreToolUse", "Bash", allow), ("PreToolUse", "Read", ask)])
    );
    let (ws, home) = setup("decision", &conf);
    std::fs::write(ws.join("notes.txt"), "secret notes").unwrap();
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"touch by-hook-allow"}"#),
        Reply::call("bash", r#"{"command":"touch denied-anyway"}"#),
        Reply::call("read", r#"{"path":"notes.txt"}"#),
        Reply::text("done"),
    ]);
    let o = mote(&ws, &home, &m, &["-p", "go", "--no-session"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let r = tool_results(&m);
    // Standard mode asks about touch, and headless nobody can answer: the
    // hook's allow is what let it run.
    assert!(ws.join("by-hook-allow").exists(), "{}", r[0]);
    assert!(!ws.join("denied-anyway").exists(), "{}", r[1]);
    assert!(r[1].contains("deny rule"), "{}", r[1]);
    // A read standard mode allows is asked for: headless, that is a denial.
    assert!(
        r[2].starts_with("permission denied") && !r[2].contains("secret notes"),
        "{}",
        r[2]
    );
}

#[test]
fn a_subagent_fires_subagent_stop_not_stop_or_session_start() {
    let conf = format!(
        r#"{{"hooks": {}}}"#,
        hooks(&[
            ("SessionStart", "", "echo x >> starts.txt"),
            ("Stop", "", "cat > stop.json"),
            ("SubagentStop", "", "cat > subagent-stop.json"),
        ])
    );
    let (ws, home) = setup("subagent", &conf);
    let m = Mock::start(Vec::new());
    let task = r#"{"description":"job","prompt":"CHILD-ONE","agent":"general"}"#;
    m.route(
        "PARENT-ONE",
        vec![
            Reply::Turn {
                items: vec![Item::Call {
                    name: "task".into(),
                    args: task.into(),
                }],
                finish: None,
            },
            Reply::text("parent done"),
        ],
    );
    m.route("CHILD-ONE", vec![Reply::text("child done")]);
    let o = mote(&ws, &home, &m, &["-p", "PARENT-ONE", "--no-session"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let sub = read(&ws, "subagent-stop.json");
    assert!(
        sub.contains(r#""hook_event_name":"SubagentStop""#)
            && sub.contains(r#""stop_hook_active":false"#),
        "{sub}"
    );
    assert!(read(&ws, "stop.json").contains(r#""hook_event_name":"Stop""#));
    assert_eq!(
        read(&ws, "starts.txt"),
        "x\n",
        "SessionStart once, in the parent"
    );
}

#[test]
fn the_terminal_notifies_when_it_asks_and_bang_commands_go_through_hooks() {
    let ws = tui::workspace("hookev-tui");
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    let guard = "grep -q forbidden && { echo 'no forbidden here' >&2; exit 2; }; exit 0";
    let conf = format!(
        r#"{{"hooks": {}}}"#,
        hooks(&[
            ("Notification", "", "cat > notified.json"),
            ("PreToolUse", "Bash", guard),
        ])
    );
    std::fs::write(ws.join("config/mote/config.json"), conf).unwrap();
    let m = Mock::start(Vec::new());
    let t = tui::start_mote("hookev", &ws, &m.base_url(), 100, "");
    t.type_text("!touch forbidden-file");
    t.keys(&["Enter"]);
    t.wait_text("no forbidden here");
    assert!(
        !ws.join("forbidden-file").exists(),
        "the hook's exit 2 blocks !cmd"
    );
    // Standard mode asks about touch: the Notification hooks fire first.
    assert!(!ws.join("notified.json").exists());
    t.type_text("!touch allowed-file");
    t.keys(&["Enter"]);
    t.wait_text("allow?");
    let n = read(&ws, "notified.json");
    assert!(
        n.contains(r#""hook_event_name":"Notification""#)
            && n.contains("needs your permission to use bash"),
        "{n}"
    );
    t.keys(&["y"]);
    t.wait_for("!cmd to run", |_| ws.join("allowed-file").exists());
}

/// Every hook's stdin says the permission mode in Claude Code's words:
/// read-only is "plan", cautious "default", standard "acceptEdits", auto
/// "bypassPermissions"; a prompt mode that sets the mode (plan) says so too.
#[test]
fn every_hook_input_has_the_permission_mode() {
    let events = [
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PostToolUse",
        "Stop",
        "SessionEnd",
    ];
    let list: Vec<(&str, &str, String)> = events
        .iter()
        .map(|e| (*e, "", format!("cat > {e}.json")))
        .collect();
    let list: Vec<(&str, &str, &str)> = list.iter().map(|(e, m, c)| (*e, *m, c.as_str())).collect();
    let (ws, home) = setup(
        "permission-mode",
        &format!(r#"{{"hooks": {}}}"#, hooks(&list)),
    );
    let runs: [(&[&str], &str); 5] = [
        (&[], "acceptEdits"),
        (&["--permission", "read-only"], "plan"),
        (&["--permission", "cautious"], "default"),
        (&["--permission", "auto"], "bypassPermissions"),
        (&["--prompt-mode", "plan"], "plan"),
    ];
    for (args, want) in runs {
        for e in events {
            let _ = std::fs::remove_file(ws.join(format!("{e}.json")));
        }
        let m = Mock::start(vec![
            Reply::call("read", r#"{"path":"."}"#),
            Reply::text("done"),
        ]);
        let all = [&["-p", "go", "--no-session"][..], args].concat();
        let o = mote(&ws, &home, &m, &all);
        assert_eq!(o.code, 0, "{}", o.stderr);
        for e in events {
            let got = read(&ws, &format!("{e}.json"));
            let field = format!(r#""permission_mode":"{want}""#);
            assert!(got.contains(&field), "{args:?} {e}: {got}");
        }
    }
}

/// SessionStart's context belongs to the session: `/prompt plan` rebuilds
/// the system prompt and keeps it (the request after the switch has both).
#[test]
fn session_start_context_stays_after_a_prompt_mode_switch() {
    let ws = tui::workspace("hookev-switch");
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    let conf = format!(
        r#"{{"hooks": {}}}"#,
        hooks(&[("SessionStart", "", "echo START-CTX-77")])
    );
    std::fs::write(ws.join("config/mote/config.json"), conf).unwrap();
    let m = Mock::start(vec![Reply::text("planned")]);
    let t = tui::start_mote("hookev-switch", &ws, &m.base_url(), 100, "");
    t.type_text("/prompt plan");
    t.keys(&["Enter"]);
    t.wait_text("prompt mode: plan");
    t.type_text("make a plan");
    t.keys(&["Enter"]);
    t.wait_text("planned");
    let body = &m.requests()[0].body;
    assert!(body.contains("Plan mode: do not change the code"), "{body}");
    assert!(body.contains("# Session start\\n\\nSTART-CTX-77"), "{body}");
}

//! More of the README's interactive-mode promises, driven in tmux as a user
//! would: Ctrl-U/Ctrl-K and ↑/↓ history recall, `a` not offered when a
//! config `ask` rule asks, `!CMD` through the gate outside auto, plain text
//! under NO_COLOR and TERM=dumb, `/mode` with no argument, `/model
//! PROVIDER/ID` and `/quit`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

#[path = "mock/mod.rs"]
mod mock;
#[path = "tui/mod.rs"]
mod tui;

use std::path::Path;

use mock::{Mock, Reply};
use tui::{sh_quote, Tmux};

fn start(name: &str, ws: &Path, m: &Mock, extra: &str) -> Tmux {
    tui::start_mote(name, ws, &m.base_url(), 100, extra)
}

#[test]
fn ctrl_u_ctrl_k_and_history_recall() {
    let ws = tui::workspace("histkeys");
    let m = Mock::start(vec![Reply::text("one"), Reply::text("two")]);
    let t = start("histkeys", &ws, &m, "");
    t.type_text("first prompt");
    t.keys(&["Enter"]);
    t.wait_text("one");
    t.wait_text(" out · context");
    t.type_text("garbage");
    t.keys(&["C-u"]); // all before the cursor
    t.type_text("abc");
    t.keys(&["Home", "C-k"]); // all after the cursor
    t.keys(&["Up", "Down"]); // the last prompt, then back to the empty line
    t.keys(&["Up"]); // the last prompt again
    t.keys(&["Enter"]);
    t.wait_text("two");
    let body = &m.requests()[1].body;
    assert_eq!(body.matches("first prompt").count(), 2, "{body}");
    assert!(!body.contains("garbage") && !body.contains("abc"), "{body}");
    t.keys(&["C-d"]);
    t.wait_text("EXIT:0");
}

#[test]
fn always_is_not_offered_when_a_config_ask_rule_asks() {
    let ws = tui::workspace("askrule");
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    std::fs::write(
        ws.join("config/mote/config.json"),
        r#"{"permissions": {"ask": ["bash(echo:*)"]}}"#,
    )
    .unwrap();
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"echo hi > out.txt"}"#),
        Reply::text("done"),
    ]);
    let t = start("askrule", &ws, &m, "--permission auto");
    t.type_text("go");
    t.keys(&["Enter"]);
    let s = t.wait_text("allow?");
    assert!(
        !s.contains("a always"),
        "a config ask rule always asks: {s}"
    );
    t.keys(&["a"]); // not an answer here
    t.keys(&["y"]);
    t.wait_text("done");
    assert_eq!(std::fs::read_to_string(ws.join("out.txt")).unwrap(), "hi\n");
    t.keys(&["C-d"]);
    t.wait_text("EXIT:0");
}

#[test]
fn bang_commands_go_through_the_gate_outside_auto() {
    let ws = tui::workspace("banggate");
    let m = Mock::start(vec![]);
    let t = start("banggate", &ws, &m, "");
    t.type_text("!touch made.txt");
    t.keys(&["Enter"]);
    t.wait_text("allow?");
    t.keys(&["n"]);
    t.wait_text("reason");
    t.keys(&["Enter"]);
    t.type_text("/mode");
    t.keys(&["Enter"]);
    t.wait_text("standard");
    t.keys(&["C-d"]);
    t.wait_text("EXIT:0");
    assert!(!ws.join("made.txt").exists(), "a denied !cmd must not run");
    assert_eq!(m.requests().len(), 0);
}

#[test]
fn no_color_and_dumb_terminals_get_plain_text() {
    for (name, env) in [("nocolor", "NO_COLOR=1"), ("dumb", "TERM=dumb")] {
        let ws = tui::workspace(name);
        let m = Mock::start(vec![Reply::text("**bold** and `code` here")]);
        let cmd = format!(
            "env -u MOTE_MODEL {env} OPENAI_BASE_URL={} OPENAI_API_KEY=k XDG_STATE_HOME={} XDG_CONFIG_HOME={} {} --model mock-model --no-session; echo EXIT:$?; sleep 600",
            m.base_url(),
            sh_quote(&ws.join("state").to_string_lossy()),
            sh_quote(&ws.join("config").to_string_lossy()),
            sh_quote(&tui::bin().to_string_lossy()),
        );
        let t = Tmux::start(name, &ws, 100, 24, &cmd);
        t.wait_text("/help for commands");
        t.type_text("hi");
        t.keys(&["Enter"]);
        t.wait_text(" out · context");
        let styled = t.screen_styled();
        assert!(!styled.contains('\x1b'), "{env}: styled output: {styled:?}");
        t.keys(&["C-d"]);
        t.wait_text("EXIT:0");
    }
}

#[test]
fn model_with_a_provider_prefix_and_quit() {
    let ws = tui::workspace("modelswitch");
    let m = Mock::start(vec![Reply::text("switched")]);
    let t = start("modelswitch", &ws, &m, "");
    t.type_text("/model openai/other-model");
    t.keys(&["Enter"]);
    t.wait_text("other-model");
    t.type_text("hi");
    t.keys(&["Enter"]);
    t.wait_text("switched");
    let body = &m.requests()[0].body;
    assert!(body.contains(r#""model":"other-model""#), "{body}");
    t.type_text("/quit");
    t.keys(&["Enter"]);
    t.wait_text("EXIT:0");
}

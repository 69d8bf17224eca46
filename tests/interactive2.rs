//! The interactive mode's second round, driven inside tmux like a user
//! would (tests/tui/ is the harness): `@` completion choosing a nested
//! file whose content then reaches the model, Tab on slash commands and
//! their arguments, Ctrl-R history search, Ctrl-G with an editor script,
//! long pastes, a message queued during a turn, reasoning shown and
//! toggled, and /export.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

#[path = "mock/mod.rs"]
mod mock;
#[path = "tui/mod.rs"]
mod tui;

use mock::{Mock, Reply};

#[test]
fn at_completion_picks_a_nested_file_and_sends_its_content() {
    let ws = tui::workspace("at");
    std::fs::create_dir_all(ws.join("src/deep")).unwrap();
    std::fs::create_dir_all(ws.join("build")).unwrap();
    std::fs::write(ws.join(".gitignore"), "build/\n").unwrap();
    std::fs::write(
        ws.join("src/deep/needle.rs"),
        "const NEEDLE: &str = \"found-it\";\n",
    )
    .unwrap();
    std::fs::write(ws.join("build/needle.o"), "ignored").unwrap();
    let m = Mock::start(vec![Reply::text("read it")]);
    let t = tui::start_mote("at", &ws, &m.base_url(), 100, "");
    t.type_text("explain @needl");
    let s = t.wait_text("@src/deep/needle.rs");
    assert!(
        !s.contains("build/needle.o"),
        "ignored files are not offered: {s}"
    );
    t.keys(&["Tab"]);
    t.wait_for("accepted", |s| s.contains("› explain @src/deep/needle.rs"));
    t.keys(&["Enter"]);
    t.wait_text("read it");
    let body = m.requests()[0].body.clone();
    assert!(body.contains("explain @src/deep/needle.rs"), "{body}");
    assert!(
        body.contains(r#"found-it\\\""#) || body.contains("found-it"),
        "{body}"
    );
    assert!(
        body.contains("<file path=\\\"src/deep/needle.rs\\\">"),
        "{body}"
    );
}

#[test]
fn tab_completes_commands_and_their_arguments() {
    let ws = tui::workspace("tab");
    let m = Mock::start(vec![Reply::text("noted")]);
    let t = tui::start_mote("tab", &ws, &m.base_url(), 100, "");
    t.type_text("remember the falcon");
    t.keys(&["Enter"]);
    t.wait_text("noted");
    t.type_text("/new");
    t.keys(&["Enter"]);
    t.wait_text("new conversation");
    // /resume offers the saved sessions with their first prompts.
    t.type_text("/resume ");
    t.keys(&["Tab"]);
    let s = t.wait_text("  remember the falcon");
    let files: Vec<String> = std::fs::read_dir(ws.join("data/mote/sessions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| s.contains(f.trim_end_matches(".jsonl"))),
        "{s}"
    );
    t.keys(&["C-u"]);
    t.wait_for("menu closed", |s| !s.contains("  remember the falcon"));
    t.type_text("/mo");
    t.keys(&["Tab"]);
    let s = t.wait_text("/model");
    assert!(s.contains("/mode"), "{s}");
    t.keys(&["Tab"]);
    t.wait_for("/mode accepted", |s| s.contains("› /mode "));
    t.type_text("au");
    t.keys(&["Tab"]);
    t.wait_for("auto accepted", |s| s.contains("› /mode auto"));
    t.keys(&["Enter"]);
    t.wait_text("permission mode: auto");
}

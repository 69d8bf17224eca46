//! The interactive mode's second round, driven inside tmux like a user
//! would (tests/tui/ is the harness): `@` completion choosing a nested
//! file whose content then reaches the model, Tab on slash commands and
//! their arguments, Ctrl-R history search, Ctrl-G with an editor script,
//! long pastes, a message queued during a turn, reasoning shown and
//! toggled, /export, and Esc stopping a command whose output is closed.
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

#[test]
fn ctrl_r_finds_this_workspaces_prompt_first_then_the_global_one() {
    let ws = tui::workspace("ctrlr");
    let m = Mock::start(vec![
        Reply::text("first answer"),
        Reply::text("second answer"),
    ]);
    let t = tui::start_mote("ctrlr1", &ws, &m.base_url(), 100, "");
    t.type_text("build the beta service");
    t.keys(&["Enter"]);
    t.wait_text("first answer");
    t.keys(&["C-d"]);
    t.wait_text("EXIT:0");
    drop(t);
    // A newer prompt from another workspace, in the global history only.
    let global = ws.join("state/mote/history");
    let mut h = std::fs::read_to_string(&global).unwrap();
    h.push_str("build the alpha service\nunrelated\n");
    std::fs::write(&global, h).unwrap();
    let t = tui::start_mote("ctrlr2", &ws, &m.base_url(), 100, "");
    t.type_text("draft");
    t.keys(&["C-r"]);
    t.wait_text("(reverse-i-search)`'");
    t.type_text("build");
    t.wait_for("the workspace's match", |s| {
        s.contains("(reverse-i-search)`build': build the beta service")
    });
    t.keys(&["C-r"]);
    t.wait_for("the global match", |s| {
        s.contains("(reverse-i-search)`build': build the alpha service")
    });
    t.keys(&["Enter"]);
    t.wait_text("second answer");
    let body = m.requests()[1].body.clone();
    assert!(
        body.contains("build the alpha service") && !body.contains("draft"),
        "{body}"
    );
}

#[test]
fn ctrl_g_edits_the_input_in_the_editor_and_long_pastes_fold() {
    let ws = tui::workspace("ctrlg");
    let script = ws.join("ed.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsed -i 's/draft/rewritten by the editor/' \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let m = Mock::start(vec![
        Reply::text("got the edit"),
        Reply::text("got the paste"),
    ]);
    let env = format!(
        "VISUAL= EDITOR={}",
        tui::sh_quote(&script.to_string_lossy())
    );
    let t = tui::start_mote_env("ctrlg", &ws, &m.base_url(), 100, &env, "");
    t.type_text("a draft prompt");
    t.keys(&["C-g"]);
    t.wait_text("› a rewritten by the editor prompt");
    t.keys(&["Enter"]);
    t.wait_text("got the edit");
    assert!(m.requests()[0]
        .body
        .contains("a rewritten by the editor prompt"));

    let pasted: String = (1..=30).map(|i| format!("pasted line {i}\n")).collect();
    t.type_text("before ");
    t.paste(&pasted);
    t.wait_text("› before [pasted 30 lines]");
    t.type_text(" after");
    t.keys(&["Enter"]);
    t.wait_text("got the paste");
    let body = m.requests()[1].body.clone();
    assert!(
        body.contains("before pasted line 1\\npasted line 2"),
        "{body}"
    );
    assert!(body.contains("pasted line 30\\n after"), "{body}");
    assert!(!body.contains("[pasted"), "{body}");
}

#[test]
fn a_message_typed_during_a_turn_is_queued_and_sent_after_it() {
    let ws = tui::workspace("queue");
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"sleep 2; echo slept"}"#),
        Reply::text("first done"),
        Reply::text("queued one answered"),
        Reply::call("bash", r#"{"command":"sleep 2; echo again"}"#),
        Reply::text("third done"),
    ]);
    let t = tui::start_mote("queue", &ws, &m.base_url(), 120, "--permission auto");
    t.type_text("first");
    t.keys(&["Enter"]);
    t.wait_text("sleep 2; echo slept");
    t.type_text("the queued one");
    t.keys(&["Enter"]);
    t.wait_text("queued: the queued one");
    assert_eq!(m.requests().len(), 1, "not sent while the turn runs");
    t.wait_text("queued one answered");
    let reqs = m.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs[2].body.contains("the queued one"), "{}", reqs[2].body);

    // Esc clears the queue and leaves the turn running.
    t.type_text("third");
    t.keys(&["Enter"]);
    t.wait_text("sleep 2; echo again");
    t.type_text("never sent");
    t.keys(&["Enter"]);
    t.wait_text("queued: never sent");
    t.keys(&["Escape"]);
    t.wait_for("queue cleared", |s| !s.contains("queued: never sent"));
    t.wait_text("third done");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let reqs = m.requests();
    assert_eq!(reqs.len(), 5, "the turn ran to its end");
    assert!(reqs.iter().all(|r| !r.body.contains("never sent")));
}

fn thought(text: &str, answer: &str) -> Reply {
    Reply::Turn {
        items: vec![
            mock::Item::Thinking {
                text: text.into(),
                signature: "sig".into(),
            },
            mock::Item::Text(answer.into()),
        ],
        finish: None,
    }
}

#[test]
fn reasoning_is_shown_folded_then_toggled_off_and_its_effort_set() {
    let ws = tui::workspace("think");
    let m = Mock::start(vec![
        thought(
            "step one\nstep two\nstep three\nstep four\nstep five",
            "first answer",
        ),
        thought("hidden musing\nmore musing", "second answer"),
        Reply::text("third answer"),
    ]);
    let env = format!("ANTHROPIC_API_KEY=k ANTHROPIC_BASE_URL=http://{}", m.addr());
    let t = tui::start_mote_env(
        "think",
        &ws,
        &m.base_url(),
        100,
        &env,
        "--provider anthropic",
    );
    t.type_text("one");
    t.keys(&["Enter"]);
    let s = t.wait_text("first answer");
    assert!(s.contains("thinking (5 lines)"), "{s}");
    assert!(
        s.contains("┊ step three") && s.contains("┊ step five"),
        "{s}"
    );
    assert!(
        !s.contains("step one") && !s.contains("step two"),
        "folded: {s}"
    );
    let styled = t.screen_styled();
    assert!(
        styled.contains("\x1b[2m✻ thinking (5 lines)\n  ┊ step three"),
        "dimmed: {styled}"
    );

    t.type_text("/thinking");
    t.keys(&["Enter"]);
    t.wait_text("reasoning hidden");
    t.type_text("two");
    t.keys(&["Enter"]);
    let s = t.wait_text("second answer");
    assert!(!s.contains("musing"), "{s}");
    assert!(!m.requests()[1].body.contains("\"budget_tokens\""));

    t.type_text("/thinking high");
    t.keys(&["Enter"]);
    t.wait_text("reasoning effort: high");
    t.type_text("three");
    t.keys(&["Enter"]);
    t.wait_text("third answer");
    let body = m.requests()[2].body.clone();
    assert!(
        body.contains("\"thinking\":{\"type\":\"enabled\""),
        "{body}"
    );
}

#[test]
fn export_writes_the_conversation_as_markdown() {
    let ws = tui::workspace("export");
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"echo exported-output"}"#),
        Reply::text("All **done**."),
    ]);
    let t = tui::start_mote("export", &ws, &m.base_url(), 100, "--permission auto");
    t.type_text("run the echo");
    t.keys(&["Enter"]);
    t.wait_text("All done.");
    t.type_text("/export chat.md");
    t.keys(&["Enter"]);
    t.wait_text("to chat.md");
    let md = std::fs::read_to_string(ws.join("chat.md")).unwrap();
    assert!(md.contains("## User\n\nrun the echo\n"), "{md}");
    assert!(
        md.contains("<details><summary>bash echo exported-output</summary>"),
        "{md}"
    );
    assert!(md.contains("exported-output\nexit code: 0"), "{md}");
    assert!(md.contains("## Assistant\n\nAll **done**.\n"), "{md}");
}

#[test]
fn queued_keys_never_answer_a_permission_prompt() {
    let ws = tui::workspace("qperm");
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"sleep 2; touch slow.txt"}"#),
        Reply::call("bash", r#"{"command":"echo second > second.txt"}"#),
        Reply::text("turn done"),
        Reply::text("queued handled"),
    ]);
    let t = tui::start_mote("qperm", &ws, &m.base_url(), 120, "");
    t.type_text("go");
    t.keys(&["Enter"]);
    t.wait_text("allow?");
    t.keys(&["y"]);
    t.wait_text("yes");
    // "nope" holds an n: typed ahead, it must not decline the next call.
    t.type_text("nope");
    t.keys(&["Enter"]);
    t.wait_text("queued: nope");
    t.wait_for("second prompt", |s| s.matches("allow?").count() == 2);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!t.screen().contains("reason"), "{}", t.screen());
    t.keys(&["y"]);
    t.wait_text("queued handled");
    assert_eq!(
        std::fs::read_to_string(ws.join("second.txt")).unwrap(),
        "second\n"
    );
    assert!(m.requests()[3].body.contains("nope"));
}

#[test]
fn esc_stops_a_command_that_closed_its_output() {
    let ws = tui::workspace("escquiet");
    // The shell becomes `sleep` with its output in a file: the pipe mote
    // reads reaches end of file while the command still runs.
    let m = Mock::start(vec![
        Reply::call(
            "bash",
            r#"{"command":"echo $$ > sh.pid; exec sleep 20 > quiet.log 2>&1"}"#,
        ),
        Reply::text("noted"),
    ]);
    let t = tui::start_mote("escquiet", &ws, &m.base_url(), 100, "--permission auto");
    t.type_text("run it");
    t.keys(&["Enter"]);
    t.wait_for("the pid file", |_| {
        std::fs::read_to_string(ws.join("sh.pid")).is_ok_and(|s| s.ends_with('\n'))
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    t.esc_kills(&[ws.join("sh.pid")]);
}

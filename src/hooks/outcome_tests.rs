//! What one event's hooks decide, with real `sh -c` hooks: which stdout is
//! context, how permission decisions combine, which events exit 2 blocks,
//! timeouts in the config, and how much output is read back.

use super::*;

fn hooks(event: &str, commands: &[&str]) -> Hooks {
    let list: Vec<String> = commands
        .iter()
        .map(|c| format!(r#"{{"type":"command","command":{}}}"#, quote(c)))
        .collect();
    let conf = format!(r#"{{"{event}":[{{"hooks":[{}]}}]}}"#, list.join(","));
    let v = crate::json::value::parse(&conf).unwrap();
    Hooks::load(&[(PathBuf::from("t.json"), v)], &std::env::temp_dir()).unwrap()
}

fn fire(event: Event, commands: &[&str]) -> Outcome {
    let name = EVENTS.iter().find(|(_, e)| *e == event).unwrap().0;
    let input = match event {
        Event::PreToolUse | Event::PostToolUse => Input::Tool {
            name: "bash",
            args: r#"{"command":"ls"}"#,
            id: "t1",
            response: None,
        },
        Event::UserPromptSubmit => Input::Prompt("hi"),
        Event::Stop | Event::SubagentStop => Input::Stop(false),
        _ => Input::Field("startup"),
    };
    hooks(name, commands).fire(event, Permission::Standard, &input)
}

#[test]
fn plain_stdout_is_context_only_for_prompts_and_session_start() {
    let o = fire(Event::SessionStart, &["echo one", "echo two"]);
    assert_eq!(o.context, "one\ntwo");
    assert_eq!(fire(Event::UserPromptSubmit, &["echo ctx"]).context, "ctx");
    for e in [Event::PreToolUse, Event::PostToolUse, Event::Stop] {
        let o = fire(e, &["echo not-context"]);
        assert_eq!(o.context, "", "{e:?}");
        assert!(o.block.is_none() && o.notes.is_empty(), "{e:?} {o:?}");
    }
    // Empty output adds no blank line between two contexts.
    let o = fire(
        Event::SessionStart,
        &["true", "echo a", "printf ''", "echo b"],
    );
    assert_eq!(o.context, "a\nb");
}

#[test]
fn json_output_blocks_permits_adds_context_and_shows_messages() {
    let e = Event::PreToolUse;
    let decision =
        |d: &str| format!(r#"echo '{{"hookSpecificOutput":{{"permissionDecision":"{d}"}}}}'"#);
    let (allow, ask) = (decision("allow"), decision("ask"));
    assert_eq!(fire(e, &[&allow]).permit, Some(Permit::Allow));
    assert_eq!(fire(e, &[&ask]).permit, Some(Permit::Ask));
    assert_eq!(fire(e, &[&allow, &ask]).permit, Some(Permit::Ask));
    assert_eq!(fire(e, &[&ask, &allow]).permit, Some(Permit::Ask));
    assert_eq!(fire(e, &[&allow]).block, None);
    let o = fire(
        e,
        &[
            r#"echo '{"hookSpecificOutput":{"permissionDecision":"deny","permissionDecisionReason":"no way"}}'"#,
        ],
    );
    assert_eq!((o.block.as_deref(), o.permit), (Some("no way"), None));
    let o = fire(e, &[r#"echo '{"decision":"block","reason":"bad"}'"#]);
    assert_eq!(o.block.as_deref(), Some("bad"));
    let o = fire(e, &[r#"echo '{"decision":"approve"}'"#]);
    assert_eq!(o.block, None);
    let o = fire(e, &[r#"echo '{"continue":false,"stopReason":"halt"}'"#]);
    assert_eq!(o.block.as_deref(), Some("halt"));
    let o = fire(e, &[r#"echo '{"continue":true}'"#]);
    assert_eq!(o.block, None);
    let o = fire(
        e,
        &[
            r#"echo '{"hookSpecificOutput":{"additionalContext":"c1"},"systemMessage":"m1"}'"#,
            r#"echo '{"hookSpecificOutput":{"additionalContext":"c2"}}'"#,
        ],
    );
    assert_eq!(
        (o.context.as_str(), o.notes),
        ("c1\nc2", vec!["m1".to_string()])
    );
}

#[test]
fn exit_2_blocks_only_the_events_that_can_be_blocked() {
    for e in [
        Event::UserPromptSubmit,
        Event::PreToolUse,
        Event::PostToolUse,
        Event::Stop,
        Event::SubagentStop,
    ] {
        let o = fire(e, &["echo why >&2; exit 2"]);
        assert_eq!(o.block.as_deref(), Some("why"), "{e:?}");
        let o = fire(e, &["exit 2"]);
        assert_eq!(
            o.block.as_deref(),
            Some("blocked by hook `exit 2`"),
            "{e:?}"
        );
    }
    for e in [
        Event::SessionStart,
        Event::Notification,
        Event::PreCompact,
        Event::SessionEnd,
    ] {
        let o = fire(e, &["echo why >&2; exit 2"]);
        assert_eq!(o.block, None, "{e:?}");
        assert_eq!(
            o.notes,
            ["hook `echo why >&2; exit 2` exited 2 (not blocking): why"]
        );
    }
}

#[test]
fn a_timeout_must_be_a_positive_number_of_seconds() {
    let conf = |t: &str| {
        let c = format!(r#"{{"Stop":[{{"hooks":[{{"command":"true","timeout":{t}}}]}}]}}"#);
        let v = crate::json::value::parse(&c).unwrap();
        Hooks::load(&[(PathBuf::from("f.json"), v)], Path::new("/"))
            .map(|h| h.groups[0].commands[0].1)
    };
    assert_eq!(conf("1"), Ok(1));
    assert_eq!(conf("600"), Ok(600));
    for bad in ["0", "-1", "\"5\""] {
        let e = conf(bad).unwrap_err();
        assert!(
            e.contains("`timeout` must be a positive number"),
            "{bad}: {e}"
        );
    }
}

#[test]
fn up_to_64_kib_of_a_hook_output_is_read_back() {
    let o = fire(
        Event::SessionStart,
        &["head -c 5000 /dev/zero | tr '\\0' x"],
    );
    assert_eq!(o.context.len(), 5000);
    let o = fire(
        Event::SessionStart,
        &["head -c 100000 /dev/zero | tr '\\0' x"],
    );
    assert_eq!(o.context.len(), 64 * 1024);
}

#[test]
fn after_a_move_hooks_run_in_the_new_folder_and_name_it() {
    let to = std::env::temp_dir().join(format!("mote-hooks-moved-{}", std::process::id()));
    std::fs::create_dir_all(&to).unwrap();
    let mut h = hooks("SessionStart", &["pwd; cat"]);
    h.moved(&to);
    let o = h.fire(
        Event::SessionStart,
        Permission::Standard,
        &Input::Field("startup"),
    );
    let (pwd, input) = o.context.split_once('\n').unwrap();
    assert_eq!(Path::new(pwd), to.canonicalize().unwrap());
    assert!(
        input.contains(&format!("\"cwd\":{}", quote(&to.to_string_lossy()))),
        "{input}"
    );
    std::fs::remove_dir_all(&to).unwrap();
}

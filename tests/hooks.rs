//! Integration tests for lifecycle hooks (src/hooks/) and the trust gate
//! for project files (src/trust.rs): the real binary against the mock
//! model, with hook scripts in shell that record their stdin and exit with
//! Claude Code's codes. They assert what ran on disk, what the model saw
//! in the next request, exit codes and the one-line messages.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{fresh_dir, mote_command, run, tool_results, Out, HANG};
use mock::{Mock, Reply};

struct Case {
    ws: PathBuf,
    /// XDG_CONFIG_HOME/XDG_STATE_HOME/HOME of this test alone.
    home: PathBuf,
}

impl Case {
    fn new(name: &str) -> Case {
        let root = fresh_dir("hooks", name);
        let ws = root.join("ws");
        let home = root.join("home");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::create_dir_all(home.join("config/mote")).unwrap();
        Case {
            ws: ws.canonicalize().unwrap(),
            home,
        }
    }

    /// The user's config.json with `hooks` set to `hooks`.
    fn user_hooks(&self, hooks: &str) {
        let f = self.home.join("config/mote/config.json");
        std::fs::write(f, format!("{{\"hooks\": {hooks}}}")).unwrap();
    }

    fn mote(&self, m: &Mock, args: &[&str]) -> Out {
        let mut c = mote_command();
        c.current_dir(&self.ws)
            .env("XDG_CONFIG_HOME", self.home.join("config"))
            .env("XDG_STATE_HOME", self.home.join("state"))
            .env("HOME", &self.home)
            .env("OPENAI_BASE_URL", m.base_url())
            .env("OPENAI_API_KEY", "test-key")
            .env_remove("MOTE_MODEL")
            .args(["--model", "mock-model", "--no-session"])
            .args(args);
        run(&mut c, HANG, args)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.ws.join(name)).unwrap_or_default()
    }
}

/// A hook group: `event` with `matcher`, running `command` (JSON-quoted here).
fn group(event: &str, matcher: &str, command: &str, timeout: u64) -> String {
    let cmd = command.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "{{\"{event}\": [{{\"matcher\": \"{matcher}\", \"hooks\": [{{\"type\": \"command\", \"command\": \"{cmd}\", \"timeout\": {timeout}}}]}}]}}"
    )
}

#[test]
fn pre_tool_use_exit_2_blocks_bash_and_the_model_sees_why() {
    let c = Case::new("pre");
    c.user_hooks(&group(
        "PreToolUse",
        "Bash",
        "cat > pre-input.json; echo 'no touching here' >&2; exit 2",
        60,
    ));
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"touch made-by-bash"}"#),
        Reply::text("ok"),
    ]);
    let o = c.mote(&m, &["-p", "hi", "--permission", "auto"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        !c.ws.join("made-by-bash").exists(),
        "the blocked command ran"
    );
    let results = tool_results(&m);
    assert!(
        results.len() == 1 && results[0].contains("no touching here"),
        "{results:?}"
    );
    let input = c.read("pre-input.json");
    for want in [
        r#""hook_event_name":"PreToolUse""#,
        r#""tool_name":"Bash""#,
        r#""command":"touch made-by-bash""#,
        r#""cwd":"#,
        r#""session_id":"#,
    ] {
        assert!(input.contains(want), "want {want} in {input}");
    }
}

#[test]
fn post_tool_use_sees_the_response_and_matchers_take_claude_names() {
    let c = Case::new("post");
    std::fs::write(c.ws.join("a.txt"), "alpha-line\n").unwrap();
    let mut hooks = group("PostToolUse", "Read", "cat > post-input.json", 60);
    // A second group for another tool must not fire.
    hooks.insert_str(
        hooks.len() - 2,
        ",{\"matcher\": \"Write|Edit\", \"hooks\": [{\"command\": \"touch wrong-matcher\"}]}",
    );
    c.user_hooks(&hooks);
    let m = Mock::start(vec![
        Reply::call("read", r#"{"path":"a.txt"}"#),
        Reply::text("ok"),
    ]);
    let o = c.mote(&m, &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let input = c.read("post-input.json");
    assert!(input.contains("alpha-line"), "no tool_response: {input}");
    assert!(input.contains(r#""tool_response":"#), "{input}");
    assert!(input.contains(r#""file_path":"a.txt""#), "{input}");
    assert!(input.contains(r#""path":"a.txt""#), "{input}");
    assert!(!c.ws.join("wrong-matcher").exists());
}

#[test]
fn user_prompt_submit_adds_context_or_drops_the_prompt() {
    let c = Case::new("prompt");
    c.user_hooks(&group(
        "UserPromptSubmit",
        "",
        "cat > prompt-input.json; echo CONTEXT-FROM-HOOK",
        60,
    ));
    let m = Mock::start(vec![Reply::text("ok")]);
    let o = c.mote(&m, &["-p", "fix it"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let body = m.requests()[0].body.clone();
    assert!(body.contains("CONTEXT-FROM-HOOK"), "{body}");
    assert!(c.read("prompt-input.json").contains(r#""prompt":"fix it""#));

    c.user_hooks(&group(
        "UserPromptSubmit",
        "",
        "echo 'secrets in prompt' >&2; exit 2",
        60,
    ));
    let m = Mock::start(vec![Reply::text("ok")]);
    let o = c.mote(&m, &["-p", "my key is x"]);
    assert_eq!(o.code, 9, "{}", o.stderr);
    assert!(o.stderr.contains("secrets in prompt"), "{}", o.stderr);
    assert!(m.requests().is_empty(), "the dropped prompt was sent");
}

#[test]
fn a_hook_that_hangs_is_killed_at_its_timeout_and_does_not_block() {
    let c = Case::new("timeout");
    c.user_hooks(&group(
        "PreToolUse",
        "*",
        "sleep 30 & echo $! > sleeper.pid; wait",
        1,
    ));
    let m = Mock::start(vec![
        Reply::call("write", r#"{"path":"made","content":"x"}"#),
        Reply::text("ok"),
    ]);
    let start = Instant::now();
    let o = c.mote(&m, &["-p", "hi"]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("timed out after 1 s"), "{}", o.stderr);
    assert_eq!(c.read("made"), "x", "a timed-out hook must not block");
    // The hook's whole process group is gone, its background sleep too.
    let stat = format!("/proc/{}/stat", c.read("sleeper.pid").trim());
    let alive = || {
        let s = std::fs::read_to_string(&stat).unwrap_or_default();
        !s.is_empty() && !s.contains(") Z ")
    };
    let until = Instant::now() + Duration::from_secs(5);
    while alive() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(), "the hook's background sleep survived: {stat}");
}

#[test]
fn broken_hooks_are_one_line_and_never_a_crash() {
    let c = Case::new("broken");
    // A command that does not exist: a non-blocking error, the call goes ahead.
    c.user_hooks(&group("PreToolUse", "", "no-such-hook-command-xyz", 60));
    let m = Mock::start(vec![
        Reply::call("write", r#"{"path":"made","content":"x"}"#),
        Reply::text("ok"),
    ]);
    let o = c.mote(&m, &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(c.read("made"), "x");
    assert!(
        o.stderr.contains("exited 127 (not blocking)"),
        "{}",
        o.stderr
    );

    for (hooks, want) in [
        (r#"{"PreTool": []}"#, "unknown event `PreTool`"),
        (
            r#"{"Stop": [{"hooks": [{"timeout": 5}]}]}"#,
            "needs a `command`",
        ),
    ] {
        c.user_hooks(hooks);
        let o = c.mote(&Mock::start(vec![Reply::text("ok")]), &["-p", "hi"]);
        assert_eq!(o.code, 2, "{}", o.stderr);
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert!(
            o.stderr.contains("config.json: hooks: ") && o.stderr.contains(want),
            "{}",
            o.stderr
        );
    }
    c.user_hooks("{}");
    std::fs::create_dir_all(c.ws.join(".claude")).unwrap();
    std::fs::write(c.ws.join(".claude/settings.json"), "{\"hooks\": {").unwrap();
    let o = c.mote(&Mock::start(vec![Reply::text("ok")]), &["-p", "hi"]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
    assert!(
        o.stderr.contains(".claude/settings.json:1:"),
        "{}",
        o.stderr
    );
}

#[test]
fn project_hooks_run_only_in_a_trusted_folder() {
    let c = Case::new("trust");
    std::fs::create_dir_all(c.ws.join(".claude")).unwrap();
    let settings = format!(
        "{{\"hooks\": {}}}",
        group("PreToolUse", "Write", "touch project-hook-ran", 60)
    );
    std::fs::write(c.ws.join(".claude/settings.json"), settings).unwrap();
    let calls = || {
        Mock::start(vec![
            Reply::call("write", r#"{"path":"made","content":"x"}"#),
            Reply::text("ok"),
        ])
    };
    let o = c.mote(&calls(), &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        !c.ws.join("project-hook-ran").exists(),
        "untrusted hook ran"
    );
    assert!(
        o.stderr.contains("not trusted") && o.stderr.contains("--trust"),
        "{}",
        o.stderr
    );

    let o = c.mote(&calls(), &["-p", "hi", "--trust"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        c.ws.join("project-hook-ran").exists(),
        "--trust: hook did not run"
    );

    std::fs::remove_file(c.ws.join("project-hook-ran")).unwrap();
    let list = c.home.join("state/mote/trusted");
    std::fs::create_dir_all(list.parent().unwrap()).unwrap();
    std::fs::write(&list, format!("{}\n", c.ws.display())).unwrap();
    let o = c.mote(&calls(), &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        c.ws.join("project-hook-ran").exists(),
        "listed folder: hook did not run"
    );
    assert!(!o.stderr.contains("not trusted"), "{}", o.stderr);
}

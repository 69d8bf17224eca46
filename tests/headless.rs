//! Integration tests: the real mote binary (the static build when `make
//! test` sets MOTE_BIN) in a temp workspace against the mock model. They
//! assert effects: files on disk, the requests on the wire, exit codes, and
//! what reaches stdout and stderr. Every broken stream must end in a clear
//! one-line error and a non-zero exit, never a crash or a hang.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{
    assert_fixed, body, copy_demo, demo_replies, fresh_dir, mote_command, run, Out, HANG,
};
use mock::json::{parse, Value};
use mock::{Item, Mock, Options, Reply};

fn workspace(name: &str) -> PathBuf {
    fresh_dir("it", name)
}

/// A workspace holding a copy of the demo project.
fn demo_workspace(name: &str) -> PathBuf {
    let d = workspace(name);
    copy_demo(&d);
    d
}

/// Run mote in `ws` against `m`; a run over 60 s is a hang and fails.
fn mote(ws: &Path, m: &Mock, args: &[&str]) -> Out {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "test-key")
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model"])
        .args(args);
    run(&mut c, HANG, args)
}

/// The content of the last message of request `i`.
fn last_message(m: &Mock, i: usize) -> String {
    let b = body(m, i);
    let msgs = b
        .get("messages")
        .and_then(|v| v.as_array())
        .unwrap()
        .to_vec();
    msgs.last()
        .and_then(|v| v.get("content"))
        .and_then(|v| v.as_str())
        .unwrap_or("")
        .to_string()
}

fn one_line_error(o: &Out, want: &str) {
    let lines: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr is not one line: {}", o.stderr);
    assert!(
        lines[0].starts_with("mote: error: ") && lines[0].contains(want),
        "stderr: {}",
        o.stderr
    );
}

#[test]
fn read_edit_test_task_in_text_format() {
    let ws = demo_workspace("text");
    let m = Mock::start(demo_replies());
    let o = mote(&ws, &m, &["-p", "fix the tests", "--permission", "auto"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&ws);
    assert!(
        o.stdout.starts_with("Fixed. `greet.sh`") && o.stdout.ends_with("all three cases pass.\n"),
        "{}",
        o.stdout
    );
    let reqs = m.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(reqs[0].header("authorization"), Some("Bearer test-key"));
    let first = body(&m, 0);
    assert_eq!(
        first.get("model").and_then(|v| v.as_str()),
        Some("mock-model")
    );
    assert_eq!(
        first
            .get("stream_options")
            .and_then(|v| v.get("include_usage")),
        Some(&Value::Bool(true))
    );
    assert!(first.get("max_tokens").is_some() && first.get("max_completion_tokens").is_none());
    let tools: Vec<&str> = first
        .get("tools")
        .and_then(|v| v.as_array())
        .unwrap()
        .iter()
        .filter_map(|t| t.get("function")?.get("name")?.as_str())
        .collect();
    assert_eq!(
        tools,
        ["read", "write", "edit", "bash", "grep", "find", "ls", "fetch", "task"]
    );
    // The second request carries both tool results of the first turn, in order.
    let second = body(&m, 1);
    let msgs = second.get("messages").and_then(|v| v.as_array()).unwrap();
    let roles: Vec<&str> = msgs
        .iter()
        .filter_map(|v| v.get("role")?.as_str())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool", "tool"]);
    let calls = msgs[2]
        .get("tool_calls")
        .and_then(|v| v.as_array())
        .unwrap();
    assert_eq!(calls.len(), 2);
    let id0 = calls[0].get("id").and_then(|v| v.as_str()).unwrap();
    assert_eq!(
        msgs[3].get("tool_call_id").and_then(|v| v.as_str()),
        Some(id0)
    );
    let test_sh = std::fs::read_to_string(ws.join("test.sh")).unwrap();
    assert_eq!(
        msgs[3].get("content").and_then(|v| v.as_str()),
        Some(test_sh.as_str())
    );
    // The bash result reports the test passing.
    assert!(last_message(&m, 3).contains("ok") && last_message(&m, 3).contains("exit code: 0"));
}

#[test]
fn read_edit_test_task_in_json_format() {
    let ws = demo_workspace("json");
    let m = Mock::start(demo_replies());
    let o = mote(
        &ws,
        &m,
        &[
            "-p",
            "fix the tests",
            "--permission",
            "auto",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&ws);
    assert_eq!(o.stdout.lines().count(), 1);
    let r = parse(o.stdout.trim()).unwrap();
    assert_eq!(r.get("type").and_then(|v| v.as_str()), Some("result"));
    assert!(r
        .get("result")
        .and_then(|v| v.as_str())
        .unwrap()
        .starts_with("Fixed."));
    assert_eq!(r.get("turns").and_then(|v| v.as_f64()), Some(4.0));
    assert!(r.get("error").unwrap().is_null());
    let usage = r.get("usage").unwrap();
    assert!(usage.get("input_tokens").and_then(|v| v.as_f64()).unwrap() > 1000.0);
    assert!(usage.get("output_tokens").and_then(|v| v.as_f64()).unwrap() > 0.0);
    assert!(r.get("duration_ms").is_some());
}

#[test]
fn read_edit_test_task_in_stream_json_format() {
    let ws = demo_workspace("stream");
    let m = Mock::start(demo_replies());
    let o = mote(
        &ws,
        &m,
        &[
            "-p",
            "fix the tests",
            "--permission",
            "auto",
            "--output-format",
            "stream-json",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&ws);
    let events: Vec<Value> = o
        .stdout
        .lines()
        .map(|l| parse(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let types: Vec<&str> = events
        .iter()
        .filter_map(|e| e.get("type")?.as_str())
        .collect();
    assert_eq!(types.first(), Some(&"turn_start"));
    assert_eq!(types.last(), Some(&"result"));
    assert_eq!(types.iter().filter(|t| **t == "turn_start").count(), 4);
    assert_eq!(types.iter().filter(|t| **t == "turn_end").count(), 4);
    assert_eq!(types.iter().filter(|t| **t == "tool_call").count(), 4);
    let text: String = events
        .iter()
        .filter(|e| e.get("type").and_then(|v| v.as_str()) == Some("text"))
        .filter_map(|e| e.get("text")?.as_str())
        .collect();
    assert!(text.contains("I'll start by reading") && text.contains("all three cases pass."));
    let edit = events
        .iter()
        .find(|e| e.get("name").and_then(|v| v.as_str()) == Some("edit"))
        .unwrap();
    assert_eq!(
        edit.get("arguments")
            .and_then(|a| a.get("path"))
            .and_then(|v| v.as_str()),
        Some("greet.sh")
    );
    let bash = events
        .iter()
        .rfind(|e| e.get("type").and_then(|v| v.as_str()) == Some("tool_result"))
        .unwrap();
    assert_eq!(bash.get("is_error"), Some(&Value::Bool(false)));
    assert!(bash
        .get("output")
        .and_then(|v| v.as_str())
        .unwrap()
        .contains("exit code: 0"));
}

#[test]
fn one_byte_writes_and_one_char_fragments() {
    let ws = demo_workspace("onebyte");
    let m = Mock::with_options(
        demo_replies(),
        Options {
            one_byte_writes: true,
            fragment: 1,
            ..Default::default()
        },
    );
    let o = mote(&ws, &m, &["-p", "fix", "--permission", "auto"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&ws);
}

#[test]
fn rate_limit_is_retried_after_retry_after() {
    let ws = workspace("429");
    let m = Mock::start(vec![
        Reply::error(429, Some(1), "slow down"),
        Reply::text("done"),
    ]);
    let start = Instant::now();
    let o = mote(&ws, &m, &["-p", "hi"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "done\n"), "{}", o.stderr);
    assert_eq!(m.requests().len(), 2);
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "Retry-After: 1 was not honoured"
    );
}

#[test]
fn server_errors_are_retried_then_reported() {
    let ws = workspace("500");
    let m = Mock::start(vec![Reply::error(500, None, "boom"); 5]);
    let o = mote(&ws, &m, &["-p", "hi", "--retries", "2"]);
    assert_eq!(o.code, 4);
    assert_eq!(m.requests().len(), 3);
    // Each retry is shown, without -v.
    for n in ["(1/2): HTTP 500: boom", "(2/2): HTTP 500: boom"] {
        assert!(
            o.stderr
                .lines()
                .any(|l| l.starts_with("mote: warning: retrying in ") && l.ends_with(n)),
            "{}",
            o.stderr
        );
    }
    assert!(
        o.stderr
            .lines()
            .last()
            .unwrap()
            .contains("mote: error: HTTP 500: boom"),
        "{}",
        o.stderr
    );
}

#[test]
fn auth_errors_are_not_retried() {
    let ws = workspace("401");
    let m = Mock::start(vec![
        Reply::error(401, None, "Incorrect API key provided"),
        Reply::text("no"),
    ]);
    let o = mote(&ws, &m, &["-p", "hi"]);
    assert_eq!(o.code, 4);
    one_line_error(&o, "HTTP 401: Incorrect API key provided");
    assert_eq!(m.requests().len(), 1);
}

#[test]
fn a_drop_before_any_output_is_retried() {
    let ws = workspace("drop0");
    let m = Mock::start(vec![
        Reply::DropMidStream {
            items: vec![Item::Text("never seen".into())],
            after_events: 0,
        },
        Reply::text("second try"),
    ]);
    let o = mote(&ws, &m, &["-p", "hi", "--output-format", "json"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(m.requests().len(), 2);
    assert!(
        o.stdout.contains(r#""result":"second try""#),
        "{}",
        o.stdout
    );
}

#[test]
fn a_usage_error_under_json_output_is_a_result_object_too() {
    let ws = workspace("json2");
    let m = Mock::start(vec![]);
    let o = mote(
        &ws,
        &m,
        &[
            "--output-format",
            "json",
            "--provider",
            "nosuch",
            "-p",
            "hi",
        ],
    );
    assert_eq!(o.code, 2, "{}", o.stderr);
    let r = parse(o.stdout.trim()).unwrap();
    let err = r.get("error").and_then(|v| v.as_str()).unwrap_or("");
    assert!(err.contains("nosuch"), "{}", o.stdout);
    assert_eq!(r.get("type").and_then(|v| v.as_str()), Some("result"));
    assert!(o.stderr.contains("mote: error:"), "{}", o.stderr);
}

#[test]
fn a_drop_after_output_is_an_error_keeping_the_partial_answer() {
    let ws = workspace("drop3");
    let m = Mock::start(vec![
        Reply::DropMidStream {
            items: vec![Item::Text("a partial answer that is cut".into())],
            after_events: 4,
        },
        Reply::text("must not be asked"),
    ]);
    let o = mote(&ws, &m, &["-p", "hi", "--output-format", "json"]);
    assert_eq!(o.code, 3);
    one_line_error(&o, "stream");
    assert_eq!(m.requests().len(), 1);
    let r = parse(o.stdout.trim()).unwrap();
    assert!(
        r.get("result")
            .and_then(|v| v.as_str())
            .unwrap()
            .starts_with("a partial"),
        "{}",
        o.stdout
    );
    assert!(r.get("error").and_then(|v| v.as_str()).is_some());
}

#[test]
fn broken_streams_end_in_clear_errors() {
    for (reply, code, want) in [
        (Reply::Malformed, 4, "malformed stream"),
        (Reply::InvalidUtf8, 4, "UTF-8"),
        (
            Reply::StreamError {
                message: "model overloaded".into(),
            },
            4,
            "error in stream: model overloaded",
        ),
    ] {
        let ws = workspace("broken");
        let m = Mock::start(vec![reply, Reply::text("must not be asked")]);
        let o = mote(&ws, &m, &["-p", "hi"]);
        assert_eq!(o.code, code, "{want}: {}", o.stderr);
        one_line_error(&o, want);
        assert_eq!(m.requests().len(), 1, "{want}");
    }
}

#[test]
fn a_silent_server_times_out() {
    let ws = workspace("hang");
    let m = Mock::start(vec![Reply::Hang]);
    let start = Instant::now();
    let o = mote(&ws, &m, &["-p", "hi", "--timeout", "1", "--retries", "0"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    one_line_error(&o, "no progress for 1 s (--timeout)");
    assert!(start.elapsed() < Duration::from_secs(20));
}

#[test]
fn no_server_is_a_network_error() {
    let ws = workspace("refused");
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", l.local_addr().unwrap());
    drop(l);
    let o = mote_command()
        .current_dir(&ws)
        .args(["-p", "hi", "-m", "x", "--retries", "0", "--base-url", &url])
        .arg("--no-session")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stderr).starts_with("mote: error: cannot connect to 127.0.0.1")
    );
    // Ollama: the error says how to start it or where to point mote.
    let o = mote_command()
        .current_dir(&ws)
        .args([
            "-p",
            "hi",
            "-m",
            "x",
            "--retries",
            "1",
            "--provider",
            "ollama",
        ])
        .env("OLLAMA_HOST", url.trim_end_matches("/v1"))
        .arg("--no-session")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    let last = err.lines().last().unwrap_or("");
    assert!(
        last.starts_with("mote: error: cannot connect to 127.0.0.1")
            && last.contains("`ollama serve`")
            && last.contains("OLLAMA_HOST"),
        "{err}"
    );
    assert_eq!(
        err.matches("mote: warning: retrying in ").count(),
        1,
        "{err}"
    );
}

#[test]
fn bad_tool_calls_go_back_to_the_model_as_errors() {
    let ws = workspace("badargs");
    std::fs::write(ws.join("a.txt"), "alpha\n").unwrap();
    let m = Mock::start(vec![
        Reply::call("read", r#"{"path": 12}"#),
        Reply::call("edit", r#"{"path":"a.txt","old_text":"x""#),
        Reply::call("read", r#"{"file_path":"a.txt"}"#),
        Reply::call("read", r#"{"path":"../../etc/passwd"}"#),
        Reply::call("nosuch", "{}"),
        Reply::call(
            "edit",
            r#"{"path":"a.txt","old_text":"alpah","new_text":"beta"}"#,
        ),
        Reply::text("gave up"),
    ]);
    let o = mote(&ws, &m, &["-p", "hi", "--permission", "auto"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(m.requests().len(), 7);
    let want = [
        "argument `path` must be a string",
        "bad arguments for edit: arguments are not valid JSON",
        "unknown argument `file_path` for read",
        "outside the workspace",
        "unknown tool `nosuch`",
        "alpha",
    ];
    for (i, w) in want.iter().enumerate() {
        let got = last_message(&m, i + 1);
        assert!(got.contains(w), "request {}: want {w:?} in {got:?}", i + 1);
    }
    assert_eq!(
        std::fs::read_to_string(ws.join("a.txt")).unwrap(),
        "alpha\n"
    );
}

#[test]
fn standard_mode_headless_denies_commands_but_allows_edits() {
    let ws = workspace("perm");
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"touch made-by-bash"}"#),
        Reply::call("write", r#"{"path":"made-by-write","content":"x"}"#),
        Reply::text("ok"),
    ]);
    let o = mote(&ws, &m, &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!ws.join("made-by-bash").exists());
    assert!(last_message(&m, 1).starts_with("permission denied: `bash`"));
    assert_eq!(
        std::fs::read_to_string(ws.join("made-by-write")).unwrap(),
        "x"
    );

    let m = Mock::start(vec![
        Reply::call("write", r#"{"path":"ro","content":"x"}"#),
        Reply::text("ok"),
    ]);
    let o = mote(&ws, &m, &["-p", "hi", "--permission", "read-only"]);
    assert_eq!(o.code, 0);
    assert!(!ws.join("ro").exists());
    assert!(last_message(&m, 1).contains("read-only"));
}

#[test]
fn max_turns_stops_the_loop() {
    let ws = workspace("turns");
    let m = Mock::start(vec![Reply::call("ls", "{}"); 5]);
    let o = mote(&ws, &m, &["-p", "hi", "--max-turns", "2"]);
    assert_eq!(o.code, 5);
    one_line_error(&o, "stopped after 2 turns");
    assert_eq!(m.requests().len(), 2);
}

#[test]
fn configuration_errors_exit_2_with_one_line() {
    let ws = workspace("config");
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = mote_command();
        c.current_dir(&ws)
            .args(args)
            .stdin(Stdio::null())
            .env_remove("MOTE_MODEL")
            .env_remove("OPENAI_API_KEY");
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    for (args, env, want) in [
        (
            &["-p", "hi"][..],
            &[("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")][..],
            "no model",
        ),
        (
            &["-p", "hi", "-m", "x", "--provider", "nosuch"],
            &[],
            "unknown provider `nosuch`",
        ),
        (&["-p", "hi", "-m", "x"], &[], "OPENAI_API_KEY is not set"),
        (
            &["-p", "hi", "-m", "x", "--max-turns", "lots"],
            &[],
            "--max-turns",
        ),
        (&["--frobnicate"], &[], "--frobnicate"),
        (&["-m", "x"], &[], "the prompt is empty"),
        (
            &["-p", "hi", "-m", "x"],
            &[("OPENAI_BASE_URL", "localhost:1234")],
            "bad URL",
        ),
    ] {
        let (code, err) = run(args, env);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let help = mote_command().arg("--help").output().unwrap();
    assert!(
        help.status.success()
            && String::from_utf8_lossy(&help.stdout).contains("--output-format FORMAT")
    );
}

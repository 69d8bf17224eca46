//! Subagents against the mock model: the `task` tool starts children of
//! the real binary, each with its own script (the mock routes requests by
//! a key in their body). Asserts wall time (parallelism), what reaches the
//! parent's next request, files not written, processes left in /proc, the
//! stream-json events, session links and the agent files' effects.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;
#[path = "tui/mod.rs"]
mod tui;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{fresh_dir, mote_command, run, Out, HANG};
use mock::json::{parse, Value};
use mock::{Item, Mock, Reply};

fn workspace(name: &str) -> PathBuf {
    fresh_dir("sub", name)
}

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

/// A reply calling `task` once per (agent, prompt).
fn tasks(calls: &[(&str, &str)]) -> Reply {
    Reply::Turn {
        items: calls
            .iter()
            .map(|(agent, prompt)| Item::Call {
                name: "task".into(),
                args: format!(
                    r#"{{"description":"job {prompt}","prompt":"{prompt}","agent":"{agent}"}}"#
                ),
            })
            .collect(),
        finish: None,
    }
}

/// The bodies of the requests whose body contains `key`, parsed.
fn bodies(m: &Mock, key: &str) -> Vec<Value> {
    m.requests()
        .iter()
        .filter(|r| r.body.contains(key))
        .map(|r| parse(&r.body).unwrap())
        .collect()
}

/// A child's requests: with `key`, without its parent's `parent_key`.
fn child_bodies(m: &Mock, key: &str, parent_key: &str) -> Vec<Value> {
    m.requests()
        .iter()
        .filter(|r| r.body.contains(key) && !r.body.contains(parent_key))
        .map(|r| parse(&r.body).unwrap())
        .collect()
}

/// The tool results (role tool) of a chat-completions body.
fn tool_results(b: &Value) -> Vec<String> {
    b.get("messages")
        .and_then(|v| v.as_array())
        .unwrap()
        .iter()
        .filter(|m| m.get("role").and_then(|r| r.as_str()) == Some("tool"))
        .map(|m| {
            m.get("content")
                .and_then(|c| c.as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

fn tool_names(b: &Value) -> Vec<String> {
    b.get("tools")
        .and_then(|v| v.as_array())
        .map(|ts| {
            ts.iter()
                .filter_map(|t| t.get("function")?.get("name")?.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn events(out: &Out, kind: &str) -> Vec<Value> {
    out.stdout
        .lines()
        .filter_map(|l| parse(l).ok())
        .filter(|v| v.get("type").and_then(|t| t.as_str()) == Some(kind))
        .collect()
}

#[test]
fn three_children_run_in_parallel_and_their_answers_reach_the_parent() {
    let ws = workspace("parallel");
    let m = Mock::start(Vec::new());
    m.route(
        "PARENT-1",
        vec![
            tasks(&[
                ("general", "CHILD-A"),
                ("general", "CHILD-B"),
                ("general", "CHILD-C"),
            ]),
            Reply::text("all three done"),
        ],
    );
    for c in ["CHILD-A", "CHILD-B", "CHILD-C"] {
        m.route(
            c,
            vec![
                Reply::call("bash", r#"{"command":"sleep 1"}"#),
                Reply::text(&format!("answer of {c}")),
            ],
        );
    }
    let start = Instant::now();
    let out = mote(
        &ws,
        &m,
        &[
            "-p",
            "PARENT-1",
            "--permission",
            "auto",
            "--output-format",
            "stream-json",
        ],
    );
    let took = start.elapsed();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        took < Duration::from_secs(2),
        "three 1 s children took {took:?}"
    );
    // The parent's second request carries each child's answer and footer.
    let parent = bodies(&m, "PARENT-1");
    assert_eq!(parent.len(), 2);
    let results = tool_results(&parent[1]);
    assert_eq!(results.len(), 3);
    for (r, c) in results.iter().zip(["CHILD-A", "CHILD-B", "CHILD-C"]) {
        assert!(
            r.starts_with(&format!("answer of {c}\n[subagent general: 2 turns, ")),
            "{r}"
        );
    }
    // Each child ran its bash call (its second request has the result).
    for c in ["CHILD-A", "CHILD-B", "CHILD-C"] {
        let b = child_bodies(&m, c, "PARENT-1");
        assert_eq!(b.len(), 2, "{c}");
        assert_eq!(tool_results(&b[1]), ["(no output)\nexit code: 0"]);
    }
    assert_eq!(events(&out, "subagent_start").len(), 3);
    assert_eq!(events(&out, "subagent_end").len(), 3);
    let inner = events(&out, "subagent_event");
    assert!(
        inner.iter().any(|e| e
            .get("event")
            .and_then(|e| e.get("type"))
            .and_then(|t| t.as_str())
            == Some("tool_call")),
        "{}",
        out.stdout
    );
    // The children's tokens are in the parent's total.
    let child_in: u64 = events(&out, "subagent_end")
        .iter()
        .map(|e| {
            e.get("usage")
                .unwrap()
                .get("input_tokens")
                .unwrap()
                .as_f64()
                .unwrap() as u64
        })
        .sum();
    let result = &events(&out, "result")[0];
    let total_in = result
        .get("usage")
        .unwrap()
        .get("input_tokens")
        .unwrap()
        .as_f64()
        .unwrap() as u64;
    let turns_in: u64 = events(&out, "turn_end")
        .iter()
        .map(|e| {
            e.get("usage")
                .unwrap()
                .get("input_tokens")
                .unwrap()
                .as_f64()
                .unwrap() as u64
        })
        .sum();
    assert!(child_in > 0);
    assert_eq!(total_in, turns_in + child_in);
}

#[test]
fn a_read_only_parent_s_child_cannot_write_whatever_its_file_says() {
    let ws = workspace("readonly");
    std::fs::create_dir_all(ws.join(".mote/agents")).unwrap();
    std::fs::write(
        ws.join(".mote/agents/writer.md"),
        "---\nname: writer\ndescription: writes files\npermission: auto\n---\nWrite what you are told.\n",
    )
    .unwrap();
    let m = Mock::start(Vec::new());
    m.route(
        "PARENT-2",
        vec![tasks(&[("writer", "CHILD-W")]), Reply::text("ok")],
    );
    m.route(
        "CHILD-W",
        vec![
            Reply::call("write", r#"{"path":"x.txt","content":"pwned"}"#),
            Reply::call("bash", r#"{"command":"touch y.txt"}"#),
            Reply::text("I was not allowed to write x.txt"),
        ],
    );
    let out = mote(&ws, &m, &["-p", "PARENT-2", "--permission", "read-only"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!ws.join("x.txt").exists() && !ws.join("y.txt").exists());
    let child = child_bodies(&m, "CHILD-W", "PARENT-2");
    let last = tool_results(child.last().unwrap());
    assert!(last[0].starts_with("permission denied"), "{last:?}");
    // Denied by the gate, or by the read-only sandbox where Landlock is there.
    assert!(
        last[1].to_lowercase().contains("permission denied"),
        "{last:?}"
    );
    let parent = bodies(&m, "PARENT-2");
    assert!(tool_results(&parent[1])[0].starts_with("I was not allowed to write x.txt"));
}

#[test]
fn claude_code_agent_files_give_tools_prompt_and_model() {
    let ws = workspace("claude");
    std::fs::create_dir_all(ws.join(".claude/agents")).unwrap();
    std::fs::write(
        ws.join(".claude/agents/reviewer.md"),
        "---\nname: code-reviewer\ndescription: Reviews code. Use after edits.\ntools: Read, Grep\nmodel: mock-small\ncolor: green\n---\n\nREVIEWER-PROMPT: be strict.\n",
    )
    .unwrap();
    let m = Mock::start(Vec::new());
    m.route(
        "PARENT-3",
        vec![tasks(&[("code-reviewer", "CHILD-R")]), Reply::text("ok")],
    );
    m.route("CHILD-R", vec![Reply::text("looks fine")]);
    let out = mote(&ws, &m, &["-p", "PARENT-3"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let parent = bodies(&m, "PARENT-3");
    let tools = tool_names(&parent[0]);
    assert!(tools.contains(&"task".to_string()), "{tools:?}");
    let task = parent[0]
        .get("tools")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t.get("function").unwrap().get("name").unwrap().as_str() == Some("task"));
    let desc = task
        .unwrap()
        .get("function")
        .unwrap()
        .get("description")
        .unwrap()
        .as_str()
        .unwrap();
    assert!(
        desc.contains("- code-reviewer: Reviews code. Use after edits."),
        "{desc}"
    );
    assert!(
        desc.contains("- explore: ") && desc.contains("- general: "),
        "{desc}"
    );
    let child = &child_bodies(&m, "CHILD-R", "PARENT-3")[0];
    assert_eq!(child.get("model").unwrap().as_str(), Some("mock-small"));
    assert_eq!(parent[0].get("model").unwrap().as_str(), Some("mock-model"));
    assert_eq!(tool_names(child), ["read", "grep"]);
    let system = child.get("messages").unwrap().as_array().unwrap()[0]
        .get("content")
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    assert!(system.contains("REVIEWER-PROMPT: be strict."), "{system}");
    assert!(tool_results(&parent[1])[0].starts_with("looks fine\n[subagent code-reviewer: 1 turns"));
}

#[test]
fn failures_become_tool_errors_and_the_parent_goes_on() {
    let ws = workspace("fail");
    std::fs::create_dir_all(ws.join(".mote")).unwrap();
    std::fs::write(
        ws.join(".mote/config.json"),
        r#"{"subagents":{"timeout":2}}"#,
    )
    .unwrap();
    let m = Mock::start(Vec::new());
    m.route(
        "PARENT-4",
        vec![
            tasks(&[("general", "CHILD-HANG"), ("general", "CHILD-CRASH")]),
            Reply::text("carried on"),
        ],
    );
    m.route("CHILD-HANG", vec![Reply::Hang]);
    // The child's own command kills it: a crash, as the parent sees it.
    m.route(
        "CHILD-CRASH",
        vec![Reply::call("bash", r#"{"command":"kill -9 $PPID"}"#)],
    );
    let start = Instant::now();
    let out = mote(&ws, &m, &["-p", "PARENT-4", "--permission", "auto"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "carried on");
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "{:?}",
        start.elapsed()
    );
    let parent = bodies(&m, "PARENT-4");
    let r = tool_results(&parent[1]);
    assert!(
        r[0].starts_with("subagent `general` timed out after 2 s"),
        "{r:?}"
    );
    assert!(
        r[1].starts_with("subagent `general` was killed by SIGKILL"),
        "{r:?}"
    );
    // The network: a child whose provider cannot be reached.
    let m = Mock::start(Vec::new());
    std::fs::create_dir_all(ws.join(".mote/agents")).unwrap();
    std::fs::write(
        ws.join(".mote/agents/far.md"),
        "---\ndescription: d\nmodel: ollama/nothing\n---\n",
    )
    .unwrap();
    m.route(
        "PARENT-5",
        vec![tasks(&[("far", "CHILD-FAR")]), Reply::text("ok")],
    );
    let mut c = mote_command();
    c.current_dir(&ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "k")
        .env("OLLAMA_HOST", "http://127.0.0.1:9")
        .args(["--model", "mock-model", "-p", "PARENT-5", "--retries", "0"]);
    let out = run(&mut c, HANG, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let r = tool_results(&bodies(&m, "PARENT-5")[1]);
    assert!(
        r[0].starts_with("subagent `far` failed (exit 3: network"),
        "{r:?}"
    );
}

/// Processes whose parent is `pid`, from /proc.
fn children_of(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(p) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let f: Vec<&str> = rest.split(' ').collect();
        if f.get(1).and_then(|pp| pp.parse::<i32>().ok()) == Some(pid) {
            out.push(p);
        }
    }
    out
}

fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty()
        && !stat
            .rsplit_once(") ")
            .is_some_and(|(_, r)| r.starts_with('Z'))
}

/// The pids the children's commands wrote, once all `n` have.
fn wait_pids(ws: &Path, n: usize) -> Vec<i32> {
    let start = Instant::now();
    loop {
        let pids: Vec<i32> = std::fs::read_dir(ws)
            .unwrap()
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_string_lossy()
                    .strip_prefix("pid.")?
                    .parse()
                    .ok()
            })
            .collect();
        if pids.len() == n {
            return pids;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "children did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The parent starts `calls` children; each runs a 30 s command that
/// writes its pid to `pid.PID` first.
fn sleeper_script(m: &Mock, key: &str, calls: usize) {
    m.route(key, vec![tasks(&vec![("general", "CHILD-S"); calls])]);
    let cmd = r#"{"command":"echo $$ > pid.$$; sleep 30"}"#;
    m.route(
        "CHILD-S",
        (0..calls).map(|_| Reply::call("bash", cmd)).collect(),
    );
}

#[test]
fn ctrl_c_in_the_terminal_stops_every_child_and_their_commands() {
    let ws = workspace("cancel-tui");
    let m = Mock::start(Vec::new());
    sleeper_script(&m, "PARENT-6", 3);
    let cmd = format!(
        "env -u MOTE_MODEL OPENAI_BASE_URL={} OPENAI_API_KEY=k XDG_STATE_HOME={ws}/s XDG_DATA_HOME={ws}/d XDG_CONFIG_HOME={ws}/c {} --model mock-model --permission auto; sleep 600",
        m.base_url(),
        tui::sh_quote(&tui::bin().to_string_lossy()),
        ws = ws.display()
    );
    let t = tui::Tmux::start("subcancel", &ws, 120, 30, &cmd);
    t.wait_text("/help for commands");
    t.type_text("PARENT-6");
    t.keys(&["Enter"]);
    let sleeps = wait_pids(&ws, 3);
    let shell = t.pane_pid();
    let mote = children_of(shell)[0];
    let kids = children_of(mote);
    assert_eq!(kids.len(), 3, "three children of {mote}: {kids:?}");
    t.wait_text("general: job CHILD-S");
    let start = Instant::now();
    t.keys(&["C-c"]);
    let gone = |pids: &[i32]| pids.iter().all(|p| !alive(*p));
    // Gone, and reaped by mote (no zombies under it).
    let done = || gone(&kids) && gone(&sleeps) && children_of(mote).is_empty();
    while !done() && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = start.elapsed();
    assert!(gone(&kids), "children left: {kids:?}");
    assert!(gone(&sleeps), "commands left: {sleeps:?}");
    assert!(
        children_of(mote).is_empty(),
        "zombies: {:?}",
        children_of(mote)
    );
    // The key is read by a poll; 200 ms plus tmux's delivery.
    assert!(took < Duration::from_millis(400), "{took:?}");
}

#[test]
fn a_killed_headless_parent_leaves_no_children_or_commands() {
    let ws = workspace("cancel-headless");
    let m = Mock::start(Vec::new());
    sleeper_script(&m, "PARENT-7", 2);
    let mut c = mote_command();
    c.current_dir(&ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "k")
        .args([
            "--model",
            "mock-model",
            "-p",
            "PARENT-7",
            "--permission",
            "auto",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut parent = c.spawn().unwrap();
    let sleeps = wait_pids(&ws, 2);
    let kids = children_of(parent.id() as i32);
    assert_eq!(kids.len(), 2);
    unsafe { libc::kill(parent.id() as i32, libc::SIGINT) };
    let _ = parent.wait();
    let start = Instant::now();
    let gone = |pids: &[i32]| pids.iter().all(|p| !alive(*p));
    while !(gone(&kids) && gone(&sleeps)) && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = |p: &i32| std::fs::read_to_string(format!("/proc/{p}/status")).unwrap_or_default();
    let left: Vec<String> = kids
        .iter()
        .chain(&sleeps)
        .filter(|p| alive(**p))
        .map(status)
        .collect();
    assert!(
        left.is_empty(),
        "left: {kids:?} {sleeps:?}\n{}",
        left.join("\n")
    );
}

#[test]
fn child_sessions_are_saved_linked_and_listed_under_the_parent() {
    let ws = workspace("sessions");
    let m = Mock::start(Vec::new());
    m.route(
        "PARENT-8",
        vec![tasks(&[("explore", "CHILD-E")]), Reply::text("ok")],
    );
    m.route("CHILD-E", vec![Reply::text("explored")]);
    let dir = ws.join("sessions");
    let d = dir.to_string_lossy().to_string();
    let out = mote(&ws, &m, &["-p", "PARENT-8", "--session-dir", &d]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(files.len(), 2);
    let parent = files
        .iter()
        .find(|f| f.contains("PARENT-8") && !f.contains("\"parent\""))
        .unwrap();
    let child = files.iter().find(|f| f.contains("\"parent\"")).unwrap();
    let child_id = parse(child.lines().next().unwrap()).unwrap();
    let child_id = child_id.get("id").unwrap().as_str().unwrap();
    assert!(parent.contains("\"type\":\"subagent\",\"call\":"));
    assert!(
        parent.contains(&format!("\"session\":\"{child_id}\"")),
        "{parent}"
    );
    assert!(child.contains("explored"));
    let list = mote(&ws, &m, &["--sessions", "--session-dir", &d]);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", list.stdout);
    assert!(
        lines[2].starts_with(&format!("  {child_id}")),
        "{}",
        list.stdout
    );
}

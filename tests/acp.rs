//! `mote acp` against the official ACP TypeScript SDK as the editor
//! (tests/acp/client.mjs, installed pinned by tests/acp/setup.sh), with the
//! mock model behind it; the client fails the run on any message of mote's
//! that the SDK's schemas reject. Also raw protocol abuse: garbage lines,
//! wrong types, unknown methods and sessions, an oversized message, EOF.
//! Without node or npm these tests fail with a message saying so: they
//! never pass without having run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::io::{BufRead, BufReader, Write};
use std::os::fd::FromRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use common::{bin, fresh_dir, HANG};
use mock::json::{parse, Value};
use mock::Mock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// node_modules with the pinned SDK. When it cannot be installed the test
/// fails saying so, or (MOTE_TEST_SKIP=acp, an explicit opt-out) returns None.
fn sdk() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let out = Command::new("bash")
            .arg(root().join("tests/acp/setup.sh"))
            .stderr(Stdio::inherit())
            .output();
        match out {
            Ok(o) if o.status.success() => {
                Some(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            }
            _ => None,
        }
    })
    .as_deref()
    .or_else(|| {
        common::require(
            "acp",
            false,
            "tests/acp/setup.sh could not install @agentclientprotocol/sdk: it needs node and npm \
             (apt-get install npm) and the npm registry",
        );
        None
    })
}

fn workspace(name: &str) -> PathBuf {
    fresh_dir("acp", name).canonicalize().unwrap()
}

/// What the SDK client saw: its log of results, errors, updates and
/// requests, and every message mote wrote.
struct Report {
    log: Vec<Value>,
    raw: Vec<Value>,
}

impl Report {
    fn of(&self, t: &str) -> Vec<&Value> {
        self.log
            .iter()
            .filter(|e| e.get("t").and_then(|v| v.as_str()) == Some(t))
            .collect()
    }

    fn result(&self, method: &str) -> &Value {
        self.of("result")
            .into_iter()
            .find(|e| e.get("method").and_then(|v| v.as_str()) == Some(method))
            .and_then(|e| e.get("result"))
            .unwrap_or_else(|| panic!("no result for {method}"))
    }

    fn updates(&self, kind: &str) -> Vec<&Value> {
        self.of("update")
            .into_iter()
            .filter_map(|e| e.get("update"))
            .filter(|u| u.get("sessionUpdate").and_then(|v| v.as_str()) == Some(kind))
            .collect()
    }
}

/// Run scenario `name` of tests/acp/client.mjs in `ws`, mote talking to `m`.
/// None when the tests are opted out (MOTE_TEST_SKIP=acp).
fn client(name: &str, ws: &Path, m: &Mock, env: &[(&str, &str)], args: &[&str]) -> Option<Report> {
    let sdk = sdk()?;
    let mut c = Command::new("node");
    c.arg(root().join("tests/acp/client.mjs"))
        .arg(sdk)
        .arg(name)
        .arg(ws)
        .arg(bin())
        .arg("acp")
        .args(["--model", "mock-model"])
        .args(args)
        .current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "test-key")
        .env_remove("MOTE_MODEL")
        .env("XDG_DATA_HOME", ws.join("data"))
        .env("XDG_STATE_HOME", ws.join("state"))
        .env("XDG_CONFIG_HOME", ws.join("config"))
        .envs(env.iter().copied());
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node (needed for the ACP tests): {e}"));
    let out = common::wait(child, HANG, &[name]);
    assert_eq!(
        out.code, 0,
        "client scenario {name} failed:\n{}",
        out.stderr
    );
    let v = parse(out.stdout.trim()).unwrap_or_else(|e| panic!("report: {e}\n{}", out.stdout));
    assert_eq!(
        v.get("exit").and_then(|x| x.as_f64()),
        Some(0.0),
        "mote acp did not exit 0 at EOF:\n{}",
        out.stderr
    );
    let list = |k: &str| v.get(k).and_then(|x| x.as_array()).unwrap_or(&[]).to_vec();
    Some(Report {
        log: list("log"),
        raw: list("raw"),
    })
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_str()
}

#[test]
fn initialize_new_session_with_client_mcp_server_and_set_mode() {
    let ws = workspace("setup");
    let m = Mock::start(vec![]);
    let starts = ws.join("flaky-starts");
    let mcp = format!(
        r#"[{{"name":"flaky","command":"{}","args":[],"env":[{{"name":"FLAKY_STARTS","value":"{}"}}]}}]"#,
        root().join("tests/mcp/flaky.sh").display(),
        starts.display()
    );
    let Some(r) = client("setup", &ws, &m, &[("ACP_MCP", &mcp)], &[]) else {
        return;
    };

    let init = r.result("initialize");
    assert_eq!(
        init.get("protocolVersion").and_then(|v| v.as_f64()),
        Some(1.0)
    );
    assert_eq!(s(init, &["agentInfo", "name"]), Some("mote"));
    let caps = init.get("agentCapabilities").unwrap();
    assert_eq!(
        caps.get("mcpCapabilities").and_then(|c| c.get("http")),
        Some(&Value::Bool(true))
    );

    // The session is a saved mote session under its own id, rooted at cwd.
    let new = r.result("session/new");
    let id = s(new, &["sessionId"]).unwrap();
    let file = ws.join("data/mote/sessions").join(format!("{id}.jsonl"));
    let saved =
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(
        saved.contains(&format!("\"cwd\":\"{}\"", ws.display())),
        "{saved}"
    );
    assert_eq!(s(new, &["modes", "currentModeId"]), Some("standard"));
    assert_eq!(
        new.get("modes")
            .and_then(|m| m.get("availableModes"))
            .and_then(|a| a.as_array())
            .map(|a| a.len()),
        Some(4)
    );

    // The client's MCP server was started, with the env it gave.
    let started = std::fs::read_to_string(&starts).unwrap_or_default();
    assert_eq!(
        started, "start\n",
        "the MCP server from session/new did not start"
    );

    // set_mode answers and says so with current_mode_update.
    let modes = r.updates("current_mode_update");
    assert_eq!(modes.len(), 1);
    assert_eq!(s(modes[0], &["currentModeId"]), Some("auto"));
    let err = r.of("error");
    assert_eq!(err.len(), 1, "{:?}", r.log);
    assert_eq!(err[0].get("code").and_then(|v| v.as_f64()), Some(-32002.0));
    assert!(!r.raw.is_empty());
}

/// mote acp with raw lines on stdin; the replies, one per line.
struct Raw {
    child: std::process::Child,
    /// The write end of mote's stdin; `None` once closed.
    input: Option<std::fs::File>,
    out: BufReader<std::process::ChildStdout>,
}

impl Raw {
    fn start(ws: &Path) -> Raw {
        Raw::with_model(ws, "http://127.0.0.1:9/v1")
    }

    /// mote acp with the model at `base_url`.
    fn with_model(ws: &Path, base_url: &str) -> Raw {
        Raw::spawn(ws, base_url, false)
    }

    /// mote acp with the model at `base_url`; with `nonblocking`, its stdin
    /// is a pipe whose read end is O_NONBLOCK (as a parent may hand it).
    fn spawn(ws: &Path, base_url: &str, nonblocking: bool) -> Raw {
        let (stdin, input) = if nonblocking {
            let mut fds = [0; 2];
            // SAFETY: a two-int array for pipe2(2) (close-on-exec: mote gets
            // only its stdin); each fd is then owned once.
            let (r, w) = unsafe {
                assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
                assert_eq!(libc::fcntl(fds[0], libc::F_SETFL, libc::O_NONBLOCK), 0);
                (
                    std::fs::File::from_raw_fd(fds[0]),
                    std::fs::File::from_raw_fd(fds[1]),
                )
            };
            (Stdio::from(r), Some(w))
        } else {
            (Stdio::piped(), None)
        };
        let mut c = common::mote_command();
        // No retries: an unreachable model fails at once.
        let mut child = c
            .args(["acp", "--model", "mock-model", "--retries", "0"])
            .current_dir(ws)
            .env("OPENAI_API_KEY", "test-key")
            .env("OPENAI_BASE_URL", base_url)
            .env("XDG_DATA_HOME", ws.join("data"))
            .env("XDG_STATE_HOME", ws.join("state"))
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let input = input.or_else(|| {
            let fd: std::os::fd::OwnedFd = child.stdin.take()?.into();
            Some(fd.into())
        });
        let out = BufReader::new(child.stdout.take().unwrap());
        Raw { child, input, out }
    }

    fn send(&mut self, bytes: &[u8]) {
        let i = self.input.as_mut().unwrap();
        i.write_all(bytes).unwrap();
        i.flush().unwrap();
    }

    /// Close stdin: mote ends its sessions and exits 0.
    fn close(self) {
        self.close_reading();
    }

    /// Close stdin and read what mote still writes until it exits 0.
    fn close_reading(mut self) -> String {
        drop(self.input.take());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.out, &mut rest).unwrap();
        assert_eq!(self.child.wait().unwrap().code(), Some(0));
        rest
    }

    /// initialize (id 1), then session/new (id 2) in `cwd`: the session's id.
    fn new_session(&mut self, cwd: &Path) -> String {
        let cwd = cwd.to_string_lossy().into_owned();
        self.send(
            format!(
                "{}\n{}\n",
                r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":1}}"#,
                format_args!(r#"{{"jsonrpc":"2.0","id":2,"method":"session/new","params":{{"cwd":"{cwd}","mcpServers":[]}}}}"#)
            )
            .as_bytes(),
        );
        loop {
            let v = self.reply();
            if let Some(id) = s(&v, &["result", "sessionId"]) {
                break id.to_string();
            }
        }
    }

    /// initialize, session/new in `ws`, then the prompt "go" (id 3), read
    /// until mote asks permission: the question's id.
    fn prompt_until_asked(&mut self, ws: &Path) -> f64 {
        let sid = self.new_session(ws);
        self.send(format!(r#"{{"jsonrpc":"2.0","id":3,"method":"session/prompt","params":{{"sessionId":"{sid}","prompt":[{{"type":"text","text":"go"}}]}}}}"#).as_bytes());
        self.send(b"\n");
        loop {
            let v = self.reply();
            if s(&v, &["method"]) == Some("session/request_permission") {
                break v.get("id").and_then(|i| i.as_f64()).unwrap();
            }
        }
    }

    /// Read until the answer to the prompt (id 3): its stop reason.
    fn stop_reason(&mut self) -> Option<String> {
        loop {
            let v = self.reply();
            if v.get("id") == Some(&Value::Num(3.0)) {
                break s(&v, &["result", "stopReason"]).map(String::from);
            }
        }
    }

    fn reply(&mut self) -> Value {
        let mut line = String::new();
        self.out.read_line(&mut line).unwrap();
        parse(line.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Send a line, read the reply, return (id, error code).
    fn ask(&mut self, line: &str) -> (Value, f64) {
        self.send(format!("{line}\n").as_bytes());
        let r = self.reply();
        let code = r
            .get("error")
            .and_then(|e| e.get("code"))
            .and_then(|c| c.as_f64());
        (
            r.get("id").cloned().unwrap_or(Value::Null),
            code.unwrap_or(0.0),
        )
    }
}

#[test]
fn malformed_input_gets_json_rpc_errors_and_eof_ends_cleanly() {
    let ws = workspace("malformed");
    let mut r = Raw::start(&ws);
    let null = Value::Null;
    assert_eq!(r.ask("this is not json"), (null.clone(), -32700.0));
    assert_eq!(
        r.ask("{\"jsonrpc\":\"2.0\",\"id\":1,"),
        (null.clone(), -32700.0)
    );
    assert_eq!(r.ask("[1,2]"), (null.clone(), -32600.0));
    assert_eq!(
        r.ask(r#"{"jsonrpc":"2.0","id":[1],"method":"initialize"}"#),
        (null.clone(), -32600.0)
    );
    assert_eq!(
        r.ask(r#"{"jsonrpc":"1.0","id":2,"method":"initialize"}"#).1,
        -32600.0
    );
    assert_eq!(
        r.ask(r#"{"jsonrpc":"2.0","id":3,"method":"no/such"}"#).1,
        -32601.0
    );
    // Wrong types.
    assert_eq!(
        r.ask(
            r#"{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":"one"}}"#
        )
        .1,
        -32602.0
    );
    assert_eq!(
        r.ask(r#"{"jsonrpc":"2.0","id":5,"method":"initialize","params":7}"#)
            .1,
        -32602.0
    );
    assert_eq!(
        r.ask(
            r#"{"jsonrpc":"2.0","id":6,"method":"session/new","params":{"cwd":7,"mcpServers":[]}}"#
        )
        .1,
        -32602.0
    );
    assert_eq!(r.ask(r#"{"jsonrpc":"2.0","id":7,"method":"session/new","params":{"cwd":"rel/dir","mcpServers":[]}}"#).1, -32602.0);
    assert_eq!(r.ask(r#"{"jsonrpc":"2.0","id":8,"method":"session/new","params":{"cwd":"/","mcpServers":[{"name":1}]}}"#).1, -32602.0);
    // Unknown sessions: ACP's resource-not-found, naming the session.
    let (id, code) = r.ask(r#"{"jsonrpc":"2.0","id":"s","method":"session/set_mode","params":{"sessionId":"nope","modeId":"auto"}}"#);
    assert_eq!((id, code), (Value::Str("s".into()), -32002.0));
    // A message over 64 MiB is refused without being held; the next one works.
    let mut big = Vec::with_capacity(65 << 20);
    big.extend_from_slice(br#"{"jsonrpc":"2.0","id":9,"method":"initialize","params":{"x":""#);
    big.resize((64 << 20) + 100, b'a');
    big.extend_from_slice(b"\"}}\n");
    r.send(&big);
    drop(big);
    let e = r.reply();
    assert_eq!(
        raw_error(&e),
        (
            -32600.0,
            "Invalid Request: message larger than 64 MiB".into(),
            None
        )
    );
    let ok =
        r.ask(r#"{"jsonrpc":"2.0","id":10,"method":"initialize","params":{"protocolVersion":1}}"#);
    assert_eq!(ok, (Value::Num(10.0), 0.0));
    // Unknown notifications are ignored; EOF ends the process with 0.
    r.send(b"{\"jsonrpc\":\"2.0\",\"method\":\"whatever\"}\n");
    drop(r.input.take());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut r.out, &mut rest).unwrap();
    assert_eq!(rest, "");
    let start = std::time::Instant::now();
    loop {
        if let Some(st) = r.child.try_wait().unwrap() {
            assert_eq!(st.code(), Some(0));
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "mote acp did not exit at EOF"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The error of a raw reply: (code, message, data.sessionId).
fn raw_error(v: &Value) -> (f64, String, Option<String>) {
    let e = v.get("error").unwrap_or_else(|| panic!("no error: {v:?}"));
    (
        e.get("code").and_then(|c| c.as_f64()).unwrap(),
        s(e, &["message"]).unwrap().to_string(),
        s(e, &["data", "sessionId"]).map(String::from),
    )
}

#[test]
fn requests_get_exact_errors_and_answers_are_never_sent_unasked() {
    let ws = workspace("raw-errors");
    let mut r = Raw::start(&ws);
    let mut ask = |line: &str| {
        r.send(format!("{line}\n").as_bytes());
        r.reply()
    };
    // A message with an id and no method is not a request.
    let v = ask(r#"{"jsonrpc":"2.0","id":1}"#);
    assert_eq!(v.get("id"), Some(&Value::Num(1.0)));
    assert_eq!(
        raw_error(&v),
        (-32600.0, "Invalid Request: no `method`".into(), None)
    );
    let v = ask("nonsense");
    assert!(raw_error(&v).1.starts_with("Parse error: "), "{v:?}");
    // authenticate has nothing to do and answers an empty object.
    let v = ask(r#"{"jsonrpc":"2.0","id":2,"method":"authenticate","params":{"methodId":"x"}}"#);
    assert_eq!(v.get("result"), Some(&Value::Obj(Vec::new())), "{v:?}");
    let v = ask(r#"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"protocolVersion":1}}"#);
    assert_eq!(v.get("id"), Some(&Value::Num(3.0)));
    let cwd = ws.to_string_lossy().into_owned();
    let v = ask(&format!(
        r#"{{"jsonrpc":"2.0","id":4,"method":"session/new","params":{{"cwd":"{cwd}","mcpServers":[]}}}}"#
    ));
    let sid = s(&v, &["result", "sessionId"]).unwrap().to_string();
    // Its commands follow the answer, as a notification.
    let v = r.reply();
    assert_eq!(
        s(&v, &["params", "update", "sessionUpdate"]),
        Some("available_commands_update"),
        "{v:?}"
    );
    let mut ask = |line: &str| {
        r.send(format!("{line}\n").as_bytes());
        r.reply()
    };
    // A cancel between prompts and an answer to nothing get no reply: the
    // next reply is the next request's.
    let v = ask(&format!(
        "{}\n{}\n{}",
        format_args!(
            r#"{{"jsonrpc":"2.0","method":"session/cancel","params":{{"sessionId":"{sid}"}}}}"#
        ),
        r#"{"jsonrpc":"2.0","id":77,"result":{}}"#,
        format_args!(
            r#"{{"jsonrpc":"2.0","id":5,"method":"session/prompt","params":{{"sessionId":"{sid}","prompt":[{{"type":"text","text":"  \n"}}]}}}}"#
        ),
    ));
    assert_eq!(v.get("id"), Some(&Value::Num(5.0)), "{v:?}");
    assert_eq!(
        raw_error(&v),
        (-32602.0, "Invalid params: the prompt is empty".into(), None)
    );
    // Unknown sessions: resource not found, naming the session in data.
    for (id, method, extra) in [
        (
            6,
            "session/prompt",
            r#","prompt":[{"type":"text","text":"hi"}]"#,
        ),
        (
            7,
            "session/set_config_option",
            r#","configId":"model","value":"m""#,
        ),
        (8, "session/set_mode", r#","modeId":"auto""#),
    ] {
        let v = ask(&format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{{"sessionId":"nope"{extra}}}}}"#
        ));
        assert_eq!(
            raw_error(&v),
            (
                -32002.0,
                "Resource not found: session nope".into(),
                Some("nope".into())
            ),
            "{method}"
        );
    }
    // The model cannot be reached: an internal error saying why.
    let v = ask(&format!(
        r#"{{"jsonrpc":"2.0","id":10,"method":"session/prompt","params":{{"sessionId":"{sid}","prompt":[{{"type":"text","text":"hi"}}]}}}}"#
    ));
    let (code, message, _) = raw_error(&v);
    assert_eq!(code, -32603.0, "{v:?}");
    assert!(message.contains("127.0.0.1:9"), "{message}");
    // A session already open cannot be loaded again.
    let v = ask(&format!(
        r#"{{"jsonrpc":"2.0","id":9,"method":"session/load","params":{{"sessionId":"{sid}","cwd":"{cwd}","mcpServers":[]}}}}"#
    ));
    assert_eq!(
        raw_error(&v),
        (
            -32602.0,
            format!("Invalid params: session {sid} is already open"),
            None
        )
    );
    r.close();
}

/// While mote waits for the answer to its permission question, an answer
/// with another id is not taken for it, and the first answer counts.
#[test]
fn an_answer_to_another_request_is_not_the_permission() {
    let ws = workspace("raw-stray-answer");
    let m = touch_ran();
    let mut r = Raw::with_model(&ws, &m.base_url());
    let asked = r.prompt_until_asked(&ws);
    // In one write: an answer to nothing, the answer, and a second answer
    // to the same question, which comes too late to count.
    r.send(
        format!(
            "{}\n{}\n{}\n",
            answer(asked + 1000.0, "allow_once"),
            answer(asked, "reject_once"),
            answer(asked, "allow_once")
        )
        .as_bytes(),
    );
    assert_eq!(r.stop_reason().as_deref(), Some("end_turn"));
    assert!(
        !ws.join("ran").exists(),
        "the stray answer allowed the command"
    );
    r.close();
}

/// A model that runs `touch ran`, then says done.
fn touch_ran() -> Mock {
    Mock::start(vec![
        mock::Reply::call("bash", r#"{"command":"touch ran"}"#),
        mock::Reply::text("done"),
    ])
}

/// The editor's answer to permission question `id`.
fn answer(id: f64, option: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"outcome":{{"outcome":"selected","optionId":"{option}"}}}}}}"#
    )
}

/// A non-blocking stdin (O_NONBLOCK on the pipe, as a parent may leave it)
/// is waited on, idle and during a permission question, not read into an
/// EAGAIN error. Without data mote must stay up: a read that does not wait
/// fails at once ("reading stdin: Resource temporarily unavailable").
#[test]
fn a_non_blocking_stdin_is_waited_on() {
    let ws = workspace("raw-nonblocking");
    let m = touch_ran();
    let mut r = Raw::spawn(&ws, &m.base_url(), true);
    let up = std::time::Instant::now();
    while up.elapsed() < Duration::from_millis(500) {
        if let Some(st) = r.child.try_wait().unwrap() {
            panic!("mote ended before any input: {st}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let asked = r.prompt_until_asked(&ws);
    r.send(format!("{}\n", answer(asked, "allow_once")).as_bytes());
    assert_eq!(r.stop_reason().as_deref(), Some("end_turn"));
    assert!(ws.join("ran").exists(), "the allowed command did not run");
    r.close();
}

/// The folder mote started in keeps its own trust: when the editor opens
/// another folder, trusted, the starting folder's config.json hooks run
/// only if that folder is trusted too.
#[test]
fn the_starting_folders_hooks_need_its_own_trust() {
    for start_trusted in [false, true] {
        let start = workspace(&format!("trust-start-{start_trusted}"));
        let editor = workspace(&format!("trust-editor-{start_trusted}"));
        let marker = start.join("hook-ran");
        std::fs::create_dir_all(start.join(".mote")).unwrap();
        std::fs::write(
            start.join(".mote/config.json"),
            format!(
                r#"{{"hooks":{{"SessionStart":[{{"hooks":[{{"type":"command","command":"touch {}"}}]}}]}}}}"#,
                marker.display()
            ),
        )
        .unwrap();
        let mut trusted = format!("{}\n", editor.display());
        if start_trusted {
            trusted += &format!("{}\n", start.display());
        }
        std::fs::create_dir_all(start.join("state/mote")).unwrap();
        std::fs::write(start.join("state/mote/trusted"), trusted).unwrap();
        let mut r = Raw::start(&start);
        r.new_session(&editor);
        let rest = r.close_reading();
        assert_eq!(
            marker.exists(),
            start_trusted,
            "starting folder trusted: {start_trusted}"
        );
        // The editor is told what was held back.
        let note = format!("not using hooks in {}/.mote/config.json", start.display());
        assert_eq!(rest.contains(&note), !start_trusted, "{rest}");
    }
}

/// stdin that cannot be read ends mote with exit 1 and a one-line error.
#[test]
fn an_unreadable_stdin_is_an_error() {
    let ws = workspace("stdin-dir");
    let out = common::mote_command()
        .args(["acp", "--model", "mock-model"])
        .current_dir(&ws)
        .env("OPENAI_API_KEY", "test-key")
        .stdin(std::fs::File::open("/").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reading stdin: Is a directory"), "{err}");
    assert!(out.stdout.is_empty());
}

/// The tool_call_updates of `r` with `status`.
fn ended<'a>(r: &'a Report, status: &'a str) -> impl Iterator<Item = &'a Value> {
    kinds_of(r, "tool_call_update")
        .into_iter()
        .filter(move |u| s(u, &["status"]) == Some(status))
}

fn kinds_of<'a>(r: &'a Report, kind: &str) -> Vec<&'a Value> {
    r.updates(kind)
}

fn stop_reasons(r: &Report) -> Vec<String> {
    r.of("result")
        .into_iter()
        .filter(|e| e.get("method").and_then(|v| v.as_str()) == Some("session/prompt"))
        .filter_map(|e| s(e, &["result", "stopReason"]).map(String::from))
        .collect()
}

#[test]
fn prompt_reads_asks_edits_and_runs_a_command() {
    let ws = workspace("prompt");
    common::copy_demo(&ws);
    let m = Mock::start(common::demo_replies());
    let Some(r) = client(
        "prompt",
        &ws,
        &m,
        &[("ACP_PROMPT", "The tests fail. Fix it.")],
        &[],
    ) else {
        return;
    };
    // The work really happened.
    common::assert_fixed(&ws);
    assert_eq!(stop_reasons(&r), ["end_turn"], "{:?}", r.log);

    // Text streamed as message chunks.
    let text: String = kinds_of(&r, "agent_message_chunk")
        .iter()
        .filter_map(|u| s(u, &["content", "text"]))
        .collect();
    assert!(text.contains("I'll start by reading the test"), "{text}");
    assert!(text.contains("all three cases pass"), "{text}");

    // Tool calls: kind, title, locations, rawInput; the edit's diff.
    let calls = kinds_of(&r, "tool_call");
    let kinds: Vec<&str> = calls.iter().filter_map(|c| s(c, &["kind"])).collect();
    assert_eq!(kinds, ["read", "read", "edit", "execute"]);
    let titles: Vec<&str> = calls.iter().filter_map(|c| s(c, &["title"])).collect();
    assert_eq!(
        titles,
        [
            "Read test.sh",
            "Read greet.sh",
            "Edit greet.sh",
            "Run `sh test.sh`"
        ]
    );
    let loc = calls[1].get("locations").and_then(|l| l.at(0)).unwrap();
    assert_eq!(
        s(loc, &["path"]),
        Some(ws.join("greet.sh").to_str().unwrap())
    );
    assert_eq!(s(calls[3], &["rawInput", "command"]), Some("sh test.sh"));
    let diff = calls[2].get("content").and_then(|c| c.at(0)).unwrap();
    assert_eq!(s(diff, &["type"]), Some("diff"));
    assert!(s(diff, &["oldText"]).unwrap().contains("${2:-world}"));
    assert!(s(diff, &["newText"]).unwrap().contains("${1:-world}"));

    // Every call ends completed, with its output as content.
    let updates = kinds_of(&r, "tool_call_update");
    let done: Vec<&&Value> = updates
        .iter()
        .filter(|u| s(u, &["status"]) == Some("completed"))
        .collect();
    assert_eq!(done.len(), 4, "{updates:?}");
    assert!(updates
        .iter()
        .any(|u| s(u, &["status"]) == Some("in_progress")));
    let ran = done
        .iter()
        .find(|u| s(u, &["toolCallId"]) == s(calls[3], &["toolCallId"]));
    let out = ran
        .and_then(|u| u.get("content"))
        .and_then(|c| c.as_array());
    assert_eq!(out.map(|c| c.len()), Some(1), "a command shows no diff");
    assert!(s(&out.unwrap()[0], &["content", "text"])
        .unwrap()
        .contains("ok"));
    // The edit's completed update shows its output, then its diff.
    let edited = done
        .iter()
        .find(|u| s(u, &["toolCallId"]) == s(calls[2], &["toolCallId"]))
        .and_then(|u| u.get("content"))
        .and_then(|c| c.as_array())
        .unwrap();
    assert_eq!(edited.len(), 2, "{edited:?}");
    assert_eq!(s(&edited[0], &["type"]), Some("content"));
    assert_eq!(s(&edited[1], &["type"]), Some("diff"));
    assert!(s(&edited[1], &["newText"]).unwrap().contains("${1:-world}"));
    // A plain prompt changes neither the permission mode nor a config option.
    assert!(kinds_of(&r, "current_mode_update").is_empty());
    assert!(kinds_of(&r, "config_option_update").is_empty());

    // Only the command asked (standard mode): allow_once, allow_always, reject_once.
    let asks = r.of("permission");
    assert_eq!(asks.len(), 1, "{asks:?}");
    let p = asks[0].get("params").unwrap();
    assert_eq!(s(p, &["toolCall", "title"]), Some("Run `sh test.sh`"));
    let opts: Vec<&str> = p
        .get("options")
        .and_then(|o| o.as_array())
        .unwrap()
        .iter()
        .filter_map(|o| s(o, &["kind"]))
        .collect();
    assert_eq!(opts, ["allow_once", "allow_always", "reject_once"]);

    // The command waited as `pending` while asked, and ran (in_progress) after.
    let bash_id = s(calls[3], &["toolCallId"]).unwrap();
    let asked_at = r
        .log
        .iter()
        .position(|e| s(e, &["t"]) == Some("permission"))
        .unwrap();
    let running: Vec<usize> = r
        .log
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            s(e, &["update", "toolCallId"]) == Some(bash_id)
                && s(e, &["update", "status"]) == Some("in_progress")
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!(running.len(), 1, "{:?}", r.log);
    assert!(running[0] > asked_at, "in_progress before the answer");
    assert_eq!(s(calls[3], &["status"]), Some("pending"));
}

#[test]
fn the_doom_loop_question_is_a_permission_request() {
    // Five repeats: allowed, the guard asks at the third and again at the
    // fifth; refused, the third never runs.
    for (answer, runs, asked) in [("allow_once", 5, 2), ("reject_once", 2, 1)] {
        let ws = workspace(&format!("doom-{answer}"));
        let call = || mock::Reply::call("bash", r#"{"command":"echo x >> runs"}"#);
        let mut replies: Vec<mock::Reply> = (0..5).map(|_| call()).collect();
        replies.push(mock::Reply::text("done"));
        let m = Mock::start(replies);
        let env = [("ACP_PERMISSION", answer), ("ACP_MODE", "auto")];
        let Some(r) = client("prompt", &ws, &m, &env, &[]) else {
            return;
        };
        let ran = std::fs::read_to_string(ws.join("runs")).unwrap_or_default();
        assert_eq!(ran.lines().count(), runs, "{answer}");
        let asks = r.of("permission");
        assert_eq!(asks.len(), asked, "{answer}: {asks:?}");
        // Each question is a tool call of its own id, ending completed
        // (yes) or failed (no).
        let ids: Vec<&str> = asks
            .iter()
            .filter_map(|a| s(a, &["params", "toolCall", "toolCallId"]))
            .collect();
        assert!(asked == 1 || ids[0] != ids[1], "{ids:?}");
        let ended = if answer == "allow_once" {
            "completed"
        } else {
            "failed"
        };
        for id in &ids {
            let end = kinds_of(&r, "tool_call_update")
                .into_iter()
                .filter(|u| s(u, &["toolCallId"]) == Some(id))
                .filter_map(|u| s(u, &["status"]))
                .next_back();
            assert_eq!(end, Some(ended), "{answer}");
        }
        let p = asks[0].get("params").unwrap();
        let title = s(p, &["toolCall", "title"]).unwrap();
        assert!(title.contains("loop"), "{title}");
        // The question is a tool call of its own, shown before it is asked.
        let id = s(p, &["toolCall", "toolCallId"]).unwrap();
        let shown = kinds_of(&r, "tool_call")
            .into_iter()
            .any(|c| s(c, &["toolCallId"]) == Some(id));
        assert!(shown, "{answer}");
        assert_eq!(stop_reasons(&r), ["end_turn"]);
    }
}

#[test]
fn a_rejected_or_cancelled_permission_denies_the_call() {
    for answer in ["reject_once", "cancelled"] {
        let ws = workspace(&format!("deny-{answer}"));
        let m = Mock::start(vec![
            mock::Reply::call("bash", r#"{"command":"touch made-by-bash"}"#),
            mock::Reply::text("ok"),
        ]);
        let env = [("ACP_PERMISSION", answer)];
        let Some(r) = client("prompt", &ws, &m, &env, &[]) else {
            return;
        };
        assert!(
            !ws.join("made-by-bash").exists(),
            "{answer}: the command ran"
        );
        assert_eq!(r.of("permission").len(), 1);
        let failed = ended(&r, "failed").count();
        assert_eq!(failed, 1, "{answer}");
        assert_eq!(stop_reasons(&r), ["end_turn"]);
    }
}

/// A reply calling `task` for each child key (subagents issue).
fn task_calls(keys: &[&str]) -> mock::Reply {
    mock::Reply::Turn {
        items: keys
            .iter()
            .map(|k| mock::Item::Call {
                name: "task".into(),
                args: format!(r#"{{"description":"job {k}","prompt":"{k}"}}"#),
            })
            .collect(),
        finish: None,
    }
}

#[test]
fn subagents_are_think_tool_calls_with_progress() {
    let ws = workspace("subagent");
    let m = Mock::start(Vec::new());
    m.route(
        "ACP-PARENT",
        vec![task_calls(&["ACP-CHILD"]), mock::Reply::text("done")],
    );
    m.route("ACP-CHILD", vec![mock::Reply::text("the child's answer")]);
    let Some(r) = client("prompt", &ws, &m, &[("ACP_PROMPT", "ACP-PARENT")], &[]) else {
        return;
    };
    let calls = kinds_of(&r, "tool_call");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(s(calls[0], &["kind"]), Some("think"));
    assert_eq!(s(calls[0], &["title"]), Some("Subagent: job ACP-CHILD"));
    let updates = kinds_of(&r, "tool_call_update");
    let progress = updates.iter().find(|u| {
        u.get("content")
            .and_then(|c| c.at(0))
            .and_then(|c| s(c, &["content", "text"]))
            .is_some_and(|t| t.starts_with("general: turn 1"))
    });
    assert!(progress.is_some(), "{updates:?}");
    let done = updates
        .iter()
        .find(|u| s(u, &["status"]) == Some("completed"))
        .unwrap();
    let text = done.get("content").and_then(|c| c.at(0)).unwrap();
    assert!(s(text, &["content", "text"])
        .unwrap()
        .starts_with("the child's answer\n[subagent general: 1 turns"));
}

#[test]
fn cancel_stops_running_subagents_and_their_commands() {
    let ws = workspace("subagent-cancel");
    let m = Mock::start(Vec::new());
    m.route(
        "first",
        vec![
            task_calls(&["ACP-SLEEP", "ACP-SLEEP"]),
            mock::Reply::text("second answer"),
        ],
    );
    let cmd = r#"{"command":"echo $$ > pid.$$; sleep 30"}"#;
    m.route(
        "ACP-SLEEP",
        vec![
            mock::Reply::call("bash", cmd),
            mock::Reply::call("bash", cmd),
        ],
    );
    // auto: the children's commands run; cancel once one has started.
    let env = [
        ("ACP_MODE", "auto"),
        ("ACP_CANCEL_ON", "tool_call_update"),
        ("ACP_CANCEL_TEXT", "turn 1, bash,"),
        // The progress line is shown as the child's command is called: let
        // it start (its pid file), however loaded the machine.
        ("ACP_CANCEL_AFTER_FILE", "pid."),
        ("ACP_DELAY_MS", "100"),
    ];
    let Some(r) = client("cancel", &ws, &m, &env, &[]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["cancelled", "end_turn"], "{:?}", r.log);
    let pids: Vec<i32> = std::fs::read_dir(&ws)
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
    let alive = |p: &i32| {
        let st = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
        !st.is_empty()
            && !st
                .rsplit_once(") ")
                .is_some_and(|(_, r)| r.starts_with('Z'))
    };
    assert!(!pids.is_empty(), "no command started before the cancel");
    assert!(pids.iter().all(|p| !alive(p)), "commands left: {pids:?}");
    let ms = r.of("cancel_ms")[0]
        .get("ms")
        .and_then(|v| v.as_f64())
        .unwrap();
    assert!(ms < 1000.0, "cancel took {ms} ms");
}

/// The cancel scenario's time from session/cancel to the prompt's answer.
fn cancel_ms(r: &Report) -> f64 {
    r.of("cancel_ms")
        .first()
        .and_then(|e| e.get("ms"))
        .and_then(|v| v.as_f64())
        .unwrap()
}

#[test]
fn cancel_stops_a_streaming_answer_within_200_ms_and_keeps_the_partial_text() {
    let ws = workspace("cancel-stream");
    let m = Mock::start(vec![
        mock::Reply::HangMidStream {
            items: vec![mock::Item::Text("partial words before the stall".into())],
            after_events: 4,
        },
        mock::Reply::text("second answer"),
    ]);
    let env = [("ACP_CANCEL_ON", "agent_message_chunk")];
    let Some(r) = client("cancel", &ws, &m, &env, &[]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["cancelled", "end_turn"], "{:?}", r.log);
    let ms = cancel_ms(&r);
    assert!(ms < 200.0, "cancel took {ms} ms");
    // The second request carries what was said before the cancel.
    let reqs = m.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].body.contains("partial"), "{}", reqs[1].body);
}

#[test]
fn cancel_kills_a_running_command_within_200_ms() {
    let ws = workspace("cancel-command");
    let m = Mock::start(vec![
        mock::Reply::call(
            "bash",
            r#"{"command":"echo $$ > sleep.pid; exec sleep 30"}"#,
        ),
        mock::Reply::text("second answer"),
    ]);
    let env = [
        ("ACP_CANCEL_ON", "tool_call"),
        ("ACP_MODE", "auto"),
        ("ACP_DELAY_MS", "300"),
    ];
    let Some(r) = client("cancel", &ws, &m, &env, &[]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["cancelled", "end_turn"], "{:?}", r.log);
    let ms = cancel_ms(&r);
    assert!(ms < 200.0, "cancel took {ms} ms");
    let pid = std::fs::read_to_string(ws.join("sleep.pid")).expect("the command did not start");
    let proc_dir = PathBuf::from(format!("/proc/{}", pid.trim()));
    let state = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
    assert!(
        state.is_empty() || state.contains(") Z"),
        "sleep still runs: {state}"
    );
    let failed = ended(&r, "failed").count();
    assert_eq!(failed, 1);
}

/// A write over a file shows the file's old content as the diff's
/// oldText; "Always allow" runs the command and is not asked again.
#[test]
fn a_write_shows_the_old_text_and_allow_always_is_remembered() {
    let ws = workspace("write-always");
    std::fs::write(ws.join("old.txt"), "old text\n").unwrap();
    let add = || mock::Reply::call("bash", r#"{"command":"touch added"}"#);
    let m = Mock::start(vec![
        mock::Reply::call("write", r#"{"path":"old.txt","content":"new text\n"}"#),
        add(),
        add(),
        mock::Reply::text("done"),
    ]);
    let env = [("ACP_PERMISSION", "allow_always")];
    let Some(r) = client("prompt", &ws, &m, &env, &[]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["end_turn"], "{:?}", r.log);
    assert_eq!(
        std::fs::read_to_string(ws.join("old.txt")).unwrap(),
        "new text\n"
    );
    let calls = kinds_of(&r, "tool_call");
    let diff = calls[0].get("content").and_then(|c| c.at(0)).unwrap();
    assert_eq!(s(diff, &["oldText"]), Some("old text\n"));
    assert_eq!(s(diff, &["newText"]), Some("new text\n"));
    // Both commands ran; only the first asked.
    assert!(ws.join("added").exists());
    let done = ended(&r, "completed").count();
    assert_eq!(done, 3, "{:?}", r.log);
    assert_eq!(r.of("permission").len(), 1, "{:?}", r.log);
}

/// A cancel naming another session, or a message that is not a cancel,
/// leaves the running prompt alone.
#[test]
fn only_a_cancel_of_the_running_session_stops_it() {
    let ws = workspace("cancel-other");
    let m = Mock::start(vec![
        mock::Reply::call("bash", r#"{"command":"sleep 0.5; touch slept"}"#),
        mock::Reply::text("first answer"),
        mock::Reply::text("second answer"),
    ]);
    let env = [
        ("ACP_CANCEL_ON", "tool_call"),
        ("ACP_MODE", "auto"),
        ("ACP_CANCEL_SESSION", "another-session"),
    ];
    let Some(r) = client("cancel", &ws, &m, &env, &[]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["end_turn", "end_turn"], "{:?}", r.log);
    assert!(ws.join("slept").exists(), "the command was stopped");
    // Nor while a permission question waits: the question is answered
    // (cancelled, so the call is denied) and the turn goes on.
    let ws = workspace("cancel-other-asking");
    let m = Mock::start(vec![
        mock::Reply::call("bash", r#"{"command":"touch ran"}"#),
        mock::Reply::text("first answer"),
        mock::Reply::text("second answer"),
    ]);
    let env = [
        ("ACP_CANCEL_ON", "permission"),
        ("ACP_PERMISSION", "hold"),
        ("ACP_CANCEL_SESSION", "another-session"),
    ];
    let r = client("cancel", &ws, &m, &env, &[]).unwrap();
    assert_eq!(stop_reasons(&r), ["end_turn", "end_turn"], "{:?}", r.log);
    assert!(!ws.join("ran").exists());
    assert_eq!(m.requests().len(), 3);
}

/// A cancelled /compact (its summary request stalled) answers `cancelled`,
/// though the command itself ends with a message rather than an error.
#[test]
fn a_cancelled_compact_is_cancelled() {
    let ws = workspace("cancel-compact");
    let m = Mock::start(vec![
        mock::Reply::text("noted"),
        mock::Reply::HangMidStream {
            items: vec![mock::Item::Text("a summary that never ends".into())],
            after_events: 2,
        },
        mock::Reply::text("second answer"),
    ]);
    // Long enough that compaction has something to summarise.
    let long = "a long first message ".repeat(5000);
    let env = [
        ("ACP_BEFORE", long.as_str()),
        ("ACP_FIRST", "/compact"),
        ("ACP_CANCEL_ON", "now"),
        ("ACP_DELAY_MS", "500"),
    ];
    let Some(r) = client("cancel", &ws, &m, &env, &[]) else {
        return;
    };
    assert_eq!(
        stop_reasons(&r),
        ["end_turn", "cancelled", "end_turn"],
        "{:?}",
        r.log
    );
    let reqs = m.requests();
    assert_eq!(reqs.len(), 3, "the summary was never asked for");
}

/// A cancel while a permission question waits stops the turn as cancelled,
/// even when the client then answers the question (ACP: with `cancelled`).
#[test]
fn cancel_during_a_permission_question_stops_the_turn() {
    let ws = workspace("cancel-permission");
    let m = Mock::start(vec![
        mock::Reply::call("bash", r#"{"command":"touch ran"}"#),
        mock::Reply::text("after the denial"),
        mock::Reply::text("second answer"),
    ]);
    let env = [("ACP_CANCEL_ON", "permission"), ("ACP_PERMISSION", "hold")];
    let Some(r) = client("cancel", &ws, &m, &env, &[]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["cancelled", "end_turn"], "{:?}", r.log);
    assert!(!ws.join("ran").exists(), "the command ran");
    assert_eq!(r.of("permission").len(), 1);
    // The model was not asked again within the cancelled turn.
    let reqs = m.requests();
    assert_eq!(reqs.len(), 2, "{:?}", r.log);
    assert!(reqs[1].body.contains("second"), "{}", reqs[1].body);
}

#[test]
fn load_replays_a_saved_session_and_continues_it() {
    let ws = workspace("load");
    common::copy_demo(&ws);
    let m = Mock::start(common::demo_replies());
    let env = [("ACP_PROMPT", "The tests fail. Fix it.")];
    let Some(first) = client("prompt", &ws, &m, &env, &[]) else {
        return;
    };
    let id = s(first.result("session/new"), &["sessionId"])
        .unwrap()
        .to_string();

    // A new mote acp process loads it by mote's own session id.
    let m2 = Mock::start(vec![mock::Reply::text("Still fixed.")]);
    let env = [
        ("ACP_SESSION", id.as_str()),
        ("ACP_PROMPT", "Is it still fixed?"),
    ];
    let r = client("load", &ws, &m2, &env, &[]).unwrap();
    let cut = r
        .log
        .iter()
        .position(|e| s(e, &["t"]) == Some("loaded"))
        .unwrap();
    let replay = Report {
        log: r.log[..cut].to_vec(),
        raw: Vec::new(),
    };
    let users: Vec<&str> = replay
        .updates("user_message_chunk")
        .iter()
        .filter_map(|u| s(u, &["content", "text"]))
        .collect();
    assert_eq!(users, ["The tests fail. Fix it."]);
    let said: String = replay
        .updates("agent_message_chunk")
        .iter()
        .filter_map(|u| s(u, &["content", "text"]))
        .collect();
    assert!(said.contains("all three cases pass"), "{said}");
    assert_eq!(replay.updates("tool_call").len(), 4);
    let completed = replay
        .updates("tool_call_update")
        .into_iter()
        .filter(|u| s(u, &["status"]) == Some("completed"))
        .count();
    assert_eq!(completed, 4);
    // The prompt after the load continues the same conversation and file.
    assert_eq!(stop_reasons(&r), ["end_turn"]);
    let body = &m2.requests()[0].body;
    assert!(body.contains("The tests fail. Fix it.") && body.contains("Is it still fixed?"));
    let file = ws.join("data/mote/sessions").join(format!("{id}.jsonl"));
    let saved = std::fs::read_to_string(file).unwrap();
    assert!(saved.contains("Still fixed."));
    // Loading an unknown id is ACP's resource-not-found.
    let env = [("ACP_SESSION", "20200101-000000-000000")];
    let r = client("load", &ws, &m2, &env, &[]).unwrap();
    let e = r.of("error");
    assert_eq!(e[0].get("code").and_then(|c| c.as_f64()), Some(-32002.0));
}

/// The model's reasoning is streamed as thought chunks and told again by
/// session/load; redacted reasoning (no text, only its data) is not shown.
#[test]
fn reasoning_is_sent_as_thoughts_and_replayed() {
    let ws = workspace("thoughts");
    let m = Mock::start(vec![mock::Reply::Turn {
        items: vec![
            mock::Item::Thinking {
                text: "deep thought".into(),
                signature: "sig".into(),
            },
            mock::Item::Thinking {
                text: String::new(),
                signature: "opaque-redacted".into(),
            },
            mock::Item::Text("the answer".into()),
        ],
        finish: None,
    }]);
    let base = format!("http://{}", m.addr());
    let thoughts = |r: &Report| -> String {
        kinds_of(r, "agent_thought_chunk")
            .iter()
            .filter_map(|u| s(u, &["content", "text"]))
            .collect()
    };
    let args = ["--provider", "anthropic"];
    let env = [
        ("ANTHROPIC_API_KEY", "k"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
    ];
    let Some(r) = client("prompt", &ws, &m, &env, &args) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["end_turn"], "{:?}", r.log);
    assert_eq!(thoughts(&r), "deep thought");
    let id = s(r.result("session/new"), &["sessionId"])
        .unwrap()
        .to_string();
    let m2 = Mock::start(vec![mock::Reply::text("ok")]);
    let base = format!("http://{}", m2.addr());
    let env = [
        ("ANTHROPIC_API_KEY", "k"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
        ("ACP_SESSION", id.as_str()),
    ];
    let r = client("load", &ws, &m2, &env, &args).unwrap();
    let cut = r
        .log
        .iter()
        .position(|e| s(e, &["t"]) == Some("loaded"))
        .unwrap();
    let replay = Report {
        log: r.log[..cut].to_vec(),
        raw: Vec::new(),
    };
    assert_eq!(thoughts(&replay), "deep thought");
}

#[test]
fn a_cut_or_refused_answer_has_its_stop_reason() {
    for (finish, reason) in [("length", "max_tokens"), ("content_filter", "refusal")] {
        let ws = workspace(&format!("stop-{finish}"));
        let m = Mock::start(vec![mock::Reply::Turn {
            items: vec![mock::Item::Text("an answer cut sh".into())],
            finish: Some(finish.into()),
        }]);
        let Some(r) = client("prompt", &ws, &m, &[], &[]) else {
            return;
        };
        assert_eq!(stop_reasons(&r), [reason], "{finish}: {:?}", r.log);
    }
    // --max-turns reached: the model called a tool in its only turn.
    let ws = workspace("stop-max-turns");
    let m = Mock::start(vec![
        mock::Reply::call("bash", r#"{"command":"echo hi"}"#),
        mock::Reply::text("never asked"),
    ]);
    let Some(r) = client("prompt", &ws, &m, &[], &["--max-turns", "1"]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["max_turn_requests"], "{:?}", r.log);
    assert_eq!(m.requests().len(), 1);
}

#[test]
fn client_fs_reads_and_writes_through_the_editor_after_the_gate() {
    let ws = workspace("client-fs");
    std::fs::write(ws.join("a.txt"), "disk text\n").unwrap();
    let outside = ws.parent().unwrap().join("outside-client-fs.txt");
    let _ = std::fs::remove_file(&outside);
    let m = Mock::start(vec![
        mock::Reply::call("read", r#"{"path":"a.txt"}"#),
        mock::Reply::call(
            "edit",
            r#"{"path":"a.txt","old_text":"unsaved","new_text":"edited"}"#,
        ),
        mock::Reply::call("write", r#"{"path":"sub/b.txt","content":"new file\n"}"#),
        mock::Reply::call(
            "write",
            r#"{"path":"../outside-client-fs.txt","content":"x"}"#,
        ),
        mock::Reply::text("done"),
    ]);
    let env = [
        ("ACP_FS", "1"),
        ("ACP_BUFFER", "unsaved buffer text\n"),
        ("ACP_PERMISSION", "reject_once"),
    ];
    let Some(r) = client("prompt", &ws, &m, &env, &[]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["end_turn"], "{:?}", r.log);
    // The model saw the editor's buffer, not the disk.
    let reqs = m.requests();
    assert!(
        reqs[1].body.contains("unsaved buffer text"),
        "{}",
        reqs[1].body
    );
    assert!(!reqs[1].body.contains("disk text"));
    // The edit and the new file went to the editor; the disk is untouched.
    let writes: Vec<(String, String)> = r
        .of("fs_write")
        .iter()
        .map(|e| {
            let p = e.get("params").unwrap();
            (
                s(p, &["path"]).unwrap().to_string(),
                s(p, &["content"]).unwrap().to_string(),
            )
        })
        .collect();
    let abs = |p: &str| ws.join(p).to_string_lossy().into_owned();
    assert_eq!(
        writes,
        [
            (abs("a.txt"), "edited buffer text\n".to_string()),
            (abs("sub/b.txt"), "new file\n".to_string())
        ]
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("a.txt")).unwrap(),
        "disk text\n"
    );
    assert!(!ws.join("sub/b.txt").exists());
    // The write outside the workspace was refused by the gate and never reached the editor.
    let failed: Vec<&Value> = ended(&r, "failed").collect();
    assert_eq!(failed.len(), 1, "{:?}", r.log);
    let shown = failed[0].get("content").and_then(|c| c.as_array());
    assert_eq!(
        shown.map(|c| c.len()),
        Some(1),
        "a failed write shows no diff"
    );
    assert!(!outside.exists());
    // Each request of mote's has an id of its own.
    let mut ids: Vec<f64> = r
        .raw
        .iter()
        .filter(|m| m.get("method").is_some())
        .filter_map(|m| m.get("id").and_then(|i| i.as_f64()))
        .collect();
    assert!(ids.len() >= 4, "{ids:?}");
    let n = ids.len();
    ids.sort_by(f64::total_cmp);
    ids.dedup();
    assert_eq!(ids.len(), n, "a request id was used twice");
    let reads = r.of("fs_read");
    assert!(
        reads
            .iter()
            .chain(r.of("fs_write").iter())
            .all(|e| !s(e, &["params", "path"]).unwrap().contains("outside")),
        "{reads:?}"
    );
}

#[test]
fn slash_commands_are_listed_and_run() {
    let ws = workspace("commands");
    std::fs::create_dir_all(ws.join(".mote/prompts")).unwrap();
    std::fs::write(
        ws.join(".mote/prompts/fixit.md"),
        "---\ndescription: fix an issue\n---\nFix issue $1 now, carefully.\n",
    )
    .unwrap();
    deploy_skill(&ws);
    // A skill named like a prompt mode: `/review` runs the mode.
    std::fs::create_dir_all(ws.join(".mote/skills/review")).unwrap();
    std::fs::write(
        ws.join(".mote/skills/review/SKILL.md"),
        "---\nname: review\ndescription: A skill shadowed by the mode.\n---\n",
    )
    .unwrap();
    let m = Mock::start(vec![]);
    let Some(r) = client("setup", &ws, &m, &[], &[]) else {
        return;
    };
    // Listed after session/new: the commands, the prompt modes, the
    // templates, the skills.
    let lists = r.updates("available_commands_update");
    assert_eq!(lists.len(), 1, "{:?}", r.log);
    let listed = lists[0]
        .get("availableCommands")
        .and_then(|a| a.as_array())
        .unwrap();
    let names: Vec<&str> = listed.iter().filter_map(|c| s(c, &["name"])).collect();
    for n in [
        "compact",
        "model",
        "cost",
        "remember",
        "code",
        "plan",
        "review",
        "fixit",
        "deploy-helper",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    assert!(!names.contains(&"quit") && !names.contains(&"resume"));
    assert_eq!(names.iter().filter(|n| **n == "review").count(), 1);
    let skill = listed
        .iter()
        .find(|c| s(c, &["name"]) == Some("deploy-helper"))
        .unwrap();
    assert_eq!(s(skill, &["description"]), Some("Deploys the demo site."));
    assert_eq!(s(skill, &["input", "hint"]), Some("task"));

    // /cost answers without asking the model.
    let m = Mock::start(vec![]);
    let r = client("prompt", &ws, &m, &[("ACP_PROMPT", "/cost")], &[]).unwrap();
    let said: String = kinds_of(&r, "agent_message_chunk")
        .iter()
        .filter_map(|u| s(u, &["content", "text"]))
        .collect();
    assert!(said.starts_with("this run: 0 in"), "{said}");
    assert!(m.requests().is_empty());
    assert_eq!(stop_reasons(&r), ["end_turn"]);

    // /plan TASK runs the task in plan mode, whose permission is read-only.
    let m = Mock::start(vec![mock::Reply::text("planned")]);
    let env = [("ACP_PROMPT", "/plan look around")];
    let r = client("prompt", &ws, &m, &env, &[]).unwrap();
    let body = &m.requests()[0].body;
    assert!(body.contains("Plan mode: do not change the code"), "{body}");
    assert!(body.contains("look around") && !body.contains("/plan"));
    let modes = r.updates("current_mode_update");
    assert_eq!(s(modes[0], &["currentModeId"]), Some("read-only"));

    // A template is expanded into the task.
    let m = Mock::start(vec![mock::Reply::text("fixed")]);
    let r = client("prompt", &ws, &m, &[("ACP_PROMPT", "/fixit 42")], &[]).unwrap();
    assert!(m.requests()[0]
        .body
        .contains("Fix issue 42 now, carefully."));
    assert_eq!(stop_reasons(&r), ["end_turn"]);

    // /remember writes the note to AGENTS.md without asking the model.
    let m = Mock::start(vec![]);
    let env = [("ACP_PROMPT", "/remember keep it small")];
    let r = client("prompt", &ws, &m, &env, &[]).unwrap();
    let said: String = kinds_of(&r, "agent_message_chunk")
        .iter()
        .filter_map(|u| s(u, &["content", "text"]))
        .collect();
    assert!(said.starts_with("added `- keep it small`"), "{said}");
    assert_eq!(
        std::fs::read_to_string(ws.join("AGENTS.md")).unwrap(),
        "## Notes\n\n- keep it small\n"
    );
    assert!(m.requests().is_empty());

    // Arguments are hinted; /model, /plan and /compact answer in the editor.
    let hint = |n: &str| {
        lists[0]
            .get("availableCommands")
            .and_then(|a| a.as_array())
            .unwrap()
            .iter()
            .find(|c| s(c, &["name"]) == Some(n))
            .and_then(|c| s(c, &["input", "hint"]))
            .map(String::from)
    };
    assert_eq!(hint("compact"), None);
    assert_eq!(hint("plan").as_deref(), Some("task"));
    assert!(hint("remember").is_some());
    let m = Mock::start(vec![]);
    let env = [("ACP_PROMPTS", r#"["/model","/plan","/compact"]"#)];
    let r = client("prompts", &ws, &m, &env, &[]).unwrap();
    let mut said = vec![String::new()];
    for e in &r.log {
        match s(e, &["t"]) {
            Some("prompt_done") => said.push(String::new()),
            Some("update") if s(e, &["update", "sessionUpdate"]) == Some("agent_message_chunk") => {
                said.last_mut()
                    .unwrap()
                    .push_str(s(e, &["update", "content", "text"]).unwrap_or(""))
            }
            _ => {}
        }
    }
    assert!(said[0].contains("mock-model"), "{said:?}");
    assert!(said[1].contains("prompt mode: plan"), "{said:?}");
    assert_eq!(said[2], "nothing to compact", "{said:?}");
    assert!(m.requests().is_empty());
}

#[test]
fn plan_mode_checklist_is_a_plan_update() {
    let ws = workspace("plan");
    let m = Mock::start(vec![
        mock::Reply::call(
            "write",
            r#"{"path":"PLAN.md","content":"Goal\n- [ ] write the parser\n- [x] read the spec\n"}"#,
        ),
        mock::Reply::text("planned"),
    ]);
    let env = [("ACP_PROMPT", "/plan the parser")];
    let Some(r) = client("prompt", &ws, &m, &env, &[]) else {
        return;
    };
    let plans = r.updates("plan");
    assert_eq!(plans.len(), 1, "{:?}", r.log);
    let entries: Vec<(&str, &str)> = plans[0]
        .get("entries")
        .and_then(|e| e.as_array())
        .unwrap()
        .iter()
        .map(|e| (s(e, &["content"]).unwrap(), s(e, &["status"]).unwrap()))
        .collect();
    assert_eq!(
        entries,
        [
            ("write the parser", "pending"),
            ("read the spec", "completed")
        ]
    );
}

#[test]
fn config_options_set_the_prompt_mode_and_the_model() {
    let ws = workspace("config");
    // The user's models table: its models are offered after the current
    // one, which it names too (listed once).
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    std::fs::write(
        ws.join("config/mote/config.json"),
        r#"{"models":{"big":{"context_window":200000},"mock-model":{}}}"#,
    )
    .unwrap();
    // A template is no prompt mode: setting it is an error.
    std::fs::create_dir_all(ws.join(".mote/prompts")).unwrap();
    std::fs::write(ws.join(".mote/prompts/fixit.md"), "Fix $ARGUMENTS\n").unwrap();
    let m = Mock::start(vec![mock::Reply::text("ok")]);
    let env = [("ACP_MODEL", "other-model"), ("ACP_TEMPLATE", "fixit")];
    let Some(r) = client("config", &ws, &m, &env, &[]) else {
        return;
    };
    let opts = r.result("session/new").get("configOptions").unwrap();
    let models: Vec<&str> = opts
        .at(1)
        .and_then(|o| o.get("options"))
        .and_then(|o| o.as_array())
        .unwrap()
        .iter()
        .filter_map(|o| s(o, &["value"]))
        .collect();
    assert_eq!(models, ["mock-model", "big"]);
    let ids: Vec<&str> = opts
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| s(o, &["id"]))
        .collect();
    assert_eq!(ids, ["prompt_mode", "model"]);
    assert_eq!(s(opts.at(0).unwrap(), &["currentValue"]), Some("code"));
    assert_eq!(
        s(opts.at(1).unwrap(), &["currentValue"]),
        Some("mock-model")
    );
    // Each set answers every option; plan mode's permission is announced.
    let sets: Vec<&Value> = r
        .of("result")
        .into_iter()
        .filter(|e| s(e, &["method"]) == Some("session/set_config_option"))
        .collect();
    assert_eq!(sets.len(), 2, "{:?}", r.log);
    let last = sets[1]
        .get("result")
        .and_then(|v| v.get("configOptions"))
        .unwrap();
    assert_eq!(s(last.at(0).unwrap(), &["currentValue"]), Some("plan"));
    assert_eq!(
        s(last.at(1).unwrap(), &["currentValue"]),
        Some("other-model")
    );
    let modes = r.updates("current_mode_update");
    assert_eq!(
        modes.len(),
        1,
        "only the prompt mode changed the permission"
    );
    assert_eq!(s(modes[0], &["currentModeId"]), Some("read-only"));
    // It follows the answer to the set that changed it, before the next one.
    let mode_at = r
        .log
        .iter()
        .position(|e| s(e, &["update", "sessionUpdate"]) == Some("current_mode_update"))
        .unwrap();
    let set_at: Vec<usize> = r
        .log
        .iter()
        .enumerate()
        .filter(|(_, e)| s(e, &["method"]) == Some("session/set_config_option"))
        .map(|(i, _)| i)
        .collect();
    assert!(set_at[0] < mode_at && mode_at < set_at[1], "{:?}", r.log);
    let errors: Vec<String> = r.of("error").iter().map(|e| format!("{e:?}")).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].contains("no prompt mode `fixit`"), "{errors:?}");
    let prompt_modes: Vec<&str> = opts
        .at(0)
        .and_then(|o| o.get("options"))
        .and_then(|o| o.as_array())
        .unwrap()
        .iter()
        .filter_map(|o| s(o, &["value"]))
        .collect();
    for m in ["code", "plan", "review"] {
        assert!(prompt_modes.contains(&m), "{m} not in {prompt_modes:?}");
    }
    // The prompt goes to the new model in plan mode.
    let body = &m.requests()[0].body;
    assert!(body.contains("\"model\":\"other-model\""), "{body}");
    assert!(body.contains("Plan mode"));
}

/// A template's `permission:` sets the session's mode, with a
/// `current_mode_update` before its task runs; an untrusted project's
/// template may only tighten it (src/modes.rs `grant`).
#[test]
fn a_templates_permission_applies_only_tightening_when_untrusted() {
    let ws = workspace("template-permission");
    std::fs::create_dir_all(ws.join(".mote/prompts")).unwrap();
    std::fs::create_dir_all(ws.join(".claude/commands")).unwrap();
    let go = "---\npermission: auto\n---\nGo: $ARGUMENTS\n";
    std::fs::write(ws.join(".mote/prompts/go.md"), go).unwrap();
    let look = "---\npermission: read-only\n---\nLook.\n";
    std::fs::write(ws.join(".claude/commands/look.md"), look).unwrap();
    let touch = || {
        Mock::start(vec![
            mock::Reply::call("bash", r#"{"command":"touch by-go"}"#),
            mock::Reply::text("ok"),
        ])
    };
    let said = |r: &Report| -> String {
        kinds_of(r, "agent_message_chunk")
            .iter()
            .filter_map(|u| s(u, &["content", "text"]))
            .collect()
    };
    let modes = |r: &Report| -> Vec<String> {
        r.updates("current_mode_update")
            .iter()
            .filter_map(|u| s(u, &["currentModeId"]).map(String::from))
            .collect()
    };
    // Untrusted: /go stays in standard, so the command is asked about (and rejected).
    let env = [("ACP_PROMPT", "/go now"), ("ACP_PERMISSION", "reject_once")];
    let Some(r) = client("prompt", &ws, &touch(), &env, &[]) else {
        return;
    };
    assert!(
        !ws.join("by-go").exists(),
        "auto from an untrusted template"
    );
    assert_eq!(r.of("permission").len(), 1);
    assert!(modes(&r).is_empty(), "{:?}", modes(&r));
    assert!(
        said(&r).contains("go.md asks for permission auto"),
        "{}",
        said(&r)
    );

    // /look tightens to read-only before its task runs: the write is refused.
    let m = Mock::start(vec![
        mock::Reply::call("write", r#"{"path":"looked.txt","content":"x"}"#),
        mock::Reply::text("ok"),
    ]);
    let r = client("prompt", &ws, &m, &[("ACP_PROMPT", "/look")], &[]).unwrap();
    assert!(!ws.join("looked.txt").exists(), "read-only wrote");
    // ... and back to the session's mode once its task is done.
    assert_eq!(modes(&r), ["read-only", "standard"]);
    let at = |kind: &str| {
        r.of("update")
            .iter()
            .position(|e| s(e, &["update", "sessionUpdate"]) == Some(kind))
            .unwrap()
    };
    assert!(at("current_mode_update") < at("tool_call"));

    // --trust: /go switches to auto and the command runs unasked.
    let env = [("ACP_PROMPT", "/go now")];
    let r = client("prompt", &ws, &touch(), &env, &["--trust"]).unwrap();
    assert!(ws.join("by-go").exists());
    assert!(r.of("permission").is_empty());
    assert_eq!(modes(&r), ["auto", "standard"]);
}

/// A template's `permission:` is for its one task: the next prompt of the
/// session runs in the session's mode again, and the editor is told both
/// changes. Here /look's read-only ends, and the next prompt's write
/// (which standard allows unasked) lands.
#[test]
fn a_templates_permission_ends_with_its_task() {
    let ws = workspace("template-one-task");
    std::fs::create_dir_all(ws.join(".mote/prompts")).unwrap();
    let look = "---\npermission: read-only\n---\nLook.\n";
    std::fs::write(ws.join(".mote/prompts/look.md"), look).unwrap();
    let m = Mock::start(vec![
        mock::Reply::text("looked"),
        mock::Reply::call("write", r#"{"path":"after.txt","content":"x"}"#),
        mock::Reply::text("ok"),
    ]);
    let env = [("ACP_PROMPTS", r#"["/look", "now write"]"#)];
    let Some(r) = client("prompts", &ws, &m, &env, &[]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["end_turn", "end_turn"]);
    assert!(
        ws.join("after.txt").exists(),
        "the template's read-only stayed"
    );
    assert!(r.of("permission").is_empty());
    let modes: Vec<&str> = r
        .updates("current_mode_update")
        .iter()
        .filter_map(|u| s(u, &["currentModeId"]))
        .collect();
    assert_eq!(modes, ["read-only", "standard"]);
    // Both updates come within the first prompt, before its answer.
    let first_done = r
        .log
        .iter()
        .position(|e| s(e, &["t"]) == Some("prompt_done"));
    let last_mode = r
        .log
        .iter()
        .rposition(|e| s(e, &["update", "sessionUpdate"]) == Some("current_mode_update"));
    assert!(last_mode < first_done, "{last_mode:?} {first_done:?}");
}

/// The project skill `deploy-helper` in `ws`.
fn deploy_skill(ws: &Path) {
    std::fs::create_dir_all(ws.join(".mote/skills/deploy-helper")).unwrap();
    std::fs::write(
        ws.join(".mote/skills/deploy-helper/SKILL.md"),
        "---\nname: deploy-helper\ndescription: Deploys the demo site.\n---\nRun make deploy.\n",
    )
    .unwrap();
}

/// A hooks object with one group: `command` on `event` for tools matching `matcher`.
fn hook(event: &str, matcher: &str, command: &str) -> String {
    format!(
        r#""{event}":[{{"matcher":"{matcher}","hooks":[{{"type":"command","command":"{command}"}}]}}]"#
    )
}

/// An editor session runs the same hooks and sees the same skills as the
/// terminal: the user's PreToolUse guard blocks a command (its marker is
/// not written, the model gets the guard's reason), UserPromptSubmit's
/// output reaches the request body, the skill's name is in the system
/// prompt on the wire, SessionStart and SessionEnd run; the project's own
/// hooks run only in a trusted folder.
#[test]
fn hooks_and_skills_work_in_an_editor_session() {
    let ws = workspace("hooks-skills");
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    let hooks = [
        hook("PreToolUse", "Bash", "echo blocked-by-guard >&2; exit 2"),
        hook("UserPromptSubmit", "", "echo HOOK-CONTEXT-42"),
        hook("SessionStart", "", "touch user-start-ran"),
        hook("SessionEnd", "", "touch user-end-ran"),
    ]
    .join(",");
    let user = format!(r#"{{"hooks":{{{hooks}}}}}"#);
    std::fs::write(ws.join("config/mote/config.json"), user).unwrap();
    let project = format!(
        r#"{{"hooks":{{{}}}}}"#,
        hook("SessionStart", "", "touch project-hook-ran")
    );
    std::fs::create_dir_all(ws.join(".claude")).unwrap();
    std::fs::write(ws.join(".claude/settings.json"), project).unwrap();
    let mcp_json = r#"{"mcpServers":{"proj":{"command":"/bin/false"}}}"#;
    std::fs::write(ws.join(".mcp.json"), mcp_json).unwrap();
    deploy_skill(&ws);
    let m = Mock::start(vec![
        mock::Reply::call("bash", r#"{"command":"touch marker"}"#),
        mock::Reply::text("ok"),
    ]);
    let args = ["--permission", "auto"];
    let Some(r) = client("prompt", &ws, &m, &[], &args) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["end_turn"]);
    assert!(
        !ws.join("marker").exists(),
        "the PreToolUse guard was bypassed"
    );
    let bodies: Vec<String> = m.requests().into_iter().map(|q| q.body).collect();
    assert_eq!(bodies.len(), 2);
    assert!(bodies[0].contains("HOOK-CONTEXT-42"), "{}", bodies[0]);
    assert!(bodies[0].contains("deploy-helper: Deploys the demo site."));
    assert!(bodies[1].contains("blocked-by-guard"), "{}", bodies[1]);
    // SessionStart said nothing: no section for it in the prompt.
    assert!(!bodies[0].contains("# Session start"));
    assert!(ws.join("user-start-ran").exists() && ws.join("user-end-ran").exists());
    assert!(
        !ws.join("project-hook-ran").exists(),
        "an untrusted folder's hook ran"
    );
    // The editor is told what was held back (there is no terminal to ask).
    let notes = |r: &Report| -> Vec<String> {
        kinds_of(r, "agent_message_chunk")
            .iter()
            .filter_map(|u| s(u, &["content", "text"]))
            .filter(|t| t.contains("not trusted"))
            .map(String::from)
            .collect()
    };
    let held = notes(&r);
    assert_eq!(held.len(), 1, "{held:?}");
    assert!(held[0].contains("hooks in ") && held[0].contains(".claude/settings.json"));
    let mcp_held = format!("MCP servers in {}", ws.join(".mcp.json").display());
    assert!(held[0].contains(&mcp_held), "{held:?}");
    // --no-mcp: the project's MCP servers are not held back, they are off.
    let m = Mock::start(vec![mock::Reply::text("ok")]);
    let r = client("prompt", &ws, &m, &[], &["--no-mcp"]).unwrap();
    let held = notes(&r);
    assert_eq!(held.len(), 1, "{held:?}");
    assert!(!held[0].contains("MCP servers"), "{held:?}");
    std::fs::remove_file(ws.join(".mcp.json")).unwrap();
    let m = Mock::start(vec![mock::Reply::text("ok")]);
    let r = client("prompt", &ws, &m, &[], &["--trust"]).unwrap();
    assert!(ws.join("project-hook-ran").exists());
    assert!(notes(&r).is_empty());
}

/// Switching the prompt mode (`/plan`) builds the system prompt as a new
/// session does: the skills, `--append-system-prompt` and what the
/// SessionStart hooks added stay in it; then `/deploy-helper staging` asks
/// for that skill.
#[test]
fn a_prompt_mode_switch_keeps_the_skills_and_a_skill_is_invoked_by_name() {
    let ws = workspace("mode-skills");
    deploy_skill(&ws);
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    let start = hook("SessionStart", "", "echo START-CTX-77");
    std::fs::write(
        ws.join("config/mote/config.json"),
        format!(r#"{{"hooks":{{{start}}}}}"#),
    )
    .unwrap();
    let m = Mock::start(vec![mock::Reply::text("ok")]);
    let env = [("ACP_PROMPTS", r#"["/plan", "/deploy-helper staging"]"#)];
    let args = ["--append-system-prompt", "APPENDED-XYZ"];
    let Some(r) = client("prompts", &ws, &m, &env, &args) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["end_turn", "end_turn"]);
    let bodies: Vec<String> = m.requests().into_iter().map(|q| q.body).collect();
    assert_eq!(bodies.len(), 1);
    assert!(
        bodies[0].contains("Plan mode: do not change"),
        "{}",
        bodies[0]
    );
    assert!(bodies[0].contains("deploy-helper: Deploys the demo site."));
    assert!(bodies[0].contains("APPENDED-XYZ"));
    assert!(bodies[0].contains("# Session start\\n\\nSTART-CTX-77"));
    // `/SKILL args` asks for the skill, as in the terminal.
    let skill_md = ws.join(".mote/skills/deploy-helper/SKILL.md");
    let asked = format!("Use the skill `deploy-helper`: read {}", skill_md.display());
    assert!(bodies[0].contains(&asked), "{}", bodies[0]);
    assert!(bodies[0].contains("staging"));
}

/// The Notification hooks fire when the editor is asked
/// (`session/request_permission`), as in the terminal: before the answer,
/// with the hook input Claude Code scripts read.
#[test]
fn the_notification_hook_fires_when_the_editor_is_asked() {
    let ws = workspace("notification");
    std::fs::create_dir_all(ws.join("config/mote")).unwrap();
    let notify = "cat > notified.json; [ -e marker ] || touch notified-first";
    let user = format!(r#"{{"hooks":{{{}}}}}"#, hook("Notification", "", notify));
    std::fs::write(ws.join("config/mote/config.json"), user).unwrap();
    let m = Mock::start(vec![
        mock::Reply::call("bash", r#"{"command":"touch marker"}"#),
        mock::Reply::text("ok"),
    ]);
    let Some(r) = client("prompt", &ws, &m, &[("ACP_PROMPT", "touch it")], &[]) else {
        return;
    };
    assert_eq!(stop_reasons(&r), ["end_turn"]);
    assert_eq!(r.of("permission").len(), 1, "{:?}", r.log);
    assert!(ws.join("marker").exists(), "allow_once ran the command");
    let n = std::fs::read_to_string(ws.join("notified.json")).unwrap();
    assert!(
        n.contains(r#""hook_event_name":"Notification""#)
            && n.contains("needs your permission to use bash"),
        "{n}"
    );
    assert!(
        ws.join("notified-first").exists(),
        "fired after the command ran"
    );
}

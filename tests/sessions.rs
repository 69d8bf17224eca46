//! Sessions, end to end with the real binary and the mock model: what the
//! JSONL file holds (and never holds: the key), exact resume (request bodies
//! compared with an uninterrupted run), kill -9 at known and at arbitrary
//! points followed by a resume, torn lines, compaction (by threshold, and
//! on a context-length error) and two processes writing at once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{copy_demo, demo_replies, fresh_dir, mote_command, Out, HANG};
use mock::json::{parse, Value};
use mock::{Item, Mock, Reply};

const KEY: &str = "sk-test-SECRET-4f9d2c";

fn scratch(name: &str) -> PathBuf {
    fresh_dir("sess-it", name)
}

/// `dir/ws` holding the demo project (fresh), and `dir/data` for sessions.
fn demo(dir: &Path) -> PathBuf {
    let ws = dir.join("ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    copy_demo(&ws);
    ws
}

fn spawn(ws: &Path, data: &Path, m: &Mock, args: &[&str]) -> Child {
    mote_command()
        .current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", KEY)
        .env("XDG_DATA_HOME", data)
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "--permission", "auto"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait(child: Child) -> Out {
    common::wait(child, HANG, &[])
}

fn mote(ws: &Path, data: &Path, m: &Mock, args: &[&str]) -> Out {
    common::wait(spawn(ws, data, m, args), HANG, args)
}

fn session_files(data: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data.join("mote/sessions"))
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    // Beside them: ID.undo/, the checkpoints outside git (src/undo/).
    v.retain(|p| p.extension().is_some_and(|x| x == "jsonl"));
    v.sort();
    v
}

/// Every line of a session file, parsed (all must be whole JSON lines).
fn records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.ends_with('\n'),
        "{} does not end in a newline",
        path.display()
    );
    text.lines()
        .map(|l| parse(l).unwrap_or_else(|e| panic!("{}: bad line {l:?}: {e}", path.display())))
        .collect()
}

fn kinds(recs: &[Value]) -> Vec<String> {
    recs.iter()
        .map(|r| {
            r.get("type")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string()
        })
        .collect()
}

/// A request body with the mock's random tool-call ids replaced by their
/// order of appearance, so two runs can be compared byte for byte.
fn normalized(body: &str) -> String {
    let mut ids: Vec<String> = Vec::new();
    let mut out = String::new();
    let mut rest = body;
    while let Some(i) = rest.find("\"call_") {
        out.push_str(&rest[..i + 1]);
        let tail = &rest[i + 1..];
        let end = tail.find('"').unwrap();
        let id = &tail[..end];
        let n = ids.iter().position(|x| x == id).unwrap_or_else(|| {
            ids.push(id.to_string());
            ids.len() - 1
        });
        out.push_str(&format!("ID{n}"));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn bodies(m: &Mock) -> Vec<String> {
    m.requests().iter().map(|r| normalized(&r.body)).collect()
}

fn messages(body: &str) -> Vec<Value> {
    parse(body)
        .unwrap()
        .get("messages")
        .and_then(|v| v.as_array())
        .unwrap()
        .to_vec()
}

fn content(v: &Value) -> &str {
    v.get("content").and_then(|c| c.as_str()).unwrap_or("")
}

/// The requests of the demo task run without interruption.
fn uninterrupted(dir: &Path) -> Vec<String> {
    let ws = demo(dir);
    let m = Mock::start(demo_replies());
    let o = mote(&ws, &dir.join("data-full"), &m, &["-p", "fix the tests"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    bodies(&m)
}

#[test]
fn the_file_holds_every_record_and_never_the_key() {
    let dir = scratch("file");
    let ws = demo(&dir);
    let data = dir.join("data");
    let m = Mock::start(demo_replies());
    let o = mote(&ws, &data, &m, &["-p", "fix the tests"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let files = session_files(&data);
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        !text.contains(KEY) && !text.contains("Bearer"),
        "the key leaked into the session file"
    );
    let recs = records(&files[0]);
    let head = &recs[0];
    assert_eq!(head.get("type").and_then(|v| v.as_str()), Some("session"));
    assert_eq!(
        head.get("model").and_then(|v| v.as_str()),
        Some("mock-model")
    );
    assert_eq!(
        head.get("provider").and_then(|v| v.as_str()),
        Some("openai")
    );
    assert_eq!(
        head.get("mote").and_then(|v| v.as_str()),
        Some(env!("CARGO_PKG_VERSION"))
    );
    let cwd = std::fs::canonicalize(&ws).unwrap();
    assert_eq!(
        head.get("cwd").and_then(|v| v.as_str()),
        Some(cwd.to_str().unwrap())
    );
    let id = head.get("id").and_then(|v| v.as_str()).unwrap();
    assert!(files[0].ends_with(format!("{id}.jsonl")));
    let k = kinds(&recs);
    let count = |t: &str| k.iter().filter(|x| *x == t).count();
    assert_eq!(
        k[1..3],
        ["checkpoint", "user"],
        "the prompt's checkpoint record, then it"
    );
    assert_eq!(
        (
            count("assistant"),
            count("call"),
            count("result"),
            count("usage")
        ),
        (4, 4, 4, 4)
    );
    let test_sh = std::fs::read_to_string(ws.join("test.sh")).unwrap();
    assert!(recs
        .iter()
        .any(|r| r.get("text").and_then(|v| v.as_str()) == Some(test_sh.as_str())));

    // --sessions lists it; --no-session saves nothing.
    let o = mote(&ws, &data, &m, &["--sessions"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let line = o
        .stdout
        .lines()
        .find(|l| l.starts_with(id))
        .unwrap_or_else(|| panic!("{}", o.stdout));
    assert!(
        line.contains(" 4  ")
            && line.contains(cwd.to_str().unwrap())
            && line.ends_with("fix the tests"),
        "{line}"
    );
    let m = Mock::start(vec![Reply::text("hi"), Reply::text("hi")]);
    assert_eq!(mote(&ws, &data, &m, &["-p", "x", "--no-session"]).code, 0);
    let other = dir.join("elsewhere");
    assert_eq!(
        mote(
            &ws,
            &data,
            &m,
            &["-p", "x", "--session-dir", other.to_str().unwrap()]
        )
        .code,
        0
    );
    assert_eq!(session_files(&data).len(), 1);
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 1);
}

#[test]
fn resume_sends_the_requests_an_uninterrupted_run_would_have() {
    let dir = scratch("exact");
    let want = uninterrupted(&dir);
    assert_eq!(want.len(), 4);
    for stop in 1..4 {
        let ws = demo(&dir);
        let data = dir.join(format!("data{stop}"));
        let m = Mock::start(demo_replies());
        let o = mote(
            &ws,
            &data,
            &m,
            &["-p", "fix the tests", "--max-turns", &stop.to_string()],
        );
        assert_eq!(o.code, 5, "{}", o.stderr);
        let o = mote(&ws, &data, &m, &["-c"]);
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stdout.starts_with("Fixed."), "{}", o.stdout);
        assert_eq!(bodies(&m), want, "split after {stop} turns");
    }
    // A finished session takes a next task; the history goes with it.
    let ws = dir.join("ws");
    let data = dir.join("data1");
    let m = Mock::start(vec![Reply::text("next done")]);
    let o = mote(&ws, &data, &m, &["-c"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("has finished; give the next task with -p"),
        "{}",
        o.stderr
    );
    let id = session_files(&data)[0]
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let o = mote(&ws, &data, &m, &["--resume", &id[..17], "-p", "and now?"]);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, "next done\n"),
        "{}",
        o.stderr
    );
    let msgs = messages(&m.requests()[0].body);
    assert_eq!(msgs.len(), 11);
    assert_eq!(content(&msgs[10]), "and now?");
    assert!(content(&msgs[9]).starts_with("Fixed."));
    let o = mote(&ws, &data, &m, &["--resume", "19990101"]);
    assert_eq!(o.code, 2);
    assert!(o.stderr.contains("no session `19990101`"), "{}", o.stderr);
}

#[test]
fn kill_9_while_a_request_is_in_flight_then_resume_exactly() {
    let dir = scratch("kill");
    let want = uninterrupted(&dir);
    for k in 0..4 {
        let ws = demo(&dir);
        let data = dir.join(format!("data{k}"));
        let mut replies = demo_replies();
        replies.insert(k, Reply::Hang);
        let m = Mock::start(replies);
        let mut child = spawn(&ws, &data, &m, &["-p", "fix the tests"]);
        let start = Instant::now();
        while m.requests().len() < k + 1 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "mote never sent request {k}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        let o = mote(&ws, &data, &m, &["-c"]);
        assert_eq!(o.code, 0, "after a kill at request {k}: {}", o.stderr);
        let got = bodies(&m);
        assert_eq!(got[..k], want[..k]);
        assert_eq!(
            got[k + 1..],
            want[k..],
            "resume after a kill at request {k}"
        );
    }
}

/// Twelve turns of a command, then an answer.
fn long_replies() -> Vec<Reply> {
    let mut r: Vec<Reply> = (0..12)
        .map(|i| Reply::call("bash", &format!(r#"{{"command":"echo step {i}"}}"#)))
        .collect();
    r.push(Reply::text("all steps done"));
    r
}

/// Every tool call in the request has its result right after it.
fn well_formed(body: &str) {
    let msgs = messages(body);
    for (i, m) in msgs.iter().enumerate() {
        let Some(calls) = m.get("tool_calls").and_then(|v| v.as_array()) else {
            continue;
        };
        for (j, c) in calls.iter().enumerate() {
            let id = c.get("id").and_then(|v| v.as_str()).unwrap();
            let r = msgs
                .get(i + 1 + j)
                .unwrap_or_else(|| panic!("call {id} has no result"));
            assert_eq!(r.get("tool_call_id").and_then(|v| v.as_str()), Some(id));
        }
    }
}

#[test]
fn kill_9_at_arbitrary_moments_never_breaks_resume() {
    const SPARE: usize = 2;
    let dir = scratch("killany");
    let ws = dir.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    // How many kills landed mid-run and were then really resumed.
    let mut resumed = 0;
    // Each kill lands after the mock has served `served` requests (so it is
    // mid-run whatever the machine's speed), `delay` ms later: inside the
    // tool run, the session write or the next request.
    let points = [
        (0, 0u64),
        (1, 0),
        (1, 2),
        (2, 1),
        (3, 0),
        (4, 3),
        (5, 1),
        (6, 0),
        (8, 2),
        (10, 0),
        (11, 1),
        (12, 0),
    ];
    for (n, (served, delay)) in points.into_iter().enumerate() {
        let data = dir.join(format!("data{n}"));
        // A kill after the last answer arrived but before it was saved makes
        // the resume ask again (the turn was not finished): spare answers.
        let mut replies = long_replies();
        replies.extend(std::iter::repeat_n(Reply::text("all steps done"), SPARE));
        let m = Mock::start(replies);
        let mut child = spawn(&ws, &data, &m, &["-p", "run the steps"]);
        let start = std::time::Instant::now();
        while m.requests().len() < served && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        let _ = child.wait();
        'resume: {
            let o = mote(&ws, &data, &m, &["-c"]);
            let lines: Vec<&str> = o
                .stderr
                .lines()
                .filter(|l| !l.starts_with("mote: note: "))
                .collect();
            if o.code == 2
                && (o.stderr.contains("no session for") || o.stderr.contains("has no messages"))
            {
                break 'resume; // killed before the prompt was saved: nothing to resume, said clearly
            }
            if o.code == 2 && o.stderr.contains("has finished") {
                assert_eq!(m.remaining(), SPARE, "finished early? {}", o.stderr);
                break 'resume; // the first run was done before the kill
            }
            assert_eq!(
                o.code, 0,
                "kill after {served} requests + {delay} ms: {}",
                o.stderr
            );
            assert!(lines.is_empty(), "{}", o.stderr);
            assert_eq!(o.stdout, "all steps done\n");
            resumed += 1;
        }
        for r in m.requests() {
            well_formed(&r.body);
        }
        for f in session_files(&data) {
            let text = std::fs::read_to_string(&f).unwrap();
            let torn = text.lines().filter(|l| parse(l).is_err()).count();
            assert!(torn <= 1, "more than one damaged line in {}", f.display());
        }
    }
    assert!(
        resumed >= 8,
        "only {resumed} of 12 kills landed mid-run and were resumed: the test proves too little"
    );
}

#[test]
fn a_torn_last_line_is_skipped_with_a_note() {
    let dir = scratch("torn");
    let ws = demo(&dir);
    let data = dir.join("data");
    let m = Mock::start(demo_replies());
    assert_eq!(
        mote(&ws, &data, &m, &["-p", "fix the tests", "--max-turns", "2"]).code,
        5
    );
    let f = &session_files(&data)[0];
    let mut text = std::fs::read_to_string(f).unwrap();
    text.push_str("{\"type\":\"call\",\"id\":\"call_x\",\"na");
    std::fs::write(f, &text).unwrap();
    let o = mote(&ws, &data, &m, &["-c"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("the last record was cut off"),
        "{}",
        o.stderr
    );
    // The fragment was closed off: every later line is whole.
    let text = std::fs::read_to_string(f).unwrap();
    let bad: Vec<&str> = text.lines().filter(|l| parse(l).is_err()).collect();
    assert_eq!(bad, ["{\"type\":\"call\",\"id\":\"call_x\",\"na"]);
    assert!(text.ends_with("\n"));
}

fn big_files(ws: &Path, n: usize) {
    for i in 0..n {
        let line = format!("file {i}: some words to fill the context window\n");
        std::fs::write(ws.join(format!("f{i}.txt")), line.repeat(3000 / line.len())).unwrap();
    }
}

#[test]
fn compaction_summarises_old_turns_and_resume_rebuilds_it() {
    let dir = scratch("compact");
    let ws = dir.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    big_files(&ws, 10);
    let data = dir.join("data");
    // Each reply works both as a turn and as a summary (its call is ignored then).
    let mut replies: Vec<Reply> = (0..10)
        .map(|i| Reply::Turn {
            items: vec![
                Item::Text(format!("## Goal\nread files (summary {i})")),
                Item::Call {
                    name: "read".into(),
                    args: format!(r#"{{"path":"f{i}.txt"}}"#),
                },
            ],
            finish: None,
        })
        .collect();
    replies.push(Reply::text("read them all"));
    let m = Mock::start(replies);
    let o = mote(
        &ws,
        &data,
        &m,
        &["-p", "read the files", "--context-window", "4096", "-v"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("compacted "), "{}", o.stderr);
    let reqs = m.requests();
    let summarise: Vec<usize> = (0..reqs.len())
        .filter(|&i| {
            content(messages(&reqs[i].body).last().unwrap())
                .starts_with("Summarise the conversation")
        })
        .collect();
    assert!(!summarise.is_empty(), "no summarisation request");
    for &i in &summarise {
        // The summary request leaves out the recent turns; the next request
        // starts from the summary and keeps the last result verbatim.
        let before = messages(&reqs[i - 1].body);
        let sum = messages(&reqs[i].body);
        let after = messages(&reqs[i + 1].body);
        let older = &sum[1..sum.len() - 1];
        assert_eq!(
            older,
            &before[1..older.len() + 1],
            "the summary request holds the older messages"
        );
        assert!(
            content(&after[1]).contains("compacted by mote")
                && content(&after[1]).contains("## Goal")
        );
        // Nothing lost, nothing repeated: older + kept = the whole conversation.
        let whole: Vec<Value> = older.iter().chain(&after[2..]).cloned().collect();
        assert_eq!(whole[..before.len() - 1], before[1..]);
        assert!(whole.len() > before.len() - 1);
        let last = after.last().unwrap();
        assert_eq!(last.get("role").and_then(|v| v.as_str()), Some("tool"));
        assert!(
            content(last).starts_with("file "),
            "the most recent result is kept verbatim"
        );
        assert!(reqs[i + 1].body.len() < reqs[i - 1].body.len());
    }
    // The file keeps the full history and the compaction.
    let f = &session_files(&data)[0];
    let recs = records(f);
    let k = kinds(&recs);
    assert_eq!(
        k.iter().filter(|x| *x == "compact").count(),
        summarise.len()
    );
    assert_eq!(
        k.iter().filter(|x| *x == "result").count(),
        10 - summarise.len()
    );
    // Resume rebuilds the compacted arena: the next request is the last one
    // plus the answer and the new prompt.
    let last = messages(&reqs[reqs.len() - 1].body);
    let m2 = Mock::start(vec![Reply::text("ok")]);
    let o = mote(
        &ws,
        &data,
        &m2,
        &["-c", "-p", "anything else?", "--context-window", "4096"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    let next = messages(&m2.requests()[0].body);
    assert_eq!(next[..last.len()], last[..]);
    assert_eq!(content(&next[last.len()]), "read them all");
    assert_eq!(content(&next[last.len() + 1]), "anything else?");

    // --compact on request, headless, without a prompt.
    let m3 = Mock::start(vec![Reply::text("## Goal\nmanual summary")]);
    let o = mote(&ws, &data, &m3, &["-c", "--compact", "-v"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stderr.contains("the session was compacted"),
        "{}",
        o.stderr
    );
    assert_eq!(m3.requests().len(), 1);
    let recs = records(f);
    assert_eq!(kinds(&recs).last().map(String::as_str), Some("compact"));
}

#[test]
fn a_context_length_error_compacts_and_retries_once() {
    let dir = scratch("overflow");
    let ws = dir.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    big_files(&ws, 1);
    let data = dir.join("data");
    let too_long =
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.";
    let m = Mock::start(vec![
        Reply::call("read", r#"{"path":"f0.txt"}"#),
        Reply::error(400, None, too_long),
        Reply::text("## Goal\nread f0"),
        Reply::text("done"),
    ]);
    let o = mote(&ws, &data, &m, &["-p", "read f0"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "done\n"), "{}", o.stderr);
    let reqs = m.requests();
    assert_eq!(reqs.len(), 4);
    assert!(content(messages(&reqs[2].body).last().unwrap()).starts_with("Summarise"));
    let retry = messages(&reqs[3].body);
    assert!(content(&retry[1]).contains("read f0"));
    assert_eq!(retry.last(), messages(&reqs[1].body).last());
    // Twice in a row: the error is reported.
    let m = Mock::start(vec![
        Reply::call("read", r#"{"path":"f0.txt"}"#),
        Reply::error(400, None, too_long),
        Reply::text("## Goal\nread f0"),
        Reply::error(400, None, too_long),
    ]);
    let o = mote(&ws, &data, &m, &["-p", "read f0"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(o.stderr.contains("maximum context length"), "{}", o.stderr);
}

#[test]
fn a_summary_answered_with_a_tool_call_drops_the_oldest_turns_once() {
    let dir = scratch("nosummary");
    let ws = dir.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    big_files(&ws, 1);
    let data = dir.join("data");
    let too_long =
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.";
    let m = Mock::start(vec![
        Reply::call("read", r#"{"path":"f0.txt"}"#),
        Reply::error(400, None, too_long),
        // The summary request is answered with a call and no text.
        Reply::call("read", r#"{"path":"f0.txt"}"#),
        Reply::text("done"),
    ]);
    let o = mote(&ws, &data, &m, &["-p", "read f0", "-v"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "done\n"), "{}", o.stderr);
    assert_eq!(
        o.stderr.matches("without a summary").count(),
        1,
        "{}",
        o.stderr
    );
    let reqs = m.requests();
    assert_eq!(reqs.len(), 4);
    // Only the summary request forbids tool calls.
    let forbids = |i: usize| reqs[i].body.contains(r#""tool_choice":"none""#);
    assert_eq!((forbids(1), forbids(2), forbids(3)), (false, true, false));
    let retry = messages(&reqs[3].body);
    assert!(content(&retry[1]).contains("dropped by mote"), "{retry:?}");
    assert_eq!(retry.last(), messages(&reqs[1].body).last());
    let f = &session_files(&data)[0];
    assert_eq!(
        kinds(&records(f))
            .iter()
            .filter(|k| *k == "compact")
            .count(),
        1
    );
}

#[test]
fn two_processes_in_one_workspace_keep_separate_whole_files() {
    let dir = scratch("two");
    let ws = dir.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let data = dir.join("data");
    let mocks = [Mock::start(long_replies()), Mock::start(long_replies())];
    let a = spawn(&ws, &data, &mocks[0], &["-p", "first"]);
    let b = spawn(&ws, &data, &mocks[1], &["-p", "second"]);
    for o in [wait(a), wait(b)] {
        assert_eq!(
            (o.code, o.stdout.as_str()),
            (0, "all steps done\n"),
            "{}",
            o.stderr
        );
    }
    let files = session_files(&data);
    assert_eq!(files.len(), 2);
    let mut prompts: Vec<String> = files
        .iter()
        .map(|f| {
            let recs = records(f);
            assert_eq!(kinds(&recs).iter().filter(|k| *k == "result").count(), 12);
            content_text(&recs[2])
        })
        .collect();
    prompts.sort();
    assert_eq!(prompts, ["first", "second"]);
    // A session in use is not appended to by a second process.
    let m = Mock::start(vec![Reply::Hang]);
    let mut child = spawn(
        &ws,
        &data,
        &m,
        &[
            "--resume",
            files[0].file_stem().unwrap().to_str().unwrap(),
            "-p",
            "more",
        ],
    );
    let start = Instant::now();
    while m.requests().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(5));
    }
    let o = mote(
        &ws,
        &data,
        &m,
        &[
            "--resume",
            files[0].file_stem().unwrap().to_str().unwrap(),
            "-p",
            "x",
        ],
    );
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("in use by another mote process"),
        "{}",
        o.stderr
    );
    child.kill().unwrap();
    let _ = child.wait();
}

fn content_text(v: &Value) -> String {
    v.get("text")
        .and_then(|t| t.as_str())
        .unwrap_or("")
        .to_string()
}

/// A run that fails before the model answers leaves no session behind
/// (nothing for `--sessions` to list, nothing for `-c` to pick up); one
/// that got an answer before failing keeps its file.
#[test]
fn a_run_that_failed_before_any_answer_leaves_no_session() {
    let dir = scratch("failed");
    let ws = demo(&dir);
    let data = dir.join("data");
    let m = Mock::start(vec![
        Reply::error(400, None, "bad request"),
        Reply::call("bash", r#"{"command":"true"}"#),
        Reply::error(400, None, "bad request"),
    ]);
    let o = mote(&ws, &data, &m, &["-p", "fix the tests"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert_eq!(session_files(&data), Vec::<PathBuf>::new());
    let o = mote(&ws, &data, &m, &["--sessions"]);
    let rows = o.stdout.lines().filter(|l| !l.starts_with("ID ")).count();
    assert_eq!(rows, 0, "{}", o.stdout);
    // The second run got a tool call before its error: that is kept.
    let o = mote(&ws, &data, &m, &["-p", "fix the tests"]);
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert_eq!(session_files(&data).len(), 1);
}

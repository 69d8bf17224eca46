//! The interactive mode, driven inside tmux like a user would: type a
//! prompt and see the streamed answer, approve and deny a permission
//! prompt (the files on disk tell), interrupt a stalled answer with
//! Ctrl-C, resize the window, and find the terminal settings (`stty -a`)
//! unchanged after mote exits.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

#[path = "mock/mod.rs"]
mod mock;
#[path = "tui/mod.rs"]
mod tui;

use std::path::{Path, PathBuf};

use mock::{Item, Mock, Options, Reply};
use tui::Tmux;

fn workspace(name: &str) -> PathBuf {
    tui::workspace(name)
}

/// mote in tmux, in `ws`, with `stty -a` saved before and after and its
/// exit code printed as `EXIT:N`.
fn start(name: &str, ws: &Path, m: &Mock, w: u16, extra: &str) -> Tmux {
    tui::start_mote(name, ws, &m.base_url(), w, extra)
}

/// `stty -a` without its first line (speed, rows, columns: a resize changes those).
fn stty(ws: &Path, which: &str) -> String {
    let s = std::fs::read_to_string(ws.join(format!("stty.{which}"))).unwrap();
    s.lines().skip(1).collect::<Vec<_>>().join("\n")
}

fn exit_and_check_terminal(t: &Tmux, ws: &Path) {
    t.keys(&["C-d"]);
    t.wait_text("EXIT:0");
    t.wait_for("stty.after", |_| {
        ws.join("stty.after").exists() && stty(ws, "after").len() > 20
    });
    assert_eq!(
        stty(ws, "before"),
        stty(ws, "after"),
        "terminal settings restored"
    );
    assert!(stty(ws, "after").contains(" icanon") && stty(ws, "after").contains(" echo "));
}

#[test]
fn streams_the_answer_and_restores_the_terminal() {
    let ws = workspace("stream");
    let m = Mock::start(vec![Reply::text(
        "# Plan\nThis is **bold** and `code`, streamed in small parts.\n- one\n- two",
    )]);
    let t = start("stream", &ws, &m, 80, "");
    t.type_text("hello 日本 there");
    t.keys(&["Enter"]);
    let s = t.wait_text(" out · context");
    // Markdown is rendered: the markers are gone, the bullets drawn.
    assert!(
        s.contains("This is bold and code, streamed in small parts."),
        "{s}"
    );
    assert!(s.contains("• one") && s.contains("• two"), "{s}");
    assert!(s.contains("context "), "status line: {s}");
    let reqs = m.requests();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].body.contains("hello 日本 there"));
    exit_and_check_terminal(&t, &ws);
    let hist = std::fs::read_to_string(ws.join("state/mote/history")).unwrap();
    assert_eq!(hist, "hello 日本 there\n");
}

#[test]
fn approve_and_deny_permission_prompts() {
    let ws = workspace("perm");
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"echo yes > approved.txt"}"#),
        Reply::text("first done"),
        Reply::call("bash", r#"{"command":"echo no > denied.txt"}"#),
        Reply::text("second done"),
    ]);
    let t = start("perm", &ws, &m, 100, "");
    t.type_text("first");
    t.keys(&["Enter"]);
    let s = t.wait_text("allow?");
    assert!(
        s.contains("$ echo yes > approved.txt"),
        "the prompt shows the command: {s}"
    );
    t.keys(&["y"]);
    t.wait_text("first done");
    assert_eq!(
        std::fs::read_to_string(ws.join("approved.txt")).unwrap(),
        "yes\n"
    );

    t.type_text("second");
    t.keys(&["Enter"]);
    t.wait_for("second prompt", |s| s.matches("allow?").count() == 2);
    t.keys(&["n"]);
    t.wait_text("reason");
    t.type_text("not now");
    t.keys(&["Enter"]);
    t.wait_text("second done");
    assert!(
        !ws.join("denied.txt").exists(),
        "a denied command must not run"
    );
    let reqs = m.requests();
    let body = reqs[3].body.clone();
    assert!(
        body.contains("declined") && body.contains("not now"),
        "the reason reaches the model: {body}"
    );
    // Ctrl-C twice at an empty prompt exits too.
    t.keys(&["C-c"]);
    t.wait_text("Ctrl-C again");
    t.keys(&["C-c"]);
    t.wait_text("EXIT:0");
}

#[test]
fn ctrl_c_mid_stream_returns_to_the_prompt_keeping_the_partial_answer() {
    let ws = workspace("intr");
    let stalled = Reply::HangMidStream {
        items: vec![Item::Text("Partial answer here\n".into())],
        after_events: 2,
    };
    let opts = Options {
        fragment: 0,
        ..Options::default()
    };
    let m = Mock::with_options(vec![stalled, Reply::text("after the interrupt")], opts);
    let t = start("intr", &ws, &m, 80, "");
    t.type_text("go");
    t.keys(&["Enter"]);
    t.wait_text("Partial answer here");
    std::thread::sleep(std::time::Duration::from_millis(300));
    t.keys(&["C-c"]);
    t.wait_text("interrupted");
    t.type_text("next");
    t.keys(&["Enter"]);
    t.wait_text("after the interrupt");
    let body = m.requests()[1].body.clone();
    assert!(
        body.contains("Partial answer here") && body.contains("[interrupted by the user]"),
        "{body}"
    );
    exit_and_check_terminal(&t, &ws);
}

#[test]
fn resize_rewraps_the_answer() {
    let ws = workspace("resize");
    let words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau";
    let m = Mock::start(vec![Reply::text(words)]);
    let t = start("resize", &ws, &m, 100, "");
    t.resize(30, 24);
    std::thread::sleep(std::time::Duration::from_millis(200));
    t.type_text("wrap");
    t.keys(&["Enter"]);
    let s = t.wait_text(" out · context");
    let answer: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.contains("wrap"))
        .skip(1)
        .take_while(|l| !l.contains("mock-model"))
        .collect();
    assert!(answer.len() >= 4, "wrapped onto several lines: {s}");
    for l in &answer {
        assert!(l.chars().count() <= 30, "line wider than the window: {l:?}");
        for w in l.split_whitespace() {
            assert!(
                words.split(' ').any(|x| x == w),
                "word broken by the wrap: {w:?} in {s}"
            );
        }
    }
    exit_and_check_terminal(&t, &ws);
}

/// The pid of the mote process running under the pane's shell.
fn mote_pid(t: &Tmux) -> i32 {
    let shell = t.pane_pid();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let ppid: i32 = stat[close + 2..]
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if ppid == shell && stat.contains("(mote)") {
            return pid;
        }
    }
    panic!("no mote process under the pane");
}

#[test]
fn sigterm_restores_the_terminal() {
    let ws = workspace("term");
    let m = Mock::start(vec![]);
    let t = start("term", &ws, &m, 80, "");
    t.type_text("half-typed");
    t.wait_text("half-typed");
    let pid = mote_pid(&t);
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    t.wait_text("EXIT:143");
    t.wait_for("stty.after", |_| {
        ws.join("stty.after").exists() && stty(&ws, "after").len() > 20
    });
    assert_eq!(
        stty(&ws, "before"),
        stty(&ws, "after"),
        "terminal settings restored after SIGTERM"
    );
}

#[test]
fn ctrl_c_stops_a_running_command_and_bang_commands_stay_out_of_the_conversation() {
    let ws = workspace("tool");
    let m = Mock::start(vec![
        Reply::call(
            "bash",
            r#"{"command":"echo $$ > sh.pid; sleep 20 & echo $! > sleep.pid; wait; touch late.txt"}"#,
        ),
        Reply::text("noted"),
    ]);
    let t = start("tool", &ws, &m, 100, "--permission auto");
    t.type_text("/help");
    t.keys(&["Enter"]);
    let s = t.wait_text("/quit");
    for c in [
        "/mode",
        "/model",
        "/prompt",
        "/loop",
        "/compact",
        "/sessions",
        "/resume",
        "/new",
        "/cost",
    ] {
        assert!(s.contains(c), "/help lists {c}: {s}");
    }
    t.type_text("!echo bang > bang.txt; echo shown-$((6*7))");
    t.keys(&["Enter"]);
    t.wait_text("shown-42");
    assert_eq!(
        std::fs::read_to_string(ws.join("bang.txt")).unwrap(),
        "bang\n"
    );
    assert_eq!(m.requests().len(), 0, "!cmd is not sent to the model");

    t.type_text("run it");
    t.keys(&["Enter"]);
    t.wait_for("both pid files", |_| {
        let read = |f: &str| std::fs::read_to_string(ws.join(f)).unwrap_or_default();
        let (sh, sleep) = (read("sh.pid"), read("sleep.pid"));
        sh.ends_with('\n') && sleep.ends_with('\n')
    });
    // The shell and its background sleep are both gone (killed, reaped).
    t.esc_kills(&[ws.join("sh.pid"), ws.join("sleep.pid")]);
    assert!(!ws.join("late.txt").exists());
    t.type_text("and now?");
    t.keys(&["Enter"]);
    t.wait_text("noted");
    let body = m.requests()[1].body.clone();
    assert!(body.contains("interrupted by the user"), "{body}");
    assert!(
        !body.contains("shown-42"),
        "!cmd output stays out of the conversation"
    );
    exit_and_check_terminal(&t, &ws);
}

#[test]
fn editing_keys_multi_line_input_and_bracketed_paste() {
    let ws = workspace("edit");
    let m = Mock::start(vec![Reply::text("one"), Reply::text("two")]);
    let t = start("edit", &ws, &m, 80, "");
    t.type_text("hello wide 日本 world");
    t.keys(&["C-w"]); // deletes "world"
    t.type_text("there");
    t.keys(&["Home"]);
    t.type_text(">");
    t.keys(&["End", "M-Enter"]);
    t.type_text("second\\");
    t.keys(&["Enter"]); // a trailing backslash continues the input
    t.type_text("third");
    t.keys(&["Enter"]);
    t.wait_text("one");
    t.wait_for("the first answer's status", |s| {
        s.contains(" out · context")
    });
    assert!(
        m.requests()[0]
            .body
            .contains(r#">hello wide 日本 there\nsecond\nthird"#),
        "{}",
        m.requests()[0].body
    );
    t.paste("pasted\nlines 日本\n");
    t.type_text(" end");
    t.keys(&["Enter"]);
    t.wait_text("two");
    assert!(
        m.requests()[1].body.contains(r#"pasted\nlines 日本\n end"#),
        "{}",
        m.requests()[1].body
    );
    exit_and_check_terminal(&t, &ws);
}

#[test]
fn always_answers_become_session_rules() {
    let ws = workspace("always");
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"touch one.txt"}"#),
        Reply::text("first done"),
        Reply::call("bash", r#"{"command":"touch one.txt"}"#),
        Reply::text("second done"),
        Reply::call("bash", r#"{"command":"touch two.txt"}"#),
        Reply::text("third done"),
    ]);
    let t = start("always", &ws, &m, 100, "");
    t.type_text("first");
    t.keys(&["Enter"]);
    let s = t.wait_text("allow?");
    assert!(
        s.contains("a always (bash(touch one.txt)"),
        "the rule is shown: {s}"
    );
    t.keys(&["a"]);
    t.wait_text("first done");
    assert!(ws.join("one.txt").exists());
    std::fs::remove_file(ws.join("one.txt")).unwrap();

    t.type_text("second");
    t.keys(&["Enter"]);
    let s = t.wait_text("second done");
    assert_eq!(
        s.matches("allow?").count(),
        1,
        "the same command runs without asking: {s}"
    );
    assert!(ws.join("one.txt").exists(), "and it ran");

    t.type_text("third");
    t.keys(&["Enter"]);
    t.wait_for("a prompt for another command", |s| {
        s.matches("allow?").count() == 2
    });
    t.keys(&["n"]);
    t.wait_text("reason");
    t.keys(&["Enter"]);
    t.wait_text("third done");
    assert!(
        !ws.join("two.txt").exists(),
        "a different command still asks"
    );
    exit_and_check_terminal(&t, &ws);
}

#[test]
fn the_doom_loop_guard_asks_the_user() {
    let ws = workspace("doom");
    std::fs::write(ws.join("a.txt"), "AAA\n").unwrap();
    std::fs::write(ws.join("b.txt"), "BBB\n").unwrap();
    let read = |p: &str| Reply::call("read", &format!(r#"{{"path":"{p}"}}"#));
    let m = Mock::start(vec![
        read("a.txt"),
        read("a.txt"),
        read("a.txt"),
        Reply::text("kept going"),
        read("b.txt"),
        read("b.txt"),
        read("b.txt"),
        Reply::text("never sent"),
    ]);
    let t = start("doom", &ws, &m, 100, "--permission auto");
    t.type_text("loop");
    t.keys(&["Enter"]);
    t.wait_text("stuck in a loop");
    assert_eq!(m.requests().len(), 3);
    t.keys(&["y"]);
    t.wait_text("kept going");
    let body = m.requests()[3].body.clone();
    assert_eq!(body.matches("AAA").count(), 3, "the third call ran: {body}");

    t.type_text("again");
    t.keys(&["Enter"]);
    t.wait_for("the second question", |s| {
        s.matches("stuck in a loop").count() == 2
    });
    t.keys(&["n"]);
    t.wait_text("doom-loop guard");
    exit_and_check_terminal(&t, &ws);
    // mote has exited: the count is final, with no sleep to guess by.
    assert_eq!(m.requests().len(), 7, "the turn stopped");
}

/// The session files under the test's data directory.
fn session_files(ws: &Path) -> Vec<PathBuf> {
    let dir = ws.join("data/mote/sessions");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn sessions_new_and_resume() {
    let ws = workspace("sess");
    let m = Mock::start(vec![
        Reply::text("answer one"),
        Reply::text("answer two"),
        Reply::text("answer three"),
    ]);
    let t = start("sess", &ws, &m, 120, "");
    t.type_text("first task");
    t.keys(&["Enter"]);
    t.wait_text("answer one");
    t.type_text("/new");
    t.keys(&["Enter"]);
    t.wait_text("new conversation (session");
    assert_eq!(session_files(&ws).len(), 2, "/new starts a session file");
    t.type_text("second task");
    t.keys(&["Enter"]);
    t.wait_text("answer two");
    t.type_text("/sessions");
    t.keys(&["Enter"]);
    let s = t.wait_text("this conversation:");
    assert!(
        s.contains("FIRST PROMPT") && s.contains(" first task") && s.contains(" second task"),
        "{s}"
    );

    let first = session_files(&ws)
        .into_iter()
        .find(|p| std::fs::read_to_string(p).unwrap().contains("first task"))
        .unwrap();
    let id = first.file_stem().unwrap().to_string_lossy().into_owned();
    t.type_text(&format!("/resume {}", &id[..id.len() - 2]));
    t.keys(&["Enter"]);
    t.wait_text(&format!("resumed session {id}: 2 messages"));
    t.type_text("and again");
    t.keys(&["Enter"]);
    t.wait_text("answer three");
    let body = m.requests()[2].body.clone();
    assert!(
        body.contains("first task") && body.contains("answer one"),
        "{body}"
    );
    assert!(!body.contains("second task"), "{body}");
    let saved = std::fs::read_to_string(&first).unwrap();
    assert!(
        saved.contains("and again") && saved.contains("answer three"),
        "appended to the resumed file: {saved}"
    );
    t.type_text("/resume nosuch");
    t.keys(&["Enter"]);
    t.wait_text("no session `nosuch`");
    exit_and_check_terminal(&t, &ws);
}

#[test]
fn compact_now() {
    let ws = workspace("compact");
    let long = |w: &str| {
        (0..400)
            .map(|i| format!("{w}{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let m = Mock::start(vec![
        Reply::text(&long("alpha")),
        Reply::text(&long("beta")),
        Reply::text("SUMMARY-XYZ"),
        Reply::text("after compaction"),
    ]);
    let t = start("compact", &ws, &m, 100, "--context-window 8000");
    t.type_text("/compact");
    t.keys(&["Enter"]);
    t.wait_text("nothing to compact");
    assert_eq!(m.requests().len(), 0);
    t.type_text("first task");
    t.keys(&["Enter"]);
    t.wait_text("alpha399");
    t.type_text("second task");
    t.keys(&["Enter"]);
    t.wait_text("beta399");
    t.type_text("/compact");
    t.keys(&["Enter"]);
    t.wait_text("compacted ");
    t.type_text("go on");
    t.keys(&["Enter"]);
    t.wait_text("after compaction");
    let reqs = m.requests();
    assert_eq!(reqs.len(), 4);
    assert!(
        reqs[2].body.contains("Summarise the conversation"),
        "{}",
        reqs[2].body
    );
    assert!(
        reqs[3].body.contains("SUMMARY-XYZ") && !reqs[3].body.contains("first task"),
        "{}",
        reqs[3].body
    );
    exit_and_check_terminal(&t, &ws);
}

#[test]
fn prompt_mode_permission_model_and_cost() {
    let ws = workspace("switch");
    std::fs::create_dir_all(ws.join(".mote")).unwrap();
    std::fs::write(
        ws.join(".mote/config.json"),
        r#"{"models":{"other-model":{"input_price":1000,"output_price":2000,"context_window":64000}}}"#,
    )
    .unwrap();
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"touch p.txt"}"#),
        Reply::text("planned"),
        Reply::call("bash", r#"{"command":"touch p.txt"}"#),
        Reply::text("done in auto"),
    ]);
    let t = start("switch", &ws, &m, 120, "");
    t.type_text("/prompt");
    t.keys(&["Enter"]);
    let s = t.wait_text("prompt modes:");
    assert!(s.contains("code (current)") && s.contains("plan"), "{s}");
    t.type_text("/prompt plan");
    t.keys(&["Enter"]);
    t.wait_text("prompt mode: plan · permission read-only");
    t.type_text("make a plan");
    t.keys(&["Enter"]);
    let s = t.wait_text("planned");
    assert!(
        !s.contains("allow?") && !ws.join("p.txt").exists(),
        "read-only denies without asking: {s}"
    );
    assert!(m.requests()[0]
        .body
        .contains("Plan mode: do not change the code"));
    let status = s
        .lines()
        .rev()
        .find(|l| l.contains(" out · context"))
        .unwrap()
        .to_string();
    assert!(!status.contains('$'), "no prices, no cost: {status}");

    t.type_text("/mode auto");
    t.keys(&["Enter"]);
    t.wait_text("permission mode: auto");
    t.type_text("/model other-model");
    t.keys(&["Enter"]);
    t.wait_text("model: other-model (openai)");
    t.type_text("/model");
    t.keys(&["Enter"]);
    t.wait_text("provider openai · model other-model · context 64.0k · $1000.0000 in");
    t.type_text("do it");
    t.keys(&["Enter"]);
    t.wait_text("done in auto");
    assert!(ws.join("p.txt").exists(), "auto mode ran the command");
    assert!(
        m.requests()[2].body.contains(r#""model":"other-model""#),
        "{}",
        m.requests()[2].body
    );
    let s = t.wait_for("the status line", |s| {
        s.lines().rev().any(|l| l.starts_with("other-model ·"))
    });
    let status = s
        .lines()
        .rev()
        .find(|l| l.starts_with("other-model ·"))
        .unwrap();
    assert!(
        status.contains(" · $") && status.contains("(session $") && status.contains("of 64.0k"),
        "{status}"
    );
    t.type_text("/cost");
    t.keys(&["Enter"]);
    let s = t.wait_text("this run:");
    let line = s.lines().find(|l| l.starts_with("this run:")).unwrap();
    assert!(line.contains("out tokens; $"), "{line}");
    exit_and_check_terminal(&t, &ws);
}

#[test]
fn loop_command_ticks_the_plan_in_fresh_contexts_and_keeps_the_chat() {
    let ws = workspace("loop");
    std::fs::create_dir_all(ws.join(".git")).unwrap();
    let plan = "# Files\n- [ ] write a.txt\n- [ ] write b.txt\n";
    std::fs::write(ws.join("PLAN.md"), plan).unwrap();
    let write =
        |f: &str, text: &str| Reply::call("bash", &format!(r#"{{"command":"echo {text} > {f}"}}"#));
    let m = Mock::start(vec![
        Reply::text("chat answer"),
        // Iteration 1 writes a wrong a.txt: the check fails; 2 fixes it; 3 writes b.txt.
        write("a.txt", "no"),
        Reply::text("wrote a.txt badly"),
        write("a.txt", "ok"),
        Reply::text("fixed a.txt"),
        write("b.txt", "ok"),
        Reply::text("wrote b.txt"),
        Reply::text("chat goes on"),
    ]);
    let t = start("loop", &ws, &m, 120, "--permission auto");
    t.type_text("remember the word PELICAN");
    t.keys(&["Enter"]);
    t.wait_text("chat answer");
    // Passes when there are more files saying ok than items checked: the new item's file.
    let check =
        r#"n=$(grep -c '^- \[x\]' PLAN.md); test $(grep -lx ok *.txt 2>/dev/null | wc -l) -gt $n"#;
    t.type_text(&format!(
        "/loop PLAN.md --check \"{check}\" --max-iterations 4"
    ));
    t.keys(&["Enter"]);
    let s = t.wait_text("loop stopped:");
    assert!(s.contains("loop stopped: all items checked"), "{s}");
    assert!(
        s.contains("stopped: every item is checked (3 iterations"),
        "{s}"
    );
    let rows: Vec<&str> = s
        .lines()
        .filter(|l| l.contains(" write ") && l.contains("passed"))
        .collect();
    assert_eq!(rows.len(), 2, "the summary table: {s}");
    assert!(
        rows[0].contains("write a.txt") && rows[0].contains(" 2 "),
        "two iterations for a.txt: {s}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("PLAN.md")).unwrap(),
        "# Files\n- [x] write a.txt\n- [x] write b.txt\n"
    );
    assert_eq!(std::fs::read_to_string(ws.join("b.txt")).unwrap(), "ok\n");

    let reqs = m.requests();
    assert_eq!(reqs.len(), 7);
    for (i, item) in [(1, "write a.txt"), (3, "write a.txt"), (5, "write b.txt")] {
        let body = &reqs[i].body;
        assert!(
            body.contains(&format!("Your item (the first unchecked one): {item}")),
            "{body}"
        );
        assert!(
            !body.contains("PELICAN"),
            "iteration {i} is not a fresh context: {body}"
        );
    }
    assert!(
        reqs[3].body.contains("did not pass the check"),
        "the failing check is carried over: {}",
        reqs[3].body
    );
    // The chat is as it was before the loop.
    t.type_text("and the word?");
    t.keys(&["Enter"]);
    t.wait_text("chat goes on");
    let body = m.requests()[7].body.clone();
    assert!(
        body.contains("PELICAN") && body.contains("chat answer"),
        "{body}"
    );
    assert!(
        !body.contains("Your item") && !body.contains("fixed a.txt"),
        "the loop stays out of the chat: {body}"
    );
    t.type_text("/loop");
    t.keys(&["Enter"]);
    t.wait_text("usage: /loop PLAN.md");
    exit_and_check_terminal(&t, &ws);
}

#[test]
fn ctrl_c_stops_the_loop() {
    let ws = workspace("loopintr");
    std::fs::create_dir_all(ws.join(".git")).unwrap();
    std::fs::write(ws.join("PLAN.md"), "- [ ] one\n- [ ] two\n").unwrap();
    let stalled = Reply::HangMidStream {
        items: vec![Item::Text("Working on it\n".into())],
        after_events: 2,
    };
    let opts = Options {
        fragment: 0,
        ..Options::default()
    };
    let m = Mock::with_options(vec![stalled, Reply::text("back in the chat")], opts);
    let t = start("loopintr", &ws, &m, 100, "--permission auto");
    t.type_text("/loop PLAN.md --check true");
    t.keys(&["Enter"]);
    t.wait_text("Working on it");
    std::thread::sleep(std::time::Duration::from_millis(300));
    t.keys(&["C-c"]);
    let s = t.wait_text("loop stopped:");
    assert!(
        s.contains("loop stopped: interrupted") && s.contains("stopped: interrupted"),
        "{s}"
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("PLAN.md")).unwrap(),
        "- [ ] one\n- [ ] two\n"
    );
    assert_eq!(m.requests().len(), 1, "no further iteration");
    t.type_text("hello");
    t.keys(&["Enter"]);
    t.wait_text("back in the chat");
    let body = m.requests()[1].body.clone();
    assert!(
        !body.contains("Working on it") && !body.contains("Your item"),
        "{body}"
    );
    exit_and_check_terminal(&t, &ws);
}

/// The interactive mode does not wait for MCP servers: the prompt is up
/// before a slow server has started, the first request goes without its
/// tools, and it joins at the first turn after it is ready.
#[test]
fn a_slow_mcp_server_joins_after_the_first_turn() {
    let ws = workspace("mcplate");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/flaky.sh");
    let conf = format!(
        r#"{{"mcpServers":{{"slow":{{"command":"{}","env":{{"FLAKY_DELAY":"4"}}}}}}}}"#,
        script.display()
    );
    std::fs::write(ws.join("mcp.json"), conf).unwrap();
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"sleep 5"}"#),
        Reply::call("mcp__slow__ok", "{}"),
        Reply::text("the slow server joined"),
    ]);
    let begun = std::time::Instant::now();
    let t = start(
        "mcplate",
        &ws,
        &m,
        80,
        "--mcp-config mcp.json --permission auto",
    );
    assert!(
        begun.elapsed() < std::time::Duration::from_secs(3),
        "the prompt waited for the server: {:?}",
        begun.elapsed()
    );
    t.type_text("go");
    t.keys(&["Enter"]);
    t.wait_text("the slow server joined");
    let tools = |i: usize| -> Vec<String> {
        let b = mock::json::parse(&m.requests()[i].body).unwrap();
        b.get("tools")
            .and_then(|t| t.as_array())
            .unwrap()
            .iter()
            .filter_map(|t| Some(t.get("function")?.get("name")?.as_str()?.to_string()))
            .collect()
    };
    assert!(
        !tools(0).iter().any(|t| t.starts_with("mcp__")),
        "{:?}",
        tools(0)
    );
    assert!(
        tools(1).iter().any(|t| t == "mcp__slow__ok"),
        "{:?}",
        tools(1)
    );
    assert!(m.requests()[2].body.contains("\"content\":\"fine\""));
    exit_and_check_terminal(&t, &ws);
}

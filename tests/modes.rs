//! Integration tests for prompt modes, context files, prompt templates and
//! loop tasks: the real binary in temp repositories against the mock model,
//! asserting the recorded request bodies, files on disk and exit codes.
//! Each run gets its own empty config dir, so the tester's own
//! ~/.config/mote cannot leak in.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{body, fresh_dir, mote_command, run, Out, HANG};
use mock::json::parse;
use mock::{Mock, Reply};

/// A temp dir holding `repo/` (a git repository, by its `.git` dir) and
/// `config/` (the user config dir's parent, as $XDG_CONFIG_HOME).
fn setup(name: &str) -> PathBuf {
    let d = fresh_dir("modes", name);
    std::fs::create_dir_all(d.join("repo/.git")).unwrap();
    std::fs::create_dir_all(d.join("config/mote/prompts")).unwrap();
    d
}

/// Run mote in `dir` with `root` as its sandbox of config; over 60 s is a hang.
fn mote(root: &Path, dir: &Path, m: &Mock, args: &[&str]) -> Out {
    let mut c = mote_command();
    c.current_dir(dir)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "test-key")
        .env("XDG_CONFIG_HOME", root.join("config"))
        .env("XDG_DATA_HOME", root.join("data"))
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model"])
        .args(args);
    run(&mut c, HANG, args)
}

/// The messages of request `i`, as (role, content).
fn messages(m: &Mock, i: usize) -> Vec<(String, String)> {
    let b = body(m, i);
    let msgs = b
        .get("messages")
        .and_then(|v| v.as_array())
        .unwrap()
        .to_vec();
    msgs.iter()
        .map(|v| {
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
            (s("role"), s("content"))
        })
        .collect()
}

fn system(m: &Mock, i: usize) -> String {
    let msgs = messages(m, i);
    assert_eq!(msgs[0].0, "system");
    msgs[0].1.clone()
}

#[test]
fn context_files_reach_the_request_in_order() {
    let d = setup("context");
    let sub = d.join("repo/sub");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(d.join("config/mote/AGENTS.md"), "USER-RULE: be terse").unwrap();
    std::fs::write(d.join("repo/AGENTS.md"), "ROOT-RULE: run make check").unwrap();
    std::fs::write(sub.join("CLAUDE.md"), "SUB-RULE: no unsafe").unwrap();
    std::fs::write(d.join("AGENTS.md"), "OUTSIDE-RULE").unwrap();
    let m = Mock::start(vec![Reply::text("ok"), Reply::text("ok")]);
    let o = mote(&d, &sub, &m, &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s = system(&m, 0);
    let at = |w: &str| {
        s.find(w)
            .unwrap_or_else(|| panic!("{w} not in the system prompt:\n{s}"))
    };
    assert!(at("USER-RULE") < at("ROOT-RULE") && at("ROOT-RULE") < at("SUB-RULE"));
    assert!(
        s.contains(&format!("## {}", sub.join("CLAUDE.md").display())),
        "{s}"
    );
    assert!(!s.contains("OUTSIDE-RULE"));

    let o = mote(&d, &sub, &m, &["-p", "hi", "--no-context-files"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let s = system(&m, 1);
    assert!(!s.contains("-RULE"), "{s}");
}

#[test]
fn templates_expand_into_the_request_and_unknown_ones_are_listed() {
    let d = setup("template");
    let repo = d.join("repo");
    std::fs::create_dir_all(repo.join(".mote/prompts")).unwrap();
    std::fs::write(
        d.join("config/mote/prompts/fix.md"),
        "---\ndescription: fix an issue\n---\nFix issue #$1 in $2.\nAll: $ARGUMENTS\n",
    )
    .unwrap();
    std::fs::write(
        repo.join(".mote/prompts/tidy.md"),
        "Tidy $1 and nothing else.",
    )
    .unwrap();
    let m = Mock::start(vec![Reply::text("ok"), Reply::text("ok")]);
    let o = mote(&d, &repo, &m, &["-p", "/fix 42 src/parse.rs"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        messages(&m, 0)[1],
        (
            "user".to_string(),
            "Fix issue #42 in src/parse.rs.\nAll: 42 src/parse.rs".to_string()
        )
    );
    let o = mote(&d, &repo, &m, &["-p", "/tidy 'lib a.rs'"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(messages(&m, 1)[1].1, "Tidy lib a.rs and nothing else.");

    let o = mote(&d, &repo, &m, &["-p", "/nosuch arg"]);
    assert_eq!(o.code, 2);
    assert_eq!(
        o.stderr,
        "mote: error: unknown prompt `/nosuch`; the modes are: ask, code, debug, plan, review; the templates are: /fix, /tidy\n"
    );
    assert_eq!(
        m.requests().len(),
        2,
        "an unknown template must not reach the model"
    );
}

#[test]
fn ask_mode_is_read_only_unless_the_flag_says_otherwise() {
    let d = setup("ask");
    let repo = d.join("repo");
    let m = Mock::start(vec![
        Reply::call("write", r#"{"path":"made.txt","content":"x"}"#),
        Reply::text("I may not write."),
        Reply::call("write", r#"{"path":"made.txt","content":"x"}"#),
        Reply::text("written"),
    ]);
    let o = mote(
        &d,
        &repo,
        &m,
        &["-p", "what does main do?", "--prompt-mode", "ask"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!repo.join("made.txt").exists());
    let result = messages(&m, 1).last().unwrap().1.clone();
    assert!(
        result.starts_with("permission denied: `write` is not allowed in read-only mode"),
        "{result}"
    );
    assert!(
        system(&m, 0).contains("Prompt mode: ask\nAsk mode: answer the question; change nothing.")
    );
    // An explicit --permission wins over the mode's front matter.
    let o = mote(
        &d,
        &repo,
        &m,
        &["-p", "/ask write it anyway", "--permission", "standard"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(std::fs::read_to_string(repo.join("made.txt")).unwrap(), "x");
}

#[test]
fn plan_mode_may_write_plan_md_and_nothing_else() {
    let d = setup("plan");
    let repo = d.join("repo");
    let m = Mock::start(vec![
        Reply::call("write", r#"{"path":"src.rs","content":"x"}"#),
        Reply::call("write", r#"{"path":"./PLAN.md","content":"- [ ] one\n"}"#),
        Reply::call("bash", r#"{"command":"touch by-bash"}"#),
        Reply::text("planned"),
    ]);
    let o = mote(
        &d,
        &repo,
        &m,
        &["-p", "/prompt plan add caching", "--permission", "auto"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    // The explicit --permission auto wins over the mode's read-only.
    assert!(repo.join("src.rs").exists() && repo.join("by-bash").exists());
    assert!(system(&m, 0).contains("Prompt mode: plan"));
    let m = Mock::start(vec![
        Reply::call("write", r#"{"path":"src2.rs","content":"x"}"#),
        Reply::call("write", r#"{"path":"./PLAN.md","content":"- [ ] two\n"}"#),
        Reply::call("bash", r#"{"command":"touch by-bash"}"#),
        Reply::text("planned"),
    ]);
    let _ = std::fs::remove_file(repo.join("by-bash"));
    let o = mote(
        &d,
        &repo,
        &m,
        &["-p", "add caching", "--prompt-mode", "plan"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!repo.join("src2.rs").exists());
    assert!(!repo.join("by-bash").exists());
    assert_eq!(
        std::fs::read_to_string(repo.join("PLAN.md")).unwrap(),
        "- [ ] two\n"
    );
    assert!(messages(&m, 1)
        .last()
        .unwrap()
        .1
        .starts_with("permission denied"));
    assert!(system(&m, 0).contains("Prompt mode: plan"));
}

fn text_then(calls: &[(&str, &str)], text: &str) -> Vec<Reply> {
    let mut r: Vec<Reply> = calls.iter().map(|(n, a)| Reply::call(n, a)).collect();
    r.push(Reply::text(text));
    r
}

const THREE: &str = "# Greetings\n\nSome notes that must survive.\n\n- [ ] write a.txt\n- [x] already done\n  - [ ] write b.txt\n```\n- [ ] not an item (fenced)\n```\n- [ ] write c.txt\ntrailing text without newline";

#[test]
fn loop_completes_a_three_item_plan_and_ticks_every_item() {
    let d = setup("loop3");
    let repo = d.join("repo");
    std::fs::write(repo.join("PLAN.md"), THREE).unwrap();
    // The check passes when every .txt file there is says ok.
    let check = "for f in *.txt; do grep -qx ok \"$f\" || { echo \"$f is not ok\"; exit 1; }; done";
    let mut replies = Vec::new();
    for f in ["a", "b", "c"] {
        replies.extend(text_then(
            &[(
                "write",
                &format!(r#"{{"path":"{f}.txt","content":"ok\n"}}"#),
            )],
            &format!("wrote {f}.txt"),
        ));
    }
    let m = Mock::start(replies);
    let o = mote(
        &d,
        &repo,
        &m,
        &[
            "--loop",
            "PLAN.md",
            "--check",
            check,
            "-p",
            "Greet in files",
        ],
    );
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    let want = THREE.replace("- [ ] write", "- [x] write");
    assert_eq!(std::fs::read_to_string(repo.join("PLAN.md")).unwrap(), want);
    assert_eq!(m.requests().len(), 6);
    // Each iteration starts fresh: system + one user message naming its item.
    for (i, item) in [(0, "write a.txt"), (2, "write b.txt"), (4, "write c.txt")] {
        let msgs = messages(&m, i);
        assert_eq!(
            msgs.len(),
            2,
            "iteration request {i} is not a fresh context"
        );
        assert!(
            msgs[1]
                .1
                .contains(&format!("Your item (the first unchecked one): {item}")),
            "{}",
            msgs[1].1
        );
        assert!(
            msgs[1].1.contains("Goal: Greet in files")
                && msgs[1].1.contains("Some notes that must survive.")
        );
    }
    assert!(
        messages(&m, 2)[1].1.contains("wrote a.txt"),
        "the carry-over summary is missing"
    );
    let rows: Vec<&str> = o.stdout.lines().filter(|l| l.contains(" write ")).collect();
    assert_eq!(rows.len(), 3, "{}", o.stdout);
    assert!(
        rows.iter()
            .all(|r| r.contains("done") && r.contains("passed")),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout.contains("already done") && o.stdout.contains("done before"),
        "{}",
        o.stdout
    );
    assert!(
        o.stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("stopped: every item is checked (3 iterations"),
        "{}",
        o.stdout
    );
}

#[test]
fn loop_retries_a_failing_check_with_its_output() {
    let d = setup("loopretry");
    let repo = d.join("repo");
    std::fs::write(repo.join("PLAN.md"), "- [ ] fix a.txt\n").unwrap();
    std::fs::write(
        repo.join("check.sh"),
        "grep -q fixed a.txt || { echo CHECK-SAYS: a.txt is still broken; exit 3; }\n",
    )
    .unwrap();
    let mut replies = text_then(
        &[("write", r#"{"path":"a.txt","content":"broken"}"#)],
        "done, I think",
    );
    replies.extend(text_then(
        &[("write", r#"{"path":"a.txt","content":"fixed"}"#)],
        "fixed for real",
    ));
    let m = Mock::start(replies);
    let o = mote(
        &d,
        &repo,
        &m,
        &["--loop", "PLAN.md", "--check", "sh check.sh"],
    );
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(
        std::fs::read_to_string(repo.join("PLAN.md")).unwrap(),
        "- [x] fix a.txt\n"
    );
    let second = &messages(&m, 2)[1].1;
    assert!(
        second.contains("did not pass the check `sh check.sh`"),
        "{second}"
    );
    assert!(
        second.contains("CHECK-SAYS: a.txt is still broken\nexit code: 3"),
        "{second}"
    );
    assert!(!messages(&m, 0)[1].1.contains("CHECK-SAYS"));
    let row = o.stdout.lines().find(|l| l.contains("fix a.txt")).unwrap();
    assert!(
        row.contains("done") && row.contains(" 2 ") && row.contains("passed"),
        "{row}"
    );
    assert!(
        o.stderr
            .contains("loop 1: `fix a.txt`: check failed (exit code: 3)"),
        "{}",
        o.stderr
    );
}

#[test]
fn loop_stops_at_the_budget_when_the_check_never_passes() {
    let d = setup("loopbudget");
    let repo = d.join("repo");
    let plan = "- [ ] make it pass\n- [ ] then this\n";
    std::fs::write(repo.join("PLAN.md"), plan).unwrap();
    // The model ticks the box itself; mote unticks it, as the check fails.
    let mut replies = text_then(
        &[(
            "edit",
            r#"{"path":"PLAN.md","old_text":"- [ ] make","new_text":"- [x] make"}"#,
        )],
        "ticked it",
    );
    replies.push(Reply::text("tried again"));
    let m = Mock::start(replies);
    let check = "echo never; exit 1";
    let o = mote(
        &d,
        &repo,
        &m,
        &[
            "--loop",
            "PLAN.md",
            "--check",
            check,
            "--max-iterations",
            "2",
        ],
    );
    assert_eq!(o.code, 6, "{}\n{}", o.stdout, o.stderr);
    assert_eq!(std::fs::read_to_string(repo.join("PLAN.md")).unwrap(), plan);
    assert_eq!(m.requests().len(), 3);
    let edited = messages(&m, 1).last().unwrap().1.clone();
    assert!(
        edited.starts_with("Edited PLAN.md"),
        "the model's tick did not happen: {edited}"
    );
    assert!(
        messages(&m, 2)[1].1.contains("- [ ] make it pass"),
        "the tick was not undone before iteration 2"
    );
    assert!(
        o.stderr
            .ends_with("mote: error: --max-iterations spent (2) before every item was checked\n"),
        "{}",
        o.stderr
    );
    let row = o
        .stdout
        .lines()
        .find(|l| l.contains("make it pass"))
        .unwrap();
    assert!(
        row.contains("failing") && row.contains(" 2 ") && row.contains("exit code: 1"),
        "{row}"
    );
    assert!(o
        .stdout
        .lines()
        .any(|l| l.contains("then this") && l.contains("pending")));

    // The token budget: the mock reports usage, so one iteration spends it.
    let m = Mock::start(vec![
        Reply::text("no luck"),
        Reply::text("must not be asked"),
    ]);
    let o = mote(
        &d,
        &repo,
        &m,
        &[
            "--loop",
            "PLAN.md",
            "--check",
            check,
            "--loop-max-tokens",
            "10",
        ],
    );
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.stderr.contains("--loop-max-tokens spent"), "{}", o.stderr);
    assert_eq!(m.requests().len(), 1);
}

#[test]
fn loop_stops_when_the_model_is_stuck() {
    let d = setup("loopstuck");
    let repo = d.join("repo");
    std::fs::write(repo.join("PLAN.md"), "- [ ] talk to the database\n").unwrap();
    let m = Mock::start(vec![
        Reply::text("I looked.\nSTUCK: there is no database here"),
        Reply::text("no"),
    ]);
    let o = mote(
        &d,
        &repo,
        &m,
        &[
            "--loop",
            "PLAN.md",
            "--check",
            "true",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(o.code, 7, "{}", o.stderr);
    assert_eq!(m.requests().len(), 1);
    assert!(messages(&m, 0)[1]
        .1
        .contains("end your answer with a line `STUCK: <reason>`"));
    let r = parse(o.stdout.trim()).unwrap();
    let lp = r.get("loop").unwrap();
    assert_eq!(lp.get("stop").and_then(|v| v.as_str()), Some("stuck"));
    let item = &lp.get("items").and_then(|v| v.as_array()).unwrap()[0];
    assert_eq!(item.get("status").and_then(|v| v.as_str()), Some("stuck"));
    assert_eq!(
        r.get("error").and_then(|v| v.as_str()),
        Some("the model is stuck: there is no database here")
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("PLAN.md")).unwrap(),
        "- [ ] talk to the database\n"
    );
}

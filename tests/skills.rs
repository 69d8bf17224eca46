//! Integration tests for Agent Skills (src/skills.rs) and Claude Code
//! command files (src/modes.rs): fixtures written to the published
//! formats (SKILL.md folders, `.claude/commands/NAME.md`), the real binary
//! against the mock model. They assert what the model was sent (names and
//! descriptions only, the body on a read), what a read outside the
//! workspace returns, and the one-line warning for a malformed skill.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{fresh_dir, mote_at_home, run, tool_results, Out, HANG};
use mock::{Mock, Reply};

fn setup(name: &str) -> (PathBuf, PathBuf) {
    let root = fresh_dir("skills", name);
    let ws = root.join("ws");
    let home = root.join("home");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    (ws.canonicalize().unwrap(), home.canonicalize().unwrap())
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn mote(ws: &Path, home: &Path, m: &Mock, args: &[&str]) -> Out {
    run(
        mote_at_home(ws, home, m).arg("--no-session").args(args),
        HANG,
        args,
    )
}

const PDF: &str = "---\nname: pdf-tools\ndescription: \"Fill PDF forms. Use when the user mentions PDF forms.\"\nlicense: MIT\n---\n\n# PDF tools\nPDF-BODY-SECRET steps.\n";
const DEPLOY: &str = "---\nname: deploy-notes\ndescription: Write deployment notes from the git log.\n---\nDEPLOY-BODY: run scripts/notes.sh\n";

#[test]
fn skills_are_listed_by_name_and_read_on_use_wherever_they_are() {
    let (ws, home) = setup("list");
    write(&ws.join(".claude/skills/pdf-tools/SKILL.md"), PDF);
    let user_skill = home.join(".agents/skills/deploy-notes/SKILL.md");
    write(&user_skill, DEPLOY);
    write(
        &ws.join(".mote/skills/Bad/SKILL.md"),
        "---\nname: Bad\n---\n",
    );
    let m = Mock::start(vec![
        Reply::call("read", &format!(r#"{{"path":"{}"}}"#, user_skill.display())),
        Reply::text("done"),
    ]);
    let o = mote(&ws, &home, &m, &["-p", "write the notes"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let first = m.requests()[0].body.clone();
    assert!(
        first.contains("pdf-tools: Fill PDF forms. Use when the user mentions PDF forms.")
            && first.contains("deploy-notes: Write deployment notes"),
        "{first}"
    );
    assert!(!first.contains("PDF-BODY-SECRET") && !first.contains("DEPLOY-BODY"));
    // The user's skill folder is outside the workspace: the read tool may read it.
    let r = tool_results(&m);
    assert!(r[0].contains("DEPLOY-BODY"), "{}", r[0]);
    let bad: Vec<&str> = o
        .stderr
        .lines()
        .filter(|l| l.contains("Bad/SKILL.md"))
        .collect();
    assert_eq!(bad.len(), 1, "{}", o.stderr);
    assert!(bad[0].contains("lowercase"), "{}", bad[0]);

    // `/pdf-tools args` invokes the skill by name.
    let m = Mock::start(vec![Reply::text("ok")]);
    let o = mote(&ws, &home, &m, &["-p", "/pdf-tools fill form.pdf"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let body = m.requests()[0].body.clone();
    assert!(
        body.contains("Use the skill `pdf-tools`") && body.contains("fill form.pdf"),
        "{body}"
    );
}

#[test]
fn no_skills_no_bytes() {
    let (ws, home) = setup("none");
    let m = Mock::start(vec![Reply::text("ok")]);
    let o = mote(&ws, &home, &m, &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!m.requests()[0].body.contains("# Skills"));
}

#[test]
fn claude_code_commands_are_templates_and_mote_s_own_win() {
    let (ws, home) = setup("commands");
    write(
        &ws.join(".claude/commands/fix-issue.md"),
        "---\ndescription: Fix an issue\nargument-hint: [issue] [how]\nallowed-tools: Bash(git:*)\nmodel: haiku\n---\nFix issue #$1, then: $ARGUMENTS\n",
    );
    write(
        &ws.join(".claude/commands/clash.md"),
        "CLAUDE-CLASH $ARGUMENTS",
    );
    write(&ws.join(".mote/prompts/clash.md"), "MOTE-CLASH $ARGUMENTS");
    write(&home.join(".claude/commands/mine.md"), "USER-CMD $1");
    let m = Mock::start(vec![Reply::text("a"), Reply::text("b"), Reply::text("c")]);
    for p in ["/fix-issue 42 carefully", "/clash x", "/mine y"] {
        let o = mote(&ws, &home, &m, &["-p", p]);
        assert_eq!(o.code, 0, "{p}: {}", o.stderr);
    }
    let reqs = m.requests();
    assert!(
        reqs[0].body.contains("Fix issue #42, then: 42 carefully"),
        "{}",
        reqs[0].body
    );
    assert!(reqs[1].body.contains("MOTE-CLASH x") && !reqs[1].body.contains("CLAUDE-CLASH"));
    assert!(reqs[2].body.contains("USER-CMD y"), "{}", reqs[2].body);
}

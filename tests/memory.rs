//! Integration tests for memory (src/memory.rs) and command files'
//! `` !`cmd` `` and `@file` lines (src/template.rs), the real binary
//! against the mock model: `-p "/remember ..."` writes AGENTS.md (bytes
//! checked) without asking a model and the next session's request carries
//! the note; a command file in Claude Code's format runs its commands
//! through the permission gate (refused read-only and when nobody can be
//! asked, run in auto) and inlines its `@file`s, confined to the workspace.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{fresh_dir, mote_at_home, run, Out, HANG};
use mock::{Mock, Reply};

fn setup(name: &str) -> (PathBuf, PathBuf) {
    let root = fresh_dir("memory", name);
    let ws = root.join("ws");
    let home = root.join("home");
    std::fs::create_dir_all(ws.join(".git")).unwrap();
    std::fs::create_dir_all(ws.join("sub")).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    (ws.canonicalize().unwrap(), home.canonicalize().unwrap())
}

fn mote(dir: &Path, home: &Path, m: &Mock, args: &[&str]) -> Out {
    run(
        mote_at_home(dir, home, m).arg("--no-session").args(args),
        HANG,
        args,
    )
}

const DOC: &str = "# Project\n\nRules.\n\n## Notes\n\n- old note\n\n## Build\n\nmake\n";

#[test]
fn remember_appends_under_notes_without_a_model_and_the_next_session_reads_it() {
    let (ws, home) = setup("remember");
    std::fs::write(ws.join("AGENTS.md"), DOC).unwrap();
    let m = Mock::start(vec![Reply::text("ok")]);
    // From a subfolder: the note goes to the repository's AGENTS.md.
    let o = mote(
        &ws.join("sub"),
        &home,
        &m,
        &["-p", "/remember  run make check\nbefore pushing "],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(m.requests().is_empty(), "no model is asked");
    let want = "# Project\n\nRules.\n\n## Notes\n\n- old note\n- run make check before pushing\n\n## Build\n\nmake\n";
    assert_eq!(std::fs::read_to_string(ws.join("AGENTS.md")).unwrap(), want);
    assert!(
        o.stdout.contains("added `- run make check before pushing`")
            && o.stdout
                .contains(&ws.join("AGENTS.md").display().to_string()),
        "{}",
        o.stdout
    );
    let leftovers: Vec<_> = std::fs::read_dir(&ws)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("mote-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Empty text: an error, the file as it was.
    let o = mote(&ws, &home, &m, &["-p", "/remember \n  "]);
    assert_eq!(o.code, 2, "{}", o.stderr);
    assert!(
        o.stderr.contains("/remember needs the text"),
        "{}",
        o.stderr
    );
    assert_eq!(std::fs::read_to_string(ws.join("AGENTS.md")).unwrap(), want);

    // The next session's system prompt has it.
    let o = mote(&ws, &home, &m, &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let body = m.requests()[0].body.clone();
    assert!(body.contains("- run make check before pushing"), "{body}");
}

#[test]
fn remember_creates_agents_md_or_keeps_to_claude_md() {
    let (ws, home) = setup("create");
    let m = Mock::start(vec![]);
    let args = ["--output-format", "json", "-p", "/remember use tabs"];
    let o = mote(&ws, &home, &m, &args);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(
        o.stdout
            .starts_with(r#"{"type":"result","result":"added `- use tabs`"#),
        "{}",
        o.stdout
    );
    assert_eq!(
        std::fs::read_to_string(ws.join("AGENTS.md")).unwrap(),
        "## Notes\n\n- use tabs\n"
    );
    // Only a CLAUDE.md: a new AGENTS.md would hide it, so the note goes there.
    let (ws, home) = setup("claude");
    std::fs::write(ws.join("CLAUDE.md"), "Be brief.").unwrap();
    let o = mote(&ws, &home, &m, &["-p", "/remember use tabs"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!ws.join("AGENTS.md").exists());
    assert_eq!(
        std::fs::read_to_string(ws.join("CLAUDE.md")).unwrap(),
        "Be brief.\n\n## Notes\n\n- use tabs\n"
    );
    assert!(m.requests().is_empty());
}

/// A command file as Claude Code writes them: front matter, `$ARGUMENTS`,
/// `` !`cmd` `` lines and an `@file`.
const STATUS: &str = "---\ndescription: Summarize the state\nargument-hint: [focus]\nallowed-tools: Bash(git status:*)\n---\n## Context\n\n- Marker: !`printf cmd-%s ran`\n- Made: !`touch made.txt && echo made`\n\nNotes in @notes.txt and @../secret.txt\n\nFocus: $ARGUMENTS\n";

fn commands_ws(name: &str) -> (PathBuf, PathBuf) {
    let (ws, home) = setup(name);
    std::fs::create_dir_all(ws.join(".claude/commands")).unwrap();
    std::fs::write(ws.join(".claude/commands/status.md"), STATUS).unwrap();
    std::fs::write(ws.join("notes.txt"), "NOTES-CONTENT\n").unwrap();
    std::fs::write(ws.parent().unwrap().join("secret.txt"), "SECRET-OUTSIDE\n").unwrap();
    (ws, home)
}

#[test]
fn command_file_lines_run_through_the_gate_and_files_are_inlined() {
    let (ws, home) = commands_ws("auto");
    let m = Mock::start(vec![Reply::text("ok")]);
    let o = mote(
        &ws,
        &home,
        &m,
        &["--permission", "auto", "-p", "/status the tests"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(ws.join("made.txt").exists(), "the command ran");
    let body = m.requests()[0].body.clone();
    assert!(
        body.contains("- Marker: cmd-ran\\n- Made: made\\n"),
        "{body}"
    );
    assert!(!body.contains("!`"), "{body}");
    assert!(body.contains("Focus: the tests"), "{body}");
    assert!(body.contains("NOTES-CONTENT"), "{body}");
    assert!(!body.contains("SECRET-OUTSIDE"), "{body}");
}

#[test]
fn command_file_lines_are_refused_read_only_and_with_nobody_to_ask() {
    // Standard mode asks about `touch`; headless, nobody can answer.
    let (ws, home) = commands_ws("standard");
    let m = Mock::start(vec![Reply::text("ok"), Reply::text("ok")]);
    let o = mote(&ws, &home, &m, &["-p", "/status x"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!ws.join("made.txt").exists(), "the command ran");
    let body = m.requests()[0].body.clone();
    assert!(
        body.contains("- Made: [`touch made.txt && echo made` did not run: "),
        "{body}"
    );
    assert!(
        o.stderr
            .contains("!`touch made.txt && echo made` did not run"),
        "{}",
        o.stderr
    );
    // Read-only: as the model's bash calls, refused or run where nothing can be written.
    let (ws, home) = commands_ws("read-only");
    let o = mote(
        &ws,
        &home,
        &m,
        &["--permission", "read-only", "-p", "/status x"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(!ws.join("made.txt").exists(), "the command wrote");
    let body = m.requests()[1].body.clone();
    assert!(
        body.contains("did not run") || body.contains("read-only sandbox"),
        "{body}"
    );
}

//! Answers as a real terminal shows them: the real binary in tmux against
//! the mock model, streaming a Markdown answer (a table, a nested list, a
//! Rust code block) at 80 and 40 columns, and a hostile answer and tool
//! output carrying OSC and CSI sequences that must not reach the terminal
//! (nor the headless `--verbose` log).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;
#[path = "tui/mod.rs"]
mod tui;

use mock::{Item, Mock, Reply};
use tui::{start_mote, workspace, Tmux};

const ANSWER: &str = "Here is the summary.\n\n\
| file | lines | status |\n\
|:---|---:|:---:|\n\
| src/main.rs | 120 | **ok**, reviewed twice |\n\
| src/tui/markdown.rs | 4200 | `new` |\n\
\n\
- first\n\
\x20 - second, *nested*\n\
\x20   1. third\n\
- [x] done\n\
\n\
```rust\n\
fn main() { let n = 42; // the answer\n\
}\n\
```\n\
See [docs](https://example.com/d).\n";

/// The lines of the answer: after the prompt, before the status line.
fn answer(s: &str) -> Vec<String> {
    s.lines()
        .skip_while(|l| !l.contains("› show"))
        .skip(1)
        .take_while(|l| !l.contains("mock-model ·"))
        .map(str::to_string)
        .collect()
}

fn run(width: u16) -> (Tmux, String, String) {
    let ws = workspace(&format!("render{width}"));
    let m = Mock::start(vec![Reply::text(ANSWER)]);
    let t = start_mote(&format!("render{width}"), &ws, &m.base_url(), width, "");
    t.type_text("show");
    t.keys(&["Enter"]);
    let s = t.wait_text(" out · context");
    let styled = t.screen_styled();
    (t, s, styled)
}

#[test]
fn table_list_and_code_at_80_columns() {
    let (_t, s, styled) = run(80);
    let a = answer(&s);
    let want = [
        "Here is the summary.",
        "┌─────────────────────┬───────┬────────────────────┐",
        "│ file                │ lines │       status       │",
        "├─────────────────────┼───────┼────────────────────┤",
        "│ src/main.rs         │   120 │ ok, reviewed twice │",
        "│ src/tui/markdown.rs │  4200 │        new         │",
        "└─────────────────────┴───────┴────────────────────┘",
        "• first",
        "  ◦ second, nested",
        "    1. third",
        "☑ done",
        "  rust",
        "  fn main() { let n = 42; // the answer",
        "  }",
        "See docs (https://example.com/d).",
    ];
    let shown: Vec<&str> = a
        .iter()
        .map(|l| l.trim_end())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(shown, want, "the screen:\n{s}");
    // The code is coloured: keywords, numbers, comments.
    assert!(styled.contains("\x1b[35mfn"), "keyword colour: {styled:?}");
    assert!(styled.contains("\x1b[33m42"), "number colour: {styled:?}");
    assert!(styled.contains("// the answer"));
    // Emphasis is italic, the header bold.
    assert!(styled.contains("\x1b[3mnested"), "italic: {styled:?}");
    assert!(styled.contains("\x1b[1mfile"), "bold header: {styled:?}");
}

#[test]
fn table_shrinks_and_wraps_at_40_columns() {
    let (_t, s, _) = run(40);
    let a = answer(&s);
    for l in &a {
        assert!(l.chars().count() <= 40, "wider than the window: {l:?}\n{s}");
    }
    let text = a.join("\n");
    // Box rules still, the widest column wrapped inside its cell.
    assert!(text.contains("┌") && text.contains("└"), "{s}");
    assert!(
        a.iter().filter(|l| l.starts_with('│')).count() > 4,
        "rows wrapped inside the cells: {s}"
    );
    assert!(!text.contains("|---"), "no raw Markdown: {s}");
    assert!(
        text.contains("• first") && text.contains("    1. third"),
        "{s}"
    );
    assert!(text.contains("  fn main() {"), "{s}");
}

#[test]
fn control_sequences_from_the_model_and_tools_do_not_reach_the_terminal() {
    let ws = workspace("escapes");
    let evil_text = "before\x1b]2;MODEL-PWNED\x07 \x1b[2J\x1b[H\x1b[7mafter\u{9b}8m visible\n";
    let m = Mock::start(vec![
        Reply::Turn {
            items: vec![
                Item::Text(evil_text.into()),
                Item::Call {
                    name: "bash".into(),
                    args: r#"{"command":"printf 'out\\033]2;TOOL-PWNED\\007put\\033[2J\\n'"}"#
                        .into(),
                },
            ],
            finish: None,
        },
        Reply::text("done\x1b]0;LAST-PWNED\x1b\\ here"),
    ]);
    let t = start_mote("escapes", &ws, &m.base_url(), 80, "");
    let title = t.pane_title();
    t.type_text("show");
    t.keys(&["Enter"]);
    let s = t.wait_text("done here");
    // The text around the sequences is shown, the sequences are not acted on.
    assert!(s.contains("before after visible"), "{s}");
    assert!(s.contains("│ output"), "the tool's output, cleaned: {s}");
    assert!(s.contains("› show"), "the screen was not cleared: {s}");
    assert_eq!(t.pane_title(), title, "the title was not changed");
    let styled = t.screen_styled();
    assert!(
        !styled.contains("\x1b[7m") && !styled.contains("\x1b[8m"),
        "{styled:?}"
    );
    // The conversation still has what the model and the tool sent.
    let body = &m.requests()[1].body;
    assert!(body.contains("TOOL-PWNED"), "{body}");
}

#[test]
fn the_verbose_log_is_cleaned_and_a_pipe_gets_the_answer_as_sent() {
    let ws = common::fresh_dir("render", "verbose");
    let m = Mock::start(vec![Reply::text("before\x1b]2;PWNED\x07 after\x1b[2J end")]);
    let mut c = common::mote_command();
    c.current_dir(&ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env("OPENAI_API_KEY", "k")
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "-p", "go", "--verbose"]);
    let o = common::run(&mut c, common::HANG, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("before after end"), "{}", o.stderr);
    assert!(!o.stderr.contains(['\x1b', '\x07']), "{:?}", o.stderr);
    // stdout is a pipe here: the answer is data, passed on unchanged.
    assert!(
        o.stdout.contains("before\x1b]2;PWNED\x07 after"),
        "{:?}",
        o.stdout
    );
}

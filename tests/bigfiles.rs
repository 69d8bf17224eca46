//! Huge files through the read and grep tools, on the real binary: a 10 MB
//! file that is one line, and files of 2 MB lines. What the model gets stays
//! within the tools' output caps, and the process's peak RSS (its own
//! VmHWM, read at exit as the bench does) stays within the grep budget
//! (benches/budget/budgets.rs), however long the line.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

#[path = "../benches/budget/budgets.rs"]
#[allow(dead_code)]
mod budgets;
#[path = "grep/mod.rs"]
mod grep_tree;
#[path = "../benches/budget/measure.rs"]
#[allow(dead_code)]
mod measure;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use grep_tree::{command, mock, run_tools};

fn bin() -> PathBuf {
    std::env::var_os("MOTE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mote")))
}

fn workspace(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mote-bigfiles-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One line of `bytes` printable bytes with `needle` at its middle and end.
fn one_line(path: &Path, bytes: usize, needle: &str) {
    let filler = "abcdefghij klmnopqrst uvwxyz0123 456789ABCD ".repeat(bytes / 88 + 1);
    let half = filler.get(..bytes / 2).unwrap();
    std::fs::write(path, format!("{half}{needle}{half}{needle}\n")).unwrap();
}

/// A session of `calls`, measured: its peak RSS in bytes.
fn peak_rss(ws: &Path, calls: &[(&str, String)]) -> u64 {
    let m = mock(calls);
    let run = measure::measure(&mut command(&bin(), ws, &m));
    assert_eq!(run.status, 0, "{}", run.stdout);
    run.max_rss
}

#[test]
fn read_and_grep_of_a_10_mb_line_are_bounded() {
    let ws = workspace("read");
    one_line(&ws.join("huge.txt"), 10 << 20, "NEEDLE");
    let calls = [
        ("read", r#"{"path":"huge.txt"}"#.to_string()),
        ("read", r#"{"path":"huge.txt","offset":2}"#.to_string()),
        (
            "grep",
            r#"{"pattern":"NEE+DLE","path":"huge.txt"}"#.to_string(),
        ),
    ];
    let ran = run_tools(&bin(), &ws, &calls);
    let first = &ran[0].output;
    assert!(!ran[0].is_error, "{first}");
    assert!(first.len() <= 50 * 1024 + 200, "{} bytes", first.len());
    assert!(
        first.ends_with("[line 1 is longer than 50 KB and was cut; see the rest with bash (e.g. cut -c); next line: offset=2]"),
        "{}",
        &first[first.len() - 200..]
    );
    assert!(ran[1].is_error && ran[1].output.contains("past the end"));
    assert!(
        ran[2].output.starts_with("huge.txt:1:abcdefghij"),
        "{}",
        ran[2].output
    );
    assert!(ran[2].output.len() < 1000, "{}", ran[2].output);
    let rss = peak_rss(&ws, &calls);
    let budget = budgets::GREP_RSS.limit as u64;
    assert!(
        rss <= budget,
        "peak RSS {} KiB over {} KiB",
        rss >> 10,
        budget >> 10
    );
    let _ = std::fs::remove_dir_all(&ws);
}

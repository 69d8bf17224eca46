//! The grep tool against GNU grep: on a generated tree (tests/grep/mod.rs),
//! the real binary's grep calls (made by the mock model, read back from the
//! stream-json events) must list the same lines, with the same numbers and
//! text, as `grep -rnI` for every pattern: literals, case-insensitive
//! regexes, anchors, alternations without a common literal and patterns with
//! no literal at all. Lines longer than the tool's 300-byte cut are compared
//! by path and number.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

#[path = "grep/mod.rs"]
mod grep_tree;
#[path = "mock/mod.rs"]
mod mock;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use grep_tree::{generate, run_tools, Shape};

fn bin() -> PathBuf {
    std::env::var_os("MOTE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mote")))
}

/// (mote's arguments, GNU grep's options and pattern)
const CASES: &[(&str, &[&str])] = &[
    (
        r#""pattern":"createHash(","literal":true"#,
        &["-F", "createHash("],
    ),
    (r#""pattern":"createHash\\(""#, &["-P", r"createHash\("]),
    (
        r#""pattern":"function\\s+\\w+Hash""#,
        &["-P", r"function\s+\w+Hash"],
    ),
    (
        r#""pattern":"NEEDLE_\\d+","ignore_case":true"#,
        &["-i", "-P", r"NEEDLE_\d+"],
    ),
    (
        r#""pattern":"^\\s*// [b-c]\\w+ [e-f]\\w+ .*s$""#,
        &["-P", r"^\s*// [b-c]\w+ [e-f]\w+ .*s$"],
    ),
    (
        r#""pattern":"digest\\.(reduce|filter)\\(9\\d""#,
        &["-P", r"digest\.(reduce|filter)\(9\d"],
    ),
    (
        r#""pattern":"20\\d\\d-1[12]-2\\d""#,
        &["-P", r"20\d\d-1[12]-2\d"],
    ),
    (
        r#""pattern":"^[a-z]+_[a-z]+\\(\\d\\d\\d, [a-z]+""#,
        &["-P", r"^[a-z]+_[a-z]+\(\d\d\d, [a-z]+"],
    ),
    (r#""pattern":"grüße [a-z]+\"""#, &["-P", r#"grüße [a-z]+""#]),
    (
        r#""pattern":"ZZZ_NOT_.*_ANYWHERE""#,
        &["-P", "ZZZ_NOT_.*_ANYWHERE"],
    ),
];

/// path:line → text (None when mote cut the line).
fn parse(out: &str, strip: &str) -> BTreeSet<(String, u64, Option<String>)> {
    out.lines()
        .filter(|l| !l.starts_with('[') && !l.starts_with("No matches for"))
        .map(|l| {
            let l = l.strip_prefix(strip).unwrap_or(l);
            let mut it = l.splitn(3, ':');
            let path = it.next().unwrap().to_string();
            let n = it.next().unwrap().parse().unwrap();
            let text = it.next().unwrap();
            let cut = text.ends_with(" more bytes]") || text.len() > 300;
            (path, n, (!cut).then(|| text.to_string()))
        })
        .collect()
}

fn gnu(ws: &Path, opts: &[&str]) -> String {
    let out = Command::new("grep")
        .current_dir(ws)
        .env("LC_ALL", "C.UTF-8")
        .arg("-rnI")
        .args(opts)
        .arg(".")
        .output()
        .expect("GNU grep");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn same_lines_as_gnu_grep() {
    let ws = std::env::temp_dir().join(format!("mote-grep-gnu-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&ws);
    generate(
        &ws,
        &Shape {
            dirs: 6,
            files: 20,
            file_bytes: 8 * 1024,
            bundles: 2,
            bundle_bytes: 300 * 1024,
        },
    );
    let calls: Vec<(&str, String)> = CASES
        .iter()
        .map(|c| ("grep", format!(r#"{{{},"limit":100000}}"#, c.0)))
        .collect();
    let ran = run_tools(&bin(), &ws, &calls);
    let mut found = 0;
    for ((args, opts), r) in CASES.iter().zip(&ran) {
        assert!(!r.is_error, "{args}: {}", r.output);
        let mine = parse(&r.output, "");
        let theirs = parse(&gnu(&ws, opts), "./");
        let strip = |s: &BTreeSet<(String, u64, Option<String>)>| {
            s.iter()
                .map(|(p, n, _)| (p.clone(), *n))
                .collect::<BTreeSet<_>>()
        };
        let (a, b) = (strip(&mine), strip(&theirs));
        assert!(
            !r.output.contains("[output cut"),
            "{args}: too many matches"
        );
        let only: Vec<_> = a.symmetric_difference(&b).collect();
        assert!(only.is_empty(), "{args}: found by one only: {only:?}");
        for m in &mine {
            if m.2.is_some() {
                assert!(theirs.contains(m), "{args}: {m:?}");
            }
        }
        found += mine.len();
    }
    assert!(found > 100, "the patterns found {found} lines in all");
    let _ = std::fs::remove_dir_all(&ws);
}

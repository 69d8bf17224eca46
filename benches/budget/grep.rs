//! The grep rows of the budget: mote's grep tool against GNU grep on the
//! same generated tree (tests/grep/mod.rs), same patterns, same run, warm
//! page cache. mote's time is the tool call's own duration as mote reports
//! it in its stream-json events; GNU grep's is the wall time of
//! `grep -rnI` with its output going to a file (on /dev/null GNU grep would
//! stop at the first match). Each figure is the median of five runs; the
//! budget is on the ratio, so machine noise largely cancels.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::budgets::{Budget, Unit, GREP_LITERAL_RATIO, GREP_NO_LITERAL_RATIO, GREP_RSS};
use crate::grep_tree::{command, generate, mock, run_tools, Ran, Shape};
use crate::measure::measure;
use crate::report::Report;

/// The tree: 2,000 source files of 12 KB and 8 bundles of 2 MB lines, ~40 MB.
const SHAPE: Shape = Shape {
    dirs: 40,
    files: 50,
    file_bytes: 12 * 1024,
    bundles: 8,
    bundle_bytes: 2 << 20,
};
const RUNS: usize = 5;

/// (label, mote's grep arguments, GNU grep's pattern options, budget).
/// `^\s*$` has no literal, but must match whole lines made of whitespace
/// (literal::line_bytes): the regex runs only on the 58,805 blank lines
/// of the tree's million.
const CASES: &[(&str, &str, &[&str], &Budget)] = &[
    (
        "literal createHash(",
        r#""pattern":"createHash(","literal":true"#,
        &["-F", "createHash("],
        &GREP_LITERAL_RATIO,
    ),
    (
        r"regex createHash\(",
        r#""pattern":"createHash\\(""#,
        &["-P", r"createHash\("],
        &GREP_LITERAL_RATIO,
    ),
    (
        r"regex function\s+\w+Hash",
        r#""pattern":"function\\s+\\w+Hash""#,
        &["-P", r"function\s+\w+Hash"],
        &GREP_LITERAL_RATIO,
    ),
    (
        "regex ZZZ_NOT_.*_ANYWHERE",
        r#""pattern":"ZZZ_NOT_.*_ANYWHERE""#,
        &["-P", "ZZZ_NOT_.*_ANYWHERE"],
        &GREP_LITERAL_RATIO,
    ),
    (
        r"-i regex needle_\d+",
        r#""pattern":"needle_\\d+","ignore_case":true"#,
        &["-i", "-P", r"needle_\d+"],
        &GREP_LITERAL_RATIO,
    ),
    (
        r"no literal \d{4}-\d{2}-\d{2}",
        r#""pattern":"\\d{4}-\\d{2}-\\d{2}""#,
        &["-P", r"\d{4}-\d{2}-\d{2}"],
        &GREP_NO_LITERAL_RATIO,
    ),
    (
        r"no literal ^\s*$",
        r#""pattern":"^\\s*$""#,
        &["-P", r"^\s*$"],
        &GREP_NO_LITERAL_RATIO,
    ),
];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Wall time of GNU grep over `ws`, in ms, and its count of output lines.
fn gnu(ws: &Path, opts: &[&str], out: &Path) -> (f64, usize) {
    let t = Instant::now();
    let status = Command::new("grep")
        .current_dir(ws)
        .env("LC_ALL", "C")
        .arg("-rnI")
        .args(opts)
        .arg(".")
        .stdout(Stdio::from(std::fs::File::create(out).unwrap()))
        .status()
        .expect("run GNU grep");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    assert!(
        matches!(status.code(), Some(0 | 1)),
        "GNU grep {opts:?} failed"
    );
    let n = std::fs::read(out).unwrap().split(|b| *b == b'\n').count() - 1;
    (ms, n)
}

/// Generate the tree, run every case RUNS times both ways (checking that
/// both found the same number of lines), and report the ratios; then the
/// peak RSS of a session whose grep reads the 2 MB lines.
pub fn rows(r: &mut Report, bin: &Path) {
    let scratch = std::env::temp_dir().join(format!("mote-bench-{}-grep", std::process::id()));
    let ws = scratch.join("tree");
    let _ = std::fs::remove_dir_all(&ws);
    let bytes = generate(&ws, &SHAPE);
    let out = scratch.join("gnu.out");
    // Warm the page cache.
    let _ = gnu(&ws, &["-F", "createHash("], &out);
    r.section(&format!(
        "grep tool over GNU grep -rnI, {:.0} MB tree, median of {RUNS}",
        bytes as f64 / 1e6
    ));
    for (what, args, opts, budget) in CASES {
        // mote and GNU grep take turns, so a busy moment of the machine
        // falls on both; one session a run keeps the context small.
        let (mut mine, mut g, mut gnu_n) = (Vec::new(), Vec::new(), 0);
        for _ in 0..RUNS {
            let call = ("grep", format!(r#"{{{args},"limit":1000000}}"#));
            mine.extend(run_tools(bin, &ws, &[call]));
            let (ms, n) = gnu(&ws, opts, &out);
            g.push(ms);
            gnu_n = n;
        }
        check_same(what, &mine, gnu_n);
        let (mote_ms, gnu_ms) = (median(mine.iter().map(|r| r.ms).collect()), median(g));
        let ratio = mote_ms / gnu_ms.max(1.0);
        r.at_most(what, ratio, budget);
        r.note(&format!("{mote_ms:.0} ms vs {gnu_ms:.0} ms, {gnu_n} lines"));
    }
    let m = mock(&[(
        "grep",
        r#"{"pattern":"function\\s+\\w+Hash","limit":1000}"#.into(),
    )]);
    let run = measure(&mut command(bin, &ws, &m));
    assert_eq!(run.status, 0, "the measured grep session failed");
    r.at_most(
        "peak RSS, grep through 2 MB lines",
        run.max_rss as f64,
        &GREP_RSS,
    );
    r.info("grep tree size", Unit::Bytes, bytes as f64);
    let _ = std::fs::remove_dir_all(&scratch);
}

/// mote's output (cut for the model at 2000 lines) against GNU grep's count.
fn check_same(what: &str, mine: &[Ran], gnu_n: usize) {
    let first = mine.first().map_or("", |r| r.output.as_str());
    assert!(!mine.iter().any(|r| r.is_error), "{what}: {first}");
    let shown = if first.starts_with("No matches for") {
        0
    } else {
        first.lines().filter(|l| !l.starts_with('[')).count()
    };
    assert!(
        shown == gnu_n || (first.contains("[output cut") && shown < gnu_n),
        "{what}: mote showed {shown} lines, GNU grep {gnu_n}"
    );
}

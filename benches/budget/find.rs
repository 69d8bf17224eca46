//! The find and ls rows of the budget: mote's find tool against GNU
//! `find . -name PATTERN`, and its ls tool against GNU ls, on one generated
//! tree of 100,000 files with .gitignore files, in the same run. mote's
//! figure is the wall time of its whole process (start-up, the mock
//! model's two turns and the tool call); the tool's own duration and both
//! sides' CPU time are noted. GNU's figure is the wall time of the command,
//! its output going to a file. The tree is synced to disk once written, so
//! the writeback of its new inodes falls on no timed run; each program then
//! runs once untimed (page cache and dentries warm for both), and the two
//! take turns RUNS times; the figure is the ratio of the medians.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::budgets::{Budget, Unit, FIND_RATIO, LS_RATIO};
use crate::grep_tree::run_timed;
use crate::report::Report;

const RUNS: usize = 7;
/// pkg × mod × dir: 1,000 directories of `FILES` source files each.
const FANOUT: usize = 10;
const FILES: usize = 50;
/// The flat directory ls lists.
const FLAT: usize = 50_000;
const EXTS: [&str; 5] = ["rs", "js", "ts", "md", "json"];
/// A root .gitignore of the usual kind; its `build/` hides 10 files in
/// each package, and each package's own file hides `*.snap` but one.
const GITIGNORE: &str = "# build output\n/target/\nbuild/\ndist/\nout/\n*.o\n*.so\n*.a\n\
    *.pyc\n__pycache__/\nnode_modules/\n.venv/\n*.log\n*.tmp\n*.swp\n*~\n.DS_Store\n.idea/\n\
    .vscode/\ncoverage/\n*.min.js\n.env\n.env.*\n!.env.example\n*.bak\n";

/// (label, the find tool's pattern, GNU find's -name).
const FINDS: &[(&str, &str)] = &[("*.rs", "*.rs"), ("file042.ts", "file042.ts")];

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// CPU time (user + system) of the bench's reaped children so far, in ms.
fn children_cpu_ms() -> f64 {
    // SAFETY: getrusage writes only into the zeroed struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
    ms(ru.ru_utime) + ms(ru.ru_stime)
}

/// Write the tree; returns the number of files in it.
fn generate(root: &Path) -> usize {
    let write = |p: &Path, text: &str| std::fs::write(p, text).unwrap();
    std::fs::create_dir_all(root).unwrap();
    write(&root.join(".gitignore"), GITIGNORE);
    let mut n = 1;
    for a in 0..FANOUT {
        let pkg = root.join(format!("src/pkg{a}"));
        std::fs::create_dir_all(pkg.join("build")).unwrap();
        write(&pkg.join(".gitignore"), "*.snap\n!keep.snap\n");
        for name in ["x.snap", "keep.snap"] {
            write(&pkg.join(name), "");
        }
        for k in 0..10 {
            write(&pkg.join(format!("build/gen{k}.rs")), "");
        }
        n += 13;
        for b in 0..FANOUT {
            for c in 0..FANOUT {
                let dir = pkg.join(format!("mod{b}/dir{c}"));
                std::fs::create_dir_all(&dir).unwrap();
                for f in 0..FILES {
                    write(&dir.join(format!("file{f:03}.{}", EXTS[f % 5])), "");
                }
                n += FILES;
            }
        }
    }
    let flat = root.join("assets");
    std::fs::create_dir_all(&flat).unwrap();
    for i in 0..FLAT {
        write(&flat.join(format!("img{i:05}.png")), "");
    }
    // SAFETY: sync takes no arguments and cannot fail.
    unsafe { libc::sync() };
    n + FLAT
}

/// One timed run of a GNU tool in `ws`: wall ms, CPU ms, its output lines.
fn gnu(ws: &Path, prog: &str, args: &[&str], out: &Path) -> (f64, f64, Vec<String>) {
    let cpu = children_cpu_ms();
    let t = Instant::now();
    let status = Command::new(prog)
        .current_dir(ws)
        .env("LC_ALL", "C")
        .args(args)
        .stdout(Stdio::from(std::fs::File::create(out).unwrap()))
        .status()
        .expect("run GNU tool");
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let cpu = children_cpu_ms() - cpu;
    assert!(status.success(), "{prog} {args:?} failed");
    let text = std::fs::read_to_string(out).unwrap();
    let lines = text.lines().map(|l| l.trim_start_matches("./").to_string());
    (ms, cpu, lines.collect())
}

/// What one side's RUNS timed runs gave.
#[derive(Default)]
struct Side {
    wall: Vec<f64>,
    cpu: Vec<f64>,
    tool: Vec<f64>,
}

/// Run mote's `call` and the GNU command in turns; check mote's output
/// with `check` (given mote's output and GNU's lines); report the ratio.
fn compare(
    r: &mut Report,
    ws: &Path,
    bin: &Path,
    row: (&str, &Budget),
    call: (&str, String),
    gnu_cmd: (&str, &[&str]),
    check: &dyn Fn(&str, &[String]),
) {
    let out = ws.with_extension("out");
    let calls = [call];
    // Untimed first runs: both sides find caches as warm.
    let (first, _) = run_timed(bin, ws, &calls);
    let (_, _, lines) = gnu(ws, gnu_cmd.0, gnu_cmd.1, &out);
    let output = first.first().map_or("", |r| r.output.as_str());
    assert!(!first.iter().any(|r| r.is_error), "{}: {output}", row.0);
    check(output, &lines);
    let (mut mine, mut theirs) = (Side::default(), Side::default());
    for _ in 0..RUNS {
        let cpu = children_cpu_ms();
        let (ran, wall) = run_timed(bin, ws, &calls);
        mine.cpu.push(children_cpu_ms() - cpu);
        mine.wall.push(wall);
        mine.tool.push(ran.first().map_or(0.0, |r| r.ms));
        let (ms, cpu, _) = gnu(ws, gnu_cmd.0, gnu_cmd.1, &out);
        theirs.wall.push(ms);
        theirs.cpu.push(cpu);
    }
    let (mote_ms, gnu_ms) = (median(mine.wall), median(theirs.wall));
    r.at_most(row.0, mote_ms / gnu_ms.max(1.0), row.1);
    r.note(&format!(
        "{mote_ms:.0} ms (the tool alone {:.0} ms) vs {gnu_ms:.0} ms; CPU {:.0} vs {:.0} ms; {} lines from GNU",
        median(mine.tool),
        median(mine.cpu),
        median(theirs.cpu),
        lines.len()
    ));
    let _ = std::fs::remove_file(out);
}

/// mote's result lines: its output less the `[...]` notes.
fn shown(output: &str) -> Vec<&str> {
    output.lines().filter(|l| !l.starts_with('[')).collect()
}

/// GNU find's matches less those .gitignore hides, in tree order, against
/// mote's list (which stops at the output cap, with a note).
fn check_find(output: &str, gnu: &[String]) {
    let mut want: Vec<&str> = gnu
        .iter()
        .map(String::as_str)
        .filter(|p| !p.contains("/build/"))
        .collect();
    want.sort_unstable();
    let got = shown(output);
    assert!(
        got.len() == want.len() || (output.contains("[output cut") && got.len() < want.len()),
        "find showed {} of {} paths: {output:.300}",
        got.len(),
        want.len()
    );
    assert_eq!(got, want.get(..got.len()).unwrap_or_default());
}

/// GNU ls's names (`--indicator-style=file-type` marks kinds as mote's ls
/// does) against mote's list and its count of entries.
fn check_ls(output: &str, gnu: &[String]) {
    let got = shown(output);
    assert_eq!(got, gnu.get(..got.len()).unwrap_or_default());
    let total = format!("of {} entries", gnu.len());
    assert!(
        got.len() == gnu.len() || output.contains(&total),
        "ls: {output:.300}"
    );
}

/// Generate the tree, compare find and ls, remove the tree.
pub fn rows(r: &mut Report, bin: &Path) {
    let scratch = std::env::temp_dir().join(format!("mote-bench-{}-find", std::process::id()));
    let ws = scratch.join("tree");
    let _ = std::fs::remove_dir_all(&scratch);
    let files = generate(&ws);
    r.section(&format!(
        "find and ls tools over GNU find and ls, {files} files, median of {RUNS}"
    ));
    for (pat, name) in FINDS {
        let call = format!(r#"{{"pattern":"{pat}","limit":1000000}}"#);
        compare(
            r,
            &ws,
            bin,
            (&format!("find {pat} over find -name"), &FIND_RATIO),
            ("find", call),
            ("find", &[".", "-name", name]),
            &check_find,
        );
    }
    let ls_args: &[&str] = &["-A", "--indicator-style=file-type", "assets"];
    compare(
        r,
        &ws,
        bin,
        ("ls, 50,000 entries, over ls -A", &LS_RATIO),
        ("ls", r#"{"path":"assets","limit":1000000}"#.into()),
        ("ls", ls_args),
        &check_ls,
    );
    r.info("files in the find tree", Unit::Count, files as f64);
    let _ = std::fs::remove_dir_all(&scratch);
}

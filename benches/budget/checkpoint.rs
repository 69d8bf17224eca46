//! The checkpoint figures (issue 16): what the per-prompt git snapshots
//! cost in a repository of 10,000 committed files (plus a few untracked).
//! The same seven prompts, each a headless `-p` / `-c -p` run that edits a
//! file or runs a changing command, go to two copies of the tree, one a git
//! repository (two snapshots per prompt) and one not (the file store: one
//! small copy per prompt); the runs alternate so both see the same load.
//! The cost of a prompt is the difference of their CPU times (mote and its
//! git children), the row the median over the prompts; the wall times'
//! difference is shown too. Peak RSS (VmHWM) of the two must match: git's
//! output never piles up in mote.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::budgets::{self, Unit};
use crate::measure::{measure, tempfile, Run};
use crate::mock::{Mock, Reply};
use crate::report::Report;

const FILES: usize = 10_000;
const PROMPTS: usize = 7;

pub fn rows(r: &mut Report, bin: &Path) {
    let (repo, plain) = (tempfile("ckpt-git"), tempfile("ckpt-plain"));
    for ws in [&repo, &plain] {
        tree(ws);
    }
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "10,000 files"]);
    for ws in [&repo, &plain] {
        for i in 0..3 {
            std::fs::write(ws.join(format!("scratch{i}.txt")), "not committed\n").unwrap();
        }
    }
    let (mut cost, mut cpu) = (Vec::new(), Vec::new());
    let (mut rss_git, mut rss_plain) = (0, 0);
    for turn in 0..PROMPTS {
        // Alternate which copy goes first, so a burst of load hits both.
        let mut order = [(&repo, true), (&plain, false)];
        if turn % 2 == 1 {
            order.reverse();
        }
        let (mut wall, mut ms) = ([Duration::ZERO; 2], [0.0; 2]);
        for (ws, is_git) in order {
            let (run, took) = prompt(bin, ws, turn);
            assert_eq!(run.status, 0, "prompt {turn} failed: {}", run.stdout);
            wall[usize::from(is_git)] = took;
            ms[usize::from(is_git)] = run.cpu_ms as f64;
            match is_git {
                true => rss_git = rss_git.max(run.max_rss),
                false => rss_plain = rss_plain.max(run.max_rss),
            }
        }
        cost.push(wall[1].as_secs_f64() * 1000.0 - wall[0].as_secs_f64() * 1000.0);
        cpu.push(ms[1] - ms[0]);
    }
    // Every prompt has a commit before its change and one at its end (a
    // run whose files are as the last left them reuses its last commit).
    let sessions = repo.with_extension("data").join("mote/sessions");
    let records: String = std::fs::read_dir(&sessions)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
        .collect();
    let snaps = records
        .lines()
        .filter(|l| l.contains("\"type\":\"checkpoint\"") && !l.contains("\"commit\":\"\""))
        .count();
    let commits = git(&repo, &["rev-list", "--count", "--all", "--glob=refs/mote"]);
    assert!(
        snaps == 2 * PROMPTS && commits.trim() != "0",
        "the git runs recorded {snaps} checkpoint(s) for {PROMPTS} prompts"
    );
    // CPU time (mote and its git children, from wait4) is the work a
    // checkpoint adds; on an idle machine the wall time is the same. The
    // wall time is shown: on a loaded machine it follows the load.
    cpu.sort_by(f64::total_cmp);
    r.at_most(
        "checkpoints, 10,000-file repo, per prompt",
        cpu[cpu.len() / 2],
        &budgets::CHECKPOINT_MS,
    );
    let shown: Vec<String> = cpu.iter().map(|c| format!("{c:.0}")).collect();
    r.note(&format!(
        "CPU of mote + git, git minus no-git, per prompt, sorted: {} ms",
        shown.join(", ")
    ));
    cost.sort_by(f64::total_cmp);
    r.info(
        "  wall time, per prompt (median)",
        Unit::Ms,
        cost[cost.len() / 2],
    );
    r.info("  peak RSS, the git runs", Unit::Kib, rss_git as f64);
    r.info("  peak RSS, the no-git runs", Unit::Kib, rss_plain as f64);
    let grown = rss_git.saturating_sub(rss_plain) as f64;
    r.at_most(
        "  peak RSS over the no-git runs",
        grown,
        &budgets::CHECKPOINT_RSS,
    );
    for ws in [&repo, &plain] {
        let _ = std::fs::remove_dir_all(ws);
        let _ = std::fs::remove_dir_all(ws.with_extension("data"));
    }
}

/// 10,000 files of 100 B to 4 KB in 100 directories, dated a minute ago
/// (git's index then holds no racily clean entry).
fn tree(ws: &Path) {
    let _ = std::fs::remove_dir_all(ws);
    let old = SystemTime::now() - Duration::from_secs(60);
    for i in 0..FILES {
        let dir = ws.join(format!("m{:02}", i % 100));
        if i < 100 {
            std::fs::create_dir_all(&dir).unwrap();
        }
        let line = format!("pub fn f{i}() -> u32 {{ {i} }}\n");
        let path = dir.join(format!("f{i}.rs"));
        std::fs::write(&path, line.repeat(1 + (i * 7919) % 130)).unwrap();
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(old).unwrap();
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=bench", "-c", "user.email=bench@localhost"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Prompt `turn` in `ws`: an edit of one file, or a command that changes
/// another, then an answer. The run and its wall time.
fn prompt(bin: &Path, ws: &Path, turn: usize) -> (Run, Duration) {
    let n = turn * 1301 % FILES;
    let call = match turn % 2 {
        0 => Reply::call(
            "edit",
            &format!(
                r#"{{"path":"m{:02}/f{n}.rs","old_text":"{{ {n} }}","new_text":"{{ {n} + {turn} }}"}}"#,
                n % 100
            ),
        ),
        _ => Reply::call(
            "bash",
            &format!(
                r#"{{"command":"echo {turn} >> m{:02}/notes.txt"}}"#,
                n % 100
            ),
        ),
    };
    let m = Mock::start(vec![call, Reply::text("done")]);
    let mut c = Command::new(bin);
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env_remove("OPENAI_API_KEY")
        .env("XDG_DATA_HOME", ws.with_extension("data"))
        .args([
            "--model",
            "mock",
            "--permission",
            "auto",
            "--no-context-files",
        ]);
    if turn > 0 {
        c.arg("-c");
    }
    c.args(["-p", &format!("change number {turn}")]);
    let start = Instant::now();
    let run = measure(&mut c);
    let took = start.elapsed();
    assert_eq!(m.requests().len(), 2, "prompt {turn}: {}", run.stdout);
    (run, took)
}

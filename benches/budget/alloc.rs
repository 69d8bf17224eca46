//! The allocator comparison: the same runs with a second binary built with
//! `--features mimalloc`, so the choice of musl's malloc is re-checked on
//! every run. MOTE_BENCH_SKIP_MIMALLOC=1 leaves it out (it is no budget).

use std::path::Path;
use std::process::Command;

use crate::budgets::Unit;
use crate::measure::{measure, Run};
use crate::report::Report;
use crate::session::session;

/// `musl`: the default binary's size, --version run and session run.
pub fn compare(r: &mut Report, root: &Path, size: u64, version: &Run, sess: &Run) {
    if std::env::var_os("MOTE_BENCH_SKIP_MIMALLOC").is_some() {
        return;
    }
    let dir = root.join("target/bench-mimalloc");
    let built = Command::new(env!("CARGO"))
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "x86_64-unknown-linux-musl",
            "--features",
            "mimalloc",
        ])
        .arg("--target-dir")
        .arg(&dir)
        .status();
    let mi = dir.join("x86_64-unknown-linux-musl/release/mote");
    if !built.is_ok_and(|s| s.success()) || !mi.exists() {
        r.note("(mimalloc build failed; allocator comparison left out)");
        return;
    }
    let v = measure(Command::new(&mi).arg("--version"));
    let (s, _, _) = session(&mi);
    r.section("allocator comparison (same runs): musl malloc, then mimalloc");
    let mi_size = std::fs::metadata(&mi).map_or(0, |m| m.len());
    for (what, a, b) in [
        ("binary size", size, mi_size),
        ("peak RSS, --version", version.max_rss, v.max_rss),
        ("peak RSS, 14-turn session", sess.max_rss, s.max_rss),
    ] {
        r.info(&format!("{what}, musl"), Unit::Kib, a as f64);
        r.info(&format!("{what}, mimalloc"), Unit::Kib, b as f64);
    }
    r.info("CPU, 14-turn session, musl", Unit::Ms, sess.cpu_ms as f64);
    r.info("CPU, 14-turn session, mimalloc", Unit::Ms, s.cpu_ms as f64);
}

//! The budget check (`make bench`): runs the static release binary against
//! the mock model and prints one row per figure, asserting each budget.
//! Peak RSS is the process's own VmHWM, read from /proc while it is stopped
//! at exit (measure.rs), never wait4's ru_maxrss. A budget that cannot be
//! measured (a missing prerequisite) fails like one that is exceeded.
//!
//! A new figure is a file with a function that takes the `Report`, plus a
//! call in `main`; its budget is a constant in budgets.rs, which names the
//! README Budgets-table row that states it (tests/docs.rs checks the two agree).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

#[path = "../../tests/grep/mod.rs"]
mod grep_tree;
#[path = "../../tests/mock/mod.rs"]
mod mock;
#[path = "../../tests/tui/mod.rs"]
mod tui;

mod acp;
mod alloc;
mod budgets;
mod checkpoint;
mod find;
mod grep;
mod idle;
mod images;
mod mcp;
mod measure;
mod network;
mod report;
mod session;
mod startup;
mod subagents;
mod wire;

use std::path::{Path, PathBuf};
use std::process::Command;

use budgets::Unit;
use measure::measure;
use report::Report;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin = std::env::var_os("MOTE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/x86_64-unknown-linux-musl/release/mote"));
    assert!(
        bin.exists(),
        "{} is missing: run `make bench`",
        bin.display()
    );
    let mut r = Report::default();
    r.section("mote budget (static musl release, musl malloc)");
    let size = std::fs::metadata(&bin).map_or(0, |m| m.len());
    r.at_most("binary size", size as f64, &budgets::BINARY);
    let version = measure(Command::new(&bin).arg("--version"));
    assert_eq!(version.status, 0);
    let rss = version.max_rss as f64;
    r.at_most("peak RSS, --version", rss, &budgets::VERSION_RSS);
    let sess = sessions(&mut r, &bin);
    wire::rows(&mut r, &bin);
    images::rows(&mut r, &bin);
    mcp_row(&mut r, &bin, root);
    startup_row(&mut r, &bin);
    idle_rows(&mut r, &bin);
    acp_rows(&mut r, &bin);
    network_rows(&mut r, &bin);
    subagent_rows(&mut r, &bin);
    grep::rows(&mut r, &bin);
    checkpoint::rows(&mut r, &bin);
    find::rows(&mut r, &bin);
    alloc::compare(&mut r, root, size, &version, &sess);
    r.finish();
}

/// The 14-turn and 300-turn sessions; returns the 14-turn run.
fn sessions(r: &mut Report, bin: &Path) -> measure::Run {
    let (sess, first_req, last_req) = session::session(bin);
    assert_eq!(sess.status, 0, "session failed: {}", sess.stdout);
    let rss = sess.max_rss as f64;
    r.at_most("peak RSS, 14-turn session", rss, &budgets::SESSION_RSS);
    let cpu = sess.cpu_ms as f64;
    r.info("CPU time (user + system), 14-turn", Unit::Ms, cpu);
    let first = first_req as f64;
    r.at_most(
        "first request (prompt + tools)",
        first,
        &budgets::FIRST_REQUEST,
    );
    let last = last_req as f64;
    r.at_most("last request (whole context)", last, &budgets::LAST_REQUEST);
    let (long, long_reqs, compactions) = session::long_session(bin);
    assert_eq!(
        long.status, 5,
        "the 300-turn session should stop at --max-turns"
    );
    assert!(
        compactions >= 3 && long_reqs == 300 + compactions,
        "{long_reqs} requests, {compactions} compactions"
    );
    let rss = long.max_rss as f64;
    r.at_most(
        "peak RSS, 300 turns, compacting",
        rss,
        &budgets::LONG_SESSION_RSS,
    );
    r.info("CPU time, 300 turns", Unit::Ms, long.cpu_ms as f64);
    let big = session::resume_big(bin);
    assert_eq!(
        big.status, 0,
        "resuming the 50 MB session failed: {}",
        big.stdout
    );
    let cpu = big.cpu_ms as f64;
    r.at_most("CPU time, resume a 50 MB record", cpu, &budgets::RESUME_BIG);
    r.info(
        "peak RSS, resume a 50 MB record",
        Unit::Kib,
        big.max_rss as f64,
    );
    r.info(
        "compactions in 300 turns (>= 3)",
        Unit::Count,
        compactions as f64,
    );
    sess
}

fn mcp_row(r: &mut Report, bin: &Path, root: &Path) {
    const ROW: &str = "peak RSS, 2 MCP servers, 2 calls";
    match mcp::mcp_session(bin, root) {
        Ok(run) => {
            assert_eq!(run.status, 0, "MCP session failed: {}", run.stdout);
            r.at_most(ROW, run.max_rss as f64, &budgets::MCP_RSS);
        }
        Err(why) => r.unmeasured(ROW, &budgets::MCP_RSS, &why),
    }
}

fn startup_row(r: &mut Report, bin: &Path) {
    const ROW: &str = "start-up to first request byte";
    match startup::startup_ratio(bin) {
        Some((ratio, mote_us, true_us)) => {
            r.at_most(ROW, ratio, &budgets::STARTUP_RATIO);
            r.note(&format!(
                "{mote_us:.0} us to the first byte; a trivial static exec: {true_us:.0} us"
            ));
        }
        None => {
            let why = "musl-gcc could not build the trivial static binary";
            r.unmeasured(ROW, &budgets::STARTUP_RATIO, why);
        }
    }
}

fn idle_rows(r: &mut Report, bin: &Path) {
    let i = idle::idle(bin);
    let secs = idle::IDLE_SECS;
    r.info("RSS, interactive, fresh prompt", Unit::Kib, i.fresh as f64);
    r.at_most(
        "RSS, interactive, idle after turn",
        i.rss as f64,
        &budgets::IDLE_RSS,
    );
    r.at_most(
        "  of which private (RssAnon)",
        i.anon as f64,
        &budgets::IDLE_PRIVATE,
    );
    r.info("  of which file-backed (RssFile)", Unit::Kib, i.file as f64);
    let ticks = format!("CPU ticks, interactive, {secs} s idle");
    r.at_most(&ticks, i.ticks as f64, &budgets::IDLE_TICKS);
    let wakeups = format!("wake-ups, interactive, {secs} s idle");
    r.at_most(&wakeups, i.wakeups as f64, &budgets::IDLE_WAKEUPS);
}

fn acp_rows(r: &mut Report, bin: &Path) {
    let (idle, (lines, idle_rss)) = acp::idle(bin);
    assert_eq!(idle.status, 0, "mote acp failed: {lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("\"sessionId\"")),
        "no session/new answer: {lines:?}"
    );
    r.at_most(
        "peak RSS, acp idle: initialize + session/new",
        idle.max_rss as f64,
        &budgets::ACP_IDLE_RSS,
    );
    r.info("  RSS while idle", Unit::Kib, idle_rss as f64);
    let (sess, lines, requests) = acp::session(bin);
    assert_eq!(sess.status, 0, "mote acp failed: {lines:?}");
    assert_eq!(requests, 14, "expected 14 requests");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"stopReason\":\"end_turn\"")),
        "no end_turn: {lines:?}"
    );
    r.at_most(
        "peak RSS, acp: 14-turn session",
        sess.max_rss as f64,
        &budgets::ACP_SESSION_RSS,
    );
}

fn network_rows(r: &mut Report, bin: &Path) {
    const ROW: &str = "10 turns over TLS, 50 ms RTT, / ideal";
    match network::over_tls(bin) {
        Ok(f) => {
            let ratio = f.wall.as_secs_f64() / f.ideal.as_secs_f64();
            r.at_most(ROW, ratio, &budgets::NET_RATIO);
            r.note(&format!(
                "{} ms; ideal {} ms (2 handshake round trips + 1 per turn); {} TLS handshake(s)",
                f.wall.as_millis(),
                f.ideal.as_millis(),
                f.handshakes
            ));
            let conns = f.connections as f64;
            r.at_most("  connections", conns, &budgets::NET_CONNECTIONS);
            r.info("  peak RSS, that task", Unit::Kib, f.run.max_rss as f64);
        }
        Err(why) => {
            r.unmeasured(ROW, &budgets::NET_RATIO, &why);
            r.unmeasured("  connections", &budgets::NET_CONNECTIONS, &why);
        }
    }
}

/// A parent and three parallel subagents, each child reading three 40 KB files.
fn subagent_rows(r: &mut Report, bin: &Path) {
    let f = subagents::run(bin);
    r.at_most(
        "peak RSS, subagents: the parent",
        f.tree.root.max_rss as f64,
        &budgets::SUBAGENT_PARENT_RSS,
    );
    let largest = f.tree.children.iter().copied().max().unwrap_or(0);
    r.at_most(
        "peak RSS, subagents: the largest child",
        largest as f64,
        &budgets::SUBAGENT_CHILD_RSS,
    );
    let all = f.tree.root.max_rss + f.tree.children.iter().sum::<u64>();
    r.at_most(
        "peak RSS, subagents: all mote processes",
        all as f64,
        &budgets::SUBAGENT_ALL_RSS,
    );
    let ratio = f.wall.as_secs_f64() / f.alone.as_secs_f64().max(0.001);
    r.info(
        "wall time, three children at once",
        Unit::Ms,
        f.wall.as_secs_f64() * 1000.0,
    );
    r.info(
        "wall time, the slowest child alone (same parent, one call)",
        Unit::Ms,
        f.alone.as_secs_f64() * 1000.0,
    );
    r.at_most(
        "wall time, over the slowest child alone",
        ratio,
        &budgets::SUBAGENT_WALL_RATIO,
    );
}

//! Every budget `make bench` asserts, one constant each, with the README
//! Budgets-table row that states it: tests/docs.rs includes this file and
//! checks that the row exists and shows the same limit.

pub const MIB: f64 = 1024.0 * 1024.0;
pub const KIB: f64 = 1024.0;

/// How a figure is shown (in the bench's table and in the README's).
#[derive(Clone, Copy)]
pub enum Unit {
    Bytes,
    Kib,
    Ms,
    Count,
    Ratio,
}

impl Unit {
    pub fn show(self, v: f64) -> String {
        match self {
            Unit::Bytes => format!("{v:.0} bytes"),
            Unit::Kib => format!("{:.0} KiB", v / KIB),
            Unit::Ms => format!("{v:.0} ms"),
            Unit::Count => format!("{v:.0}"),
            Unit::Ratio => format!("{v:.1}×"),
        }
    }
}

pub struct Budget {
    /// The README Budgets table's first cell for this figure, exactly.
    pub readme: &'static str,
    pub limit: f64,
    pub unit: Unit,
}

const fn b(readme: &'static str, limit: f64, unit: Unit) -> Budget {
    Budget {
        readme,
        limit,
        unit,
    }
}

pub const BINARY: Budget = b("binary size (static, x86_64 musl)", 2.5 * MIB, Unit::Kib);
pub const VERSION_RSS: Budget = b("peak RSS, `mote --version`", MIB, Unit::Kib);
pub const SESSION_RSS: Budget = b("peak RSS, 14-turn session", 3.0 * MIB, Unit::Kib);
pub const SESSION_CPU: Budget = b("user CPU, 14-turn session", 20.0, Unit::Ms);
pub const FORTY_CPU: Budget = b(
    "user CPU, 40-file session (44 requests, ~40 MB of bodies)",
    100.0,
    Unit::Ms,
);
pub const ASSEMBLY_RATIO: Budget = b(
    "request-body assembly, over a memcpy of the same bytes, same run",
    3.0,
    Unit::Ratio,
);
pub const FIRST_REQUEST: Budget = b(
    "first request: system prompt + tool schemas",
    5.5 * KIB,
    Unit::Bytes,
);
pub const LAST_REQUEST: Budget = b(
    "last request of the 14-turn session",
    480.0 * KIB,
    Unit::Bytes,
);
pub const LONG_SESSION_RSS: Budget = b(
    "peak RSS, 300-turn session, compacting",
    4.0 * MIB,
    Unit::Kib,
);
pub const RESUME_BIG: Budget = b(
    "CPU time, resuming a session with one 50 MB record",
    3000.0,
    Unit::Ms,
);
pub const MCP_RSS: Budget = b(
    "peak RSS, two MCP servers, two MCP calls (mote only)",
    3.0 * MIB,
    Unit::Kib,
);
pub const STARTUP_RATIO: Budget = b(
    "start-up to the first request byte, over a trivial static exec",
    10.0,
    Unit::Ratio,
);
pub const IDLE_RSS: Budget = b("RSS, interactive, idle after a turn", 1.5 * MIB, Unit::Kib);
pub const IDLE_PRIVATE: Budget = b("of which private (RssAnon)", 512.0 * KIB, Unit::Kib);
pub const IDLE_TICKS: Budget = b("CPU ticks over 5 s idle", 0.0, Unit::Count);
pub const IDLE_WAKEUPS: Budget = b("voluntary context switches over 5 s idle", 0.0, Unit::Count);
pub const ACP_IDLE_RSS: Budget = b(
    "peak RSS, `mote acp` idle after initialize and one session/new",
    1.5 * MIB,
    Unit::Kib,
);
pub const ACP_SESSION_RSS: Budget = b(
    "peak RSS, 14-turn session through `mote acp`",
    3.0 * MIB,
    Unit::Kib,
);
pub const NET_RATIO: Budget = b(
    "10-turn task over TLS with a 50 ms round trip, over the ideal",
    1.3,
    Unit::Ratio,
);
pub const NET_CONNECTIONS: Budget = b("connections for that task", 1.0, Unit::Count);

pub const SUBAGENT_PARENT_RSS: Budget = b(
    "peak RSS, parent of 3 parallel subagents (each reads 3 × 40 KB)",
    3.0 * MIB,
    Unit::Kib,
);
pub const SUBAGENT_CHILD_RSS: Budget = b("peak RSS, each subagent", 3.0 * MIB, Unit::Kib);
pub const SUBAGENT_ALL_RSS: Budget = b(
    "peak RSS, parent + 3 subagents, all mote processes",
    12.0 * MIB,
    Unit::Kib,
);
pub const SUBAGENT_WALL_RATIO: Budget = b(
    "wall time, 3 parallel subagents over the slowest one alone",
    1.5,
    Unit::Ratio,
);
pub const GREP_LITERAL_RATIO: Budget = b(
    "grep tool over GNU grep -rnI, same run: a literal, or a regex with a required literal",
    2.0,
    Unit::Ratio,
);
pub const GREP_NO_LITERAL_RATIO: Budget = b(
    "grep tool over GNU grep -rnI, same run: a regex without a required literal",
    5.0,
    Unit::Ratio,
);
pub const FIND_RATIO: Budget = b(
    "find tool over GNU `find . -name`, same run, 100,000 files with .gitignore (whole mote process)",
    2.0,
    Unit::Ratio,
);
pub const LS_RATIO: Budget = b(
    "ls tool over GNU `ls -A`, same run, a directory of 50,000 files (whole mote process)",
    2.0,
    Unit::Ratio,
);
pub const GREP_RSS: Budget = b("peak RSS, a grep through 2 MB lines", 4.0 * MIB, Unit::Kib);
pub const IMAGE_SESSION_RSS: Budget = b(
    "peak RSS, 4-turn session with a 5 MB image attached",
    3.0 * MIB,
    Unit::Kib,
);
pub const CHECKPOINT_MS: Budget = b(
    "CPU time of checkpoints in a 10,000-file git repository, per prompt (median)",
    150.0,
    Unit::Ms,
);
pub const CHECKPOINT_RSS: Budget = b(
    "peak RSS with checkpoints in that repository, over the same prompts outside git",
    128.0 * KIB,
    Unit::Kib,
);

/// Every budget, for the README check.
pub const ALL: &[&Budget] = &[
    &BINARY,
    &VERSION_RSS,
    &SESSION_RSS,
    &SESSION_CPU,
    &FORTY_CPU,
    &ASSEMBLY_RATIO,
    &FIRST_REQUEST,
    &LAST_REQUEST,
    &LONG_SESSION_RSS,
    &RESUME_BIG,
    &MCP_RSS,
    &STARTUP_RATIO,
    &IDLE_RSS,
    &IDLE_PRIVATE,
    &IDLE_TICKS,
    &IDLE_WAKEUPS,
    &ACP_IDLE_RSS,
    &ACP_SESSION_RSS,
    &NET_RATIO,
    &NET_CONNECTIONS,
    &SUBAGENT_PARENT_RSS,
    &SUBAGENT_CHILD_RSS,
    &SUBAGENT_ALL_RSS,
    &SUBAGENT_WALL_RATIO,
    &GREP_LITERAL_RATIO,
    &GREP_NO_LITERAL_RATIO,
    &GREP_RSS,
    &FIND_RATIO,
    &LS_RATIO,
    &IMAGE_SESSION_RSS,
    &CHECKPOINT_MS,
    &CHECKPOINT_RSS,
];

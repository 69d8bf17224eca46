//! The interactive mode idle at its prompt in a real terminal (tmux): RSS,
//! CPU ticks and voluntary context switches over IDLE_SECS.

use std::path::Path;

use crate::measure::{cpu_ticks, status_field, tempfile};
use crate::mock::{Mock, Reply};
use crate::tui;

pub const IDLE_SECS: u64 = 5;

pub struct Idle {
    /// VmRSS at the fresh prompt, before any turn.
    pub fresh: u64,
    /// VmRSS idle after one turn, and its private and file-backed parts.
    pub rss: u64,
    pub anon: u64,
    pub file: u64,
    /// CPU clock ticks and voluntary context switches over IDLE_SECS: a
    /// process that never wakes has 0 of both (a 1 Hz timer would pass the
    /// ticks but not the switches).
    pub ticks: u64,
    pub wakeups: u64,
}

/// The interactive mode in tmux: one turn against the mock, then idle at
/// the prompt.
pub fn idle(bin: &Path) -> Idle {
    let ws = tempfile("idle-ws");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    let m = Mock::start(vec![Reply::text(
        "Hello from the mock. **Bold** and `code`.",
    )]);
    let cmd = format!(
        "exec env -u MOTE_MODEL OPENAI_BASE_URL={} OPENAI_API_KEY=k XDG_STATE_HOME={} {} --model mock-model --no-session",
        m.base_url(),
        tui::sh_quote(&ws.join("state").to_string_lossy()),
        tui::sh_quote(&bin.to_string_lossy())
    );
    let t = tui::Tmux::start("idle", &ws, 100, 30, &cmd);
    t.wait_text("/help for commands");
    let pid = t.pane_pid();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let fresh = status_field(pid, "VmRSS");
    t.type_text("say hello");
    t.keys(&["Enter"]);
    t.wait_text(" out · context");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (ticks0, switches0) = (cpu_ticks(pid), status_field(pid, "voluntary_ctxt_switches"));
    std::thread::sleep(std::time::Duration::from_secs(IDLE_SECS));
    let ticks = cpu_ticks(pid) - ticks0;
    let wakeups = status_field(pid, "voluntary_ctxt_switches") - switches0;
    let idle = Idle {
        fresh,
        rss: status_field(pid, "VmRSS"),
        anon: status_field(pid, "RssAnon"),
        file: status_field(pid, "RssFile"),
        ticks,
        wakeups,
    };
    t.keys(&["C-d"]);
    let _ = std::fs::remove_dir_all(&ws);
    idle
}

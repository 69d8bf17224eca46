//! The trust gate for project files: what a cloned repository defines that
//! runs commands on its own or loosens the permission gate (hooks in
//! `.claude/settings*.json` and `.mote/config.json`, `.mcp.json` servers,
//! and what config.json's `hold` (src/config.rs) takes out: servers, allow
//! rules, a looser `permission` or `sandbox`, providers) is used only in a
//! folder the user trusted, by
//! `--trust` for one run or once and for all in
//! `$XDG_STATE_HOME/mote/trusted` (one folder per line; the interactive
//! mode asks and writes it). User-level files are always trusted.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The file listing trusted folders.
pub fn file() -> Option<PathBuf> {
    crate::config::state_dir().map(|d| d.join("trusted"))
}

fn listed(folder: &Path) -> bool {
    let Some(text) = file().and_then(|f| std::fs::read_to_string(f).ok()) else {
        return false;
    };
    text.lines().any(|l| Path::new(l.trim()) == folder)
}

fn remember(folder: &Path) -> Result<(), String> {
    let f = file().ok_or("no HOME or XDG_STATE_HOME")?;
    if let Some(d) = f.parent() {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&f)
        .map_err(|e| format!("{}: {e}", f.display()))?;
    writeln!(out, "{}", folder.display()).map_err(|e| format!("{}: {e}", f.display()))
}

/// May `folder`'s files that run commands or loosen the gate (`what`, one
/// name each) be used? `--trust`, the trusted list, or (asked once, on a
/// terminal, when there is something to use) the user's answer. A no with
/// something to use is one warning. Also the answer for what is found
/// later (a prompt file's `permission:`, src/modes.rs `grant`).
pub fn allow(folder: &Path, what: &[String], flag: bool, interactive: bool) -> bool {
    if flag || listed(folder) {
        return true;
    }
    if what.is_empty() {
        return false;
    }
    let list = what.join(", ");
    if interactive && std::io::stdin().is_terminal() {
        eprint!(
            "mote: {} defines what runs commands or allows more: {list}.\nTrust this folder and use them (remembered)? [y/N] ",
            folder.display()
        );
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        if matches!(line.trim(), "y" | "Y" | "yes") {
            if let Err(e) = remember(folder) {
                eprintln!("mote: warning: cannot remember the answer: {e}");
            }
            return true;
        }
    }
    eprintln!("mote: warning: {}", held_back(what));
    false
}

/// The line saying what an untrusted folder's `what` was not used, and
/// how to trust it.
pub fn held_back(what: &[String]) -> String {
    let how = file().map_or(String::new(), |f| {
        format!(", or add the folder to {}", f.display())
    });
    format!(
        "not using {}: this folder is not trusted (run with --trust{how})",
        what.join(", ")
    )
}

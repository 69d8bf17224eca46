//! Input history, kept across sessions in one file per user:
//! `$XDG_STATE_HOME/mote/history` (default `~/.local/state/mote/history`),
//! and one per workspace beside it (`history.d/` and a hash of the
//! workspace's path). One entry a line, with `\` and newlines escaped; the
//! last `KEEP` entries of each are loaded, the workspace's last (so ↑ and
//! Ctrl-R meet them first), and each new entry is appended to both.

use std::io::Write;
use std::path::{Path, PathBuf};

const KEEP: usize = 500;

#[derive(Default)]
pub struct History {
    pub entries: Vec<String>,
    path: Option<PathBuf>,
    /// This workspace's own file.
    local: Option<PathBuf>,
}

pub fn default_path() -> Option<PathBuf> {
    crate::config::state_dir().map(|d| d.join("history"))
}

/// The history file of the workspace at `root`, beside the global `path`.
pub fn local_path(path: &Path, root: &Path) -> Option<PathBuf> {
    // FNV-1a of the path: a stable name without the path's characters.
    let h = root
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    Some(path.parent()?.join("history.d").join(format!("{h:016x}")))
}

/// The last `KEEP` entries of the file at `path`, trimming a file grown
/// past twice that; a missing or unreadable file has none.
fn read(path: Option<&Path>) -> Vec<String> {
    let text = path.and_then(|p| std::fs::read(p).ok()).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    let from = lines.len().saturating_sub(KEEP);
    let kept = lines.get(from..).unwrap_or(&[]);
    if lines.len() > 2 * KEEP {
        // Trim the file now and then, so it does not grow forever.
        if let Some(p) = path {
            let _ = std::fs::write(p, kept.iter().map(|l| format!("{l}\n")).collect::<String>());
        }
    }
    kept.iter().map(|l| unescape(l)).collect()
}

impl History {
    /// Load from `path`; a missing or unreadable file is an empty history.
    pub fn load(path: Option<PathBuf>) -> History {
        History {
            entries: read(path.as_deref()),
            path,
            local: None,
        }
    }

    /// The global history at `path` with the workspace's own entries
    /// after it (a global entry also in the workspace's is shown there).
    pub fn load_for(path: Option<PathBuf>, root: &Path) -> History {
        let local = path.as_deref().and_then(|p| local_path(p, root));
        let mine = read(local.as_deref());
        let mut entries: Vec<String> = read(path.as_deref())
            .into_iter()
            .filter(|e| !mine.contains(e))
            .collect();
        entries.extend(mine);
        History {
            entries,
            path,
            local,
        }
    }

    /// Remember `line` (not a repeat of the last one) and append it to the file.
    pub fn add(&mut self, line: &str) {
        if line.trim().is_empty() || self.entries.last().is_some_and(|l| l == line) {
            return;
        }
        self.entries.push(line.to_string());
        if self.entries.len() > KEEP {
            self.entries.remove(0);
        }
        for p in [&self.path, &self.local].into_iter().flatten() {
            if let Some(dir) = p.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
            {
                let _ = writeln!(f, "{}", escape(line));
            }
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        match (c, c == '\\') {
            (_, true) => match it.next() {
                Some('n') => out.push('\n'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_across_loads() {
        let p = std::env::temp_dir().join(format!("mote-hist-{}/mote/history", std::process::id()));
        let _ = std::fs::remove_file(&p);
        let mut h = History::load(Some(p.clone()));
        h.add("one");
        h.add("two\nlines \\n");
        h.add("two\nlines \\n");
        let h2 = History::load(Some(p.clone()));
        assert_eq!(h2.entries, ["one", "two\nlines \\n"]);
        // Another workspace's entries come before this one's.
        let mut a = History::load_for(Some(p.clone()), Path::new("/ws/a"));
        a.add("in a");
        let mut b = History::load_for(Some(p.clone()), Path::new("/ws/b"));
        b.add("in b");
        b.add("one");
        let a = History::load_for(Some(p.clone()), Path::new("/ws/a"));
        assert_eq!(a.entries, ["one", "two\nlines \\n", "in b", "one", "in a"]);
        let _ = std::fs::remove_dir_all(p.parent().unwrap().parent().unwrap());
    }
}

//! Input history, kept across sessions in one file per user:
//! `$XDG_STATE_HOME/mote/history` (default `~/.local/state/mote/history`).
//! One entry a line, with `\` and newlines escaped; the last `KEEP` entries
//! are loaded, and each new entry is appended as it is entered.

use std::io::Write;
use std::path::PathBuf;

const KEEP: usize = 500;

#[derive(Default)]
pub struct History {
    pub entries: Vec<String>,
    path: Option<PathBuf>,
}

pub fn default_path() -> Option<PathBuf> {
    crate::config::state_dir().map(|d| d.join("history"))
}

impl History {
    /// Load from `path`; a missing or unreadable file is an empty history.
    pub fn load(path: Option<PathBuf>) -> History {
        let text = path
            .as_ref()
            .and_then(|p| std::fs::read(p).ok())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        let from = lines.len().saturating_sub(KEEP);
        let kept = lines.get(from..).unwrap_or(&[]);
        if lines.len() > 2 * KEEP {
            // Trim the file now and then, so it does not grow forever.
            if let Some(p) = &path {
                let _ =
                    std::fs::write(p, kept.iter().map(|l| format!("{l}\n")).collect::<String>());
            }
        }
        let entries = kept.iter().map(|l| unescape(l)).collect();
        History { entries, path }
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
        if let Some(p) = &self.path {
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
        let _ = std::fs::remove_dir_all(p.parent().unwrap().parent().unwrap());
    }
}

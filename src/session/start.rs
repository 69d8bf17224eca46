//! How a run meets its session: `--sessions` lists, `-c`/`--resume` load
//! one and reopen it for appending (after recording results for calls a
//! crash left unanswered), otherwise a new file is created unless
//! `--no-session`. Also the compaction limits: the context window of the
//! flag or the config (run.rs merges it into the options), else 128000. Kept out of main.rs so the
//! wiring there stays a few lines.

use std::path::Path;

use super::compact::{Estimate, Limits, DEFAULT_WINDOW};
use super::load::{self, Loaded, INTERRUPTED};
use super::{Record, Writer};
use crate::cli::Options;

/// The session side of the agent: where records go and the context
/// estimate they keep up to date.
pub struct Log {
    pub writer: Option<Writer>,
    pub est: Estimate,
    pub limits: Limits,
}

impl Log {
    /// Account for a record whose effect is already in the arena (now
    /// `arena_bytes` long) and append it to the file. A write error stops
    /// saving and is returned once, as a note: the run goes on.
    pub fn record(&mut self, r: &Record, arena_bytes: usize) -> Option<String> {
        match r {
            Record::Usage(u) => self.est.usage(u),
            Record::Compact { .. } => self.est.reset(arena_bytes),
            _ => {}
        }
        self.est.add(r.bytes());
        let w = self.writer.as_mut()?;
        match w.append(r) {
            Ok(()) => None,
            Err(e) => {
                let note = format!(
                    "session {}: {e}; no longer saving this session",
                    w.path.display()
                );
                self.writer = None;
                Some(note)
            }
        }
    }
}

/// `--sessions`.
pub fn list(dir: Option<&Path>) -> Result<(), String> {
    let dir =
        dir.ok_or("no session directory: set HOME or XDG_DATA_HOME, or pass --session-dir")?;
    super::list(dir, &mut std::io::stdout().lock()).map_err(|e| format!("listing sessions: {e}"))
}

pub struct Resumed {
    pub loaded: Loaded,
    pub writer: Option<Writer>,
}

/// Load the session `-c` or `--resume` names, if either was given.
pub fn resume(o: &Options, dir: Option<&Path>, cwd: &str) -> Result<Option<Resumed>, String> {
    if o.resume.is_none() && !o.continue_latest {
        if o.compact {
            return Err("--compact works on a saved session: add -c or --resume ID".into());
        }
        return Ok(None);
    }
    let dir =
        dir.ok_or("no session directory: set HOME or XDG_DATA_HOME, or pass --session-dir")?;
    let path = match &o.resume {
        Some(id) => super::find(dir, id)?,
        None => super::latest(dir, cwd).ok_or_else(|| {
            format!(
                "no session for {cwd} in {} to continue (see --sessions)",
                dir.display()
            )
        })?,
    };
    let r = open(&path, o.no_session, Path::new(cwd))?;
    for n in &r.loaded.notes {
        eprintln!("mote: note: {n}");
    }
    Ok(Some(r))
}

/// Load the session file at `path` to work in `root`, and reopen it for
/// appending (unless `no_session`), recording the move when `root` is not
/// where it was last; also the interactive mode's `/resume`.
pub fn open(path: &Path, no_session: bool, root: &Path) -> Result<Resumed, String> {
    let mut loaded = load::load(path)?;
    if let Some(note) = loaded.undo.settle(root) {
        loaded.notes.push(note);
    }
    let mut writer = if no_session {
        None
    } else {
        Some(Writer::reopen(path, &loaded.id)?)
    };
    if let Some(w) = writer.as_mut() {
        for (id, name) in &loaded.unanswered {
            w.append(&Record::Result {
                id,
                name,
                text: INTERRUPTED,
                error: true,
            })
            .map_err(|e| format!("session file {}: {e}", path.display()))?;
        }
        // Resumed in another folder: the prompts from now on take their
        // checkpoints here, and a later resume must know it.
        let here = root.to_string_lossy();
        if loaded.cwd != here {
            w.append(&Record::Moved { cwd: &here })
                .map_err(|e| format!("session file {}: {e}", path.display()))?;
            loaded.cwd = here.into_owned();
        }
    }
    Ok(Resumed { loaded, writer })
}

/// A new session file, or `None` (with a warning) when it cannot be made.
pub fn create(
    o: &Options,
    dir: Option<&Path>,
    cwd: &str,
    provider: &str,
    model: &str,
) -> Option<Writer> {
    if o.no_session {
        return None;
    }
    let Some(dir) = dir else {
        eprintln!("mote: warning: no session directory (set HOME or XDG_DATA_HOME); this session is not saved");
        return None;
    };
    let created = super::now();
    let id = super::new_id(created);
    let header = Record::Header {
        id: &id,
        cwd,
        provider,
        model,
        created,
        mote: env!("CARGO_PKG_VERSION"),
        parent: o.parent_session.as_deref().unwrap_or(""),
    };
    match Writer::create(dir, &header) {
        Ok(w) => Some(w),
        Err(e) => {
            eprintln!("mote: warning: {e}; this session is not saved");
            None
        }
    }
}

pub fn limits(o: &Options) -> Limits {
    Limits::new(o.context_window.unwrap_or(DEFAULT_WINDOW))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::Usage;

    #[test]
    fn the_log_keeps_the_estimate_and_stops_saving_on_a_write_error() {
        let mut log = Log {
            writer: None,
            est: Estimate::default(),
            limits: Limits::new(DEFAULT_WINDOW),
        };
        let usage = Usage {
            input: 100,
            output: 20,
            cached: 0,
            cache_write: 0,
        };
        assert_eq!(log.record(&Record::Usage(usage), 0), None);
        assert_eq!(log.est.tokens(), 120);
        log.record(&Record::User { text: "abcdefgh" }, 0);
        assert_eq!(log.est.tokens(), 122);
        // After compaction the arena's bytes are all that is counted.
        log.record(
            &Record::Compact {
                messages: 1,
                summary: "s",
            },
            40,
        );
        assert_eq!(log.est.tokens(), 10);
        // A file that cannot be written (here: opened read-only): one
        // note, then the run goes on unsaved.
        let path = std::env::temp_dir().join(format!("mote-log-{}.jsonl", std::process::id()));
        std::fs::write(&path, "").unwrap();
        log.writer = Some(Writer {
            file: std::fs::File::open(&path).unwrap(),
            path: path.clone(),
            id: "x".into(),
            line: Vec::new(),
            kept: true,
        });
        let note = log.record(&Record::User { text: "x" }, 0).unwrap();
        let head = format!("session {}: ", path.display());
        assert!(
            note.starts_with(&head) && note.ends_with("; no longer saving this session"),
            "{note}"
        );
        assert!(log.writer.is_none());
        assert_eq!(log.record(&Record::User { text: "y" }, 0), None);
    }

    #[test]
    fn reopening_answers_interrupted_calls_and_records_a_move_once() {
        let d = std::env::temp_dir().join(format!("mote-open-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let (a, b) = (d.join("a"), d.join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let a_s = a.to_string_lossy().into_owned();
        let header = Record::Header {
            id: "20250101-000000-aaaaaa",
            cwd: &a_s,
            provider: "openai",
            model: "m",
            created: 1,
            mote: "0",
            parent: "",
        };
        let sessions = d.join("sessions");
        let mut w = Writer::create(&sessions, &header).unwrap();
        for r in [
            Record::User { text: "go" },
            Record::Assistant { text: "" },
            Record::Call {
                id: "c1",
                name: "ls",
                args: "{}",
            },
            Record::Usage(Usage::default()),
        ] {
            w.append(&r).unwrap();
        }
        let path = w.path.clone();
        drop(w);
        let lines = || std::fs::read_to_string(&path).unwrap().lines().count();
        // --no-session: read, never written.
        let r = open(&path, true, &b).unwrap();
        assert!(r.writer.is_none() && r.loaded.cwd == a_s);
        assert_eq!(lines(), 5);
        // Resumed in b: the interrupted call's result, then the move.
        let r = open(&path, false, &b).unwrap();
        assert_eq!(r.loaded.cwd, b.to_string_lossy());
        drop(r);
        let text = std::fs::read_to_string(&path).unwrap();
        let tail: Vec<&str> = text.lines().skip(5).collect();
        assert_eq!(tail.len(), 2, "{text}");
        assert!(
            tail[0].starts_with("{\"type\":\"result\",\"id\":\"c1\""),
            "{text}"
        );
        assert!(tail[0].contains(INTERRUPTED) && tail[0].ends_with("\"error\":true}"));
        assert_eq!(
            tail[1],
            format!("{{\"type\":\"moved\",\"cwd\":\"{}\"}}", b.display())
        );
        // Resumed in b again: nothing more to record.
        drop(open(&path, false, &b).unwrap());
        assert_eq!(lines(), 7);
    }
}

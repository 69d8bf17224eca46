//! How a run meets its session: `--sessions` lists, `-c`/`--resume` load
//! one and reopen it for appending (after recording results for calls a
//! crash left unanswered), otherwise a new file is created unless
//! `--no-session`. Also the context window: the flag, else the config's
//! `models.ID.context_window`, else 128000. Kept out of main.rs so the
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

/// The model's context window from the config's `models` section.
pub fn window_from_config(c: &crate::config::Config, model: &str) -> Option<u64> {
    c.get("models")?.get(model)?.get("context_window")?.as_u64()
}

pub fn limits(o: &Options) -> Limits {
    Limits::new(o.context_window.unwrap_or(DEFAULT_WINDOW))
}

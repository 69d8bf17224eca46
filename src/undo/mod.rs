//! Undo anything: per-prompt checkpoints of the working tree, and the
//! list of a session's prompts that /undo, /rewind, `--undo` and
//! `--rewind N` go back through. This file owns that list (`Undo`): when a
//! prompt starts, when the snapshot before its first change and the one at
//! its end are taken, and how the session's `checkpoint` and `rewind`
//! records rebuild it on a resume. snapshot.rs takes one snapshot (its
//! private index, reused when nothing changed), scan.rs finds and hashes
//! what changed, git.rs runs every git command and reads commits back,
//! store.rs saves the edit tools' files outside a repository,
//! restore.rs puts files back, prune.rs removes what dead runs and
//! deleted sessions left.

pub mod git;
pub mod prune;
pub mod restore;
pub mod scan;
mod snapshot;
pub mod store;

use snapshot::{scan_now, snapshot, tmp_dir, Last};

use std::path::{Path, PathBuf};

use crate::arena::Arena;
use crate::session::compact::Estimate;
use crate::session::Record;

/// One prompt of the session, and its checkpoints.
#[derive(Clone, Debug, Default)]
pub struct Turn {
    /// Its number among the prompts ever given in the session (from 1).
    pub seq: u64,
    pub time: u64,
    /// The prompt's first line, cut short.
    pub prompt: String,
    /// Messages in the conversation before it.
    pub messages: u64,
    /// The snapshot before its first change: a commit id, or "" when the
    /// files are in the file store.
    pub before: Option<String>,
    /// The snapshot at its end.
    pub after: Option<String>,
    /// Files left out of the snapshot.
    pub note: String,
    /// Commands run outside git, whose changes are not covered.
    pub uncovered: u64,
    /// A compaction came after it: its conversation cannot be taken back.
    pub compacted: bool,
    /// The workspace its checkpoints were taken in, as the session file
    /// says (its header, or a later `moved` record); "" for a live turn.
    pub dir: String,
}

impl Turn {
    /// The record for this turn's event `at` ("prompt", "before", "after").
    pub fn record<'a>(&'a self, at: &'a str) -> Record<'a> {
        let snap = match at {
            "before" => self.before.as_deref(),
            "after" => self.after.as_deref(),
            _ => None,
        };
        Record::Checkpoint {
            seq: self.seq,
            at,
            time: self.time,
            messages: self.messages,
            commit: snap.unwrap_or(""),
            prompt: if at == "prompt" { &self.prompt } else { "" },
            note: if at == "before" { &self.note } else { "" },
            uncovered: self.uncovered,
        }
    }

    /// Whether this turn changed anything it can undo.
    pub fn has_checkpoint(&self) -> bool {
        self.before.is_some()
    }
}

/// Where a session keeps its checkpoints: its workspace, its file (the
/// file store and the private git index lie beside it) and id (the git
/// ref's name; empty when the session is not saved: snapshots are then
/// trees on no ref).
pub struct Place {
    pub root: PathBuf,
    pub session: PathBuf,
    pub id: String,
}

/// The prompts of a session, and the one running.
#[derive(Default)]
pub struct Undo {
    pub turns: Vec<Turn>,
    next: u64,
    running: bool,
    /// The running turn's snapshot was attempted.
    tried: bool,
    /// The git top level of the workspace, once looked up.
    repo: Option<Option<PathBuf>>,
    /// No checkpoints (a subagent: its parent's cover it).
    pub off: bool,
    /// The last snapshot this process took.
    last: Option<Last>,
    /// Where checkpoints go when the session is not saved.
    scratch: Option<Scratch>,
    /// The workspace of the records replayed so far.
    dir: String,
}

/// A private temp directory standing in for the session file of a session
/// that is not saved; removed with the session.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What taking a checkpoint did: a record to write, a note to show.
#[derive(Default)]
pub struct Step {
    pub record: Option<Turn>,
    pub note: Option<String>,
}

impl Undo {
    /// Replay a record, as a resume does and the live session did.
    pub fn replay(&mut self, r: &Record, arena: &mut Arena, est: &mut Estimate) {
        match r {
            Record::Checkpoint {
                seq,
                at,
                time,
                messages,
                commit,
                prompt,
                note,
                uncovered,
            } => {
                self.next = self.next.max(seq + 1);
                if *at == "prompt" {
                    self.turns.push(Turn {
                        seq: *seq,
                        time: *time,
                        prompt: prompt.to_string(),
                        messages: *messages,
                        dir: self.dir.clone(),
                        ..Turn::default()
                    });
                } else if let Some(t) = self.turns.iter_mut().find(|t| t.seq == *seq) {
                    let snap = Some(commit.to_string());
                    match *at {
                        "before" => (t.before, t.note) = (snap, note.to_string()),
                        _ => (t.after, t.uncovered) = (snap, *uncovered),
                    }
                }
            }
            Record::Rewind { seq } => {
                self.forget(*seq, arena, est);
            }
            Record::Compact { .. } => self.compacted(),
            Record::Header { cwd, .. } | Record::Moved { cwd } => self.dir = cwd.to_string(),
            _ => {}
        }
    }

    /// A compaction: no turn so far can have its conversation taken back.
    pub fn compacted(&mut self) {
        self.turns.iter_mut().for_each(|t| t.compacted = true);
    }

    /// Drop prompts `seq` and later from the list, and from the
    /// conversation unless a compaction came since; `false` then.
    pub fn forget(&mut self, seq: u64, arena: &mut Arena, est: &mut Estimate) -> bool {
        let Some(i) = self.turns.iter().position(|t| t.seq >= seq) else {
            return true;
        };
        let whole = self.turns.get(i).is_some_and(|t| !t.compacted);
        if let (true, Some(t)) = (whole, self.turns.get(i)) {
            drop(arena.split_off(usize::try_from(t.messages).unwrap_or(usize::MAX)));
            est.reset(arena.bytes());
        }
        self.turns.truncate(i);
        whole
    }

    /// A prompt starts, after `messages` messages: its record.
    pub fn begin(&mut self, prompt: &str, messages: usize) -> Turn {
        self.next = self.next.max(1);
        let first = prompt.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let cut = crate::text::floor_char(first.trim(), 80);
        let t = Turn {
            seq: self.next,
            time: crate::session::now(),
            prompt: first.trim().get(..cut).unwrap_or("").to_string(),
            messages: messages as u64,
            ..Turn::default()
        };
        self.next += 1;
        self.turns.push(t.clone());
        (self.running, self.tried) = (true, false);
        t
    }

    /// A resumed task goes on: its changes belong to the last prompt.
    pub fn resume_last(&mut self) {
        (self.running, self.tried) = (!self.turns.is_empty(), false);
    }

    /// The git top level of `root`, looked up once.
    pub fn repo(&mut self, root: &Path) -> Option<PathBuf> {
        self.repo.get_or_insert_with(|| git::toplevel(root)).clone()
    }

    /// No prompt is running, or checkpoints are off: nothing to take.
    pub fn idle(&self) -> bool {
        !self.running || self.off
    }

    /// Where this session's checkpoints are: beside `saved` (its file and
    /// id), or, when it is not saved, in a temp directory of its own.
    pub fn place(&mut self, root: &Path, saved: Option<(&Path, &str)>) -> Result<Place, String> {
        let (session, id) = match saved {
            Some((path, id)) => (path.to_path_buf(), id.to_string()),
            None => {
                let dir = match &self.scratch {
                    Some(s) => s.0.clone(),
                    None => self.scratch.insert(Scratch(tmp_dir()?)).0.clone(),
                };
                (dir.join("session"), String::new())
            }
        };
        Ok(Place {
            root: root.to_path_buf(),
            session,
            id,
        })
    }

    /// Before a change of the running turn (a write or edit of `path`, or
    /// a command when `path` is `None`): the turn's snapshot, if not yet
    /// taken; outside git, `path`'s content.
    pub fn before_change(&mut self, at: &Place, path: Option<&Path>) -> Step {
        let mut step = Step::default();
        if !self.running || self.off {
            return step;
        }
        let repo = self.repo(&at.root);
        let first = !self.tried;
        self.tried = true;
        let Some(t) = self.turns.last_mut() else {
            return step;
        };
        if first && t.before.is_none() {
            match &repo {
                Some(top) => {
                    let msg = format!("mote: before prompt {}", t.seq);
                    match snapshot(top, at, &mut self.last, &msg) {
                        Ok((id, skipped)) => {
                            t.before = Some(id);
                            t.note = skipped;
                            step.note = (!t.note.is_empty()).then(|| t.note.clone());
                            step.record = Some(t.clone());
                        }
                        Err(e) => step.note = Some(format!("no checkpoint for this turn: {e}")),
                    }
                }
                None => {
                    t.before = Some(String::new());
                    step.record = Some(t.clone());
                }
            }
        }
        if repo.is_none() && t.before.as_deref() == Some("") {
            match path {
                Some(p) => match store::save(&store::dir(&at.session, t.seq), p) {
                    Ok(n) => step.note = step.note.or(n),
                    Err(e) => step.note = Some(e),
                },
                None => t.uncovered += 1,
            }
        }
        step
    }

    /// The running turn ends: its "after" snapshot, when it has a "before".
    pub fn end(&mut self, at: &Place) -> Step {
        let mut step = Step::default();
        if !std::mem::take(&mut self.running) || self.off {
            return step;
        }
        let repo = self.repo(&at.root);
        let Some(t) = self.turns.last_mut().filter(|t| t.before.is_some()) else {
            return step;
        };
        let done = match &repo {
            Some(top) => {
                let msg = format!("mote: after prompt {}", t.seq);
                snapshot(top, at, &mut self.last, &msg).map(|s| s.0)
            }
            None => store::finish(&store::dir(&at.session, t.seq)).map(|_| String::new()),
        };
        match done {
            Ok(id) => {
                t.after = Some(id);
                step.record = Some(t.clone());
            }
            Err(e) => step.note = Some(format!("no end-of-turn checkpoint: {e}")),
        }
        step
    }

    /// The workspace moved to another folder (`/worktree`): its git top
    /// level is looked up again, and the earlier prompts' files, which
    /// lie in the old folder, are no longer put back (their conversation
    /// still can be).
    pub fn moved(&mut self) {
        self.repo = None;
        for t in &mut self.turns {
            (t.before, t.after) = (None, None);
        }
    }

    /// A loaded session is to work in `root`: the prompts whose git
    /// checkpoints were taken in another repository or worktree (before a
    /// `/worktree` move, or when resumed elsewhere) keep their
    /// conversation, but their files are not put back here, as after a
    /// move in the running session. A note says so.
    pub fn settle(&mut self, root: &Path) -> Option<String> {
        let here_s = root.to_string_lossy();
        let mut here = None;
        let mut tops: Vec<(String, Option<PathBuf>)> = Vec::new();
        let mut away: Vec<String> = Vec::new();
        for t in &mut self.turns {
            let in_git = t.before.as_deref().is_some_and(|b| !b.is_empty());
            if !in_git || t.dir.is_empty() || t.dir == here_s {
                continue;
            }
            let top = match tops.iter().find(|(d, _)| *d == t.dir) {
                Some((_, top)) => top.clone(),
                None => {
                    let top = git::toplevel(Path::new(&t.dir));
                    tops.push((t.dir.clone(), top.clone()));
                    top
                }
            };
            let here = here.get_or_insert_with(|| git::toplevel(root));
            if top.is_none() || top != *here {
                (t.before, t.after) = (None, None);
                away.push(t.dir.clone());
            }
        }
        let dir = away.first()?;
        Some(format!(
            "{} prompt(s) of this session took their checkpoints in {dir}, not here: \
             going back takes back their conversation, not their files",
            away.len()
        ))
    }

    /// The turns from the `n`-th prompt (1-based, as listed) on.
    pub fn from(&self, n: usize) -> &[Turn] {
        self.turns.get(n.saturating_sub(1)..).unwrap_or(&[])
    }
}

/// Take the files back to before `turns` (oldest first): one line per
/// file, and a note when commands ran outside git. `ask` decides each
/// file changed since the checkpoint.
pub fn files_back(
    turns: &[Turn],
    ws: &crate::workspace::Workspace,
    session: &Path,
    ask: &mut dyn FnMut(&str) -> bool,
) -> Result<Vec<String>, String> {
    let plan = restore::plan(turns, ws, session)?;
    let uncovered = plan.uncovered;
    let mut lines = match plan.is_empty() {
        true => vec!["no files to change back".to_string()],
        false => restore::apply(plan, ask),
    };
    if uncovered > 0 {
        lines.push(format!(
            "{uncovered} command(s) ran outside git in these turns: what they changed is not covered by the undo"
        ));
    }
    Ok(lines)
}

/// `--undo` (`n` None) or `--rewind N` on a loaded session: files and
/// conversation back, a line per change on stdout, no model contacted.
pub fn headless(
    r: crate::session::start::Resumed,
    ws: &crate::workspace::Workspace,
    n: Option<usize>,
) -> Result<(), String> {
    let mut l = r.loaded;
    let mut w = r
        .writer
        .ok_or("--undo and --rewind change the saved session: drop --no-session")?;
    let count = l.undo.turns.len();
    let n = match n {
        Some(n) if n == 0 || n > count => {
            return Err(format!(
                "--rewind {n}: session {} has {count} prompt(s) to go back to",
                l.id
            ))
        }
        Some(n) => n,
        None if count == 0 => return Err(format!("session {} has no prompt to undo", l.id)),
        None => count,
    };
    let turns = l.undo.from(n).to_vec();
    let first = turns.first().map_or(0, |t| t.seq);
    for line in files_back(&turns, ws, &w.path, &mut |_| false)? {
        println!("{line}");
    }
    let whole = l.undo.forget(first, &mut l.arena, &mut l.est);
    w.append(&Record::Rewind { seq: first })
        .map_err(|e| format!("session file {}: {e}", w.path.display()))?;
    println!("{}", conversation_line(&turns, whole));
    Ok(())
}

/// What going back did to the conversation.
pub fn conversation_line(turns: &[Turn], whole: bool) -> String {
    let Some(first) = turns.first() else {
        return "the conversation is unchanged".into();
    };
    match whole {
        true => format!(
            "took {} prompt(s) out of the conversation, from \"{}\"",
            turns.len(),
            first.prompt
        ),
        false => "the conversation was compacted since; it is kept as it is".into(),
    }
}

/// The files a turn changed, as `/rewind` lists them.
pub fn files_of(t: &Turn, root: &Path, session: &Path) -> Vec<String> {
    match (t.before.as_deref(), t.after.as_deref()) {
        (Some(""), _) => store::load(&store::dir(session, t.seq))
            .iter()
            .map(|s| {
                s.path
                    .strip_prefix(root)
                    .unwrap_or(&s.path)
                    .display()
                    .to_string()
            })
            .collect(),
        (Some(b), Some(a)) => git::toplevel(root)
            .and_then(|top| git::changed_paths(&top, b, a).ok())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// `/diff`: a unified diff from the checkpoint before `first` (the
/// session's first) to the files now.
pub fn diff(first: &Turn, root: &Path, session: &Path) -> Result<String, String> {
    let Some(before) = first.before.as_deref().filter(|b| !b.is_empty()) else {
        let dir = store::dir(session, first.seq);
        let mut out = String::new();
        let parent = session.parent().unwrap_or(Path::new("/"));
        for s in store::load(&dir) {
            let old = match s.mode {
                Some(_) => dir.join(s.n.to_string()),
                None => PathBuf::from("/dev/null"),
            };
            let new = match s.path.exists() {
                true => s.path.clone(),
                false => PathBuf::from("/dev/null"),
            };
            out.push_str(&git::files_diff(parent, &old, &new)?);
        }
        return Ok(out);
    };
    let top = git::toplevel(root).ok_or("git does not work here")?;
    let out = git::diff(&top, before, &scan_now(&top, session)?)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

//! Putting files back: from a range of turns, which paths they changed,
//! what each held before the first of them and after the last, and what
//! it holds now. A path already as it was is left alone; a path that no
//! longer holds what the turns left (the user changed it since) is a
//! conflict, overwritten only when the caller's `ask` says so. Files are
//! written beside their target and renamed over it, with their mode;
//! every step goes through a directory descriptor without following a
//! symlink (src/tool/beneath.rs).

use std::collections::BTreeMap;
use std::ffi::{CString, OsStr};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::git::{self, Entry};
use super::{store, Turn};
use crate::tool::beneath;
use crate::workspace::Workspace;

/// What a path should hold again.
enum Want {
    Gone,
    Blob(Entry),
    /// A file in the file store, with its permission bits.
    Saved(PathBuf, u32),
}

struct Change {
    shown: String,
    abs: PathBuf,
    want: Want,
    /// Changed since the turns' end.
    conflict: bool,
}

/// The changes that take the files back to before `turns`.
pub struct Plan {
    changes: Vec<Change>,
    ws: Workspace,
    top: PathBuf,
    /// Commands run outside git in these turns.
    pub uncovered: u64,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// Plan taking the files back to before the first of `turns`. `ws` is the
/// session's workspace; `session` its file (the file store lies beside it).
pub fn plan(turns: &[Turn], ws: &Workspace, session: &Path) -> Result<Plan, String> {
    let mut p = Plan {
        changes: Vec::new(),
        ws: Workspace {
            root: ws.root.clone(),
            external: ws.external.clone(),
        },
        top: ws.root.clone(),
        uncovered: turns.iter().map(|t| t.uncovered).sum(),
    };
    let git_turns: Vec<&Turn> = turns
        .iter()
        .filter(|t| t.before.as_deref().is_some_and(|b| !b.is_empty()))
        .collect();
    // The session's own files are never taken back, wherever they lie.
    let sessions = session.parent().unwrap_or(Path::new("/"));
    let sessions = sessions.canonicalize().unwrap_or(sessions.to_path_buf());
    if !git_turns.is_empty() {
        let top = git::toplevel(&ws.root)
            .ok_or("the checkpoints are in git, and git does not work here")?;
        p.ws = Workspace::new(&top).map_err(|e| format!("{}: {e}", top.display()))?;
        p.top = top;
        plan_git(&mut p, &git_turns, session)?;
        p.changes.retain(|c| !c.abs.starts_with(&sessions));
    }
    let dirs: Vec<PathBuf> = turns
        .iter()
        .filter(|t| t.before.as_deref() == Some(""))
        .map(|t| store::dir(session, t.seq))
        .collect();
    plan_store(&mut p, &dirs);
    Ok(p)
}

fn plan_git(p: &mut Plan, turns: &[&Turn], session: &Path) -> Result<(), String> {
    let mut target: BTreeMap<Vec<u8>, Option<Entry>> = BTreeMap::new();
    let mut expect: BTreeMap<Vec<u8>, Option<Entry>> = BTreeMap::new();
    let now = git::entries(&p.top, &super::scan_now(&p.top, session)?)?;
    for t in turns {
        let b = git::entries(&p.top, t.before.as_deref().unwrap_or(""))?;
        let a = match &t.after {
            Some(a) => git::entries(&p.top, a)?,
            None => now.clone(),
        };
        for path in b.keys().chain(a.keys()) {
            if b.get(path) != a.get(path) {
                target
                    .entry(path.clone())
                    .or_insert_with(|| b.get(path).cloned());
                expect.insert(path.clone(), a.get(path).cloned());
            }
        }
    }
    for (path, want) in target {
        let cur = now.get(&path);
        let abs = p.top.join(OsStr::from_bytes(&path));
        let exists = std::fs::symlink_metadata(&abs).is_ok();
        if cur == want.as_ref() && (cur.is_some() || !exists) {
            continue;
        }
        // Something the scan left out (a big file) is never taken as unchanged.
        let conflict =
            (cur.is_none() && exists) || expect.get(&path).is_some_and(|e| e.as_ref() != cur);
        p.changes.push(Change {
            shown: String::from_utf8_lossy(&path).into_owned(),
            abs,
            want: want.map_or(Want::Gone, Want::Blob),
            conflict,
        });
    }
    Ok(())
}

/// The file store's turns (oldest first): each file goes back to the
/// first copy; the last turn's end state is what the user may have changed.
fn plan_store(p: &mut Plan, dirs: &[PathBuf]) {
    let mut first: Vec<(store::Saved, PathBuf)> = Vec::new();
    for d in dirs {
        for s in store::load(d) {
            match first.iter_mut().find(|(f, _)| f.path == s.path) {
                Some((f, _)) => f.after = s.after,
                None => first.push((s, d.clone())),
            }
        }
    }
    for (s, d) in first {
        let now = store::state(&s.path);
        let (want, was) = match s.mode {
            Some(m) => {
                let file = d.join(s.n.to_string());
                let was = store::state(&file);
                (Want::Saved(file, m), was)
            }
            None => (Want::Gone, "-".to_string()),
        };
        if now == was {
            continue;
        }
        p.changes.push(Change {
            shown: p.ws.display(&s.path),
            conflict: s.after.as_ref().is_some_and(|a| *a != now),
            abs: s.path,
            want,
        });
    }
}

/// Carry out the plan; `ask` decides each conflict (a file changed since
/// the checkpoint). One line per file: what was done.
pub fn apply(plan: Plan, ask: &mut dyn FnMut(&str) -> bool) -> Vec<String> {
    let mut report = Vec::new();
    let mut todo = Vec::new();
    for c in plan.changes {
        if c.conflict && !ask(&c.shown) {
            report.push(format!("skipped {}: changed since the checkpoint", c.shown));
        } else {
            todo.push(c);
        }
    }
    // Removals first (deepest first), so a directory can take a file's place.
    crate::sort::by(&mut todo, |a, b| {
        let gone = |c: &Change| matches!(c.want, Want::Gone);
        gone(b).cmp(&gone(a)).then(b.abs.cmp(&a.abs))
    });
    let ids: Vec<&str> = todo
        .iter()
        .filter_map(|c| match &c.want {
            Want::Blob(e) if e.mode != 0o160000 => Some(e.id.as_str()),
            _ => None,
        })
        .collect();
    let mut blobs = match ids.is_empty() {
        true => None,
        false => match git::Blobs::open(&plan.top, &ids) {
            Ok(b) => Some(b),
            Err(e) => {
                report.push(format!("cannot read the checkpoint: {e}"));
                return report;
            }
        },
    };
    for c in &todo {
        let done = match &c.want {
            Want::Gone => remove(&plan.ws, &c.abs).map(|_| "removed"),
            Want::Blob(e) if e.mode == 0o160000 => Err("a submodule is not restored".into()),
            Want::Blob(e) => blobs
                .as_mut()
                .ok_or_else(String::new)
                .and_then(|b| b.read())
                .and_then(|data| write(&plan.ws, &c.abs, &data, e.mode))
                .map(|_| "restored"),
            Want::Saved(f, mode) => std::fs::read(f)
                .map_err(|e| e.to_string())
                .and_then(|data| write(&plan.ws, &c.abs, &data, *mode | 0o100000))
                .map(|_| "restored"),
        };
        report.push(match done {
            Ok(what) => format!("{what} {}", c.shown),
            Err(e) => format!("could not restore {}: {e}", c.shown),
        });
    }
    report
}

fn cstr(b: &[u8]) -> Result<CString, String> {
    CString::new(b).map_err(|_| "a NUL byte in the name".to_string())
}

/// Put `data` at `abs` with git mode `mode` (a symlink for 0o120000).
fn write(ws: &Workspace, abs: &Path, data: &[u8], mode: u32) -> Result<(), String> {
    let (dir, name) = beneath::parent(ws, abs, true).map_err(|e| e.to_string())?;
    if beneath::stat(&dir, &name).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR) {
        // An emptied directory where the file was.
        // SAFETY: a directory descriptor and a valid C string.
        unsafe {
            libc::unlinkat(
                std::os::fd::AsRawFd::as_raw_fd(&dir),
                name.as_ptr(),
                libc::AT_REMOVEDIR,
            )
        };
    }
    let mut tmp = b".".to_vec();
    tmp.extend_from_slice(name.as_bytes());
    tmp.extend_from_slice(format!(".mote-undo-{}", std::process::id()).as_bytes());
    let tmp = cstr(&tmp)?;
    beneath::unlink(&dir, &tmp);
    let made = if mode == 0o120000 {
        let target = cstr(data)?;
        // SAFETY: valid C strings and a directory descriptor.
        let r = unsafe {
            libc::symlinkat(
                target.as_ptr(),
                std::os::fd::AsRawFd::as_raw_fd(&dir),
                tmp.as_ptr(),
            )
        };
        match r {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        }
    } else {
        let perm = mode & 0o7777;
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL;
        beneath::open_file(&dir, &tmp, flags, perm).and_then(|mut f| {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(perm))?;
            f.write_all(data)?;
            f.sync_all()
        })
    };
    let r = made.and_then(|_| beneath::rename(&dir, &tmp, &name));
    if r.is_err() {
        beneath::unlink(&dir, &tmp);
    }
    r.map_err(|e| e.to_string())
}

/// Remove the file at `abs`, then the directories it leaves empty.
fn remove(ws: &Workspace, abs: &Path) -> Result<(), String> {
    let (dir, name) = beneath::parent(ws, abs, false).map_err(|e| e.to_string())?;
    // SAFETY: a directory descriptor and a valid C string.
    let r = unsafe { libc::unlinkat(std::os::fd::AsRawFd::as_raw_fd(&dir), name.as_ptr(), 0) };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(e.to_string());
        }
    }
    let mut d = abs.parent();
    while let Some(p) = d.filter(|p| p.starts_with(&ws.root) && *p != ws.root) {
        if std::fs::remove_dir(p).is_err() {
            break;
        }
        d = p.parent();
    }
    Ok(())
}

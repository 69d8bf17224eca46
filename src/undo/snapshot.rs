//! Taking one snapshot for a checkpoint: the session's private git index
//! for a repository, the record of the last snapshot beside it (reused when
//! nothing changed), and the private temp directory of a session that is
//! not saved.

use std::path::{Path, PathBuf};

use super::{git, prune, scan, Place};

/// A snapshot's private index as it was left (`index_key`), its tree, and
/// the commit (or tree) recorded for it. Kept beside the index
/// (`index-*.last`) too, so the next run's first snapshot of unchanged
/// files reuses them: no tree written, no commit made.
pub(super) struct Last {
    key: Option<(u64, i64, i64, u64)>,
    tree: String,
    id: String,
}

impl Last {
    fn file(index: &Path) -> PathBuf {
        index.with_extension("last")
    }

    /// The last snapshot an earlier run took through `index`, when the
    /// index and the repository at `top` (its `.git`'s inode: not one
    /// made again since) are as that run left them.
    fn load(index: &Path, top: &Path) -> Option<Last> {
        use std::os::unix::fs::MetadataExt;
        let text = std::fs::read_to_string(Last::file(index)).ok()?;
        let repo = std::fs::symlink_metadata(top.join(".git")).ok()?.ino();
        let (text, at) = text.rsplit_once(' ')?;
        if at.trim_end().parse::<u64>().ok()? != repo {
            return None;
        }
        let mut f = text.split_whitespace();
        let mut num = || f.next().and_then(|n| n.parse::<i64>().ok());
        let key = (
            u64::try_from(num()?).ok()?,
            num()?,
            num()?,
            u64::try_from(num()?).ok()?,
        );
        let mut ids = text.split_whitespace().skip(4);
        let mut id = || ids.next().filter(|i| git::is_id(i)).map(String::from);
        let last = Last {
            key: Some(key),
            tree: id()?,
            id: id()?,
        };
        (last.key == index_key(index)).then_some(last)
    }

    fn save(&self, index: &Path, top: &Path) {
        use std::os::unix::fs::MetadataExt;
        let file = Last::file(index);
        let repo = std::fs::symlink_metadata(top.join(".git")).map(|m| m.ino());
        match (self.key, repo) {
            (Some((ino, sec, nsec, size)), Ok(repo)) => {
                let (tree, id) = (&self.tree, &self.id);
                let text = format!("{ino} {sec} {nsec} {size} {tree} {id} {repo}\n");
                let _ = std::fs::write(file, text);
            }
            _ => {
                let _ = std::fs::remove_file(file);
            }
        }
    }
}

/// A snapshot of the repository at `top` as a checkpoint (a commit on the
/// session's ref, or a tree when the session is not saved); and a note
/// naming the files left out. Nothing changed since `last`: `last` again.
pub(super) fn snapshot(
    top: &Path,
    at: &Place,
    last: &mut Option<Last>,
    msg: &str,
) -> Result<(String, String), String> {
    let index = index_file(&at.session, top);
    let prev = last.take().or_else(|| Last::load(&index, top));
    let valid = prev.as_ref().filter(|l| l.key == index_key(&index));
    let (tree, skipped) = scan::scan(top, &index, valid.map(|l| l.tree.as_str()))?;
    let id = match prev {
        Some(l) if l.tree == tree => l.id,
        _ if at.id.is_empty() => tree.clone(),
        p => git::commit(top, &at.id, &tree, p.as_ref().map(|l| l.id.as_str()), msg)?,
    };
    let now = last.insert(Last {
        key: index_key(&index),
        tree,
        id: id.clone(),
    });
    now.save(&index, top);
    let note = match skipped.is_empty() {
        true => String::new(),
        false => format!("not in the checkpoint: {}", skipped.join(", ")),
    };
    Ok((id, note))
}

/// The session's private git index for the repository at `top`. One
/// made for another folder (before a `/worktree` move, or a repository
/// since moved) is only a cache, about as big as the user's index: it is
/// removed when this one is first made, so they do not pile up.
fn index_file(session: &Path, top: &Path) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    top.hash(&mut h);
    let dir = session.with_extension("undo");
    let index = dir.join(format!("index-{:016x}", h.finish()));
    if !index.exists() {
        let stale = std::fs::read_dir(&dir).into_iter().flatten().flatten();
        for e in stale.filter(|e| e.file_name().as_encoded_bytes().starts_with(b"index-")) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    // A session from before `repo` was kept gets it at its next snapshot.
    if !index.exists() || !dir.join("repo").exists() {
        prune::remember_repo(&dir, top);
    }
    index
}

/// What tells a private index was written since: inode, mtime, size.
fn index_key(index: &Path) -> Option<(u64, i64, i64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(index).ok()?;
    Some((m.ino(), m.mtime(), m.mtime_nsec(), m.size()))
}

/// A tree of the files now (for /diff and going back), through the
/// private index of the session whose file is `session`.
pub fn scan_now(top: &Path, session: &Path) -> Result<String, String> {
    scan::scan(top, &index_file(session, top), None).map(|s| s.0)
}

/// A private temp directory for a session that is not saved. The first
/// one of a run removes those of runs killed before they could
/// (src/undo/prune.rs).
pub fn tmp_dir() -> Result<PathBuf, String> {
    use std::os::unix::fs::DirBuilderExt;
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = std::env::temp_dir();
    if n == 0 {
        prune::dead_runs(&tmp);
    }
    let d = tmp.join(format!("{}{}-{n}", prune::TMP_PREFIX, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&d)
        .map_err(|e| format!("{}: {e}", d.display()))?;
    Ok(d)
}

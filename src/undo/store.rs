//! Checkpoints outside git: before the write and edit tools change a file,
//! its prior content and mode (or its absence) are saved in a folder beside
//! the session file, `ID.undo/SEQ/` for the session's prompt SEQ: `index`
//! has one line per file (`N<TAB>MODE or -<TAB>PATH`), `N` holds the bytes;
//! at the end of the turn `after` records each file's state then
//! (`N<TAB>STATE`), so an undo can tell a file the user changed since.
//! What commands change is not covered here.

use std::hash::Hasher;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One file saved before a turn changed it.
pub struct Saved {
    pub n: usize,
    /// Permission bits, or `None`: the file did not exist.
    pub mode: Option<u32>,
    pub path: PathBuf,
    /// Its state at the end of the turn, when the turn ended.
    pub after: Option<String>,
}

/// The folder of prompt `seq` of the session saved at `session`.
pub fn dir(session: &Path, seq: u64) -> PathBuf {
    session.with_extension("undo").join(seq.to_string())
}

/// A file's state, to compare: `-` when absent, else mode, length and hash.
pub fn state(path: &Path) -> String {
    let Ok(md) = std::fs::symlink_metadata(path) else {
        return "-".into();
    };
    let mut h = std::hash::DefaultHasher::new();
    match std::fs::read(path) {
        Ok(data) => h.write(&data),
        Err(_) => return "?".into(),
    }
    format!(
        "{:o}:{}:{:016x}",
        md.permissions().mode() & 0o7777,
        md.len(),
        h.finish()
    )
}

/// The files saved in `d`, with their end-of-turn states.
pub fn load(d: &Path) -> Vec<Saved> {
    let index = std::fs::read(d.join("index")).unwrap_or_default();
    let after = std::fs::read_to_string(d.join("after")).unwrap_or_default();
    let mut out = Vec::new();
    for line in index.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let mut f = line.splitn(3, |b| *b == b'\t');
        let (Some(n), Some(mode), Some(path)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let Some(n) = std::str::from_utf8(n).ok().and_then(|n| n.parse().ok()) else {
            continue;
        };
        let mode = std::str::from_utf8(mode)
            .ok()
            .and_then(|m| u32::from_str_radix(m, 8).ok());
        let want = format!("{n}\t");
        let after = after
            .lines()
            .find_map(|l| l.strip_prefix(&want))
            .map(String::from);
        out.push(Saved {
            n,
            mode,
            path: PathBuf::from(std::ffi::OsStr::from_bytes(path)),
            after,
        });
    }
    out
}

/// Save `path`'s content before it changes, unless this turn saved it
/// already. Files over the size limit are not saved: the note says so.
pub fn save(d: &Path, path: &Path) -> Result<Option<String>, String> {
    let saved = load(d);
    if saved.iter().any(|s| s.path == path) {
        return Ok(None);
    }
    let err = |e: std::io::Error| format!("checkpoint {}: {e}", d.display());
    std::fs::DirBuilder::new()
        .recursive(true)
        .create(d)
        .map_err(err)?;
    let bytes = path.as_os_str().as_bytes();
    if bytes.contains(&b'\n') {
        return Ok(Some(format!(
            "{} not saved (a newline in its name)",
            path.display()
        )));
    }
    let n = saved.len();
    let mode = match std::fs::metadata(path) {
        Ok(md) if md.len() > super::git::MAX_FILE => {
            return Ok(Some(format!("{} not saved (over 10 MB)", path.display())))
        }
        Ok(md) if md.is_file() => {
            std::fs::copy(path, d.join(n.to_string())).map_err(err)?;
            format!("{:o}", md.permissions().mode() & 0o7777)
        }
        Ok(_) => return Ok(None),
        Err(_) => "-".into(),
    };
    let mut line = format!("{n}\t{mode}\t").into_bytes();
    line.extend_from_slice(bytes);
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(d.join("index"))
        .map_err(err)?;
    f.write_all(&line).map_err(err)?;
    f.sync_data().map_err(err)?;
    Ok(None)
}

/// At the end of the turn: each saved file's state now.
pub fn finish(d: &Path) -> Result<(), String> {
    // A turn whose only changes were commands saved no file: nothing to record.
    if !d.is_dir() {
        return Ok(());
    }
    let text: String = load(d)
        .iter()
        .map(|s| format!("{}\t{}\n", s.n, state(&s.path)))
        .collect();
    std::fs::write(d.join("after"), text).map_err(|e| format!("checkpoint {}: {e}", d.display()))
}

//! Walking a directory tree for `grep` and `find`, the way git sees it:
//! .gitignore files (the root's, nested ones for their subtree, and
//! .git/info/exclude) are obeyed and `.git` is always skipped; dotfiles are
//! kept. The walk is iterative, never follows a symlinked directory, visits
//! each directory's entries sorted by name (so output is deterministic) and
//! stops after `MAX_ENTRIES` entries so a huge tree cannot stall a turn.

use super::dirents::{Kind, Reader};
use super::glob::Glob;
use std::borrow::Cow;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Most directory entries one walk looks at.
pub const MAX_ENTRIES: usize = 250_000;
/// Larger ignore files are skipped.
const MAX_IGNORE_BYTES: u64 = 1 << 20;

/// What a visitor wants next.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Flow {
    Continue,
    Stop,
}

/// How a walk ended.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum End {
    Done,
    /// The visitor said stop.
    Stopped,
    /// `MAX_ENTRIES` were reached.
    Capped,
}

pub struct Rule {
    glob: Glob,
    negate: bool,
}

/// The rules of one ignore file and the directory they apply below.
struct IgnoreFile {
    /// Directory relative to the root ("" for the root).
    base: String,
    /// Depth of the walk item that loaded it (0: loaded before the walk).
    depth: usize,
    rules: Vec<Rule>,
}

/// One directory being walked: its entries that are not ignored, sorted
/// by name (the names back to back in `names`), and the next one to visit.
/// The walk keeps one per level and reuses their buffers.
#[derive(Default)]
struct Dir {
    names: Vec<u8>,
    ents: Vec<Ent>,
    next: usize,
    /// Length of this directory's absolute path (in `Walk::path`).
    path_len: usize,
}

#[derive(Clone, Copy)]
struct Ent {
    at: usize,
    len: usize,
    is_dir: bool,
    /// A symlink, kept only if it leads to a file inside the root.
    link: bool,
}

impl Dir {
    fn name(&self, e: &Ent) -> &[u8] {
        self.names.get(e.at..e.at + e.len).unwrap_or_default()
    }
}

/// A walk's state: the absolute path of the entry at hand (the root's
/// path, then the entry's path below it), the ignore files in force and
/// the entries looked at so far.
struct Walk<'a> {
    root: &'a Path,
    path: Vec<u8>,
    ignores: Vec<IgnoreFile>,
    reader: Reader,
    seen: usize,
}

/// Visit everything below `start` (a directory or file inside `root`) that
/// is not ignored, in sorted depth-first order. `visit` gets the absolute
/// path, the path relative to `root` and whether it is a directory. `start`
/// itself is never filtered: asking for an ignored path searches it.
pub fn walk(
    root: &Path,
    start: &Path,
    visit: &mut dyn FnMut(&Path, &str, bool) -> Flow,
) -> Result<End, String> {
    let start_rel = rel_path(root, start)?;
    let meta =
        fs::metadata(start).map_err(|e| format!("cannot read `{}`: {e}", shown(&start_rel)))?;
    if !meta.is_dir() {
        return Ok(match visit(start, &start_rel, false) {
            Flow::Stop => End::Stopped,
            Flow::Continue => End::Done,
        });
    }
    // Rules from the root down to start's parent apply as well.
    let mut ignores = Vec::new();
    load(&mut ignores, &root.join(".git/info/exclude"), "", 0);
    if !start_rel.is_empty() {
        let mut dir = root.to_path_buf();
        let mut base = String::new();
        for name in start_rel.split('/') {
            load(&mut ignores, &dir.join(".gitignore"), &base, 0);
            dir.push(name);
            base = join(&base, name);
        }
    }
    // `start` as the root and `start_rel` (a `.` or `..` in it gone), so
    // that every path below it has its path from the root as its tail.
    let mut path = root.as_os_str().as_encoded_bytes().to_vec();
    if !start_rel.is_empty() {
        path.push(b'/');
        path.extend_from_slice(start_rel.as_bytes());
    }
    let mut w = Walk {
        root,
        path,
        ignores,
        reader: Reader::default(),
        seen: 0,
    };
    let mut dirs = vec![Dir::default()];
    match w.list(&mut dirs, 0) {
        Ok(None) => {}
        Ok(Some(end)) => return Ok(end),
        Err(e) => return Err(format!("cannot list `{}`: {e}", shown(&start_rel))),
    }
    Ok(w.run(&mut dirs, visit))
}

impl Walk<'_> {
    /// Visit the entries of `dirs[0]` and everything below them.
    fn run(
        &mut self,
        dirs: &mut Vec<Dir>,
        visit: &mut dyn FnMut(&Path, &str, bool) -> Flow,
    ) -> End {
        let root_len = self.root.as_os_str().len();
        let mut level = 0;
        loop {
            let Some(dir) = dirs.get_mut(level) else {
                return End::Done;
            };
            let Some(ent) = dir.ents.get(dir.next).copied() else {
                match level.checked_sub(1) {
                    Some(up) => level = up,
                    None => return End::Done,
                }
                continue;
            };
            dir.next += 1;
            self.path.truncate(dir.path_len);
            self.path.push(b'/');
            self.path.extend_from_slice(dir.name(&ent));
            let abs = Path::new(OsStr::from_bytes(&self.path));
            if visit(abs, &rel_of(root_len, abs), ent.is_dir) == Flow::Stop {
                return End::Stopped;
            }
            if ent.is_dir {
                match self.list(dirs, level + 1) {
                    Ok(None) => level += 1,
                    Ok(Some(end)) => return end,
                    Err(_) => {} // unreadable: skipped
                }
            }
        }
    }

    /// Read the directory at `self.path` into `dirs[level]`: its
    /// .gitignore first, then the entries that are not ignored, sorted.
    /// `Some` when the walk must end (`MAX_ENTRIES` reached).
    fn list(&mut self, dirs: &mut Vec<Dir>, level: usize) -> std::io::Result<Option<End>> {
        while dirs.len() <= level {
            dirs.push(Dir::default());
        }
        let Some(dir) = dirs.get_mut(level) else {
            return Ok(None);
        };
        // Item depth as the ignore files count it: 1 for `start`.
        let depth = level + 1;
        dir.names.clear();
        dir.ents.clear();
        dir.next = 0;
        dir.path_len = self.path.len();
        let seen = &mut self.seen;
        let (mut capped, mut has_ignore, mut links) = (false, false, false);
        self.reader
            .read(&mut self.path, level == 0, &mut |name, kind| {
                *seen += 1;
                capped |= *seen > MAX_ENTRIES;
                if capped || name == b".git" {
                    return;
                }
                has_ignore |= name == b".gitignore";
                links |= kind == Kind::Link;
                if !matches!(kind, Kind::Dir | Kind::File | Kind::Link) {
                    return; // sockets, fifos, devices
                }
                dir.ents.push(Ent {
                    at: dir.names.len(),
                    len: name.len(),
                    is_dir: kind == Kind::Dir,
                    link: kind == Kind::Link,
                });
                dir.names.extend_from_slice(name);
            })?;
        if capped {
            return Ok(Some(End::Capped));
        }
        if links {
            self.drop_links(dir);
        }
        // Drop the rules of directories that are not ancestors of this one.
        self.ignores.retain(|f| f.depth < depth);
        if has_ignore {
            self.path.extend_from_slice(b"/.gitignore");
            let file = Path::new(OsStr::from_bytes(&self.path)).to_path_buf();
            self.path.truncate(dir.path_len);
            let root_len = self.root.as_os_str().len();
            let rel = rel_of(root_len, Path::new(OsStr::from_bytes(&self.path))).into_owned();
            load(&mut self.ignores, &file, &rel, depth);
        }
        if !self.ignores.is_empty() {
            self.drop_ignored(dir);
        }
        let names = &dir.names;
        let key = |e: &Ent| names.get(e.at..e.at + e.len).unwrap_or_default();
        crate::sort::by(&mut dir.ents, |a, b| key(a).cmp(key(b)));
        Ok(None)
    }

    /// Remove the entries of `dir` (whose path is `self.path`) that the
    /// ignore files in force exclude.
    fn drop_ignored(&mut self, dir: &mut Dir) {
        let root_len = self.root.as_os_str().len();
        let ignores = &self.ignores;
        keep_if(&mut self.path, dir, &mut |e, abs| {
            !is_ignored(ignores, &rel_of(root_len, abs), e.is_dir)
        });
    }

    /// Keep of `dir`'s symlinks those that lead to a regular file inside
    /// the root; links to directories are never followed.
    fn drop_links(&mut self, dir: &mut Dir) {
        let root = self.root;
        keep_if(&mut self.path, dir, &mut |e, abs| {
            !e.link || link_to_file_inside(root, abs)
        });
    }
}

/// Keep the entries of `dir` for which `keep` says so, given each one's
/// absolute path (built in `path`, which holds `dir`'s).
fn keep_if(path: &mut Vec<u8>, dir: &mut Dir, keep: &mut dyn FnMut(&Ent, &Path) -> bool) {
    let names = &dir.names;
    dir.ents.retain(|e| {
        path.truncate(dir.path_len);
        path.push(b'/');
        path.extend_from_slice(names.get(e.at..e.at + e.len).unwrap_or_default());
        keep(e, Path::new(OsStr::from_bytes(path)))
    });
    path.truncate(dir.path_len);
}

/// `path` relative to `root`, `/`-separated; "" for the root itself.
pub fn rel_path(root: &Path, path: &Path) -> Result<String, String> {
    let rel = path
        .strip_prefix(root)
        .map_err(|_| format!("`{}` is outside the workspace", path.display()))?;
    Ok(rel.to_string_lossy().into_owned())
}

/// `rel` (relative to the root) made relative to `base`, a directory that
/// contains it; unchanged when it does not.
pub fn rel_to<'a>(rel: &'a str, base: &str) -> &'a str {
    if base.is_empty() {
        return rel;
    }
    rel.strip_prefix(base)
        .and_then(|r| r.strip_prefix('/'))
        .unwrap_or(rel)
}

/// The path of `abs` below the root (whose path is `root_len` bytes long),
/// as text: borrowed unless it is not UTF-8.
fn rel_of(root_len: usize, abs: &Path) -> Cow<'_, str> {
    let b = abs.as_os_str().as_encoded_bytes();
    let rest = b.get(root_len..).unwrap_or_default();
    let rest = rest.strip_prefix(b"/").unwrap_or(rest);
    match std::str::from_utf8(rest) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(rest),
    }
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else {
        format!("{base}/{name}")
    }
}

fn shown(rel: &str) -> &str {
    if rel.is_empty() {
        "."
    } else {
        rel
    }
}

/// A symlink is kept only when it leads to a regular file in the workspace.
fn link_to_file_inside(root: &Path, link: &Path) -> bool {
    match link.canonicalize() {
        Ok(target) => target.starts_with(root) && target.is_file(),
        Err(_) => false,
    }
}

fn load(ignores: &mut Vec<IgnoreFile>, path: &Path, base: &str, depth: usize) {
    let Ok(meta) = fs::metadata(path) else { return };
    if !meta.is_file() || meta.len() > MAX_IGNORE_BYTES {
        return;
    }
    let Ok(bytes) = fs::read(path) else { return };
    let rules = parse_ignore(&String::from_utf8_lossy(&bytes));
    if !rules.is_empty() {
        ignores.push(IgnoreFile {
            base: base.to_string(),
            depth,
            rules,
        });
    }
}

/// The rules of a .gitignore text; lines that fail to compile are skipped,
/// as git does.
pub fn parse_ignore(text: &str) -> Vec<Rule> {
    let mut rules = Vec::new();
    for line in text.lines() {
        let line = trim_trailing_spaces(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (negate, pat) = match line.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, line),
        };
        if let Ok(glob) = Glob::gitignore(pat) {
            rules.push(Rule { glob, negate });
        }
    }
    rules
}

/// Trailing spaces are dropped unless escaped with `\`.
fn trim_trailing_spaces(line: &str) -> &str {
    let b = line.as_bytes();
    let mut end = b.len();
    while end > 0 && b.get(end - 1) == Some(&b' ') && !(end >= 2 && b.get(end - 2) == Some(&b'\\'))
    {
        end -= 1;
    }
    line.get(..end).unwrap_or(line)
}

/// Deeper ignore files win over shallower ones; within a file the last
/// matching rule wins.
fn is_ignored(ignores: &[IgnoreFile], rel: &str, is_dir: bool) -> bool {
    for f in ignores.iter().rev() {
        let sub = if f.base.is_empty() {
            rel
        } else {
            match rel
                .strip_prefix(f.base.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                Some(s) => s,
                None => continue,
            }
        };
        if let Some(r) = f.rules.iter().rev().find(|r| r.glob.matches(sub, is_dir)) {
            return !r.negate;
        }
    }
    false
}

#[cfg(test)]
#[path = "walk_tests.rs"]
pub mod tests;

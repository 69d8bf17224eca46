//! Walking a directory tree for `grep` and `find`, the way git sees it:
//! .gitignore files (the root's, nested ones for their subtree, and
//! .git/info/exclude) are obeyed and `.git` is always skipped; dotfiles are
//! kept. The walk is iterative, never follows a symlinked directory, visits
//! each directory's entries sorted by name (so output is deterministic) and
//! stops after `MAX_ENTRIES` entries so a huge tree cannot stall a turn.

use super::glob::Glob;
use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};

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

/// A path to visit; its path relative to the root is the tail of `abs`
/// (`rel_of`), so no second string is made for it.
struct Item {
    abs: PathBuf,
    is_dir: bool,
    depth: usize,
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
    let mut abs = root.to_path_buf();
    if !start_rel.is_empty() {
        abs.push(&start_rel);
    }
    let mut stack = vec![Item {
        abs,
        is_dir: true,
        depth: 1,
    }];
    let root_len = root.as_os_str().len();
    let mut seen = 0;
    while let Some(it) = stack.pop() {
        let it_rel = rel_of(root_len, &it.abs);
        if it.depth > 1 && visit(&it.abs, &it_rel, it.is_dir) == Flow::Stop {
            return Ok(End::Stopped);
        }
        if !it.is_dir {
            continue;
        }
        // Drop the rules of directories that are not ancestors of this one.
        ignores.retain(|f| f.depth < it.depth);
        load(&mut ignores, &it.abs.join(".gitignore"), &it_rel, it.depth);
        let entries = match fs::read_dir(&it.abs) {
            Ok(e) => e,
            Err(e) if it.depth == 1 => {
                return Err(format!("cannot list `{}`: {e}", shown(&start_rel)))
            }
            Err(_) => continue,
        };
        let mut kids = Vec::new();
        for ent in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                return Ok(End::Capped);
            }
            let abs = ent.path();
            let name = abs.file_name().unwrap_or_default();
            if name == ".git" {
                continue;
            }
            let Ok(ft) = ent.file_type() else { continue };
            let is_dir = if ft.is_dir() {
                true
            } else if ft.is_file() || (ft.is_symlink() && link_to_file_inside(root, &abs)) {
                false
            } else {
                continue; // sockets, fifos, devices, links to dirs or outside
            };
            if is_ignored(&ignores, &rel_of(root_len, &abs), is_dir) {
                continue;
            }
            kids.push(Item {
                abs,
                is_dir,
                depth: it.depth + 1,
            });
        }
        // Siblings share their parent's path, so their paths sort as their
        // names do.
        kids.sort_unstable_by(|a, b| a.abs.as_os_str().cmp(b.abs.as_os_str()));
        stack.extend(kids.into_iter().rev());
    }
    Ok(End::Done)
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
    String::from_utf8_lossy(rest.strip_prefix(b"/").unwrap_or(rest))
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
pub mod tests {
    use super::*;

    /// A fresh directory with `files` (path, content) written in it.
    pub fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mote-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        for (path, text) in files {
            let p = d.join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        fs::create_dir_all(&d).unwrap();
        d.canonicalize().unwrap()
    }

    fn list(root: &Path, start: &str) -> Vec<String> {
        let mut out = Vec::new();
        walk(root, &root.join(start), &mut |_, rel, is_dir| {
            out.push(if is_dir {
                format!("{rel}/")
            } else {
                rel.to_string()
            });
            Flow::Continue
        })
        .unwrap();
        out
    }

    #[test]
    fn gitignore_rules() {
        let d = tree(
            "walk-ignore",
            &[
                (
                    ".gitignore",
                    "# comment\n\n*.log\n!keep.log\nbuild/\n/top.txt\ndocs/*.md\n\\#hash\nsp\\ \n",
                ),
                ("a.log", ""),
                ("keep.log", ""),
                ("build/out.o", ""),
                ("src/build", "a file named build is not a directory"),
                ("top.txt", ""),
                ("src/top.txt", ""),
                ("docs/a.md", ""),
                ("docs/sub/b.md", ""),
                ("#hash", ""),
                ("sp ", ""),
                (".env", ""),
                (".git/config", ""),
                (".git/info/exclude", "secret\n"),
                ("src/secret", ""),
                ("src/.gitignore", "*.tmp\n!a.log\n"),
                ("src/x.tmp", ""),
                ("src/a.log", ""),
                ("src/sub/y.tmp", ""),
                ("z.tmp", ""),
            ],
        );
        let got = list(&d, ".");
        let want = [
            ".env",
            ".gitignore",
            "docs/",
            "docs/sub/",
            "docs/sub/b.md",
            "keep.log",
            "src/",
            "src/.gitignore",
            "src/a.log",
            "src/build",
            "src/sub/",
            "src/top.txt",
            "z.tmp",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn ignored_dir_not_descended_and_start_inside() {
        let d = tree(
            "walk-nodesc",
            &[
                (".gitignore", "node_modules\nlib/gen/\n"),
                ("node_modules/x/index.js", ""),
                ("lib/gen/a.rs", ""),
                ("lib/ok.rs", ""),
                ("lib/.gitignore", "*.bak\n"),
                ("lib/deep/x.bak", ""),
                ("lib/deep/x.rs", ""),
            ],
        );
        let mut visited = Vec::new();
        walk(&d, &d, &mut |_, rel, _| {
            visited.push(rel.to_string());
            Flow::Continue
        })
        .unwrap();
        assert!(
            !visited
                .iter()
                .any(|v| v.contains("node_modules") || v.contains("gen")),
            "{visited:?}"
        );
        // Starting below the root still applies the root's and lib's rules.
        assert_eq!(list(&d, "lib/deep"), ["lib/deep/x.rs"]);
        // An explicitly named ignored directory is searched.
        assert_eq!(
            list(&d, "node_modules"),
            ["node_modules/x/", "node_modules/x/index.js"]
        );
    }

    #[test]
    fn stop_file_start_and_symlinks() {
        let d = tree("walk-misc", &[("a", ""), ("b", ""), ("dir/c", "")]);
        std::os::unix::fs::symlink(d.join("dir"), d.join("loop")).unwrap();
        std::os::unix::fs::symlink(d.join("a"), d.join("link-a")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", d.join("out")).unwrap();
        assert_eq!(list(&d, "."), ["a", "b", "dir/", "dir/c", "link-a"]);
        assert_eq!(list(&d, "dir/c"), ["dir/c"]);
        let mut n = 0;
        let end = walk(&d, &d, &mut |_, _, _| {
            n += 1;
            if n == 2 {
                Flow::Stop
            } else {
                Flow::Continue
            }
        });
        assert_eq!(end, Ok(End::Stopped));
        assert!(walk(&d, &d.join("missing"), &mut |_, _, _| Flow::Continue)
            .unwrap_err()
            .contains("cannot read `missing`"));
    }
}

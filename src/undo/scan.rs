//! The scan behind a git snapshot: which files changed since the session's
//! private index last saw them (`ls-files`, git's stat cache), their bytes
//! as they are on disk hashed into the object store with no filter, and
//! the index turned into a tree. Every git here runs through git.rs's safe
//! environment, with each filter driver the repository's config names
//! emptied (`no_filters`), so a config the session wrote runs nothing.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::git::{hex, run, run_with, MAX_FILE};

/// Snapshot the working tree at `root` as a tree, through the session's
/// private index `index` (made from a copy of the user's index, with its
/// mtime, when missing): git's stat cache there means only what changed
/// since the last snapshot is hashed, as it is on disk. `last` is the tree
/// `index` gave last, when it has not been written since: nothing changed
/// gives it back without writing a tree. Returns the tree and the files left
/// out.
pub fn scan(
    root: &Path,
    index: &Path,
    last: Option<&str>,
) -> Result<(String, Vec<String>), String> {
    let cfg = config(root)?;
    let set = &cfg.set;
    let seeded = !index.exists() && seed(root, index)?;
    let mut recheck = Vec::new();
    let mut unmerged = Vec::new();
    if seeded {
        // The user's index may hold conflicts, and blobs git converted
        // (filters, line endings): those paths are hashed as they are.
        let out = run_with(
            root,
            Some(index),
            set,
            &["ls-files", "-z", "--unmerged"],
            None,
        )?;
        unmerged = paths(&out, true);
        recheck.extend(unmerged.iter().cloned());
        recheck.extend(converted(root, &cfg)?);
    }
    let args = [
        "ls-files",
        "-z",
        "--modified",
        "--deleted",
        "--others",
        "--exclude-standard",
    ];
    recheck.extend(paths(
        &run_with(root, Some(index), set, &args, None)?,
        false,
    ));
    crate::sort::sort(&mut recheck);
    recheck.dedup();
    if let (Some(tree), true) = (last, recheck.is_empty()) {
        return Ok((tree.to_string(), Vec::new()));
    }
    // Symlink targets are hashed from files in a folder beside the index,
    // in the session's own (private) folder: never the shared temp
    // folder, which a run would have to read whole to prune. A session is
    // used by one run at a time, as its index is.
    let links = index.with_file_name("links");
    let made = index_lines(root, &links, set, &recheck, &unmerged);
    clear(&links);
    let (lines, skipped) = made?;
    if !lines.is_empty() {
        // The refresh first gives the entries the last update wrote their
        // stat data, so they are compared by stat from now on.
        let args = ["update-index", "-z", "--index-info"];
        run_with(root, Some(index), set, &args, Some(&lines))?;
    }
    let tree = run_with(root, Some(index), set, &["write-tree"], None)?;
    let tree = hex(tree.trim_ascii()).ok_or("git write-tree: no tree id")?;
    Ok((tree, skipped))
}

/// NUL-separated paths from ls-files (`staged`: `MODE ID STAGE\tPATH` records).
fn paths(out: &[u8], staged: bool) -> Vec<Vec<u8>> {
    out.split(|b| *b == 0)
        .filter(|r| !r.is_empty())
        .filter_map(|r| match staged {
            true => r
                .iter()
                .position(|b| *b == b'\t')
                .and_then(|t| r.get(t + 1..)),
            false => Some(r),
        })
        .map(<[u8]>::to_vec)
        .collect()
}

/// Config for `run_with` that empties every filter driver the
/// repository's config names and turns line-ending conversion off, so no
/// command runs a filter program (`mote --worktree`'s checkout too).
pub fn no_filters(root: &Path) -> Vec<(String, &'static str)> {
    config(root).map(|c| c.set).unwrap_or_default()
}

/// What of the config matters to a snapshot: every filter driver emptied
/// (comparing a racily clean file runs its clean filter), and
/// `core.autocrlf`, which made the user's index blobs differ from the files.
struct Config {
    set: Vec<(String, &'static str)>,
    autocrlf: bool,
}

fn config(root: &Path) -> Result<Config, String> {
    let re = r"^(filter\..*|core\.autocrlf)$";
    let out = run(root, None, &["config", "-z", "--get-regexp", re], None).unwrap_or_default();
    let mut c = Config {
        set: vec![("core.autocrlf".into(), "false")],
        autocrlf: false,
    };
    for rec in out.split(|b| *b == 0).filter(|k| !k.is_empty()) {
        let rec = String::from_utf8_lossy(rec);
        let (key, value) = rec.split_once('\n').unwrap_or((&rec, ""));
        if key.eq_ignore_ascii_case("core.autocrlf") {
            c.autocrlf = matches!(value, "true" | "input");
        } else if let Some((name, _)) = key.rsplit_once('.') {
            for var in ["clean", "smudge", "process"] {
                c.set.push((format!("{name}.{var}"), ""));
            }
            c.set.push((format!("{name}.required"), "false"));
        }
    }
    Ok(c)
}

/// Start the private index `index` as a copy of the user's, with the
/// user's mtime, so git's racy-file check stays as strict as in the
/// original; `false` when the user has none (a new repository).
fn seed(root: &Path, index: &Path) -> Result<bool, String> {
    if let Some(dir) = index.parent() {
        use std::os::unix::fs::DirBuilderExt;
        let mut b = std::fs::DirBuilder::new();
        let _ = b.recursive(true).mode(0o700).create(dir);
    }
    let user = run(root, None, &["rev-parse", "--git-path", "index"], None)?;
    let user = root.join(OsStr::from_bytes(user.trim_ascii()));
    let Ok(mtime) = std::fs::metadata(&user).and_then(|m| m.modified()) else {
        return Ok(false);
    };
    let part = index.with_extension("part");
    let copied = std::fs::copy(&user, &part)
        .and_then(|_| std::fs::File::options().write(true).open(&part))
        .and_then(|f| f.set_modified(mtime))
        .and_then(|_| std::fs::rename(&part, index));
    if copied.is_err() {
        let _ = std::fs::remove_file(&part);
    }
    Ok(copied.is_ok())
}

/// Lines for `update-index -z --index-info` taking `recheck` as it is on
/// disk (mode 0 removes a path), and the files left out. A symlink's
/// target is written to a file in `links`, made at the first one.
fn index_lines(
    root: &Path,
    links: &Path,
    set: &[(String, &str)],
    recheck: &[Vec<u8>],
    unmerged: &[Vec<u8>],
) -> Result<(Vec<u8>, Vec<String>), String> {
    let mut skipped = Vec::new();
    let mut lines = Vec::new();
    let remove = |lines: &mut Vec<u8>, path: &[u8]| {
        lines.extend_from_slice(b"0 0000000000000000000000000000000000000000\t");
        lines.extend_from_slice(path);
        lines.push(0);
    };
    // (file to hash, path in the tree, mode)
    let mut hash: Vec<(Vec<u8>, &[u8], u32)> = Vec::new();
    let mut made = false;
    for path in recheck {
        let shown = String::from_utf8_lossy(path).into_owned();
        let full = root.join(OsStr::from_bytes(path));
        if unmerged.contains(path) {
            remove(&mut lines, path);
        }
        let Ok(md) = std::fs::symlink_metadata(&full) else {
            remove(&mut lines, path);
            continue;
        };
        let ft = md.file_type();
        if ft.is_dir() {
            // A submodule keeps its recorded commit; a nested repository is left out.
            continue;
        }
        if path.contains(&b'\n') {
            skipped.push(format!("{shown} (a newline in its name)"));
            remove(&mut lines, path);
        } else if ft.is_symlink() {
            let target = std::fs::read_link(&full).map_err(|e| format!("{shown}: {e}"))?;
            if !made {
                private_dir(links)?;
                made = true;
            }
            let file = links.join(format!("link{}", hash.len()));
            std::fs::write(&file, target.as_os_str().as_bytes())
                .map_err(|e| format!("{}: {e}", file.display()))?;
            hash.push((file.as_os_str().as_bytes().to_vec(), path, 0o120000));
        } else if !ft.is_file() {
            remove(&mut lines, path);
        } else if md.len() > MAX_FILE {
            skipped.push(format!("{shown} ({} MB, over 10 MB)", md.len() >> 20));
            remove(&mut lines, path);
        } else {
            let mode = if md.permissions().mode() & 0o100 != 0 {
                0o100755
            } else {
                0o100644
            };
            hash.push((path.clone(), path, mode));
        }
    }
    if hash.is_empty() {
        return Ok((lines, skipped));
    }
    let mut input = Vec::new();
    for (file, _, _) in &hash {
        input.extend_from_slice(file);
        input.push(b'\n');
    }
    let args = ["hash-object", "-w", "--no-filters", "--stdin-paths"];
    let out = run_with(root, None, set, &args, Some(&input))?;
    let ids: Vec<&[u8]> = out
        .split(|b| *b == b'\n')
        .filter(|i| hex(i).is_some())
        .collect();
    if ids.len() != hash.len() {
        return Err("git hash-object: fewer ids than files".into());
    }
    for ((_, path, mode), id) in hash.iter().zip(ids) {
        lines.extend_from_slice(format!("{mode:o} ").as_bytes());
        lines.extend_from_slice(id);
        lines.push(b'\t');
        lines.extend_from_slice(path);
        lines.push(0);
    }
    Ok((lines, skipped))
}

/// Remove `dir`: a folder, or what a killed scan left there (a file, a
/// symlink: never followed).
fn clear(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir).or_else(|_| std::fs::remove_file(dir));
}

/// `dir` made afresh, empty and readable by this user only.
fn private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    clear(dir);
    let made = std::fs::DirBuilder::new().mode(0o700).create(dir);
    made.map_err(|e| format!("{}: {e}", dir.display()))
}

/// Tracked paths whose index blob may differ from the bytes on disk: with
/// `core.autocrlf` all of them, else those a `filter`, `text`, `eol`,
/// `ident` or `working-tree-encoding` attribute names (none without an
/// attributes file). Asked only of a copy of the user's index.
fn converted(root: &Path, cfg: &Config) -> Result<Vec<Vec<u8>>, String> {
    let names = || -> Result<Vec<Vec<u8>>, String> {
        Ok(paths(&run(root, None, &["ls-files", "-z"], None)?, false))
    };
    if cfg.autocrlf {
        return names();
    }
    let info = run(
        root,
        None,
        &["rev-parse", "--git-path", "info/attributes"],
        None,
    )?;
    let info = root.join(OsStr::from_bytes(info.trim_ascii()));
    let args = [
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--",
        ":(glob)**/.gitattributes",
    ];
    if !info.exists() && run(root, None, &args, None)?.is_empty() {
        return Ok(Vec::new());
    }
    let tracked = names()?;
    let mut input = Vec::new();
    for p in &tracked {
        input.extend_from_slice(p);
        input.push(0);
    }
    let attrs = [
        "filter",
        "text",
        "eol",
        "ident",
        "working-tree-encoding",
        "crlf",
    ];
    let mut args = vec!["check-attr", "-z", "--stdin"];
    args.extend(attrs);
    let out = run(root, None, &args, Some(&input))?;
    let mut paths = Vec::new();
    let mut f = out.split(|b| *b == 0);
    while let (Some(path), Some(_), Some(value)) = (f.next(), f.next(), f.next()) {
        if value != b"unspecified"
            && value != b"unset"
            && paths.last().is_none_or(|l: &Vec<u8>| l != path)
        {
            paths.push(path.to_vec());
        }
    }
    Ok(paths)
}

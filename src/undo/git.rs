//! Git snapshots of a working tree, for checkpoints. Each session keeps a
//! private index (`GIT_INDEX_FILE`), started as a copy of the user's: a
//! snapshot updates it with fresh blobs for every file modified, deleted or
//! untracked (non-ignored) since, as the bytes on disk, and turns it into a
//! tree and a commit under `refs/mote/checkpoints/SESSION`. git's stat
//! cache in that index means a turn hashes only what changed. The user's
//! index, HEAD, branches and stash are never written.
//!
//! Every git here runs with a safe environment: no `GIT_*` variable from the
//! user, `core.fsmonitor` and hooks off, no signing, no lazy fetch, and only
//! plumbing that applies no filter, textconv or external diff
//! (`hash-object --no-filters` stores the bytes on disk as they are), so a
//! repository config the session wrote cannot make the snapshot run a
//! program (../shared notes: git runs programs from repository config).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{BufRead, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Files larger than this are left out of snapshots (with a note).
pub const MAX_FILE: u64 = 10 * 1024 * 1024;

/// A tree entry: git mode (0o100644, 0o100755, 0o120000, 0o160000) and object id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub mode: u32,
    pub id: String,
}

/// Path (bytes, relative to the top of the repository) to entry.
pub type Entries = BTreeMap<Vec<u8>, Entry>;

/// A git command in `root` with the safe environment.
fn command(root: &Path, index: Option<&Path>) -> Command {
    let mut c = Command::new("git");
    for (k, _) in std::env::vars_os() {
        if k.as_bytes().starts_with(b"GIT_") {
            c.env_remove(k);
        }
    }
    for kv in [
        "core.fsmonitor=false",
        "core.hooksPath=/dev/null",
        "core.untrackedCache=false",
        "commit.gpgSign=false",
        "core.splitIndex=false",
    ] {
        c.arg("-c").arg(kv);
    }
    c.arg("-C").arg(root);
    c.env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_PAGER", "cat")
        .env("GIT_AUTHOR_NAME", "mote")
        .env("GIT_AUTHOR_EMAIL", "mote@localhost")
        .env("GIT_COMMITTER_NAME", "mote")
        .env("GIT_COMMITTER_EMAIL", "mote@localhost")
        .env("LC_ALL", "C");
    if let Some(i) = index {
        c.env("GIT_INDEX_FILE", i);
    }
    c.stderr(Stdio::piped());
    c
}

/// A memory file holding `data`, to be a child's stdin (no pipe to keep
/// fed while its output is read).
fn memfile(data: &[u8]) -> Result<std::fs::File, String> {
    use std::os::fd::FromRawFd;
    // SAFETY: a static C string; the descriptor returned is ours.
    let fd = unsafe { libc::memfd_create(c"mote-git".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(format!("memfd: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor.
    let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
    f.write_all(data).map_err(|e| format!("memfd: {e}"))?;
    std::io::Seek::rewind(&mut f).map_err(|e| format!("memfd: {e}"))?;
    Ok(f)
}

/// Run git with `args` and `input` on stdin; its stdout, or its error.
pub fn run(
    root: &Path,
    index: Option<&Path>,
    args: &[&str],
    input: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    run_with(root, index, &[], args, input)
}

/// `run`, with config `set` given through the environment (a key may hold
/// any character, which `-c` could misread).
pub fn run_with(
    root: &Path,
    index: Option<&Path>,
    set: &[(String, &str)],
    args: &[&str],
    input: Option<&[u8]>,
) -> Result<Vec<u8>, String> {
    let mut c = command(root, index);
    c.env("GIT_CONFIG_COUNT", set.len().to_string());
    for (i, (k, v)) in set.iter().enumerate() {
        c.env(format!("GIT_CONFIG_KEY_{i}"), k)
            .env(format!("GIT_CONFIG_VALUE_{i}"), v);
    }
    c.args(args).stdout(Stdio::piped());
    match input {
        Some(data) => c.stdin(memfile(data)?),
        None => c.stdin(Stdio::null()),
    };
    let out = c.output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err.lines().next().unwrap_or("failed");
        return Err(format!("git {}: {first}", args.first().unwrap_or(&"")));
    }
    Ok(out.stdout)
}

/// The top of the repository `dir` is in, when git works there.
pub fn toplevel(dir: &Path) -> Option<PathBuf> {
    let out = run(dir, None, &["rev-parse", "--show-toplevel"], None).ok()?;
    let s = String::from_utf8(out).ok()?;
    let p = PathBuf::from(s.trim_end_matches('\n'));
    p.is_dir().then_some(p)
}

/// Whether `s` is an object id (hex, 40 digits or more).
pub fn is_id(s: &str) -> bool {
    hex(s.as_bytes()).is_some()
}

fn hex(s: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(s).ok()?;
    (s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_string())
}

/// Snapshot the working tree at `root` as a tree, through the session's
/// private index `index` (made from a copy of the user's index, with its
/// mtime, when missing): git's stat cache there means only what changed
/// since the last snapshot is hashed, as it is on disk. `last` is the tree
/// `index` gave last, when it has not been written since: nothing changed
/// gives it back without writing a tree. Returns the tree and the files left
/// out. `links` is made (private, in the session's folder) when a
/// symlink needs its target written to a file for hashing; the caller
/// removes it.
pub fn scan(
    root: &Path,
    index: &Path,
    last: Option<&str>,
    links: &Path,
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
    let (lines, skipped) = index_lines(root, links, set, &recheck, &unmerged)?;
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

/// `dir` made afresh, empty and readable by this user only.
fn private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::DirBuilderExt;
    let _ = std::fs::remove_dir_all(dir);
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

/// A commit of `tree` on `refs/mote/checkpoints/SESSION`, after `parent`
/// (the ref's commit when not given); the commit's id.
pub fn commit(
    root: &Path,
    session: &str,
    tree: &str,
    parent: Option<&str>,
    msg: &str,
) -> Result<String, String> {
    let refname = format!("refs/mote/checkpoints/{session}");
    let parent = match parent {
        Some(p) => Some(p.to_string()),
        None => run(root, None, &["rev-parse", "-q", "--verify", &refname], None)
            .ok()
            .and_then(|p| hex(p.trim_ascii())),
    };
    let mut args = vec!["commit-tree", "--no-gpg-sign", tree, "-m", msg];
    if let Some(p) = &parent {
        args.extend(["-p", p]);
    }
    let id = run(root, None, &args, None)?;
    let id = hex(id.trim_ascii()).ok_or("git commit-tree: no commit id")?;
    run(root, None, &["update-ref", &refname, &id], None)?;
    Ok(id)
}

/// The entries of a checkpoint commit (or tree).
pub fn entries(root: &Path, commit: &str) -> Result<Entries, String> {
    let out = run(
        root,
        None,
        &["ls-tree", "-r", "-z", "--full-tree", commit],
        None,
    )?;
    let mut e = Entries::new();
    for rec in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        // "MODE TYPE ID\tPATH"
        let Some(tab) = rec.iter().position(|b| *b == b'\t') else {
            continue;
        };
        let mut f = rec.get(..tab).unwrap_or(&[]).split(|b| *b == b' ');
        let mode = f
            .next()
            .and_then(|m| std::str::from_utf8(m).ok())
            .and_then(|m| u32::from_str_radix(m, 8).ok());
        let id = f.nth(1).and_then(hex);
        if let (Some(mode), Some(id)) = (mode, id) {
            e.insert(
                rec.get(tab + 1..).unwrap_or(&[]).to_vec(),
                Entry { mode, id },
            );
        }
    }
    Ok(e)
}

/// Blob contents, in the order of `ids`, streamed from one `cat-file --batch`.
pub struct Blobs {
    child: Child,
    out: std::io::BufReader<std::process::ChildStdout>,
}

impl Blobs {
    pub fn open(root: &Path, ids: &[&str]) -> Result<Blobs, String> {
        let input: String = ids.iter().map(|i| format!("{i}\n")).collect();
        let mut child = command(root, None)
            .args(["cat-file", "--batch"])
            .stdin(memfile(input.as_bytes())?)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let out = child.stdout.take().ok_or("git cat-file: no output")?;
        Ok(Blobs {
            child,
            out: std::io::BufReader::new(out),
        })
    }

    /// The next blob's bytes.
    pub fn read(&mut self) -> Result<Vec<u8>, String> {
        let mut head = String::new();
        self.out
            .read_line(&mut head)
            .map_err(|e| format!("git cat-file: {e}"))?;
        let size = head
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| format!("git cat-file: `{}`", head.trim()))?;
        let mut data = Vec::new();
        (&mut self.out)
            .take(size + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("git cat-file: {e}"))?;
        data.pop(); // the newline after each blob
        Ok(data)
    }
}

impl Drop for Blobs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The unified diff between two checkpoints (or a checkpoint and a tree),
/// without textconv or external diff programs.
pub fn diff(root: &Path, from: &str, to: &str) -> Result<Vec<u8>, String> {
    run(
        root,
        None,
        &[
            "diff-tree",
            "-r",
            "-p",
            "--no-ext-diff",
            "--no-textconv",
            "--no-color",
            from,
            to,
        ],
        None,
    )
}

/// Paths that differ between two checkpoints.
pub fn changed_paths(root: &Path, from: &str, to: &str) -> Result<Vec<String>, String> {
    let out = run(
        root,
        None,
        &[
            "diff-tree",
            "-r",
            "-z",
            "--name-only",
            "--no-renames",
            from,
            to,
        ],
        None,
    )?;
    Ok(out
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect())
}

/// The unified diff of two files outside any repository (the file store's
/// `/diff`), run in `dir`.
pub fn files_diff(dir: &Path, old: &Path, new: &Path) -> Result<String, String> {
    let out = command(dir, None)
        .env("GIT_CEILING_DIRECTORIES", dir)
        .args([
            "diff",
            "--no-index",
            "--no-ext-diff",
            "--no-textconv",
            "--no-color",
        ])
        .arg(old)
        .arg(new)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    match out.status.code() {
        Some(0 | 1) => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => Err(format!(
            "git diff: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .next()
                .unwrap_or("failed")
        )),
    }
}

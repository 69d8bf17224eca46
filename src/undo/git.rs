//! Git for checkpoints: the one way mote runs git (`run`, `run_with`), and
//! what a checkpoint does with a snapshot's tree: the commit under
//! `refs/mote/checkpoints/SESSION`, its entries and blobs read back, and
//! diffs between two. Taking the snapshot (the session's private index,
//! `GIT_INDEX_FILE`, and what changed in it) is scan.rs. The user's index,
//! HEAD, branches and stash are never written.
//!
//! Every git here runs with a safe environment: no `GIT_*` variable from the
//! user, `core.fsmonitor` and hooks off, no signing, no lazy fetch, and only
//! plumbing that applies no filter, textconv or external diff
//! (`hash-object --no-filters` stores the bytes on disk as they are), so a
//! repository config the session wrote cannot make the snapshot run a
//! program (../shared notes: git runs programs from repository config).

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::os::unix::ffi::OsStrExt;
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

pub(super) fn hex(s: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(s).ok()?;
    (s.len() >= 40 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_string())
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

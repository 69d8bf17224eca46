//! Git worktrees for parallel work: `mote --worktree NAME` and `/worktree
//! NAME` create (or reuse) a worktree on branch `mote/NAME` in a folder
//! beside the repository (`worktree_dir`, default `../{repo}-{name}`) and
//! work there; `/worktree`, `mote worktree list` show each with its
//! status; `mote worktree rm NAME [--force]` removes one and its branch,
//! refusing while it holds uncommitted or unmerged work. This file owns
//! the name rules, the folder template, and those git commands, which run
//! through the checkpoints' safe git (src/undo/git.rs) with every filter
//! driver and submodule recursion off, so a repository's config runs no
//! program. The branch a worktree was made from is kept in its private
//! git folder (`mote-base`), the base for ahead/behind and for "merged".

use std::path::{Path, PathBuf};

use crate::undo::{git, scan};

/// The folder template when the config sets no `worktree_dir`.
pub const DEFAULT_DIR: &str = "../{repo}-{name}";
const PREFIX: &str = "refs/heads/mote/";

/// Exit code of `mote worktree rm` refusing (the exit-code table).
pub const REFUSED: u8 = 11;

/// A worktree NAME: letters, digits, `.`, `_`, `-`, at most 64 bytes, not
/// starting with `-` or `.`, no `..`, not ending in `.lock` or `.`: a
/// valid ref-name part and a plain folder name, never an option.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && !name.starts_with(['-', '.'])
        && !name.ends_with('.')
        && !name.ends_with(".lock")
        && !name.contains("..");
    match ok {
        true => Ok(()),
        false => Err(format!(
            "bad worktree name {name:?}: use letters, digits, `.`, `_` and `-` (not first), at most 64"
        )),
    }
}

/// One mote worktree of a repository.
pub struct Tree {
    pub name: String,
    pub path: PathBuf,
}

/// The private git folder of the worktree at `dir` (`.git/worktrees/ID`).
fn gitdir(dir: &Path) -> Result<PathBuf, String> {
    let g = run(dir, &["rev-parse", "--path-format=absolute", "--git-dir"])?;
    Ok(PathBuf::from(g.trim_end()))
}

/// Whether `rev` names a commit in the repository of `dir`.
fn known(dir: &Path, rev: &str) -> bool {
    !rev.is_empty()
        && !rev.starts_with('-')
        && run(dir, &["rev-parse", "-q", "--verify", rev]).is_ok()
}

/// The repository `dir` is in: the main checkout's folder.
fn main_top(dir: &Path) -> Result<PathBuf, String> {
    let args = ["rev-parse", "--path-format=absolute", "--git-common-dir"];
    let out = git::run(dir, None, &args, None)
        .map_err(|_| format!("{} is not in a git repository", dir.display()))?;
    let common = PathBuf::from(String::from_utf8_lossy(out.trim_ascii()).into_owned());
    match (common.file_name(), common.parent()) {
        (Some(n), Some(top)) if n == ".git" => Ok(top.to_path_buf()),
        _ => Err(format!(
            "{}: a bare repository has no checkout",
            common.display()
        )),
    }
}

/// Run git in `dir` with the safe environment, filters and submodule
/// recursion off; its stdout.
fn run(dir: &Path, args: &[&str]) -> Result<String, String> {
    let mut set = scan::no_filters(dir);
    set.push(("submodule.recurse".into(), "false"));
    git::run_with(dir, None, &set, args, None).map(|o| String::from_utf8_lossy(&o).into_owned())
}

/// The main checkout of the repository at `dir`, and its mote worktrees
/// (branches `mote/*`).
pub fn list(dir: &Path) -> Result<(PathBuf, Vec<Tree>), String> {
    let top = main_top(dir)?;
    let out = run(&top, &["worktree", "list", "--porcelain", "-z"])?;
    let mut trees = Vec::new();
    let mut path = None;
    for field in out.split('\0') {
        if let Some(p) = field.strip_prefix("worktree ") {
            path = Some(PathBuf::from(p));
        } else if let (Some(b), Some(p)) = (field.strip_prefix("branch "), &path) {
            if let Some(name) = b.strip_prefix(PREFIX) {
                trees.push(Tree {
                    name: name.to_string(),
                    path: p.clone(),
                });
            }
        }
    }
    Ok((top, trees))
}

/// The worktree for `name` in the repository of `dir`, made if missing
/// (from the branch checked out in `dir`, else its commit): its folder and
/// whether it was made now. `template` is `worktree_dir`.
pub fn enter(dir: &Path, name: &str, template: Option<&str>) -> Result<(PathBuf, bool), String> {
    check_name(name)?;
    let (top, trees) = list(dir)?;
    if let Some(t) = trees.into_iter().find(|t| t.name == name) {
        return Ok((t.path, false));
    }
    let repo = top
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let path = top.join(
        template
            .unwrap_or(DEFAULT_DIR)
            .replace("{repo}", &repo)
            .replace("{name}", name),
    );
    let branch = format!("mote/{name}");
    let exists = known(dir, &format!("refs/heads/{branch}"));
    let base = match run(dir, &["symbolic-ref", "-q", "--short", "HEAD"]) {
        Ok(b) => b.trim_end().to_string(),
        Err(_) => run(dir, &["rev-parse", "HEAD"])?.trim_end().to_string(),
    };
    let p = &*path.to_string_lossy();
    match exists {
        true => run(dir, &["worktree", "add", "--", p, &branch])?,
        false => run(dir, &["worktree", "add", "-b", &branch, "--", p, &base])?,
    };
    let path = path
        .canonicalize()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if !exists {
        let file = gitdir(&path)?.join("mote-base");
        std::fs::write(&file, &base).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok((path, true))
}

/// What a worktree holds beyond its base: the base, commits ahead and
/// behind it, and files changed but not committed.
pub struct Status {
    pub base: String,
    pub ahead: u64,
    pub behind: u64,
    pub dirty: usize,
}

impl Tree {
    /// The branch it was made from, else the main checkout's branch.
    fn base(&self) -> Result<String, String> {
        let file = gitdir(&self.path)?.join("mote-base");
        if let Ok(b) = std::fs::read_to_string(file) {
            if known(&self.path, b.trim()) {
                return Ok(b.trim().to_string());
            }
        }
        let top = main_top(&self.path)?;
        Ok(run(&top, &["symbolic-ref", "-q", "--short", "HEAD"])?
            .trim_end()
            .to_string())
    }

    pub fn status(&self) -> Result<Status, String> {
        let base = self.base()?;
        let range = format!("{base}...refs/heads/mote/{}", self.name);
        let counts = run(&self.path, &["rev-list", "--left-right", "--count", &range])?;
        let mut n = counts.split_whitespace().map(|c| c.parse().unwrap_or(0));
        let (behind, ahead) = (n.next().unwrap_or(0), n.next().unwrap_or(0));
        let args = [
            "status",
            "--porcelain",
            "-z",
            "--no-renames",
            "--ignore-submodules=all",
        ];
        let dirty = run(&self.path, &args)?
            .split('\0')
            .filter(|l| l.get(2..3) == Some(" "))
            .count();
        Ok(Status {
            base,
            ahead,
            behind,
            dirty,
        })
    }

    /// `NAME  PATH  A ahead, B behind BASE, clean|N changed`.
    pub fn line(&self) -> String {
        let s = match self.status() {
            Ok(s) => {
                let dirty = match s.dirty {
                    0 => "clean".to_string(),
                    n => format!("{n} changed"),
                };
                format!("{} ahead, {} behind {}, {dirty}", s.ahead, s.behind, s.base)
            }
            Err(e) => e,
        };
        format!("{:<16} {}  {s}", self.name, self.path.display())
    }
}

/// The repository's mote worktrees, one line each.
pub fn listing(dir: &Path) -> Result<String, String> {
    let (_, trees) = list(dir)?;
    if trees.is_empty() {
        return Ok("no mote worktrees (mote --worktree NAME makes one)\n".into());
    }
    Ok(trees.iter().map(|t| t.line() + "\n").collect())
}

/// Remove worktree `name` and its branch; unless `force`, only when it
/// has no uncommitted change and no commit its base lacks.
pub fn remove(dir: &Path, name: &str, force: bool) -> Result<String, (u8, String)> {
    check_name(name).map_err(|e| (2, e))?;
    let (top, trees) = list(dir).map_err(|e| (1, e))?;
    let t = trees.iter().find(|t| t.name == name).ok_or_else(|| {
        (
            1,
            format!("no worktree {name} (mote worktree list shows them)"),
        )
    })?;
    if !force {
        let s = t.status().map_err(|e| (1, e))?;
        let why = match (s.dirty, s.ahead) {
            (0, 0) => None,
            (0, n) => Some(format!("{n} commit(s) not merged into {}", s.base)),
            (n, _) => Some(format!("{n} uncommitted change(s)")),
        };
        if let Some(why) = why {
            let msg = format!("worktree {name} has {why}; --force removes it anyway");
            return Err((REFUSED, msg));
        }
    }
    let p = &*t.path.to_string_lossy();
    let mut args = vec!["worktree", "remove"];
    if force {
        args.extend(["--force", "--force"]);
    }
    args.extend(["--", p]);
    run(&top, &args).map_err(|e| (1, e))?;
    let branch = format!("mote/{name}");
    run(&top, &["branch", "-D", &branch]).map_err(|e| (1, e))?;
    Ok(format!(
        "removed worktree {name} ({p}) and branch {branch}\n"
    ))
}

/// The mote worktree `root` is the top of, from its `.git` file and
/// HEAD (no git run): for the status line.
pub fn name_of(root: &Path) -> Option<String> {
    let link = std::fs::read_to_string(root.join(".git")).ok()?;
    let gitdir = root.join(link.strip_prefix("gitdir: ")?.trim_end());
    let head = std::fs::read_to_string(gitdir.join("HEAD")).ok()?;
    let name = head
        .strip_prefix("ref: ")?
        .trim_end()
        .strip_prefix(PREFIX)?;
    Some(name.to_string())
}

/// `mote worktree list` and `mote worktree rm NAME [--force]`, in `dir`.
pub fn main(args: &[String], dir: &Path) -> Result<String, (u8, String)> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["list"] => listing(dir).map_err(|e| (1, e)),
        ["rm", name] => remove(dir, name, false),
        ["rm", name, "--force"] | ["rm", "--force", name] => remove(dir, name, true),
        _ => Err((
            2,
            "usage: mote worktree list | mote worktree rm NAME [--force]".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check_name;

    #[test]
    fn names_are_plain_ref_parts() {
        for good in ["a", "fix-1", "v1.2_x", "A9"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-f",
            "--force",
            ".x",
            "a..b",
            "a/b",
            "/a",
            "a.lock",
            "a.",
            "a b",
            "a\nb",
            "a\x1bb",
            "a~1",
            "a^",
            "a:b",
            "a?",
            "a*",
            "a[",
            "a\\b",
            "a@{1}",
            "é",
            &"x".repeat(65),
        ] {
            let e = check_name(bad).unwrap_err();
            assert!(!e.contains('\n'), "{e}");
        }
    }
}

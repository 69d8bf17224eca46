//! Which paths a workspace-write command may write. Landlock rules only
//! add access and apply to whole subtrees, so the workspace root is not
//! granted as one: each of its entries is, except the ones that run
//! programs or change mote the next time something starts there
//! (`.mcp.json`, `.mote/`, `.claude/`) and, inside `.git/` or any folder git
//! would take for a repository, `config` and `hooks/`. A directory that
//! directly holds one of those is split the same way, a few levels down.
//! Symlinks are not granted (their targets are, where they are entries).
//! What remains: new files cannot be created directly in a split directory
//! (the root included; new directories can, and a later command may fill
//! them), and protected names deeper than DEPTH stay writable.

use std::path::{Path, PathBuf};

/// Never writable by a sandboxed command, wherever split.
const DENIED: &[&str] = &[".mcp.json", ".mote", ".claude"];
/// Inside a repository directory.
const REPO_DENIED: &[&str] = &["config", "hooks"];
/// How many directory levels are split at most.
const DEPTH: usize = 3;

/// What to grant under `root`: (path, whole) where `whole` means every
/// write right beneath it, and not whole means making directories only.
pub fn under(root: &Path) -> Vec<(PathBuf, bool)> {
    let mut out = vec![(root.to_path_buf(), false)];
    split(root, false, 0, &mut out);
    out
}

fn split(dir: &Path, repo: bool, depth: usize, out: &mut Vec<(PathBuf, bool)>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let path = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_symlink() || DENIED.contains(&name.as_ref()) {
            continue;
        }
        if repo && REPO_DENIED.contains(&name.as_ref()) {
            continue;
        }
        if ft.is_dir() && (name == ".git" || is_repo(&path)) {
            out.push((path.clone(), false));
            split(&path, true, depth + 1, out);
        } else if ft.is_dir() && depth + 1 < DEPTH && needs_split(&path) {
            out.push((path.clone(), false));
            split(&path, false, depth + 1, out);
        } else {
            out.push((path, true));
        }
    }
}

/// git's test for a repository directory: HEAD, objects/ and refs/.
fn is_repo(dir: &Path) -> bool {
    ["HEAD", "objects", "refs"]
        .iter()
        .all(|n| dir.join(n).symlink_metadata().is_ok())
}

/// A directory that directly holds something protected.
fn needs_split(dir: &Path) -> bool {
    DENIED
        .iter()
        .chain(&[".git"])
        .any(|n| dir.join(n).symlink_metadata().is_ok())
        || std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_type().is_ok_and(|t| t.is_dir()) && is_repo(&e.path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_entries_are_left_out() {
        let d = std::env::temp_dir().join(format!("mote-grants-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for sub in [
            ".git/hooks",
            ".git/objects",
            ".mote",
            "src",
            "sub/.git/refs",
            "evil/objects",
            "evil/refs",
        ] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        for f in [
            ".git/config",
            ".mcp.json",
            "README",
            "sub/.mcp.json",
            "sub/x",
            "evil/HEAD",
            "evil/config",
        ] {
            std::fs::write(d.join(f), "").unwrap();
        }
        std::os::unix::fs::symlink("/etc", d.join("link")).unwrap();
        let g = under(&d);
        let whole: Vec<String> = g
            .iter()
            .filter(|(_, w)| *w)
            .map(|(p, _)| p.strip_prefix(&d).unwrap().display().to_string())
            .collect();
        let mut whole = whole;
        whole.sort();
        assert_eq!(
            whole,
            [
                ".git/objects",
                "README",
                "evil/HEAD",
                "evil/objects",
                "evil/refs",
                "src",
                "sub/.git/refs",
                "sub/x"
            ]
        );
        let _ = std::fs::remove_dir_all(&d);
    }

    /// Build `paths` (a trailing `/` makes a directory) under a fresh dir.
    fn tree(name: &str, paths: &[&str]) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mote-grants-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for p in paths {
            let path = d.join(p.trim_end_matches('/'));
            if p.ends_with('/') {
                std::fs::create_dir_all(&path).unwrap();
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, "").unwrap();
            }
        }
        d
    }

    fn split_dirs(d: &Path) -> Vec<String> {
        let mut s: Vec<String> = under(d)
            .into_iter()
            .filter(|(_, whole)| !whole)
            .map(|(p, _)| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        s.sort();
        s
    }

    #[test]
    fn splitting_stops_at_depth_levels() {
        // .mote at every level: a and a/b are split, a/b/c (level 3) is
        // granted whole, .mote in it included (the stated limit); the same
        // count inside a .git directory.
        let d = tree(
            "depth",
            &[
                "a/.mote/",
                "a/b/.mote/",
                "a/b/c/.mote/",
                ".git/x/.mote/",
                ".git/x/y/.mote/",
            ],
        );
        assert_eq!(split_dirs(&d), ["", ".git", ".git/x", "a", "a/b"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_plain_subdirectory_does_not_split_its_parent() {
        // Only a repository below makes a directory split: src with a plain
        // subdirectory stays whole, so files can be made directly in it.
        let d = tree(
            "plain",
            &[
                "src/sub/",
                "src/f",
                "vendor/r/HEAD",
                "vendor/r/objects/",
                "vendor/r/refs/",
            ],
        );
        assert_eq!(split_dirs(&d), ["", "vendor", "vendor/r"]);
        let _ = std::fs::remove_dir_all(&d);
    }
}

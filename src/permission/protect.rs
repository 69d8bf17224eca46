//! The paths inside the workspace whose contents run programs or change
//! mote's own behaviour the next time something starts there: git's
//! internals (`.git/` at any depth, and any folder git would take for a
//! repository: `HEAD`, `objects/` and `refs/` side by side), mote's project
//! config (`.mote/` at any depth, `.mcp.json`) and Claude Code's (`.claude/`,
//! whose settings, agents and commands mote reads). The write and edit
//! tools ask before touching them, in every mode, unless an allow rule
//! names them.

use std::path::Path;

/// Components that make everything beneath them protected.
const DIRS: &[&str] = &[".git", ".mote", ".claude"];
/// File names protected wherever they are.
const FILES: &[&str] = &[".mcp.json"];
/// What makes a folder a repository to git (setup.c: is_git_directory).
const REPO: &[&str] = &["HEAD", "objects", "refs"];

/// Why writing `rel` (relative to `root`, symlink-free) is protected: the
/// name that a rule must mention to allow it. None if it is not.
pub fn protected(root: &Path, rel: &str) -> Option<String> {
    let parts: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
    if let Some(c) = parts.iter().find(|c| DIRS.contains(c) || FILES.contains(c)) {
        return Some(c.to_string());
    }
    // A folder that is (or this write makes) a repository: each ancestor,
    // counting the entry this write would create beneath it.
    let mut dir = root.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        let below = parts.get(i).copied();
        let repo = REPO
            .iter()
            .all(|n| below == Some(*n) || dir.join(n).symlink_metadata().is_ok());
        if repo {
            let name = parts.get(..i).map(|p| p.join("/")).unwrap_or_default();
            return Some(if name.is_empty() { ".".into() } else { name });
        }
        dir.push(part);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_repository_like_paths() {
        let d = std::env::temp_dir().join(format!("mote-protect-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for sub in [
            "evil/objects",
            "evil/refs",
            "half/objects",
            "half/refs",
            "src",
        ] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("evil/HEAD"), "ref: refs/heads/main\n").unwrap();
        for (rel, want) in [
            (".git/config", Some(".git")),
            ("sub/deep/.git/hooks/pre-commit", Some(".git")),
            ("sub/.mote/config.json", Some(".mote")),
            (".mcp.json", Some(".mcp.json")),
            ("a/.mcp.json", Some(".mcp.json")),
            (".claude/settings.local.json", Some(".claude")),
            ("evil/config", Some("evil")),
            ("evil/hooks/x", Some("evil")),
            // The write that completes a repository, and one that does not.
            ("half/HEAD", Some("half")),
            ("half/refs/heads/main", None),
            ("src/main.rs", None),
            ("mcp.json", None),
            ("gitconfig", None),
        ] {
            assert_eq!(protected(&d, rel), want.map(String::from), "{rel}");
        }
        // The workspace itself is a bare repository: everything is.
        std::fs::create_dir_all(d.join("refs")).unwrap();
        std::fs::create_dir_all(d.join("objects")).unwrap();
        assert_eq!(protected(&d, "HEAD"), Some(".".into()));
        let _ = std::fs::remove_dir_all(&d);
    }
}

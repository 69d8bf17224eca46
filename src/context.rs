//! Context files: the user's standing instructions for the agent, read
//! from AGENTS.md (CLAUDE.md where a directory has no AGENTS.md) in the
//! user config dir, the repository root and each directory from there down
//! to the working directory, in that order, so the nearest file comes last
//! and reads as the most specific. The total is capped (it is sent with
//! every request) and each file is named by a header line.

use std::io::Read;
use std::path::{Path, PathBuf};

/// Bytes of context files sent at most, headers included.
pub const CAP: usize = 32 * 1024;
const NAMES: [&str; 2] = ["AGENTS.md", "CLAUDE.md"];

pub struct Context {
    /// The text to append to the system prompt ("" when there is none).
    pub text: String,
    /// One line each for stderr: unreadable files.
    pub warnings: Vec<String>,
}

/// The nearest ancestor of `cwd` (itself included) holding `.git`.
pub fn repo_root(cwd: &Path) -> Option<&Path> {
    cwd.ancestors().find(|d| d.join(".git").exists())
}

/// The directories searched, in order: `user` (the config dir), then the
/// repository root down to `cwd` (just `cwd` outside a repository).
pub fn dirs(cwd: &Path, user: Option<&Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = user.map(Path::to_path_buf).into_iter().collect();
    let root = repo_root(cwd).unwrap_or(cwd);
    let mut chain: Vec<&Path> = cwd
        .ancestors()
        .take_while(|d| d.starts_with(root))
        .collect();
    chain.reverse();
    for d in chain {
        if !out.iter().any(|o| o == d) {
            out.push(d.to_path_buf());
        }
    }
    out
}

/// The context files a session in `cwd` reads, in order (`/memory`).
pub fn files(cwd: &Path, user: Option<&Path>) -> Vec<PathBuf> {
    let mut quiet = Vec::new();
    dirs(cwd, user)
        .iter()
        .filter_map(|d| open_first(d, &mut quiet).map(|(p, _)| p))
        .collect()
}

/// Read the context files for a session in `cwd`.
pub fn load(cwd: &Path, user: Option<&Path>) -> Context {
    let mut cx = Context {
        text: String::new(),
        warnings: Vec::new(),
    };
    let mut omitted: Vec<String> = Vec::new();
    for dir in dirs(cwd, user) {
        let Some((path, file)) = open_first(&dir, &mut cx.warnings) else {
            continue;
        };
        let header = format!("## {}\n\n", path.display());
        let room = CAP.saturating_sub(cx.text.len() + header.len() + 2);
        if !omitted.is_empty() || room == 0 {
            omitted.push(path.display().to_string());
            continue;
        }
        // Read one byte past the room, so a cut is known without reading it all.
        let mut bytes = Vec::new();
        if let Err(e) = file.take(room as u64 + 1).read_to_end(&mut bytes) {
            cx.warnings.push(format!("{}: {e}", path.display()));
            continue;
        }
        let body = String::from_utf8_lossy(&bytes);
        let cut = body.len() > room;
        let keep = crate::text::floor_char(&body, room);
        cx.text.push_str(&header);
        cx.text.push_str(body.get(..keep).unwrap_or(""));
        if !cx.text.ends_with('\n') {
            cx.text.push('\n');
        }
        cx.text.push('\n');
        if cut {
            omitted.push(format!("the rest of {}", path.display()));
        }
    }
    if !omitted.is_empty() {
        cx.text.push_str(&format!(
            "[context files cut at {} KB; not included: {}]\n",
            CAP / 1024,
            omitted.join(", ")
        ));
    }
    cx
}

/// AGENTS.md in `dir`, else CLAUDE.md; a file that exists but cannot be
/// opened is a warning, not a silent gap.
fn open_first(dir: &Path, warnings: &mut Vec<String>) -> Option<(PathBuf, std::fs::File)> {
    for name in NAMES {
        let path = dir.join(name);
        match std::fs::File::open(&path) {
            Ok(f) if f.metadata().is_ok_and(|m| m.is_file()) => return Some((path, f)),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => warnings.push(format!("{}: {e}", path.display())),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mote-ctx-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("user")).unwrap();
        std::fs::create_dir_all(d.join("repo/.git")).unwrap();
        std::fs::create_dir_all(d.join("repo/a/b")).unwrap();
        d
    }

    #[test]
    fn user_then_root_down_to_cwd_with_claude_fallback() {
        let d = tmp("order");
        std::fs::write(d.join("user/AGENTS.md"), "user rules").unwrap();
        std::fs::write(d.join("repo/AGENTS.md"), "root rules\n").unwrap();
        std::fs::write(d.join("repo/CLAUDE.md"), "ignored: AGENTS.md wins").unwrap();
        std::fs::write(d.join("repo/a/b/CLAUDE.md"), "leaf rules").unwrap();
        std::fs::write(d.join("AGENTS.md"), "above the repo: not read").unwrap();
        let cx = load(&d.join("repo/a/b"), Some(&d.join("user")));
        let want = format!(
            "## {u}\n\nuser rules\n\n## {r}\n\nroot rules\n\n## {l}\n\nleaf rules\n\n",
            u = d.join("user/AGENTS.md").display(),
            r = d.join("repo/AGENTS.md").display(),
            l = d.join("repo/a/b/CLAUDE.md").display()
        );
        assert_eq!(cx.text, want);
        assert!(cx.warnings.is_empty());
        // Outside a repository only the cwd is searched.
        assert_eq!(dirs(&d.join("user"), None), vec![d.join("user")]);
    }

    #[test]
    fn the_total_is_capped_with_a_note() {
        let d = tmp("cap");
        std::fs::write(d.join("repo/AGENTS.md"), "é".repeat(CAP)).unwrap();
        std::fs::write(d.join("repo/a/AGENTS.md"), "never fits").unwrap();
        let cx = load(&d.join("repo/a"), None);
        let note = cx.text.rfind("[context files cut at 32 KB").unwrap();
        assert!(note <= CAP + 2, "{note}");
        assert!(
            cx.text.ends_with(&format!(
                "not included: the rest of {}, {}]\n",
                d.join("repo/AGENTS.md").display(),
                d.join("repo/a/AGENTS.md").display()
            )),
            "{}",
            &cx.text[note..]
        );
        assert!(!cx.text.contains("never fits"));
    }
}

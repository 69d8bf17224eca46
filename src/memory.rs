//! Memory: the instruction files a session reads (`/memory` lists them
//! with their sizes) and `/remember TEXT`, which appends `- TEXT` under
//! the `## Notes` heading of the project's AGENTS.md, so what the model
//! should know next time is plain text in the repository. The TUI, the
//! editor (ACP) and `-p "/remember ..."` share this file.

use std::path::{Path, PathBuf};

use crate::skills::Skill;

/// The heading notes go under.
const HEADING: &str = "## Notes";

/// The instruction files in effect for a session in `cwd`: the context
/// files (src/context.rs, in the order they are sent) and the `skills`'
/// SKILL.md files, with their sizes in bytes.
pub fn files(cwd: &Path, user: Option<&Path>, skills: &[Skill]) -> Vec<(PathBuf, u64)> {
    crate::context::files(cwd, user)
        .into_iter()
        .chain(skills.iter().map(|k| k.dir.join("SKILL.md")))
        .map(|p| {
            let size = std::fs::metadata(&p).map_or(0, |m| m.len());
            (p, size)
        })
        .collect()
}

/// `/memory`'s listing: one numbered line per file.
pub fn listing(files: &[(PathBuf, u64)]) -> String {
    if files.is_empty() {
        return "no instruction files (AGENTS.md, CLAUDE.md, skills); /remember TEXT starts AGENTS.md\n".into();
    }
    let mut s = String::new();
    for (i, (p, size)) in files.iter().enumerate() {
        s.push_str(&format!("{:>3}. {} ({size} bytes)\n", i + 1, p.display()));
    }
    s.push_str("/memory N opens one in $VISUAL or $EDITOR\n");
    s
}

/// Where `/remember` writes for a session in `cwd`: the repository root
/// (the working directory outside one), and AGENTS.md there, or the
/// CLAUDE.md there when only that exists (a new AGENTS.md would hide it).
fn target(cwd: &Path) -> (&Path, &'static str) {
    let dir = crate::context::repo_root(cwd).unwrap_or(cwd);
    match !dir.join("AGENTS.md").exists() && dir.join("CLAUDE.md").is_file() {
        true => (dir, "CLAUDE.md"),
        false => (dir, "AGENTS.md"),
    }
}

/// Append `- TEXT` to the project's notes (see `target`), written
/// atomically; what was done, for the user, or why not.
pub fn remember(cwd: &Path, text: &str) -> Result<String, String> {
    let note = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if note.is_empty() {
        return Err("/remember needs the text to remember: /remember TEXT".into());
    }
    let (dir, name) = target(cwd);
    let path = dir.join(name);
    let fail = |e: String| format!("/remember: {}: {e}", path.display());
    let ws = crate::workspace::Workspace::new(dir).map_err(|e| fail(e.to_string()))?;
    let real = ws.resolve(name).map_err(fail)?;
    let old = match std::fs::read_to_string(&real) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        r => r.map_err(|e| fail(e.to_string()))?,
    };
    crate::tool::write::atomic_write(&ws, &real, add_note(&old, &note).as_bytes(), false)
        .map_err(fail)?;
    Ok(format!(
        "added `- {note}` under {HEADING} in {}",
        path.display()
    ))
}

/// `doc` with `- note` at the end of its `## Notes` section (before the
/// next heading of level 1 or 2, fenced code skipped), or a new section
/// at its end.
pub fn add_note(doc: &str, note: &str) -> String {
    let bullet = format!("- {note}\n");
    let mut fence = false;
    let mut section: Option<usize> = None;
    // Byte offset just past the section's last non-blank line.
    let mut end = 0;
    let mut at = 0;
    for line in doc.split_inclusive('\n') {
        let l = line.trim_end();
        let heading = !fence && (l.starts_with("# ") || l.starts_with("## ") || l == "#");
        if l.trim_start().starts_with("```") {
            fence = !fence;
        }
        match section {
            None if !fence && l == HEADING => {
                section = Some(at);
                end = at + line.len();
            }
            Some(_) if heading => break,
            Some(_) if !l.trim().is_empty() => end = at + line.len(),
            _ => {}
        }
        at += line.len();
    }
    let mut out = String::with_capacity(doc.len() + bullet.len() + 16);
    match section {
        Some(_) => {
            let (head, tail) = doc.split_at(end.min(doc.len()));
            out.push_str(head);
            if !head.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&bullet);
            out.push_str(tail);
        }
        None => {
            out.push_str(doc);
            if !doc.is_empty() {
                out.push_str(if doc.ends_with('\n') { "\n" } else { "\n\n" });
            }
            out.push_str(&format!("{HEADING}\n\n{bullet}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_go_under_their_heading() {
        assert_eq!(add_note("", "a"), "## Notes\n\n- a\n");
        assert_eq!(add_note("# T\nx", "a"), "# T\nx\n\n## Notes\n\n- a\n");
        assert_eq!(
            add_note("# T\n\n## Notes\n\n- a\n\n## Build\n\nmake\n", "b"),
            "# T\n\n## Notes\n\n- a\n- b\n\n## Build\n\nmake\n"
        );
        // A heading inside fenced code is text; a level-3 heading stays in.
        assert_eq!(
            add_note(
                "## Notes\n- a\n```\n## Notes\n```\n### Sub\n- s\n# End\n",
                "b"
            ),
            "## Notes\n- a\n```\n## Notes\n```\n### Sub\n- s\n- b\n# End\n"
        );
        assert_eq!(add_note("## Notes", "b"), "## Notes\n- b\n");
        // `## Notes` only in fenced code: a new section.
        assert_eq!(
            add_note("```\n## Notes\n```\n", "b"),
            "```\n## Notes\n```\n\n## Notes\n\n- b\n"
        );
    }
}

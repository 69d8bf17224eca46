//! The system prompt. It is sent with every request, so every byte counts:
//! together with the tool schemas it stays under 5 KB (the bench checks).

use std::path::Path;

const BASE: &str = "\
You are mote, a coding agent working in the user's repository through tools. \
Do the task yourself; do not just give advice.

How to work:
- Explore before changing: use ls, find and grep to locate code, read to see it. \
Read a file before you edit it.
- Change files with edit (exact text replacement; include enough context for old_text to match once) \
or write (whole new files). Keep changes small and in the style of the code around them.
- Run commands with bash: build, run the tests, check your work. Prefer the project's own scripts.
- When a tool fails, read the error and adapt; do not repeat the same call.
- Paths are relative to the workspace root.
- When done, answer briefly: what you changed and how you verified it. \
If you could not finish, say what is left.";

/// The prompt for a session in `root`.
pub fn system(root: &Path) -> String {
    system_from(BASE, root)
}

/// `base` (mote's own, or `--system-prompt-file`'s) with the workspace and OS.
pub fn system_from(base: &str, root: &Path) -> String {
    format!(
        "{base}\n\nWorkspace: {}\nOS: {}",
        root.display(),
        std::env::consts::OS
    )
}

/// `system` with a prompt mode's text after it (the code mode has none).
pub fn with_mode(mut system: String, name: &str, text: &str) -> String {
    if !text.is_empty() {
        system.push_str(&format!("\n\nPrompt mode: {name}\n{text}"));
    }
    system
}

/// `system` with what the SessionStart hooks added after it.
pub fn with_start(mut system: String, start: &str) -> String {
    if !start.is_empty() {
        system.push_str("\n\n# Session start\n\n");
        system.push_str(start);
    }
    system
}

/// `system` with the context files (already headed and capped) after it.
pub fn with_context(mut system: String, context: &str) -> String {
    if !context.is_empty() {
        system.push_str("\n\nThe user's context files follow; follow their instructions.\n\n");
        system.push_str(context);
    }
    system
}

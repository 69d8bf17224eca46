//! Long input: Ctrl-G hands the input to `$VISUAL` (else `$EDITOR`, else
//! vi) in a private temp file and takes back what was saved; a paste of
//! more than `FOLD_LINES` lines shows as `[pasted N lines]` in the input
//! and is put back whole when the input is sent.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;

use super::term;

/// Pastes longer than this many lines are shown folded.
pub const FOLD_LINES: usize = 10;

/// Edit `text` in the user's editor: the saved text, or why not (the
/// input is then kept as it was). The terminal is cooked meanwhile.
pub fn external(text: &str) -> Result<String, String> {
    let path = std::env::temp_dir().join(format!("mote-input-{}.md", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("cannot make {}: {e}", path.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    drop(f);
    let edited = edit(&path, true).map(|_| std::fs::read(&path));
    let _ = std::fs::remove_file(&path);
    let got = edited
        .map_err(|e| format!("{e}; the input is unchanged"))?
        .map_err(|e| format!("cannot read the edited input: {e}"))?;
    let got = String::from_utf8_lossy(&got);
    Ok(got.strip_suffix('\n').unwrap_or(&got).to_string())
}

/// Open `path` in `$VISUAL` (else `$EDITOR`, else vi) and wait for it.
/// `raw`: the terminal is in raw mode; it is cooked for the editor and
/// made raw again after. `/memory N` opens instruction files this way.
pub fn edit(path: &std::path::Path, raw: bool) -> Result<(), String> {
    let var = |k| {
        std::env::var(k)
            .ok()
            .filter(|v: &String| !v.trim().is_empty())
    };
    let editor = var("VISUAL")
        .or_else(|| var("EDITOR"))
        .unwrap_or_else(|| "vi".into());
    if raw {
        term::restore();
    }
    // The editor gets the keys; mote ignores Ctrl-C until it is back.
    // SAFETY: signal(2) with constant handlers; the child resets its own
    // before exec (pre_exec runs only async-signal-safe calls).
    let old = unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    let status = unsafe {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(path)
            .pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                Ok(())
            })
            .status()
    };
    // SAFETY: as above.
    unsafe { libc::signal(libc::SIGINT, old) };
    if raw {
        term::enter_raw().map_err(|e| format!("cannot set up the terminal again: {e}"))?;
    }
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("`{editor}` failed ({s})")),
        Err(e) => Err(format!("cannot run `{editor}`: {e}")),
    }
}

/// The input as sent: each folded paste's label (in `pastes`, in the
/// order they were pasted) replaced by its text; a label the user
/// deleted takes nothing with it.
pub fn unfold(mut line: String, pastes: &mut Vec<(String, String)>) -> String {
    for (label, text) in pastes.drain(..) {
        if let Some(i) = line.find(&label) {
            line.replace_range(i..i + label.len(), &text);
        }
    }
    line
}

/// The label for a paste of `text`, if it is long enough to fold.
pub fn label(text: &str) -> Option<String> {
    let n = text.trim_end_matches('\n').lines().count();
    (n > FOLD_LINES).then(|| format!("[pasted {n} lines]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_and_unfolds() {
        assert_eq!(label("a\nb\n"), None);
        let long: String = (0..12).map(|i| format!("l{i}\n")).collect();
        let l = label(&long).unwrap();
        assert_eq!(l, "[pasted 12 lines]");
        let mut pastes = vec![(l.clone(), long.clone())];
        assert_eq!(
            unfold(format!("see {l} ok"), &mut pastes),
            format!("see {long} ok")
        );
        assert!(pastes.is_empty());
    }
}

//! The `write` tool, and `atomic_write`, the one way any tool replaces a
//! file: the new bytes go to a temp file in the same directory, are synced,
//! and are renamed over the target, so a crash or a full disk never leaves
//! a half-written file. `edit` writes through it too.

use super::{Effect, Tool};
use crate::json::Args;
use crate::workspace::Workspace;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

pub const TOOL: Tool = Tool {
    name: "write",
    description: "Create or overwrite a file with the given content; parent directories are created. Prefer edit for changes to existing files.",
    params: r#"{"type":"object","properties":{"path":{"type":"string","description":"File path"},"content":{"type":"string","description":"The complete new file content"}},"required":["path","content"]}"#,
    effect: Effect::Write,
    run,
};

fn run(args: &Args, ws: &Workspace) -> Result<String, String> {
    let rel = args.str("path")?;
    let content = args.str("content")?;
    let path = ws.resolve(rel)?;
    let shown = ws.display(&path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create directory for {shown}: {e}"))?;
    }
    let existed = atomic_write(&path, content.as_bytes())
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    let what = if existed {
        "overwrote existing file"
    } else {
        "new file"
    };
    Ok(format!(
        "Wrote {} lines ({} bytes) to {shown} ({what})",
        count_lines(content.as_bytes()),
        content.len()
    ))
}

/// Lines in `data`, counting a last line without a newline.
pub fn count_lines(data: &[u8]) -> usize {
    let n = data.iter().filter(|&&b| b == b'\n').count();
    n + usize::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// Replace `path` with `data` atomically, keeping the permission mode of an
/// existing file (a new one gets the default, 0666 less the umask). Returns
/// whether the file existed. `path` should already be symlink-free
/// (`Workspace::resolve` canonicalizes it), so links are written through.
pub fn atomic_write(path: &Path, data: &[u8]) -> Result<bool, String> {
    let old_mode = match fs::metadata(path) {
        Ok(m) if m.is_dir() => return Err("it is a directory".into()),
        Ok(m) if !m.is_file() => return Err("it is not a regular file".into()),
        Ok(m) => Some(m.permissions().mode() & 0o7777),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e.to_string()),
    };
    let dir = path.parent().ok_or("path has no parent directory")?;
    let name = path
        .file_name()
        .ok_or("path has no file name")?
        .to_string_lossy();
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.mote-tmp-{}-{seq}", std::process::id()));
    let result = write_synced(&tmp, data, old_mode).and_then(|_| fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e.to_string());
    }
    // Make the rename itself durable; failing here loses nothing visible.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(old_mode.is_some())
}

fn write_synced(tmp: &Path, data: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode.unwrap_or(0o666))
        .open(tmp)?;
    if let Some(m) = mode {
        // The umask may have narrowed it at creation; restore it exactly.
        f.set_permissions(fs::Permissions::from_mode(m))?;
    }
    f.write_all(data)?;
    f.sync_all()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::json::write::quote;
    use std::path::PathBuf;

    /// A fresh, empty workspace in the temp directory.
    pub(crate) fn tmp_ws(name: &str) -> (PathBuf, Workspace) {
        let d = std::env::temp_dir().join(format!("mote-tool-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let ws = Workspace::new(&d).unwrap();
        (ws.root.clone(), ws)
    }

    /// Arguments built from (key, string value) pairs.
    pub(crate) fn args(pairs: &[(&str, &str)]) -> Args {
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}:{}", quote(k), quote(v)))
            .collect();
        Args::parse(&format!("{{{}}}", body.join(","))).unwrap()
    }

    #[test]
    fn creates_with_parents_and_reports() {
        let (d, ws) = tmp_ws("write-new");
        let out = run(
            &args(&[("path", "a/b/c.txt"), ("content", "one\ntwo\n")]),
            &ws,
        )
        .unwrap();
        assert_eq!(out, "Wrote 2 lines (8 bytes) to a/b/c.txt (new file)");
        assert_eq!(fs::read(d.join("a/b/c.txt")).unwrap(), b"one\ntwo\n");
        // A new file gets the default mode: not executable, owner can read and write.
        let mode = fs::metadata(d.join("a/b/c.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o711, 0o600, "{mode:o}");
        let out = run(&args(&[("path", "a/b/c.txt"), ("content", "x")]), &ws).unwrap();
        assert!(out.contains("overwrote"), "{out}");
        assert_eq!(fs::read(d.join("a/b/c.txt")).unwrap(), b"x");
        // No temp files are left behind.
        assert_eq!(fs::read_dir(d.join("a/b")).unwrap().count(), 1);
    }

    #[test]
    fn keeps_mode_of_existing_file() {
        let (d, ws) = tmp_ws("write-mode");
        let f = d.join("run.sh");
        fs::write(&f, "old").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o751)).unwrap();
        run(
            &args(&[("path", "run.sh"), ("content", "#!/bin/sh\n")]),
            &ws,
        )
        .unwrap();
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o7777,
            0o751
        );
        assert_eq!(fs::read_to_string(&f).unwrap(), "#!/bin/sh\n");
    }

    #[test]
    fn writes_through_symlink_inside_workspace() {
        let (d, ws) = tmp_ws("write-link");
        fs::write(d.join("real.txt"), "old").unwrap();
        std::os::unix::fs::symlink("real.txt", d.join("link.txt")).unwrap();
        run(&args(&[("path", "link.txt"), ("content", "new")]), &ws).unwrap();
        assert_eq!(fs::read_to_string(d.join("real.txt")).unwrap(), "new");
        assert!(fs::symlink_metadata(d.join("link.txt"))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn refuses_escape_and_directories() {
        let (d, ws) = tmp_ws("write-escape");
        let err = run(&args(&[("path", "../x"), ("content", "y")]), &ws).unwrap_err();
        assert!(err.contains("outside the workspace"), "{err}");
        fs::create_dir(d.join("sub")).unwrap();
        let err = run(&args(&[("path", "sub"), ("content", "y")]), &ws).unwrap_err();
        assert!(err.contains("directory"), "{err}");
        assert!(run(&args(&[("path", "f")]), &ws)
            .unwrap_err()
            .contains("content"));
    }
}

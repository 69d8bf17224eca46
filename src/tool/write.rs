//! The `write` tool, and `atomic_write`, the one way any tool replaces a
//! file: the new bytes go to a temp file in the same directory, are synced,
//! and are renamed over the target, so a crash or a full disk never leaves
//! a half-written file. `edit` writes through it too.

use super::{arg_or, beneath, Effect, Preview, Target, Tool, ToolCtx};
use crate::json::Args;
use crate::workspace::Workspace;
use std::ffi::CString;
use std::fs;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

pub const TOOL: Tool = Tool {
    name: "write",
    description: "Create or overwrite a file with the given content; parent directories are created. Prefer edit for changes to existing files.",
    params: r#"{"type":"object","properties":{"path":{"type":"string","description":"File path"},"content":{"type":"string","description":"The complete new file content"}},"required":["path","content"]}"#,
    effect: Effect::Write,
    target: Target::Path("path"),
    title: |a| format!("Write {}", arg_or(a, "path", ".")),
    preview: Preview::Content("content"),
    run,
    attach: None,
};

fn run(args: &Args, ws: &ToolCtx) -> Result<String, String> {
    let rel = args.str("path")?;
    let content = args.str("content")?;
    let path = ws.resolve(rel)?;
    let shown = ws.display(&path);
    let existed = replace(ws, &path, content.as_bytes(), true)
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
/// whether the file existed. `path` must be symlink-free
/// (`Workspace::resolve` canonicalizes it); every step is taken from a
/// directory descriptor without following a symlink (beneath.rs), so a
/// swap made meanwhile fails the write instead of redirecting it.
/// `create` makes missing parent directories.
pub fn atomic_write(
    ws: &Workspace,
    path: &Path,
    data: &[u8],
    create: bool,
) -> Result<bool, String> {
    let (dir, name) = beneath::parent(ws, path, create).map_err(|e| e.to_string())?;
    let old_mode = existing_mode(&dir, &name)?;
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let mut tmp_name = b".".to_vec();
    tmp_name.extend_from_slice(name.as_bytes());
    tmp_name.extend_from_slice(format!(".mote-tmp-{}-{seq}", std::process::id()).as_bytes());
    let tmp = CString::new(tmp_name).map_err(|e| e.to_string())?;
    let result =
        write_synced(&dir, &tmp, data, old_mode).and_then(|_| beneath::rename(&dir, &tmp, &name));
    if let Err(e) = result {
        beneath::unlink(&dir, &tmp);
        return Err(e.to_string());
    }
    // Make the rename itself durable; failing here loses nothing visible.
    // SAFETY: a directory descriptor we own.
    unsafe { libc::fsync(dir.as_raw_fd()) };
    Ok(old_mode.is_some())
}

/// The permission bits of the regular file `name` in `dir`, `None` when
/// there is none; a directory or a special file is an error.
fn existing_mode(dir: &OwnedFd, name: &CString) -> Result<Option<u32>, String> {
    match beneath::stat(dir, name) {
        Ok(st) if st.st_mode & libc::S_IFMT == libc::S_IFDIR => Err("it is a directory".into()),
        Ok(st) if st.st_mode & libc::S_IFMT != libc::S_IFREG => {
            Err("it is not a regular file".into())
        }
        Ok(st) => Ok(Some(st.st_mode & 0o7777)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Replace `path` with `data` as a tool does: through the editor when it
/// takes writes (text only), after the same confined checks as on disk
/// (parents made when `create`; a regular file or none), else with
/// `atomic_write`. Returns whether the file existed.
pub fn replace(cx: &ToolCtx, path: &Path, data: &[u8], create: bool) -> Result<bool, String> {
    if let (Some(b), Ok(text)) = (cx.buffers, std::str::from_utf8(data)) {
        let (dir, name) = beneath::parent(cx, path, create).map_err(|e| e.to_string())?;
        let existed = existing_mode(&dir, &name)?.is_some();
        if let Some(done) = b.write(path, text) {
            return done.map(|()| existed);
        }
    }
    atomic_write(cx, path, data, create)
}

fn write_synced(
    dir: &OwnedFd,
    tmp: &CString,
    data: &[u8],
    mode: Option<u32>,
) -> std::io::Result<()> {
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL;
    let mut f = beneath::open_file(dir, tmp, flags, mode.unwrap_or(0o666))?;
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
    pub(crate) fn tmp_ws(name: &str) -> (PathBuf, ToolCtx<'static>) {
        let d = std::env::temp_dir().join(format!("mote-tool-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        let ws = crate::tool::test_ctx(&d);
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
    fn counts_a_last_line_without_newline() {
        assert_eq!(count_lines(b""), 0);
        assert_eq!(count_lines(b"a"), 1);
        assert_eq!(count_lines(b"a\nb"), 2);
        assert_eq!(count_lines(b"a\nb\n"), 2);
        let (_, ws) = tmp_ws("write-count");
        let out = run(&args(&[("path", "n.txt"), ("content", "x\ny")]), &ws).unwrap();
        assert_eq!(out, "Wrote 2 lines (3 bytes) to n.txt (new file)");
    }

    #[test]
    fn refuses_a_fifo_and_leaves_it() {
        let (d, ws) = tmp_ws("write-fifo");
        let fifo = CString::new(d.join("p").into_os_string().into_encoded_bytes()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let err = run(&args(&[("path", "p"), ("content", "y")]), &ws).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
        let kind = fs::symlink_metadata(d.join("p")).unwrap().file_type();
        assert!(std::os::unix::fs::FileTypeExt::is_fifo(&kind));
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1, "no temp file left");
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

//! What a headless run's task is made of: `-p TEXT`, `-p -` (the prompt on
//! stdin), `-p @FILE` (the prompt in a file), and input piped on stdin
//! beside `-p TEXT`, appended as a fenced block. Piped input over
//! `PIPED_CAP` is streamed to a temp file (`$TMPDIR/mote-stdin-N.txt`, the
//! first free N, kept after the run) that the prompt names; the run adds a
//! read rule for it. It is never held in memory whole. Binary input is
//! refused.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// Piped input up to this size goes into the prompt; more goes to a file.
pub const PIPED_CAP: usize = 256 * 1024;

pub struct Task {
    pub text: String,
    /// The file holding piped input too large for the prompt.
    pub spill_file: Option<PathBuf>,
}

/// Whether stdin is a pipe or a regular file: a terminal, /dev/null or a
/// socket carry no input to read.
pub fn stdin_is_input() -> bool {
    // SAFETY: fstat fills the zeroed struct; fd 0 may be closed (then false).
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(0, &mut st) } != 0 {
        return false;
    }
    let kind = st.st_mode & libc::S_IFMT;
    kind == libc::S_IFIFO || kind == libc::S_IFREG
}

/// The task from `-p` (if given) and stdin (when `stdin_is_input`).
pub fn task(p: Option<&str>) -> Result<Task, String> {
    let piped = stdin_is_input();
    let plain = |text: String| Task {
        text,
        spill_file: None,
    };
    if let Some(path) = p.and_then(|p| p.strip_prefix('@')) {
        let bytes = std::fs::read(path).map_err(|e| format!("-p @{path}: cannot read it: {e}"))?;
        return text_of(bytes, &format!("-p @{path}")).map(plain);
    }
    match p {
        Some("-") => {
            let (text, _) = read_capped(&mut std::io::stdin().lock(), PIPED_CAP)?;
            text.map(plain).ok_or_else(|| {
                format!(
                    "the prompt on stdin (-p -) is over {} KB; pipe it beside a -p prompt instead",
                    PIPED_CAP / 1024
                )
            })
        }
        Some(p) if piped => with_piped(p),
        Some(p) => Ok(plain(p.to_string())),
        None if piped => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("reading the prompt from stdin: {e}"))?;
            text_of(bytes, "stdin").map(plain)
        }
        None => Ok(plain(String::new())),
    }
}

/// `prompt` with what stdin carries appended: as a fenced block, or, over
/// the cap, as the name and size of the file it was saved to.
fn with_piped(prompt: &str) -> Result<Task, String> {
    let mut stdin = std::io::stdin().lock();
    let (text, head) = read_capped(&mut stdin, PIPED_CAP)?;
    let mut out = prompt.to_string();
    match text {
        Some(t) if t.is_empty() => Ok(Task {
            text: out,
            spill_file: None,
        }),
        Some(t) => {
            let fence = "`".repeat(longest_run(&t, '`').max(2) + 1);
            out.push_str(&format!(
                "\n\nInput piped on stdin ({} bytes):\n{fence}\n{t}",
                t.len()
            ));
            if !t.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&fence);
            Ok(Task {
                text: out,
                spill_file: None,
            })
        }
        None => {
            let (file, size) = spill(&head, &mut stdin)?;
            out.push_str(&format!(
                "\n\nInput piped on stdin ({size} bytes, too large for this message) is saved in {}; read it in parts with the read tool (offset and limit).",
                file.display()
            ));
            Ok(Task {
                text: out,
                spill_file: Some(file),
            })
        }
    }
}

/// Up to `cap` bytes of `r` as text, or `None` (with the bytes read so far)
/// when there is more.
fn read_capped(r: &mut impl Read, cap: usize) -> Result<(Option<String>, Vec<u8>), String> {
    let mut buf = Vec::new();
    r.take(cap as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("reading stdin: {e}"))?;
    if buf.len() > cap {
        if let Some(at) = buf.iter().position(|&b| b == 0) {
            return Err(binary("stdin", at));
        }
        return Ok((None, buf));
    }
    text_of(buf, "stdin").map(|t| (Some(t), Vec::new()))
}

/// Write `head` and the rest of `r` to a new `$TMPDIR/mote-stdin-N.txt`;
/// its path and size.
fn spill(head: &[u8], r: &mut impl Read) -> Result<(PathBuf, u64), String> {
    let tmp = std::env::temp_dir();
    let (mut f, file) = (1..1000)
        .find_map(|n| {
            let p = tmp.join(format!("mote-stdin-{n}.txt"));
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&p);
            f.ok().map(|f| (f, p))
        })
        .ok_or_else(|| {
            format!(
                "saving stdin: no free mote-stdin-N.txt in {}",
                tmp.display()
            )
        })?;
    let fail = |e: std::io::Error| format!("saving stdin to {}: {e}", file.display());
    f.write_all(head).map_err(fail)?;
    let mut size = head.len() as u64;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r
            .read(&mut buf)
            .map_err(|e| format!("reading stdin: {e}"))?;
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
            break;
        };
        if let Some(at) = chunk.iter().position(|&b| b == 0) {
            let _ = std::fs::remove_file(&file);
            return Err(binary("stdin", size as usize + at));
        }
        f.write_all(chunk).map_err(fail)?;
        size += n as u64;
    }
    Ok((file, size))
}

fn text_of(bytes: Vec<u8>, what: &str) -> Result<String, String> {
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(binary(what, at));
    }
    String::from_utf8(bytes).map_err(|e| binary(what, e.utf8_error().valid_up_to()))
}

fn binary(what: &str, at: usize) -> String {
    format!("{what} is binary (not UTF-8 text at byte {at}); mote takes text input only")
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for ch in s.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fence_is_longer_than_any_backtick_run_inside() {
        assert_eq!(longest_run("a ``` b `` c", '`'), 3);
        assert_eq!(longest_run("none", '`'), 0);
    }

    #[test]
    fn capped_reads_say_when_there_is_more_and_refuse_binary() {
        let (t, _) = read_capped(&mut &b"hello"[..], 5).unwrap();
        assert_eq!(t.as_deref(), Some("hello"));
        let (t, head) = read_capped(&mut &b"hello!"[..], 5).unwrap();
        assert!(t.is_none() && head == b"hello!");
        assert!(read_capped(&mut &b"a\0b"[..], 5)
            .unwrap_err()
            .contains("binary"));
        assert!(read_capped(&mut &b"\xff\xfe"[..], 5)
            .unwrap_err()
            .contains("binary"));
    }
}

//! The `read` tool: a window of a text file's lines. It streams the file
//! and stops at the shared caps (2000 lines, 50 KB), so a huge file or one
//! enormous line costs no more memory than the window shown.

use super::truncate::{floor_char, MAX_BYTES, MAX_LINES};
use super::{Effect, Preview, Target, Tool, ToolCtx};
use crate::json::Args;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

pub const TOOL: Tool = Tool {
    name: "read",
    description: "Read a text file's raw lines. At most 2000 lines or 50 KB per call; page through longer files with offset and limit.",
    params: r#"{"type":"object","properties":{"path":{"type":"string","description":"File path"},"offset":{"type":"integer","description":"First line, 1-based (default 1)"},"limit":{"type":"integer","description":"Max lines (default 2000)"}},"required":["path"]}"#,
    effect: Effect::Read,
    target: Target::Path("path"),
    title,
    preview: Preview::Args,
    run,
    attach: Some(attach),
};

/// Bytes checked for NUL to call a file binary.
const SNIFF: u64 = 8192;
/// Files up to this size get an exact line count in the continue note.
const COUNT_UP_TO: u64 = 8 << 20;

/// "Read PATH", with the lines asked for: "Read src/main.rs:10-59".
fn title(a: &Args) -> String {
    let p = super::arg_or(a, "path", ".");
    let from = a.opt_u64("offset").ok().flatten();
    let n = a.opt_u64("limit").ok().flatten();
    match (from, n) {
        (Some(f), Some(n)) => format!("Read {p}:{f}-{}", f + n.saturating_sub(1)),
        (Some(f), None) => format!("Read {p}:{f}-"),
        (None, Some(n)) => format!("Read {p}:1-{n}"),
        (None, None) => format!("Read {p}"),
    }
}

fn run(args: &Args, ws: &ToolCtx) -> Result<String, String> {
    let rel = args.str("path")?;
    let offset = args.opt_u64("offset")?.unwrap_or(1).max(1);
    let limit = match args.opt_u64("limit")? {
        Some(0) => return Err("`limit` must be at least 1".into()),
        Some(n) => n.min(MAX_LINES as u64) as usize,
        None => MAX_LINES,
    };
    let path = ws.resolve(rel)?;
    let shown = ws.display(&path);
    let meta = std::fs::metadata(&path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if meta.is_dir() {
        return Err(format!("{shown} is a directory; use ls to list it"));
    }
    if !meta.is_file() {
        return Err(format!("{shown} is not a regular file"));
    }
    // The editor's text, for files it can send whole in one message.
    let editor = ws.buffers.filter(|_| meta.len() <= COUNT_UP_TO);
    if let Some(text) = editor.and_then(|b| b.read(&path)) {
        let text = text.map_err(|e| format!("cannot read {shown} from the editor: {e}"))?;
        if text.is_empty() {
            return Ok(format!("[{shown} is empty]"));
        }
        return window(io::Cursor::new(text.as_bytes()), offset, limit, true)
            .map_err(|e| format!("cannot read {shown}: {e}"))?;
    }
    let mut file = File::open(&path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let mut first = Vec::new();
    (&mut file)
        .take(SNIFF)
        .read_to_end(&mut first)
        .map_err(|e| format!("cannot read {shown}: {e}"))?;
    if first.is_empty() {
        return Ok(format!("[{shown} is empty]"));
    }
    if let Some(media) = crate::image::sniff(&first) {
        if meta.len() > crate::image::MAX_SIZE {
            return Err(format!(
                "{shown} is an image over 5 MB; only images up to 5 MB are attached"
            ));
        }
        let size = meta.len();
        return Ok(format!(
            "[{shown}: {media}, {size} bytes, attached as an image]"
        ));
    }
    if first.contains(&0) {
        return Err(format!(
            "{shown} looks binary (it has NUL bytes); inspect it with bash (e.g. xxd or file)"
        ));
    }
    let reader = BufReader::with_capacity(64 * 1024, io::Cursor::new(first).chain(file));
    let text = window(reader, offset, limit, meta.len() <= COUNT_UP_TO)
        .map_err(|e| format!("cannot read {shown}: {e}"))??;
    // The window may lie past the sniffed start (a sparse file's hole, a
    // binary tail): what would be shown is checked as well.
    if text.contains('\0') {
        return Err(format!(
            "{shown} has NUL bytes at line {offset} or after (binary data); inspect it with bash (e.g. xxd or file)"
        ));
    }
    Ok(text)
}

/// A read of an image file attaches the image (src/image.rs).
fn attach(args: &Args, ws: &ToolCtx) -> Result<Option<String>, String> {
    crate::image::attach(&ws.resolve(args.str("path")?)?)
}

/// Lines `offset..offset+limit` of `r`, within the byte cap, with a note
/// when more follows. The outer error is I/O; the inner one is for the model.
fn window(
    mut r: impl BufRead,
    offset: u64,
    limit: usize,
    count: bool,
) -> io::Result<Result<String, String>> {
    let mut skipped = 0u64;
    while skipped + 1 < offset && skip_line(&mut r)? {
        skipped += 1;
    }
    let mut out = String::new();
    let mut line = Vec::new();
    let mut shown = 0usize;
    // Lines read to their end, and whether reading stopped inside one.
    let mut consumed = skipped;
    let mut mid = false;
    let mut long_line = false;
    let mut byte_cap = false;
    while shown < limit {
        line.clear();
        let room = MAX_BYTES - out.len();
        let Some(complete) = read_line(&mut r, &mut line, room + 1)? else {
            break;
        };
        let text = String::from_utf8_lossy(&line);
        if complete {
            consumed += 1;
        } else {
            mid = true;
        }
        if complete && text.len() <= room {
            out.push_str(&text);
            shown += 1;
            continue;
        }
        if shown == 0 {
            // One line bigger than the whole budget: show its start.
            out.push_str(&text[..floor_char(&text, room)]);
            shown = 1;
            long_line = true;
        } else {
            byte_cap = true;
        }
        break;
    }
    if shown == 0 {
        let s = if consumed == 1 { "" } else { "s" };
        return Ok(Err(format!(
            "offset {offset} is past the end of the file, which has {consumed} line{s}"
        )));
    }
    let more = byte_cap || long_line || !r.fill_buf()?.is_empty();
    if !more {
        return Ok(Ok(out));
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let last = offset + shown as u64 - 1;
    let of = if count {
        format!(
            " of {}",
            consumed + count_lines(&mut r)?.max(u64::from(mid))
        )
    } else {
        String::new()
    };
    out.push_str(&continuation(offset, last, &of, long_line, byte_cap));
    Ok(Ok(out))
}

/// The closing note of a partial read: why it stopped and which offset continues it.
fn continuation(offset: u64, last: u64, of: &str, long_line: bool, byte_cap: bool) -> String {
    let next = last + 1;
    if long_line {
        format!(
            "[line {last} is longer than 50 KB and was cut; see the rest with bash (e.g. cut -c); next line: offset={next}]"
        )
    } else if byte_cap {
        format!("[showing lines {offset}-{last}{of} (50 KB limit); continue with offset={next}]")
    } else {
        format!("[showing lines {offset}-{last}{of}; continue with offset={next}]")
    }
}

/// Append the next line (with its newline) to `buf`, taking at most `cap`
/// bytes. `None` at end of file, else whether the whole line fit.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, cap: usize) -> io::Result<Option<bool>> {
    let mut any = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(any.then_some(true));
        }
        any = true;
        let want = cap.saturating_sub(buf.len());
        if let Some(i) = avail.iter().position(|&b| b == b'\n').filter(|&i| i < want) {
            buf.extend_from_slice(avail.get(..=i).unwrap_or_default());
            r.consume(i + 1);
            return Ok(Some(true));
        }
        let n = avail.len().min(want);
        buf.extend_from_slice(avail.get(..n).unwrap_or_default());
        r.consume(n);
        if buf.len() >= cap {
            return Ok(Some(false));
        }
    }
}

/// Skip past the next newline; false if already at end of file.
fn skip_line(r: &mut impl BufRead) -> io::Result<bool> {
    let mut any = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(any);
        }
        any = true;
        if let Some(i) = avail.iter().position(|&b| b == b'\n') {
            r.consume(i + 1);
            return Ok(true);
        }
        let n = avail.len();
        r.consume(n);
    }
}

/// Lines left in `r`, a last unterminated one included.
fn count_lines(r: &mut impl BufRead) -> io::Result<u64> {
    let mut n = 0;
    while skip_line(r)? {
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tool::write::tests::{args, tmp_ws};
    use std::fs;

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn offset_and_limit() {
        let (d, ws) = tmp_ws("read-window");
        fs::write(d.join("f.txt"), numbered(10)).unwrap();
        let out = run(
            &args(&[("path", "f.txt"), ("offset", "3"), ("limit", "2")]),
            &ws,
        )
        .unwrap();
        assert_eq!(
            out,
            "line 3\nline 4\n[showing lines 3-4 of 10; continue with offset=5]"
        );
        let out = run(&args(&[("path", "f.txt"), ("offset", "9")]), &ws).unwrap();
        assert_eq!(out, "line 9\nline 10\n");
        let out = run(
            &args(&[("path", "f.txt"), ("offset", "8"), ("limit", "3")]),
            &ws,
        )
        .unwrap();
        assert_eq!(
            out, "line 8\nline 9\nline 10\n",
            "exactly reaching the end needs no note"
        );
        let err = run(&args(&[("path", "f.txt"), ("offset", "11")]), &ws).unwrap_err();
        assert_eq!(
            err,
            "offset 11 is past the end of the file, which has 10 lines"
        );
        fs::write(d.join("g.txt"), "a\nb").unwrap();
        assert_eq!(run(&args(&[("path", "g.txt")]), &ws).unwrap(), "a\nb");
        assert_eq!(
            run(&args(&[("path", "g.txt"), ("offset", "2")]), &ws).unwrap(),
            "b"
        );
    }

    #[test]
    fn line_cap_and_continue_note() {
        let (d, ws) = tmp_ws("read-cap");
        fs::write(d.join("big.txt"), numbered(5000)).unwrap();
        let out = run(&args(&[("path", "big.txt")]), &ws).unwrap();
        assert_eq!(out.lines().count(), 2001);
        assert!(out.starts_with("line 1\n"));
        assert!(
            out.ends_with("line 2000\n[showing lines 1-2000 of 5000; continue with offset=2001]"),
            "{}",
            &out[out.len() - 80..]
        );
        let out = run(
            &args(&[("path", "big.txt"), ("offset", "2001"), ("limit", "9999")]),
            &ws,
        )
        .unwrap();
        assert!(out.starts_with("line 2001\n"));
        assert!(out.ends_with("[showing lines 2001-4000 of 5000; continue with offset=4001]"));
    }

    #[test]
    fn byte_cap_and_long_line() {
        let (d, ws) = tmp_ws("read-bytes");
        let line = "x".repeat(99) + "\n";
        fs::write(d.join("wide.txt"), line.repeat(1000)).unwrap();
        let out = run(&args(&[("path", "wide.txt")]), &ws).unwrap();
        let (body, note) = out
            .rsplit_once('\n')
            .map(|(b, n)| (b.to_string() + "\n", n))
            .unwrap();
        assert!(body.len() <= MAX_BYTES);
        assert_eq!(body.lines().count(), MAX_BYTES / 100);
        assert_eq!(
            note,
            "[showing lines 1-512 of 1000 (50 KB limit); continue with offset=513]"
        );

        let long = "é".repeat(40_000) + "\nnext\n";
        fs::write(d.join("long.txt"), long).unwrap();
        let out = run(&args(&[("path", "long.txt")]), &ws).unwrap();
        let (body, note) = out.rsplit_once('\n').unwrap();
        assert!(body.len() <= MAX_BYTES && body.chars().all(|c| c == 'é'));
        assert!(
            note.contains("line 1 is longer than 50 KB") && note.contains("offset=2"),
            "{note}"
        );
        assert_eq!(
            run(&args(&[("path", "long.txt"), ("offset", "2")]), &ws).unwrap(),
            "next\n"
        );
    }

    #[test]
    fn refusals_and_odd_files() {
        let (d, ws) = tmp_ws("read-odd");
        fs::write(d.join("bin"), b"ab\0cd").unwrap();
        assert!(run(&args(&[("path", "bin")]), &ws)
            .unwrap_err()
            .contains("binary"));
        fs::create_dir(d.join("sub")).unwrap();
        assert!(run(&args(&[("path", "sub")]), &ws)
            .unwrap_err()
            .contains("use ls"));
        fs::write(d.join("empty"), b"").unwrap();
        assert!(run(&args(&[("path", "empty")]), &ws)
            .unwrap()
            .contains("empty"));
        fs::write(d.join("latin1"), b"caf\xe9\n").unwrap();
        assert_eq!(
            run(&args(&[("path", "latin1")]), &ws).unwrap(),
            "caf\u{fffd}\n"
        );
        assert!(run(&args(&[("path", "../x")]), &ws)
            .unwrap_err()
            .contains("outside the workspace"));
        assert!(run(&args(&[("path", "missing")]), &ws)
            .unwrap_err()
            .starts_with("cannot read missing"));
        assert!(run(&args(&[("path", "latin1"), ("limit", "0")]), &ws).is_err());
    }

    #[test]
    fn nul_bytes_past_the_sniffed_start_are_refused() {
        let (d, ws) = tmp_ws("read-sparse");
        // 2000 text lines (past the 8 KB sniff), then a 1 MB hole that reads as NUL bytes.
        let f = fs::File::create(d.join("sparse")).unwrap();
        std::io::Write::write_all(&mut &f, numbered(2000).as_bytes()).unwrap();
        f.set_len(1 << 20).unwrap();
        let err = run(&args(&[("path", "sparse"), ("offset", "2001")]), &ws).unwrap_err();
        assert!(err.contains("NUL bytes at line 2001"), "{err}");
        // A window before the hole is shown.
        let out = run(
            &args(&[("path", "sparse"), ("offset", "1950"), ("limit", "3")]),
            &ws,
        )
        .unwrap();
        assert!(
            out.starts_with("line 1950\nline 1951\nline 1952\n"),
            "{out}"
        );
    }

    #[test]
    fn unknown_size_says_more_follows_without_counting() {
        let text = numbered(30);
        let out = window(io::Cursor::new(text.as_bytes()), 1, 5, false)
            .unwrap()
            .unwrap();
        assert!(
            out.ends_with("line 5\n[showing lines 1-5; continue with offset=6]"),
            "{out}"
        );
    }
}

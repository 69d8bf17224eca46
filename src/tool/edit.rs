//! The `edit` tool: replace an exact piece of a file. Matching works on
//! bytes, so files that are not UTF-8 survive untouched around the edit.
//! When old_text is not found, the error points at the nearest line, since
//! that is what a model needs to fix its next attempt.

use super::truncate;
use super::write::replace;
use super::{arg_or, Effect, Preview, Target, Tool, ToolCtx};
use crate::json::Args;
use crate::workspace::Workspace;
use std::path::Path;

pub const TOOL: Tool = Tool {
    name: "edit",
    description: "Replace exact text in a file. old_text must match exactly (whitespace too) and be unique unless replace_all; add nearby lines to make it unique.",
    params: r#"{"type":"object","properties":{"path":{"type":"string","description":"File path"},"old_text":{"type":"string","description":"Exact text to replace"},"new_text":{"type":"string","description":"Replacement"},"replace_all":{"type":"boolean","description":"Replace every match"}},"required":["path","old_text","new_text"]}"#,
    effect: Effect::Write,
    target: Target::Path("path"),
    title: |a| format!("Edit {}", arg_or(a, "path", ".")),
    preview: Preview::Diff("old_text", "new_text"),
    run,
    attach: None,
};

/// Files larger than this are edited with bash instead.
const MAX_FILE: u64 = 64 << 20;
/// Lines of diff shown after an edit.
const DIFF_LINES: usize = 40;
const DIFF_BYTES: usize = 4096;

fn run(args: &Args, ws: &ToolCtx) -> Result<String, String> {
    let rel = args.str("path")?;
    let old_arg = args.str("old_text")?;
    let new_arg = args.str("new_text")?;
    let all = args.opt_bool("replace_all")?.unwrap_or(false);
    if old_arg.is_empty() {
        return Err(
            "old_text is empty; give the exact text to replace (use write to create a file)".into(),
        );
    }
    if old_arg == new_arg {
        return Err("old_text and new_text are identical; nothing to change".into());
    }
    let path = ws.resolve(rel)?;
    let shown = ws.display(&path);
    let data = read_text(ws, &path, &shown)?;
    let (old, new) = if uses_crlf(&data) {
        (to_crlf(old_arg), to_crlf(new_arg))
    } else {
        (old_arg.as_bytes().to_vec(), new_arg.as_bytes().to_vec())
    };
    let hits = find_all(&data, &old);
    if hits.is_empty() {
        return Err(not_found(&data, old_arg, &shown));
    }
    if hits.len() > 1 && !all {
        let lines: Vec<String> = hits
            .iter()
            .take(20)
            .map(|&p| line_of(&data, p).to_string())
            .collect();
        let more = if hits.len() > 20 { ", ..." } else { "" };
        return Err(format!(
            "old_text matches {} times in {shown} (lines {}{more}); add surrounding lines to make it unique, or set replace_all",
            hits.len(),
            lines.join(", ")
        ));
    }
    let (out, new_starts) = splice(&data, &hits, old.len(), &new);
    replace(ws, &path, &out, false).map_err(|e| format!("cannot write {shown}: {e}"))?;
    let change = Change {
        before: &data,
        hits: &hits,
        old_len: old.len(),
        after: &out,
        new_starts: &new_starts,
        new_len: new.len(),
    };
    Ok(change.report(&shown))
}

/// The file's text for an edit: the editor's (unsaved changes too) once
/// the file passed the checks, else the file's; refused if it looks binary.
fn read_text(ws: &ToolCtx, path: &Path, shown: &str) -> Result<Vec<u8>, String> {
    let cant = |e: std::io::Error| format!("cannot read {shown}: {e}");
    let file = open_beneath(ws, path).map_err(cant)?;
    let data = match ws.buffers.and_then(|b| b.read(path)) {
        Some(text) => text
            .map_err(|e| format!("cannot read {shown} from the editor: {e}"))?
            .into_bytes(),
        None => read_all(file).map_err(cant)?,
    };
    if data.iter().take(8192).any(|&b| b == 0) {
        return Err(format!(
            "{shown} looks binary (it has NUL bytes); edit it with bash"
        ));
    }
    Ok(data)
}

/// `data` with the `old_len` bytes at each of `hits` replaced by `new`,
/// and where each replacement starts in it.
fn splice(data: &[u8], hits: &[usize], old_len: usize, new: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::with_capacity(data.len() + hits.len() * new.len());
    let mut new_starts = Vec::with_capacity(hits.len());
    let mut prev = 0;
    for &h in hits {
        out.extend_from_slice(data.get(prev..h).unwrap_or_default());
        new_starts.push(out.len());
        out.extend_from_slice(new);
        prev = h + old_len;
    }
    out.extend_from_slice(data.get(prev..).unwrap_or_default());
    (out, new_starts)
}

/// One edit as made: the text before and after, and where each
/// replacement is in both.
struct Change<'a> {
    before: &'a [u8],
    hits: &'a [usize],
    old_len: usize,
    after: &'a [u8],
    new_starts: &'a [usize],
    new_len: usize,
}

impl Change<'_> {
    /// The tool's answer: what was replaced where, then the diff (cut).
    fn report(&self, shown: &str) -> String {
        let spans: Vec<String> = self
            .new_starts
            .iter()
            .take(20)
            .map(|&p| span(self.after, p, self.new_len))
            .collect();
        let n = self.hits.len();
        let more = if n > 20 { ", ..." } else { "" };
        let occ = if n == 1 { "occurrence" } else { "occurrences" };
        let mut diff = String::new();
        for (&h, &p) in self.hits.iter().zip(self.new_starts) {
            if diff_full(&diff) {
                break;
            }
            diff_lines(
                &mut diff,
                self.before,
                h,
                self.old_len,
                self.after,
                p,
                self.new_len,
            );
        }
        let cut = truncate::head(&diff, DIFF_LINES, DIFF_BYTES);
        let mut msg = format!(
            "Edited {shown}: replaced {n} {occ} ({}{more})\n{}",
            spans.join(", "),
            cut.text
        );
        // A diff stopped early is full, so it is cut too.
        if cut.cut {
            msg.push_str("[diff cut]");
        }
        msg.trim_end().to_string()
    }
}

/// Has the diff outgrown what is shown? Only stops building it: the text is
/// cut to DIFF_LINES and DIFF_BYTES, and marked cut, either way.
fn diff_full(diff: &str) -> bool {
    diff.len() > DIFF_BYTES || diff.lines().count() > DIFF_LINES
}

/// The file at `path`, opened without following a symlink (beneath.rs);
/// a directory or a file over MAX_FILE is refused.
fn open_beneath(ws: &Workspace, path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let (dir, name) = super::beneath::parent(ws, path, false)?;
    let f = super::beneath::open_file(&dir, &name, libc::O_RDONLY, 0)?;
    let meta = f.metadata()?;
    if meta.is_dir() {
        return Err(std::io::Error::other("it is a directory"));
    }
    if meta.len() > MAX_FILE {
        return Err(std::io::Error::other(format!(
            "it is too large to edit ({} bytes); use bash",
            meta.len()
        )));
    }
    Ok(f)
}

fn read_all(mut f: std::fs::File) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut data = Vec::with_capacity(f.metadata()?.len() as usize);
    f.read_to_end(&mut data)?;
    Ok(data)
}

/// A file uses CRLF when its first line ends in "\r\n".
fn uses_crlf(data: &[u8]) -> bool {
    match data.iter().position(|&b| b == b'\n') {
        Some(i) => i > 0 && data.get(i - 1) == Some(&b'\r'),
        None => false,
    }
}

/// `s` with every line ending made "\r\n".
fn to_crlf(s: &str) -> Vec<u8> {
    s.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

/// Start offsets of the non-overlapping occurrences of `needle`.
fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    let mut hits = Vec::new();
    let Some((&first, _)) = needle.split_first() else {
        return hits;
    };
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| b == first))
        {
            None => break,
            Some(off) => i += off,
        }
        if hay.get(i..i + needle.len()) == Some(needle) {
            hits.push(i);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    hits
}

/// 1-based line number of byte offset `pos`.
fn line_of(data: &[u8], pos: usize) -> usize {
    data.iter().take(pos).filter(|&&b| b == b'\n').count() + 1
}

/// "line N" or "lines N-M" for the text of length `len` at `pos`.
fn span(data: &[u8], pos: usize, len: usize) -> String {
    let first = line_of(data, pos);
    let body = data.get(pos..pos + len).unwrap_or_default();
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let last = first + body.iter().filter(|&&b| b == b'\n').count();
    if last > first {
        format!("lines {first}-{last}")
    } else {
        format!("line {first}")
    }
}

/// The whole lines around `data[pos..pos+len]`, without their line ends.
fn whole_lines(data: &[u8], pos: usize, len: usize) -> Vec<String> {
    // Nothing at a line's start (whole lines deleted) takes no line: not
    // the next one.
    if len == 0 && (pos == 0 || data.get(pos - 1) == Some(&b'\n')) {
        return Vec::new();
    }
    let start = data
        .get(..pos)
        .and_then(|d| d.iter().rposition(|&b| b == b'\n'))
        .map_or(0, |i| i + 1);
    let mut end = pos + len;
    // A match ending in a newline ends its last line there (an empty one
    // here is inside a line: it never follows a newline).
    if end.checked_sub(1).and_then(|i| data.get(i)) != Some(&b'\n') {
        end = data
            .get(end..)
            .and_then(|d| d.iter().position(|&b| b == b'\n'))
            .map_or(data.len(), |i| end + i);
    }
    let text = String::from_utf8_lossy(data.get(start..end).unwrap_or_default()).into_owned();
    let text = text.strip_suffix('\n').unwrap_or(&text);
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_string())
        .collect()
}

/// Append a -/+ diff of one replacement, without the lines both sides share.
fn diff_lines(
    out: &mut String,
    old: &[u8],
    at: usize,
    old_len: usize,
    new: &[u8],
    new_at: usize,
    new_len: usize,
) {
    let a = whole_lines(old, at, old_len);
    let b = whole_lines(new, new_at, new_len);
    let pre = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (
        a.get(pre..).unwrap_or_default(),
        b.get(pre..).unwrap_or_default(),
    );
    let post = ra
        .iter()
        .rev()
        .zip(rb.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    out.push_str(&format!("@@ line {}\n", line_of(old, at) + pre));
    for l in a.get(pre..a.len() - post).unwrap_or_default() {
        out.push_str(&format!("-{l}\n"));
    }
    for l in b.get(pre..b.len() - post).unwrap_or_default() {
        out.push_str(&format!("+{l}\n"));
    }
}

/// The error for old_text that is not in the file, with what is nearest.
fn not_found(data: &[u8], old: &str, shown: &str) -> String {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().collect();
    let mut msg = format!("old_text not found in {shown}");
    if let Some((first, last)) = loose_match(&lines, old) {
        let at = if last > first {
            format!("lines {first}-{last}")
        } else {
            format!("line {first}")
        };
        msg.push_str(&format!(
            "; it matches {at} if whitespace is ignored, so copy the text exactly (indentation, tabs, spaces)"
        ));
    }
    let Some(want) = old.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return msg + " (old_text is only whitespace)";
    };
    let exact: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == want)
        .map(|(i, _)| i)
        .collect();
    let near = if exact.is_empty() {
        closest(&lines, want).into_iter().collect()
    } else {
        exact
    };
    if near.is_empty() {
        return msg + &format!("; no line resembles {}; read the file again", quote(want));
    }
    let kind = if near
        .first()
        .and_then(|&i| lines.get(i))
        .is_some_and(|l| l.trim() == want)
    {
        "appears"
    } else {
        "is closest to"
    };
    let shown: Vec<String> = near
        .iter()
        .take(3)
        .map(|&i| format!("{}: {}", i + 1, quote(lines.get(i).unwrap_or(&""))))
        .collect();
    msg + &format!("; its first line {} {}", kind, shown.join(", "))
}

/// Lines `first-last` where `old` matches when all whitespace is ignored.
fn loose_match(lines: &[&str], old: &str) -> Option<(usize, usize)> {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    let want: Vec<String> = old.lines().map(squash).filter(|l| !l.is_empty()).collect();
    if want.is_empty() {
        return None;
    }
    let have: Vec<(usize, String)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (i + 1, squash(l)))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let ends = |a: &str, b: &str, i: usize, n: usize| {
        // Inner lines must be equal; the outer ones may be partial.
        if n == 1 {
            a.contains(b)
        } else if i == 0 {
            a.ends_with(b)
        } else if i == n - 1 {
            a.starts_with(b)
        } else {
            a == b
        }
    };
    have.windows(want.len()).find_map(|w| {
        let ok = w
            .iter()
            .zip(&want)
            .enumerate()
            .all(|(i, ((_, h), o))| ends(h, o, i, want.len()));
        ok.then(|| (w.first().map_or(0, |x| x.0), w.last().map_or(0, |x| x.0)))
    })
}

/// Index of the line most like `want`, by shared character pairs.
fn closest(lines: &[&str], want: &str) -> Option<usize> {
    let wb = bigrams(want);
    if wb.is_empty() {
        return lines.iter().position(|l| l.contains(want));
    }
    let mut best = (0.0f64, None);
    for (i, l) in lines.iter().enumerate() {
        let lb = bigrams(l.trim());
        let (mut x, mut y, mut common) = (0, 0, 0);
        while let (Some(a), Some(b)) = (wb.get(x), lb.get(y)) {
            match a.cmp(b) {
                std::cmp::Ordering::Less => x += 1,
                std::cmp::Ordering::Greater => y += 1,
                std::cmp::Ordering::Equal => {
                    common += 1;
                    x += 1;
                    y += 1;
                }
            }
        }
        let score = 2.0 * common as f64 / (wb.len() + lb.len()) as f64;
        if score > best.0 {
            best = (score, Some(i));
        }
    }
    best.1.filter(|_| best.0 >= 0.5)
}

/// Sorted character pairs of the first 200 characters of `s`.
fn bigrams(s: &str) -> Vec<(char, char)> {
    let mut v: Vec<(char, char)> = s.chars().zip(s.chars().skip(1)).take(199).collect();
    crate::sort::sort(&mut v);
    v
}

/// A line for an error message: quoted, escapes visible, cut if long.
fn quote(s: &str) -> String {
    let cut = &s[..truncate::floor_char(s, 160)];
    let dots = if cut.len() < s.len() { "..." } else { "" };
    format!("{cut:?}{dots}")
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::json::write::quote as jq;
    use crate::tool::write::tests::tmp_ws;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    pub(crate) fn edit(
        ws: &ToolCtx,
        path: &str,
        old: &str,
        new: &str,
        all: bool,
    ) -> Result<String, String> {
        let json = format!(
            "{{\"path\":{},\"old_text\":{},\"new_text\":{},\"replace_all\":{all}}}",
            jq(path),
            jq(old),
            jq(new)
        );
        run(&Args::parse(&json).unwrap(), ws)
    }

    #[test]
    fn replaces_once_and_shows_diff() {
        let (d, ws) = tmp_ws("edit-once");
        let f = d.join("a.rs");
        fs::write(&f, "fn a() {\n    one();\n    two();\n}\n").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o600)).unwrap();
        let out = edit(
            &ws,
            "a.rs",
            "    one();\n    two();\n",
            "    one();\n    three();\n    four();\n",
            false,
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(&f).unwrap(),
            "fn a() {\n    one();\n    three();\n    four();\n}\n"
        );
        assert_eq!(
            out,
            "Edited a.rs: replaced 1 occurrence (lines 2-4)\n@@ line 3\n-    two();\n+    three();\n+    four();"
        );
        assert_eq!(
            fs::metadata(&f).unwrap().permissions().mode() & 0o7777,
            0o600
        );
    }

    #[test]
    fn several_matches_need_replace_all() {
        let (d, ws) = tmp_ws("edit-many");
        let f = d.join("m.txt");
        fs::write(&f, "x = 1\ny = 2\nx = 1\n").unwrap();
        let err = edit(&ws, "m.txt", "x = 1", "x = 9", false).unwrap_err();
        assert!(
            err.contains("matches 2 times")
                && err.contains("lines 1, 3")
                && err.contains("replace_all"),
            "{err}"
        );
        assert_eq!(fs::read_to_string(&f).unwrap(), "x = 1\ny = 2\nx = 1\n");
        let out = edit(&ws, "m.txt", "x = 1", "x = 9", true).unwrap();
        assert!(
            out.starts_with("Edited m.txt: replaced 2 occurrences (line 1, line 3)"),
            "{out}"
        );
        assert_eq!(fs::read_to_string(&f).unwrap(), "x = 9\ny = 2\nx = 9\n");
    }

    #[test]
    fn keeps_crlf() {
        let (d, ws) = tmp_ws("edit-crlf");
        let f = d.join("w.txt");
        fs::write(&f, b"one\r\ntwo\r\nthree\r\n").unwrap();
        edit(&ws, "w.txt", "one\ntwo\n", "uno\ndos\n", false).unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"uno\r\ndos\r\nthree\r\n");
    }

    #[test]
    fn not_found_points_at_nearest() {
        let (d, ws) = tmp_ws("edit-miss");
        let f = d.join("n.py");
        fs::write(&f, "def f():\n\treturn  compute(x)\n\ndef g():\n    pass\n").unwrap();
        let err = edit(&ws, "n.py", "    return compute(x)\n", "y", false).unwrap_err();
        assert!(err.starts_with("old_text not found in n.py"), "{err}");
        assert!(err.contains("whitespace is ignored"), "{err}");
        assert!(err.contains("2: \"\\treturn  compute(x)\""), "{err}");
        assert!(!err.contains('\n'));
        let err = edit(&ws, "n.py", "def gg(y):", "y", false).unwrap_err();
        assert!(err.contains("closest to 4: \"def g():\""), "{err}");
        assert!(!err.contains("whitespace is ignored"), "{err}");
        let err = edit(&ws, "n.py", "zzzz qqqq", "y", false).unwrap_err();
        assert!(err.contains("no line resembles"), "{err}");
        assert_eq!(
            fs::read_to_string(&f).unwrap(),
            "def f():\n\treturn  compute(x)\n\ndef g():\n    pass\n"
        );
    }

    #[test]
    fn refusals() {
        let (d, ws) = tmp_ws("edit-refuse");
        fs::write(d.join("f"), "abc\n").unwrap();
        assert!(edit(&ws, "f", "", "x", false)
            .unwrap_err()
            .contains("old_text is empty"));
        assert!(edit(&ws, "f", "abc", "abc", false)
            .unwrap_err()
            .contains("identical"));
        assert!(edit(&ws, "../f", "abc", "x", false)
            .unwrap_err()
            .contains("outside"));
        assert!(edit(&ws, "nope", "abc", "x", false)
            .unwrap_err()
            .starts_with("cannot read nope"));
        fs::write(d.join("b"), b"a\0b").unwrap();
        assert!(edit(&ws, "b", "a", "x", false)
            .unwrap_err()
            .contains("binary"));
    }

    #[test]
    fn deletion_and_non_utf8_bytes_survive() {
        let (d, ws) = tmp_ws("edit-bytes");
        let f = d.join("l1.txt");
        fs::write(&f, b"caf\xe9\nremove me\nend\n").unwrap();
        let out = edit(&ws, "l1.txt", "remove me\n", "", false).unwrap();
        assert!(out.contains("-remove me"), "{out}");
        assert_eq!(fs::read(&f).unwrap(), b"caf\xe9\nend\n");
    }

    #[test]
    fn long_diff_is_capped() {
        let (d, ws) = tmp_ws("edit-long");
        let body: String = (0..200).map(|i| format!("l{i}\n")).collect();
        fs::write(d.join("big"), &body).unwrap();
        let out = edit(&ws, "big", &body, &body.replace('l', "L"), false).unwrap();
        assert!(
            out.lines().count() <= DIFF_LINES + 2,
            "{}",
            out.lines().count()
        );
        assert!(out.ends_with("[diff cut]"));
    }
}

#[cfg(test)]
#[path = "edit_msg_tests.rs"]
mod msg_tests;

//! Sessions on disk: one append-only JSONL file per session under
//! `$XDG_DATA_HOME/mote/sessions/` (else `~/.local/share/mote/sessions/`),
//! named `ID.jsonl` where the id starts with the UTC creation time, so
//! names sort by age. This file owns the directory, ids, finding a session
//! (`--continue`, `--resume`), listing (`--sessions`) and the writer.
//!
//! The writer appends each record as one `write()` of one whole line on an
//! `O_APPEND` descriptor, then `fdatasync`s it: a crash loses at most the
//! record being written, and two processes never interleave partial lines.
//! An exclusive `flock` on the file keeps a second mote from appending to a
//! session that is in use. The file is never rewritten. A new session that
//! never got a record from the model (a run that failed before any answer,
//! an interactive run quit at once) is removed when its writer is dropped,
//! so `--sessions` lists no empty sessions; a killed run's stays, to resume.

pub mod compact;
pub mod load;
pub mod record;
pub mod start;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

pub use record::Record;

/// The sessions directory: `--session-dir`, else XDG data home, else ~/.local/share.
pub fn dir(flag: Option<&str>, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(d) = flag {
        return Some(PathBuf::from(d));
    }
    let base = match env("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(env("HOME").filter(|v| !v.is_empty())?).join(".local/share"),
    };
    Some(base.join("mote/sessions"))
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// UTC "YYYY-MM-DD HH:MM:SS" for Unix seconds (civil-from-days).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// A new id: UTC time, then 6 hex digits from the clock's nanoseconds and
/// the pid, e.g. `20250101-120000-3fa9c1`.
pub fn new_id(secs: u64) -> String {
    let t = utc(secs);
    let compact: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == ' ')
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mix = mix(nanos, std::process::id());
    format!("{}-{mix:06x}", compact.replace(' ', "-"))
}

/// An id's last 24 bits: the clock's nanoseconds with the pid scattered
/// over them (an odd multiplier: no two pids below 2^24 mix alike), so two
/// sessions of one second differ by moment and by process.
fn mix(nanos: u32, pid: u32) -> u32 {
    (nanos ^ pid.wrapping_mul(0x9e37_79b9)) & 0xff_ffff
}

/// Session files in `dir`, newest first.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
                .collect()
        })
        .unwrap_or_default();
    crate::sort::sort(&mut v);
    v.reverse();
    v
}

fn id_of(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The session `id` or the one session whose id starts with it.
pub fn find(dir: &Path, id: &str) -> Result<PathBuf, String> {
    let all = files(dir);
    if let Some(p) = all.iter().find(|p| id_of(p) == id) {
        return Ok(p.clone());
    }
    let hits: Vec<&PathBuf> = all
        .iter()
        .filter(|p| !id.is_empty() && id_of(p).starts_with(id))
        .collect();
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(format!(
            "no session `{id}` in {} (see --sessions)",
            dir.display()
        )),
        many => Err(format!(
            "`{id}` matches {} sessions: {} (give more of the id)",
            many.len(),
            many.iter()
                .take(5)
                .map(|p| id_of(p))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// What `--sessions` shows of a file, read without building its arena.
pub struct Info {
    pub id: String,
    pub cwd: String,
    pub created: u64,
    pub first_prompt: String,
    pub turns: u32,
    /// A subagent's session: its parent's id.
    pub parent: String,
}

/// Scan a session file: the header, the first prompt, the number of turns.
pub fn info(path: &Path) -> Option<Info> {
    let mut r = BufReader::new(File::open(path).ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let v = crate::json::value::parse(&line).ok()?;
    let Ok(Some(Record::Header {
        id,
        cwd,
        created,
        parent,
        ..
    })) = Record::parse(&v)
    else {
        return None;
    };
    let mut info = Info {
        id: id.into(),
        cwd: cwd.into(),
        created,
        first_prompt: String::new(),
        turns: 0,
        parent: parent.into(),
    };
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match r.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.starts_with(b"{\"type\":\"assistant\"") {
            info.turns += 1;
        } else if info.first_prompt.is_empty() && buf.starts_with(b"{\"type\":\"user\"") {
            let text = std::str::from_utf8(&buf)
                .ok()
                .and_then(|l| crate::json::value::parse(l).ok());
            if let Some(t) = text
                .as_ref()
                .and_then(|v| v.get("text"))
                .and_then(|t| t.as_str())
            {
                info.first_prompt = t.split_whitespace().collect::<Vec<_>>().join(" ");
            }
        }
    }
    Some(info)
}

/// `--sessions`: one line per session, newest first; a subagent's
/// session is listed under its parent's, indented.
pub fn list(dir: &Path, w: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        w,
        "{:<22} {:<19} {:>5}  {:<30} FIRST PROMPT",
        "ID", "CREATED (UTC)", "TURNS", "CWD"
    )?;
    let all: Vec<Info> = files(dir).iter().filter_map(|p| info(p)).collect();
    let known = |id: &str| all.iter().any(|i| i.id == id);
    for top in all
        .iter()
        .filter(|i| i.parent.is_empty() || !known(&i.parent))
    {
        row(w, top, "")?;
        for child in all.iter().filter(|c| c.parent == top.id) {
            row(w, child, "  ")?;
        }
    }
    Ok(())
}

fn row(w: &mut dyn Write, i: &Info, indent: &str) -> std::io::Result<()> {
    let cut = crate::text::floor_char(&i.first_prompt, 60);
    let prompt = i.first_prompt.get(..cut).unwrap_or("");
    let id = format!("{indent}{}", i.id);
    writeln!(
        w,
        "{id:<22} {:<19} {:>5}  {:<30} {prompt}",
        utc(i.created),
        i.turns,
        i.cwd
    )
}

/// The newest session whose workspace is `cwd`.
pub fn latest(dir: &Path, cwd: &str) -> Option<PathBuf> {
    files(dir).into_iter().find(|p| {
        let Ok(f) = File::open(p) else { return false };
        let mut line = String::new();
        let _ = BufReader::new(f.take(64 * 1024)).read_line(&mut line);
        let v = crate::json::value::parse(&line).ok();
        // A subagent's session is continued through its parent's, never alone.
        matches!(v.as_ref().map(Record::parse), Some(Ok(Some(Record::Header { cwd: c, parent: "", .. }))) if c == cwd)
    })
}

/// An open session file, appended to record by record.
pub struct Writer {
    file: File,
    pub path: PathBuf,
    pub id: String,
    /// One line is built here, then written with one call.
    line: Vec<u8>,
    /// The file holds something worth keeping: a record from the model,
    /// or it was an existing session (see `keeps`).
    kept: bool,
}

/// Whether a record makes a new session worth its file: anything the model
/// sent or that followed from it; not the header, a prompt (and its
/// checkpoint record) or usage alone.
fn keeps(r: &Record) -> bool {
    !matches!(
        r,
        Record::Header { .. } | Record::User { .. } | Record::Usage(_) | Record::Checkpoint { .. }
    )
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
            // Its checkpoints' folder (src/undo/) goes with it.
            let _ = std::fs::remove_dir_all(self.path.with_extension("undo"));
        }
    }
}

impl Writer {
    /// Create a new session file and write its header.
    pub fn create(dir: &Path, header: &Record) -> Result<Writer, String> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("session directory {}: {e}", dir.display()))?;
        let Record::Header { id, .. } = header else {
            return Err("a session starts with its header".into());
        };
        let path = dir.join(format!("{id}.jsonl"));
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("session file {}: {e}", path.display()))?;
        let mut w = Writer {
            file,
            path,
            id: id.to_string(),
            line: Vec::new(),
            kept: false,
        };
        w.lock()?;
        w.append(header)
            .map_err(|e| format!("session file {}: {e}", w.path.display()))?;
        Ok(w)
    }

    /// Keep the file even if the model never answers: an ACP session's id
    /// is handed to the editor, which may load it later.
    pub fn keep(&mut self) {
        self.kept = true;
    }

    /// Reopen an existing session to append to it. A torn last line (no
    /// newline) is closed off first, so the next record starts a line.
    pub fn reopen(path: &Path, id: &str) -> Result<Writer, String> {
        let err = |e: std::io::Error| format!("session file {}: {e}", path.display());
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        let mut w = Writer {
            file: file.try_clone().map_err(err)?,
            path: path.to_path_buf(),
            id: id.into(),
            line: Vec::new(),
            kept: true,
        };
        w.lock()?;
        let len = file.seek(SeekFrom::End(0)).map_err(err)?;
        if len > 0 {
            let mut last = [0u8];
            file.seek(SeekFrom::Start(len - 1)).map_err(err)?;
            file.read_exact(&mut last).map_err(err)?;
            if last[0] != b'\n' {
                w.file.write_all(b"\n").map_err(err)?;
            }
        }
        Ok(w)
    }

    /// Take the file's lock, waiting up to 2 s: a mote just killed may
    /// still have a child between fork and exec holding the descriptor.
    fn lock(&self) -> Result<(), String> {
        for _ in 0..40 {
            // SAFETY: flock on a descriptor we own.
            if unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Err(format!(
            "session {} is in use by another mote process",
            self.id
        ))
    }

    /// Append one record: one line, one write, then fdatasync.
    pub fn append(&mut self, r: &Record) -> std::io::Result<()> {
        self.line.clear();
        r.write(&mut self.line)?;
        self.file.write_all(&self.line)?;
        self.kept |= keeps(r);
        if self.line.capacity() > 256 * 1024 {
            self.line = Vec::new();
        }
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates_and_ids() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_827_696), "2000-02-29 12:34:56");
        assert_eq!(utc(1_735_689_599), "2024-12-31 23:59:59");
        // The first day of a year of days (March to February), in a plain
        // year and after a century's missing leap day.
        assert_eq!(utc(59 * 86400), "1970-03-01 00:00:00");
        assert_eq!(utc(4_107_542_400), "2100-03-01 00:00:00");
        let id = new_id(1_735_689_599);
        assert!(id.starts_with("20241231-235959-") && id.len() == 22, "{id}");
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mote-sess-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn header<'a>(id: &'a str, cwd: &'a str, parent: &'a str) -> Record<'a> {
        Record::Header {
            id,
            cwd,
            provider: "openai",
            model: "m",
            created: 1,
            mote: "0",
            parent,
        }
    }

    /// What `--sessions` prints for `d`.
    fn listed(d: &Path) -> String {
        let mut out = Vec::new();
        list(d, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_directory_comes_from_the_flag_then_xdg_then_home() {
        let env = |xdg: &'static str, home: &'static str| {
            move |k: &str| match k {
                "XDG_DATA_HOME" => Some(xdg.to_string()),
                "HOME" => Some(home.to_string()),
                _ => None,
            }
        };
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(dir(Some("/f"), &env("/x", "/h")), p("/f"));
        assert_eq!(dir(None, &env("/x", "/h")), p("/x/mote/sessions"));
        assert_eq!(
            dir(None, &env("", "/h")),
            p("/h/.local/share/mote/sessions")
        );
        assert_eq!(dir(None, &env("", "")), None);
    }

    #[test]
    fn ids_are_the_clock_and_differ_by_nanosecond_and_process() {
        // 2023-11-14 or later: the real clock, not a constant.
        assert!(now() > 1_700_000_000);
        // Two sessions a nanosecond apart, or started at the same moment by
        // two processes, get different ids.
        let by_clock: std::collections::HashSet<u32> = (0..4096).map(|n| mix(n, 4242)).collect();
        assert_eq!(by_clock.len(), 4096);
        let by_pid: std::collections::HashSet<u32> = (1..4096).map(|p| mix(7, p)).collect();
        assert_eq!(by_pid.len(), 4095);
        assert!((0..4096).all(|n| mix(n, 99) <= 0xff_ffff));
    }

    #[test]
    fn the_listing_shows_the_first_prompt_and_an_orphaned_subagent() {
        let d = scratch("list");
        let mut w = Writer::create(&d, &header("20250101-000000-aaaaaa", "/w", "")).unwrap();
        for r in [
            Record::User { text: "first" },
            Record::Assistant { text: "a" },
            Record::User { text: "second" },
            Record::Assistant { text: "b" },
        ] {
            w.append(&r).unwrap();
        }
        drop(w);
        let i = info(&d.join("20250101-000000-aaaaaa.jsonl")).unwrap();
        assert_eq!((i.first_prompt.as_str(), i.turns), ("first", 2));
        // A subagent whose parent's file is gone is listed on its own.
        let orphan = header("20250102-000000-cccccc", "/w", "20241231-000000-gone00");
        Writer::create(&d, &orphan).unwrap().keep();
        let out = listed(&d);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(lines[1].starts_with("20250102-000000-cccccc"), "{out}");
        assert!(lines[2].ends_with(" first"), "{out}");
    }

    #[test]
    fn latest_reads_a_header_with_a_long_workspace_path() {
        let d = scratch("long");
        let cwd = format!("/{}", "d/".repeat(2000));
        Writer::create(&d, &header("20250101-000000-aaaaaa", &cwd, ""))
            .unwrap()
            .keep();
        assert_eq!(id_of(&latest(&d, &cwd).unwrap()), "20250101-000000-aaaaaa");
    }

    #[test]
    fn reopening_closes_a_torn_line_and_adds_nothing_to_a_whole_one() {
        let d = scratch("reopen");
        let _ = std::fs::create_dir_all(&d);
        let p = d.join("s.jsonl");
        let user = Record::User { text: "u" };
        for (before, after) in [
            ("", "{\"type\":\"user\",\"text\":\"u\"}\n"),
            (
                "{\"a\":1}\n",
                "{\"a\":1}\n{\"type\":\"user\",\"text\":\"u\"}\n",
            ),
            ("{\"a\":", "{\"a\":\n{\"type\":\"user\",\"text\":\"u\"}\n"),
        ] {
            std::fs::write(&p, before).unwrap();
            let mut w = Writer::reopen(&p, "s").unwrap();
            w.append(&user).unwrap();
            drop(w);
            assert_eq!(std::fs::read_to_string(&p).unwrap(), after);
        }
    }

    #[test]
    fn a_session_with_several_model_records_is_kept() {
        let d = scratch("kept");
        let mut w = Writer::create(&d, &header("20250101-000000-aaaaaa", "/w", "")).unwrap();
        w.append(&Record::Assistant { text: "" }).unwrap();
        w.append(&Record::Call {
            id: "c",
            name: "ls",
            args: "{}",
        })
        .unwrap();
        w.append(&Record::User { text: "u" }).unwrap();
        drop(w);
        assert!(d.join("20250101-000000-aaaaaa.jsonl").exists());
    }

    #[test]
    fn the_line_buffer_is_kept_unless_a_record_was_huge() {
        let d = scratch("buffer");
        let mut w = Writer::create(&d, &header("20250101-000000-aaaaaa", "/w", "")).unwrap();
        let big = "x".repeat(100 * 1024);
        for (text, kept) in [
            ("small", true),
            (&big[..], true),
            (&"y".repeat(300 * 1024)[..], false),
        ] {
            w.append(&Record::User { text }).unwrap();
            assert_eq!(w.line.capacity() > 0, kept, "{}", text.len());
        }
        w.keep();
    }

    #[test]
    fn find_by_prefix_and_latest_by_workspace() {
        let d = std::env::temp_dir().join(format!("mote-sess-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let head = |id, cwd| header(id, cwd, "");
        let mut a = Writer::create(&d, &head("20250101-000000-aaaaaa", "/w1")).unwrap();
        a.append(&Record::User {
            text: "first\n task",
        })
        .unwrap();
        a.append(&Record::Assistant { text: "ok" }).unwrap();
        drop(a);
        // Header-only sessions are removed when dropped, unless kept.
        let kept = |h: &Record| Writer::create(&d, h).unwrap().keep();
        let w = Writer::create(&d, &head("20250102-000000-dddddd", "/w1")).unwrap();
        std::fs::create_dir_all(d.join("20250102-000000-dddddd.undo/1")).unwrap();
        drop(w);
        assert!(!d.join("20250102-000000-dddddd.jsonl").exists());
        assert!(!d.join("20250102-000000-dddddd.undo").exists());
        kept(&head("20250102-000000-bbbbbb", "/w2"));
        kept(&head("20250102-000000-bbbbbc", "/w1"));
        assert!(find(&d, "20250101")
            .unwrap()
            .ends_with("20250101-000000-aaaaaa.jsonl"));
        assert!(find(&d, "20250102")
            .unwrap_err()
            .contains("matches 2 sessions"));
        assert!(find(&d, "2026")
            .unwrap_err()
            .starts_with("no session `2026`"));
        assert_eq!(id_of(&latest(&d, "/w1").unwrap()), "20250102-000000-bbbbbc");
        assert_eq!(latest(&d, "/w3"), None);
        let i = info(&find(&d, "20250101").unwrap()).unwrap();
        assert_eq!((i.first_prompt.as_str(), i.turns), ("first task", 1));
        // A subagent's session: under its parent, never the latest.
        let child = header("20250103-000000-cccccc", "/w1", "20250101-000000-aaaaaa");
        kept(&child);
        assert_eq!(id_of(&latest(&d, "/w1").unwrap()), "20250102-000000-bbbbbc");
        let out = listed(&d);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 5, "{out}");
        assert!(lines[3].starts_with("20250101-000000-aaaaaa"), "{out}");
        assert!(lines[4].starts_with("  20250103-000000-cccccc"), "{out}");
        // A second writer on a session in use is refused.
        let p = find(&d, "20250101").unwrap();
        let w = Writer::reopen(&p, "a").unwrap();
        assert!(Writer::reopen(&p, "a").err().unwrap().contains("in use"));
        drop(w);
        assert!(Writer::reopen(&p, "a").is_ok());
    }
}

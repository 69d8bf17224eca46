//! Loading a session file for `--continue` / `--resume`: replay its records
//! in order into a fresh arena and context estimate. Reading is line by
//! line, so memory holds the arena and one line, never the file.
//!
//! What a crash can leave is handled here, never by failing: a torn last
//! line (no newline: killed mid-write) or a line that does not parse is
//! skipped with a note; an assistant turn whose `usage` record (written
//! after its text and calls: the turn's commit) never came is dropped, so
//! the model is asked again; tool calls left without results (killed while
//! tools ran) get results saying so, which the caller appends to the file
//! so the file and the arena agree.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::compact::Estimate;
use super::record::Record;
use crate::arena::Arena;
use crate::json::value::Value;

pub struct Loaded {
    pub id: String,
    pub cwd: String,
    pub model: String,
    pub arena: Arena,
    pub est: Estimate,
    /// One line each, for stderr.
    pub notes: Vec<String>,
    /// Calls with no result: (id, name).
    pub unanswered: Vec<(String, String)>,
    /// The last message is an assistant answer without tool calls.
    pub finished: bool,
    /// The prompts and their checkpoints (src/undo/).
    pub undo: crate::undo::Undo,
}

/// The text of the result given to a call the crash left unanswered.
pub const INTERRUPTED: &str =
    "mote stopped before this tool call finished (the session was interrupted); \
it may or may not have taken effect: check before repeating it.";

pub fn load(path: &Path) -> Result<Loaded, String> {
    let name = path.display().to_string();
    let f = File::open(path).map_err(|e| format!("session file {name}: {e}"))?;
    let mut r = BufReader::new(f);
    let mut replay = Replay::new(name);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let got = r
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("session file {}: {e}", replay.name))?;
        if got == 0 {
            break;
        }
        replay.n += 1;
        if buf.last() != Some(&b'\n') {
            let (name, n) = (&replay.name, replay.n);
            replay.s.notes.push(format!(
                "{name}:{n}: the last record was cut off (mote was stopped mid-write); skipped"
            ));
            break;
        }
        if let Some(v) = replay.value(&buf) {
            if let Some(rec) = replay.record(&v)? {
                replay.apply(&rec)?;
            }
        }
    }
    replay.end()
}

/// The file's records replayed so far, one line at a time.
struct Replay {
    name: String,
    s: Loaded,
    /// Lines read.
    n: usize,
    /// Records of kinds this mote does not know.
    unknown: usize,
    /// An assistant turn not yet closed by its usage record: where it began.
    open: Option<(crate::arena::Mark, Estimate, bool)>,
    /// The last record was a reasoning block (its turn is already open).
    reasoning: bool,
}

impl Replay {
    fn new(name: String) -> Replay {
        Replay {
            name,
            s: Loaded {
                id: String::new(),
                cwd: String::new(),
                model: String::new(),
                arena: Arena::new(),
                est: Estimate::default(),
                notes: Vec::new(),
                unanswered: Vec::new(),
                finished: false,
                undo: Default::default(),
            },
            n: 0,
            unknown: 0,
            open: None,
            reasoning: false,
        }
    }

    fn damaged(&mut self, e: &str) {
        let (name, n) = (&self.name, self.n);
        self.s
            .notes
            .push(format!("{name}:{n}: a damaged record was skipped ({e})"));
    }

    /// The line as JSON, or `None` (noted) when it does not parse.
    fn value(&mut self, line: &[u8]) -> Option<Value> {
        let parsed = std::str::from_utf8(line)
            .map_err(|_| "not UTF-8".to_string())
            .and_then(|l| crate::json::value::parse(l).map_err(|e| e.msg.to_string()));
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.damaged(&e);
                None
            }
        }
    }

    /// The line's record, or `None` for one skipped (counted or noted);
    /// an error when the first line is no session header.
    fn record<'v>(&mut self, v: &'v Value) -> Result<Option<Record<'v>>, String> {
        match Record::parse(v) {
            Ok(Some(rec)) => Ok(Some(rec)),
            Ok(None) => {
                self.unknown += 1;
                Ok(None)
            }
            Err(e) if self.n == 1 => Err(format!("{}: not a mote session ({e})", self.name)),
            Err(e) => {
                self.damaged(&e);
                Ok(None)
            }
        }
    }

    /// Replay one record into the arena, the estimate and the undo list.
    fn apply(&mut self, rec: &Record) -> Result<(), String> {
        self.turn(rec);
        let (s, n) = (&mut self.s, self.n);
        match rec {
            Record::Header { id, cwd, model, .. } if n == 1 => {
                s.id = id.to_string();
                s.cwd = cwd.to_string();
                s.model = model.to_string();
            }
            _ if n == 1 => return Err(format!("{}: not a mote session (no header)", self.name)),
            Record::Moved { cwd } => s.cwd = cwd.to_string(),
            Record::Call { id, name, .. } => s.unanswered.push((id.to_string(), name.to_string())),
            Record::Result { id, .. } => s.unanswered.retain(|(c, _)| c != id),
            _ => {}
        }
        s.finished = finished_after(rec, s.finished);
        rec.apply(&mut s.arena, &mut s.est);
        s.undo.replay(rec, &mut s.arena, &mut s.est);
        Ok(())
    }

    /// Open and close the model's turns: a turn that a new one starts
    /// before its usage record came is left out (noted).
    fn turn(&mut self, rec: &Record) {
        // A turn's reasoning records come first; the turn opens with them.
        let starts_turn = match rec {
            Record::Reasoning { .. } => !self.reasoning,
            Record::Assistant { .. } => !self.reasoning,
            Record::User { .. } | Record::Compact { .. } | Record::Rewind { .. } => true,
            _ => false,
        };
        if let (Some(_), true) = (self.open, starts_turn) {
            self.rollback();
            let (name, n) = (&self.name, self.n);
            self.s.notes.push(format!(
                "{name}:{n}: an unfinished model turn before this record was left out"
            ));
        }
        match rec {
            Record::Reasoning { .. } | Record::Assistant { .. } if starts_turn => {
                self.open = Some((self.s.arena.mark(), self.s.est, self.s.finished))
            }
            Record::Usage(_) => self.open = None,
            _ => {}
        }
        self.reasoning = matches!(rec, Record::Reasoning { .. });
    }

    /// Drop the open turn: the arena, estimate and state from before it.
    fn rollback(&mut self) {
        if let Some((mark, est, finished)) = self.open.take() {
            self.s.arena.rollback(mark);
            (self.s.est, self.s.finished) = (est, finished);
            self.s.unanswered.clear();
        }
    }

    /// The file has ended: an open turn is dropped (killed while the
    /// answer was being saved: ask again), unanswered calls get results.
    fn end(mut self) -> Result<Loaded, String> {
        if self.n == 0 {
            return Err(format!("{}: the session file is empty", self.name));
        }
        self.rollback();
        let name = &self.name;
        let (s, unknown) = (&mut self.s, self.unknown);
        if unknown > 0 {
            s.notes.push(format!(
                "{name}: {unknown} records of kinds this mote does not know were skipped"
            ));
        }
        for (id, call) in &s.unanswered {
            s.arena.result(id, call, INTERRUPTED, true);
            s.est.add(id.len() + call.len() + INTERRUPTED.len());
        }
        Ok(self.s)
    }
}

/// Whether the session has its answer after `rec` (`was`: before it).
fn finished_after(rec: &Record, was: bool) -> bool {
    match rec {
        Record::Assistant { .. } => true,
        Record::Call { .. }
        | Record::User { .. }
        | Record::Image(_)
        | Record::Result { .. }
        | Record::Reasoning { .. } => false,
        Record::Header { .. }
        | Record::Usage(_)
        | Record::Compact { .. }
        | Record::Subagent { .. }
        | Record::Checkpoint { .. }
        | Record::Moved { .. } => was,
        Record::Rewind { .. } => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arena::Msg;
    use crate::arena::Text;
    use std::io::Write;

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("mote-load-{}-{name}.jsonl", std::process::id()));
        std::fs::File::create(&p)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        p
    }

    const HEAD: &str = "{\"type\":\"session\",\"version\":1,\"id\":\"x\",\"cwd\":\"/w\",\"provider\":\"openai\",\"model\":\"m\",\"created\":1,\"mote\":\"0\"}\n";

    #[test]
    fn torn_and_damaged_lines_are_skipped_with_a_note() {
        let text = format!(
            "{HEAD}{{\"type\":\"user\",\"text\":\"go\"}}\n{{\"type\":\"assist\n{{\"type\":\"assistant\",\"text\":\"\"}}\n\
             {{\"type\":\"call\",\"id\":\"c1\",\"name\":\"ls\",\"args\":\"{{}}\"}}\n{USAGE}{{\"type\":\"result\",\"id\":\"c1\",\"na"
        );
        let s = load(&file("torn", &text)).unwrap();
        assert_eq!(s.notes.len(), 2, "{:?}", s.notes);
        assert!(s.notes[0].contains(":3: a damaged record"));
        assert!(s.notes[1].contains(":7: the last record was cut off"));
        assert_eq!(s.unanswered, vec![("c1".to_string(), "ls".to_string())]);
        let msgs: Vec<Msg> = s.arena.messages().collect();
        assert_eq!(msgs.len(), 3);
        assert_eq!(
            msgs[2],
            Msg::Result {
                id: Text::raw("c1"),
                name: Text::raw("ls"),
                text: Text::raw(INTERRUPTED),
                error: true
            }
        );
        assert!(!s.finished);
    }

    #[test]
    fn a_bad_first_line_fails_while_later_bad_or_unknown_lines_are_skipped() {
        let newer = HEAD.replacen("\"version\":1", "\"version\":999", 1);
        assert_ne!(newer, HEAD, "the header names its version");
        let e = load(&file("newer", &newer)).err().unwrap();
        assert!(
            e.contains("not a mote session") && e.contains("newer than this mote reads"),
            "{e}"
        );
        let later = format!(
            "{HEAD}{{\"type\":\"user\",\"text\":\"go\"}}\n{{\"type\":\"user\"}}\n\
             {{\"type\":\"hologram\"}}\n{{\"type\":\"hologram\"}}\n"
        );
        let s = load(&file("later", &later)).unwrap();
        assert_eq!(s.arena.messages().count(), 1);
        assert!(
            s.notes.iter().any(|n| n.ends_with(":3: a damaged record was skipped (user: no string \"text\")")),
            "{:?}",
            s.notes
        );
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains(": 2 records of kinds this mote does not know")),
            "{:?}",
            s.notes
        );
    }

    fn lines(recs: &[&str]) -> String {
        let mut text = HEAD.to_string();
        for r in recs {
            text.push_str(r);
            text.push('\n');
        }
        text
    }

    const GO: &str = r#"{"type":"user","text":"go"}"#;
    const USAGE1: &str = r#"{"type":"usage","input":1,"output":1,"cached":0}"#;

    #[test]
    fn reasoning_replays_into_the_arena_the_live_turn_built() {
        use crate::arena::{Kind, Role};
        let text = lines(&[
            GO,
            r#"{"type":"reasoning","kind":"thinking","text":"t"}"#,
            r#"{"type":"reasoning","kind":"signature","text":"s"}"#,
            r#"{"type":"assistant","text":"a"}"#,
            USAGE1,
            r#"{"type":"reasoning","kind":"redacted","text":"r"}"#,
            r#"{"type":"assistant","text":"b"}"#,
            USAGE1,
        ]);
        let s = load(&file("reasoning", &text)).unwrap();
        let mut live = Arena::new();
        live.user("go");
        live.push(Role::Assistant, Kind::Thinking, "t");
        live.push(Role::Assistant, Kind::Signature, "s");
        live.push(Role::Assistant, Kind::Text, "a");
        live.push(Role::Assistant, Kind::Redacted, "r");
        live.push(Role::Assistant, Kind::Text, "b");
        assert_eq!(
            s.arena.messages().collect::<Vec<_>>(),
            live.messages().collect::<Vec<_>>()
        );
        assert!(s.notes.is_empty() && s.finished, "{:?}", s.notes);
        // The same turn cut before its usage record is left out whole,
        // its reasoning too.
        let text = lines(&[
            GO,
            r#"{"type":"reasoning","kind":"thinking","text":"t"}"#,
            r#"{"type":"reasoning","kind":"signature","text":"s"}"#,
            r#"{"type":"assistant","text":"a"}"#,
            r#"{"type":"call","id":"c1","name":"ls","args":"{}"}"#,
        ]);
        let s = load(&file("reasoning-open", &text)).unwrap();
        assert_eq!(
            s.arena.messages().collect::<Vec<_>>(),
            vec![Msg::User(Text::raw("go"))]
        );
        assert!(s.unanswered.is_empty());
    }

    #[test]
    fn a_prompt_after_an_unfinished_turn_leaves_that_turn_out() {
        let text = lines(&[
            GO,
            r#"{"type":"assistant","text":"x"}"#,
            r#"{"type":"call","id":"c1","name":"ls","args":"{}"}"#,
            r#"{"type":"user","text":"again"}"#,
            r#"{"type":"assistant","text":"done"}"#,
            USAGE1,
        ]);
        let s = load(&file("reprompt", &text)).unwrap();
        assert_eq!(
            s.arena.messages().collect::<Vec<_>>(),
            vec![
                Msg::User(Text::raw("go")),
                Msg::User(Text::raw("again")),
                Msg::Assistant {
                    text: Text::raw("done"),
                    calls: vec![],
                    thinking: vec![]
                }
            ]
        );
        assert!(s.unanswered.is_empty() && s.finished);
        assert!(
            s.notes.len() == 1 && s.notes[0].contains(":5: an unfinished model turn"),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn results_answer_their_calls_and_the_rest_are_interrupted() {
        let text = lines(&[
            GO,
            r#"{"type":"assistant","text":""}"#,
            r#"{"type":"call","id":"c1","name":"ls","args":"{}"}"#,
            r#"{"type":"call","id":"c12","name":"ls","args":"{}"}"#,
            USAGE1,
            r#"{"type":"result","id":"c1","name":"ls","text":"okok"}"#,
        ]);
        let s = load(&file("results", &text)).unwrap();
        assert_eq!(s.unanswered, vec![("c12".to_string(), "ls".to_string())]);
        let msgs: Vec<Msg> = s.arena.messages().collect();
        assert_eq!(
            msgs.len(),
            4,
            "user, assistant, the result, the interrupted one"
        );
        assert!(matches!(&msgs[3], Msg::Result { id, error: true, .. } if *id == Text::raw("c12")));
        // The usage's 2 tokens, then the two results' bytes: 2 + 2 + 4 and
        // 3 + 2 + the note.
        assert_eq!(s.est.tokens(), 2 + (8 + 5 + INTERRUPTED.len() as u64) / 4);
    }

    #[test]
    fn a_move_changes_the_workspace_and_a_later_header_changes_nothing() {
        let other = HEAD
            .replacen("\"id\":\"x\"", "\"id\":\"y\"", 1)
            .replacen("\"/w\"", "\"/v\"", 1);
        let text = format!(
            "{}{other}{}\n",
            lines(&[GO]),
            r#"{"type":"moved","cwd":"/w2"}"#
        );
        let s = load(&file("moved", &text)).unwrap();
        assert_eq!((s.id.as_str(), s.cwd.as_str()), ("x", "/w2"));
    }

    const USAGE: &str = "{\"type\":\"usage\",\"input\":1,\"output\":1,\"cached\":0}\n";

    #[test]
    fn a_turn_without_its_usage_record_is_asked_again() {
        let turn = "{\"type\":\"assistant\",\"text\":\"\"}\n{\"type\":\"call\",\"id\":\"c1\",\"name\":\"ls\",\"args\":\"{}\"}\n";
        let user = "{\"type\":\"user\",\"text\":\"go\"}\n";
        let s = load(&file("open", &format!("{HEAD}{user}{turn}"))).unwrap();
        assert_eq!(
            s.arena.messages().collect::<Vec<_>>(),
            vec![Msg::User(Text::raw("go"))]
        );
        assert!(s.unanswered.is_empty() && !s.finished);
        // Resumed later: the next turn's records follow the unfinished one.
        let s = load(&file("open2", &format!("{HEAD}{user}{turn}{turn}{USAGE}"))).unwrap();
        assert_eq!(
            s.arena.messages().count(),
            3,
            "user, the turn, the result it never got"
        );
        assert_eq!(s.unanswered.len(), 1);
        assert!(
            s.notes[0].contains(":5: an unfinished model turn"),
            "{:?}",
            s.notes
        );
    }

    #[test]
    fn a_finished_session_and_a_compacted_one() {
        let text = format!(
            "{HEAD}{{\"type\":\"user\",\"text\":\"one\"}}\n{{\"type\":\"assistant\",\"text\":\"a\"}}\n\
             {{\"type\":\"usage\",\"input\":100,\"output\":5,\"cached\":0}}\n{{\"type\":\"user\",\"text\":\"two\"}}\n\
             {{\"type\":\"assistant\",\"text\":\"b\"}}\n{USAGE}{{\"type\":\"compact\",\"messages\":2,\"summary\":\"S\"}}\n"
        );
        let s = load(&file("done", &text)).unwrap();
        assert!(s.notes.is_empty() && s.unanswered.is_empty());
        assert!(
            s.finished,
            "compaction does not change whether the task is done"
        );
        let msgs: Vec<Msg> = s.arena.messages().collect();
        assert_eq!(
            msgs,
            vec![
                Msg::User(Text::raw("S")),
                Msg::User(Text::raw("two")),
                Msg::Assistant {
                    text: Text::raw("b"),
                    calls: vec![],
                    thinking: vec![]
                }
            ]
        );
        assert_eq!(s.est.tokens(), (1 + 3 + 1) / 4);
        assert!(load(&file("bad", "{\"type\":\"user\",\"text\":\"x\"}\n"))
            .err()
            .unwrap()
            .contains("not a mote session"));
        assert!(load(&file("empty", "")).err().unwrap().contains("empty"));
    }
}

//! The undo commands of the interactive mode: `/undo` takes back the last
//! prompt (its files and its turn), `/rewind` lists the prompts (time,
//! prompt, files changed) and goes back to before any of them, code,
//! conversation or both, and `/diff` shows what this session changed
//! since its first checkpoint. A file changed since its checkpoint is
//! overwritten only when the user says so. The same code as `--undo` and
//! `--rewind N` (src/undo/).

use super::screen::{paint_diff, say, Paint};
use super::{Flow, Repl};
use crate::frontend::{Answer, Frontend};
use crate::undo;

/// Where the session's checkpoints are (the session file, or a temp
/// directory standing in for it), or why there are none.
fn session(r: &mut Repl) -> Option<std::path::PathBuf> {
    let root = r.ctx.ws.root.clone();
    match r.conv.undo_place(&root) {
        Ok(at) => Some(at.session),
        Err(e) => {
            say(&format!("no checkpoints: {e}\n"));
            None
        }
    }
}

pub fn undo(r: &mut Repl, _: &str) -> Flow {
    let n = r.conv.undo().turns.len();
    if n == 0 {
        say("no prompt to undo\n");
        return Flow::Continue;
    }
    go_back(r, n, true, true);
    Flow::Continue
}

/// `/rewind`: the list; `/rewind N [code|conversation|both]`: go back.
pub fn rewind(r: &mut Repl, arg: &str) -> Flow {
    let mut words = arg.split_whitespace();
    let Some(n) = words.next() else {
        list(r);
        return Flow::Continue;
    };
    let count = r.conv.undo().turns.len();
    let n = match n.parse::<usize>() {
        Ok(n) if (1..=count).contains(&n) => n,
        _ => {
            say(&format!(
                "/rewind: expected a prompt number from 1 to {count} (/rewind lists them)\n"
            ));
            return Flow::Continue;
        }
    };
    let (code, talk) = match words.next().unwrap_or("both") {
        "code" => (true, false),
        "conversation" => (false, true),
        "both" => (true, true),
        other => {
            say(&format!(
                "/rewind: `{other}`: say code, conversation or both\n"
            ));
            return Flow::Continue;
        }
    };
    go_back(r, n, code, talk);
    Flow::Continue
}

fn list(r: &mut Repl) {
    let Some(path) = session(r) else { return };
    let turns = r.conv.undo().turns.clone();
    if turns.is_empty() {
        say("no prompts yet\n");
        return;
    }
    let mut s = String::new();
    for (i, t) in turns.iter().enumerate() {
        let files = undo::files_of(t, &r.ctx.ws.root, &path);
        let files = match files.len() {
            0 => "no files".to_string(),
            n if n > 4 => format!("{}, … ({n} files)", files[..3].join(", ")),
            _ => files.join(", "),
        };
        let time = crate::session::utc(t.time);
        let clock = time.get(11..16).unwrap_or(&time);
        s.push_str(&format!(
            "  {:>2}  {clock}  {}  ({files})\n",
            i + 1,
            super::clean::clean(&t.prompt)
        ));
    }
    s.push_str("/rewind N [code|conversation|both] goes back to just before prompt N\n");
    say(&s);
}

/// Files back to before prompt `n` (`code`), and the conversation (`talk`).
fn go_back(r: &mut Repl, n: usize, code: bool, talk: bool) {
    let Some(path) = session(r) else { return };
    let turns = r.conv.undo().from(n).to_vec();
    let Some(first) = turns.first().map(|t| t.seq) else {
        return;
    };
    if code {
        let screen = &mut r.screen;
        let mut ask = |f: &str| {
            let q = format!("{f} was changed after the checkpoint; overwrite it?");
            screen.confirm(&q, "overwrite it", "keep it") == Answer::Yes
        };
        let done = undo::files_back(&turns, &r.ctx.ws, &path, &mut ask);
        super::spinner::stop();
        match done {
            Ok(lines) => say(&(lines.join("\n") + "\n")),
            Err(e) => say(&format!("cannot restore the files: {e}\n")),
        }
    }
    if talk {
        let whole = r.conv.rewind(first);
        r.screen.context_used = r.conv.log().est.tokens();
        say(&format!("{}\n", undo::conversation_line(&turns, whole)));
    }
}

/// `/diff`: what this session changed since its first checkpoint.
pub fn diff(r: &mut Repl, _: &str) -> Flow {
    let Some(path) = session(r) else {
        return Flow::Continue;
    };
    let Some(first) = r.conv.undo().turns.iter().find(|t| t.has_checkpoint()) else {
        say("no checkpoint yet: nothing changed in this session\n");
        return Flow::Continue;
    };
    match undo::diff(first, &r.ctx.ws.root, &path) {
        Ok(text) if text.trim().is_empty() => say("no changes since the first checkpoint\n"),
        Ok(text) => say(&paint_diff(&text, &Paint(r.screen.color))),
        Err(e) => say(&format!("/diff: {e}\n")),
    }
    Flow::Continue
}

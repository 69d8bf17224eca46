//! The session commands of the interactive mode: `/sessions` lists the
//! saved sessions, `/resume ID` loads one into the running agent (its
//! conversation, and its file for appending), `/new` starts over with a
//! new session file, `/compact` summarises the conversation now. The
//! same session code as `--sessions`, `--resume` and `--compact`.

use super::screen::say;
use super::spinner;
use super::{Flow, Repl};
use crate::agent::Fail;
use crate::session;

fn dir<'s>(s: &Repl<'s>) -> Option<&'s std::path::Path> {
    if s.sessions.is_none() {
        say("no session directory: set HOME or XDG_DATA_HOME, or pass --session-dir\n");
    }
    s.sessions
}

pub fn sessions(r: &mut Repl, _: &str) -> Flow {
    let Some(dir) = dir(r) else {
        return Flow::Continue;
    };
    let mut buf = Vec::new();
    if let Err(e) = session::list(dir, &mut buf) {
        say(&format!("listing sessions: {e}\n"));
    }
    say(&super::clean::clean(&String::from_utf8_lossy(&buf)));
    if let Some(w) = &r.conv.log().writer {
        say(&format!("this conversation: {}\n", w.id));
    }
    Flow::Continue
}

pub fn resume(r: &mut Repl, arg: &str) -> Flow {
    if arg.is_empty() {
        say("usage: /resume ID (or the start of one; /sessions lists them)\n");
        return Flow::Continue;
    }
    let Some(dir) = dir(r) else {
        return Flow::Continue;
    };
    let root = r.ctx.ws.root.clone();
    let found = match session::find(dir, arg)
        .and_then(|p| session::start::open(&p, r.opts.no_session, &root))
    {
        Ok(f) => f,
        Err(e) => {
            say(&format!("{e}\n"));
            return Flow::Continue;
        }
    };
    for n in &found.loaded.notes {
        say(&format!("note: {n}\n"));
    }
    let l = found.loaded;
    let count = l.arena.messages().count();
    r.conv.reset(l.arena, l.est);
    r.conv.set_undo(l.undo);
    r.conv.set_writer(found.writer);
    r.screen.context_used = l.est.tokens();
    let model = if l.model != r.conv.cfg().model {
        format!("; it used model {} (/model switches)", l.model)
    } else {
        String::new()
    };
    say(&format!(
        "resumed session {}: {count} messages{model}\n",
        l.id
    ));
    Flow::Continue
}

pub fn new(r: &mut Repl, _: &str) -> Flow {
    let fresh = r.conv.arena().messages().next().is_none();
    r.conv.reset(crate::arena::Arena::new(), Default::default());
    r.conv.set_undo(Default::default());
    // A conversation with nothing in it keeps its file.
    if !fresh || r.conv.log().writer.is_none() {
        let root = r.ctx.ws.root.to_string_lossy().into_owned();
        let cfg = r.conv.cfg();
        let w = session::start::create(r.opts, r.sessions, &root, &cfg.name, &cfg.model);
        r.conv.set_writer(w);
    }
    r.screen.context_used = 0;
    match &r.conv.log().writer {
        Some(w) => say(&format!("new conversation (session {})\n", w.id)),
        None => say("new conversation (not saved)\n"),
    }
    Flow::Continue
}

pub fn compact(r: &mut Repl, _: &str) -> Flow {
    r.screen.start_turn();
    crate::interrupt::arm(r.screen.tty);
    let res = r.agent().compact();
    crate::interrupt::arm(false);
    spinner::stop();
    match res {
        Ok(true) => {}
        Ok(false) => say("nothing to compact\n"),
        Err(Fail::Interrupted) => say("interrupted; the conversation is as it was\n"),
        Err(f) => say(&format!(
            "compaction failed: {}\n",
            super::clean::clean(&f.message())
        )),
    }
    Flow::Continue
}

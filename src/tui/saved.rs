//! The session commands of the interactive mode: `/sessions` lists the
//! saved sessions, `/resume ID` loads one into the running agent (its
//! conversation, and its file for appending), `/new` starts over with a
//! new session file, `/compact` summarises the conversation now. The
//! same session code as `--sessions`, `--resume` and `--compact`.

use super::screen::say;
use super::spinner;
use super::{Flow, Setup};
use crate::agent::{Agent, Fail};
use crate::session;

fn dir<'s>(s: &Setup<'s>) -> Option<&'s std::path::Path> {
    if s.sessions.is_none() {
        say("no session directory: set HOME or XDG_DATA_HOME, or pass --session-dir\n");
    }
    s.sessions
}

pub fn sessions(a: &mut Agent, s: &mut Setup, _: &str) -> Flow {
    let Some(dir) = dir(s) else {
        return Flow::Continue;
    };
    let mut buf = Vec::new();
    if let Err(e) = session::list(dir, &mut buf) {
        say(&format!("listing sessions: {e}\n"));
    }
    say(&super::clean::clean(&String::from_utf8_lossy(&buf)));
    if let Some(w) = &a.log.writer {
        say(&format!("this conversation: {}\n", w.id));
    }
    Flow::Continue
}

pub fn resume(a: &mut Agent, s: &mut Setup, arg: &str) -> Flow {
    if arg.is_empty() {
        say("usage: /resume ID (or the start of one; /sessions lists them)\n");
        return Flow::Continue;
    }
    let Some(dir) = dir(s) else {
        return Flow::Continue;
    };
    let r = match session::find(dir, arg).and_then(|p| session::start::open(&p, s.opts.no_session))
    {
        Ok(r) => r,
        Err(e) => {
            say(&format!("{e}\n"));
            return Flow::Continue;
        }
    };
    for n in &r.loaded.notes {
        say(&format!("note: {n}\n"));
    }
    let l = r.loaded;
    let count = l.arena.messages().count();
    a.arena = l.arena;
    a.log.writer = r.writer;
    a.log.est = l.est;
    a.doom = Default::default();
    if let Some(t) = a.out.tui.as_mut() {
        t.context_used = l.est.tokens();
    }
    let model = if l.model != a.cfg.model {
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

pub fn new(a: &mut Agent, s: &mut Setup, _: &str) -> Flow {
    let fresh = a.arena.messages().next().is_none();
    a.arena = crate::arena::Arena::new();
    a.log.est = Default::default();
    a.doom = Default::default();
    // A conversation with nothing in it keeps its file.
    if !fresh || a.log.writer.is_none() {
        let root = a.ws.root.to_string_lossy().into_owned();
        a.log.writer = session::start::create(s.opts, s.sessions, &root, &a.cfg.name, &a.cfg.model);
    }
    if let Some(t) = a.out.tui.as_mut() {
        t.context_used = 0;
    }
    match &a.log.writer {
        Some(w) => say(&format!("new conversation (session {})\n", w.id)),
        None => say("new conversation (not saved)\n"),
    }
    Flow::Continue
}

pub fn compact(a: &mut Agent, _: &mut Setup, _: &str) -> Flow {
    let fancy = a.out.tui.as_ref().is_some_and(|t| t.tty);
    if let Some(t) = a.out.tui.as_mut() {
        t.turn_start();
    }
    crate::interrupt::arm(fancy);
    let res = a.compact();
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

//! The interactive mode: `mote` with a terminal and no -p. A REPL drawn
//! inline below the scrollback (no alternate screen): the line editor
//! reads a prompt, the agent runs it with its events shown by `Screen`,
//! a status line follows, and so on until Ctrl-D. Idle, mote sits in one
//! blocking read(2) of stdin: no timers, no CPU.

use crate::clean;
pub mod commands;
pub mod complete;
pub mod compose;
pub mod editor;
pub mod export;
pub mod highlight;
pub mod history;
pub mod inline;
pub mod keys;
pub mod live;
pub mod markdown;
pub mod memory;
pub mod plan_loop;
pub mod rewind;
pub mod saved;
pub mod screen;
pub mod search;
pub mod spinner;
pub mod switch;
pub mod table;
pub mod term;
pub mod thinking;
pub mod width;
pub mod worktree;

use std::io::IsTerminal;
use std::path::Path;

use crate::agent::{Agent, Conversation, Fail, TurnContext};
pub use commands::Flow;
use editor::{Editor, Read};
use screen::{say, Paint, Screen};

/// Colour unless NO_COLOR is set, TERM is dumb, or stdout is no terminal.
fn color_wanted() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && !dumb() && std::io::stdout().is_terminal()
}

/// Whether the terminal shows OSC 8 hyperlinks, judged from the
/// environment alone (never a query that waits for an answer). Not inside
/// tmux or screen, which pass them on only when configured to.
pub fn hyperlinks() -> bool {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    let (term, prog) = (var("TERM"), var("TERM_PROGRAM"));
    if !var("TMUX").is_empty() || term.starts_with("screen") || term.starts_with("tmux") {
        return false;
    }
    [
        "iTerm.app",
        "WezTerm",
        "vscode",
        "ghostty",
        "Hyper",
        "Tabby",
        "rio",
    ]
    .contains(&prog.as_str())
        || ["kitty", "foot", "alacritty", "ghostty", "wezterm", "rio"]
            .iter()
            .any(|t| term.contains(t))
        || var("VTE_VERSION").parse::<u32>().is_ok_and(|v| v >= 5000)
        || !var("WT_SESSION").is_empty()
        || !var("KONSOLE_VERSION").is_empty()
}

/// Whether the terminal shows italics: all but the Linux console and
/// the old hardware terminals do (from TERM, never a query).
pub fn italics() -> bool {
    let term = std::env::var("TERM").unwrap_or_default();
    !["linux", "vt", "ansi", "cons"]
        .iter()
        .any(|t| term.starts_with(t))
}

fn dumb() -> bool {
    std::env::var("TERM").map_or(true, |t| t == "dumb" || t.is_empty())
}

/// The screen for an interactive session in the workspace at `root`.
pub fn screen(model: &str, root: &Path) -> Screen {
    let tty = std::io::stdout().is_terminal() && !dumb();
    let editor = Editor::new(history::History::load_for(history::default_path(), root));
    let mut s = Screen::new(color_wanted(), tty, editor, model);
    s.worktree = crate::worktree::name_of(root);
    s
}

/// What the interactive mode works on: the run's context, the
/// conversation, the screen, and what the slash commands need beyond
/// them: the run's flags and config (to select another model, rebuild the
/// system prompt, make or find session files) and the prompt mode in use.
pub struct Repl<'a> {
    pub ctx: &'a mut TurnContext,
    pub conv: &'a mut Conversation,
    pub screen: Screen,
    pub opts: &'a crate::cli::Options,
    pub config: &'a crate::config::Config,
    pub sessions: Option<&'a Path>,
    pub mode: String,
}

impl Repl<'_> {
    /// The agent for one task (or compaction) on this conversation.
    pub fn agent(&mut self) -> Agent<'_> {
        Agent::new(self.ctx, self.conv, &mut self.screen)
    }
}

/// Run the REPL until the user leaves. The terminal is restored on return
/// (and by the signal handlers in `term` on any other way out).
pub fn repl(mut r: Repl) -> Result<(), (u8, String)> {
    r.screen.context_window = r.conv.log().limits.window;
    let fancy = r.screen.tty;
    if fancy {
        term::enter_raw().map_err(|e| (1, format!("cannot set up the terminal: {e}")))?;
        crate::interrupt::set_tick(Some(spinner::tick));
    }
    let res = session(&mut r, fancy);
    term::restore();
    res
}

fn session(r: &mut Repl, fancy: bool) -> Result<(), (u8, String)> {
    let p = Paint(r.screen.color);
    say(&format!(
        "{}mote {} · {} · permission {} · /help for commands, Ctrl-D to exit{}\n",
        p.s(screen::DIM),
        env!("CARGO_PKG_VERSION"),
        r.conv.cfg().model,
        r.conv.permission(),
        p.s(screen::OFF)
    ));
    let mut ctrl_c = false;
    loop {
        let mut completer = complete::Completer::new(
            r.ctx.ws.root.clone(),
            r.sessions.map(Path::to_path_buf),
            models(r),
        );
        completer.skills = memory::skill_names(r);
        r.screen.editor.set_completer(Box::new(completer));
        let read = match fancy {
            true => r
                .screen
                .editor
                .read_line("› ", (p.s("\x1b[1;36m"), p.s(screen::OFF)), true),
            false => plain_line(),
        };
        let line = match read {
            Ok(Read::Line(l)) => l,
            Ok(Read::Cancel) if !ctrl_c => {
                ctrl_c = true;
                say(&format!(
                    "{}(Ctrl-C again to exit){}\n",
                    p.s(screen::DIM),
                    p.s(screen::OFF)
                ));
                continue;
            }
            Ok(Read::Cancel | Read::Eof) | Err(_) => return Ok(()),
        };
        ctrl_c = false;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(cmd) = trimmed.strip_prefix('!') {
            shell(r, cmd.trim());
            continue;
        }
        let (line, after) = match trimmed.starts_with('/') {
            true => match commands::dispatch(r, trimmed) {
                Flow::Quit => return Ok(()),
                Flow::Continue => continue,
                Flow::Task(t) => (t, None),
                Flow::Template(t, was) => (t, Some(was)),
            },
            false => (line, None),
        };
        run_task(r, &p, fancy, &line, after);
    }
}

/// Run one prompt (with its @-mentions attached) as a turn, print how it
/// ended, and restore the permission a template command changed.
fn run_task(
    r: &mut Repl,
    p: &Paint,
    fancy: bool,
    line: &str,
    after: Option<crate::permission::Permission>,
) {
    crate::interrupt::arm(fancy);
    let root = r.ctx.ws.root.clone();
    let (line, notes) = crate::mention::attach(&mut r.agent(), &root, line);
    for n in notes {
        say(&format!(
            "{}{}{}\n",
            p.s(screen::DIM),
            clean::clean(&n),
            p.s(screen::OFF)
        ));
    }
    let res = r.agent().run(&line);
    crate::interrupt::arm(false);
    let note = match res {
        Ok(_) => None,
        Err(Fail::Interrupted) => Some("interrupted".to_string()),
        Err(f) => Some(format!("error: {}", f.message())),
    };
    r.screen.finish(note.as_deref(), r.conv.prices());
    if let Some(was) = after.filter(|w| *w != r.conv.permission()) {
        r.conv.set_permission(was);
        say(&format!("permission mode: {was}\n"));
    }
}

/// The model ids `/model` completes: the config's `models`, the one in
/// use and the provider's default.
fn models(r: &Repl) -> Vec<String> {
    let cfg = r.conv.cfg();
    let mut v: Vec<String> = r
        .config
        .get("models")
        .and_then(|m| m.as_object())
        .unwrap_or(&[])
        .iter()
        .map(|(k, _)| k.clone())
        .collect();
    v.push(cfg.model.clone());
    v.extend(crate::provider::select::default_model(&cfg.name).map(String::from));
    crate::sort::sort(&mut v);
    v.dedup();
    v
}

/// A line read in cooked mode (TERM=dumb, or stdout not a terminal).
fn plain_line() -> std::io::Result<Read> {
    say("> ");
    let mut s = String::new();
    match std::io::stdin().read_line(&mut s)? {
        0 => Ok(Read::Eof),
        _ => Ok(Read::Line(s.trim_end_matches('\n').to_string())),
    }
}

/// `!cmd`: run through the hooks and the permission gate, show the
/// output, keep it out of the conversation.
fn shell(r: &mut Repl, cmd: &str) {
    crate::interrupt::arm(r.screen.tty);
    let res = r.agent().user_bash("shell", cmd);
    crate::interrupt::arm(false);
    spinner::stop();
    match res {
        Ok(text) | Err(text) => {
            let text = if text.ends_with('\n') {
                text
            } else {
                text + "\n"
            };
            say(&clean::clean(&text));
        }
    }
}

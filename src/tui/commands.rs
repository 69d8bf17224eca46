//! Slash commands: one table that the dispatcher reads and `/help` is
//! printed from. A command whose feature another part of mote will bring
//! (sessions, providers, prompt modes) says so plainly until it exists.

use super::screen::{k, say};
use crate::agent::Agent;

pub enum Flow {
    Continue,
    Quit,
}

pub struct Command {
    pub name: &'static str,
    pub args: &'static str,
    pub help: &'static str,
    pub run: fn(&mut Agent, &str) -> Flow,
}

pub static COMMANDS: &[Command] = &[
    Command { name: "help", args: "", help: "List the commands and keys", run: help },
    Command {
        name: "mode",
        args: "[MODE]",
        help: "Show or set the permission mode: read-only, cautious, standard, auto",
        run: mode,
    },
    Command { name: "model", args: "[ID]", help: "Show the model (switching needs the providers feature)", run: model },
    Command { name: "prompt", args: "[MODE]", help: "Switch the prompt mode (needs prompt modes)", run: prompt },
    Command {
        name: "compact",
        args: "",
        help: "Summarize the conversation to free context (needs sessions)",
        run: compact,
    },
    Command { name: "sessions", args: "", help: "List saved sessions (needs sessions)", run: sessions },
    Command { name: "resume", args: "[ID]", help: "Resume a saved session (needs sessions)", run: sessions },
    Command { name: "new", args: "", help: "Start a new conversation", run: new },
    Command { name: "cost", args: "", help: "Tokens used in this session", run: cost },
    Command { name: "quit", args: "", help: "Exit (also Ctrl-D, or Ctrl-C twice)", run: |_, _| Flow::Quit },
];

const KEYS: &str = "\
Keys: Enter sends · Alt+Enter or a trailing \\ adds a line · Ctrl-C/Esc stops a turn
      ←/→ Ctrl/Alt+←/→ Home/End move · Ctrl-U/K/W delete · ↑/↓ history · Ctrl-D exits
!CMD runs a shell command (through the permission gate), its output is not sent to the model
";

/// Run `line` (starting with '/'); unknown commands say so.
pub fn dispatch(agent: &mut Agent, line: &str) -> Flow {
    let body = line.trim().trim_start_matches('/');
    let (name, arg) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    match COMMANDS.iter().find(|c| c.name == name) {
        Some(c) => (c.run)(agent, arg.trim()),
        None => {
            say(&format!("unknown command /{name}; /help lists them\n"));
            Flow::Continue
        }
    }
}

fn not_yet(what: &str) -> Flow {
    say(&format!("{what} is not available yet in this build\n"));
    Flow::Continue
}

fn help(_: &mut Agent, _: &str) -> Flow {
    let mut s = String::new();
    for c in COMMANDS {
        let left = format!("/{} {}", c.name, c.args);
        s.push_str(&format!("  {left:<18} {}\n", c.help));
    }
    s.push_str(KEYS);
    say(&s);
    Flow::Continue
}

fn mode(a: &mut Agent, arg: &str) -> Flow {
    use crate::cli::Permission::*;
    let name = |p| match p {
        ReadOnly => "read-only",
        Cautious => "cautious",
        Standard => "standard",
        Auto => "auto",
    };
    if !arg.is_empty() {
        a.permission = match arg {
            "read-only" => ReadOnly,
            "cautious" => Cautious,
            "standard" => Standard,
            "auto" => Auto,
            _ => {
                say(&format!("unknown mode `{arg}`: read-only, cautious, standard or auto\n"));
                return Flow::Continue;
            }
        };
    }
    say(&format!("permission mode: {}\n", name(a.permission)));
    Flow::Continue
}

fn model(a: &mut Agent, arg: &str) -> Flow {
    if !arg.is_empty() && arg != a.cfg.model {
        return not_yet("switching models");
    }
    say(&format!("model: {}\n", a.cfg.model));
    Flow::Continue
}

fn prompt(_: &mut Agent, _: &str) -> Flow {
    not_yet("/prompt (prompt modes)")
}

fn compact(_: &mut Agent, _: &str) -> Flow {
    not_yet("/compact (sessions)")
}

fn sessions(_: &mut Agent, _: &str) -> Flow {
    not_yet("saved sessions")
}

fn new(a: &mut Agent, _: &str) -> Flow {
    a.arena = crate::arena::Arena::new();
    if let Some(t) = a.out.tui.as_mut() {
        t.context_used = 0;
    }
    say("new conversation\n");
    Flow::Continue
}

fn cost(a: &mut Agent, _: &str) -> Flow {
    let u = a.usage;
    say(&format!(
        "this session: {} in ({} cached) / {} out tokens; cost unknown for {}\n",
        k(u.input),
        k(u.cached),
        k(u.output),
        a.cfg.model
    ));
    Flow::Continue
}

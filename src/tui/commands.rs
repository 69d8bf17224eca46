//! Slash commands: one table that the dispatcher reads and `/help` is
//! printed from. The commands that switch the model or prompt mode live in
//! switch.rs, the session ones (/sessions, /resume, /new, /compact) in
//! saved.rs, /loop in plan_loop.rs, /memory /remember /skills and
//! templates in memory.rs, /worktree in worktree.rs; the small ones are
//! here.

use super::screen::{k, say, usd};
use super::{export, memory, plan_loop, rewind, saved, switch, worktree, Repl};

pub enum Flow {
    Continue,
    Quit,
    /// Send this text as the next prompt (a skill, `/MODE task`).
    Task(String),
    /// Send a template's text; then the permission mode goes back to this
    /// one (a template's `permission:` is for its one task).
    Template(String, crate::permission::Permission),
}

/// What a command's first argument is, for Tab completion (complete.rs).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Arg {
    None,
    Permission,
    Prompt,
    Model,
    Session,
    Thinking,
}

pub struct Command {
    pub name: &'static str,
    pub args: &'static str,
    pub arg: Arg,
    pub help: &'static str,
    pub run: fn(&mut Repl, &str) -> Flow,
}

pub static COMMANDS: &[Command] = &[
    Command {
        name: "help",
        args: "",
        arg: Arg::None,
        help: "List the commands and keys",
        run: help,
    },
    Command {
        name: "mode",
        args: "[MODE]",
        arg: Arg::Permission,
        help: "Show or set the permission mode: read-only, cautious, standard, auto",
        run: mode,
    },
    Command {
        name: "model",
        args: "[PROV/]ID",
        arg: Arg::Model,
        help: "Show the provider and model, or switch to another",
        run: switch::model,
    },
    Command {
        name: "prompt",
        args: "[MODE]",
        arg: Arg::Prompt,
        help: "List the prompt modes, or switch to one",
        run: switch::prompt,
    },
    Command {
        name: "thinking",
        args: "[EFFORT]",
        arg: Arg::Thinking,
        help: "Show or hide the model's reasoning; off, low, medium or high sets its effort",
        run: thinking,
    },
    Command {
        name: "loop",
        args: "PLAN.md ...",
        arg: Arg::None,
        help: "Loop task (as --loop): [--check CMD] [--max-iterations N]",
        run: plan_loop::run,
    },
    Command {
        name: "compact",
        args: "",
        arg: Arg::None,
        help: "Summarize the conversation to free context",
        run: saved::compact,
    },
    Command {
        name: "sessions",
        args: "",
        arg: Arg::None,
        help: "List saved sessions",
        run: saved::sessions,
    },
    Command {
        name: "resume",
        args: "ID",
        arg: Arg::Session,
        help: "Load a saved session (an id or its prefix)",
        run: saved::resume,
    },
    Command {
        name: "new",
        args: "",
        arg: Arg::None,
        help: "Start a new conversation (and session file)",
        run: saved::new,
    },
    Command {
        name: "undo",
        args: "",
        arg: Arg::None,
        help: "Undo the last prompt: its files and its turn",
        run: rewind::undo,
    },
    Command {
        name: "rewind",
        args: "[N [code|conversation|both]]",
        arg: Arg::None,
        help: "List the prompts, or go back to before prompt N",
        run: rewind::rewind,
    },
    Command {
        name: "diff",
        args: "",
        arg: Arg::None,
        help: "What this session changed since its first checkpoint",
        run: rewind::diff,
    },
    Command {
        name: "worktree",
        args: "[NAME]",
        arg: Arg::None,
        help: "List the repository's mote worktrees, or work in mote/NAME's (made if missing)",
        run: worktree::run,
    },
    Command {
        name: "export",
        args: "[FILE]",
        arg: Arg::None,
        help: "Write the conversation as Markdown (default mote-SESSION.md)",
        run: export::run,
    },
    Command {
        name: "memory",
        args: "[N]",
        arg: Arg::None,
        help: "List the instruction files in effect, or open file N in $EDITOR",
        run: memory::memory,
    },
    Command {
        name: "remember",
        args: "TEXT",
        arg: Arg::None,
        help: "Add `- TEXT` under ## Notes in the project's AGENTS.md",
        run: memory::remember,
    },
    Command {
        name: "skills",
        args: "",
        arg: Arg::None,
        help: "List the Agent Skills found (/NAME args uses one)",
        run: memory::list_skills,
    },
    Command {
        name: "cost",
        args: "",
        arg: Arg::None,
        help: "Tokens used and their cost in this run",
        run: cost,
    },
    Command {
        name: "quit",
        args: "",
        arg: Arg::None,
        help: "Exit (also Ctrl-D, or Ctrl-C twice)",
        run: |_, _| Flow::Quit,
    },
];

const KEYS: &str = "\
Keys: Enter sends · Alt+Enter or a trailing \\ adds a line · Ctrl-C/Esc stops a turn
      sent during a turn: queued until it ends · Esc clears the queue
      ←/→ Ctrl/Alt+←/→ Home/End move · Ctrl-U/K/W delete · ↑/↓ history · Ctrl-D exits
      Tab completes commands, their arguments and @paths · @path attaches a file or folder
      Ctrl-R searches the history · Ctrl-G edits the input in $VISUAL/$EDITOR
!CMD runs a shell command (through the permission gate), its output is not sent to the model
";

/// Run `line` (starting with '/'); a name that is no command may be a
/// template, a prompt mode or a skill (memory.rs), else it says so.
pub fn dispatch(r: &mut Repl, line: &str) -> Flow {
    let body = line.trim().trim_start_matches('/');
    let (name, arg) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
    match COMMANDS.iter().find(|c| c.name == name) {
        Some(c) => (c.run)(r, arg.trim()),
        None => memory::other(r, name, arg.trim()),
    }
}

fn help(_: &mut Repl, _: &str) -> Flow {
    let mut s = String::new();
    for c in COMMANDS {
        let left = format!("/{} {}", c.name, c.args);
        s.push_str(&format!("  {left:<18} {}\n", c.help));
    }
    s.push_str(KEYS);
    say(&s);
    Flow::Continue
}

/// The permission mode: the gate decides each call with it (`Gate::decide`).
fn mode(r: &mut Repl, arg: &str) -> Flow {
    if !arg.is_empty() {
        match arg.parse() {
            Ok(p) => r.conv.set_permission(p),
            Err(e) => {
                say(&format!("/mode: {e}\n"));
                return Flow::Continue;
            }
        }
    }
    say(&format!("permission mode: {}\n", r.conv.permission()));
    Flow::Continue
}

fn cost(r: &mut Repl, _: &str) -> Flow {
    say(&format!("{}\n", cost_line(r.conv)));
    Flow::Continue
}

/// Tokens used and their cost (the TUI's and the editor's `/cost`).
pub fn cost_line(conv: &crate::agent::Conversation) -> String {
    let u = conv.usage();
    let cost = match conv.prices() {
        Some(p) => usd(p.cost(&u)),
        None => format!(
            "cost unknown (no input_price/output_price in the config's models.{})",
            conv.cfg().model
        ),
    };
    format!(
        "this run: {} in ({} cached) / {} out tokens; {cost}",
        k(u.input),
        k(u.cached),
        k(u.output)
    )
}

/// `/thinking`: show or hide the reasoning; `/thinking EFFORT` sets `--thinking`.
fn thinking(r: &mut Repl, arg: &str) -> Flow {
    if arg.is_empty() {
        let t = &mut r.screen.thinking;
        t.hidden = !t.hidden;
        say(if t.hidden {
            "reasoning hidden (/thinking shows it)\n"
        } else {
            "reasoning shown\n"
        });
        return Flow::Continue;
    }
    match crate::provider::Thinking::parse(arg) {
        Some(t) => {
            r.conv.set_thinking(t);
            say(&format!("reasoning effort: {arg}\n"));
        }
        None => say(&format!(
            "/thinking: expected off, low, medium or high, got `{arg}`\n"
        )),
    }
    Flow::Continue
}

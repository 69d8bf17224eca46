//! The extension commands: `/memory` (the instruction files in effect,
//! `/memory N` opens one in the user's editor), `/remember TEXT` (a note
//! in the project's AGENTS.md, src/memory.rs), `/skills` (the Agent
//! Skills found, and the malformed ones), and `/NAME args` for a name
//! that is no command: a template (its `` !`cmd` `` lines run through
//! the gate), a prompt mode, or a skill.

use std::path::PathBuf;

use super::commands::Flow;
use super::screen::say;
use super::{switch, Repl};
use crate::modes::{self, Kind};

fn user_dir() -> Option<PathBuf> {
    crate::config::user_dir(&|k| crate::secrets::env(k))
}

/// `/memory`: list the files; `/memory N`: open file N in the editor.
pub fn memory(r: &mut Repl, arg: &str) -> Flow {
    let cwd = std::env::current_dir().unwrap_or_else(|_| r.ctx.ws.root.clone());
    let files = crate::memory::files(&cwd, user_dir().as_deref(), &skills(r).0);
    if arg.is_empty() {
        if r.opts.no_context_files {
            say("(--no-context-files: AGENTS.md and CLAUDE.md are not sent)\n");
        }
        say(&crate::memory::listing(&files));
        return Flow::Continue;
    }
    let chosen = arg
        .parse::<usize>()
        .ok()
        .and_then(|n| files.get(n.wrapping_sub(1)));
    let Some((path, _)) = chosen else {
        say(&format!("/memory: no file {arg}; /memory lists them\n"));
        return Flow::Continue;
    };
    match super::compose::edit(path, r.screen.tty) {
        Ok(()) => say(&format!(
            "edited {} (the next session reads it)\n",
            path.display()
        )),
        Err(e) => say(&format!("/memory: {e}\n")),
    }
    Flow::Continue
}

/// `/remember TEXT`: append `- TEXT` to the project's notes.
pub fn remember(r: &mut Repl, arg: &str) -> Flow {
    let cwd = std::env::current_dir().unwrap_or_else(|_| r.ctx.ws.root.clone());
    match crate::memory::remember(&cwd, arg) {
        Ok(done) | Err(done) => say(&format!("{done}\n")),
    }
    Flow::Continue
}

/// The skills for this workspace, and the errors of the malformed ones.
fn skills(r: &Repl) -> (Vec<crate::skills::Skill>, Vec<String>) {
    crate::skills::found(&r.ctx.ws.root)
}

/// The skills' names and descriptions, for Tab completion.
pub fn skill_names(r: &Repl) -> Vec<(String, String)> {
    let (list, _) = skills(r);
    list.into_iter().map(|k| (k.name, k.description)).collect()
}

/// `/skills`: each skill's name, description and folder; then the
/// malformed ones with their errors.
pub fn list_skills(r: &mut Repl, _: &str) -> Flow {
    let (list, bad) = skills(r);
    let mut s = String::new();
    for k in &list {
        s.push_str(&format!(
            "/{} — {}\n    {}\n",
            k.name,
            k.description,
            k.dir.display()
        ));
    }
    for b in &bad {
        s.push_str(&format!("malformed: {b}\n"));
    }
    if s.is_empty() {
        s.push_str(
            "no skills (folders with a SKILL.md in .mote/skills, .agents/skills, .claude/skills)\n",
        );
    }
    say(&crate::clean::clean(&s));
    Flow::Continue
}

/// `/NAME args` when NAME is no command: a template is expanded (its
/// `` !`cmd` `` run through the gate) and sent; `/MODE task` switches the
/// prompt mode and sends the task; `/SKILL args` asks for the skill.
pub fn other(r: &mut Repl, name: &str, args: &str) -> Flow {
    let (_, _, dirs) = switch::dirs();
    match modes::find(name, &dirs) {
        Ok(Some(p)) if p.kind == Kind::Template => {
            let was = r.conv.permission();
            let notes = switch::template_permission(r.opts, &p, r.conv, r.opts.trust);
            notes.iter().for_each(|n| say(&format!("{n}\n")));
            if r.conv.permission() != was {
                say(&format!("permission mode: {}\n", r.conv.permission()));
            }
            let text = crate::template::expand(&p.body, args);
            crate::interrupt::arm(r.screen.tty);
            let mut agent = r.agent();
            let (text, notes) =
                crate::template::commands(&text, &mut |c| agent.user_bash("template", c));
            crate::interrupt::arm(false);
            super::spinner::stop();
            notes.iter().for_each(|n| say(&format!("{n}\n")));
            Flow::Template(text, was)
        }
        Ok(Some(_)) => match switch::prompt(r, name) {
            Flow::Continue if !args.is_empty() => Flow::Task(args.to_string()),
            f => f,
        },
        Err(e) => {
            say(&format!("{e}\n"));
            Flow::Continue
        }
        Ok(None) => match skills(r).0.iter().find(|k| k.name == name) {
            Some(k) => Flow::Task(crate::skills::invoke(k, args)),
            None => {
                say(&format!("unknown command /{name}; /help lists them\n"));
                Flow::Continue
            }
        },
    }
}

//! Slash commands in an editor: the `available_commands_update` list (the
//! commands that make sense without a terminal, the prompt modes, the
//! templates and the Agent Skills) and running a prompt that starts with one. The commands'
//! help and argument hints come from the TUI's COMMANDS table and their
//! work from the functions the TUI's commands use too.

use std::path::PathBuf;

use super::front::Front;
use super::session::{Base, Session};
use crate::agent::Agent;
use crate::frontend::Frontend;
use crate::json::value::Value;
use crate::mcp::rpc::{obj, s};
use crate::modes::{self, Kind};
use crate::tui::{commands, switch};

struct Command {
    name: &'static str,
    run: fn(&Base, &mut Session, &mut Front, &str) -> Result<String, String>,
}

/// The TUI's commands an editor gets (the others need the terminal, or
/// are ACP requests: modes, sessions).
const COMMANDS: &[Command] = &[
    Command {
        name: "compact",
        run: compact,
    },
    Command {
        name: "model",
        run: model,
    },
    Command {
        name: "cost",
        run: |_, sess, _, _| Ok(commands::cost_line(&sess.conv)),
    },
    Command {
        name: "remember",
        run: |_, sess, _, text| crate::memory::remember(&sess.ctx.ws.root, text),
    },
];

fn compact(_: &Base, sess: &mut Session, front: &mut Front, _: &str) -> Result<String, String> {
    match Agent::new(&mut sess.ctx, &mut sess.conv, front).compact() {
        Ok(true) => Ok("the session was compacted".into()),
        Ok(false) => Ok("nothing to compact".into()),
        Err(f) => Err(f.message()),
    }
}

fn model(base: &Base, sess: &mut Session, _: &mut Front, arg: &str) -> Result<String, String> {
    match arg.is_empty() {
        true => Ok(switch::model_line(&sess.conv)),
        false => switch::set_model(&mut sess.conv, base.opts, base.config, arg),
    }
}

fn dirs(sess: &Session) -> (Option<PathBuf>, Vec<modes::Dir>) {
    let user = crate::config::user_dir(&|k| crate::secrets::env(k));
    let dirs = modes::dirs(&sess.ctx.ws.root, user.as_deref());
    (user, dirs)
}

fn command(name: &str, description: &str, hint: &str) -> Value {
    let mut f = vec![("name", s(name)), ("description", s(description))];
    if !hint.is_empty() {
        f.push(("input", obj(vec![("hint", s(hint))])));
    }
    obj(f)
}

/// The `available_commands_update` for `sess`.
pub fn available(sess: &Session) -> Value {
    let mut list: Vec<Value> = COMMANDS
        .iter()
        .filter_map(|c| commands::COMMANDS.iter().find(|t| t.name == c.name))
        .map(|t| command(t.name, t.help, t.args))
        .collect();
    let (_, dirs) = dirs(sess);
    let (modes, templates) = modes::list(&dirs);
    for (names, hint) in [(modes, "task"), (templates, "arguments")] {
        for n in names {
            if let Ok(Some(p)) = modes::find(&n, &dirs) {
                list.push(command(&n, &p.description, hint));
            }
        }
    }
    // `/SKILL args` runs a skill unless a command of that name comes first.
    let (skills, _) = crate::skills::found(&sess.ctx.ws.root);
    for k in skills {
        if !list
            .iter()
            .any(|c| c.get("name").and_then(|v| v.as_str()) == Some(&k.name))
        {
            list.push(command(&k.name, &k.description, "task"));
        }
    }
    obj(vec![
        ("sessionUpdate", s("available_commands_update")),
        ("availableCommands", Value::Arr(list)),
    ])
}

/// Switch `sess` to the prompt mode `p`; what to tell the user.
fn set_mode(
    base: &Base,
    sess: &mut Session,
    p: modes::Prompt,
    user: Option<PathBuf>,
) -> Result<String, String> {
    let root = sess.ctx.ws.root.clone();
    let at = switch::Where {
        root: &root,
        cwd: &root,
        user: user.as_deref(),
        trusted: sess.trusted,
        config: base.config,
        start: sess.ctx.hooks.started(),
    };
    let (mode, mut said) = switch::prompt_mode(base.opts, &at, &p, &sess.conv)?;
    said.push(format!(
        "prompt mode: {} · permission {}",
        p.name, mode.permission
    ));
    sess.conv.set_prompt_mode(mode);
    sess.mode = p.name;
    Ok(said.join("\n"))
}

/// Switch `sess` to the prompt mode named `name` (session/set_config_option).
pub fn set_prompt_mode(base: &Base, sess: &mut Session, name: &str) -> Result<String, String> {
    let (user, dirs) = dirs(sess);
    match modes::find(name, &dirs)? {
        Some(p) if p.kind == Kind::Mode => set_mode(base, sess, p, user),
        _ => Err(format!("no prompt mode `{name}`")),
    }
}

/// The prompt modes' names, for the config option.
pub fn mode_names(sess: &Session) -> Vec<String> {
    modes::list(&dirs(sess).1).0
}

/// What a prompt starting with a slash command comes to.
pub enum Slash {
    /// Done: this text is the answer.
    Said(String),
    /// Run this task (the task after `/MODE`).
    Task(String),
    /// Run this template's text; the permission mode it set applies to
    /// this one task.
    Template(String),
}

/// Run the slash command `text` starts with, if it names one (a command,
/// prompt mode, template or skill; a prompt such as `/etc/hosts is wrong`
/// is not one).
pub fn run(
    base: &Base,
    sess: &mut Session,
    front: &mut Front,
    text: &str,
) -> Option<Result<Slash, String>> {
    let (name, args) = modes::command(text)?;
    let args = args.trim();
    if let Some(c) = COMMANDS.iter().find(|c| c.name == name) {
        return Some((c.run)(base, sess, front, args).map(Slash::Said));
    }
    let (user, dirs) = dirs(sess);
    let p = match modes::find(name, &dirs) {
        Ok(Some(p)) => p,
        // `/SKILL args` asks for that skill, as in the terminal.
        Ok(None) => {
            let (skills, _) = crate::skills::found(&sess.ctx.ws.root);
            let k = skills.iter().find(|k| k.name == name)?;
            return Some(Ok(Slash::Task(crate::skills::invoke(k, args))));
        }
        Err(e) => return Some(Err(e)),
    };
    if p.kind == Kind::Template {
        // Its `permission:` sets the session's mode first, as
        // `modes::grant` allows; its `` !`cmd` `` run through the gate,
        // which asks the editor.
        let trusted = sess.trusted;
        let notes = switch::template_permission(base.opts, &p, &mut sess.conv, trusted);
        notes
            .iter()
            .for_each(|n| front.text(&format!("[mote: {n}]\n\n")));
        let text = crate::template::expand(&p.body, args);
        let mut agent = Agent::new(&mut sess.ctx, &mut sess.conv, front);
        let (text, _) = crate::template::commands(&text, &mut |c| agent.user_bash("template", c));
        return Some(Ok(Slash::Template(text)));
    }
    Some(
        set_mode(base, sess, p, user).map(|said| match args.is_empty() {
            true => Slash::Said(said),
            false => Slash::Task(args.to_string()),
        }),
    )
}

//! `/worktree`: list the repository's mote worktrees with their status,
//! or move the running session into `mote/NAME`'s worktree (made if
//! missing, src/worktree.rs): the following prompts' tools, commands,
//! checkpoints and system prompt work in that folder.

use super::screen::say;
use super::{saved, switch, Flow, Repl};

pub fn run(r: &mut Repl, arg: &str) -> Flow {
    let root = r.ctx.ws.root.clone();
    if arg.is_empty() {
        match crate::worktree::listing(&root) {
            Ok(text) => say(&text),
            Err(e) => say(&format!("/worktree: {e}\n")),
        }
        return Flow::Continue;
    }
    let template = r.config.str("worktree_dir").ok().flatten();
    match crate::worktree::enter(&root, arg, template) {
        Ok((path, made)) => move_to(r, arg, &path, made),
        Err(e) => say(&format!("/worktree: {e}\n")),
    }
    Flow::Continue
}

/// Work in `path` from now on.
fn move_to(r: &mut Repl, name: &str, path: &std::path::Path, made: bool) {
    if let Err(e) = std::env::set_current_dir(path) {
        say(&format!("/worktree: {}: {e}\n", path.display()));
        return;
    }
    r.ctx.ws.root = path.to_path_buf();
    r.conv.moved(path);
    r.ctx.hooks.moved(path);
    let mcp = r.ctx.mcp.restart(path.to_path_buf());
    // The system prompt names the workspace and holds its context files.
    let (cwd, user, dirs) = switch::dirs();
    if let Ok(Some(p)) = crate::modes::find(&r.mode, &dirs) {
        // The permission stays as it is; the worktree's own prompt files
        // are another folder's, so they are judged as untrusted.
        let keep = r.conv.permission();
        let at = switch::Where {
            root: path,
            cwd: &cwd,
            user: user.as_deref(),
            trusted: false,
            config: r.config,
            start: r.ctx.hooks.started(),
        };
        match switch::prompt_mode(r.opts, &at, &p, r.conv) {
            Ok((mode, _)) => {
                r.conv.set_prompt_mode(mode);
                r.conv.set_permission(keep);
            }
            Err(e) => say(&format!("{e}\n")),
        }
    }
    r.screen.worktree = Some(name.to_string());
    let how = if made { "made" } else { "found" };
    let servers = match mcp {
        true => " (MCP servers restarted there)",
        false => "",
    };
    say(&format!(
        "{how} worktree {name} (branch mote/{name}): following prompts work in {}{servers}\n",
        path.display()
    ));
    // A session with nothing in it yet starts over there, so -c finds it.
    if r.conv.arena().messages().next().is_none() {
        saved::new(r, "");
    } else if let Some(w) = &r.conv.log().writer {
        say(&format!(
            "this session stays listed under its first folder (mote --resume {} continues it); \
             /undo puts back files of the prompts from now on\n",
            w.id
        ));
    }
}

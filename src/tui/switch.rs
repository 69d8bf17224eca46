//! `/model` and `/prompt`: switch the model (re-running provider
//! selection with the run's flags and config) or the prompt mode (system
//! prompt, the mode's permission and writable files) mid-conversation,
//! through `Conversation::set_model` and `set_prompt_mode`.

use std::path::{Path, PathBuf};

use super::screen::{k, say, usd};
use super::{Flow, Repl};
use crate::agent::{Conversation, PromptMode};
use crate::cli::Options;
use crate::config::Config;
use crate::modes::{self, Kind};
use crate::provider::select::{select, Selected, Wanted};
use crate::session::compact::{Limits, DEFAULT_WINDOW};

fn env(k: &str) -> Option<String> {
    crate::secrets::env(k)
}

/// `/model`: show; `/model ID` keeps the provider; `/model PROVIDER/ID`
/// (or a model id with a slash) selects as `--model` would.
pub fn model(r: &mut Repl, arg: &str) -> Flow {
    if arg.is_empty() {
        say(&format!("{}\n", model_line(r.conv)));
        return Flow::Continue;
    }
    match set_model(r.conv, r.opts, r.config, arg) {
        Ok(lines) => {
            r.screen.model = r.conv.cfg().model.clone();
            r.screen.context_window = r.conv.log().limits.window;
            say(&format!("{lines}\n"));
        }
        Err(e) => say(&format!("{e}\n")),
    }
    Flow::Continue
}

/// The provider, model, context window and prices.
pub fn model_line(conv: &Conversation) -> String {
    let prices = match conv.prices() {
        Some(p) => format!(
            "{} in / {} out per million tokens",
            usd(p.input),
            usd(p.output)
        ),
        None => "prices unknown".into(),
    };
    format!(
        "provider {} · model {} · context {} · {prices}",
        conv.cfg().name,
        conv.cfg().model,
        k(conv.log().limits.window)
    )
}

/// Switch `conv` to the model `arg` (`ID` keeps the provider,
/// `PROVIDER/ID` selects as `--model` would), for the TUI's and the
/// editor's `/model`: the lines to show (warnings, then the new model).
pub fn set_model(
    conv: &mut Conversation,
    o: &Options,
    config: &Config,
    arg: &str,
) -> Result<String, String> {
    let cfg = conv.cfg();
    let want = |provider: &'static str, base_url: &str| -> Result<Selected, String> {
        let w = Wanted {
            provider: if provider.is_empty() { "" } else { &cfg.name },
            model: arg,
            base_url,
            max_tokens: o.max_tokens,
            tokens_field: o.tokens_field,
            timeout: o.timeout,
            deadline: o.deadline,
            thinking: o.thinking,
        };
        select(&w, &env, Some(&config.value))
    };
    let same = || want("same", &o.base_url);
    // A provider prefix switches provider; any other slash belongs to the model id.
    let sel = match arg.split_once('/') {
        Some((prefix, _)) => match want("", "") {
            Ok(sel) if sel.config.name == prefix => Ok(sel),
            _ => same(),
        },
        None => same(),
    }
    .map_err(|e| format!("cannot switch to `{arg}`: {e}"))?;
    let mut lines: Vec<String> = sel
        .warnings
        .iter()
        .map(|w| format!("warning: {w}"))
        .collect();
    // The window: an explicit --context-window stays, else the new model's.
    let flag = o.context_window.filter(|w| Some(*w) != cfg.context_window);
    let window = flag.or(sel.config.context_window).unwrap_or(DEFAULT_WINDOW);
    lines.push(format!("model: {} ({})", sel.config.model, sel.config.name));
    conv.set_model(sel.config, sel.prices, Limits::new(window));
    Ok(lines.join("\n"))
}

pub(super) fn dirs() -> (PathBuf, Option<PathBuf>, Vec<modes::Dir>) {
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let user = crate::config::user_dir(&env);
    let dirs = modes::dirs(&cwd, user.as_deref());
    (cwd, user, dirs)
}

/// `/prompt`: list the modes; `/prompt MODE`: switch to it.
pub fn prompt(r: &mut Repl, arg: &str) -> Flow {
    let (cwd, user, dirs) = dirs();
    if arg.is_empty() {
        let (list, _) = modes::list(&dirs);
        let marked: Vec<String> = list
            .iter()
            .map(|m| {
                if *m == r.mode {
                    format!("{m} (current)")
                } else {
                    m.clone()
                }
            })
            .collect();
        say(&format!("prompt modes: {}\n", marked.join(", ")));
        return Flow::Continue;
    }
    let p = match modes::find(arg, &dirs) {
        Ok(Some(p)) if p.kind == Kind::Mode => p,
        Ok(Some(_)) => {
            say(&format!("`{arg}` is a template, not a prompt mode\n"));
            return Flow::Continue;
        }
        Ok(None) => {
            say(&format!("no prompt mode `{arg}`; /prompt lists them\n"));
            return Flow::Continue;
        }
        Err(e) => {
            say(&format!("{e}\n"));
            return Flow::Continue;
        }
    };
    let at = Where {
        root: &r.ctx.ws.root,
        cwd: &cwd,
        user: user.as_deref(),
        trusted: r.opts.trust,
        config: r.config,
        start: r.ctx.hooks.started(),
    };
    let (mode, notes) = match prompt_mode(r.opts, &at, &p, r.conv) {
        Ok(m) => m,
        Err(e) => {
            say(&format!("{e}\n"));
            return Flow::Continue;
        }
    };
    let permission = mode.permission;
    r.conv.set_prompt_mode(mode);
    r.mode = p.name;
    for n in notes {
        say(&format!("{n}\n"));
    }
    say(&format!(
        "prompt mode: {} · permission {permission}\n",
        r.mode
    ));
    Flow::Continue
}

/// Where a conversation runs, for switching its prompt mode: the
/// workspace root, the folder, the user's config folder, whether the
/// folder is trusted (src/trust.rs), the config, and what the session's
/// SessionStart hooks added (`Hooks::started`).
pub struct Where<'a> {
    pub root: &'a Path,
    pub cwd: &'a Path,
    pub user: Option<&'a Path>,
    pub trusted: bool,
    pub config: &'a Config,
    pub start: &'a str,
}

/// What switching `conv` to the prompt mode `p` sets (the TUI's `/prompt`,
/// an editor's `/MODE`): the system prompt for `root` as a run builds it
/// (`Setup::system`: the mode's text, the context files of `cwd`, the
/// skills, `--append-system-prompt`, then the session's SessionStart
/// context), and the mode's permission unless
/// `--permission` was given, as `modes::grant` allows; the lines saying
/// what an untrusted project's file did not get.
pub fn prompt_mode(
    o: &Options,
    at: &Where,
    p: &modes::Prompt,
    conv: &Conversation,
) -> Result<(PromptMode, Vec<String>), String> {
    // Malformed skills were reported when the session began.
    let (skills, _) = crate::skills::found(at.root);
    let setup = crate::run::Setup::new(o, at.config, None);
    let system = setup.system(at.root, at.cwd, p, None, &skills)?;
    let system = crate::prompt::with_start(system, at.start);
    let base = match o.permission_explicit {
        true => conv.permission(),
        false => o.permission,
    };
    let g = modes::grant(p, None, base, o.permission_explicit, at.trusted);
    let mode = PromptMode {
        system,
        permission: g.permission,
        writable: g.writable,
    };
    Ok((mode, g.notes))
}

/// Apply a template's `permission:` to `conv` (the TUI's and an editor's
/// `/TEMPLATE`), from the mode it is in, as `modes::grant` allows; the
/// lines saying what an untrusted project's file did not get.
pub fn template_permission(
    o: &Options,
    p: &modes::Prompt,
    conv: &mut Conversation,
    trusted: bool,
) -> Vec<String> {
    let g = modes::grant(p, None, conv.permission(), o.permission_explicit, trusted);
    conv.set_permission(g.permission);
    g.notes
}

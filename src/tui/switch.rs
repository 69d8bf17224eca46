//! `/model` and `/prompt`: switch the model (re-running provider
//! selection with the run's flags and config) or the prompt mode (system
//! prompt, the mode's permission and writable files) mid-conversation,
//! through `Conversation::set_model` and `set_prompt_mode`.

use std::path::PathBuf;

use super::screen::{k, say, usd};
use super::{Flow, Repl};
use crate::agent::PromptMode;
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
        let prices = match r.conv.prices() {
            Some(p) => format!(
                "{} in / {} out per million tokens",
                usd(p.input),
                usd(p.output)
            ),
            None => "prices unknown".into(),
        };
        say(&format!(
            "provider {} · model {} · context {} · {prices}\n",
            r.conv.cfg().name,
            r.conv.cfg().model,
            k(r.conv.log().limits.window)
        ));
        return Flow::Continue;
    }
    let (o, cfg) = (r.opts, r.conv.cfg());
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
        select(&w, &env, Some(&r.config.value))
    };
    let same = || want("same", &o.base_url);
    // A provider prefix switches provider; any other slash belongs to the model id.
    let sel = match arg.split_once('/') {
        Some((prefix, _)) => match want("", "") {
            Ok(sel) if sel.config.name == prefix => Ok(sel),
            _ => same(),
        },
        None => same(),
    };
    let sel = match sel {
        Ok(sel) => sel,
        Err(e) => {
            say(&format!("cannot switch to `{arg}`: {e}\n"));
            return Flow::Continue;
        }
    };
    for w in &sel.warnings {
        say(&format!("warning: {w}\n"));
    }
    // The window: an explicit --context-window stays, else the new model's.
    let flag = o
        .context_window
        .filter(|w| Some(*w) != r.conv.cfg().context_window);
    let window = flag.or(sel.config.context_window).unwrap_or(DEFAULT_WINDOW);
    r.screen.model = sel.config.model.clone();
    r.screen.context_window = window;
    say(&format!(
        "model: {} ({})\n",
        sel.config.model, sel.config.name
    ));
    r.conv
        .set_model(sel.config, sel.prices, Limits::new(window));
    Flow::Continue
}

pub(super) fn dirs() -> (PathBuf, Option<PathBuf>, Vec<PathBuf>) {
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
    let o = r.opts;
    let mut system =
        crate::prompt::with_mode(crate::prompt::system(&r.ctx.ws.root), &p.name, &p.body);
    if !o.no_context_files {
        let cx = crate::context::load(&cwd, user.as_deref());
        system = crate::prompt::with_context(system, &cx.text);
    }
    let permission = match o.permission_explicit {
        true => r.conv.permission(),
        false => p.permission.unwrap_or(o.permission),
    };
    r.conv.set_prompt_mode(PromptMode {
        system,
        permission,
        writable: p.writable,
    });
    r.mode = p.name;
    say(&format!(
        "prompt mode: {} · permission {permission}\n",
        r.mode
    ));
    Flow::Continue
}

//! Session config options (ACP `configOptions`, `session/set_config_option`):
//! the prompt mode (code, plan, review, ...) and the model (the current one
//! and those the config's `models` table names), as selects. Switching
//! goes through the same functions as the `/MODE` and `/model` commands.

use super::commands;
use super::session::{Base, Session};
use crate::json::value::Value;
use crate::mcp::rpc::{obj, s};

const PROMPT_MODE: &str = "prompt_mode";
const MODEL: &str = "model";

fn select(id: &str, name: &str, category: Option<&str>, current: &str, values: &[String]) -> Value {
    let options = values
        .iter()
        .map(|v| obj(vec![("value", s(v)), ("name", s(v))]))
        .collect();
    let mut f = vec![("id", s(id)), ("name", s(name))];
    if let Some(c) = category {
        f.push(("category", s(c)));
    }
    f.push(("type", s("select")));
    f.push(("currentValue", s(current)));
    f.push(("options", Value::Arr(options)));
    obj(f)
}

/// The session's config options with their current values.
pub fn options(base: &Base, sess: &Session) -> Value {
    let current = &sess.conv.cfg().model;
    let mut models = vec![current.clone()];
    if let Some(Value::Obj(m)) = base.config.get("models") {
        for (k, _) in m {
            if !models.contains(k) {
                models.push(k.clone());
            }
        }
    }
    Value::Arr(vec![
        select(
            PROMPT_MODE,
            "Prompt mode",
            None,
            &sess.mode,
            &commands::mode_names(sess),
        ),
        select(MODEL, "Model", Some("model"), current, &models),
    ])
}

/// Set option `id` to `value`.
pub fn set(base: &Base, sess: &mut Session, id: &str, value: &str) -> Result<(), String> {
    match id {
        PROMPT_MODE => commands::set_prompt_mode(base, sess, value).map(drop),
        MODEL => {
            crate::tui::switch::set_model(&mut sess.conv, base.opts, base.config, value).map(drop)
        }
        _ => Err(format!("unknown config option `{id}`")),
    }
}

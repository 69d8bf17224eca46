//! Subagents: a `task` tool call runs a child process of this same binary,
//! headless, with its own small arena, and the parent waits for all the
//! task calls of one response together in one poll loop. This file owns
//! the `subagents` config section and the permission ceiling; `defs`
//! reads agent definitions, `run` starts children and watches them,
//! `child` is the child's side (its hidden flag and its signal handling),
//! `task` turns a batch of calls into children and their results.

use crate::cli::Permission;
use crate::json::value::Value;

pub mod batch;
pub mod child;
pub mod defs;
pub mod run;
pub mod task;

/// The `subagents` section of the config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Children running at once; more calls wait for a free slot.
    pub max_parallel: usize,
    /// How deep children may start children: 1 means children get no `task` tool.
    pub max_depth: u32,
    /// Seconds a child may run before it is stopped.
    pub timeout: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            max_parallel: 4,
            max_depth: 1,
            timeout: 600,
        }
    }
}

/// Read `subagents: {max_parallel, max_depth, timeout}`; absent keys keep
/// their defaults.
pub fn settings(v: Option<&Value>) -> Result<Settings, String> {
    let mut s = Settings::default();
    let Some(v) = v else { return Ok(s) };
    let obj = v
        .as_object()
        .ok_or("config: `subagents` must be an object")?;
    for (k, val) in obj {
        let n = val
            .as_u64()
            .ok_or_else(|| format!("config: `subagents.{k}` must be a non-negative integer"))?;
        match k.as_str() {
            "max_parallel" if (1..=16).contains(&n) => s.max_parallel = n as usize,
            "max_parallel" => return Err("config: `subagents.max_parallel` must be 1 to 16".into()),
            "max_depth" => s.max_depth = n.min(8) as u32,
            "timeout" => s.timeout = n.max(1),
            _ => {
                return Err(format!(
                    "config: unknown key `subagents.{k}` (max_parallel, max_depth, timeout)"
                ))
            }
        }
    }
    Ok(s)
}

/// What a child's system prompt adds: that nobody can be asked, and its
/// agent's own prompt.
pub fn child_prompt(def: &defs::Def) -> String {
    format!(
        "\n\nYou are a subagent `{}` started by another agent for one task. Nobody can answer questions: work on your own, and finish with a final answer that is complete in itself, reporting what you found or did and anything you were not allowed to do (denied tool calls).\n\n{}",
        def.name, def.prompt
    )
}

/// The child's permission mode: the agent's, but never above the parent's.
pub fn ceiling(parent: Permission, agent: Option<Permission>) -> Permission {
    agent.map_or(parent, |a| a.min(parent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_never_rises() {
        use Permission::*;
        assert_eq!(ceiling(ReadOnly, Some(Auto)), ReadOnly);
        assert_eq!(ceiling(Standard, Some(ReadOnly)), ReadOnly);
        assert_eq!(ceiling(Cautious, None), Cautious);
        assert_eq!(ceiling(Auto, Some(Standard)), Standard);
    }

    #[test]
    fn settings_from_config() {
        let v = crate::json::value::parse(r#"{"max_parallel":2,"max_depth":2}"#).unwrap();
        let s = settings(Some(&v)).unwrap();
        assert_eq!((s.max_parallel, s.max_depth, s.timeout), (2, 2, 600));
        let bad = crate::json::value::parse(r#"{"max_parallel":0}"#).unwrap();
        assert!(settings(Some(&bad)).unwrap_err().contains("1 to 16"));
        let bad = crate::json::value::parse(r#"{"parallel":3}"#).unwrap();
        assert!(settings(Some(&bad)).unwrap_err().contains("unknown key"));
    }
}

//! The `grep` tool (stub: to be written).

use super::{Effect, Tool};
use crate::json::Args;
use crate::workspace::Workspace;

pub const TOOL: Tool = Tool {
    name: "grep",
    description: "",
    params: r#"{"type":"object","properties":{}}"#,
    effect: Effect::Read,
    run,
};

fn run(_args: &Args, _ws: &Workspace) -> Result<String, String> {
    Err("not implemented".into())
}

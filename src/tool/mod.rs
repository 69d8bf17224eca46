//! The built-in tools: one file per tool, and this table, which is the one
//! place that names them, describes them to the model and runs them.

use crate::json::Args;
use crate::workspace::Workspace;

pub mod bash;
pub mod beneath;
pub mod edit;
pub mod find;
pub mod glob;
pub mod grep;
pub mod ls;
pub mod read;
pub mod truncate;
pub mod walk;
pub mod write;

/// What a tool may do, for the permission gate.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Effect {
    Read,
    Write,
    Exec,
}

pub struct Tool {
    pub name: &'static str,
    pub description: &'static str,
    /// JSON Schema of the arguments object.
    pub params: &'static str,
    pub effect: Effect,
    /// Runs the tool. `Ok` is the text for the model; `Err` is a one-line
    /// error that goes back to the model as a failed tool result.
    pub run: fn(&Args, &Workspace) -> Result<String, String>,
}

pub static TOOLS: &[Tool] = &[
    read::TOOL,
    write::TOOL,
    edit::TOOL,
    bash::TOOL,
    grep::TOOL,
    find::TOOL,
    ls::TOOL,
];

pub fn find_tool(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

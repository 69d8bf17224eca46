//! The built-in tools: one file per tool, and this table, which is the one
//! place that names them, describes them to the model, says what each may
//! do and what it works on (for the permission gate, its rules and the
//! screen), and runs them with an explicit context.

use crate::json::Args;
use crate::workspace::Workspace;

pub mod bash;
pub mod beneath;
pub mod dirents;
pub mod edit;
pub mod fetch;
pub mod find;
pub mod glob;
pub mod grep;
pub mod html;
pub mod literal;
pub mod ls;
pub mod read;
/// The text helpers the tools share (src/text.rs).
pub use crate::text as truncate;
pub mod scan;
pub mod walk;
pub mod write;

/// What a tool may do, for the permission gate.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Effect {
    Read,
    Write,
    Exec,
    /// Reaches the network (fetch): asks in standard and cautious.
    Network,
}

/// The argument a call is judged on: `read(...)`/`edit(...)` rules and
/// path confinement see a `Path`, `bash(...)` rules and the shell
/// classifier a `Command`, other tools only their name.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Target {
    Name,
    /// The argument holding a path (relative to the workspace; "." when absent).
    Path(&'static str),
    /// The argument holding a shell command line.
    Command(&'static str),
    /// The argument holding a URL: `fetch(domain:...)` rules see its host.
    Url(&'static str),
}

impl Target {
    /// The argument this target names, if any.
    pub fn arg(self) -> Option<&'static str> {
        match self {
            Target::Name => None,
            Target::Path(a) | Target::Command(a) | Target::Url(a) => Some(a),
        }
    }
}

/// What a front end shows of a call besides its title: the terminal's
/// approval prompt and ACP's tool-call content.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Preview {
    /// Its arguments (a command line when the target is a `Command`).
    Args,
    /// An edit: the diff from the old to the new text argument.
    Diff(&'static str, &'static str),
    /// A file written whole from this argument.
    Content(&'static str),
}

pub struct Tool {
    pub name: &'static str,
    pub description: &'static str,
    /// JSON Schema of the arguments object.
    pub params: &'static str,
    pub effect: Effect,
    pub target: Target,
    /// The call's title for a front end: "Read src/main.rs:10-59".
    pub title: fn(&Args) -> String,
    pub preview: Preview,
    /// Runs the tool. `Ok` is the text for the model; `Err` is a one-line
    /// error that goes back to the model as a failed tool result.
    pub run: fn(&Args, &ToolCtx) -> Result<String, String>,
    /// What a successful call attaches besides its text: an image's arena
    /// form (read of an image file), put in after the turn's results.
    pub attach: Option<Attach>,
}

/// A tool's attachment step (see `Tool::attach`).
pub type Attach = fn(&Args, &ToolCtx) -> Result<Option<String>, String>;

/// What a tool runs with: the workspace it resolves paths in, the
/// sandbox its commands run in (decided by the gate for this call), the
/// editor whose buffers the file tools read and write, if any, and the
/// permission rules (fetch checks each redirect's host and the addresses it
/// connects to against them).
pub struct ToolCtx<'a> {
    pub ws: &'a Workspace,
    pub sandbox: crate::sandbox::Mode,
    pub buffers: Option<&'a dyn Buffers>,
    pub rules: &'a crate::permission::rules::Rules,
}

/// An editor that holds files' text, unsaved changes included (ACP's
/// client file system): read, write and edit go through it, so the model
/// sees what the user sees and the editor sees every change. Paths are
/// absolute, resolved and confined by the tool first; the permission gate
/// has already allowed the call. `None`: the editor does not offer that
/// direction, the disk is used.
pub trait Buffers {
    fn read(&self, path: &std::path::Path) -> Option<Result<String, String>>;
    fn write(&self, path: &std::path::Path, text: &str) -> Option<Result<(), String>>;
}

impl std::ops::Deref for ToolCtx<'_> {
    type Target = Workspace;

    fn deref(&self) -> &Workspace {
        self.ws
    }
}

/// A context for tests: the workspace at `dir`, no sandbox.
#[cfg(test)]
pub fn test_ctx(dir: &std::path::Path) -> ToolCtx<'static> {
    let ws = Box::leak(Box::new(Workspace::new(dir).unwrap()));
    ToolCtx {
        ws,
        sandbox: crate::sandbox::Mode::Off,
        buffers: None,
        rules: Box::leak(Box::default()),
    }
}

pub static TOOLS: &[Tool] = &[
    read::TOOL,
    write::TOOL,
    edit::TOOL,
    bash::TOOL,
    grep::TOOL,
    find::TOOL,
    ls::TOOL,
    fetch::TOOL,
];

/// The string argument `k` of `a`, or `or` when it is absent.
pub fn arg_or<'a>(a: &'a Args, k: &str, or: &'a str) -> &'a str {
    a.opt_str(k).ok().flatten().unwrap_or(or)
}

pub fn find_tool(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().find(|t| t.name == name)
}

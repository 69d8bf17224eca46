//! Agent definitions: what a `task` call may name as its `agent`. Markdown
//! files with front matter in `.mote/agents/`, `.claude/agents/` (the
//! project's), `~/.config/mote/agents/` and `~/.claude/agents/` (the
//! user's), plus the built-ins `explore` and `general`. The first file of
//! a name wins, in that order, over a built-in of the same name.
//!
//! The format is Claude Code's: `name`, `description`, `tools` (a comma
//! list of tool names; Claude's names such as `Read` or `Glob` map to
//! mote's), `model` (`inherit`, an id, `PROVIDER/ID`, or Claude's
//! `sonnet`/`opus`/`haiku`), and the body is the system prompt. mote adds
//! `permission` (read-only, cautious, standard, auto): a ceiling, never
//! above the parent's. Keys mote does not use (Claude's `color`) are
//! ignored, so files written for Claude Code load unchanged.

use std::path::{Path, PathBuf};

use crate::cli::Permission;
use crate::modes::{front_matter, permission_named, valid_name};

#[derive(Debug, Clone, PartialEq)]
pub struct Def {
    pub name: String,
    /// When to use it: shown to the model in the `task` tool's description.
    pub description: String,
    /// mote tool names the agent may use; `None`: all of the parent's.
    pub tools: Option<Vec<String>>,
    /// `None`: the parent's model.
    pub model: Option<String>,
    /// A ceiling on the parent's permission mode.
    pub permission: Option<Permission>,
    /// Added to the child's system prompt.
    pub prompt: String,
    /// The file it came from, or "built-in".
    pub source: String,
}

/// A built-in agent: name, description, tools, permission, prompt.
type Builtin = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<Permission>,
    &'static str,
);

const BUILTIN: &[Builtin] = &[
    (
        "explore",
        "read-only search of the codebase; answers with file:line references",
        Some("read,grep,find,ls,bash"),
        Some(Permission::ReadOnly),
        "You explore a codebase to answer one question. Search with grep and find, read the relevant parts, and answer with a concise summary that cites file paths and line numbers. Change nothing.",
    ),
    (
        "general",
        "any self-contained task, with your tools and permission",
        None,
        None,
        "Carry out the task you are given completely, then report what you did and found.",
    ),
];

/// Claude Code's tool names and mote's equivalents.
const CLAUDE_TOOLS: &[(&str, &str)] = &[
    ("Read", "read"),
    ("Write", "write"),
    ("Edit", "edit"),
    ("MultiEdit", "edit"),
    ("Bash", "bash"),
    ("Grep", "grep"),
    ("Glob", "find"),
    ("LS", "ls"),
    ("Task", "task"),
    ("WebFetch", "fetch"),
];

/// Where agent files are looked for, in order of precedence.
pub fn dirs(cwd: &Path, user_config: Option<&Path>, home: Option<&Path>) -> Vec<PathBuf> {
    let mut d = vec![cwd.join(".mote/agents"), cwd.join(".claude/agents")];
    d.extend(user_config.map(|u| u.join("agents")));
    d.extend(home.map(|h| h.join(".claude/agents")));
    d
}

/// Every agent: files first (by precedence), then the built-ins not
/// overridden. A file that does not parse is left out with a warning.
pub fn load(dirs: &[PathBuf]) -> (Vec<Def>, Vec<String>) {
    let (mut defs, mut warnings) = (Vec::<Def>::new(), Vec::new());
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        crate::sort::sort(&mut files);
        for path in files {
            let source = path.display().to_string();
            let parsed = std::fs::read_to_string(&path)
                .map_err(|e| format!("{source}: {e}"))
                .and_then(|text| parse(&stem(&path), &text, &source));
            match parsed {
                Ok(def) if !defs.iter().any(|x| x.name == def.name) => defs.push(def),
                Ok(_) => {}
                Err(e) => warnings.push(e),
            }
        }
    }
    for b in builtins() {
        if !defs.iter().any(|x| x.name == b.name) {
            defs.push(b);
        }
    }
    (defs, warnings)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn builtins() -> Vec<Def> {
    BUILTIN
        .iter()
        .map(|(name, description, tools, permission, prompt)| Def {
            name: name.to_string(),
            description: description.to_string(),
            tools: tools.map(tool_list),
            model: None,
            permission: *permission,
            prompt: prompt.to_string(),
            source: "built-in".into(),
        })
        .collect()
}

/// Parse one agent file; `stem` is the name when the front matter has none.
pub fn parse(stem: &str, text: &str, source: &str) -> Result<Def, String> {
    let (lines, body) = front_matter(text, source)?;
    let mut def = Def {
        name: stem.to_string(),
        description: String::new(),
        tools: None,
        model: None,
        permission: None,
        prompt: body.trim().to_string(),
        source: source.to_string(),
    };
    // A YAML list (`tools:` then `- Read` lines) joins into a comma list.
    let mut last_key = "";
    for (n, l) in lines {
        let bad = |m: String| format!("{source}:{n}: {m}");
        let (key, value) = match l.trim_start().strip_prefix("- ") {
            Some(item) if l.starts_with(char::is_whitespace) || l.starts_with('-') => {
                (last_key, item.trim())
            }
            _ => match l.split_once(':') {
                Some((k, v)) if !l.starts_with(char::is_whitespace) => (k.trim(), v.trim()),
                // An indented line continues the value before it (YAML folding).
                _ if !last_key.is_empty() => (last_key, l.trim()),
                _ => return Err(bad(format!("expected `key: value`, got `{l}`"))),
            },
        };
        let value = unquote(value);
        let append = key == last_key;
        last_key = key;
        match key {
            "name" if valid_name(value) => def.name = value.to_string(),
            "name" => return Err(bad(format!("`{value}` is not a valid agent name"))),
            "description" if append && !def.description.is_empty() => {
                def.description.push(' ');
                def.description.push_str(value);
            }
            "description" => def.description = value.to_string(),
            "tools" => {
                let mut list = def.tools.take().filter(|_| append).unwrap_or_default();
                list.extend(tool_list(value.trim_matches(|c| c == '[' || c == ']')));
                def.tools = Some(list);
            }
            "model" => {
                def.model = Some(value.to_string()).filter(|m| !m.is_empty() && m != "inherit")
            }
            "permission" => {
                def.permission = Some(permission_named(value).ok_or_else(|| {
                    bad(format!(
                        "permission must be read-only, cautious, standard or auto, got `{value}`"
                    ))
                })?)
            }
            _ => {} // Claude Code's other keys (color, ...)
        }
    }
    if !valid_name(&def.name) {
        return Err(format!(
            "{source}: `{}` is not a valid agent name",
            def.name
        ));
    }
    if def.description.is_empty() {
        return Err(format!(
            "{source}: no `description` (say when the agent should be used)"
        ));
    }
    Ok(def)
}

fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

/// A comma list of tool names, Claude Code's mapped to mote's; names
/// mote has no tool for (WebFetch, TodoWrite) are dropped.
fn tool_list(v: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in v.split(',').map(|t| unquote(t.trim())) {
        let name = match CLAUDE_TOOLS.iter().find(|(c, _)| *c == t) {
            Some((_, m)) => m,
            None if t.starts_with(crate::mcp::PREFIX) => t,
            None if crate::tool::find_tool(t).is_some() || t == "task" => t,
            None => continue,
        };
        if !out.iter().any(|x| x == name) {
            out.push(name.to_string());
        }
    }
    out
}

/// Claude Code's model aliases, for an Anthropic provider.
pub fn claude_alias(model: &str) -> Option<&'static str> {
    match model {
        "sonnet" => Some("claude-sonnet-4-5"),
        "opus" => Some("claude-opus-4-1"),
        "haiku" => Some("claude-haiku-4-5"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAUDE_FILE: &str = "---\nname: code-reviewer\ndescription: \"Reviews code for bugs. Use after a change.\"\ntools: Read, Grep, Glob, WebFetch\nmodel: haiku\ncolor: blue\n---\n\nYou are a careful reviewer.\n";

    #[test]
    fn claude_code_files_parse() {
        let d = parse("x", CLAUDE_FILE, "a.md").unwrap();
        assert_eq!(d.name, "code-reviewer");
        assert_eq!(d.description, "Reviews code for bugs. Use after a change.");
        assert_eq!(
            d.tools.as_deref(),
            Some(&["read", "grep", "find", "fetch"].map(String::from)[..])
        );
        assert_eq!(d.model.as_deref(), Some("haiku"));
        assert_eq!(d.prompt, "You are a careful reviewer.");
        assert_eq!(d.permission, None);
        let list = "---\ndescription: d\ntools:\n  - Bash\n  - Edit\nmodel: inherit\npermission: read-only\n---\nbody";
        let d = parse("stem", list, "b.md").unwrap();
        assert_eq!(d.name, "stem");
        assert_eq!(
            d.tools.as_deref(),
            Some(&["bash", "edit"].map(String::from)[..])
        );
        assert_eq!((d.model, d.permission), (None, Some(Permission::ReadOnly)));
        let d = parse(
            "s",
            "---\ndescription: d\ntools: [read, mcp__x__y]\n---\n",
            "c.md",
        )
        .unwrap();
        assert_eq!(
            d.tools.as_deref(),
            Some(&["read", "mcp__x__y"].map(String::from)[..])
        );
    }

    #[test]
    fn bad_files_say_where_and_why() {
        let e = parse("x", "---\ndescription: d\npermission: yolo\n---\n", "a.md").unwrap_err();
        assert!(e.starts_with("a.md:3: permission must be"), "{e}");
        let e = parse("x", "---\nname: a\n---\nbody", "a.md").unwrap_err();
        assert!(e.contains("no `description`"), "{e}");
        let e = parse("x", "---\nname: ../up\ndescription: d\n---\n", "a.md").unwrap_err();
        assert!(e.contains("not a valid agent name"), "{e}");
        assert!(parse("x", "---\ndescription: d\n", "a.md")
            .unwrap_err()
            .contains("no closing"));
    }

    #[test]
    fn project_files_win_and_builtins_fill_in() {
        let root = std::env::temp_dir().join(format!("mote-agents-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (ws, home) = (root.join("ws"), root.join("home"));
        for d in [".mote/agents", ".claude/agents"] {
            std::fs::create_dir_all(ws.join(d)).unwrap();
        }
        std::fs::create_dir_all(home.join(".claude/agents")).unwrap();
        std::fs::write(
            ws.join(".mote/agents/explore.md"),
            "---\ndescription: mine\n---\nx",
        )
        .unwrap();
        std::fs::write(ws.join(".claude/agents/review.md"), CLAUDE_FILE).unwrap();
        std::fs::write(home.join(".claude/agents/broken.md"), "---\nname: b\n").unwrap();
        let (defs, warnings) = load(&dirs(&ws, None, Some(&home)));
        let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["explore", "code-reviewer", "general"]);
        assert_eq!(defs[0].description, "mine");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("broken.md"));
        let _ = std::fs::remove_dir_all(&root);
    }
}

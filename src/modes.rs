//! Prompt modes and templates: Markdown files with a little front matter.
//! Modes (code, plan, review, debug, ask) are built in and add a short text
//! to the system prompt, and may set the permission mode; templates are
//! user prompts invoked as `/name args`. Files in the project's
//! `.mote/prompts/` and the user's `~/.config/mote/prompts/` override or add
//! to both, by file name; Claude Code's `.claude/commands/` and
//! `~/.claude/commands/` add templates. This file owns finding, parsing and choosing
//! them; `template.rs` owns the `$ARGUMENTS` substitution.
//!
//! Front matter, between `---` lines at the top, `key: value` per line:
//! `kind` (mode or template; template is the default for user files),
//! `description`, `permission` (read-only, cautious, standard, auto) and
//! `writable` (comma-separated paths the mode may write whatever the
//! permission mode says: plan mode's PLAN.md). A project's file in an
//! untrusted folder may only tighten the permission mode and gets no
//! `writable` (`grant`, src/trust.rs).
//!
//! Note for the shell classifier (permissions issue): review mode asks the
//! model to run `git diff HEAD` and `git status --short`. Headless in the
//! standard permission mode every bash call is still denied, so review
//! works from reading files until the classifier allows read-only git
//! commands in standard mode.

use std::path::{Path, PathBuf};

use crate::cli::Permission;
use crate::permission;

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Kind {
    Mode,
    Template,
}

#[derive(Debug)]
pub struct Prompt {
    pub name: String,
    pub kind: Kind,
    pub description: String,
    pub permission: Option<Permission>,
    pub writable: Vec<String>,
    pub body: String,
    /// Where it was read (the path, or "built-in mode NAME").
    pub file: String,
    /// The project wrote it (its `Dir` is the project's), not the user.
    pub project: bool,
}

/// A folder prompt files are found in, and whose it is: the project's
/// (the workspace, perhaps a cloned repository) or the user's.
pub struct Dir {
    pub path: PathBuf,
    pub project: bool,
}

/// The built-in modes, in the order they are listed.
static BUILTIN: &[(&str, &str)] = &[
    ("code", include_str!("prompts/code.md")),
    ("plan", include_str!("prompts/plan.md")),
    ("review", include_str!("prompts/review.md")),
    ("debug", include_str!("prompts/debug.md")),
    ("ask", include_str!("prompts/ask.md")),
];

/// The prompt directories, most specific first: the project's, the
/// user's, then Claude Code's command folders (`.claude/commands/`,
/// `~/.claude/commands/`), so mote's own win on a name clash.
pub fn dirs(cwd: &Path, user: Option<&Path>) -> Vec<Dir> {
    let home = crate::secrets::env("HOME").filter(|h| !h.is_empty());
    let rows = [
        (Some(cwd.join(".mote/prompts")), true),
        (user.map(|u| u.join("prompts")), false),
        (Some(cwd.join(".claude/commands")), true),
        (home.map(|h| Path::new(&h).join(".claude/commands")), false),
    ];
    let rows = rows.into_iter();
    rows.filter_map(|(p, project)| p.map(|path| Dir { path, project }))
        .collect()
}

/// A prompt name: letters, digits, `-` and `_` (so never a path).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Parse a prompt file. `source` names it in errors.
pub fn parse(name: &str, text: &str, default: Kind, source: &str) -> Result<Prompt, String> {
    let mut p = Prompt {
        name: name.into(),
        kind: default,
        description: String::new(),
        permission: None,
        writable: Vec::new(),
        body: String::new(),
        file: source.into(),
        project: false,
    };
    let (lines, body) = front_matter(text, source)?;
    for (n, l) in lines {
        let bad = |m: String| format!("{source}:{n}: {m}");
        let (k, v) = l
            .split_once(':')
            .ok_or_else(|| bad(format!("expected `key: value`, got `{l}`")))?;
        let v = v.trim();
        match k.trim() {
            "kind" => {
                p.kind = match v {
                    "mode" => Kind::Mode,
                    "template" => Kind::Template,
                    _ => return Err(bad(format!("kind must be mode or template, got `{v}`"))),
                }
            }
            "description" => p.description = v.to_string(),
            "permission" => {
                p.permission = Some(permission_named(v).ok_or_else(|| {
                    bad(format!(
                        "permission must be read-only, cautious, standard or auto, got `{v}`"
                    ))
                })?);
            }
            "writable" => {
                p.writable = v
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            // Claude Code command keys: the hint is for menus; the gate,
            // not a file, decides what tools may do; the model stays.
            "argument-hint" | "allowed-tools" | "model" => {}
            other => {
                return Err(bad(format!(
                    "unknown key `{other}` (kind, description, permission, writable)"
                )))
            }
        }
    }
    p.body = body.trim().to_string();
    Ok(p)
}

/// Front matter lines: (line number, line).
pub type FrontMatter<'t> = Vec<(usize, &'t str)>;

/// Split a Markdown file into its front matter (between `---` lines at
/// the top) and its body. The front matter comes as (line number, line)
/// pairs, blank and `#` lines left out; no front matter: none, all body.
/// Also the agent definitions' (src/subagent/defs.rs).
pub fn front_matter<'t>(text: &'t str, source: &str) -> Result<(FrontMatter<'t>, &'t str), String> {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((Vec::new(), text));
    };
    let mut lines = Vec::new();
    let mut at = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        let l = line.trim_end();
        at += line.len();
        if l == "---" {
            return Ok((lines, rest.get(at..).unwrap_or("")));
        }
        if !l.trim().is_empty() && !l.starts_with('#') {
            lines.push((i + 2, l));
        }
    }
    Err(format!(
        "{source}: the front matter has no closing `---` line"
    ))
}

/// The permission mode called `v` (read-only, cautious, standard, auto).
pub fn permission_named(v: &str) -> Option<Permission> {
    v.parse().ok()
}

/// The permission modes, from the least allowed to the most.
pub const PERMISSIONS: [Permission; 4] = Permission::ALL;

/// The prompt called `name`: a user file (project first) over a built-in.
pub fn find(name: &str, dirs: &[Dir]) -> Result<Option<Prompt>, String> {
    if !valid_name(name) {
        return Ok(None);
    }
    for d in dirs {
        let path = d.path.join(format!("{name}.md"));
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let p = parse(name, &text, Kind::Template, &path.display().to_string());
                return p.map(|p| {
                    Some(Prompt {
                        project: d.project,
                        ..p
                    })
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    match BUILTIN.iter().find(|(n, _)| *n == name) {
        Some((n, text)) => parse(n, text, Kind::Mode, &format!("built-in mode {n}")).map(Some),
        None => Ok(None),
    }
}

/// Every prompt name, as (modes, templates), sorted: for error messages.
/// A user file that does not parse is listed by its name all the same.
pub fn list(dirs: &[Dir]) -> (Vec<String>, Vec<String>) {
    let mut names: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d.path) else {
            continue;
        };
        for e in rd.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            if let Some(n) = file.strip_suffix(".md").filter(|n| valid_name(n)) {
                if !names.iter().any(|x| x == n) {
                    names.push(n.to_string());
                }
            }
        }
    }
    crate::sort::sort(&mut names);
    let (mut modes, mut templates) = (Vec::new(), Vec::new());
    for n in names {
        match find(&n, dirs) {
            Ok(Some(p)) if p.kind == Kind::Template => templates.push(n),
            _ => modes.push(n),
        }
    }
    (modes, templates)
}

/// What a run does: its mode, its task text, and the template it came from.
pub struct Chosen {
    pub mode: Prompt,
    pub task: String,
    /// The template the task came from: its `` !`cmd` `` are still to run.
    pub template: Option<Prompt>,
}

/// What a prompt mode, and a template run in it, set for the gate.
pub struct Grant {
    pub permission: Permission,
    pub writable: Vec<String>,
    /// One line for each ask an untrusted project's file did not get.
    pub notes: Vec<String>,
}

/// The permission mode and writable paths of `mode` and `template` (whose
/// `permission:` wins over the mode's), from `base`, the mode without them;
/// `explicit` (`--permission` given) keeps `base`. The one place prompt
/// files meet the trust rule: see `permission::from_prompt`; an untrusted
/// project's `writable` is dropped.
pub fn grant(
    mode: &Prompt,
    template: Option<&Prompt>,
    base: Permission,
    explicit: bool,
    trusted: bool,
) -> Grant {
    let mut notes = Vec::new();
    let asking = template.filter(|t| t.permission.is_some()).unwrap_or(mode);
    let permission = match (explicit, asking.permission) {
        (false, Some(asked)) => {
            let may_loosen = trusted || !asking.project;
            let (p, note) = permission::from_prompt(base, asked, &asking.file, may_loosen);
            notes.extend(note);
            p
        }
        _ => base,
    };
    let mut writable = mode.writable.clone();
    if mode.project && !trusted && !writable.is_empty() {
        notes.push(format!(
            "{} lets the mode write {}, but this folder is not trusted: ignored (--trust allows it)",
            mode.file,
            writable.join(", ")
        ));
        writable.clear();
    }
    Grant {
        permission,
        writable,
        notes,
    }
}

/// Resolve `--prompt-mode` and a leading `/name args` in the prompt:
/// `/TEMPLATE args` expands the template; `/MODE task` and
/// `/prompt MODE task` run the task in that mode. A template's
/// permission wins over its mode's.
pub fn choose(mode: &str, prompt: &str, dirs: &[Dir]) -> Result<Chosen, String> {
    let mut mode = mode.to_string();
    let mut task = prompt.to_string();
    let mut template = None;
    if let Some((name, args)) = command(prompt) {
        match name {
            "prompt" => {
                let args = args.trim_start();
                let (m, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
                mode = m.to_string();
                task = rest.trim().to_string();
            }
            _ => match find(name, dirs)? {
                Some(p) if p.kind == Kind::Template => {
                    task = crate::template::expand(&p.body, args.trim());
                    template = Some(p);
                }
                Some(p) => {
                    mode = p.name;
                    task = args.trim().to_string();
                }
                None => return Err(unknown(&format!("/{name}"), dirs)),
            },
        }
        if task.trim().is_empty() {
            return Err(format!("`{}` needs a task after it", prompt.trim()));
        }
    }
    let m = match find(&mode, dirs)? {
        Some(p) if p.kind == Kind::Mode => p,
        Some(_) => {
            return Err(format!(
                "`{mode}` is a template, not a prompt mode; invoke it as /{mode}"
            ))
        }
        None => return Err(unknown(&mode, dirs)),
    };
    Ok(Chosen {
        mode: m,
        task,
        template,
    })
}

/// `/name rest` at the very start of the prompt; `/etc/hosts ...` and
/// ` /name` (a leading space) are plain text.
pub fn command(prompt: &str) -> Option<(&str, &str)> {
    let rest = prompt.strip_prefix('/')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (name, args) = rest.split_at(end);
    valid_name(name).then_some((name, args))
}

fn unknown(what: &str, dirs: &[Dir]) -> String {
    let (modes, templates) = list(dirs);
    let t = if templates.is_empty() {
        "none".to_string()
    } else {
        templates
            .iter()
            .map(|t| format!("/{t}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "unknown prompt `{what}`; the modes are: {}; the templates are: {t}",
        modes.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_stay_short() {
        for (name, _) in BUILTIN {
            let p = find(name, &[]).unwrap().unwrap();
            assert_eq!(p.kind, Kind::Mode);
            assert!(!p.description.is_empty(), "{name}");
            assert!(
                p.body.len() < 400,
                "{name} mode text is {} bytes; it is sent with every request",
                p.body.len()
            );
        }
        assert!(find("code", &[]).unwrap().unwrap().body.is_empty());
        let plan = find("plan", &[]).unwrap().unwrap();
        assert_eq!(
            (plan.permission, plan.writable.as_slice()),
            (Some(Permission::ReadOnly), &["PLAN.md".to_string()][..])
        );
        assert_eq!(
            find("ask", &[]).unwrap().unwrap().permission,
            Some(Permission::ReadOnly)
        );
        assert!(find("review", &[])
            .unwrap()
            .unwrap()
            .body
            .contains("git diff"));
    }

    #[test]
    fn front_matter_errors_name_file_and_line() {
        let e = parse(
            "x",
            "---\nkind: mode\npermission: yolo\n---\nbody",
            Kind::Template,
            "x.md",
        )
        .unwrap_err();
        assert!(e.starts_with("x.md:3: permission must be"), "{e}");
        let e = parse("x", "---\ncolour: red\n---\n", Kind::Template, "x.md").unwrap_err();
        assert!(e.starts_with("x.md:2: unknown key `colour`"), "{e}");
        assert!(parse("x", "---\nkind: mode\n", Kind::Template, "x.md")
            .unwrap_err()
            .contains("no closing"));
        let p = parse("x", "no front matter\n", Kind::Template, "x.md").unwrap();
        assert_eq!(
            (p.kind, p.body.as_str()),
            (Kind::Template, "no front matter")
        );
    }

    #[test]
    fn user_files_override_and_commands_resolve() {
        let d = std::env::temp_dir().join(format!("mote-modes-unit-{}", std::process::id()));
        let (proj, user) = (d.join("p"), d.join("u"));
        std::fs::create_dir_all(&proj).unwrap();
        std::fs::create_dir_all(&user).unwrap();
        std::fs::write(user.join("fix.md"), "Fix issue $1 in $2. All: $ARGUMENTS").unwrap();
        std::fs::write(proj.join("fix.md"), "Project fix $1.").unwrap();
        std::fs::write(user.join("ask.md"), "---\nkind: mode\n---\nUser ask.").unwrap();
        let dirs = [(proj, true), (user, false)].map(|(path, project)| Dir { path, project });
        let c = choose("code", "/fix 42 parser", &dirs).unwrap();
        assert_eq!(
            (c.mode.name.as_str(), c.task.as_str()),
            ("code", "Project fix 42.")
        );
        let c = choose("ask", "why?", &dirs).unwrap();
        assert_eq!(
            (c.mode.body.as_str(), c.mode.permission),
            ("User ask.", None)
        );
        let c = choose("code", "/plan add a cache", &dirs).unwrap();
        assert_eq!(
            (c.mode.name.as_str(), c.task.as_str(), c.mode.permission),
            ("plan", "add a cache", Some(Permission::ReadOnly))
        );
        let c = choose("code", "/prompt debug it crashes", &dirs).unwrap();
        assert_eq!(
            (c.mode.name.as_str(), c.task.as_str()),
            ("debug", "it crashes")
        );
        let c = choose("code", "/etc/hosts is wrong", &dirs).unwrap();
        assert_eq!(c.task, "/etc/hosts is wrong");
        let e = choose("code", "/nope x", &dirs).err().unwrap();
        assert_eq!(e, "unknown prompt `/nope`; the modes are: ask, code, debug, plan, review; the templates are: /fix");
        assert!(choose("fix", "x", &dirs)
            .err()
            .unwrap()
            .contains("is a template"));
        assert!(choose("../x", "x", &dirs)
            .err()
            .unwrap()
            .starts_with("unknown prompt `../x`"));
        assert!(choose("code", "/plan", &dirs)
            .err()
            .unwrap()
            .contains("needs a task"));
    }

    #[test]
    fn an_untrusted_projects_file_only_tightens() {
        use Permission::*;
        let file = |permission, project| Prompt {
            permission: Some(permission),
            project,
            writable: vec![".git/config".into()],
            ..parse("x", "", Kind::Template, "x.md").unwrap()
        };
        let code = find("code", &[]).unwrap().unwrap();
        let g = |t: &Prompt, base, explicit, trusted| {
            let g = grant(&code, Some(t), base, explicit, trusted);
            (g.permission, g.notes.len())
        };
        assert_eq!(g(&file(Auto, true), Standard, false, false), (Standard, 1));
        assert_eq!(
            g(&file(ReadOnly, true), Standard, false, false),
            (ReadOnly, 0)
        );
        assert_eq!(g(&file(Auto, true), Standard, false, true), (Auto, 0));
        assert_eq!(g(&file(Auto, false), Standard, false, false), (Auto, 0));
        assert_eq!(
            g(&file(ReadOnly, false), Cautious, true, false),
            (Cautious, 0)
        );
        let g = grant(&file(Cautious, true), None, Standard, false, false);
        assert_eq!(
            (g.permission, g.writable.len(), g.notes.len()),
            (Cautious, 0, 1)
        );
        let g = grant(&file(Cautious, true), None, Standard, false, true);
        assert_eq!(g.writable, [".git/config"]);
    }
}

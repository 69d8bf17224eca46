//! The permission gate between a tool call and its effect: the four modes,
//! the config rules (rules.rs, with the wrappers unwrap.rs takes off a
//! command), the shell classifier (shell.rs, readonly.rs), path confinement
//! with protected paths, and which sandbox bash runs in. `decide` says
//! Allow, Ask or Deny with a reason; a headless run turns Ask into a denial
//! whose message says why and what would allow it, so the model can change
//! course.

#[cfg(test)]
mod classify_tests;
pub mod git;
#[cfg(test)]
mod git_tests;
pub mod options;
pub mod protect;
pub mod readonly;
pub mod rules;
pub mod scripts;
pub mod shell;
#[cfg(test)]
mod shell_tests;
mod unwrap;
#[cfg(test)]
mod unwrap_tests;

use crate::json::Args;
use crate::sandbox;
use crate::tool::{Effect, Target, Tool};
use crate::workspace::Workspace;
use rules::{Action, Rules, Subject};

/// The four permission modes (`--permission`, `/mode`, a prompt mode's
/// `permission:`); `FromStr` and `Display` use the names the README gives.
/// They are ordered by what they allow: `ReadOnly < Cautious < Standard <
/// Auto`, so `min` is the stricter of two.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Permission {
    ReadOnly,
    Cautious,
    Standard,
    Auto,
}

impl Permission {
    /// From the least allowed to the most.
    pub const ALL: [Permission; 4] = [
        Permission::ReadOnly,
        Permission::Cautious,
        Permission::Standard,
        Permission::Auto,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Permission::ReadOnly => "read-only",
            Permission::Cautious => "cautious",
            Permission::Standard => "standard",
            Permission::Auto => "auto",
        }
    }
}

/// The mode a prompt file's `permission:` line gives (src/modes.rs), from
/// `base`, the mode without it. The trust rule (src/trust.rs) for prompt
/// files: the user's own files, the built-ins and a trusted project's may
/// set any mode; a project's file in an untrusted folder may only tighten
/// it. A looser ask is ignored, and the second value is the line saying so.
pub fn from_prompt(
    base: Permission,
    asked: Permission,
    file: &str,
    may_loosen: bool,
) -> (Permission, Option<String>) {
    if may_loosen || asked <= base {
        return (asked, None);
    }
    let note = format!(
        "{file} asks for permission {asked}, but this folder is not trusted: the mode stays {base} (--trust allows it)"
    );
    (base, Some(note))
}

impl std::str::FromStr for Permission {
    type Err = String;

    fn from_str(v: &str) -> Result<Permission, String> {
        let found = Self::ALL.into_iter().find(|p| p.label() == v);
        found.ok_or_else(|| format!("expected read-only, cautious, standard or auto, got `{v}`"))
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, PartialEq)]
pub enum Decision {
    Allow,
    /// Needs the user's yes. `by_mode`: the mode asks (auto would allow).
    Ask {
        why: String,
        by_mode: bool,
    },
    Deny(String),
}

pub struct Gate {
    pub rules: Rules,
    /// The sandbox bash runs in (already downgraded to Off without Landlock).
    pub sandbox: sandbox::Mode,
    /// A sandbox was asked for but Landlock is missing: fall back to asking.
    pub sandbox_missing: bool,
    /// The kernel offers Landlock.
    pub landlock: bool,
}

impl Gate {
    /// A gate for the requested sandbox, probing Landlock. The second value
    /// is a warning to show once when the sandbox cannot be had.
    pub fn new(rules: Rules, requested: sandbox::Mode) -> (Gate, Option<String>) {
        let abi = sandbox::abi();
        let landlock = abi.is_ok();
        let mut g = Gate {
            rules,
            sandbox: requested,
            sandbox_missing: false,
            landlock,
        };
        let mut warning = None;
        if let (Err(e), true) = (abi, requested != sandbox::Mode::Off) {
            g.sandbox = sandbox::Mode::Off;
            g.sandbox_missing = true;
            warning = Some(format!(
                "--sandbox {} is not available ({e}); commands that are not proven read-only will ask",
                requested.label()
            ));
        }
        (g, warning)
    }

    /// The rules an "always" answer adds for this call: each sub-command
    /// of a bash command as written, or the path of a file tool. The
    /// interactive front end shows them, then calls `allow_always`.
    pub fn always_rules(tool: &Tool, args: &Args, ws: &Workspace) -> Vec<String> {
        let rule =
            |t: &str, pat: &str| format!("{t}({})", pat.replace('\\', "\\\\").replace('*', "\\*"));
        match tool.target {
            // None when an allow rule could not cover the command (a
            // redirection that writes, a risky variable, an unparsed part):
            // the answer would not be remembered.
            Target::Command(key) => args.str(key).map_or(Vec::new(), |c| {
                let p = shell::parse(c);
                if !p.problems.is_empty() || !p.cmds.iter().all(coverable) {
                    return Vec::new();
                }
                p.cmds.iter().map(|s| rule(tool.name, &s.text())).collect()
            }),
            Target::Name => vec![tool.name.to_string()],
            Target::Url(key) => host_of(args.str(key).ok())
                .map(|h| vec![format!("{}(domain:{h})", tool.name)])
                .unwrap_or_default(),
            Target::Path(key) => {
                let p = args.opt_str(key).ok().flatten().unwrap_or(".");
                let kind = if tool.effect == Effect::Read {
                    "read"
                } else {
                    "edit"
                };
                match ws.locate(p) {
                    Ok((abs, true)) => vec![rule(kind, &ws.display(&abs))],
                    Ok((abs, false)) => vec![rule(kind, &abs.to_string_lossy())],
                    Err(_) => Vec::new(),
                }
            }
        }
    }

    /// Add the rules of an "always" answer to the session allowlist.
    pub fn allow_always(&mut self, rules: &[String]) -> Result<(), String> {
        rules.iter().try_for_each(|r| self.rules.allow_session(r))
    }

    /// The sandbox a bash call runs in under `mode`: read-only mode always
    /// uses the read-only one when Landlock is there.
    pub fn sandbox_for(&self, mode: Permission) -> sandbox::Mode {
        match (mode, self.sandbox_missing) {
            (Permission::ReadOnly, _) if self.landlock => sandbox::Mode::ReadOnly,
            _ => self.sandbox,
        }
    }

    pub fn decide(&self, mode: Permission, tool: &Tool, args: &Args, ws: &Workspace) -> Decision {
        match tool.target {
            Target::Command(key) => self.bash(mode, args.str(key).ok(), &ws.root),
            Target::Name => self.decide_named(mode, tool.name, tool.effect),
            // Read-only mode reaches no network, whatever the rules say.
            Target::Url(key) => match host_of(args.str(key).ok()) {
                Some(h) if mode != Permission::ReadOnly => {
                    self.by_rules(mode, tool.name, tool.effect, Subject::Host(&h), "fetching")
                }
                // (A bad URL: the tool reports it; the mode still decides.)
                _ => mode_decision(mode, tool.effect, "fetching"),
            },
            Target::Path(key) => self.path(mode, tool, args.opt_str(key), ws),
        }
    }

    /// Tools judged on their name alone: MCP tools (`mcp__server__tool`),
    /// which may do anything, so they count as commands.
    pub fn decide_named(&self, mode: Permission, name: &str, effect: Effect) -> Decision {
        self.by_rules(mode, name, effect, Subject::Call, "this tool")
    }

    /// Rules on one subject first (an allow rule opens nothing in
    /// read-only mode), then the mode.
    fn by_rules(
        &self,
        mode: Permission,
        name: &str,
        effect: Effect,
        s: Subject,
        what: &str,
    ) -> Decision {
        match self.rules.judge(name, &[s]) {
            Some((Action::Deny, r)) => {
                Decision::Deny(format!("is forbidden by the deny rule `{r}`"))
            }
            Some((Action::Ask, r)) => unless_refused(
                Decision::Ask {
                    why: format!("the ask rule `{r}`"),
                    by_mode: false,
                },
                mode_decision(mode, effect, what),
            ),
            Some((Action::Allow, _)) if mode != Permission::ReadOnly => Decision::Allow,
            _ => mode_decision(mode, effect, what),
        }
    }

    fn path(
        &self,
        mode: Permission,
        tool: &Tool,
        arg: Result<Option<&str>, String>,
        ws: &Workspace,
    ) -> Decision {
        let p = match arg {
            Ok(p) => p.unwrap_or("."),
            Err(_) => return Decision::Allow, // the tool reports the bad argument
        };
        let Ok((abs, inside)) = ws.locate(p) else {
            return Decision::Allow;
        };
        let rel = if inside { Some(ws.display(&abs)) } else { None };
        let abs_s = abs.to_string_lossy();
        let subject = [Subject::Path {
            rel: rel.as_deref(),
            abs: &abs_s,
        }];
        let write = tool.effect != Effect::Read;
        // Config that runs programs later: a rule must name it (protect.rs).
        let guarded = match (write, &rel) {
            (true, Some(r)) => protect::protected(&ws.root, r),
            _ => None,
        };
        match self.rules.judge(tool.name, &subject) {
            Some((Action::Deny, r)) => {
                return Decision::Deny(format!("on `{p}` is forbidden by the deny rule `{r}`"))
            }
            Some((Action::Ask, _)) if write && mode == Permission::ReadOnly => {
                return Decision::Deny("is not allowed in read-only mode".into());
            }
            Some((Action::Ask, r)) => {
                return Decision::Ask {
                    why: format!("the ask rule `{r}` on `{p}`"),
                    by_mode: false,
                }
            }
            // Outside paths need a rule with an absolute pattern, protected
            // ones a rule that names them: a bare `edit` opens neither.
            Some((Action::Allow, r))
                if (inside || self.rules.absolute(r))
                    && guarded.as_deref().is_none_or(|g| r.contains(g)) =>
            {
                if write && mode == Permission::ReadOnly {
                    return Decision::Deny("is not allowed in read-only mode".into());
                }
                return Decision::Allow;
            }
            _ => {}
        }
        if !inside {
            let hint = if write { "edit" } else { "read" };
            return Decision::Deny(format!(
                "on `{p}`: {} is outside the workspace ({}); an allow rule such as `{hint}({}/**)` in config.json would permit it",
                abs.display(),
                ws.root.display(),
                abs.parent().unwrap_or(&abs).display()
            ));
        }
        if let (Some(g), false) = (guarded, mode == Permission::ReadOnly) {
            return Decision::Ask {
                why: format!(
                    "`{p}` is protected in every mode ({g}: git internals and repositories, .mote/, .mcp.json and .claude/ can run programs later); an allow rule such as `edit({})` would permit it",
                    rel.as_deref().unwrap_or("")
                ),
                by_mode: false,
            };
        }
        mode_decision(mode, tool.effect, "edits")
    }

    /// A deny or ask rule that matches the words of `cmd` (joined by single
    /// spaces) from its second word on or later, and those words: the text
    /// after one of its spaces.
    fn inner_rule<'c>(&self, cmd: &'c str) -> Option<(&rules::Rule, &'c str)> {
        cmd.match_indices(' ').find_map(|(at, _)| {
            let inner = cmd.get(at + 1..)?;
            [Action::Deny, Action::Ask]
                .iter()
                .find_map(|&a| self.rules.find(a, "bash", &Subject::Cmd(inner)))
                .map(|r| (r, inner))
        })
    }

    fn bash(&self, mode: Permission, cmd: Option<&str>, cwd: &std::path::Path) -> Decision {
        let Some(cmd) = cmd else {
            return Decision::Allow;
        };
        let parsed = shell::parse(cmd);
        // Deny and ask rules see each sub-command, also with wrappers and
        // program paths stripped (`env rm`, `/bin/rm`), and the commands
        // inside `sh -c '...'` and `eval`.
        let plain: Vec<String> = parsed.cmds.iter().map(|c| c.text()).collect();
        let mut bare = Vec::new();
        let mut hidden = Vec::new();
        unwrap::unwrap_all(&parsed, &mut bare, &mut hidden, 0);
        let subjects: Vec<Subject> = plain.iter().chain(&bare).map(|s| Subject::Cmd(s)).collect();
        for action in [Action::Deny, Action::Ask] {
            if let Some(r) = subjects
                .iter()
                .find_map(|s| self.rules.find(action, "bash", s))
            {
                return match action {
                    Action::Deny => {
                        Decision::Deny(format!("is forbidden by the deny rule `{}`", r.text))
                    }
                    _ => self.ask_in(mode, format!("the ask rule `{}`", r.text), cmd, cwd),
                };
            }
        }
        let has_rules =
            self.rules.any_for(Action::Deny, "bash") || self.rules.any_for(Action::Ask, "bash");
        if let (Some(problem), true) = (parsed.problems.first().or(hidden.first()), has_rules) {
            let why = format!("the command cannot be checked against the rules ({problem})");
            return self.ask_in(mode, why, cmd, cwd);
        }
        // A program this file does not know as a wrapper may still run the
        // rest of its words (`setsid rm x`): a rule's command there asks.
        let found = has_rules.then(|| bare.iter().find_map(|b| self.inner_rule(b)));
        if let Some((r, inner)) = found.flatten() {
            let why = format!(
                "the rule `{}` matches `{inner}` inside it, which may run",
                r.text
            );
            return self.ask_in(mode, why, cmd, cwd);
        }
        // An allow rule covers a sub-command only if it adds no risky
        // environment or file-writing redirection of its own.
        let allowed = parsed.problems.is_empty()
            && !parsed.cmds.is_empty()
            && parsed.cmds.iter().zip(&plain).all(|(c, text)| {
                coverable(c)
                    && self
                        .rules
                        .find(Action::Allow, "bash", &Subject::Cmd(text))
                        .is_some()
            });
        self.bash_by_mode(mode, cmd, cwd, allowed)
    }

    /// A rule's question about `cmd`, unless `mode` refuses the command
    /// anyway (read-only mode without a read-only sandbox and a command not
    /// proven read-only): a yes must not run what the mode forbids.
    fn ask_in(&self, mode: Permission, why: String, cmd: &str, cwd: &std::path::Path) -> Decision {
        let ask = Decision::Ask {
            why,
            by_mode: false,
        };
        match mode {
            Permission::ReadOnly => unless_refused(ask, self.bash_by_mode(mode, cmd, cwd, false)),
            _ => ask,
        }
    }

    /// The mode's decision on a command no rule stopped; `allowed`: allow
    /// rules cover every sub-command.
    fn bash_by_mode(
        &self,
        mode: Permission,
        cmd: &str,
        cwd: &std::path::Path,
        allowed: bool,
    ) -> Decision {
        let proven = readonly::check(cmd, cwd);
        match mode {
            Permission::Auto if self.sandbox_missing && proven.is_err() => Decision::Ask {
                why: "--sandbox was asked for but Landlock is not available, so commands are not confined".into(),
                by_mode: false,
            },
            Permission::Auto => Decision::Allow,
            Permission::ReadOnly if self.sandbox_for(mode) == sandbox::Mode::ReadOnly => Decision::Allow,
            Permission::ReadOnly => match proven {
                Ok(()) => Decision::Allow,
                Err(e) => Decision::Deny(format!(
                    "is not allowed in read-only mode: without a sandbox only commands proven read-only run, and {e}"
                )),
            },
            _ if allowed => Decision::Allow,
            Permission::Cautious => {
                Decision::Ask { why: "cautious mode asks before every command".into(), by_mode: true }
            }
            Permission::Standard => match proven {
                Ok(()) => Decision::Allow,
                Err(e) => Decision::Ask { why: format!("the command is not proven read-only: {e}"), by_mode: true },
            },
        }
    }
}

/// Can an allow rule cover sub-command `c`? Only if it adds no risky
/// environment or file-writing redirection of its own (its words aside).
fn coverable(c: &shell::Simple) -> bool {
    readonly::simple(&shell::Simple {
        words: Vec::new(),
        ..c.clone()
    })
    .is_ok()
}

/// A rule's `ask`, unless the mode's own decision refuses: read-only mode
/// changes nothing, asked or not.
fn unless_refused(ask: Decision, by_mode: Decision) -> Decision {
    match by_mode {
        refused @ Decision::Deny(_) => refused,
        _ => ask,
    }
}

/// The decision of the mode alone.
fn mode_decision(mode: Permission, effect: Effect, what: &str) -> Decision {
    match (mode, effect) {
        (_, Effect::Read) | (Permission::Auto, _) | (Permission::Standard, Effect::Write) => {
            Decision::Allow
        }
        (Permission::ReadOnly, _) => Decision::Deny("is not allowed in read-only mode".into()),
        _ => Decision::Ask {
            why: format!("{} mode asks before {what}", mode.label()),
            by_mode: true,
        },
    }
}

/// The lowercased host of a URL argument, if it parses.
fn host_of(url: Option<&str>) -> Option<String> {
    let u = crate::http::Url::parse(url?).ok()?;
    Some(u.host.to_ascii_lowercase())
}

/// The tool error for a denial, or for an ask in a headless run.
pub fn denial(name: &str, mode: Permission, d: &Decision) -> String {
    match d {
        Decision::Allow => String::new(),
        Decision::Deny(why) => format!(
            "permission denied: `{name}` {why} (--permission {})",
            mode.label()
        ),
        Decision::Ask { why, by_mode } => {
            let hint = if *by_mode {
                "; --permission auto would allow it"
            } else {
                ""
            };
            format!("permission denied: `{name}` needs the user's approval ({why}), which cannot be asked for in a headless run{hint}")
        }
    }
}

/// The prompt mode's one narrow allowance (plan mode's PLAN.md): a write
/// or edit call whose `path` is one of the paths the mode names may run
/// even where the gate said no. Anything unclear is no.
pub fn mode_allows(
    writable: &[String],
    effect: Effect,
    args: &str,
    ws: &crate::workspace::Workspace,
) -> bool {
    if effect != Effect::Write || writable.is_empty() {
        return false;
    }
    let Ok(a) = crate::json::Args::parse(args) else {
        return false;
    };
    let Ok(target) = a.str("path").and_then(|p| ws.resolve(p)) else {
        return false;
    };
    writable
        .iter()
        .any(|w| ws.resolve(w).is_ok_and(|w| w == target))
}

#[cfg(test)]
mod tests;

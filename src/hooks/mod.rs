//! Lifecycle hooks in Claude Code's schema: `{"hooks": {"EVENT": [{"matcher":
//! "Bash|Edit", "hooks": [{"type": "command", "command": "...", "timeout":
//! 60}]}]}}` from mote's config.json files and `.claude/settings.json` (user
//! and project). This file owns reading that shape into `Hooks`, choosing
//! the hooks an event fires, the JSON a hook gets on stdin (tool names and
//! inputs in Claude Code's spelling next to mote's) and what its exit code
//! and stdout mean; src/hooks/spawn.rs runs one command. With no hooks
//! configured `Hooks` is an empty list and nothing here runs.

#[cfg(test)]
mod outcome_tests;
mod spawn;

use std::path::{Path, PathBuf};

use regex_lite::Regex;

use crate::json::value::Value;
use crate::json::write::quote;
use crate::permission::Permission;

/// The events mote fires, by their Claude Code names.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Event {
    SessionStart,
    UserPromptSubmit,
    PreToolUse,
    PostToolUse,
    Notification,
    Stop,
    SubagentStop,
    PreCompact,
    SessionEnd,
}

const EVENTS: &[(&str, Event)] = &[
    ("SessionStart", Event::SessionStart),
    ("UserPromptSubmit", Event::UserPromptSubmit),
    ("PreToolUse", Event::PreToolUse),
    ("PostToolUse", Event::PostToolUse),
    ("Notification", Event::Notification),
    ("Stop", Event::Stop),
    ("SubagentStop", Event::SubagentStop),
    ("PreCompact", Event::PreCompact),
    ("SessionEnd", Event::SessionEnd),
];

/// Claude Code's names for mote's tools, for matchers and `tool_name`.
const TOOL_NAMES: &[(&str, &str)] = &[
    ("bash", "Bash"),
    ("read", "Read"),
    ("write", "Write"),
    ("edit", "Edit"),
    ("ls", "LS"),
    ("glob", "Glob"),
    ("grep", "Grep"),
    ("find", "Glob"),
    ("task", "Task"),
    ("fetch", "WebFetch"),
];

/// mote's argument names and Claude Code's, both given to the hook.
const ARG_NAMES: &[(&str, &str)] = &[
    ("path", "file_path"),
    ("old_text", "old_string"),
    ("new_text", "new_string"),
];

pub const DEFAULT_TIMEOUT: u64 = 60;

struct Group {
    event: Event,
    /// None: every tool (absent, `""` or `"*"`).
    matcher: Option<Regex>,
    commands: Vec<(String, u64)>,
}

/// The configured hooks and what every hook's input names.
#[derive(Default)]
pub struct Hooks {
    groups: Vec<Group>,
    pub session_id: String,
    pub transcript: String,
    dir: String,
    /// This run is a subagent (`--subagent`): its end is SubagentStop, and
    /// it has no SessionStart or SessionEnd of its own.
    pub subagent: bool,
    /// What SessionStart's hooks added (`start`): context for the whole
    /// session, kept for every system prompt it gets.
    started: String,
}

/// A PreToolUse hook's `permissionDecision` besides `deny` (which blocks).
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Permit {
    /// Run without asking, unless a deny rule or the mode forbids it.
    Allow,
    /// Ask the user even if the gate would allow it.
    Ask,
}

/// What the hooks of one event decided.
#[derive(Default, Debug)]
pub struct Outcome {
    /// Exit 2 or `decision: "block"`/`permissionDecision: "deny"`: the reason.
    pub block: Option<String>,
    /// `permissionDecision: "allow"` or `"ask"` (ask wins over allow).
    pub permit: Option<Permit>,
    /// Exit 0 stdout (SessionStart, UserPromptSubmit) and `additionalContext`.
    pub context: String,
    /// One line each for the user: non-blocking errors, `systemMessage`.
    pub notes: Vec<String>,
}

/// The per-event payload besides the common fields.
pub enum Input<'a> {
    Prompt(&'a str),
    Tool {
        name: &'a str,
        args: &'a str,
        id: &'a str,
        response: Option<(&'a str, bool)>,
    },
    /// Stop and SubagentStop: `stop_hook_active`.
    Stop(bool),
    /// SessionStart's `source`, SessionEnd's `reason`, Notification's
    /// `message`, PreCompact's `trigger`: the event's one field.
    Field(&'a str),
}

impl Hooks {
    /// Read every `hooks` object in `sources` (lowest precedence first; all
    /// are kept and all run). Errors name the file.
    pub fn load(sources: &[(PathBuf, Value)], dir: &Path) -> Result<Hooks, String> {
        let mut h = Hooks {
            dir: dir.to_string_lossy().into_owned(),
            ..Hooks::default()
        };
        for (path, v) in sources {
            parse(v, &mut h.groups).map_err(|e| format!("{}: hooks: {e}", path.display()))?;
        }
        Ok(h)
    }

    /// Run the hooks `event` fires (for a tool event, those whose matcher
    /// takes the tool's mote or Claude Code name), one after another, in
    /// the permission mode `mode`.
    pub fn fire(&self, event: Event, mode: Permission, input: &Input) -> Outcome {
        let mut out = Outcome::default();
        let tool = match input {
            Input::Tool { name, .. } => Some(*name),
            _ => None,
        };
        let mut json = None;
        for g in self.groups.iter().filter(|g| g.event == event) {
            if let (Some(re), Some(t)) = (&g.matcher, tool) {
                if !re.is_match(t) && !re.is_match(claude_name(t).as_str()) {
                    continue;
                }
            }
            let stdin = json.get_or_insert_with(|| self.input(event, mode, input));
            for (cmd, timeout) in &g.commands {
                let r = spawn::run(cmd, stdin, &self.dir, *timeout);
                judge(event, cmd, r, &mut out);
            }
        }
        out
    }

    /// SessionStart or SessionEnd (none in a subagent): notes go to
    /// stderr; the context (SessionStart's stdout) is returned.
    pub fn session(&self, event: Event, mode: Permission, field: &str) -> String {
        if self.subagent {
            return String::new();
        }
        let o = self.fire(event, mode, &Input::Field(field));
        o.notes.iter().for_each(|n| eprintln!("mote: warning: {n}"));
        o.context
    }

    /// SessionStart (`source`: startup or resume); its context is kept
    /// (`started`).
    pub fn start(&mut self, mode: Permission, source: &str) {
        self.started = self.session(Event::SessionStart, mode, source);
    }

    /// The session moved to `dir` (`/worktree`): hooks run there from now
    /// on, and name it as their `cwd`, as the tools do.
    pub fn moved(&mut self, dir: &Path) {
        self.dir = dir.to_string_lossy().into_owned();
    }

    /// What SessionStart's hooks added ("" when none did).
    pub fn started(&self) -> &str {
        &self.started
    }

    fn input(&self, event: Event, mode: Permission, input: &Input) -> String {
        let name = EVENTS.iter().find(|(_, e)| *e == event).map_or("", |e| e.0);
        let mut s = format!(
            "{{\"session_id\":{},\"transcript_path\":{},\"cwd\":{},\"hook_event_name\":{},\"permission_mode\":\"{}\"",
            quote(&self.session_id),
            quote(&self.transcript),
            quote(&self.dir),
            quote(name),
            claude_mode(mode)
        );
        match input {
            Input::Prompt(p) => s.push_str(&format!(",\"prompt\":{}", quote(p))),
            Input::Tool {
                name,
                args,
                id,
                response,
            } => {
                s.push_str(&format!(
                    ",\"tool_name\":{},\"mote_tool_name\":{},\"tool_use_id\":{},\"tool_input\":{}",
                    quote(&claude_name(name)),
                    quote(name),
                    quote(id),
                    tool_input(args)
                ));
                if let Some((text, error)) = response {
                    s.push_str(&format!(
                        ",\"tool_response\":{},\"is_error\":{error}",
                        quote(text)
                    ));
                }
            }
            Input::Stop(active) => s.push_str(&format!(",\"stop_hook_active\":{active}")),
            Input::Field(v) => {
                let key = match event {
                    Event::SessionStart => "source",
                    Event::SessionEnd => "reason",
                    Event::PreCompact => "trigger",
                    _ => "message",
                };
                s.push_str(&format!(",{}:{}", quote(key), quote(v)));
            }
        }
        s.push('}');
        s
    }
}

/// Claude Code's `permission_mode` for mote's mode: read-only changes
/// nothing ("plan"), cautious asks before changes ("default"), standard
/// edits the workspace unasked ("acceptEdits"), auto asks nothing
/// ("bypassPermissions").
fn claude_mode(mode: Permission) -> &'static str {
    match mode {
        Permission::ReadOnly => "plan",
        Permission::Cautious => "default",
        Permission::Standard => "acceptEdits",
        Permission::Auto => "bypassPermissions",
    }
}

fn parse(v: &Value, groups: &mut Vec<Group>) -> Result<(), String> {
    let events = v.as_object().ok_or("must be an object of events")?;
    for (name, list) in events {
        let Some(&(_, event)) = EVENTS.iter().find(|(n, _)| n == name) else {
            let known: Vec<&str> = EVENTS.iter().map(|e| e.0).collect();
            return Err(format!(
                "unknown event `{name}` (known: {})",
                known.join(", ")
            ));
        };
        let list = list
            .as_array()
            .ok_or_else(|| format!("`{name}` must be a list"))?;
        for g in list {
            groups.push(group(event, g).map_err(|e| format!("{name}: {e}"))?);
        }
    }
    Ok(())
}

fn group(event: Event, g: &Value) -> Result<Group, String> {
    let matcher = match g.get("matcher").and_then(|m| m.as_str()) {
        None | Some("") | Some("*") => None,
        Some(m) => Some(
            Regex::new(&format!("^(?:{m})$"))
                .map_err(|e| format!("matcher `{m}` is not a regex: {e}"))?,
        ),
    };
    let list = g
        .get("hooks")
        .and_then(|h| h.as_array())
        .ok_or("each entry needs a `hooks` list")?;
    let mut commands = Vec::new();
    for h in list {
        let kind = h.get("type").and_then(|t| t.as_str()).unwrap_or("command");
        if kind != "command" {
            return Err(format!(
                "hook type `{kind}` is not supported (only `command`)"
            ));
        }
        let cmd = h
            .get("command")
            .and_then(|c| c.as_str())
            .filter(|c| !c.trim().is_empty())
            .ok_or("a hook needs a `command` string")?;
        let timeout = match h.get("timeout") {
            None => DEFAULT_TIMEOUT,
            Some(t) => t
                .as_u64()
                .filter(|t| *t > 0)
                .ok_or("`timeout` must be a positive number of seconds")?,
        };
        commands.push((cmd.to_string(), timeout));
    }
    Ok(Group {
        event,
        matcher,
        commands,
    })
}

/// Claude Code's name for a mote tool (MCP tools are `mcp__server__tool` in both).
fn claude_name(mote: &str) -> String {
    TOOL_NAMES
        .iter()
        .find(|(m, _)| *m == mote)
        .map_or_else(|| mote.to_string(), |(_, c)| c.to_string())
}

/// The call's arguments with Claude Code's names added next to mote's.
fn tool_input(args: &str) -> String {
    let Ok(Value::Obj(mut m)) = crate::json::value::parse(args) else {
        return "{}".into();
    };
    for (mote, claude) in ARG_NAMES {
        let found = m.iter().find(|(k, _)| k == mote).map(|(_, v)| v.clone());
        if let (Some(v), false) = (found, m.iter().any(|(k, _)| k == claude)) {
            m.push((claude.to_string(), v));
        }
    }
    Value::Obj(m).to_json()
}

/// Events an exit 2 blocks; for the others it is an error shown to the user.
fn blocks(e: Event) -> bool {
    use Event::*;
    matches!(
        e,
        UserPromptSubmit | PreToolUse | PostToolUse | Stop | SubagentStop
    )
}

/// Fold one hook's result into the event's outcome (Claude Code's protocol).
fn judge(event: Event, cmd: &str, r: Result<spawn::Done, String>, out: &mut Outcome) {
    let short: String = cmd.chars().take(60).collect();
    let d = match r {
        Ok(d) => d,
        Err(e) => return out.notes.push(format!("hook `{short}`: {e}")),
    };
    match d.code {
        Some(0) => stdout(event, &d.stdout, out),
        Some(2) if blocks(event) => {
            let why = d.stderr.trim();
            out.block.get_or_insert_with(|| match why.is_empty() {
                true => format!("blocked by hook `{short}`"),
                false => why.to_string(),
            });
        }
        code => {
            let first = d.stderr.lines().next().unwrap_or("").trim();
            let how = code.map_or("was killed by a signal".into(), |c| format!("exited {c}"));
            out.notes
                .push(format!("hook `{short}` {how} (not blocking): {first}"));
        }
    }
}

/// Exit 0: plain stdout is context for SessionStart/UserPromptSubmit; a
/// JSON object may block, deny, allow, ask, add context or show a message.
fn stdout(event: Event, text: &str, out: &mut Outcome) {
    let t = text.trim();
    let v = match t.starts_with('{') {
        true => crate::json::value::parse(t).ok(),
        false => None,
    };
    let Some(v) = v else {
        let adds = matches!(event, Event::UserPromptSubmit | Event::SessionStart);
        if adds && !t.is_empty() {
            push_context(out, t);
        }
        return;
    };
    let s = |v: Option<&Value>| v.and_then(|x| x.as_str()).map(String::from);
    let specific = v.get("hookSpecificOutput");
    let decision = s(specific.and_then(|h| h.get("permissionDecision")));
    let deny = decision.as_deref() == Some("deny");
    match (decision.as_deref(), out.permit) {
        (Some("ask"), _) => out.permit = Some(Permit::Ask),
        (Some("allow"), None) => out.permit = Some(Permit::Allow),
        _ => {}
    }
    if s(v.get("decision")).as_deref() == Some("block") || deny {
        let why = s(v.get("reason"))
            .or_else(|| s(specific.and_then(|h| h.get("permissionDecisionReason"))))
            .unwrap_or_else(|| "blocked by a hook".into());
        out.block.get_or_insert(why);
    }
    if v.get("continue").and_then(|c| c.as_bool()) == Some(false) {
        let why = s(v.get("stopReason")).unwrap_or_else(|| "stopped by a hook".into());
        out.block.get_or_insert(why);
    }
    if let Some(c) = s(specific.and_then(|h| h.get("additionalContext"))) {
        push_context(out, &c);
    }
    if let Some(m) = s(v.get("systemMessage")) {
        out.notes.push(m);
    }
}

fn push_context(out: &mut Outcome, t: &str) {
    if !out.context.is_empty() {
        out.context.push('\n');
    }
    out.context.push_str(t);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_take_either_name_and_args_get_both_spellings() {
        let v = crate::json::value::parse(
            r#"{"PreToolUse":[{"matcher":"Bash|Edit","hooks":[{"command":"true"}]}]}"#,
        )
        .unwrap();
        let h = Hooks::load(&[(PathBuf::from("x"), v)], Path::new("/")).unwrap();
        let re = h.groups[0].matcher.as_ref().unwrap();
        assert!(re.is_match(&claude_name("bash")) && !re.is_match("bash"));
        assert!(!re.is_match(&claude_name("bashful")));
        let j = tool_input(r#"{"path":"a","old_text":"x","new_text":"y"}"#);
        assert!(
            j.contains(r#""file_path":"a""#) && j.contains(r#""path":"a""#),
            "{j}"
        );
        assert!(j.contains(r#""old_string":"x""#) && j.contains(r#""new_string":"y""#));
    }

    #[test]
    fn bad_config_is_one_line_naming_the_file() {
        for (bad, want) in [
            (r#"{"Nope":[]}"#, "unknown event `Nope`"),
            (
                r#"{"Stop":[{"hooks":[{"timeout":3}]}]}"#,
                "needs a `command`",
            ),
            (
                r#"{"PreToolUse":[{"matcher":"(","hooks":[]}]}"#,
                "not a regex",
            ),
            (r#"[]"#, "must be an object"),
        ] {
            let v = crate::json::value::parse(bad).unwrap();
            let e = Hooks::load(&[(PathBuf::from("f.json"), v)], Path::new("/"))
                .err()
                .unwrap();
            assert!(e.starts_with("f.json: hooks: ") && e.contains(want), "{e}");
            assert!(!e.contains('\n'));
        }
    }
}

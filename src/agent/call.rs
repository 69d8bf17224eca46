//! One tool call from the agent loop (or the interactive `!cmd`): find
//! the tool, check its arguments, ask the permission gate, ask the front
//! end when the gate says Ask, run it, and record the result.

use std::time::Instant;

use super::{Agent, Fail, Pending};
use crate::arena::{Kind, Role};
use crate::frontend::{Answer, Approval, Ask};
use crate::hooks::{Event, Input, Permit};
use crate::json::Args;
use crate::permission::Decision;
use crate::session::Record;
use crate::tool;

impl Agent<'_> {
    /// Run a call the model made: shown, decided, run, recorded.
    pub(super) fn run_tool(&mut self, c: &Pending) {
        self.out.tool_call(&c.id, &c.name, &c.args);
        let start = Instant::now();
        let result = self.hooked_call(&c.id, &c.name, &c.args);
        self.finish_call(c, &result, start.elapsed().as_millis());
    }

    /// `call_tool` between the PreToolUse and PostToolUse hooks: a hook may
    /// block the call, allow or ask for it (`permissionDecision`; deny
    /// rules still win), or add its reason to the result. The model's
    /// calls and the user's `!cmd` go through here.
    pub fn hooked_call(&mut self, id: &str, name: &str, args: &str) -> Result<String, String> {
        let tool = |response| Input::Tool {
            name,
            args,
            id,
            response,
        };
        let pre = self.hook(Event::PreToolUse, &tool(None));
        let mut result = match pre.block {
            Some(why) => Err(format!("blocked by a PreToolUse hook: {why}")),
            None => self.call_steered(id, name, args, pre.permit),
        };
        let response = match &result {
            Ok(t) => (t.as_str(), false),
            Err(e) => (e.as_str(), true),
        };
        if let Some(why) = self.hook(Event::PostToolUse, &tool(Some(response))).block {
            // Exit 2 after the call: the reason goes to the model with the result.
            let r = match &mut result {
                Ok(t) | Err(t) => t,
            };
            r.push_str(&format!("\n[PostToolUse hook: {why}]"));
        }
        result
    }

    /// A command the user gave (the TUI's `!cmd`, a command file's
    /// `` !`cmd` ``): a bash call through the hooks and the gate.
    pub fn user_bash(&mut self, id: &str, cmd: &str) -> Result<String, String> {
        let mut args = b"{\"command\":".to_vec();
        let _ = crate::json::write::string(&mut args, cmd);
        args.push(b'}');
        self.hooked_call(id, "bash", &String::from_utf8_lossy(&args))
    }

    /// A call's result: into the arena, the session and the front end.
    pub(super) fn finish_call(&mut self, c: &Pending, result: &Result<String, String>, ms: u128) {
        let (text, is_error) = match result {
            Ok(s) => (s.as_str(), false),
            Err(e) => (e.as_str(), true),
        };
        self.conv.arena.result(&c.id, &c.name, text, is_error);
        let e = self.conv.log.record(
            &Record::Result {
                id: &c.id,
                name: &c.name,
                text,
                error: is_error,
            },
            self.conv.arena.bytes(),
        );
        self.note(e);
        self.out.tool_result(&c.id, &c.name, text, is_error, ms);
    }

    /// Find, check, permit and run one call: `Ok` is the text for the
    /// model, `Err` a one-line error (a denial, bad arguments, a failure).
    pub fn call_tool(&mut self, id: &str, name: &str, args: &str) -> Result<String, String> {
        self.call_steered(id, name, args, None)
    }

    /// `call_tool` with a PreToolUse hook's `permissionDecision`.
    fn call_steered(
        &mut self,
        id: &str,
        name: &str,
        args: &str,
        hook: Option<Permit>,
    ) -> Result<String, String> {
        let permission = self.conv.mode.permission;
        if name == crate::schema::TOOL && self.conv.cfg.schema.is_some() {
            return Ok("The answer is recorded.".into());
        }
        if !self.ctx.scope.allows(name) {
            return Err(format!("tool `{name}` is not available to this agent"));
        }
        let Some(t) = tool::find_tool(name) else {
            if name.starts_with(crate::mcp::PREFIX) {
                let d = self
                    .ctx
                    .gate
                    .decide_named(permission, name, tool::Effect::Exec);
                let d = steer(d, hook);
                self.permit(d, id, name, tool::Effect::Exec, args)?;
                self.checkpoint(None);
                self.out.tool_start(id);
                return self.ctx.mcp.call(name, args);
            }
            let names: Vec<&str> = tool::TOOLS.iter().map(|t| t.name).collect();
            return Err(format!(
                "unknown tool `{name}`; the tools are: {}",
                names.join(", ")
            ));
        };
        let parsed = Args::parse(args).map_err(|e| format!("bad arguments for {}: {e}", t.name))?;
        check_known(t, &parsed)?;
        let d = steer(
            self.ctx.gate.decide(permission, t, &parsed, &self.ctx.ws),
            hook,
        );
        self.permit(d, id, t.name, t.effect, args)?;
        self.before_change(t, &parsed);
        self.out.tool_start(id);
        let cx = tool::ToolCtx {
            ws: &self.ctx.ws,
            sandbox: self.ctx.gate.sandbox_for(permission),
            buffers: self.out.buffers(),
            rules: &self.ctx.gate.rules,
        };
        let text = (t.run)(&parsed, &cx)?;
        if let Some(image) = t.attach.map(|f| f(&parsed, &cx)).transpose()?.flatten() {
            self.conv.attached.push(image);
        }
        Ok(text)
    }

    /// Attach the image at `path` (a path pasted into the prompt): Ok(false)
    /// when it is not an image.
    pub fn attach_image(&mut self, path: &std::path::Path) -> Result<bool, String> {
        let image = crate::image::attach(path)?;
        let found = image.is_some();
        self.conv.attached.extend(image);
        Ok(found)
    }

    /// Put in the images this turn's calls or the prompt attached: after
    /// all the results, never between a call and its result.
    pub(super) fn put_attached(&mut self) {
        for rec in std::mem::take(&mut self.conv.attached) {
            self.conv.arena.image(&rec);
            if let Some(img) = crate::image::Image::parse(&rec) {
                self.record(&Record::Image(img));
            }
        }
    }

    /// A call that may change files takes the turn's checkpoint first:
    /// judged by the tool's effect, and a command only when it is not
    /// proven read-only.
    fn before_change(&mut self, t: &tool::Tool, args: &Args) {
        let path = match (t.effect, t.target) {
            // Reading and fetching change no file.
            (tool::Effect::Read | tool::Effect::Network, _) | (_, tool::Target::Url(_)) => return,
            (_, tool::Target::Command(key)) => {
                let cmd = args.str(key).unwrap_or("");
                if crate::permission::readonly::check(cmd, &self.ctx.ws.root).is_ok() {
                    return;
                }
                None
            }
            (_, tool::Target::Path(key)) => args
                .opt_str(key)
                .ok()
                .flatten()
                .and_then(|p| self.ctx.ws.resolve(p).ok()),
            (_, tool::Target::Name) => None,
        };
        self.checkpoint(path.as_deref());
    }

    /// Carry out the gate's verdict on a call: Allow runs; Ask asks the
    /// front end, and is a denial when nobody can be asked; Deny is a tool
    /// error naming the mode or rule. A prompt mode's own files (plan
    /// mode's PLAN.md) need no asking.
    fn permit(
        &mut self,
        d: Decision,
        id: &str,
        name: &str,
        effect: tool::Effect,
        args: &str,
    ) -> Result<(), String> {
        let permission = self.conv.mode.permission;
        match d {
            Decision::Allow => Ok(()),
            _ if crate::permission::mode_allows(
                &self.conv.mode.writable,
                effect,
                args,
                &self.ctx.ws,
            ) =>
            {
                Ok(())
            }
            Decision::Ask { why, by_mode } => {
                // "Always" adds allow rules, which cannot beat an ask rule: offered only when the mode asks.
                let always = if by_mode {
                    self.always_rules(name, args)
                } else {
                    Vec::new()
                };
                let ask = Ask {
                    id,
                    name,
                    args,
                    effect,
                    always: &always,
                };
                self.notify(&format!("mote needs your permission to use {name}"));
                match self.out.approve(&ask) {
                    Approval::Once => Ok(()),
                    Approval::Always => {
                        if let Err(e) = self.ctx.gate.allow_always(&always) {
                            self.out.note(&format!("cannot remember this answer: {e}"));
                        }
                        Ok(())
                    }
                    Approval::No(why) => Err(format!(
                        "permission denied: the user declined this {name} call{}",
                        if why.is_empty() {
                            String::new()
                        } else {
                            format!(": {why}")
                        }
                    )),
                    Approval::Nobody => Err(crate::permission::denial(
                        name,
                        permission,
                        &Decision::Ask { why, by_mode },
                    )),
                }
            }
            Decision::Deny(_) => Err(crate::permission::denial(name, permission, &d)),
        }
    }

    /// The Notification hooks, when a person is about to be asked.
    fn notify(&mut self, message: &str) {
        if self.out.asks_a_person() {
            self.hook(Event::Notification, &Input::Field(message));
        }
    }

    /// The session allow rules an "always" answer adds for a call (an MCP
    /// tool's rule is its name).
    fn always_rules(&self, name: &str, args: &str) -> Vec<String> {
        match tool::find_tool(name) {
            Some(t) => Args::parse(args).map_or(Vec::new(), |a| {
                crate::permission::Gate::always_rules(t, &a, &self.ctx.ws)
            }),
            None => vec![name.to_string()],
        }
    }

    /// The doom-loop guard tripped on `c`: unless the front end's user says
    /// go on (then the guard forgets its history and the call runs), the
    /// turn stops.
    pub(super) fn doom_ask(&mut self, m: String, c: &Pending) -> Option<Fail> {
        let q = format!("{m}; it may be stuck in a loop. Run it anyway?");
        self.notify("mote is waiting for your answer");
        if self.out.confirm(&q, "run it and go on", "stop the turn") != Answer::Yes {
            return Some(Fail::DoomLoop(m));
        }
        self.conv.doom.reset();
        let _ = self.conv.doom.push(&c.name, &c.args);
        None
    }

    /// Whether the model gave its final answer through the answer tool
    /// (`--output-schema` on Anthropic, src/schema.rs): its input becomes
    /// the answer text, and the run ends.
    pub(super) fn answered(&mut self, calls: &[Pending]) -> bool {
        let Some(schema) = &self.conv.cfg.schema else {
            return false;
        };
        let Some(c) = calls.iter().find(|c| c.name == crate::schema::TOOL) else {
            return false;
        };
        let answer = crate::schema::from_tool(schema, &c.args);
        self.conv.arena.push(Role::Assistant, Kind::Text, &answer);
        self.record(&Record::Assistant { text: &answer });
        true
    }
}

/// Refuse arguments the tool's schema does not name, so a misspelt
/// parameter is reported instead of silently ignored.
fn check_known(t: &tool::Tool, args: &Args) -> Result<(), String> {
    let mut names: Vec<String> = Vec::new();
    let mut p = crate::json::Parser::new();
    let _ = p.feed(t.params.as_bytes(), &mut |path, e| {
        if let (Some(name), crate::json::Event::Open(_)) =
            (crate::json::below(path, b"properties"), &e)
        {
            if !name.contains(&b'.') {
                names.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    });
    match args.keys().find(|k| !names.iter().any(|n| n == k)) {
        Some(k) => Err(format!(
            "unknown argument `{k}` for {}; it takes: {}",
            t.name,
            names.join(", ")
        )),
        None => Ok(()),
    }
}

/// A PreToolUse hook's `permissionDecision` applied to the gate's verdict:
/// allow answers what would be asked, ask asks what would be allowed; a
/// denial (a deny rule, the mode) stands.
fn steer(d: Decision, hook: Option<Permit>) -> Decision {
    match (hook, d) {
        (Some(Permit::Allow), Decision::Ask { .. }) => Decision::Allow,
        (Some(Permit::Ask), Decision::Allow) => Decision::Ask {
            why: "a PreToolUse hook asks for the user's yes".into(),
            by_mode: false,
        },
        (_, d) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_arguments_are_named() {
        let t = tool::find_tool("read").unwrap();
        let a = Args::parse(r#"{"file_path":"x"}"#).unwrap();
        let e = check_known(t, &a).unwrap_err();
        assert!(
            e.starts_with("unknown argument `file_path` for read; it takes: path"),
            "{e}"
        );
        assert!(check_known(t, &Args::parse(r#"{"path":"x","offset":2}"#).unwrap()).is_ok());
        for t in tool::TOOLS {
            assert!(
                crate::json::stream::validate(t.params.as_bytes()).is_ok(),
                "{} schema",
                t.name
            );
        }
    }
}

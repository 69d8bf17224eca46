//! The ACP front end: the `Frontend` the agent loop talks to while a
//! prompt runs, turning its events into `session/update` notifications
//! (message and thought chunks, `tool_call` and `tool_call_update` with
//! kind, title, locations, raw input, text and diff content) and its
//! questions into `session/request_permission`. Which ACP kind a tool is
//! comes from one table (`KINDS`); an MCP tool is `other`.

use std::path::{Path, PathBuf};

use super::fs::{Caps, ClientFs};
use super::link;
use crate::frontend::{Answer, Approval, Ask, Frontend};
use crate::json::value::{self, Value};
use crate::json::Args;
use crate::mcp::rpc::{obj, s};
use crate::provider::Usage;
use crate::subagent::task::Shown;
use crate::tool::{Effect, Preview};

/// ACP tool kinds of the built-in tools (and the subagent `task` tool);
/// a tool not listed goes by its effect, an MCP tool is `other`.
const KINDS: &[(&str, &str)] = &[
    ("read", "read"),
    ("ls", "read"),
    ("grep", "search"),
    ("find", "search"),
    ("edit", "edit"),
    ("write", "edit"),
    ("bash", "execute"),
    ("task", "think"),
];

pub fn kind(name: &str) -> &'static str {
    if let Some((_, k)) = KINDS.iter().find(|(n, _)| *n == name) {
        return k;
    }
    match crate::tool::find_tool(name).map(|t| t.effect) {
        Some(Effect::Read) => "read",
        Some(Effect::Write) => "edit",
        Some(Effect::Exec) => "execute",
        Some(Effect::Network) => "fetch",
        None => "other",
    }
}

/// What a call of `name` previews (src/tool/ `Preview`; `Args` for a
/// tool not in the table).
fn preview(name: &str) -> Preview {
    crate::tool::find_tool(name).map_or(Preview::Args, |t| t.preview)
}

/// A human title: "Read src/main.rs:10-59", "Run `make test`" (the
/// table row's `title`).
pub fn title(name: &str, a: &Args) -> String {
    match crate::tool::find_tool(name) {
        Some(t) => (t.title)(a),
        // The subagent tool (src/subagent/task.rs) is not in the table.
        None if name == "task" => match a.opt_str("description").ok().flatten() {
            Some(d) => format!("Subagent: {d}"),
            None => "Subagent".into(),
        },
        None => name.to_string(),
    }
}

pub struct Front {
    pub session: String,
    /// The editor's file system, when it offers one.
    fs: ClientFs,
    pub root: PathBuf,
    /// The editor went away (stdout closed): nothing more is sent. The
    /// request's answer, sent next by the server, finds the same.
    closed: bool,
    /// Each running call's arguments, and for a write the file's old
    /// content (the diff's oldText; none for a new file).
    pending: Vec<(String, String, Option<String>)>,
    /// Questions asked so far (their tool call ids).
    asked: u32,
}

pub(super) fn text_block(t: &str) -> Value {
    obj(vec![("type", s("text")), ("text", s(t))])
}

impl Front {
    pub fn new(session: &str, root: &Path, caps: Caps) -> Front {
        Front {
            session: session.to_string(),
            fs: ClientFs {
                session: session.to_string(),
                caps,
            },
            root: root.to_path_buf(),
            closed: false,
            pending: Vec::new(),
            asked: 0,
        }
    }

    pub fn update(&mut self, update: Value) {
        let params = obj(vec![("sessionId", s(&self.session)), ("update", update)]);
        let m = crate::mcp::rpc::notification("session/update", Some(params));
        if !self.closed && super::wire::send(&m).is_err() {
            self.closed = true;
        }
    }

    fn abs(&self, p: &str) -> PathBuf {
        self.root.join(p)
    }

    /// The fields a tool call shows (title, kind, rawInput, locations, content).
    fn describe(
        &self,
        id: &str,
        name: &str,
        args: &str,
        old: Option<&str>,
    ) -> Vec<(&'static str, Value)> {
        let a = Args::parse(args).unwrap_or_default();
        let raw = value::parse(args).unwrap_or_else(|_| s(args));
        let path = a.opt_str("path").ok().flatten();
        let mut f = vec![
            ("toolCallId", s(id)),
            ("title", s(&title(name, &a))),
            ("kind", s(kind(name))),
            ("rawInput", raw),
        ];
        if let Some(p) = path {
            let mut loc = vec![("path", s(&self.abs(p).to_string_lossy()))];
            if let Ok(Some(l)) = a.opt_u64("offset") {
                loc.push(("line", Value::Num(l.to_string())));
            }
            f.push(("locations", Value::Arr(vec![obj(loc)])));
        }
        let diff = |old: Value, new: &str| {
            let path = self.abs(path.unwrap_or_default());
            obj(vec![
                ("type", s("diff")),
                ("path", s(&path.to_string_lossy())),
                ("oldText", old),
                ("newText", s(new)),
            ])
        };
        let arg = |k| a.opt_str(k).ok().flatten();
        let content = match (preview(name), path) {
            (Preview::Diff(o, n), Some(_)) => arg(o).zip(arg(n)).map(|(o, n)| diff(s(o), n)),
            (Preview::Content(c), Some(_)) => arg(c).map(|n| diff(old.map_or(Value::Null, s), n)),
            _ => None,
        };
        if let Some(c) = content {
            f.push(("content", Value::Arr(vec![c])));
        }
        f
    }
}

impl Frontend for Front {
    fn turn_start(&mut self, _turn: u32) {}

    fn text(&mut self, t: &str) {
        if !t.is_empty() {
            self.update(obj(vec![
                ("sessionUpdate", s("agent_message_chunk")),
                ("content", text_block(t)),
            ]));
        }
    }

    fn reasoning(&mut self, t: &str) {
        if !t.is_empty() {
            self.update(obj(vec![
                ("sessionUpdate", s("agent_thought_chunk")),
                ("content", text_block(t)),
            ]));
        }
    }

    fn tool_call(&mut self, id: &str, name: &str, args: &str) {
        // A write's old content, read before the tool replaces it (small files only).
        let old = match name {
            "write" => Args::parse(args)
                .ok()
                .and_then(|a| a.opt_str("path").ok().flatten().map(|p| self.abs(p)))
                .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= 1 << 20))
                .and_then(|p| std::fs::read_to_string(p).ok()),
            _ => None,
        };
        let mut f = vec![("sessionUpdate", s("tool_call"))];
        f.extend(self.describe(id, name, args, old.as_deref()));
        f.push(("status", s("pending")));
        self.update(obj(f));
        self.pending.push((id.to_string(), args.to_string(), old));
    }

    fn tool_start(&mut self, id: &str) {
        self.status(id, "in_progress");
    }

    fn tool_result(&mut self, id: &str, name: &str, text: &str, is_error: bool, _ms: u128) {
        let at = self.pending.iter().position(|(p, _, _)| p == id);
        let (args, old) = at
            .map(|i| self.pending.swap_remove(i))
            .map_or((String::new(), None), |(_, a, o)| (a, o));
        let mut content = vec![obj(vec![
            ("type", s("content")),
            ("content", text_block(text)),
        ])];
        if !is_error && preview(name) != Preview::Args {
            if let Some(Value::Arr(d)) = self
                .describe(id, name, &args, old.as_deref())
                .into_iter()
                .find(|(k, _)| *k == "content")
                .map(|(_, v)| v)
            {
                content.extend(d);
            }
        }
        self.update(obj(vec![
            ("sessionUpdate", s("tool_call_update")),
            ("toolCallId", s(id)),
            ("status", s(if is_error { "failed" } else { "completed" })),
            ("content", Value::Arr(content)),
        ]));
    }

    fn turn_end(&mut self, _turn: u32, _usage: &Usage) {}

    /// A running subagent's progress: its `think` tool call's live line.
    fn subagent(&mut self, sh: &Shown) {
        let Shown::Progress {
            id,
            agent,
            tool,
            turn,
            tokens,
            elapsed,
            ..
        } = sh
        else {
            return;
        };
        let line = format!(
            "{agent}: turn {turn}, {tool}, {tokens} tokens, {} s",
            elapsed.as_secs()
        );
        self.update(obj(vec![
            ("sessionUpdate", s("tool_call_update")),
            ("toolCallId", s(id)),
            ("status", s("in_progress")),
            (
                "content",
                Value::Arr(vec![obj(vec![
                    ("type", s("content")),
                    ("content", text_block(&line)),
                ])]),
            ),
        ]));
    }

    fn note(&mut self, t: &str) {
        eprintln!("mote: {t}");
    }

    /// The editor's user answers `session/request_permission`.
    fn asks_a_person(&self) -> bool {
        true
    }

    fn buffers(&self) -> Option<&dyn crate::tool::Buffers> {
        match self.fs.caps.any() {
            true => Some(&self.fs),
            false => None,
        }
    }

    fn approve(&mut self, call: &Ask) -> Approval {
        let mut options = vec![option("allow_once", "Allow once")];
        if !call.always.is_empty() {
            let rules = call.always.join(", ");
            options.push(option("allow_always", &format!("Always allow ({rules})")));
        }
        options.push(option("reject_once", "Reject"));
        let shown = obj(self.describe(call.id, call.name, call.args, None));
        match self.ask(shown, options) {
            Ok(Some(c)) if c == "allow_once" => Approval::Once,
            Ok(Some(c)) if c == "allow_always" && !call.always.is_empty() => Approval::Always,
            Ok(Some(_)) => Approval::No(String::new()),
            Ok(None) => Approval::No("the permission request was cancelled".into()),
            Err(e) => Approval::No(e),
        }
    }

    /// A yes/no question (the doom-loop guard) as a permission request on
    /// a tool call of its own, which ends completed (yes) or failed (no).
    fn confirm(&mut self, question: &str, yes: &str, no: &str) -> Answer {
        self.asked += 1;
        let id = format!("mote-question-{}", self.asked);
        self.update(obj(vec![
            ("sessionUpdate", s("tool_call")),
            ("toolCallId", s(&id)),
            ("title", s(question)),
            ("kind", s("think")),
            ("status", s("pending")),
        ]));
        let options = vec![option("allow_once", yes), option("reject_once", no)];
        let shown = obj(vec![("toolCallId", s(&id)), ("title", s(question))]);
        let yes = matches!(self.ask(shown, options), Ok(Some(c)) if c == "allow_once");
        self.status(&id, if yes { "completed" } else { "failed" });
        match yes {
            true => Answer::Yes,
            false => Answer::No,
        }
    }
}

/// A permission option whose id is its kind.
fn option(kind: &str, name: &str) -> Value {
    obj(vec![
        ("optionId", s(kind)),
        ("name", s(name)),
        ("kind", s(kind)),
    ])
}

impl Front {
    fn status(&mut self, id: &str, status: &str) {
        self.update(obj(vec![
            ("sessionUpdate", s("tool_call_update")),
            ("toolCallId", s(id)),
            ("status", s(status)),
        ]));
    }

    /// `session/request_permission` about `call` (a ToolCallUpdate): the
    /// option chosen, `None` when the client cancelled the question, `Err`
    /// when it could not ask or the prompt was cancelled meanwhile (which
    /// then stops the turn).
    fn ask(&mut self, call: Value, options: Vec<Value>) -> Result<Option<String>, String> {
        let params = obj(vec![
            ("sessionId", s(&self.session)),
            ("toolCall", call),
            ("options", Value::Arr(options)),
        ]);
        match link::ask("session/request_permission", params) {
            Ok(Ok(v)) => Ok(v
                .get("outcome")
                .filter(|o| o.get("outcome").and_then(|x| x.as_str()) == Some("selected"))
                .and_then(|o| o.get("optionId"))
                .and_then(|x| x.as_str())
                .map(String::from)),
            Ok(Err(e)) => Err(format!("the editor could not ask: {e}")),
            Err(link::Cancelled) => {
                crate::interrupt::request();
                Err("the prompt was cancelled".into())
            }
        }
    }
}

/// A saved conversation told again as updates (session/load).
pub fn replay(f: &mut Front, arena: &crate::arena::Arena) {
    use crate::arena::Msg;
    for m in arena.messages() {
        match m {
            Msg::User(t) => f.update(obj(vec![
                ("sessionUpdate", s("user_message_chunk")),
                ("content", text_block(&t.unescape())),
            ])),
            Msg::Image(img) => f.update(obj(vec![
                ("sessionUpdate", s("user_message_chunk")),
                ("content", text_block(&format!("[image {}]", img.path))),
            ])),
            Msg::Assistant {
                text,
                calls,
                thinking,
            } => {
                for th in thinking.iter().filter(|th| !th.redacted) {
                    f.reasoning(&th.text.unescape());
                }
                f.text(&text.unescape());
                for c in calls {
                    f.tool_call(&c.id.unescape(), &c.name.unescape(), &c.args.unescape());
                }
            }
            Msg::Result {
                id,
                name,
                text,
                error,
            } => f.tool_result(&id.unescape(), &name.unescape(), &text.unescape(), error, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields a call shows, as the JSON sent to the editor.
    fn shown(name: &str, args: &str, old: Option<&str>) -> String {
        let f = Front::new("s1", Path::new("/w"), Caps::default());
        obj(f.describe("c1", name, args, old)).to_json()
    }

    #[test]
    fn calls_show_kind_title_location_and_diff() {
        assert_eq!(
            shown("read", r#"{"path":"a.rs","offset":10,"limit":5}"#, None),
            r#"{"toolCallId":"c1","title":"Read a.rs:10-14","kind":"read","rawInput":{"path":"a.rs","offset":10,"limit":5},"locations":[{"path":"/w/a.rs","line":10}]}"#
        );
        assert_eq!(
            shown("grep", r#"{"pattern":"x","path":"src"}"#, None),
            r#"{"toolCallId":"c1","title":"Search `x` in src","kind":"search","rawInput":{"pattern":"x","path":"src"},"locations":[{"path":"/w/src"}]}"#
        );
        assert_eq!(
            shown(
                "edit",
                r#"{"path":"a.rs","old_text":"x","new_text":"y"}"#,
                None
            ),
            r#"{"toolCallId":"c1","title":"Edit a.rs","kind":"edit","rawInput":{"path":"a.rs","old_text":"x","new_text":"y"},"locations":[{"path":"/w/a.rs"}],"content":[{"type":"diff","path":"/w/a.rs","oldText":"x","newText":"y"}]}"#
        );
        // A write shows the file's old content, or null for a new file.
        let write = r#"{"path":"n.txt","content":"hi"}"#;
        assert!(shown("write", write, Some("was")).ends_with(
            r#""content":[{"type":"diff","path":"/w/n.txt","oldText":"was","newText":"hi"}]}"#
        ));
        assert!(shown("write", write, None).ends_with(r#""oldText":null,"newText":"hi"}]}"#));
        // Without its text arguments an edit shows no diff.
        assert!(!shown("edit", r#"{"path":"a.rs","old_text":"x"}"#, None).contains("diff"));
        assert_eq!(
            shown("bash", r#"{"command":"ls"}"#, None),
            r#"{"toolCallId":"c1","title":"Run `ls`","kind":"execute","rawInput":{"command":"ls"}}"#
        );
        // Arguments that are not JSON are shown as a string.
        assert_eq!(
            shown("mcp__srv__tool", "not json", None),
            r#"{"toolCallId":"c1","title":"mcp__srv__tool","kind":"other","rawInput":"not json"}"#
        );
    }

    #[test]
    fn kinds_and_titles_of_tools_outside_the_table() {
        assert_eq!(kind("fetch"), "fetch");
        assert_eq!(kind("task"), "think");
        assert_eq!(kind("find"), "search");
        let a = |j: &str| Args::parse(j).unwrap();
        assert_eq!(title("task", &a(r#"{"description":"d"}"#)), "Subagent: d");
        assert_eq!(title("task", &a("{}")), "Subagent");
        assert_eq!(title("mcp__x", &a("{}")), "mcp__x");
    }
}

//! Permission rules from config.json (`permissions: {allow, ask, deny}`)
//! and the session allowlist that "always" answers grow. A rule is a tool
//! name with an optional pattern: `bash(npm run test:*)`, `edit(src/**)`,
//! `read(/etc/hosts)`, `fetch(domain:docs.rs)`, `mcp__server__tool`,
//! `mcp__server__*`. Deny wins over
//! ask, ask over allow; a bash call is allowed by rules only when every one
//! of its sub-commands is.

use crate::json::value::Value;
use crate::tool::glob::Glob;
use crate::tool::{find_tool, Effect, Target, Tool};

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Action {
    Allow,
    Ask,
    Deny,
}

enum Pat {
    Any,
    /// Command text: exact, `prefix:*`, or with `*` wildcards.
    Cmd(String),
    /// Path glob; absolute ones match absolute paths. Keeps its text.
    Path(Glob, bool, String),
    /// A URL's host (`domain:docs.rs`, `domain:*.rs`), lowercased.
    Domain(String),
}

pub struct Rule {
    pub action: Action,
    pub text: String,
    tool: String,
    pat: Pat,
    /// Added by an "always" answer, not written in a config file.
    session: bool,
}

/// What one call is judged on.
pub enum Subject<'a> {
    /// Tools without a pattern argument.
    Call,
    /// One sub-command of a bash command.
    Cmd(&'a str),
    /// A resolved path: relative to the workspace when inside it.
    Path { rel: Option<&'a str>, abs: &'a str },
    /// A URL's host, lowercased.
    Host(&'a str),
}

#[derive(Default)]
pub struct Rules {
    list: Vec<Rule>,
}

/// Tools a rule's tool name covers: `read` every tool of the table that
/// reads a path, `edit` and `write` every one that writes one.
fn covers(rule_tool: &str, tool: &str) -> bool {
    covers_in(rule_tool, tool, &find_tool)
}

/// `covers` with the table looked up by `find`.
fn covers_in(rule_tool: &str, tool: &str, find: &dyn Fn(&str) -> Option<&'static Tool>) -> bool {
    let on_path = |effect: Effect| {
        find(tool).is_some_and(|t| matches!(t.target, Target::Path(_)) && t.effect == effect)
    };
    match rule_tool {
        "edit" | "write" => on_path(Effect::Write),
        "read" => on_path(Effect::Read),
        _ => wild(rule_tool, tool),
    }
}

/// `*` matches any run of characters; `\\` makes the next one literal.
pub fn wild(pat: &str, s: &str) -> bool {
    // (char, is_star) tokens, escapes resolved.
    let mut p: Vec<(char, bool)> = Vec::new();
    let mut it = pat.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => p.push((it.next().unwrap_or('\\'), false)),
            '*' => p.push(('*', true)),
            c => p.push((c, false)),
        }
    }
    let t: Vec<char> = s.chars().collect();
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if p.get(i).is_some_and(|x| x.1) {
            star = Some(i);
            mark = j;
            i += 1;
        } else if p.get(i).is_some_and(|x| Some(&x.0) == t.get(j)) {
            i += 1;
            j += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p.get(i..).unwrap_or(&[]).iter().all(|x| x.1)
}

impl Rule {
    pub fn parse(action: Action, text: &str, home: Option<&str>) -> Result<Rule, String> {
        let bad = |why: &str| format!("permission rule `{text}`: {why}");
        let (tool, pat) = match text.split_once('(') {
            None => (text.trim(), None),
            Some((tool, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(|| bad("missing `)`"))?;
                (tool.trim(), Some(inner.trim()))
            }
        };
        if tool.is_empty()
            || !tool
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'*' || b == b'-')
        {
            return Err(bad(
                "expected a tool name like bash, edit, read or mcp__server__tool",
            ));
        }
        let tool = tool.to_ascii_lowercase();
        let pat = match pat {
            None | Some("") | Some("*") | Some("**") => Pat::Any,
            Some(p) if find_tool(&tool).is_some_and(|t| matches!(t.target, Target::Command(_))) => {
                Pat::Cmd(p.to_string())
            }
            Some(p) if find_tool(&tool).is_some_and(|t| matches!(t.target, Target::Url(_))) => {
                let d = p
                    .strip_prefix("domain:")
                    .ok_or_else(|| bad("a URL rule's pattern is `domain:HOST`"))?;
                let d = d.trim().trim_start_matches('[').trim_end_matches(']');
                Pat::Domain(d.to_ascii_lowercase())
            }
            Some(p) if matches!(tool.as_str(), "read" | "write" | "edit") => {
                let p = match (p.strip_prefix("~/"), home) {
                    (Some(rest), Some(h)) => format!("{}/{rest}", h.trim_end_matches('/')),
                    _ => p.to_string(),
                };
                let abs = p.starts_with('/');
                Pat::Path(Glob::new(&p).map_err(|e| bad(&e))?, abs, p.clone())
            }
            Some(_) => {
                return Err(bad(
                    "only bash, read, write, edit and fetch rules take a pattern",
                ))
            }
        };
        Ok(Rule {
            action,
            text: text.to_string(),
            tool,
            pat,
            session: false,
        })
    }

    fn matches(&self, tool: &str, s: &Subject) -> bool {
        if !covers(&self.tool, tool) {
            return false;
        }
        match (&self.pat, s) {
            (Pat::Any, _) => true,
            (Pat::Cmd(p), Subject::Cmd(c)) => match p.strip_suffix(":*") {
                Some(prefix) => {
                    *c == prefix || c.strip_prefix(prefix).is_some_and(|r| r.starts_with(' '))
                }
                None => wild(p, c),
            },
            (Pat::Path(g, true, _), Subject::Path { abs, .. }) => {
                g.matches(abs.trim_start_matches('/'), false)
            }
            (Pat::Path(g, false, _), Subject::Path { rel: Some(rel), .. }) => g.matches(rel, false),
            (Pat::Domain(d), Subject::Host(h)) => wild(d, h),
            _ => false,
        }
    }
}

impl Rules {
    /// Read the `permissions` object of the config.
    pub fn from_config(v: Option<&Value>, home: Option<&str>) -> Result<Rules, String> {
        let mut rules = Rules::default();
        let Some(v) = v.filter(|v| !matches!(v, Value::Null)) else {
            return Ok(rules);
        };
        let obj = v
            .as_object()
            .ok_or("config: `permissions` must be an object with allow, ask and deny lists")?;
        for (key, list) in obj {
            let action = match key.as_str() {
                "allow" => Action::Allow,
                "ask" => Action::Ask,
                "deny" => Action::Deny,
                _ => {
                    return Err(format!(
                        "config: `permissions.{key}` is not allow, ask or deny"
                    ))
                }
            };
            let items = list
                .as_array()
                .ok_or_else(|| format!("config: `permissions.{key}` must be a list of rules"))?;
            for item in items {
                let text = item
                    .as_str()
                    .ok_or_else(|| format!("config: `permissions.{key}` holds a non-string"))?;
                rules
                    .list
                    .push(Rule::parse(action, text, home).map_err(|e| format!("config: {e}"))?);
            }
        }
        Ok(rules)
    }

    /// Add a rule for the rest of the session (an "always" answer; the
    /// interactive front end calls this).
    #[allow(dead_code)]
    pub fn allow_session(&mut self, text: &str) -> Result<(), String> {
        let mut r = Rule::parse(Action::Allow, text, None)?;
        r.session = true;
        self.list.push(r);
        Ok(())
    }

    /// Directories outside the workspace that allow rules open: the
    /// literal part of each absolute path pattern (`/etc/hosts` -> `/etc`).
    pub fn external_dirs(&self) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for r in self.list.iter().filter(|r| r.action == Action::Allow) {
            if let Pat::Path(_, true, text) = &r.pat {
                let lit = text.split(['*', '?', '[', '{']).next().unwrap_or("");
                let dir = lit
                    .rsplit_once('/')
                    .map_or("/", |(d, _)| if d.is_empty() { "/" } else { d });
                out.push(std::path::PathBuf::from(dir));
            }
        }
        out
    }

    /// Does any rule of `action` name this tool at all?
    pub fn any_for(&self, action: Action, tool: &str) -> bool {
        self.list
            .iter()
            .any(|r| r.action == action && covers(&r.tool, tool))
    }

    /// The first rule of `action` matching the subject.
    pub fn find(&self, action: Action, tool: &str, s: &Subject) -> Option<&Rule> {
        self.list
            .iter()
            .find(|r| r.action == action && r.matches(tool, s))
    }

    /// Judge a call on all its subjects: a deny or ask rule matching any
    /// subject decides; allow needs an allow rule for every subject.
    pub fn judge(&self, tool: &str, subjects: &[Subject]) -> Option<(Action, &str)> {
        for action in [Action::Deny, Action::Ask] {
            if let Some(r) = subjects.iter().find_map(|s| self.find(action, tool, s)) {
                return Some((action, &r.text));
            }
        }
        let mut first = None;
        for s in subjects {
            let r = self.find(Action::Allow, tool, s)?;
            first.get_or_insert(r.text.as_str());
        }
        first.map(|t| (Action::Allow, t))
    }

    /// Does an allow rule from a config file name `host` exactly (no
    /// wildcard) for `tool`? Only such a rule lets a URL reach a loopback
    /// or private address: not a bare `fetch`, not `domain:*`, and not an
    /// "always" answer given for a host that looked public (its name may
    /// later resolve into the user's network).
    pub fn names_host(&self, tool: &str, host: &str) -> bool {
        self.list.iter().any(|r| {
            r.action == Action::Allow
                && !r.session
                && covers(&r.tool, tool)
                && matches!(&r.pat, Pat::Domain(d) if d == host && !d.contains('*'))
        })
    }

    /// Whether the rule written `text` has an absolute path pattern (`~/`
    /// expanded), the only kind that opens paths outside the workspace.
    pub fn absolute(&self, text: &str) -> bool {
        self.list
            .iter()
            .any(|r| r.text == text && matches!(r.pat, Pat::Path(_, true, _)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_read_tool_in_the_table_is_covered_by_read_rules() {
        fn peek(_: &crate::json::Args, _: &crate::tool::ToolCtx) -> Result<String, String> {
            Ok(String::new())
        }
        static PEEK: Tool = Tool {
            name: "peek",
            description: "",
            params: "{}",
            effect: Effect::Read,
            target: Target::Path("file"),
            title: |_| "Peek".into(),
            preview: crate::tool::Preview::Args,
            run: peek,
            attach: None,
        };
        let find = |n: &str| match n {
            "peek" => Some(&PEEK),
            _ => find_tool(n),
        };
        assert!(covers_in("read", "peek", &find));
        assert!(!covers_in("edit", "peek", &find));
        assert!(!covers_in("read", "peek", &find_tool));
        // Every row of the real table that reads a path is covered too.
        for t in crate::tool::TOOLS {
            let path = matches!(t.target, Target::Path(_));
            assert_eq!(
                covers("read", t.name),
                path && t.effect == Effect::Read,
                "{}",
                t.name
            );
            assert_eq!(
                covers("edit", t.name),
                path && t.effect == Effect::Write,
                "{}",
                t.name
            );
        }
    }
    use crate::json::value::parse;

    fn rules(json: &str) -> Rules {
        Rules::from_config(Some(&parse(json).unwrap()), Some("/home/u")).unwrap()
    }

    #[test]
    fn deny_beats_ask_beats_allow() {
        let r = rules(
            r#"{"allow":["bash(npm run test:*)","bash(git status)","edit(src/**)","read(/etc/hosts)","mcp__srv__*"],
                "ask":["bash(npm run test:e2e*)"],"deny":["write(**/*.lock)","bash(rm:*)","mcp__srv__drop"]}"#,
        );
        let cmd = |c: &str| r.judge("bash", &[Subject::Cmd(c)]).map(|(a, _)| a);
        assert_eq!(cmd("npm run test"), Some(Action::Allow));
        assert_eq!(cmd("npm run test --watch"), Some(Action::Allow));
        assert_eq!(cmd("npm run testx"), None);
        assert_eq!(cmd("npm run test:e2e"), Some(Action::Ask));
        assert_eq!(cmd("git status"), Some(Action::Allow));
        assert_eq!(cmd("git status --short"), None);
        assert_eq!(cmd("rm -rf x"), Some(Action::Deny));
        // Every sub-command must be allowed; one denied denies the call.
        assert_eq!(
            r.judge("bash", &[Subject::Cmd("git status"), Subject::Cmd("ls")]),
            None
        );
        assert_eq!(
            r.judge("bash", &[Subject::Cmd("git status"), Subject::Cmd("rm x")])
                .unwrap()
                .0,
            Action::Deny
        );
        let path = |tool: &str, rel: Option<&str>, abs: &str| {
            r.judge(tool, &[Subject::Path { rel, abs }]).map(|(a, _)| a)
        };
        assert_eq!(
            path("edit", Some("src/a.rs"), "/w/src/a.rs"),
            Some(Action::Allow)
        );
        assert_eq!(
            path("write", Some("src/Cargo.lock"), "/w/src/Cargo.lock"),
            Some(Action::Deny)
        );
        assert_eq!(
            path("edit", Some("Cargo.lock"), "/w/Cargo.lock"),
            Some(Action::Deny)
        );
        assert_eq!(path("read", None, "/etc/hosts"), Some(Action::Allow));
        assert_eq!(path("grep", None, "/etc/hosts"), Some(Action::Allow));
        assert_eq!(path("read", None, "/etc/passwd"), None);
        assert_eq!(
            r.judge("mcp__srv__list", &[Subject::Call]).unwrap().0,
            Action::Allow
        );
        assert_eq!(
            r.judge("mcp__srv__drop", &[Subject::Call]).unwrap().0,
            Action::Deny
        );
        assert_eq!(r.judge("mcp__other__x", &[Subject::Call]), None);
        assert_eq!(r.external_dirs(), [std::path::PathBuf::from("/etc")]);
    }

    /// `any_for` decides whether an uncheckable command asks in auto mode
    /// (only when a deny or ask rule names bash).
    #[test]
    fn any_for_names_the_action_and_the_tool() {
        let r = rules(r#"{"allow":["bash(git status)"],"deny":["read(/etc/**)"]}"#);
        assert!(r.any_for(Action::Allow, "bash"));
        assert!(!r.any_for(Action::Deny, "bash"));
        assert!(!r.any_for(Action::Ask, "bash"));
        assert!(r.any_for(Action::Deny, "grep"));
        assert!(!r.any_for(Action::Deny, "write"));
        assert!(!rules("{}").any_for(Action::Allow, "bash"));
    }

    /// Only an allow rule from config naming the host exactly lets fetch
    /// reach a loopback or private address (src/tool/fetch.rs).
    #[test]
    fn only_a_config_allow_rule_naming_the_host_opens_it() {
        let mut r = rules(
            r#"{"allow":["fetch(domain:intranet.local)","fetch(domain:*.corp)","fetch(domain:other.local)"],
                "deny":["fetch(domain:evil.local)"],"ask":["fetch(domain:ask.local)"]}"#,
        );
        assert!(r.names_host("fetch", "intranet.local"));
        for host in ["a.corp", "*.corp", "evil.local", "ask.local", "x.local"] {
            assert!(!r.names_host("fetch", host), "{host}");
        }
        assert!(!r.names_host("read", "intranet.local"));
        r.allow_session("fetch(domain:session.local)").unwrap();
        assert!(!r.names_host("fetch", "session.local"));
        assert!(!rules(r#"{"allow":["fetch"]}"#).names_host("fetch", "x.local"));
    }

    #[test]
    fn a_path_rule_under_home_is_expanded() {
        let r = rules(r#"{"deny":["read(~/.ssh/**)"],"allow":["read(~/notes/*)"]}"#);
        let read = |abs: &str| {
            r.judge("read", &[Subject::Path { rel: None, abs }])
                .map(|(a, _)| a)
        };
        assert_eq!(read("/home/u/.ssh/id_ed25519"), Some(Action::Deny));
        assert_eq!(read("/home/u/notes/a.md"), Some(Action::Allow));
        assert_eq!(read("/home/v/.ssh/id_ed25519"), None);
        assert_eq!(
            r.external_dirs(),
            [std::path::PathBuf::from("/home/u/notes")]
        );
    }

    #[test]
    fn session_rules_and_bad_rules() {
        let mut r = Rules::default();
        assert_eq!(r.judge("bash", &[Subject::Cmd("make test")]), None);
        r.allow_session("bash(make test)").unwrap();
        assert_eq!(
            r.judge("bash", &[Subject::Cmd("make test")]).unwrap(),
            (Action::Allow, "bash(make test)")
        );
        for bad in [
            r#"{"allow":"bash"}"#,
            r#"{"allow":["bash(x"]}"#,
            r#"{"maybe":[]}"#,
            r#"{"allow":["grep(x)"]}"#,
            r#"{"deny":[1]}"#,
            // A tool name must be one: not empty, no other characters (a
            // deny rule that silently matched nothing would deny nothing).
            r#"{"deny":["(rm:*)"]}"#,
            r#"{"deny":[" (rm:*)"]}"#,
            r#"{"deny":["b@sh(rm:*)"]}"#,
            r#"{"deny":["ba sh(rm:*)"]}"#,
            r#"{"deny":["bash.(rm:*)"]}"#,
        ] {
            assert!(
                Rules::from_config(Some(&parse(bad).unwrap()), None).is_err(),
                "{bad}"
            );
        }
        assert!(
            wild("a*b*c", "axxbyyc")
                && wild("a*b", "ab c b")
                && !wild("a*b", "ab c")
                && wild("*", "")
        );
        assert!(wild(r"rm \*.o", "rm *.o") && !wild(r"rm \*.o", "rm -rf / x.o"));
    }
}

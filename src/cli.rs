//! Command-line flags, defined once. `FLAGS` is the single table that the
//! parser applies (defaults included) and that `--help` is printed from, so
//! the two cannot disagree; a test checks every row parses.

use std::ffi::OsString;

pub struct Flag {
    pub long: &'static str,
    pub short: Option<char>,
    /// Name of the value, or "" for a switch.
    pub value: &'static str,
    /// Applied before the user's flags; "" for none.
    pub default: &'static str,
    /// Read when the flag is absent, before the config file and the default.
    pub env: &'static str,
    /// Read from the config file's top-level key of the same name when
    /// neither the flag nor the environment gives it.
    pub config: bool,
    pub help: &'static str,
    /// Left out of `--help`: flags a parent passes to its subagents.
    pub hidden: bool,
}

const fn flag(
    long: &'static str,
    short: Option<char>,
    value: &'static str,
    help: &'static str,
) -> Flag {
    Flag {
        long,
        short,
        value,
        default: "",
        env: "",
        config: false,
        help,
        hidden: false,
    }
}

pub static FLAGS: &[Flag] = &[
    flag("print", Some('p'), "PROMPT", "Run one task headless and print the answer; `-p -` reads it from stdin, `-p @FILE` from FILE; input piped beside -p PROMPT is appended"),
    Flag { default: "text", ..flag("output-format", None, "FORMAT", "text, json or stream-json") },
    flag("output-schema", None, "FILE", "With -p: the final answer is JSON matching the JSON Schema in FILE (asked again once, else exit 10)"),
    // Providers: which API, which model, how to reach it (src/provider/select.rs).
    Flag {
        env: "MOTE_PROVIDER",
        config: true,
        ..flag("provider", None, "NAME", "{providers}, or a config.json one")
    },
    Flag { env: "MOTE_MODEL", config: true, ..flag("model", Some('m'), "ID", "Model id, or PROVIDER/ID") },
    flag("base-url", None, "URL", "API base URL (default: the provider's)"),
    Flag {
        env: "MOTE_THINKING",
        config: true,
        default: "off",
        ..flag("thinking", None, "LEVEL", "Reasoning effort: off, low, medium or high")
    },
    Flag { default: "standard", config: true, ..flag("permission", None, "MODE", "read-only, cautious, standard or auto") },
    // Permissions issue: the Landlock sandbox for bash.
    Flag {
        default: "off",
        config: true,
        ..flag("sandbox", None, "MODE", "Confine bash: off, read-only or workspace-write (Landlock)")
    },
    Flag { default: "50", ..flag("max-turns", None, "N", "Stop after N model turns") },
    Flag { default: "8192", ..flag("max-tokens", None, "N", "Output token limit per response") },
    Flag {
        default: "auto",
        ..flag(
            "max-tokens-field",
            None,
            "NAME",
            "auto, max_tokens or max_completion_tokens (auto: the latter for api.openai.com and o1/o3/o4/gpt-5 models)",
        )
    },
    Flag { default: "300", ..flag("timeout", None, "SECS", "Idle timeout: a response with no progress (text, reasoning, tool calls) for SECS fails") },
    Flag { default: "1800", ..flag("deadline", None, "SECS", "Longest one model response may take, start to end") },
    Flag { default: "4", ..flag("retries", None, "N", "Retries of 429, 5xx and lost connections before any output") },
    // Sessions (src/session/): saved as JSONL, resumed, compacted.
    flag("continue", Some('c'), "", "Continue the latest session in this workspace (no -p: finish an interrupted task)"),
    flag("resume", None, "ID", "Resume the session ID (or the one whose id starts with ID)"),
    flag("sessions", None, "", "List saved sessions (id, time, turns, cwd, first prompt) and exit"),
    flag("no-session", None, "", "Do not save this session"),
    flag("session-dir", None, "DIR", "Where sessions are saved (default $XDG_DATA_HOME/mote/sessions)"),
    flag("compact", None, "", "Compact the resumed session's context now (without -p: only that)"),
    // Undo (src/undo/): checkpoints of the files before each prompt's changes.
    flag("undo", None, "", "With -c or --resume: undo the last prompt (its files and its turn in the conversation), print what changed, exit"),
    flag("rewind", None, "N", "With -c or --resume: go back to just before the session's N-th prompt (files and conversation), print what changed, exit"),
    // Worktrees (src/worktree.rs): parallel sessions on one repository.
    flag("worktree", None, "NAME", "Work in the git worktree of branch mote/NAME beside the repository (made from the current branch if missing; config `worktree_dir`)"),
    flag("context-window", None, "N", "Context window in tokens (default: config models.ID.context_window, else 128000)"),
    // MCP servers (src/mcp): more servers from a file, or none at all.
    flag("mcp-config", None, "FILE", "Also load MCP servers from FILE ({\"mcpServers\": ...})"),
    flag("no-mcp", None, "", "Start no MCP servers"),
    flag("trust", None, "", "Trust this folder for this run: its hooks, MCP servers and allow rules"),
    flag("verbose", Some('v'), "", "Show the session (text, tool calls) on stderr"),
    // Prompt modes, context files, templates and loop tasks (src/modes.rs, src/context.rs, src/looptask.rs).
    flag("no-context-files", None, "", "Do not send AGENTS.md/CLAUDE.md files with the prompt"),
    flag("system-prompt-file", None, "FILE", "Use FILE's text instead of mote's base system prompt (modes and context files still apply)"),
    flag("append-system-prompt", None, "TEXT", "Add TEXT at the end of the system prompt"),
    Flag {
        default: "code",
        ..flag("prompt-mode", None, "NAME", "code, plan, review, debug, ask, or a mode from a prompts dir (-p \"/NAME task\" too)")
    },
    flag("loop", None, "FILE", "Loop task: do the `- [ ]` items of FILE one per iteration, each in a fresh context"),
    flag("check", None, "CMD", "Loop: shell command that must pass before mote ticks an item"),
    Flag { default: "600", ..flag("check-timeout", None, "SECS", "Loop: seconds before the check is killed") },
    Flag { default: "20", ..flag("max-iterations", None, "N", "Loop: stop after N iterations") },
    flag("loop-max-tokens", None, "N", "Loop: stop once N tokens (input+output, all iterations) are used; --max-tokens is per response"),
    // Subagents (src/subagent/): what a parent passes to its children.
    Flag { hidden: true, ..flag("subagent", None, "AGENT", "Run as a subagent of another mote, as AGENT") },
    Flag { hidden: true, ..flag("subagent-depth", None, "N", "How deep this subagent is (1: a child of the top run)") },
    Flag { hidden: true, ..flag("parent-session", None, "ID", "The parent's session, linked from this one's") },
    flag("version", Some('V'), "", "Print the version"),
    flag("help", Some('h'), "", "Print this help"),
];

#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Format {
    Text,
    Json,
    StreamJson,
}

pub use crate::permission::Permission;

#[derive(Debug)]
pub struct Options {
    pub prompt: Option<String>,
    pub format: Format,
    pub provider: String,
    pub model: String,
    pub base_url: String,
    pub permission: Permission,
    pub sandbox: crate::sandbox::Mode,
    pub max_turns: u32,
    pub max_tokens: u32,
    pub tokens_field: crate::provider::TokensField,
    pub thinking: crate::provider::Thinking,
    pub timeout: u64,
    pub deadline: u64,
    pub retries: u32,
    pub verbose: bool,
    pub mcp_config: Option<String>,
    pub no_mcp: bool,
    pub trust: bool,
    pub no_context_files: bool,
    pub system_prompt_file: Option<String>,
    pub append_system_prompt: Option<String>,
    /// `--output-schema`: the schema file the answer must match (src/schema.rs).
    pub output_schema: Option<String>,
    pub prompt_mode: String,
    /// `--permission` was on the command line: it wins over a prompt mode's.
    pub permission_explicit: bool,
    pub loop_file: Option<String>,
    pub check: Option<String>,
    pub check_timeout: u64,
    pub max_iterations: u32,
    pub loop_max_tokens: Option<u64>,
    // Sessions.
    pub continue_latest: bool,
    pub resume: Option<String>,
    pub list_sessions: bool,
    pub no_session: bool,
    pub session_dir: Option<String>,
    pub compact: bool,
    /// `--undo`, `--rewind N`: go back to before the last or N-th prompt.
    pub undo: bool,
    pub rewind: Option<usize>,
    pub context_window: Option<u64>,
    /// `--worktree NAME`: the session runs in that worktree (src/worktree.rs).
    pub worktree: Option<String>,
    /// Subagents: this run is a child running this agent, at this depth.
    pub subagent: Option<String>,
    pub depth: u32,
    pub parent_session: Option<String>,
}

/// One value per run, so the size gap between its variants costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    Run(Options),
    Help,
    Version,
}

impl Options {
    fn empty() -> Options {
        Options {
            prompt: None,
            format: Format::Text,
            provider: String::new(),
            model: String::new(),
            base_url: String::new(),
            permission: Permission::Standard,
            sandbox: crate::sandbox::Mode::Off,
            max_turns: 0,
            max_tokens: 0,
            tokens_field: crate::provider::TokensField::Auto,
            thinking: crate::provider::Thinking::Off,
            timeout: 0,
            deadline: 0,
            retries: 0,
            verbose: false,
            mcp_config: None,
            no_mcp: false,
            trust: false,
            no_context_files: false,
            system_prompt_file: None,
            append_system_prompt: None,
            output_schema: None,
            prompt_mode: String::new(),
            permission_explicit: false,
            loop_file: None,
            check: None,
            check_timeout: 0,
            max_iterations: 0,
            loop_max_tokens: None,
            continue_latest: false,
            resume: None,
            list_sessions: false,
            no_session: false,
            session_dir: None,
            compact: false,
            undo: false,
            rewind: None,
            context_window: None,
            worktree: None,
            subagent: None,
            depth: 0,
            parent_session: None,
        }
    }

    /// Set one flag from its text value. The one place values are checked.
    fn set(&mut self, long: &str, v: &str) -> Result<(), String> {
        use crate::provider::TokensField;
        let bad = |what: &str| format!("--{long}: expected {what}, got `{v}`");
        let num = |what: &str| v.parse::<u32>().map_err(|_| bad(what));
        match long {
            "print" => self.prompt = Some(v.to_string()),
            "output-format" => {
                self.format = match v {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "stream-json" => Format::StreamJson,
                    _ => return Err(bad("text, json or stream-json")),
                }
            }
            "provider" => match v {
                "" => return Err(bad("a provider name")),
                _ => self.provider = v.to_string(),
            },
            "thinking" => {
                self.thinking = crate::provider::Thinking::parse(v)
                    .ok_or_else(|| bad("off, low, medium or high"))?
            }
            "model" => self.model = v.to_string(),
            "base-url" => {
                crate::http::Url::parse(v).map_err(|e| format!("--{long}: {e}"))?;
                self.base_url = v.to_string();
            }
            "permission" => self.permission = v.parse().map_err(|e| format!("--{long}: {e}"))?,
            "sandbox" => {
                self.sandbox = crate::sandbox::Mode::parse(v)
                    .ok_or_else(|| bad("off, read-only or workspace-write"))?
            }
            "max-turns" => self.max_turns = num("a number of turns")?.max(1),
            "max-tokens" => self.max_tokens = num("a number of tokens")?.max(1),
            "max-tokens-field" => {
                self.tokens_field = match v {
                    "auto" => TokensField::Auto,
                    "max_tokens" => TokensField::MaxTokens,
                    "max_completion_tokens" => TokensField::MaxCompletionTokens,
                    _ => return Err(bad("auto, max_tokens or max_completion_tokens")),
                }
            }
            "timeout" => self.timeout = num("seconds")?.max(1) as u64,
            "deadline" => self.deadline = num("seconds")?.max(1) as u64,
            "retries" => self.retries = num("a number")?,
            "verbose" => self.verbose = true,
            "mcp-config" => self.mcp_config = Some(v.to_string()),
            "no-mcp" => self.no_mcp = true,
            "trust" => self.trust = true,
            "no-context-files" => self.no_context_files = true,
            "system-prompt-file" => self.system_prompt_file = Some(v.to_string()),
            "append-system-prompt" => self.append_system_prompt = Some(v.to_string()),
            "output-schema" => self.output_schema = Some(v.to_string()),
            "prompt-mode" => self.prompt_mode = v.to_string(),
            _ => return self.set_loop_or_session(long, v),
        }
        Ok(())
    }

    /// Store the value of a loop, session, worktree or subagent flag (the rest of `set`).
    fn set_loop_or_session(&mut self, long: &str, v: &str) -> Result<(), String> {
        let bad = |what: &str| format!("--{long}: expected {what}, got `{v}`");
        let num = |what: &str| v.parse::<u32>().map_err(|_| bad(what));
        match long {
            "loop" => self.loop_file = Some(v.to_string()),
            "check" => self.check = Some(v.to_string()).filter(|c| !c.trim().is_empty()),
            "check-timeout" => self.check_timeout = num("seconds")?.max(1) as u64,
            "max-iterations" => self.max_iterations = num("a number of iterations")?.max(1),
            "loop-max-tokens" => {
                self.loop_max_tokens =
                    Some(v.parse::<u64>().map_err(|_| bad("a number of tokens"))?)
            }
            "continue" => self.continue_latest = true,
            "resume" if v.is_empty() => return Err(bad("a session id")),
            "resume" => self.resume = Some(v.to_string()),
            "sessions" => self.list_sessions = true,
            "no-session" => self.no_session = true,
            "session-dir" => self.session_dir = Some(v.to_string()),
            "compact" => self.compact = true,
            "undo" => self.undo = true,
            "rewind" => self.rewind = Some(num("a prompt number")? as usize),
            "context-window" => {
                self.context_window = Some(u64::from(num("a number of tokens")?.max(1024)))
            }
            "worktree" => {
                crate::worktree::check_name(v).map_err(|e| format!("--{long}: {e}"))?;
                self.worktree = Some(v.to_string())
            }
            "subagent" => self.subagent = Some(v.to_string()),
            "subagent-depth" => self.depth = num("a depth")?,
            "parent-session" => self.parent_session = Some(v.to_string()),
            _ => return Err(format!("--{long} is in the flag table but not handled")),
        }
        Ok(())
    }
}

/// Where a flag's value comes from when it is not given: environment
/// variables, then the config file (read only when needed, so `--help` and
/// `--version` never touch it). Tests give their own.
pub struct Sources<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub config: &'a dyn Fn(&str) -> Result<Option<String>, String>,
}

/// Parse the arguments (without the program name).
pub fn parse(args: Vec<OsString>, src: &Sources) -> Result<Command, String> {
    use lexopt::prelude::*;
    let mut o = Options::empty();
    let mut given: Vec<&str> = Vec::new();
    let mut p = lexopt::Parser::from_args(args);
    while let Some(arg) = p.next().map_err(|e| e.to_string())? {
        let f = match &arg {
            Long(name) => FLAGS.iter().find(|f| f.long == *name),
            Short(c) => FLAGS.iter().find(|f| f.short == Some(*c)),
            Value(v) => {
                return Err(format!(
                    "unexpected argument `{}` (did you mean -p?)",
                    v.to_string_lossy()
                ))
            }
        };
        let Some(f) = f else {
            return Err(arg.unexpected().to_string());
        };
        match f.long {
            "help" => return Ok(Command::Help),
            "version" => return Ok(Command::Version),
            _ => {}
        }
        let value = if f.value.is_empty() {
            String::new()
        } else {
            p.value()
                .map_err(|e| e.to_string())?
                .into_string()
                .map_err(|_| format!("--{}: not UTF-8", f.long))?
        };
        o.set(f.long, &value)?;
        given.push(f.long);
    }
    o.permission_explicit = given.contains(&"permission");
    for f in FLAGS {
        if given.contains(&f.long) {
            continue;
        }
        let from_env = if f.env.is_empty() {
            None
        } else {
            (src.env)(f.env).filter(|v| !v.is_empty())
        };
        let from_config = if f.config && from_env.is_none() {
            (src.config)(f.long)?
        } else {
            None
        };
        if let Some(v) = from_env {
            o.set(f.long, &v)
                .map_err(|e| format!("{e} (from ${})", f.env))?;
        } else if let Some(v) = from_config {
            o.set(f.long, &v)
                .map_err(|e| format!("{e} (from the config file)"))?;
        } else if !f.default.is_empty() {
            o.set(f.long, f.default)?;
        }
    }
    Ok(Command::Run(o))
}

/// Exit codes, documented in `--help`.
pub const EXIT_CODES: &[(i32, &str)] = &[
    (0, "the task finished"),
    (1, "mote failed inside (a bug or a local I/O error)"),
    (2, "bad flags or configuration"),
    (3, "network: the API could not be reached"),
    (4, "the API answered with an error or a broken stream"),
    (5, "--max-turns reached before the model finished"),
    (
        6,
        "--loop: --max-iterations or --loop-max-tokens spent before every item was checked",
    ),
    (
        7,
        "--loop: the model reported it was stuck (a `STUCK: reason` line)",
    ),
    (
        8,
        "the same tool call kept repeating (doom loop) and the run was stopped",
    ),
    (9, "a UserPromptSubmit hook dropped the prompt (exit 2)"),
    (
        10,
        "--output-schema: the answer still did not match the schema after one retry",
    ),
    (
        crate::worktree::REFUSED as i32,
        "mote worktree rm: the worktree has uncommitted or unmerged work (--force removes it)",
    ),
];

pub fn help() -> String {
    let mut s = format!(
        "mote {} - a coding agent in one small binary\n\nUsage: mote [options]                       the interactive mode (in a terminal)\n       mote -p PROMPT [options]             one task headless\n       mote --loop PLAN.md [--check CMD] [options]\n       mote acp [options]                   an Agent Client Protocol agent for editors, on stdin/stdout\n       mote mcp list|call|conformance ...   try MCP servers without a model (mote mcp --help)\n       mote worktree list | rm NAME [--force]   the repository's mote worktrees (see --worktree)\n\nOptions:\n",
        env!("CARGO_PKG_VERSION")
    );
    for f in FLAGS.iter().filter(|f| !f.hidden) {
        let short = f.short.map_or("    ".to_string(), |c| format!("-{c}, "));
        let left = format!("{short}--{} {}", f.long, f.value);
        // The provider names come from their table (src/provider/select.rs).
        let mut right = f
            .help
            .replace("{providers}", &crate::provider::select::names());
        if !f.env.is_empty() {
            right.push_str(&format!(" [env {}]", f.env));
        }
        if f.config {
            right.push_str(&format!(" [config `{}`]", f.long));
        }
        if !f.default.is_empty() {
            right.push_str(&format!(" [default: {}]", f.default));
        }
        s.push_str(&format!("  {left:<30} {right}\n"));
    }
    s.push_str(&crate::provider::select::env_help());
    s.push_str("\nExit codes:\n");
    for (code, what) in EXIT_CODES {
        s.push_str(&format!("  {code:<3} {what}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Options, String> {
        run_with(args, env, &[])
    }

    fn run_with(
        args: &[&str],
        env: &[(&str, &str)],
        conf: &[(&str, &str)],
    ) -> Result<Options, String> {
        let find = |list: &[(&str, &str)], k: &str| {
            list.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let args = args.iter().map(OsString::from).collect();
        let src = Sources {
            env: &|k| find(env, k),
            config: &|k| Ok(find(conf, k)),
        };
        match parse(args, &src)? {
            Command::Run(o) => Ok(o),
            _ => Err("not a run".into()),
        }
    }

    #[test]
    fn every_flag_in_the_table_parses_and_is_in_help() {
        let help = help();
        for f in FLAGS {
            assert_eq!(
                help.contains(&format!("--{} ", f.long)),
                !f.hidden,
                "{}: in help unless hidden",
                f.long
            );
            if !f.default.is_empty() {
                // The default must be a value the parser accepts.
                run(&[&format!("--{}", f.long), f.default], &[]).unwrap();
            }
        }
        // Every value-taking flag without a default accepts a plausible value.
        run(&["-p", "x", "--model", "m", "-v"], &[]).unwrap();
    }

    #[test]
    fn defaults_env_and_flags_in_order() {
        let o = run(&["-p", "task"], &[]).unwrap();
        assert_eq!(
            (o.max_turns, o.max_tokens, o.timeout, o.retries),
            (50, 8192, 300, 4)
        );
        assert_eq!((o.base_url.as_str(), o.provider.as_str()), ("", ""));
        assert_eq!(o.permission, Permission::Standard);
        let o = run(
            &["-p", "t"],
            &[("MOTE_MODEL", "env-m"), ("MOTE_PROVIDER", "ollama")],
        )
        .unwrap();
        assert_eq!((o.model.as_str(), o.provider.as_str()), ("env-m", "ollama"));
        let o = run(&["-m", "flag-m", "-p", "t"], &[("MOTE_MODEL", "env-m")]).unwrap();
        assert_eq!(o.model, "flag-m");
        let o = run_with(
            &["-p", "t"],
            &[],
            &[("model", "conf-m"), ("permission", "auto")],
        )
        .unwrap();
        assert_eq!(
            (o.model.as_str(), o.permission),
            ("conf-m", Permission::Auto)
        );
        let o = run_with(
            &["-p", "t"],
            &[("MOTE_MODEL", "env-m")],
            &[("model", "conf-m")],
        )
        .unwrap();
        assert_eq!(o.model, "env-m");
        let e = run_with(&["-p", "t"], &[], &[("permission", "yolo")]).unwrap_err();
        assert!(e.ends_with("(from the config file)"), "{e}");
        let o = run(
            &[
                "--output-format=stream-json",
                "--permission",
                "auto",
                "--max-turns",
                "3",
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            (o.format, o.permission, o.max_turns),
            (Format::StreamJson, Permission::Auto, 3)
        );
    }

    #[test]
    fn bad_input_is_one_clear_line() {
        for (args, want) in [
            (
                &["--max-turns", "x"][..],
                "--max-turns: expected a number of turns, got `x`",
            ),
            (
                &["--output-format", "xml"],
                "--output-format: expected text, json or stream-json",
            ),
            (&["--bogus"], "invalid option '--bogus'"),
            (&["stray"], "unexpected argument `stray`"),
            (&["-p"], "missing argument for option '-p'"),
            (&["--base-url", "ftp://x"], "--base-url: bad URL"),
        ] {
            let e = run(args, &[]).unwrap_err();
            assert!(e.starts_with(want), "{args:?}: {e}");
            assert!(!e.contains('\n'));
        }
        let e = run(&[], &[("MOTE_THINKING", "max")]).unwrap_err();
        assert!(e.contains("(from $MOTE_THINKING)"), "{e}");
    }
}

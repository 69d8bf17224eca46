//! The `task` tool: its table row, the command line of each child (the
//! same binary, headless, stream-json, marked as a child), and the tool
//! result each child's outcome becomes: the final answer (cut at 16 KB)
//! and a one-line footer, or a tool error saying what failed and why.
//! The agent loop hands it all the task calls of one response at once.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use super::defs::{claude_alias, Def};
use super::run::{self, Limits, Outcome, Progress, Spec};
use super::Settings;
use crate::cli::Permission;
use crate::json::Args;
use crate::provider::{Config, Usage, Wire};

pub const NAME: &str = "task";
const PARAMS: &str = r#"{"type":"object","properties":{"description":{"type":"string","description":"3-5 word label"},"prompt":{"type":"string","description":"The whole task; the subagent sees nothing of this conversation"},"agent":{"type":"string","description":"Agent name (default general)"}},"required":["description","prompt"]}"#;
/// The largest prompt passed on a child's command line.
const MAX_PROMPT: usize = 100 * 1024;

/// The tool's description for the model: what it does, and the agents.
pub fn description(defs: &[Def]) -> String {
    let mut s = String::from(
        "Start a subagent with a fresh context on `prompt`; returns its final answer. Task calls in one response run in parallel. Agents:",
    );
    for d in defs {
        s.push_str(&format!("\n- {}: {}", d.name, d.description));
    }
    s
}

pub fn params() -> &'static str {
    PARAMS
}

/// What the parent passes on to its children.
pub struct Parent<'a> {
    pub program: PathBuf,
    pub cwd: PathBuf,
    pub cfg: &'a Config,
    pub permission: Permission,
    pub sandbox: crate::sandbox::Mode,
    pub max_turns: u32,
    pub retries: u32,
    pub settings: Settings,
    /// This process's depth: 0 for the top-level run.
    pub depth: u32,
    pub defs: &'a [Def],
    /// Where children save their sessions (none: they save none).
    pub session_dir: Option<PathBuf>,
    pub session_id: Option<String>,
    pub trusted: bool,
}

/// One task call of the batch.
pub struct Call<'a> {
    pub id: &'a str,
    pub args: &'a str,
}

/// What the front end is told about a child: the live line and the
/// stream-json `subagent_*` events.
pub enum Shown<'a> {
    Start {
        id: &'a str,
        agent: &'a str,
        description: &'a str,
    },
    /// The live line: the latest turn, tool and token count.
    Progress {
        id: &'a str,
        agent: &'a str,
        description: &'a str,
        turn: u32,
        tool: &'a str,
        tokens: u64,
        elapsed: Duration,
    },
    /// One of the child's own stream-json events, whole.
    Event { id: &'a str, line: &'a [u8] },
    End {
        id: &'a str,
        /// The collapsed one-line result.
        line: &'a str,
        is_error: bool,
        outcome: &'a Outcome,
    },
}

/// A finished call: the tool result, and what the child spent.
pub struct Done {
    pub result: Result<String, String>,
    pub usage: Usage,
    pub session: Option<String>,
    pub ms: u128,
}

/// A checked call: its agent and arguments, or the error for the model.
struct Planned<'a> {
    def: &'a Def,
    description: String,
    prompt: String,
}

/// Run all the task calls of one response, in parallel.
pub fn run_batch(
    p: &Parent,
    calls: &[Call],
    lines: bool,
    show: &mut dyn FnMut(Shown),
) -> Vec<Done> {
    let planned: Vec<Result<Planned, String>> = calls.iter().map(|c| plan(p, c.args)).collect();
    let specs: Vec<Spec> = planned
        .iter()
        .filter_map(|pl| pl.as_ref().ok())
        .map(|pl| spec(p, pl))
        .collect();
    // Index of each call's spec.
    let mut which = Vec::new();
    let mut n = 0;
    for pl in &planned {
        which.push(pl.as_ref().ok().map(|_| {
            n += 1;
            n - 1
        }));
    }
    let ok: Vec<(&Call, &Planned)> = calls
        .iter()
        .zip(&planned)
        .filter_map(|(c, pl)| pl.as_ref().ok().map(|pl| (c, pl)))
        .collect();
    let mut live: Vec<(u32, String, u64)> = ok.iter().map(|_| (0, String::new(), 0)).collect();
    let started = std::time::Instant::now();
    let limits = Limits {
        max_parallel: p.settings.max_parallel,
        timeout: Duration::from_secs(p.settings.timeout),
        lines,
    };
    let outcomes = run::run_all(&specs, limits, &mut |i, prog| {
        let (Some((c, pl)), Some(l)) = (ok.get(i), live.get_mut(i)) else {
            return;
        };
        match prog {
            Progress::Started => {
                return show(Shown::Start {
                    id: c.id,
                    agent: &pl.def.name,
                    description: &pl.description,
                })
            }
            Progress::Line(line) => return show(Shown::Event { id: c.id, line }),
            Progress::Turn(t) => l.0 = t,
            Progress::Tool(t) => l.1 = t.to_string(),
            Progress::Tokens(t) => l.2 = t,
        }
        show(Shown::Progress {
            id: c.id,
            agent: &pl.def.name,
            description: &pl.description,
            turn: l.0,
            tool: &l.1,
            tokens: l.2,
            elapsed: started.elapsed(),
        });
    });
    calls
        .iter()
        .zip(planned.iter().zip(which))
        .map(|(c, (pl, w))| {
            let (pl, o) = match (pl, w.and_then(|w| outcomes.get(w))) {
                (Ok(pl), Some(o)) => (pl, o),
                (Err(e), _) => return error_done(e.clone()),
                (Ok(_), None) => return error_done("the subagent did not run".into()),
            };
            finish(p, c, pl, o, show)
        })
        .collect()
}

/// Turn one child's outcome into its tool result, showing its closing line.
fn finish(p: &Parent, c: &Call, pl: &Planned, o: &Outcome, show: &mut dyn FnMut(Shown)) -> Done {
    let result = result(&pl.def.name, o, p.settings.timeout);
    let line = one_line(&pl.def.name, &pl.description, o, &result);
    show(Shown::End {
        id: c.id,
        line: &line,
        is_error: result.is_err(),
        outcome: o,
    });
    Done {
        result,
        usage: o.usage,
        session: o.session.clone(),
        ms: o.elapsed.as_millis(),
    }
}

fn error_done(e: String) -> Done {
    Done {
        result: Err(e),
        usage: Usage::default(),
        session: None,
        ms: 0,
    }
}

/// Check a call's arguments and find its agent.
fn plan<'d>(p: &Parent<'d>, args: &str) -> Result<Planned<'d>, String> {
    let a = Args::parse(args).map_err(|e| format!("bad arguments for task: {e}"))?;
    if let Some(k) = a
        .keys()
        .find(|k| !["description", "prompt", "agent"].contains(k))
    {
        return Err(format!(
            "unknown argument `{k}` for task; it takes: description, prompt, agent"
        ));
    }
    let prompt = a.str("prompt")?;
    if prompt.trim().is_empty() {
        return Err("the task's prompt is empty".into());
    }
    if prompt.len() > MAX_PROMPT {
        return Err(format!(
            "the task's prompt is {} bytes; at most {MAX_PROMPT}: put the material in a file and name it",
            prompt.len()
        ));
    }
    let name = a.opt_str("agent")?.unwrap_or("general");
    let def = p.defs.iter().find(|d| d.name == name).ok_or_else(|| {
        let names: Vec<&str> = p.defs.iter().map(|d| d.name.as_str()).collect();
        format!(
            "unknown agent `{name}`; the agents are: {}",
            names.join(", ")
        )
    })?;
    Ok(Planned {
        def,
        description: a.opt_str("description")?.unwrap_or("").to_string(),
        prompt: prompt.to_string(),
    })
}

/// The model the child runs: the parent's, or the definition's with Claude
/// aliases resolved and the parent provider's `name/` prefix dropped.
fn child_model(cfg: &Config, wanted: Option<&str>) -> String {
    match wanted {
        None => cfg.model.clone(),
        Some(m) => match claude_alias(m) {
            Some(id) if cfg.wire == Wire::Anthropic => id.to_string(),
            // Claude's aliases mean nothing to another provider.
            Some(_) => cfg.model.clone(),
            None => m
                .strip_prefix(&format!("{}/", cfg.name))
                .unwrap_or(m)
                .to_string(),
        },
    }
}

/// The child's command line. Keys are not on it: the child reads them
/// from the environment it inherits, as its parent did.
fn spec(p: &Parent, pl: &Planned) -> Spec {
    let cfg = p.cfg;
    let model = child_model(cfg, pl.def.model.as_deref());
    let own_provider = !model.contains('/') || pl.def.model.is_none();
    let mut args: Vec<String> = vec![
        "-p".into(),
        pl.prompt.clone(),
        "--output-format".into(),
        "stream-json".into(),
        "--subagent".into(),
        pl.def.name.clone(),
        "--subagent-depth".into(),
        (p.depth + 1).to_string(),
        "--model".into(),
        model,
        "--permission".into(),
        super::ceiling(p.permission, pl.def.permission)
            .label()
            .into(),
        "--sandbox".into(),
        p.sandbox.label().into(),
        "--max-turns".into(),
        p.max_turns.to_string(),
        "--retries".into(),
        p.retries.to_string(),
        "--timeout".into(),
        cfg.timeout.as_secs().to_string(),
        "--max-tokens".into(),
        cfg.max_tokens.to_string(),
        "--thinking".into(),
        format!("{:?}", cfg.thinking).to_lowercase(),
    ];
    if own_provider {
        let b = &cfg.base;
        let scheme = if b.tls { "https" } else { "http" };
        args.extend([
            "--provider".into(),
            cfg.name.clone(),
            "--base-url".into(),
            format!("{scheme}://{}:{}{}", b.host, b.port, b.path),
        ]);
    }
    let mcp = pl
        .def
        .tools
        .as_ref()
        .is_some_and(|t| t.iter().any(|t| t.starts_with(crate::mcp::PREFIX)));
    if p.trusted {
        args.push("--trust".into());
    }
    if !mcp {
        args.push("--no-mcp".into());
    }
    match (&p.session_dir, &p.session_id) {
        (Some(d), Some(id)) => args.extend([
            "--session-dir".into(),
            d.to_string_lossy().into_owned(),
            "--parent-session".into(),
            id.clone(),
        ]),
        _ => args.push("--no-session".into()),
    }
    Spec {
        program: p.program.clone(),
        args: args.into_iter().map(OsString::from).collect(),
        // The keys left mote's environment at start (secrets.rs); the child
        // is mote too, and hides them again at its start.
        env: crate::secrets::hidden()
            .into_iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect(),
        cwd: p.cwd.clone(),
    }
}

/// The tool result for an outcome: the answer and footer, or an error
/// saying what failed and why.
fn result(agent: &str, o: &Outcome, timeout: u64) -> Result<String, String> {
    let footer = footer(agent, o);
    let stderr = o
        .stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim_start_matches("mote: error: ");
    let why = o
        .error
        .as_deref()
        .filter(|e| !e.is_empty())
        .unwrap_or(stderr);
    let fail = match (o.stopped, o.exit) {
        (Some("timeout"), _) => {
            format!("timed out after {timeout} s (subagents.timeout) and was stopped")
        }
        (Some(_), _) | (_, Some(130)) => "was interrupted by the user".into(),
        (None, Some(0)) => {
            let mut s = o.answer.clone();
            if o.cut {
                s.push_str("\n[the answer was longer than 16 KB and was cut here]");
            }
            return Ok(format!("{s}\n{footer}"));
        }
        (None, None) => format!("did not start: {why}"),
        (None, Some(c)) if c == 128 + libc::SIGKILL => {
            "was killed by SIGKILL (the kernel's out-of-memory killer, or a kill -9)".into()
        }
        (None, Some(c)) if c > 128 => format!("crashed (signal {}){}", c - 128, colon(stderr)),
        (None, Some(c)) => {
            let kind = crate::cli::EXIT_CODES
                .iter()
                .find(|(n, _)| *n == c)
                .map_or("failed", |(_, what)| what);
            format!("failed (exit {c}: {kind}){}", colon(why))
        }
    };
    let partial = if o.answer.is_empty() {
        String::new()
    } else {
        format!("\nits last answer: {}", o.answer)
    };
    Err(format!("subagent `{agent}` {fail}{partial}\n{footer}"))
}

fn colon(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

fn footer(agent: &str, o: &Outcome) -> String {
    format!(
        "[subagent {agent}: {} turns, {} tokens, {:.1} s]",
        o.turns,
        o.usage.input + o.usage.output,
        o.elapsed.as_secs_f64()
    )
}

/// The collapsed line a finished child leaves on the screen.
fn one_line(agent: &str, description: &str, o: &Outcome, r: &Result<String, String>) -> String {
    let first = match r {
        Ok(s) => s.lines().find(|l| !l.trim().is_empty()).unwrap_or(""),
        Err(e) => e.lines().next().unwrap_or(""),
    };
    let cut = crate::text::floor_char(first, 80);
    format!(
        "{agent}: {description} - {} ({} turns, {:.1} s)",
        first.get(..cut).unwrap_or(""),
        o.turns,
        o.elapsed.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(exit: Option<i32>) -> Outcome {
        Outcome {
            answer: "found it".into(),
            turns: 3,
            usage: Usage {
                input: 100,
                output: 20,
                ..Default::default()
            },
            exit,
            elapsed: Duration::from_millis(2500),
            ..Default::default()
        }
    }

    #[test]
    fn results_say_what_happened() {
        assert_eq!(
            result("explore", &outcome(Some(0)), 600).unwrap(),
            "found it\n[subagent explore: 3 turns, 120 tokens, 2.5 s]"
        );
        let mut o = outcome(Some(3));
        o.error = Some("cannot connect to 127.0.0.1:9".into());
        let e = result("general", &o, 600).unwrap_err();
        assert!(
            e.starts_with("subagent `general` failed (exit 3: network: the API could not be reached): cannot connect"),
            "{e}"
        );
        let e = result("x", &outcome(Some(128 + 9)), 600).unwrap_err();
        assert!(
            e.contains("SIGKILL (the kernel's out-of-memory killer"),
            "{e}"
        );
        let mut o = outcome(Some(134));
        o.stderr = "panic here\n".into();
        assert!(result("x", &o, 600)
            .unwrap_err()
            .contains("crashed (signal 6): panic here"));
        let mut o = outcome(Some(137));
        o.stopped = Some("timeout");
        assert!(result("x", &o, 5)
            .unwrap_err()
            .contains("timed out after 5 s"));
        let mut o = outcome(Some(0));
        o.cut = true;
        assert!(result("x", &o, 5).unwrap().contains("longer than 16 KB"));
    }
}

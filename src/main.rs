//! mote: a terminal coding agent in one small static binary.
//!
//! This file wires the parts together: flags to settings, settings to the
//! agent loop, the outcome to an exit code and a one-line error.

mod agent;
mod arena;
mod cli;
mod config;
mod http;
mod json;
mod output;
mod permission;
mod prompt;
mod provider;
mod sandbox;
mod sse;
mod tls;
mod tool;
mod workspace;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use cli::{Command, Options};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let env = |k: &str| std::env::var(k).ok();
    // The config file is read only if a flag's value is looked up in it.
    let loaded: std::cell::OnceCell<Result<config::Config, String>> = std::cell::OnceCell::new();
    let load = || loaded.get_or_init(|| {
        let cwd = std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?;
        config::load(&cwd, &env)
    });
    let conf = |key: &str| -> Result<Option<String>, String> {
        let c = load().as_ref().map_err(|e| e.clone())?;
        c.str(key).map(|v| v.map(String::from))
    };
    let opts = match cli::parse(args, &cli::Sources { env: &env, config: &conf }) {
        Ok(Command::Run(o)) => o,
        Ok(Command::Help) => {
            print!("{}", cli::help());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("mote {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => return fail(2, &e),
    };
    if let Some(Ok(c)) = loaded.get() {
        for w in &c.warnings {
            eprintln!("mote: warning: {w}");
        }
    }
    let home = std::env::var("HOME").ok();
    let rules = match load().as_ref().map_err(|e| e.clone()).and_then(|c| {
        permission::rules::Rules::from_config(c.get("permissions"), home.as_deref())
    }) {
        Ok(r) => r,
        Err(e) => return fail(2, &e),
    };
    match run(opts, rules) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => fail(code, &msg),
    }
}

fn fail(code: u8, msg: &str) -> ExitCode {
    eprintln!("mote: error: {msg}");
    ExitCode::from(code)
}

fn run(o: Options, rules: permission::rules::Rules) -> Result<(), (u8, String)> {
    let config_err = |m: String| (2u8, m);
    let prompt = match o.prompt.clone() {
        Some(p) => p,
        None if !std::io::stdin().is_terminal() => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| config_err(format!("reading the prompt from stdin: {e}")))?;
            s
        }
        None => return Err(config_err("no prompt: run `mote -p PROMPT` (see --help)".into())),
    };
    if prompt.trim().is_empty() {
        return Err(config_err("the prompt is empty".into()));
    }
    if o.model.is_empty() {
        return Err(config_err("no model: pass --model ID or set MOTE_MODEL".into()));
    }
    let base = http::Url::parse(&o.base_url).map_err(config_err)?;
    let key = std::env::var("OPENAI_API_KEY").ok().filter(|k| !k.is_empty());
    if key.is_none() && base.host == "api.openai.com" {
        return Err(config_err("OPENAI_API_KEY is not set".into()));
    }
    let cfg = provider::Config {
        wire: provider::Wire::OpenAiChat,
        base,
        key,
        model: o.model.clone(),
        max_tokens: o.max_tokens,
        tokens_field: o.tokens_field,
        timeout: Duration::from_secs(o.timeout),
    };
    let cwd = std::env::current_dir().map_err(|e| (1, format!("no working directory: {e}")))?;
    let mut ws = workspace::Workspace::new(&cwd).map_err(|e| (1, format!("workspace {}: {e}", cwd.display())))?;
    ws.external = rules.external_dirs().into_iter().map(|d| d.canonicalize().unwrap_or(d)).collect();
    let (gate, warning) = permission::Gate::new(rules, o.sandbox);
    if let Some(w) = warning {
        eprintln!("mote: warning: {w}");
    }
    let mut out = output::Output::new(o.format, o.verbose);
    let start = Instant::now();
    let mut agent = agent::Agent {
        cfg: &cfg,
        ws: &ws,
        permission: o.permission,
        gate,
        doom: Default::default(),
        max_turns: o.max_turns,
        retries: o.retries,
        out: &mut out,
        system: prompt::system(&ws.root),
        arena: arena::Arena::new(),
        usage: Default::default(),
        turns: 0,
    };
    let res = agent.run(&prompt);
    let err = res.as_ref().err().map(|f| f.message());
    let summary = output::Summary {
        result: agent.arena.last_answer(),
        turns: agent.turns,
        usage: agent.usage,
        duration_ms: start.elapsed().as_millis(),
        error: err.as_deref(),
    };
    out.result(&summary);
    res.map_err(|f| (f.exit_code() as u8, f.message()))
}

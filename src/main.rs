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
mod proxy;
mod sse;
mod tls;
mod tool;
mod workspace;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::Instant;

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
    // Provider selection reads the config's `providers` and `models`.
    let c = match load() {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    for w in &c.warnings {
        eprintln!("mote: warning: {w}");
    }
    match run(opts, Some(c)) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => fail(code, &msg),
    }
}

fn fail(code: u8, msg: &str) -> ExitCode {
    eprintln!("mote: error: {msg}");
    ExitCode::from(code)
}

fn run(o: Options, config: Option<&config::Config>) -> Result<(), (u8, String)> {
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
    let conf = config.map(|c| &c.value);
    let wanted = provider::select::Wanted {
        provider: &o.provider,
        model: &o.model,
        base_url: &o.base_url,
        max_tokens: o.max_tokens,
        tokens_field: o.tokens_field,
        timeout: o.timeout,
        thinking: o.thinking,
    };
    let env = |k: &str| std::env::var(k).ok();
    let selected = provider::select::select(&wanted, &env, conf).map_err(config_err)?;
    for w in &selected.warnings {
        eprintln!("mote: warning: {w}");
    }
    let cfg = selected.config;
    let cwd = std::env::current_dir().map_err(|e| (1, format!("no working directory: {e}")))?;
    let ws = workspace::Workspace::new(&cwd).map_err(|e| (1, format!("workspace {}: {e}", cwd.display())))?;
    let mut out = output::Output::new(o.format, o.verbose);
    out.prices = selected.prices;
    let start = Instant::now();
    let mut agent = agent::Agent {
        cfg: &cfg,
        ws: &ws,
        permission: o.permission,
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

//! mote: a terminal coding agent in one small static binary.
//!
//! This file wires the parts together: flags to settings, settings to the
//! agent loop, the outcome to an exit code and a one-line error.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mote::cli::{self, Command, Options};
use mote::{
    agent, arena, config, context, looptask, mcp, modes, output, permission, prompt, provider,
    session, tui, workspace,
};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    if args.len() == 1 && (args[0] == "--version" || args[0] == "-V") {
        // Answered before the flag table and config are touched: a version
        // check (a CI probe, a script) stays as small as the binary allows.
        let line = concat!("mote ", env!("CARGO_PKG_VERSION"), "\n");
        unsafe { libc::write(1, line.as_ptr().cast(), line.len()) };
        return ExitCode::SUCCESS;
    }
    // Keys leave the environment before anything else runs (src/secrets.rs).
    mote::secrets::start();
    let env = |k: &str| mote::secrets::env(k);
    // The config file is read only if a flag's value is looked up in it, or
    // a run needs it: `--help` and `--version` never touch it.
    let loaded: std::cell::OnceCell<Result<config::Config, String>> = std::cell::OnceCell::new();
    let load = || {
        loaded.get_or_init(|| {
            let cwd = std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?;
            config::load(&cwd, &env)
        })
    };
    let conf = |key: &str| -> Result<Option<String>, String> {
        let c = load().as_ref().map_err(|e| e.clone())?;
        c.str(key).map(|v| v.map(String::from))
    };
    if args.first().is_some_and(|a| a == "mcp") {
        return mcp_probe(&args[1..], load());
    }
    // `mote acp [options]`: the editor protocol on stdin/stdout (src/acp/).
    let acp = args.first().is_some_and(|a| a == "acp");
    let opts = match cli::parse(
        args.into_iter().skip(usize::from(acp)).collect(),
        &cli::Sources {
            env: &env,
            config: &conf,
        },
    ) {
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
    mote::secrets::hide_config(&c.value);
    for w in &c.warnings {
        eprintln!("mote: warning: {w}");
    }
    if acp {
        return match mote::acp::serve(opts, c) {
            Ok(()) => ExitCode::SUCCESS,
            Err((code, msg)) => fail(code, &msg),
        };
    }
    match run(opts, c) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => fail(code, &msg),
    }
}

fn fail(code: u8, msg: &str) -> ExitCode {
    eprintln!("mote: error: {msg}");
    ExitCode::from(code)
}

fn mcp_probe(args: &[std::ffi::OsString], conf: &Result<config::Config, String>) -> ExitCode {
    let conf = match conf {
        Ok(c) => c,
        Err(e) => return fail(2, e),
    };
    mote::secrets::hide_config(&conf.value);
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    match mcp::probe::main(&args, conf.get("mcpServers"), &cwd) {
        Ok(code) => ExitCode::from(code),
        Err(e) => fail(1, &e),
    }
}

/// One run: a headless task, a loop task, or the interactive mode.
fn run(mut o: Options, config: &config::Config) -> Result<(), (u8, String)> {
    let config_err = |m: String| (2u8, m);
    let env = |k: &str| mote::secrets::env(k);

    // Sessions (src/session/): list, or load the one to resume.
    let sdir = session::dir(o.session_dir.as_deref(), &env);
    if o.list_sessions {
        return session::start::list(sdir.as_deref()).map_err(|e| (1, e));
    }
    let cwd = std::env::current_dir().map_err(|e| (1, format!("no working directory: {e}")))?;
    let mut ws = workspace::Workspace::new(&cwd)
        .map_err(|e| (1, format!("workspace {}: {e}", cwd.display())))?;
    // Permissions: directories outside that allow rules open, the gate and its sandbox.
    let home = env("HOME");
    let rules = permission::rules::Rules::from_config(config.get("permissions"), home.as_deref())
        .map_err(config_err)?;
    ws.external = rules
        .external_dirs()
        .into_iter()
        .map(|d| d.canonicalize().unwrap_or(d))
        .collect();
    let (mut gate, warning) = permission::Gate::new(rules, o.sandbox);
    if let Some(w) = warning {
        eprintln!("mote: warning: {w}");
    }
    let root = ws.root.to_string_lossy().into_owned();
    let resumed = session::start::resume(&o, sdir.as_deref(), &root).map_err(config_err)?;
    if let (true, Some(r)) = (o.model.is_empty(), &resumed) {
        o.model = r.loaded.model.clone();
    }

    // The task: -p, piped stdin, a loop, a resumed session, or (no -p and a
    // terminal on stdin) the interactive mode (src/tui).
    let interactive = o.prompt.is_none() && o.loop_file.is_none() && std::io::stdin().is_terminal();
    let prompt = match o.prompt.clone() {
        Some(p) => p,
        None if o.loop_file.is_some() || interactive => String::new(),
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| config_err(format!("reading the prompt from stdin: {e}")))?;
            s
        }
    };
    if o.loop_file.is_none() && o.check.is_some() {
        return Err(config_err("--check needs --loop PLAN.md".into()));
    }
    if prompt.trim().is_empty() && o.loop_file.is_none() && resumed.is_none() && !interactive {
        return Err(config_err("the prompt is empty".into()));
    }

    // The model (src/provider/select.rs).
    let wanted = provider::select::Wanted {
        provider: &o.provider,
        model: &o.model,
        base_url: &o.base_url,
        max_tokens: o.max_tokens,
        tokens_field: o.tokens_field,
        timeout: o.timeout,
        thinking: o.thinking,
    };
    let selected =
        provider::select::select(&wanted, &env, Some(&config.value)).map_err(config_err)?;
    for w in &selected.warnings {
        eprintln!("mote: warning: {w}");
    }
    let cfg = selected.config;
    // Trust and keep-alive for every connection (src/http/, src/tls.rs).
    mote::http::configure(config.get("network"), &env).map_err(config_err)?;
    o.context_window = o.context_window.or(cfg.context_window);

    // MCP servers (src/mcp/): their tools join the built-in ones.
    let servers = match o.no_mcp {
        true => Vec::new(),
        false => {
            let (list, warnings) = mcp::config::servers(
                config.get("mcpServers"),
                &ws.root,
                o.mcp_config.as_deref(),
                &env,
            )
            .map_err(config_err)?;
            for w in warnings {
                eprintln!("mote: warning: {w}");
            }
            list
        }
    };
    let mut mcp = mcp::Servers::new(servers, mcp::policy(ws.root.clone(), o.verbose));
    mcp.start();

    // The system prompt: base, prompt mode, context files.
    let user_dir = config::user_dir(&env);
    let chosen = modes::choose(
        &o.prompt_mode,
        &prompt,
        &modes::dirs(&cwd, user_dir.as_deref()),
    )
    .map_err(config_err)?;
    let permission = if o.permission_explicit {
        o.permission
    } else {
        chosen.permission.unwrap_or(o.permission)
    };
    let mut system = prompt::with_mode(
        prompt::system(&ws.root),
        &chosen.mode.name,
        &chosen.mode.body,
    );
    if !o.no_context_files {
        let cx = context::load(&cwd, user_dir.as_deref());
        for w in &cx.warnings {
            eprintln!("mote: warning: {w}");
        }
        system = prompt::with_context(system, &cx.text);
    }

    let (arena, log) = match resumed {
        Some(r) => {
            let id = &r.loaded.id;
            if prompt.trim().is_empty() && !interactive && r.loaded.finished && !o.compact {
                return Err(config_err(format!(
                    "session {id} has finished; give the next task with -p"
                )));
            }
            if prompt.trim().is_empty()
                && !interactive
                && r.loaded.arena.messages().next().is_none()
            {
                return Err(config_err(format!(
                    "session {id} has no messages; give a task with -p"
                )));
            }
            let log = session::start::Log {
                writer: r.writer,
                est: r.loaded.est,
                limits: session::start::limits(&o),
            };
            (r.loaded.arena, log)
        }
        None => {
            let writer = session::start::create(&o, sdir.as_deref(), &root, &cfg.name, &cfg.model);
            (
                arena::Arena::new(),
                session::start::Log {
                    writer,
                    est: Default::default(),
                    limits: session::start::limits(&o),
                },
            )
        }
    };
    let mut out = match interactive {
        true => tui::output(&cfg.model, o.format),
        false => output::Output::new(o.format, o.verbose),
    };
    out.prices = selected.prices;
    let mut shared = Shared {
        cfg: &cfg,
        ws: &ws,
        permission,
        writable: &chosen.mode.writable,
        max_turns: o.max_turns,
        retries: o.retries,
        gate: &mut gate,
        out: &mut out,
        mcp: &mut mcp,
    };

    if let Some(file) = &o.loop_file {
        let settings = looptask::Settings {
            plan: cwd.join(file),
            goal: if chosen.task.trim().is_empty() {
                "Complete the plan.".into()
            } else {
                chosen.task.clone()
            },
            check: o.check.clone(),
            check_timeout: Duration::from_secs(o.check_timeout),
            dir: ws.root.clone(),
            max_iterations: o.max_iterations,
            max_tokens: o.loop_max_tokens,
            format: o.format,
        };
        // Each iteration is a fresh agent: a new arena, unsaved, the same settings.
        let mut session = |task: &str| {
            let log = session::start::Log {
                writer: None,
                est: Default::default(),
                limits: session::start::limits(&o),
            };
            let mut agent = shared.agent(system.clone(), arena::Arena::new(), log);
            let result = agent.run(task);
            looptask::Session {
                result,
                answer: agent.arena.last_answer().to_string(),
                usage: agent.usage,
                turns: agent.turns,
            }
        };
        let stop = looptask::run(&settings, &mut session).map_err(config_err)?;
        return match stop.exit_code() {
            0 => Ok(()),
            code => Err((code as u8, stop.message())),
        };
    }

    let start = Instant::now();
    let mut agent = shared.agent(system, arena, log);
    if let (true, Some(w)) = (o.verbose, &agent.log.writer) {
        agent
            .out
            .note(&format!("session {} ({})", w.id, w.path.display()));
    }
    if interactive {
        let setup = tui::Setup {
            opts: &o,
            config,
            sessions: sdir.as_deref(),
            mode: chosen.mode.name.clone(),
        };
        return tui::repl(&mut agent, setup);
    }
    if o.compact {
        let done = agent
            .compact()
            .map_err(|f| (f.exit_code() as u8, f.message()))?;
        agent.out.note(if done {
            "the session was compacted"
        } else {
            "nothing to compact"
        });
        if prompt.trim().is_empty() {
            return Ok(());
        }
    }
    let res = agent.run(if chosen.task.trim().is_empty() {
        ""
    } else {
        &chosen.task
    });
    let err = res.as_ref().err().map(|f| f.message());
    let summary = output::Summary {
        result: agent.arena.last_answer(),
        turns: agent.turns,
        usage: agent.usage,
        duration_ms: start.elapsed().as_millis(),
        error: err.as_deref(),
    };
    agent.out.result(&summary);
    res.map_err(|f| (f.exit_code() as u8, f.message()))
}

/// What every agent of one run shares: the main run's, or each loop
/// iteration's, which differ only in their conversation.
struct Shared<'a> {
    cfg: &'a provider::Config,
    ws: &'a workspace::Workspace,
    permission: cli::Permission,
    writable: &'a [String],
    max_turns: u32,
    retries: u32,
    gate: &'a mut permission::Gate,
    out: &'a mut output::Output,
    mcp: &'a mut mcp::Servers,
}

impl Shared<'_> {
    /// An agent for the conversation in `arena`, from its first turn.
    fn agent(
        &mut self,
        system: String,
        arena: arena::Arena,
        log: session::start::Log,
    ) -> agent::Agent<'_> {
        agent::Agent {
            cfg: self.cfg.clone(),
            ws: self.ws,
            permission: self.permission,
            gate: self.gate,
            doom: Default::default(),
            writable: self.writable.to_vec(),
            max_turns: self.max_turns,
            retries: self.retries,
            out: self.out,
            system,
            arena,
            usage: Default::default(),
            turns: 0,
            log,
            mcp: self.mcp,
        }
    }
}

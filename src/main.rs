//! mote: a terminal coding agent in one small static binary.
//!
//! This file wires the parts together: flags to a run (src/run.rs), the
//! run to its front end (headless output, a loop, the terminal), the
//! outcome to an exit code and a one-line error.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mote::agent::Agent;
use mote::cli::{self, Command, Options};
use mote::frontend::Frontend;
use mote::run::{Failure, Run};
use mote::{config, looptask, mcp, output, session, tui};

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    if args.len() == 1 && (args[0] == "--version" || args[0] == "-V") {
        return version();
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
        c.str(key)
            .map(|v| v.map(String::from))
            .map_err(|e| c.locate(&e))
    };
    if let Some(code) = subcommand(&args, &env) {
        return code;
    }
    let argv = args.clone();
    // `mote acp [options]`: the editor protocol on stdin/stdout (src/acp/).
    let acp = args.first().is_some_and(|a| a == "acp");
    let parse = |conf: &dyn Fn(&str) -> Result<Option<String>, String>| {
        cli::parse(
            argv.iter().skip(usize::from(acp)).cloned().collect(),
            &cli::Sources {
                env: &env,
                config: conf,
            },
        )
    };
    let mut opts = match parse(&conf) {
        Ok(Command::Run(o)) => o,
        Ok(Command::Help) => return said(&cli::help()),
        Ok(Command::Version) => return said(concat!("mote ", env!("CARGO_PKG_VERSION"), "\n")),
        Err(e) => return fail(2, &e),
    };
    // From here a usage or config error (exit 2) is a result object too
    // under --output-format json, as a failed run's is.
    let format = opts.format;
    let fail = |code: u8, msg: &str| fail_in(format, code, msg);
    // Provider selection reads the config's `providers` and `models`.
    if let Err(e) = load() {
        return fail(2, e);
    }
    let Some(Ok(mut c)) = loaded.into_inner() else {
        return fail(2, "the config was not loaded");
    };
    // `--worktree NAME`: the run moves into the worktree, and its config
    // and flags are read there (src/worktree.rs).
    let mut reparse = false;
    if let Some(name) = &opts.worktree {
        match enter_worktree(name, &c, &env) {
            Ok(conf) => (c, reparse) = (conf, true),
            Err(e) => return fail(2, &e),
        }
    }
    if let Err(e) = admit(&mut opts, &mut c, acp, reparse, &parse) {
        return fail(2, &e);
    }
    launch(opts, &c, acp)
}

/// Answer `--version` before the flag table and config are touched: a
/// version check (a CI probe, a script) stays as small as the binary allows.
fn version() -> ExitCode {
    let line = concat!("mote ", env!("CARGO_PKG_VERSION"), "\n");
    unsafe { libc::write(1, line.as_ptr().cast(), line.len()) };
    ExitCode::SUCCESS
}

/// Start the admitted run (or the ACP server) with the loaded config, and
/// turn its result into the exit code.
fn launch(opts: Options, c: &config::Config, acp: bool) -> ExitCode {
    let format = opts.format;
    mote::secrets::hide_config(&c.value);
    for w in &c.warnings {
        eprintln!("mote: warning: {w}");
    }
    let res = match acp {
        true => mote::acp::serve(opts, c),
        false => run(opts, c),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, msg)) => fail_in(format, code, &c.locate(&msg)),
    }
}

/// Make or find worktree `name` of the repository here, move into it, and
/// load the config there.
fn enter_worktree(
    name: &str,
    c: &config::Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<config::Config, String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?;
    let (path, made) = mote::worktree::enter(&cwd, name, c.str("worktree_dir")?)?;
    std::env::set_current_dir(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if made {
        eprintln!(
            "mote: made worktree {name} at {} (branch mote/{name})",
            path.display()
        );
    }
    config::load(&path, env)
}

/// `mote worktree ...` and `mote mcp ...`, which take no run options:
/// their exit code, or `None` for a run.
fn subcommand(
    args: &[std::ffi::OsString],
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<ExitCode> {
    let cwd = || std::env::current_dir().unwrap_or_else(|_| ".".into());
    let first = args.first()?;
    if first == "worktree" {
        let words: Vec<String> = args[1..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        return Some(match mote::worktree::main(&words, &cwd()) {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err((code, e)) => fail(code, &e),
        });
    }
    if first == "mcp" {
        // Probing is the user's own request to start the servers.
        let mut c = config::load(&cwd(), env);
        if let Ok(c) = &mut c {
            c.admit();
        }
        return Some(mcp_probe(&args[1..], &c));
    }
    None
}

type Parse<'a> =
    dyn Fn(&dyn Fn(&str) -> Result<Option<String>, String>) -> Result<Command, String> + 'a;

/// The project's files that run commands or allow more, if the folder is
/// trusted (src/trust.rs); flags read from the config are read again when
/// the trusted config (or a worktree's, `reparse`) may set them.
fn admit(
    opts: &mut Options,
    c: &mut config::Config,
    acp: bool,
    mut reparse: bool,
    parse: &Parse,
) -> Result<(), String> {
    let interactive =
        !acp && opts.prompt.is_none() && opts.loop_file.is_none() && std::io::stdin().is_terminal();
    if !opts.list_sessions {
        let held = c.held().is_some();
        let above = (interactive && !opts.permission_explicit).then_some(opts.permission);
        let yes = mote::run::trust(c, opts.trust, interactive, above)?;
        opts.trust |= yes && !acp;
        reparse |= held && opts.trust;
    }
    if reparse {
        let conf = |key: &str| c.str(key).map(|v| v.map(String::from));
        if let Ok(Command::Run(mut o)) = parse(&conf) {
            o.trust = opts.trust;
            *opts = o;
        }
    }
    Ok(())
}

/// A usage or config error (exit 2) is a result object too under
/// `--output-format json`, as a failed run's is.
fn fail_in(format: cli::Format, code: u8, msg: &str) -> ExitCode {
    if code == 2 && format != cli::Format::Text {
        let _ = output::Output::new(format, false, None).result(&output::Summary {
            result: "",
            turns: 0,
            usage: Default::default(),
            duration_ms: 0,
            error: Some(msg),
            structured: None,
        });
    }
    fail(code, msg)
}

/// `--help`, `--version`: the text on stdout.
fn said(text: &str) -> ExitCode {
    print!("{text}");
    ExitCode::SUCCESS
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
        Err((code, e)) => fail(code, &e),
    }
}

/// One run: a headless task, a loop task, or the interactive mode.
fn run(o: Options, config: &config::Config) -> Result<(), Failure> {
    if o.subagent.is_some() {
        // A child stops its commands when its parent stops it, or dies.
        mote::subagent::child::install();
    }
    if let Some(("remember", text)) = o.prompt.as_deref().and_then(mote::modes::command) {
        // A note in AGENTS.md (src/memory.rs); no model is asked.
        let cwd = std::env::current_dir().map_err(|e| (1, format!("no working directory: {e}")))?;
        let said = mote::memory::remember(&cwd, text).map_err(|e| (2, e))?;
        // As the answer, so `--output-format json` gets a result object.
        let _ = output::Output::new(o.format, false, None).result(&output::Summary {
            result: &said,
            turns: 0,
            usage: Default::default(),
            duration_ms: 0,
            error: None,
            structured: None,
        });
        return Ok(());
    }
    let Some(mut r) = Run::build(o, config)? else {
        return Ok(());
    };
    let res = if r.opts.loop_file.is_some() {
        looped(&mut r)
    } else if r.interactive {
        interactive(&mut r, config)
    } else {
        once(&mut r)
    };
    r.end(if r.interactive {
        "prompt_input_exit"
    } else {
        "other"
    });
    res
}

/// The interactive mode on the terminal (src/tui/).
fn interactive(r: &mut Run, config: &config::Config) -> Result<(), Failure> {
    let mut screen = tui::screen(&r.conv.cfg().model, &r.ctx.ws.root);
    verbose_note(r, &mut screen);
    let repl = tui::Repl {
        ctx: &mut r.ctx,
        conv: &mut r.conv,
        screen,
        opts: &r.opts,
        config,
        sessions: r.sessions.as_deref(),
        mode: r.mode.clone(),
    };
    tui::repl(repl)
}

/// One headless task (`-p`, stdin, `--compact`) and its result.
fn once(r: &mut Run) -> Result<(), Failure> {
    let mut out = output::Output::new(r.opts.format, r.opts.verbose, r.conv.prices().copied());
    if let (Some(_), Some(w)) = (&r.opts.subagent, &r.conv.log().writer) {
        out.session(&w.id);
    }
    verbose_note(r, &mut out);
    headless(r, &mut out)
}

/// With --verbose, where the session is saved.
fn verbose_note(r: &Run, out: &mut dyn Frontend) {
    if let (true, Some(w)) = (r.opts.verbose, &r.conv.log().writer) {
        out.note(&format!("session {} ({})", w.id, w.path.display()));
    }
}

/// `-p`, stdin or `--compact`: one task, then the result in the chosen format.
fn headless(r: &mut Run, out: &mut output::Output) -> Result<(), Failure> {
    let start = Instant::now();
    if r.opts.compact {
        let done = Agent::new(&mut r.ctx, &mut r.conv, out)
            .compact()
            .map_err(|f| (f.exit_code() as u8, f.message()))?;
        out.note(if done {
            "the session was compacted"
        } else {
            "nothing to compact"
        });
        if r.no_prompt {
            return Ok(());
        }
    }
    let task = if r.task.trim().is_empty() {
        ""
    } else {
        &r.task
    };
    let root = r.ctx.ws.root.clone();
    let mut agent = Agent::new(&mut r.ctx, &mut r.conv, out);
    let (task, mut notes) = match r.template {
        true => mote::template::commands(task, &mut |c| agent.user_bash("template", c)),
        false => (task.to_string(), Vec::new()),
    };
    let (task, more) = mote::mention::attach(&mut agent, &root, &task);
    notes.extend(more);
    notes.iter().for_each(|n| out.warn(n));
    let mut res = Agent::new(&mut r.ctx, &mut r.conv, out).run(&task);
    let mut structured = None;
    if let (Ok(_), Some(schema)) = (&res, r.conv.cfg().schema.clone()) {
        match structured_answer(r, out, &schema) {
            Ok(v) => structured = Some(v),
            Err(f) => res = Err(f),
        }
    }
    let err = res.as_ref().err().map(|f| f.message());
    let shown = out.result(&output::Summary {
        result: &r.conv.last_answer(),
        turns: r.conv.turns(),
        usage: r.conv.usage(),
        duration_ms: start.elapsed().as_millis(),
        error: err.as_deref(),
        structured: structured.as_deref(),
    });
    res.map_err(|f| (f.exit_code() as u8, f.message()))?;
    shown.map_err(|e| (1, format!("cannot write the answer to stdout: {e}")))
}

/// `--output-schema`: the answer as JSON matching `schema`; one more turn
/// with the validation error when it does not (src/schema.rs).
fn structured_answer(
    r: &mut Run,
    out: &mut output::Output,
    schema: &str,
) -> Result<String, mote::agent::Fail> {
    let error = match mote::schema::check(schema, &r.conv.last_answer()) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    out.warn(&format!(
        "the answer does not match --output-schema ({error}); asking once more"
    ));
    let turns = r.conv.turns();
    let again = Agent::new(&mut r.ctx, &mut r.conv, out).run(&mote::schema::retry_prompt(&error));
    r.conv.add_turns(turns);
    again?;
    mote::schema::check(schema, &r.conv.last_answer()).map_err(mote::agent::Fail::Schema)
}

/// `--loop PLAN.md`: each iteration is a fresh conversation, unsaved, with
/// the same model and prompt mode.
fn looped(r: &mut Run) -> Result<(), Failure> {
    let o = &r.opts;
    let file = o.loop_file.as_deref().unwrap_or_default();
    let settings = looptask::Settings {
        plan: r.cwd.join(file),
        goal: if r.task.trim().is_empty() {
            "Complete the plan.".into()
        } else {
            r.task.clone()
        },
        check: o.check.clone(),
        check_timeout: Duration::from_secs(o.check_timeout),
        dir: r.ctx.ws.root.clone(),
        max_iterations: o.max_iterations,
        max_tokens: o.loop_max_tokens,
        format: o.format,
    };
    let mut out = output::Output::new(o.format, o.verbose, r.conv.prices().copied());
    let mut session = |task: &str| {
        let log = session::start::Log {
            writer: None,
            est: Default::default(),
            limits: session::start::limits(&r.opts),
        };
        let mut it = r.conv.fresh(log);
        let result = Agent::new(&mut r.ctx, &mut it, &mut out)
            .run(task)
            .map(drop);
        looptask::Session {
            result,
            answer: it.last_answer().to_string(),
            usage: it.usage(),
            turns: it.turns(),
        }
    };
    let stop = looptask::run(&settings, &mut session).map_err(|m| (2, m))?;
    match stop.exit_code() {
        0 => Ok(()),
        code => Err((code as u8, stop.message())),
    }
}

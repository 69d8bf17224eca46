//! `mock-llm`: the mock model server as a program, for `make demo` and the benches.
//!
//! ```text
//! mock-llm --script FILE [--port N] [--fragment N] [--one-byte] [-- COMMAND ARGS...]
//! ```
//! Without `--` it prints the base URL (`http://127.0.0.1:PORT/v1`) on one line and
//! serves until killed, or until every scripted reply has been served and all
//! connections are closed. With `-- COMMAND...` it runs the command with
//! OPENAI_BASE_URL and OPENAI_API_KEY=mock-key set, and exits with its exit code.
//! The script format is described in script.rs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

#[path = "mod.rs"]
mod mock;

use std::io::Write;
use std::process::{exit, Command};
use std::time::Duration;

const USAGE: &str =
    "usage: mock-llm --script FILE [--port N] [--fragment N] [--one-byte] [-- COMMAND ARGS...]";

struct Args {
    script: String,
    port: u16,
    opts: mock::Options,
    command: Vec<String>,
}

fn main() {
    let args = parse_args(std::env::args().skip(1).collect()).unwrap_or_else(|e| fail(&e));
    let replies = mock::script::load(&args.script).unwrap_or_else(|e| fail(&e));
    let server = mock::Mock::on_port(args.port, replies, args.opts)
        .unwrap_or_else(|e| fail(&format!("cannot listen on 127.0.0.1:{}: {e}", args.port)));
    let url = server.base_url();

    if args.command.is_empty() {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{url}");
        let _ = stdout.flush();
        drop(stdout);
        while server.remaining() > 0 || server.open_connections() > 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        return;
    }

    let status = Command::new(&args.command[0])
        .args(&args.command[1..])
        .env("OPENAI_BASE_URL", &url)
        .env("OPENAI_API_KEY", "mock-key")
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run {}: {e}", args.command[0])));
    exit(exit_code(status));
}

fn parse_args(argv: Vec<String>) -> Result<Args, String> {
    let mut args = Args {
        script: String::new(),
        port: 0,
        opts: mock::Options::default(),
        command: Vec::new(),
    };
    let mut it = argv.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--script" => args.script = value("--script")?,
            "--port" => {
                args.port = value("--port")?
                    .parse()
                    .map_err(|_| "--port needs a number")?
            }
            "--fragment" => {
                args.opts.fragment = value("--fragment")?
                    .parse()
                    .map_err(|_| "--fragment needs a number")?
            }
            "--one-byte" => args.opts.one_byte_writes = true,
            "--" => {
                args.command = it.collect();
                if args.command.is_empty() {
                    return Err(format!("`--` needs a command\n{USAGE}"));
                }
                break;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                exit(0);
            }
            other => return Err(format!("unexpected argument {other:?}\n{USAGE}")),
        }
    }
    if args.script.is_empty() {
        return Err(format!("--script is required\n{USAGE}"));
    }
    Ok(args)
}

/// The command's exit code; 128+N if it was killed by signal N (as shells report).
fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1)
}

fn fail(msg: &str) -> ! {
    eprintln!("mock-llm: {msg}");
    exit(2)
}

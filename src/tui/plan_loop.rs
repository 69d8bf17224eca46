//! `/loop PLAN.md [--check "CMD"] [--max-iterations N]`: the loop task of
//! `mote --loop` (src/looptask.rs), run from the interactive mode. Each
//! iteration gets a fresh conversation with the same model and prompt
//! mode, so the user's chat is left as it was; the iterations are not
//! saved to the session file, and their tokens count for `/cost`. Ctrl-C
//! or Esc during an iteration (or its check) stops the loop.

use std::time::Duration;

use super::screen::{say, Paint, GREEN, OFF, YELLOW};
use super::{spinner, Flow, Repl};
use crate::agent::{Agent, Fail};
use crate::cli::Format;
use crate::looptask::{self, Session, Stop};
use crate::provider::Usage;
use crate::session::start::{limits, Log};

const USAGE: &str = "usage: /loop PLAN.md [--check \"CMD\"] [--max-iterations N]\n";

/// The words after `/loop`: the plan, the check, the iteration budget.
struct Args {
    plan: String,
    check: Option<String>,
    max_iterations: Option<u32>,
}

fn parse(arg: &str) -> Result<Args, String> {
    let mut words = crate::template::words(arg).into_iter();
    let mut a = Args {
        plan: String::new(),
        check: None,
        max_iterations: None,
    };
    while let Some(w) = words.next() {
        let (name, inline) = match w.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (w.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| words.next())
                .ok_or(format!("{name} needs a value"))
        };
        match name.as_str() {
            "--check" => a.check = Some(value()?).filter(|c| !c.trim().is_empty()),
            "--max-iterations" => {
                let v = value()?;
                let n = v
                    .parse::<u32>()
                    .map_err(|_| format!("--max-iterations: `{v}` is not a number"))?;
                a.max_iterations = Some(n.max(1));
            }
            _ if name.starts_with("--") => return Err(format!("unknown option {name}")),
            _ if a.plan.is_empty() => a.plan = w,
            _ => return Err(format!("one plan file only (`{w}` is extra)")),
        }
    }
    if a.plan.is_empty() {
        return Err("no plan file".into());
    }
    Ok(a)
}

/// Which stop happened, in a few words.
fn headline(stop: &Stop) -> &'static str {
    match stop {
        Stop::Done => "all items checked",
        Stop::Iterations(_) | Stop::Tokens(_) => "budget spent",
        Stop::Stuck(_) => "stuck",
        Stop::Failed(Fail::Interrupted) => "interrupted",
        Stop::Failed(_) => "error",
    }
}

pub fn run(r: &mut Repl, arg: &str) -> Flow {
    let args = match parse(arg) {
        Ok(x) => x,
        Err(e) => {
            say(&format!("{e}\n{USAGE}"));
            return Flow::Continue;
        }
    };
    let o = r.opts;
    let cwd = std::env::current_dir().unwrap_or_else(|_| r.ctx.ws.root.clone());
    let settings = looptask::Settings {
        plan: cwd.join(&args.plan),
        goal: "Complete the plan.".into(),
        check: args.check,
        check_timeout: Duration::from_secs(o.check_timeout.max(1)),
        dir: r.ctx.ws.root.clone(),
        max_iterations: args.max_iterations.unwrap_or(o.max_iterations).max(1),
        max_tokens: o.loop_max_tokens,
        format: Format::Text,
    };
    let p = Paint(r.screen.color);
    let context_used = r.screen.context_used;
    let mut spent = Usage::default();
    crate::interrupt::arm(r.screen.tty);
    let mut session = |task: &str| {
        // An interrupt during the last check: stop before the next iteration.
        if crate::interrupt::requested() {
            return Session {
                result: Err(Fail::Interrupted),
                answer: String::new(),
                usage: Default::default(),
                turns: 0,
            };
        }
        let log = Log {
            writer: None,
            est: Default::default(),
            limits: limits(o),
        };
        let mut it = r.conv.fresh(log);
        r.screen.context_used = 0;
        let result = Agent::new(r.ctx, &mut it, &mut r.screen)
            .run(task)
            .map(drop);
        spinner::stop();
        let note = match &result {
            Err(Fail::Interrupted) => Some("interrupted"),
            _ => None,
        };
        r.screen.finish(note, it.prices());
        spent.add(it.usage());
        Session {
            result,
            answer: it.last_answer().to_string(),
            usage: it.usage(),
            turns: it.turns(),
        }
    };
    let res = looptask::run(&settings, &mut session);
    crate::interrupt::arm(false);
    spinner::stop();
    r.conv.add_usage(spent);
    r.screen.context_used = context_used;
    match res {
        Ok(stop) => say(&stopped_line(&p, &stop)),
        Err(e) => say(&format!("{e}\n")),
    }
    Flow::Continue
}

/// The closing line of a loop: why it stopped, green when the plan is done.
fn stopped_line(p: &Paint, stop: &Stop) -> String {
    let c = if matches!(stop, Stop::Done) {
        GREEN
    } else {
        YELLOW
    };
    format!("{}loop stopped: {}{}\n", p.s(c), headline(stop), p.s(OFF))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plan_check_and_budget() {
        let a = parse(r#"PLAN.md --check "test -f 'a b.txt'" --max-iterations 3"#).unwrap();
        assert_eq!(
            (a.plan.as_str(), a.check.as_deref(), a.max_iterations),
            ("PLAN.md", Some("test -f 'a b.txt'"), Some(3))
        );
        let a = parse("--max-iterations=0 p.md").unwrap();
        assert_eq!(
            (a.plan.as_str(), a.check, a.max_iterations),
            ("p.md", None, Some(1))
        );
        assert_eq!(parse("").err().unwrap(), "no plan file");
        assert_eq!(
            parse("p.md --check").err().unwrap(),
            "--check needs a value"
        );
        assert!(parse("p.md --max-iterations x").is_err());
        assert!(parse("p.md --bogus 1").is_err());
        assert!(parse("a.md b.md").is_err());
    }
}

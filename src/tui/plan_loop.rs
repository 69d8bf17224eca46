//! `/loop PLAN.md [--check "CMD"] [--max-iterations N]`: the loop task of
//! `mote --loop` (src/looptask.rs), run from the interactive mode. Each
//! iteration gets a fresh context: the conversation is taken out of the
//! agent before the loop and put back after it, so the user's chat is as
//! it was; the iterations are not saved to the session file. Ctrl-C or Esc
//! during an iteration (or its check) stops the loop.

use std::time::Duration;

use super::screen::{say, Paint, GREEN, OFF, YELLOW};
use super::{spinner, Flow, Setup};
use crate::agent::{Agent, Fail};
use crate::cli::Format;
use crate::looptask::{self, Session, Stop};
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

pub fn run(a: &mut Agent, s: &mut Setup, arg: &str) -> Flow {
    let args = match parse(arg) {
        Ok(x) => x,
        Err(e) => {
            say(&format!("{e}\n{USAGE}"));
            return Flow::Continue;
        }
    };
    let o = s.opts;
    let cwd = std::env::current_dir().unwrap_or_else(|_| a.ws.root.clone());
    let settings = looptask::Settings {
        plan: cwd.join(&args.plan),
        goal: "Complete the plan.".into(),
        check: args.check,
        check_timeout: Duration::from_secs(o.check_timeout.max(1)),
        dir: a.ws.root.clone(),
        max_iterations: args.max_iterations.unwrap_or(o.max_iterations).max(1),
        max_tokens: o.loop_max_tokens,
        format: Format::Text,
    };
    let fancy = a.out.tui.as_ref().is_some_and(|t| t.tty);
    let color = a.out.tui.as_ref().is_some_and(|t| t.color);
    let p = Paint(color);
    // The user's conversation, set aside while the loop runs.
    let arena = std::mem::take(&mut a.arena);
    let log = std::mem::replace(
        &mut a.log,
        Log {
            writer: None,
            est: Default::default(),
            limits: limits(o),
        },
    );
    let doom = std::mem::take(&mut a.doom);
    let (usage, turns) = (a.usage, a.turns);
    let context_used = a.out.tui.as_ref().map_or(0, |t| t.context_used);
    crate::interrupt::arm(fancy);
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
        a.arena = crate::arena::Arena::new();
        a.log = Log {
            writer: None,
            est: Default::default(),
            limits: limits(o),
        };
        a.doom = Default::default();
        a.usage = Default::default();
        a.turns = 0;
        if let Some(t) = a.out.tui.as_mut() {
            t.context_used = 0;
        }
        let result = a.run(task);
        spinner::stop();
        let note = match &result {
            Err(Fail::Interrupted) => Some("interrupted"),
            _ => None,
        };
        let prices = a.out.prices;
        if let Some(t) = a.out.tui.as_mut() {
            t.finish(note, prices.as_ref());
        }
        Session {
            result,
            answer: a.arena.last_answer().to_string(),
            usage: a.usage,
            turns: a.turns,
        }
    };
    let res = looptask::run(&settings, &mut session);
    crate::interrupt::arm(false);
    spinner::stop();
    // The loop's usage counts for the run (/cost); the conversation is the user's again.
    let mut total = usage;
    total.add(a.usage);
    a.usage = total;
    a.turns = turns;
    a.arena = arena;
    a.log = log;
    a.doom = doom;
    if let Some(t) = a.out.tui.as_mut() {
        t.context_used = context_used;
    }
    match res {
        Ok(stop) => {
            let c = if matches!(stop, Stop::Done) {
                GREEN
            } else {
                YELLOW
            };
            say(&format!(
                "{}loop stopped: {}{}\n",
                p.s(c),
                headline(&stop),
                p.s(OFF)
            ));
        }
        Err(e) => say(&format!("{e}\n")),
    }
    Flow::Continue
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

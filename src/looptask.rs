//! Loop tasks (`mote --loop PLAN.md --check CMD`): work through a plan's
//! checklist one item per iteration, each in a fresh context (a new arena)
//! holding only the goal, the plan and a short carry-over from the last
//! iteration. mote, not the model, decides when an item is done: it runs
//! the user's check command after the iteration and ticks the box only when
//! the check passes; a failing check's output goes into the next iteration.
//! The loop stops when every item is checked, when a budget is spent, or
//! when the model ends its answer with a `STUCK: reason` line, and prints a
//! table of the items. Its exit code says which stop happened.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::agent::Fail;
use crate::cli::Format;
use crate::json::write::string;
use crate::plan::{self, Item};
use crate::provider::Usage;
use crate::text as truncate;

/// The marker line the model is asked to end with when it cannot go on.
pub const STUCK: &str = "STUCK:";
/// Carried into the next iteration: the check output's tail...
const CARRY_CHECK: usize = 4 * 1024;
/// ...and the start of the model's last answer.
const CARRY_ANSWER: usize = 1024;
/// The plan is sent whole up to this size.
const PLAN_MAX: usize = 16 * 1024;

pub struct Settings {
    pub plan: PathBuf,
    pub goal: String,
    pub check: Option<String>,
    pub check_timeout: Duration,
    pub dir: PathBuf,
    pub max_iterations: u32,
    /// Input plus output tokens over all iterations.
    pub max_tokens: Option<u64>,
    pub format: Format,
}

/// What one iteration's agent session came to.
pub struct Session {
    pub result: Result<(), Fail>,
    pub answer: String,
    pub usage: Usage,
    pub turns: u32,
}

pub enum Stop {
    Done,
    Iterations(u32),
    Tokens(u64),
    Stuck(String),
    Failed(Fail),
}

impl Stop {
    pub fn exit_code(&self) -> i32 {
        match self {
            Stop::Done => 0,
            Stop::Iterations(_) | Stop::Tokens(_) => 6,
            Stop::Stuck(_) => 7,
            Stop::Failed(f) => f.exit_code(),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Stop::Done => "done",
            Stop::Iterations(_) => "max-iterations",
            Stop::Tokens(_) => "max-tokens",
            Stop::Stuck(_) => "stuck",
            Stop::Failed(_) => "error",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Stop::Done => "every item is checked".into(),
            Stop::Iterations(n) => {
                format!("--max-iterations spent ({n}) before every item was checked")
            }
            Stop::Tokens(n) => {
                format!("--loop-max-tokens spent ({n} tokens used) before every item was checked")
            }
            Stop::Stuck(why) => format!("the model is stuck: {why}"),
            Stop::Failed(f) => f.message(),
        }
    }
}

/// One line of the summary table.
struct Row {
    text: String,
    status: &'static str,
    iterations: u32,
    check: String,
}

/// Run the loop; `session` runs one fresh agent session on a task text.
pub fn run(s: &Settings, session: &mut dyn FnMut(&str) -> Session) -> Result<Stop, String> {
    let start = Instant::now();
    let mut rows: Vec<Row> = Vec::new();
    let (mut iteration, mut used, mut turns) = (0u32, Usage::default(), 0u32);
    let mut carry = String::new();
    let stop = loop {
        let text = read_plan(&s.plan)?;
        let items = plan::items(&text);
        if items.is_empty() && iteration == 0 {
            return Err(format!(
                "{}: no checklist items (`- [ ] ...` lines)",
                s.plan.display()
            ));
        }
        track(&mut rows, &items);
        let Some(item) = items.iter().find(|i| !i.checked) else {
            break Stop::Done;
        };
        if iteration >= s.max_iterations {
            break Stop::Iterations(iteration);
        }
        let spent = used.input + used.output;
        if s.max_tokens.is_some_and(|max| spent >= max) {
            break Stop::Tokens(spent);
        }
        iteration += 1;
        let task = task(s, iteration, &text, item, &carry);
        let out = session(&task);
        used.add(out.usage);
        turns += out.turns;
        let Some(row) = rows.iter_mut().find(|r| r.text == item.text) else {
            break Stop::Done;
        };
        row.iterations += 1;
        let ran_out = match out.result {
            Ok(()) => false,
            Err(Fail::MaxTurns(_)) => true,
            Err(f) => break Stop::Failed(f),
        };
        if let Some(why) = stuck(&out.answer) {
            row.status = "stuck";
            break Stop::Stuck(why);
        }
        let (passed, report) = check(s, row, ran_out);
        carry = settle(s, item, row, passed, &report, &out.answer, iteration)?;
    };
    report(s, &rows, &stop, iteration, turns, used, start.elapsed());
    Ok(stop)
}

/// A row for each item not seen before, in plan order.
fn track(rows: &mut Vec<Row>, items: &[plan::Item]) {
    for i in items {
        if !rows.iter().any(|r| r.text == i.text) {
            let status = if i.checked { "done before" } else { "pending" };
            rows.push(Row {
                text: i.text.clone(),
                status,
                iterations: 0,
                check: "-".into(),
            });
        }
    }
}

/// Whether the item passed, and the check's output: the check command's
/// exit status, or without one the model's word (it did not run out of turns).
fn check(s: &Settings, row: &mut Row, ran_out: bool) -> (bool, String) {
    let Some(cmd) = &s.check else {
        return (!ran_out, String::new());
    };
    let (output, ok) = crate::tool::bash::exec_status(cmd, &s.dir, s.check_timeout)
        .unwrap_or_else(|e| (format!("the check could not run: {e}"), false));
    let last = output.lines().last().unwrap_or("").to_string();
    row.check = if ok {
        "passed".into()
    } else {
        cut(&last, 40).to_string()
    };
    (ok, output)
}

/// Tick (or untick) the item as it passed or not, say so, and return what
/// the next iteration is told about this one.
fn settle(
    s: &Settings,
    item: &plan::Item,
    row: &mut Row,
    passed: bool,
    report: &str,
    answer: &str,
    iteration: u32,
) -> Result<String, String> {
    let shown = cut(&item.text, 50);
    if passed {
        row.status = "done";
        if !plan::set(&s.plan, item, true)? {
            eprintln!(
                "mote: warning: `{shown}` is no longer in {}; it could not be ticked",
                s.plan.display()
            );
        }
        let what = if s.check.is_some() {
            "check passed"
        } else {
            "done"
        };
        eprintln!("mote: loop {iteration}: `{shown}`: {what}");
        return Ok(format!(
            "The previous item (`{}`) was finished. Its summary:\n{}",
            item.text,
            head(answer, CARRY_ANSWER)
        ));
    }
    row.status = "failing";
    // Only mote ticks boxes: undo a tick the model made itself.
    let _ = plan::set(&s.plan, item, false)?;
    eprintln!(
        "mote: loop {iteration}: `{shown}`: check failed ({})",
        row.check
    );
    Ok(match &s.check {
        Some(cmd) => {
            let t = truncate::tail(report, 80, CARRY_CHECK);
            let more = if t.cut {
                "[... earlier output cut ...]\n"
            } else {
                ""
            };
            let answer = head(answer, CARRY_ANSWER);
            format!("The last attempt at this item did not pass the check `{cmd}`. Its output:\n{more}{}\nYour summary of that attempt:\n{answer}", t.text)
        }
        None => "The last attempt at this item ran out of turns before it finished.".into(),
    })
}

fn read_plan(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", path.display()))
}

/// The user message of one iteration.
fn task(s: &Settings, n: u32, plan_text: &str, item: &Item, carry: &str) -> String {
    let p = head(plan_text, PLAN_MAX);
    let more = if p.len() < plan_text.len() {
        "\n[... the rest of the plan is cut; read the file for it ...]"
    } else {
        ""
    };
    let check = match &s.check {
        Some(c) => format!(
            "mote will run the check `{c}` after you finish and ticks the box only if it passes"
        ),
        None => "mote ticks the box when you finish".into(),
    };
    let mut t = format!(
        "You are working through a plan, one item per session (this is iteration {n}).\nGoal: {goal}\n\n\
The plan ({path}):\n{p}{more}\n\n\
Your item (the first unchecked one): {item}\n\n\
Implement this item only, completely, and verify it. Do not edit its checkbox: {check}. \
When done, answer with a short summary of what you changed. \
If you cannot make progress, end your answer with a line `{STUCK} <reason>`.",
        goal = s.goal,
        path = s.plan.display(),
        item = item.text,
    );
    if !carry.is_empty() {
        t.push_str("\n\nFrom the previous iteration:\n");
        t.push_str(carry);
    }
    t
}

/// The reason on a `STUCK:` line of the answer, if there is one.
fn stuck(answer: &str) -> Option<String> {
    answer
        .lines()
        .find_map(|l| l.trim().strip_prefix(STUCK))
        .map(|r| cut(r.trim(), 200).to_string())
}

fn head(s: &str, max: usize) -> &str {
    s.get(..truncate::floor_char(s, max)).unwrap_or("")
}

/// At most `n` chars of `s`, on one line.
fn cut(s: &str, n: usize) -> &str {
    let s = s.lines().next().unwrap_or("");
    s.char_indices()
        .nth(n)
        .map_or(s, |(i, _)| s.get(..i).unwrap_or(s))
}

/// The summary: a table (stdout in text format, stderr otherwise) and,
/// in the JSON formats, one result object on stdout.
fn report(
    s: &Settings,
    rows: &[Row],
    stop: &Stop,
    iterations: u32,
    turns: u32,
    u: Usage,
    took: Duration,
) {
    let mut t = format!(
        "{:<4}{:<52}{:<13}{:<12}{}\n",
        "#", "item", "status", "iterations", "check"
    );
    for (i, r) in rows.iter().enumerate() {
        t.push_str(&format!(
            "{:<4}{:<52}{:<13}{:<12}{}\n",
            i + 1,
            cut(&r.text, 50),
            r.status,
            r.iterations,
            r.check
        ));
    }
    t.push_str(&format!(
        "stopped: {} ({iterations} iterations, {} tokens)\n",
        stop.message(),
        u.input + u.output
    ));
    if s.format == Format::Text {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(t.as_bytes());
        let _ = o.flush();
        return;
    }
    eprint!("{t}");
    let mut w = b"{\"type\":\"result\",\"result\":".to_vec();
    let _ = string(&mut w, &t);
    let _ = write!(
        w,
        ",\"turns\":{turns},\"usage\":{{\"input_tokens\":{},\"output_tokens\":{},\"cached_tokens\":{}}},\"duration_ms\":{},\"error\":",
        u.input,
        u.output,
        u.cached,
        took.as_millis()
    );
    match stop {
        Stop::Done => w.extend_from_slice(b"null"),
        other => {
            let _ = string(&mut w, &other.message());
        }
    }
    let _ = write!(
        w,
        ",\"loop\":{{\"stop\":\"{}\",\"iterations\":{iterations},\"items\":[",
        stop.label()
    );
    for (i, r) in rows.iter().enumerate() {
        w.extend_from_slice(if i == 0 {
            b"{\"item\":"
        } else {
            b",{\"item\":"
        });
        let _ = string(&mut w, &r.text);
        let _ = write!(
            w,
            ",\"status\":\"{}\",\"iterations\":{},\"check\":",
            r.status, r.iterations
        );
        let _ = string(&mut w, &r.check);
        w.push(b'}');
    }
    w.extend_from_slice(b"]}}\n");
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(&w);
    let _ = o.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuck_marker_and_cuts() {
        assert_eq!(
            stuck("tried.\nSTUCK: the API key is missing\n"),
            Some("the API key is missing".into())
        );
        assert_eq!(stuck("I am not stuck: STUCK: inline"), None);
        assert_eq!(cut("ééé\nx", 2), "éé");
        assert_eq!(head("éé", 3), "é");
    }
}

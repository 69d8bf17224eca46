//! What the interactive mode shows while a turn runs: the streamed answer
//! (through `Markdown`), one line per tool call with a compact diff for
//! edits and folded output for commands, the spinner, the permission
//! prompt, and the status line after the turn: the interactive mode's
//! `Frontend`.

use std::io::{self, Write};
use std::time::Duration;

use super::clean::clean;
use super::editor::{Editor, Read};
use super::keys::Key;
use super::markdown::Markdown;
use super::spinner::{self, clip};
use crate::frontend::{Answer, Approval, Ask, Frontend};
use crate::json::Args;
use crate::provider::cost::Prices;
use crate::provider::Usage;
use crate::tool::{Preview, Target};

/// Lines of command output shown before folding.
const SHOW_LINES: usize = 6;
/// Lines of each side of an edit's diff shown before folding.
const DIFF_LINES: usize = 8;
/// Until a provider says otherwise.
pub const DEFAULT_CONTEXT: u64 = 128_000;

pub struct Screen {
    pub color: bool,
    /// stdout is a terminal (wrap, spinner); else plain lines.
    pub tty: bool,
    md: Markdown,
    pub editor: Editor,
    pub model: String,
    /// The mote worktree the session works in, for the status line.
    pub worktree: Option<String>,
    pub context_window: u64,
    /// Usage since the last status line, and of the whole session.
    pub turn_usage: Usage,
    pub total: Usage,
    /// Input tokens of the last request: the context in use.
    pub context_used: u64,
    /// The arguments of the tool call being run, for its result line.
    call_args: String,
    /// Time spent waiting for the user's answer, not the tool's.
    asked: Duration,
    /// Plain output (no terminal) stopped mid-line.
    raw_mid_line: bool,
    /// The streamed text, cleaned for plain output.
    raw_text: super::clean::Stream,
    /// Running subagents' lines (tui/live.rs).
    pub live: super::live::Live,
    /// The reasoning being streamed, folded (tui/thinking.rs).
    pub thinking: super::thinking::Thinking,
}

/// Colour escapes, or nothing.
pub struct Paint(pub bool);

impl Paint {
    pub fn s(&self, code: &'static str) -> &'static str {
        if self.0 {
            code
        } else {
            ""
        }
    }
}

pub const DIM: &str = "\x1b[2m";
pub const RED: &str = "\x1b[31m";
pub const GREEN: &str = "\x1b[32m";
pub const YELLOW: &str = "\x1b[33m";
pub const OFF: &str = "\x1b[0m";

pub fn say(s: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

/// The argument that says what a call does, cleaned of control sequences:
/// the one the tool's TOOLS row names as its target, else (MCP tools,
/// `task`, a call without it) the first of the usual ones it has.
pub fn key_arg(tool: &str, args: &str) -> String {
    let Ok(a) = Args::parse(args) else {
        return clip(&clean(args), 60);
    };
    let target = crate::tool::find_tool(tool).and_then(|t| t.target.arg());
    let usual = ["command", "path", "pattern", "url", "description"];
    for k in target.into_iter().chain(usual) {
        if let Ok(Some(v)) = a.opt_str(k) {
            return clean(v).into_owned();
        }
    }
    String::new()
}

impl Screen {
    pub fn new(color: bool, tty: bool, editor: Editor, model: &str) -> Screen {
        let mut md = Markdown::new(color, 0);
        md.osc8 = color && super::hyperlinks();
        md.italic = super::italics();
        Screen {
            color,
            tty,
            md,
            editor,
            model: model.to_string(),
            worktree: None,
            context_window: DEFAULT_CONTEXT,
            turn_usage: Usage::default(),
            total: Usage::default(),
            context_used: 0,
            call_args: String::new(),
            asked: Duration::ZERO,
            raw_mid_line: false,
            raw_text: Default::default(),
            live: Default::default(),
            thinking: Default::default(),
        }
    }

    fn p(&self) -> Paint {
        Paint(self.color)
    }

    pub fn start_turn(&mut self) {
        self.md.width = if self.tty { super::term::width() } else { 0 };
        if self.tty {
            spinner::start("thinking", self.color);
        }
    }

    fn show_reasoning(&mut self, s: &str) {
        if self.tty {
            spinner::stop();
            say(&self.thinking.push(s, super::term::width(), self.color));
        }
    }

    fn show_text(&mut self, s: &str) {
        spinner::stop();
        say(self.thinking.end());
        if super::term::resized() {
            self.md.width = super::term::width();
        }
        let mut out = String::new();
        if self.tty {
            self.md.push(s, &mut out);
        } else if !s.is_empty() {
            out.push_str(&self.raw_text.push(s));
            self.raw_mid_line = !s.ends_with('\n');
        }
        say(&out);
    }

    fn end_text(&mut self) {
        let mut out = String::from(self.thinking.end());
        self.md.finish(&mut out);
        if std::mem::take(&mut self.raw_mid_line) {
            out.push('\n');
        }
        say(&out);
    }

    fn call_line(&mut self, name: &str, args: &str) {
        spinner::stop();
        self.end_text();
        self.call_args = args.to_string();
        if self.tty {
            spinner::start(
                &format!("{} {}", clean(name), key_arg(name, args)),
                self.color,
            );
        }
    }

    fn show_result(&mut self, name: &str, text: &str, is_error: bool, ms: u128) {
        spinner::stop();
        let (name, text) = (&*clean(name), &*clean(text));
        let p = self.p();
        let args = std::mem::take(&mut self.call_args);
        let w = if self.tty { super::term::width() } else { 200 };
        let summary = if is_error {
            format!(
                "{}{}{}",
                p.s(RED),
                clip(
                    text.lines().next().unwrap_or("error"),
                    w.saturating_sub(30).max(20)
                ),
                p.s(OFF)
            )
        } else if shape(name) == Shape::Command {
            let exit = text
                .lines()
                .last()
                .unwrap_or("")
                .replace("exit code: ", "exit ");
            let lines = text.lines().count().saturating_sub(1);
            format!("{exit} · {lines} lines")
        } else {
            format!("{} lines · {} bytes", text.lines().count(), text.len())
        };
        let dot = if is_error { p.s(RED) } else { p.s(GREEN) };
        let key = clip(&key_arg(name, &args), w.saturating_sub(30).max(20));
        let ms = ms.saturating_sub(std::mem::take(&mut self.asked).as_millis());
        let mut s = format!(
            "{dot}●{} {name} {key} {}→{} {summary} {}({}){}\n",
            p.s(OFF),
            p.s(DIM),
            p.s(OFF),
            p.s(DIM),
            secs(ms),
            p.s(OFF)
        );
        match shape(name) {
            Shape::Edit(old, new) if !is_error => diff(&mut s, &args, (old, new), &p),
            Shape::Command if !is_error => fold(&mut s, text, &p, w),
            _ => {}
        }
        say(&s);
        if self.tty {
            spinner::start("thinking", self.color);
        }
    }

    fn end_turn(&mut self, usage: &Usage) {
        self.turn_usage.add(*usage);
        self.total.add(*usage);
        if usage.input > 0 {
            self.context_used = usage.input;
        }
    }

    /// After the user's turn: end the answer and print the status line.
    pub fn finish(&mut self, note: Option<&str>, prices: Option<&Prices>) {
        spinner::stop();
        self.end_text();
        let p = self.p();
        if let Some(n) = note {
            say(&format!("{}{}{}\n", p.s(YELLOW), clean(n), p.s(OFF)));
        }
        let u = std::mem::take(&mut self.turn_usage);
        say(&format!(
            "{}{}{}\n",
            p.s(DIM),
            self.status(&u, prices),
            p.s(OFF)
        ));
    }

    /// The status line; the turn's and the session's cost when the prices are known.
    pub fn status(&self, u: &Usage, prices: Option<&Prices>) -> String {
        // Tenths of a percent, in integers (float formatting costs binary bytes).
        let pm = self.context_used * 1000 / self.context_window.max(1);
        let pct = format!("{}.{}", pm / 10, pm % 10);
        let cost = match prices {
            Some(pr) => format!(
                " · {} (session {})",
                usd(pr.cost(u)),
                usd(pr.cost(&self.total))
            ),
            None => String::new(),
        };
        let tree = match &self.worktree {
            Some(w) => format!(" · worktree {w}"),
            None => String::new(),
        };
        format!(
            "{}{tree} · {} in / {} out{cost} · context {pct}% of {}",
            self.model,
            k(u.input),
            k(u.output),
            k(self.context_window)
        )
    }

    fn show_note(&mut self, s: &str) {
        spinner::stop();
        self.end_text();
        let p = self.p();
        say(&format!("{}{}{}\n", p.s(DIM), clean(s), p.s(OFF)));
    }

    /// Ask the user whether `tool` may run with `args`: once, always (the
    /// agent adds `always`, the gate's rules for the call, to the session
    /// allowlist), or no with an optional reason. No rules: no "always" choice.
    fn ask(&mut self, tool: &str, args: &str, always: &[String]) -> Approval {
        spinner::stop();
        self.end_text();
        let p = self.p();
        let tool = &*clean(tool);
        let mut s = format!("{}? {tool}{} wants to run:\n", p.s(YELLOW), p.s(OFF));
        show_call(&mut s, tool, args, &p);
        let always_note = match always {
            [] => String::new(),
            rules => format!(" · a always ({}, this session)", clip(&rules.join(" "), 80)),
        };
        s.push_str(&format!("  allow? y once{always_note} · n no › "));
        say(&s);
        let started = std::time::Instant::now();
        let res = self.answer(tool, args, !always.is_empty());
        self.asked += started.elapsed();
        res
    }

    fn answer(&mut self, tool: &str, args: &str, can_always: bool) -> Approval {
        let p = self.p();
        loop {
            let key = self.editor.read_key().unwrap_or(None);
            let (answer, result) = match key {
                Some(Key::Char('y' | 'Y')) => ("yes", Approval::Once),
                Some(Key::Char('a' | 'A')) if can_always => ("always", Approval::Always),
                Some(Key::Char('n' | 'N')) => {
                    say("no\r\n");
                    let why = match self.editor.read_line(
                        "  reason (optional) › ",
                        (p.s(DIM), p.s(OFF)),
                        false,
                    ) {
                        Ok(Read::Line(l)) => l.trim().to_string(),
                        _ => String::new(),
                    };
                    return Approval::No(why);
                }
                None | Some(Key::CtrlC | Key::Esc | Key::CtrlD) => {
                    crate::interrupt::request();
                    ("no (interrupted)", Approval::No(String::new()))
                }
                _ => continue,
            };
            say(&format!("{answer}\r\n"));
            if self.tty && !matches!(result, Approval::No(_)) {
                spinner::start(&format!("{tool} {}", key_arg(tool, args)), self.color);
            }
            return result;
        }
    }

    /// A yes/no question outside the permission prompt (the doom-loop
    /// guard): `true` for yes.
    fn yes_no(&mut self, question: &str, yes: &str, no: &str) -> bool {
        spinner::stop();
        self.end_text();
        let p = self.p();
        say(&format!(
            "{}? {}{}\n  y {yes} · n {no} › ",
            p.s(YELLOW),
            clean(question),
            p.s(OFF)
        ));
        let yes = loop {
            match self.editor.read_key().unwrap_or(None) {
                Some(Key::Char('y' | 'Y')) => break true,
                Some(Key::Char('n' | 'N')) | None | Some(Key::CtrlC | Key::Esc | Key::CtrlD) => {
                    break false
                }
                _ => continue,
            }
        };
        say(if yes { "yes\r\n" } else { "no\r\n" });
        if self.tty && yes {
            spinner::start("thinking", self.color);
        }
        yes
    }
}

/// The interactive mode's front end: events drawn, questions asked on the terminal.
impl Frontend for Screen {
    fn turn_start(&mut self, _: u32) {
        self.start_turn();
    }

    fn text(&mut self, s: &str) {
        self.show_text(s);
    }

    fn reasoning(&mut self, s: &str) {
        self.show_reasoning(s);
    }

    fn tool_call(&mut self, _: &str, name: &str, args: &str) {
        self.call_line(name, args);
    }

    fn tool_result(&mut self, _: &str, name: &str, text: &str, is_error: bool, ms: u128) {
        self.show_result(name, text, is_error, ms);
    }

    fn turn_end(&mut self, _: u32, usage: &Usage) {
        self.end_turn(usage);
    }

    fn note(&mut self, s: &str) {
        self.show_note(&format!("mote: {s}"));
    }

    fn subagent(&mut self, s: &crate::subagent::task::Shown) {
        self.show_subagent(s);
    }

    fn asks_a_person(&self) -> bool {
        true
    }

    fn approve(&mut self, call: &Ask) -> Approval {
        self.ask(call.name, call.args, call.always)
    }

    fn confirm(&mut self, question: &str, yes: &str, no: &str) -> Answer {
        match self.yes_no(question, yes, no) {
            true => Answer::Yes,
            false => Answer::No,
        }
    }
}

/// How a call is drawn, from its row in the tool table: a command line,
/// an edit (a diff), a file written whole, or just its arguments.
#[derive(PartialEq)]
enum Shape {
    Command,
    /// The diff from the old to the new text argument.
    Edit(&'static str, &'static str),
    /// The argument with the file's text.
    Write(&'static str),
    Other,
}

/// From the tool's table row (src/tool/): its target and `Preview`.
fn shape(tool: &str) -> Shape {
    let Some(t) = crate::tool::find_tool(tool) else {
        return Shape::Other;
    };
    match (t.target, t.preview) {
        (Target::Command(_), _) => Shape::Command,
        (_, Preview::Diff(old, new)) => Shape::Edit(old, new),
        (_, Preview::Content(c)) => Shape::Write(c),
        _ => Shape::Other,
    }
}

/// What a call will do, in full: the command, or the edit's diff, or the
/// file to be written.
fn show_call(s: &mut String, tool: &str, args: &str, p: &Paint) {
    match shape(tool) {
        Shape::Command => {
            for l in key_arg(tool, args).lines() {
                s.push_str(&format!("  {}${} {l}\n", p.s(DIM), p.s(OFF)));
            }
        }
        Shape::Edit(old, new) => {
            s.push_str(&format!("  {}\n", key_arg(tool, args)));
            diff(s, args, (old, new), p);
        }
        Shape::Write(arg) => {
            let content = Args::parse(args)
                .ok()
                .and_then(|a| a.opt_str(arg).ok().flatten().map(String::from));
            let c = clean(&content.unwrap_or_default()).into_owned();
            s.push_str(&format!(
                "  {} ({} lines, {} bytes)\n",
                key_arg(tool, args),
                c.lines().count(),
                c.len()
            ));
            fold(s, &c, p, super::term::width());
        }
        Shape::Other => s.push_str(&format!("  {}\n", clip(&clean(args), 400))),
    }
}

/// The edit's old and new text (the arguments `keys`) as -/+ lines, each
/// side folded.
fn diff(s: &mut String, args: &str, keys: (&str, &str), p: &Paint) {
    let Ok(a) = Args::parse(args) else { return };
    for (key, sign, colour) in [(keys.0, '-', RED), (keys.1, '+', GREEN)] {
        let text = clean(a.opt_str(key).ok().flatten().unwrap_or(""));
        let n = text.lines().count();
        for l in text.lines().take(DIFF_LINES) {
            diff_line(s, colour, &format!("{sign} {l}"), p);
        }
        if n > DIFF_LINES {
            s.push_str(&format!(
                "  {}  … {} more lines{}\n",
                p.s(DIM),
                n - DIFF_LINES,
                p.s(OFF)
            ));
        }
    }
}

/// One line of a diff in its colour, cut at 200 columns.
fn diff_line(s: &mut String, colour: &'static str, line: &str, p: &Paint) {
    s.push_str(&format!(
        "  {}{}{}\n",
        p.s(colour),
        clip(line, 200),
        p.s(OFF)
    ));
}

/// A unified diff (`/diff`) drawn as edits are: removed lines red, added
/// green, file and hunk headers dim.
pub fn paint_diff(text: &str, p: &Paint) -> String {
    let mut s = String::new();
    for l in clean(text).lines() {
        let colour = match l.as_bytes().first() {
            _ if l.starts_with("+++") || l.starts_with("---") => DIM,
            Some(b'+') => GREEN,
            Some(b'-') => RED,
            Some(b'@') | Some(b'd') | Some(b'i') | Some(b'n') => DIM,
            _ => "",
        };
        diff_line(&mut s, colour, l, p);
    }
    s
}

/// The first lines of a tool's output, dimmed, then how many were folded.
fn fold(s: &mut String, text: &str, p: &Paint, w: usize) {
    let body: Vec<&str> = text.lines().collect();
    // The bash tool's last line is its exit status, already shown.
    let body = body.get(..body.len().saturating_sub(1)).unwrap_or(&[]);
    for l in body.iter().take(SHOW_LINES) {
        s.push_str(&format!(
            "  {}│ {}{}\n",
            p.s(DIM),
            clip(l, w.saturating_sub(4).max(10)),
            p.s(OFF)
        ));
    }
    if body.len() > SHOW_LINES {
        s.push_str(&format!(
            "  {}│ … {} more lines{}\n",
            p.s(DIM),
            body.len() - SHOW_LINES,
            p.s(OFF)
        ));
    }
}

fn secs(ms: u128) -> String {
    tenths(ms as u64 / 100, "s")
}

/// 12 tenths -> "1.2" and the unit.
pub fn tenths(t: u64, unit: &str) -> String {
    format!("{}.{}{unit}", t / 10, t % 10)
}

/// Dollars to four decimals, in integers: 0.01234 -> "$0.0123".
pub fn usd(v: f64) -> String {
    let t = (v * 10_000.0 + 0.5) as u64;
    format!("${}.{:04}", t / 10_000, t % 10_000)
}

/// 1234 -> "1.2k".
pub fn k(n: u64) -> String {
    if n >= 1000 {
        tenths(n / 100, "k")
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dollars() {
        assert_eq!(super::usd(0.012_34), "$0.0123");
        assert_eq!(super::usd(12.5), "$12.5000");
        assert_eq!(super::usd(0.0), "$0.0000");
    }
}

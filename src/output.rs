//! What a headless run prints, in the three `--output-format`s: `text`
//! (the final answer on stdout), `json` (one object at the end) and
//! `stream-json` (one object per line as things happen). `--verbose` adds a
//! readable log of the session on stderr. Write errors (a closed pipe) are
//! ignored: the session's work on disk matters more than its report.

use std::io::{IsTerminal, Write};

use crate::clean::clean;
use crate::cli::Format;
use crate::frontend::{Answer, Approval, Ask, Frontend};
use crate::json::write::{escaped, string};
use crate::provider::cost::Prices;
use crate::provider::Usage;
use crate::subagent::task::Shown;

pub struct Output {
    format: Format,
    verbose: bool,
    /// The stderr log is in the middle of a line of streamed text.
    mid_line: bool,
    /// The streamed text, cleaned for the stderr log.
    log_text: crate::clean::Stream,
    /// The model's prices, when the config gives them: adds `cost_usd`.
    prices: Option<Prices>,
}

pub struct Summary<'a> {
    pub result: &'a str,
    pub turns: u32,
    pub usage: Usage,
    pub duration_ms: u128,
    pub error: Option<&'a str>,
    /// The answer as JSON matching `--output-schema`, compact.
    pub structured: Option<&'a str>,
}

fn usage_json(w: &mut Vec<u8>, u: &Usage, prices: Option<&Prices>) {
    let _ = write!(
        w,
        "{{\"input_tokens\":{},\"output_tokens\":{},\"cached_tokens\":{},\"cache_write_tokens\":{}",
        u.input, u.output, u.cached, u.cache_write
    );
    if let Some(p) = prices {
        let _ = write!(w, ",\"cost_usd\":{:.6}", p.cost(u));
    }
    w.push(b'}');
}

impl Output {
    pub fn new(format: Format, verbose: bool, prices: Option<Prices>) -> Output {
        Output {
            format,
            verbose,
            mid_line: false,
            log_text: Default::default(),
            prices,
        }
    }

    /// A stream-json event line. A failed write shows again, as an error,
    /// when the result line cannot be written either.
    fn event(&self, obj: &[u8]) {
        let _ = self.line(obj);
    }

    fn line(&self, obj: &[u8]) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        out.write_all(obj)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// A line of the `--verbose` log, cleaned of control sequences.
    fn log(&mut self, s: &str) {
        if self.verbose {
            let nl = if self.mid_line { "\n" } else { "" };
            eprintln!("{nl}{}", clean(s));
            self.mid_line = false;
        }
    }

    /// A subagent's stream-json starts with its session id, for the parent's link.
    pub fn session(&mut self, id: &str) {
        if self.format == Format::StreamJson {
            let mut w = b"{\"type\":\"session\",\"id\":".to_vec();
            let _ = string(&mut w, id);
            w.push(b'}');
            self.event(&w);
        }
    }

    /// The run's outcome on stdout; an error when stdout cannot take it (a
    /// full disk, a closed pipe), which makes the run fail (exit 1).
    pub fn result(&mut self, r: &Summary) -> std::io::Result<()> {
        if self.mid_line && self.verbose {
            eprintln!();
            self.mid_line = false;
        }
        match self.format {
            Format::Text => {
                // With --output-schema, stdout is the JSON alone.
                let result = r.structured.unwrap_or(r.result);
                if r.error.is_none() || !result.is_empty() {
                    let mut out = std::io::stdout().lock();
                    // A pipe gets the answer as it is; a terminal, cleaned.
                    let shown = match out.is_terminal() {
                        true => clean(result),
                        false => result.into(),
                    };
                    out.write_all(shown.as_bytes())?;
                    if !result.ends_with('\n') {
                        out.write_all(b"\n")?;
                    }
                    out.flush()?;
                }
                Ok(())
            }
            Format::Json | Format::StreamJson => {
                let mut w = b"{\"type\":\"result\",\"result\":\"".to_vec();
                let _ = escaped(&mut w, r.result);
                let _ = write!(w, "\",\"turns\":{},\"usage\":", r.turns);
                usage_json(&mut w, &r.usage, self.prices.as_ref());
                let _ = write!(w, ",\"duration_ms\":{},\"error\":", r.duration_ms);
                match r.error {
                    Some(e) => {
                        let _ = string(&mut w, e);
                    }
                    None => w.extend_from_slice(b"null"),
                }
                if let Some(v) = r.structured {
                    w.extend_from_slice(b",\"structured\":");
                    w.extend_from_slice(v.as_bytes());
                }
                w.push(b'}');
                self.line(&w)
            }
        }
    }
}

/// Headless: the events go to stdout (stream-json) and the stderr log
/// (--verbose); nobody can be asked.
impl Frontend for Output {
    fn turn_start(&mut self, turn: u32) {
        if self.format == Format::StreamJson {
            self.event(format!("{{\"type\":\"turn_start\",\"turn\":{turn}}}").as_bytes());
        }
    }

    fn text(&mut self, s: &str) {
        if self.format == Format::StreamJson {
            let mut w = b"{\"type\":\"text\",\"text\":".to_vec();
            let _ = string(&mut w, s);
            w.push(b'}');
            self.event(&w);
        }
        if self.verbose && !s.is_empty() {
            let mut e = std::io::stderr().lock();
            let _ = e.write_all(self.log_text.push(s).as_bytes());
            self.mid_line = !s.ends_with('\n');
        }
    }

    fn tool_call(&mut self, id: &str, name: &str, args: &str) {
        if self.format == Format::StreamJson {
            let mut w = b"{\"type\":\"tool_call\",\"id\":".to_vec();
            let _ = string(&mut w, id);
            w.extend_from_slice(b",\"name\":");
            let _ = string(&mut w, name);
            w.extend_from_slice(b",\"arguments\":");
            if crate::json::stream::validate(args.as_bytes()).is_ok() {
                w.extend_from_slice(args.as_bytes());
            } else {
                let _ = string(&mut w, args);
            }
            w.push(b'}');
            self.event(&w);
        }
        let shown = crate::text::head(args, 1, 200);
        let more = if shown.cut { "..." } else { "" };
        self.log(&format!("-> {name} {}{more}", shown.text.trim_end()));
    }

    fn tool_result(&mut self, id: &str, name: &str, text: &str, is_error: bool, ms: u128) {
        if self.format == Format::StreamJson {
            let mut w = b"{\"type\":\"tool_result\",\"id\":".to_vec();
            let _ = string(&mut w, id);
            w.extend_from_slice(b",\"name\":");
            let _ = string(&mut w, name);
            let _ = write!(
                w,
                ",\"is_error\":{is_error},\"duration_ms\":{ms},\"output\":"
            );
            let _ = string(&mut w, text);
            w.push(b'}');
            self.event(&w);
        }
        if is_error {
            let first = text.lines().next().unwrap_or("");
            self.log(&format!("<- error: {first}"));
        } else {
            self.log(&format!(
                "<- {} lines, {} bytes ({ms} ms)",
                text.lines().count(),
                text.len()
            ));
        }
    }

    fn turn_end(&mut self, turn: u32, usage: &Usage) {
        if self.format == Format::StreamJson {
            let mut w = format!("{{\"type\":\"turn_end\",\"turn\":{turn},\"usage\":").into_bytes();
            usage_json(&mut w, usage, self.prices.as_ref());
            w.push(b'}');
            self.event(&w);
        }
    }

    fn note(&mut self, s: &str) {
        self.log(&format!("mote: {s}"));
    }

    fn warn(&mut self, s: &str) {
        let nl = if self.mid_line { "\n" } else { "" };
        eprintln!("{nl}mote: warning: {}", clean(s));
        self.mid_line = false;
    }

    /// stream-json passes each subagent's own events on, whole.
    fn wants_subagent_events(&self) -> bool {
        self.format == Format::StreamJson
    }

    fn subagent(&mut self, s: &Shown) {
        let mut w = Vec::new();
        match s {
            Shown::Start {
                id,
                agent,
                description,
            } => {
                self.log(&format!("-> subagent {agent}: {description}"));
                w.extend_from_slice(b"{\"type\":\"subagent_start\",\"id\":");
                let _ = string(&mut w, id);
                w.extend_from_slice(b",\"agent\":");
                let _ = string(&mut w, agent);
                w.extend_from_slice(b",\"description\":");
                let _ = string(&mut w, description);
            }
            Shown::Progress { .. } => return,
            Shown::Event { id, line } => {
                w.extend_from_slice(b"{\"type\":\"subagent_event\",\"id\":");
                let _ = string(&mut w, id);
                w.extend_from_slice(b",\"event\":");
                w.extend_from_slice(line);
            }
            Shown::End {
                id,
                line,
                is_error,
                outcome: o,
            } => {
                self.log(&format!("<- subagent {line}"));
                w.extend_from_slice(b"{\"type\":\"subagent_end\",\"id\":");
                let _ = string(&mut w, id);
                let _ = write!(
                    w,
                    ",\"is_error\":{is_error},\"turns\":{},\"duration_ms\":{},\"usage\":",
                    o.turns,
                    o.elapsed.as_millis()
                );
                usage_json(&mut w, &o.usage, self.prices.as_ref());
                w.extend_from_slice(b",\"session_id\":");
                match &o.session {
                    Some(sid) => {
                        let _ = string(&mut w, sid);
                    }
                    None => w.extend_from_slice(b"null"),
                }
            }
        }
        if self.format == Format::StreamJson {
            w.push(b'}');
            self.event(&w);
        }
    }

    fn approve(&mut self, _: &Ask) -> Approval {
        Approval::Nobody
    }

    fn confirm(&mut self, _: &str, _: &str, _: &str) -> Answer {
        Answer::Nobody
    }
}

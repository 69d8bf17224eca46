//! The plain-text script format for `mock-llm --script FILE` (and for tests that
//! prefer a script to Rust values). One directive per line; replies separated by a
//! line `---`; blank lines and lines starting with `#` are ignored.
//!
//! ```text
//! text Let me look.\nSecond line   one Text item; \n \t \r \\ escapes; consecutive
//!                                   text lines join into one item with "\n"
//! call read {"path":"greet.sh"}     tool call: name, space, JSON args to end of line
//! finish length                     finish_reason for this turn (default stop/tool_calls)
//! drop 3                            this turn stops after 3 SSE events, socket closed
//! status 429 1 {"error":{...}}      HTTP status, Retry-After secs or -, body (optional)
//! malformed | invalid-utf8 | hang   broken streams (alone in their reply)
//! stream-error MESSAGE              `data: {"error":...}` inside a 200 stream (alone)
//! ```
//! A reply made of text/call lines (plus finish/drop) is a turn.

use super::{json, Item, Reply};

/// Read and parse a script file.
pub fn load(path: &str) -> Result<Vec<Reply>, String> {
    let src = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    parse(&src).map_err(|e| format!("{path}:{e}"))
}

/// Parse a script. Errors read "LINE: message".
pub fn parse(src: &str) -> Result<Vec<Reply>, String> {
    let mut replies = Vec::new();
    let mut cur = Draft::default();
    for (n, raw) in src.lines().enumerate() {
        let n = n + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if trimmed == "---" {
            replies.extend(std::mem::take(&mut cur).finish()?);
            continue;
        }
        cur.directive(line.trim_start(), n)
            .map_err(|e| format!("{n}: {e}"))?;
    }
    replies.extend(cur.finish()?);
    Ok(replies)
}

/// One reply being assembled.
#[derive(Default)]
struct Draft {
    items: Vec<Item>,
    finish: Option<String>,
    drop_after: Option<usize>,
    special: Option<Reply>,
    last_was_text: bool,
    /// First line of this reply, for error messages.
    line: usize,
}

impl Draft {
    fn directive(&mut self, line: &str, n: usize) -> Result<(), String> {
        if self.line == 0 {
            self.line = n;
        }
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let was_text = std::mem::replace(&mut self.last_was_text, false);
        match word {
            "text" => {
                let text = unescape(rest)?;
                match self.items.last_mut() {
                    Some(Item::Text(prev)) if was_text => {
                        prev.push('\n');
                        prev.push_str(&text);
                    }
                    _ => self.items.push(Item::Text(text)),
                }
                self.last_was_text = true;
            }
            "call" => {
                let (name, args) = rest
                    .split_once(' ')
                    .ok_or("call needs a name and JSON arguments")?;
                let args = args.trim();
                match json::parse(args) {
                    Ok(json::Value::Obj(_)) => {}
                    Ok(_) => return Err(format!("arguments of {name} are not a JSON object")),
                    Err(e) => return Err(format!("arguments of {name} are not valid JSON: {e}")),
                }
                self.items.push(Item::Call {
                    name: name.to_string(),
                    args: args.to_string(),
                });
            }
            "finish" if !rest.trim().is_empty() => self.finish = Some(rest.trim().to_string()),
            "drop" => {
                self.drop_after = Some(
                    rest.trim()
                        .parse()
                        .map_err(|_| "drop needs a number of events")?,
                )
            }
            "status" => self.set_special(status(rest)?)?,
            "malformed" => self.set_special(Reply::Malformed)?,
            "invalid-utf8" => self.set_special(Reply::InvalidUtf8)?,
            "hang" => self.set_special(Reply::Hang)?,
            "stream-error" => self.set_special(Reply::StreamError {
                message: unescape(rest)?,
            })?,
            _ => return Err(format!("unknown directive {word:?}")),
        }
        Ok(())
    }

    fn set_special(&mut self, reply: Reply) -> Result<(), String> {
        if self.special.is_some() {
            return Err(
                "only one status/malformed/invalid-utf8/hang/stream-error per reply".into(),
            );
        }
        self.special = Some(reply);
        Ok(())
    }

    fn finish(self) -> Result<Option<Reply>, String> {
        let turnish = !self.items.is_empty() || self.finish.is_some() || self.drop_after.is_some();
        match (self.special, turnish) {
            (Some(_), true) => Err(format!(
                "{}: status/malformed/invalid-utf8/hang/stream-error must be alone in its reply",
                self.line
            )),
            (Some(special), false) => Ok(Some(special)),
            (None, false) => Ok(None), // empty reply: stray separator
            (None, true) => Ok(Some(match self.drop_after {
                Some(after_events) => Reply::DropMidStream {
                    items: self.items,
                    after_events,
                },
                None => Reply::Turn {
                    items: self.items,
                    finish: self.finish,
                },
            })),
        }
    }
}

/// `status CODE RETRY_AFTER|- [BODY]`; without a body, an OpenAI error body is made up.
fn status(rest: &str) -> Result<Reply, String> {
    let mut parts = rest.trim().splitn(3, ' ');
    let code: u16 = parts
        .next()
        .and_then(|c| c.parse().ok())
        .filter(|c| (100..=599).contains(c))
        .ok_or("status needs an HTTP code")?;
    let retry_after = match parts.next() {
        None | Some("-") => None,
        Some(s) => Some(
            s.parse()
                .map_err(|_| format!("bad retry-after {s:?} (seconds or -)"))?,
        ),
    };
    let body = parts.next().map(str::trim).unwrap_or("");
    if body.is_empty() {
        return Ok(Reply::error(code, retry_after, super::http::reason(code)));
    }
    Ok(Reply::Status {
        code,
        retry_after,
        body: body.to_string(),
    })
}

/// Undo the script's backslash escapes: \n \t \r \\ (anything else is an error).
pub fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                return Err(format!(
                    "unknown escape \\{other} (use \\\\ for a backslash)"
                ))
            }
            None => return Err("trailing backslash".into()),
        }
    }
    Ok(out)
}

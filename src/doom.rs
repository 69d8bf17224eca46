//! The doom-loop guard: notices a model stuck repeating itself, the same
//! tool call three times in a row or a short cycle of calls (A B A B A B),
//! before the repeat runs. Headless runs end the turn; the interactive
//! front end asks the user instead (and calls `reset` to go on).

/// How many of the latest calls are remembered.
const KEEP: usize = 9;
/// A cycle must repeat this many times to count.
const REPEATS: usize = 3;

#[derive(Default)]
pub struct Guard {
    /// The latest calls as (tool name, arguments without the whitespace
    /// outside JSON strings).
    recent: Vec<(String, String)>,
}

impl Guard {
    /// Record a call; `Some(message)` when it completes a loop.
    pub fn push(&mut self, name: &str, args: &str) -> Option<String> {
        let key = (name.to_string(), compact(args));
        self.recent.push(key);
        if self.recent.len() > KEEP {
            self.recent.remove(0);
        }
        for period in 1..=3 {
            let need = period * REPEATS;
            let Some(tail) = self
                .recent
                .len()
                .checked_sub(need)
                .and_then(|s| self.recent.get(s..))
            else {
                continue;
            };
            if tail
                .iter()
                .enumerate()
                .all(|(i, c)| tail.get(i % period) == Some(c))
            {
                let names: Vec<&str> = tail.iter().take(period).map(|(n, _)| n.as_str()).collect();
                return Some(if period == 1 {
                    format!("the model called `{name}` with the same arguments {REPEATS} times in a row")
                } else {
                    format!(
                        "the model repeated the same cycle of {period} tool calls ({}) {REPEATS} times",
                        names.join(", ")
                    )
                });
            }
        }
        None
    }

    /// Forget the history (the user chose to go on).
    pub fn reset(&mut self) {
        self.recent.clear();
    }
}

/// JSON text without whitespace outside strings.
fn compact(json: &str) -> String {
    let (mut out, mut in_str, mut esc) = (String::with_capacity(json.len()), false, false);
    for c in json.chars() {
        if in_str {
            in_str = esc || c != '"';
            esc = !esc && c == '\\';
        } else if c == '"' {
            in_str = true;
        } else if c.is_whitespace() {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_and_cycles() {
        let mut g = Guard::default();
        assert!(g.push("read", r#"{"path":"a"}"#).is_none());
        assert!(g.push("read", r#"{"path": "a"}"#).is_none());
        assert!(g
            .push("read", r#"{ "path":"a" }"#)
            .unwrap()
            .contains("3 times in a row"));
        g.reset();
        for (i, c) in ["a", "b", "a", "b", "a"].iter().enumerate() {
            assert!(g.push("bash", c).is_none(), "{i}");
        }
        assert!(g.push("bash", "b").unwrap().contains("cycle of 2"));
        g.reset();
        for c in ["a", "b", "c", "a", "b", "d", "a", "b", "c"] {
            assert!(g.push("ls", c).is_none());
        }
    }
}

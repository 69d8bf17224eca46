//! Ctrl-R: reverse incremental search of the history, as in bash. Each
//! key narrows or moves the search and says what the editor does next:
//! show the match, take it into the input to edit, send it, or put the
//! input back as it was. The history's newest entries (this workspace's)
//! are met first.

use super::keys::Key;

pub struct Search {
    pub query: String,
    /// The entry shown, an index into the history.
    pub at: Option<usize>,
    /// The input before the search, for Ctrl-C.
    pub saved: String,
}

/// What the editor does after a key.
pub enum Step {
    /// Keep searching; show the match (or the failing query).
    Show,
    /// Leave the search with this text in the input, to edit.
    Edit(String),
    /// Leave the search and send this text.
    Send(String),
    /// Leave the search; the input is as it was.
    Cancel(String),
}

impl Search {
    pub fn new(saved: String) -> Search {
        Search {
            query: String::new(),
            at: None,
            saved,
        }
    }

    /// The prompt while searching.
    pub fn label(&self) -> String {
        let failing = if self.at.is_none() && !self.query.is_empty() {
            "failing "
        } else {
            ""
        };
        format!("({failing}reverse-i-search)`{}': ", self.query)
    }

    /// The match's text ("" when none).
    pub fn shown<'h>(&self, entries: &'h [String]) -> &'h str {
        self.at
            .and_then(|i| entries.get(i))
            .map_or("", |s| s.as_str())
    }

    /// The newest entry before `before` holding the query.
    fn find(&mut self, entries: &[String], before: usize) {
        let upto = entries.get(..before.min(entries.len())).unwrap_or(&[]);
        let hit = upto.iter().rposition(|e| e.contains(&self.query));
        if hit.is_some() || self.query.is_empty() {
            self.at = hit;
        } else {
            self.at = None;
        }
    }

    pub fn key(&mut self, key: &Key, entries: &[String]) -> Step {
        let here = self.at.map_or(entries.len(), |i| i + 1);
        match key {
            Key::Char(c) => {
                self.query.push(*c);
                self.find(entries, here);
            }
            Key::Backspace => {
                self.query.pop();
                self.find(entries, entries.len());
            }
            Key::CtrlR => {
                let before = self.at.unwrap_or(entries.len());
                let keep = self.at;
                self.find(entries, before);
                // No older match: stay on this one.
                if self.at.is_none() {
                    self.at = keep;
                }
            }
            Key::Enter => return Step::Send(self.shown(entries).to_string()),
            Key::CtrlC | Key::CtrlG => return Step::Cancel(std::mem::take(&mut self.saved)),
            _ => {
                let text = match self.at {
                    Some(_) => self.shown(entries).to_string(),
                    None => std::mem::take(&mut self.saved),
                };
                return Step::Edit(text);
            }
        }
        Step::Show
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_back_and_narrows() {
        let h: Vec<String> = ["make test", "git push", "make bench", "ls"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut s = Search::new("draft".into());
        for c in "mak".chars() {
            s.key(&Key::Char(c), &h);
        }
        assert_eq!(s.shown(&h), "make bench");
        s.key(&Key::CtrlR, &h);
        assert_eq!(s.shown(&h), "make test");
        s.key(&Key::CtrlR, &h);
        assert_eq!(s.shown(&h), "make test", "no older match keeps this one");
        s.key(&Key::Char('x'), &h);
        assert!(s.label().starts_with("(failing"));
        assert!(matches!(s.key(&Key::CtrlC, &h), Step::Cancel(t) if t == "draft"));
    }
}

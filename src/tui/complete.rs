//! Completion for the line editor: `/` commands and their first argument
//! (each COMMANDS row says what its argument is), and `@` paths of the
//! workspace, listed by the tools' walker (src/tool/walk.rs, so
//! .gitignore is obeyed) and ranked by a fuzzy match. The editor asks
//! through the `Complete` trait and draws the `Menu`; the file list is
//! built on the first `@` and dropped when the menu closes.

use std::path::PathBuf;

use super::commands::{Arg, COMMANDS};
use super::spinner::clip;

/// Most items shown.
pub const SHOWN: usize = 10;
/// Most workspace paths listed for `@`.
const MAX_PATHS: usize = 50_000;
/// Most saved sessions offered to `/resume`.
const MAX_SESSIONS: usize = 50;

/// One choice: the text that replaces the word, and a note shown beside it.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub text: String,
    pub note: String,
}

/// What the editor asks while the user types.
pub trait Complete {
    /// Choices for the word that ends at byte `cur` of `line`: where that
    /// word starts and the best items, best first. `tab`: the user asked
    /// (else only the live `@` menu is wanted).
    fn complete(&mut self, line: &str, cur: usize, tab: bool) -> Option<(usize, Vec<Item>)>;
    /// The menu closed: drop what was cached for it.
    fn close(&mut self) {}
}

/// An open menu: the word it replaces (from `start` to the cursor), its
/// items and the highlighted one.
pub struct Menu {
    pub start: usize,
    pub items: Vec<Item>,
    pub sel: usize,
    /// Opened by Tab (else by typing `@`).
    pub tab: bool,
}

impl Menu {
    /// The menu's rows for a `w`-column terminal, each after "\r\n".
    pub fn draw(&self, w: usize, color: bool) -> (String, usize) {
        let mut s = String::new();
        for (i, it) in self.items.iter().enumerate() {
            let (on, off) = match i == self.sel && color {
                true => ("\x1b[7m", "\x1b[0m"),
                false => ("", ""),
            };
            let mark = if i == self.sel { '›' } else { ' ' };
            let text = clip(&it.text, w.saturating_sub(4).max(8));
            let room = w.saturating_sub(super::width::str_width(&text) + 6);
            let note = match (it.note.is_empty(), room > 8, color) {
                (false, true, true) => format!("  \x1b[2m{}\x1b[0m", clip(&it.note, room)),
                (false, true, false) => format!("  {}", clip(&it.note, room)),
                _ => String::new(),
            };
            s.push_str(&format!("\r\n{mark} {on}{text}{off}{note}"));
        }
        (s, self.items.len())
    }

    pub fn step(&mut self, by: isize) {
        let n = self.items.len() as isize;
        if n > 0 {
            self.sel = (self.sel as isize + by).rem_euclid(n) as usize;
        }
    }

    pub fn chosen(&self) -> Option<&Item> {
        self.items.get(self.sel)
    }
}

/// How well `query` matches `cand` as a subsequence, ignoring case:
/// `None` when it does not. Runs of adjacent letters and letters at the
/// start of a path part or word score more; shorter candidates win ties.
pub fn score(query: &str, cand: &str) -> Option<i64> {
    let mut q = query.chars().map(|c| c.to_ascii_lowercase()).peekable();
    let mut total = 0i64;
    let mut prev: Option<char> = None;
    let mut run = 0i64;
    for c in cand.chars() {
        let Some(&want) = q.peek() else { break };
        if c.to_ascii_lowercase() == want {
            q.next();
            run += 1;
            let start = prev.is_none_or(|p| "/_-. ".contains(p));
            total += 1 + 4 * (run - 1).min(6) + if start { 6 } else { 0 };
        } else {
            run = 0;
        }
        prev = Some(c);
    }
    if q.peek().is_some() {
        return None;
    }
    // The last part of a path counts more: `@main` prefers src/main.rs.
    let base = cand
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(cand);
    if !query.is_empty()
        && base
            .to_ascii_lowercase()
            .contains(&query.to_ascii_lowercase())
    {
        total += 20;
    }
    Some(total * 1000 - cand.len() as i64)
}

/// The best `SHOWN` of `cands` for `query`, best first.
pub fn rank<'a>(query: &str, cands: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Item> {
    let mut scored: Vec<(i64, &str, &str)> = cands
        .filter_map(|(t, n)| score(query, t).map(|s| (s, t, n)))
        .collect();
    crate::sort::by(&mut scored, |a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(SHOWN)
        .map(|(_, t, n)| Item {
            text: t.to_string(),
            note: n.to_string(),
        })
        .collect()
}

/// The REPL's completer: what it needs of the run, taken before each input.
pub struct Completer {
    pub root: PathBuf,
    pub sessions: Option<PathBuf>,
    /// Model ids to offer `/model`: the config's and the provider's.
    pub models: Vec<String>,
    /// The skills' names and descriptions, offered as `/NAME`.
    pub skills: Vec<(String, String)>,
    /// Workspace paths (folders end in `/`), listed on the first `@`.
    paths: Option<Vec<String>>,
}

impl Completer {
    pub fn new(root: PathBuf, sessions: Option<PathBuf>, models: Vec<String>) -> Completer {
        Completer {
            root,
            sessions,
            models,
            skills: Vec::new(),
            paths: None,
        }
    }

    fn paths(&mut self) -> &[String] {
        let root = self.root.clone();
        self.paths.get_or_insert_with(|| {
            let mut v = Vec::new();
            let _ = crate::tool::walk::walk(&root, &root, &mut |_, rel, dir| {
                v.push(if dir {
                    format!("{rel}/")
                } else {
                    rel.to_string()
                });
                match v.len() < MAX_PATHS {
                    true => crate::tool::walk::Flow::Continue,
                    false => crate::tool::walk::Flow::Stop,
                }
            });
            v
        })
    }

    /// The values `arg` may take, with a note each.
    fn values(&self, arg: Arg) -> Vec<(String, String)> {
        let plain = |v: &[&str]| v.iter().map(|s| (s.to_string(), String::new())).collect();
        match arg {
            Arg::None => Vec::new(),
            Arg::Permission => crate::permission::Permission::ALL
                .iter()
                .map(|p| (p.label().to_string(), String::new()))
                .collect(),
            Arg::Thinking => plain(&["off", "low", "medium", "high"]),
            Arg::Prompt => {
                let (_, _, dirs) = super::switch::dirs();
                plain_owned(crate::modes::list(&dirs).0)
            }
            Arg::Model => plain_owned(self.models.clone()),
            Arg::Session => {
                let Some(dir) = &self.sessions else {
                    return Vec::new();
                };
                crate::session::files(dir)
                    .iter()
                    .take(MAX_SESSIONS)
                    .filter_map(|p| crate::session::info(p))
                    .map(|i| (i.id, i.first_prompt))
                    .collect()
            }
        }
    }
}

fn plain_owned(v: Vec<String>) -> Vec<(String, String)> {
    v.into_iter().map(|s| (s, String::new())).collect()
}

impl Complete for Completer {
    fn complete(&mut self, line: &str, cur: usize, tab: bool) -> Option<(usize, Vec<Item>)> {
        let before = line.get(..cur)?;
        let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let word = before.get(start..)?;
        if let Some(q) = word.strip_prefix('@') {
            let cands = self.paths().iter().map(|p| (p.as_str(), ""));
            let mut items = rank(q, cands);
            items.iter_mut().for_each(|i| i.text.insert(0, '@'));
            return Some((start, items)).filter(|(_, v)| !v.is_empty());
        }
        if !tab || !line.starts_with('/') {
            return None;
        }
        let cmd = line.trim_start_matches('/');
        let cmd = cmd.split(char::is_whitespace).next().unwrap_or("");
        let items = if start == 0 {
            let names: Vec<(String, String)> = COMMANDS
                .iter()
                .map(|c| (format!("/{}", c.name), format!("{} {}", c.args, c.help)))
                .chain(
                    self.skills
                        .iter()
                        .map(|(n, d)| (format!("/{n}"), d.clone())),
                )
                .collect();
            let q = word.trim_start_matches('/');
            let mut v = rank(q, names.iter().map(|(a, b)| (&a[1..], b.as_str())));
            v.iter_mut().for_each(|i| i.text.insert(0, '/'));
            v
        } else if before.get(..start)?.split_whitespace().count() == 1 {
            let arg = COMMANDS.iter().find(|c| c.name == cmd)?.arg;
            let vals = self.values(arg);
            rank(word, vals.iter().map(|(a, b)| (a.as_str(), b.as_str())))
        } else {
            Vec::new()
        };
        // Words that start as typed beat fuzzy matches (`au` is auto, not cautious).
        let lower = word.to_ascii_lowercase();
        let prefixed = |i: &Item| i.text.to_ascii_lowercase().starts_with(&lower);
        let items = match items.iter().any(prefixed) {
            true => items.into_iter().filter(prefixed).collect(),
            false => items,
        };
        Some((start, items)).filter(|(_, v)| !v.is_empty())
    }

    fn close(&mut self) {
        self.paths = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_ranks_the_file_name_first() {
        let paths = [
            "src/tool/main_test.rs",
            "src/main.rs",
            "docs/maintenance.md",
            "x",
        ];
        let got = rank("main", paths.iter().map(|p| (*p, "")));
        let texts: Vec<&str> = got.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert_eq!(texts[0], "src/main.rs");
        assert!(score("smr", "src/main.rs").is_some());
        assert!(score("rsm", "src/main.rs").is_none());
    }

    #[test]
    fn completes_commands_arguments_and_paths() {
        let d = std::env::temp_dir().join(format!("mote-complete-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("src/deep")).unwrap();
        std::fs::create_dir_all(d.join("target")).unwrap();
        std::fs::write(d.join(".gitignore"), "target/\n").unwrap();
        std::fs::write(d.join("src/deep/needle.rs"), "").unwrap();
        std::fs::write(d.join("target/needle.o"), "").unwrap();
        let mut c = Completer::new(d.clone(), None, vec!["gpt-x".into(), "claude-y".into()]);
        let (s, v) = c.complete("/mo", 3, true).unwrap();
        assert_eq!(s, 0);
        assert_eq!(v[0].text, "/mode");
        assert_eq!(v[1].text, "/model");
        let (s, v) = c.complete("/mode st", 8, true).unwrap();
        assert_eq!((s, v[0].text.as_str()), (6, "standard"));
        let (_, v) = c.complete("/model cl", 9, true).unwrap();
        assert_eq!(v[0].text, "claude-y");
        let (s, v) = c.complete("see @needl", 10, false).unwrap();
        assert_eq!(s, 4);
        let texts: Vec<&str> = v.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(
            texts,
            ["@src/deep/needle.rs"],
            "ignored files are not offered"
        );
        assert!(
            c.complete("/mo", 3, false).is_none(),
            "commands wait for Tab"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}

//! `@path` mentions in a prompt (interactive or `-p`): each names a file
//! (`@src/main.rs`, or lines of it: `@src/main.rs:10-40`) or a folder
//! (`@src/`) whose content is attached below the prompt. The content comes
//! from the `read` and `ls` tools through `Agent::call_tool`, so a mention
//! passes the same workspace confinement, permission rules and caps as the
//! model's own reads: `@../../etc/passwd` or a symlink out attaches nothing.
//! A mentioned image file is attached as an image (the read tool's own
//! attachment). So is an image path pasted into the prompt (a screenshot's
//! `/tmp/shot.png`, quoted or with `\ ` escapes as terminals paste them):
//! the user typed it, so it may lie outside the workspace, but only a
//! PNG, JPEG, GIF or WebP file (by its bytes) is ever attached that way.

use crate::agent::Agent;
use std::path::Path;

/// Most mentions attached from one prompt.
const MAX: usize = 20;

/// One `@` mention: the path as written, and a line range if one was given.
#[derive(Debug, PartialEq)]
pub struct Mention<'a> {
    pub path: &'a str,
    pub lines: Option<(u64, u64)>,
}

/// The mentions in `prompt`: an `@` at the start or after white space,
/// then the path up to the next white space, without trailing punctuation.
pub fn find(prompt: &str) -> Vec<Mention<'_>> {
    let mut out: Vec<Mention> = Vec::new();
    let mut prev = ' ';
    for (i, c) in prompt.char_indices() {
        if c == '@' && prev.is_whitespace() {
            let rest = prompt.get(i + 1..).unwrap_or("");
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = rest
                .get(..end)
                .unwrap_or("")
                .trim_end_matches(|c: char| ",.;!?)]}'\"".contains(c));
            if let Some(m) = parse(word).filter(|m| !out.contains(m)) {
                out.push(m);
            }
        }
        prev = c;
    }
    out
}

/// `path`, `path:N` or `path:A-B`.
fn parse(word: &str) -> Option<Mention<'_>> {
    if word.is_empty() {
        return None;
    }
    let range = word.rsplit_once(':').and_then(|(p, r)| {
        let (a, b) = r.split_once('-').unwrap_or((r, r));
        let (a, b) = (a.parse::<u64>().ok()?, b.parse::<u64>().ok()?);
        (a >= 1 && b >= a && !p.is_empty()).then_some((p, (a, b)))
    });
    Some(match range {
        Some((path, lines)) => Mention {
            path,
            lines: Some(lines),
        },
        None => Mention {
            path: word,
            lines: None,
        },
    })
}

/// The prompt as sent: `prompt` with each mentioned file's or folder's
/// content attached, and notes for the user on what could not be.
/// A word after `@` that names nothing on disk is left alone (it may be a
/// handle or a decorator), without a note.
pub fn attach(agent: &mut Agent, root: &Path, prompt: &str) -> (String, Vec<String>) {
    let mut text = prompt.to_string();
    let mut notes = Vec::new();
    for m in find(prompt).iter().take(MAX) {
        let Ok(meta) = std::fs::metadata(root.join(m.path)) else {
            continue;
        };
        let mut args = b"{\"path\":".to_vec();
        let _ = crate::json::write::string(&mut args, m.path);
        let (tool, tag) = match (meta.is_dir(), m.lines) {
            (true, _) => ("ls", "folder"),
            (false, Some((a, b))) => {
                args.extend_from_slice(
                    format!(",\"offset\":{a},\"limit\":{}", b - a + 1).as_bytes(),
                );
                ("read", "file")
            }
            (false, None) => ("read", "file"),
        };
        args.push(b'}');
        match agent.call_tool("mention", tool, &String::from_utf8_lossy(&args)) {
            Ok(body) => {
                let lines = m
                    .lines
                    .map_or(String::new(), |(a, b)| format!(" lines=\"{a}-{b}\""));
                let body = body.trim_end_matches('\n');
                text.push_str(&format!(
                    "\n\n<{tag} path=\"{}\"{lines}>\n{body}\n</{tag}>",
                    m.path
                ));
            }
            Err(e) => notes.push(format!("@{} not attached: {e}", m.path)),
        }
    }
    for p in pasted(prompt).iter().take(MAX) {
        let path = match p.strip_prefix("~/").zip(std::env::var_os("HOME")) {
            Some((rest, home)) => Path::new(&home).join(rest),
            None => root.join(p),
        };
        if let Err(e) = agent.attach_image(&path) {
            notes.push(e);
        }
    }
    (text, notes)
}

/// Image file extensions a pasted path may end in.
const IMAGE_EXT: &[&str] = &[".png", ".jpg", ".jpeg", ".gif", ".webp"];

/// Paths in `prompt` that end in an image extension and are not `@`
/// mentions: words, `'quoted'` or `"quoted"` runs, `\ ` escapes undone,
/// `file://` dropped.
pub fn pasted(prompt: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = prompt.chars().chain([' ']);
    while let Some(c) = chars.next() {
        match (c, quote) {
            ('\\', None) => word.extend(chars.next()),
            ('\'' | '"', None) if word.is_empty() => quote = Some(c),
            (c, Some(q)) if c == q => quote = None,
            (c, None) if c.is_whitespace() => {
                let w = std::mem::take(&mut word);
                let w = w.strip_prefix("file://").unwrap_or(&w);
                let w = w.trim_end_matches(|c: char| ",.:;!?)]}".contains(c));
                let lower = w.to_ascii_lowercase();
                let image = IMAGE_EXT.iter().any(|e| lower.ends_with(e));
                if image && !w.starts_with('@') && !out.iter().any(|o| o == w) {
                    out.push(w.to_string());
                }
            }
            (c, _) => word.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(path: &str, lines: Option<(u64, u64)>) -> Mention<'_> {
        Mention { path, lines }
    }

    #[test]
    fn finds_mentions() {
        assert_eq!(
            find("see @src/a.rs, and @b.txt:10-40 or @c:7; mail x@y.z @@"),
            [
                m("src/a.rs", None),
                m("b.txt", Some((10, 40))),
                m("c", Some((7, 7))),
                m("@", None)
            ]
        );
        assert_eq!(
            find("@dir/ @dir/ @x:5-2"),
            [m("dir/", None), m("x:5-2", None)]
        );
        assert!(find("no mentions@here").is_empty());
    }

    #[test]
    fn finds_pasted_image_paths() {
        assert_eq!(
            pasted(
                "see '/tmp/my shot.png' and /home/u/a\\ b.JPG, file:///x/y.webp @z.png notes.txt \"q.gif\""
            ),
            ["/tmp/my shot.png", "/home/u/a b.JPG", "/x/y.webp", "q.gif"]
        );
        assert_eq!(pasted("look at here.png. or here"), ["here.png"]);
    }
}

//! `/export [FILE]`: the conversation as Markdown: each user prompt and
//! answer under its own heading, each tool call folded in a `<details>`
//! block with its arguments and result. Written where the user says
//! (default `mote-SESSION.md` in the current directory).

use std::fmt::Write as _;

use super::screen::say;
use super::{Flow, Repl};
use crate::arena::{Arena, Msg};

pub fn run(r: &mut Repl, arg: &str) -> Flow {
    let name = match (arg, &r.conv.log().writer) {
        ("", Some(w)) => format!("mote-{}.md", w.id),
        ("", None) => format!("mote-{}.md", crate::session::new_id(crate::session::now())),
        (a, _) => a.to_string(),
    };
    let md = markdown(r.conv.arena());
    match std::fs::write(&name, md.as_bytes()) {
        Ok(()) => say(&format!(
            "exported {} messages to {name}\n",
            r.conv.arena().messages().count()
        )),
        Err(e) => say(&format!("/export: cannot write {name}: {e}\n")),
    }
    Flow::Continue
}

/// The conversation in `arena` as a Markdown document.
pub fn markdown(arena: &Arena) -> String {
    let mut s = String::from("# mote conversation\n");
    let mut calls: Vec<(String, String, String)> = Vec::new();
    for m in arena.messages() {
        match m {
            Msg::User(t) => {
                let _ = write!(s, "\n## User\n\n{}\n", t.unescape().trim_end());
            }
            Msg::Image(img) => {
                let _ = write!(s, "\n[image: {} ({})]\n", img.path, img.media);
            }
            Msg::Assistant { text, calls: c, .. } => {
                let text = text.unescape();
                if !text.trim().is_empty() {
                    let _ = write!(s, "\n## Assistant\n\n{}\n", text.trim_end());
                }
                calls = c
                    .iter()
                    .map(|c| {
                        let args = c.args.unescape().into_owned();
                        (
                            c.id.unescape().into_owned(),
                            c.name.unescape().into_owned(),
                            args,
                        )
                    })
                    .collect();
            }
            Msg::Result {
                id,
                name,
                text,
                error,
            } => {
                let id = id.unescape();
                let args = calls
                    .iter()
                    .find(|c| c.0 == id)
                    .map_or(String::new(), |c| c.2.clone());
                let name = name.unescape();
                let summary = crate::tui::screen::key_arg(&name, &args);
                let failed = if error { " (failed)" } else { "" };
                let _ = write!(
                    s,
                    "\n<details><summary>{}{failed}</summary>\n\n{}\n{}\n</details>\n",
                    html(&format!("{name} {summary}")),
                    fenced("json", &args),
                    fenced("", &text.unescape())
                );
            }
        }
    }
    s
}

/// `text` in a code fence longer than any backtick run inside it.
fn fenced(lang: &str, text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{lang}\n{}\n{fence}\n", text.trim_end_matches('\n'))
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_fold_into_details() {
        let mut a = Arena::new();
        a.user("fix it");
        a.push(
            crate::arena::Role::Assistant,
            crate::arena::Kind::Text,
            "Looking.",
        );
        a.call("c1", "bash", r#"{"command":"cat <x> ```"}"#);
        a.result("c1", "bash", "out ``` put\nexit code: 0", false);
        a.push(
            crate::arena::Role::Assistant,
            crate::arena::Kind::Text,
            "Done.",
        );
        let md = markdown(&a);
        assert!(md.contains("## User\n\nfix it\n"), "{md}");
        assert!(md.contains("## Assistant\n\nLooking.\n"), "{md}");
        assert!(
            md.contains("<details><summary>bash cat &lt;x&gt; ```</summary>"),
            "{md}"
        );
        assert!(md.contains("````\nout ``` put\nexit code: 0\n````"), "{md}");
        assert!(md.contains("## Assistant\n\nDone.\n"), "{md}");
    }
}

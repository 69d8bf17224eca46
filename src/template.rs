//! Prompt template expansion: `$ARGUMENTS` is everything after `/name`,
//! `$1`, `$2` ... its words (quotes group words, as in a shell, and are
//! removed); a missing word expands to nothing. Any other `$` is kept.
//! Then a command file's `` !`cmd` `` runs (`commands`).

/// The arguments split into words; `"a b"` and `'a b'` are one word.
pub fn words(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in args.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Run each `` !`cmd` `` in `text` (Claude Code's command-file syntax: `!`
/// then a backquoted command on one line) through `run`, the permission
/// gate's bash call, and put its output in its place; output is not
/// scanned again. A command that does not run leaves a note in its place
/// and one for the user.
pub fn commands(
    text: &str,
    run: &mut dyn FnMut(&str) -> Result<String, String>,
) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut notes = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('!') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let tail = rest.get(i..).unwrap_or("");
        let found = tail.strip_prefix("!`").and_then(|t| t.split_once('`'));
        let Some((cmd, after)) = found.filter(|(c, _)| !c.trim().is_empty() && !c.contains('\n'))
        else {
            out.push('!');
            rest = tail.get(1..).unwrap_or("");
            continue;
        };
        let cmd = cmd.trim();
        match run(cmd) {
            // The bash tool's success line is noise in a prompt.
            Ok(o) => out.push_str(o.strip_suffix("exit code: 0").unwrap_or(&o).trim_end()),
            Err(e) => {
                let note = format!("!`{cmd}` did not run: {}", e.lines().next().unwrap_or(""));
                out.push('[');
                out.push_str(note.get(1..).unwrap_or(""));
                out.push(']');
                notes.push(note);
            }
        }
        rest = after;
    }
    out.push_str(rest);
    (out, notes)
}

pub fn expand(body: &str, args: &str) -> String {
    let w = words(args);
    let mut out = String::with_capacity(body.len() + args.len());
    let mut rest = body;
    while let Some(i) = rest.find('$') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        if let Some(tail) = after.strip_prefix("ARGUMENTS") {
            out.push_str(args);
            rest = tail;
            continue;
        }
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after
            .get(..digits)
            .and_then(|d| d.parse::<usize>().ok())
            .filter(|n| *n > 0)
        {
            Some(n) => {
                out.push_str(w.get(n - 1).map_or("", String::as_str));
                rest = after.get(digits..).unwrap_or("");
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_arguments_and_positions() {
        assert_eq!(
            expand("Fix #$1 in $2 ($ARGUMENTS); $3.", "12 'src/a b.rs'"),
            "Fix #12 in src/a b.rs (12 'src/a b.rs'); ."
        );
        assert_eq!(
            expand("cost $5 and $ and $0 and $x", ""),
            "cost  and $ and $0 and $x"
        );
        assert_eq!(expand("$10$1", "a b c d e f g h i j"), "ja");
        assert_eq!(
            words(r#"  one "two three"  ''  four"#),
            ["one", "two three", "", "four"]
        );
        assert_eq!(expand("é$1é", "ü"), "éüé");
    }

    #[test]
    fn runs_backquoted_commands_once() {
        let mut ran = Vec::new();
        let mut run = |c: &str| {
            ran.push(c.to_string());
            match c {
                "no" => Err("denied by the gate\nmore".to_string()),
                _ => Ok(format!("<{c}> !`again`\nexit code: 0")),
            }
        };
        let (t, notes) = commands(
            "a !`git status` b\n!`no`\n![img](x) !`` !`open\nline` é",
            &mut run,
        );
        assert_eq!(
            t,
            "a <git status> !`again` b\n[`no` did not run: denied by the gate]\n![img](x) !`` !`open\nline` é"
        );
        assert_eq!(ran, ["git status", "no"]);
        assert_eq!(notes, ["!`no` did not run: denied by the gate"]);
    }
}

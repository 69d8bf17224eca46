//! Lists, pipelines and simple commands: how words become commands,
//! the separators and groups between them, redirections and the
//! here-documents they announce.

use super::{is_meta, is_name, Simple, P};
use super::{Redir, Word};

/// Words that start a compound command and are dropped (their bodies are
/// ordinary commands), and those the parser refuses.
const SKIP: &[&str] = &[
    "{", "}", "!", "if", "then", "else", "elif", "fi", "while", "until", "do", "done", "time",
];
const REFUSE: &[&str] = &[
    "for", "case", "esac", "select", "function", "[[", "]]", "coproc", "in",
];

impl P {
    pub(super) fn flush(&mut self, cur: &mut Simple) {
        let c = std::mem::take(cur);
        if !c.is_empty() {
            self.out.cmds.push(c);
        }
    }

    /// Parse commands until the end, or until `)` closes a `$(` / `<(`.
    pub(super) fn list(&mut self, term: Option<char>) {
        self.depth += 1;
        if self.depth > 64 {
            self.problem("nesting too deep");
            self.i = self.s.len();
        }
        let mut cur = Simple::default();
        let mut parens = 0u32;
        // A here-document pending outside a substitution: bash does not read
        // its body at a newline inside the substitution.
        let pending = self.heredocs.len();
        loop {
            let Some(c) = self.peek() else {
                self.flush(&mut cur);
                if term.is_some() {
                    self.problem("unterminated substitution");
                }
                if parens > 0 {
                    self.problem("unbalanced `(`");
                }
                break;
            };
            match c {
                ' ' | '\t' => self.i += 1,
                '\\' if self.at(1) == Some('\n') => self.i += 2,
                '#' => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                }
                '\n' => {
                    self.flush(&mut cur);
                    self.i += 1;
                    if term.is_some() && pending > 0 {
                        self.problem(
                            "a newline inside a substitution with a here-document pending",
                        );
                    }
                    self.read_heredocs();
                }
                ';' => {
                    if self.at(1) == Some(';') || self.at(1) == Some('&') {
                        self.problem("`case` syntax");
                    }
                    self.flush(&mut cur);
                    self.i += 1;
                }
                '&' if self.at(1) == Some('>') => {
                    let op = if self.at(2) == Some('>') { "&>>" } else { "&>" };
                    self.i += op.len();
                    self.redirect(&mut cur, None, op);
                }
                '&' | '|' => {
                    self.flush(&mut cur);
                    // One character, or two: `&&`, `||`, `|&`.
                    self.i += 1 + usize::from(matches!(self.at(1), Some('&' | '|')));
                }
                '(' => {
                    if self.at(1) == Some('(') {
                        self.problem("arithmetic command `((`");
                    } else if !cur.words.is_empty() {
                        self.problem("function definition");
                    }
                    self.flush(&mut cur);
                    parens += 1;
                    self.i += 1;
                }
                ')' => {
                    self.flush(&mut cur);
                    self.i += 1;
                    if parens == 0 {
                        if term == Some(')') {
                            if self.heredocs.len() > pending {
                                self.problem("a here-document left open in a substitution");
                            }
                            break;
                        }
                        self.problem("unbalanced `)`");
                    } else {
                        parens -= 1;
                    }
                }
                '<' | '>' if self.at(1) == Some('(') => self.word_into(&mut cur),
                '<' | '>' => self.redirect_op(&mut cur, None),
                _ => self.word_into(&mut cur),
            }
        }
        self.depth -= 1;
    }

    pub(super) fn word_into(&mut self, cur: &mut Simple) {
        let w = self.word();
        // `2>file`: an fd number glued to a redirection.
        if !w.quoted && !w.text.is_empty() && w.text.bytes().all(|b| b.is_ascii_digit()) {
            if let Some('<' | '>') = self.peek() {
                let fd = w.text.parse().ok();
                return self.redirect_op(cur, fd);
            }
        }
        if w.text.starts_with('{') && matches!(self.peek(), Some('<' | '>')) {
            // `{name}>file` assigns a descriptor to a name, which may be an
            // array element evaluated as arithmetic.
            self.problem("a named file-descriptor redirection `{name}>`");
        }
        if cur.words.is_empty() {
            let plain = w.text.get(..w.plain).unwrap_or("");
            if let Some((name, _)) = plain.split_once('=') {
                if is_name(name) {
                    let value = w.text.get(name.len() + 1..).unwrap_or("").to_string();
                    cur.assigns.push((
                        name.to_string(),
                        Word {
                            text: value,
                            plain: 0,
                            ..w
                        },
                    ));
                    return;
                }
            }
            if !w.quoted && !w.dynamic && SKIP.contains(&w.text.as_str()) {
                return;
            }
            if !w.quoted && !w.dynamic && REFUSE.contains(&w.text.as_str()) {
                self.problem(&format!(
                    "`{}` is not understood by the command checker",
                    w.text
                ));
            }
        }
        cur.words.push(w);
    }

    pub(super) fn redirect_op(&mut self, cur: &mut Simple, fd: Option<u32>) {
        const OPS: &[&str] = &["<<<", "<<-", "<<", "<>", "<&", "<", ">>", ">|", ">&", ">"];
        let rest: String = self.s.iter().skip(self.i).take(3).collect();
        let op = OPS
            .iter()
            .copied()
            .find(|op| rest.starts_with(op))
            .unwrap_or(">");
        self.i += op.len();
        self.redirect(cur, fd, op);
    }

    pub(super) fn redirect(&mut self, cur: &mut Simple, fd: Option<u32>, op: &'static str) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.i += 1;
        }
        if self
            .peek()
            .is_none_or(|c| is_meta(c) && !((c == '<' || c == '>') && self.at(1) == Some('(')))
        {
            self.problem("redirection without a target");
            return;
        }
        let from = self.i;
        let target = self.word();
        if op == "<<" || op == "<<-" {
            let raw: String = self.s.get(from..self.i).unwrap_or(&[]).iter().collect();
            match delimiter(&raw) {
                Ok((d, quoted)) => self.heredocs.push((d, op == "<<-", quoted)),
                Err(e) => self.problem(e),
            }
        }
        cur.redirs.push(Redir { fd, op, target });
    }

    /// Consume the bodies of pending here-documents (after a newline). An
    /// unquoted body is expanded like a double-quoted word, so its
    /// substitutions are commands and its expansions are checked too.
    pub(super) fn read_heredocs(&mut self) {
        for (delim, strip, quoted) in std::mem::take(&mut self.heredocs) {
            let mut body = String::new();
            while self.peek().is_some() {
                let start = self.i;
                while self.peek().is_some_and(|c| c != '\n') {
                    self.i += 1;
                }
                let line: String = self.s.get(start..self.i).unwrap_or(&[]).iter().collect();
                self.i += 1;
                let cmp = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line.as_str()
                };
                if cmp == delim {
                    break;
                }
                if !quoted && line.ends_with('\\') {
                    // bash joins the next line, which may then hide the delimiter.
                    self.problem("a line continuation in a here-document");
                }
                body.push_str(&line);
                body.push('\n');
            }
            if !quoted {
                self.expansions_in(&body);
            }
        }
    }
}

/// A here-document delimiter as bash computes it from the word as
/// written: quotes removed (`$'..'` and `$"..."` too), and whether any part
/// was quoted. Expansions, escapes inside `$'..'` and backticks are refused
/// rather than imitated.
fn delimiter(raw: &str) -> Result<(String, bool), &'static str> {
    const HARD: &str = "a here-document delimiter with an expansion or an escape";
    let mut out = String::new();
    let mut quoted = false;
    let mut c = raw.chars().peekable();
    while let Some(ch) = c.next() {
        let close = match ch {
            '$' if matches!(c.peek(), Some('\'' | '"')) => c.next(),
            '\'' | '"' => Some(ch),
            '\\' => {
                quoted = true;
                out.push(c.next().ok_or(HARD)?);
                continue;
            }
            '$' | '`' => return Err(HARD),
            _ => {
                out.push(ch);
                continue;
            }
        };
        quoted = true;
        loop {
            match c.next() {
                None => return Err(HARD),
                Some(q) if Some(q) == close => break,
                Some('\\' | '$' | '`')
                    if close == Some('"') || close == Some('\'') && ch == '$' =>
                {
                    return Err(HARD)
                }
                Some(q) => out.push(q),
            }
        }
    }
    Ok((out, quoted))
}

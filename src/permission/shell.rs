//! A POSIX sh / bash tokenizer and parser, just deep enough to judge a
//! command: it splits lists and pipelines (`; && || | & newline`), groups
//! and subshells, finds every command substitution (`$()`, backticks,
//! `<()`, `>()`) and parses its inside as commands too, and records env
//! assignments, redirections and here-documents. Words whose value is only
//! known at run time (variables, globs, substitutions) are marked dynamic.
//! Syntax it does not model (case, for, functions, arithmetic) is reported
//! as a problem, so the caller can ask instead of guessing.

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Word {
    /// The word after quote removal; dynamic parts are kept as written.
    pub text: String,
    /// Part of the value is decided when the shell runs.
    pub dynamic: bool,
    /// Some part was quoted (matters for here-document delimiters).
    pub quoted: bool,
    /// Bytes of `text` before the first quote or expansion.
    pub plain: usize,
    /// An unquoted expansion may split it into several words.
    pub split: bool,
}

impl Word {
    /// Can this word turn into something other than one argument that
    /// starts with its written, plain prefix (an option, several words)?
    pub fn may_become_option(&self) -> bool {
        self.dynamic && (self.split || self.plain == 0 || self.text.starts_with('-'))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Redir {
    pub fd: Option<u32>,
    pub op: &'static str,
    pub target: Word,
}

impl Redir {
    /// Does this redirection open a file for writing?
    pub fn writes(&self) -> bool {
        let dup =
            |t: &Word| !t.dynamic && (t.text == "-" || t.text.bytes().all(|b| b.is_ascii_digit()));
        match self.op {
            ">" | ">>" | ">|" | "&>" | "&>>" | "<>" => true,
            ">&" => !dup(&self.target),
            _ => false,
        }
    }

    /// Writing to a sink that keeps nothing.
    /// bash opens `/dev/tcp/HOST/PORT` as a network connection, either way.
    /// A target with any expansion is not proven: it could name anything
    /// (a here-string is text, and a here-document delimiter is not expanded).
    pub fn harmless(&self) -> bool {
        let t = self.target.text.as_str();
        if t.contains("/dev/tcp") || t.contains("/dev/udp") {
            return false;
        }
        if self.target.dynamic && !matches!(self.op, "<<<" | "<<" | "<<-") {
            return false;
        }
        !self.writes()
            || (!self.target.dynamic && matches!(t, "/dev/null" | "/dev/stdout" | "/dev/stderr"))
    }
}

/// One simple command: `A=1 prog arg >out`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Simple {
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
}

impl Simple {
    fn is_empty(&self) -> bool {
        self.assigns.is_empty() && self.words.is_empty() && self.redirs.is_empty()
    }

    /// The words joined by spaces, for rule matching and messages.
    pub fn text(&self) -> String {
        let w: Vec<&str> = self.words.iter().map(|w| w.text.as_str()).collect();
        w.join(" ")
    }
}

#[derive(Debug, Default)]
pub struct Parsed {
    /// Every simple command, including those inside substitutions.
    pub cmds: Vec<Simple>,
    /// Syntax that was not understood; non-empty means "cannot judge".
    pub problems: Vec<String>,
}

pub fn parse(src: &str) -> Parsed {
    let mut p = P {
        s: src.chars().collect(),
        i: 0,
        out: Parsed::default(),
        heredocs: Vec::new(),
        depth: 0,
    };
    p.list(None);
    p.out
}

/// Words that start a compound command and are dropped (their bodies are
/// ordinary commands), and those the parser refuses.
const SKIP: &[&str] = &[
    "{", "}", "!", "if", "then", "else", "elif", "fi", "while", "until", "do", "done", "time",
];
const REFUSE: &[&str] = &[
    "for", "case", "esac", "select", "function", "[[", "]]", "coproc", "in",
];

struct P {
    s: Vec<char>,
    i: usize,
    out: Parsed,
    /// Pending here-documents: (delimiter, strip tabs, quoted).
    heredocs: Vec<(String, bool, bool)>,
    depth: u32,
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

impl P {
    fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }
    fn at(&self, k: usize) -> Option<char> {
        self.s.get(self.i + k).copied()
    }
    fn problem(&mut self, m: &str) {
        if !self.out.problems.iter().any(|p| p == m) {
            self.out.problems.push(m.to_string());
        }
    }

    fn flush(&mut self, cur: &mut Simple) {
        let c = std::mem::take(cur);
        if !c.is_empty() {
            self.out.cmds.push(c);
        }
    }

    /// Parse commands until the end, or until `)` closes a `$(` / `<(`.
    fn list(&mut self, term: Option<char>) {
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
                    self.i += 1;
                    if matches!(self.peek(), Some('&') | Some('|')) {
                        self.i += 1;
                    }
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

    fn word_into(&mut self, cur: &mut Simple) {
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

    fn redirect_op(&mut self, cur: &mut Simple, fd: Option<u32>) {
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

    fn redirect(&mut self, cur: &mut Simple, fd: Option<u32>, op: &'static str) {
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
    fn read_heredocs(&mut self) {
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

    /// Check the expansions in `text` as bash expands a here-document body.
    fn expansions_in(&mut self, text: &str) {
        let mut sub = P {
            s: text.chars().collect(),
            i: 0,
            out: Parsed::default(),
            heredocs: Vec::new(),
            depth: self.depth,
        };
        let mut sink = Word::default();
        while let Some(c) = sub.peek() {
            match c {
                '\\' => sub.i += 2,
                '$' => sub.dollar(&mut sink),
                '`' => sub.backtick(&mut sink),
                _ => sub.i += 1,
            }
        }
        if !sub.heredocs.is_empty() {
            sub.problem("a here-document inside a here-document");
        }
        self.out.cmds.extend(sub.out.cmds);
        for p in sub.out.problems {
            self.problem(&p);
        }
    }

    /// The rest of a double-quoted part, cursor after the opening `"`.
    fn double_quoted(&mut self, w: &mut Word) {
        loop {
            match self.peek() {
                None => {
                    self.problem("unterminated quote");
                    break;
                }
                Some('"') => {
                    self.i += 1;
                    break;
                }
                Some('\\') => {
                    match self.at(1) {
                        Some('\n') => {}
                        Some(n @ ('$' | '`' | '"' | '\\')) => w.text.push(n),
                        Some(n) => {
                            w.text.push('\\');
                            w.text.push(n);
                        }
                        None => w.text.push('\\'),
                    }
                    self.i += 2;
                }
                Some('$') => self.dollar(w),
                Some('`') => self.backtick(w),
                Some(c) => {
                    w.text.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// One word, up to an unquoted metacharacter.
    fn word(&mut self) -> Word {
        let mut w = Word::default();
        let first = self.i;
        let mut plain = None;
        let mut brace = false;
        while let Some(c) = self.peek() {
            if plain.is_none()
                && matches!(
                    c,
                    '\\' | '\'' | '"' | '$' | '`' | '*' | '?' | '[' | '{' | '~' | '<' | '>'
                )
            {
                plain = Some(w.text.len());
            }
            match c {
                '<' | '>' if self.at(1) == Some('(') && self.i == first => {
                    self.i += 2;
                    self.list(Some(')'));
                    w.dynamic = true;
                    w.text.push_str("<(...)");
                }
                c if is_meta(c) => break,
                '\\' => {
                    w.quoted = true;
                    match self.at(1) {
                        Some('\n') => {}
                        Some(n) => w.text.push(n),
                        None => w.text.push('\\'),
                    }
                    self.i += 2;
                }
                '\'' => {
                    w.quoted = true;
                    self.i += 1;
                    loop {
                        match self.peek() {
                            None => {
                                self.problem("unterminated quote");
                                break;
                            }
                            Some('\'') => {
                                self.i += 1;
                                break;
                            }
                            Some(c) => {
                                w.text.push(c);
                                self.i += 1;
                            }
                        }
                    }
                }
                '"' => {
                    w.quoted = true;
                    self.i += 1;
                    self.double_quoted(&mut w);
                }
                '$' => {
                    w.split |= !matches!(self.at(1), Some('\'' | '"'));
                    self.dollar(&mut w);
                }
                '`' => {
                    w.split = true;
                    self.backtick(&mut w);
                }
                '{' => {
                    // Brace expansion needs a comma or `..` inside.
                    brace = true;
                    w.text.push(c);
                    self.i += 1;
                }
                '*' | '?' | '[' => {
                    // Globs and brace expansion decide the words at run time.
                    w.dynamic = true;
                    w.text.push(c);
                    self.i += 1;
                }
                '~' if self.i == first => {
                    w.dynamic = true;
                    w.text.push(c);
                    self.i += 1;
                }
                c => {
                    w.text.push(c);
                    self.i += 1;
                }
            }
        }
        w.plain = plain.unwrap_or(w.text.len());
        w.dynamic |= brace && (w.text.contains(',') || w.text.contains(".."));
        // A lone `[` (the test command) matches only itself.
        w.dynamic &= w.text != "[";
        w
    }

    /// `$...` at the cursor.
    fn dollar(&mut self, w: &mut Word) {
        let start = self.i;
        let was = w.dynamic;
        w.dynamic = true;
        match self.at(1) {
            Some('(') if self.at(2) == Some('(') => {
                self.i += 3;
                self.arithmetic('(', ')');
            }
            Some('[') => {
                self.i += 2;
                self.arithmetic('[', ']');
            }
            Some('(') => {
                self.i += 2;
                self.list(Some(')'));
                w.text.push_str("$(...)");
                return;
            }
            Some('{') => {
                self.i += 2;
                self.param();
            }
            Some('\'') => {
                // ANSI-C quoting: any escape may hide any byte.
                self.i += 2;
                while let Some(c) = self.peek() {
                    self.i += 1;
                    if c == '\\' {
                        self.i += 1;
                    } else if c == '\'' {
                        break;
                    }
                }
                w.quoted = true;
            }
            Some('"') => {
                // Locale translation: the text may be replaced at run time.
                self.i += 1;
                let mut inner = Word::default();
                self.double_quoted(&mut inner);
                w.quoted = true;
                w.text.push_str(&inner.text);
                return;
            }
            Some(c) if c.is_ascii_alphanumeric() || "_@*#?$!-".contains(c) => {
                self.i += 2;
                if c.is_ascii_alphabetic() || c == '_' {
                    while self
                        .peek()
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                    {
                        self.i += 1;
                    }
                }
            }
            _ => {
                w.dynamic = was;
                w.text.push('$');
                self.i += 1;
                return;
            }
        }
        let end = self.i.min(self.s.len());
        w.text.extend(self.s.get(start..end).unwrap_or(&[]).iter());
    }

    /// The inside of `$((...))` or `$[...]`, cursor after the opener. bash
    /// expands it and then evaluates every name in it as arithmetic, which
    /// evaluates a variable's value (`a[$(cmd)]`) too; so only numbers and
    /// operators pass.
    fn arithmetic(&mut self, open: char, close: char) {
        let mut depth = 0u32;
        let mut safe = true;
        loop {
            let Some(c) = self.peek() else {
                self.problem("unterminated arithmetic expansion");
                return;
            };
            self.i += 1;
            if c == open {
                depth += 1;
                safe &= open == '(';
            } else if c == close && depth > 0 {
                depth -= 1;
            } else if c == close {
                if open == '(' && self.peek() != Some(')') {
                    safe = false;
                    continue;
                }
                self.i += usize::from(open == '(');
                break;
            } else if !(c.is_ascii_digit()
                || c.is_ascii_whitespace()
                || "+-*/%<>=!&|^~?:,()".contains(c))
            {
                safe = false;
            }
        }
        if !safe {
            self.problem("arithmetic with a name or a substitution (bash evaluates the values of variables there)");
        }
    }

    /// The inside of `${...}`, cursor after `${`: the forms whose every
    /// part is plain text, a pattern or a word. Indirection, `@`
    /// transformations, assignments, array subscripts and substring
    /// offsets (all evaluated at run time, some as arithmetic) are problems.
    fn param(&mut self) {
        self.depth += 1;
        if self.depth > 64 {
            self.problem("nesting too deep");
            self.i = self.s.len();
        }
        if self.peek() == Some('#') && self.at(1).is_some_and(|c| c != '}') {
            self.i += 1; // `${#x}`: the length
        }
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.i += 1;
                }
            }
            Some(c) if c.is_ascii_digit() => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
            }
            Some('@' | '*' | '#' | '?' | '$' | '-') => self.i += 1,
            Some('!') => self.problem("indirect expansion `${!...}`"),
            _ => self.problem("an unknown `${...}` form"),
        }
        if self.peek() == Some('[') {
            let from = self.i + 1;
            while self.peek().is_some_and(|c| c != ']' && c != '}') {
                self.i += 1;
            }
            let sub: String = self.s.get(from..self.i).unwrap_or(&[]).iter().collect();
            if !(sub == "@"
                || sub == "*"
                || !sub.is_empty() && sub.bytes().all(|b| b.is_ascii_digit()))
            {
                self.problem("an array subscript other than a number (evaluated as arithmetic)");
            }
            self.i += 1;
        }
        let op: String = self.s.iter().skip(self.i).take(2).collect();
        match op.chars().next() {
            Some('}') => self.i += 1,
            Some(':') if !matches!(op.chars().nth(1), Some('-' | '?' | '+')) => {
                self.problem("a substring offset or an assignment in `${...}`");
                self.brace_word();
            }
            Some('=' | '@') => {
                self.problem("an assignment or transformation in `${...}`");
                self.brace_word();
            }
            Some('-' | '?' | '+' | ':' | '#' | '%' | '/' | '^' | ',') => self.brace_word(),
            _ => {
                self.problem("an unknown `${...}` form");
                self.brace_word();
            }
        }
        self.depth -= 1;
    }

    /// A word inside `${...}` up to the `}` that ends it: quotes (also
    /// inside double quotes) and nested expansions hide a `}`; a bare `{`
    /// does not nest.
    fn brace_word(&mut self) {
        let mut sink = Word::default();
        loop {
            match self.peek() {
                None => {
                    self.problem("unterminated `${`");
                    return;
                }
                Some('}') => {
                    self.i += 1;
                    return;
                }
                Some('\\') => self.i += 2,
                Some('\'') => {
                    self.i += 1;
                    while self.peek().is_some_and(|c| c != '\'') {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                Some('"') => {
                    self.i += 1;
                    self.double_quoted(&mut sink);
                }
                Some('$') => self.dollar(&mut sink),
                Some('`') => self.backtick(&mut sink),
                Some(_) => self.i += 1,
            }
        }
    }

    /// A backtick substitution: unescape its text, then parse it as commands.
    fn backtick(&mut self, w: &mut Word) {
        self.i += 1;
        let mut inner = String::new();
        let mut closed = false;
        while let Some(c) = self.peek() {
            self.i += 1;
            match c {
                '`' => {
                    closed = true;
                    break;
                }
                '\\' => match self.peek() {
                    Some(n @ ('`' | '\\' | '$')) => {
                        inner.push(n);
                        self.i += 1;
                    }
                    _ => inner.push('\\'),
                },
                c => inner.push(c),
            }
        }
        if !closed {
            self.problem("unterminated backtick");
        }
        if !self.heredocs.is_empty() && inner.contains('\n') {
            self.problem("a newline inside backticks with a here-document pending");
        }
        let sub = parse_nested(&inner, self.depth);
        self.out.cmds.extend(sub.cmds);
        for p in sub.problems {
            self.problem(&p);
        }
        w.dynamic = true;
        w.text.push_str("`...`");
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

fn parse_nested(src: &str, depth: u32) -> Parsed {
    let mut p = P {
        s: src.chars().collect(),
        i: 0,
        out: Parsed::default(),
        heredocs: Vec::new(),
        depth,
    };
    p.list(None);
    p.out
}

pub fn is_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

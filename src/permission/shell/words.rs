//! Words: quoting, `$` expansions (parameters, arithmetic, command
//! substitutions), backticks and braces; what a word's value is, and
//! whether it is only known when the shell runs.

use super::{is_meta, parse_nested, Parsed, Word, P};

impl P {
    /// Check the expansions in `text` as bash expands a here-document body.
    pub(super) fn expansions_in(&mut self, text: &str) {
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
    pub(super) fn double_quoted(&mut self, w: &mut Word) {
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
    pub(super) fn word(&mut self) -> Word {
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
                // A process substitution, also inside a word: bash runs
                // `a<(ls)` as one word, `a/dev/fd/63`.
                '<' | '>' if self.at(1) == Some('(') => {
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
    pub(super) fn dollar(&mut self, w: &mut Word) {
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
            // `$name`, `$1`, `$@`...: the rest of a name is read by the
            // caller as plain text, the same characters in the word.
            Some(c) if c.is_ascii_alphanumeric() || "_@*#?$!-".contains(c) => self.i += 2,
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
    pub(super) fn arithmetic(&mut self, open: char, close: char) {
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
    pub(super) fn param(&mut self) {
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
    pub(super) fn brace_word(&mut self) {
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
    pub(super) fn backtick(&mut self, w: &mut Word) {
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

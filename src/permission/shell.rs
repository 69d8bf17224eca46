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
    parse_nested(src, 0)
}

/// The parser's state: the source, the position, what it found so far.
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
}

mod list;
mod words;

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

//! Glob patterns over `/`-separated relative paths, shared by the `find` and
//! `grep` tools and by the .gitignore rules of the walker.
//!
//! Syntax: `*` (within one name), `?`, `[abc]` `[a-z]` `[!x]`, `**` as a whole
//! name (any number of directories, zero included), `{a,b}` alternatives
//! (tool globs only; .gitignore has none) and `\` escapes. A pattern without
//! a `/` matches a name at any depth; one with a `/` matches the whole path;
//! a trailing `/` matches directories only.
//!
//! Matching never backtracks exponentially: both the names of a path and the
//! characters of a name use the classic star algorithm with one backtrack
//! point, so the cost is at most pattern length times path length.

/// Most alternatives one pattern's braces may expand to.
const MAX_ALTS: usize = 256;
/// Longest pattern accepted.
const MAX_LEN: usize = 4096;

#[derive(Debug)]
enum Tok {
    Lit(char),
    /// `?`
    Any,
    /// `*`
    Star,
    Class {
        neg: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(Debug)]
enum Seg {
    /// `**`: any number of names.
    AnyDirs,
    /// One name.
    Name(Vec<Tok>),
    /// One name of literals and stars only: the literal runs between the
    /// stars, matched by substring search without backtracking.
    Runs(Vec<String>),
}

#[derive(Debug)]
struct Alt {
    segs: Vec<Seg>,
    dir_only: bool,
    /// The byte every matching path ends with, when the last name ends in
    /// a literal: a test that turns most paths away before matching.
    last: Option<u8>,
}

/// A compiled pattern: any of its brace alternatives may match.
#[derive(Debug)]
pub struct Glob {
    alts: Vec<Alt>,
}

impl Glob {
    /// A glob as a model writes it for `find` or `grep`.
    pub fn new(pat: &str) -> Result<Glob, String> {
        Glob::build(pat, true)
    }

    /// The pattern of one .gitignore line (after any `!`): no braces.
    pub fn gitignore(pat: &str) -> Result<Glob, String> {
        Glob::build(pat, false)
    }

    fn build(pat: &str, braces: bool) -> Result<Glob, String> {
        if pat.len() > MAX_LEN {
            return Err(format!("glob is longer than {MAX_LEN} bytes"));
        }
        let texts = if braces {
            expand_braces(pat)?
        } else {
            vec![pat.to_string()]
        };
        let alts = texts
            .iter()
            .map(|t| compile_alt(t))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Glob { alts })
    }

    /// Does `path` (relative, `/`-separated, no leading `/`) match?
    pub fn matches(&self, path: &str, is_dir: bool) -> bool {
        let last = path.as_bytes().last();
        self.alts.iter().any(|a| {
            (is_dir || !a.dir_only)
                && a.last.is_none_or(|b| last == Some(&b))
                && match_path(&a.segs, path)
        })
    }
}

fn compile_alt(text: &str) -> Result<Alt, String> {
    let (body, dir_only) = match text.strip_suffix('/') {
        Some(b) if !b.is_empty() => (b, true),
        _ => (text, false),
    };
    let anchored = body.contains('/');
    let body = body.strip_prefix('/').unwrap_or(body);
    if body.is_empty() {
        return Err(format!("empty glob `{text}`"));
    }
    let mut segs = Vec::new();
    if !anchored {
        segs.push(Seg::AnyDirs);
    }
    for part in body.split('/') {
        if part == "**" {
            if !matches!(segs.last(), Some(Seg::AnyDirs)) {
                segs.push(Seg::AnyDirs);
            }
        } else {
            segs.push(name_seg(tokens(part)?));
        }
    }
    // A trailing `**` means "everything inside", not the directory itself.
    if matches!(segs.last(), Some(Seg::AnyDirs)) {
        segs.push(name_seg(vec![Tok::Star]));
    }
    let last = match segs.last() {
        Some(Seg::Runs(runs)) => runs.last().and_then(|r| r.bytes().last()),
        _ => None,
    };
    Ok(Alt {
        segs,
        dir_only,
        last,
    })
}

/// A name's segment: `Runs` when it has no `?` or class.
fn name_seg(toks: Vec<Tok>) -> Seg {
    let mut runs = vec![String::new()];
    for t in &toks {
        match (t, runs.last_mut()) {
            (Tok::Lit(c), Some(run)) => run.push(*c),
            (Tok::Star, _) => runs.push(String::new()),
            _ => return Seg::Name(toks),
        }
    }
    Seg::Runs(runs)
}

fn tokens(part: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = part.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = cs.get(i) {
        i += 1;
        match c {
            '*' => {
                if !matches!(out.last(), Some(Tok::Star)) {
                    out.push(Tok::Star);
                }
            }
            '?' => out.push(Tok::Any),
            '\\' => match cs.get(i) {
                Some(&e) => {
                    out.push(Tok::Lit(e));
                    i += 1;
                }
                None => out.push(Tok::Lit('\\')),
            },
            '[' => {
                let (tok, next) = class(&cs, i)?;
                out.push(tok);
                i = next;
            }
            c => out.push(Tok::Lit(c)),
        }
    }
    Ok(out)
}

/// Parse a `[...]` class whose body starts at `i`; returns it and the index
/// after its `]`.
fn class(cs: &[char], mut i: usize) -> Result<(Tok, usize), String> {
    let unclosed = || "unclosed `[` in glob".to_string();
    let mut neg = false;
    if matches!(cs.get(i), Some('!' | '^')) {
        neg = true;
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let mut lo = *cs.get(i).ok_or_else(unclosed)?;
        i += 1;
        if lo == ']' && !first {
            return Ok((Tok::Class { neg, ranges }, i));
        }
        first = false;
        if lo == '\\' {
            lo = *cs.get(i).ok_or_else(unclosed)?;
            i += 1;
        }
        let mut hi = lo;
        if cs.get(i) == Some(&'-') && cs.get(i + 1).is_some_and(|&n| n != ']') {
            hi = *cs.get(i + 1).ok_or_else(unclosed)?;
            i += 2;
            if hi == '\\' {
                hi = *cs.get(i).ok_or_else(unclosed)?;
                i += 1;
            }
        }
        ranges.push((lo, hi));
    }
}

/// Expand `{a,b}` alternatives (nested ones too) into plain patterns.
fn expand_braces(pat: &str) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    let mut todo = vec![pat.to_string()];
    while let Some(p) = todo.pop() {
        let Some((open, commas, close)) = first_brace(p.as_bytes())? else {
            done.push(p);
            continue;
        };
        let prefix = p.get(..open).unwrap_or("");
        let suffix = p.get(close + 1..).unwrap_or("");
        let mut from = open + 1;
        for end in commas.into_iter().chain(std::iter::once(close)) {
            let mid = p.get(from..end).unwrap_or("");
            todo.push(format!("{prefix}{mid}{suffix}"));
            from = end + 1;
        }
        if done.len() + todo.len() > MAX_ALTS {
            return Err(format!("glob expands to more than {MAX_ALTS} alternatives"));
        }
    }
    done.reverse();
    Ok(done)
}

/// The first top-level `{...}` group: its `{`, its top-level commas, its `}`.
fn first_brace(b: &[u8]) -> Result<Option<(usize, Vec<usize>, usize)>, String> {
    let mut depth = 0usize;
    let mut open = 0;
    let mut commas = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 1,
            b'[' => {
                if let Some(end) = class_end(b, i + 1) {
                    i = end;
                    continue;
                }
            }
            b'{' => {
                if depth == 0 {
                    open = i;
                }
                depth += 1;
            }
            b',' if depth == 1 => commas.push(i),
            b'}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    return Ok(Some((open, commas, i)));
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth > 0 {
        return Err("unclosed `{` in glob".into());
    }
    Ok(None)
}

/// Index just past the `]` closing a class whose body starts at `i`.
fn class_end(b: &[u8], mut i: usize) -> Option<usize> {
    if matches!(b.get(i), Some(b'!' | b'^')) {
        i += 1;
    }
    let mut first = true;
    loop {
        match *b.get(i)? {
            b']' if !first => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
        first = false;
    }
}

/// The name of `path` starting at byte `pos`, or None past the last one.
fn name_at(path: &str, pos: usize) -> Option<&str> {
    if pos > path.len() {
        return None;
    }
    let rest = path.get(pos..)?;
    Some(rest.split('/').next().unwrap_or(rest))
}

/// Names of `path` against segments, `**` being the star.
fn match_path(segs: &[Seg], path: &str) -> bool {
    // A pattern without a `/` (`*.rs`) looks at the last name only.
    if let [Seg::AnyDirs, seg] = segs {
        return name_matches(seg, path.rsplit('/').next().unwrap_or(path));
    }
    let (mut si, mut pos) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    loop {
        let name = name_at(path, pos);
        match (segs.get(si), name) {
            (Some(Seg::AnyDirs), _) => {
                back = Some((si + 1, pos));
                si += 1;
                continue;
            }
            (Some(seg), Some(n)) if name_matches(seg, n) => {
                si += 1;
                pos += n.len() + 1;
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        // Let the last `**` swallow one more name and retry from there.
        match back {
            Some((bs, bp)) => match name_at(path, bp) {
                Some(n) => {
                    back = Some((bs, bp + n.len() + 1));
                    si = bs;
                    pos = bp + n.len() + 1;
                }
                None => return false,
            },
            None => return false,
        }
    }
}

fn name_matches(seg: &Seg, name: &str) -> bool {
    match seg {
        Seg::AnyDirs => false,
        Seg::Name(toks) => match_name(toks, name),
        Seg::Runs(runs) => match_runs(runs, name),
    }
}

/// A name against literal runs that stars separate: the first run starts
/// it, the last ends it, and the ones between are found leftmost in order
/// (for stars alone, the leftmost choice never loses a match).
fn match_runs(runs: &[String], name: &str) -> bool {
    let Some((first, rest)) = runs.split_first() else {
        return name.is_empty();
    };
    let Some(mut s) = name.strip_prefix(first.as_str()) else {
        return false;
    };
    let Some((last, mid)) = rest.split_last() else {
        return s.is_empty();
    };
    for run in mid {
        match s.find(run.as_str()) {
            Some(i) => s = s.get(i + run.len()..).unwrap_or(""),
            None => return false,
        }
    }
    s.ends_with(last.as_str())
}

/// Characters of one name against tokens, `*` being the star.
fn match_name(toks: &[Tok], name: &str) -> bool {
    let next = |i: usize| name.get(i..).and_then(|r| r.chars().next());
    let (mut ti, mut ni) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    loop {
        let c = next(ni);
        match (toks.get(ti), c) {
            (Some(Tok::Star), _) => {
                back = Some((ti + 1, ni));
                ti += 1;
                continue;
            }
            (Some(t), Some(c)) if tok_matches(t, c) => {
                ti += 1;
                ni += c.len_utf8();
                continue;
            }
            (None, None) => return true,
            _ => {}
        }
        match back {
            Some((bt, bn)) => match next(bn) {
                Some(c) => {
                    back = Some((bt, bn + c.len_utf8()));
                    ti = bt;
                    ni = bn + c.len_utf8();
                }
                None => return false,
            },
            None => return false,
        }
    }
}

fn tok_matches(t: &Tok, c: char) -> bool {
    match t {
        Tok::Lit(l) => *l == c,
        Tok::Any => true,
        Tok::Star => false,
        Tok::Class { neg, ranges } => ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn m(pat: &str, path: &str) -> bool {
        Glob::new(pat).unwrap().matches(path, false)
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*.rs", "a.rs", true),
            ("*.rs", "src/a.rs", true),
            ("*.rs", "src/deep/er/a.rs", true),
            ("*.rs", "a.rsx", false),
            ("*.rs", "src.rs/a.txt", false),
            ("src/*.rs", "src/a.rs", true),
            ("src/*.rs", "src/x/a.rs", false),
            ("src/*.rs", "lib/src/a.rs", false),
            ("/a.rs", "a.rs", true),
            ("/a.rs", "x/a.rs", false),
            ("**/*.rs", "a.rs", true),
            ("**/*.rs", "x/y/a.rs", true),
            ("a/**/b", "a/b", true),
            ("a/**/b", "a/x/y/b", true),
            ("a/**/b", "a/x/y/c", false),
            ("a/**", "a/x/y", true),
            ("a/**", "a", false),
            ("**", "anything/at/all", true),
            ("?.rs", "a.rs", true),
            ("?.rs", "ab.rs", false),
            ("?", "é", true),
            ("[abc].txt", "b.txt", true),
            ("[abc].txt", "d.txt", false),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("[!a-c]x", "dx", true),
            ("[^a]x", "bx", true),
            ("[]]", "]", true),
            ("[a-]", "-", true),
            ("*.{rs,toml}", "Cargo.toml", true),
            ("*.{rs,toml}", "src/main.rs", true),
            ("*.{rs,toml}", "README.md", false),
            ("{src,tests}/**/*.rs", "tests/a/b.rs", true),
            ("{src,tests}/**/*.rs", "benches/b.rs", false),
            ("a{b,{c,d}e}f", "adef", true),
            ("a{b,{c,d}e}f", "abf", true),
            ("a{b,{c,d}e}f", "adf", false),
            ("\\*.rs", "*.rs", true),
            ("\\*.rs", "a.rs", false),
            ("*", ".hidden", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
            ("*a*", "bab", true),
            ("a*a", "a", false),
            ("a*a", "aa", true),
            ("*ab*ab", "abab", true),
            ("*ab*ab", "aab", false),
            ("x[ab]*.rs", "xb1.rs", true),
            ("x[ab]*.rs", "xc1.rs", false),
            ("src/**/*.rs", "src/a/b.rs", true),
            ("src/**/*.rs", "src/a/b.rsx", false),
            ("src/*", "src/é", true),
            ("*é", "aé", true),
            ("*é", "ae", false),
        ];
        for &(pat, path, want) in cases {
            assert_eq!(m(pat, path), want, "{pat} vs {path}");
        }
    }

    #[test]
    fn dir_only() {
        let g = Glob::new("build/").unwrap();
        assert!(g.matches("build", true));
        assert!(g.matches("x/build", true));
        assert!(!g.matches("build", false));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(Glob::new("[abc").unwrap_err().contains("unclosed `[`"));
        assert!(Glob::new("{a,b").unwrap_err().contains("unclosed `{`"));
        assert!(Glob::new("").is_err());
        let bomb = "{a,b}".repeat(12);
        assert!(Glob::new(&bomb).unwrap_err().contains("alternatives"));
        // In .gitignore, braces are plain characters.
        assert!(Glob::gitignore("{a").unwrap().matches("{a", false));
    }

    /// Every pattern of `a`, `b` and `*` up to 5 long against every name of
    /// `a` and `b` up to 6 long: the literal-run matcher agrees with the
    /// backtracking one, and the end-byte test turns away no match.
    #[test]
    fn runs_agree_with_tokens() {
        fn all(alphabet: &[char], max: usize) -> Vec<String> {
            let mut out = vec![String::new()];
            let mut last = vec![String::new()];
            for _ in 0..max {
                let next: Vec<String> = last
                    .iter()
                    .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                    .collect();
                out.extend(next.iter().cloned());
                last = next;
            }
            out
        }
        let names = all(&['a', 'b'], 6);
        let mut checked = 0;
        for pat in all(&['a', 'b', '*'], 5).iter().filter(|p| !p.is_empty()) {
            let toks = tokens(pat).unwrap();
            let glob = Glob::new(pat).unwrap();
            assert!(matches!(glob.alts[0].segs[1], Seg::Runs(_)), "{pat}");
            for name in &names {
                let want = match_name(&toks, name);
                assert_eq!(glob.matches(name, false), want, "{pat} vs {name}");
                assert_eq!(glob.matches(&format!("x/{name}"), false), want);
                checked += 1;
            }
        }
        assert!(checked > 20_000);
    }

    #[test]
    fn hostile_patterns_finish_fast() {
        let t = Instant::now();
        let name = "a".repeat(2000);
        assert!(!m("*a*a*a*a*a*a*a*a*a*a*b", &name));
        let deep = vec!["a"; 500].join("/");
        assert!(!m("**/a/**/a/**/a/**/a/**/a/**/b", &deep));
        assert!(m("**/a/**/a/**/a/**/a/**/a/**/a", &deep));
        let star_heavy = format!("{}b", "*a".repeat(200));
        assert!(!m(&star_heavy, &name));
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "took {:?}",
            t.elapsed()
        );
    }
}

//! The `grep` tool: search file contents with a regex (regex-lite, so Rust
//! regex syntax) and show matching lines as `path:line:text`, with optional
//! context lines (`path-line-text`, groups split by `--`) like grep -C.
//! Files come from the gitignore-aware walker; binary and huge files are
//! skipped, long lines are cut, and the whole result goes through the shared
//! truncation rule.

use super::glob::Glob;
use super::truncate::{self, floor_char};
use super::walk::{self, End, Flow};
use super::{Effect, Target, Tool, ToolCtx};
use crate::json::Args;
use regex_lite::{Regex, RegexBuilder};
use std::fs;
use std::path::Path;

pub const TOOL: Tool = Tool {
    name: "grep",
    description: "Regex search (Rust syntax) in path (file or dir, default .): prints path:line:text, up to limit (100) matches. Skips .gitignored and binary files.",
    params: r#"{"type":"object","properties":{"pattern":{"type":"string"},"path":{"type":"string"},"glob":{"type":"string","description":"Files to search, e.g. *.rs"},"ignore_case":{"type":"boolean"},"literal":{"type":"boolean","description":"Plain text"},"context":{"type":"integer","description":"Lines around"},"limit":{"type":"integer"}},"required":["pattern"]}"#,
    effect: Effect::Read,
    target: Target::Path("path"),
    run,
};

const DEFAULT_LIMIT: u64 = 100;
const MAX_CONTEXT: u64 = 50;
/// Larger files are skipped.
const MAX_FILE_BYTES: u64 = 10 << 20;
/// A NUL in this many leading bytes marks a file as binary.
const BINARY_PROBE: usize = 8192;
/// Longer lines are cut to this many bytes.
const MAX_LINE_BYTES: usize = 300;

enum Matcher {
    Regex(Regex),
    /// Case-sensitive plain text.
    Text(String),
}

impl Matcher {
    fn is_match(&self, line: &str) -> bool {
        match self {
            Matcher::Regex(re) => re.is_match(line),
            Matcher::Text(t) => line.contains(t.as_str()),
        }
    }
}

struct Search {
    matcher: Matcher,
    context: usize,
    limit: usize,
    out: String,
    matches: usize,
    /// A match beyond `limit` exists.
    more: bool,
    too_big: usize,
}

fn run(args: &Args, ws: &ToolCtx) -> Result<String, String> {
    let pattern = args.str("pattern")?;
    let path = args.opt_str("path")?.unwrap_or(".");
    let glob = match args.opt_str("glob")? {
        Some(g) => Some(Glob::new(g.strip_prefix("./").unwrap_or(g))?),
        None => None,
    };
    let ignore_case = args.opt_bool("ignore_case")?.unwrap_or(false);
    let literal = args.opt_bool("literal")?.unwrap_or(false);
    let context = args.opt_u64("context")?.unwrap_or(0).min(MAX_CONTEXT) as usize;
    let limit = usize::try_from(args.opt_u64("limit")?.unwrap_or(DEFAULT_LIMIT).max(1))
        .unwrap_or(usize::MAX);

    // Plain text (given as such, or a regex without special characters) is
    // a substring search: several times faster than regex-lite.
    let plain = literal || regex_lite::escape(pattern) == pattern;
    let matcher = if plain && !ignore_case {
        Matcher::Text(pattern.to_string())
    } else {
        let source = if literal {
            regex_lite::escape(pattern)
        } else {
            pattern.to_string()
        };
        let re = RegexBuilder::new(&source)
            .case_insensitive(ignore_case)
            .build();
        Matcher::Regex(
            re.map_err(|e| format!("bad regex `{pattern}`: {}", one_line(&e.to_string())))?,
        )
    };
    let start = ws.resolve(path)?;
    let start_rel = walk::rel_path(&ws.root, &start)?;
    let mut s = Search {
        matcher,
        context,
        limit,
        out: String::new(),
        matches: 0,
        more: false,
        too_big: 0,
    };
    let end = walk::walk(&ws.root, &start, &mut |abs, rel, is_dir| {
        if is_dir {
            return Flow::Continue;
        }
        // A file named outright is searched whatever the glob says.
        let wanted = abs == start.as_path()
            || glob
                .as_ref()
                .is_none_or(|g| g.matches(walk::rel_to(rel, &start_rel), false));
        if wanted {
            s.file(abs, rel);
        }
        if s.more {
            Flow::Stop
        } else {
            Flow::Continue
        }
    })?;

    let mut notes = Vec::new();
    if s.more {
        notes.push(format!(
            "[stopped at {limit} matches; narrow the search or raise limit]"
        ));
    }
    if s.too_big > 0 {
        notes.push(format!("[skipped {} file(s) over 10 MB]", s.too_big));
    }
    if end == End::Capped {
        notes.push(format!(
            "[search stopped after {} entries; use a narrower path]",
            walk::MAX_ENTRIES
        ));
    }
    let mut text = if s.matches == 0 {
        let filter = args
            .opt_str("glob")?
            .map(|g| format!(" (files matching `{g}`)"))
            .unwrap_or_default();
        format!(
            "No matches for `{pattern}` in {}{filter}",
            ws.display(&start)
        )
    } else {
        let cut = truncate::head(&s.out, truncate::MAX_LINES, truncate::MAX_BYTES);
        let t = cut.text.trim_end_matches('\n').to_string();
        if cut.cut {
            notes.insert(
                0,
                format!("[output cut after {} lines; narrow the search]", cut.lines),
            );
        }
        t
    };
    for n in notes {
        text.push('\n');
        text.push_str(&n);
    }
    Ok(text)
}

impl Search {
    fn file(&mut self, abs: &Path, rel: &str) {
        let Ok(meta) = fs::metadata(abs) else { return };
        if !meta.is_file() {
            return; // a fifo or device named outright would block or never end
        }
        if meta.len() > MAX_FILE_BYTES {
            self.too_big += 1;
            return;
        }
        let Ok(bytes) = fs::read(abs) else { return };
        if bytes.get(..BINARY_PROBE).unwrap_or(&bytes).contains(&0) {
            return;
        }
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        let ctx = self.context;
        // Last line shown from this file, and how far its after-context runs.
        let mut shown: Option<usize> = None;
        let mut after_to = 0;
        for (i, line) in lines.iter().enumerate() {
            if !self.matcher.is_match(line) {
                continue;
            }
            if self.matches == self.limit {
                self.more = true;
                break;
            }
            self.matches += 1;
            let mut from = i.saturating_sub(ctx);
            if let Some(last) = shown {
                for j in last + 1..=after_to.min(i.saturating_sub(1)) {
                    self.emit(rel, &lines, j, '-');
                    shown = Some(j);
                }
                from = from.max(shown.map_or(0, |s| s + 1));
            }
            let joined = shown.is_some_and(|s| s + 1 == from);
            if ctx > 0 && !self.out.is_empty() && !joined {
                self.out.push_str("--\n");
            }
            for j in from..i {
                self.emit(rel, &lines, j, '-');
            }
            self.emit(rel, &lines, i, ':');
            shown = Some(i);
            after_to = i + ctx;
        }
        if let Some(last) = shown {
            for j in last + 1..=after_to.min(lines.len().saturating_sub(1)) {
                self.emit(rel, &lines, j, '-');
            }
        }
    }

    /// One output line: `path:N:text` for a match, `path-N-text` for context.
    fn emit(&mut self, rel: &str, lines: &[&str], i: usize, sep: char) {
        let line = lines.get(i).copied().unwrap_or("");
        let keep = floor_char(line, MAX_LINE_BYTES);
        let body = line.get(..keep).unwrap_or(line);
        self.out
            .push_str(&format!("{rel}{sep}{}{sep}{body}", i + 1));
        if keep < line.len() {
            self.out
                .push_str(&format!(" [… {} more bytes]", line.len() - keep));
        }
        self.out.push('\n');
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tool::walk::tests::tree;

    fn grep(ws: &ToolCtx, json: &str) -> Result<String, String> {
        run(&Args::parse(json).unwrap(), ws)
    }

    fn setup(name: &str) -> ToolCtx<'static> {
        let d = tree(
            name,
            &[
                (".gitignore", "target/\n"),
                (
                    "src/a.rs",
                    "fn main() {\n    let a = 1;\n    axb();\n    a.b();\n}\n",
                ),
                ("src/b.txt", "Hello\nhello\nHELLO\n"),
                ("target/gen.rs", "a.b\n"),
                (
                    "ctx.txt",
                    "1\n2\nhit\n4\n5\n6\n7\nhit\n9\nhit\n11\n12\n13\n14\nhit\n",
                ),
            ],
        );
        std::fs::write(d.join("bin.dat"), b"a.b\0binary").unwrap();
        crate::tool::test_ctx(&d)
    }

    #[test]
    fn literal_vs_regex() {
        let ws = setup("grep-lit");
        let re = grep(&ws, r#"{"pattern":"a.b","glob":"*.rs"}"#).unwrap();
        assert_eq!(re, "src/a.rs:3:    axb();\nsrc/a.rs:4:    a.b();");
        let lit = grep(&ws, r#"{"pattern":"a.b","literal":true}"#).unwrap();
        assert_eq!(
            lit, "src/a.rs:4:    a.b();",
            "binary and ignored files are skipped"
        );
        let lit_ic = grep(
            &ws,
            r#"{"pattern":"A.B","literal":true,"ignore_case":true}"#,
        )
        .unwrap();
        assert_eq!(lit_ic, "src/a.rs:4:    a.b();");
        // Naming an ignored file searches it.
        assert_eq!(
            grep(&ws, r#"{"pattern":"a","path":"target/gen.rs"}"#).unwrap(),
            "target/gen.rs:1:a.b"
        );
    }

    #[test]
    fn ignore_case_and_limit() {
        let ws = setup("grep-case");
        assert_eq!(
            grep(&ws, r#"{"pattern":"hello","path":"src"}"#).unwrap(),
            "src/b.txt:2:hello"
        );
        let all = grep(
            &ws,
            r#"{"pattern":"hello","path":"src/b.txt","ignore_case":true}"#,
        )
        .unwrap();
        assert_eq!(all.lines().count(), 3);
        let two = grep(&ws, r#"{"pattern":"hello","ignore_case":true,"limit":2}"#).unwrap();
        assert_eq!(
            two,
            "src/b.txt:1:Hello\nsrc/b.txt:2:hello\n[stopped at 2 matches; narrow the search or raise limit]"
        );
        let three = grep(&ws, r#"{"pattern":"hello","ignore_case":true,"limit":3}"#).unwrap();
        assert!(
            !three.contains("stopped"),
            "exactly the limit is not cut: {three}"
        );
    }

    #[test]
    fn context_groups() {
        let ws = setup("grep-ctx");
        let out = grep(&ws, r#"{"pattern":"^hit$","path":"ctx.txt","context":1}"#).unwrap();
        let want = "ctx.txt-2-2\nctx.txt:3:hit\nctx.txt-4-4\n--\n\
                    ctx.txt-7-7\nctx.txt:8:hit\nctx.txt-9-9\nctx.txt:10:hit\nctx.txt-11-11\n--\n\
                    ctx.txt-14-14\nctx.txt:15:hit";
        assert_eq!(out, want);
        let wide = grep(&ws, r#"{"pattern":"hit","path":"ctx.txt","context":3}"#).unwrap();
        assert_eq!(wide.lines().count(), 15, "overlapping groups merge: {wide}");
        assert!(!wide.contains("--"));
    }

    #[test]
    fn no_match_bad_regex_and_long_lines() {
        let ws = setup("grep-misc");
        assert_eq!(
            grep(&ws, r#"{"pattern":"zzz"}"#).unwrap(),
            "No matches for `zzz` in ."
        );
        let err = grep(&ws, r#"{"pattern":"a(b"}"#).unwrap_err();
        assert!(
            err.starts_with("bad regex `a(b`: ") && !err.contains('\n'),
            "{err}"
        );
        assert!(grep(&ws, r#"{"pattern":"x","path":"../etc"}"#)
            .unwrap_err()
            .contains("outside"));
        std::fs::write(
            ws.root.join("long.txt"),
            format!("{}needle{}\n", "x".repeat(400), "é".repeat(400)),
        )
        .unwrap();
        let out = grep(&ws, r#"{"pattern":"needle"}"#).unwrap();
        assert!(
            out.starts_with("long.txt:1:xxx") && out.ends_with("more bytes]"),
            "{out}"
        );
        assert!(out.len() < 400);
    }
}

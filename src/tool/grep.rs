//! The `grep` tool: search file contents with a regex (regex-lite, so Rust
//! regex syntax) and show matching lines as `path:line:text`, with optional
//! context lines (`path-line-text`, groups split by `--`) like grep -C.
//! Files come from the gitignore-aware walker and are searched in blocks by
//! scan.rs, with the literal prefilter of literal.rs; binary files are
//! skipped, long lines are cut, and the whole result goes through the shared
//! truncation rule. This file turns the arguments into a search and the
//! search into the tool's text.

use super::glob::Glob;
use super::literal::{self, Prefilter};
use super::scan::{Matcher, Scan};
use super::truncate;
use super::walk::{self, End, Flow};
use super::{arg_or, Effect, Preview, Target, Tool, ToolCtx};
use crate::json::Args;
use regex_lite::RegexBuilder;
use std::fs;

pub const TOOL: Tool = Tool {
    name: "grep",
    description: "Regex search (Rust syntax) in path (file or dir, default .): prints path:line:text, up to limit (100) matches. Skips .gitignored and binary files.",
    params: r#"{"type":"object","properties":{"pattern":{"type":"string"},"path":{"type":"string"},"glob":{"type":"string","description":"Files to search, e.g. *.rs"},"ignore_case":{"type":"boolean"},"literal":{"type":"boolean","description":"Plain text"},"context":{"type":"integer","description":"Lines around"},"limit":{"type":"integer"}},"required":["pattern"]}"#,
    effect: Effect::Read,
    target: Target::Path("path"),
    title: |a| format!("Search `{}` in {}", arg_or(a, "pattern", ""), arg_or(a, "path", ".")),
    preview: Preview::Args,
    run,
    attach: None,
};

const DEFAULT_LIMIT: u64 = 100;
const MAX_CONTEXT: u64 = 50;

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

    let (matcher, prefilter) = matcher(pattern, literal, ignore_case)?;
    let start = ws.resolve(path)?;
    let start_rel = walk::rel_path(&ws.root, &start)?;
    let mut s = Scan::new(matcher, prefilter, context, limit);
    let end = walk::walk(&ws.root, &start, &mut |abs, rel, is_dir| {
        if is_dir {
            return Flow::Continue;
        }
        if abs == start.as_path() {
            // A file named outright is searched whatever the glob says, but
            // not a fifo or device, which would block or never end.
            if fs::metadata(abs).is_ok_and(|m| m.is_file()) {
                s.file(abs, rel);
            }
        } else if glob
            .as_ref()
            .is_none_or(|g| g.matches(walk::rel_to(rel, &start_rel), false))
        {
            s.file(abs, rel);
        }
        if s.more() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    })?;

    let mut notes = notes(&s, limit, end);
    let mut text = if s.matches() == 0 {
        let filter = args
            .opt_str("glob")?
            .map(|g| format!(" (files matching `{g}`)"))
            .unwrap_or_default();
        format!(
            "No matches for `{pattern}` in {}{filter}",
            ws.display(&start)
        )
    } else {
        let cut = truncate::head(s.output(), truncate::MAX_LINES, truncate::MAX_BYTES);
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

/// The notes that follow the matches: match limit reached, binary tails, walk capped.
fn notes(s: &Scan, limit: usize, end: End) -> Vec<String> {
    let mut notes = Vec::new();
    if s.more() {
        notes.push(format!(
            "[stopped at {limit} matches; narrow the search or raise limit]"
        ));
    }
    if s.binary_tails() > 0 {
        notes.push(format!(
            "[{} file(s) searched only up to NUL bytes past their start (binary data)]",
            s.binary_tails()
        ));
    }
    if end == End::Capped {
        notes.push(format!(
            "[search stopped after {} entries; use a narrower path]",
            walk::MAX_ENTRIES
        ));
    }
    notes
}

/// The matcher for a pattern, and the literal search that finds the only
/// lines it can match (see literal.rs).
fn matcher(
    pattern: &str,
    literal: bool,
    ignore_case: bool,
) -> Result<(Matcher, Option<Prefilter>), String> {
    // Plain text (given as such, or a regex without special characters) is
    // a substring search: several times faster than regex-lite.
    let plain = literal || regex_lite::escape(pattern) == pattern;
    let needles = if plain {
        Some(vec![pattern.to_string()])
            .filter(|_| !pattern.is_empty() && !pattern.contains('\u{fffd}'))
    } else {
        literal::required(pattern)
    };
    let prefilter = needles.and_then(|n| Prefilter::new(&n, ignore_case));
    if plain && !ignore_case {
        return Ok((Matcher::Text(pattern.to_string()), prefilter));
    }
    let source = if literal {
        regex_lite::escape(pattern)
    } else {
        pattern.to_string()
    };
    let re = RegexBuilder::new(&source)
        .case_insensitive(ignore_case)
        .build()
        .map_err(|e| format!("bad regex `{pattern}`: {}", one_line(&e.to_string())))?;
    let whole_line = literal::line_bytes(&source, ignore_case);
    Ok((Matcher::Regex(re, whole_line), prefilter))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
#[path = "grep_equiv.rs"]
mod equiv;

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
    fn nul_bytes_past_the_first_block_end_the_search() {
        let ws = setup("grep-sparse");
        // Text well past the first block, then a 1 MB hole (NUL bytes), then
        // text again: the hole makes the rest binary.
        let f = std::fs::File::create(ws.root.join("sparse")).unwrap();
        let head = "needle before\n".repeat(10_000);
        std::io::Write::write_all(&mut &f, head.as_bytes()).unwrap();
        f.set_len(head.len() as u64 + (1 << 20)).unwrap();
        std::io::Seek::seek(&mut &f, std::io::SeekFrom::End(0)).unwrap();
        std::io::Write::write_all(&mut &f, b"\nneedle after\n").unwrap();
        let out = grep(
            &ws,
            r#"{"pattern":"needle","path":"sparse","limit":100000}"#,
        )
        .unwrap();
        assert!(!out.contains('\0') && !out.contains("needle after"));
        assert!(out.contains("sparse:1:needle before"));
        assert!(
            out.ends_with(
                "[1 file(s) searched only up to NUL bytes past their start (binary data)]"
            ),
            "{}",
            &out[out.len() - 200..]
        );
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

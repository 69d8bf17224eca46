//! The `find` tool: list the files (and directories, shown with a trailing
//! `/`) whose path relative to the search directory matches a glob, walking
//! the tree the gitignore-aware way, in sorted tree order.

use super::glob::Glob;
use super::truncate;
use super::walk::{self, End, Flow};
use super::{arg_or, Effect, Preview, Target, Tool, ToolCtx};
use crate::json::Args;

pub const TOOL: Tool = Tool {
    name: "find",
    description: "Find files by glob: * ? [a-z] {a,b} **. Without / it matches names at any depth (*.rs); with / the path under `path`. Skips .gitignored files; dirs end in /.",
    params: r#"{"type":"object","properties":{"pattern":{"type":"string","description":"e.g. src/**/*.{ts,tsx}"},"path":{"type":"string","description":"Dir to search (default .)"},"limit":{"type":"integer","description":"Default 200"}},"required":["pattern"]}"#,
    effect: Effect::Read,
    target: Target::Path("path"),
    title: |a| format!("Find `{}` in {}", arg_or(a, "pattern", ""), arg_or(a, "path", ".")),
    preview: Preview::Args,
    run,
    attach: None,
};

const DEFAULT_LIMIT: u64 = 200;

fn run(args: &Args, ws: &ToolCtx) -> Result<String, String> {
    let pattern = args.str("pattern")?;
    let glob = Glob::new(pattern.strip_prefix("./").unwrap_or(pattern))?;
    let path = args.opt_str("path")?.unwrap_or(".");
    let limit = usize::try_from(args.opt_u64("limit")?.unwrap_or(DEFAULT_LIMIT).max(1))
        .unwrap_or(usize::MAX);
    let start = ws.resolve(path)?;
    if !start.is_dir() {
        return Err(format!("`{path}` is not a directory"));
    }
    let start_rel = walk::rel_path(&ws.root, &start)?;
    // The hits, a line each, in one string.
    let (mut all, mut hits) = (String::new(), 0);
    let mut more = false;
    let end = walk::walk(&ws.root, &start, &mut |_, rel, is_dir| {
        if !glob.matches(walk::rel_to(rel, &start_rel), is_dir) {
            return Flow::Continue;
        }
        if hits == limit {
            more = true;
            return Flow::Stop;
        }
        hits += 1;
        all.push_str(rel);
        all.push_str(if is_dir { "/\n" } else { "\n" });
        Flow::Continue
    })?;
    let mut notes = Vec::new();
    if end == End::Capped {
        notes.push(format!(
            "[search stopped after {} entries; use a narrower path]",
            walk::MAX_ENTRIES
        ));
    }
    if hits == 0 {
        let mut text = format!("No files match `{pattern}` in {}", ws.display(&start));
        for n in notes {
            text.push('\n');
            text.push_str(&n);
        }
        return Ok(text);
    }
    if more {
        notes.insert(
            0,
            format!("[stopped at {limit} results; narrow the pattern or raise limit]"),
        );
    }
    let all = all.strip_suffix('\n').unwrap_or(&all);
    let cut = truncate::head(all, truncate::MAX_LINES, truncate::MAX_BYTES);
    let mut text = cut.text.trim_end_matches('\n').to_string();
    if cut.cut {
        notes.insert(
            0,
            format!("[output cut after {} lines; narrow the pattern]", cut.lines),
        );
    }
    for n in notes {
        text.push('\n');
        text.push_str(&n);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tool::walk::tests::tree;

    fn find(ws: &ToolCtx, json: &str) -> Result<String, String> {
        run(&Args::parse(json).unwrap(), ws)
    }

    #[test]
    fn finds_sorted_and_respects_gitignore() {
        let d = tree(
            "find-basic",
            &[
                (".gitignore", "target\n*.bak\n"),
                ("Cargo.toml", ""),
                ("src/main.rs", ""),
                ("src/tool/grep.rs", ""),
                ("src/tool/old.rs.bak", ""),
                ("src/tool/x.txt", ""),
                ("target/debug/build.rs", ""),
                ("tests/t.rs", ""),
            ],
        );
        let ws = crate::tool::test_ctx(&d);
        assert_eq!(
            find(&ws, r#"{"pattern":"*.rs"}"#).unwrap(),
            "src/main.rs\nsrc/tool/grep.rs\ntests/t.rs"
        );
        assert_eq!(
            find(&ws, r#"{"pattern":"**/*.{rs,toml}"}"#).unwrap(),
            "Cargo.toml\nsrc/main.rs\nsrc/tool/grep.rs\ntests/t.rs"
        );
        assert_eq!(
            find(&ws, r#"{"pattern":"tool/*","path":"src"}"#).unwrap(),
            "src/tool/grep.rs\nsrc/tool/x.txt"
        );
        assert_eq!(
            find(&ws, r#"{"pattern":"./src/*.rs"}"#).unwrap(),
            "src/main.rs"
        );
        assert_eq!(
            find(&ws, r#"{"pattern":"t*"}"#).unwrap(),
            "src/tool/\ntests/\ntests/t.rs"
        );
        assert_eq!(
            find(&ws, r#"{"pattern":"*/"}"#).unwrap(),
            "src/\nsrc/tool/\ntests/"
        );
        let cut = find(&ws, r#"{"pattern":"*.rs","limit":2}"#).unwrap();
        assert_eq!(cut, "src/main.rs\nsrc/tool/grep.rs\n[stopped at 2 results; narrow the pattern or raise limit]");
        assert!(!find(&ws, r#"{"pattern":"*.rs","limit":3}"#)
            .unwrap()
            .contains("stopped"));
        assert_eq!(
            find(&ws, r#"{"pattern":"*.py"}"#).unwrap(),
            "No files match `*.py` in ."
        );
        assert!(find(&ws, r#"{"pattern":"[x"}"#)
            .unwrap_err()
            .contains("unclosed"));
        assert!(find(&ws, r#"{"pattern":"*","path":"Cargo.toml"}"#)
            .unwrap_err()
            .contains("not a directory"));
    }
}

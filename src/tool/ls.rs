//! The `ls` tool: one directory's entries, sorted, marked by kind the way
//! `ls -F` does, so a model can find its way around without a shell.

use super::truncate::{self, MAX_BYTES, MAX_LINES};
use super::{arg_or, Effect, Preview, Target, Tool, ToolCtx};
use crate::json::Args;
use std::fs::{self, FileType};

pub const TOOL: Tool = Tool {
    name: "ls",
    description: "List a directory, sorted. Directories end in /, symlinks in @. Includes dotfiles, skips .git.",
    params: r#"{"type":"object","properties":{"path":{"type":"string","description":"Directory (default .)"},"limit":{"type":"integer","description":"Max entries (default 500)"}}}"#,
    effect: Effect::Read,
    target: Target::Path("path"),
    title: |a| format!("List {}", arg_or(a, "path", ".")),
    preview: Preview::Args,
    run,
    attach: None,
};

const DEFAULT_LIMIT: u64 = 500;

fn run(args: &Args, ws: &ToolCtx) -> Result<String, String> {
    let rel = args
        .opt_str("path")?
        .filter(|p| !p.is_empty())
        .unwrap_or(".");
    let limit = match args.opt_u64("limit")?.unwrap_or(DEFAULT_LIMIT) {
        0 => return Err("`limit` must be at least 1".into()),
        n => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let path = ws.resolve(rel)?;
    let shown = ws.display(&path);
    let meta = fs::symlink_metadata(&path).map_err(|e| format!("cannot list {shown}: {e}"))?;
    if !meta.is_dir() {
        return Ok(format!("{shown}{}", mark(&meta.file_type())));
    }
    let mut names = Vec::new();
    for entry in fs::read_dir(&path).map_err(|e| format!("cannot list {shown}: {e}"))? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".git" {
            continue;
        }
        let kind = entry.file_type().map(|t| mark(&t)).unwrap_or("");
        names.push(format!("{name}{kind}"));
    }
    if names.is_empty() {
        return Ok(format!("[{shown} is empty]"));
    }
    crate::sort::sort(&mut names);
    let list: String = names.iter().flat_map(|n| [n.as_str(), "\n"]).collect();
    // Names are short, so the cut always falls between whole lines.
    let cut = truncate::head(&list, limit.min(MAX_LINES), MAX_BYTES);
    let mut out = cut.text.trim_end_matches('\n').to_string();
    if cut.cut {
        let total = names.len();
        out.push_str(&format!(
            "\n[showing {} of {total} entries; use a narrower path, or find/grep]",
            cut.lines
        ));
    }
    Ok(out)
}

/// The `ls -F` style suffix for an entry's kind.
fn mark(t: &FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "/"
    } else if t.is_symlink() {
        "@"
    } else if t.is_fifo() {
        "|"
    } else if t.is_socket() {
        "="
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tool::write::tests::{args, tmp_ws};

    #[test]
    fn lists_sorted_and_marked() {
        let (d, ws) = tmp_ws("ls-basic");
        fs::create_dir_all(d.join("src/deep")).unwrap();
        fs::create_dir(d.join(".git")).unwrap();
        fs::write(d.join("b.txt"), "").unwrap();
        fs::write(d.join(".env"), "").unwrap();
        fs::write(d.join("src/main.rs"), "").unwrap();
        std::os::unix::fs::symlink("b.txt", d.join("a-link")).unwrap();
        assert_eq!(run(&args(&[]), &ws).unwrap(), ".env\na-link@\nb.txt\nsrc/");
        assert_eq!(
            run(&args(&[("path", "src")]), &ws).unwrap(),
            "deep/\nmain.rs"
        );
        assert_eq!(
            run(&args(&[("path", "src/main.rs")]), &ws).unwrap(),
            "src/main.rs"
        );
        assert!(run(&args(&[("path", "src/deep")]), &ws)
            .unwrap()
            .contains("empty"));
        assert!(run(&args(&[("path", "../")]), &ws)
            .unwrap_err()
            .contains("outside"));
        assert!(run(&args(&[("path", "nope")]), &ws)
            .unwrap_err()
            .starts_with("cannot list nope"));
    }

    #[test]
    fn limit_cuts_with_a_note() {
        let (d, ws) = tmp_ws("ls-limit");
        for i in 0..30 {
            fs::write(d.join(format!("f{i:02}")), "").unwrap();
        }
        let out = run(&args(&[("limit", "5")]), &ws).unwrap();
        assert_eq!(
            out,
            "f00\nf01\nf02\nf03\nf04\n[showing 5 of 30 entries; use a narrower path, or find/grep]"
        );
        for i in 0..2100 {
            fs::write(d.join(format!("g{i:04}")), "").unwrap();
        }
        let out = run(&args(&[("limit", "5000")]), &ws).unwrap();
        assert!(out.lines().count() <= MAX_LINES + 1);
        assert!(
            out.ends_with("of 2130 entries; use a narrower path, or find/grep]"),
            "{}",
            out.lines().last().unwrap()
        );
    }
}

//! The walker's tests (walk.rs): .gitignore rules against git's own
//! answer, ignored directories, symlinks, odd names, large directories.

use super::*;
use std::path::PathBuf;

/// A fresh directory with `files` (path, content) written in it.
pub fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mote-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    for (path, text) in files {
        let p = d.join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    fs::create_dir_all(&d).unwrap();
    d.canonicalize().unwrap()
}

fn list(root: &Path, start: &str) -> Vec<String> {
    let mut out = Vec::new();
    walk(root, &root.join(start), &mut |_, rel, is_dir| {
        out.push(if is_dir {
            format!("{rel}/")
        } else {
            rel.to_string()
        });
        Flow::Continue
    })
    .unwrap();
    out
}

#[test]
fn gitignore_rules() {
    let d = tree(
        "walk-ignore",
        &[
            (
                ".gitignore",
                "# comment\n\n*.log\n!keep.log\nbuild/\n/top.txt\ndocs/*.md\n\\#hash\nsp\\ \n",
            ),
            ("a.log", ""),
            ("keep.log", ""),
            ("build/out.o", ""),
            ("src/build", "a file named build is not a directory"),
            ("top.txt", ""),
            ("src/top.txt", ""),
            ("docs/a.md", ""),
            ("docs/sub/b.md", ""),
            ("#hash", ""),
            ("sp ", ""),
            (".env", ""),
            (".git/config", ""),
            (".git/info/exclude", "secret\n"),
            ("src/secret", ""),
            ("src/.gitignore", "*.tmp\n!a.log\n"),
            ("src/x.tmp", ""),
            ("src/a.log", ""),
            ("src/sub/y.tmp", ""),
            ("z.tmp", ""),
        ],
    );
    let got = list(&d, ".");
    let want = [
        ".env",
        ".gitignore",
        "docs/",
        "docs/sub/",
        "docs/sub/b.md",
        "keep.log",
        "src/",
        "src/.gitignore",
        "src/a.log",
        "src/build",
        "src/sub/",
        "src/top.txt",
        "z.tmp",
    ];
    assert_eq!(got, want);
}

#[test]
fn ignored_dir_not_descended_and_start_inside() {
    let d = tree(
        "walk-nodesc",
        &[
            (".gitignore", "node_modules\nlib/gen/\n"),
            ("node_modules/x/index.js", ""),
            ("lib/gen/a.rs", ""),
            ("lib/ok.rs", ""),
            ("lib/.gitignore", "*.bak\n"),
            ("lib/deep/x.bak", ""),
            ("lib/deep/x.rs", ""),
        ],
    );
    let mut visited = Vec::new();
    walk(&d, &d, &mut |_, rel, _| {
        visited.push(rel.to_string());
        Flow::Continue
    })
    .unwrap();
    assert!(
        !visited
            .iter()
            .any(|v| v.contains("node_modules") || v.contains("gen")),
        "{visited:?}"
    );
    // Starting below the root still applies the root's and lib's rules.
    assert_eq!(list(&d, "lib/deep"), ["lib/deep/x.rs"]);
    // An explicitly named ignored directory is searched.
    assert_eq!(
        list(&d, "node_modules"),
        ["node_modules/x/", "node_modules/x/index.js"]
    );
}

#[test]
fn stop_file_start_and_symlinks() {
    let d = tree("walk-misc", &[("a", ""), ("b", ""), ("dir/c", "")]);
    std::os::unix::fs::symlink(d.join("dir"), d.join("loop")).unwrap();
    std::os::unix::fs::symlink(d.join("a"), d.join("link-a")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", d.join("out")).unwrap();
    assert_eq!(list(&d, "."), ["a", "b", "dir/", "dir/c", "link-a"]);
    assert_eq!(list(&d, "dir/c"), ["dir/c"]);
    let mut n = 0;
    let end = walk(&d, &d, &mut |_, _, _| {
        n += 1;
        if n == 2 {
            Flow::Stop
        } else {
            Flow::Continue
        }
    });
    assert_eq!(end, Ok(End::Stopped));
    assert!(walk(&d, &d.join("missing"), &mut |_, _, _| Flow::Continue)
        .unwrap_err()
        .contains("cannot read `missing`"));
}

/// The files git itself lists as untracked and not ignored in `d` (a
/// fresh repository), sorted as the walker sorts.
fn git_untracked(d: &Path) -> Vec<String> {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .current_dir(d)
            .args(["-c", "core.quotePath=false"])
            .args(args)
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    git(&["init", "-q"]);
    let mut v: Vec<String> = git(&["ls-files", "-z", "--others", "--exclude-standard"])
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    v.sort();
    v
}

/// Nested .gitignore files with negations, dir-only rules, anchored
/// rules and a directory whose exclusion no negation below can undo:
/// the walker keeps exactly the files git keeps.
#[test]
fn nested_negation_agrees_with_git() {
    let d = tree(
        "walk-git",
        &[
            (
                ".gitignore",
                "*.gen\nbuild/\n!build/keep.txt\nlogs/*\n!logs/important.log\n/top.rs\ntmp\n",
            ),
            ("a.gen", ""),
            ("top.rs", ""),
            ("build/keep.txt", ""),
            ("build/x/y.txt", ""),
            ("logs/a.log", ""),
            ("logs/important.log", ""),
            ("logs/sub/b.log", ""),
            ("src/.gitignore", "!b.gen\n*.rs\n!main.rs\n/only-here\n"),
            ("src/b.gen", ""),
            ("src/main.rs", ""),
            ("src/lib.rs", ""),
            ("src/top.rs", ""),
            ("src/only-here", ""),
            ("src/deep/only-here", ""),
            ("src/deep/.gitignore", "!lib.rs\nmain.rs\n"),
            ("src/deep/lib.rs", ""),
            ("src/deep/main.rs", ""),
            ("src/deep/x.gen", ""),
            ("src/tmp/t.txt", ""),
            ("src/tmpx/t.txt", ""),
            ("docs/b.gen/inside.txt", ""),
        ],
    );
    let want = git_untracked(&d);
    let got: Vec<String> = list(&d, ".")
        .into_iter()
        .filter(|p| !p.ends_with('/'))
        .collect();
    assert_eq!(got, want);
    assert!(got.contains(&"src/deep/lib.rs".to_string()), "{got:?}");
    assert!(got.contains(&"logs/important.log".to_string()), "{got:?}");
    assert!(!got.iter().any(|p| p.starts_with("build/")), "{got:?}");
}

/// An ignored directory is not read at all: the walk never visits what
/// is inside it, and entries inside it do not count towards the cap.
#[test]
fn ignored_dirs_are_not_visited() {
    let d = tree(
        "walk-skip",
        &[(".gitignore", "node_modules/\n"), ("src/a.rs", "")],
    );
    for i in 0..300 {
        fs::create_dir_all(d.join(format!("node_modules/p{i}"))).unwrap();
    }
    let mut visited = Vec::new();
    let end = walk(&d, &d, &mut |_, rel, _| {
        visited.push(rel.to_string());
        Flow::Continue
    });
    assert_eq!(end, Ok(End::Done));
    assert_eq!(visited, [".gitignore", "src", "src/a.rs"]);
}

/// Links: to a file inside (directly or through another link) are kept;
/// to a directory (a loop), to themselves, dangling, or outside are not.
#[test]
fn symlink_loops_and_chains() {
    use std::os::unix::fs::symlink;
    let d = tree("walk-links", &[("a.rs", ""), ("dir/b.rs", "")]);
    symlink(".", d.join("dir/up")).unwrap();
    symlink("..", d.join("dir/parent")).unwrap();
    symlink("self", d.join("self")).unwrap();
    symlink("l2", d.join("l1")).unwrap();
    symlink("a.rs", d.join("l2")).unwrap();
    symlink("nowhere", d.join("dangling")).unwrap();
    symlink("/", d.join("dir/slash")).unwrap();
    assert_eq!(list(&d, "."), ["a.rs", "dir/", "dir/b.rs", "l1", "l2"]);
}

/// Names that are not UTF-8 or hold a newline are found, shown with
/// U+FFFD for the bad bytes, sorted by their bytes, and ignore rules see
/// them.
#[test]
fn odd_names() {
    use std::os::unix::ffi::OsStrExt;
    let d = tree("walk-odd", &[(".gitignore", "*.skip\n")]);
    for name in [
        &b"bad\xff.rs"[..],
        b"new\nline.rs",
        b"z\xfe.skip",
        b"b\xc3\xa9.rs",
    ] {
        fs::write(d.join(OsStr::from_bytes(name)), "").unwrap();
    }
    assert_eq!(
        list(&d, "."),
        [".gitignore", "bad\u{FFFD}.rs", "bé.rs", "new\nline.rs"]
    );
}

/// A directory whose entries take several getdents64 calls is read
/// whole, and sorted.
#[test]
fn large_directory() {
    let d = tree("walk-large", &[]);
    let long = "x".repeat(60);
    for i in (0..3000).rev() {
        fs::write(d.join(format!("{i:05}{long}")), "").unwrap();
    }
    let got = list(&d, ".");
    assert_eq!(got.len(), 3000);
    assert!(got
        .iter()
        .enumerate()
        .all(|(i, n)| *n == format!("{i:05}{long}")));
}

//! Tests that the grep tool's fast path finds what a plain search finds: for
//! each pattern, the block scanner with its literal prefilter (scan.rs,
//! literal.rs) against a reference that reads each file whole and runs the
//! regex on every line, as the tool did before; and the scanner with and
//! without its prefilter, with context lines. The files put lines across
//! block boundaries, CRLF endings, invalid UTF-8, multi-byte and case-folding
//! characters, a literal split by a line break, late NULs and long lines.

use super::matcher;
use crate::tool::scan::{Scan, MAX_LINE};
use crate::tool::truncate::floor_char;
use crate::tool::walk::tests::tree;
use std::path::Path;

/// (pattern, literal, ignore_case)
const PATTERNS: &[(&str, bool, bool)] = &[
    (r"createHash\(", false, false),
    ("createHash(", true, false),
    ("createhash(", true, true),
    ("hash", false, true),
    ("HASH", false, true),
    ("foo|bar", false, false),
    ("(ab|cd)x", false, false),
    ("ab?x", false, false),
    ("a(?:bc)?x", false, false),
    (r"^\s*$", false, false),
    (r"^\s+$", false, false),
    (r"^\S*$", false, false),
    (r"^\s*\}?$", false, false),
    (r"^\w+\(\)?\s{0,3}$", false, false),
    ("^END$", false, true),
    ("^é+$", false, false),
    (r"^\d{4}-\d{2}-\d{2}$", false, false),
    ("^$", false, false),
    (r"\d{4}-\d{2}", false, false),
    ("grüße", false, false),
    ("GRÜSSE", false, true),
    ("strasse", false, true),
    ("k", false, true),
    ("ſ", false, false),
    ("é+", false, false),
    ("\u{fffd}", false, false),
    ("\u{fffd}x", true, false),
    ("end$", false, false),
    (r"x\r", false, false),
    ("x\r", true, false),
    ("hello world", true, false),
    (r"hello\nworld", false, false),
    ("straddle_marker", false, false),
    ("straddle_marker", true, true),
    ("needle.*needle", false, false),
    (r"[0-9]+ needle", false, false),
    (r"late \w+", false, false),
    ("", false, false),
];

fn files() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = vec![
        (
            "a.rs".into(),
            "fn main() {\r\n  let h = createHash(x);\r\n  crypto.CREATEHASH(y)\r\n\r\n  foo();\n  \t \n  ab x abx cdx\n  ax only\n  2024-05-06\n  grüße GRÜSSE grÜSSE Straße STRASSE\n  K (kelvin) k ſ é éé\n  x\rend\nend\r\n}\n   \nééé\nfoo() \r\n2024-05-06\n  late word"
                .into(),
        ),
        ("split.txt".into(), b"createHa\nsh(\nhello\nworld\n".to_vec()),
        ("invalid.txt".into(), b"bad \xff\xfe bytes\nmore \xe2\x82 x\nok line\n".to_vec()),
        ("bin.dat".into(), b"createHash(\0".to_vec()),
        ("empty.txt".into(), Vec::new()),
    ];
    // Past the binary probe, a NUL does not make a file binary.
    let mut late = "late text\n".repeat(1000).into_bytes();
    late.extend_from_slice(b"\0 createHash( late nul\n");
    v.push(("late.txt".into(), late));
    // Many lines across several blocks, a literal split by a block edge,
    // matches at block edges, and a line longer than a block.
    let mut big = String::new();
    let mut n = 0;
    while big.len() < 450_000 {
        n += 1;
        let line = match n % 997 {
            0 => format!("{n} needle and needle again"),
            5 => format!("{n} createHash(foo) hash HASH"),
            7 => String::new(),
            _ => format!("{n} filler text for the block scanner, foo={}", n * 7),
        };
        big.push_str(&line);
        big.push('\n');
        if n % 4001 == 0 {
            big.push_str(&format!(
                "{} straddle_marker {}\n",
                "y".repeat(200_000),
                "z".repeat(50)
            ));
        }
    }
    let edge = 131_072 - 6;
    let at = big.get(..edge).and_then(|s| s.rfind('\n')).unwrap() + 1;
    big.insert_str(at, &format!("{}straddle_marker\n", "w".repeat(edge - at)));
    v.push(("big.txt".into(), big.into_bytes()));
    v
}

/// What the tool printed before the scanner: the whole file, `str::lines`,
/// the regex on every line, long lines cut at 300 bytes.
fn reference(root: &Path, names: &[String], pattern: &str, literal: bool, ic: bool) -> String {
    let src = if literal {
        regex_lite::escape(pattern)
    } else {
        pattern.to_string()
    };
    let re = regex_lite::RegexBuilder::new(&src)
        .case_insensitive(ic)
        .build()
        .unwrap();
    let mut out = String::new();
    for name in names {
        let bytes = std::fs::read(root.join(name)).unwrap();
        // The files are smaller than scan.rs's first read, so a NUL
        // anywhere makes the whole file binary.
        if bytes.contains(&0) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for (i, line) in text.lines().enumerate() {
            if re.is_match(line) {
                let keep = floor_char(line, 300);
                out.push_str(&format!("{name}:{}:{}", i + 1, &line[..keep]));
                if keep < line.len() {
                    out.push_str(&format!(" [… {} more bytes]", line.len() - keep));
                }
                out.push('\n');
            }
        }
    }
    out
}

fn scan(root: &Path, names: &[String], pat: (&str, bool, bool), ctx: usize, pre: bool) -> String {
    let (m, p) = matcher(pat.0, pat.1, pat.2).unwrap();
    let mut s = Scan::new(m, p.filter(|_| pre), ctx, usize::MAX);
    for name in names {
        s.file(&root.join(name), name);
    }
    s.output().to_string()
}

#[test]
fn prefilter_finds_what_a_plain_search_finds() {
    let files = files();
    let root = tree("grep-equiv", &[]);
    for (name, bytes) in &files {
        std::fs::write(root.join(name), bytes).unwrap();
    }
    let names: Vec<String> = files.iter().map(|f| f.0.clone()).collect();
    for &pat in PATTERNS {
        let want = reference(&root, &names, pat.0, pat.1, pat.2);
        let got = scan(&root, &names, pat, 0, true);
        assert_eq!(got, want, "pattern {pat:?}");
        for ctx in [1, 3] {
            let with = scan(&root, &names, pat, ctx, true);
            let without = scan(&root, &names, pat, ctx, false);
            assert_eq!(with, without, "pattern {pat:?}, context {ctx}");
        }
    }
    // Spot checks that the reference is not vacuous.
    let hits = |p| reference(&root, &names, p, false, false).lines().count();
    assert!(hits(r"createHash\(") > 5 && hits("straddle_marker") == 2);
    assert_eq!(hits("createHa"), hits(r"createHash\(") + 1, "split.txt");
    assert!(reference(&root, &names, "strasse", false, true).contains("STRASSE"));
}

#[test]
fn a_line_over_max_line_is_searched_in_windows() {
    let root = tree("grep-huge-line", &[]);
    // Line 2 is 3.5 windows of "é" (window edges fall inside characters)
    // with markers around each multiple of MAX_LINE, where window edges
    // are, and "createHash(" only at its end.
    let mut long = "é".repeat(MAX_LINE * 7 / 4);
    for k in 1..=3 {
        for d in [-9i64, -3, 0, 5] {
            let at = floor_char(&long, (MAX_LINE as i64 * k + d) as usize);
            long.insert_str(at, "EDGE");
        }
    }
    let text = format!("first createHash( line\n{long}createHash( beyond\nlast line é\n");
    std::fs::write(root.join("huge.txt"), &text).unwrap();
    let names = vec!["huge.txt".to_string()];
    let run = |pat, ctx| scan(&root, &names, (pat, false, false), ctx, true);
    let late = "huge.txt:2:".to_string() + &"é".repeat(150) + " [… line over 512 KB]\n";
    assert_eq!(
        run(r"createHash\(", 0),
        format!("huge.txt:1:first createHash( line\n{late}")
    );
    assert_eq!(run(r"beyond$", 0), late, "`$` at the line's end");
    assert_eq!(
        run(r"é$", 0),
        "huge.txt:3:last line é\n",
        "`$` not at windows' ends"
    );
    assert_eq!(run(r"^é", 0), late, "`^` at the line's start");
    assert_eq!(run(r"^EDGE", 0), "", "no `^` at windows' starts");
    assert_eq!(run(r"éEDGEé", 0), late.clone());
    assert_eq!(run(r"EDGE", 0), late);
    // A late match keeps its after-context; a first-window one its before.
    let got = run(r"beyond", 1);
    assert!(
        got.starts_with("huge.txt:2:éé") && got.ends_with("huge.txt-3-last line é\n"),
        "{got}"
    );
    let got = run(r"^é", 1);
    assert!(
        got.starts_with("huge.txt-1-first") && got.contains("huge.txt:2:éé"),
        "{got}"
    );
}

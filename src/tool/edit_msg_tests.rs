//! The edit tool's reports and refusals, where a wrong number misleads the
//! model's next call: match lists past 20, the line spans of what was
//! replaced, deleted lines, the hints when old_text is not found, the size
//! limit and directories; and which line ends a file
//! keeps.

use super::tests::edit;
use crate::tool::write::tests::tmp_ws;
use std::fs;

#[test]
fn match_lists_stop_at_twenty() {
    let (d, ws) = tmp_ws("edit-twenty");
    for (n, more) in [(2, ""), (20, ""), (21, ", ...")] {
        let f = format!("f{n}");
        fs::write(d.join(&f), "x\n".repeat(n)).unwrap();
        let lines: Vec<String> = (1..=n.min(20)).map(|i| i.to_string()).collect();
        let err = edit(&ws, &f, "x", "y", false).unwrap_err();
        assert_eq!(
            err,
            format!(
                "old_text matches {n} times in {f} (lines {}{more}); add surrounding lines to make it unique, or set replace_all",
                lines.join(", ")
            )
        );
        let out = edit(&ws, &f, "x", "y", true).unwrap();
        let spans: Vec<String> = (1..=n.min(20)).map(|i| format!("line {i}")).collect();
        let head = format!(
            "Edited {f}: replaced {n} occurrences ({}{more})\n",
            spans.join(", ")
        );
        assert!(out.starts_with(&head), "{out}");
        assert_eq!(fs::read_to_string(d.join(&f)).unwrap(), "y\n".repeat(n));
    }
}

#[test]
fn size_limit_is_exact_and_directories_are_refused() {
    let (d, ws) = tmp_ws("edit-size");
    // Sparse files: the limit itself is read (and found binary), one byte
    // more is refused before reading.
    for (name, len) in [("at", super::MAX_FILE), ("over", super::MAX_FILE + 1)] {
        fs::File::create(d.join(name))
            .unwrap()
            .set_len(len)
            .unwrap();
    }
    let err = edit(&ws, "at", "a", "b", false).unwrap_err();
    assert_eq!(err, "at looks binary (it has NUL bytes); edit it with bash");
    let err = edit(&ws, "over", "a", "b", false).unwrap_err();
    assert_eq!(
        err,
        format!(
            "cannot read over: it is too large to edit ({} bytes); use bash",
            super::MAX_FILE + 1
        )
    );
    fs::create_dir(d.join("sub")).unwrap();
    let err = edit(&ws, "sub", "a", "b", false).unwrap_err();
    assert_eq!(err, "cannot read sub: it is a directory");
}

#[test]
fn line_ends_are_judged_by_the_first_line_even_when_empty() {
    let (d, ws) = tmp_ws("edit-first-line");
    fs::write(d.join("lf"), "\nold\nx\n").unwrap();
    fs::write(d.join("crlf"), "\r\nold\r\nx\r\n").unwrap();
    edit(&ws, "lf", "old\nx", "new\ny", false).unwrap();
    edit(&ws, "crlf", "old\nx", "new\ny", false).unwrap();
    assert_eq!(fs::read_to_string(d.join("lf")).unwrap(), "\nnew\ny\n");
    assert_eq!(
        fs::read_to_string(d.join("crlf")).unwrap(),
        "\r\nnew\r\ny\r\n"
    );
}

#[test]
fn reports_name_the_lines_changed() {
    let (d, ws) = tmp_ws("edit-spans");
    fs::write(d.join("f"), "a\nb\nc\nd\n").unwrap();
    let out = edit(&ws, "f", "c\nd", "C\nD", false).unwrap();
    assert_eq!(
        out,
        "Edited f: replaced 1 occurrence (lines 3-4)\n@@ line 3\n-c\n-d\n+C\n+D"
    );
    // A match that ends the file, with no newline after it.
    fs::write(d.join("g"), "x\nabc").unwrap();
    let out = edit(&ws, "g", "bc", "BC", false).unwrap();
    assert_eq!(
        out,
        "Edited g: replaced 1 occurrence (line 2)\n@@ line 2\n-abc\n+aBC"
    );
    assert_eq!(fs::read_to_string(d.join("g")).unwrap(), "x\naBC");
    // Lines the match shares at both ends are left out of the diff.
    fs::write(d.join("k"), "a\nb\nc\n").unwrap();
    let out = edit(&ws, "k", "a\nb\nc", "a\nB\nc", false).unwrap();
    assert_eq!(
        out,
        "Edited k: replaced 1 occurrence (lines 1-3)\n@@ line 2\n-b\n+B"
    );
}

#[test]
fn deleted_lines_are_shown_as_deleted_only() {
    let (d, ws) = tmp_ws("edit-delete");
    for (body, old, diff) in [
        (
            "caf\nremove me\nend\n",
            "remove me\n",
            "@@ line 2\n-remove me",
        ),
        ("remove me\nend\n", "remove me\n", "@@ line 1\n-remove me"),
        ("x\ny\n", "y\n", "@@ line 2\n-y"),
        ("a b c\nend\n", "b ", "@@ line 1\n-a b c\n+a c"),
        ("x\ny", "\ny", "@@ line 2\n-y"),
    ] {
        fs::write(d.join("p"), body).unwrap();
        let out = edit(&ws, "p", old, "", false).unwrap();
        assert_eq!(out.split_once('\n').map(|(_, r)| r), Some(diff), "{body:?}");
        assert_eq!(
            fs::read_to_string(d.join("p")).unwrap(),
            body.replacen(old, "", 1)
        );
    }
}

#[test]
fn not_found_hints_name_lines_and_cut_long_ones() {
    let (d, ws) = tmp_ws("edit-hints");
    let long = format!("    let x = {};", "y".repeat(200));
    let body = format!("fn f() {{\n    return  x\n    y\n}}\nzz end\nfn f() {{\n{long}\n");
    fs::write(d.join("h"), &body).unwrap();
    let miss = "old_text not found in h";
    let loose = "if whitespace is ignored, so copy the text exactly (indentation, tabs, spaces)";
    let cut = format!("{:?}...", &long[..160]);
    for (old, want) in [
        // Whole lines inside, partial ones at either end.
        (
            "return x\ny\n}".to_string(),
            format!("{miss}; it matches lines 2-4 {loose}; its first line is closest to 2: \"    return  x\""),
        ),
        (
            "rn  x\n  y\n}\nzz".to_string(),
            format!("{miss}; it matches lines 2-5 {loose}; its first line is closest to 2: \"    return  x\""),
        ),
        (
            "return x".to_string(),
            format!("{miss}; it matches line 2 {loose}; its first line is closest to 2: \"    return  x\""),
        ),
        // One line may match inside a line.
        (
            "tu rn".to_string(),
            format!("{miss}; it matches line 2 {loose}; no line resembles \"tu rn\"; read the file again"),
        ),
        ("  \n ".to_string(), format!("{miss} (old_text is only whitespace)")),
        (
            "fn f() {\n  nope".to_string(),
            format!("{miss}; its first line appears 1: \"fn f() {{\", 6: \"fn f() {{\""),
        ),
        (
            format!("{}z", &long[..180]),
            format!("{miss}; its first line is closest to 7: {cut}"),
        ),
    ] {
        assert_eq!(edit(&ws, "h", &old, "Q", false).unwrap_err(), want);
    }
    assert_eq!(fs::read_to_string(d.join("h")).unwrap(), body);
}

#[test]
fn a_line_resembles_by_its_share_of_character_pairs() {
    // One pair in common of 8 is no resemblance, however often it repeats
    // on either side.
    let (d, ws) = tmp_ws("edit-pairs");
    let none = |f: &str, old: &str| {
        format!("old_text not found in {f}; no line resembles {old:?}; read the file again")
    };
    fs::write(d.join("a"), "abababab\n").unwrap();
    let err = edit(&ws, "a", "ab\nQQQ", "x", false).unwrap_err();
    assert_eq!(err, none("a", "ab"));
    fs::write(d.join("b"), "ab\n").unwrap();
    let err = edit(&ws, "b", "abababab", "x", false).unwrap_err();
    assert_eq!(err, none("b", "abababab"));
    // Of two lines alike, the first is named.
    fs::write(d.join("c"), "abcX\nabcY\n").unwrap();
    let err = edit(&ws, "c", "abcZ", "x", false).unwrap_err();
    assert_eq!(
        err,
        "old_text not found in c; its first line is closest to 1: \"abcX\""
    );
}

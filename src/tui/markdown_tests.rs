//! Golden tests of the Markdown renderer: input fragments, the terminal
//! width, colour or not, and the exact rows out (escapes shown as tags).

use super::Markdown;

/// Render `parts` as streamed fragments.
fn render(color: bool, width: usize, parts: &[&str]) -> String {
    let mut m = Markdown::new(color, width);
    let mut out = String::new();
    for p in parts {
        m.push(p, &mut out);
    }
    m.finish(&mut out);
    out
}

/// Escapes as readable tags: SGR `<1;36>` and `</>`, OSC 8 `<a URL>` `</a>`.
fn tags(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('\x1b') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(r) = rest.strip_prefix("\x1b]8;;") {
            let end = r.find("\x1b\\").unwrap();
            let url = &r[..end];
            out.push_str(&if url.is_empty() {
                "</a>".to_string()
            } else {
                format!("<a {url}>")
            });
            rest = &r[end + 2..];
        } else {
            let end = rest.find('m').unwrap();
            let code = &rest[2..end];
            out.push_str(&if code == "0" {
                "</>".to_string()
            } else {
                format!("<{code}>")
            });
            rest = &rest[end + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// Every character fed as its own fragment gives the same output.
fn same_streamed(color: bool, width: usize, text: &str) -> String {
    let whole = render(color, width, &[text]);
    let parts: Vec<String> = text.chars().map(String::from).collect();
    let parts: Vec<&str> = parts.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        render(color, width, &parts),
        whole,
        "streamed one char at a time"
    );
    whole
}

#[test]
fn golden() {
    let cases: &[(bool, usize, &str, &str)] = &[
        // Inline markup.
        (
            true,
            80,
            "a *em* **strong** ~~gone~~ `code` _u_ snake_case_name\n",
            "a <3>em</> <1>strong</> <9>gone</> <36>code</> <3>u</> snake_case_name\n",
        ),
        (
            true,
            80,
            "***both*** and 2 * 3 * 4\n",
            "<1;3>both</> and 2 * 3 * 4\n",
        ),
        (
            false,
            80,
            "a *em* **strong** `code` \\*lit\\*\n",
            "a em strong code *lit*\n",
        ),
        // Unclosed markup is literal, and does not bleed into the next line.
        (true, 80, "an **open one\nnext\n", "an **open one\nnext\n"),
        (true, 80, "`unclosed code\n", "`unclosed code\n"),
        // Links: text (url) without OSC 8.
        (
            true,
            80,
            "see [the docs](https://x.io/d) now\n",
            "see the docs <2>(https://x.io/d)</> now\n",
        ),
        (false, 80, "<https://x.io>\n", "https://x.io\n"),
        // Headings, rules, quotes.
        (true, 80, "## Plan **now**\n", "<1;35>Plan now</>\n"),
        (false, 80, "## Plan\n", "## Plan\n"),
        (true, 10, "---\n", "<2>──────────</>\n"),
        (false, 10, "***\n", "---\n"),
        (
            true,
            80,
            "> quoted *text*\n>> deeper\n",
            "<2>│ </>quoted <3>text</>\n<2>│ │ </>deeper\n",
        ),
        // Nested lists: bullets per level, numbers kept, hanging indent.
        (
            true,
            80,
            "- one\n  - two\n    - three\n      1. four\n- five\n",
            "• one\n  ◦ two\n    ▪ three\n      1. four\n• five\n",
        ),
        (false, 80, "- one\n  * two\n", "- one\n  * two\n"),
        (
            true,
            14,
            "- alpha beta gamma delta\n",
            "• alpha beta\n  gamma delta\n",
        ),
        (
            true,
            80,
            "1. first\n   more of it\n2. second\n",
            "1. first\n   more of it\n2. second\n",
        ),
        (true, 80, "- [ ] todo\n- [x] done\n", "☐ todo\n☑ done\n"),
        (false, 80, "- [ ] todo\n", "- [ ] todo\n"),
        // A paragraph after a list and a blank line is not in the list.
        (true, 80, "- a\n\nafter\n", "• a\n\nafter\n"),
        // Wrapping: words are not broken; CJK and emoji count two columns.
        (false, 10, "one two three four\n", "one two\nthree four\n"),
        (false, 11, "日本語のテキスト\n", "日本語のテ\nキスト\n"),
        (false, 12, "🦀🦀🦀 🦀🦀🦀🦀\n", "🦀🦀🦀\n🦀🦀🦀🦀\n"),
    ];
    let mut bad = Vec::new();
    for (color, width, input, want) in cases {
        let got = tags(&same_streamed(*color, *width, input));
        if &got != want {
            bad.push(format!(
                "{input:?} color {color} width {width}\n got  {got:?}\n want {want:?}"
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn code_blocks() {
    let cases: &[(bool, &str, &str)] = &[
        (
            true,
            "```rust\nfn main() { let x = 42; // hi\n}\n```\n",
            "  <33>rust</>\n  <35>fn</> main() { <35>let</> x = <33>42</>; <2;3>// hi</>\n  }\n",
        ),
        (
            true,
            "```python\ndef f():\n    return \"s\" # c\n```\n",
            "  <33>python</>\n  <35>def</> f():\n      <35>return</> <32>\"s\"</> <2;3># c</>\n",
        ),
        (
            true,
            "```go\n/* a\nb */ x\n```\n",
            "  <33>go</>\n  <2;3>/* a</>\n  <2;3>b */</> x\n",
        ),
        (
            true,
            "```json\n{\"k\": true, \"n\": 1.5}\n```\n",
            "  <33>json</>\n  {<36>\"k\"</>: <35>true</>, <36>\"n\"</>: <33>1.5</>}\n",
        ),
        (
            true,
            "```yaml\n- name: x # c\n```\n",
            "  <33>yaml</>\n  - <36>name</>: x <2;3># c</>\n",
        ),
        (
            true,
            "```toml\n[deps]\nx = 'y'\n```\n",
            "  <33>toml</>\n  <36>[deps]</>\n  <36>x</> = <32>'y'</>\n",
        ),
        (
            true,
            "```sh\necho \"$HOME\" # c\n```\n",
            "  <33>sh</>\n  <35>echo</> <32>\"$HOME\"</> <2;3># c</>\n",
        ),
        (
            true,
            "```ts\nconst a: string = `t`;\n```\n",
            "  <33>ts</>\n  <35>const</> a: string = <32>`t`</>;\n",
        ),
        (
            true,
            "```c\n#include <x.h>\nint main;\n```\n",
            "  <33>c</>\n  <35>#include</> <x.h>\n  <35>int</> main;\n",
        ),
        (
            true,
            "```diff\n@@ -1 +1 @@\n-old\n+new\n```\n",
            "  <33>diff</>\n  <36>@@ -1 +1 @@</>\n  <31>-old</>\n  <32>+new</>\n",
        ),
        // Unknown language: plain, labelled. No language: no label.
        (
            true,
            "```cobol\nMOVE 1 TO X.\n```\n",
            "  <33>cobol</>\n  MOVE 1 TO X.\n",
        ),
        (true, "```\n*not* markup\n```\n", "  *not* markup\n"),
        // Without colour the fences stay, for copying.
        (
            false,
            "```rust\nfn main() {}\n```\n",
            "```rust\nfn main() {}\n```\n",
        ),
        // A fence that never closes: the code is shown, and closed without colour.
        (false, "```sh\nls", "```sh\nls\n```\n"),
        (true, "```sh\nls", "  <33>sh</>\n  ls\n"),
        // Inside a list item the code keeps the item's indentation.
        (
            true,
            "- step\n  ```sh\n  ls\n  ```\n",
            "• step\n    <33>sh</>\n    ls\n",
        ),
    ];
    let mut bad = Vec::new();
    for (color, input, want) in cases {
        let got = tags(&same_streamed(*color, 80, input));
        if &got != want {
            bad.push(format!("{input:?}\n got  {got:?}\n want {want:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Without mote's escapes (SGR and OSC 8); any other escape is left in.
fn strip(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('\x1b') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(r) = rest.strip_prefix("\x1b]8;;") {
            let end = r.find("\x1b\\").unwrap();
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix("\x1b[") {
            let end = r.find('m').unwrap();
            assert!(
                r[..end].chars().all(|c| c.is_ascii_digit() || c == ';'),
                "{s:?}"
            );
            rest = &r[end + 1..];
        } else {
            out.push('\x1b');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn tables() {
    let t = "| file | lines | note |\n|:---|---:|:---:|\n| a.rs | 10 | **new** |\n| 日本.rs | 2000 | x \\| y |\nafter\n";
    let boxed = "\
┌─────────┬───────┬───────┐
│ file    │ lines │ note  │
├─────────┼───────┼───────┤
│ a.rs    │    10 │  new  │
│ 日本.rs │  2000 │ x | y │
└─────────┴───────┴───────┘
after
";
    let colour = same_streamed(true, 30, t);
    assert_eq!(strip(&colour), boxed);
    // The header and the cell's markup in bold, the rules dim.
    assert!(
        tags(&colour).contains("<1>file</>") && tags(&colour).contains("<1>new</>"),
        "{colour}"
    );
    assert!(tags(&colour).starts_with("<2>┌"), "{colour}");
    // Without colour: a padded Markdown table, still valid when copied.
    let plain = "\
| file    | lines |  note  |
| ------- | ----: | :----: |
| a.rs    |    10 |  new   |
| 日本.rs |  2000 | x \\| y |
after
";
    assert_eq!(same_streamed(false, 80, t), plain);
    // Too narrow even when shrunk: one key-value block per row.
    let kv =
        "file: a.rs\nlines: 10\nnote: new\n\nfile: 日本.rs\nlines: 2000\nnote: x | y\n\nafter\n";
    assert_eq!(strip(&same_streamed(true, 20, t)), kv);
    // Wider than the terminal: the widest column shrinks, its cells wrap.
    let long = "| name | what it does |\n|---|---|\n| alpha | the first of the letters of the Greek alphabet |\n| beta | second |\n";
    let shrunk = "\
┌───────┬────────────────────┐
│ name  │ what it does       │
├───────┼────────────────────┤
│ alpha │ the first of the   │
│       │ letters of the     │
│       │ Greek alphabet     │
├───────┼────────────────────┤
│ beta  │ second             │
└───────┴────────────────────┘
";
    let got = strip(&same_streamed(true, 30, long));
    assert_eq!(got, shrunk);
    assert!(got.lines().all(|l| super::str_width(l) <= 30));
    // A `|` line with no delimiter row after it is text.
    assert_eq!(
        same_streamed(false, 80, "| not a table\nnext\n"),
        "| not a table\nnext\n"
    );
}

#[test]
fn streaming_holds_what_may_change() {
    let mut m = Markdown::new(true, 20);
    let mut out = String::new();
    // A table is held until its last row.
    m.push("| a | b |\n|---|---|\n| 1 | 2 |\n", &mut out);
    assert_eq!(out, "");
    m.push("| 3 | 4 |\ntext", &mut out);
    assert_eq!(out, "");
    m.push(" and more\n", &mut out);
    assert!(strip(&out).starts_with("┌───┬───┐\n│ a │ b │\n"), "{out}");
    assert!(strip(&out).ends_with("└───┴───┘\ntext and more\n"), "{out}");
    // A long line is shown row by row once its words are complete...
    out.clear();
    m.push("one two three four five six seven ei", &mut out);
    assert_eq!(out, "one two three four\n");
    // ...but not while markup is open.
    out.clear();
    m.push("ght **nine ten eleven twelve thirteen", &mut out);
    assert_eq!(out, "");
    m.push("**\n", &mut out);
    assert_eq!(
        tags(&out),
        "five six seven eight\n<1>nine ten eleven</>\n<1>twelve thirteen</>\n"
    );
    // Past 200 rows a table is shown as it is, and later rows follow.
    out.clear();
    m.push("| n |\n|---|\n", &mut out);
    for i in 0..201 {
        m.push(&format!("| {i} |\n"), &mut out);
    }
    assert!(strip(&out).contains("│ 200 │\n"), "flushed at the cap");
    out.clear();
    m.push("| 7777 |\n", &mut out);
    // (in the width already shown)
    assert_eq!(strip(&out), "│ 777 │\n│ 7   │\n");
    out.clear();
    m.finish(&mut out);
    assert_eq!(strip(&out), "└─────┘\n");
}

#[test]
fn control_sequences_do_not_pass() {
    let evil = "a\x1b]0;pwned\x07b \x1b[2J**c**\u{9b}31m\n| x\x1b[31m |\n|---|\n| \x1b]8;;http://e\x1b\\y |\n";
    for color in [true, false] {
        let out = same_streamed(color, 40, evil);
        let stray = out
            .replace("\x1b[0m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[2m", "");
        assert!(!stray.contains(['\x1b', '\u{9b}', '\x07']), "{out:?}");
        assert!(strip(&out).starts_with("ab c\n"), "{out:?}");
    }
}

#[test]
fn hyperlinks_and_no_italics_where_the_terminal_lacks_them() {
    let mut m = Markdown::new(true, 80);
    m.osc8 = true;
    let mut out = String::new();
    m.push(
        "see [the *docs*](https://x.io/d) and <https://y.io>\n",
        &mut out,
    );
    assert_eq!(
        tags(&out),
        "see <a https://x.io/d><4>the </><3;4>docs</a></> and <a https://y.io><4>https://y.io</a></>\n"
    );
    let mut m = Markdown::new(true, 80);
    m.italic = false;
    out.clear();
    m.push("*em* **strong** ***both***\n", &mut out);
    assert_eq!(tags(&out), "em <1>strong both</>\n");
}

/// Random Markdown-like text in random fragments at random widths: no
/// panic, the same rows as when sent whole, no row wider than the
/// window, and no escape but mote's own.
#[test]
fn random_input_never_panics_or_overflows() {
    const ALPHABET: &[&str] = &[
        "|",
        "-",
        ":",
        "*",
        "_",
        "~",
        "`",
        "```",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "#",
        " ",
        "  ",
        "\n",
        "\t",
        "\\",
        "1.",
        "- ",
        "> ",
        "[x]",
        "a",
        "word",
        "日本",
        "🦀",
        "é",
        "\x1b",
        "]",
        "\x07",
        "\u{9b}",
        "http://x",
        "---",
        "|:-:|",
        "rust\n",
        "```rust\n",
    ];
    let mut seed = 0xf024e004b6ba1bc6u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..3000 {
        let text: String = (0..next(80))
            .map(|_| ALPHABET[next(ALPHABET.len())])
            .collect();
        let width = [0, 10, 12, 20, 40, 80][next(6)];
        let color = next(2) == 0;
        let mut m = Markdown::new(color, width);
        m.osc8 = next(2) == 0;
        let mut out = String::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let mut k = next(rest.len() + 1).max(1);
            while !rest.is_char_boundary(k) {
                k += 1;
            }
            m.push(&rest[..k], &mut out);
            rest = &rest[k..];
        }
        m.finish(&mut out);
        let mut whole = Markdown::new(color, width);
        whole.osc8 = m.osc8;
        let mut once = String::new();
        whole.push(&text, &mut once);
        whole.finish(&mut once);
        assert_eq!(
            out, once,
            "{text:?} at {width}: fragments change the output"
        );
        let shown = strip(&out);
        assert!(
            !shown.contains(['\x1b', '\x07', '\u{9b}']),
            "{text:?} -> {out:?}"
        );
        // Code lines are left to the terminal to wrap.
        if width >= 10 && color && !text.contains("```") {
            for l in shown.lines() {
                let w = super::str_width(l);
                assert!(w <= width, "{text:?} at {width}: row {l:?} is {w} wide");
            }
        }
    }
}

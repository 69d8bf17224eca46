//! Unit tests of the shell parser: lists, substitutions, redirections,
//! here-documents, and the syntax it reports as a problem.

use super::shell::*;

fn words(src: &str) -> Vec<Vec<String>> {
    let p = parse(src);
    assert!(p.problems.is_empty(), "{src}: {:?}", p.problems);
    p.cmds
        .iter()
        .map(|c| c.words.iter().map(|w| w.text.clone()).collect())
        .collect()
}

#[test]
fn splits_lists_pipelines_and_groups() {
    assert_eq!(
        words("a b; c && d || e | f & g"),
        [
            ["a", "b"].as_slice(),
            &["c"],
            &["d"],
            &["e"],
            &["f"],
            &["g"]
        ]
    );
    assert_eq!(
        words("(cd x && ls) ; { cat y; }"),
        [["cd", "x"].as_slice(), &["ls"], &["cat", "y"]]
    );
    assert_eq!(
        words("if true; then ls; fi\nwc -l # comment ; rm"),
        [["true"].as_slice(), &["ls"], &["wc", "-l"]]
    );
    assert_eq!(
        words(r#"echo 'a b' "c\"d" e\ f"#),
        [["echo", "a b", "c\"d", "e f"]]
    );
}

#[test]
fn substitutions_are_commands_too() {
    let p = parse("echo $(rm -rf x) `touch y` <(ls) \"$(id)\"");
    let names: Vec<String> = p.cmds.iter().map(|c| c.text()).collect();
    assert_eq!(
        names,
        [
            "rm -rf x",
            "touch y",
            "ls",
            "id",
            "echo $(...) `...` <(...) $(...)"
        ]
    );
    assert!(p.cmds[4].words[1].dynamic);
}

#[test]
fn redirections_assignments_heredocs() {
    let p =
        parse("A=1 B=\"x y\" cmd 2>&1 >out <in 3>>log &>/dev/null <<'EOF' x\nbody $(rm)\nEOF\nls");
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    let c = &p.cmds[0];
    assert_eq!(c.assigns.len(), 2);
    assert_eq!(c.assigns[1].1.text, "x y");
    let ops: Vec<(Option<u32>, &str, &str)> = c
        .redirs
        .iter()
        .map(|r| (r.fd, r.op, r.target.text.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            (Some(2), ">&", "1"),
            (None, ">", "out"),
            (None, "<", "in"),
            (Some(3), ">>", "log"),
            (None, "&>", "/dev/null"),
            (None, "<<", "EOF")
        ]
    );
    assert_eq!(c.text(), "cmd x");
    assert_eq!(p.cmds[1].text(), "ls");
    // An unquoted here-document's substitutions are commands.
    let p = parse("cat <<EOF\n$(rm x)\nEOF");
    assert!(p.cmds.iter().any(|c| c.text() == "rm x"));
}

#[test]
fn arbitrary_input_never_panics() {
    // A small LCG over shell metacharacters: deep nesting, cut-off quotes and the like.
    let alphabet: Vec<char> = "ab $(){}[]<>|&;'\"`\\\n#=*?~-0123456789<<EOF"
        .chars()
        .collect();
    let mut x: u64 = 0x2545F4914F6CDD1D;
    for len in 0..400 {
        let s: String = (0..len % 97)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                alphabet[(x >> 33) as usize % alphabet.len()]
            })
            .collect();
        let _ = parse(&s);
        let _ = crate::permission::readonly::check(&s, std::path::Path::new("/"));
    }
    let deep = "$(".repeat(5000);
    assert!(!parse(&deep).problems.is_empty());
    assert!(!parse(&"`".repeat(3001)).problems.is_empty());
}

#[test]
fn unknown_syntax_is_a_problem() {
    for src in [
        "for f in *; do rm $f; done",
        "case x in a) ;; esac",
        "f() { ls; }",
        "echo $((x+2))",
        "echo 'open",
        "echo $(ls",
        "(ls",
    ] {
        assert!(!parse(src).problems.is_empty(), "{src}");
    }
}

#[test]
fn nesting_is_refused_past_exactly_64_levels() {
    // The top-level list is level 1; each `$(` and each `${x:-` is one more.
    let subst = |k: usize| format!("echo {}x{}", "$(echo ".repeat(k), ")".repeat(k));
    let param = |k: usize| format!("echo {}y{}", "${x:-".repeat(k), "}".repeat(k));
    for (name, make) in [("$(", &subst as &dyn Fn(usize) -> String), ("${", &param)] {
        let ok = parse(&make(63));
        assert!(ok.problems.is_empty(), "{name} x63: {:?}", ok.problems);
        assert_eq!(
            ok.cmds.len(),
            if name == "$(" { 64 } else { 1 },
            "{name} x63"
        );
        let deep = parse(&make(64));
        assert!(
            deep.problems.iter().any(|p| p == "nesting too deep"),
            "{name} x64: {:?}",
            deep.problems
        );
    }
}

#[test]
fn each_problem_is_reported_once() {
    assert_eq!(
        parse("case x in x) ;; esac; case y in y) ;; esac; echo 'open").problems,
        [
            "`case` is not understood by the command checker",
            "unbalanced `)`",
            "`case` syntax",
            "`esac` is not understood by the command checker",
            "unterminated quote",
        ]
    );
}

#[test]
fn only_a_name_before_equals_is_an_assignment() {
    // bash runs a word like `a.b=1` as the program of that name.
    let cases: [(&str, &[&str], &[&str]); 6] = [
        ("A_1=x ls", &["A_1"], &["ls"]),
        ("_a=1 ls", &["_a"], &["ls"]),
        ("a.b=1 rm x", &[], &["a.b=1", "rm", "x"]),
        ("1a=1 rm x", &[], &["1a=1", "rm", "x"]),
        ("a-b=1 rm x", &[], &["a-b=1", "rm", "x"]),
        ("=1 rm x", &[], &["=1", "rm", "x"]),
    ];
    for (src, assigns, cmd) in cases {
        let p = parse(src);
        let c = &p.cmds[0];
        let names: Vec<&str> = c.assigns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, assigns, "{src}");
        assert_eq!(words(src), [cmd], "{src}");
    }
}

#[test]
fn case_terminators_outside_case_are_problems() {
    for src in ["ls ;; pwd", "ls ;& pwd", "ls ;;& pwd"] {
        assert_eq!(parse(src).problems, ["`case` syntax"], "{src}");
    }
}

#[test]
fn depth_counts_nesting_not_siblings() {
    let many = "echo".to_string() + &" $(pwd) ${HOME%/} `pwd`".repeat(70);
    assert!(parse(&many).problems.is_empty());
    assert_eq!(words(&many).len(), 141);
}

#[test]
fn a_process_substitution_is_a_redirection_target() {
    for (src, inner) in [("cat < <(ls a)", "ls"), ("ls > >(wc -l)", "wc")] {
        let p = parse(src);
        assert!(p.problems.is_empty(), "{src}: {:?}", p.problems);
        assert!(p.cmds.iter().any(|c| c.words[0].text == inner), "{src}");
        assert!(p.cmds.iter().any(|c| c.redirs.len() == 1), "{src}");
    }
    for src in ["cat <", "cat < ;", "cat < > f", "cat < (ls)"] {
        assert_eq!(
            parse(src).problems.first().map(String::as_str),
            Some("redirection without a target"),
            "{src}"
        );
    }
}

#[test]
fn a_process_substitution_inside_a_word_is_part_of_it() {
    // bash: `echo a<(ls) b>(wc)` prints `a/dev/fd/63 b/dev/fd/62`.
    assert_eq!(
        words("echo a<(ls) b>(wc)"),
        [
            ["ls"].as_slice(),
            ["wc"].as_slice(),
            ["echo", "a<(...)", "b<(...)"].as_slice()
        ]
    );
    let p = parse("echo a<(ls)");
    let w = &p.cmds[1].words[1];
    assert!(w.dynamic && w.plain == 1 && !w.may_become_option());
}

#[test]
fn parameter_forms_name_their_problem() {
    for (src, problem) in [
        ("echo ${!x}", "indirect expansion `${!...}`"),
        ("echo ${%x}", "an unknown `${...}` form"),
        ("echo ${x@Q}", "an assignment or transformation in `${...}`"),
        ("echo ${x=y}", "an assignment or transformation in `${...}`"),
        (
            "echo ${x:1}",
            "a substring offset or an assignment in `${...}`",
        ),
    ] {
        assert_eq!(
            parse(src).problems.first().map(String::as_str),
            Some(problem),
            "{src}"
        );
    }
}

#[test]
fn a_brace_word_ends_at_its_own_brace() {
    for src in [
        "${x:-a}",
        "${x:-a\\}b}",
        "${x:-\"}\"}",
        "${x:-'}'}",
        "${x:-$(echo })}",
    ] {
        let line = format!("echo {src} c");
        let p = parse(&line);
        assert!(p.problems.is_empty(), "{src}: {:?}", p.problems);
        let outer = p.cmds.last().unwrap();
        let texts: Vec<&str> = outer.words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts.len(), 3, "{src}: {texts:?}");
        assert_eq!(texts[2], "c", "{src}");
    }
}

#[test]
fn here_document_delimiters_with_expansions_are_problems() {
    for src in [
        "cat <<$X\nx\n$X",
        "cat <<$XaX\nx\naX",
        "cat <<`E`\nx\n`E`",
        "cat <<\"$E\"\nx\n$E",
    ] {
        assert_eq!(
            parse(src).problems,
            ["a here-document delimiter with an expansion or an escape"],
            "{src}"
        );
    }
}

#[test]
fn a_nested_parameter_keeps_its_text() {
    // The word's text is the expansion as written, up to the outer brace.
    for src in ["${a:-${b}'c'}", "${a:-${b:-x}'c'}", "\"${a:-${b}'c'}\""] {
        let line = format!("echo {src} d");
        let p = parse(&line);
        assert!(p.problems.is_empty(), "{src}: {:?}", p.problems);
        let texts: Vec<&str> = p.cmds[0].words.iter().map(|w| w.text.as_str()).collect();
        assert_eq!(texts, ["echo", src.trim_matches('"'), "d"], "{src}");
    }
}

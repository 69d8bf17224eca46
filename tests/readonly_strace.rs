//! The generative test of the read-only classifier. For every program on
//! the read-only list it builds commands from the program's options (the
//! listed spellings, and every long option from the installed tool's real
//! `--help` with each of its unambiguous abbreviations), hostile option
//! values, redirections and expansions; asks the classifier about each;
//! runs every approved one in a scratch directory under `strace -f`; and
//! fails, naming the command, on any write, exec or connect outside the
//! allowed ones. strace is a prerequisite (tests/setup.sh, .ci/run): the
//! test fails when it is missing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

#[path = "oracle/mod.rs"]
mod oracle;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use mote::permission::{git, options, readonly};
use oracle::{scratch, trace};

/// Option values an attacker would pick: a program to run, a file to
/// write, a date to set, a socket to open.
const VALUES: &[&str] = &[
    "sh",
    "./evil.sh",
    "out",
    "2020-01-01",
    "/dev/tcp/127.0.0.1/9",
];

/// Ways to wrap a command: redirections, expansions, wrappers.
const WRAPS: &[&str] = &[
    "{} f",
    "{} < f",
    "{} f 2>&1 >/dev/null",
    "LANG=C {} f",
    "{} $LANG f",
    "{} * ",
    "{} \"${HOME:-f}\"",
    "{} $[1+1] f",
    "echo f | xargs {}",
    "timeout 5 {} f",
    "env LC_ALL=C {} f",
    "{} f | head -1",
    "{} f > out",
    "{} f >> /dev/tcp/127.0.0.1/9",
    "cat <<E\n$({} f)\nE",
];

/// Long options from a tool's real `--help` (`--[no-]x` as both).
fn help_longs(prog: &str, sub: Option<&str>) -> Vec<String> {
    let mut c = Command::new(prog);
    match sub {
        Some(s) => c.args([s, "-h"]),
        None => c.arg("--help"),
    };
    let Ok(out) = c.stdin(Stdio::null()).output() else {
        return Vec::new();
    };
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let mut set = BTreeSet::new();
    for (k, _) in text.match_indices("--") {
        let rest = &text[k + 2..];
        let (neg, rest) = match rest.strip_prefix("[no-]") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name.len() > 1 && !name.starts_with('-') {
            if neg {
                set.insert(format!("--no-{name}"));
            }
            set.insert(format!("--{name}"));
        }
    }
    set.into_iter().collect()
}

/// Each long option and each of its unambiguous abbreviations.
fn abbreviations(longs: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for l in longs {
        for end in 3..=l.len() {
            let p = &l[..end];
            if end == l.len() || longs.iter().filter(|o| o.starts_with(p)).count() == 1 {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// Option spellings from a spec string, with a value where one is taken.
fn listed(opts: &str) -> Vec<String> {
    opts.split(' ')
        .filter(|t| !t.is_empty() && *t != "-#")
        .map(|t| {
            let v = VALUES[t.len() % VALUES.len()];
            if let Some(n) = t.strip_suffix("==") {
                format!("{n} a {v}")
            } else if let Some(n) = t.strip_suffix('=') {
                format!("{n}={v}")
            } else if let Some(n) = t.strip_suffix(':') {
                format!("{n} {v}")
            } else {
                t.trim_end_matches('?').to_string()
            }
        })
        .collect()
}

/// The candidate commands for one program (or `git SUB`).
fn candidates(prog: &str, opts: &str, help: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut spellings = listed(opts);
    for a in abbreviations(help) {
        for v in &VALUES[1..4] {
            spellings.push(format!("{a}={v}"));
        }
        spellings.push(a);
    }
    // `tail -f` and `free -s` wait: give them a second.
    let prog = match prog {
        "tail" | "free" => format!("timeout 1 {prog}"),
        p => p.to_string(),
    };
    for (k, s) in spellings.iter().enumerate() {
        out.push(format!("{prog} {s} f"));
        // A wrap for every fourth spelling keeps the run short but covers each wrap.
        if k % 4 == 0 {
            let w = WRAPS[(k / 4) % WRAPS.len()];
            out.push(w.replace("{}", &format!("{prog} {s}")));
        }
    }
    for w in WRAPS {
        out.push(w.replace("{}", &prog));
    }
    out
}

fn all_candidates() -> Vec<String> {
    let mut out = Vec::new();
    for s in options::PROGRAMS {
        out.extend(candidates(s.name, s.opts, &help_longs(s.name, None)));
    }
    let mut seen_opts = BTreeSet::new();
    for (sub, opts) in git::SUBCOMMANDS.iter().chain(git::LISTING) {
        // Subcommands sharing one option list run its spellings once.
        let opts = if seen_opts.insert(*opts) { opts } else { "" };
        let name = format!("git {sub}");
        out.extend(candidates(&name, opts, &help_longs("git", Some(sub))));
    }
    // sed: every command letter, alone, with an argument, after a label.
    for c in ('a'..='z').chain('A'..='Z').chain("=:#{}!".chars()) {
        for script in [
            format!("{c}"),
            format!("1{c} out"),
            format!(":a;{c} out"),
            format!("s/a/b/{c} out"),
        ] {
            out.push(format!("sed -n '{script}' f"));
            out.push(format!("sed -n -- '{script}' f"));
            out.push(format!("sed -e p -e '{script}' f"));
        }
    }
    for l in abbreviations(&help_longs("sed", None)) {
        out.push(format!("sed {l} p f"));
        out.push(format!("sed {l}=out p f"));
    }
    for p in [
        "{print}",
        "{print > \"out\"}",
        "BEGIN{system(\"touch out\")}",
        "{print | \"sh\"}",
        "BEGIN{while ((\"sh\" | getline l) > 0) print l}",
        "BEGIN{printf \"x\" > \"/dev/stdout\"}",
    ] {
        // Every name the classifier reads as awk (where one is missing,
        // bash's failed lookups are no exec).
        for awk in ["awk", "gawk", "mawk", "nawk"] {
            out.push(format!("{awk} '{p}' f"));
        }
    }
    // find: every predicate of its help, with a hostile value.
    let text = Command::new("find")
        .arg("--help")
        .output()
        .map(|o| o.stdout)
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text).into_owned();
    let preds: BTreeSet<&str> = text
        .split(|c: char| c.is_whitespace() || c == '[' || c == ']')
        .filter(|w| {
            w.starts_with('-')
                && w.len() > 2
                && w.chars().nth(1).is_some_and(|c| c.is_ascii_lowercase())
        })
        .collect();
    for p in preds {
        out.push(format!("find . {p}"));
        out.push(format!("find . {p} out"));
        out.push(format!("find . {p} sh {{}} ';'"));
    }
    // Builtins and wrappers.
    for c in [
        "test -f f",
        "[ -n \"$LANG\" ]",
        "test -v 'a[$(touch out)]'",
        "printf '%s' f",
        "printf -v PATH .",
        "echo $((1+2))",
        "echo ${HOME:-x}",
        "cd / && ls",
        "type ls",
        "command -v ls",
        "wait",
        "nice -n 5 cat f",
        "env -i cat f",
        "xargs -I{} cat {} < f",
        "xargs -a f cat",
    ] {
        out.push(c.to_string());
    }
    let mut seen = BTreeSet::new();
    out.retain(|c| seen.insert(c.clone()));
    out
}

#[test]
fn approved_commands_write_run_and_connect_nothing() {
    let have = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(have, "strace is missing: the generative classifier test needs it (apt-get install -y strace; tests/setup.sh and .ci/run install it)");
    let dir = scratch("gen");
    let t0 = std::time::Instant::now();
    let all = all_candidates();
    let approved: Vec<(usize, String)> = all
        .iter()
        .enumerate()
        .filter(|(_, c)| readonly::check(c, &dir).is_ok())
        .map(|(k, c)| (k, c.clone()))
        .collect();
    eprintln!(
        "{} commands generated, {} approved and traced",
        all.len(),
        approved.len()
    );
    // The list is long enough to mean something, and the attacks are in it.
    assert!(
        all.len() > 5000 && approved.len() > 1000,
        "{} {}",
        all.len(),
        approved.len()
    );
    // Abbreviations of options that run a program or set the clock are generated, and asked about.
    for prefix in [
        "sort --co=",
        "git grep --open=",
        "date --se=",
        "sed -n -- '1w out'",
        "file --co=",
    ] {
        let made: Vec<&String> = all.iter().filter(|c| c.starts_with(prefix)).collect();
        assert!(!made.is_empty(), "{prefix} not generated");
        for c in made {
            assert!(readonly::check(c, &dir).is_err(), "{c}");
        }
    }
    let t1 = std::time::Instant::now();
    let (bad, finished) = trace(&dir, &approved, 600);
    assert!(finished, "the traced commands did not finish in 600 s");
    eprintln!(
        "generated and classified in {:?}, traced in {:?}",
        t1 - t0,
        t1.elapsed()
    );
    assert!(
        bad.is_empty(),
        "{} violations:\n{}",
        bad.len(),
        bad.join("\n")
    );
    assert!(!dir.join("out").exists() && !dir.join("evil-ran").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The oracle itself: commands that write, run a program or connect are
/// each reported, under the command that did it.
#[test]
fn the_oracle_sees_writes_execs_and_connects() {
    let have = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(have, "strace is missing (apt-get install -y strace)");
    let dir = scratch("oracle");
    // A port nobody listens on: the attempt is refused, and is still seen.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cmds: Vec<(usize, String)> = [
        "cat f > out".to_string(),
        "./evil.sh".to_string(),
        format!("cat < /dev/tcp/127.0.0.1/{port}"),
        "echo x | sed 'w out2' ".to_string(),
        "ls -l f".to_string(),
    ]
    .into_iter()
    .enumerate()
    .collect();
    let (bad, _) = trace(&dir, &cmds, 60);
    for (k, what) in [(0, "write"), (1, "exec"), (2, "connect"), (3, "write")] {
        let tag = format!("{what} by {:?}", cmds[k].1);
        assert!(
            bad.iter().any(|b| b.starts_with(&tag)),
            "{tag} not seen in {bad:#?}"
        );
    }
    assert!(!bad.iter().any(|b| b.contains("\"ls -l f\"")), "{bad:#?}");
    let _ = std::fs::remove_dir_all(&dir);
}

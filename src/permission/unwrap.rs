//! What a command runs once its wrappers are taken off: `env A=1 rm`,
//! `nice -n 5 rm`, `sudo -u root rm` and `/bin/rm` are all `rm` to the deny
//! and ask rules, and the commands inside `sh -c '...'` and `eval` are seen
//! too. The runners are one table, `WRAPPERS`.

use super::shell;

/// Every sub-command without wrappers, recursing into `sh -c` and `eval`;
/// `hidden` collects what cannot be seen (dynamic program names, problems).
pub(super) fn unwrap_all(
    p: &shell::Parsed,
    out: &mut Vec<String>,
    hidden: &mut Vec<String>,
    depth: u32,
) {
    hidden.extend(p.problems.iter().cloned());
    for c in &p.cmds {
        let text = unwrap_words(c);
        if c.words.first().is_some_and(|w| w.dynamic) {
            hidden.push("the program name is decided at run time".into());
        }
        let mut words = text.split(' ');
        let inner = match words.next() {
            Some("sh" | "bash" | "dash" | "zsh" | "ksh") => {
                let args: Vec<&shell::Word> = c
                    .words
                    .iter()
                    .skip_while(|w| !w.text.ends_with("sh"))
                    .collect();
                args.iter()
                    .position(|w| w.text == "-c")
                    .and_then(|i| args.get(i + 1))
                    .map(|w| w.text.clone())
            }
            Some("eval") => Some(words.collect::<Vec<_>>().join(" ")),
            _ => None,
        };
        out.push(text);
        if let Some(src) = inner {
            if depth < 8 {
                unwrap_all(&shell::parse(&src), out, hidden, depth + 1);
            } else {
                hidden.push("shells nested too deep".into());
            }
        }
    }
}

/// The programs that run the rest of their words as a command, with the
/// options that take the next word as their value and how many words come
/// between the options and the command (`timeout`'s duration, `chroot`'s
/// root, `flock`'s file). `env -S` is left out: its value is the command
/// line itself. A runner missing here is caught less exactly: a rule's
/// command among its words asks (`Gate::inner_rule`).
const WRAPPERS: &[(&str, &[&str], usize)] = &[
    ("env", &["-u", "--unset", "-C", "--chdir"], 0),
    ("nice", &["-n", "--adjustment"], 0),
    ("command", &[], 0),
    ("exec", &["-a"], 0),
    (
        "sudo",
        &[
            "-u",
            "--user",
            "-g",
            "--group",
            "-C",
            "--close-from",
            "-D",
            "--chdir",
            "-h",
            "--host",
            "-p",
            "--prompt",
            "-r",
            "--role",
            "-t",
            "--type",
            "-T",
            "--command-timeout",
            "-U",
            "--other-user",
            "-R",
            "--chroot",
        ],
        0,
    ),
    ("nohup", &[], 0),
    ("time", &["-f", "--format", "-o", "--output"], 0),
    (
        "xargs",
        &[
            "-a",
            "--arg-file",
            "-d",
            "--delimiter",
            "-E",
            "-I",
            "-L",
            "--max-lines",
            "-n",
            "--max-args",
            "-P",
            "--max-procs",
            "-s",
            "--max-chars",
        ],
        0,
    ),
    (
        "stdbuf",
        &["-i", "--input", "-o", "--output", "-e", "--error"],
        0,
    ),
    ("timeout", &["-s", "--signal", "-k", "--kill-after"], 1),
    ("setsid", &[], 0),
    (
        "ionice",
        &[
            "-c",
            "--class",
            "-n",
            "--classdata",
            "-p",
            "--pid",
            "-P",
            "--pgid",
            "-u",
            "--uid",
        ],
        0,
    ),
    (
        "chrt",
        &[
            "-T",
            "--sched-runtime",
            "-P",
            "--sched-period",
            "-D",
            "--sched-deadline",
        ],
        1,
    ),
    ("taskset", &[], 1),
    ("doas", &["-u", "-C"], 0),
    ("busybox", &[], 0),
    (
        "flock",
        &["-w", "--wait", "--timeout", "-E", "--conflict-exit-code"],
        1,
    ),
    ("watch", &["-n", "--interval"], 0),
    (
        "nsenter",
        &["-t", "--target", "-S", "--setuid", "-G", "--setgid"],
        0,
    ),
    (
        "unshare",
        &[
            "-R", "--root", "-w", "--wd", "-S", "--setuid", "-G", "--setgid",
        ],
        0,
    ),
    ("chroot", &[], 1),
    (
        "strace",
        &["-o", "-e", "-p", "-s", "-u", "-P", "-I", "-E", "-a"],
        0,
    ),
    ("eatmydata", &[], 0),
    ("fakeroot", &[], 0),
    ("unbuffer", &[], 0),
];

/// A sub-command's words without wrappers (`env A=1`, `nice -n 5`,
/// `timeout -s KILL 5`, `command`, `xargs`, `exec`, `sudo -u root`) and
/// with `/usr/bin/` stripped.
fn unwrap_words(c: &shell::Simple) -> String {
    let mut w: Vec<&str> = c.words.iter().map(|w| w.text.as_str()).collect();
    while let Some(first) = w.first().copied() {
        let name = first.rsplit('/').next().unwrap_or(first);
        let Some(&(_, valued, then)) = WRAPPERS.iter().find(|r| r.0 == name) else {
            if let Some(f) = w.first_mut() {
                *f = name;
            }
            break;
        };
        // The wrapper, its options (a valued one with its value), then
        // `then` more words.
        let mut n = 1;
        while let Some(a) = w.get(n) {
            n += match *a {
                a if valued.contains(&a) => 2,
                a if a.starts_with('-') || a.contains('=') => 1,
                _ => break,
            };
        }
        w.drain(..(n + then).min(w.len()));
    }
    w.join(" ")
}

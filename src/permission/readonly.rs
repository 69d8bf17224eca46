//! Which shell commands are provably read-only: the table of known
//! programs and their per-program argument checks. A command passes only
//! when every simple command in it (substitutions included) is a known
//! program with safe arguments, with no file-writing redirection and no
//! environment assignment outside a small safe list. Anything else is
//! `Err(reason)`, and the gate asks.

use super::shell::{self, Simple, Word};

/// Environment assignments that cannot change which code runs.
const SAFE_ENV: &[&str] = &[
    "LANG",
    "LC_ALL",
    "LC_COLLATE",
    "LC_CTYPE",
    "LC_MESSAGES",
    "LC_NUMERIC",
    "TZ",
    "NO_COLOR",
    "COLUMNS",
];

/// Programs that read, print or compute and have no option that writes a
/// file or runs another program, whatever their arguments.
const ANY_ARGS: &[&str] = &[
    "cat",
    "echo",
    "ls",
    "pwd",
    "wc",
    "head",
    "tail",
    "grep",
    "egrep",
    "fgrep",
    "true",
    "false",
    ":",
    "whoami",
    "id",
    "uname",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "stat",
    "du",
    "df",
    "nl",
    "od",
    "strings",
    "cut",
    "tr",
    "rev",
    "tac",
    "seq",
    "cmp",
    "diff",
    "comm",
    "paste",
    "fold",
    "column",
    "expand",
    "unexpand",
    "sha256sum",
    "sha1sum",
    "sha512sum",
    "md5sum",
    "b2sum",
    "cksum",
    "test",
    "[",
    "which",
    "type",
    "printenv",
    "nproc",
    "uptime",
    "free",
    "ps",
    "sleep",
    "jq",
    "cd",
    "locale",
    "groups",
    "arch",
    "tty",
    "hostid",
    "numfmt",
    "wait",
];

/// `Ok` when the whole command is proven read-only, else why not.
pub fn check(cmd: &str) -> Result<(), String> {
    let p = shell::parse(cmd);
    if let Some(problem) = p.problems.first() {
        return Err(problem.clone());
    }
    if p.cmds.is_empty() {
        return Err("the command is empty".into());
    }
    p.cmds.iter().try_for_each(simple)
}

/// One simple command: assignments, redirections, then the program.
pub fn simple(c: &Simple) -> Result<(), String> {
    for (name, value) in &c.assigns {
        if !SAFE_ENV.contains(&name.as_str()) || value.dynamic {
            return Err(format!("it sets the environment variable {name}"));
        }
    }
    if let Some(r) = c.redirs.iter().find(|r| !r.harmless()) {
        return Err(format!(
            "the redirection `{}{}` writes a file",
            r.op, r.target.text
        ));
    }
    if c.words.is_empty() {
        return Ok(());
    }
    words(&c.words)
}

/// A program and its arguments.
fn words(w: &[Word]) -> Result<(), String> {
    let Some(first) = w.first() else {
        return Ok(());
    };
    if first.dynamic {
        return Err(format!(
            "the program name `{}` is decided at run time",
            first.text
        ));
    }
    let name = program(&first.text)?;
    let args = w.get(1..).unwrap_or(&[]);
    if ANY_ARGS.contains(&name) {
        return Ok(());
    }
    if let Some(a) = args.iter().find(|a| a.dynamic) {
        return Err(format!(
            "`{name}` gets the argument `{}`, which is decided at run time",
            a.text
        ));
    }
    let a: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    let refuse = |what: &str| Err(format!("`{name} {what}` can change files or run programs"));
    match name {
        "find" => match a.iter().find(|x| FIND_BAD.contains(x)) {
            Some(x) => refuse(x),
            None => Ok(()),
        },
        "git" => git(&a),
        "sed" => sed(&a),
        "awk" | "gawk" | "mawk" | "nawk" => awk(&a),
        "sort" => match a
            .iter()
            .find(|x| x.starts_with("--o") || x.starts_with("--comp") || short_has(x, 'o'))
        {
            Some(x) => refuse(x),
            None => Ok(()),
        },
        "uniq" => match a.iter().filter(|x| !x.starts_with('-')).count() {
            0 | 1 => Ok(()),
            _ => refuse("IN OUT"),
        },
        "tee" => match a
            .iter()
            .find(|x| !matches!(**x, "-a" | "-i" | "-p" | "/dev/null"))
        {
            Some(x) => refuse(x),
            None => Ok(()),
        },
        "date" => match a
            .iter()
            .find(|x| x.starts_with("--set") || short_has(x, 's'))
        {
            Some(x) => refuse(x),
            None => Ok(()),
        },
        "printf" => match a.iter().find(|x| x.starts_with("-v")) {
            Some(x) => refuse(x),
            None => Ok(()),
        },
        "file" => match a
            .iter()
            .find(|x| x.starts_with("--comp") || short_has(x, 'C'))
        {
            Some(x) => refuse(x),
            None => Ok(()),
        },
        "rg" => match a
            .iter()
            .find(|x| x.starts_with("--pre") || x.starts_with("--hostname-bin"))
        {
            Some(x) => refuse(x),
            None => Ok(()),
        },
        "fd" | "fdfind" => match a
            .iter()
            .find(|x| x.starts_with("--exec") || short_has(x, 'x') || short_has(x, 'X'))
        {
            Some(x) => refuse(x),
            None => Ok(()),
        },
        "env" => wrapper(
            args,
            &["-i", "--ignore-environment", "-0", "--null"],
            &["-u", "--unset"],
            true,
        ),
        "nice" => wrapper(args, &[], &["-n"], false),
        "timeout" => {
            let rest = skip_options(
                args,
                &["--preserve-status", "--foreground", "-v", "--verbose"],
                &["-s", "-k"],
            )?;
            // The duration, then the command.
            words(rest.get(1..).unwrap_or(&[]))
        }
        "command" => match a.first() {
            Some(&"-v") | Some(&"-V") => Ok(()),
            Some(&"-p") => words(args.get(1..).unwrap_or(&[])),
            _ => words(args),
        },
        "xargs" => xargs(args),
        _ => Err(format!("`{name}` is not a known read-only program")),
    }
}

const FIND_BAD: &[&str] = &[
    "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls",
];

/// The program's name: bare, or under /bin or /usr/bin (a path elsewhere
/// could be anything).
fn program(p: &str) -> Result<&str, String> {
    let name = p
        .strip_prefix("/usr/bin/")
        .or_else(|| p.strip_prefix("/bin/"))
        .unwrap_or(p);
    if name.contains('/') || name.is_empty() {
        return Err(format!("`{p}` is not a known read-only program"));
    }
    Ok(name)
}

/// Is `x` a bundle of short options (`-abc`) containing `c`?
fn short_has(x: &str, c: char) -> bool {
    x.starts_with('-') && !x.starts_with("--") && x.get(1..).is_some_and(|s| s.contains(c))
}

/// Skip known options (`flags` alone, `with_value` followed by a value);
/// refuse any other option. Returns what follows.
fn skip_options<'a>(
    args: &'a [Word],
    flags: &[&str],
    with_value: &[&str],
) -> Result<&'a [Word], String> {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let t = a.text.as_str();
        if t == "--" {
            return Ok(args.get(i + 1..).unwrap_or(&[]));
        }
        if !t.starts_with('-') || t == "-" || a.dynamic {
            break;
        }
        if flags.contains(&t) {
            i += 1;
        } else if with_value.contains(&t) {
            i += 2;
        } else if with_value
            .iter()
            .any(|o| t.starts_with(o) && !o.starts_with("--"))
        {
            i += 1; // `-n5`
        } else if t.starts_with('-')
            && t.get(1..)
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        {
            i += 1; // `nice -5`
        } else {
            return Err(format!("the option `{t}` is not known to be safe"));
        }
    }
    Ok(args.get(i..).unwrap_or(&[]))
}

/// env / nice: options, then (env only) safe assignments, then a command.
fn wrapper(
    args: &[Word],
    flags: &[&str],
    with_value: &[&str],
    assigns: bool,
) -> Result<(), String> {
    let mut rest = skip_options(args, flags, with_value)?;
    while let Some((a, more)) = rest.split_first() {
        let Some((name, _)) = a
            .text
            .split_once('=')
            .filter(|(n, _)| assigns && shell::is_name(n))
        else {
            break;
        };
        if !SAFE_ENV.contains(&name) || a.dynamic {
            return Err(format!("it sets the environment variable {name}"));
        }
        rest = more;
    }
    words(rest)
}

/// xargs runs its command with arguments read at run time, so the inner
/// command must be safe with an unknown extra argument.
fn xargs(args: &[Word]) -> Result<(), String> {
    let flags = [
        "-0",
        "--null",
        "-r",
        "--no-run-if-empty",
        "-t",
        "--verbose",
        "-x",
        "--exit",
    ];
    let with_value = [
        "-n",
        "-L",
        "-P",
        "-d",
        "-I",
        "-s",
        "-a",
        "-E",
        "--max-args",
        "--max-procs",
        "--delimiter",
    ];
    let inner = skip_options(args, &flags, &with_value)?;
    if inner.is_empty() {
        return Ok(()); // echo
    }
    let mut w = inner.to_vec();
    w.push(Word {
        text: "ARG".into(),
        dynamic: true,
        quoted: false,
        plain: 0,
    });
    words(&w)
}

/// git: read-only subcommands, with no option that writes or runs a program.
fn git(a: &[&str]) -> Result<(), String> {
    const GLOBAL_OK: &[&str] = &[
        "--no-pager",
        "-P",
        "--no-optional-locks",
        "--literal-pathspecs",
        "--no-replace-objects",
    ];
    const READ_ONLY: &[&str] = &[
        "status",
        "log",
        "show",
        "diff",
        "blame",
        "annotate",
        "rev-parse",
        "ls-files",
        "ls-tree",
        "cat-file",
        "shortlog",
        "describe",
        "grep",
        "rev-list",
        "merge-base",
        "name-rev",
        "show-ref",
        "for-each-ref",
        "diff-tree",
        "diff-files",
        "diff-index",
        "whatchanged",
        "check-ignore",
        "check-attr",
        "count-objects",
        "version",
        "show-branch",
        "cherry",
        "range-diff",
    ];
    const BAD: &[&str] = &[
        "--output",
        "--ext-diff",
        "--textconv",
        "--exec",
        "--upload-pack",
        "--receive-pack",
        "--open-files-in-pager",
        "-O",
        "--config",
        "--git-dir",
        "--work-tree",
        "--paginate",
        "--run",
        "--edit",
    ];
    let mut i = 0;
    while a.get(i).is_some_and(|x| GLOBAL_OK.contains(x)) {
        i += 1;
    }
    let Some(sub) = a.get(i) else { return Ok(()) };
    let rest = a.get(i + 1..).unwrap_or(&[]);
    let refuse = |what: &str| Err(format!("`git {what}` can change files or run programs"));
    if sub.starts_with('-') {
        return refuse(sub);
    }
    let bad = |x: &&&str| {
        BAD.iter()
            .any(|b| **x == *b || x.starts_with(&format!("{b}=")))
            || x.starts_with("-O")
    };
    if let Some(x) = rest.iter().find(bad) {
        return refuse(&format!("{sub} {x}"));
    }
    let only = |ok: &[&str]| {
        rest.iter()
            .all(|x| ok.contains(x) || x.starts_with("--format") || x.starts_with("--sort"))
    };
    let ok = match *sub {
        s if READ_ONLY.contains(&s) => true,
        // Listing forms only: with a name these create or delete.
        "branch" => {
            only(&[
                "-a",
                "-r",
                "-v",
                "-vv",
                "--list",
                "--all",
                "--remotes",
                "--show-current",
                "--no-color",
                "--color",
            ]) || rest.first() == Some(&"--list")
                && !rest.iter().any(|x| {
                    matches!(
                        *x,
                        "-d" | "-D"
                            | "-m"
                            | "-M"
                            | "-c"
                            | "-C"
                            | "--delete"
                            | "--move"
                            | "--copy"
                            | "--set-upstream-to"
                            | "-u"
                            | "--edit-description"
                    )
                })
        }
        "tag" => {
            rest.is_empty()
                || matches!(rest.first(), Some(&"-l") | Some(&"--list"))
                    && !rest
                        .iter()
                        .any(|x| matches!(*x, "-d" | "--delete" | "-a" | "-s" | "-f" | "-m" | "-F"))
        }
        "remote" => only(&["-v", "--verbose"]) || rest.first() == Some(&"get-url"),
        "stash" => rest.first() == Some(&"list") || rest.first() == Some(&"show"),
        "config" => matches!(
            rest.first(),
            Some(&"--get")
                | Some(&"--get-all")
                | Some(&"--get-regexp")
                | Some(&"--list")
                | Some(&"-l")
        ),
        "reflog" => rest.is_empty() || rest.first() == Some(&"show"),
        "worktree" => rest.first() == Some(&"list"),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        refuse(&format!(
            "{sub}{}{}",
            if rest.is_empty() { "" } else { " " },
            rest.join(" ")
        ))
    }
}

/// sed: no in-place editing, no script files, and a script made only of
/// commands that print (no `w`, `W`, `e`, `s///w`, `s///e`).
fn sed(a: &[&str]) -> Result<(), String> {
    let mut scripts = Vec::new();
    let mut i = 0;
    let mut explicit = false;
    while let Some(x) = a.get(i) {
        i += 1;
        if *x == "--" {
            break;
        }
        if x.starts_with("--") {
            match *x {
                "--quiet" | "--silent" | "--regexp-extended" | "--separate" | "--null-data"
                | "--posix" | "--debug" | "--sandbox" | "--unbuffered" | "--zero-terminated" => {}
                "--expression" => {
                    scripts.push(a.get(i).copied().unwrap_or(""));
                    explicit = true;
                    i += 1;
                }
                s if s.starts_with("--expression=") => {
                    scripts.push(s.get(13..).unwrap_or(""));
                    explicit = true;
                }
                _ => return Err(format!("`sed {x}` can change files or run programs")),
            }
            continue;
        }
        if let Some(flags) = x.strip_prefix('-').filter(|f| !f.is_empty()) {
            for (k, f) in flags.char_indices() {
                match f {
                    'n' | 'E' | 'r' | 's' | 'u' | 'z' => {}
                    'e' | 'l' => {
                        let glued = flags.get(k + 1..).unwrap_or("");
                        let v = if glued.is_empty() {
                            i += 1;
                            a.get(i - 1).copied().unwrap_or("")
                        } else {
                            glued
                        };
                        if f == 'e' {
                            scripts.push(v);
                            explicit = true;
                        }
                        break;
                    }
                    _ => return Err(format!("`sed -{f}` can change files or run programs")),
                }
            }
            continue;
        }
        if !explicit && scripts.is_empty() {
            scripts.push(x);
        }
    }
    scripts.iter().try_for_each(|s| sed_script(s))
}

fn sed_script(s: &str) -> Result<(), String> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let bad = |what: char| {
        Err(format!(
            "the sed command `{what}` can write files or run programs"
        ))
    };
    // Read a delimited part starting after the delimiter; returns the index after the closing one.
    let part = |mut i: usize, d: char| -> Option<usize> {
        while let Some(&ch) = c.get(i) {
            if ch == '\\' {
                i += 2;
                continue;
            }
            if ch == d {
                return Some(i + 1);
            }
            i += 1;
        }
        None
    };
    while let Some(&ch) = c.get(i) {
        match ch {
            ' ' | '\t' | '\n' | ';' | '!' | ',' | '{' | '}' | '$' | '0'..='9' | '~' | '+' => i += 1,
            '/' => i = part(i + 1, '/').ok_or("unterminated sed address")?,
            '\\' => {
                let d = c.get(i + 1).copied().unwrap_or('/');
                i = part(i + 2, d).ok_or("unterminated sed address")?;
            }
            'p' | 'd' | 'q' | 'Q' | '=' | 'n' | 'N' | 'g' | 'G' | 'h' | 'H' | 'x' | 'l' | 'P'
            | 'D' | 'z' | 'F' => i += 1,
            'I' | 'M' => i += 1, // address flags
            's' | 'y' => {
                let d = *c.get(i + 1).ok_or("unterminated sed command")?;
                let mid = part(i + 2, d).ok_or("unterminated sed command")?;
                i = part(mid, d).ok_or("unterminated sed command")?;
                if ch == 's' {
                    while let Some(&f) = c.get(i) {
                        match f {
                            'g' | 'p' | 'i' | 'I' | 'm' | 'M' | '0'..='9' => i += 1,
                            'w' | 'e' => return bad(f),
                            _ => break,
                        }
                    }
                }
            }
            // Text commands: the rest of the line is text.
            'a' | 'i' | 'c' | ':' | 'b' | 't' | 'T' | '#' | 'r' | 'R' => {
                while c.get(i).is_some_and(|&ch| ch != '\n') {
                    i += 1;
                }
            }
            other => return bad(other),
        }
    }
    Ok(())
}

/// awk: a program text with no `system`, pipes, output redirection or
/// extension loading; no program files.
fn awk(a: &[&str]) -> Result<(), String> {
    let mut i = 0;
    while let Some(x) = a.get(i) {
        i += 1;
        match *x {
            "-F" | "-v" => i += 1,
            "--" => break,
            s if s.starts_with("-F") || s.starts_with("-v") => {}
            s if s.starts_with('-') => {
                return Err(format!("`awk {s}` can change files or run programs"))
            }
            prog => {
                if let Some(bad) = ["system", "|", ">", "@", "getline", "ENVIRON"]
                    .iter()
                    .find(|b| prog.contains(*b))
                {
                    return Err(format!(
                        "the awk program uses `{bad}`, which can write files or run programs"
                    ));
                }
                return Ok(());
            }
        }
    }
    Err("awk without a program".into())
}

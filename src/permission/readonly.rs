//! Which shell commands are provably read-only: the table of known
//! programs and their per-program argument checks. A command passes only
//! when every simple command in it (substitutions included) is a known
//! program with safe arguments, with no file-writing redirection and no
//! environment assignment outside a small safe list. Anything else is
//! `Err(reason)`, and the gate asks.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::shell::{self, Simple, Word};
use super::{git, options, scripts};

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

/// `Ok` when the whole command is proven read-only when run in `cwd`,
/// else why not.
pub fn check(cmd: &str, cwd: &Path) -> Result<(), String> {
    let p = shell::parse(cmd);
    if let Some(problem) = p.problems.first() {
        return Err(problem.clone());
    }
    if p.cmds.is_empty() {
        return Err("the command is empty".into());
    }
    trusted_path(&std::env::var_os("PATH").unwrap_or_default(), cwd)?;
    let ctx = Ctx {
        dirs: dirs(&p.cmds, cwd),
    };
    p.cmds.iter().try_for_each(|c| {
        simple(c)?;
        words(&c.words, &ctx)
    })
}

/// Program names mean the system's programs only when no PATH entry is
/// a directory the session can write: the current one (an empty or
/// relative entry) or one inside the workspace, where the write tool could
/// put an `ls`.
pub(super) fn trusted_path(path: &OsStr, cwd: &Path) -> Result<(), String> {
    match std::env::split_paths(path).find(|d| !d.is_absolute() || d.starts_with(cwd)) {
        Some(d) => Err(format!(
            "PATH includes `{}`, where the session can write programs",
            d.display()
        )),
        None => Ok(()),
    }
}

/// What a program's check may need to know about where it runs.
struct Ctx {
    /// Every directory a command may run in: the start and each `cd`
    /// target (`None`: a `cd` the checker cannot follow).
    dirs: Vec<Option<PathBuf>>,
}

/// The working directories a command list may visit, in any order.
fn dirs(cmds: &[Simple], cwd: &Path) -> Vec<Option<PathBuf>> {
    let mut out = vec![Some(cwd.to_path_buf())];
    for c in cmds {
        if c.words.first().map(|w| w.text.as_str()) != Some("cd") {
            continue;
        }
        let args: Vec<&Word> = c
            .words
            .iter()
            .skip(1)
            .filter(|w| !matches!(w.text.as_str(), "-L" | "-P" | "-e" | "-@" | "--"))
            .collect();
        let target = match args.as_slice() {
            [t] if !t.dynamic && t.text != "-" && std::env::var_os("CDPATH").is_none() => {
                Some(PathBuf::from(&t.text))
            }
            _ => None,
        };
        let more: Vec<Option<PathBuf>> = out
            .iter()
            .map(|d| Some(d.as_ref()?.join(target.as_ref()?)))
            .collect();
        out.extend(more);
        if out.len() > 64 {
            return vec![None];
        }
    }
    out
}

/// One simple command's assignments and redirections.
pub fn simple(c: &Simple) -> Result<(), String> {
    for (name, value) in &c.assigns {
        if !SAFE_ENV.contains(&name.as_str()) || value.dynamic {
            return Err(format!("it sets the environment variable {name}"));
        }
    }
    if let Some(r) = c.redirs.iter().find(|r| !r.harmless()) {
        return Err(format!(
            "the redirection `{}{}` writes a file or opens a path decided at run time",
            r.op, r.target.text
        ));
    }
    Ok(())
}

/// A program and its arguments.
fn words(w: &[Word], ctx: &Ctx) -> Result<(), String> {
    let Some(first) = w.first() else {
        return Ok(());
    };
    if first.dynamic {
        return Err(format!(
            "the program name `{}` is decided at run time",
            first.text
        ));
    }
    let name = program(&first.text);
    let args = w.get(1..).unwrap_or(&[]);
    if let Some(spec) = options::lookup(name) {
        let walked = options::walk(name, spec.opts, spec.any_dynamic, args)?;
        let ops = &walked.operands;
        return match name {
            // The second operand is an output file.
            "uniq" if ops.len() > 1 => Err("`uniq IN OUT` writes OUT".into()),
            "tee" if ops.iter().any(|o| o.dynamic || o.text != "/dev/null") => {
                Err("`tee FILE` writes FILE".into())
            }
            // Any operand but a `+FORMAT` is a time to set the clock to
            // (`date MMDDhhmm`), which succeeds as root.
            "date" if ops.iter().any(|o| !o.text.starts_with('+')) => {
                Err("`date MMDDhhmm` sets the system clock".into())
            }
            _ => Ok(()),
        };
    }
    let a: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    match name {
        "echo" | "true" | "false" | ":" | "pwd" | "cd" => Ok(()),
        // `printf -v NAME` assigns a shell variable (PATH, say).
        "printf" => match args.first() {
            Some(f) if f.may_become_option() || f.text.starts_with("-v") => {
                Err("`printf -v` assigns a shell variable".into())
            }
            _ => Ok(()),
        },
        "test" | "[" => test(args),
        "wait" => match args.iter().find(|x| {
            x.dynamic
                || !(x.text == "-n"
                    || x.text == "-f"
                    || x.text
                        .trim_start_matches('%')
                        .bytes()
                        .all(|b| b.is_ascii_digit()))
        }) {
            Some(x) => Err(format!("`wait {}` is not known to be read-only", x.text)),
            None => Ok(()),
        },
        "type" => options::walk(name, "-a -f -p -P -t", true, args).map(drop),
        "find" => find(args),
        "git" => git::check(args, &ctx.dirs),
        "sed" => scripts::sed(args),
        "awk" | "gawk" | "mawk" | "nawk" => scripts::awk(args),
        "env" => wrapper(
            args,
            &["-i", "--ignore-environment", "-0", "--null"],
            &["-u", "--unset"],
            true,
            ctx,
        ),
        "nice" => wrapper(args, &[], &["-n"], false, ctx),
        "timeout" => {
            let rest = skip_options(
                args,
                &["--preserve-status", "--foreground", "-v", "--verbose"],
                &["-s", "-k"],
            )?;
            // The duration, then the command.
            words(rest.get(1..).unwrap_or(&[]), ctx)
        }
        "command" => match a.first() {
            Some(&"-v") | Some(&"-V") => Ok(()),
            Some(&"-p") => words(args.get(1..).unwrap_or(&[]), ctx),
            _ => words(args, ctx),
        },
        "xargs" => xargs(args, ctx),
        _ => Err(format!("`{name}` is not a known read-only program")),
    }
}

/// test / `[`: no `-v` or `-R` (bash evaluates an array subscript in the
/// name, running any substitution in it), and a word decided at run time
/// only where it cannot become an operator: right after a unary operator
/// or next to a binary one.
fn test(args: &[Word]) -> Result<(), String> {
    const UNARY: &[&str] = &[
        "-a", "-b", "-c", "-d", "-e", "-f", "-g", "-h", "-k", "-p", "-r", "-s", "-t", "-u", "-w",
        "-x", "-G", "-L", "-N", "-O", "-S", "-n", "-z",
    ];
    const BINARY: &[&str] = &[
        "=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef",
    ];
    let is = |k: Option<&Word>, set: &[&str]| {
        k.is_some_and(|w| !w.dynamic && set.contains(&w.text.as_str()))
    };
    for (k, a) in args.iter().enumerate() {
        if !a.dynamic && matches!(a.text.as_str(), "-v" | "-R") {
            return Err(format!("`test {}` evaluates a name as arithmetic", a.text));
        }
        let before = k.checked_sub(1).and_then(|j| args.get(j));
        if a.dynamic
            && (a.split
                || !(is(before, UNARY) || is(before, BINARY) || is(args.get(k + 1), BINARY)))
        {
            return Err(format!(
                "`test` gets the argument `{}`, which is decided at run time",
                a.text
            ));
        }
    }
    Ok(())
}

/// find: expressions from an allowlist (no `-exec`, `-delete`, `-fprint`...).
fn find(args: &[Word]) -> Result<(), String> {
    const FLAGS: &str = "-H -L -P -depth -d -mount -xdev -noleaf -follow -daystart -nowarn -warn -ignore_readdir_race -noignore_readdir_race -empty -executable -readable -writable -nouser -nogroup -true -false -print -print0 -ls -prune -quit -not -a -and -o -or";
    const VALUE: &str = "-name -iname -path -ipath -wholename -iwholename -regex -iregex -regextype -type -xtype -size -mtime -mmin -atime -amin -ctime -cmin -newer -anewer -cnewer -newermt -newerct -newerat -newermm -perm -user -group -uid -gid -links -inum -samefile -lname -ilname -maxdepth -mindepth -fstype -used -context -printf -files0-from -D";
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let t = a.text.as_str();
        if a.dynamic {
            return Err(format!(
                "`find` gets the argument `{t}`, which is decided at run time"
            ));
        }
        if !t.starts_with('-') || t == "-" {
            continue; // a path, `(`, `)`, `!`, `,`
        }
        if VALUE.split(' ').any(|o| o == t) {
            if it.next().is_some_and(|v| v.dynamic) {
                return Err(format!("`find {t}` gets a value decided at run time"));
            }
        } else if !(FLAGS.split(' ').any(|o| o == t) || t.starts_with("-O")) {
            return Err(format!("`find {t}` is not known to be read-only"));
        }
    }
    Ok(())
}

/// The program's name: bare, or under /bin or /usr/bin. A path elsewhere
/// could be anything: it keeps a `/`, and no name the checker knows has one.
fn program(p: &str) -> &str {
    p.strip_prefix("/usr/bin/")
        .or_else(|| p.strip_prefix("/bin/"))
        .unwrap_or(p)
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
    ctx: &Ctx,
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
    words(rest, ctx)
}

/// xargs runs its command with arguments read at run time, so the inner
/// command must be safe with an unknown extra argument.
fn xargs(args: &[Word], ctx: &Ctx) -> Result<(), String> {
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
    // `-I R`: every R in the command's words is replaced by input.
    let opts = args.get(..args.len() - inner.len()).unwrap_or(&[]);
    let replace = opts
        .iter()
        .enumerate()
        .find_map(|(k, o)| match o.text.as_str() {
            "-I" => opts.get(k + 1).map(|v| v.text.as_str()),
            t => t.strip_prefix("-I"),
        });
    let mut w: Vec<Word> = inner.to_vec();
    for x in w.iter_mut().skip(1) {
        if let Some(at) = replace
            .filter(|r| !r.is_empty())
            .and_then(|r| x.text.find(r))
        {
            x.dynamic = true;
            x.plain = x.plain.min(at);
        }
    }
    w.push(Word {
        text: "ARG".into(),
        dynamic: true,
        split: true,
        ..Word::default()
    });
    words(&w, ctx)
}

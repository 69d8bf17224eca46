//! When a git command is read-only: a read-only subcommand with only listed
//! option spellings, run where no repository config or hook the session
//! could have planted can make git run a program. git finds its repository
//! by walking up from the working directory to any directory with `HEAD`,
//! `objects/` and `refs/` (or a `.git` file or directory), and its config
//! can name programs (`core.fsmonitor`, `core.pager`, `diff.external`,
//! filters, textconv, aliases, credential helpers, `gpg.program`...), so
//! each repository git could use must hold only config keys from an
//! allowlist, no `include`, and no hook that a read-only command runs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::options::walk;
use super::shell::Word;

/// Options of `git log`, `show`, `diff` and friends that only choose what
/// to print. Without `--output`, `--ext-diff`, `--textconv`,
/// `--show-signature`, `-O`, `--submodule`.
const REV_DIFF: &str = "-# -n: -p -u -s -z -M? -C? -B? -w -b -U: -S: -G: -L: -i -E -F -P -R --oneline --stat --stat? --shortstat --numstat --name-only --name-status --summary --compact-summary --dirstat --dirstat? --graph --all --branches --branches? --tags --tags? --remotes --remotes? --decorate --decorate? --no-decorate --abbrev-commit --no-abbrev-commit --abbrev --abbrev? --reverse --first-parent --merges --no-merges --follow --patch --no-patch --raw --cached --staged --color --color? --no-color --word-diff --word-diff? --color-words --color-words? --ignore-all-space --ignore-space-change --ignore-blank-lines --ignore-space-at-eol --relative-date --date-order --topo-order --author-date-order --full-history --left-right --cherry-pick --cherry-mark --boundary --source --parents --children --full-diff --check --no-renames --find-renames --find-renames? --find-copies --diff-filter= --minimal --patience --histogram --no-ext-diff --no-textconv --exit-code --quiet --binary --full-index --no-prefix --max-count= --skip= --since= --after= --until= --before= --author= --committer= --grep= --format= --pretty --pretty= --date= --unified= --min-parents= --max-parents= --regexp-ignore-case --extended-regexp --fixed-strings --all-match --invert-grep --no-walk --simplify-by-decoration --mailmap --no-mailmap --use-mailmap --log-size --no-notes --relative --relative? --no-relative --root -r -t -m -c --cc --count --ancestry-path --not --no-color-moved --color-moved --color-moved? --function-context -W --merge-base --no-index --name-status --text -a";

/// Read-only subcommands and the option spellings each accepts.
pub const SUBCOMMANDS: &[(&str, &str)] = &[
    ("log", REV_DIFF),
    ("show", REV_DIFF),
    ("diff", REV_DIFF),
    ("whatchanged", REV_DIFF),
    ("rev-list", REV_DIFF),
    ("diff-tree", REV_DIFF),
    ("diff-files", REV_DIFF),
    ("diff-index", REV_DIFF),
    ("range-diff", REV_DIFF),
    ("status", "-s -b -v -z -u? --short --branch --long --verbose --porcelain --porcelain? --untracked-files --untracked-files? --ignored --ignored? --no-renames --renames --ahead-behind --no-ahead-behind --show-stash --null"),
    ("blame", "-L: -w -M? -C? -e -s -l -t -p -c -b -n -f --porcelain --line-porcelain --root --show-email --show-name --show-number --date= --abbrev= --no-progress --incremental --minimal --reverse --first-parent --ignore-rev= --color-lines --color-by-age --score-debug"),
    ("annotate", "-L: -w -M? -C? -e -s -l -t -p -c -b -n -f --porcelain --root --show-email --date= --abbrev="),
    ("rev-parse", "-q --quiet --verify --short --short? --abbrev-ref --abbrev-ref? --symbolic --symbolic-full-name --show-toplevel --show-prefix --show-cdup --show-superproject-working-tree --git-dir --git-common-dir --absolute-git-dir --is-inside-git-dir --is-inside-work-tree --is-bare-repository --is-shallow-repository --all --branches --branches? --tags --tags? --remotes --remotes? --sq --not --default= --since= --until= --show-object-format --show-object-format? --path-format= --local-env-vars"),
    ("ls-files", "-c -d -m -o -i -s -u -k -z -t -v -f --cached --deleted --modified --others --ignored --stage --unmerged --killed --exclude-standard --exclude= --full-name --directory --no-empty-directory --eol --deduplicate --abbrev --abbrev? --error-unmatch --format="),
    ("ls-tree", "-d -r -t -l -z --long --name-only --name-status --object-only --full-name --full-tree --abbrev --abbrev? --format="),
    ("cat-file", "-t -s -p -e --batch --batch? --batch-check --batch-check? --batch-all-objects --follow-symlinks --unordered --buffer -z --use-mailmap"),
    ("shortlog", "-s -n -e -c -w? --summary --numbered --email --committer --format= --group= --all --since= --until= --author= --no-merges --merges"),
    ("describe", "--tags --all --long --abbrev= --always --exact-match --first-parent --contains --match= --exclude= --candidates= --dirty --dirty?"),
    ("grep", "-n -i -w -v -l -L -c -e: -E -F -P -G -h -H -I -a -q -o -p -W -z -A: -B: -C: -f: -# --cached --untracked --no-index --index --heading --break --show-function --function-context --after-context= --before-context= --context= --and --or --not --all-match --only-matching --column --count --max-depth= --threads= --exclude-standard --no-exclude-standard --full-name --null --color --color? --no-color --line-number --ignore-case --word-regexp --invert-match --files-with-matches --files-without-match --extended-regexp --fixed-strings --perl-regexp --basic-regexp --text --name-only --max-count="),
    ("merge-base", "-a --all --is-ancestor --octopus --independent --fork-point"),
    ("name-rev", "--name-only --tags --refs= --exclude= --all --always --no-undefined"),
    ("show-ref", "-s -q -d --head --heads --tags --branches --verify --hash --hash? --abbrev --abbrev? --quiet --dereference --exists"),
    ("for-each-ref", "--format= --sort= --count= --points-at= --merged --merged? --no-merged --no-merged? --contains --contains? --no-contains --shell --python --perl --tcl --ignore-case --exclude="),
    ("check-ignore", "-q -v -n -z --quiet --verbose --non-matching --no-index"),
    ("check-attr", "-a --all --cached -z"),
    ("count-objects", "-v -H --verbose --human-readable"),
    ("version", "--build-options"),
    ("show-branch", "-a -r --all --remotes --list --topo-order --date-order --current --more= --sha1-name --no-name --merge-base --independent"),
    ("cherry", "-v --abbrev --abbrev?"),
    ("reflog", "-n: -# --oneline --date= --format= --pretty= --all --max-count="),
];

/// Listing forms of subcommands that also write: the options that keep
/// them listing. An operand makes `branch` and `tag` create unless it is a
/// `--list` pattern.
pub const LISTING: &[(&str, &str)] = &[
    ("branch", "-a -r -v -vv -l --list --all --remotes --verbose --show-current --no-color --color --color? --format= --sort= --contains --contains? --no-contains --merged --merged? --no-merged --no-merged? --points-at= --column --no-column --ignore-case"),
    ("tag", "-l -n? --list --sort= --format= --contains --contains? --no-contains --merged --merged? --no-merged --no-merged? --points-at= --column --no-column --ignore-case"),
    ("remote", "-v --verbose"),
    ("worktree", "--porcelain -v --verbose -z"),
    ("config", "-l -z --list --get --get-all --get-regexp --show-origin --show-scope --null --name-only --includes --no-includes --type= --bool --int --path --default= --local --global --system --worktree"),
    ("stash", "-p --patch --stat --name-only --name-status --oneline"),
];

/// Global options before the subcommand.
const GLOBAL_OK: &[&str] = &[
    "--no-pager",
    "-P",
    "--no-optional-locks",
    "--literal-pathspecs",
    "--no-replace-objects",
];

/// Is this git command read-only when run in any of `dirs`? `None` for a
/// directory means a `cd` the checker could not follow.
pub fn check(args: &[Word], dirs: &[Option<PathBuf>]) -> Result<(), String> {
    if let Some(a) = args.iter().find(|a| a.dynamic) {
        return Err(format!(
            "`git` gets the argument `{}`, which is decided at run time",
            a.text
        ));
    }
    let skip = args
        .iter()
        .take_while(|a| GLOBAL_OK.contains(&a.text.as_str()))
        .count();
    let Some((sub, rest)) = args.get(skip..).and_then(|a| a.split_first()) else {
        return Ok(()); // `git` alone prints its usage
    };
    subcommand(&sub.text, rest)?;
    for d in dirs {
        let Some(d) = d else {
            return Err("git runs in a directory the checker cannot follow (`cd` with an expansion, `-` or no argument)".into());
        };
        repository(d)?;
    }
    // The user's own config is trusted, unless the session could write it.
    let start = dirs.first().cloned().flatten();
    for path in user_configs(|k| std::env::var_os(k)) {
        if start.as_ref().is_some_and(|s| path.starts_with(s)) {
            config_file(&path)?;
        }
    }
    Ok(())
}

/// The global config files git reads, given the environment `var`.
pub(super) fn user_configs(var: impl Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    let home = var("HOME").map(PathBuf::from);
    let xdg = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    [
        home.map(|h| h.join(".gitconfig")),
        xdg.map(|x| x.join("git/config")),
        var("GIT_CONFIG_GLOBAL").map(PathBuf::from),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn subcommand(sub: &str, rest: &[Word]) -> Result<(), String> {
    let refuse = || {
        Err(format!(
            "`git {sub}` with these arguments can change files or run programs"
        ))
    };
    let name = format!("git {sub}");
    if let Some((_, opts)) = SUBCOMMANDS.iter().find(|(s, _)| *s == sub) {
        let w = walk(&name, opts, false, rest)?;
        // `%G?` and `%(signature)` run gpg to check signatures.
        for (f, _) in w.values_of(&["--format", "--pretty"]) {
            if f.contains("%G") || f.contains("signature") {
                return Err("a git format that checks signatures runs gpg".into());
            }
        }
        let first = w.operands.first().map(|o| o.text.as_str());
        if sub == "reflog" && matches!(first, Some("expire" | "delete" | "drop")) {
            return refuse();
        }
        return Ok(());
    }
    let Some((_, opts)) = LISTING.iter().find(|(s, _)| *s == sub) else {
        return Err(format!("`git {sub}` is not a known read-only git command"));
    };
    let w = walk(&name, opts, false, rest)?;
    let listed = |o: &str| rest.iter().any(|a| a.text == o);
    let ok = match sub {
        "branch" | "tag" => {
            w.operands.is_empty()
                || listed("-l")
                || listed("--list")
                || sub == "tag" && listed("-n")
        }
        "remote" => {
            w.operands.is_empty() || w.operands.first().is_some_and(|o| o.text == "get-url")
        }
        "worktree" | "stash" => w
            .operands
            .first()
            .is_some_and(|o| o.text == "list" || sub == "stash" && o.text == "show"),
        "config" => ["--get", "--get-all", "--get-regexp", "--list", "-l"]
            .iter()
            .any(|o| listed(o)),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        refuse()
    }
}

/// Config keys that name no program and change nothing git runs:
/// `section.key` or `section.*.key`, lower case.
const SAFE_KEYS: &[&str] = &[
    "core.repositoryformatversion",
    "core.filemode",
    "core.bare",
    "core.logallrefupdates",
    "core.ignorecase",
    "core.precomposeunicode",
    "core.symlinks",
    "core.autocrlf",
    "core.eol",
    "core.safecrlf",
    "core.quotepath",
    "core.abbrev",
    "core.checkstat",
    "core.trustctime",
    "core.untrackedcache",
    "core.commitgraph",
    "core.compression",
    "core.whitespace",
    "core.preloadindex",
    "core.longpaths",
    "remote.*.url",
    "remote.*.fetch",
    "remote.*.pushurl",
    "remote.*.tagopt",
    "remote.*.prune",
    "branch.*.remote",
    "branch.*.merge",
    "branch.*.rebase",
    "branch.*.pushremote",
    "branch.*.description",
    "user.name",
    "user.email",
    "init.defaultbranch",
    "extensions.objectformat",
    "extensions.worktreeconfig",
    "pull.rebase",
    "pull.ff",
    "push.default",
    "fetch.prune",
    "color.ui",
    "diff.renames",
    "diff.algorithm",
    "log.date",
    "log.decorate",
    "gc.auto",
    "lfs.repositoryformatversion",
];

/// Hooks that only writing commands run (commit, merge, push, rebase,
/// checkout, am, gc); any other hook, such as `post-index-change` that
/// `git status` can trigger, makes the repository untrusted.
const WRITE_HOOKS: &[&str] = &[
    "applypatch-msg",
    "pre-applypatch",
    "post-applypatch",
    "pre-commit",
    "pre-merge-commit",
    "prepare-commit-msg",
    "commit-msg",
    "post-commit",
    "pre-rebase",
    "post-checkout",
    "post-merge",
    "pre-push",
    "pre-receive",
    "update",
    "proc-receive",
    "post-receive",
    "post-update",
    "push-to-checkout",
    "pre-auto-gc",
    "post-rewrite",
    "sendemail-validate",
];

/// Check every repository git could use from `dir`, walking up as git
/// does, and stopping at the first one git would take.
fn repository(dir: &Path) -> Result<(), String> {
    let mut d = Some(dir);
    while let Some(cur) = d {
        let dotgit = cur.join(".git");
        if dotgit.exists() && cur.join(".gitmodules").exists() {
            return Err(
                "the repository has submodules, which git visits with their own config".into(),
            );
        }
        if dotgit.is_file() {
            let target = std::fs::read_to_string(&dotgit).unwrap_or_default();
            let Some(gd) = target.trim().strip_prefix("gitdir:") else {
                return Err(format!("`{}` is not a gitdir link", dotgit.display()));
            };
            let gd = cur.join(gd.trim());
            git_dir(&gd)?;
            return Ok(());
        }
        if dotgit.is_dir() {
            git_dir(&dotgit)?;
            if is_repo(&dotgit) {
                return Ok(());
            }
        }
        if cur.join("HEAD").exists() {
            git_dir(cur)?;
            if is_repo(cur) {
                return Ok(());
            }
        }
        d = cur.parent();
    }
    Ok(())
}

fn is_repo(d: &Path) -> bool {
    d.join("HEAD").exists() && d.join("objects").is_dir() && d.join("refs").is_dir()
}

/// One git directory (and its common directory): config keys, includes,
/// hooks, and submodules, which git visits with their own config.
fn git_dir(gd: &Path) -> Result<(), String> {
    let mut dirs = vec![gd.to_path_buf()];
    if let Ok(common) = std::fs::read_to_string(gd.join("commondir")) {
        dirs.push(gd.join(common.trim()));
    }
    for d in &dirs {
        for file in ["config", "config.worktree"] {
            config_file(&d.join(file))?;
        }
        if let Ok(entries) = std::fs::read_dir(d.join("hooks")) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !name.ends_with(".sample") && !WRITE_HOOKS.contains(&name.as_str()) {
                    return Err(format!(
                        "the git hook `{}` may run on a read-only git command",
                        d.join("hooks").join(name).display()
                    ));
                }
            }
        }
        if d.join("modules").exists() {
            return Err(
                "the repository has submodules, which git visits with their own config".into(),
            );
        }
    }
    Ok(())
}

/// One config file, if it exists.
fn config_file(path: &Path) -> Result<(), String> {
    let Ok(text) = std::fs::read(path) else {
        return Ok(());
    };
    config(&String::from_utf8_lossy(&text)).map_err(|k| {
        format!(
            "the git config `{}` sets `{k}`, which is not known to be safe",
            path.display()
        )
    })
}

/// The first key in a git config text that is not on the allowlist
/// (includes and unparsable lines count as such).
pub fn config(text: &str) -> Result<(), String> {
    let mut section = String::new();
    for line in text.lines() {
        let mut l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        if let Some(head) = l.strip_prefix('[') {
            let Some((inside, after)) = head.split_once(']') else {
                return Err(line.to_string());
            };
            section = match inside.split_once(|c: char| c.is_whitespace() || c == '"') {
                Some((name, _)) => format!("{}.*", name.to_ascii_lowercase()),
                // `[remote.origin]`, the old subsection form.
                None => match inside.split_once('.') {
                    Some((name, _)) => format!("{}.*", name.to_ascii_lowercase()),
                    None => inside.to_ascii_lowercase(),
                },
            };
            l = after.trim();
            if l.is_empty() || l.starts_with('#') || l.starts_with(';') {
                continue;
            }
        }
        let key = l
            .split(|c: char| c == '=' || c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let full = format!("{section}.{key}");
        if !SAFE_KEYS.contains(&full.as_str()) || line.trim_end().ends_with('\\') {
            return Err(full);
        }
    }
    Ok(())
}

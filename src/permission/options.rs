//! Option allowlists for the read-only programs, and the walker that checks
//! arguments against one. Only the spellings written here pass: GNU tools
//! accept any unambiguous prefix of a long option (`--co` for
//! `--compress-program`), so an unlisted spelling, an abbreviation included,
//! asks. Options that write, run a program or connect are simply absent.

use super::shell::Word;

/// One program's accepted options, space-separated:
/// `-x` a short flag, `-x:` a short option with a value (glued or next),
/// `-x?` a short option with an optional glued value, `--name` a long flag,
/// `--name=` a long option with a value (`=v` or next), `--name?` one whose
/// value can only be glued, `--name==` one with two values (jq `--arg a v`),
/// `-#` a number as an option (`head -20`).
pub struct Spec {
    pub name: &'static str,
    /// No option of this program, listed or not, writes or runs anything
    /// (checked by the generative test), so a word decided at run time may
    /// be anything.
    pub any_dynamic: bool,
    pub opts: &'static str,
}

const fn spec(name: &'static str, any_dynamic: bool, opts: &'static str) -> Spec {
    Spec {
        name,
        any_dynamic,
        opts,
    }
}

const HELP: &str = "--help --version";

/// The programs whose arguments are options and operands; the builtins,
/// wrappers and script languages are checked in readonly.rs.
pub const PROGRAMS: &[Spec] = &[
    spec("cat", true, "-A -b -e -E -n -s -t -T -u -v --show-all --number-nonblank --show-ends --number --squeeze-blank --show-tabs --show-nonprinting --help --version"),
    spec("ls", true, "-a -A -b -B -c -C -d -D -f -F -g -G -h -H -i -I: -k -l -L -m -n -N -o -p -q -Q -r -R -s -S -t -T: -u -U -v -w: -x -X -Z -1 --all --almost-all --author --escape --block-size= --ignore-backups --classify --classify? --color --color? --directory --dired --file-type --format= --full-time --group-directories-first --no-group --human-readable --si --dereference-command-line --dereference-command-line-symlink-to-dir --hide= --hyperlink --hyperlink? --indicator-style= --inode --ignore= --kibibytes --dereference --numeric-uid-gid --literal --hide-control-chars --show-control-chars --quote-name --quoting-style= --reverse --recursive --size --sort= --time= --time-style= --tabsize= --width= --context --zero --help --version"),
    spec("wc", true, "-c -m -l -L -w --bytes --chars --lines --max-line-length --words --files0-from= --total= --help --version"),
    spec("head", true, "-c: -n: -q -v -z -# --bytes= --lines= --quiet --silent --verbose --zero-terminated --help --version"),
    spec("tail", true, "-c: -f -F -n: -q -s: -v -z -# --bytes= --follow --follow? --lines= --max-unchanged-stats= --pid= --quiet --retry --silent --sleep-interval= --verbose --zero-terminated --help --version"),
    spec("grep", true, "-A: -B: -C: -D: -E -F -G -H -I -L -P -R -T -U -V -Z -a -b -c -d: -e: -f: -h -i -l -m: -n -o -q -r -s -v -w -x -y -z -# --after-context= --before-context= --context= --basic-regexp --extended-regexp --fixed-strings --perl-regexp --binary --binary-files= --byte-offset --color --color? --colour --colour? --count --dereference-recursive --devices= --directories= --exclude= --exclude-dir= --exclude-from= --file= --files-with-matches --files-without-match --group-separator= --no-group-separator --ignore-case --no-ignore-case --include= --initial-tab --invert-match --label= --line-buffered --line-number --line-regexp --max-count= --no-filename --no-messages --null --null-data --only-matching --quiet --recursive --regexp= --silent --text --with-filename --word-regexp --help --version"),
    spec("egrep", true, "-A: -B: -C: -H -L -R -a -c -e: -f: -h -i -l -n -o -q -r -s -v -w -x --color --color? --count --include= --exclude= --exclude-dir= --ignore-case --line-number --recursive --help --version"),
    spec("fgrep", true, "-A: -B: -C: -H -L -R -a -c -e: -f: -h -i -l -n -o -q -r -s -v -w -x --color --color? --count --include= --exclude= --exclude-dir= --ignore-case --line-number --recursive --help --version"),
    spec("uname", true, "-a -s -n -r -v -m -p -i -o --all --kernel-name --nodename --kernel-release --kernel-version --machine --processor --hardware-platform --operating-system --help --version"),
    spec("basename", true, "-a -s: -z --multiple --suffix= --zero --help --version"),
    spec("dirname", true, "-z --zero --help --version"),
    spec("realpath", true, "-e -m -L -P -q -s -z --canonicalize-existing --canonicalize-missing --logical --physical --quiet --relative-to= --relative-base= --strip --no-symlinks --zero --help --version"),
    spec("readlink", true, "-f -e -m -n -q -s -v -z --canonicalize --canonicalize-existing --canonicalize-missing --no-newline --quiet --silent --verbose --zero --help --version"),
    spec("stat", true, "-L -f -c: -t --dereference --file-system --cached= --format= --printf= --terse --help --version"),
    spec("du", true, "-0 -a -B: -b -c -D -d: -H -h -k -L -l -m -P -S -s -t: -x -X: --null --all --apparent-size --block-size= --bytes --total --dereference-args --max-depth= --files0-from= --human-readable --inodes --dereference --count-links --no-dereference --separate-dirs --si --summarize --threshold= --time --time? --time-style= --one-file-system --exclude-from= --exclude= --help --version"),
    spec("df", true, "-a -B: -h -H -i -k -l -P -t: -T -x: -v --all --block-size= --human-readable --si --inodes --local --no-sync --output --output? --portability --total --type= --print-type --exclude-type= --help --version"),
    spec("nl", true, "-b: -d: -f: -h: -i: -l: -n: -p -s: -v: -w: --body-numbering= --section-delimiter= --footer-numbering= --header-numbering= --line-increment= --join-blank-lines= --number-format= --no-renumber --number-separator= --starting-line-number= --number-width= --help --version"),
    spec("od", true, "-A: -j: -N: -S: -t: -v -w? -a -b -c -d -f -i -l -o -s -x --address-radix= --endian= --skip-bytes= --read-bytes= --strings --strings? --format= --output-duplicates --width --width? --traditional --help --version"),
    spec("strings", true, "-a -d -f -n: -o -t: -e: -s: -w -T: -U: -# --all --data --print-file-name --bytes= --radix= --encoding= --output-separator= --include-all-whitespace --target= --unicode= --help --version"),
    spec("cut", true, "-b: -c: -d: -f: -n -s -z --bytes= --characters= --delimiter= --fields= --complement --only-delimited --output-delimiter= --zero-terminated --help --version"),
    spec("tr", true, "-c -C -d -s -t --complement --delete --squeeze-repeats --truncate-set1 --help --version"),
    spec("rev", true, "-0 --zero --help --version"),
    spec("tac", true, "-b -r -s: --before --regex --separator= --help --version"),
    spec("seq", true, "-f: -s: -w --format= --separator= --equal-width --help --version"),
    spec("cmp", true, "-b -i: -l -n: -s -# --print-bytes --ignore-initial= --verbose --bytes= --quiet --silent --help --version"),
    spec("diff", true, "-a -b -B -c -C: -d -D: -e -E -f -F: -i -I: -n -N -p -q -r -s -S: -t -T -u -U: -v -w -W: -x: -X: -y -Z -# --normal --brief --report-identical-files --context --context? --unified --unified? --ed --rcs --side-by-side --width= --expand-tabs --initial-tab --tabsize= --suppress-common-lines --show-c-function --show-function-line= --label= --new-file --unidirectional-new-file --ignore-case --ignore-file-name-case --no-ignore-file-name-case --ignore-tab-expansion --ignore-trailing-space --ignore-space-change --ignore-all-space --ignore-blank-lines --ignore-matching-lines= --text --strip-trailing-cr --recursive --no-dereference --exclude= --exclude-from= --starting-file= --from-file= --to-file= --minimal --horizon-lines= --speed-large-files --color --color? --palette= --ifdef= --line-format= --old-line-format= --new-line-format= --unchanged-line-format= --old-group-format= --new-group-format= --unchanged-group-format= --changed-group-format= --left-column --suppress-blank-empty --help --version"),
    spec("comm", true, "-1 -2 -3 -z --check-order --nocheck-order --output-delimiter= --total --zero-terminated --help --version"),
    spec("paste", true, "-d: -s -z --delimiters= --serial --zero-terminated --help --version"),
    spec("fold", true, "-b -s -w: -# --bytes --spaces --width= --help --version"),
    spec("column", true, "-t -s: -o: -c: -x -n -e -l: -N: -R: -T: -E: -H: -O: -W: -d -J -L -r: -i: -p: -V -h --table --separator= --output-separator= --output-width= --fillrows --json --keep-empty-lines --table-columns= --table-columns-limit= --table-right= --table-truncate= --table-noextreme= --table-hide= --table-order= --table-name= --table-noheadings --table-header-repeat --table-wrap= --tree= --tree-id= --tree-parent= --help --version"),
    spec("expand", true, "-i -t: -# --initial --tabs= --help --version"),
    spec("unexpand", true, "-a -t: -# --all --first-only --tabs= --help --version"),
    spec("sha256sum", true, "-b -c -t -w -z --binary --check --tag --text --zero --ignore-missing --quiet --status --strict --warn --help --version"),
    spec("sha1sum", true, "-b -c -t -w -z --binary --check --tag --text --zero --ignore-missing --quiet --status --strict --warn --help --version"),
    spec("sha512sum", true, "-b -c -t -w -z --binary --check --tag --text --zero --ignore-missing --quiet --status --strict --warn --help --version"),
    spec("md5sum", true, "-b -c -t -w -z --binary --check --tag --text --zero --ignore-missing --quiet --status --strict --warn --help --version"),
    spec("b2sum", true, "-b -c -l: -t -w -z --binary --check --length= --tag --text --zero --ignore-missing --quiet --status --strict --warn --help --version"),
    spec("cksum", true, "-a: -c -l: -r -w -z --algorithm= --base64 --check --length= --raw --tag --untagged --zero --ignore-missing --quiet --status --strict --warn --debug --help --version"),
    spec("printenv", true, "-0 --null --help --version"),
    spec("nproc", true, "--all --ignore= --help --version"),
    spec("uptime", true, "-p -s -h -V --pretty --since --help --version"),
    spec("free", true, "-b -k -m -g -h -w -c: -l -s: -t -v -L --bytes --kibi --mebi --gibi --tebi --pebi --kilo --mega --giga --tera --peta --human --wide --count= --lohi --seconds= --si --total --committed --help --version"),
    spec("sleep", true, HELP),
    // -m/--charmaps is left out: it runs gzip over the charmap files.
    spec("locale", true, "-a -c -k -v --all-locales --category-name --keyword-name --verbose --help --version"),
    spec("groups", true, HELP),
    spec("arch", true, HELP),
    spec("tty", true, "-s --silent --quiet --help --version"),
    spec("hostid", true, HELP),
    spec("whoami", true, HELP),
    spec("id", true, "-a -Z -g -G -n -r -u -z --context --group --groups --name --real --user --zero --help --version"),
    spec("numfmt", true, "-d: -z --debug --delimiter= --field= --format= --from= --from-unit= --grouping --header --header? --invalid= --padding= --round= --suffix= --to= --to-unit= --zero-terminated --help --version"),
    spec("which", true, "-a -s"),
    spec("ps", true, "-A -a -C: -c -d -e -F -f -G: -g: -H -j -L -l -M -m -N -O: -o: -p: -q: -s: -T -t: -U: -u: -w -x -y --cols= --columns= --context --deselect --forest --format= --Group= --group= --headers --lines= --no-headers --pid= --ppid= --quick-pid= --rows= --sid= --sort= --tty= --User= --user= --width= --help"),
    spec("jq", true, "-a -C -c -e -f: -j -L: -M -n -R -r -S -s --arg== --argjson== --args --ascii-output --color-output --compact-output --exit-status --from-file= --indent= --join-output --jsonargs --monochrome-output --null-input --raw-input --raw-output --raw-output0 --rawfile== --seq --slurp --slurpfile== --sort-keys --stream --stream-errors --tab --unbuffered --help --version"),
    // Without -o/--output, -T/--temporary-directory, --compress-program.
    spec("sort", false, "-b -C -c -d -f -g -h -i -k: -M -m -n -R -r -S: -s -t: -u -V -z --batch-size= --buffer-size= --check --check? --debug --dictionary-order --field-separator= --files0-from= --general-numeric-sort --human-numeric-sort --ignore-case --ignore-leading-blanks --ignore-nonprinting --key= --merge --month-sort --numeric-sort --parallel= --random-sort --random-source= --reverse --sort= --stable --unique --version-sort --zero-terminated --help --version"),
    // Operands are checked in readonly.rs: the second one is an output.
    spec("uniq", false, "-c -D -d -f: -i -s: -u -w: -z -# --all-repeated --all-repeated? --check-chars= --count --group --group? --ignore-case --repeated --skip-chars= --skip-fields= --unique --zero-terminated --help --version"),
    spec("tee", false, "-a -i -p --append --ignore-interrupts --output-error --output-error? --help --version"),
    // Without -s/--set.
    spec("date", false, "-d: -f: -I? -R -r: -u --date= --debug --file= --iso-8601 --iso-8601? --reference= --resolution --rfc-3339= --rfc-email --universal --utc --help --version"),
    // Without -C/--compile, -z/-Z (run decompressors), -p (sets times), -S/--no-sandbox.
    spec("file", false, "-0 -b -c -d -E -e: -F: -f: -h -i -k -L -l -m: -N -n -P: -r -s -v --apple --brief --checking-printout --debug --dereference --exclude= --exclude-quiet= --extension --files-from= --keep-going --list --magic-file= --mime --mime-encoding --mime-type --no-buffer --no-dereference --no-pad --parameter= --print0 --raw --separator= --special-files --help --version"),
    // Without --pre, --pre-glob, --hostname-bin, -z/--search-zip (run programs).
    spec("rg", false, "-0 -A: -a -B: -b -C: -c -d: -E: -e: -F -f: -g: -H -h -I -i -j: -L -l -M: -m: -N -n -o -P -p -q -r: -S -s -T: -t: -U -u -V -v -w -x --after-context= --before-context= --byte-offset --case-sensitive --color= --colors= --column --context= --count --count-matches --debug --encoding= --files --files-with-matches --files-without-match --fixed-strings --follow --glob= --glob-case-insensitive --heading --hidden --iglob= --ignore-case --invert-match --json --line-number --line-regexp --max-columns= --max-count= --max-depth= --max-filesize= --multiline --multiline-dotall --no-config --no-filename --no-heading --no-ignore --no-ignore-vcs --no-line-number --no-messages --null --only-matching --passthru --pcre2 --quiet --regexp= --replace= --smart-case --sort= --sortr= --stats --text --threads= --trim --type= --type-list --type-not= --vimgrep --with-filename --word-regexp --help --version"),
    // Without -x/-X/--exec/--exec-batch, -l/--list-details (runs ls).
    spec("fd", false, "-0 -1 -a -c: -d: -E: -e: -F -g -H -I -i -j: -L -o: -p -q -S: -s -t: -u --absolute-path --base-directory= --case-sensitive --changed-before= --changed-within= --color= --exact-depth= --exclude= --extension= --fixed-strings --follow --full-path --glob --hidden --ignore-case --max-depth= --max-results= --min-depth= --no-ignore --no-ignore-vcs --owner= --path-separator= --print0 --quiet --search-path= --show-errors --size= --strip-cwd-prefix --threads= --type= --help --version"),
    spec("fdfind", false, "-0 -1 -a -c: -d: -E: -e: -F -g -H -I -i -j: -L -o: -p -q -S: -s -t: -u --absolute-path --base-directory= --case-sensitive --changed-before= --changed-within= --color= --exact-depth= --exclude= --extension= --fixed-strings --follow --full-path --glob --hidden --ignore-case --max-depth= --max-results= --min-depth= --no-ignore --no-ignore-vcs --owner= --path-separator= --print0 --quiet --search-path= --show-errors --size= --strip-cwd-prefix --threads= --type= --help --version"),
];

pub fn lookup(name: &str) -> Option<&'static Spec> {
    PROGRAMS.iter().find(|s| s.name == name)
}

/// How a listed option takes its value.
#[derive(Clone, Copy, PartialEq)]
enum Takes {
    Nothing,
    /// Glued, or the next argument.
    One,
    /// Only glued (`--color=always`, `-w8`).
    Glued,
    Two,
}

/// How `name` takes its value, if it is listed; a spelling listed twice
/// (`--color --color?`) is taken in the way that fits `glued`.
fn find(opts: &str, name: &str, glued: bool) -> Option<Takes> {
    let mut all = opts
        .split(' ')
        .filter_map(|tok| match tok.strip_prefix(name)? {
            "" => Some(Takes::Nothing),
            ":" | "=" => Some(Takes::One),
            "?" => Some(Takes::Glued),
            "==" => Some(Takes::Two),
            _ => None,
        });
    if glued {
        all.find(|t| matches!(t, Takes::One | Takes::Glued))
    } else {
        all.min_by_key(|t| match t {
            Takes::Nothing | Takes::Glued => 0,
            Takes::One => 1,
            Takes::Two => 2,
        })
    }
}

/// What `walk` found: the operands, and each option's value with the
/// option as spelled (`-e`, `--expression`).
#[derive(Default)]
pub struct Walked<'a> {
    pub operands: Vec<&'a Word>,
    pub values: Vec<(String, &'a str, bool)>,
}

impl<'a> Walked<'a> {
    /// The values of the options spelled as in `names`, with whether each
    /// is decided at run time.
    pub fn values_of(&self, names: &[&str]) -> Vec<(&'a str, bool)> {
        self.values
            .iter()
            .filter(|(o, _, _)| names.contains(&o.as_str()))
            .map(|(_, v, d)| (*v, *d))
            .collect()
    }
}

/// Walk `args` against `opts`. Every option must be a listed spelling. A
/// word decided at run time passes only when `any` says every option is
/// harmless, or when it cannot turn into an option or into several words.
pub fn walk<'a>(name: &str, opts: &str, any: bool, args: &'a [Word]) -> Result<Walked<'a>, String> {
    let unknown = |t: &str| Err(format!("`{name} {t}` is not a known read-only option"));
    let mut out = Walked::default();
    let mut it = args.iter();
    let mut end = false;
    while let Some(a) = it.next() {
        let t = a.text.as_str();
        if a.may_become_option() && !any && !end {
            return Err(format!(
                "`{name}` gets the argument `{t}`, which is decided at run time"
            ));
        }
        if end || t == "-" || !t.starts_with('-') || a.dynamic {
            out.operands.push(a);
            continue;
        }
        if t == "--" {
            end = true;
            continue;
        }
        let mut next = |opt: String, out: &mut Walked<'a>| {
            let v = it.next();
            let text = v.map_or("", |v| v.text.as_str());
            out.values.push((opt, text, v.is_some_and(|v| v.dynamic)));
        };
        if let Some(long) = t.strip_prefix("--") {
            let (key, value) = match long.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (long, None),
            };
            let opt = format!("--{key}");
            match (find(opts, &opt, value.is_some()), value) {
                (None, _) => return unknown(t),
                (Some(_), Some(v)) => out.values.push((opt, v, false)),
                (Some(Takes::One), None) => next(opt, &mut out),
                (Some(Takes::Two), None) => {
                    next(opt.clone(), &mut out);
                    next(opt, &mut out);
                }
                (Some(_), None) => {}
            }
            continue;
        }
        let flags = t.get(1..).unwrap_or("");
        if flags.bytes().all(|b| b.is_ascii_digit()) && find(opts, "-#", false).is_some() {
            continue;
        }
        for (k, c) in flags.char_indices() {
            let opt = format!("-{c}");
            let rest = flags.get(k + c.len_utf8()..).unwrap_or("");
            match find(opts, &opt, false) {
                Some(Takes::Nothing) => continue,
                Some(Takes::One) if rest.is_empty() => next(opt, &mut out),
                Some(Takes::One | Takes::Glued) => out.values.push((opt, rest, false)),
                _ => return unknown(&format!("-{c}")),
            }
            break;
        }
    }
    Ok(out)
}

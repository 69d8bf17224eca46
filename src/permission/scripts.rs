//! The read-only check for programs that take a script: sed (a parser
//! that accepts only an allowlist of sed commands) and awk (a program
//! text with no way to write, run or read outside its inputs).

use super::options::walk;
use super::shell::Word;

/// sed options that neither edit in place nor read a script file.
const SED_OPTS: &str = "-n -E -r -s -u -z -b -e: -l: --quiet --silent --regexp-extended --separate --unbuffered --null-data --zero-terminated --binary --line-length= --posix --debug --sandbox --expression= --help --version";

/// sed: every script (each `-e`, or else the first operand, also after
/// `--`) must be static and made only of commands that print.
pub fn sed(args: &[Word]) -> Result<(), String> {
    let w = walk("sed", SED_OPTS, false, args)?;
    let mut scripts = w.values_of(&["-e", "--expression"]);
    if scripts.is_empty() {
        let first = w.operands.first().ok_or("sed without a script")?;
        scripts.push((first.text.as_str(), first.dynamic));
    }
    for (s, dynamic) in scripts {
        if dynamic {
            return Err(format!("the sed script `{s}` is decided at run time"));
        }
        sed_script(s)?;
    }
    Ok(())
}

/// sed commands that only print or change the pattern and hold spaces.
/// `w`, `W`, `e`, `r`, `R` and `s///w`, `s///e` are absent; so is any
/// command GNU sed may add later.
const SED_SAFE: &str = "=dDgGhHlnNpPqQxzF";

pub fn sed_script(s: &str) -> Result<(), String> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let bad = |what: char| {
        Err(format!(
            "the sed command `{what}` is not known to be read-only"
        ))
    };
    // A delimited part starting after the delimiter; the index after the closing one.
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
    // The end of a label or of text: the earliest place GNU sed may end it,
    // so that whatever follows is checked as commands.
    let until = |mut i: usize, stops: &str| {
        while c.get(i).is_some_and(|ch| !stops.contains(*ch)) {
            i += 1;
        }
        i
    };
    while let Some(&ch) = c.get(i) {
        match ch {
            ' ' | '\t' | '\n' | ';' | '!' | ',' | '{' | '}' | '$' | '0'..='9' | '~' | '+' => i += 1,
            '/' => i = part(i + 1, '/').ok_or("unterminated sed address")?,
            '\\' => {
                let d = c.get(i + 1).copied().unwrap_or('/');
                i = part(i + 2, d).ok_or("unterminated sed address")?;
            }
            'I' | 'M' => i += 1, // address flags
            c if SED_SAFE.contains(c) => i += 1,
            's' | 'y' => {
                let d = *c.get(i + 1).ok_or("unterminated sed command")?;
                if d == '\n' || d == '\\' {
                    return bad(ch);
                }
                let mid = part(i + 2, d).ok_or("unterminated sed command")?;
                i = part(mid, d).ok_or("unterminated sed command")?;
                if ch == 's' {
                    while let Some(&f) = c.get(i) {
                        match f {
                            'g' | 'p' | 'i' | 'I' | '0'..='9' => i += 1,
                            ';' | '\n' | '}' | ' ' | '\t' | '#' => break,
                            other => return bad(other),
                        }
                    }
                }
            }
            // Text to the end of the line (the letter itself is not a newline).
            'a' | 'i' | 'c' | '#' => i = until(i, "\n"),
            // Labels end at `;`, a newline, a blank or `}`.
            ':' | 'b' | 't' | 'T' => {
                i += 1;
                while matches!(c.get(i), Some(' ' | '\t')) {
                    i += 1;
                }
                i = until(i, ";\n \t}");
            }
            other => return bad(other),
        }
    }
    Ok(())
}

/// awk: a program text with no `system`, pipes, output redirection,
/// `getline`, extension loading or environment; no program files.
pub fn awk(args: &[Word]) -> Result<(), String> {
    let w = walk("awk", "-F: -v:", false, args)?;
    let prog = w.operands.first().ok_or("awk without a program")?;
    if prog.dynamic {
        return Err("the awk program is decided at run time".into());
    }
    if let Some(bad) = ["system", "|", ">", "@", "getline", "ENVIRON", "\\\n"]
        .iter()
        .find(|b| prog.text.contains(*b))
    {
        return Err(format!(
            "the awk program uses `{bad}`, which can write files or run programs"
        ));
    }
    Ok(())
}

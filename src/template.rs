//! Prompt template expansion: `$ARGUMENTS` is everything after `/name`,
//! `$1`, `$2` ... its words (quotes group words, as in a shell, and are
//! removed); a missing word expands to nothing. Any other `$` is kept.

/// The arguments split into words; `"a b"` and `'a b'` are one word.
pub fn words(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in args.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

pub fn expand(body: &str, args: &str) -> String {
    let w = words(args);
    let mut out = String::with_capacity(body.len() + args.len());
    let mut rest = body;
    while let Some(i) = rest.find('$') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        if let Some(tail) = after.strip_prefix("ARGUMENTS") {
            out.push_str(args);
            rest = tail;
            continue;
        }
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after
            .get(..digits)
            .and_then(|d| d.parse::<usize>().ok())
            .filter(|n| *n > 0)
        {
            Some(n) => {
                out.push_str(w.get(n - 1).map_or("", String::as_str));
                rest = after.get(digits..).unwrap_or("");
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_arguments_and_positions() {
        assert_eq!(
            expand("Fix #$1 in $2 ($ARGUMENTS); $3.", "12 'src/a b.rs'"),
            "Fix #12 in src/a b.rs (12 'src/a b.rs'); ."
        );
        assert_eq!(
            expand("cost $5 and $ and $0 and $x", ""),
            "cost  and $ and $0 and $x"
        );
        assert_eq!(expand("$10$1", "a b c d e f g h i j"), "ja");
        assert_eq!(
            words(r#"  one "two three"  ''  four"#),
            ["one", "two three", "", "four"]
        );
        assert_eq!(expand("é$1é", "ü"), "éüé");
    }
}

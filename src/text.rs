//! Cutting text to size: the one truncation rule every tool's output
//! follows (at most `MAX_LINES` lines and `MAX_BYTES` bytes reach the
//! model, cut at a line or, for one huge line, a character boundary, with a
//! note saying what was left out and how to get it), and `floor_char` for
//! the one-line messages of http, provider, session and mcp.

pub const MAX_LINES: usize = 2000;
pub const MAX_BYTES: usize = 50 * 1024;

/// What survived a cut.
#[derive(Debug, PartialEq)]
pub struct Cut<'a> {
    pub text: &'a str,
    /// Whole lines kept (a partly kept line counts).
    pub lines: usize,
    /// True when something was left out.
    pub cut: bool,
}

/// The first lines of `text` within the caps.
pub fn head(text: &str, max_lines: usize, max_bytes: usize) -> Cut<'_> {
    let mut end = 0;
    let mut lines = 0;
    for line in text.split_inclusive('\n') {
        if lines == max_lines {
            break;
        }
        if end + line.len() > max_bytes {
            if lines == 0 {
                // One line longer than the whole budget: keep its start.
                end = floor_char(text, max_bytes);
                lines = 1;
            }
            break;
        }
        end += line.len();
        lines += 1;
    }
    Cut {
        text: &text[..end],
        lines,
        cut: end < text.len(),
    }
}

/// The last lines of `text` within the caps.
pub fn tail(text: &str, max_lines: usize, max_bytes: usize) -> Cut<'_> {
    let mut start = text.len();
    let mut lines = 0;
    for line in text.split_inclusive('\n').rev() {
        if lines == max_lines {
            break;
        }
        if text.len() - start + line.len() > max_bytes {
            if lines == 0 {
                start = ceil_char(text, text.len().saturating_sub(max_bytes));
                lines = 1;
            }
            break;
        }
        start -= line.len();
        lines += 1;
    }
    Cut {
        text: &text[start..],
        lines,
        cut: start > 0,
    }
}

/// The largest char boundary at or below `i`.
pub fn floor_char(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary at or above `i`.
pub fn ceil_char(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_respects_both_caps() {
        let t = "a\nb\nc\n";
        assert_eq!(
            head(t, 2, 100),
            Cut {
                text: "a\nb\n",
                lines: 2,
                cut: true
            }
        );
        assert_eq!(
            head(t, 10, 4),
            Cut {
                text: "a\nb\n",
                lines: 2,
                cut: true
            }
        );
        assert_eq!(
            head(t, 10, 100),
            Cut {
                text: t,
                lines: 3,
                cut: false
            }
        );
    }

    #[test]
    fn tail_respects_both_caps() {
        let t = "a\nb\nc";
        assert_eq!(
            tail(t, 2, 100),
            Cut {
                text: "b\nc",
                lines: 2,
                cut: true
            }
        );
        assert_eq!(
            tail(t, 10, 3),
            Cut {
                text: "b\nc",
                lines: 2,
                cut: true
            }
        );
    }

    #[test]
    fn one_huge_line_is_cut_at_a_char_boundary() {
        let t = "é".repeat(10);
        let h = head(&t, 10, 5);
        assert_eq!(h.text, "éé");
        assert!(h.cut);
        assert_eq!(tail(&t, 10, 5).text, "éé");
    }
}

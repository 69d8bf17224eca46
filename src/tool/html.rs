//! HTML to readable text for the fetch tool: a byte-at-a-time state
//! machine fed the body as it arrives (no tree, no recursion, state bounded
//! whatever the page). Headings become `#` lines, lists `-`/`1.` items,
//! links `[text](url)` (resolved against the page's URL), `pre` blocks
//! fenced code, table cells ` | `-separated; scripts, styles, navigation,
//! SVG, templates and comments are dropped; entities are decoded and
//! whitespace collapsed outside `pre`.

use crate::http::Url;

/// Longest tag kept (attributes past it are dropped).
const TAG_CAP: usize = 4096;
/// Elements whose whole content is dropped.
const DROPPED: &[&str] = &["nav", "noscript", "template", "svg", "iframe", "select"];
/// Elements that end a line.
const LINES: &[&str] = &[
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "figure",
    "figcaption",
    "form",
    "dl",
    "dt",
    "dd",
    "address",
    "details",
    "summary",
    "title",
    "tr",
];
/// Elements set off by a blank line.
const PARAGRAPHS: &[&str] = &["p", "blockquote", "table"];

enum State {
    Text,
    Tag,
    /// Inside `<!-- -->`: how many `-` just went by (0..=2).
    Comment(u8),
    /// Inside script or style: how much of the closing tag has matched.
    Raw(&'static [u8], usize),
}

pub struct Html {
    state: State,
    tag: Vec<u8>,
    /// The quote an attribute value in the tag is open with (0: none).
    quote: u8,
    /// An entity being read, from its `&`.
    ent: Vec<u8>,
    /// Inside a dropped element: its name and nesting depth.
    skip: Option<(&'static str, u32)>,
    pre: u32,
    /// Open lists, innermost last: the next number of an `ol`.
    lists: Vec<Option<u32>>,
    /// The resolved target of the open link.
    link: Option<String>,
    /// A cell was written in this table row.
    cell: bool,
    /// Whitespace is pending before the next word.
    space: bool,
    /// Line breaks at the end of the output so far (2 at the start).
    nl: u8,
    base: Url,
    /// Text produced and not yet taken.
    pub out: Vec<u8>,
}

impl Html {
    /// A converter for a page fetched from `base`.
    pub fn new(base: Url) -> Html {
        Html {
            state: State::Text,
            tag: Vec::new(),
            quote: 0,
            ent: Vec::new(),
            skip: None,
            pre: 0,
            lists: Vec::new(),
            link: None,
            cell: false,
            space: false,
            nl: 2,
            base,
            out: Vec::new(),
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.byte(b);
        }
    }

    /// The page ended: an entity cut short is text.
    pub fn finish(&mut self) {
        self.flush_entity();
    }

    fn byte(&mut self, b: u8) {
        match self.state {
            State::Text => match b {
                b'<' => {
                    self.flush_entity();
                    self.state = State::Tag;
                    self.tag.clear();
                    self.quote = 0;
                }
                b'&' => {
                    self.flush_entity();
                    self.ent.push(b);
                }
                _ if !self.ent.is_empty() => self.entity(b),
                _ => self.text(b),
            },
            State::Tag => self.tag_byte(b),
            State::Comment(dashes) => {
                self.state = match (b, dashes) {
                    (b'>', 2) => State::Text,
                    (b'-', d) => State::Comment((d + 1).min(2)),
                    _ => State::Comment(0),
                }
            }
            State::Raw(end, got) => {
                let got = match end.get(got) {
                    Some(c) if c.eq_ignore_ascii_case(&b) => got + 1,
                    _ => usize::from(b == b'<'),
                };
                self.state = State::Raw(end, got);
                if got == end.len() {
                    self.state = State::Tag;
                    self.tag.clear();
                    self.tag.extend_from_slice(end.get(1..).unwrap_or_default());
                }
            }
        }
    }

    fn tag_byte(&mut self, b: u8) {
        if self.quote != 0 {
            if b == self.quote {
                self.quote = 0;
            }
        } else if self.tag.is_empty() && !(b.is_ascii_alphabetic() || b"/!?".contains(&b)) {
            // `a < b`: not a tag.
            self.state = State::Text;
            self.text(b'<');
            self.byte(b);
            return;
        } else if b == b'>' {
            self.state = State::Text;
            let tag = std::mem::take(&mut self.tag);
            self.element(&tag);
            self.tag = tag;
            return;
        } else if (b == b'"' || b == b'\'')
            && self.tag.iter().rev().find(|c| **c != b' ') == Some(&b'=')
        {
            self.quote = b;
        }
        if self.tag.len() < TAG_CAP {
            self.tag.push(b);
        }
        if self.tag == b"!--" {
            self.state = State::Comment(0);
        }
    }

    /// A whole tag, without its `<` and `>`.
    fn element(&mut self, tag: &[u8]) {
        let (close, rest) = match tag.strip_prefix(b"/") {
            Some(r) => (true, r),
            None => (false, tag),
        };
        let len = rest
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let name = rest.get(..len).unwrap_or_default().to_ascii_lowercase();
        let name = std::str::from_utf8(&name).unwrap_or("");
        if !close && (name == "script" || name == "style") && !rest.ends_with(b"/") {
            let end: &'static [u8] = if name == "script" {
                b"</script"
            } else {
                b"</style"
            };
            self.state = State::Raw(end, 0);
            return;
        }
        if let Some((n, depth)) = &mut self.skip {
            if *n == name {
                *depth = if close { *depth - 1 } else { *depth + 1 };
                if *depth == 0 {
                    self.skip = None;
                }
            }
            return;
        }
        if close {
            self.close(name);
        } else {
            self.open(name, rest);
        }
    }

    fn open(&mut self, name: &str, attrs: &[u8]) {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.block(2);
                let level = name.get(1..).and_then(|l| l.parse().ok()).unwrap_or(1);
                self.push(b"######".get(..level).unwrap_or_default());
                self.push(b" ");
            }
            "ul" | "ol" => {
                self.block(if self.lists.is_empty() { 2 } else { 1 });
                if self.lists.len() < 16 {
                    self.lists.push((name == "ol").then_some(1));
                }
            }
            "li" => {
                self.block(1);
                for _ in 1..self.lists.len() {
                    self.push(b"  ");
                }
                match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let mark = format!("{n}. ");
                        *n += 1;
                        self.push(mark.as_bytes());
                    }
                    _ => self.push(b"- "),
                }
            }
            "a" => {
                let to = attr(attrs, b"href").and_then(|h| join(&self.base, &h));
                if let (Some(to), None) = (to, &self.link) {
                    self.word(b"[");
                    self.link = Some(to);
                }
            }
            "pre" => {
                self.block(2);
                self.push(b"```\n");
                self.nl = 1;
                self.pre += 1;
            }
            "code" if self.pre == 0 => self.word(b"`"),
            "br" if self.pre > 0 => self.push(b"\n"),
            "br" => self.block(1),
            "hr" => {
                self.block(2);
                self.push(b"---");
                self.block(2);
            }
            "tr" => {
                self.block(1);
                self.cell = false;
            }
            "td" | "th" => {
                if self.cell {
                    self.push(b" | ");
                }
                self.cell = true;
            }
            _ if DROPPED.contains(&name) && !attrs.ends_with(b"/") => {
                self.skip = DROPPED.iter().find(|d| **d == name).map(|d| (*d, 1));
            }
            _ => self.open_block(name),
        }
    }

    fn open_block(&mut self, name: &str) {
        if PARAGRAPHS.contains(&name) {
            self.block(2);
        } else if LINES.contains(&name) {
            self.block(1);
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => self.block(2),
            "ul" | "ol" => {
                self.lists.pop();
                self.block(if self.lists.is_empty() { 2 } else { 1 });
            }
            "a" => {
                if let Some(to) = self.link.take() {
                    self.push(b"](");
                    self.push(to.as_bytes());
                    self.push(b")");
                }
            }
            "pre" if self.pre > 0 => {
                self.pre -= 1;
                if self.nl == 0 {
                    self.push(b"\n");
                }
                self.push(b"```");
                self.block(2);
            }
            "code" if self.pre == 0 => self.push(b"`"),
            _ => self.open_block(name),
        }
    }

    /// One byte of text (an entity already decoded).
    fn text(&mut self, b: u8) {
        if self.skip.is_some() {
            return;
        }
        if self.pre > 0 {
            if b != b'\r' {
                self.out.push(b);
                self.nl = if b == b'\n' {
                    self.nl.saturating_add(1)
                } else {
                    0
                };
            }
        } else if b.is_ascii_whitespace() {
            self.space = true;
        } else {
            self.word(&[b]);
        }
    }

    /// Text after any pending space.
    fn word(&mut self, s: &[u8]) {
        if self.space && self.nl == 0 {
            self.out.push(b' ');
        }
        self.space = false;
        self.push(s);
    }

    fn push(&mut self, s: &[u8]) {
        if self.skip.is_none() && !s.is_empty() {
            self.out.extend_from_slice(s);
            self.nl = if s.ends_with(b"\n") { 1 } else { 0 };
        }
    }

    /// End the line, leaving `n` line breaks (2: a blank line).
    fn block(&mut self, n: u8) {
        self.space = false;
        if self.skip.is_some() {
            return;
        }
        while self.nl < n {
            self.out.push(b'\n');
            self.nl += 1;
        }
    }

    fn entity(&mut self, b: u8) {
        if b == b';' {
            let ent = std::mem::take(&mut self.ent);
            match decode(ent.get(1..).unwrap_or_default()) {
                Some(c) => {
                    let mut buf = [0u8; 4];
                    for &x in c.encode_utf8(&mut buf).as_bytes() {
                        self.text(x);
                    }
                }
                None => {
                    ent.iter().for_each(|&x| self.text(x));
                    self.text(b);
                }
            }
            self.ent = ent;
            self.ent.clear();
        } else if (b.is_ascii_alphanumeric() || b == b'#') && self.ent.len() < 12 {
            self.ent.push(b);
        } else {
            self.flush_entity();
            self.byte(b);
        }
    }

    /// An `&` that began no entity is text.
    fn flush_entity(&mut self) {
        let ent = std::mem::take(&mut self.ent);
        ent.iter().for_each(|&x| self.text(x));
        self.ent = ent;
        self.ent.clear();
    }
}

/// The character an entity name (without `&` and `;`) stands for.
fn decode(name: &[u8]) -> Option<char> {
    if let Some(num) = name.strip_prefix(b"#") {
        let s = std::str::from_utf8(num).ok()?;
        let n = match s.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => s.parse().ok()?,
        };
        return char::from_u32(n).filter(|c| *c != '\0');
    }
    const NAMED: &[(&[u8], char)] = &[
        (b"amp", '&'),
        (b"lt", '<'),
        (b"gt", '>'),
        (b"quot", '"'),
        (b"apos", '\''),
        (b"nbsp", ' '),
        (b"mdash", '—'),
        (b"ndash", '–'),
        (b"hellip", '…'),
        (b"copy", '©'),
        (b"rsquo", '’'),
        (b"lsquo", '‘'),
        (b"rdquo", '”'),
        (b"ldquo", '“'),
        (b"times", '×'),
        (b"rarr", '→'),
    ];
    NAMED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// An attribute's value in a tag's text (`&amp;` decoded, the only entity
/// common in URLs).
fn attr(tag: &[u8], name: &[u8]) -> Option<String> {
    let ws = |c: &u8| c.is_ascii_whitespace();
    let mut i = 0;
    while let Some(&c) = tag.get(i) {
        i += 1;
        let here = tag.get(i..i + name.len());
        if !ws(&c) || !here.is_some_and(|w| w.eq_ignore_ascii_case(name)) {
            continue;
        }
        let rest = tag.get(i + name.len()..).unwrap_or_default();
        let rest = rest.get(rest.iter().take_while(|c| ws(c)).count()..)?;
        let Some(rest) = rest.strip_prefix(b"=") else {
            continue;
        };
        let rest = rest.get(rest.iter().take_while(|c| ws(c)).count()..)?;
        let value = match rest.first() {
            Some(&q @ (b'"' | b'\'')) => rest.get(1..)?.split(|c| *c == q).next()?,
            _ => rest.split(|c| ws(c) || *c == b'/').next()?,
        };
        return Some(String::from_utf8_lossy(value).replace("&amp;", "&"));
    }
    None
}

/// A link or redirect target `r` resolved against the page at `base`:
/// absolute http(s) URLs as they are, `//host`, `/path`, `?query` and
/// relative paths joined; fragments, `javascript:` and other schemes give
/// None (mailto stays).
pub fn join(base: &Url, r: &str) -> Option<String> {
    let r = r.trim();
    let scheme = r
        .find(':')
        .filter(|&i| !r.get(..i).unwrap_or("").contains(['/', '?', '#']))
        .map(|i| r.get(..i).unwrap_or("").to_ascii_lowercase());
    let path = base.path.split(['?', '#']).next().unwrap_or("/");
    match scheme.as_deref() {
        Some("http" | "https" | "mailto") => Some(r.to_string()),
        Some(_) => None,
        None if r.is_empty() || r.starts_with('#') => None,
        None if r.starts_with("//") => {
            let s = if base.tls { "https:" } else { "http:" };
            Some(format!("{s}{r}"))
        }
        None if r.starts_with('?') => Some(format!("{}{path}{r}", base.origin())),
        None => {
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            let (p, query) = r.split_at(r.find(['?', '#']).unwrap_or(r.len()));
            let full = match p.starts_with('/') {
                true => p.to_string(),
                false => format!("{dir}/{p}"),
            };
            Some(format!("{}{}{query}", base.origin(), dots(&full)))
        }
    }
}

/// A path with its `.` and `..` segments resolved (never above the root).
fn dots(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        match *seg {
            "." | ".." => {
                if *seg == ".." {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(html: &str, split: usize) -> String {
        let mut h = Html::new(Url::parse("https://ex.org/docs/page.html?x=1").unwrap());
        for piece in html.as_bytes().chunks(split) {
            h.feed(piece);
        }
        h.finish();
        String::from_utf8(h.out).unwrap()
    }

    #[test]
    fn pages_become_readable_text_however_they_are_split() {
        let page = r##"<!DOCTYPE html><html><head><title>T &amp; U</title>
<style>p { color: red } </style><script>if (a < b && c > d) { x("</p>") }</script></head>
<body><nav><ul><li><a href="/">Home</a></li><nav>inner</nav><li>Menu</li></ul></nav>
<!-- a comment <p>hidden</p> -->
<h1>Main   title</h1><p>Some <b>bold</b> text,
   a <a href="/abs?a=1&amp;b=2">link</a> and <a href='rel.html'>rel</a>, <a href="#top">anchor</a>.</p>
<ol><li>one</li><li>two<ul><li>inner</li></ul></li></ol>
<pre><code>fn main() {
    x &lt; y;
}</code></pre><p>Use <code>cargo</code> 3 &lt; 4 &#x41;&#66; &bogus; a&b</p>
<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>
<svg><text>drawn</text></svg><p>end<br>line</p></body></html>"##;
        let want = "T & U\n\n# Main title\n\nSome bold text, a [link](https://ex.org/abs?a=1&b=2) and [rel](https://ex.org/docs/rel.html), anchor.\n\n1. one\n2. two\n  - inner\n\n```\nfn main() {\n    x < y;\n}\n```\n\nUse `cargo` 3 < 4 AB &bogus; a&b\n\nk | v\na | 1\n\nend\nline\n\n";
        for split in [1, 2, 3, 7, 64, 100_000] {
            assert_eq!(convert(page, split), want, "split {split}");
        }
    }

    #[test]
    fn hostile_markup_stays_bounded() {
        // An endless tag, an unclosed comment, deep lists: state stays small.
        let mut h = Html::new(Url::parse("http://h/").unwrap());
        h.feed(b"<a href=\"");
        h.feed(&vec![b'x'; 1 << 20]);
        assert!(h.tag.len() <= TAG_CAP);
        let mut h = Html::new(Url::parse("http://h/").unwrap());
        h.feed(&b"<ul><li>".repeat(10_000));
        assert!(h.lists.len() <= 16);
        h.feed(b"<!-- never closed");
        h.feed(&vec![b'y'; 1 << 16]);
        assert!(!String::from_utf8_lossy(&h.out).contains('y'));
    }

    #[test]
    fn references_resolve_against_the_page() {
        let b = Url::parse("http://h:8080/a/b?q").unwrap();
        let j = |r| join(&b, r);
        assert_eq!(j("https://x.org/y").as_deref(), Some("https://x.org/y"));
        assert_eq!(j("//cdn.org/z").as_deref(), Some("http://cdn.org/z"));
        assert_eq!(j("/root").as_deref(), Some("http://h:8080/root"));
        assert_eq!(j("?p=2").as_deref(), Some("http://h:8080/a/b?p=2"));
        assert_eq!(j("c/d").as_deref(), Some("http://h:8080/a/c/d"));
        assert_eq!(j("../x?y=../z").as_deref(), Some("http://h:8080/x?y=../z"));
        assert_eq!(j("/p/./q/../../../r").as_deref(), Some("http://h:8080/r"));
        assert_eq!(j("./").as_deref(), Some("http://h:8080/a/"));
        assert_eq!(j("..").as_deref(), Some("http://h:8080/"));
        assert_eq!(j("mailto:a@b").as_deref(), Some("mailto:a@b"));
        for none in ["javascript:alert(1)", "data:text/html,x", "#frag", ""] {
            assert_eq!(j(none), None, "{none}");
        }
    }
}

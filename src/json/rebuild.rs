//! Rebuilding the JSON text of one subtree from the streaming parser's
//! events: for formats that send tool arguments as an object (Ollama,
//! Gemini) while the arena keeps them as the text the model wrote.

use super::stream::Event;
use super::write::{escaped, string};

struct Frame {
    object: bool,
    count: u32,
    /// Path length of this container.
    plen: usize,
}

#[derive(Default)]
pub struct Rebuild {
    out: String,
    stack: Vec<Frame>,
    in_str: bool,
}

impl Rebuild {
    /// Feed an event at `path` (inside the subtree). Returns the whole text
    /// when the subtree's root closes (or is a scalar or string).
    pub fn event(&mut self, path: &[u8], e: &Event) -> Option<&str> {
        match e {
            Event::Open(k) => {
                if self.stack.is_empty() {
                    self.out.clear();
                } else {
                    self.key(path);
                }
                self.out.push(if *k == b'{' { '{' } else { '[' });
                self.stack.push(Frame {
                    object: *k == b'{',
                    count: 0,
                    plen: path.len(),
                });
                None
            }
            Event::Close(k) => {
                self.out.push(if *k == b'{' { '}' } else { ']' });
                self.stack.pop();
                self.stack.is_empty().then_some(self.out.as_str())
            }
            Event::Str(s) => {
                if !self.in_str {
                    self.start(path);
                    self.out.push('"');
                    self.in_str = true;
                }
                let mut v = Vec::new();
                let _ = escaped(&mut v, s);
                self.out.push_str(&String::from_utf8_lossy(&v));
                None
            }
            Event::StrEnd => {
                if !self.in_str {
                    self.start(path);
                    self.out.push('"');
                }
                self.in_str = false;
                self.out.push('"');
                self.stack.is_empty().then_some(self.out.as_str())
            }
            Event::Scalar(v) => {
                self.start(path);
                self.out.push_str(&String::from_utf8_lossy(v));
                self.stack.is_empty().then_some(self.out.as_str())
            }
        }
    }

    fn start(&mut self, path: &[u8]) {
        if self.stack.is_empty() {
            self.out.clear();
        } else {
            self.key(path);
        }
    }

    /// The separator and, inside an object, the member's key.
    fn key(&mut self, path: &[u8]) {
        let Some(f) = self.stack.last_mut() else {
            return;
        };
        if f.count > 0 {
            self.out.push(',');
        }
        f.count += 1;
        if f.object {
            let skip = if f.plen > 0 { f.plen + 1 } else { 0 };
            let key = String::from_utf8_lossy(path.get(skip..).unwrap_or(&[])).into_owned();
            let mut v = Vec::new();
            let _ = string(&mut v, &key);
            self.out.push_str(&String::from_utf8_lossy(&v));
            self.out.push(':');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilds_a_subtree_split_anywhere() {
        let doc = r#"{"a":{"f":{"x.y":[1,"t\"é",{"z":null}],"e":"","n":-2.5e3,"o":{}}},"b":1}"#;
        let want = r#"{"x.y":[1,"t\"é",{"z":null}],"e":"","n":-2.5e3,"o":{}}"#;
        for step in [1, 3, doc.len()] {
            let mut r = Rebuild::default();
            let mut got = None;
            let mut p = crate::json::Parser::new();
            for chunk in doc.as_bytes().chunks(step) {
                p.feed(chunk, &mut |path, e| {
                    if path == b"a.f" || crate::json::below(path, b"a.f").is_some() {
                        if let Some(t) = r.event(path, &e) {
                            got = Some(t.to_string());
                        }
                    }
                })
                .unwrap();
            }
            assert_eq!(got.as_deref(), Some(want));
        }
    }
}

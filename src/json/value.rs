//! A small JSON tree for the few documents that are read whole and are
//! small: config files and protocol messages (MCP). Built from the
//! streaming parser's events with an explicit stack, so it never recurses
//! while parsing; depth is bounded by the parser.

// Accessors not yet used by every reader of config sections.
#![allow(dead_code)]

use std::io::{self, Write};

use super::stream::{Error, Event, Parser};
use super::write::string;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number as written.
    Num(String),
    Str(String),
    Arr(Vec<Value>),
    /// Members in document order.
    Obj(Vec<(String, Value)>),
}

struct Frame {
    /// Path length at the container, to cut member keys out of paths.
    plen: usize,
    key: String,
    value: Value,
}

/// Parse a whole document.
pub fn parse(text: &str) -> Result<Value, Error> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Value> = None;
    let mut s = String::new();
    let key_of = |stack: &[Frame], path: &[u8]| -> String {
        match stack.last() {
            Some(f) if matches!(f.value, Value::Obj(_)) => {
                let skip = if f.plen > 0 { f.plen + 1 } else { 0 };
                String::from_utf8_lossy(path.get(skip..).unwrap_or(&[])).into_owned()
            }
            _ => String::new(),
        }
    };
    fn attach(stack: &mut [Frame], root: &mut Option<Value>, key: String, v: Value) {
        match stack.last_mut().map(|f| &mut f.value) {
            Some(Value::Obj(m)) => m.push((key, v)),
            Some(Value::Arr(a)) => a.push(v),
            _ => *root = Some(v),
        }
    }
    let mut p = Parser::new();
    let mut sink = |path: &[u8], e: Event| match e {
        Event::Open(k) => {
            let key = key_of(&stack, path);
            let value = if k == b'{' {
                Value::Obj(Vec::new())
            } else {
                Value::Arr(Vec::new())
            };
            stack.push(Frame {
                plen: path.len(),
                key,
                value,
            });
        }
        Event::Close(_) => {
            if let Some(f) = stack.pop() {
                attach(&mut stack, &mut root, f.key, f.value);
            }
        }
        Event::Str(frag) => s.push_str(frag),
        Event::StrEnd => {
            let key = key_of(&stack, path);
            attach(
                &mut stack,
                &mut root,
                key,
                Value::Str(std::mem::take(&mut s)),
            );
        }
        Event::Scalar(v) => {
            let key = key_of(&stack, path);
            let val = match v {
                b"true" => Value::Bool(true),
                b"false" => Value::Bool(false),
                b"null" => Value::Null,
                n => Value::Num(String::from_utf8_lossy(n).into_owned()),
            };
            attach(&mut stack, &mut root, key, val);
        }
    };
    p.feed(text.as_bytes(), &mut sink)?;
    p.finish(&mut sink)?;
    Ok(root.unwrap_or(Value::Null))
}

/// "line L, column C" of a byte offset, for error messages about files.
pub fn line_col(text: &str, offset: u64) -> (usize, usize) {
    let upto = text
        .as_bytes()
        .get(..offset as usize)
        .unwrap_or(text.as_bytes());
    let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = upto.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Obj(m) => m.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Num(n) => n.parse().ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Num(n) => n.parse().ok(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Arr(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Obj(m) => Some(m),
            _ => None,
        }
    }

    /// Write as compact JSON. Depth is bounded by the parser that built it.
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        match self {
            Value::Null => w.write_all(b"null"),
            Value::Bool(b) => w.write_all(if *b { b"true" } else { b"false" }),
            Value::Num(n) => w.write_all(n.as_bytes()),
            Value::Str(s) => string(w, s),
            Value::Arr(a) => {
                w.write_all(b"[")?;
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        w.write_all(b",")?;
                    }
                    v.write(w)?;
                }
                w.write_all(b"]")
            }
            Value::Obj(m) => {
                w.write_all(b"{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        w.write_all(b",")?;
                    }
                    string(w, k)?;
                    w.write_all(b":")?;
                    v.write(w)?;
                }
                w.write_all(b"}")
            }
        }
    }

    pub fn to_json(&self) -> String {
        let mut v = Vec::new();
        let _ = self.write(&mut v);
        String::from_utf8(v).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let doc = r#"{"a":[1,{"b.c":"x","d":[]},true,null],"e":{},"f":"é\n"}"#;
        let v = parse(doc).unwrap();
        assert_eq!(v.to_json(), doc);
        assert_eq!(
            v.get("a").and_then(|a| a.as_array()).map(|a| a.len()),
            Some(4)
        );
        assert_eq!(
            v.get("a").unwrap().as_array().unwrap()[1]
                .get("b.c")
                .unwrap()
                .as_str(),
            Some("x")
        );
        assert_eq!(parse("7").unwrap(), Value::Num("7".into()));
    }

    #[test]
    fn errors_have_line_and_column() {
        let doc = "{\n  \"a\": 1,\n  \"b\": tru\n}";
        let e = parse(doc).unwrap_err();
        assert_eq!(line_col(doc, e.offset), (3, 11));
    }
}

//! Tool arguments: the flat JSON object a model sends with a tool call.
//!
//! The arguments are checked as JSON by the streaming parser before any tool
//! runs, and their top-level fields are kept as simple values. Every mistake
//! becomes a one-line message that goes back to the model as a tool error.

use super::stream::{Event, Parser};

#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Str(String),
    /// A number as written.
    Num(String),
    Bool(bool),
    Null,
    /// A nested object or array (built-in tools take none).
    Nested,
}

#[derive(Debug, Default)]
pub struct Args {
    fields: Vec<(String, Val)>,
}

impl Args {
    /// Parse a tool call's arguments. An empty string counts as `{}`, as
    /// some servers send it for tools without parameters.
    pub fn parse(json: &str) -> Result<Args, String> {
        let mut args = Args::default();
        if json.trim().is_empty() {
            return Ok(args);
        }
        let mut p = Parser::new();
        let mut root_kind = 0u8;
        let mut open: Option<String> = None;
        let mut sink = |path: &[u8], e: Event| {
            if path.is_empty() {
                if let Event::Open(k) = e {
                    root_kind = k;
                } else if !matches!(e, Event::Close(_)) {
                    root_kind = b'x';
                }
                return;
            }
            if path.contains(&b'.') {
                return; // inside a nested value
            }
            let key = String::from_utf8_lossy(path).into_owned();
            match e {
                Event::Str(s) => match (&mut open, args.fields.last_mut()) {
                    (Some(k), Some((_, Val::Str(v)))) if *k == key => v.push_str(s),
                    _ => {
                        args.fields.push((key.clone(), Val::Str(s.to_string())));
                        open = Some(key);
                    }
                },
                Event::StrEnd => {
                    if open.take().is_none() {
                        args.fields.push((key, Val::Str(String::new())));
                    }
                }
                Event::Scalar(v) => {
                    let val = match v {
                        b"true" => Val::Bool(true),
                        b"false" => Val::Bool(false),
                        b"null" => Val::Null,
                        n => Val::Num(String::from_utf8_lossy(n).into_owned()),
                    };
                    args.fields.push((key, val));
                }
                Event::Open(_) => args.fields.push((key, Val::Nested)),
                Event::Close(_) => {}
            }
        };
        let res = p
            .feed(json.as_bytes(), &mut sink)
            .and_then(|_| p.finish(&mut sink));
        if let Err(e) = res {
            return Err(format!("arguments are not valid JSON ({e})"));
        }
        if root_kind != b'{' {
            return Err("arguments must be a JSON object".into());
        }
        Ok(args)
    }

    fn get(&self, key: &str) -> Option<&Val> {
        // The last occurrence wins, as in most JSON readers.
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .filter(|v| **v != Val::Null)
    }

    /// Names of the fields present, for rejecting unknown ones.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(k, _)| k.as_str())
    }

    pub fn str(&self, key: &str) -> Result<&str, String> {
        self.opt_str(key)?
            .ok_or_else(|| format!("missing required argument `{key}`"))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Val::Str(s)) => Ok(Some(s)),
            Some(_) => Err(format!("argument `{key}` must be a string")),
        }
    }

    /// A non-negative integer; a numeric string is accepted too.
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, String> {
        let text = match self.get(key) {
            None => return Ok(None),
            Some(Val::Num(n)) => n.as_str(),
            Some(Val::Str(s)) => s.trim(),
            Some(_) => "",
        };
        let n = text.strip_suffix(".0").unwrap_or(text);
        n.parse::<u64>()
            .map(Some)
            .map_err(|_| format!("argument `{key}` must be a non-negative integer"))
    }

    /// A boolean; "true" and "false" as strings are accepted too.
    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Val::Bool(b)) => Ok(Some(*b)),
            Some(Val::Str(s)) if s == "true" => Ok(Some(true)),
            Some(Val::Str(s)) if s == "false" => Ok(Some(false)),
            Some(_) => Err(format!("argument `{key}` must be true or false")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_flat_fields() {
        let a =
            Args::parse(r#"{"path":"a\nb","offset":3,"all":true,"n":null,"o":{"x":"y"},"e":""}"#)
                .unwrap();
        assert_eq!(a.str("path").unwrap(), "a\nb");
        assert_eq!(a.opt_u64("offset").unwrap(), Some(3));
        assert_eq!(a.opt_bool("all").unwrap(), Some(true));
        assert_eq!(a.opt_str("n").unwrap(), None);
        assert_eq!(a.str("e").unwrap(), "");
        assert!(a.opt_str("o").is_err());
        assert!(
            a.opt_str("x").unwrap().is_none(),
            "nested keys are not top-level"
        );
    }

    #[test]
    fn lenient_where_models_are_sloppy() {
        let a = Args::parse(r#"{"limit":"20","flag":"false"}"#).unwrap();
        assert_eq!(a.opt_u64("limit").unwrap(), Some(20));
        assert_eq!(a.opt_bool("flag").unwrap(), Some(false));
        assert!(Args::parse("").is_ok());
    }

    #[test]
    fn clear_errors() {
        assert_eq!(
            Args::parse("{}").unwrap().str("path").unwrap_err(),
            "missing required argument `path`"
        );
        assert!(Args::parse(r#"{"path": "x""#)
            .unwrap_err()
            .starts_with("arguments are not valid JSON"));
        assert_eq!(
            Args::parse("[1]").unwrap_err(),
            "arguments must be a JSON object"
        );
        assert_eq!(
            Args::parse(r#""s""#).unwrap_err(),
            "arguments must be a JSON object"
        );
        let a = Args::parse(r#"{"offset":-1,"limit":1.5}"#).unwrap();
        assert!(a.opt_u64("offset").is_err());
        assert!(a.opt_u64("limit").is_err());
    }
}

//! The editor's file system (ACP `fs/read_text_file`, `fs/write_text_file`)
//! as the file tools' `Buffers`: offered when the client's initialize said
//! it reads or writes text files, so read, write and edit see unsaved
//! buffers and the editor sees every change. The tools resolve and confine
//! the path, and the gate allows the call, before anything is asked here.

use std::path::Path;

use super::link;
use crate::json::value::Value;
use crate::mcp::rpc::{obj, s};
use crate::tool::Buffers;

/// What the client said it can do (`clientCapabilities.fs`).
#[derive(Clone, Copy, Default)]
pub struct Caps {
    pub read: bool,
    pub write: bool,
}

impl Caps {
    /// From initialize's params; anything missing or mistyped is false.
    pub fn of(params: &Value) -> Caps {
        let fs = params.get("clientCapabilities").and_then(|c| c.get("fs"));
        let flag = |k: &str| fs.and_then(|f| f.get(k)) == Some(&Value::Bool(true));
        Caps {
            read: flag("readTextFile"),
            write: flag("writeTextFile"),
        }
    }

    pub fn any(self) -> bool {
        self.read || self.write
    }
}

/// The client's file system for one session's running prompt.
pub struct ClientFs {
    pub session: String,
    pub caps: Caps,
}

impl ClientFs {
    fn ask(&self, method: &str, mut params: Vec<(&str, Value)>) -> Result<Value, String> {
        params.insert(0, ("sessionId", s(&self.session)));
        match link::ask(method, obj(params)) {
            Ok(answer) => answer,
            Err(link::Cancelled) => {
                crate::interrupt::request();
                Err("the prompt was cancelled".into())
            }
        }
    }
}

impl Buffers for ClientFs {
    fn read(&self, path: &Path) -> Option<Result<String, String>> {
        if !self.caps.read {
            return None;
        }
        let path = s(&path.to_string_lossy());
        let got = self.ask("fs/read_text_file", vec![("path", path)]);
        Some(got.and_then(|v| match v.get("content") {
            Some(Value::Str(t)) => Ok(t.clone()),
            _ => Err("the editor's answer has no `content` string".into()),
        }))
    }

    fn write(&self, path: &Path, text: &str) -> Option<Result<(), String>> {
        if !self.caps.write {
            return None;
        }
        let params = vec![("path", s(&path.to_string_lossy())), ("content", s(text))];
        Some(self.ask("fs/write_text_file", params).map(drop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::value::parse;

    fn caps(json: &str) -> (bool, bool, bool) {
        let c = Caps::of(&parse(json).unwrap());
        (c.read, c.write, c.any())
    }

    #[test]
    fn caps_are_what_initialize_said_and_nothing_else() {
        let fs = |f: &str| format!(r#"{{"protocolVersion":1,"clientCapabilities":{{"fs":{f}}}}}"#);
        assert_eq!(
            caps(&fs(r#"{"readTextFile":true,"writeTextFile":true}"#)),
            (true, true, true)
        );
        assert_eq!(caps(&fs(r#"{"readTextFile":true}"#)), (true, false, true));
        assert_eq!(
            caps(&fs(r#"{"readTextFile":false,"writeTextFile":true}"#)),
            (false, true, true)
        );
        // Missing, false or mistyped: not offered.
        assert_eq!(
            caps(&fs(r#"{"readTextFile":"true","writeTextFile":1}"#)),
            (false, false, false)
        );
        assert_eq!(caps(&fs("{}")), (false, false, false));
        assert_eq!(caps(r#"{"protocolVersion":1}"#), (false, false, false));
    }
}

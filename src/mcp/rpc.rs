//! JSON-RPC 2.0 messages for MCP: building what mote sends and sorting what
//! arrives. Direction is decided by shape, never by id: a message with a
//! `method` comes from the server (a request if it has an id, which is the
//! server's own sequence and may be 0); one without is a response to us.

use crate::json::value::Value;

/// Build an object value from pairs.
pub fn obj(members: Vec<(&str, Value)>) -> Value {
    Value::Obj(
        members
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

pub fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

pub fn request(id: u64, method: &str, params: Value) -> String {
    obj(vec![
        ("jsonrpc", s("2.0")),
        ("id", Value::Num(id.to_string())),
        ("method", s(method)),
        ("params", params),
    ])
    .to_json()
}

pub fn notification(method: &str, params: Option<Value>) -> String {
    let mut m = vec![("jsonrpc", s("2.0")), ("method", s(method))];
    if let Some(p) = params {
        m.push(("params", p));
    }
    obj(m).to_json()
}

/// A reply to a server request, echoing its id exactly as sent.
pub fn result(id: &Value, result: Value) -> String {
    obj(vec![
        ("jsonrpc", s("2.0")),
        ("id", id.clone()),
        ("result", result),
    ])
    .to_json()
}

pub fn error(id: &Value, code: i64, message: &str) -> String {
    let e = obj(vec![
        ("code", Value::Num(code.to_string())),
        ("message", s(message)),
    ]);
    obj(vec![
        ("jsonrpc", s("2.0")),
        ("id", id.clone()),
        ("error", e),
    ])
    .to_json()
}

pub enum Incoming<'a> {
    /// A response to one of our requests.
    Response {
        id: &'a Value,
        outcome: Result<&'a Value, String>,
    },
    /// A request from the server, to be answered.
    Request {
        id: &'a Value,
        method: &'a str,
        params: Option<&'a Value>,
    },
    Notification {
        method: &'a str,
        params: Option<&'a Value>,
    },
    Other,
}

pub fn classify(m: &Value) -> Incoming<'_> {
    let id = m.get("id").filter(|v| !matches!(v, Value::Null));
    match (m.get("method").and_then(|v| v.as_str()), id) {
        (Some(method), Some(id)) => Incoming::Request {
            id,
            method,
            params: m.get("params"),
        },
        (Some(method), None) => Incoming::Notification {
            method,
            params: m.get("params"),
        },
        (None, Some(id)) => {
            let outcome = match (m.get("result"), m.get("error")) {
                (Some(r), _) => Ok(r),
                (None, Some(e)) => {
                    let msg = e.get("message").and_then(|v| v.as_str()).unwrap_or("error");
                    let code = e.get("code").map(|c| c.to_json()).unwrap_or_default();
                    Err(format!("{msg} (JSON-RPC error {code})"))
                }
                _ => return Incoming::Other,
            };
            Incoming::Response { id, outcome }
        }
        _ => Incoming::Other,
    }
}

/// Does a response id name our request `want`? Ids we send are numbers.
pub fn is_id(v: &Value, want: u64) -> bool {
    match v {
        Value::Num(n) => n.parse::<u64>().ok() == Some(want),
        Value::Str(t) => t.parse::<u64>().ok() == Some(want),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::value::parse;

    #[test]
    fn direction_comes_from_shape_not_id() {
        let req = parse(r#"{"jsonrpc":"2.0","id":0,"method":"roots/list"}"#).unwrap();
        assert!(matches!(
            classify(&req),
            Incoming::Request {
                method: "roots/list",
                ..
            }
        ));
        let resp = parse(r#"{"jsonrpc":"2.0","id":0,"result":{"x":1}}"#).unwrap();
        assert!(matches!(
            classify(&resp),
            Incoming::Response { outcome: Ok(_), .. }
        ));
        let err = parse(r#"{"jsonrpc":"2.0","id":"3","error":{"code":-32601,"message":"nope"}}"#)
            .unwrap();
        match classify(&err) {
            Incoming::Response {
                id,
                outcome: Err(e),
            } => {
                assert!(is_id(id, 3));
                assert_eq!(e, "nope (JSON-RPC error -32601)");
            }
            _ => panic!(),
        }
        assert!(matches!(classify(&parse("[1]").unwrap()), Incoming::Other));
        assert_eq!(
            result(&Value::Num("0".into()), obj(vec![])),
            r#"{"jsonrpc":"2.0","id":0,"result":{}}"#
        );
    }
}

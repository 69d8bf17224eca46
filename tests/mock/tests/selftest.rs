//! Tests of the mock model server itself, spoken to with a bare std TcpStream: the
//! SSE it streams must be exactly what OpenAI sends, since every other test and the
//! demo trust it. Also checks the script parser and that the demo script's edit
//! really applies to the demo project.
//! Mock-only: it is a test of the mock package (tests/mock/Cargo.toml) and
//! never runs mote; `make test` counts it apart from the suites that do.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

#[path = "../mod.rs"]
mod mock;

use mock::json::{self, Value};
use mock::{Item, Mock, Options, Reply};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A response as read off the socket.
struct Resp {
    status_line: String,
    headers: Vec<(String, String)>,
    /// The HTTP chunks, in order (empty for Content-Length bodies).
    chunks: Vec<Vec<u8>>,
    body: Vec<u8>,
    /// The terminating chunk (or the whole Content-Length body) arrived.
    complete: bool,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("body is UTF-8")
    }

    /// The payloads of the `data:` lines.
    fn data(&self) -> Vec<String> {
        let text = self.text();
        assert!(
            text.is_empty() || text.ends_with("\n\n"),
            "SSE must end with a blank line: {text:?}"
        );
        text.split("\n\n")
            .filter(|e| !e.is_empty())
            .map(|e| e.strip_prefix("data: ").expect(e).to_string())
            .collect()
    }
}

fn line(r: &mut impl BufRead) -> Option<String> {
    let mut s = String::new();
    match r.read_line(&mut s) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(s.trim_end_matches(['\r', '\n']).to_string()),
    }
}

fn read_response(r: &mut impl BufRead) -> Resp {
    let status_line = line(r).expect("status line");
    let mut headers = Vec::new();
    loop {
        let h = line(r).expect("header line");
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').expect("header has a colon");
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let mut resp = Resp {
        status_line,
        headers,
        chunks: Vec::new(),
        body: Vec::new(),
        complete: false,
    };
    if resp.header("transfer-encoding") == Some("chunked") {
        while let Some(size) = line(r) {
            let size = usize::from_str_radix(&size, 16).expect("hex chunk size");
            if size == 0 {
                assert_eq!(line(r).as_deref(), Some(""), "no trailers expected");
                resp.complete = true;
                break;
            }
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk).expect("whole chunk");
            assert_eq!(&chunk[size..], b"\r\n");
            chunk.truncate(size);
            resp.body.extend_from_slice(&chunk);
            resp.chunks.push(chunk);
        }
    } else {
        let len: usize = resp
            .header("content-length")
            .expect("content-length")
            .parse()
            .unwrap();
        resp.body = vec![0; len];
        r.read_exact(&mut resp.body).expect("whole body");
        resp.complete = true;
    }
    resp
}

fn post(path: &str, body: &str, extra: &str) -> String {
    format!("POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}", body.len())
}

/// One request on a fresh connection (closed afterwards).
fn exchange(mock: &Mock, raw: &str) -> Resp {
    let mut s = TcpStream::connect(mock.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw.as_bytes()).unwrap();
    read_response(&mut BufReader::new(s))
}

const BODY: &str = r#"{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}"#;

fn chat(mock: &Mock) -> Resp {
    exchange(
        mock,
        &post("/v1/chat/completions", BODY, "Connection: close\r\n"),
    )
}

fn parse(payload: &str) -> Value {
    assert!(
        payload.starts_with('{') && payload.ends_with('}'),
        "not an object: {payload}"
    );
    json::parse(payload).unwrap_or_else(|e| panic!("{e}: {payload}"))
}

fn choice(chunk: &Value) -> &Value {
    chunk
        .get("choices")
        .and_then(|c| c.at(0))
        .expect("a choice")
}

const TEXT: &str = "Héllo, \"wörld\" 😀\nline two\t{not json}";
const ARGS_A: &str = r#"{"path":"a \"quoted\" näme.txt"}"#;
const ARGS_B: &str = r#"{"command":"printf 'x\\n' && ls"}"#;

fn sample_turn() -> Reply {
    Reply::Turn {
        items: vec![
            Item::Text(TEXT.into()),
            Item::Call {
                name: "read".into(),
                args: ARGS_A.into(),
            },
            Item::Call {
                name: "bash".into(),
                args: ARGS_B.into(),
            },
        ],
        finish: None,
    }
}

#[test]
fn turn_streams_openai_chunks() {
    let mock = Mock::start(vec![sample_turn()]);
    let resp = chat(&mock);
    assert_eq!(resp.status_line, "HTTP/1.1 200 OK");
    assert!(resp
        .header("content-type")
        .unwrap()
        .starts_with("text/event-stream"));
    assert!(resp.complete, "terminating chunk");
    for chunk in &resp.chunks {
        assert!(
            chunk.starts_with(b"data: ") && chunk.ends_with(b"\n\n"),
            "one event per chunk"
        );
    }
    let data = resp.data();
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));
    let chunks: Vec<Value> = data[..data.len() - 1].iter().map(|d| parse(d)).collect();
    let id = chunks[0]
        .get("id")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    assert!(id.starts_with("chatcmpl-mock"));
    for c in &chunks {
        assert_eq!(c.get("id").and_then(Value::as_str), Some(id.as_str()));
        assert_eq!(
            c.get("object").and_then(Value::as_str),
            Some("chat.completion.chunk")
        );
        assert_eq!(c.get("model").and_then(Value::as_str), Some("gpt-test"));
        assert!(c.get("created").and_then(Value::as_f64).unwrap() > 1e9);
    }
    let first = choice(&chunks[0]);
    assert_eq!(
        first
            .get("delta")
            .unwrap()
            .get("role")
            .and_then(Value::as_str),
        Some("assistant")
    );
    assert_eq!(
        first
            .get("delta")
            .unwrap()
            .get("content")
            .and_then(Value::as_str),
        Some("")
    );

    let (mut text, mut args, mut heads) = (String::new(), vec![String::new(); 2], Vec::new());
    let mut finish = Vec::new();
    for c in &chunks[1..chunks.len() - 1] {
        let ch = choice(c);
        assert_eq!(ch.get("index").and_then(Value::as_f64), Some(0.0));
        assert!(ch.get("logprobs").unwrap().is_null());
        if let Some(f) = ch.get("finish_reason").and_then(Value::as_str) {
            finish.push(f.to_string());
        }
        let delta = ch.get("delta").unwrap();
        if let Some(t) = delta.get("content").and_then(Value::as_str) {
            assert!(t.chars().count() <= 3, "fragment {t:?}");
            text.push_str(t);
        }
        for call in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .unwrap_or(&[])
        {
            let k = call.get("index").and_then(Value::as_f64).unwrap() as usize;
            let f = call.get("function").unwrap();
            if let Some(cid) = call.get("id").and_then(Value::as_str) {
                assert!(cid.starts_with("call_") && cid.len() > 10);
                assert_eq!(call.get("type").and_then(Value::as_str), Some("function"));
                assert_eq!(f.get("arguments").and_then(Value::as_str), Some(""));
                heads.push((
                    k,
                    f.get("name").and_then(Value::as_str).unwrap().to_string(),
                    cid.to_string(),
                ));
            } else {
                assert!(f.get("name").is_none(), "name only in the first fragment");
            }
            args[k].push_str(f.get("arguments").and_then(Value::as_str).unwrap());
        }
    }
    assert_eq!(text, TEXT);
    assert_eq!(args, [ARGS_A, ARGS_B]);
    assert_eq!(heads.len(), 2);
    assert_eq!(
        (
            heads[0].0,
            heads[0].1.as_str(),
            heads[1].0,
            heads[1].1.as_str()
        ),
        (0, "read", 1, "bash")
    );
    assert_ne!(heads[0].2, heads[1].2, "distinct call ids");
    assert_eq!(finish, ["tool_calls"]);

    let usage_chunk = chunks.last().unwrap();
    assert_eq!(
        usage_chunk
            .get("choices")
            .and_then(Value::as_array)
            .map(<[Value]>::len),
        Some(0)
    );
    let usage = usage_chunk.get("usage").unwrap();
    let n = |k: &str| usage.get(k).and_then(Value::as_f64).unwrap() as usize;
    assert_eq!(n("prompt_tokens"), BODY.len() / 4);
    assert!(n("completion_tokens") >= 1);
    assert_eq!(
        n("total_tokens"),
        n("prompt_tokens") + n("completion_tokens")
    );
    let cached = usage
        .get("prompt_tokens_details")
        .and_then(|d| d.get("cached_tokens"));
    assert_eq!(cached.and_then(Value::as_f64), Some(0.0));
}

#[test]
fn text_only_turn_finishes_with_stop_and_fragment_option_applies() {
    let opts = Options {
        fragment: 0,
        ..Options::default()
    };
    let mock = Mock::with_options(
        vec![Reply::text("all in one piece"), Reply::call("ls", "{}")],
        opts,
    );
    let data = chat(&mock).data();
    // role, one content chunk, finish, usage, [DONE]
    assert_eq!(data.len(), 5, "{data:?}");
    assert_eq!(
        choice(&parse(&data[1]))
            .get("delta")
            .unwrap()
            .get("content")
            .and_then(Value::as_str),
        Some("all in one piece")
    );
    assert_eq!(
        choice(&parse(&data[2]))
            .get("finish_reason")
            .and_then(Value::as_str),
        Some("stop")
    );
    let data = chat(&mock).data();
    assert_eq!(
        choice(&parse(&data[data.len() - 3]))
            .get("finish_reason")
            .and_then(Value::as_str),
        Some("tool_calls")
    );
}

/// The body with the per-response random parts (ids, timestamp) blanked out.
fn normalized(resp: &Resp) -> String {
    let mut text = resp.text();
    for d in resp.data().iter().filter(|d| d.starts_with('{')) {
        let v = parse(d);
        text = text.replace(v.get("id").and_then(Value::as_str).unwrap(), "ID");
        text = text.replace(
            &format!(
                "\"created\":{}",
                v.get("created").and_then(Value::as_f64).unwrap()
            ),
            "\"created\":0",
        );
        let calls = v
            .get("choices")
            .and_then(|c| c.at(0))
            .and_then(|c| c.get("delta"))
            .and_then(|d| d.get("tool_calls"));
        for call in calls.and_then(Value::as_array).unwrap_or(&[]) {
            if let Some(cid) = call.get("id").and_then(Value::as_str) {
                text = text.replace(cid, "CALL");
            }
        }
    }
    text
}

#[test]
fn one_byte_writes_send_the_same_bytes() {
    let normal = Mock::start(vec![sample_turn()]);
    let dribble = Mock::with_options(
        vec![sample_turn()],
        Options {
            one_byte_writes: true,
            ..Options::default()
        },
    );
    let (a, b) = (chat(&normal), chat(&dribble));
    assert!(a.complete && b.complete);
    assert_eq!(a.status_line, b.status_line);
    assert_eq!(normalized(&a), normalized(&b));
    // The mock's own de-chunker agrees with the test's reader.
    let third = Mock::start(vec![sample_turn()]);
    let mut s = TcpStream::connect(third.addr()).unwrap();
    s.write_all(post("/v1/chat/completions", BODY, "Connection: close\r\n").as_bytes())
        .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let at = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let (body, done) = mock::http::dechunk(&raw[at..]).unwrap();
    assert!(done);
    assert_eq!(body.len(), a.body.len());
}

#[test]
fn status_reply_has_status_line_retry_after_and_body() {
    let body = r#"{"error":{"message":"slow down","type":"rate_limit","code":null}}"#;
    let mock = Mock::start(vec![
        Reply::Status {
            code: 429,
            retry_after: Some(1),
            body: body.into(),
        },
        Reply::error(401, None, "bad key"),
    ]);
    let resp = chat(&mock);
    assert_eq!(resp.status_line, "HTTP/1.1 429 Too Many Requests");
    assert_eq!(resp.header("retry-after"), Some("1"));
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.text(), body);
    let resp = chat(&mock);
    assert_eq!(resp.status_line, "HTTP/1.1 401 Unauthorized");
    assert_eq!(resp.header("retry-after"), None);
    let err = parse(&resp.text());
    assert_eq!(
        err.get("error")
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str),
        Some("bad key")
    );
    // Script exhausted: a 500 with an OpenAI error body.
    let resp = chat(&mock);
    assert_eq!(resp.status_line, "HTTP/1.1 500 Internal Server Error");
    assert!(resp.text().contains("mock script exhausted"));
}

#[test]
fn requests_are_recorded_and_unknown_paths_get_404() {
    let mock = Mock::start(vec![Reply::text("a"), Reply::text("b")]);
    chat(&mock);
    let resp = exchange(
        &mock,
        "GET /v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(resp.status_line, "HTTP/1.1 404 Not Found");
    assert!(parse(&resp.text()).get("error").is_some());
    // A chunked request body, on the path without /v1.
    let chunked = "POST /chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k-1\r\n\
                   Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{\"a\":\r\n4;ext=1\r\n\"bc\"\r\n1\r\n}\r\n0\r\nX-Trailer: t\r\n\r\n";
    assert_eq!(exchange(&mock, chunked).status_line, "HTTP/1.1 200 OK");

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(
        (
            reqs[0].method.as_str(),
            reqs[0].path.as_str(),
            reqs[0].body.as_str()
        ),
        ("POST", "/v1/chat/completions", BODY)
    );
    assert_eq!(reqs[0].header("Content-Type"), Some("application/json"));
    assert!(reqs[0].headers.iter().all(|(k, _)| *k == k.to_lowercase()));
    assert_eq!(
        (
            reqs[1].method.as_str(),
            reqs[1].path.as_str(),
            reqs[1].body.as_str()
        ),
        ("GET", "/v1/models", "")
    );
    assert_eq!(reqs[2].body, r#"{"a":"bc"}"#);
    assert_eq!(reqs[2].header("authorization"), Some("Bearer k-1"));
    assert_eq!(mock.remaining(), 0);
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let mock = Mock::start(vec![
        Reply::text("one"),
        Reply::text("two"),
        Reply::text("three"),
        Reply::text("four"),
    ]);
    let mut s = TcpStream::connect(mock.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let content = |resp: &Resp| -> String {
        resp.data()
            .iter()
            .filter(|d| d.starts_with('{'))
            .filter_map(|d| {
                parse(d)
                    .get("choices")?
                    .at(0)?
                    .get("delta")?
                    .get("content")?
                    .as_str()
                    .map(String::from)
            })
            .collect()
    };
    // One after the other...
    s.write_all(post("/v1/chat/completions", BODY, "").as_bytes())
        .unwrap();
    let a = read_response(&mut r);
    assert_eq!(a.header("connection"), Some("keep-alive"));
    s.write_all(post("/v1/chat/completions", BODY, "").as_bytes())
        .unwrap();
    let b = read_response(&mut r);
    assert_eq!(
        (content(&a), content(&b)),
        ("one".to_string(), "two".to_string())
    );
    // ...and pipelined in one write, the last asking to close.
    let both = post("/v1/chat/completions", BODY, "")
        + &post("/v1/chat/completions", BODY, "Connection: close\r\n");
    s.write_all(both.as_bytes()).unwrap();
    let (c, d) = (read_response(&mut r), read_response(&mut r));
    assert_eq!(
        (content(&c), content(&d)),
        ("three".to_string(), "four".to_string())
    );
    assert_eq!(d.header("connection"), Some("close"));
    let mut rest = Vec::new();
    r.read_to_end(&mut rest)
        .expect("server closes after Connection: close");
    assert!(rest.is_empty());
    assert_eq!(mock.requests().len(), 4);
}

#[test]
fn broken_streams_break_as_scripted() {
    let turn = vec![Item::Text("abcdefghij".into())];
    let mock = Mock::start(vec![
        Reply::DropMidStream {
            items: turn,
            after_events: 3,
        },
        Reply::Malformed,
        Reply::InvalidUtf8,
        Reply::StreamError {
            message: "overloaded".into(),
        },
        Reply::Hang,
    ]);
    let dropped = chat(&mock);
    assert!(!dropped.complete, "no terminating chunk");
    assert_eq!(dropped.chunks.len(), 3);
    assert!(!dropped.text().contains("[DONE]"));

    let bad = chat(&mock);
    assert!(bad.complete);
    let data = bad.data();
    assert_eq!(
        data.iter()
            .filter(|d| d.starts_with('{') && json::parse(d).is_err())
            .count(),
        1
    );
    assert!(data.iter().any(|d| d.contains(r#""content":"hi"#)));
    assert_eq!(data.last().map(String::as_str), Some("[DONE]"));

    let utf = chat(&mock);
    assert!(utf.complete);
    assert!(String::from_utf8(utf.body.clone()).is_err());
    assert!(utf.body.windows(2).any(|w| w == [0xFF, 0xFE]));

    let err = chat(&mock);
    assert!(err.complete);
    let data = err.data();
    let last = parse(data.last().unwrap());
    assert_eq!(
        last.get("error")
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str),
        Some("overloaded")
    );
    assert!(!data.iter().any(|d| d == "[DONE]"));

    let mut s = TcpStream::connect(mock.addr()).unwrap();
    s.write_all(post("/v1/chat/completions", BODY, "").as_bytes())
        .unwrap();
    s.set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    let mut r = BufReader::new(s);
    assert_eq!(line(&mut r).as_deref(), Some("HTTP/1.1 200 OK"));
    while line(&mut r).is_some_and(|h| !h.is_empty()) {}
    let mut buf = [0; 16];
    let err = r.read(&mut buf).expect_err("nothing after the headers");
    assert!(matches!(
        err.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ));
    drop(r);
    // The server notices the client left and closes its side.
    for _ in 0..50 {
        if mock.open_connections() == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("hang did not end when the client went away");
}

#[test]
fn script_parser_handles_every_directive() {
    let src = "# comment\n\
        text Hello\\tthere\\\\n\n\
        text second line\n\
        call read {\"path\": \"a b.txt\"}\n\
        text after\n\
        finish length\n\
        ---\n\
        \n\
        status 429 2 {\"error\":{\"message\":\"slow\",\"type\":\"rate_limit\",\"code\":null}}\n\
        ---\n\
        status 503 -\n\
        ---\n\
        text partial\n\
        drop 4\n\
        ---\n\
        malformed\n\
        ---\n\
        invalid-utf8\n\
        ---\n\
        stream-error upstream\\nfailed\n\
        ---\n\
        hang\n\
        ---\n";
    let replies = mock::script::parse(src).unwrap();
    assert_eq!(replies.len(), 8);
    assert_eq!(
        replies[0],
        Reply::Turn {
            items: vec![
                Item::Text("Hello\tthere\\n\nsecond line".into()),
                Item::Call {
                    name: "read".into(),
                    args: "{\"path\": \"a b.txt\"}".into()
                },
                Item::Text("after".into()),
            ],
            finish: Some("length".into()),
        }
    );
    assert_eq!(
        replies[1],
        Reply::Status {
            code: 429,
            retry_after: Some(2),
            body: r#"{"error":{"message":"slow","type":"rate_limit","code":null}}"#.into()
        }
    );
    let Reply::Status {
        code: 503,
        retry_after: None,
        body,
    } = &replies[2]
    else {
        panic!("{:?}", replies[2])
    };
    assert!(parse(body).get("error").is_some());
    assert_eq!(
        replies[3],
        Reply::DropMidStream {
            items: vec![Item::Text("partial".into())],
            after_events: 4
        }
    );
    assert_eq!(
        replies[4..],
        [
            Reply::Malformed,
            Reply::InvalidUtf8,
            Reply::StreamError {
                message: "upstream\nfailed".into()
            },
            Reply::Hang
        ]
    );

    for (bad, want) in [
        ("text a\nbogus x\n", "2: unknown directive"),
        (
            "call read {\"path\":\n",
            "1: arguments of read are not valid JSON",
        ),
        (
            "call read [1]\n",
            "1: arguments of read are not a JSON object",
        ),
        ("call read\n", "1: call needs"),
        ("text a\\q\n", "1: unknown escape"),
        ("text a\nhang\n", "1: status/malformed"),
        ("status abc\n", "1: status needs"),
        ("status 429 soon\n", "1: bad retry-after"),
        ("drop x\n", "1: drop needs"),
    ] {
        let err = mock::script::parse(bad).unwrap_err();
        assert!(err.starts_with(want), "{bad:?}: {err}");
    }
}

#[test]
fn demo_script_parses_and_its_edit_applies_to_the_demo_project() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let replies = mock::script::load(&format!("{root}/tests/demo/script.txt")).unwrap();
    let calls: Vec<(String, Value)> = replies
        .iter()
        .flat_map(|r| match r {
            Reply::Turn { items, .. } => items.clone(),
            other => panic!("demo replies are turns: {other:?}"),
        })
        .filter_map(|i| match i {
            Item::Call { name, args } => Some((name, json::parse(&args).unwrap())),
            Item::Text(_) | Item::Thinking { .. } => None,
        })
        .collect();
    let names: Vec<&str> = calls.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["read", "read", "edit", "bash"]);
    let Reply::Turn { items, .. } = replies.last().unwrap() else {
        unreachable!()
    };
    assert!(
        matches!(items.as_slice(), [Item::Text(_)]),
        "the session ends with a text answer"
    );

    let project = format!("{root}/tests/demo/project");
    for (_, args) in &calls[..2] {
        let path = args.get("path").and_then(Value::as_str).unwrap();
        assert!(
            std::path::Path::new(&project).join(path).is_file(),
            "{path}"
        );
    }
    let edit = &calls[2].1;
    let field = |k: &str| edit.get(k).and_then(Value::as_str).unwrap().to_string();
    let (path, old, new) = (field("path"), field("old_text"), field("new_text"));
    let original = std::fs::read_to_string(format!("{project}/{path}")).unwrap();
    assert_eq!(
        original.matches(&old).count(),
        1,
        "old_text must occur exactly once in {path}"
    );

    // Before the fix test.sh fails; after it, it passes.
    let dir = std::env::temp_dir().join(format!("mote-demo-selftest-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["greet.sh", "test.sh"] {
        std::fs::copy(format!("{project}/{f}"), dir.join(f)).unwrap();
    }
    let run = || {
        std::process::Command::new("sh")
            .arg("test.sh")
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let before = run();
    assert!(
        !before.status.success(),
        "the demo bug must make test.sh fail"
    );
    std::fs::write(dir.join(&path), original.replacen(&old, &new, 1)).unwrap();
    let after = run();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&after.stdout), "ok\n");
    assert_eq!(
        calls[3].1.get("command").and_then(Value::as_str),
        Some("sh test.sh")
    );
}

#[test]
fn json_quote_round_trips() {
    for s in [
        "",
        "plain",
        "q\"b\\s/",
        "\n\r\t\u{8}\u{c}\u{1}\u{1f}",
        "é😀中",
        "\\u0041",
    ] {
        assert_eq!(json::parse(&json::quote(s)).unwrap(), Value::Str(s.into()));
    }
    assert_eq!(
        json::parse(r#""\ud83d\ude00\u00e9""#).unwrap(),
        Value::Str("😀é".into())
    );
    for bad in [
        "{",
        "[1,]",
        "{\"a\" 1}",
        "01",
        "\"\\x\"",
        "1 2",
        "\"\\ud800\"",
        "nul",
    ] {
        assert!(json::parse(bad).is_err(), "{bad}");
    }
}

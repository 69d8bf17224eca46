//! The Streamable HTTP transport: every message is a POST to one URL; the
//! answer is JSON, an SSE stream, or 202 for notifications and replies.
//! The server may also talk on a standalone GET stream. All open streams
//! are watched at once with poll(2). A stream that ends before it has
//! delivered what we wait for is resumed by a GET with `Last-Event-ID`,
//! after the `retry:` delay the server asked for. DELETE ends the session.

use std::collections::VecDeque;
use std::io::Read;
use std::time::{Duration, Instant};

use crate::http::{self, Body, Url};
use crate::json::value::{self, Value};
use crate::sse::{Field, Framer};

const MAX_MESSAGE: usize = 32 << 20;
const DEFAULT_RETRY_MS: u64 = 1000;

struct Stream {
    body: Body,
    framer: Framer,
    data: Vec<u8>,
    last_id: Option<String>,
    retry: Option<u64>,
    /// The answer to a POST: done once it carried a response.
    post: bool,
    answered: bool,
}

pub struct Session {
    url: Url,
    headers: Vec<(String, String)>,
    session_id: Option<String>,
    /// The negotiated version, sent as MCP-Protocol-Version once known.
    pub protocol: Option<String>,
    timeout: Duration,
    streams: Vec<Stream>,
    queue: VecDeque<Value>,
    /// A stream to resume: when, and from which event.
    resume: Option<(Instant, String)>,
}

impl Session {
    pub fn new(
        url: &str,
        headers: &[(String, String)],
        timeout: Duration,
    ) -> Result<Session, String> {
        Ok(Session {
            url: Url::parse(url)?,
            headers: headers.to_vec(),
            session_id: None,
            protocol: None,
            timeout,
            streams: Vec::new(),
            queue: VecDeque::new(),
            resume: None,
        })
    }

    fn request(
        &mut self,
        method: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Result<http::Response, String> {
        let mut h: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        h.push(("User-Agent", concat!("mote/", env!("CARGO_PKG_VERSION"))));
        if let Some(id) = &self.session_id {
            h.push(("Mcp-Session-Id", id));
        }
        if let Some(v) = &self.protocol {
            h.push(("MCP-Protocol-Version", v));
        }
        h.extend_from_slice(extra);
        let r = http::send(
            method,
            &self.url,
            &h,
            body.len() as u64,
            &mut |w| w.write_all(body),
            self.timeout,
            &crate::interrupt::waited,
        );
        r.map_err(|e| match e {
            http::Error::Connect(m) | http::Error::Protocol(m) | http::Error::Trust(m) => m,
            http::Error::Interrupted => "interrupted by the user".to_string(),
        })
    }

    /// POST one message. A JSON answer is queued; an SSE answer becomes a
    /// stream to watch.
    pub fn send(&mut self, msg: &str, _expects_reply: bool) -> Result<(), String> {
        let extra = [
            ("Content-Type", "application/json"),
            ("Accept", "application/json, text/event-stream"),
        ];
        let mut resp = self.request("POST", &extra, msg.as_bytes())?;
        if let Some(id) = resp.header("mcp-session-id") {
            if self.session_id.is_none() {
                self.session_id = Some(id.to_string());
            }
        }
        match resp.status {
            202 | 204 => Ok(()),
            200 => {
                let ctype = resp
                    .header("content-type")
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if ctype.starts_with("text/event-stream") {
                    let mut st = stream(resp.body);
                    st.post = true;
                    self.streams.push(st);
                    return Ok(());
                }
                let mut v = Vec::new();
                (&mut resp.body)
                    .take(MAX_MESSAGE as u64)
                    .read_to_end(&mut v)
                    .map_err(|e| format!("reading the answer: {e}"))?;
                self.take(&v);
                Ok(())
            }
            404 if self.session_id.is_some() => {
                Err("the server ended the session (HTTP 404)".into())
            }
            code => Err(format!("HTTP {code}: {}", resp.text(300).trim())),
        }
    }

    /// Open the standalone GET stream, if the server offers one.
    pub fn open_listener(&mut self) {
        if let Ok(r) = self.get(None) {
            self.streams.push(stream(r.body));
        }
    }

    fn get(&mut self, last_id: Option<&str>) -> Result<http::Response, String> {
        let mut extra = vec![("Accept", "text/event-stream")];
        if let Some(id) = last_id {
            extra.push(("Last-Event-ID", id));
        }
        let r = self.request("GET", &extra, b"")?;
        let sse = r
            .header("content-type")
            .is_some_and(|c| c.to_ascii_lowercase().starts_with("text/event-stream"));
        if r.status != 200 || !sse {
            return Err(format!("GET answered HTTP {}", r.status));
        }
        Ok(r)
    }

    /// Parse one JSON-RPC message (or batch) and queue it.
    fn take(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        match value::parse(text.trim()) {
            Ok(Value::Arr(a)) => self.queue.extend(a),
            Ok(v @ Value::Obj(_)) => self.queue.push_back(v),
            _ => {}
        }
    }

    /// The next message from any stream, or `None` at the deadline.
    pub fn recv(&mut self, deadline: Instant) -> Result<Option<Value>, String> {
        loop {
            if let Some(v) = self.queue.pop_front() {
                return Ok(Some(v));
            }
            let now = Instant::now();
            if let Some((at, id)) = self.resume.clone() {
                if now >= at {
                    self.resume = None;
                    let r = self
                        .get(Some(&id))
                        .map_err(|e| format!("resuming the stream after event `{id}`: {e}"))?;
                    self.streams.push(stream(r.body));
                    continue;
                }
            }
            if now >= deadline {
                return Ok(None);
            }
            if self.streams.is_empty() && self.resume.is_none() {
                return Err("the server closed the stream before answering".into());
            }
            let wake = self
                .resume
                .as_ref()
                .map_or(deadline, |(at, _)| (*at).min(deadline));
            let Some(i) = self.ready(wake)? else { continue };
            self.read_stream(i);
        }
    }

    /// Index of a stream with bytes to read, waiting until `wake`.
    fn ready(&mut self, wake: Instant) -> Result<Option<usize>, String> {
        if let Some(i) = self.streams.iter_mut().position(|s| s.body.buffered()) {
            return Ok(Some(i));
        }
        let mut fds: Vec<libc::pollfd> = self
            .streams
            .iter()
            .map(|s| libc::pollfd {
                fd: s.body.fd(),
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        let ms = wake
            .saturating_duration_since(Instant::now())
            .as_millis()
            .min(i32::MAX as u128) as i32;
        // SAFETY: `fds` is a valid array of `fds.len()` pollfds for the call.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms.max(1)) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            return if e.kind() == std::io::ErrorKind::Interrupted {
                Ok(None)
            } else {
                Err(format!("poll: {e}"))
            };
        }
        Ok(fds.iter().position(|f| f.revents != 0))
    }

    fn read_stream(&mut self, i: usize) {
        let mut buf = [0u8; 16 * 1024];
        let Some(st) = self.streams.get_mut(i) else {
            return;
        };
        let n = st.body.read(&mut buf).unwrap_or(0);
        if n == 0 {
            let st = self.streams.remove(i);
            if let (Some(id), false) = (st.last_id, st.post && st.answered) {
                let wait = Duration::from_millis(st.retry.unwrap_or(DEFAULT_RETRY_MS).min(60_000));
                self.resume = Some((Instant::now() + wait, id));
            }
            return;
        }
        let mut done: Vec<Vec<u8>> = Vec::new();
        let (data, last_id, retry) = (&mut st.data, &mut st.last_id, &mut st.retry);
        st.framer
            .feed(buf.get(..n).unwrap_or(&[]), &mut |f| match f {
                Field::Data(d) => {
                    if data.len() + d.len() <= MAX_MESSAGE {
                        data.extend_from_slice(d)
                    }
                }
                Field::Id(id) => *last_id = Some(String::from_utf8_lossy(id).into_owned()),
                Field::Retry(ms) => *retry = Some(ms),
                Field::Dispatch => done.push(std::mem::take(data)),
                Field::Event(_) => {}
            });
        for d in done {
            if !d.iter().all(|b| b.is_ascii_whitespace()) {
                let before = self.queue.len();
                self.take(&d);
                let answer = self
                    .queue
                    .iter()
                    .skip(before)
                    .any(|m| m.get("method").is_none());
                if let Some(st) = self.streams.get_mut(i) {
                    st.answered |= answer;
                }
            }
        }
    }

    /// End the session: DELETE, then drop the streams.
    pub fn close(&mut self) {
        self.streams.clear();
        if self.session_id.is_some() {
            self.timeout = self.timeout.min(Duration::from_secs(2));
            let _ = self.request("DELETE", &[], b"");
            self.session_id = None;
        }
    }
}

fn stream(body: Body) -> Stream {
    Stream {
        body,
        framer: Framer::new(),
        data: Vec::new(),
        last_id: None,
        retry: None,
        post: false,
        answered: false,
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::{Client, Elicit, Policy};
    use super::super::config::{Launch, Server};
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    /// Read one request (head and Content-Length body) as text.
    fn read_request(s: &mut std::net::TcpStream) -> String {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if got.len() >= end + 4 + len {
                    return String::from_utf8_lossy(&got).into_owned();
                }
            }
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                return String::from_utf8_lossy(&got).into_owned();
            }
            got.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn session_headers_resume_after_retry_and_delete_on_the_wire() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let json = |body: &str| {
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: s1\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        };
        let answers = vec![
            json(r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{}}}"#),
            "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n".to_string(),
            "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n".to_string(),
            // tools/list: a priming event, then the stream closes.
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nid: e1\nretry: 300\ndata: \n\n".to_string(),
            // The resumed stream carries the answer.
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{\"tools\":[{\"name\":\"t\"}]}}\n\n".to_string(),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_string(),
        ];
        let h = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for a in answers {
                let (mut s, _) = l.accept().unwrap();
                let req = read_request(&mut s);
                seen.push((Instant::now(), req));
                // One connection per answer, closed after it, as the server says.
                let a = a.replacen("\r\n", "\r\nConnection: close\r\n", 1);
                s.write_all(a.as_bytes()).unwrap();
            }
            seen
        });
        let server = Server {
            name: "w".into(),
            launch: Launch::Http {
                url: format!("http://127.0.0.1:{port}/mcp"),
                headers: vec![("Authorization".into(), "Bearer tok".into())],
            },
            timeout: 5,
            startup_timeout: 5,
        };
        let policy = Policy {
            elicit: Elicit::Decline,
            verbose: false,
            root: "/".into(),
            connect_timeout: Duration::from_secs(5),
        };
        let mut c = Client::connect(&server, &policy, None).unwrap();
        assert_eq!(c.tools.len(), 1);
        c.close();
        let seen = h.join().unwrap();
        let methods: Vec<&str> = seen
            .iter()
            .map(|(_, r)| r.split(' ').next().unwrap())
            .collect();
        assert_eq!(methods, ["POST", "POST", "GET", "POST", "GET", "DELETE"]);
        for (i, (_, r)) in seen.iter().enumerate() {
            assert!(r.contains("\r\nAuthorization: Bearer tok\r\n"), "{i}: {r}");
            assert_eq!(r.contains("\r\nMcp-Session-Id: s1\r\n"), i > 0, "{i}: {r}");
            assert_eq!(
                r.contains("\r\nMCP-Protocol-Version: 2025-06-18\r\n"),
                i > 0,
                "{i}: {r}"
            );
        }
        assert!(seen[0].1.contains("\"protocolVersion\":\"2025-11-25\""));
        assert!(seen[0]
            .1
            .contains("Accept: application/json, text/event-stream\r\n"));
        assert!(
            seen[4].1.contains("\r\nLast-Event-ID: e1\r\n"),
            "{}",
            seen[4].1
        );
        let waited = seen[4].0 - seen[3].0;
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_millis(1000),
            "{waited:?}"
        );
    }
}

//! What the grep bench (benches/grep.rs) and the grep suite (tests/grep.rs)
//! share: a generated source tree (Rust- and JS-like files of ordinary lines,
//! a few minified bundles with one multi-megabyte line each, and rare
//! planted lines that the patterns look for; deterministic, from a fixed
//! xorshift seed; no .gitignore and no binary files, so GNU grep -r sees
//! exactly the files mote's walker does), and `run_tools`, which runs the
//! real binary headless against the mock model so that each tool call's
//! output and duration come from mote's own stream-json events (and
//! `run_timed`, which also times the whole process, for the find bench).
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

use crate::mock::json::{parse, Value};
use crate::mock::{Mock, Reply};

/// One tool call's result as mote reported it.
pub struct Ran {
    pub output: String,
    pub is_error: bool,
    pub ms: f64,
}

/// A mock model that makes `calls` (tool name, JSON arguments), one a
/// turn, then answers.
pub fn mock(calls: &[(&str, String)]) -> Mock {
    let mut replies: Vec<Reply> = calls.iter().map(|(n, a)| Reply::call(n, a)).collect();
    replies.push(Reply::text("done"));
    Mock::start(replies)
}

/// mote headless in `ws` against the mock `m`, printing stream-json.
pub fn command(bin: &Path, ws: &Path, m: &Mock) -> Command {
    let data = std::env::temp_dir().join(format!("mote-grep-xdg-{}", std::process::id()));
    let mut c = Command::new(bin);
    c.current_dir(ws)
        .env("OPENAI_BASE_URL", m.base_url())
        .env_remove("OPENAI_API_KEY")
        .env("XDG_DATA_HOME", data.join("data"))
        .env("XDG_STATE_HOME", data.join("state"))
        .env("XDG_CONFIG_HOME", data.join("config"))
        .args(["-p", "search", "--model", "mock", "--no-session"])
        .args(["--no-context-files", "--output-format", "stream-json"])
        .stdin(Stdio::null());
    c
}

/// Run mote in `ws` with a model that makes `calls`; returns each call's
/// result.
pub fn run_tools(bin: &Path, ws: &Path, calls: &[(&str, String)]) -> Vec<Ran> {
    run_timed(bin, ws, calls).0
}

/// `run_tools`, and the wall time in ms of the whole mote process, from
/// its spawn (start-up included) to its exit.
pub fn run_timed(bin: &Path, ws: &Path, calls: &[(&str, String)]) -> (Vec<Ran>, f64) {
    let m = mock(calls);
    let t = std::time::Instant::now();
    let out = command(bin, ws, &m).output().expect("run mote");
    let wall = t.elapsed().as_secs_f64() * 1e3;
    assert!(
        out.status.success(),
        "mote failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ran: Vec<Ran> = stdout
        .lines()
        .filter_map(|l| parse(l).ok())
        .filter(|e| e.get("type").and_then(|t| t.as_str()) == Some("tool_result"))
        .map(|e| Ran {
            output: e
                .get("output")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string(),
            is_error: e.get("is_error") == Some(&Value::Bool(true)),
            ms: e
                .get("duration_ms")
                .and_then(|v| v.as_f64())
                .unwrap_or(-1.0),
        })
        .collect();
    assert_eq!(ran.len(), calls.len(), "tool results: {stdout}");
    (ran, wall)
}

/// The tree's shape: `dirs` × `files` source files of about `file_bytes`
/// each, and `bundles` minified files of `bundle_bytes` on one line.
pub struct Shape {
    pub dirs: usize,
    pub files: usize,
    pub file_bytes: usize,
    pub bundles: usize,
    pub bundle_bytes: usize,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
}

const WORDS: &[&str] = &[
    "value", "count", "buffer", "index", "parse", "render", "client", "server", "token", "stream",
    "handler", "config", "result", "error", "state", "node", "child", "update", "digest", "cache",
    "queue", "signal", "window", "module", "export", "import", "hash", "Hasher", "map", "filter",
    "reduce", "length", "offset", "width", "height", "path",
];

/// One ordinary line of code; now and then one of the planted lines.
fn line(r: &mut Rng, js: bool) -> String {
    let a = r.pick(WORDS);
    let b = r.pick(WORDS);
    let c = r.pick(WORDS);
    let n = r.below(10_000);
    match r.below(2000) {
        0 => return format!("    const h = crypto.createHash('sha256').update({a});"),
        1 => return format!("function compute{}Hash({b}) {{ return {c}; }}", cap(a)),
        2 => {
            return format!(
                "    // released 20{:02}-{:02}-{:02}",
                n % 30,
                n % 12 + 1,
                n % 28 + 1
            )
        }
        3 => return format!("    let {a} = \"ÄÖÜ grüße {b}\"; // ß"),
        4 => return format!("    if (NEEDLE_{n}) {{ {a}.{b}() }}"),
        _ => {}
    }
    match r.below(12) {
        0 => String::new(),
        1 => format!("// {a} {b} {c}: see the {a} notes"),
        2 if js => format!("function {a}_{b}({c}) {{"),
        2 => format!("fn {a}_{b}({c}: u64) -> u64 {{"),
        3 => "}".to_string(),
        4 if js => format!("    const {a} = {b}.{c}({n});"),
        4 => format!("    let {a} = {b}.{c}({n});"),
        5 => format!("    return {a} + {b} * {n};"),
        6 => format!("    if ({a}.{b} > {n}) {{ {c}.push({a}); }}"),
        7 => format!("    {a}.{b} = \"{c} {n}\";"),
        8 => format!("    for (let i = 0; i < {a}.length; i++) {{ {b}[i] = {c}; }}"),
        9 => format!("    {a}_{b}_{c}({n}, {a}, {b});"),
        10 => format!("    /* {a} */ {b} = {c} ^ 0x{n:x};"),
        _ => format!("    {a}.{b}.{c}();"),
    }
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// Write the tree under `root` (which must not exist or be empty); returns
/// the bytes written.
pub fn generate(root: &Path, shape: &Shape) -> u64 {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut total = 0u64;
    for d in 0..shape.dirs {
        let dir = root.join(format!("pkg{d:03}/src"));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..shape.files {
            let js = f % 2 == 1;
            let mut text = String::with_capacity(shape.file_bytes + 200);
            while text.len() < shape.file_bytes {
                text.push_str(&line(&mut r, js));
                text.push('\n');
            }
            let name = format!("m{f:03}.{}", if js { "js" } else { "rs" });
            std::fs::write(dir.join(name), &text).unwrap();
            total += text.len() as u64;
        }
    }
    let dist = root.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    for b in 0..shape.bundles {
        let mut text = String::with_capacity(shape.bundle_bytes + 200);
        while text.len() < shape.bundle_bytes {
            let l = line(&mut r, true);
            text.push_str(l.trim());
            text.push(';');
        }
        text.push('\n');
        std::fs::write(dist.join(format!("bundle{b}.min.js")), &text).unwrap();
        total += text.len() as u64;
    }
    total
}

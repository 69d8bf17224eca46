//! Golden request bodies: for each of the six built-in provider
//! configurations, the URL, headers and body of a request carrying one
//! fixed conversation (text, reasoning with signatures, redacted reasoning,
//! tool calls, a failed tool result, two tool schemas), with
//! thinking off and on, byte for byte against src/provider/golden/*.txt.
//! Refactors of provider selection and the wire formats must leave these
//! unchanged. `MOTE_BLESS=1 cargo test --lib golden` rewrites the files.
//! The `-large` files carry the same conversation with long texts added
//! (kept as spans of the arena when sent) and a result full of control
//! bytes (kept raw and escaped as it is sent); they were written by the
//! writers that escaped every text on each request.

use super::select::{select, Wanted};
use super::{Request, Thinking, TokensField, ToolSpec};
use crate::arena::{Arena, Kind, Role};

fn conversation() -> Arena {
    let mut a = Arena::new();
    a.user("The tests fail. Find the bug and fix it: \"é\" \\ tab\there\n");
    a.push(
        Role::Assistant,
        Kind::Thinking,
        "Let me read the file first.",
    );
    a.push(Role::Assistant, Kind::Signature, "c2lnbmF0dXJl+/=");
    a.push(Role::Assistant, Kind::Text, "Reading it.");
    a.call("call_1", "read", r#"{"path":"src/lib.rs"}"#);
    a.call("call_2", "grep", r#"{"pattern":"fn add","path":"."}"#);
    a.result(
        "call_1",
        "read",
        "1\tpub fn add(a: i32, b: i32) -> i32 {\n2\t    a - b\n3\t}\n",
        false,
    );
    a.result("call_2", "grep", "error: no such directory", true);
    a.push(Role::Assistant, Kind::Redacted, "ZW5jcnlwdGVk");
    a.push(Role::Assistant, Kind::Text, "");
    a.call("call_3", "bash", r#"{"command":"sh test.sh"}"#);
    a.result("call_3", "bash", "ok\nexit code: 0", false);
    a.push(
        Role::Assistant,
        Kind::Text,
        "Fixed: `a - b` is now `a + b`.",
    );
    a.user("thanks");
    a
}

/// The conversation with long texts in every kind of record.
fn large() -> Arena {
    let mut a = conversation();
    let code = "fn main() {\n\tprintln!(\"héllo \\\\ wörld\");\n}\n".repeat(40);
    let controls = "\u{1}\u{1b}[0m\u{7}\u{0}x".repeat(100);
    a.push(Role::Assistant, Kind::Thinking, &code);
    a.push(Role::Assistant, Kind::Signature, &"c2ln".repeat(100));
    a.push(Role::Assistant, Kind::Text, &code);
    let args = format!(
        "{{\"path\":\"a.rs\",\"content\":{}}}",
        crate::json::write::quote(&code)
    );
    a.call("call_4", "write", &args);
    a.call("call_5", "bash", &format!("  {args}  "));
    a.result("call_4", "write", &code, false);
    a.result("call_5", "bash", &controls, true);
    a.user(&code);
    a
}

/// The six built-ins: provider name, model, the environment it is selected with.
type Env = &'static [(&'static str, &'static str)];

const CASES: &[(&str, &str, Env)] = &[
    ("openai", "gpt-5", &[("OPENAI_API_KEY", "sk-o")]),
    ("openai-responses", "gpt-5", &[("OPENAI_API_KEY", "sk-o")]),
    ("anthropic", "", &[("ANTHROPIC_API_KEY", "sk-a")]),
    ("gemini", "", &[("GOOGLE_API_KEY", "g-k")]),
    (
        "openrouter",
        "anthropic/claude-x",
        &[("OPENROUTER_API_KEY", "or-k")],
    ),
    ("ollama", "qwen3", &[("OLLAMA_HOST", "10.0.0.2")]),
];

fn render(name: &str, model: &str, env: &[(&str, &str)], arena: &Arena) -> String {
    let env = |k: &str| {
        env.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    };
    // Fixed specs, not the TOOLS table: other changes may reword a tool's description.
    let tools = [
        ToolSpec {
            name: "read",
            description: "Read a file's lines.",
            params: r#"{"type":"object","properties":{"path":{"type":"string","description":"File path"},"limit":{"type":"integer"}},"required":["path"]}"#,
        },
        ToolSpec {
            name: "mcp__docs__search",
            description: "Search the docs",
            params: r#"{"type":"object","properties":{"q":{"type":"string"}}}"#,
        },
    ];
    let mut out = String::new();
    // The third: a compaction summary request, which forbids tool calls.
    for (thinking, no_calls) in [
        (Thinking::Off, false),
        (Thinking::Medium, false),
        (Thinking::Off, true),
    ] {
        let w = Wanted {
            provider: name,
            model,
            base_url: "",
            max_tokens: 8192,
            tokens_field: TokensField::Auto,
            timeout: 60,
            deadline: 600,
            thinking,
        };
        let cfg = select(&w, &env, None).unwrap().config;
        let req = Request {
            cfg: &cfg,
            system: "You are mote.\nBe brief.",
            arena,
            tools: &tools,
            no_calls,
        };
        let url = super::endpoint(&cfg);
        out.push_str(&format!(
            "== thinking {thinking:?}{}\nPOST tls={} {}:{}{}\n",
            if no_calls {
                ", summary (no tool calls)"
            } else {
                ""
            },
            url.tls,
            url.host,
            url.port,
            url.path
        ));
        for (k, v) in super::headers(&cfg) {
            out.push_str(&format!("{k}: {v}\n"));
        }
        let mut assembled = super::reqbody::ReqBody::new();
        super::write_body(&req, &mut assembled).unwrap();
        let body = assembled.to_vec();
        assert_eq!(assembled.len() as usize, body.len(), "{name}: length");
        out.push('\n');
        out.push_str(std::str::from_utf8(&body).unwrap());
        out.push_str("\n\n");
    }
    out
}

#[test]
fn golden_request_bodies_of_the_six_builtins() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/provider/golden");
    let bless = std::env::var_os("MOTE_BLESS").is_some();
    for ((name, model, env), (suffix, arena)) in CASES
        .iter()
        .flat_map(|c| [(c, ("", conversation())), (c, ("-large", large()))])
    {
        let got = render(name, model, env, &arena);
        let path = dir.join(format!("{name}{suffix}.txt"));
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap();
        assert!(
            got == want,
            "{name}: request differs from {}",
            path.display()
        );
    }
}

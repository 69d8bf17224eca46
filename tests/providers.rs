//! Integration tests per provider: the real binary runs the demo's read →
//! edit → test task against the mock speaking each provider's wire format
//! (tests/mock/anthropic.rs, ollama.rs, and OpenAI chat for OpenRouter), and
//! the request bodies on the wire are checked: tool results, prompt caching,
//! thinking blocks replayed with their signatures, attribution headers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{body, copy_demo, demo_replies, fresh_dir, mote_command, run, Out, HANG};
use mock::json::{parse, Value};
use mock::{Item, Mock, Reply};

/// A fresh directory holding a copy of the demo project and an empty config home.
fn demo_workspace(name: &str) -> PathBuf {
    let d = fresh_dir("prov", name);
    std::fs::create_dir_all(d.join("ws")).unwrap();
    std::fs::create_dir_all(d.join("home/mote")).unwrap();
    copy_demo(&d.join("ws"));
    d
}

/// The demo replies with a signed thinking block before each tool turn.
fn thinking_replies() -> Vec<Reply> {
    let mut replies = demo_replies();
    for (i, r) in replies.iter_mut().enumerate().take(3) {
        if let Reply::Turn { items, .. } = r {
            let signature = format!("EqQBCgIYAhIM{i}+/sig==");
            items.insert(
                0,
                Item::Thinking {
                    text: format!("Step {i}: think \"hard\"."),
                    signature,
                },
            );
        }
    }
    replies
}

const PROVIDER_VARS: &[&str] = &[
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "OPENROUTER_API_KEY",
    "OPENROUTER_BASE_URL",
    "OLLAMA_HOST",
    "MOTE_PROVIDER",
    "MOTE_MODEL",
    "MOTE_THINKING",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
];

/// Run mote in `dir/ws` with only `env` set among the provider variables.
fn mote(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut c = mote_command();
    c.current_dir(dir.join("ws"))
        .env("XDG_CONFIG_HOME", dir.join("home"))
        .env("HOME", dir.join("home"));
    for v in PROVIDER_VARS {
        c.env_remove(v);
    }
    c.envs(env.iter().copied()).args(args);
    run(&mut c, HANG, args)
}

fn assert_fixed(dir: &Path) {
    common::assert_fixed(&dir.join("ws"));
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = v;
    for k in path {
        v = match k.parse::<usize>() {
            Ok(i) => v.at(i)?,
            Err(_) => v.get(k)?,
        };
    }
    v.as_str()
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(|a| a.as_array())
        .unwrap_or_else(|| panic!("no array `{key}`"))
}

fn ephemeral(v: &Value) -> bool {
    v.get("cache_control")
        .and_then(|c| c.get("type"))
        .and_then(|t| t.as_str())
        == Some("ephemeral")
}

#[test]
fn anthropic_runs_the_task_with_thinking_caching_and_tool_results() {
    let dir = demo_workspace("anthropic");
    let m = Mock::start(thinking_replies());
    let base = format!("http://{}", m.addr());
    let env = [
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
    ];
    let o = mote(
        &dir,
        &env,
        &[
            "-p",
            "fix the tests",
            "--permission",
            "auto",
            "--thinking",
            "low",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&dir);
    let reqs = m.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(reqs[0].path, "/v1/messages");
    assert_eq!(reqs[0].header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(reqs[0].header("anthropic-version"), Some("2023-06-01"));
    assert!(
        reqs[0].body.len() < 5632,
        "first request is {} bytes",
        reqs[0].body.len()
    );

    let first = body(&m, 0);
    assert_eq!(s(&first, &["model"]), Some("claude-sonnet-4-5"));
    assert_eq!(first.get("stream"), Some(&Value::Bool(true)));
    assert_eq!(s(&first, &["thinking", "type"]), Some("enabled"));
    let budget = first
        .get("thinking")
        .and_then(|t| t.get("budget_tokens"))
        .and_then(|b| b.as_f64())
        .unwrap();
    assert!(first.get("max_tokens").and_then(|v| v.as_f64()).unwrap() > budget);
    assert!(
        ephemeral(&arr(&first, "system")[0]),
        "system prompt not cached"
    );
    let tools = arr(&first, "tools");
    assert!(
        tools.last().is_some_and(ephemeral)
            && tools.iter().all(|t| t.get("input_schema").is_some())
    );

    // Second request: the thinking block goes back with its signature,
    // both tool_use blocks precede one user message with both results.
    let second = body(&m, 1);
    let msgs = arr(&second, "messages");
    let roles: Vec<&str> = msgs
        .iter()
        .filter_map(|v| v.get("role")?.as_str())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user"]);
    let content = arr(&msgs[1], "content");
    assert_eq!(s(&content[0], &["type"]), Some("thinking"));
    assert_eq!(
        s(&content[0], &["thinking"]),
        Some("Step 0: think \"hard\".")
    );
    assert_eq!(s(&content[0], &["signature"]), Some("EqQBCgIYAhIM0+/sig=="));
    assert_eq!(s(&content[1], &["type"]), Some("text"));
    let uses: Vec<&Value> = content
        .iter()
        .filter(|b| s(b, &["type"]) == Some("tool_use"))
        .collect();
    assert_eq!(uses.len(), 2);
    assert_eq!(s(uses[0], &["input", "path"]), Some("test.sh"));
    let results = arr(&msgs[2], "content");
    assert_eq!(results.len(), 2);
    for (u, r) in uses.iter().zip(results) {
        assert_eq!(s(r, &["type"]), Some("tool_result"));
        assert_eq!(s(r, &["tool_use_id"]), s(u, &["id"]));
    }
    let test_sh = std::fs::read_to_string(dir.join("ws/test.sh")).unwrap();
    assert_eq!(s(&results[0], &["content"]), Some(test_sh.as_str()));
    assert!(
        ephemeral(&results[1]) && !ephemeral(&results[0]),
        "the latest turn is cached"
    );
    // Only the last two user turns carry breakpoints (4 in all, with tools and system).
    let last = body(&m, 3);
    let marked = arr(&last, "messages")
        .iter()
        .filter(|m| arr(m, "content").iter().any(ephemeral))
        .count();
    assert_eq!(marked, 2);
    let fourth_assistant = &arr(&last, "messages")[5];
    assert_eq!(
        s(fourth_assistant, &["content", "0", "signature"]),
        Some("EqQBCgIYAhIM2+/sig==")
    );

    // Usage counts cache reads and writes.
    let r = parse(o.stdout.trim()).unwrap();
    let usage = r.get("usage").unwrap();
    assert!(
        usage.get("cached_tokens").and_then(|v| v.as_f64()).unwrap() > 0.0,
        "{}",
        o.stdout
    );
    assert!(
        usage
            .get("cache_write_tokens")
            .and_then(|v| v.as_f64())
            .unwrap()
            > 0.0
    );
}

#[test]
fn anthropic_with_one_byte_writes_redacted_thinking_and_bearer_token() {
    let dir = demo_workspace("anthropic-bytes");
    let mut replies = demo_replies();
    if let Reply::Turn { items, .. } = &mut replies[0] {
        items.insert(
            0,
            Item::Thinking {
                text: String::new(),
                signature: "REDACTED/data==".into(),
            },
        );
    }
    let m = Mock::with_options(
        replies,
        mock::Options {
            one_byte_writes: true,
            fragment: 1,
            ..Default::default()
        },
    );
    let base = format!("http://{}", m.addr());
    let env = [
        ("ANTHROPIC_AUTH_TOKEN", "tok"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
    ];
    let o = mote(
        &dir,
        &env,
        &[
            "-p",
            "fix",
            "--permission",
            "auto",
            "-m",
            "anthropic/claude-x",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&dir);
    let reqs = m.requests();
    assert_eq!(reqs[0].header("authorization"), Some("Bearer tok"));
    assert_eq!(reqs[0].header("x-api-key"), None);
    let second = body(&m, 1);
    assert_eq!(s(&second, &["model"]), Some("claude-x"));
    assert!(second.get("thinking").is_none());
    let block = &arr(&arr(&second, "messages")[1], "content")[0];
    assert_eq!(s(block, &["type"]), Some("redacted_thinking"));
    assert_eq!(s(block, &["data"]), Some("REDACTED/data=="));
}

#[test]
fn anthropic_overloaded_is_retried_and_errors_are_clear() {
    let dir = demo_workspace("anthropic-errors");
    let m = Mock::start(vec![
        Reply::error(529, Some(0), "Overloaded"),
        Reply::StreamError {
            message: "Overloaded".into(),
        },
        Reply::text("done"),
        Reply::error(
            400,
            None,
            "prompt is too long: 210000 tokens > 200000 maximum",
        ),
    ]);
    let base = format!("http://{}", m.addr());
    let env = [
        ("ANTHROPIC_API_KEY", "k"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
    ];
    let o = mote(&dir, &env, &["-p", "hi"]);
    assert_eq!((o.code, o.stdout.as_str()), (0, "done\n"), "{}", o.stderr);
    assert_eq!(m.requests().len(), 3);
    let o = mote(&dir, &env, &["-p", "hi"]);
    assert_eq!(o.code, 4);
    assert!(
        o.stderr
            .trim()
            .ends_with("HTTP 400: prompt is too long: 210000 tokens > 200000 maximum"),
        "{}",
        o.stderr
    );
}

#[test]
fn ollama_runs_the_task_with_num_ctx_and_object_arguments() {
    let dir = demo_workspace("ollama");
    let m = Mock::start(thinking_replies());
    let host = m.addr().to_string(); // OLLAMA_HOST without a scheme, as Ollama accepts it
    let o = mote(
        &dir,
        &[("OLLAMA_HOST", host.as_str())],
        &[
            "-p",
            "fix",
            "--permission",
            "auto",
            "--provider",
            "ollama",
            "-m",
            "qwen3",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&dir);
    let reqs = m.requests();
    assert_eq!((reqs.len(), reqs[0].path.as_str()), (4, "/api/chat"));
    assert!(
        reqs[0].body.len() < 5632,
        "first request is {} bytes",
        reqs[0].body.len()
    );
    let first = body(&m, 0);
    assert_eq!(
        first
            .get("options")
            .and_then(|o| o.get("num_ctx"))
            .and_then(|n| n.as_f64()),
        Some(32768.0)
    );
    let second = body(&m, 1);
    let msgs = arr(&second, "messages");
    let calls = arr(&msgs[2], "tool_calls");
    assert_eq!(
        s(&calls[1], &["function", "arguments", "path"]),
        Some("greet.sh")
    );
    assert_eq!(
        (s(&msgs[3], &["role"]), s(&msgs[3], &["tool_name"])),
        (Some("tool"), Some("read"))
    );
    // The context window comes from the config.
    let dir = demo_workspace("ollama-ctx");
    std::fs::write(
        dir.join("home/mote/config.json"),
        r#"{"models":{"qwen3":{"context_window":65536}}}"#,
    )
    .unwrap();
    let m = Mock::start(vec![Reply::text("ok")]);
    let host = format!("http://{}", m.addr());
    let o = mote(
        &dir,
        &[("OLLAMA_HOST", host.as_str())],
        &["-p", "hi", "-m", "ollama/qwen3"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(
        body(&m, 0)
            .get("options")
            .and_then(|o| o.get("num_ctx"))
            .and_then(|n| n.as_f64()),
        Some(65536.0)
    );
}

#[test]
fn ollama_errors_in_the_stream_are_clear() {
    let dir = demo_workspace("ollama-errors");
    for (reply, want) in [
        (
            Reply::StreamError {
                message: "model requires more system memory".into(),
            },
            "error in stream: model requires more system memory",
        ),
        (Reply::Malformed, "malformed stream"),
        (
            Reply::error(404, None, "model 'qwen9' not found"),
            "HTTP 404: model 'qwen9' not found",
        ),
    ] {
        let m = Mock::start(vec![reply]);
        let host = format!("http://{}", m.addr());
        let o = mote(
            &dir,
            &[("OLLAMA_HOST", host.as_str())],
            &["-p", "hi", "--provider", "ollama", "-m", "qwen9"],
        );
        assert_eq!(o.code, 4, "{}", o.stderr);
        assert!(
            o.stderr.lines().count() == 1 && o.stderr.contains(want),
            "{want}: {}",
            o.stderr
        );
    }
}

#[test]
fn openrouter_sends_attribution_headers_and_keeps_slashed_model_ids() {
    let dir = demo_workspace("openrouter");
    let m = Mock::start(demo_replies());
    let base = m.base_url();
    let env = [
        ("OPENROUTER_API_KEY", "or-key"),
        ("OPENROUTER_BASE_URL", base.as_str()),
    ];
    let o = mote(
        &dir,
        &env,
        &[
            "-p",
            "fix",
            "--permission",
            "auto",
            "-m",
            "anthropic/claude-sonnet-4.5",
            "--thinking",
            "high",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&dir);
    let reqs = m.requests();
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(reqs[0].header("authorization"), Some("Bearer or-key"));
    assert_eq!(reqs[0].header("x-title"), Some("mote"));
    assert!(reqs[0]
        .header("http-referer")
        .is_some_and(|r| r.starts_with("https://")));
    assert_eq!(
        s(&body(&m, 0), &["model"]),
        Some("anthropic/claude-sonnet-4.5")
    );
    assert_eq!(s(&body(&m, 0), &["reasoning", "effort"]), Some("high"));
    assert!(reqs[0].body.len() < 5632);
}

#[test]
fn custom_provider_from_config_with_headers_extra_body_and_cost() {
    let dir = demo_workspace("custom");
    let m = Mock::start(demo_replies());
    let conf = format!(
        r#"{{"provider":"gw","providers":{{"gw":{{"api":"openai-chat","base_url":"{}","api_key_env":"GW_KEY",
        "headers":{{"X-Team":"t-${{TEAM}}"}},"extra_body":{{"user":"mote-test"}},"shade":1}}}},
        "models":{{"small":{{"input_price":1,"output_price":2}}}},"model":"small"}}"#,
        m.base_url()
    );
    std::fs::write(dir.join("home/mote/config.json"), conf).unwrap();
    let env = [("GW_KEY", "gw-secret"), ("TEAM", "core")];
    let o = mote(
        &dir,
        &env,
        &[
            "-p",
            "fix",
            "--permission",
            "auto",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&dir);
    assert!(
        o.stderr
            .contains("providers.gw: unknown key `shade` ignored"),
        "{}",
        o.stderr
    );
    let reqs = m.requests();
    assert_eq!(reqs[0].header("authorization"), Some("Bearer gw-secret"));
    assert_eq!(reqs[0].header("x-team"), Some("t-core"));
    let first = body(&m, 0);
    assert_eq!(
        (s(&first, &["user"]), s(&first, &["model"])),
        (Some("mote-test"), Some("small"))
    );
    let r = parse(o.stdout.trim()).unwrap();
    let usage = r.get("usage").unwrap();
    let (i, out) = (
        usage.get("input_tokens").unwrap().as_f64().unwrap(),
        usage.get("output_tokens").unwrap().as_f64().unwrap(),
    );
    let cost = usage.get("cost_usd").and_then(|c| c.as_f64()).unwrap();
    assert!(
        (cost - (i * 1.0 + out * 2.0) / 1e6).abs() < 1e-6,
        "{cost} for {i}/{out}"
    );
    // Without the key variable, the error names it.
    let o = mote(&dir, &[], &["-p", "fix"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("provider `gw`: set $GW_KEY"),
        "{}",
        o.stderr
    );
}

#[test]
fn no_key_names_exactly_what_to_set() {
    let dir = demo_workspace("nokey");
    let o = mote(&dir, &[], &["-p", "hi"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr.contains("ANTHROPIC_API_KEY") && o.stderr.contains("--provider ollama"),
        "{}",
        o.stderr
    );
    let o = mote(&dir, &[], &["-p", "hi", "--provider", "anthropic"]);
    assert_eq!(o.code, 2);
    assert!(
        o.stderr
            .contains("ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN is not set"),
        "{}",
        o.stderr
    );
}

#[test]
fn openai_responses_runs_the_task_and_replays_encrypted_reasoning() {
    let dir = demo_workspace("responses");
    let m = Mock::start(thinking_replies());
    let base = m.base_url();
    let env = [
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", base.as_str()),
    ];
    let args = [
        "-p",
        "fix",
        "--permission",
        "auto",
        "--provider",
        "openai-responses",
        "-m",
        "gpt-test",
    ];
    let o = mote(
        &dir,
        &env,
        &[
            &args[..],
            &["--thinking", "medium", "--output-format", "json"],
        ]
        .concat(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&dir);
    let reqs = m.requests();
    assert_eq!((reqs.len(), reqs[0].path.as_str()), (4, "/v1/responses"));
    assert_eq!(reqs[0].header("authorization"), Some("Bearer sk-test"));
    assert!(
        reqs[0].body.len() < 5632,
        "first request is {} bytes",
        reqs[0].body.len()
    );
    let first = body(&m, 0);
    assert_eq!(first.get("store"), Some(&Value::Bool(false)));
    assert_eq!(
        s(&first, &["include", "0"]),
        Some("reasoning.encrypted_content")
    );
    assert_eq!(s(&first, &["reasoning", "effort"]), Some("medium"));
    assert!(s(&first, &["instructions"])
        .unwrap()
        .starts_with("You are mote"));
    assert_eq!(s(&first, &["tools", "0", "name"]), Some("read"));
    let second = body(&m, 1);
    let input = arr(&second, "input");
    let types: Vec<&str> = input.iter().filter_map(|i| s(i, &["type"])).collect();
    assert_eq!(
        types,
        [
            "message",
            "reasoning",
            "message",
            "function_call",
            "function_call",
            "function_call_output",
            "function_call_output"
        ]
    );
    assert_eq!(
        s(&input[1], &["encrypted_content"]),
        Some("EqQBCgIYAhIM0+/sig==")
    );
    assert_eq!(
        s(&input[1], &["summary", "0", "text"]),
        Some("Step 0: think \"hard\".")
    );
    assert_eq!(s(&input[5], &["call_id"]), s(&input[3], &["call_id"]));
    assert!(s(&input[3], &["call_id"]).unwrap().starts_with("call_"));
    assert_eq!(s(&input[4], &["arguments"]), Some(r#"{"path":"greet.sh"}"#));
    let r = parse(o.stdout.trim()).unwrap();
    assert!(
        r.get("usage")
            .and_then(|u| u.get("cached_tokens"))
            .and_then(|v| v.as_f64())
            .unwrap()
            > 0.0
    );
}

#[test]
fn gemini_runs_the_task_echoing_thought_signatures() {
    let dir = demo_workspace("gemini");
    let m = Mock::with_options(
        thinking_replies(),
        mock::Options {
            one_byte_writes: false,
            fragment: 2,
            ..Default::default()
        },
    );
    let base = format!("http://{}", m.addr());
    let env = [
        ("GEMINI_API_KEY", "g-key"),
        ("GEMINI_BASE_URL", base.as_str()),
    ];
    let o = mote(
        &dir,
        &env,
        &[
            "-p",
            "fix",
            "--permission",
            "auto",
            "-m",
            "gemini/gemini-test",
        ],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&dir);
    let reqs = m.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        reqs[0].path,
        "/v1beta/models/gemini-test:streamGenerateContent?alt=sse"
    );
    assert_eq!(reqs[0].header("x-goog-api-key"), Some("g-key"));
    assert!(
        reqs[0].body.len() < 5632,
        "first request is {} bytes",
        reqs[0].body.len()
    );
    assert!(!reqs[0].body.contains("additionalProperties") && !reqs[0].body.contains("$schema"));
    let first = body(&m, 0);
    assert!(s(&first, &["systemInstruction", "parts", "0", "text"])
        .unwrap()
        .starts_with("You are mote"));
    let decls = arr(&arr(&first, "tools")[0], "functionDeclarations");
    // Every TOOLS row, then the subagent `task` tool.
    let names: Vec<&str> = decls.iter().filter_map(|d| s(d, &["name"])).collect();
    let want: Vec<&str> = mote::tool::TOOLS
        .iter()
        .map(|t| t.name)
        .chain([mote::subagent::task::NAME])
        .collect();
    assert_eq!(names, want);
    let second = body(&m, 1);
    let contents = arr(&second, "contents");
    let roles: Vec<&str> = contents.iter().filter_map(|c| s(c, &["role"])).collect();
    assert_eq!(roles, ["user", "model", "user"]);
    let parts = arr(&contents[1], "parts");
    assert_eq!(s(&parts[1], &["functionCall", "name"]), Some("read"));
    assert_eq!(
        s(&parts[1], &["functionCall", "args", "path"]),
        Some("test.sh")
    );
    assert_eq!(
        s(&parts[1], &["thoughtSignature"]),
        Some("EqQBCgIYAhIM0+/sig==")
    );
    assert!(parts[2].get("thoughtSignature").is_none());
    let responses = arr(&contents[2], "parts");
    assert_eq!(responses.len(), 2);
    let test_sh = std::fs::read_to_string(dir.join("ws/test.sh")).unwrap();
    assert_eq!(
        s(&responses[0], &["functionResponse", "response", "output"]),
        Some(test_sh.as_str())
    );
    assert_eq!(
        s(&responses[1], &["functionResponse", "name"]),
        Some("read")
    );
}

#[test]
fn errors_mid_stream_are_clear_for_every_provider() {
    let dir = demo_workspace("midstream");
    for (provider, base_env, key_env) in [
        ("openai-responses", "OPENAI_BASE_URL", "OPENAI_API_KEY"),
        ("gemini", "GEMINI_BASE_URL", "GEMINI_API_KEY"),
        ("anthropic", "ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY"),
    ] {
        let m = Mock::start(vec![
            Reply::StreamError {
                message: "internal failure".into(),
            },
            Reply::DropMidStream {
                items: vec![Item::Text("partial answer here".into())],
                after_events: 4,
            },
            Reply::Malformed,
        ]);
        let base = if provider == "openai-responses" {
            m.base_url()
        } else {
            format!("http://{}", m.addr())
        };
        let env = [(base_env, base.as_str()), (key_env, "k")];
        let run = || {
            mote(
                &dir,
                &env,
                &[
                    "-p",
                    "hi",
                    "--provider",
                    provider,
                    "-m",
                    "m1",
                    "--retries",
                    "0",
                ],
            )
        };
        // An error event and a malformed stream are the API's (4); a
        // connection dropped mid-stream is the network's (3).
        for (want, code) in [
            ("internal failure", 4),
            ("stream", 3),
            ("malformed stream", 4),
        ] {
            let o = run();
            assert_eq!(o.code, code, "{provider}: {want}: {}", o.stderr);
            assert!(
                o.stderr.lines().count() == 1 && o.stderr.contains(want),
                "{provider}: {want}: {}",
                o.stderr
            );
        }
    }
}

#[test]
fn the_anthropic_mock_refuses_what_the_api_refuses() {
    let v = mock::anthropic::validate;
    let ok = r#"{"max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"#;
    assert_eq!(v(ok), None);
    let orphan = r#"{"max_tokens":100,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},
        {"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"ls","input":{}}]},
        {"role":"user","content":[{"type":"text","text":"go on"}]}]}"#;
    assert!(v(orphan).unwrap().contains("without `tool_result` blocks"));
    let unsigned = r#"{"max_tokens":100,"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"x"}]}]}"#;
    assert!(v(unsigned).unwrap().contains("missing its signature"));
    let budget =
        r#"{"max_tokens":1000,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[]}"#;
    assert!(v(budget).unwrap().contains("budget_tokens"));
    assert!(v(r#"{"messages":[]}"#).unwrap().contains("max_tokens"));
}

/// `toolu_...` ids are random per run: number them in order of appearance.
fn renumber_tool_ids(body: &str) -> String {
    let mut out = String::new();
    let mut seen: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("toolu_") {
        out.push_str(&rest[..i]);
        let id: String = rest[i..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let n = seen.iter().position(|s| *s == id).unwrap_or_else(|| {
            seen.push(id.clone());
            seen.len() - 1
        });
        out.push_str(&format!("toolu_{n}"));
        rest = &rest[i + id.len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn a_resumed_anthropic_session_replays_signed_thinking_exactly() {
    // Uninterrupted: four requests.
    let whole = demo_workspace("resume-whole");
    let m = Mock::start(thinking_replies());
    let base = format!("http://{}", m.addr());
    let env = [
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
    ];
    let args = [
        "-p",
        "fix the tests",
        "--permission",
        "auto",
        "--thinking",
        "low",
    ];
    assert_eq!(mote(&whole, &env, &args).code, 0);
    let want: Vec<String> = m
        .requests()
        .iter()
        .map(|r| renumber_tool_ids(&r.body))
        .collect();
    assert_eq!(want.len(), 4);
    assert!(
        want[2].contains("\"signature\":\"EqQBCgIYAhIM1+/sig==\""),
        "turn 2 replays turn 1's signed thinking"
    );

    // Stopped after two turns, then continued by a new process.
    let split = demo_workspace("resume-split");
    let replies = thinking_replies();
    let m1 = Mock::start(replies[..2].to_vec());
    let base = format!("http://{}", m1.addr());
    let env = [
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
    ];
    let o = mote(&split, &env, &[&args[..], &["--max-turns", "2"]].concat());
    assert_eq!(o.code, 5, "{}", o.stderr);
    let m2 = Mock::start(replies[2..].to_vec());
    let base = format!("http://{}", m2.addr());
    let env = [
        ("ANTHROPIC_API_KEY", "sk-ant-test"),
        ("ANTHROPIC_BASE_URL", base.as_str()),
    ];
    let o = mote(
        &split,
        &env,
        &["-c", "--permission", "auto", "--thinking", "low"],
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_fixed(&split);
    let got: Vec<String> = m1
        .requests()
        .iter()
        .chain(m2.requests().iter())
        .map(|r| renumber_tool_ids(&r.body))
        .collect();
    // The workspace path differs between the two runs; everything else must not.
    let norm = |s: &str, dir: &Path| {
        s.replace(
            &dir.join("ws").canonicalize().unwrap().display().to_string(),
            "WS",
        )
    };
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            norm(g, &split),
            norm(w, &whole),
            "request {i} differs after resume"
        );
    }
    assert_eq!(got.len(), 4);
}

//! `--output-schema`, on the real binary against the mock model: each of the
//! five wire formats carries the schema in its native form (and Anthropic
//! answers through the forced `final_answer` tool), a valid answer comes
//! back as `structured` and as the JSON alone on stdout, an invalid one is
//! asked again exactly once with the validation error, then exit 10.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{body, fresh_dir, mote_command, run, Out, HANG};
use mock::json::{parse, Value};
use mock::{Mock, Reply};

const SCHEMA: &str = r#"{"type":"object","properties":{"verdict":{"enum":["pass","fail"]},"reasons":{"type":"array","items":{"type":"string"}}},"required":["verdict","reasons"],"additionalProperties":false}"#;
const VALID: &str = r#"{"verdict":"pass","reasons":["tests added"]}"#;

const PROVIDER_VARS: &[&str] = &[
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GEMINI_BASE_URL",
    "OPENROUTER_API_KEY",
    "OLLAMA_HOST",
    "MOTE_PROVIDER",
    "MOTE_MODEL",
    "MOTE_THINKING",
];

/// A fresh workspace holding `verdict.json` (the schema).
fn workspace(name: &str) -> PathBuf {
    let d = fresh_dir("schema", name).canonicalize().unwrap();
    std::fs::write(d.join("verdict.json"), SCHEMA).unwrap();
    d
}

/// mote in `ws` with only `env` among the provider variables.
fn mote(ws: &Path, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut c = mote_command();
    c.current_dir(ws).env("HOME", ws);
    for v in PROVIDER_VARS {
        c.env_remove(v);
    }
    c.envs(env.iter().copied())
        .args(["--no-session", "--no-context-files", "--no-mcp"])
        .args(args);
    run(&mut c, HANG, args)
}

/// `-p review --output-schema verdict.json` on OpenAI chat against `m`.
fn review(ws: &Path, m: &Mock) -> Out {
    let url = m.base_url();
    mote(
        ws,
        &[("OPENAI_API_KEY", "k"), ("OPENAI_BASE_URL", &url)],
        &[
            "-m",
            "openai/t",
            "-p",
            "review",
            "--output-schema",
            "verdict.json",
        ],
    )
}

fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, k| {
        v.get(k)
            .unwrap_or_else(|| panic!("no `{k}` on the way to {path:?}"))
    })
}

/// The result object of a `--output-format json` run.
fn result(o: &Out) -> Value {
    parse(o.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
}

/// One wire: the mock's replies, mote's flags and environment, and where
/// the schema must appear in the request body.
fn each_wire(name: &str, replies: Vec<Reply>, check: impl Fn(&Value)) {
    let ws = workspace(name);
    let m = Mock::start(replies);
    let url = m.base_url();
    let host = format!("http://{}", m.addr());
    let (env, model): (Vec<(&str, &str)>, &[&str]) = match name {
        "openai" => (
            vec![("OPENAI_API_KEY", "k"), ("OPENAI_BASE_URL", &url)],
            &["-m", "openai/gpt-test"],
        ),
        "openai-responses" => (
            vec![("OPENAI_API_KEY", "k"), ("OPENAI_BASE_URL", &url)],
            &["-m", "openai-responses/gpt-test"],
        ),
        "anthropic" => (
            vec![("ANTHROPIC_API_KEY", "k"), ("ANTHROPIC_BASE_URL", &host)],
            &["-m", "anthropic/claude-test"],
        ),
        "gemini" => (
            vec![("GEMINI_API_KEY", "k"), ("GEMINI_BASE_URL", &host)],
            &["-m", "gemini/gemini-test"],
        ),
        _ => (
            vec![("OLLAMA_HOST", host.as_str())],
            &["-m", "ollama/qwen3"],
        ),
    };
    let args = [
        model,
        &[
            "-p",
            "review",
            "--output-schema",
            "verdict.json",
            "--output-format",
            "json",
        ],
    ]
    .concat();
    let o = mote(&ws, &env, &args);
    assert_eq!(o.code, 0, "{name}: {}", o.stderr);
    assert_eq!(m.requests().len(), 1, "{name}: one request");
    check(&body(&m, 0));
    let r = result(&o);
    assert_eq!(
        at(&r, &["structured", "verdict"]).as_str(),
        Some("pass"),
        "{name}: {}",
        o.stdout
    );
    assert_eq!(
        at(&r, &["structured", "reasons"])
            .at(0)
            .and_then(Value::as_str),
        Some("tests added"),
        "{name}"
    );
}

/// The schema as the request carries it has the file's `required` list.
fn required(schema: &Value) -> Vec<&str> {
    at(schema, &["required"])
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn openai_chat_sends_response_format_json_schema() {
    each_wire("openai", vec![Reply::text(VALID)], |b| {
        let f = at(b, &["response_format"]);
        assert_eq!(at(f, &["type"]).as_str(), Some("json_schema"));
        assert_eq!(
            required(at(f, &["json_schema", "schema"])),
            ["verdict", "reasons"]
        );
        assert!(at(f, &["json_schema", "name"]).as_str().is_some());
    });
}

#[test]
fn openai_responses_sends_text_format_json_schema() {
    each_wire("openai-responses", vec![Reply::text(VALID)], |b| {
        let f = at(b, &["text", "format"]);
        assert_eq!(at(f, &["type"]).as_str(), Some("json_schema"));
        assert_eq!(at(f, &["name"]).as_str(), Some("answer"));
        assert_eq!(required(at(f, &["schema"])), ["verdict", "reasons"]);
    });
}

#[test]
fn gemini_sends_response_schema_without_refused_keywords() {
    each_wire("gemini", vec![Reply::text(VALID)], |b| {
        let g = at(b, &["generationConfig"]);
        assert_eq!(
            at(g, &["responseMimeType"]).as_str(),
            Some("application/json")
        );
        let s = at(g, &["responseSchema"]);
        assert_eq!(required(s), ["verdict", "reasons"]);
        assert!(
            s.get("additionalProperties").is_none(),
            "stripped for Gemini"
        );
    });
}

#[test]
fn ollama_sends_format() {
    each_wire("ollama", vec![Reply::text(VALID)], |b| {
        let f = at(b, &["format"]);
        assert_eq!(required(f), ["verdict", "reasons"]);
    });
}

#[test]
fn anthropic_answers_through_a_forced_final_tool() {
    each_wire("anthropic", vec![Reply::call("final_answer", VALID)], |b| {
        let tools = at(b, &["tools"]).as_array().unwrap();
        let last = tools.last().unwrap();
        assert_eq!(at(last, &["name"]).as_str(), Some("final_answer"));
        assert_eq!(
            required(at(last, &["input_schema"])),
            ["verdict", "reasons"]
        );
        assert_eq!(at(b, &["tool_choice", "type"]).as_str(), Some("any"));
    });
}

#[test]
fn an_invalid_answer_is_asked_again_once_then_exit_10() {
    let ws = workspace("invalid");
    let m = Mock::start(vec![
        Reply::text("Looks good to me."),
        Reply::text(r#"{"verdict":"maybe","reasons":[]}"#),
        Reply::text(VALID),
    ]);
    let o = review(&ws, &m);
    assert_eq!(o.code, 10, "{}", o.stderr);
    assert_eq!(m.requests().len(), 2, "exactly one retry");
    // The retry tells the model what was wrong with the first answer.
    let msgs = at(&body(&m, 1), &["messages"]).as_array().unwrap().to_vec();
    let last = msgs.last().unwrap();
    assert_eq!(at(last, &["role"]).as_str(), Some("user"));
    let told = at(last, &["content"]).as_str().unwrap();
    assert!(told.contains("the answer is not JSON"), "{told}");
    assert!(
        o.stderr
            .contains(r#"$.verdict: "maybe" is not one of "pass", "fail""#),
        "{}",
        o.stderr
    );
}

#[test]
fn a_corrected_answer_is_printed_as_the_json_alone() {
    let ws = workspace("corrected");
    let m = Mock::start(vec![
        Reply::text(r#"{"verdict":"pass"}"#),
        Reply::text(&format!("```json\n{VALID}\n```")),
    ]);
    let o = review(&ws, &m);
    assert_eq!(
        (o.code, o.stdout.as_str()),
        (0, format!("{VALID}\n").as_str()),
        "{}",
        o.stderr
    );
    let msgs = at(&body(&m, 1), &["messages"]).as_array().unwrap().to_vec();
    let told = at(msgs.last().unwrap(), &["content"]).as_str().unwrap();
    assert!(
        told.contains("missing required property `reasons`"),
        "{told}"
    );
}

#[test]
fn a_bad_schema_file_is_a_usage_error_before_any_request() {
    let ws = workspace("bad");
    std::fs::write(ws.join("broken.json"), "{\"type\": \"object\",\n  oops}").unwrap();
    std::fs::write(ws.join("list.json"), "[1]").unwrap();
    let m = Mock::start(vec![Reply::text(VALID)]);
    let url = m.base_url();
    let env = [("OPENAI_API_KEY", "k"), ("OPENAI_BASE_URL", url.as_str())];
    for (file, says) in [
        ("broken.json", "--output-schema broken.json:2:"),
        ("list.json", "a JSON Schema is an object"),
        ("missing.json", "--output-schema missing.json:"),
    ] {
        let o = mote(
            &ws,
            &env,
            &["-m", "openai/t", "-p", "x", "--output-schema", file],
        );
        assert_eq!(o.code, 2, "{file}: {}", o.stderr);
        assert!(o.stderr.contains(says), "{file}: {}", o.stderr);
    }
    assert!(m.requests().is_empty());
}

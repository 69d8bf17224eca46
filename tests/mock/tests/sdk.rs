//! The mock's streams checked by the official provider SDKs (Python:
//! openai, anthropic, google-genai, ollama; pinned by tests/sdk/setup.sh):
//! each SDK's own streaming client reads one turn of text and a tool call
//! from the mock in its wire format, and what the SDK parsed must be that
//! text and that call. The mock cannot drift from the real wire unseen.
//! Mock-only: a test of the mock package (tests/mock/Cargo.toml); it never
//! runs mote, and `make test` counts it apart from the suites that do.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic

#[path = "../../common/require.rs"]
mod require;
#[path = "../mod.rs"]
mod mock;

use std::path::Path;
use std::process::Command;

use mock::json::{parse, Value};
use mock::{Item, Mock, Reply};

const TEXT: &str = "Hello, \"world\" é 日本";

/// mote's source tree (this package is tests/mock/ in it).
fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's python, after tests/sdk/setup.sh made it (once, pinned).
fn python() -> Option<std::path::PathBuf> {
    let root = root();
    let ok = Command::new(root.join("tests/sdk/setup.sh"))
        .status()
        .is_ok_and(|s| s.success());
    let py = root.join("target/sdk-venv/bin/python");
    let present = ok && py.exists();
    require::require(
        "sdk",
        present,
        "tests/sdk/setup.sh installs the pinned SDKs into target/sdk-venv (needs python3 with venv and PyPI)",
    )
    .then_some(py)
}

fn check(sdk: &str) {
    let Some(py) = python() else { return };
    let m = Mock::start(vec![Reply::Turn {
        items: vec![
            Item::Text(TEXT.into()),
            Item::Call {
                name: "read".into(),
                args: r#"{"path":"src/a b.rs"}"#.into(),
            },
        ],
        finish: None,
    }]);
    let host = format!("http://{}", m.addr());
    let script = root().join("tests/sdk/check.py");
    let out = Command::new(py)
        .arg(script)
        .args([sdk, &host])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{sdk}: the SDK failed on the mock's stream:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = parse(stdout.trim()).unwrap();
    assert_eq!(
        v.get("text").and_then(Value::as_str),
        Some(TEXT),
        "{sdk}: {stdout}"
    );
    let calls = v.get("calls").and_then(Value::as_array).unwrap();
    assert_eq!(calls.len(), 1, "{sdk}: {stdout}");
    let call = &calls[0];
    assert_eq!(call.at(0).and_then(Value::as_str), Some("read"), "{sdk}");
    assert_eq!(
        call.at(1)
            .and_then(|a| a.get("path"))
            .and_then(Value::as_str),
        Some("src/a b.rs"),
        "{sdk}: {stdout}"
    );
    assert_eq!(m.requests().len(), 1, "{sdk}: one request");
}

#[test]
fn openai_chat_sdk_reads_the_mocks_stream() {
    check("openai");
}

#[test]
fn openai_responses_sdk_reads_the_mocks_stream() {
    check("openai-responses");
}

#[test]
fn anthropic_sdk_reads_the_mocks_stream() {
    check("anthropic");
}

#[test]
fn gemini_sdk_reads_the_mocks_stream() {
    check("gemini");
}

#[test]
fn ollama_sdk_reads_the_mocks_stream() {
    check("ollama");
}

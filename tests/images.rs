//! Attached images end to end: `@shot.png` in a prompt, a pasted path, and
//! a read of an image file reach the model in each of the five wire
//! formats as the exact bytes of the file with the right media type (the
//! mock decodes them, tests/mock/image.rs); a file changed since it was
//! attached and a model configured without vision get a note instead; the
//! session keeps the path and hash, not the bytes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};

use common::{fresh_dir, mote_command, run, HANG};
use mock::{Mock, Reply};

/// A PNG-headed file of `n` bytes that no text or base64 step leaves alone.
fn png(n: usize) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
    b.extend((0..n as u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    b
}

fn jpeg(n: usize) -> Vec<u8> {
    let mut b = b"\xff\xd8\xff\xe0".to_vec();
    b.extend((0..n as u32).map(|i| (i.wrapping_mul(40503) >> 5) as u8));
    b
}

fn workspace(name: &str) -> PathBuf {
    let ws = fresh_dir("images", name).canonicalize().unwrap();
    std::fs::create_dir_all(ws.join("home")).unwrap();
    ws
}

/// Run one task with `provider` against `m`; the workspace's `home` is
/// the config dir.
fn mote(ws: &Path, m: &Mock, provider: &str, prompt: &str) -> common::Out {
    let mut c = mote_command();
    c.current_dir(ws)
        .env("XDG_CONFIG_HOME", ws.join("home"))
        .env("XDG_DATA_HOME", ws.join("home"))
        .env_remove("MOTE_MODEL")
        .args(["-p", prompt, "--permission", "auto", "-m", "m1"]);
    let (base_env, key_env, base) = match provider {
        "openai" | "openai-responses" => ("OPENAI_BASE_URL", "OPENAI_API_KEY", m.base_url()),
        "anthropic" => (
            "ANTHROPIC_BASE_URL",
            "ANTHROPIC_API_KEY",
            format!("http://{}", m.addr()),
        ),
        "gemini" => (
            "GEMINI_BASE_URL",
            "GEMINI_API_KEY",
            format!("http://{}", m.addr()),
        ),
        _ => ("OLLAMA_HOST", "MOTE_UNUSED", m.addr().to_string()),
    };
    c.env(base_env, base)
        .env(key_env, "k")
        .args(["--provider", provider]);
    run(&mut c, HANG, &[])
}

#[test]
fn every_wire_carries_the_exact_bytes_and_type() {
    let shot = png(300_000);
    let photo = jpeg(70_001);
    for provider in [
        "openai",
        "openai-responses",
        "anthropic",
        "gemini",
        "ollama",
    ] {
        let ws = workspace(provider);
        std::fs::write(ws.join("shot.png"), &shot).unwrap();
        std::fs::write(ws.join("photo.jpg"), &photo).unwrap();
        let m = Mock::start(vec![
            Reply::call("read", r#"{"path":"photo.jpg"}"#),
            Reply::text("a cat"),
        ]);
        let out = mote(&ws, &m, provider, "what is in @shot.png?");
        assert_eq!(out.code, 0, "{provider}: {}", out.stderr);
        let reqs = m.requests();
        assert_eq!(reqs.len(), 2, "{provider}");
        let first = mock::image::images(&reqs[0]).unwrap();
        let second = mock::image::images(&reqs[1]).unwrap();
        let typed = |media: &str| match provider {
            "ollama" => String::new(), // Ollama's images carry no type
            _ => media.to_string(),
        };
        assert_eq!(first.len(), 1, "{provider}");
        assert!(
            first[0] == (typed("image/png"), shot.clone()),
            "{provider}: the mentioned PNG"
        );
        assert_eq!(second.len(), 2, "{provider}");
        assert!(second[0] == first[0], "{provider}: kept in later requests");
        assert!(
            second[1] == (typed("image/jpeg"), photo.clone()),
            "{provider}: the read JPEG"
        );
        // The read result tells the model, and the session keeps no bytes.
        assert!(
            reqs[1]
                .body
                .contains("image/jpeg, 70005 bytes, attached as an image"),
            "{provider}"
        );
    }
}

#[test]
fn changed_files_models_without_vision_and_pasted_paths() {
    let ws = workspace("changed");
    let shot = png(5000);
    std::fs::write(ws.join("shot.png"), &shot).unwrap();
    // A pasted path outside the workspace, quoted as terminals paste it.
    let outside = fresh_dir("images", "outside dir").canonicalize().unwrap();
    let pasted = jpeg(999);
    std::fs::write(outside.join("screen shot.jpg"), &pasted).unwrap();
    let m = Mock::start(vec![
        Reply::call("bash", r#"{"command":"printf x >> shot.png"}"#),
        Reply::text("done"),
    ]);
    let prompt = format!(
        "look at @shot.png and '{}'",
        outside.join("screen shot.jpg").display()
    );
    let out = mote(&ws, &m, "anthropic", &prompt);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let reqs = m.requests();
    let first = mock::image::images(&reqs[0]).unwrap();
    assert_eq!(
        first,
        [
            ("image/png".to_string(), shot.clone()),
            ("image/jpeg".to_string(), pasted.clone())
        ]
    );
    // After the command appended a byte, shot.png is not the attached file:
    // a note goes instead, and never the new bytes.
    let second = mock::image::images(&reqs[1]).unwrap();
    assert_eq!(second, [("image/jpeg".to_string(), pasted)]);
    assert!(
        reqs[1]
            .body
            .contains("changed or went away after it was attached"),
        "{}",
        reqs[1].body
    );
    // The session file has the path and hash, not the bytes.
    let sessions = ws.join("home/mote/sessions");
    let files: Vec<_> = walk(&sessions);
    let log = std::fs::read_to_string(files.first().expect("a session file")).unwrap();
    assert!(
        log.contains("\"type\":\"image\"") && log.contains("\"hash\":\""),
        "{log}"
    );
    assert!(
        log.len() < 8000,
        "the session holds no image bytes: {} bytes",
        log.len()
    );

    // A model configured without vision gets a note.
    let ws = workspace("novision");
    std::fs::write(ws.join("shot.png"), &shot).unwrap();
    std::fs::create_dir_all(ws.join("home/mote")).unwrap();
    std::fs::write(
        ws.join("home/mote/config.json"),
        r#"{"models":{"m1":{"vision":false}}}"#,
    )
    .unwrap();
    let m = Mock::start(vec![Reply::text("ok")]);
    let out = mote(&ws, &m, "openai", "what is in @shot.png?");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let reqs = m.requests();
    assert!(mock::image::images(&reqs[0]).unwrap().is_empty());
    assert!(
        reqs[0].body.contains("this model does not take images"),
        "{}",
        reqs[0].body
    );
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "jsonl") {
            out.push(p);
        }
    }
    out
}

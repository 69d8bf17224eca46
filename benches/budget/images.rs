//! The image figure (issue 17): a session with a 5 MB image attached
//! (`@shot.png` in the prompt, then four turns that each send it again)
//! peaks no higher than a session should: the arena holds only the image's
//! path, size and hash, and each request streams its base64 (~6.7 MB) from
//! the file.

use std::path::Path;
use std::process::Command;

use crate::budgets;
use crate::measure::{measure, tempfile};
use crate::mock::{Item, Mock, Reply};
use crate::report::Report;

pub fn rows(r: &mut Report, bin: &Path) {
    let ws = tempfile("ws-image");
    let _ = std::fs::remove_dir_all(&ws);
    std::fs::create_dir_all(&ws).unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..5 * 1024 * 1024 - 8u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    std::fs::write(ws.join("shot.png"), &png).unwrap();
    let call = |cmd: &str| Reply::Turn {
        items: vec![Item::Call {
            name: "bash".into(),
            args: format!(r#"{{"command":"{cmd}"}}"#),
        }],
        finish: None,
    };
    let mut replies: Vec<Reply> = (0..3).map(|i| call(&format!("echo {i}"))).collect();
    replies.push(Reply::text("A screenshot of noise."));
    let m = Mock::start(replies);
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env("OPENAI_BASE_URL", m.base_url())
            .env_remove("OPENAI_API_KEY")
            .env("XDG_DATA_HOME", tempfile("data-image"))
            .args(["-p", "What is in @shot.png?", "--model", "mock"])
            .args(["--permission", "auto", "--no-context-files"])
            // The mock counts the body's bytes as tokens, 7 MB of base64
            // too; a provider counts an image as ~1,600. Keep it from
            // compacting.
            .args(["--context-window", "8000000"]),
    );
    assert_eq!(run.status, 0, "the image session failed: {}", run.stdout);
    let reqs = m.requests();
    let b64 = png.len().div_ceil(3) * 4;
    assert!(
        reqs.len() == 4 && reqs.iter().all(|q| q.body.len() > b64),
        "every request carries the image: {:?}",
        reqs.iter().map(|q| q.body.len()).collect::<Vec<_>>()
    );
    r.at_most(
        "peak RSS, session with a 5 MB image",
        run.max_rss as f64,
        &budgets::IMAGE_SESSION_RSS,
    );
    let _ = std::fs::remove_dir_all(&ws);
}

//! The real-network figure: a 10-turn task over TLS through a relay that
//! adds a 50 ms round trip (tests/mock/relay.rs: latency relay -> rustls
//! terminator with a test CA made by `openssl` -> the mock). The ideal is
//! one TCP and one TLS handshake (two round trips) plus one round trip per
//! turn; kept-alive connections come close to it. Also: peak RSS of the
//! run, with the kept TLS connection's buffers.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::measure::{measure, tempfile, Run};
use crate::mock::relay::{self, Certs};
use crate::mock::{Mock, Reply};

pub const RTT: Duration = Duration::from_millis(50);
pub const TURNS: u32 = 10;

pub struct Figures {
    pub run: Run,
    pub wall: Duration,
    pub ideal: Duration,
    pub connections: usize,
    pub handshakes: usize,
}

/// Err when openssl is missing (the test CA cannot be made).
pub fn over_tls(bin: &Path) -> Result<Figures, String> {
    let dir = tempfile("net");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    if Command::new("openssl").arg("version").output().is_err() {
        return Err("no `openssl` program for the test CA (Debian package openssl)".into());
    }
    let certs = Certs::make(&dir);
    let mut replies: Vec<Reply> = (1..TURNS)
        .map(|i| Reply::call("ls", &format!(r#"{{"path":"d{i}"}}"#)))
        .collect();
    replies.push(Reply::text("done"));
    let m = Mock::start(replies);
    let tls = relay::tls(certs.server("good", None), m.addr());
    let slow = relay::latency(tls.addr, RTT);
    let ws = dir.join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    let start = Instant::now();
    let run = measure(
        Command::new(bin)
            .current_dir(&ws)
            .env(
                "OPENAI_BASE_URL",
                format!("https://127.0.0.1:{}/v1", slow.addr.port()),
            )
            .env("OPENAI_API_KEY", "bench")
            .env("SSL_CERT_FILE", certs.path("ca.pem"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .args(["--model", "mock", "--no-session", "-p", "list"]),
    );
    let wall = start.elapsed();
    assert_eq!(run.status, 0, "the task over TLS failed: {}", run.stdout);
    assert_eq!(m.requests().len(), TURNS as usize);
    Ok(Figures {
        run,
        wall,
        ideal: RTT * (2 + TURNS),
        connections: slow.accepted(),
        handshakes: tls.handshakes(),
    })
}

//! The request-body figures (issue 20): how fast a body is assembled out of
//! the arena, as a ratio to a plain memcpy of the same bytes in the same
//! run, and the user CPU of two sessions where nearly all the work is
//! assembling and sending bodies: the 14-turn one, and 40 files (44
//! requests, ~40 MB of bodies, `--context-window 2000000`). User CPU is the
//! best of three runs: the kernel splits a short run's time between user
//! and system by sampling ticks, so one run's split is noisy.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use mote::arena::Arena;
use mote::provider::reqbody::ReqBody;
use mote::provider::select::{select, Wanted};
use mote::provider::{write_body, Request, Thinking, TokensField};

use crate::budgets;
use crate::measure::Run;
use crate::report::Report;
use crate::session::files_session;

pub fn rows(r: &mut Report, bin: &Path) {
    let (ratio, bytes) = assembly_ratio();
    r.at_most(
        "body assembly / memcpy, same bytes",
        ratio,
        &budgets::ASSEMBLY_RATIO,
    );
    r.note(&format!(
        "a {bytes}-byte body (40 files read), the slowest of the six built-in providers"
    ));
    let (run, bodies) = best_of_three(|| files_session(bin, 10, &[]));
    r.at_most(
        "user CPU, 14-turn session",
        run.user_ms as f64,
        &budgets::SESSION_CPU,
    );
    let (run, bodies40) =
        best_of_three(|| files_session(bin, 40, &["--context-window", "2000000"]));
    r.at_most(
        "user CPU, 40-file session",
        run.user_ms as f64,
        &budgets::FORTY_CPU,
    );
    let total: usize = bodies40.iter().sum();
    r.note(&format!(
        "{} requests, {total} bytes of bodies; system CPU {} ms (the 14-turn one: {} requests, {} bytes)",
        bodies40.len(),
        run.cpu_ms - run.user_ms,
        bodies.len(),
        bodies.iter().sum::<usize>()
    ));
}

/// The run with the least user CPU of three.
fn best_of_three(mut f: impl FnMut() -> (Run, Vec<usize>)) -> (Run, Vec<usize>) {
    let mut best: Option<(Run, Vec<usize>)> = None;
    for _ in 0..3 {
        let (run, bodies) = f();
        assert_eq!(run.status, 0, "the session failed: {}", run.stdout);
        if best.as_ref().is_none_or(|(b, _)| run.user_ms < b.user_ms) {
            best = Some((run, bodies));
        }
    }
    best.unwrap()
}

/// A conversation that read 40 files of 40 KB of source code.
fn forty_files() -> Arena {
    let mut a = Arena::new();
    a.user("Read the big files, then fix the greeting.");
    for i in 0..40 {
        let mut text = String::new();
        let mut n = 0;
        while text.len() < 40 * 1024 {
            n += 1;
            text.push_str(&format!(
                "{n:>6}\tfn f{i}_{n}(x: u64) -> u64 {{ x.wrapping_mul({n}) ^ 0x5eed }} // \"filler\" line\n"
            ));
        }
        let id = format!("call_{i}");
        a.push(mote::arena::Role::Assistant, mote::arena::Kind::Text, "");
        a.call(&id, "read", &format!(r#"{{"path":"big{i}.rs"}}"#));
        a.result(&id, "read", &text, false);
    }
    a
}

/// The slowest provider's body assembly (into a buffer, as it is sent)
/// over a memcpy of as many bytes, best of many rounds each; the body's size.
fn assembly_ratio() -> (f64, usize) {
    let arena = forty_files();
    let mut worst = (0.0f64, 0usize);
    for (provider, key) in [
        ("openai", "OPENAI_API_KEY"),
        ("openai-responses", "OPENAI_API_KEY"),
        ("anthropic", "ANTHROPIC_API_KEY"),
        ("gemini", "GEMINI_API_KEY"),
        ("openrouter", "OPENROUTER_API_KEY"),
        ("ollama", "OLLAMA_HOST"),
    ] {
        let wanted = Wanted {
            provider,
            model: "m",
            base_url: "",
            max_tokens: 8192,
            tokens_field: TokensField::Auto,
            timeout: 60,
            deadline: 600,
            thinking: Thinking::Off,
        };
        let env = |k: &str| (k == key).then(|| "k".to_string());
        let cfg = select(&wanted, &env, None).unwrap().config;
        let req = Request {
            cfg: &cfg,
            system: "You are mote.",
            arena: &arena,
            tools: &[],
            no_calls: false,
        };
        let mut sink: Vec<u8> = Vec::new();
        let assemble = best(|| {
            let mut b = ReqBody::new();
            write_body(&req, &mut b).unwrap();
            sink.clear();
            b.send(&mut sink).unwrap();
            black_box(&sink);
        });
        let src = sink.clone();
        assert!(src.len() > 1_600_000, "{provider}: {} bytes", src.len());
        let copy = best(|| {
            sink.clear();
            sink.extend_from_slice(black_box(&src));
            black_box(&sink);
        });
        let ratio = assemble.as_secs_f64() / copy.as_secs_f64().max(1e-9);
        if ratio > worst.0 {
            worst = (ratio, src.len());
        }
    }
    worst
}

/// The fastest of 30 rounds of `f`.
fn best(mut f: impl FnMut()) -> Duration {
    (0..30)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

//! The streaming JSON parser, fed the input whole and split at a point the
//! input chooses: it must never panic, and both ways must agree.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mote::json::{stream, Args, Event, Parser};

fn run(chunks: &[&[u8]]) -> (Result<(), stream::Error>, String) {
    let mut p = Parser::new();
    let mut log = String::new();
    // A string may arrive in any number of fragments: log its text as it
    // comes and its path once, at its end.
    let mut sink = |path: &[u8], e: Event| match e {
        Event::Str(s) => log.push_str(s),
        Event::Scalar(v) => {
            log.push_str(&String::from_utf8_lossy(path));
            log.push_str(&String::from_utf8_lossy(v));
        }
        _ => {
            log.push_str(&String::from_utf8_lossy(path));
            log.push('|');
        }
    };
    for c in chunks {
        if let Err(e) = p.feed(c, &mut sink) {
            return (Err(e), log);
        }
    }
    let r = p.finish(&mut sink);
    (r, log)
}

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| b as usize) % (data.len() + 1);
    let (a, b) = data.split_at(split);
    let whole = run(&[data]);
    let parts = run(&[a, b]);
    assert_eq!(whole.0.is_ok(), parts.0.is_ok());
    if whole.0.is_ok() {
        // String fragments may be cut differently; the concatenation may not.
        assert_eq!(whole.1.replace('|', ""), parts.1.replace('|', ""));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Args::parse(text);
        let _ = mote::json::value::parse(text);
    }
});

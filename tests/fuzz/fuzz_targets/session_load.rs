//! The session loader on arbitrary files: torn, garbled or hostile lines
//! must load or fail with a message, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("mote-fuzz-session-{}.jsonl", std::process::id()));
    if std::fs::write(&path, data).is_ok() {
        let _ = mote::session::load::load(&path);
    }
});

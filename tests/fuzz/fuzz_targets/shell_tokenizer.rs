//! The shell tokenizer and read-only classifier on arbitrary command text:
//! no panic, no hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cmd) = std::str::from_utf8(data) else { return };
    let _ = mote::permission::shell::parse(cmd);
    let _ = mote::permission::readonly::check(cmd, std::path::Path::new("/"));
    let _ = mote::permission::rules::wild(cmd, cmd);
});

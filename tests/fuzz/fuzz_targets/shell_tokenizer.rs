//! The shell tokenizer and read-only classifier on arbitrary command text:
//! no panic, no hang. And an oracle: every command the classifier proves
//! read-only is run in a scratch directory under strace (tests/oracle), and
//! any write, program run or connection it makes is a crash.
#![no_main]
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../../oracle/mod.rs"]
mod oracle;

static DIR: OnceLock<PathBuf> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(cmd) = std::str::from_utf8(data) else { return };
    let _ = mote::permission::shell::parse(cmd);
    let _ = mote::permission::rules::wild(cmd, cmd);
    let dir = DIR.get_or_init(|| oracle::scratch("fuzz"));
    if mote::permission::readonly::check(cmd, dir).is_ok() {
        let (bad, _) = oracle::trace(dir, &[(0, cmd.to_string())], 5);
        assert!(bad.is_empty(), "proven read-only, but: {bad:?}");
    }
});

//! `require`: how every test states a prerequisite it cannot provide itself
//! (npm, Landlock, root, the Python SDKs, ...). Shared by mote's suites
//! (through tests/common/mod.rs) and the mock's own (tests/mock/tests/).

/// A test's prerequisite: true when it is there. When it is missing the
/// test fails and says how to get it, unless MOTE_TEST_SKIP (a comma list)
/// names `what`: an explicit opt-out, which `make test` prints in its
/// summary. A missing prerequisite never passes silently.
pub fn require(what: &str, present: bool, how: &str) -> bool {
    if present {
        return true;
    }
    let skip = std::env::var("MOTE_TEST_SKIP").unwrap_or_default();
    let opted_out = skip.split(',').any(|s| s.trim() == what);
    assert!(
        opted_out,
        "missing prerequisite `{what}`: {how} (or opt out with MOTE_TEST_SKIP={what})"
    );
    eprintln!("OPTED OUT ({what}, MOTE_TEST_SKIP): {how}");
    false
}

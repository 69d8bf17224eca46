//! MCP message handling: whatever a server sends is parsed, classified and,
//! as a tool result, rendered, without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(v) = mote::json::value::parse(text) else { return };
    let _ = mote::mcp::rpc::classify(&v);
    let _ = mote::mcp::render::result(&v);
    if let Some(r) = v.get("result") {
        let _ = mote::mcp::render::result(r);
    }
});

//! Every provider's stream decoder, fed hostile bytes in two chunks: errors
//! are fine, panics and hangs are not.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mote::provider::{Decoder, Wire};

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| b as usize) % (data.len() + 1);
    let (a, b) = data.split_at(split);
    for wire in [Wire::OpenAiChat, Wire::Anthropic, Wire::Ollama, Wire::Responses, Wire::Gemini] {
        let mut d = Decoder::new(wire);
        let mut n = 0usize;
        let mut sink = |_: mote::provider::Delta| n += 1;
        if d.feed(a, &mut sink).is_ok() && d.feed(b, &mut sink).is_ok() {
            let _ = d.finish();
        }
    }
});

//! The SSE framer: any bytes, any split, no panic, same fields either way.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mote::sse::{Field, Framer};

fn run(chunks: &[&[u8]]) -> Vec<u8> {
    let mut f = Framer::new();
    let mut out = Vec::new();
    for c in chunks {
        f.feed(c, &mut |field| match field {
            Field::Data(d) => out.extend_from_slice(d),
            Field::Event(e) | Field::Id(e) => {
                out.push(b'<');
                out.extend_from_slice(e);
            }
            Field::Retry(ms) => out.extend_from_slice(ms.to_string().as_bytes()),
            Field::Dispatch => out.push(b'|'),
        });
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| b as usize) % (data.len() + 1);
    let (a, b) = data.split_at(split);
    assert_eq!(run(&[data]), run(&[a, b]));
});

//! mote: a terminal coding agent in one small static binary.

mod http;
mod json;
mod sse;
mod tls;
mod tool;
mod workspace;

fn main() {
    let _ = tool::TOOLS.len();
    println!("mote {}", env!("CARGO_PKG_VERSION"));
}

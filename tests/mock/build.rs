//! Marks the standalone build (`cfg(mock_llm)`): it leaves out the TLS
//! relay, the one module that needs rustls, so the package stays std-only.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(mock_llm)");
    println!("cargo::rustc-cfg=mock_llm");
}

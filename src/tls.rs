//! TLS for `https` endpoints: rustls with the ring crypto provider and the
//! Mozilla roots from webpki-roots, built once, on the first https request
//! only, so local plain-HTTP use never pays for it.

use std::sync::{Arc, OnceLock};

static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();

fn config() -> Result<Arc<rustls::ClientConfig>, String> {
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
                .map_err(|e| format!("TLS setup failed: {e}"))
        })
        .clone()
}

/// A client connection to `host`, ready to be wrapped around a TCP stream.
pub fn connect(host: &str) -> Result<rustls::ClientConnection, String> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| format!("`{host}` is not a valid TLS server name"))?;
    rustls::ClientConnection::new(config()?, name)
        .map_err(|e| format!("TLS setup for {host} failed: {e}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn builds_a_client_for_a_name_and_an_address() {
        assert!(super::connect("api.openai.com").is_ok());
        assert!(super::connect("127.0.0.1").is_ok());
        assert!(super::connect("bad host").is_err());
    }
}

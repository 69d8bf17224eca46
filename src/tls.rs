//! TLS for `https` endpoints: rustls with the ring crypto provider. Trust is
//! the Mozilla roots from webpki-roots plus the CA certificates (PEM, read
//! the way OpenSSL and curl read them) named by SSL_CERT_FILE, SSL_CERT_DIR
//! and the config's `network.ca_file`, or only those with `network.ca_only`.
//! The client config is built once, on the first https request only, so
//! local plain-HTTP use never pays for it; being one for the run, its
//! session cache lets a new connection resume the last TLS session (an
//! abbreviated handshake). Certificate failures are explained in words.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where extra CA certificates come from.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Trust {
    /// PEM bundles: SSL_CERT_FILE, then the config's `network.ca_file`.
    pub files: Vec<PathBuf>,
    /// Directories of PEM files (SSL_CERT_DIR, `:`-separated).
    pub dirs: Vec<PathBuf>,
    /// Trust only these, not the built-in roots.
    pub only: bool,
}

impl Trust {
    /// SSL_CERT_FILE and SSL_CERT_DIR from the environment, then the config's file.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>, ca_file: Option<&str>) -> Trust {
        let set = |k: &str| env(k).filter(|v| !v.is_empty());
        let mut files: Vec<PathBuf> = set("SSL_CERT_FILE")
            .map(PathBuf::from)
            .into_iter()
            .collect();
        files.extend(ca_file.map(PathBuf::from));
        let dirs = set("SSL_CERT_DIR")
            .map(|d| {
                d.split(':')
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect()
            })
            .unwrap_or_default();
        Trust {
            files,
            dirs,
            only: false,
        }
    }
}

static TRUST: OnceLock<Trust> = OnceLock::new();
static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();

/// Set the trust for the run, before the first https request (later calls
/// and calls after that request change nothing). Without it, the
/// environment's SSL_CERT_FILE and SSL_CERT_DIR are read on first use.
pub fn set_trust(t: Trust) {
    let _ = TRUST.set(t);
}

fn config() -> Result<Arc<rustls::ClientConfig>, String> {
    CONFIG.get_or_init(|| build(None)).clone()
}

/// A client config with the run's trust, and a client certificate if given.
fn build(
    client: Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let trust = TRUST.get_or_init(|| Trust::from_env(&|k| std::env::var(k).ok(), None));
    let roots = roots(trust)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let b = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots);
    let c = match client {
        None => b.with_no_client_auth(),
        Some((certs, key)) => b
            .with_client_auth_cert(certs, key)
            .map_err(|e| format!("client certificate: {e}"))?,
    };
    Ok(Arc::new(c))
}

/// A client certificate for one host (a provider's `client_cert` and
/// `client_key`), and the config made with it on first use.
struct Client {
    host: String,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    config: Option<Arc<rustls::ClientConfig>>,
}

static CLIENTS: Mutex<Vec<Client>> = Mutex::new(Vec::new());

/// Present the certificate chain in `cert` with the key in `key` (PEM) to
/// `host` when it asks for one (mutual TLS). Read now, so a bad file is a
/// configuration error; other hosts never see it.
pub fn add_client(host: &str, cert: &str, key: &str) -> Result<(), String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<Result<_, _>>())
        .map_err(|e| format!("client_cert {cert}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("client_cert {cert}: no PEM certificate in it"));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("client_key {key}: {e}"))?;
    let mut list = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    list.retain(|c| c.host != host);
    list.push(Client {
        host: host.to_string(),
        certs,
        key,
        config: None,
    });
    Ok(())
}

/// The config for `host`: its own if it has a client certificate.
fn config_for(host: &str) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut list = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    let Some(c) = list.iter_mut().find(|c| c.host == host) else {
        drop(list);
        return config();
    };
    if let Some(cfg) = &c.config {
        return Ok(cfg.clone());
    }
    let cfg = build(Some((c.certs.clone(), c.key.clone_key())))?;
    c.config = Some(cfg.clone());
    Ok(cfg)
}

/// The root store for `t`: a named file that cannot be read or holds no
/// certificate is an error naming it; a directory's other files are skipped.
pub fn roots(t: &Trust) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    if !t.only {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for f in &t.files {
        let bytes = std::fs::read(f).map_err(|e| format!("CA file {}: {e}", f.display()))?;
        if add_pem(&mut roots, &bytes, f)? == 0 {
            return Err(format!("CA file {}: no PEM certificate in it", f.display()));
        }
    }
    for d in &t.dirs {
        let entries = std::fs::read_dir(d).map_err(|e| format!("CA dir {}: {e}", d.display()))?;
        for e in entries.flatten() {
            if let Ok(bytes) = std::fs::read(e.path()) {
                add_pem(&mut roots, &bytes, &e.path())?;
            }
        }
    }
    if roots.is_empty() {
        return Err("no CA certificate to trust: network.ca_only is set, but SSL_CERT_FILE, SSL_CERT_DIR and network.ca_file give none".into());
    }
    Ok(roots)
}

/// Add every CERTIFICATE block of a PEM text; how many were added.
fn add_pem(roots: &mut rustls::RootCertStore, pem: &[u8], path: &Path) -> Result<usize, String> {
    let mut n = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| format!("CA file {}: {e}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("CA file {}: {e}", path.display()))?;
        n += 1;
    }
    Ok(n)
}

/// A client connection to `host`, ready to be wrapped around a TCP stream.
pub fn connect(host: &str) -> Result<rustls::ClientConnection, String> {
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| format!("`{host}` is not a valid TLS server name"))?;
    rustls::ClientConnection::new(config_for(host)?, name)
        .map_err(|e| format!("TLS setup for {host} failed: {e}"))
}

/// A handshake failure about trust, in words, or None for other failures
/// (a broken connection is worth retrying; a bad certificate is not).
pub fn explain(e: &std::io::Error, host: &str) -> Option<String> {
    use rustls::CertificateError as C;
    let err = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    let why = match err {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "its certificate was issued by an unknown CA (for a private or corporate CA, name its PEM file in SSL_CERT_FILE or the config's network.ca_file)".to_string(),
            C::Expired | C::ExpiredContext { .. } => "its certificate has expired".to_string(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "its certificate is not valid yet (is the clock right?)".to_string()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                format!("its certificate is not valid for the name `{host}`")
            }
            other => format!("its certificate was refused ({other:?})"),
        },
        rustls::Error::AlertReceived(a) => {
            format!("it refused the TLS handshake ({a:?}); if it wants a client certificate, give the provider `client_cert` and `client_key`")
        }
        rustls::Error::NoCertificatesPresented => "it presented no certificate".to_string(),
        _ => return None,
    };
    Some(format!("TLS: cannot trust {host}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_client_for_a_name_and_an_address() {
        assert!(connect("api.openai.com").is_ok());
        assert!(connect("127.0.0.1").is_ok());
        assert!(connect("bad host").is_err());
    }

    #[test]
    fn trust_comes_from_ssl_cert_file_dir_and_config() {
        let env = |k: &str| match k {
            "SSL_CERT_FILE" => Some("/etc/a.pem".to_string()),
            "SSL_CERT_DIR" => Some("/d1::/d2".to_string()),
            _ => None,
        };
        let t = Trust::from_env(&env, Some("/corp.pem"));
        assert_eq!(t.files, [PathBuf::from("/etc/a.pem"), "/corp.pem".into()]);
        assert_eq!(t.dirs, [PathBuf::from("/d1"), "/d2".into()]);
        let none = Trust {
            only: true,
            ..Trust::default()
        };
        assert!(roots(&none).unwrap_err().contains("no CA certificate"));
        let missing = Trust {
            files: vec!["/nonexistent/ca.pem".into()],
            ..Trust::default()
        };
        assert!(roots(&missing)
            .unwrap_err()
            .starts_with("CA file /nonexistent/ca.pem: "));
    }
}

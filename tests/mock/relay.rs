//! Relays to put in front of the mock: a TLS terminator (rustls, a test
//! certificate; it counts handshakes and resumed ones, and can demand a
//! client certificate) and a latency relay that delays every byte by half
//! a round trip each way, for tests and the bench of real-network costs.
//! Both forward to a plain TCP backend (the mock) and serve each
//! connection on its own threads.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Counters of a running relay.
#[derive(Default)]
pub struct Counts {
    pub accepted: AtomicUsize,
    pub handshakes: AtomicUsize,
    pub resumed: AtomicUsize,
}

pub struct Relay {
    pub addr: SocketAddr,
    pub counts: Arc<Counts>,
}

impl Relay {
    pub fn accepted(&self) -> usize {
        self.counts.accepted.load(Ordering::SeqCst)
    }
    pub fn handshakes(&self) -> usize {
        self.counts.handshakes.load(Ordering::SeqCst)
    }
    pub fn resumed(&self) -> usize {
        self.counts.resumed.load(Ordering::SeqCst)
    }
}

fn listen(serve: impl Fn(TcpStream, &Counts) + Send + Sync + 'static) -> Relay {
    let l = TcpListener::bind("127.0.0.1:0").expect("relay: bind");
    let addr = l.local_addr().expect("relay: addr");
    let counts = Arc::new(Counts::default());
    let c = counts.clone();
    let serve = Arc::new(serve);
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(s) = s else { return };
            c.accepted.fetch_add(1, Ordering::SeqCst);
            let (c, serve) = (c.clone(), serve.clone());
            std::thread::spawn(move || serve(s, &c));
        }
    });
    Relay { addr, counts }
}

/// Terminate TLS with `config` and pass the plaintext to `backend`.
pub fn tls(config: Arc<rustls::ServerConfig>, backend: SocketAddr) -> Relay {
    listen(move |s, counts| {
        let _ = terminate(s, config.clone(), backend, counts);
    })
}

fn terminate(
    mut s: TcpStream,
    config: Arc<rustls::ServerConfig>,
    backend: SocketAddr,
    counts: &Counts,
) -> io::Result<()> {
    let mut conn = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut s)?;
    }
    counts.handshakes.fetch_add(1, Ordering::SeqCst);
    if conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
        counts.resumed.fetch_add(1, Ordering::SeqCst);
    }
    let mut back = TcpStream::connect(backend)?;
    let mut tls = rustls::StreamOwned::new(conn, s);
    // One thread, both directions: short read timeouts take turns.
    let tick = Some(Duration::from_millis(2));
    tls.sock.set_read_timeout(tick)?;
    back.set_read_timeout(tick)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => back.write_all(&buf[..n])?,
            Err(e) if waiting(&e) => {}
            Err(e) => return Err(e),
        }
        match back.read(&mut buf) {
            Ok(0) => {
                tls.conn.send_close_notify();
                let _ = tls.flush();
                return Ok(());
            }
            Ok(n) => {
                tls.write_all(&buf[..n])?;
                tls.flush()?;
            }
            Err(e) if waiting(&e) => {}
            Err(e) => return Err(e),
        }
    }
}

fn waiting(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Forward raw bytes to `backend`, each delayed by `rtt / 2` in each
/// direction (a network with that round trip), preserving streaming.
pub fn latency(backend: SocketAddr, rtt: Duration) -> Relay {
    listen(move |s, _| {
        let Ok(b) = TcpStream::connect(backend) else {
            return;
        };
        let _ = (s.set_nodelay(true), b.set_nodelay(true));
        let (Ok(s2), Ok(b2)) = (s.try_clone(), b.try_clone()) else {
            return;
        };
        let up = std::thread::spawn(move || delay(s, b, rtt / 2));
        delay(b2, s2, rtt / 2);
        let _ = up.join();
    })
}

/// Copy `from` to `to`, each piece written `d` after it was read.
fn delay(mut from: TcpStream, mut to: TcpStream, d: Duration) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    let writer = std::thread::spawn(move || {
        for (due, bytes) in rx {
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            if to.write_all(&bytes).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || tx.send((Instant::now() + d, buf[..n].to_vec())).is_err() {
            break;
        }
    }
    drop(tx);
    let _ = writer.join();
}

/// A test CA and leaf certificates made with the `openssl` program, in `dir`.
pub struct Certs {
    pub dir: std::path::PathBuf,
}

impl Certs {
    /// Make a CA (`ca.pem`) and leaves signed by it: `good` for localhost
    /// and 127.0.0.1, `wrong` for another name, `expired`; plus `other-ca.pem`,
    /// a CA that signed nothing here. Panics, naming the package, without openssl.
    pub fn make(dir: &std::path::Path) -> Certs {
        let run = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap_or_else(|e| {
                    panic!("the TLS tests need the `openssl` program (Debian package openssl): {e}")
                });
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for ca in ["ca", "other-ca"] {
            let (key, pem, subj) = (
                format!("{ca}.key"),
                format!("{ca}.pem"),
                format!("/CN=mote test {ca}"),
            );
            let mut a = vec!["req", "-x509"];
            a.extend(ec);
            a.extend(["-keyout", &key, "-out", &pem, "-days", "2", "-subj", &subj]);
            a.extend([
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign",
            ]);
            run(&a);
        }
        for (leaf, san, days) in [
            ("good", "DNS:localhost,IP:127.0.0.1", "2"),
            ("wrong", "DNS:elsewhere.example", "2"),
            ("expired", "DNS:localhost,IP:127.0.0.1", "-1"),
            ("client", "DNS:mote-client", "2"),
        ] {
            let (key, csr, pem) = (
                format!("{leaf}.key"),
                format!("{leaf}.csr"),
                format!("{leaf}.pem"),
            );
            let mut a = vec!["req"];
            a.extend(ec);
            a.extend(["-keyout", &key, "-out", &csr, "-subj", "/CN=mote test leaf"]);
            run(&a);
            let ext = format!("{leaf}.ext");
            std::fs::write(
                dir.join(&ext),
                format!("subjectAltName={san}\nbasicConstraints=CA:FALSE\n"),
            )
            .unwrap();
            run(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                days,
                "-extfile",
                &ext,
                "-out",
                &pem,
            ]);
        }
        Certs {
            dir: dir.to_path_buf(),
        }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    /// A server config presenting the leaf `name` (and, if `client_ca`,
    /// demanding a client certificate signed by that CA).
    pub fn server(&self, name: &str, client_ca: Option<&str>) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs: Vec<CertificateDer> =
            CertificateDer::pem_file_iter(self.dir.join(format!("{name}.pem")))
                .unwrap()
                .map(|c| c.unwrap())
                .collect();
        let key = PrivateKeyDer::from_pem_file(self.dir.join(format!("{name}.key"))).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let b = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let b = match client_ca {
            None => b.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for c in CertificateDer::pem_file_iter(self.dir.join(ca)).unwrap() {
                    roots.add(c.unwrap()).unwrap();
                }
                let v = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .unwrap();
                b.with_client_cert_verifier(v)
            }
        };
        Arc::new(b.with_single_cert(certs, key).unwrap())
    }
}

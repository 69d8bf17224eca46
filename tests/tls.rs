//! TLS on the wire: the real binary against the mock behind a rustls
//! terminator presenting certificates from a test CA that `openssl` makes
//! at test time. A trusted certificate works (SSL_CERT_FILE, SSL_CERT_DIR,
//! the config's network.ca_file); an unknown CA, an expired certificate and
//! a wrong name are refused at once with an error that names the problem;
//! a kept connection carries many requests over one handshake, and a new
//! connection resumes the TLS session.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and tools may panic

mod common;
#[path = "mock/mod.rs"]
mod mock;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{fresh_dir, mote_command, run, Out, HANG};
use mock::relay::{self, Certs, Relay};
use mock::{Mock, Reply};

fn certs() -> &'static Certs {
    static C: OnceLock<Certs> = OnceLock::new();
    C.get_or_init(|| Certs::make(&fresh_dir("tls", "certs")))
}

/// The mock behind a TLS terminator presenting `leaf`.
fn serve(leaf: &str, replies: Vec<Reply>) -> (Mock, Relay) {
    let m = Mock::start(replies);
    let r = relay::tls(certs().server(leaf, None), m.addr());
    (m, r)
}

fn mote(ws: &Path, r: &Relay, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut c = mote_command();
    c.current_dir(ws)
        .env(
            "OPENAI_BASE_URL",
            format!("https://127.0.0.1:{}/v1", r.addr.port()),
        )
        .env("OPENAI_API_KEY", "test-key")
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .env_remove("MOTE_MODEL")
        .args(["--model", "mock-model", "--no-session"]);
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args);
    run(&mut c, HANG, args)
}

fn ws(name: &str) -> PathBuf {
    fresh_dir("tls", name)
}

#[test]
fn a_certificate_from_a_ca_in_ssl_cert_file_is_trusted() {
    let (m, r) = serve(
        "good",
        vec![Reply::call("ls", "{}"), Reply::text("over TLS")],
    );
    let ca = certs().path("ca.pem");
    let o = mote(&ws("good"), &r, &[("SSL_CERT_FILE", &ca)], &["-p", "hi"]);
    assert_eq!((o.code, o.stdout.trim()), (0, "over TLS"), "{}", o.stderr);
    assert_eq!(m.requests().len(), 2);
    // Both requests over one kept connection: one handshake.
    assert_eq!((r.accepted(), r.handshakes()), (1, 1));
}

#[test]
fn an_unknown_ca_is_named_and_not_retried() {
    let (m, r) = serve("good", vec![Reply::text("must not be asked")]);
    let other = certs().path("other-ca.pem");
    for env in [vec![], vec![("SSL_CERT_FILE", other.as_str())]] {
        let before = r.accepted();
        let o = mote(&ws("unknown"), &r, &env, &["-p", "hi"]);
        assert_eq!(o.code, 3, "{}", o.stderr);
        assert!(
            o.stderr.contains(
                "TLS: cannot trust 127.0.0.1: its certificate was issued by an unknown CA"
            ) && o.stderr.contains("SSL_CERT_FILE"),
            "{}",
            o.stderr
        );
        assert_eq!(o.stderr.lines().count(), 1, "{}", o.stderr);
        assert_eq!(r.accepted() - before, 1, "a trust failure is not retried");
    }
    assert!(m.requests().is_empty());
}

#[test]
fn an_expired_certificate_and_a_wrong_name_are_refused() {
    let ca = certs().path("ca.pem");
    for (leaf, want) in [
        ("expired", "its certificate has expired"),
        (
            "wrong",
            "its certificate is not valid for the name `127.0.0.1`",
        ),
    ] {
        let (m, r) = serve(leaf, vec![Reply::text("must not be asked")]);
        let o = mote(&ws(leaf), &r, &[("SSL_CERT_FILE", &ca)], &["-p", "hi"]);
        assert_eq!(o.code, 3, "{leaf}: {}", o.stderr);
        assert!(o.stderr.contains(want), "{leaf}: {}", o.stderr);
        assert!(m.requests().is_empty());
        assert_eq!(r.accepted(), 1);
    }
}

#[test]
fn ssl_cert_dir_and_the_config_ca_file_add_trust_and_ca_only_drops_the_rest() {
    let (_m, r) = serve(
        "good",
        vec![Reply::text("a"), Reply::text("b"), Reply::text("c")],
    );
    // A directory with the CA among other files.
    let dir = ws("certdir");
    std::fs::copy(certs().path("ca.pem"), dir.join("ca.pem")).unwrap();
    std::fs::write(dir.join("README"), "not a certificate").unwrap();
    let d = dir.to_string_lossy().into_owned();
    let o = mote(&ws("dir"), &r, &[("SSL_CERT_DIR", &d)], &["-p", "hi"]);
    assert_eq!((o.code, o.stdout.trim()), (0, "a"), "{}", o.stderr);
    // The config's network.ca_file (a project's needs the folder's trust).
    let w = ws("cafile");
    std::fs::create_dir_all(w.join(".mote")).unwrap();
    let conf = format!(
        r#"{{"network":{{"ca_file":"{}"}}}}"#,
        certs().path("ca.pem")
    );
    std::fs::write(w.join(".mote/config.json"), conf).unwrap();
    let o = mote(&w, &r, &[], &["-p", "hi", "--trust"]);
    assert_eq!((o.code, o.stdout.trim()), (0, "b"), "{}", o.stderr);
    // ca_only with a file that is not a CA bundle: a clear error, no connection.
    let conf = format!(
        r#"{{"network":{{"ca_only":true,"ca_file":"{}"}}}}"#,
        dir.join("README").display()
    );
    std::fs::write(w.join(".mote/config.json"), conf).unwrap();
    let before = r.accepted();
    let o = mote(&w, &r, &[], &["-p", "hi", "--trust"]);
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(
        o.stderr.contains("README: no PEM certificate in it"),
        "{}",
        o.stderr
    );
    assert_eq!(r.accepted(), before);
}

#[test]
fn a_new_connection_resumes_the_tls_session() {
    let (m, r) = serve("good", vec![Reply::call("ls", "{}"), Reply::text("done")]);
    let w = ws("resume");
    std::fs::create_dir_all(w.join(".mote")).unwrap();
    std::fs::write(
        w.join(".mote/config.json"),
        r#"{"network":{"keep_alive":0}}"#,
    )
    .unwrap();
    let ca = certs().path("ca.pem");
    let o = mote(&w, &r, &[("SSL_CERT_FILE", &ca)], &["-p", "hi"]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(m.requests().len(), 2);
    assert_eq!((r.handshakes(), r.resumed()), (2, 1));
}

#[test]
fn mutual_tls_presents_the_providers_client_certificate() {
    let m = Mock::start(vec![Reply::text("mutual")]);
    let r = relay::tls(certs().server("good", Some("ca.pem")), m.addr());
    let w = ws("mtls");
    std::fs::create_dir_all(w.join(".mote")).unwrap();
    let conf = |with_cert: bool| {
        let client = if with_cert {
            format!(
                r#","client_cert":"{}","client_key":"{}""#,
                certs().path("client.pem"),
                certs().path("client.key")
            )
        } else {
            String::new()
        };
        format!(
            r#"{{"provider":"gw","network":{{"ca_file":"{}"}},"providers":{{"gw":{{"api":"openai-chat","base_url":"https://127.0.0.1:{}/v1","api_key_env":"GW_KEY","model":"m"{client}}}}}}}"#,
            certs().path("ca.pem"),
            r.addr.port()
        )
    };
    // The project's provider and CA are used in a trusted folder only.
    let run_in = |with_cert: bool| {
        std::fs::write(w.join(".mote/config.json"), conf(with_cert)).unwrap();
        let mut c = mote_command();
        c.current_dir(&w)
            .env("GW_KEY", "k")
            .env_remove("OPENAI_API_KEY")
            .env_remove("MOTE_MODEL")
            .env_remove("MOTE_PROVIDER")
            .args(["--no-session", "-p", "hi", "--retries", "0", "--trust"]);
        run(&mut c, HANG, &["mtls"])
    };
    let o = run_in(true);
    assert_eq!((o.code, o.stdout.trim()), (0, "mutual"), "{}", o.stderr);
    // Without it the server refuses the handshake and nothing is asked.
    let o = run_in(false);
    assert_ne!(o.code, 0, "{}", o.stderr);
    assert_eq!(m.requests().len(), 1);
}

//! Which HTTP proxy a request goes through: HTTPS_PROXY / HTTP_PROXY (or
//! their lower-case forms) and NO_PROXY, read the way curl and Go read them,
//! with `user:pass@` credentials turned into a Basic header value. The
//! tunnelling itself is in http.rs.

use crate::http::Url;

/// An HTTP proxy: where it is, and its Basic credentials (base64) if any.
#[derive(Debug, PartialEq)]
pub struct Proxy {
    pub host: String,
    pub port: u16,
    /// `user:pass`, base64-encoded for `Proxy-Authorization: Basic`.
    pub auth: Option<String>,
}

/// The proxy for `url` from the environment (upper or lower case names), or
/// none: NO_PROXY lists hosts and domain suffixes (`*` for all), and
/// loopback addresses never go through a proxy.
pub fn proxy_for(url: &Url, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<Proxy>, String> {
    let get = |k: &str| {
        env(k)
            .or_else(|| env(&k.to_ascii_lowercase()))
            .filter(|v| !v.trim().is_empty())
    };
    let var = if url.tls { "HTTPS_PROXY" } else { "HTTP_PROXY" };
    let Some(raw) = get(var) else { return Ok(None) };
    let host = url.host.to_ascii_lowercase();
    let loopback = host == "localhost" || host.starts_with("127.") || host == "::1";
    let exempt = get("NO_PROXY").is_some_and(|list| {
        list.split(',')
            .map(|e| e.trim().to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .any(|e| {
                let e = e
                    .split_once(':')
                    .map_or(e.as_str(), |(h, _)| h)
                    .trim_start_matches("*.")
                    .trim_start_matches('.');
                e == "*" || host == e || host.ends_with(&format!(".{e}"))
            })
    });
    if loopback || exempt {
        return Ok(None);
    }
    let bad = |why: &str| format!("${var} `{raw}`: {why}");
    let rest = match raw.trim().split_once("://") {
        Some(("http", r)) => r,
        Some((scheme, _)) => {
            return Err(bad(&format!(
                "{scheme}:// proxies are not supported; use http://"
            )))
        }
        None => raw.trim(),
    };
    let authority = rest.split('/').next().unwrap_or("");
    let (auth, hostport) = match authority.rsplit_once('@') {
        Some((cred, hp)) => (Some(crate::base64::encode(&percent_decode(cred))), hp),
        None => (None, authority),
    };
    let u = Url::parse(&format!("http://{hostport}"))
        .map_err(|_| bad("expected http://[USER:PASS@]HOST[:PORT]"))?;
    Ok(Some(Proxy {
        host: u.host,
        port: u.port,
        auth,
    }))
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_from_the_environment() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let api = Url::parse("https://api.anthropic.com/v1").unwrap();
        let p = proxy_for(
            &api,
            &env(&[("https_proxy", "http://user:p%40ss@proxy.corp:3128")]),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.auth.as_deref()),
            ("proxy.corp", 3128, Some("dXNlcjpwQHNz"))
        );
        let p = proxy_for(&api, &env(&[("HTTPS_PROXY", "proxy:8080")]))
            .unwrap()
            .unwrap();
        assert_eq!((p.host.as_str(), p.port, p.auth), ("proxy", 8080, None));
        assert_eq!(
            proxy_for(&api, &env(&[("HTTP_PROXY", "proxy:8080")])).unwrap(),
            None
        );
        for no in [
            "*",
            "anthropic.com",
            ".anthropic.com",
            "x.org, api.anthropic.com:443",
        ] {
            let vars: &'static [(&str, &str)] =
                Box::leak(Box::new([("HTTPS_PROXY", "proxy:1"), ("NO_PROXY", no)]));
            assert_eq!(proxy_for(&api, &env(vars)).unwrap(), None, "{no}");
        }
        let local = Url::parse("http://127.0.0.1:11434").unwrap();
        assert_eq!(
            proxy_for(&local, &env(&[("HTTP_PROXY", "proxy:1")])).unwrap(),
            None
        );
        assert!(proxy_for(&api, &env(&[("HTTPS_PROXY", "socks5://p:1")]))
            .unwrap_err()
            .contains("not supported"));
    }
}

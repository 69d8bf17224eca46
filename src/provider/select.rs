//! Choosing the provider: the built-in table (flag name, wire format, base
//! URL and key variables), custom providers from the config's `providers`
//! section, per-model settings from `models`, the `--model provider/id`
//! shorthand, and auto-detection from which API key is set. Keys are only
//! ever read from the environment; the config names the variable.

use std::time::Duration;

use super::cost::Prices;
use super::{Config, Thinking, TokensField, Wire};
use crate::http::Url;
use crate::json::value::Value;

mod builtins;
use builtins::{by_family, detect, no_provider, ollama_host, Builtin, BUILTINS};
pub use builtins::{default_model, env_help, names};

/// Keys a custom provider entry may have.
const PROVIDER_KEYS: &[&str] = &[
    "api",
    "base_url",
    "api_key_env",
    "headers",
    "context_window",
    "max_output_tokens",
    "extra_body",
    "model",
    "client_cert",
    "client_key",
];
/// Keys a `models` entry may have.
const MODEL_KEYS: &[&str] = &[
    "context_window",
    "max_output_tokens",
    "input_price",
    "output_price",
    "cache_read_price",
    "cache_write_price",
    "vision",
];

/// What the flags say (after environment and config fallbacks).
pub struct Wanted<'a> {
    /// "" when not given: auto-detect.
    pub provider: &'a str,
    pub model: &'a str,
    /// "" when not given.
    pub base_url: &'a str,
    pub max_tokens: u32,
    pub tokens_field: TokensField,
    pub timeout: u64,
    /// `--deadline`: seconds one response may take.
    pub deadline: u64,
    pub thinking: Thinking,
}

pub struct Selected {
    pub config: Config,
    pub prices: Option<Prices>,
    pub warnings: Vec<String>,
}

fn wire_of(api: &str) -> Option<Wire> {
    match api {
        "openai" | "openai-chat" => Some(Wire::OpenAiChat),
        "openai-responses" => Some(Wire::Responses),
        "anthropic" => Some(Wire::Anthropic),
        "gemini" => Some(Wire::Gemini),
        "ollama" => Some(Wire::Ollama),
        _ => None,
    }
}

/// Resolve the provider and model into the settings for reaching it.
pub fn select(
    w: &Wanted,
    env: &dyn Fn(&str) -> Option<String>,
    conf: Option<&Value>,
) -> Result<Selected, String> {
    let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
    let providers = conf.and_then(|c| c.get("providers"));
    let (name, mut model) = provider_and_model(w, &env, providers)?;
    let builtin = BUILTINS.iter().find(|b| b.name == name);
    let e = Entry {
        name: &name,
        custom: providers.and_then(|p| p.get(&name)),
    };
    if builtin.is_none() && e.custom.is_none() {
        return Err(format!(
            "unknown provider `{name}`: use one of {}, or define it in config.json `providers`",
            names()
        ));
    }
    let mut warnings = unknown_keys(&e)?;
    let wire = wire(&e, builtin)?;
    let base = base_url(w, builtin, &e, &env)?;
    let (key, bearer) = api_key(builtin, &e, &base, &env)?;
    client_cert(&e, &base.host)?;
    // A line break would end the auth header and start another one.
    if key
        .as_deref()
        .is_some_and(|k| k.contains(['\r', '\n', '\0']))
    {
        return Err(format!(
            "the API key for provider `{name}` contains a line break (CR or LF); remove it from the variable"
        ));
    }

    if model.is_empty() {
        model = e
            .text("model")?
            .unwrap_or_else(|| builtin.map_or("", |b| b.default_model).to_string());
    }
    if model.is_empty() {
        return Err(format!(
            "no model: pass --model ID (or {name}/ID) or set MOTE_MODEL"
        ));
    }
    let headers = headers(builtin, &e, &env)?;
    let extra_body = extra_body(&e)?;

    let m = per_model(conf, &e, &model, w.max_tokens, &mut warnings);
    let config = Config {
        wire,
        base,
        key,
        model,
        max_tokens: m.max_tokens,
        tokens_field: w.tokens_field,
        timeout: Duration::from_secs(w.timeout),
        deadline: Duration::from_secs(w.deadline),
        reasoning_object: builtin.is_some_and(|b| b.reasoning_object),
        name,
        headers,
        extra_body,
        context_window: m.context_window,
        thinking: w.thinking,
        bearer,
        vision: m.vision.unwrap_or(true),
        schema: None,
    };
    Ok(Selected {
        config,
        prices: m.prices,
        warnings,
    })
}

/// Warnings for keys of a provider entry this mote does not know; an error
/// when the entry is not an object.
fn unknown_keys(e: &Entry) -> Result<Vec<String>, String> {
    let name = e.name;
    match e.custom {
        None => Ok(Vec::new()),
        Some(Value::Obj(obj)) => Ok(obj
            .iter()
            .filter(|(k, _)| !PROVIDER_KEYS.contains(&k.as_str()))
            .map(|(k, _)| format!("config: providers.{name}: unknown key `{k}` ignored"))
            .collect()),
        Some(_) => Err(format!("config: providers.{name} must be an object")),
    }
}

/// The wire format: the entry's `api`, or the built-in provider's.
fn wire(e: &Entry, builtin: Option<&Builtin>) -> Result<Wire, String> {
    let name = e.name;
    match e.text("api")? {
        Some(api) => wire_of(&api).ok_or_else(|| {
            format!("config: providers.{name}.api: expected openai-chat, openai-responses, anthropic, gemini or ollama, got `{api}`")
        }),
        None => builtin.map(|b| b.wire).ok_or_else(|| format!("config: providers.{name} needs `api`")),
    }
}

/// Mutual TLS: the certificate this provider's host may ask for.
fn client_cert(e: &Entry, host: &str) -> Result<(), String> {
    match (e.text("client_cert")?, e.text("client_key")?) {
        (Some(cert), Some(key)) => crate::tls::add_client(host, &cert, &key),
        (None, None) => Ok(()),
        _ => Err(format!(
            "config: providers.{} needs both `client_cert` and `client_key`",
            e.name
        )),
    }
}

/// `extra_body`: an object merged into each request, as JSON text.
fn extra_body(e: &Entry) -> Result<Option<String>, String> {
    match e.field("extra_body") {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Obj(_)) => Ok(Some(v.to_json())),
        Some(_) => Err(format!(
            "config: providers.{}.extra_body must be an object",
            e.name
        )),
    }
}

/// A model's settings from `models` (by "provider/id" or "id"), over the provider entry's.
struct ModelSettings {
    context_window: Option<u64>,
    max_tokens: u32,
    prices: Option<Prices>,
    vision: Option<bool>,
}

fn per_model(
    conf: Option<&Value>,
    e: &Entry,
    model: &str,
    max_tokens: u32,
    warnings: &mut Vec<String>,
) -> ModelSettings {
    let name = e.name;
    let models = conf.and_then(|c| c.get("models"));
    let m = models.and_then(|ms| ms.get(&format!("{name}/{model}")).or_else(|| ms.get(model)));
    if let Some(obj) = m.and_then(Value::as_object) {
        for (k, _) in obj {
            if !MODEL_KEYS.contains(&k.as_str()) {
                warnings.push(format!("config: models.{model}: unknown key `{k}` ignored"));
            }
        }
    }
    let num = |k: &str| {
        m.and_then(|m| m.get(k))
            .or_else(|| e.field(k))
            .and_then(Value::as_u64)
    };
    ModelSettings {
        context_window: num("context_window"),
        max_tokens: match num("max_output_tokens") {
            Some(cap) if cap > 0 => max_tokens.min(cap.min(u32::MAX as u64) as u32),
            _ => max_tokens,
        },
        prices: m.and_then(Prices::from_config),
        vision: m.and_then(|m| m.get("vision")).and_then(Value::as_bool),
    }
}

/// A provider's entry in the config's `providers`, if it has one.
struct Entry<'a> {
    name: &'a str,
    custom: Option<&'a Value>,
}

impl Entry<'_> {
    fn field(&self, k: &str) -> Option<&Value> {
        self.custom.and_then(|c| c.get(k))
    }

    fn text(&self, k: &str) -> Result<Option<String>, String> {
        match self.field(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!(
                "config: providers.{}.{k} must be a string",
                self.name
            )),
        }
    }
}

/// The provider (given, or the model's prefix, or whichever key is set)
/// and the model id as that provider names it ("" when not given).
fn provider_and_model(
    w: &Wanted,
    env: &dyn Fn(&str) -> Option<String>,
    providers: Option<&Value>,
) -> Result<(String, String), String> {
    let known = |name: &str| {
        BUILTINS.iter().any(|b| b.name == name) || providers.and_then(|p| p.get(name)).is_some()
    };
    let mut model = w.model.to_string();
    let mut name = w.provider.to_string();
    if let Some((prefix, rest)) = w.model.split_once('/') {
        // `anthropic/claude-x` with only an OpenRouter key is an OpenRouter model id.
        let has_key = |b: &Builtin| b.keys.iter().any(|k| env(k).is_some());
        let keyless = BUILTINS
            .iter()
            .find(|b| b.name == prefix)
            .is_some_and(|b| !b.keys.is_empty() && !has_key(b));
        let routed = keyless && BUILTINS.iter().any(|b| b.router && has_key(b));
        let router = BUILTINS.iter().any(|b| b.router && b.name == name);
        if name.is_empty() && known(prefix) && !rest.is_empty() && !routed {
            name = prefix.to_string();
            model = rest.to_string();
        } else if name == prefix && !router && !rest.is_empty() {
            model = rest.to_string();
        }
    }
    if name.is_empty() {
        // A base URL alone means an OpenAI-compatible server that may need no key.
        let local = (!w.base_url.is_empty()).then(|| "openai".to_string());
        name = by_family(&model, env)
            .or_else(|| detect(env))
            .or(local)
            .ok_or_else(no_provider)?;
    }
    Ok((name, model))
}

/// Base URL: flag, then the built-in's variable, then config, then default.
fn base_url(
    w: &Wanted,
    builtin: Option<&Builtin>,
    e: &Entry,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Url, String> {
    let base = if !w.base_url.is_empty() {
        w.base_url.to_string()
    } else if let Some((b, v)) = builtin.and_then(|b| Some((b, env(b.base_env)?))) {
        if b.base_is_host {
            ollama_host(&v)
        } else {
            v
        }
    } else if let Some(u) = e.text("base_url")? {
        u
    } else if let Some(b) = builtin {
        b.base.to_string()
    } else {
        return Err(format!("config: providers.{} needs `base_url`", e.name));
    };
    let from = builtin.map_or(String::new(), |b| format!(" (from ${})", b.base_env));
    Url::parse(&base).map_err(|e| format!("{e}{from}"))
}

/// Key: the config's variable, else the built-in's; and whether it goes
/// as a bearer token.
fn api_key(
    builtin: Option<&Builtin>,
    e: &Entry,
    base: &Url,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Option<String>, bool), String> {
    let name = e.name;
    if let Some(var) = e.text("api_key_env")? {
        let key =
            env(&var).ok_or_else(|| format!("provider `{name}`: set ${var} (its api_key_env)"))?;
        return Ok((Some(key), false));
    }
    let keys = builtin.map_or(&[][..], |b| b.keys);
    let found = keys.iter().find_map(|k| env(k).map(|v| (*k, v)));
    let bearer = found
        .as_ref()
        .is_some_and(|(k, _)| builtin.is_some_and(|b| b.bearer_key == *k));
    // The provider's own service needs a key; a compatible server may not.
    let needed = builtin.is_some_and(|b| {
        !b.keys.is_empty() && Url::parse(b.base).is_ok_and(|u| u.host == base.host)
    });
    if found.is_none() && needed {
        return Err(format!(
            "{} is not set (needed for --provider {name})",
            keys.join(" or ")
        ));
    }
    Ok((found.map(|(_, v)| v), bearer))
}

/// Headers: the built-in's (attribution), then the config's, with ${VAR} expanded.
fn headers(
    builtin: Option<&Builtin>,
    e: &Entry,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, String> {
    let name = e.name;
    let mut headers: Vec<(String, String)> = builtin
        .map_or(&[][..], |b| b.headers)
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(h) = e.field("headers") {
        let obj = h
            .as_object()
            .ok_or_else(|| format!("config: providers.{name}.headers must be an object"))?;
        for (k, v) in obj {
            let v = v
                .as_str()
                .ok_or_else(|| format!("config: providers.{name}.headers.{k} must be a string"))?;
            if k.is_empty()
                || k.bytes()
                    .any(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            {
                return Err(format!(
                    "config: providers.{name}.headers: bad header name `{k}`"
                ));
            }
            let v =
                expand(v, env).map_err(|e| format!("config: providers.{name}.headers.{k}: {e}"))?;
            headers.push((k.clone(), v));
        }
    }
    Ok(headers)
}

/// Expand `${VAR}` from the environment; an unset variable is an error.
fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find('}').ok_or("unclosed ${")?;
        let var = &after[..end];
        out.push_str(&env(var).ok_or_else(|| format!("${{{var}}} is not set"))?);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;

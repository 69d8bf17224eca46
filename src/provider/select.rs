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

struct Builtin {
    name: &'static str,
    wire: Wire,
    /// Environment variable overriding the base URL.
    base_env: &'static str,
    base: &'static str,
    /// Key variables, in order of preference; required when the base URL
    /// is the default one's host.
    keys: &'static [&'static str],
    default_model: &'static str,
    /// Auto-detection (in table order) picks this provider when one of its
    /// keys is set (or, `base_too`, its base URL variable).
    detect: bool,
    base_too: bool,
    /// Model ids carry a provider prefix (`anthropic/claude-x`) that stays in the id.
    router: bool,
    /// Sent with every request (attribution).
    headers: &'static [(&'static str, &'static str)],
    /// Model id families that pick this provider when none is given and its
    /// key is set (`--model claude-sonnet-4-5` goes to Anthropic).
    families: &'static [&'static str],
}

const fn builtin(
    name: &'static str,
    wire: Wire,
    base_env: &'static str,
    base: &'static str,
    keys: &'static [&'static str],
) -> Builtin {
    Builtin {
        name,
        wire,
        base_env,
        base,
        keys,
        default_model: "",
        detect: true,
        base_too: false,
        router: false,
        headers: &[],
        families: &[],
    }
}

/// The built-in providers, the one source of their names (`--provider`,
/// `--help`, errors), variables, detection order and defaults.
const BUILTINS: &[Builtin] = &[
    Builtin {
        base_too: true,
        families: &["gpt-", "o1", "o3", "o4"],
        ..builtin(
            "openai",
            Wire::OpenAiChat,
            "OPENAI_BASE_URL",
            "https://api.openai.com/v1",
            &["OPENAI_API_KEY"],
        )
    },
    Builtin {
        detect: false,
        ..builtin(
            "openai-responses",
            Wire::Responses,
            "OPENAI_BASE_URL",
            "https://api.openai.com/v1",
            &["OPENAI_API_KEY"],
        )
    },
    Builtin {
        default_model: "claude-sonnet-4-5",
        families: &["claude-"],
        ..builtin(
            "anthropic",
            Wire::Anthropic,
            "ANTHROPIC_BASE_URL",
            "https://api.anthropic.com",
            &["ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN"],
        )
    },
    Builtin {
        default_model: "gemini-2.5-flash",
        families: &["gemini-"],
        ..builtin(
            "gemini",
            Wire::Gemini,
            "GEMINI_BASE_URL",
            "https://generativelanguage.googleapis.com",
            &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        )
    },
    Builtin {
        router: true,
        headers: &[
            ("HTTP-Referer", "https://github.com/mote-agent/mote"),
            ("X-Title", "mote"),
        ],
        ..builtin(
            "openrouter",
            Wire::OpenAiChat,
            "OPENROUTER_BASE_URL",
            "https://openrouter.ai/api/v1",
            &["OPENROUTER_API_KEY"],
        )
    },
    Builtin {
        detect: false,
        ..builtin(
            "ollama",
            Wire::Ollama,
            "OLLAMA_HOST",
            "http://127.0.0.1:11434",
            &[],
        )
    },
];

/// The names `--provider` accepts without a config entry, comma-separated.
pub fn names() -> String {
    let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
    names.join(", ")
}

/// The model a built-in provider uses when none is named, if it has one.
pub fn default_model(provider: &str) -> Option<&'static str> {
    let b = BUILTINS.iter().find(|b| b.name == provider)?;
    Some(b.default_model).filter(|m| !m.is_empty())
}

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
    let entry = |name: &str| providers.and_then(|p| p.get(name));
    let known = |name: &str| BUILTINS.iter().any(|b| b.name == name) || entry(name).is_some();
    let mut warnings = Vec::new();

    // The provider: given, or the model's prefix, or whichever key is set.
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
        name = by_family(&model, &env)
            .or_else(|| detect(&env))
            .or(local)
            .ok_or_else(no_provider)?;
    }
    let builtin = BUILTINS.iter().find(|b| b.name == name);
    let custom = entry(&name);
    if builtin.is_none() && custom.is_none() {
        return Err(format!(
            "unknown provider `{name}`: use one of {}, or define it in config.json `providers`",
            names()
        ));
    }
    let field = |k: &str| custom.and_then(|c| c.get(k));
    let text = |k: &str| -> Result<Option<String>, String> {
        match field(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("config: providers.{name}.{k} must be a string")),
        }
    };
    if let Some(obj) = custom.and_then(Value::as_object) {
        for (k, _) in obj {
            if !PROVIDER_KEYS.contains(&k.as_str()) {
                warnings.push(format!(
                    "config: providers.{name}: unknown key `{k}` ignored"
                ));
            }
        }
    } else if custom.is_some() {
        return Err(format!("config: providers.{name} must be an object"));
    }

    let wire = match text("api")? {
        Some(api) => wire_of(&api).ok_or_else(|| {
            format!("config: providers.{name}.api: expected openai-chat, openai-responses, anthropic, gemini or ollama, got `{api}`")
        })?,
        None => builtin.map(|b| b.wire).ok_or_else(|| format!("config: providers.{name} needs `api`"))?,
    };

    // Base URL: flag, then the built-in's variable, then config, then default.
    let base = if !w.base_url.is_empty() {
        w.base_url.to_string()
    } else if let Some(v) = builtin.and_then(|b| env(b.base_env)) {
        if builtin.is_some_and(|b| b.wire == Wire::Ollama) {
            ollama_host(&v)
        } else {
            v
        }
    } else if let Some(u) = text("base_url")? {
        u
    } else if let Some(b) = builtin {
        b.base.to_string()
    } else {
        return Err(format!("config: providers.{name} needs `base_url`"));
    };
    let from = builtin.map_or(String::new(), |b| format!(" (from ${})", b.base_env));
    let base = Url::parse(&base).map_err(|e| format!("{e}{from}"))?;

    // Key: the config's variable, else the built-in's.
    let mut bearer = false;
    let key = match text("api_key_env")? {
        Some(var) => Some(
            env(&var).ok_or_else(|| format!("provider `{name}`: set ${var} (its api_key_env)"))?,
        ),
        None => {
            let keys = builtin.map_or(&[][..], |b| b.keys);
            let found = keys.iter().find_map(|k| env(k).map(|v| (*k, v)));
            bearer = found
                .as_ref()
                .is_some_and(|(k, _)| *k == "ANTHROPIC_AUTH_TOKEN");
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
            found.map(|(_, v)| v)
        }
    };
    // Mutual TLS: the certificate this provider's host may ask for.
    match (text("client_cert")?, text("client_key")?) {
        (Some(cert), Some(key)) => crate::tls::add_client(&base.host, &cert, &key)?,
        (None, None) => {}
        _ => {
            return Err(format!(
                "config: providers.{name} needs both `client_cert` and `client_key`"
            ))
        }
    }
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
        model =
            text("model")?.unwrap_or_else(|| builtin.map_or("", |b| b.default_model).to_string());
    }
    if model.is_empty() {
        return Err(format!(
            "no model: pass --model ID (or {name}/ID) or set MOTE_MODEL"
        ));
    }

    // Headers: attribution for OpenRouter, then the config's, with ${VAR} expanded.
    let mut headers: Vec<(String, String)> = builtin
        .map_or(&[][..], |b| b.headers)
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Some(h) = field("headers") {
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
            let v = expand(v, &env)
                .map_err(|e| format!("config: providers.{name}.headers.{k}: {e}"))?;
            headers.push((k.clone(), v));
        }
    }
    let extra_body = match field("extra_body") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Obj(_)) => Some(v.to_json()),
        Some(_) => {
            return Err(format!(
                "config: providers.{name}.extra_body must be an object"
            ))
        }
    };

    // Per-model settings: `models` by "provider/id" or "id", over the provider's.
    let models = conf.and_then(|c| c.get("models"));
    let m = models.and_then(|ms| {
        ms.get(&format!("{name}/{model}"))
            .or_else(|| ms.get(&model))
    });
    if let Some(obj) = m.and_then(Value::as_object) {
        for (k, _) in obj {
            if !MODEL_KEYS.contains(&k.as_str()) {
                warnings.push(format!("config: models.{model}: unknown key `{k}` ignored"));
            }
        }
    }
    let num = |k: &str| {
        m.and_then(|m| m.get(k))
            .or_else(|| field(k))
            .and_then(Value::as_u64)
    };
    let context_window = num("context_window");
    let max_tokens = match num("max_output_tokens") {
        Some(cap) if cap > 0 => w.max_tokens.min(cap.min(u32::MAX as u64) as u32),
        _ => w.max_tokens,
    };
    let prices = m.and_then(Prices::from_config);
    let vision = m.and_then(|m| m.get("vision")).and_then(Value::as_bool);

    let config = Config {
        wire,
        base,
        key,
        model,
        max_tokens,
        tokens_field: w.tokens_field,
        timeout: Duration::from_secs(w.timeout),
        deadline: Duration::from_secs(w.deadline),
        name,
        headers,
        extra_body,
        context_window,
        thinking: w.thinking,
        bearer,
        vision: vision.unwrap_or(true),
        schema: None,
    };
    Ok(Selected {
        config,
        prices,
        warnings,
    })
}

/// The provider a well-known model id belongs to, when its key is set.
fn by_family(model: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let b = BUILTINS.iter().find(|b| {
        b.families.iter().any(|f| super::in_family(model, f))
            && b.keys.iter().any(|k| env(k).is_some())
    })?;
    Some(b.name.to_string())
}

/// The first provider in table order whose key (or base URL variable) is set.
fn detect(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let set = |b: &Builtin| {
        b.keys.iter().any(|k| env(k).is_some()) || (b.base_too && env(b.base_env).is_some())
    };
    let b = BUILTINS.iter().find(|b| b.detect && set(b))?;
    Some(b.name.to_string())
}

/// The `--help` lines on the providers' variables and auto-detection.
pub fn env_help() -> String {
    let mut s = String::from("\nEnvironment, by provider (keys, then the base URL):\n");
    // One line per set of variables (openai-responses shares openai's).
    for (i, b) in BUILTINS.iter().enumerate() {
        if BUILTINS
            .get(..i)
            .is_some_and(|e| e.iter().any(|e| e.base_env == b.base_env))
        {
            continue;
        }
        let keys = match b.keys {
            [] => String::new(),
            k => format!("{}, ", k.join(" or ")),
        };
        s.push_str(&format!("  {:<12} {keys}{}\n", b.name, b.base_env));
    }
    let order: Vec<&str> = BUILTINS
        .iter()
        .filter(|b| b.detect)
        .map(|b| b.name)
        .collect();
    s.push_str(&format!(
        "With no --provider, the first whose key is set, in this order: {}.\n",
        order.join(", ")
    ));
    let defaults: Vec<String> = BUILTINS
        .iter()
        .filter(|b| !b.default_model.is_empty())
        .map(|b| format!("{} {}", b.name, b.default_model))
        .collect();
    s.push_str(&format!(
        "Default models: {}; the others need --model.\n",
        defaults.join(", ")
    ));
    s
}

/// No provider given and none detected: every key that would pick one.
fn no_provider() -> String {
    let keys: Vec<&str> = BUILTINS
        .iter()
        .filter(|b| b.detect)
        .flat_map(|b| b.keys.iter().copied())
        .collect();
    let (first, rest) = keys.split_first().map_or(("", &[][..]), |(f, r)| (*f, r));
    let (last, mid) = rest.split_last().map_or(("", &[][..]), |(l, m)| (*l, m));
    format!(
        "no provider: {first} is not set, nor {} or {last}; set one, or pass --provider ollama \
         for a local model, or --provider NAME for one in config.json `providers`",
        mid.join(", ")
    )
}

/// OLLAMA_HOST as Ollama reads it: scheme and port optional.
fn ollama_host(v: &str) -> String {
    let v = v.trim().trim_end_matches('/');
    let with_scheme = if v.contains("://") {
        v.to_string()
    } else {
        format!("http://{v}")
    };
    let authority = with_scheme.split("://").nth(1).unwrap_or("");
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
        && !authority.ends_with(']');
    if has_port || authority.contains('/') {
        with_scheme
    } else {
        format!("{with_scheme}:11434")
    }
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
mod tests {
    use super::*;

    fn want<'a>(provider: &'a str, model: &'a str) -> Wanted<'a> {
        Wanted {
            provider,
            model,
            base_url: "",
            max_tokens: 8192,
            tokens_field: TokensField::Auto,
            timeout: 60,
            deadline: 600,
            thinking: Thinking::Off,
        }
    }

    fn sel(w: &Wanted, env: &[(&str, &str)], conf: &str) -> Result<Selected, String> {
        let env = |k: &str| {
            env.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        let conf = crate::json::value::parse(conf).unwrap();
        select(w, &env, Some(&conf))
    }

    #[test]
    fn the_table_drives_detection_errors_and_help() {
        let help = env_help();
        let err = no_provider();
        for b in BUILTINS.iter().filter(|b| b.detect) {
            for k in b.keys {
                let s = sel(&want("", "m"), &[(k, "x")], "{}").unwrap().config;
                assert_eq!(s.name, b.name, "{k}");
                assert!(err.contains(k) && help.contains(k), "{k}");
            }
        }
        assert!(names().split(", ").eq(BUILTINS.iter().map(|b| b.name)));
        assert!(crate::cli::help().contains(&names()));
    }

    #[test]
    fn a_well_known_model_id_picks_its_provider_when_its_key_is_set() {
        let all = [
            ("OPENAI_API_KEY", "k"),
            ("ANTHROPIC_API_KEY", "k"),
            ("GEMINI_API_KEY", "k"),
        ];
        let name = |model: &str, env: &[(&str, &str)]| {
            sel(&want("", model), env, "{}").unwrap().config.name
        };
        for (model, want) in [
            ("claude-sonnet-4-5", "anthropic"),
            ("gemini-2.5-pro", "gemini"),
            ("gpt-5", "openai"),
            ("o3", "openai"),
            ("o4-mini", "openai"),
            // Not a family: table order decides.
            ("o30", "openai"),
            ("llama3", "openai"),
        ] {
            assert_eq!(name(model, &all), want, "{model}");
        }
        // Without that provider's key, detection goes on as before.
        assert_eq!(name("claude-sonnet-4-5", &all[..1]), "openai");
        // A given provider wins.
        let s = sel(&want("openai", "claude-x"), &all, "{}").unwrap();
        assert_eq!(s.config.name, "openai");
    }

    #[test]
    fn shorthand_detection_and_clear_errors() {
        let s = sel(
            &want("", "anthropic/claude-x"),
            &[("ANTHROPIC_API_KEY", "k")],
            "{}",
        )
        .unwrap()
        .config;
        assert_eq!(
            (s.name.as_str(), s.model.as_str(), s.wire),
            ("anthropic", "claude-x", Wire::Anthropic)
        );
        assert_eq!(s.base.host, "api.anthropic.com");
        // OpenRouter model ids keep their slash.
        let s = sel(
            &want("openrouter", "anthropic/claude-x"),
            &[("OPENROUTER_API_KEY", "k")],
            "{}",
        )
        .unwrap()
        .config;
        assert_eq!(s.model, "anthropic/claude-x");
        assert!(s.headers.iter().any(|(k, v)| k == "X-Title" && v == "mote"));
        let s = sel(&want("", ""), &[("ANTHROPIC_AUTH_TOKEN", "t")], "{}")
            .unwrap()
            .config;
        assert!(s.bearer && s.model == "claude-sonnet-4-5");
        let e = sel(&want("", "m"), &[], "{}").err().unwrap();
        assert!(
            e.contains("OPENAI_API_KEY is not set") && e.contains("--provider ollama"),
            "{e}"
        );
        let e = sel(&want("anthropic", ""), &[], "{}").err().unwrap();
        assert!(
            e.starts_with("ANTHROPIC_API_KEY or ANTHROPIC_AUTH_TOKEN is not set"),
            "{e}"
        );
        let e = sel(&want("nope", "m"), &[], "{}").err().unwrap();
        assert!(e.starts_with("unknown provider `nope`"), "{e}");
        let s = sel(
            &want("ollama", "qwen3"),
            &[("OLLAMA_HOST", "0.0.0.0")],
            "{}",
        )
        .unwrap()
        .config;
        assert_eq!((s.base.host.as_str(), s.base.port), ("0.0.0.0", 11434));
    }

    #[test]
    fn custom_providers_and_models_from_config() {
        let conf = r#"{"providers":{"gw":{"api":"anthropic","base_url":"http://127.0.0.1:9/gw","api_key_env":"GW_KEY",
            "headers":{"X-Org":"team-${TEAM}"},"extra_body":{"metadata":{"user_id":"u"}},"max_output_tokens":1000,"colour":1}},
            "models":{"big":{"context_window":200000,"input_price":3,"output_price":15}}}"#;
        let env = [("GW_KEY", "secret"), ("TEAM", "a")];
        let s = sel(&want("", "gw/big"), &env, conf).unwrap();
        let c = &s.config;
        assert_eq!(
            (c.wire, c.key.as_deref(), c.max_tokens, c.context_window),
            (Wire::Anthropic, Some("secret"), 1000, Some(200000))
        );
        assert_eq!(c.headers, vec![("X-Org".to_string(), "team-a".to_string())]);
        assert_eq!(
            c.extra_body.as_deref(),
            Some(r#"{"metadata":{"user_id":"u"}}"#)
        );
        assert_eq!(s.prices.map(|p| p.output), Some(15.0));
        assert_eq!(
            s.warnings,
            vec!["config: providers.gw: unknown key `colour` ignored".to_string()]
        );
        let e = sel(&want("gw", "big"), &[], conf).err().unwrap();
        assert_eq!(e, "provider `gw`: set $GW_KEY (its api_key_env)");
        let e = sel(&want("gw", "big"), &[("GW_KEY", "k")], conf)
            .err()
            .unwrap();
        assert!(e.contains("${TEAM} is not set"), "{e}");
    }
}

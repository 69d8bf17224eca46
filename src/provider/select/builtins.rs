//! The built-in providers' table (`BUILTINS`) and what is derived from it
//! alone: the names `--provider` accepts, default models, auto-detection
//! by key or model family, the `--help` lines and the no-provider error.

use crate::provider::Wire;

pub(super) struct Builtin {
    pub(super) name: &'static str,
    pub(super) wire: Wire,
    /// Environment variable overriding the base URL.
    pub(super) base_env: &'static str,
    pub(super) base: &'static str,
    /// Key variables, in order of preference; required when the base URL
    /// is the default one's host.
    pub(super) keys: &'static [&'static str],
    pub(super) default_model: &'static str,
    /// Auto-detection (in table order) picks this provider when one of its
    /// keys is set (or, `base_too`, its base URL variable).
    pub(super) detect: bool,
    pub(super) base_too: bool,
    /// Model ids carry a provider prefix (`anthropic/claude-x`) that stays in the id.
    pub(super) router: bool,
    /// The key variable whose value is sent as `Authorization: Bearer`.
    pub(super) bearer_key: &'static str,
    /// The base URL variable may be a bare host or host:port (OLLAMA_HOST).
    pub(super) base_is_host: bool,
    /// Reasoning effort goes as `"reasoning":{"effort":..}` (OpenRouter's
    /// normalised form), not OpenAI's flat `reasoning_effort`.
    pub(super) reasoning_object: bool,
    /// Sent with every request (attribution).
    pub(super) headers: &'static [(&'static str, &'static str)],
    /// Model id families that pick this provider when none is given and its
    /// key is set (`--model claude-sonnet-4-5` goes to Anthropic).
    pub(super) families: &'static [&'static str],
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
        bearer_key: "",
        base_is_host: false,
        reasoning_object: false,
        headers: &[],
        families: &[],
    }
}

/// The built-in providers, the one source of their names (`--provider`,
/// `--help`, errors), variables, detection order and defaults.
pub(super) const BUILTINS: &[Builtin] = &[
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
        bearer_key: "ANTHROPIC_AUTH_TOKEN",
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
        reasoning_object: true,
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
        base_is_host: true,
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

/// The provider a well-known model id belongs to, when its key is set.
pub(super) fn by_family(model: &str, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let b = BUILTINS.iter().find(|b| {
        b.families
            .iter()
            .any(|f| crate::provider::in_family(model, f))
            && b.keys.iter().any(|k| env(k).is_some())
    })?;
    Some(b.name.to_string())
}

/// The first provider in table order whose key (or base URL variable) is set.
pub(super) fn detect(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
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
pub(super) fn no_provider() -> String {
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
pub(super) fn ollama_host(v: &str) -> String {
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

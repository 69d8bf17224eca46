//! Tests of provider selection: the table, detection, shorthand, config entries.

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
    let name =
        |model: &str, env: &[(&str, &str)]| sel(&want("", model), env, "{}").unwrap().config.name;
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

//! Config files: the user's `$XDG_CONFIG_HOME/mote/config.json` (else
//! `~/.config/mote/config.json`), with a project's `.mote/config.json`
//! merged on top. This file owns finding, parsing and merging them, and the
//! table of known top-level keys; each feature reads its own section.
//! Keys (secrets) never come from here: files name environment variables.

use std::path::{Path, PathBuf};

use crate::json::value::{self, Value};

/// Top-level keys mote understands; anything else gets a warning.
pub const KNOWN_KEYS: &[&str] = &[
    "provider",
    "model",
    "thinking",
    "providers",
    "models",
    "permission",
    "permissions",
    "sandbox",
    "mcpServers",
    "network",
    "subagents",
    "hooks",
    "worktree_dir",
];

pub struct Config {
    /// User config with the project config merged on top (an object).
    pub value: Value,
    /// One line each, shown on stderr: unknown keys and the like.
    pub warnings: Vec<String>,
    /// Which file set each top-level key (the last one that did).
    sources: Vec<(String, PathBuf)>,
    /// Each file's `hooks` object, user first (never merged: all run).
    hooks: Vec<(PathBuf, Value)>,
    /// The project's config file (`.mote/config.json` of the folder).
    project: PathBuf,
    /// What the project file sets that loosens the gate, starts programs
    /// or sends the user's keys elsewhere (`hold`): merged only by `admit`,
    /// once the folder is trusted.
    held: Option<(PathBuf, Value)>,
}

/// The user's config directory (`.../mote`).
pub fn user_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let base = match env("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(x) => PathBuf::from(x),
        None => PathBuf::from(env("HOME").filter(|v| !v.is_empty())?).join(".config"),
    };
    Some(base.join("mote"))
}

/// mote's state directory: `$XDG_STATE_HOME/mote`, else `~/.local/state/mote`.
pub fn state_dir() -> Option<PathBuf> {
    let state = match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/state")
        }
    };
    Some(state.join("mote"))
}

/// Load and merge the config files that exist. A missing file is fine; a
/// broken one is an error naming the file, line and column.
pub fn load(workspace: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, String> {
    let mut cfg = Config {
        value: Value::Obj(Vec::new()),
        warnings: Vec::new(),
        sources: Vec::new(),
        hooks: Vec::new(),
        project: workspace.join(".mote/config.json"),
        held: None,
    };
    let user = user_dir(env).map(|d| d.join("config.json"));
    let project = cfg.project.clone();
    for path in user.iter().chain(std::iter::once(&project)) {
        if let Some(mut v) = read(path)? {
            if let Value::Obj(m) = &mut v {
                if let Some(i) = m.iter().position(|(k, _)| k == "hooks") {
                    let (_, h) = m.remove(i);
                    cfg.hooks.push((path.clone(), h));
                }
                if *path == project {
                    cfg.held = hold(m, &cfg.value).map(|h| (path.clone(), h));
                }
            }
            for (k, _) in v.as_object().unwrap_or(&[]) {
                if !KNOWN_KEYS.contains(&k.as_str()) {
                    cfg.warnings
                        .push(format!("{}: unknown key `{k}` ignored", path.display()));
                }
                cfg.sources.retain(|(sk, _)| sk != k);
                cfg.sources.push((k.clone(), path.clone()));
            }
            merge(&mut cfg.value, v);
        }
    }
    Ok(cfg)
}

/// Project keys held back whole: they start programs (`mcpServers`),
/// choose where `--worktree` writes a checkout, or where the user's keys,
/// headers and code go (`providers`: a base URL, a key variable, headers
/// expanding any variable, extra body fields).
const HELD: &[&str] = &["mcpServers", "worktree_dir", "providers"];
/// Project members held back from an object key: allow rules, and a CA
/// the TLS layer would trust for every host.
const HELD_MEMBERS: &[(&str, &str)] = &[("permissions", "allow"), ("network", "ca_file")];

/// Take out of a project config what needs the folder's trust
/// (src/trust.rs): the `HELD` keys and `HELD_MEMBERS`, the `provider` it
/// defines itself, and a `permission` or `sandbox` looser than `user` (the
/// user's config, else the flag's default) gives. Tightening needs no trust.
fn hold(m: &mut Vec<(String, Value)>, user: &Value) -> Option<Value> {
    use crate::permission::Permission;
    use crate::sandbox::Mode;
    let own = |name: &str| {
        m.iter()
            .any(|(k, v)| k == "providers" && v.get(name).is_some())
    };
    let user_str = |k: &str| user.get(k).and_then(Value::as_str);
    let user_perm = user_str("permission").and_then(|p| p.parse().ok());
    let user_box = user_str("sandbox").and_then(Mode::parse);
    let loosens = |k: &str, v: &Value| match (k, v.as_str()) {
        _ if HELD.contains(&k) => true,
        ("provider", Some(p)) => own(p),
        ("permission", Some(p)) => p
            .parse::<Permission>()
            .is_ok_and(|p| p > user_perm.unwrap_or(Permission::Standard)),
        ("sandbox", Some(s)) => {
            Mode::parse(s).is_some_and(|s| s.confines() < user_box.unwrap_or(Mode::Off).confines())
        }
        _ => false,
    };
    let marks: Vec<bool> = m.iter().map(|(k, v)| loosens(k, v)).collect();
    let mut held = Vec::new();
    let mut i = 0;
    for mark in marks {
        if mark {
            held.push(m.remove(i));
        } else {
            i += 1;
        }
    }
    for (key, member) in HELD_MEMBERS {
        if let Some((_, Value::Obj(r))) = m.iter_mut().find(|(k, _)| k == key) {
            if let Some(i) = r.iter().position(|(k, _)| k == member) {
                held.push((key.to_string(), Value::Obj(vec![r.remove(i)])));
            }
        }
    }
    (!held.is_empty()).then_some(Value::Obj(held))
}

fn read(path: &Path) -> Result<Option<Value>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let v = value::parse(&text).map_err(|e| {
        let (line, col) = value::line_col(&text, e.offset);
        format!("{}:{line}:{col}: {}", path.display(), e.msg)
    })?;
    if v.as_object().is_none() {
        return Err(format!(
            "{}: the config must be a JSON object",
            path.display()
        ));
    }
    Ok(Some(v))
}

/// Merge `over` into `base`: objects member by member, anything else replaced.
pub fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Obj(b), Value::Obj(o)) => {
            for (k, v) in o {
                match b.iter_mut().find(|(bk, _)| *bk == k) {
                    Some((_, bv)) => merge(bv, v),
                    None => b.push((k, v)),
                }
            }
        }
        (b, o) => *b = o,
    }
}

impl Config {
    /// A `config: `key...` ...` error with `config` replaced by the file
    /// that set that key, so every config error names its file.
    pub fn locate(&self, msg: &str) -> String {
        let Some(rest) = msg.strip_prefix("config: ") else {
            return msg.to_string();
        };
        let key: String = rest
            .trim_start_matches('`')
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        match self.sources.iter().find(|(k, _)| *k == key) {
            Some((_, path)) => format!("{}: {rest}", path.display()),
            None => msg.to_string(),
        }
    }

    /// The `hooks` objects of the user's and the project's config.json,
    /// with whether each came from the project (src/hooks/).
    pub fn hooks(&self) -> impl Iterator<Item = (&PathBuf, &Value, bool)> {
        self.hooks.iter().map(|(p, v)| (p, v, *p == self.project))
    }

    /// The project's config file (`.mote/config.json` of the folder mote
    /// started in), whether it exists or not.
    pub fn project_file(&self) -> &Path {
        &self.project
    }

    /// What the project's config.json would loosen, for the trust
    /// question (`mcpServers, permissions.allow in FILE`), if anything.
    pub fn held(&self) -> Option<String> {
        let (path, v) = self.held.as_ref()?;
        let keys: Vec<String> = v
            .as_object()?
            .iter()
            .map(
                |(k, v)| match (HELD_MEMBERS.iter().any(|(h, _)| h == k), v) {
                    (true, Value::Obj(sub)) => {
                        let names: Vec<String> =
                            sub.iter().map(|(s, _)| format!("{k}.{s}")).collect();
                        names.join(", ")
                    }
                    _ => k.clone(),
                },
            )
            .collect();
        Some(format!("{} in {}", keys.join(", "), path.display()))
    }

    /// The folder is trusted: merge what `held` names. True if there was any.
    pub fn admit(&mut self) -> bool {
        let Some((path, v)) = self.held.take() else {
            return false;
        };
        for (k, _) in v.as_object().unwrap_or(&[]) {
            self.sources.retain(|(sk, _)| sk != k);
            self.sources.push((k.clone(), path.clone()));
        }
        merge(&mut self.value, v);
        true
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.value.get(key)
    }

    /// A top-level string setting, with a clear error for the wrong type.
    pub fn str(&self, key: &str) -> Result<Option<&str>, String> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(format!("config: `{key}` must be a string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mote-cfg-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("home/mote")).unwrap();
        std::fs::create_dir_all(d.join("ws/.mote")).unwrap();
        d
    }

    #[test]
    fn project_merges_over_user_and_unknown_keys_warn() {
        let d = dir("merge");
        std::fs::write(
            d.join("home/mote/config.json"),
            r#"{"model":"a","models":{"x":{"vision":true}},"colour":1}"#,
        )
        .unwrap();
        std::fs::write(
            d.join("ws/.mote/config.json"),
            r#"{"model":"b","models":{"y":{}}}"#,
        )
        .unwrap();
        let home = d.join("home").to_string_lossy().into_owned();
        let env = |k: &str| (k == "XDG_CONFIG_HOME").then(|| home.clone());
        let c = load(&d.join("ws"), &env).unwrap();
        assert_eq!(c.str("model").unwrap(), Some("b"));
        let p = c.get("models").unwrap();
        assert!(p.get("x").is_some() && p.get("y").is_some());
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].ends_with("unknown key `colour` ignored"));
    }

    #[test]
    fn broken_files_name_line_and_column() {
        let d = dir("broken");
        std::fs::write(
            d.join("ws/.mote/config.json"),
            "{\n  \"model\": \"a\",\n  oops\n}",
        )
        .unwrap();
        let e = load(&d.join("ws"), &|_| None).err().unwrap();
        assert!(e.ends_with(".mote/config.json:3:3: expected a key"), "{e}");
        std::fs::write(d.join("ws/.mote/config.json"), "[1]").unwrap();
        assert!(load(&d.join("ws"), &|_| None)
            .err()
            .unwrap()
            .contains("must be a JSON object"));
    }

    #[test]
    fn an_untrusted_project_holds_back_what_loosens_and_keeps_what_tightens() {
        let d = dir("held");
        let user =
            r#"{"permission":"cautious","sandbox":"workspace-write","network":{"ca_only":true}}"#;
        std::fs::write(d.join("home/mote/config.json"), user).unwrap();
        let held = |project: &str| {
            std::fs::write(d.join("ws/.mote/config.json"), project).unwrap();
            let home = d.join("home").to_string_lossy().into_owned();
            let env = |k: &str| (k == "XDG_CONFIG_HOME").then(|| home.clone());
            let c = load(&d.join("ws"), &env).unwrap();
            let names = c
                .held()
                .map(|h| h.split(" in ").next().unwrap_or("").to_string());
            (names, c.str("permission").unwrap().map(String::from))
        };
        let looser = r#"{"permission":"standard","sandbox":"off","network":{"ca_file":"/x"},"providers":{}}"#;
        let (names, p) = held(looser);
        assert_eq!(
            names.as_deref(),
            Some("permission, sandbox, providers, network.ca_file")
        );
        assert_eq!(p.as_deref(), Some("cautious"));
        let (names, p) =
            held(r#"{"permission":"read-only","sandbox":"read-only","provider":"openai"}"#);
        assert_eq!((names, p.as_deref()), (None, Some("read-only")));
    }
}

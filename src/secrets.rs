//! The credentials mote reads from its environment, kept where commands
//! cannot reach them. At start-up every variable that holds a key mote may
//! use (`*_API_KEY`, `*_AUTH_TOKEN`, then each provider's `api_key_env`,
//! the `${VAR}`s in provider and MCP headers and each MCP
//! `bearer_token_env_var` once the config is read) is copied here, its
//! bytes in the initial environment block are overwritten (that block is
//! what /proc/PID/environ shows, whatever `unsetenv` does) and it is
//! removed from the environment, so no child inherits it. The process is
//! also made non-dumpable, which closes /proc/PID/{environ,mem} to other
//! processes that lack CAP_SYS_PTRACE; commands run without that
//! capability (tool/bash.rs). `env` is the one way mote reads a variable.

use crate::json::value::Value;
use std::sync::Mutex;

static HIDDEN: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

extern "C" {
    static mut environ: *mut *mut libc::c_char;
}

/// Start-up: make the process non-dumpable and hide the well-known keys.
/// Call before anything reads the environment or starts a thread.
pub fn start() {
    // SAFETY: plain prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| is_key_name(k))
        .collect();
    for n in names {
        hide(&n);
    }
}

/// A name that, by convention, holds a credential.
pub fn is_key_name(name: &str) -> bool {
    name.ends_with("_API_KEY") || name.ends_with("_AUTH_TOKEN")
}

/// Hide the variables the config names as holding credentials.
pub fn hide_config(conf: &Value) {
    let mut names = Vec::new();
    if let Some(ps) = conf.get("providers").and_then(Value::as_object) {
        for (_, p) in ps {
            names.extend(
                p.get("api_key_env")
                    .and_then(Value::as_str)
                    .map(String::from),
            );
            header_vars(p.get("headers"), &mut names);
        }
    }
    if let Some(ss) = conf.get("mcpServers").and_then(Value::as_object) {
        for (_, s) in ss {
            let bearer = s.get("bearer_token_env_var").and_then(Value::as_str);
            names.extend(bearer.map(String::from));
            header_vars(s.get("headers"), &mut names);
        }
    }
    for n in names {
        hide(&n);
    }
}

/// The `${VAR}` names in the string values of a headers object.
fn header_vars(headers: Option<&Value>, out: &mut Vec<String>) {
    let Some(obj) = headers.and_then(Value::as_object) else {
        return;
    };
    for (_, v) in obj {
        let mut rest = v.as_str().unwrap_or_default();
        while let Some(at) = rest.find("${") {
            let after = rest.get(at + 2..).unwrap_or_default();
            let Some(end) = after.find('}') else { break };
            let var = after.get(..end).unwrap_or_default();
            let var = var.split(":-").next().unwrap_or_default();
            if !var.is_empty() {
                out.push(var.to_string());
            }
            rest = after.get(end..).unwrap_or_default();
        }
    }
}

/// Copy `name`'s value here, overwrite its bytes in place and remove it
/// from the environment. A name already hidden or not set is left alone.
pub fn hide(name: &str) {
    if name.is_empty() || name.contains('=') || name.contains('\0') {
        return;
    }
    let Some(value) = std::env::var_os(name) else {
        return;
    };
    scrub(name.as_bytes());
    std::env::remove_var(name);
    if let Ok(mut h) = HIDDEN.lock() {
        if !h.iter().any(|(k, _)| k == name) {
            h.push((name.to_string(), value.to_string_lossy().into_owned()));
        }
    }
}

/// Zero the value bytes of every `name=` entry of the C environment.
fn scrub(name: &[u8]) {
    // SAFETY: single-threaded at start-up; `environ` is a NULL-terminated
    // array of NUL-terminated strings that this process may write to (the
    // initial block on the stack, or libc's own copies).
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return;
        }
        while !(*p).is_null() {
            let entry = *p;
            let len = libc::strlen(entry);
            let bytes = std::slice::from_raw_parts_mut(entry.cast::<u8>(), len);
            if bytes.len() > name.len()
                && bytes.starts_with(name)
                && bytes.get(name.len()) == Some(&b'=')
            {
                for b in bytes.iter_mut().skip(name.len() + 1) {
                    std::ptr::write_volatile(b, 0);
                }
            }
            p = p.add(1);
        }
    }
}

/// A variable's value: a hidden credential, or the environment's.
pub fn env(name: &str) -> Option<String> {
    let hidden = HIDDEN
        .lock()
        .ok()
        .and_then(|h| h.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()));
    hidden.or_else(|| std::env::var(name).ok())
}

/// Every hidden variable and its value: only for the environment of a
/// child that is mote itself (a subagent), which hides them again at start.
pub fn hidden() -> Vec<(String, String)> {
    HIDDEN.lock().map(|h| h.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_vars_are_found() {
        let v = crate::json::value::parse(
            r#"{"Authorization":"Bearer ${GW_TOK}","X":"${A:-d} and ${B}","Y":"plain ${"}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        header_vars(Some(&v), &mut out);
        assert_eq!(out, ["GW_TOK", "A", "B"]);
    }

    #[test]
    fn hidden_values_leave_the_environment_and_stay_readable() {
        std::env::set_var("MOTE_SECRETS_TEST_API_KEY", "sk-test-hide");
        hide("MOTE_SECRETS_TEST_API_KEY");
        assert!(std::env::var_os("MOTE_SECRETS_TEST_API_KEY").is_none());
        assert_eq!(
            env("MOTE_SECRETS_TEST_API_KEY").as_deref(),
            Some("sk-test-hide")
        );
        assert!(hidden()
            .iter()
            .any(|(k, _)| k == "MOTE_SECRETS_TEST_API_KEY"));
    }
}

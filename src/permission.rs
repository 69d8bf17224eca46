//! The permission gate between a tool call and its effect. This is the
//! headless core of the four modes; the rules, the shell classifier and the
//! sandbox of the permissions issue extend it here. A denial goes back to
//! the model as a tool error that says it was a denial, not a failure.

pub mod readonly;
pub mod shell;
#[cfg(test)]
mod classify_tests;

use crate::cli::Permission;
use crate::tool::Effect;

/// May a tool with this effect run without asking? Headless runs cannot
/// ask, so "ask" is a denial that tells the model (and the user) why.
pub fn check(mode: Permission, name: &str, effect: Effect) -> Result<(), String> {
    let denied = |why: &str| Err(format!("permission denied: `{name}` {why} (mote runs headless with --permission {})", label(mode)));
    match (mode, effect) {
        (_, Effect::Read) | (Permission::Auto, _) => Ok(()),
        (Permission::Standard, Effect::Write) => Ok(()),
        (Permission::ReadOnly, _) => denied("is not allowed in read-only mode"),
        (Permission::Cautious, _) | (Permission::Standard, Effect::Exec) => {
            denied("needs the user's approval, which cannot be asked for here; rerun with --permission auto to allow it")
        }
    }
}

fn label(mode: Permission) -> &'static str {
    match mode {
        Permission::ReadOnly => "read-only",
        Permission::Cautious => "cautious",
        Permission::Standard => "standard",
        Permission::Auto => "auto",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        use Effect::*;
        use Permission::*;
        let table = [
            (ReadOnly, [true, false, false]),
            (Cautious, [true, false, false]),
            (Standard, [true, true, false]),
            (Auto, [true, true, true]),
        ];
        for (mode, want) in table {
            for (effect, ok) in [Read, Write, Exec].into_iter().zip(want) {
                assert_eq!(check(mode, "t", effect).is_ok(), ok, "{mode:?} {effect:?}");
            }
        }
        assert!(check(Standard, "bash", Exec).unwrap_err().starts_with("permission denied: `bash`"));
    }
}

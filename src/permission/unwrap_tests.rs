//! Deny and ask rules on commands behind wrappers, runners and nested
//! shells (unwrap.rs), on real gates.

use super::tests::{bash, decide, gate, kind, ws};
use super::*;

#[test]
fn deny_rules_see_through_eval_eight_levels_deep_and_ask_beyond() {
    let w = ws("deep");
    let g = gate(r#"{"deny":["bash(rm:*)"]}"#, false);
    let nested = |n: usize| format!(r#"{{"command":"{}rm x"}}"#, "eval ".repeat(n));
    let d = |n| decide(&g, Permission::Auto, "bash", &nested(n), &w);
    assert_eq!(kind(&d(8)), "deny");
    assert!(
        matches!(&d(9), Decision::Ask { why, by_mode: false } if why.contains("shells nested too deep")),
        "{:?}",
        d(9)
    );
}

#[test]
fn deny_rules_see_through_timeout() {
    let w = ws("timeout");
    let g = gate(r#"{"deny":["bash(rm:*)"]}"#, false);
    for c in ["timeout 5 rm x", "/usr/bin/timeout 5 /bin/rm x"] {
        assert_eq!(kind(&bash(&g, Permission::Auto, c, &w)), "deny", "{c}");
    }
}

#[test]
fn deny_rules_see_past_wrapper_options_that_take_a_value() {
    let w = ws("wrapopts");
    let g = gate(r#"{"deny":["bash(rm:*)"]}"#, false);
    for c in [
        "nice -n 19 rm x",
        "nice --adjustment 5 rm x",
        "timeout -s KILL 5 rm x",
        "timeout -k 1 --signal TERM 5 rm x",
        "sudo -u root rm x",
        "sudo -g wheel -u root /bin/rm x",
        "env -u HOME -C /tmp rm x",
        "stdbuf -o L -e 0 rm x",
        "xargs -n 1 -P 4 rm",
        "/usr/bin/time -o /dev/null -f %e rm x",
        "exec -a name rm x",
        "nice -n 1 env -u X timeout -s 9 5 rm x",
    ] {
        assert_eq!(kind(&bash(&g, Permission::Auto, c, &w)), "deny", "{c}");
    }
    // A value is skipped only after an option that takes one.
    let g = gate(r#"{"deny":["bash(ls:*)"]}"#, false);
    let args = r#"{"command":"nice -19 ls"}"#;
    assert_eq!(
        kind(&decide(&g, Permission::Auto, "bash", args, &w)),
        "deny"
    );
}

#[test]
fn a_shell_behind_a_wrapper_flag_named_c_is_still_unwrapped() {
    // `exec -c` clears the environment: the `-c` that gives the shell its
    // command is the one after the shell's own name.
    let w = ws("execc");
    let g = gate(r#"{"deny":["bash(rm:*)"]}"#, false);
    let args = r#"{"command":"exec -c bash -c 'rm x'"}"#;
    assert_eq!(
        kind(&decide(&g, Permission::Auto, "bash", args, &w)),
        "deny"
    );
}

#[test]
fn rules_see_through_runners_of_commands_known_or_not() {
    let w = ws("runners");
    let g = gate(
        r#"{"deny":["bash(rm:*)"],"ask":["bash(git push:*)"]}"#,
        false,
    );
    let d = |c: &str| bash(&g, Permission::Auto, c, &w);
    // Runners in the wrapper table: the rule itself decides.
    for c in [
        "setsid rm -rf x",
        "/usr/bin/setsid --fork rm x",
        "ionice -c 3 rm x",
        "chrt -T 5 10 rm x",
        "taskset 0x1 rm x",
        "doas -u root rm x",
        "busybox rm x",
        "flock -w 5 /tmp/lock rm x",
        "watch -n 1 'rm x'",
        "nsenter -t 1 rm x",
        "unshare -R / rm x",
        "chroot / rm x",
        "strace -o /dev/null -e trace=all rm x",
        "eatmydata fakeroot unbuffer rm x",
    ] {
        assert_eq!(kind(&d(c)), "deny", "{c}");
    }
    assert_eq!(kind(&d("setsid git push origin main")), "ask");
    // A runner the table does not know: the rule's command among its
    // words asks, naming the rule and the words.
    for (c, inner) in [
        ("firejail --quiet rm -rf x", "rm -rf x"),
        ("flock /tmp/lock -c rm x", "rm x"),
        ("parallel -j2 rm ::: a b", "rm ::: a b"),
        ("runner --opt v git push origin", "git push origin"),
        ("find . -name '*.o' -exec rm -f {} +", "rm -f {} +"),
        ("python3 -m runpy rm x", "rm x"),
        // An empty word keeps its place: the words after it still count.
        ("firejail '' rm x", "rm x"),
        // Words are matched as written, so text that only mentions the
        // command asks too.
        ("git commit -m 'rm old files'", "rm old files"),
    ] {
        let rule = if inner.starts_with("rm") {
            "bash(rm:*)"
        } else {
            "bash(git push:*)"
        };
        assert_eq!(
            d(c),
            Decision::Ask {
                why: format!("the rule `{rule}` matches `{inner}` inside it, which may run"),
                by_mode: false
            },
            "{c}"
        );
    }
    // Nothing of a rule among the words: auto runs it. A rule's command
    // inside another word, or run by a program from its own text or
    // files, is not seen: the sandbox is the boundary for those.
    for c in [
        "setsid ls -la",
        "firejail --quiet make",
        "git status",
        "echo farm x",
        "python3 -c 'import os;os.system(\"rm x\")'",
    ] {
        assert_eq!(d(c), Decision::Allow, "{c}");
    }
    // Without rules the runners are the mode's to decide, as before.
    let free = gate(r#"{}"#, false);
    let args = r#"{"command":"firejail rm x"}"#;
    assert_eq!(
        decide(&free, Permission::Auto, "bash", args, &w),
        Decision::Allow
    );
}

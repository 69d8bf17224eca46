//! The git check on real repositories: which config keys, hooks, links and
//! submodules make a read-only git command ask, which repository git
//! would use from where the command runs (walking up, `cd`), and which
//! global config files and PATH entries count as the session's own.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};

use super::{git, readonly};

/// A fresh empty directory for one test.
fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mote-gitcheck-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

/// A git directory at `gd` (HEAD, objects, refs) with this config.
fn git_dir(gd: &Path, config: &str) {
    fs::create_dir_all(gd.join("objects")).unwrap();
    fs::create_dir_all(gd.join("refs")).unwrap();
    fs::write(gd.join("HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::write(gd.join("config"), config).unwrap();
}

const SAFE: &str = "[core]\n\trepositoryformatversion = 0\n\tbare = false\n";
const EVIL: &str = "[core]\n\tfsmonitor = touch pwned\n";

fn status(cwd: &Path) -> Result<(), String> {
    readonly::check("git status", cwd)
}

#[test]
fn config_keys_outside_the_allowlist_are_named() {
    let ok = [
        "",
        "\n   \n# a comment\n; another\n\t# indented\n",
        SAFE,
        "[core]\n\tfilemode=true\n\tBare = false\n",
        "[core] # the section's comment\n\tbare = false\n[core] ; again\n[core]",
        "[remote \"origin\"]\n\turl = https://x/y\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n",
        "[remote.origin]\n\turl = x\n",
        "[Branch \"main\"]\n\tremote = origin\n",
    ];
    for text in ok {
        assert_eq!(git::config(text), Ok(()), "{text:?}");
    }
    let bad = [
        (EVIL, "core.fsmonitor"),
        ("[core]\n\tpager = less\n", "core.pager"),
        ("[core] pager = x\n", "core.pager"),
        ("[core]\n\tpager=x\n", "core.pager"),
        ("[include]\n\tpath = ../x\n", "include.path"),
        (
            "[remote \"o\"]\n\tuploadpack = evil\n",
            "remote.*.uploadpack",
        ),
        ("[remote.o]\n\treceivepack = evil\n", "remote.*.receivepack"),
        ("[diff \"x\"]\n\ttextconv = evil\n", "diff.*.textconv"),
        // A continued line's next line is the value, not a key.
        ("[user]\n\tname = a \\\nfsmonitor\n", "user.name"),
        ("[core\n\tbare = false\n", "[core"),
        ("bare = false\n", ".bare"),
    ];
    for (text, key) in bad {
        assert_eq!(git::config(text), Err(key.to_string()), "{text:?}");
    }
}

#[test]
fn a_repository_whose_config_could_run_a_program_asks() {
    let d = tmp("config");
    git_dir(&d.join(".git"), SAFE);
    assert_eq!(status(&d), Ok(()));
    assert_eq!(readonly::check("git log -1 && git status", &d), Ok(()));
    fs::write(d.join(".git/config"), EVIL).unwrap();
    let e = status(&d).unwrap_err();
    assert!(
        e.contains("core.fsmonitor") && e.contains(".git/config"),
        "{e}"
    );
    // From a subdirectory git finds the same repository.
    fs::create_dir_all(d.join("src/deep")).unwrap();
    assert!(status(&d.join("src/deep")).is_err());
    fs::write(d.join(".git/config"), SAFE).unwrap();
    fs::write(d.join(".git/config.worktree"), EVIL).unwrap();
    assert!(status(&d).unwrap_err().contains("config.worktree"));
}

#[test]
fn hooks_that_read_only_commands_may_run_ask() {
    let d = tmp("hooks");
    git_dir(&d.join(".git"), SAFE);
    let hooks = d.join(".git/hooks");
    fs::create_dir_all(&hooks).unwrap();
    for h in [
        "pre-commit",
        "post-checkout",
        "pre-push",
        "fsmonitor-watchman.sample",
    ] {
        fs::write(hooks.join(h), "#!/bin/sh\ntouch pwned\n").unwrap();
    }
    assert_eq!(status(&d), Ok(()));
    for h in ["post-index-change", "reference-transaction", "sample"] {
        fs::write(hooks.join(h), "#!/bin/sh\ntouch pwned\n").unwrap();
        let e = status(&d).unwrap_err();
        assert!(e.contains(h), "{h}: {e}");
        fs::remove_file(hooks.join(h)).unwrap();
    }
}

#[test]
fn submodules_ask() {
    let d = tmp("submodules");
    git_dir(&d.join(".git"), SAFE);
    fs::write(d.join(".gitmodules"), "").unwrap();
    assert!(status(&d).unwrap_err().contains("submodules"));
    fs::remove_file(d.join(".gitmodules")).unwrap();
    fs::create_dir_all(d.join(".git/modules/lib")).unwrap();
    assert!(status(&d).unwrap_err().contains("submodules"));
}

#[test]
fn a_gitdir_link_and_its_common_dir_are_checked() {
    let d = tmp("gitdir");
    let wt = d.join("wt");
    fs::create_dir_all(&wt).unwrap();
    git_dir(&d.join("real"), SAFE);
    fs::write(wt.join(".git"), "gitdir: ../real\n").unwrap();
    assert_eq!(status(&wt), Ok(()));
    fs::write(d.join("real/config"), EVIL).unwrap();
    assert!(status(&wt).unwrap_err().contains("core.fsmonitor"));
    // A linked worktree's git dir names the main one in `commondir`.
    fs::write(d.join("real/config"), SAFE).unwrap();
    git_dir(&d.join("common"), EVIL);
    fs::write(d.join("real/commondir"), "../common\n").unwrap();
    assert!(status(&wt).unwrap_err().contains("core.fsmonitor"));
    fs::write(wt.join(".git"), "not a link\n").unwrap();
    assert!(status(&wt).unwrap_err().contains("not a gitdir link"));
}

#[test]
fn the_walk_up_stops_at_the_first_real_repository() {
    let d = tmp("walk");
    // An outer bare repository whose config runs a program.
    git_dir(&d, EVIL);
    let inner = d.join("inner");
    let sub = inner.join("sub");
    fs::create_dir_all(&sub).unwrap();
    assert!(status(&sub).is_err());
    git_dir(&inner.join(".git"), SAFE);
    assert_eq!(status(&sub), Ok(()), "git uses the inner repository");
    // A `.git` missing any of HEAD, objects and refs is not a repository:
    // git walks on up to the outer one.
    for missing in ["HEAD", "objects", "refs"] {
        fs::remove_dir_all(inner.join(".git")).unwrap();
        git_dir(&inner.join(".git"), SAFE);
        let p = inner.join(".git").join(missing);
        if p.is_dir() {
            fs::remove_dir(&p).unwrap();
        } else {
            fs::remove_file(&p).unwrap();
        }
        assert!(status(&sub).is_err(), "a .git without {missing}");
    }
    fs::remove_dir_all(inner.join(".git")).unwrap();
    fs::create_dir_all(inner.join(".git/refs")).unwrap();
    assert!(status(&sub).is_err(), "a .git with only refs");
}

#[test]
fn every_directory_a_cd_visits_is_checked() {
    let d = tmp("cd");
    git_dir(&d.join("evil/.git"), EVIL);
    fs::create_dir_all(d.join("a")).unwrap();
    assert_eq!(status(&d), Ok(()));
    assert_eq!(readonly::check("cd a && git status", &d), Ok(()));
    for cmd in [
        "cd evil && git status",
        "git status; cd evil; git log",
        "cd -P evil && git status",
        "cd $X && git status",
        "cd \"$X\" && git status",
        "cd - && git status",
        "cd && git status",
    ] {
        assert!(readonly::check(cmd, &d).is_err(), "{cmd}");
    }
    // Each cd doubles the directories to check; past 64 the checker gives up.
    let cds = |n: usize| "cd a; ".repeat(n) + "git status";
    assert_eq!(readonly::check(&cds(6), &d), Ok(()));
    assert!(readonly::check(&cds(7), &d)
        .unwrap_err()
        .contains("cannot follow"));
}

#[test]
fn global_configs_follow_the_environment() {
    let env = |pairs: &'static [(&str, &str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| OsString::from(v))
        }
    };
    let paths = |v: &[&str]| v.iter().map(PathBuf::from).collect::<Vec<_>>();
    assert_eq!(git::user_configs(env(&[])), paths(&[]));
    assert_eq!(
        git::user_configs(env(&[("HOME", "/h")])),
        paths(&["/h/.gitconfig", "/h/.config/git/config"])
    );
    assert_eq!(
        git::user_configs(env(&[
            ("HOME", "/h"),
            ("XDG_CONFIG_HOME", "/x"),
            ("GIT_CONFIG_GLOBAL", "/g")
        ])),
        paths(&["/h/.gitconfig", "/x/git/config", "/g"])
    );
}

#[test]
fn a_path_entry_the_session_can_write_makes_names_untrusted() {
    let cwd = Path::new("/work/project");
    assert_eq!(
        readonly::trusted_path(OsStr::new("/usr/local/bin:/usr/bin:/bin"), cwd),
        Ok(())
    );
    for path in [
        "/usr/bin::/bin",
        "/usr/bin:",
        "bin:/usr/bin",
        "/usr/bin:.",
        "/usr/bin:/work/project/node_modules/.bin",
        "/work/project",
    ] {
        assert!(
            readonly::trusted_path(OsStr::new(path), cwd).is_err(),
            "{path}"
        );
    }
}

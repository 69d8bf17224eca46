//! The strace oracle shared by the classifier's generative test
//! (tests/readonly_strace.rs) and its fuzz target: a scratch directory to
//! run commands in, and a run under `strace -f` that reports every write,
//! exec, connection or system change a command made, naming the command.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mote::permission::options;

/// A scratch directory: files to read, a program to tempt, a clean repository.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mote-strace-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("home")).unwrap();
    let d = d.canonicalize().unwrap();
    std::fs::write(d.join("f"), "a\nb\na\n").unwrap();
    std::fs::write(d.join("evil.sh"), "#!/bin/sh\ntouch evil-ran\n").unwrap();
    Command::new("chmod")
        .args(["755", "evil.sh"])
        .current_dir(&d)
        .status()
        .unwrap();
    for args in [
        &["init", "-q"][..],
        &["add", "f"],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-qm",
            "x",
        ],
    ] {
        let ok = Command::new("git")
            .args(args)
            .current_dir(&d)
            .env("HOME", d.join("home"))
            .status()
            .unwrap();
        assert!(ok.success(), "git {args:?}");
    }
    d
}

/// One line of `strace -f` output: the pid, the call, its result.
fn split(line: &str) -> Option<(&str, &str, &str)> {
    let (pid, rest) = line.split_once(' ')?;
    let (call, _) = rest.trim_start().split_once('(')?;
    let ret = rest.rsplit_once(" = ").map_or("", |(_, r)| r);
    Some((pid, call, ret))
}

/// The command number of the marker open `"mote-cmd-K"`.
fn command_of(line: &str) -> Option<usize> {
    let i = line.find("\"mote-cmd-")?;
    line.get(i + 10..)?.split('"').next()?.parse().ok()
}

/// The first string argument of a traced call (a path).
fn first_path(line: &str) -> &str {
    line.split('"').nth(1).unwrap_or("")
}

/// What strace records: every call that can write, run, connect or
/// change the system, and forks, to follow each command's processes.
const CALLS: &str = "trace=execve,execveat,openat,open,creat,rename,renameat,renameat2,unlink,unlinkat,rmdir,mkdir,mkdirat,link,linkat,symlink,symlinkat,chmod,fchmodat,truncate,utimensat,connect,socket,sethostname,settimeofday,clock_settime,clone,clone3,fork,vfork";

/// Run `cmds` (index, text) in `dir` under strace, for at most `limit`
/// seconds: the violations, each naming its command, and whether all
/// commands finished.
pub fn trace(dir: &Path, cmds: &[(usize, String)], limit: u32) -> (Vec<String>, bool) {
    // Each command in a subshell that first opens (and fails to open) a
    // marker path naming it: its pid, and the pids it forks, are its own.
    let driver: String = cmds
        .iter()
        .map(|(k, c)| {
            format!(
                "( : <mote-cmd-{k}; eval {} ) </dev/null >/dev/null 2>&1\n",
                sh_quote(c)
            )
        })
        .collect();
    let log = dir.join("home/strace.log");
    std::fs::write(dir.join("home/driver.sh"), driver).unwrap();
    let status = Command::new("timeout")
        .arg(limit.to_string())
        .args([
            "strace",
            "-f",
            "-qq",
            "--seccomp-bpf",
            "-s",
            "256",
            "-e",
            CALLS,
            "-o",
        ])
        .arg(&log)
        .arg("bash")
        .arg(dir.join("home/driver.sh"))
        .current_dir(dir)
        .env("HOME", dir.join("home"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("LC_ALL", "C")
        .env("TMPDIR", dir.join("home"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    (violations(dir, &text, cmds), status.code() != Some(124))
}

/// The programs a read-only command may run, by name, from system dirs.
fn exec_ok(path: &str, git_exec: &str) -> bool {
    let p = Path::new(path);
    let dir = p
        .parent()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let names = [
        "bash", "timeout", "git", "sed", "awk", "mawk", "gawk", "nawk", "find", "env", "nice",
        "xargs", "echo", "[",
    ];
    (names.contains(&name.as_str()) || options::PROGRAMS.iter().any(|s| s.name == name))
        && ["/bin", "/usr/bin", "/usr/local/bin", git_exec].contains(&dir.as_str())
}

/// The violations in a strace log, each with the command that made it.
fn violations(dir: &Path, log: &str, cmds: &[(usize, String)]) -> Vec<String> {
    let git_exec = Command::new("git")
        .arg("--exec-path")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let mut owner: HashMap<String, usize> = HashMap::new();
    let mut bad = Vec::new();
    for line in joined(log).lines() {
        let Some((pid, call, ret)) = split(line) else {
            continue;
        };
        if let Some(k) = command_of(line) {
            owner.insert(pid.to_string(), k);
        }
        let Some(&k) = owner.get(pid) else {
            continue;
        };
        if matches!(call, "clone" | "clone3" | "fork" | "vfork") {
            owner.insert(ret.split(' ').next().unwrap_or("").to_string(), k);
            continue;
        }
        // A failed call changed nothing, but a refused connect was still an attempt.
        if ret.starts_with('-') && !matches!(call, "connect" | "socket") {
            continue;
        }
        let path = resolve(dir, first_path(line));
        let writes = call == "creat"
            || matches!(call, "openat" | "open")
                && ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"]
                    .iter()
                    .any(|f| line.contains(f))
            || matches!(
                call,
                "rename"
                    | "renameat"
                    | "renameat2"
                    | "unlink"
                    | "unlinkat"
                    | "rmdir"
                    | "mkdir"
                    | "mkdirat"
                    | "link"
                    | "linkat"
                    | "symlink"
                    | "symlinkat"
                    | "chmod"
                    | "fchmodat"
                    | "truncate"
                    | "utimensat"
            );
        let what = match call {
            "execve" | "execveat" if !exec_ok(&path, &git_exec) => "exec",
            _ if writes && !allowed_write(dir, &path) => "write",
            "connect" if !line.contains("nscd") && !line.contains("/run/systemd") => "connect",
            "socket" if line.contains("AF_INET") || line.contains("AF_PACKET") => "socket",
            "sethostname" | "settimeofday" | "clock_settime" => "system change",
            _ => continue,
        };
        let cmd = cmds
            .iter()
            .find(|(i, _)| *i == k)
            .map_or("?", |(_, c)| c.as_str());
        bad.push(format!("{what} by {cmd:?}: {line}"));
    }
    bad
}

/// The log with each call strace split across processes (`... <unfinished
/// ...>`, later `PID <... call resumed>...`) joined back into one line, so a
/// call is judged with its result (a failed execve of a PATH entry is no exec).
fn joined(log: &str) -> String {
    let mut open: HashMap<String, String> = HashMap::new();
    let mut out = String::with_capacity(log.len());
    for line in log.lines() {
        let pid = line.split(' ').next().unwrap_or("").to_string();
        if let Some(head) = line.strip_suffix("<unfinished ...>") {
            open.insert(pid, head.trim_end().to_string());
            continue;
        }
        let resumed = line
            .find("resumed>")
            .filter(|_| line.contains("<... "))
            .map(|at| &line[at + "resumed>".len()..]);
        match (resumed, open.remove(&pid)) {
            (Some(rest), Some(head)) => {
                out.push_str(&head);
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// git refreshes its own index in the scratch repository, and bash writes
/// a here-document's body to a temp file (TMPDIR is `home/`) and removes it.
fn allowed_write(dir: &Path, p: &str) -> bool {
    p == "/dev/null"
        || p == "/dev/tty"
        || p.starts_with(&format!("{}/.git/index", dir.display()))
        || p.starts_with(&format!("{}/home/sh-thd", dir.display()))
}

fn resolve(dir: &Path, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        dir.join(path).display().to_string()
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
#[test]
fn a_call_split_by_another_process_is_judged_with_its_result() {
    let log =
        "8592 execve(\"/root/.cargo/bin/tac\", [\"tac\"], 0x7f /* 9 vars */ <unfinished ...>\n\
               8590 read(3, \"\", 4) = 0\n\
               8592 <... execve resumed>) = -1 ENOENT (No such file or directory)\n";
    let j = joined(log);
    assert!(
        j.contains("execve(\"/root/.cargo/bin/tac\", [\"tac\"], 0x7f /* 9 vars */) = -1 ENOENT"),
        "{j}"
    );
    assert_eq!(j.lines().count(), 2);
}

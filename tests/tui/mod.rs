//! Driving the real mote binary inside tmux, for the interactive-mode
//! tests and the idle bench: a private tmux server per use (its own
//! socket), keys sent with `send-keys`, the screen read with
//! `capture-pane`. tmux is installed with apt-get when missing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Make sure tmux is there, installing it (Debian) if it is not.
pub fn ensure_tmux() {
    let ok = || {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if ok() {
        return;
    }
    let root = unsafe { libc::geteuid() } == 0;
    let sudo: &[&str] = if root { &[] } else { &["sudo"] };
    let run = |args: &[&str]| {
        let mut all: Vec<&str> = sudo.to_vec();
        all.extend_from_slice(args);
        let _ = Command::new(all[0]).args(&all[1..]).status();
    };
    run(&["apt-get", "update", "-qq"]);
    run(&["apt-get", "install", "-y", "-qq", "tmux"]);
    assert!(
        ok(),
        "tmux is needed for the interactive tests and could not be installed"
    );
}

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Start `command` (run by sh) in a `w`x`h` window, in `dir`.
    pub fn start(name: &str, dir: &Path, w: u16, h: u16, command: &str) -> Tmux {
        ensure_tmux();
        let t = Tmux {
            socket: format!("mote-{}-{name}", std::process::id()),
        };
        let st = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "main",
            ])
            .args(["-x", &w.to_string(), "-y", &h.to_string(), "-c"])
            .arg(dir)
            .arg(command)
            .status()
            .unwrap();
        assert!(st.success(), "tmux new-session failed");
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Keys in tmux's send-keys syntax ("Enter", "C-c", ...).
    pub fn keys(&self, keys: &[&str]) {
        let mut a = vec!["send-keys", "-t", "main"];
        a.extend_from_slice(keys);
        self.tmux(&a);
    }

    /// Text typed literally.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "main", "-l", text]);
    }

    /// Paste `text` as a terminal would (bracketed, if the program asked for it).
    pub fn paste(&self, text: &str) {
        self.tmux(&["set-buffer", "--", text]);
        self.tmux(&["paste-buffer", "-p", "-t", "main"]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-t", "main", "-S", "-200"])
    }

    /// The screen with its colours, as escape sequences.
    pub fn screen_styled(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-J", "-t", "main", "-S", "-200"])
    }

    /// The pane's title (what an OSC 0 or 2 sequence would set).
    pub fn pane_title(&self) -> String {
        self.tmux(&["display-message", "-p", "-t", "main", "#{pane_title}"])
    }

    pub fn pane_pid(&self) -> i32 {
        self.tmux(&["display-message", "-p", "-t", "main", "#{pane_pid}"])
            .trim()
            .parse()
            .unwrap()
    }

    pub fn resize(&self, w: u16, h: u16) {
        self.tmux(&[
            "resize-window",
            "-t",
            "main",
            "-x",
            &w.to_string(),
            "-y",
            &h.to_string(),
        ]);
    }

    /// Wait (up to 15 s) until the screen satisfies `f`; the screen.
    pub fn wait_for(&self, what: &str, f: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if f(&s) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(15) {
                panic!("timed out waiting for {what}; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until `text` is on the screen.
    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(text, |s| s.contains(text))
    }

    /// Press Esc during a command: the turn must say "interrupted" within
    /// 5 s (the command stopped, not waited for), and the processes whose
    /// pids are in `pid_files` must be gone (killed and reaped) soon after.
    pub fn esc_kills(&self, pid_files: &[PathBuf]) {
        let started = Instant::now();
        self.keys(&["Escape"]);
        self.wait_text("interrupted");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the command was stopped, not waited for"
        );
        for f in pid_files {
            let pid = std::fs::read_to_string(f).unwrap_or_default();
            let proc_dir = format!("/proc/{}", pid.trim());
            let gone = (0..100).any(|_| {
                std::thread::sleep(Duration::from_millis(20));
                !Path::new(&proc_dir).exists()
            });
            assert!(gone, "{f:?}: process {} left behind after Esc", pid.trim());
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Quote for sh.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A fresh scratch directory for one test.
pub fn workspace(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mote-tui-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// mote in tmux against the model at `base_url`, in `ws`, in a `w`x24
/// window, with `stty -a` saved before and after and its exit code printed
/// as `EXIT:N`; returns once the greeting is shown.
pub fn start_mote(name: &str, ws: &Path, base_url: &str, w: u16, extra: &str) -> Tmux {
    start_mote_env(name, ws, base_url, w, "", extra)
}

/// `start_mote` with more environment (`env`: `K=V` words for env(1)).
pub fn start_mote_env(
    name: &str,
    ws: &Path,
    base_url: &str,
    w: u16,
    env: &str,
    extra: &str,
) -> Tmux {
    let cmd = format!(
        "stty -a > stty.before; env -u NO_COLOR -u MOTE_MODEL {env} OPENAI_BASE_URL={base_url} OPENAI_API_KEY=k XDG_STATE_HOME={} XDG_DATA_HOME={} XDG_CONFIG_HOME={} {} \
         --model mock-model {extra} 2>mote.err; echo EXIT:$?; stty -a > stty.after; sleep 600",
        sh_quote(&ws.join("state").to_string_lossy()),
        sh_quote(&ws.join("data").to_string_lossy()),
        sh_quote(&ws.join("config").to_string_lossy()),
        sh_quote(&bin().to_string_lossy()),
    );
    let t = Tmux::start(name, ws, w, 24, &cmd);
    t.wait_text("/help for commands");
    t
}

/// The mote binary under test.
pub fn bin() -> PathBuf {
    std::env::var_os("MOTE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mote")))
}

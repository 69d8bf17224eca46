//! Unit tests of src/tool/bash.rs: the environment commands get, output
//! capture, order and cutting, exit statuses, timeouts that kill the group.

use super::*;
use crate::json::write::quote;
use crate::tool::write::tests::tmp_ws;

#[test]
fn credentials_are_not_passed_to_commands() {
    // Set in this test process only; the child must not see it.
    std::env::set_var("MOTE_TEST_API_KEY", "sk-leak-check");
    std::env::set_var("MOTE_TEST_PLAIN", "visible");
    let dir = std::env::temp_dir();
    let (out, ok) = super::exec_status("env", &dir, std::time::Duration::from_secs(10)).unwrap();
    assert!(ok);
    assert!(out.contains("MOTE_TEST_PLAIN=visible"), "{out}");
    assert!(!out.contains("sk-leak-check"), "{out}");
}

pub(super) fn bash(ws: &ToolCtx, cmd: &str, timeout: Option<u64>) -> Result<String, String> {
    let t = timeout.map_or(String::new(), |t| format!(",\"timeout\":{t}"));
    run(
        &Args::parse(&format!("{{\"command\":{}{t}}}", quote(cmd))).unwrap(),
        ws,
    )
}

#[test]
fn output_order_and_exit_codes() {
    let (d, ws) = tmp_ws("bash-basic");
    std::fs::write(d.join("here.txt"), "").unwrap();
    assert_eq!(
        bash(&ws, "echo out; echo err >&2; echo out2", None).unwrap(),
        "out\nerr\nout2\nexit code: 0"
    );
    assert_eq!(
        bash(&ws, "ls; exit 3", None).unwrap(),
        "here.txt\nexit code: 3"
    );
    assert_eq!(
        bash(&ws, "true", None).unwrap(),
        "(no output)\nexit code: 0"
    );
    assert_eq!(bash(&ws, "printf abc", None).unwrap(), "abc\nexit code: 0");
    assert_eq!(
        bash(&ws, "read x; echo \"[$?]\"", None).unwrap(),
        "[1]\nexit code: 0"
    );
    assert_eq!(
        bash(&ws, "kill -9 $$", None).unwrap(),
        "(no output)\nkilled by signal 9"
    );
    assert_eq!(
        bash(&ws, "printf '\\xff\\n'", None).unwrap(),
        "\u{fffd}\nexit code: 0"
    );
    assert!(bash(&ws, "  ", None).unwrap_err().contains("empty"));
}

#[test]
fn timeout_kills_the_process_group() {
    let (_d, ws) = tmp_ws("bash-timeout");
    let start = Instant::now();
    let out = bash(&ws, "sleep 30 & echo $!; sleep 30", Some(1)).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(
        out.ends_with("timed out after 1s; the command and its process group were killed"),
        "{out}"
    );
    let pid: libc::pid_t = out.lines().next().unwrap().parse().unwrap();
    // The background sleep was in the group; give the kernel a moment.
    let mut alive = true;
    for _ in 0..50 {
        // SAFETY: signal 0 only checks for existence.
        alive = unsafe { libc::kill(pid, 0) } == 0 && !is_zombie(pid);
        if !alive {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive, "background sleep {pid} survived");
}

fn is_zombie(pid: libc::pid_t) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(") ")
        .is_some_and(|(_, rest)| rest.starts_with('Z'))
}

#[test]
fn background_job_does_not_hang() {
    let (_d, ws) = tmp_ws("bash-bg");
    let start = Instant::now();
    let out = bash(&ws, "sleep 5 & echo started", None).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(out, "started\nexit code: 0");
}

#[test]
fn chatty_background_job_does_not_hang() {
    let (_d, ws) = tmp_ws("bash-chatty");
    let start = Instant::now();
    let out = bash(
        &ws,
        "(while :; do echo tick; sleep 0.02; done) & echo started",
        None,
    )
    .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    assert!(
        out.lines().any(|l| l == "started") && out.ends_with("exit code: 0"),
        "{out}"
    );
}

#[test]
fn huge_output_keeps_head_and_tail_and_logs_everything() {
    let (_d, ws) = tmp_ws("bash-huge");
    let out = bash(&ws, "seq 1 200000", None).unwrap();
    assert!(out.starts_with("1\n2\n3\n"));
    assert!(out.ends_with("199999\n200000\nexit code: 0"));
    assert!(out.len() < MAX_BYTES + 500, "{}", out.len());
    assert!(out.lines().count() <= MAX_LINES + 2);
    let marker = out.lines().find(|l| l.starts_with("[... ")).unwrap();
    assert!(marker.contains(" of 200000 lines ("), "{marker}");
    let path = marker
        .split("full output: ")
        .nth(1)
        .unwrap()
        .trim_end_matches(" ...]");
    let full = std::fs::read_to_string(path).unwrap();
    let expect: String = (1..=200000).map(|i| format!("{i}\n")).collect();
    assert!(
        full == expect,
        "log has {} bytes, expected {}",
        full.len(),
        expect.len()
    );
    // Shown head and tail do not overlap and nothing is lost at the seams.
    let omitted: u64 = marker
        .trim_start_matches("[... ")
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(omitted as usize + out.lines().count() - 2, 200000);
    // And so do the bytes.
    let bytes: usize = marker
        .split(" lines (")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    let shown: usize = out
        .lines()
        .filter(|l| *l != marker && !l.starts_with("exit code"))
        .map(|l| l.len() + 1)
        .sum();
    assert_eq!(bytes + shown, full.len(), "{marker}");
    let _ = std::fs::remove_file(path);
}

#[test]
fn many_short_lines_are_capped_and_logged() {
    let (_d, ws) = tmp_ws("bash-lines");
    let out = bash(&ws, "yes | head -n 5000", None).unwrap();
    assert!(out.lines().count() <= MAX_LINES + 2);
    let marker = out.lines().find(|l| l.starts_with("[... ")).unwrap();
    let path = marker
        .split("full output: ")
        .nth(1)
        .unwrap()
        .trim_end_matches(" ...]");
    assert_eq!(std::fs::read_to_string(path).unwrap(), "y\n".repeat(5000));
    let _ = std::fs::remove_file(path);
}

#[test]
fn reads_across_the_heads_end_are_all_logged() {
    let mut o = Output::new();
    let mut all = Vec::new();
    for c in b'a'..b'm' {
        let mut chunk = vec![c; 9999];
        chunk.push(b'\n');
        o.push(&chunk);
        all.extend_from_slice(&chunk);
    }
    let text = o.render("exit code: 0");
    let path = text
        .split("full output: ")
        .nth(1)
        .and_then(|r| r.split(" ...]").next())
        .unwrap_or_else(|| panic!("{text}"));
    let logged = std::fs::read(path).unwrap();
    let _ = std::fs::remove_file(path);
    assert!(
        logged == all,
        "{} bytes logged of {}",
        logged.len(),
        all.len()
    );
    // The tail shown is the output's end, byte for byte.
    let tail = text
        .split(" ...]\n")
        .nth(1)
        .and_then(|t| t.strip_suffix("exit code: 0"))
        .unwrap();
    assert!(
        tail.len() > 9999 && all.ends_with(tail.as_bytes()),
        "{tail}"
    );
}

#[test]
fn medium_output_is_whole_and_leaves_no_log() {
    let mut o = Output::new();
    let chunk = "x".repeat(99) + "\n";
    for _ in 0..400 {
        o.push(chunk.as_bytes());
    }
    let path = o.log.as_ref().map(|(p, _)| p.clone()).unwrap();
    assert!(path.exists());
    let text = o.render("exit code: 0");
    assert_eq!(text, chunk.repeat(400) + "exit code: 0");
    assert!(!path.exists());
}

//! The bash tool's waiting, each way it can end: the command's end of
//! file (no drain delay), Esc while the output pipe is quiet (in a child
//! test process whose stdin is a pipe: arming watches stdin), a signal
//! waking the poll, a read error, and a full disk under the output log.

use super::tests::bash;
use super::*;
use crate::json::write::quote;
use crate::tool::write::tests::tmp_ws;

#[test]
fn a_finished_command_returns_at_its_end_of_file() {
    // Waiting out the drain time (1 s) would make each of these 1 s.
    let (_d, ws) = tmp_ws("bash-quick");
    let start = Instant::now();
    for _ in 0..10 {
        assert_eq!(bash(&ws, "echo hi", None).unwrap(), "hi\nexit code: 0");
    }
    assert!(
        start.elapsed() < DRAIN * 10,
        "10 commands took {:?}",
        start.elapsed()
    );
}

#[test]
fn a_log_that_cannot_be_written_is_removed_and_reported() {
    let mut o = Output::new();
    o.push(&vec![b'a'; KEEP]);
    let (path, _) = o.log.take().unwrap();
    assert_eq!(std::fs::read(&path).unwrap().len(), KEEP);
    // The disk fills up: the next write to the log fails.
    let full = File::options().write(true).open("/dev/full").unwrap();
    o.log = Some((path.clone(), Ok(full)));
    o.push(&b"b\n".repeat(MAX_BYTES));
    assert!(!path.exists(), "a partial log is left at {path:?}");
    let text = o.render("exit code: 0");
    assert!(
        text.contains("; full output not saved: No space left on device"),
        "{text}"
    );
    assert!(text.ends_with("b\nb\nexit code: 0"), "{text}");
}

#[test]
fn a_read_error_ends_the_command_with_it() {
    // A directory polls readable and fails every read (EISDIR).
    let mut dir = File::open(std::env::temp_dir()).unwrap();
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    let got = pump(&mut dir, &mut child, &mut Output::new(), deadline);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(got.unwrap_err().raw_os_error(), Some(libc::EISDIR));
}

#[test]
fn esc_stops_a_running_command() {
    // Armed, the wait watches stdin: run in a process of its own (the
    // test binary, one test) whose stdin is this pipe.
    let mark = std::env::temp_dir().join(format!("mote-esc-{}", std::process::id()));
    let _ = std::fs::remove_file(&mark);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "tool::bash::wait_tests::esc_child", "--ignored"])
        .env("MOTE_TEST_ESC_MARK", &mark)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !mark.exists() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(10));
    }
    // Give the wait time to block (a blocking read would miss the key).
    std::thread::sleep(Duration::from_millis(300));
    child.stdin.as_mut().unwrap().write_all(b"\x1b").unwrap();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&mark);
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(out.contains("test result: ok. 1 passed"), "{out}");
}

#[test]
#[ignore = "run by esc_stops_a_running_command, with a key on its stdin"]
fn esc_child() {
    let mark = std::env::var("MOTE_TEST_ESC_MARK").expect("run by esc_stops_a_running_command");
    let (_d, ws) = tmp_ws("bash-esc");
    crate::interrupt::arm(true);
    let start = Instant::now();
    let got = bash(&ws, &format!("touch {}; sleep 20", quote(&mark)), None);
    crate::interrupt::arm(false);
    assert_eq!(
        got,
        Err("error while running command: interrupted by the user".into())
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_signal_during_the_wait_is_not_an_error() {
    // A handler without SA_RESTART (as the TUI's SIGWINCH) makes poll
    // fail with EINTR: that is a wake-up, not the command's failure.
    extern "C" fn nothing(_: libc::c_int) {}
    // SAFETY: a zeroed sigaction with a handler that does nothing.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = nothing as extern "C" fn(libc::c_int) as usize;
        libc::sigaction(libc::SIGUSR2, &sa, std::ptr::null_mut());
    }
    let (r, _w) = pipe().unwrap();
    // SAFETY: plain call.
    let me = unsafe { libc::pthread_self() };
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    let kicker = std::thread::spawn(move || {
        while !flag.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
            // SAFETY: `me`, the test thread, lives until the join below.
            unsafe { libc::pthread_kill(me, libc::SIGUSR2) };
        }
    });
    let start = Instant::now();
    let got = poll_in(r.as_raw_fd(), Duration::from_secs(10));
    done.store(true, Ordering::SeqCst);
    kicker.join().unwrap();
    assert!(!got.unwrap());
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

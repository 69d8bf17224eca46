//! Tests of the child runner with `sh` scripts standing in for mote
//! children: they print stream-json lines as a child would.

use super::*;

fn sh(script: &str) -> Spec {
    Spec {
        program: "/bin/sh".into(),
        args: vec!["-c".into(), script.into()],
        env: Vec::new(),
        cwd: std::env::temp_dir(),
    }
}

fn limits(max_parallel: usize, secs: u64) -> Limits {
    Limits {
        max_parallel,
        timeout: Duration::from_secs(secs),
        lines: false,
    }
}

const RESULT: &str = r#"echo '{"type":"turn_start","turn":1}'; echo '{"type":"tool_call","id":"c","name":"bash","arguments":{}}'; sleep 1; echo '{"type":"turn_end","turn":1,"usage":{"input_tokens":10,"output_tokens":2,"cached_tokens":0,"cache_write_tokens":0}}'; echo '{"type":"result","result":"done \u00e9","turns":1,"usage":{"input_tokens":10,"output_tokens":2,"cached_tokens":0,"cache_write_tokens":0},"duration_ms":5,"error":null}'"#;

fn alive(pid: i32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    !stat.is_empty()
        && !stat
            .rsplit_once(") ")
            .is_some_and(|(_, r)| r.starts_with('Z'))
}

#[test]
fn children_run_in_parallel_and_report() {
    let specs: Vec<Spec> = (0..3).map(|_| sh(RESULT)).collect();
    let start = Instant::now();
    let mut tools = Vec::new();
    let outs = run_all(&specs, limits(4, 30), &mut |i, p| {
        if let Progress::Tool(t) = p {
            tools.push((i, t.to_string()));
        }
    });
    let took = start.elapsed();
    assert!(took < Duration::from_millis(1800), "{took:?}");
    assert_eq!(tools.len(), 3);
    for o in &outs {
        assert_eq!(o.answer, "done é");
        assert_eq!((o.turns, o.usage.input, o.usage.output), (1, 10, 2));
        assert_eq!(
            (o.exit, o.error.as_deref(), o.stopped),
            (Some(0), None, None)
        );
    }
    // One at a time when the limit is 1.
    let specs: Vec<Spec> = (0..2).map(|_| sh(RESULT)).collect();
    let start = Instant::now();
    let outs = run_all(&specs, limits(1, 30), &mut |_, _| {});
    assert!(start.elapsed() >= Duration::from_secs(2));
    assert!(outs.iter().all(|o| o.answer == "done é"));
}

#[test]
fn a_hung_child_is_stopped_at_its_timeout_with_its_group() {
    let pidfile = std::env::temp_dir().join(format!("mote-sub-hang-{}", std::process::id()));
    let script = format!("sleep 30 & echo $! > {}; sleep 30", pidfile.display());
    let start = Instant::now();
    let outs = run_all(&[sh(&script)], limits(1, 1), &mut |_, _| {});
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(outs[0].stopped, Some("timeout"));
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert!(!alive(pid), "the child's background sleep {pid} survived");
    let _ = std::fs::remove_file(pidfile);
}

#[test]
fn crashes_and_long_answers() {
    let long = r#"printf '{"type":"result","result":"%s","turns":2}\n' "$(head -c 40000 /dev/zero | tr '\0' x)""#;
    let outs = run_all(
        &[sh("echo oops >&2; kill -SEGV $$"), sh(long), sh("exit 3")],
        limits(4, 30),
        &mut |_, _| {},
    );
    assert_eq!(outs[0].exit, Some(128 + libc::SIGSEGV));
    assert_eq!(outs[0].stderr, "oops\n");
    assert_eq!(
        (outs[1].answer.len(), outs[1].cut, outs[1].turns),
        (ANSWER_CAP, true, 2)
    );
    assert_eq!(outs[2].exit, Some(3));
    let bad = Spec {
        program: "/nonexistent/mote".into(),
        ..sh("")
    };
    let outs = run_all(&[bad], limits(1, 30), &mut |_, _| {});
    assert!(outs[0]
        .error
        .as_deref()
        .unwrap()
        .starts_with("cannot start"));
}

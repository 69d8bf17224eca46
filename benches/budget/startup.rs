//! Start-up cost as a ratio to a trivial static binary's exec, measured
//! alternately in the same run so machine noise cancels.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::measure::tempfile;

/// Median of `n` timings of `f`, in microseconds.
fn median_us(n: usize, mut f: impl FnMut() -> std::time::Duration) -> f64 {
    let mut v: Vec<f64> = (0..n).map(|_| f().as_secs_f64() * 1e6).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    v[n / 2]
}

/// Start-up cost as a ratio, so machine noise cancels: the time from spawn
/// to mote's first request byte, over the time to spawn and reap a trivial
/// static binary (built here with musl-gcc), measured alternately.
pub fn startup_ratio(bin: &Path) -> Option<(f64, f64, f64)> {
    use std::io::Read;
    use std::time::Instant;
    let dir = tempfile("true");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::write(dir.join("true.c"), "int main(void) { return 0; }\n").ok()?;
    let ok = Command::new("musl-gcc")
        .args(["-static", "-O2", "-o"])
        .arg(dir.join("true"))
        .arg(dir.join("true.c"))
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        return None;
    }
    let trivial = dir.join("true");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
    let url = format!("http://{}/v1", listener.local_addr().ok()?);
    let (mut t_true, mut t_mote) = (Vec::new(), Vec::new());
    for _ in 0..25 {
        let t = Instant::now();
        Command::new(&trivial).status().ok()?;
        t_true.push(t.elapsed());
        let t = Instant::now();
        let mut child = Command::new(bin)
            .args([
                "-p",
                "hi",
                "-m",
                "m",
                "--retries",
                "0",
                "--no-session",
                "--base-url",
                &url,
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let (mut conn, _) = listener.accept().ok()?;
        let mut byte = [0u8; 1];
        conn.read_exact(&mut byte).ok()?;
        t_mote.push(t.elapsed());
        drop(conn);
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut it = t_true.into_iter();
    let a = median_us(25, || it.next().unwrap_or_default());
    let mut it = t_mote.into_iter();
    let b = median_us(25, || it.next().unwrap_or_default());
    let _ = std::fs::remove_dir_all(&dir);
    Some((b / a, b, a))
}

//! What the benchmarks that drive the real binary share: measuring a
//! command's wall time, CPU time and peak memory, and medians.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Measure {
    pub wall: Duration,
    /// The child's user and system time. Steadier than wall time on a
    /// shared or virtual machine, whose disk moves the wall clock from one
    /// run to the next: compare builds on both.
    pub cpu: Duration,
    pub max_rss_kb: i64,
}

/// Runs a command to completion, measuring wall time and the child's CPU
/// time and peak RSS.
// The child is reaped by wait4 (which also gives its own rusage), not by
// Child::wait, which clippy cannot see.
#[allow(clippy::zombie_processes)]
pub fn measure(command: &mut Command) -> Measure {
    let start = Instant::now();
    let child = command
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the command starts");
    let mut status = 0;
    // SAFETY: wait4 fills the rusage struct we own, for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert!(
        pid > 0 && libc::WIFEXITED(status),
        "the command did not finish"
    );
    let code = libc::WEXITSTATUS(status);
    assert!(code == 0, "{command:?} exited with {code}");
    Measure {
        wall,
        cpu: duration(usage.ru_utime) + duration(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
    }
}

fn duration(time: libc::timeval) -> Duration {
    let micros = time.tv_sec as u64 * 1_000_000 + time.tv_usec as u64;
    Duration::from_micros(micros)
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `pressroom --config CONFIG ARGS`, logging warnings only.
pub fn pressroom(config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pressroom"));
    command
        .arg("--config")
        .arg(config)
        .args(args)
        .env("PRESSROOM_LOG", "warn");
    command
}

//! Daemon benchmark (not a test): `cargo bench -p pressroom --bench daemon`.
//!
//! Runs the real `pressroom run` on workspaces holding 1,000 and 100,000
//! releases and prints:
//! - drop-to-feed latency: from a release fully written into the inbox (an
//!   atomic rename) to `public/atom.xml` containing it, median and p99 over
//!   100 drops (the settle time, 300 ms by default, is part of it);
//! - the daemon's CPU time over a quiet minute (no drops);
//! - its resident memory (current and peak).
//!
//! `PRESSROOM_BENCH_LARGE=0` skips the 100,000 archive; `PRESSROOM_BENCH_DROPS`
//! sets the number of drops (default 100); `PRESSROOM_BENCH_QUIET_S` the
//! quiet period (default 60).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn generate(count: usize, start: usize, folder: &Path, prefix: &str) {
    let status = Command::new("python3")
        .arg(repo().join("bench/gen_releases.py"))
        .arg(count.to_string())
        .arg(folder)
        .args(["--start", &start.to_string(), "--prefix", prefix])
        .stdout(Stdio::null())
        .status()
        .expect("python3 runs");
    assert!(status.success());
}

fn pressroom(config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pressroom"));
    command
        .arg("--config")
        .arg(config)
        .env("PRESSROOM_LOG", "warn")
        .stdout(Stdio::null());
    command
}

/// A workspace whose store already holds `size` releases.
fn workspace(scratch: &Path, size: usize) -> PathBuf {
    let dir = scratch.join(format!("daemon-{size}"));
    let _ = std::fs::remove_dir_all(&dir);
    let status = Command::new(env!("CARGO_BIN_EXE_pressroom"))
        .arg("init")
        .arg(&dir)
        .args(["--base-url", "https://press.example.org/"])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    generate(size, 0, &dir.join("inbox"), "pr-");
    let start = Instant::now();
    let status = pressroom(&dir.join("pressroom.toml"))
        .arg("publish")
        .status()
        .unwrap();
    assert!(status.success());
    println!(
        "(archive of {size} built in {:.1} s)",
        start.elapsed().as_secs_f64()
    );
    dir
}

fn wait_ready(child: &mut Child, dir: &Path) {
    // Ready once the first publish has rewritten last-run after our start.
    let marker = dir.join("state/last-run");
    let before = std::fs::metadata(&marker).and_then(|m| m.modified()).ok();
    let start = Instant::now();
    loop {
        let now = std::fs::metadata(&marker).and_then(|m| m.modified()).ok();
        if now != before {
            return;
        }
        assert!(child.try_wait().unwrap().is_none(), "the daemon exited");
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "the daemon never became ready"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn proc_field(pid: u32, file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU time of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn run(scratch: &Path, size: usize, drops: usize, quiet: Duration) {
    let dir = workspace(scratch, size);
    let mut child = pressroom(&dir.join("pressroom.toml"))
        .arg("run")
        .spawn()
        .unwrap();
    wait_ready(&mut child, &dir);
    let staging = scratch.join(format!("drops-{size}"));
    let _ = std::fs::remove_dir_all(&staging);
    generate(drops, 20_000_000, &staging, "drop-");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&staging)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let atom = dir.join("public/atom.xml");
    let mut latencies = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        // Give each drop a date newer than anything in the archive, so that
        // it shows at the top of the feed.
        let text = text.replacen("\ndate: ", "\ndate: 2030-01-01T00:00:00Z\nold_date: ", 1);
        let title_line = text.lines().find(|l| l.starts_with("title: ")).unwrap();
        let needle = format!("({})", 20_000_000 + index);
        assert!(title_line.contains(&needle));
        let hidden = dir.join("inbox").join(format!(".drop-{index}"));
        std::fs::write(&hidden, &text).unwrap();
        let start = Instant::now();
        std::fs::rename(&hidden, dir.join("inbox").join(format!("drop-{index}.md"))).unwrap();
        // Reading the whole feed every millisecond would take a core from
        // the daemon: look at it again only when it was replaced.
        let mut seen = None;
        loop {
            let stamp = std::fs::metadata(&atom)
                .ok()
                .map(|m| (m.ino(), m.len(), m.modified().ok()));
            if stamp != seen {
                seen = stamp;
                if std::fs::read_to_string(&atom).is_ok_and(|feed| feed.contains(&needle)) {
                    break;
                }
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "drop {index} never reached the feed"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        latencies.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "archive of {size}: drop-to-feed latency median {:.0} ms, p99 {:.0} ms over {} drops",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.len()
    );
    let pid = child.id();
    let before = cpu_ticks(pid);
    std::thread::sleep(quiet);
    let ticks = cpu_ticks(pid) - before;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    println!(
        "archive of {size}: CPU time over a quiet {} s: {:.0} ms",
        quiet.as_secs(),
        ticks as f64 / hz * 1000.0
    );
    println!(
        "archive of {size}: resident memory {} MB, peak {} MB",
        proc_field(pid, "status", "VmRSS:").unwrap_or(0) / 1024,
        proc_field(pid, "status", "VmHWM:").unwrap_or(0) / 1024
    );
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = child.wait();
}

fn main() {
    let drops = std::env::var("PRESSROOM_BENCH_DROPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let quiet = Duration::from_secs(
        std::env::var("PRESSROOM_BENCH_QUIET_S")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60),
    );
    let scratch = std::env::temp_dir().join("pressroom-bench");
    std::fs::create_dir_all(&scratch).unwrap();
    run(&scratch, 1_000, drops, quiet);
    if std::env::var("PRESSROOM_BENCH_LARGE").as_deref() != Ok("0") {
        run(&scratch, 100_000, drops, quiet);
    }
}

//! Digest delivery benchmark (not a test): `cargo bench -p pressroom --bench digest`.
//!
//! Drives the real binary: a workspace with 20 published releases, a
//! subscriber list of 1,000 then 10,000 addresses, and `pressroom digest
//! send` into a local SMTP sink (in this process, on its own thread: it
//! offers PIPELINING, accepts everything and counts, so the figures are
//! Pressroom's: planning, composing, the SMTP dialogue, recording each
//! delivery in the store). Prints medians of wall time, CPU time, messages
//! per second and peak memory (the child's maximum resident set size), and
//! the ratio of peak memory between the two sizes (flat memory: close to 1).
//!
//! `PRESSROOM_BENCH_RUNS` sets the number of runs per size (default 3).

#[path = "../../digest/benches/sink.rs"]
mod sink;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[path = "support/mod.rs"]
mod support;

use support::{measure, median, pressroom};

/// A workspace with 20 published releases, `subscribers` subscribers and
/// SMTP to the sink on `port`; returns its config.
fn workspace(dir: &Path, subscribers: usize, port: u16) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    let status = Command::new(env!("CARGO_BIN_EXE_pressroom"))
        .arg("init")
        .arg(dir)
        .args(["--base-url", "https://press.example.org/"])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("pressroom init runs");
    assert!(status.success());
    let config = dir.join("pressroom.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\nfrom = \"\"", "\nfrom = \"press@example.org\"")
        .replace("\nhost = \"\"", "\nhost = \"127.0.0.1\"")
        .replace("\nport = 0", &format!("\nport = {port}"))
        .replace("\ntls = \"starttls\"", "\ntls = \"none\"")
        .replace("\nhelo_name = \"\"", "\nhelo_name = \"bench.test\"");
    // A schedule that never fires during the run; the first window starts
    // at its last slot, before the releases below.
    let two_hours_ago = chrono::Utc::now() - chrono::Duration::hours(2);
    let schedule = two_hours_ago.format("daily %H:%M");
    std::fs::write(
        &config,
        format!("{text}\n[[digest]]\nname = \"daily\"\nschedule = \"{schedule}\"\n"),
    )
    .unwrap();
    for n in 0..20 {
        std::fs::write(
            dir.join(format!("inbox/release-{n:02}.txt")),
            format!(
                "Communiqué numéro {n} sur la transition énergétique\n\nParis, le 3 mars 2024 – \
                 La région annonce aujourd'hui le lancement de son programme numéro {n}, \
                 qui réunira les collectivités, les entreprises et les associations du territoire \
                 autour d'objectifs communs pour les dix prochaines années.\n\n\
                 Le programme sera doté de trois millions d'euros par an.\n"
            ),
        )
        .unwrap();
    }
    measure(&mut pressroom(&config, &["publish"]));
    let mut csv = String::from("address,name,language,digests\n");
    for n in 0..subscribers {
        let lang = ["fr", "en", "ar"][n % 3];
        csv.push_str(&format!("reader{n:05}@example.org,Reader {n},{lang},\n"));
    }
    std::fs::write(dir.join("subscribers.csv"), csv).unwrap();
    config
}

fn main() {
    let runs: usize = std::env::var("PRESSROOM_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(3);
    let received = Arc::new(AtomicUsize::new(0));
    let port = sink::start_sink(Arc::clone(&received));
    let scratch = tempfile::tempdir().expect("a scratch folder");
    let mut peaks = Vec::new();
    for subscribers in [1_000, 10_000] {
        let mut walls = Vec::new();
        let mut cpus = Vec::new();
        let mut rss = Vec::new();
        for run in 0..runs {
            let config = workspace(
                &scratch.path().join(format!("ws-{subscribers}-{run}")),
                subscribers,
                port,
            );
            received.store(0, Ordering::SeqCst);
            let measured = measure(&mut pressroom(&config, &["digest", "send", "daily"]));
            assert_eq!(
                received.load(Ordering::SeqCst),
                subscribers,
                "every subscriber got one message"
            );
            walls.push(measured.wall.as_secs_f64());
            cpus.push(measured.cpu.as_secs_f64());
            rss.push(measured.max_rss_kb as f64 / 1024.0);
        }
        let wall = median(walls);
        let cpu = median(cpus);
        let peak = median(rss);
        peaks.push(peak);
        println!(
            "one digest of 20 releases to {subscribers} subscribers: median {wall:.2} s \
             (CPU {cpu:.2} s), {:.0} messages/s, peak memory {peak:.1} MB (of {runs} runs)",
            subscribers as f64 / wall
        );
    }
    println!(
        "peak memory, 10,000 / 1,000 subscribers: {:.2}",
        peaks[1] / peaks[0]
    );
}

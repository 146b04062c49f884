//! Publishing benchmark (not a test): `cargo bench -p pressroom --bench publish`.
//!
//! Drives the real binary on releases made by `bench/gen_releases.py` (the
//! generator the Hugo comparison uses) and prints medians of wall time, CPU
//! time (user and system) and peak memory (the child's maximum resident set
//! size) for:
//! - publishing one new release into an archive of 10,000, then 100,000,
//!   both as generated (a past date) and dated a minute ago (the newest in
//!   its feeds);
//! - publishing a backlog of 10,000 releases into an empty workspace;
//! - when `hugo` is installed, Hugo building the same 10,000 releases (RSS
//!   limit 50), run alternately with Pressroom, and the ratio.
//!
//! `PRESSROOM_BENCH_LARGE=0` skips the 100,000 archive (it takes minutes to
//! build), `PRESSROOM_BENCH_BACKLOG=0` the backlog and Hugo.
//! `PRESSROOM_BENCH_RUNS` sets the number of runs (default 3). The scratch
//! folder is `$TMPDIR/pressroom-bench`: point TMPDIR at a tmpfs to take the
//! disk out of the figures.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/mod.rs"]
mod support;

use support::{Measure, measure, median, pressroom};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn generate(count: usize, start: usize, folder: &Path, prefix: &str) {
    let status = Command::new("python3")
        .arg(repo().join("bench/gen_releases.py"))
        .arg(count.to_string())
        .arg(folder)
        .args(["--start", &start.to_string(), "--prefix", prefix])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3 runs");
    assert!(status.success(), "gen_releases.py failed");
}

/// A fresh workspace in `dir`; returns its config path.
fn init(dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    let status = Command::new(env!("CARGO_BIN_EXE_pressroom"))
        .args(["init"])
        .arg(dir)
        .args(["--base-url", "https://press.example.org/"])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    dir.join("pressroom.toml")
}

/// Copies the generated releases into an inbox (one by one: 100,000 names
/// are too many for a shell's command line).
fn copy_folder(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("the generated releases") {
        let path = entry.expect("a folder entry").path();
        if path.extension().is_some_and(|e| e == "md") {
            std::fs::copy(&path, to.join(path.file_name().expect("a file name")))
                .expect("the copy into the inbox");
        }
    }
}

/// Prints the medians of `measures`; returns the wall and CPU medians.
fn report(label: &str, measures: &[Measure]) -> (f64, f64) {
    let seconds = median(measures.iter().map(|m| m.wall.as_secs_f64()).collect());
    let cpu = median(measures.iter().map(|m| m.cpu.as_secs_f64()).collect());
    let rss = median(
        measures
            .iter()
            .map(|m| m.max_rss_kb as f64 / 1024.0)
            .collect(),
    );
    println!(
        "{label}: median {:.3} s (CPU {:.3} s), peak memory {:.0} MB (of {} runs)",
        seconds,
        cpu,
        rss,
        measures.len()
    );
    (seconds, cpu)
}

/// Publishes one new release into an archive of `size` releases, `runs`
/// times each way, alternately:
/// - as the generator makes it, dated somewhere in five years: it rarely
///   enters a feed, and only its page and the feeds' updated times change;
/// - dated a minute ago, as a press office publishes (and as
///   `bench/hugo_latency.py` drops one into Hugo): the newest item of every
///   feed it belongs to, which all change.
///
/// The archive is built in `archive-SIZE.new` beside the previous bench's
/// `archive-SIZE`, which [`put_in_place`] replaces only once every figure
/// is taken (see [`compare_backlog`] on measuring right after deletions).
fn one_new_release(scratch: &Path, size: usize, runs: usize) -> PathBuf {
    let releases = scratch.join(format!("releases-{size}"));
    if !releases.exists() {
        generate(size, 0, &releases, "pr-");
    }
    let built = scratch.join(format!("archive-{size}.new"));
    let config = init(&built);
    let inbox = config.parent().unwrap().join("inbox");
    copy_folder(&releases, &inbox);
    let backlog = measure(&mut pressroom(&config, &["publish"]));
    println!(
        "(building the archive of {size}: {:.1} s, {:.0} MB)",
        backlog.wall.as_secs_f64(),
        backlog.max_rss_kb as f64 / 1024.0
    );
    let extra = scratch.join(format!("extra-{size}"));
    let _ = std::fs::remove_dir_all(&extra);
    generate(2 * runs, 10_000_000, &extra, "new-");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&extra)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let (mut past, mut now) = (Vec::new(), Vec::new());
    for pair in files.chunks(2) {
        let [as_made, to_date] = pair else { break };
        let target = inbox.join(as_made.file_name().unwrap());
        std::fs::copy(as_made, target).unwrap();
        sync();
        past.push(measure(&mut pressroom(&config, &["publish"])));
        let text = std::fs::read_to_string(to_date).unwrap();
        let a_minute_ago =
            (chrono::Utc::now() - chrono::Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%S%:z");
        let dated = text
            .lines()
            .map(|line| {
                if line.starts_with("date:") {
                    format!("date: {a_minute_ago}")
                } else {
                    line.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(inbox.join(to_date.file_name().unwrap()), dated).unwrap();
        sync();
        now.push(measure(&mut pressroom(&config, &["publish"])));
    }
    report(
        &format!("one new release into an archive of {size}, dated as generated"),
        &past,
    );
    report(
        &format!("one new release into an archive of {size}, dated a minute ago"),
        &now,
    );
    built
}

/// Puts archives built by [`one_new_release`] where `bench/compare_builds.py`
/// looks for them, removing those of the previous bench.
fn put_in_place(built: &[PathBuf]) {
    for new in built {
        let name = new.file_stem().expect("an archive-SIZE.new folder");
        let place = new.with_file_name(name);
        let _ = std::fs::remove_dir_all(&place);
        std::fs::rename(new, &place).expect("the new archive takes the old one's place");
    }
}

/// A Hugo site holding `releases`, when `hugo` is installed.
fn hugo_site(scratch: &Path, releases: &Path) -> Option<PathBuf> {
    let hugo = Command::new("hugo")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !hugo {
        return None;
    }
    let site = scratch.join("hugo-site");
    let _ = std::fs::remove_dir_all(&site);
    std::fs::create_dir_all(site.join("content/releases")).unwrap();
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cp -r {}/* {}/ && cp {}/*.md {}/content/releases/",
            repo().join("bench/hugo").display(),
            site.display(),
            releases.display(),
            site.display()
        ))
        .status()
        .unwrap();
    assert!(status.success());
    Some(site)
}

fn main() {
    let runs: usize = std::env::var("PRESSROOM_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let large = std::env::var("PRESSROOM_BENCH_LARGE").as_deref() != Ok("0");
    let scratch = std::env::temp_dir().join("pressroom-bench");
    std::fs::create_dir_all(&scratch).unwrap();
    let releases = scratch.join("releases-10000");
    if !releases.exists() {
        generate(10_000, 0, &releases, "pr-");
    }
    // One release first: the backlog removes its folders (thousands of
    // files) after its last run, and the Hugo site is copied afresh.
    let mut built = vec![one_new_release(&scratch, 10_000, runs.max(5))];
    if large {
        built.push(one_new_release(&scratch, 100_000, runs.max(5)));
    }
    let backlog = std::env::var("PRESSROOM_BENCH_BACKLOG").as_deref() != Ok("0");
    if backlog {
        let hugo_site = hugo_site(&scratch, &releases);
        compare_backlog(&scratch, &releases, hugo_site.as_deref(), runs);
    }
    put_in_place(&built);
}

/// The backlog of 10,000, Pressroom and Hugo alternately, each run into
/// folders of its own that are removed only after the last run. On ext4,
/// creating files right after thousands were deleted is 2-3 times slower
/// (the allocator steps over recently freed inodes): removing the previous
/// run's tree first would measure the bench's cleanup, not the tools.
fn compare_backlog(scratch: &Path, releases: &Path, hugo_site: Option<&Path>, runs: usize) {
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let folders: Vec<PathBuf> = (0..runs)
        .flat_map(|run| {
            [
                scratch.join(format!("backlog-{run}")),
                scratch.join(format!("hugo-public-{run}")),
            ]
        })
        .collect();
    remove_all(&folders);
    for run in 0..runs {
        let config = init(&scratch.join(format!("backlog-{run}")));
        copy_folder(releases, &config.parent().unwrap().join("inbox"));
        sync();
        ours.push(measure(&mut pressroom(&config, &["publish"])));
        if let Some(hugo_site) = hugo_site {
            let out = scratch.join(format!("hugo-public-{run}"));
            sync();
            theirs.push(measure(
                Command::new("hugo")
                    .args(["--quiet", "--config", "config-rss50.toml", "-d"])
                    .arg(&out)
                    .arg("--source")
                    .arg(hugo_site),
            ));
        }
    }
    remove_all(&folders);
    let (pressroom_wall, pressroom_cpu) =
        report("backlog of 10,000 releases, pressroom publish", &ours);
    if hugo_site.is_some() {
        let (hugo_wall, hugo_cpu) =
            report("backlog of 10,000 releases, hugo (RSS limit 50)", &theirs);
        println!(
            "pressroom / hugo wall time: {:.2}, CPU time: {:.2}",
            pressroom_wall / hugo_wall,
            pressroom_cpu / hugo_cpu
        );
    } else {
        println!("(hugo is not installed: apt-get install hugo for the side-by-side figures)");
    }
}

fn remove_all(folders: &[PathBuf]) {
    for folder in folders {
        let _ = std::fs::remove_dir_all(folder);
    }
    sync();
}

/// Writes what earlier steps left in memory, so that a run does not pay
/// for the writes of the one before.
fn sync() {
    let _ = Command::new("sync").status();
}

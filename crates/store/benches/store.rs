//! The store at scale: `cargo bench -p pressroom-store --bench store`.
//!
//! Fills a store in a temporary folder with 100,000 synthetic releases (three
//! languages, twenty categories, about 4 KB of text each, kept as paragraphs
//! and as HTML like a parsed file's; one in a hundred embargoed, one in a
//! hundred retracted), then prints the median time of the operations an ingest and a
//! feed rebuild make, and the process's peak memory. The store is a real file
//! with the settings the daemon uses, so a committed `store()` includes the
//! sync to disk of this machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use pressroom_core::model::Section;
use pressroom_core::{Lang, Release, ReleaseId, SourceFormat};
use pressroom_store::{NewVersion, ReleaseText, Scope, Store, StoreError};

const RELEASES: usize = 100_000;
const FILL_BATCH: usize = 1_000;
const SAMPLES: usize = 201;
const FEED_LIMIT: usize = 50;
const CATEGORIES: usize = 20;

fn main() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let mut store = Store::open(&folder.path().join("pressroom.db")).expect("a new store");
    let start: DateTime<Utc> = "2020-01-01T00:00:00Z".parse().expect("a time");

    let fill = Instant::now();
    for first in (0..RELEASES).step_by(FILL_BATCH) {
        store
            .batch(|store| {
                for n in first..first + FILL_BATCH {
                    store.store(synthetic(n, start))?;
                }
                Ok::<_, StoreError>(())
            })
            .expect("filling the store");
    }
    for n in (0..RELEASES).step_by(100) {
        let id = ReleaseId::parse(&format!("bench-{n}")).expect("an id");
        store
            .retract(&id, minutes(start, n + 1))
            .expect("a retraction");
    }
    let fill = fill.elapsed();
    // After every release the benchmark stores, and a week before the last
    // embargoes lift: about sixty are pending, as the top of every feed.
    let now = minutes(start, RELEASES + 6_000);
    println!(
        "filled {} releases in {:.1} s ({:.0} µs each, batches of {FILL_BATCH}); database {:.0} MB",
        store.count().expect("a count"),
        fill.as_secs_f64(),
        fill.as_secs_f64() * 1e6 / RELEASES as f64,
        database_size(folder.path()) as f64 / 1e6,
    );

    let mut next = RELEASES;
    report(
        "store() of one more release, committed alone (with its sync to disk)",
        || {
            store.store(synthetic(next, start)).expect("a store");
            next += 1;
        },
    );
    report_per(
        "store() of one more release inside a batch of 256 (per release)",
        256,
        21,
        || {
            let first = next;
            store
                .batch(|store| {
                    for n in first..first + 256 {
                        store.store(synthetic(n, start))?;
                    }
                    Ok::<_, StoreError>(())
                })
                .expect("a batch");
            next += 256;
        },
    );

    let energie = Scope::Category(pressroom_store::category_slug("Catégorie 7"));
    let french = Scope::Language("fr".to_owned());
    report("latest(All, 50)", || {
        black_box(store.latest(&Scope::All, now, FEED_LIMIT).expect("latest"));
    });
    report("latest(Category, 50)", || {
        black_box(store.latest(&energie, now, FEED_LIMIT).expect("latest"));
    });
    report("latest(Language, 50)", || {
        black_box(store.latest(&french, now, FEED_LIMIT).expect("latest"));
    });
    report("last_change(Category)", || {
        black_box(store.last_change(&energie, now).expect("last change"));
    });
    let probe = ReleaseId::parse("bench-4242").expect("an id");
    report("release(id)", || {
        black_box(store.release(&probe).expect("a release"));
    });
    let hash = hash_of(4242);
    report("release_by_hash()", || {
        black_box(store.release_by_hash(&hash).expect("a release"));
    });
    report("resolve_id() of a taken slug", || {
        black_box(store.resolve_id(&probe, false, "other.txt").expect("an id"));
    });
    report("languages() + categories()", || {
        black_box(store.languages().expect("languages"));
        black_box(store.categories().expect("categories"));
    });
    let walk = Instant::now();
    let mut visible = 0usize;
    store
        .for_each_visible(now, |stored| {
            visible += usize::from(!stored.release.paragraphs.is_empty());
            Ok(())
        })
        .expect("a walk");
    println!(
        "for_each_visible over {visible} releases: {:.2} s",
        walk.elapsed().as_secs_f64()
    );
    let walk = Instant::now();
    let mut wanted = 0usize;
    store
        .for_each_visible_wanted(
            now,
            |_| true,
            |stored| {
                wanted += usize::from(!stored.release.paragraphs.is_empty());
                Ok(())
            },
        )
        .expect("a walk");
    println!(
        "for_each_visible_wanted, every release wanted, over {wanted} releases: {:.2} s",
        walk.elapsed().as_secs_f64()
    );
    report(
        "for comparison, this disk's sync of a 4 KB write (no store)",
        || {
            sync_a_write(folder.path());
        },
    );
    println!("peak resident memory (VmHWM): {}", peak_rss());
}

/// Runs `f` `SAMPLES` times and prints the median.
fn report(label: &str, f: impl FnMut()) {
    report_per(label, 1, SAMPLES, f);
}

/// Runs `f`, which handles `per` items, `samples` times and prints the
/// median time per item.
fn report_per(label: &str, per: u32, samples: usize, mut f: impl FnMut()) {
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed() / per
        })
        .collect();
    times.sort();
    let median = times[samples / 2];
    let slowest = times[samples - 1];
    println!(
        "{label}: median {:.1} µs (slowest {:.1} µs, {samples} runs)",
        median.as_secs_f64() * 1e6,
        slowest.as_secs_f64() * 1e6
    );
}

fn minutes(start: DateTime<Utc>, n: usize) -> DateTime<Utc> {
    start + TimeDelta::minutes(i64::try_from(n).expect("a small number"))
}

fn hash_of(n: usize) -> String {
    format!("{n:064x}")
}

/// Release `n`: one a minute, in French, English or Arabic, in two of
/// twenty categories; one in a hundred embargoed for a week.
fn synthetic(n: usize, start: DateTime<Utc>) -> NewVersion {
    let lang = ["fr", "en", "ar"][n % 3];
    let paragraph = |k: usize| {
        format!(
            "Paragraph {k} of release {n}. The company announced today a new partnership \
             with the world leader in renewable energy solutions for ports and logistics. "
        )
        .repeat(5)
    };
    let paragraphs: Vec<String> = (0..4).map(paragraph).collect();
    let body_html = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    let id = format!("bench-{n}");
    let release = Release {
        id: ReleaseId::parse(&id).expect("an id"),
        slug: id.clone(),
        title: format!("Release number {n} about renewable energy"),
        lang: Lang::parse(lang).expect("a language"),
        date: None,
        place: Some("Marseille".to_owned()),
        summary: paragraphs[0][..120].to_owned(),
        paragraphs,
        body_html,
        categories: vec![
            format!("Catégorie {}", n % CATEGORIES),
            format!("Catégorie {}", (n / CATEGORIES) % CATEGORIES),
        ],
        author: None,
        embargo: None,
        format: SourceFormat::Text,
        contact: Some(Section {
            heading: "Media contact".to_owned(),
            paragraphs: vec!["Jane Doe\npress@example.org\n+33 1 23 45 67 89".to_owned()],
            html: "<p>Jane Doe<br>\npress@example.org<br>\n+33 1 23 45 67 89</p>\n".to_owned(),
        }),
        about: None,
        attachments: Vec::new(),
    };
    let at = minutes(start, n);
    let visible_from = if n % 100 == 50 {
        at + TimeDelta::days(7)
    } else {
        at
    };
    NewVersion {
        // Compressed ahead, as the daemon's parse threads do.
        text: Some(ReleaseText::encode(&release)),
        release,
        tag_id: format!("tag:example.org,2020-01-01:{id}"),
        source_name: format!("{id}.txt"),
        source_hash: hash_of(n),
        archive_path: format!("2020/01/{id}.txt"),
        at,
        published: visible_from,
        visible_from,
        attachment_paths: Vec::new(),
    }
}

fn sync_a_write(folder: &std::path::Path) {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(folder.join("sync-probe"))
        .expect("a probe file");
    file.write_all(&[b'x'; 4096]).expect("a write");
    file.sync_data().expect("a sync");
}

fn database_size(folder: &std::path::Path) -> u64 {
    ["pressroom.db", "pressroom.db-wal"]
        .iter()
        .filter_map(|name| std::fs::metadata(folder.join(name)).ok())
        .map(|metadata| metadata.len())
        .sum()
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .map(|line| line.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown (no /proc/self/status)".to_owned())
}

//! Rendering cost on one core: `cargo bench -p pressroom-feeds --bench render`.
//!
//! A drop regenerates three or four scopes: for each, its items are made,
//! then written as Atom, RSS and JSON Feed and as its listing page. This
//! measures each of those steps for one scope of 50 items (the default feed
//! limit), made from the publishable releases of the repository's corpus
//! (French, English, Arabic; text and Markdown) in turn, and a release's own
//! page. Each is run in rounds of at least 0.3 s; the median round is
//! reported, in microseconds per feed or page.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::DateTime;
use pressroom_core::{Lang, ParseOptions, Release, parse_release};
use pressroom_feeds::{Entry, FeedItems, Format, Scope, Site, Templates};

const ROUNDS: usize = 7;
const ROUND_TIME: Duration = Duration::from_millis(300);
const FEED_LIMIT: usize = 50;

fn main() {
    let corpus_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/releases");
    let mut names: Vec<_> = std::fs::read_dir(&corpus_dir)
        .expect("tests/corpus/releases exists")
        .map(|entry| entry.expect("readable corpus entry").path())
        .collect();
    names.sort();
    let releases: Vec<Release> = names
        .iter()
        .filter_map(|path| {
            let name = path.file_name()?.to_string_lossy().into_owned();
            let bytes = std::fs::read(path).ok()?;
            Some(
                parse_release(&name, &bytes, &ParseOptions::default())
                    .ok()?
                    .release,
            )
        })
        .collect();
    assert!(!releases.is_empty(), "the corpus has publishable releases");
    let tag_ids: Vec<String> = (0..FEED_LIMIT)
        .map(|n| format!("tag:press.example.org,2024:release-{n}"))
        .collect();
    let at = DateTime::parse_from_rfc3339("2024-05-02T09:30:00+02:00").expect("valid");
    let entries: Vec<Entry<'_>> = tag_ids
        .iter()
        .zip(releases.iter().cycle())
        .map(|(tag_id, release)| Entry {
            release,
            tag_id,
            published: at,
            updated: at,
            revision: 1,
        })
        .collect();
    let site = Site {
        title: "Press releases".to_owned(),
        description: "Every release of the group".to_owned(),
        base_url: "https://press.example.org/".to_owned(),
        lang: Lang::parse("fr").expect("valid"),
        author_name: "Press Office".to_owned(),
        author_email: Some("press@example.org".to_owned()),
        generator: "Pressroom".to_owned(),
    };
    let scope = Scope::All;
    let templates = Templates::builtin();
    let items = FeedItems::new(&site, &entries);
    let feed_bytes = |format| items.render(format, &site, &scope, at).len();
    println!(
        "one scope of {FEED_LIMIT} items from {} corpus releases: Atom {} KB, RSS {} KB, JSON {} KB",
        releases.len(),
        feed_bytes(Format::Atom) / 1000,
        feed_bytes(Format::Rss) / 1000,
        feed_bytes(Format::Json) / 1000,
    );
    measure("items made", || FeedItems::new(&site, &entries));
    for format in Format::ALL {
        measure(&format!("{format:?} feed"), || {
            items.render(format, &site, &scope, at).len()
        });
    }
    measure("listing page", || {
        templates
            .render_index_page_of(&site, &scope, &items)
            .expect("the built-in templates render")
            .len()
    });
    measure("a release's page", || {
        templates
            .render_release_page(&site, &entries[0])
            .expect("the built-in templates render")
            .len()
    });
}

fn measure<T>(label: &str, mut run: impl FnMut() -> T) {
    let mut per_run = Vec::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let mut runs = 0u32;
        while start.elapsed() < ROUND_TIME {
            black_box(run());
            runs += 1;
        }
        per_run.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(runs));
    }
    per_run.sort_by(f64::total_cmp);
    println!(
        "{label}: median {:.0} µs (of {ROUNDS} rounds)",
        per_run[ROUNDS / 2]
    );
}

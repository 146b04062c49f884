//! End-to-end: the feeds as other widely used readers see them.
//!
//! Every publish test reads feeds back with feed-rs. Here two more readers,
//! written by other people in other languages, read every Atom and RSS feed
//! of a workspace holding the demo inbox and every good release of the
//! corpus (French, English, Arabic, German, Spanish; categories, contacts,
//! front matter):
//! - Python's feedparser, the parser behind many aggregators and scripts;
//! - newsboat, a terminal feed reader, through the cache it fills.
//!
//! Each must read every feed without a complaint and see what feed-rs sees
//! in the Atom feed of the same scope: the same items, in the same order,
//! with the same ids, titles, links, publication and update instants,
//! languages, categories and authors; and the feed's own language, links and direction.
//! feedparser's HTML sanitizer must find nothing to take out of a summary or
//! a content.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{BASE_URL, TestWorkspace, read_feed, text};

/// One item, as every reader must see it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Item {
    id: String,
    title: String,
    link: String,
    /// Unix seconds.
    published: i64,
    /// Unix seconds (RSS: `atom:updated`).
    updated: Option<i64>,
    language: Option<String>,
    categories: Vec<String>,
    author: Option<String>,
}

/// A feed of the workspace: its path under public/, and its scope's folder
/// (`""`, `"ar/"`, `"category/rail/"`).
struct FeedFile {
    relative: String,
    scope: String,
}

impl FeedFile {
    fn url(&self) -> String {
        format!("{BASE_URL}{}", self.relative)
    }

    fn is_atom(&self) -> bool {
        self.relative.ends_with("atom.xml")
    }
}

/// A workspace (times in Paris, so that every date carries an offset) with
/// the demo inbox and the corpus's good releases published.
fn published_corpus() -> TestWorkspace {
    let workspace = TestWorkspace::new(&[("time_zone", "\"Europe/Paris\"")]);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut count = 0;
    for folder in ["feeds/inbox", "tests/corpus/releases"] {
        for entry in std::fs::read_dir(root.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.starts_with("bad-") {
                std::fs::copy(&path, workspace.inbox().join(&name)).unwrap();
                count += 1;
            }
        }
    }
    let summary = workspace.publish(0);
    assert!(
        summary.contains(&format!("published {count},")),
        "{summary}"
    );
    workspace
}

/// Every Atom and RSS feed under public/.
fn xml_feeds(public: &Path) -> Vec<FeedFile> {
    let feeds: Vec<FeedFile> = support::walk(public)
        .into_iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(public).unwrap().to_string_lossy();
            let scope = relative
                .strip_suffix("atom.xml")
                .or_else(|| relative.strip_suffix("rss.xml"))?;
            Some(FeedFile {
                scope: scope.to_owned(),
                relative: relative.into_owned(),
            })
        })
        .collect();
    // All, five languages and at least the corpus's categories, twice.
    assert!(feeds.len() >= 2 * 10, "{} feeds", feeds.len());
    feeds
}

/// What feed-rs reads in a scope's Atom feed: what every other reader must
/// see in the scope's feeds.
struct Reference {
    items: Vec<Item>,
    language: String,
    title: String,
}

/// The [`Reference`] of every scope of `feeds`, by scope: each Atom feed is
/// read (and validated) once, however many feeds its scope has.
fn references(public: &Path, feeds: &[FeedFile]) -> BTreeMap<String, Reference> {
    let mut references = BTreeMap::new();
    for feed in feeds {
        references
            .entry(feed.scope.clone())
            .or_insert_with(|| reference(public, &feed.scope));
    }
    references
}

fn reference(public: &Path, scope: &str) -> Reference {
    let feed = read_feed(public, &format!("{scope}atom.xml")).feed;
    let items = feed
        .entries
        .iter()
        .map(|entry| Item {
            id: entry.id.clone(),
            title: entry.title.as_ref().unwrap().content.clone(),
            link: entry.links[0].href.clone(),
            published: entry.published.unwrap().timestamp(),
            updated: entry.updated.map(|t| t.timestamp()),
            language: entry.language.clone(),
            categories: entry.categories.iter().map(|c| c.term.clone()).collect(),
            author: entry.authors.first().and_then(|a| a.name.clone()),
        })
        .collect();
    Reference {
        items,
        language: feed.language.expect("a feed language"),
        title: feed.title.expect("a feed title").content,
    }
}

fn string(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

#[test]
fn feedparser_reads_every_feed_as_feed_rs_does() {
    let Some(python) = support::smtp::python_with("feedparser") else {
        return;
    };
    let workspace = published_corpus();
    let public = workspace.public();
    let feeds = xml_feeds(&public);
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/readers/feedparser_dump.py");
    let output = Command::new(python)
        .arg(script)
        .args(feeds.iter().map(|feed| public.join(&feed.relative)))
        .output()
        .expect("python runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let read: Vec<Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per feed"))
        .collect();
    assert_eq!(read.len(), feeds.len());

    let references = references(&public, &feeds);
    for (feed, read) in feeds.iter().zip(&read) {
        let name = &feed.relative;
        let reference = &references[&feed.scope];
        let version = if feed.is_atom() { "atom10" } else { "rss20" };
        assert_eq!(read["version"], version, "{name}");
        assert_eq!(read["bozo"], false, "{name}: {}", read["bozo_exception"]);
        assert_eq!(
            string(&read["title"]).as_ref(),
            Some(&reference.title),
            "{name}"
        );
        assert_eq!(
            string(&read["language"]).as_ref(),
            Some(&reference.language),
            "{name}"
        );
        let link = |rel: &str| {
            read["links"]
                .as_array()
                .unwrap()
                .iter()
                .find(|link| link["rel"] == rel)
                .and_then(|link| string(&link["href"]))
        };
        assert_eq!(link("self"), Some(feed.url()), "{name}: self link");
        assert_eq!(
            link("alternate"),
            Some(format!("{BASE_URL}{}", feed.scope)),
            "{name}: home page link"
        );

        let entries = read["entries"].as_array().unwrap();
        let items: Vec<Item> = entries
            .iter()
            .map(|entry| Item {
                id: string(&entry["id"]).unwrap_or_default(),
                title: string(&entry["title"]).unwrap_or_default(),
                link: string(&entry["link"]).unwrap_or_default(),
                published: entry["published"].as_i64().unwrap_or_default(),
                updated: entry["updated"].as_i64(),
                language: string(&entry["language"]),
                categories: entry["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(string)
                    .collect(),
                author: string(&entry["author"]),
            })
            .collect();
        assert_eq!(items, reference.items, "{name}");
        for entry in entries {
            assert!(
                entry["sanitized_away"].is_null(),
                "{name}: {}: feedparser's sanitizer changed {}",
                entry["id"],
                entry["sanitized_away"]
            );
            assert!(
                string(&entry["summary"]).is_some_and(|s| !s.trim().is_empty()),
                "{name}: {} has no summary",
                entry["id"]
            );
            assert!(
                entry["content"][0]
                    .as_str()
                    .is_some_and(|c| c.starts_with("<p")),
                "{name}: {} has no HTML content: {}",
                entry["id"],
                entry["content"]
            );
        }
        // The feed changed when its newest item was stored, not before.
        let changed = read["updated"].as_i64().expect("a feed updated time");
        for entry in entries {
            let edited = entry["updated"].as_i64().expect("an updated time");
            assert!(
                edited <= changed,
                "{name}: {} changed after its feed",
                entry["id"]
            );
        }
    }
}

/// The feed and items that newsboat stored in its cache after reading one
/// feed from a `file://` URL.
struct NewsboatRead {
    title: String,
    home_page: String,
    right_to_left: bool,
    items: BTreeMap<String, Item>,
}

fn newsboat_read(feed: &Path, scratch: &Path, python: &str) -> NewsboatRead {
    std::fs::create_dir_all(scratch).unwrap();
    let urls = scratch.join("urls");
    let cache = scratch.join("cache.db");
    let config = scratch.join("config");
    std::fs::write(&urls, format!("file://{}\n", feed.display())).unwrap();
    std::fs::write(&config, "").unwrap();
    let output = Command::new("newsboat")
        .arg("--url-file")
        .arg(&urls)
        .arg("--cache-file")
        .arg(&cache)
        .arg("--config-file")
        .arg(&config)
        .args(["--execute", "reload"])
        .env("HOME", scratch)
        .output()
        .expect("newsboat runs");
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "newsboat on {}: {}{}",
        feed.display(),
        text(&output.stdout),
        text(&output.stderr)
    );
    // Read with the sqlite3 module of Python's standard library, so that the
    // test needs no SQLite binding of its own.
    let dump = Command::new(python)
        .arg("-c")
        .arg(
            r#"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
feeds = db.execute("select title, url, is_rtl from rss_feed").fetchall()
items = db.execute("select guid, title, url, pubDate, author from rss_item").fetchall()
print(json.dumps({"feeds": feeds, "items": items}, ensure_ascii=False))
"#,
        )
        .arg(&cache)
        .output()
        .expect("python runs");
    assert!(dump.status.success(), "{}", text(&dump.stderr));
    let dump: Value = serde_json::from_slice(&dump.stdout).unwrap();
    let feeds = dump["feeds"].as_array().unwrap();
    assert_eq!(feeds.len(), 1, "{}: {feeds:?}", feed.display());
    let items = dump["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let guid = string(&item[0]).unwrap();
            let read = Item {
                id: guid.clone(),
                title: string(&item[1]).unwrap(),
                link: string(&item[2]).unwrap(),
                published: item[3].as_i64().unwrap(),
                // newsboat keeps neither an item's updated time, nor its
                // language, nor its categories.
                updated: None,
                language: None,
                categories: Vec::new(),
                author: string(&item[4]).filter(|a| !a.is_empty()),
            };
            (guid, read)
        })
        .collect();
    NewsboatRead {
        title: string(&feeds[0][0]).unwrap(),
        home_page: string(&feeds[0][1]).unwrap(),
        right_to_left: feeds[0][2].as_i64() == Some(1),
        items,
    }
}

#[test]
fn newsboat_reads_every_item_of_every_feed() {
    if !support::validator("newsboat") {
        return;
    }
    let Some(python) = support::smtp::python_with("sqlite3") else {
        return;
    };
    let workspace = published_corpus();
    let public = workspace.public();
    let scratch = workspace.path("newsboat");
    let feeds = xml_feeds(&public);
    let references = references(&public, &feeds);
    for (number, feed) in feeds.iter().enumerate() {
        let name = &feed.relative;
        let reference = &references[&feed.scope];
        let read = newsboat_read(
            &public.join(name),
            &scratch.join(number.to_string()),
            &python,
        );
        assert_eq!(read.title, reference.title, "{name}");
        assert_eq!(
            read.home_page,
            format!("{BASE_URL}{}", feed.scope),
            "{name}"
        );
        assert_eq!(
            read.right_to_left,
            reference.language == "ar",
            "{name}: direction"
        );
        let expected: BTreeMap<String, Item> = reference
            .items
            .iter()
            .map(|item| {
                let seen = Item {
                    updated: None,
                    language: None,
                    categories: Vec::new(),
                    ..item.clone()
                };
                (seen.id.clone(), seen)
            })
            .collect();
        assert_eq!(read.items, expected, "{name}");
    }
}

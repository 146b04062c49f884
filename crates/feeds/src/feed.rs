//! The three feed formats and the one entry point that renders them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, FixedOffset};

use crate::dates::whole_seconds;
use crate::item::{Entry, Item};
use crate::site::{Scope, Site};
use crate::xml::cleaned;
use crate::{atom, json, rss};

/// A feed format Pressroom writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Atom,
    Rss,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Atom, Format::Rss, Format::Json];

    /// The feed's file name in its scope's folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Atom => "atom.xml",
            Format::Rss => "rss.xml",
            Format::Json => "feed.json",
        }
    }

    /// The media type to serve the feed with and to advertise it under.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Atom => "application/atom+xml",
            Format::Rss => "application/rss+xml",
            Format::Json => "application/feed+json",
        }
    }

    /// The format's name for people: "Atom", "RSS", "JSON Feed".
    pub(crate) fn label(self) -> &'static str {
        match self {
            Format::Atom => "Atom",
            Format::Rss => "RSS",
            Format::Json => "JSON Feed",
        }
    }
}

/// The XML declaration every XML feed starts with.
pub(crate) const XML_PROLOG: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// Renders the feed of `scope` in `format`.
///
/// `entries` are newest first and already cut to the feed limit. `updated` is
/// the feed's updated / lastBuildDate time (the caller passes the newest item
/// change, never the build time). The same arguments always give the same
/// bytes.
pub fn render_feed(
    format: Format,
    site: &Site,
    scope: &Scope,
    entries: &[Entry<'_>],
    updated: DateTime<FixedOffset>,
) -> Vec<u8> {
    FeedItems::new(site, entries).render(format, site, scope, updated)
}

/// A scope's entries made into items once (cleaned, linked, dated: most of
/// the cost of a feed), then rendered as every format and the listing page.
pub struct FeedItems {
    pub(crate) items: Vec<Arc<Item>>,
}

impl FeedItems {
    /// `entries` newest first, already cut to the feed limit.
    pub fn new(site: &Site, entries: &[Entry<'_>]) -> FeedItems {
        FeedItems {
            items: entries
                .iter()
                .map(|entry| Arc::new(Item::new(site, entry)))
                .collect(),
        }
    }

    /// As [`FeedItems::new`], taking the items of releases that have not
    /// changed since they were last made from `cache` (the daemon keeps one:
    /// a drop then makes one item, not one per release in every feed). The
    /// cache is shared: feeds of several scopes can be made at once.
    pub fn new_cached(site: &Site, entries: &[Entry<'_>], cache: &ItemCache) -> FeedItems {
        FeedItems {
            items: entries
                .iter()
                .map(|entry| cache.item(site, entry))
                .collect(),
        }
    }

    /// The feed of `scope` in `format`: the same bytes as [`render_feed`].
    pub fn render(
        &self,
        format: Format,
        site: &Site,
        scope: &Scope,
        updated: DateTime<FixedOffset>,
    ) -> Vec<u8> {
        let feed = FeedInfo::new(site, scope, format, updated);
        match format {
            Format::Atom => atom::render(&feed, &self.items),
            Format::Rss => rss::render(&feed, &self.items),
            Format::Json => json::render(&feed, &self.items),
        }
    }
}

/// Items made earlier, by feed id, with the version and times they were
/// made for. An entry of the same revision with the same published and
/// updated times is the same release version: its item is reused. The
/// cache must not outlive the [`Site`] it was filled with (the daemon makes
/// a new one on reload).
#[derive(Debug, Default)]
pub struct ItemCache {
    items: Mutex<HashMap<String, CachedItem>>,
}

#[derive(Debug)]
struct CachedItem {
    revision: u32,
    published: DateTime<FixedOffset>,
    updated: DateTime<FixedOffset>,
    item: Arc<Item>,
}

impl CachedItem {
    fn is_for(&self, entry: &Entry<'_>) -> bool {
        self.revision == entry.revision
            && self.published == entry.published
            && self.updated == entry.updated
    }
}

impl ItemCache {
    /// At most this many items are kept (a few megabytes); past it the
    /// cache starts again empty, which costs only time.
    pub const CAPACITY: usize = 512;

    fn item(&self, site: &Site, entry: &Entry<'_>) -> Arc<Item> {
        if let Some(cached) = self.lock().get(entry.tag_id)
            && cached.is_for(entry)
        {
            return Arc::clone(&cached.item);
        }
        // Made outside the lock, so that other scopes' threads go on; two
        // threads making the same item at once only do the work twice.
        let item = Arc::new(Item::new(site, entry));
        let mut items = self.lock();
        if items.len() >= Self::CAPACITY {
            items.clear();
        }
        items.insert(
            entry.tag_id.to_owned(),
            CachedItem {
                revision: entry.revision,
                published: entry.published,
                updated: entry.updated,
                item: Arc::clone(&item),
            },
        );
        item
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, CachedItem>> {
        // A panic elsewhere cannot leave the map half-updated: insert and
        // clear are whole operations.
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a feed says about itself, cleaned and with absolute URLs.
pub(crate) struct FeedInfo {
    pub title: String,
    pub description: String,
    /// The feed's own URL (its `self` link and Atom id).
    pub url: String,
    /// The scope's listing page.
    pub listing_url: String,
    pub lang: String,
    pub author_name: String,
    pub author_email: Option<String>,
    pub generator: String,
    pub updated: DateTime<FixedOffset>,
}

impl FeedInfo {
    fn new(site: &Site, scope: &Scope, format: Format, updated: DateTime<FixedOffset>) -> Self {
        FeedInfo {
            title: cleaned(&scope.title(site)),
            description: cleaned(&site.description),
            url: cleaned(&scope.feed_url(site, format)),
            listing_url: cleaned(&scope.listing_url(site)),
            lang: scope.lang(site).to_string(),
            author_name: cleaned(&site.author_name),
            author_email: site.email().map(cleaned),
            generator: cleaned(&site.generator),
            updated: whole_seconds(updated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pressroom_core::{Lang, ParseOptions, Release, parse_release};

    fn site() -> Site {
        Site {
            title: "Press releases".to_owned(),
            description: String::new(),
            base_url: "https://press.example.org/".to_owned(),
            lang: Lang::parse("en").expect("valid"),
            author_name: "Press Office".to_owned(),
            author_email: None,
            generator: "Pressroom".to_owned(),
        }
    }

    #[test]
    fn cached_items_render_the_same_feed_and_a_new_version_is_made_again() {
        let parse = |text: &str| {
            parse_release("r.txt", text.as_bytes(), &ParseOptions::default())
                .expect("a valid test release")
                .release
        };
        let first = parse("Un titre\n\nParis, 3 mars 2024\n\nLe premier texte du communiqué.\n");
        let second = parse("Un titre\n\nParis, 3 mars 2024\n\nLe second texte du communiqué.\n");
        let at = DateTime::parse_from_rfc3339("2024-05-02T09:30:00+02:00").expect("valid");
        let later = DateTime::parse_from_rfc3339("2024-05-03T09:30:00+02:00").expect("valid");
        let entry = |release, updated, revision| Entry {
            release,
            tag_id: "tag:press.example.org,2024:r",
            published: at,
            updated,
            revision,
        };
        let (site, scope) = (site(), Scope::All);
        let cache = ItemCache::default();
        let render = |items: &FeedItems| items.render(Format::Atom, &site, &scope, at);

        let fresh = render(&FeedItems::new(&site, &[entry(&first, at, 1)]));
        let cached = FeedItems::new_cached(&site, &[entry(&first, at, 1)], &cache);
        assert_eq!(render(&cached), fresh);
        // Same id, version and times: the cached item, even for other content.
        let stale = FeedItems::new_cached(&site, &[entry(&second, at, 1)], &cache);
        assert_eq!(render(&stale), fresh);
        // A new version: made again, even with the same times (a release
        // dated ahead of its storing keeps its publication time).
        let second_version = FeedItems::new_cached(&site, &[entry(&second, at, 2)], &cache);
        let feed = String::from_utf8(render(&second_version)).expect("UTF-8");
        assert!(feed.contains("Le second texte"), "{feed}");
        // A new updated time: made again.
        let updated = FeedItems::new_cached(&site, &[entry(&first, later, 2)], &cache);
        let feed = String::from_utf8(render(&updated)).expect("UTF-8");
        assert!(feed.contains("Le premier texte"), "{feed}");
    }

    #[test]
    fn one_cache_serves_feeds_made_on_several_threads_at_once() {
        let releases: Vec<Release> = (0..40)
            .map(|n| {
                let text = format!("Titre {n}\n\nParis, 3 mars 2024\n\nTexte {n}.\n");
                parse_release("r.txt", text.as_bytes(), &ParseOptions::default())
                    .expect("a valid test release")
                    .release
            })
            .collect();
        let at = DateTime::parse_from_rfc3339("2024-05-02T09:30:00+02:00").expect("valid");
        let tag_ids: Vec<String> = (0..releases.len())
            .map(|n| format!("tag:t,2024:{n}"))
            .collect();
        let entries: Vec<Entry<'_>> = releases
            .iter()
            .zip(&tag_ids)
            .map(|(release, tag_id)| Entry {
                release,
                tag_id,
                published: at,
                updated: at,
                revision: 1,
            })
            .collect();
        let site = site();
        let render = |items: &FeedItems| items.render(Format::Json, &site, &Scope::All, at);
        let cache = ItemCache::default();
        // Overlapping windows, as the feeds of a language and a category share releases.
        let windows = [
            &entries[..30],
            &entries[10..],
            &entries[5..35],
            &entries[..],
        ];
        let feeds: Vec<Vec<u8>> = std::thread::scope(|scope| {
            let threads: Vec<_> = windows
                .iter()
                .map(|window| scope.spawn(|| render(&FeedItems::new_cached(&site, window, &cache))))
                .collect();
            threads
                .into_iter()
                .map(|thread| thread.join().expect("no panic"))
                .collect()
        });
        for (window, feed) in windows.iter().zip(&feeds) {
            assert_eq!(*feed, render(&FeedItems::new(&site, window)));
        }
    }
}

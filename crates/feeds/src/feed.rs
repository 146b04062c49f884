//! The three feed formats and the one entry point that renders them.

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
    pub(crate) items: Vec<Item>,
}

impl FeedItems {
    /// `entries` newest first, already cut to the feed limit.
    pub fn new(site: &Site, entries: &[Entry<'_>]) -> FeedItems {
        FeedItems {
            items: entries.iter().map(|entry| Item::new(site, entry)).collect(),
        }
    }

    /// As [`FeedItems::new`], taking the items of releases that have not
    /// changed since they were last made from `cache` (the daemon keeps one:
    /// a drop then makes one item, not one per release in every feed).
    pub fn new_cached(site: &Site, entries: &[Entry<'_>], cache: &mut ItemCache) -> FeedItems {
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

/// Items made earlier, by feed id, with the times they were made for. An
/// entry whose published and updated times are the ones cached is the same
/// release version: its item is reused. The cache must not outlive the
/// [`Site`] it was filled with (the daemon makes a new one on reload).
#[derive(Debug, Default)]
pub struct ItemCache {
    items: std::collections::HashMap<String, (DateTime<FixedOffset>, DateTime<FixedOffset>, Item)>,
}

impl ItemCache {
    /// At most this many items are kept (a few megabytes); past it the
    /// cache starts again empty, which costs only time.
    pub const CAPACITY: usize = 512;

    fn item(&mut self, site: &Site, entry: &Entry<'_>) -> Item {
        if let Some((published, updated, item)) = self.items.get(entry.tag_id)
            && *published == entry.published
            && *updated == entry.updated
        {
            return item.clone();
        }
        let item = Item::new(site, entry);
        if self.items.len() >= Self::CAPACITY {
            self.items.clear();
        }
        self.items.insert(
            entry.tag_id.to_owned(),
            (entry.published, entry.updated, item.clone()),
        );
        item
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
    use pressroom_core::{Lang, ParseOptions, parse_release};

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
        let entry = |release, updated| Entry {
            release,
            tag_id: "tag:press.example.org,2024:r",
            published: at,
            updated,
        };
        let (site, scope) = (site(), Scope::All);
        let mut cache = ItemCache::default();
        let render = |items: &FeedItems| items.render(Format::Atom, &site, &scope, at);

        let fresh = render(&FeedItems::new(&site, &[entry(&first, at)]));
        let cached = FeedItems::new_cached(&site, &[entry(&first, at)], &mut cache);
        assert_eq!(render(&cached), fresh);
        // Same id and times: the cached item, even for other content.
        let stale = FeedItems::new_cached(&site, &[entry(&second, at)], &mut cache);
        assert_eq!(render(&stale), fresh);
        // A new version has a new updated time: made again.
        let updated = FeedItems::new_cached(&site, &[entry(&second, later)], &mut cache);
        let feed = String::from_utf8(render(&updated)).expect("UTF-8");
        assert!(feed.contains("Le second texte"), "{feed}");
    }
}

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

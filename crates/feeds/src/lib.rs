//! Renders what subscribers read: Atom, RSS and JSON Feed documents, an HTML
//! page per release and a listing page per scope.
//!
//! Rendering is pure: releases and settings in, bytes out. Writing the bytes to
//! disk is the daemon's job, so everything here can be tested without a folder.
//! The same inputs always give the same bytes, so the daemon can skip writing
//! files that did not change.
//!
//! Every entry is first prepared once (`item`): characters XML forbids
//! removed (`xml`), links made absolute (`url`), the dateline written in
//! the release's language (`dates`), attachments and closing sections
//! prepared (`media`). The format writers (`atom`, `rss`,
//! `json`) and the page templates (`pages`) only lay it out. `site`
//! knows where everything lives under `public/`.

mod atom;
mod dates;
mod feed;
mod item;
mod json;
mod media;
mod pages;
mod rss;
mod site;
mod url;
mod xml;

pub use feed::{FeedItems, Format, ItemCache, render_feed};
pub use item::Entry;
pub use pages::{TemplateError, Templates, moved_page};
pub use site::{
    FeedLink, Scope, Site, feed_links, release_folder_path, release_folder_url, release_page_path,
    release_url,
};

//! The SQLite store of releases and their history.
//!
//! It holds every release with its latest version's source (file name, hash,
//! archive copy) and attachments, the times feeds show, its state (embargoed, visible,
//! retracted) and one history entry per version and retraction. The daemon
//! decides everything about files and time; the store keeps what it is given
//! and answers the daemon's questions:
//!
//! - ingesting: [`Store::release_by_hash`] (were these bytes seen?),
//!   [`Store::resolve_id`] (which release does this file update?),
//!   [`Store::store`] or [`Store::store_and_get`] (one transaction per
//!   version, or per batch with [`Store::batch`]);
//! - rendering: [`Store::latest`] and [`Store::last_change`] per [`Scope`],
//!   [`Store::for_each_visible`] and [`Store::for_each_visible_wanted`] for pages, [`Store::next_embargo`] and
//!   [`Store::became_visible`] for embargoes.
//!
//! Every change is one transaction: a crash leaves the old state or the new,
//! never half. Feed queries are index ranges, never table scans, and nothing
//! loads all releases at once, so costs stay flat as the store grows.

mod codec;
mod digest;
mod error;
mod schema;
mod store;
mod text;

use std::fmt;

use chrono::{DateTime, Utc};
use pressroom_core::{Release, ReleaseId};

pub use digest::{
    DigestRun, NewRecipient, NewRun, PendingRecipient, RecipientState, RunCounts, RunTrigger,
    SuppressionSource,
};
pub use error::StoreError;
/// The slug rule the store indexes categories by (one rule for the whole
/// product: see [`pressroom_core::slug::category_slug`]).
pub use pressroom_core::slug::category_slug;
pub use schema::SCHEMA_VERSION;
pub use store::{LogCheckpointer, Store};
pub use text::ReleaseText;

/// A release as stored: its latest version and what the store knows of it.
///
/// Times are kept to the microsecond.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRelease {
    /// The latest version, exactly as it was stored.
    pub release: Release,
    /// The permanent feed id, set at the first ingest, never changed by updates.
    pub tag_id: String,
    /// The file's path relative to the inbox, as dropped (`energie/communique.txt`).
    pub source_name: String,
    /// Hex SHA-256 of the latest version's file.
    pub source_hash: String,
    /// Where the latest version's original lies, relative to the archive folder.
    pub archive_path: String,
    pub first_ingested: DateTime<Utc>,
    /// The time of the last version (`first_ingested` until updated).
    pub updated: DateTime<Utc>,
    /// The time feeds show and sort by (computed by the daemon).
    pub published: DateTime<Utc>,
    /// Embargo: the release is in no output before this instant.
    pub visible_from: DateTime<Utc>,
    pub retracted: Option<DateTime<Utc>>,
    /// 1 for the first version, + 1 per update.
    pub revision: u32,
    /// Where the bytes of each of `release.attachments` lie, relative to the
    /// archive folder, in the same order.
    pub attachment_paths: Vec<String>,
}

impl StoredRelease {
    /// Whether the release is in the outputs at `now`.
    pub fn is_visible(&self, now: DateTime<Utc>) -> bool {
        self.retracted.is_none() && self.visible_from <= now
    }

    /// When the release last changed for its readers (Atom's `updated`,
    /// RSS's `atom:updated`, JSON Feed's `date_modified`, pages'
    /// `release.updated`): until an update, when it was published, or when
    /// it was stored if that came first (a release dated ahead); after an
    /// update, when its latest version was stored. Never later than it was
    /// stored, so never after the feeds' own updated time.
    ///
    /// Storing a first version is not an edit. A backlog stores thousands of
    /// releases within a second: feeds that gave them all that second would
    /// say that each was edited then, releases of years ago included.
    pub fn last_edited(&self) -> DateTime<Utc> {
        if self.revision == 1 {
            self.published.min(self.updated)
        } else {
            self.updated
        }
    }
}

/// One version of a release to store: its first ingest or an update.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub release: Release,
    /// Used only when the id is new; an update keeps the stored one.
    pub tag_id: String,
    pub source_name: String,
    pub source_hash: String,
    pub archive_path: String,
    /// The ingest time of this version.
    pub at: DateTime<Utc>,
    pub published: DateTime<Utc>,
    pub visible_from: DateTime<Utc>,
    /// Where the bytes of each of `release.attachments` lie, relative to the
    /// archive folder, in the same order (as many paths as attachments).
    pub attachment_paths: Vec<String>,
    /// `ReleaseText::encode(&release)`, made ahead on another thread, or
    /// `None` to have the store compress the text itself.
    pub text: Option<ReleaseText>,
}

/// What [`Store::store`] did with a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A new release.
    Published,
    /// A new version of a stored release, now at `revision`.
    Updated { revision: u32 },
    /// The stored latest version has the same bytes: nothing was written.
    Unchanged,
}

/// A set of releases that has its own feed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    All,
    /// A language tag as stored (`fr`, `en-GB`).
    Language(String),
    /// A category *slug* (see [`category_slug`]).
    Category(String),
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("all releases"),
            Self::Language(tag) => write!(f, "language '{tag}'"),
            Self::Category(slug) => write!(f, "category '{slug}'"),
        }
    }
}

/// One event in a release's life, oldest first in [`Store::history`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The version this entry made current (a retraction keeps the revision
    /// it withdrew).
    pub revision: u32,
    pub at: DateTime<Utc>,
    pub kind: HistoryKind,
    pub source_hash: String,
    pub archive_path: String,
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HistoryKind {
    /// The first version.
    Published,
    /// A later version (also the one that publishes a retracted release again).
    Updated,
    Retracted,
}

/// A light row for `pressroom list`: what a person needs to pick a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    pub id: ReleaseId,
    pub title: String,
    /// The language tag (`fr`).
    pub lang: String,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub visible_from: DateTime<Utc>,
    pub retracted: bool,
    pub revision: u32,
}

//! The database schema, its migrations and the connection settings.
//!
//! The schema's version is SQLite's `PRAGMA user_version`: migration `n`
//! (counting from 1) takes a store from version `n - 1` to `n`, and all
//! pending migrations run in one transaction, so a store is always at one
//! known version. A store newer than this build is refused, never touched.
//!
//! Every query a feed needs is one index range (see the `plans` test in
//! `store.rs`): releases are never scanned to render a feed. Category rows
//! carry copies of their release's times and state for that reason; the
//! store keeps the copies equal in the same transaction as the release.

use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::StoreError;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The page size of a new store file, in bytes.
pub(crate) const PAGE_SIZE: u32 = 16 * 1024;

/// How long a connection waits for another process's write (the daemon and a
/// `pressroom retract` run at the same time) before giving up.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Migration `n` is entry `n - 1`: 1 creates the releases, their
/// categories and history; 2 adds digest runs and the suppression list (see
/// `digest.rs`); 3 adds the attachments of releases; 4 compresses each
/// release's HTML and paragraphs into one `text` column. Entries are never
/// edited once released, only added.
const MIGRATIONS: &[Migration] = &[
    Migration::Sql(RELEASES),
    Migration::Sql(crate::digest::MIGRATION),
    Migration::Sql(ATTACHMENTS),
    Migration::Code(compress_release_text),
];

/// A step from one schema version to the next: SQL alone, or code for what
/// SQL cannot do (such as compressing).
enum Migration {
    Sql(&'static str),
    Code(fn(&Transaction<'_>) -> rusqlite::Result<()>),
}

/// Times are Unix microseconds; lists and sections (`contact`, `about`) are
/// JSON (since migration 4, `paragraphs` and `body_html` are empty: both are
/// in `text`, compressed together, see `text.rs`). `changed` is the latest of `updated`,
/// `visible_from` and `retracted`: when the release last changed what
/// subscribers see. `repeated` marks a category whose slug the release
/// already has at an earlier position (`Énergie` and `energie`), so that a
/// category feed lists each release once.
///
/// Migration 2 adds the attachments of each release's latest version (photos,
/// PDFs), one row per file in the release's order, with where its bytes lie
/// in the archive. It only adds a table, so that it stands alone.
///
/// The feed indexes hold what a feed query sorts by (`published`, then the
/// row's key, newest stored first on a tie) and what it filters on
/// (`visible_from`), so that pending embargoes at the top of a feed are
/// skipped inside the index.
const RELEASES: &str = r"
CREATE TABLE releases (
    pk INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tag_id TEXT NOT NULL,
    source_name TEXT NOT NULL,
    source_hash TEXT NOT NULL,
    archive_path TEXT NOT NULL,
    first_ingested INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    published INTEGER NOT NULL,
    visible_from INTEGER NOT NULL,
    retracted INTEGER,
    changed INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    lang TEXT NOT NULL,
    date_kind TEXT CHECK (date_kind IN ('day', 'local', 'exact')),
    date TEXT,
    place TEXT,
    summary TEXT NOT NULL,
    paragraphs TEXT NOT NULL,
    body_html TEXT NOT NULL,
    author TEXT,
    embargo TEXT,
    format TEXT NOT NULL,
    contact TEXT,
    about TEXT
) STRICT;
CREATE INDEX releases_feed ON releases (published, pk, visible_from) WHERE retracted IS NULL;
CREATE INDEX releases_language_feed ON releases (lang, published, pk, visible_from)
    WHERE retracted IS NULL;
CREATE INDEX releases_changes ON releases (changed, visible_from, retracted);
CREATE INDEX releases_language_changes ON releases (lang, changed, visible_from, retracted);
CREATE INDEX releases_embargoes ON releases (visible_from) WHERE retracted IS NULL;

CREATE TABLE categories (
    release INTEGER NOT NULL REFERENCES releases (pk),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    repeated INTEGER NOT NULL,
    published INTEGER NOT NULL,
    visible_from INTEGER NOT NULL,
    retracted INTEGER,
    changed INTEGER NOT NULL,
    PRIMARY KEY (release, position)
) STRICT, WITHOUT ROWID;
CREATE INDEX categories_feed ON categories (slug, published, release, visible_from)
    WHERE retracted IS NULL AND repeated = 0;
CREATE INDEX categories_changes ON categories (slug, changed, visible_from, retracted);
CREATE INDEX categories_names ON categories (slug, name);

CREATE TABLE history (
    seq INTEGER PRIMARY KEY,
    release INTEGER NOT NULL REFERENCES releases (pk),
    revision INTEGER NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('published', 'updated', 'retracted')),
    source_hash TEXT NOT NULL,
    archive_path TEXT NOT NULL,
    title TEXT NOT NULL
) STRICT;
CREATE INDEX history_release ON history (release);
CREATE INDEX history_source_hash ON history (source_hash);
";

/// The files published with a release (photos, PDFs), one row each.
const ATTACHMENTS: &str = r"
CREATE TABLE attachments (
    release INTEGER NOT NULL REFERENCES releases (pk),
    position INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    alt TEXT NOT NULL,
    credit TEXT,
    archive_path TEXT NOT NULL,
    PRIMARY KEY (release, position)
) STRICT, WITHOUT ROWID;
";

/// Settings for a database file: write-ahead logging (readers never block
/// the writer), a full sync at each commit (a committed ingest survives a
/// power cut), a busy timeout and foreign keys.
pub(crate) fn configure_file(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // A new file gets pages of 16 KiB rather than 4: a release's row (its
    // compressed text, about 4 KiB) then fits in its page instead of
    // spilling into an overflow page, and indexes are shallower. A backlog
    // of 10,000 took 5% less time; one new release, 1 ms more (reading
    // larger pages). A file that exists keeps its pages (SQLite ignores
    // this once a table is written; changing them would take a VACUUM).
    conn.execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE}"))?;
    // A file system without shared memory keeps its rollback journal; the
    // store is as safe, only less concurrent, so this is not an error.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    configure(conn)
}

/// Settings shared by files and in-memory stores. Temporary data (statement
/// journals, the sort of `list`) stays in memory: it is small, and the
/// system's temporary folder may be small or read-only on a server.
pub(crate) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Migration 4: a release's HTML and paragraphs move into one compressed
/// `text` column (see `text.rs`). Every stored release is rewritten once,
/// row by row, in the migration's transaction: a store of 10,000 releases
/// takes about 1.5 s and 20 MB, once, and renders the same bytes after.
/// The old columns stay, empty: dropping a column rewrites the table in one
/// statement, whose undo journal SQLite keeps in memory (`temp_store`), the
/// size of the whole table. The pages the text no longer needs are reused
/// by the releases to come.
fn compress_release_text(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("ALTER TABLE releases ADD COLUMN text BLOB NOT NULL DEFAULT x''")?;
    // The keys first: rows are not changed under a statement reading them.
    let keys: Vec<i64> = tx
        .prepare("SELECT pk FROM releases")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut read = tx.prepare("SELECT body_html, paragraphs FROM releases WHERE pk = ?1")?;
    let mut write =
        tx.prepare("UPDATE releases SET text = ?2, paragraphs = '', body_html = '' WHERE pk = ?1")?;
    for pk in keys {
        let (html, paragraphs): (String, String) =
            read.query_row([pk], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let paragraphs: Vec<String> = serde_json::from_str(&paragraphs).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, error.into())
        })?;
        let text = crate::ReleaseText::from_parts(&html, &paragraphs);
        write.execute(rusqlite::params![pk, text.as_bytes()])?;
    }
    Ok(())
}

/// Brings the schema to [`SCHEMA_VERSION`], or refuses a newer store.
pub(crate) fn migrate(conn: &mut Connection, path: &str) -> Result<(), StoreError> {
    let open_error = |source| StoreError::Open {
        path: path.to_owned(),
        source,
    };
    let current = user_version(conn).map_err(open_error)?;
    check_not_newer(current, path)?;
    if current == i64::from(SCHEMA_VERSION) {
        return Ok(());
    }
    let migrate_error = |source| StoreError::Migrate {
        path: path.to_owned(),
        version: SCHEMA_VERSION,
        source,
    };
    // Another process may be migrating the same file: take the write lock,
    // then look again.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(migrate_error)?;
    let current = user_version(&tx).map_err(migrate_error)?;
    check_not_newer(current, path)?;
    let done = usize::try_from(current).unwrap_or(0);
    for migration in &MIGRATIONS[done..] {
        match migration {
            Migration::Sql(sql) => tx.execute_batch(sql),
            Migration::Code(step) => step(&tx),
        }
        .map_err(migrate_error)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(migrate_error)?;
    tx.commit().map_err(migrate_error)
}

/// Gives categories stored with an empty slug the one the product uses.
///
/// Earlier builds, which had two slug rules, gave a category with no letter or
/// digit (`★`) an empty slug in the store, while pages linked to its feed
/// as `category/c-<hash>/`: the feed was never written and the link was
/// broken. Such rows get the slug of [`crate::category_slug`] (and their
/// release's `repeated` flags are worked out again) the first time the
/// store is opened; later opens find none, with one index probe.
pub(crate) fn repair_empty_category_slugs(conn: &mut Connection) -> rusqlite::Result<()> {
    let releases: Vec<i64> = conn
        .prepare("SELECT DISTINCT release FROM categories WHERE slug = ''")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if releases.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for release in releases {
        let names: Vec<(i64, String)> = tx
            .prepare("SELECT position, name FROM categories WHERE release = ?1 ORDER BY position")?
            .query_map([release], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut slugs = Vec::with_capacity(names.len());
        for (position, name) in names {
            let slug = crate::category_slug(&name);
            let repeated = slugs.contains(&slug);
            tx.execute(
                "UPDATE categories SET slug = ?3, repeated = ?4 WHERE release = ?1 AND position = ?2",
                rusqlite::params![release, position, slug, repeated],
            )?;
            slugs.push(slug);
        }
    }
    tx.commit()
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

fn check_not_newer(found: i64, path: &str) -> Result<(), StoreError> {
    if found > i64::from(SCHEMA_VERSION) {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store file written by the first schema (before attachments) opens,
    /// is upgraded in place, and its releases read back without attachments.
    #[test]
    fn a_version_1_store_file_is_upgraded_and_keeps_its_releases() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pressroom.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(RELEASES).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute_batch(
                "INSERT INTO releases (id, tag_id, source_name, source_hash, archive_path,
                 first_ingested, updated, published, visible_from, changed, revision, slug,
                 title, lang, summary, paragraphs, body_html, format)
                 VALUES ('old', 'tag:x,2024:old', 'old.txt', 'abc', '2024/03/old.txt',
                 1, 1, 1, 1, 1, 1, 'old', 'Old', 'fr', 'S', '[\"P\"]', '<p>P</p>', 'text')",
            )
            .unwrap();
        }
        let store = crate::Store::open(&path).unwrap();
        let id = pressroom_core::ReleaseId::parse("old").unwrap();
        let old = store.release(&id).unwrap().expect("the old release");
        assert_eq!(old.release.title, "Old");
        assert_eq!(old.release.body_html, "<p>P</p>");
        assert_eq!(old.release.paragraphs, ["P"]);
        assert!(old.release.attachments.is_empty());
        drop(store);
        let conn = Connection::open(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), i64::from(SCHEMA_VERSION));
        // The text moved: the old columns no longer hold a copy.
        let old_columns: (String, String) = conn
            .query_row("SELECT paragraphs, body_html FROM releases", [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .unwrap();
        assert_eq!(old_columns, (String::new(), String::new()));
    }
}

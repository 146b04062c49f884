//! [`Store`]: the connection and every query and change.
//!
//! Changes run in one transaction each (`BEGIN IMMEDIATE`, so a writer never
//! fails half-way on a lock upgrade), or inside a caller's [`Store::batch`],
//! which then commits all of them or none. Queries are prepared once per
//! connection and cached. Rows are decoded one at a time, so that even a walk
//! over every release holds one release in memory.

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use chrono::{DateTime, SubsecRound as _, Utc};
use pressroom_core::ReleaseId;
use rusqlite::{Connection, OptionalExtension as _, Params, ToSql};

use crate::codec::{
    RawAttachment, RawRelease, Unreadable, decode_kind, encode_date, encode_instant, encode_kind,
    encode_section, micros, release_columns, time,
};
use crate::error::Cause;
use crate::{
    HistoryEntry, HistoryKind, ListEntry, NewVersion, ReleaseText, Scope, StoreError, Stored,
    StoredRelease, category_slug, schema,
};

/// The store: one SQLite connection to one database file.
///
/// Several processes may open the same file (the daemon and a `pressroom
/// retract`); SQLite serialises their writes.
pub struct Store {
    pub(crate) conn: Connection,
    /// The database file as errors name it.
    path: String,
    /// A change failed inside the open batch: the batch must roll back.
    batch_failed: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

// Feed queries. Each walks one index from its newest end, and the caller
// stops reading after `limit` rows (see the `plans` test). The limit is not
// in the SQL: SQLite prepares a statement again whenever a `LIMIT ?` value is
// bound. `+` before a column keeps SQLite from choosing the embargo index for
// the `visible_from` bound instead.
const LATEST_ALL: &str = concat!(
    "SELECT ",
    release_columns!(),
    " FROM releases r WHERE r.retracted IS NULL AND +r.visible_from <= ?1
     ORDER BY r.published DESC, r.pk DESC"
);
const LATEST_LANGUAGE: &str = concat!(
    "SELECT ",
    release_columns!(),
    " FROM releases r WHERE r.lang = ?2 AND r.retracted IS NULL AND +r.visible_from <= ?1
     ORDER BY r.published DESC, r.pk DESC"
);
const LATEST_CATEGORY: &str = concat!(
    "SELECT ",
    release_columns!(),
    " FROM categories c JOIN releases r ON r.pk = c.release
     WHERE c.slug = ?2 AND c.retracted IS NULL AND c.repeated = 0 AND c.visible_from <= ?1
     ORDER BY c.published DESC, c.release DESC"
);

// The latest change among releases that were shown: visible now, or
// retracted after they became visible.
const LAST_CHANGE_ALL: &str = "SELECT changed FROM releases
     WHERE visible_from <= ?1 AND (retracted IS NULL OR visible_from <= retracted)
     ORDER BY changed DESC LIMIT 1";
const LAST_CHANGE_LANGUAGE: &str = "SELECT changed FROM releases
     WHERE lang = ?2 AND visible_from <= ?1 AND (retracted IS NULL OR visible_from <= retracted)
     ORDER BY changed DESC LIMIT 1";
const LAST_CHANGE_CATEGORY: &str = "SELECT changed FROM categories
     WHERE slug = ?2 AND visible_from <= ?1 AND (retracted IS NULL OR visible_from <= retracted)
     ORDER BY changed DESC LIMIT 1";

const VISIBLE: &str = concat!(
    "SELECT ",
    release_columns!(),
    " FROM releases r WHERE r.retracted IS NULL AND +r.visible_from <= ?1
     ORDER BY r.published DESC, r.pk DESC"
);
// No order and no text: the embargo index gives the visible rows, each read
// only as far as its id (the first page of the row, never the text after it).
const VISIBLE_IDS: &str =
    "SELECT pk, id FROM releases WHERE retracted IS NULL AND visible_from <= ?1";
const BY_PK: &str = concat!(
    "SELECT ",
    release_columns!(),
    " FROM releases r WHERE r.pk = ?1"
);
const BECAME_VISIBLE: &str = concat!(
    "SELECT ",
    release_columns!(),
    " FROM releases r WHERE r.retracted IS NULL AND r.visible_from > ?1 AND r.visible_from <= ?2
     ORDER BY r.visible_from"
);
const EMBARGOES_LIFTED: &str = concat!(
    "SELECT ",
    release_columns!(),
    " FROM releases r WHERE r.retracted IS NULL AND r.visible_from > ?1 AND r.visible_from <= ?2
     AND r.visible_from > r.first_ingested
     ORDER BY r.visible_from"
);
const NEXT_EMBARGO: &str =
    "SELECT MIN(visible_from) FROM releases WHERE retracted IS NULL AND visible_from > ?1";
const BY_ID: &str = concat!(
    "SELECT ",
    release_columns!(),
    " FROM releases r WHERE r.id = ?1"
);
// The release whose latest version has these bytes, else the one whose
// most recent earlier version had them.
const BY_HASH: &str = concat!(
    "SELECT ",
    release_columns!(),
    " FROM releases r WHERE r.pk = COALESCE(
         (SELECT h.release FROM history h JOIN releases x ON x.pk = h.release
          WHERE h.source_hash = ?1 AND x.source_hash = ?1 LIMIT 1),
         (SELECT h.release FROM history h WHERE h.source_hash = ?1 ORDER BY h.seq DESC LIMIT 1))"
);
const CATEGORIES_OF: &str = "SELECT name FROM categories WHERE release = ?1 ORDER BY position";
const ATTACHMENTS_OF: &str = "SELECT file_name, media_type, size, sha256, alt, credit, archive_path
     FROM attachments WHERE release = ?1 ORDER BY position";
// One step of a walk over distinct values along an index: the next one after ?1.
const NEXT_LANGUAGE: &str = "SELECT lang FROM releases WHERE lang > ?1 ORDER BY lang LIMIT 1";
const NEXT_CATEGORY: &str =
    "SELECT slug, name FROM categories WHERE slug > ?1 ORDER BY slug, name LIMIT 1";
const LIST: &str = "SELECT id, title, lang, published, updated, visible_from,
     retracted IS NOT NULL, revision FROM releases ORDER BY published DESC, pk DESC";
const HISTORY: &str = "SELECT revision, at, kind, source_hash, archive_path, title FROM history
     WHERE release = (SELECT pk FROM releases WHERE id = ?1) ORDER BY seq";

const INSERT_RELEASE: &str = "INSERT INTO releases (id, tag_id, first_ingested, retracted,
     revision, source_name, source_hash, archive_path, updated, published, visible_from,
     changed, slug, title, lang, date_kind, date, place, summary, text, paragraphs, body_html,
     author, embargo, format, contact, about)
     VALUES (:id, :tag_id, :at, NULL, 1, :source_name, :source_hash, :archive_path, :at,
     :published, :visible_from, :changed, :slug, :title, :lang, :date_kind, :date, :place,
     :summary, :text, '', '', :author, :embargo, :format, :contact, :about)";
const UPDATE_RELEASE: &str = "UPDATE releases SET retracted = NULL, revision = :revision,
     source_name = :source_name, source_hash = :source_hash, archive_path = :archive_path,
     updated = :at, published = :published, visible_from = :visible_from, changed = :changed,
     slug = :slug, title = :title, lang = :lang, date_kind = :date_kind, date = :date,
     place = :place, summary = :summary, text = :text, author = :author, embargo = :embargo,
     format = :format, contact = :contact, about = :about
     WHERE pk = :pk";
const INSERT_CATEGORY: &str = "INSERT INTO categories (release, position, name, slug, repeated,
     published, visible_from, retracted, changed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)";
const INSERT_ATTACHMENT: &str = "INSERT INTO attachments (release, position, file_name,
     media_type, size, sha256, alt, credit, archive_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
const INSERT_HISTORY: &str = "INSERT INTO history (release, revision, at, kind, source_hash,
     archive_path, title) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// What [`Store::write_version`] needs of a release already stored.
struct StoredRow {
    pk: i64,
    source_hash: String,
    revision: u32,
    tag_id: String,
    first_ingested: i64,
}

/// A version written, with what the store kept of the release before it.
struct Written {
    outcome: Stored,
    tag_id: String,
    first_ingested: i64,
    revision: u32,
}

impl Store {
    /// Opens the store in `path`, creating the file and its schema if needed
    /// and upgrading an older schema. The folder must exist.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let name = path.display().to_string();
        let open_error = |source| StoreError::Open {
            path: name.clone(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_error)?;
        schema::configure_file(&conn).map_err(open_error)?;
        schema::migrate(&mut conn, &name)?;
        schema::repair_empty_category_slugs(&mut conn).map_err(|source| StoreError::Migrate {
            path: name.clone(),
            version: schema::SCHEMA_VERSION,
            source,
        })?;
        Ok(Store {
            conn,
            path: name,
            batch_failed: false,
        })
    }

    /// Copies what the write-ahead log holds into the database file and
    /// flushes it, without waiting for readers (what they still use stays
    /// in the log). SQLite does the same when the last connection closes,
    /// or when the log grows past a thousand pages; doing it while other
    /// files are flushed overlaps the two waits for the disk, and leaves
    /// the database file whole for whoever copies it.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        checkpoint_passively(&self.conn, &self.path)
    }

    /// A second connection to the store's file that only checkpoints its
    /// log, for another thread: a backlog's log then goes into the database
    /// file group by group while the next group is stored, instead of all
    /// at once at the end, when it kept one core busy for a seventh of the
    /// run and the other idle. `None` when the store keeps no log (in
    /// memory, or a file system without shared memory).
    pub fn log_checkpointer(&self) -> Result<Option<LogCheckpointer>, StoreError> {
        // A log means a file, whose path the second connection opens.
        let (Some(_), Some(file)) = (self.log_path(), self.conn.path()) else {
            return Ok(None);
        };
        let open_error = |source| StoreError::Open {
            path: self.path.clone(),
            source,
        };
        let conn = Connection::open(file).map_err(open_error)?;
        // It never writes a row: no schema work, only the wait for a lock.
        conn.busy_timeout(schema::BUSY_TIMEOUT)
            .map_err(open_error)?;
        Ok(Some(LogCheckpointer {
            conn,
            path: self.path.clone(),
        }))
    }

    /// Commits stop waiting for the disk, when the store keeps a write-ahead
    /// log (always, but on a file system without shared memory): returns
    /// that log. A commit is then atomic and survives the process being
    /// killed, but a power cut can undo it until the caller flushes the log
    /// file to disk (off its own thread, say). Without a log nothing changes
    /// and this returns `None`: commits keep waiting.
    ///
    /// The page cache grows to 8 MiB meanwhile (SQLite takes the memory only
    /// as pages are used): a backlog's group of 4,096 releases dirties more
    /// pages than the default 2 MiB holds, and SQLite wrote the excess to
    /// the log mid-transaction, index pages again and again. A backlog of
    /// 10,000 took 8% less time for 5 MB more; building an archive of
    /// 100,000 peaked at 83 MB instead of 77.
    ///
    /// Commits also stop checkpointing the log into the database file once
    /// it holds a thousand pages, which made every commit of a backlog's
    /// group wait on the disk twice (a sixth of a second): the log grows
    /// until [`Store::sync_commits`]: the caller checkpoints it, with a
    /// [`LogCheckpointer`] as groups commit and with [`Store::checkpoint`]
    /// while it flushes its own files.
    pub fn defer_commit_sync(&mut self) -> Result<Option<std::path::PathBuf>, StoreError> {
        let Some(log) = self.log_path() else {
            return Ok(None);
        };
        self.set_pragma("synchronous", "NORMAL")?;
        self.set_pragma("wal_autocheckpoint", "0")?;
        self.set_pragma("cache_size", &format!("-{WRITE_CACHE_KIB}"))?;
        Ok(Some(log))
    }

    /// Commits wait for the disk, and checkpoint a log grown past a
    /// thousand pages, again (the defaults; see [`Store::defer_commit_sync`]),
    /// and the page cache is back to its default size.
    pub fn sync_commits(&mut self) -> Result<(), StoreError> {
        // What makes commits durable first: a failure after it costs memory.
        self.set_pragma("synchronous", "FULL")?;
        self.set_pragma("wal_autocheckpoint", "1000")?;
        self.set_pragma("cache_size", &format!("-{DEFAULT_CACHE_KIB}"))
    }

    fn log_path(&self) -> Option<std::path::PathBuf> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .ok()?;
        let file = self.conn.path().filter(|file| !file.is_empty())?;
        mode.eq_ignore_ascii_case("wal")
            .then(|| std::path::PathBuf::from(format!("{file}-wal")))
    }

    fn set_pragma(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute_batch(&format!("PRAGMA {name} = {value}"))
            .map_err(self.write_error(|| format!("setting {name} to {value}")))
    }

    /// A store that lives as long as the value, for tests and dry runs.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let name = ":memory:".to_owned();
        let open_error = |source| StoreError::Open {
            path: name.clone(),
            source,
        };
        let mut conn = Connection::open_in_memory().map_err(open_error)?;
        schema::configure(&conn).map_err(open_error)?;
        schema::migrate(&mut conn, &name)?;
        Ok(Store {
            conn,
            path: name,
            batch_failed: false,
        })
    }

    /// The release stored under `id`, in any state.
    pub fn release(&self, id: &ReleaseId) -> Result<Option<StoredRelease>, StoreError> {
        self.first(BY_ID, [id.as_str()], || format!("release '{id}'"))
    }

    /// Any release (retracted or not) whose latest or any earlier version had
    /// exactly these bytes; the one whose latest version has them first.
    pub fn release_by_hash(&self, source_hash: &str) -> Result<Option<StoredRelease>, StoreError> {
        self.first(BY_HASH, [source_hash], || {
            format!("the release with hash '{source_hash}'")
        })
    }

    /// The id a new version should be stored under.
    ///
    /// With `explicit` (the editor gave the id in front matter), `id` itself.
    /// Otherwise `id` is the slug: the first of `id`, `id-2`, `id-3`… that is
    /// either free (a new release) or taken by a release stored from this
    /// same `source_name` (an update of it). Two different files with the
    /// same title and date thus become `id` and `id-2`, and each updates its
    /// own. Ids are never freed (retracted releases keep theirs), so a
    /// file's release always comes before the first free id.
    pub fn resolve_id(
        &self,
        id: &ReleaseId,
        explicit: bool,
        source_name: &str,
    ) -> Result<ReleaseId, StoreError> {
        if explicit {
            return Ok(id.clone());
        }
        let mut candidate = id.clone();
        let mut suffix = 1u64;
        loop {
            let stored_source: Option<String> = self
                .conn
                .prepare_cached("SELECT source_name FROM releases WHERE id = ?1")
                .and_then(|mut stmt| {
                    stmt.query_row([candidate.as_str()], |row| row.get(0))
                        .optional()
                })
                .map_err(self.read_error(|| format!("release '{candidate}'")))?;
            match stored_source {
                None => return Ok(candidate),
                Some(stored) if stored == source_name => return Ok(candidate),
                Some(_) => {
                    suffix += 1;
                    candidate = ReleaseId::parse(&format!("{id}-{suffix}"))
                        .map_err(|_| StoreError::NoFreeId { id: id.to_string() })?;
                }
            }
        }
    }

    /// Stores a version in one transaction (or in the open
    /// [`Store::batch`]): a new release, or an update of the release with the
    /// same id.
    ///
    /// An update keeps `tag_id` and `first_ingested`, sets `updated` to
    /// `version.at`, adds one to the revision and records a history entry; a
    /// retracted release that gets a new version is published again. When
    /// the stored latest version has the same `source_hash`, nothing is
    /// written and the result is [`Stored::Unchanged`].
    pub fn store(&mut self, version: NewVersion) -> Result<Stored, StoreError> {
        self.store_and_get(version).map(|(stored, _)| stored)
    }

    /// Stores a version as [`Store::store`] does, and returns the release as
    /// it now stands (`None` when nothing changed) without reading it back:
    /// what rendering its page needs while a backlog is ingested.
    pub fn store_and_get(
        &mut self,
        version: NewVersion,
    ) -> Result<(Stored, Option<StoredRelease>), StoreError> {
        let id = version.release.id.to_string();
        let written = self.in_transaction(
            || format!("release '{id}'"),
            |store| store.write_version(&version),
        )?;
        let Some(Written {
            outcome,
            tag_id,
            first_ingested,
            revision,
        }) = written
        else {
            return Ok((Stored::Unchanged, None));
        };
        // Times to the microsecond, as a read would give them.
        let exact = |t: DateTime<Utc>| t.trunc_subsecs(6);
        let stored = StoredRelease {
            tag_id,
            source_name: version.source_name,
            source_hash: version.source_hash,
            archive_path: version.archive_path,
            first_ingested: time(first_ingested).map_err(self.corrupt(&id, "first_ingested"))?,
            updated: exact(version.at),
            published: exact(version.published),
            visible_from: exact(version.visible_from),
            retracted: None,
            revision,
            attachment_paths: version.attachment_paths,
            release: version.release,
        };
        Ok((outcome, Some(stored)))
    }

    /// Withdraws a release: sets `retracted` to `at` and records a history
    /// entry, in one transaction. Returns the release as it was before, or
    /// `None` when no release has this id. Retracting a retracted release
    /// changes nothing and returns it.
    pub fn retract(
        &mut self,
        id: &ReleaseId,
        at: DateTime<Utc>,
    ) -> Result<Option<StoredRelease>, StoreError> {
        self.in_transaction(
            || format!("the retraction of release '{id}'"),
            |store| store.write_retraction(id, at),
        )
    }

    /// Runs `f` in one transaction: everything it stores or retracts is
    /// committed together when it returns `Ok`, and nothing when it returns
    /// `Err` or panics. A backlog of files then costs one commit (one sync
    /// to disk) instead of one per file.
    ///
    /// A change that fails inside the batch fails the batch: even if `f`
    /// goes on and returns `Ok`, nothing is committed and the result is
    /// [`StoreError::BatchFailed`].
    pub fn batch<T, E>(&mut self, f: impl FnOnce(&mut Store) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        self.in_transaction(|| "a batch of changes".to_owned(), f)
    }

    /// The newest releases of `scope` visible at `now` (not retracted,
    /// `visible_from <= now`), newest `published` first, at most `limit`.
    pub fn latest(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<StoredRelease>, StoreError> {
        let what = || format!("the latest releases of {scope}");
        let mut releases = Vec::new();
        let mut push = |stored: StoredRelease| -> Result<(), StoreError> {
            releases.push(stored);
            Ok(())
        };
        let now = micros(now);
        match scope {
            Scope::All => self.each(LATEST_ALL, [now], limit, what, &mut push)?,
            Scope::Language(tag) => {
                self.each(LATEST_LANGUAGE, (now, tag), limit, what, &mut push)?;
            }
            Scope::Category(slug) => {
                self.each(LATEST_CATEGORY, (now, slug), limit, what, &mut push)?;
            }
        }
        Ok(releases)
    }

    /// When the releases of `scope` last changed what subscribers see: the
    /// latest `updated`, embargo lift or retraction among releases visible at
    /// `now` or retracted after they became visible. `None` when the scope
    /// never showed a release. Feeds use it as their own updated time.
    ///
    /// An embargo lifting counts as a change (the release appears then), so
    /// this is never earlier than the `visible_from` of a visible release.
    pub fn last_change(
        &self,
        scope: &Scope,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let now = micros(now);
        let read = |mut stmt: rusqlite::CachedStatement<'_>, params: &[&dyn ToSql]| {
            stmt.query_row(params, |row| row.get::<_, i64>(0))
                .optional()
        };
        let changed = match scope {
            Scope::All => self
                .conn
                .prepare_cached(LAST_CHANGE_ALL)
                .and_then(|stmt| read(stmt, &[&now])),
            Scope::Language(tag) => self
                .conn
                .prepare_cached(LAST_CHANGE_LANGUAGE)
                .and_then(|stmt| read(stmt, &[&now, tag])),
            Scope::Category(slug) => self
                .conn
                .prepare_cached(LAST_CHANGE_CATEGORY)
                .and_then(|stmt| read(stmt, &[&now, slug])),
        }
        .map_err(self.read_error(|| format!("the last change of {scope}")))?;
        let newest = format!("(the newest of {scope})");
        changed
            .map(|micros| time(micros).map_err(self.corrupt(&newest, "changed")))
            .transpose()
    }

    /// The language tags that have at least one release, in any state, sorted.
    pub fn languages(&self) -> Result<Vec<String>, StoreError> {
        self.distinct(NEXT_LANGUAGE, "the languages", |row| row.get(0))
    }

    /// `(name, slug)` of every category that has at least one release, in any
    /// state, sorted by slug. Names that share a slug (`Énergie`, `energie`)
    /// are one category, named by the first of them in code point order, so
    /// that the name does not depend on the order releases arrived in.
    pub fn categories(&self) -> Result<Vec<(String, String)>, StoreError> {
        let pairs = self.distinct(NEXT_CATEGORY, "the categories", |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        Ok(pairs.into_iter().map(|(slug, name)| (name, slug)).collect())
    }

    /// Calls `f` for every release visible at `now`, newest first, one at a
    /// time (for page rebuilds). Stops at the first error `f` returns.
    pub fn for_each_visible(
        &self,
        now: DateTime<Utc>,
        mut f: impl FnMut(StoredRelease) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.each(
            VISIBLE,
            [micros(now)],
            usize::MAX,
            || "the visible releases".to_owned(),
            &mut f,
        )
    }

    /// Like [`Store::for_each_visible`], in no particular order, but
    /// `wanted` is asked first with each release's id, and `f` gets only
    /// the releases it wants: the others are not read past their id (their
    /// pages were just written from memory). Cheaper than a full walk when
    /// few are wanted: the walk reads no release's text.
    pub fn for_each_visible_wanted(
        &self,
        now: DateTime<Utc>,
        mut wanted: impl FnMut(&str) -> bool,
        mut f: impl FnMut(StoredRelease) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let what = || "the visible releases".to_owned();
        let read = self.read_error(what);
        let mut pks = Vec::new();
        {
            let mut stmt = self.conn.prepare_cached(VISIBLE_IDS).map_err(&read)?;
            let mut rows = stmt.query([micros(now)]).map_err(&read)?;
            while let Some(row) = rows.next().map_err(&read)? {
                let id = row
                    .get_ref(1)
                    .and_then(|id| Ok(id.as_str()?))
                    .map_err(&read)?;
                if wanted(id) {
                    pks.push(row.get::<_, i64>(0).map_err(&read)?);
                }
            }
        }
        // In key order, the lookups walk the table's pages in file order.
        pks.sort_unstable();
        for pk in pks {
            self.each(BY_PK, [pk], 1, what, &mut f)?;
        }
        Ok(())
    }

    /// The releases not retracted whose `visible_from` is in `(since, now]`:
    /// those an embargo lifting (or an ingest) made visible since `since`,
    /// in the order they became visible.
    pub fn became_visible(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredRelease>, StoreError> {
        let mut releases = Vec::new();
        self.each(
            BECAME_VISIBLE,
            [micros(since), micros(now)],
            usize::MAX,
            || "the releases that became visible".to_owned(),
            &mut |stored| {
                releases.push(stored);
                Ok(())
            },
        )?;
        Ok(releases)
    }

    /// Calls `f` for each release whose embargo lifted in `(since, now]`
    /// (it became visible later than it was first ingested), one at a time:
    /// unlike [`Store::became_visible`], releases that were visible as soon
    /// as they were stored are left out, so memory stays flat after a
    /// large ingest.
    pub fn for_each_lifted_embargo(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        mut f: impl FnMut(StoredRelease) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.each(
            EMBARGOES_LIFTED,
            [micros(since), micros(now)],
            usize::MAX,
            || "the releases whose embargo lifted".to_owned(),
            &mut f,
        )
    }

    /// Every release in any state, newest `published` first, as light rows
    /// (for `pressroom list`).
    pub fn list(&self) -> Result<Vec<ListEntry>, StoreError> {
        let read = self.read_error(|| "the list of releases".to_owned());
        let mut stmt = self.conn.prepare_cached(LIST).map_err(&read)?;
        let mut rows = stmt.query([]).map_err(&read)?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next().map_err(&read)? {
            let id: String = row.get(0).map_err(&read)?;
            entries.push(ListEntry {
                id: ReleaseId::parse(&id).map_err(|e| self.corrupt(&id, "id")(e.into()))?,
                title: row.get(1).map_err(&read)?,
                lang: row.get(2).map_err(&read)?,
                published: time(row.get(3).map_err(&read)?)
                    .map_err(self.corrupt(&id, "published"))?,
                updated: time(row.get(4).map_err(&read)?).map_err(self.corrupt(&id, "updated"))?,
                visible_from: time(row.get(5).map_err(&read)?)
                    .map_err(self.corrupt(&id, "visible_from"))?,
                retracted: row.get(6).map_err(&read)?,
                revision: row.get(7).map_err(&read)?,
            });
        }
        Ok(entries)
    }

    /// The life of a release, oldest first: its versions and retractions.
    /// Empty when no release has this id.
    pub fn history(&self, id: &ReleaseId) -> Result<Vec<HistoryEntry>, StoreError> {
        let read = self.read_error(|| format!("the history of release '{id}'"));
        let mut stmt = self.conn.prepare_cached(HISTORY).map_err(&read)?;
        let mut rows = stmt.query([id.as_str()]).map_err(&read)?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next().map_err(&read)? {
            entries.push(HistoryEntry {
                revision: row.get(0).map_err(&read)?,
                at: time(row.get(1).map_err(&read)?)
                    .map_err(self.corrupt(id.as_str(), "history time"))?,
                kind: decode_kind(&row.get::<_, String>(2).map_err(&read)?)
                    .map_err(self.corrupt(id.as_str(), "history kind"))?,
                source_hash: row.get(3).map_err(&read)?,
                archive_path: row.get(4).map_err(&read)?,
                title: row.get(5).map_err(&read)?,
            });
        }
        Ok(entries)
    }

    /// The earliest `visible_from` strictly after `now` among releases not
    /// retracted: when the next embargo lifts.
    pub fn next_embargo(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, StoreError> {
        let next: Option<i64> = self
            .conn
            .prepare_cached(NEXT_EMBARGO)
            .and_then(|mut stmt| stmt.query_row([micros(now)], |row| row.get(0)))
            .map_err(self.read_error(|| "the next embargo".to_owned()))?;
        next.map(|micros| time(micros).map_err(self.corrupt("(the next embargo)", "visible_from")))
            .transpose()
    }

    /// The number of releases, in any state.
    pub fn count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM releases")
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(self.read_error(|| "the number of releases".to_owned()))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Writes a version; `None` when the latest stored one has its bytes.
    fn write_version(&self, version: &NewVersion) -> Result<Option<Written>, StoreError> {
        let release = &version.release;
        let id = release.id.as_str();
        let write = self.write_error(|| format!("release '{id}'"));
        let stored: Option<StoredRow> = self
            .conn
            .prepare_cached(
                "SELECT pk, source_hash, revision, tag_id, first_ingested FROM releases WHERE id = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([id], |row| {
                    Ok(StoredRow {
                        pk: row.get(0)?,
                        source_hash: row.get(1)?,
                        revision: row.get(2)?,
                        tag_id: row.get(3)?,
                        first_ingested: row.get(4)?,
                    })
                })
                .optional()
            })
            .map_err(&write)?;
        if stored
            .as_ref()
            .is_some_and(|row| row.source_hash == version.source_hash)
        {
            return Ok(None);
        }
        if version.attachment_paths.len() != release.attachments.len() {
            return Err(StoreError::AttachmentPaths {
                id: id.to_owned(),
                attachments: release.attachments.len(),
                paths: version.attachment_paths.len(),
            });
        }

        let at = micros(version.at);
        let published = micros(version.published);
        let visible_from = micros(version.visible_from);
        let changed = at.max(visible_from);
        let (date_kind, date) = release.date.as_ref().map(encode_date).unzip();
        let encoded;
        let text = match &version.text {
            Some(text) => {
                debug_assert_eq!(
                    *text,
                    ReleaseText::encode(release),
                    "text of another release"
                );
                text.as_bytes()
            }
            None => {
                encoded = ReleaseText::encode(release);
                encoded.as_bytes()
            }
        };
        let embargo = release.embargo.as_ref().map(encode_instant);
        let format = release.format.name();
        let lang = release.lang.as_str();
        let contact = release.contact.as_ref().map(encode_section);
        let about = release.about.as_ref().map(encode_section);
        let columns: [(&str, &dyn ToSql); 20] = [
            (":source_name", &version.source_name),
            (":source_hash", &version.source_hash),
            (":archive_path", &version.archive_path),
            (":at", &at),
            (":published", &published),
            (":visible_from", &visible_from),
            (":changed", &changed),
            (":slug", &release.slug),
            (":title", &release.title),
            (":lang", &lang),
            (":date_kind", &date_kind),
            (":date", &date),
            (":place", &release.place),
            (":summary", &release.summary),
            (":text", &text),
            (":author", &release.author),
            (":embargo", &embargo),
            (":format", &format),
            (":contact", &contact),
            (":about", &about),
        ];
        let (pk, revision, kind, outcome) = match &stored {
            None => {
                let mut params = columns.to_vec();
                params.extend([(":id", &id as &dyn ToSql), (":tag_id", &version.tag_id)]);
                self.conn
                    .prepare_cached(INSERT_RELEASE)
                    .and_then(|mut stmt| stmt.execute(params.as_slice()))
                    .map_err(&write)?;
                let pk = self.conn.last_insert_rowid();
                (pk, 1, HistoryKind::Published, Stored::Published)
            }
            Some(StoredRow { pk, revision, .. }) => {
                let (pk, revision) = (*pk, revision + 1);
                let mut params = columns.to_vec();
                params.extend([(":pk", &pk as &dyn ToSql), (":revision", &revision)]);
                self.conn
                    .prepare_cached(UPDATE_RELEASE)
                    .and_then(|mut stmt| stmt.execute(params.as_slice()))
                    .map_err(&write)?;
                self.conn
                    .prepare_cached("DELETE FROM categories WHERE release = ?1")
                    .and_then(|mut stmt| stmt.execute([pk]))
                    .map_err(&write)?;
                self.conn
                    .prepare_cached("DELETE FROM attachments WHERE release = ?1")
                    .and_then(|mut stmt| stmt.execute([pk]))
                    .map_err(&write)?;
                (
                    pk,
                    revision,
                    HistoryKind::Updated,
                    Stored::Updated { revision },
                )
            }
        };

        let mut insert_category = self.conn.prepare_cached(INSERT_CATEGORY).map_err(&write)?;
        let mut slugs = Vec::with_capacity(release.categories.len());
        for (position, name) in release.categories.iter().enumerate() {
            let slug = category_slug(name);
            let repeated = slugs.contains(&slug);
            insert_category
                .execute(rusqlite::params![
                    pk,
                    i64::try_from(position).unwrap_or(i64::MAX),
                    name,
                    slug,
                    repeated,
                    published,
                    visible_from,
                    changed,
                ])
                .map_err(&write)?;
            slugs.push(slug);
        }
        let mut insert_attachment = self
            .conn
            .prepare_cached(INSERT_ATTACHMENT)
            .map_err(&write)?;
        for (position, (attachment, archive_path)) in release
            .attachments
            .iter()
            .zip(&version.attachment_paths)
            .enumerate()
        {
            insert_attachment
                .execute(rusqlite::params![
                    pk,
                    i64::try_from(position).unwrap_or(i64::MAX),
                    attachment.file_name,
                    attachment.media_type,
                    i64::try_from(attachment.size).unwrap_or(i64::MAX),
                    attachment.sha256,
                    attachment.alt,
                    attachment.credit,
                    archive_path,
                ])
                .map_err(&write)?;
        }
        // Written last: its failure must undo the release and categories above.
        self.conn
            .prepare_cached(INSERT_HISTORY)
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![
                    pk,
                    revision,
                    at,
                    encode_kind(kind),
                    version.source_hash,
                    version.archive_path,
                    release.title,
                ])
            })
            .map_err(&write)?;
        let (tag_id, first_ingested) = match stored {
            Some(row) => (row.tag_id, row.first_ingested),
            None => (version.tag_id.clone(), at),
        };
        Ok(Some(Written {
            outcome,
            tag_id,
            first_ingested,
            revision,
        }))
    }

    fn write_retraction(
        &self,
        id: &ReleaseId,
        at: DateTime<Utc>,
    ) -> Result<Option<StoredRelease>, StoreError> {
        let Some(current) = self.release(id)? else {
            return Ok(None);
        };
        if current.retracted.is_some() {
            return Ok(Some(current));
        }
        let write = self.write_error(|| format!("the retraction of release '{id}'"));
        let retracted = micros(at);
        let changed = micros(current.updated)
            .max(micros(current.visible_from))
            .max(retracted);
        let pk: i64 = self
            .conn
            .prepare_cached(
                "UPDATE releases SET retracted = ?2, changed = ?3 WHERE id = ?1 RETURNING pk",
            )
            .and_then(|mut stmt| {
                stmt.query_row(rusqlite::params![id.as_str(), retracted, changed], |row| {
                    row.get(0)
                })
            })
            .map_err(&write)?;
        self.conn
            .prepare_cached("UPDATE categories SET retracted = ?2, changed = ?3 WHERE release = ?1")
            .and_then(|mut stmt| stmt.execute(rusqlite::params![pk, retracted, changed]))
            .map_err(&write)?;
        self.conn
            .prepare_cached(INSERT_HISTORY)
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![
                    pk,
                    current.revision,
                    retracted,
                    encode_kind(HistoryKind::Retracted),
                    current.source_hash,
                    current.archive_path,
                    current.release.title,
                ])
            })
            .map_err(&write)?;
        Ok(Some(current))
    }

    /// Runs `f` in a transaction, committed when `f` returns `Ok` and rolled
    /// back when it returns `Err` or panics (the panic then goes on).
    ///
    /// Inside a transaction already open (a change inside a batch), `f` runs
    /// in it; when it fails, the batch is marked failed, so that it rolls
    /// back whatever its closure does next. A savepoint per change would let
    /// the batch go on instead, but would double what a change costs (SQLite
    /// copies every page a savepoint touches), for a case no caller needs.
    pub(crate) fn in_transaction<T, E>(
        &mut self,
        what: impl Fn() -> String,
        f: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        if !self.conn.is_autocommit() {
            let result = f(self);
            if result.is_err() {
                self.batch_failed = true;
            }
            return result;
        }
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(self.write_error(&what))?;
        self.batch_failed = false;
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| f(self)));
        let error = match outcome {
            Ok(Ok(_)) if self.batch_failed => E::from(StoreError::BatchFailed {
                path: self.path.clone(),
            }),
            Ok(Ok(value)) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => return Ok(value),
                Err(source) => E::from(self.write_error(&what)(source)),
            },
            Ok(Err(error)) => error,
            Err(panic) => {
                self.roll_back();
                panic::resume_unwind(panic);
            }
        };
        self.roll_back();
        Err(error)
    }

    fn roll_back(&self) {
        // SQLite may already have rolled the transaction back (a full disk);
        // there is then nothing to undo and the error says so, harmlessly.
        let _ = self.conn.execute_batch("ROLLBACK");
    }

    /// The database file as errors name it.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The first release a query returns.
    fn first(
        &self,
        sql: &str,
        params: impl Params,
        what: impl Fn() -> String,
    ) -> Result<Option<StoredRelease>, StoreError> {
        let mut first = None;
        self.each(sql, params, 1, what, &mut |stored| {
            first.get_or_insert(stored);
            Ok(())
        })?;
        Ok(first)
    }

    /// Decodes the first `max` releases a query returns, one at a time.
    fn each(
        &self,
        sql: &str,
        params: impl Params,
        max: usize,
        what: impl Fn() -> String,
        f: &mut dyn FnMut(StoredRelease) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if max == 0 {
            return Ok(());
        }
        let read = self.read_error(&what);
        let mut stmt = self.conn.prepare_cached(sql).map_err(&read)?;
        let mut rows = stmt.query(params).map_err(&read)?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(&read)? {
            let raw = RawRelease::from_row(row).map_err(&read)?;
            f(self.complete(raw, &what)?)?;
            count += 1;
            if count == max {
                break;
            }
        }
        Ok(())
    }

    /// Adds its categories and attachments to a release row and checks its values.
    fn complete(
        &self,
        raw: RawRelease,
        what: impl Fn() -> String,
    ) -> Result<StoredRelease, StoreError> {
        let categories = self
            .conn
            .prepare_cached(CATEGORIES_OF)
            .and_then(|mut stmt| {
                stmt.query_map([raw.pk], |row| row.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .map_err(self.read_error(&what))?;
        let attachments = self
            .conn
            .prepare_cached(ATTACHMENTS_OF)
            .and_then(|mut stmt| {
                stmt.query_map([raw.pk], RawAttachment::from_row)?
                    .collect::<rusqlite::Result<Vec<RawAttachment>>>()
            })
            .map_err(self.read_error(&what))?;
        let id = raw.id.clone();
        raw.decode(categories, attachments)
            .map_err(|Unreadable { column, cause }| self.corrupt(&id, column)(cause))
    }

    /// Walks the distinct values of an index: `sql` returns the first row
    /// whose key is after `?1`. Costs one index seek per value, however many
    /// releases share it.
    fn distinct<T>(
        &self,
        sql: &str,
        what: &str,
        read_row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError>
    where
        T: KeyOf,
    {
        let read = self.read_error(|| what.to_owned());
        let mut stmt = self.conn.prepare_cached(sql).map_err(&read)?;
        let mut values: Vec<T> = Vec::new();
        loop {
            let after = values.last().map_or("", |value| value.key());
            match stmt
                .query_row([after], &read_row)
                .optional()
                .map_err(&read)?
            {
                Some(value) => values.push(value),
                None => return Ok(values),
            }
        }
    }

    fn corrupt<'a>(
        &'a self,
        id: &'a str,
        column: &'static str,
    ) -> impl FnOnce(Cause) -> StoreError + 'a {
        move |source| StoreError::Corrupt {
            path: self.path.clone(),
            id: id.to_owned(),
            column,
            source,
        }
    }

    pub(crate) fn read_error<'a>(
        &'a self,
        what: impl Fn() -> String + 'a,
    ) -> impl Fn(rusqlite::Error) -> StoreError + 'a {
        move |source| StoreError::Read {
            path: self.path.clone(),
            what: what(),
            source,
        }
    }

    pub(crate) fn write_error<'a>(
        &'a self,
        what: impl Fn() -> String + 'a,
    ) -> impl Fn(rusqlite::Error) -> StoreError + 'a {
        move |source| StoreError::Write {
            path: self.path.clone(),
            what: what(),
            source,
        }
    }
}

/// SQLite's default page cache, in KiB.
const DEFAULT_CACHE_KIB: u32 = 2000;

/// The page cache while commits are deferred, in KiB: see
/// [`Store::defer_commit_sync`].
const WRITE_CACHE_KIB: u32 = 8 * 1024;

/// See [`Store::log_checkpointer`].
pub struct LogCheckpointer {
    conn: Connection,
    path: String,
}

impl LogCheckpointer {
    /// Copies the log's committed pages into the database file and flushes
    /// it, as [`Store::checkpoint`] does, without waiting for the store's
    /// writer (what it writes meanwhile stays in the log). The database
    /// file is flushed before the log may be reused, whatever the store's
    /// `synchronous` setting: this connection keeps SQLite's default. `Ok`
    /// also when another checkpoint was under way (this one then copies
    /// nothing; the next does).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        checkpoint_passively(&self.conn, &self.path)
    }
}

/// Copies the log's committed pages into the database file at `path`
/// without waiting for readers or the writer: for [`Store::checkpoint`] and
/// [`LogCheckpointer::checkpoint`] alike.
fn checkpoint_passively(conn: &Connection, path: &str) -> Result<(), StoreError> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        .map_err(|source| StoreError::Write {
            path: path.to_owned(),
            what: "a checkpoint of the log".to_owned(),
            source,
        })
}

/// The key a walk over distinct values continues after.
trait KeyOf {
    fn key(&self) -> &str;
}

impl KeyOf for String {
    fn key(&self) -> &str {
        self
    }
}

/// `(slug, name)`: the walk goes by slug.
impl KeyOf for (String, String) {
    fn key(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(store: &Store) -> i64 {
        pragma(store, "synchronous")
    }

    fn pragma(store: &Store, name: &str) -> i64 {
        store
            .conn
            .pragma_query_value(None, name, |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn commits_wait_for_the_disk_unless_the_caller_flushes_the_log_itself() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("pressroom.db");
        let mut store = Store::open(&path).unwrap();
        const FULL: i64 = 2;
        const NORMAL: i64 = 1;
        assert_eq!(synchronous(&store), FULL);
        let log = store.defer_commit_sync().unwrap();
        let log = log.expect("a file store keeps a log");
        assert_eq!(log, folder.path().join("pressroom.db-wal"));
        assert!(log.exists());
        assert_eq!(synchronous(&store), NORMAL);
        assert_eq!(
            pragma(&store, "wal_autocheckpoint"),
            0,
            "the caller checkpoints"
        );
        assert_eq!(pragma(&store, "cache_size"), -i64::from(WRITE_CACHE_KIB));
        store.sync_commits().unwrap();
        assert_eq!(synchronous(&store), FULL);
        assert_eq!(pragma(&store, "wal_autocheckpoint"), 1000);
        assert_eq!(pragma(&store, "cache_size"), -i64::from(DEFAULT_CACHE_KIB));

        // Without a log file, commits always wait.
        let mut memory = Store::open_in_memory().unwrap();
        assert_eq!(memory.defer_commit_sync().unwrap(), None);
        assert_eq!(synchronous(&memory), FULL);
    }

    #[test]
    fn a_new_store_has_large_pages_and_an_existing_one_keeps_its_own() {
        let folder = tempfile::tempdir().unwrap();
        let new = Store::open(&folder.path().join("new.db")).unwrap();
        assert_eq!(pragma(&new, "page_size"), i64::from(schema::PAGE_SIZE));

        // A store made with SQLite's default pages, as earlier versions did.
        let old_path = folder.path().join("old.db");
        let old = Connection::open(&old_path).unwrap();
        old.execute_batch("PRAGMA page_size = 4096; CREATE TABLE t (x); DROP TABLE t;")
            .unwrap();
        drop(old);
        let old = Store::open(&old_path).unwrap();
        assert_eq!(pragma(&old, "page_size"), 4096);
        assert_eq!(old.count().unwrap(), 0, "migrated and usable");
    }

    /// The plan SQLite chooses for `sql`, one step per line.
    fn plan(store: &Store, sql: &str) -> String {
        let mut stmt = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap();
        let params = vec![0i64; stmt.parameter_count()];
        let steps: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(params), |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        steps.join("\n")
    }

    /// How many times running `sql` with new values made SQLite prepare it again.
    fn reprepares(store: &Store, sql: &str) -> i32 {
        let mut stmt = store.conn.prepare(sql).unwrap();
        for value in 0..3i64 {
            let params = vec![value; stmt.parameter_count()];
            let mut rows = stmt.query(rusqlite::params_from_iter(params)).unwrap();
            while rows.next().unwrap().is_some() {}
        }
        stmt.get_status(rusqlite::StatementStatus::RePrepare)
    }

    /// Every query that runs per feed, per ingest or per page walks an index:
    /// no step scans a table, nothing is sorted in a temporary tree (which
    /// would read every matching row before returning the first), and new
    /// values do not make SQLite plan the query again.
    #[test]
    fn plans() {
        let store = Store::open_in_memory().unwrap();
        let queries = [
            ("latest all", LATEST_ALL, "releases_feed"),
            ("latest language", LATEST_LANGUAGE, "releases_language_feed"),
            ("latest category", LATEST_CATEGORY, "categories_feed"),
            ("last change all", LAST_CHANGE_ALL, "releases_changes"),
            (
                "last change language",
                LAST_CHANGE_LANGUAGE,
                "releases_language_changes",
            ),
            (
                "last change category",
                LAST_CHANGE_CATEGORY,
                "categories_changes",
            ),
            ("visible", VISIBLE, "releases_feed"),
            ("became visible", BECAME_VISIBLE, "releases_embargoes"),
            ("embargoes lifted", EMBARGOES_LIFTED, "releases_embargoes"),
            ("next embargo", NEXT_EMBARGO, "releases_embargoes"),
            ("by id", BY_ID, "id=?"),
            ("by pk", BY_PK, "INTEGER PRIMARY KEY"),
            // A walk of every visible release, never reading their text.
            ("visible ids", VISIBLE_IDS, "releases_embargoes"),
            ("by hash", BY_HASH, "history_source_hash"),
            ("categories of", CATEGORIES_OF, "PRIMARY KEY"),
            ("attachments of", ATTACHMENTS_OF, "PRIMARY KEY"),
            ("next language", NEXT_LANGUAGE, "lang>?"),
            ("next category", NEXT_CATEGORY, "categories_names"),
            ("history", HISTORY, "history_release"),
        ];
        for (name, sql, expected) in queries {
            let plan = plan(&store, sql);
            println!("{name}:\n{plan}\n");
            assert_eq!(
                reprepares(&store, sql),
                0,
                "{name} is prepared again per use"
            );
            assert!(
                plan.contains(expected),
                "{name} should use {expected}:\n{plan}"
            );
            for step in plan.lines() {
                let scans_table = step.starts_with("SCAN") && !step.contains("INDEX");
                assert!(!scans_table, "{name} scans a table:\n{plan}");
                assert!(!step.contains("TEMP B-TREE"), "{name} sorts:\n{plan}");
            }
        }
    }
}

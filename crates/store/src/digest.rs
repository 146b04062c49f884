//! Digest runs, their recipients, and the suppression list: what makes a
//! digest go out exactly once per recipient.
//!
//! A run is created whole, in one transaction: the digest's name, the slot
//! it is for, its window (`(start, end]` over the time releases became
//! visible, so back-dated releases are not missed), the ids of the releases
//! in that window, and one row per recipient, `pending`. Delivery then marks
//! each recipient `sent` (only after the server accepted the message),
//! `failed` (refused for good) or `suppressed` (unsubscribed in the
//! meantime). A run with no `pending` row left is finished. After a crash,
//! the pending rows of unfinished runs are exactly who is still owed the
//! digest: nobody gets it twice, nobody is skipped.
//!
//! Recording a delivery is one small transaction written with
//! `synchronous = NORMAL`: in WAL mode it survives the process being killed
//! (the write is in the operating system's hands), and only a power cut in
//! the following instant could forget it, which would send one message
//! again. Syncing every one of 10,000 marks to disk would cap delivery at the
//! disk's sync rate instead.
//!
//! The suppression list holds addresses that unsubscribed (one-click POST,
//! the link, or `pressroom unsubscribe`); every later run leaves them out,
//! whatever the subscribers file says.

use chrono::{DateTime, Utc};
use pressroom_core::ReleaseId;
use rusqlite::OptionalExtension as _;

use crate::StoreError;
use crate::codec::{micros, time};
use crate::store::Store;

/// The tables, added to a store by schema migration 2.
pub(crate) const MIGRATION: &str = r"
CREATE TABLE digest_runs (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL,
    slot INTEGER NOT NULL,
    trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    window_start INTEGER NOT NULL,
    window_end INTEGER NOT NULL,
    created INTEGER NOT NULL,
    finished INTEGER,
    releases TEXT NOT NULL,
    UNIQUE (digest, slot)
) STRICT;
CREATE INDEX digest_runs_latest ON digest_runs (digest, window_end);
CREATE INDEX digest_runs_unfinished ON digest_runs (id) WHERE finished IS NULL;

CREATE TABLE digest_recipients (
    run INTEGER NOT NULL REFERENCES digest_runs (id),
    address TEXT NOT NULL,
    name TEXT NOT NULL,
    lang TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'suppressed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT,
    updated INTEGER,
    PRIMARY KEY (run, address)
) STRICT, WITHOUT ROWID;
CREATE INDEX digest_recipients_pending ON digest_recipients (run, address)
    WHERE state = 'pending';

CREATE TABLE suppressions (
    address TEXT PRIMARY KEY,
    at INTEGER NOT NULL,
    source TEXT NOT NULL,
    digest TEXT
) STRICT, WITHOUT ROWID;
";

/// Why a run was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunTrigger {
    /// The digest's schedule came due (or was caught up at start).
    Schedule,
    /// `pressroom digest send`.
    Manual,
}

impl RunTrigger {
    fn as_str(self) -> &'static str {
        match self {
            RunTrigger::Schedule => "schedule",
            RunTrigger::Manual => "manual",
        }
    }
}

/// A run to create.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub digest: String,
    /// The scheduled instant the run is for (the time of a manual send).
    pub slot: DateTime<Utc>,
    pub trigger: RunTrigger,
    /// Releases that became visible in `(window_start, window_end]`.
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub created: DateTime<Utc>,
    /// The releases the digest lists, in its order.
    pub releases: Vec<ReleaseId>,
    /// Who is owed the digest. Addresses on the suppression list are
    /// recorded `suppressed`, never `pending`. Empty for a skipped run
    /// (nothing in the window), which is then finished at once.
    pub recipients: Vec<NewRecipient>,
}

/// A recipient of a new run, as the subscribers file had them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecipient {
    /// Normalised (as the digest crate's `Address` writes it).
    pub address: String,
    pub name: String,
    /// A language tag.
    pub lang: String,
}

/// A recorded run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRun {
    pub id: i64,
    pub digest: String,
    pub slot: DateTime<Utc>,
    pub trigger: RunTrigger,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub created: DateTime<Utc>,
    /// When the last recipient's fate was known; `None` while some are pending.
    pub finished: Option<DateTime<Utc>>,
    pub releases: Vec<ReleaseId>,
}

/// A recipient's state in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecipientState {
    Pending,
    /// The server accepted the message (or it was written to the outbox).
    Sent,
    /// Refused for good, or given up after every retry.
    Failed,
    /// Unsubscribed before the message went out.
    Suppressed,
}

impl RecipientState {
    fn as_str(self) -> &'static str {
        match self {
            RecipientState::Pending => "pending",
            RecipientState::Sent => "sent",
            RecipientState::Failed => "failed",
            RecipientState::Suppressed => "suppressed",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => RecipientState::Pending,
            "sent" => RecipientState::Sent,
            "failed" => RecipientState::Failed,
            "suppressed" => RecipientState::Suppressed,
            _ => return None,
        })
    }
}

/// A recipient still owed a run's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRecipient {
    pub address: String,
    pub name: String,
    pub lang: String,
    /// Deliveries tried in earlier passes (temporary failures).
    pub attempts: u32,
}

/// How many recipients of a run are in each state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunCounts {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
    pub suppressed: u64,
}

/// Where a suppression came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionSource {
    /// A one-click POST (RFC 8058) from a mail client.
    OneClick,
    /// The unsubscribe link opened in a browser.
    Link,
    /// `pressroom unsubscribe ADDRESS`.
    Command,
}

impl SuppressionSource {
    /// `one-click`, `link` or `command`.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionSource::OneClick => "one-click",
            SuppressionSource::Link => "link",
            SuppressionSource::Command => "command",
        }
    }

    /// The source named by [`SuppressionSource::as_str`].
    pub fn parse(name: &str) -> Option<SuppressionSource> {
        Some(match name {
            "one-click" => SuppressionSource::OneClick,
            "link" => SuppressionSource::Link,
            "command" => SuppressionSource::Command,
            _ => return None,
        })
    }
}

const RUN_COLUMNS: &str =
    "id, digest, slot, trigger, window_start, window_end, created, finished, releases";

impl Store {
    /// Records a new run and its recipients in one transaction, and returns
    /// it. A run without a pending recipient is finished at once. Fails if
    /// the digest already has a run for `slot`.
    pub fn create_digest_run(&mut self, run: NewRun) -> Result<DigestRun, StoreError> {
        let what = || format!("a run of the digest '{}'", run.digest);
        self.in_transaction(what, |store| {
            let write = store.write_error(what);
            let releases = serde_json::to_string(
                &run.releases
                    .iter()
                    .map(ReleaseId::as_str)
                    .collect::<Vec<_>>(),
            )
            .expect("a list of strings serialises");
            let id: i64 = store
                .conn
                .prepare_cached(
                    "INSERT INTO digest_runs (digest, slot, trigger, window_start, window_end,
                     created, finished, releases) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7)
                     RETURNING id",
                )
                .and_then(|mut stmt| {
                    stmt.query_row(
                        rusqlite::params![
                            run.digest,
                            micros(run.slot),
                            run.trigger.as_str(),
                            micros(run.window_start),
                            micros(run.window_end),
                            micros(run.created),
                            releases,
                        ],
                        |row| row.get(0),
                    )
                })
                .map_err(&write)?;
            let mut insert = store
                .conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO digest_recipients (run, address, name, lang, state)
                     VALUES (?1, ?2, ?3, ?4,
                       CASE WHEN EXISTS (SELECT 1 FROM suppressions WHERE address = ?2)
                       THEN 'suppressed' ELSE 'pending' END)",
                )
                .map_err(&write)?;
            for recipient in &run.recipients {
                insert
                    .execute(rusqlite::params![
                        id,
                        recipient.address,
                        recipient.name,
                        recipient.lang
                    ])
                    .map_err(&write)?;
            }
            drop(insert);
            store.finish_if_done(id, run.created)?;
            store
                .digest_run(id)?
                .ok_or_else(|| write(rusqlite::Error::QueryReturnedNoRows))
        })
    }

    /// The run with this id.
    pub fn digest_run(&self, id: i64) -> Result<Option<DigestRun>, StoreError> {
        let read = self.read_error(|| format!("digest run {id}"));
        self.conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM digest_runs WHERE id = ?1"
            ))
            .and_then(|mut stmt| stmt.query_row([id], raw_run).optional())
            .map_err(&read)?
            .map(|raw| self.decode_run(raw))
            .transpose()
    }

    /// The digest's run whose window ends last: the next run's window
    /// starts where it ended.
    pub fn last_digest_run(&self, digest: &str) -> Result<Option<DigestRun>, StoreError> {
        let read = self.read_error(|| format!("the last run of the digest '{digest}'"));
        self.conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM digest_runs WHERE digest = ?1
                 ORDER BY window_end DESC, id DESC LIMIT 1"
            ))
            .and_then(|mut stmt| stmt.query_row([digest], raw_run).optional())
            .map_err(&read)?
            .map(|raw| self.decode_run(raw))
            .transpose()
    }

    /// Runs with recipients still pending, oldest first: what a restart
    /// resumes.
    pub fn unfinished_digest_runs(&self) -> Result<Vec<DigestRun>, StoreError> {
        let read = self.read_error(|| "the unfinished digest runs".to_owned());
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM digest_runs WHERE finished IS NULL ORDER BY id"
            ))
            .map_err(&read)?;
        let raws = stmt
            .query_map([], raw_run)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(&read)?;
        raws.into_iter().map(|raw| self.decode_run(raw)).collect()
    }

    /// Up to `limit` pending recipients of run `run`, by address, after
    /// `after` (for reading them a page at a time).
    pub fn pending_recipients(
        &self,
        run: i64,
        after: &str,
        limit: usize,
    ) -> Result<Vec<PendingRecipient>, StoreError> {
        let read = self.read_error(|| format!("the pending recipients of digest run {run}"));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT address, name, lang, attempts FROM digest_recipients
                 WHERE run = ?1 AND state = 'pending' AND address > ?2 ORDER BY address",
            )
            .map_err(&read)?;
        let mut rows = stmt.query(rusqlite::params![run, after]).map_err(&read)?;
        let mut page = Vec::new();
        while page.len() < limit {
            let Some(row) = rows.next().map_err(&read)? else {
                break;
            };
            page.push(PendingRecipient {
                address: row.get(0).map_err(&read)?,
                name: row.get(1).map_err(&read)?,
                lang: row.get(2).map_err(&read)?,
                attempts: row.get(3).map_err(&read)?,
            });
        }
        Ok(page)
    }

    /// Records what became of the message to `address` in run `run`: a
    /// final state, or `Pending` again after a temporary failure (the
    /// attempt is counted). `detail` says why, for failures.
    pub fn record_delivery(
        &mut self,
        run: i64,
        address: &str,
        state: RecipientState,
        detail: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let what = || format!("the delivery to '{address}' in digest run {run}");
        // See the module doc: durable against a crash of the process, cheap.
        self.conn
            .execute_batch("PRAGMA synchronous = NORMAL")
            .map_err(self.write_error(what))?;
        let result = self.in_transaction(what, |store| {
            store
                .conn
                .prepare_cached(
                    "UPDATE digest_recipients SET state = ?3, detail = ?4, updated = ?5,
                     attempts = attempts + 1 WHERE run = ?1 AND address = ?2 AND state = 'pending'",
                )
                .and_then(|mut stmt| {
                    stmt.execute(rusqlite::params![
                        run,
                        address,
                        state.as_str(),
                        detail,
                        micros(at)
                    ])
                })
                .map_err(store.write_error(what))?;
            Ok(())
        });
        let restored = self.conn.execute_batch("PRAGMA synchronous = FULL");
        result?;
        restored.map_err(self.write_error(what))
    }

    /// Marks pending recipients of run `run` that have since unsubscribed
    /// as `suppressed`; returns how many.
    pub fn suppress_pending(&mut self, run: i64, at: DateTime<Utc>) -> Result<usize, StoreError> {
        let what = || format!("the unsubscribed recipients of digest run {run}");
        self.in_transaction(what, |store| {
            store
                .conn
                .prepare_cached(
                    "UPDATE digest_recipients SET state = 'suppressed', updated = ?2
                     WHERE run = ?1 AND state = 'pending'
                     AND address IN (SELECT address FROM suppressions)",
                )
                .and_then(|mut stmt| stmt.execute(rusqlite::params![run, micros(at)]))
                .map_err(store.write_error(what))
        })
    }

    /// Marks the run finished if no recipient is pending; returns whether
    /// it is finished.
    pub fn finish_digest_run(&mut self, run: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.in_transaction(
            || format!("the end of digest run {run}"),
            |store| store.finish_if_done(run, at),
        )
    }

    /// How many recipients of run `run` are in each state.
    pub fn digest_run_counts(&self, run: i64) -> Result<RunCounts, StoreError> {
        let read = self.read_error(|| format!("the recipients of digest run {run}"));
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT state, COUNT(*) FROM digest_recipients WHERE run = ?1 GROUP BY state",
            )
            .map_err(&read)?;
        let mut rows = stmt.query([run]).map_err(&read)?;
        let mut counts = RunCounts::default();
        while let Some(row) = rows.next().map_err(&read)? {
            let state: String = row.get(0).map_err(&read)?;
            let count: i64 = row.get(1).map_err(&read)?;
            let count = u64::try_from(count).unwrap_or(0);
            match RecipientState::parse(&state) {
                Some(RecipientState::Pending) => counts.pending = count,
                Some(RecipientState::Sent) => counts.sent = count,
                Some(RecipientState::Failed) => counts.failed = count,
                Some(RecipientState::Suppressed) => counts.suppressed = count,
                None => {}
            }
        }
        Ok(counts)
    }

    /// The state of `address` in run `run`, if it is a recipient.
    pub fn recipient_state(
        &self,
        run: i64,
        address: &str,
    ) -> Result<Option<RecipientState>, StoreError> {
        let read = self.read_error(|| format!("recipient '{address}' of digest run {run}"));
        let state: Option<String> = self
            .conn
            .prepare_cached("SELECT state FROM digest_recipients WHERE run = ?1 AND address = ?2")
            .and_then(|mut stmt| {
                stmt.query_row(rusqlite::params![run, address], |row| row.get(0))
                    .optional()
            })
            .map_err(&read)?;
        Ok(state.as_deref().and_then(RecipientState::parse))
    }

    /// Adds `address` to the suppression list; returns `false` if it was
    /// already on it (the first record is kept).
    pub fn suppress(
        &mut self,
        address: &str,
        digest: Option<&str>,
        source: SuppressionSource,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let what = || format!("the unsubscription of '{address}'");
        self.in_transaction(what, |store| {
            let added = store
                .conn
                .prepare_cached(
                    "INSERT OR IGNORE INTO suppressions (address, at, source, digest)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut stmt| {
                    stmt.execute(rusqlite::params![
                        address,
                        micros(at),
                        source.as_str(),
                        digest
                    ])
                })
                .map_err(store.write_error(what))?;
            Ok(added == 1)
        })
    }

    /// Takes `address` off the suppression list (it asked to receive
    /// digests again); returns whether it was on it.
    pub fn unsuppress(&mut self, address: &str) -> Result<bool, StoreError> {
        let what = || format!("the unsubscription of '{address}'");
        self.in_transaction(what, |store| {
            let removed = store
                .conn
                .prepare_cached("DELETE FROM suppressions WHERE address = ?1")
                .and_then(|mut stmt| stmt.execute([address]))
                .map_err(store.write_error(what))?;
            Ok(removed == 1)
        })
    }

    /// Whether `address` unsubscribed.
    pub fn is_suppressed(&self, address: &str) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached("SELECT 1 FROM suppressions WHERE address = ?1")
            .and_then(|mut stmt| stmt.exists([address]))
            .map_err(self.read_error(|| format!("the unsubscription of '{address}'")))
    }

    /// How many addresses unsubscribed.
    pub fn suppression_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM suppressions")
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(self.read_error(|| "the suppression list".to_owned()))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Copies the digest runs, their recipients and the suppression list of
    /// the store file at `old` into this one (which has none yet): a store
    /// rebuilt from the archive keeps who was sent what and who
    /// unsubscribed. An old store without digest tables gives nothing.
    /// Returns the number of runs copied.
    pub fn copy_digest_history_from(&mut self, old: &std::path::Path) -> Result<usize, StoreError> {
        let what = || format!("the digest history of '{}'", old.display());
        let old_path = old.to_string_lossy().into_owned();
        self.conn
            .execute("ATTACH DATABASE ?1 AS old", [&old_path])
            .map_err(self.read_error(what))?;
        let copied = self.in_transaction(what, |store| {
            let has_digests: bool = store
                .conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM old.sqlite_master WHERE name = 'digest_runs')",
                    [],
                    |row| row.get(0),
                )
                .map_err(store.read_error(what))?;
            if !has_digests {
                return Ok(0);
            }
            store
                .conn
                .execute_batch(
                    "INSERT INTO digest_runs (id, digest, slot, trigger, window_start, window_end,
                         created, finished, releases)
                     SELECT id, digest, slot, trigger, window_start, window_end, created,
                         finished, releases FROM old.digest_runs;
                     INSERT INTO digest_recipients (run, address, name, lang, state, attempts,
                         detail, updated)
                     SELECT run, address, name, lang, state, attempts, detail, updated
                     FROM old.digest_recipients;
                     INSERT OR IGNORE INTO suppressions (address, at, source, digest)
                     SELECT address, at, source, digest FROM old.suppressions;",
                )
                .map_err(store.write_error(what))?;
            store
                .conn
                .query_row("SELECT COUNT(*) FROM digest_runs", [], |row| {
                    row.get::<_, i64>(0)
                })
                .map(|count| usize::try_from(count).unwrap_or(0))
                .map_err(store.read_error(what))
        });
        let detached = self.conn.execute_batch("DETACH DATABASE old");
        let copied = copied?;
        detached.map_err(self.write_error(what))?;
        Ok(copied)
    }

    fn finish_if_done(&self, run: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = self
            .conn
            .prepare_cached(
                "UPDATE digest_runs SET finished = ?2 WHERE id = ?1 AND finished IS NULL
                 AND NOT EXISTS (SELECT 1 FROM digest_recipients
                                 WHERE run = ?1 AND state = 'pending')",
            )
            .and_then(|mut stmt| stmt.execute(rusqlite::params![run, micros(at)]))
            .map_err(self.write_error(|| format!("the end of digest run {run}")))?;
        if changed == 1 {
            return Ok(true);
        }
        self.conn
            .prepare_cached("SELECT finished IS NOT NULL FROM digest_runs WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([run], |row| row.get(0)))
            .map_err(self.read_error(|| format!("digest run {run}")))
    }

    fn decode_run(&self, raw: RawRun) -> Result<DigestRun, StoreError> {
        let corrupt = |column: &'static str, source: crate::error::Cause| StoreError::Corrupt {
            path: self.path().to_owned(),
            id: format!("digest run {}", raw.id),
            column,
            source,
        };
        let instant =
            |column: &'static str, value: i64| time(value).map_err(|e| corrupt(column, e));
        let trigger = match raw.trigger.as_str() {
            "schedule" => RunTrigger::Schedule,
            "manual" => RunTrigger::Manual,
            other => {
                return Err(corrupt(
                    "trigger",
                    format!("unknown trigger '{other}'").into(),
                ));
            }
        };
        let ids: Vec<String> =
            serde_json::from_str(&raw.releases).map_err(|e| corrupt("releases", e.into()))?;
        let releases = ids
            .iter()
            .map(|id| ReleaseId::parse(id).map_err(|e| corrupt("releases", e.into())))
            .collect::<Result<_, _>>()?;
        Ok(DigestRun {
            id: raw.id,
            digest: raw.digest,
            slot: instant("slot", raw.slot)?,
            trigger,
            window_start: instant("window_start", raw.window_start)?,
            window_end: instant("window_end", raw.window_end)?,
            created: instant("created", raw.created)?,
            finished: raw
                .finished
                .map(|value| instant("finished", value))
                .transpose()?,
            releases,
        })
    }
}

/// A run's row as stored.
struct RawRun {
    id: i64,
    digest: String,
    slot: i64,
    trigger: String,
    window_start: i64,
    window_end: i64,
    created: i64,
    finished: Option<i64>,
    releases: String,
}

fn raw_run(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawRun> {
    Ok(RawRun {
        id: row.get(0)?,
        digest: row.get(1)?,
        slot: row.get(2)?,
        trigger: row.get(3)?,
        window_start: row.get(4)?,
        window_end: row.get(5)?,
        created: row.get(6)?,
        finished: row.get(7)?,
        releases: row.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).unwrap()
    }

    fn recipient(address: &str) -> NewRecipient {
        NewRecipient {
            address: address.to_owned(),
            name: String::new(),
            lang: "fr".to_owned(),
        }
    }

    fn new_run(slot: DateTime<Utc>, recipients: &[&str]) -> NewRun {
        NewRun {
            digest: "daily".to_owned(),
            slot,
            trigger: RunTrigger::Schedule,
            window_start: slot - chrono::Duration::days(1),
            window_end: slot,
            created: slot,
            releases: vec![ReleaseId::parse("a-release").unwrap()],
            recipients: recipients.iter().map(|a| recipient(a)).collect(),
        }
    }

    #[test]
    fn a_run_stays_unfinished_until_every_recipient_is_settled() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store
            .create_digest_run(new_run(at(8), &["a@example.org", "b@example.org"]))
            .unwrap();
        assert_eq!(run.finished, None);
        assert_eq!(run.releases, [ReleaseId::parse("a-release").unwrap()]);
        assert_eq!(
            store.unfinished_digest_runs().unwrap(),
            std::slice::from_ref(&run)
        );

        store
            .record_delivery(run.id, "a@example.org", RecipientState::Sent, None, at(9))
            .unwrap();
        assert!(!store.finish_digest_run(run.id, at(9)).unwrap());
        let pending = store.pending_recipients(run.id, "", 10).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].address, "b@example.org");

        store
            .record_delivery(
                run.id,
                "b@example.org",
                RecipientState::Failed,
                Some("550 no such user"),
                at(9),
            )
            .unwrap();
        assert!(store.finish_digest_run(run.id, at(9)).unwrap());
        assert!(store.unfinished_digest_runs().unwrap().is_empty());
        let counts = store.digest_run_counts(run.id).unwrap();
        assert_eq!((counts.sent, counts.failed, counts.pending), (1, 1, 0));
    }

    #[test]
    fn a_delivery_is_recorded_once() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store
            .create_digest_run(new_run(at(8), &["a@example.org"]))
            .unwrap();
        store
            .record_delivery(run.id, "a@example.org", RecipientState::Sent, None, at(9))
            .unwrap();
        // A late report cannot turn a sent message back into a pending one.
        store
            .record_delivery(
                run.id,
                "a@example.org",
                RecipientState::Pending,
                None,
                at(10),
            )
            .unwrap();
        assert_eq!(
            store.recipient_state(run.id, "a@example.org").unwrap(),
            Some(RecipientState::Sent)
        );
    }

    #[test]
    fn suppressed_addresses_are_never_pending() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(
            store
                .suppress(
                    "b@example.org",
                    Some("daily"),
                    SuppressionSource::OneClick,
                    at(7)
                )
                .unwrap()
        );
        assert!(
            !store
                .suppress("b@example.org", None, SuppressionSource::Command, at(7))
                .unwrap()
        );
        let run = store
            .create_digest_run(new_run(at(8), &["a@example.org", "b@example.org"]))
            .unwrap();
        assert_eq!(
            store.recipient_state(run.id, "b@example.org").unwrap(),
            Some(RecipientState::Suppressed)
        );
        // Unsubscribing while a run is under way takes effect on resume.
        store
            .suppress("a@example.org", None, SuppressionSource::Link, at(8))
            .unwrap();
        assert_eq!(store.suppress_pending(run.id, at(9)).unwrap(), 1);
        assert!(store.finish_digest_run(run.id, at(9)).unwrap());
        assert_eq!(store.suppression_count().unwrap(), 2);
        assert!(store.unsuppress("a@example.org").unwrap());
        assert!(!store.unsuppress("a@example.org").unwrap());
        assert!(!store.is_suppressed("a@example.org").unwrap());
        assert!(store.is_suppressed("b@example.org").unwrap());
    }

    #[test]
    fn a_run_without_recipients_is_finished_at_once_and_slots_are_unique() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.create_digest_run(new_run(at(8), &[])).unwrap();
        assert_eq!(run.finished, Some(at(8)));
        assert!(store.create_digest_run(new_run(at(8), &[])).is_err());
        let later = store.create_digest_run(new_run(at(20), &[])).unwrap();
        assert_eq!(store.last_digest_run("daily").unwrap(), Some(later));
        assert_eq!(store.last_digest_run("weekly").unwrap(), None);
    }

    #[test]
    fn a_rebuilt_store_keeps_the_digest_history_of_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let old_path = dir.path().join("old.db");
        let mut old = Store::open(&old_path).unwrap();
        let run = old
            .create_digest_run(new_run(at(8), &["a@example.org", "b@example.org"]))
            .unwrap();
        old.record_delivery(run.id, "a@example.org", RecipientState::Sent, None, at(9))
            .unwrap();
        old.suppress("c@example.org", None, SuppressionSource::Command, at(9))
            .unwrap();
        drop(old);

        let mut fresh = Store::open(&dir.path().join("new.db")).unwrap();
        assert_eq!(fresh.copy_digest_history_from(&old_path).unwrap(), 1);
        assert_eq!(fresh.last_digest_run("daily").unwrap(), Some(run.clone()));
        assert_eq!(
            fresh.recipient_state(run.id, "a@example.org").unwrap(),
            Some(RecipientState::Sent)
        );
        assert_eq!(fresh.pending_recipients(run.id, "", 10).unwrap().len(), 1);
        assert!(fresh.is_suppressed("c@example.org").unwrap());
    }

    #[test]
    fn pending_recipients_come_a_page_at_a_time() {
        let mut store = Store::open_in_memory().unwrap();
        let addresses: Vec<String> = (0..25).map(|i| format!("r{i:02}@example.org")).collect();
        let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let run = store.create_digest_run(new_run(at(8), &refs)).unwrap();
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let page = store.pending_recipients(run.id, &after, 10).unwrap();
            let Some(last) = page.last() else { break };
            after = last.address.clone();
            seen.extend(page.into_iter().map(|r| r.address));
        }
        assert_eq!(seen, addresses);
    }
}

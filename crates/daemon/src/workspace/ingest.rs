//! Taking units from the inbox into the store and the archive.
//!
//! A group of units is one store transaction, read and parsed
//! [`BATCH_SIZE`] at a time on every core. The order of steps is what makes
//! a crash harmless: the originals get their archive names (by the threads
//! that parse them: a hard link, or a copy of the bytes read, see
//! [`files::archive_original`]), the journal lines are flushed, the store's
//! transaction commits, and only then are the store's log and the archive
//! names flushed and the inbox names removed. A crash before the commit leaves the files in the
//! inbox, to be ingested again on the next run (the journal and archive may
//! then hold a duplicate, which replaying recognises by its hash); a crash
//! after it leaves at worst files in the inbox whose bytes are already
//! stored, which the next run recognises as unchanged. If a power cut took
//! their archive names, not yet flushed, that run puts them back from the
//! inbox files before it removes those ([`keep_archived`]).
//!
//! Threads: a producer reads, hashes, parses and archives each batch on
//! every core (`parallel_map`), two batches ahead; the calling thread, the
//! store's only writer, stores and commits (without waiting for the
//! disk); a remover flushes the store's log and the archive names of each
//! committed group and takes its files from the inbox while the next group
//! is stored (those flushes were a third of a group's time, and the store's
//! thread need not wait for them), and the last group's while a publish
//! regenerates the outputs ([`Remover`] outlives [`Ingest::store_all`];
//! the outputs become final only once it is done).
//! The store's thread is the bottleneck of a backlog, so nothing else runs
//! on it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use pressroom_core::{DroppedFile, Release, parse_release_group};
use pressroom_store::{LogCheckpointer, NewVersion, ReleaseText, Store, Stored, StoredRelease};

use super::{
    Dirty, FileOutcome, categories_of, hex_sha256, parallel_map, published_time, relative_path,
    tag_id,
};
use crate::config::Settings;
use crate::files::{self, FileStamp};
use crate::journal::{ArchivedAttachment, Journal, JournalEvent};
use crate::source::{self, Unit, UnitBytes, UnitReadError};

/// How many units are read and parsed at once: enough to keep every core
/// busy, few enough to keep memory flat.
pub const BATCH_SIZE: usize = 256;

/// How many units one store transaction takes at most. Each commit waits
/// for the journal's and the store's flushes (about 0.1 s, when the store's
/// thread, a backlog's bottleneck, does nothing else): a backlog of 10,000
/// costs three commits, not forty. A crash loses no file either way (they
/// stay in the inbox until their commit). 4,096 rather than 2,048: 3% less
/// time for a backlog of 10,000, for no more memory (the store spills what
/// a transaction writes to its log).
pub const GROUP_SIZE: usize = 4096;

/// What ingesting needs of a workspace: the store is written, the rest read.
pub(super) struct Ingest<'a> {
    pub settings: &'a Settings,
    pub journal: &'a Journal,
    pub store: &'a mut Store,
}

/// Where an ingest reports what it does, as it goes.
pub(super) trait IngestSink {
    /// A release just stored and visible now, as it stands, before its
    /// transaction commits (to write its page meanwhile).
    fn stored(&mut self, release: StoredRelease);
    /// What became of a unit: once its group is committed for those stored.
    fn outcome(&mut self, source_name: String, outcome: FileOutcome);
    /// How many more units were read.
    fn progress(&mut self, units: usize);
}

/// A batch of units read and parsed, in the units' order.
type PreparedBatch<'u> = Vec<(String, anyhow::Result<Result<Prepared<'u>, FileOutcome>>)>;

impl Ingest<'_> {
    /// Ingests units (release documents with their attachments, or stray
    /// files), [`GROUP_SIZE`] per store transaction, and waits until their
    /// files are out of the inbox. Errors are critical (the store or the
    /// disk failed, and nothing of the failed group was stored: its files
    /// stay in the inbox); anything wrong with a unit itself is its outcome.
    /// (A publish overlaps the last removals with the regeneration instead,
    /// with [`Ingest::start_remover`] and [`Ingest::store_all`].)
    #[cfg(test)]
    pub fn run(
        &mut self,
        units: &[Unit],
        dirty: &mut Dirty,
        sink: &mut dyn IngestSink,
    ) -> anyhow::Result<()> {
        std::thread::scope(|scope| {
            let remover = self.start_remover(scope, units.len())?;
            let stored = self.store_all(units, dirty, sink, &remover);
            let removed = remover.finish();
            stored.and(removed)
        })
    }

    /// Starts the thread that takes committed groups from the inbox. From
    /// now until [`Ingest::store_all`] returns, commits do not wait for the
    /// disk: the remover flushes the store's log before it takes a group's
    /// files from the inbox, off the store's thread (a backlog's
    /// bottleneck). A power cut before that flush undoes the group's
    /// commit, whose files are still in the inbox.
    ///
    /// For a backlog (at least [`BATCH_SIZE`] `units`), the remover also
    /// checkpoints the store's log after each group, through a connection
    /// of its own, while the next group is stored or the outputs are
    /// rendered: left for the end, the checkpoint of 10,000 releases kept
    /// one core busy for a seventh of the run while the other waited.
    pub fn start_remover<'scope, 'u: 'scope>(
        &mut self,
        scope: &'scope std::thread::Scope<'scope, '_>,
        units: usize,
    ) -> anyhow::Result<Remover<'scope, 'u>> {
        // Before commits stop waiting for the disk: nothing may fail
        // between that and the remover that flushes them.
        let checkpointer = if units >= BATCH_SIZE {
            // Only time is at stake: without it, the end checkpoints all.
            self.store.log_checkpointer().unwrap_or_else(|error| {
                tracing::warn!("{error}");
                None
            })
        } else {
            None
        };
        let log = self.store.defer_commit_sync()?;
        Ok(Remover::start(
            scope,
            self.settings.archive.clone(),
            log,
            checkpointer,
        ))
    }

    /// Stores `units` and hands each committed group to `remover`, which
    /// may still be flushing and removing the last ones when this returns.
    pub fn store_all<'u>(
        &mut self,
        units: &'u [Unit],
        dirty: &mut Dirty,
        sink: &mut dyn IngestSink,
        remover: &Remover<'_, 'u>,
    ) -> anyhow::Result<()> {
        let now = Utc::now();
        let settings = self.settings;
        let month_folder = &settings.archive.join(
            now.with_timezone(&settings.time_zone)
                .format("%Y/%m")
                .to_string(),
        );
        let stored = std::thread::scope(|scope| {
            // Reading, hashing, parsing and archiving take most of an
            // ingest's time and need nothing but the settings: they run on
            // every core, up to two batches ahead of the store, so that they
            // go on while it waits for the disk at a commit (5% less time
            // for a backlog of 10,000 than one batch ahead, for 4 MB).
            let (sender, receiver) = mpsc::sync_channel::<PreparedBatch<'_>>(2);
            scope.spawn(move || {
                for batch in batches(units) {
                    let prepared = parallel_map(batch, |unit| {
                        let source_name = relative_path(&settings.inbox, &unit.path);
                        let prepared = prepare(settings, unit, &source_name, month_folder, now);
                        (source_name, prepared)
                    });
                    if sender.send(prepared).is_err() {
                        // The store failed: the rest stays in the inbox.
                        break;
                    }
                }
            });
            let mut prepared = receiver.into_iter().peekable();
            while prepared.peek().is_some() {
                self.group(&mut prepared, now, dirty, sink, &remover.groups)?;
            }
            Ok(())
        });
        // Other writers (retractions, digest runs, the embargo bookkeeping
        // of the regeneration) wait for the disk again.
        let synced = self.store.sync_commits();
        stored.and(synced.map_err(Into::into))
    }

    /// Stores batches from `prepared` in one transaction, until it holds
    /// [`GROUP_SIZE`] units or `prepared` ends, then takes their files from
    /// the inbox.
    fn group<'u>(
        &mut self,
        prepared: &mut dyn Iterator<Item = PreparedBatch<'u>>,
        now: DateTime<Utc>,
        dirty: &mut Dirty,
        sink: &mut dyn IngestSink,
        removals: &mpsc::Sender<Committed<'u>>,
    ) -> anyhow::Result<()> {
        let settings = self.settings;
        let journal = self.journal;
        let started = Instant::now();
        // Where the group's time goes, for the debug log.
        let (mut waited, mut storing, mut flushing) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        let mut stored_units: Vec<(Consumed<'u>, String, FileOutcome)> = Vec::new();
        let mut count = 0;
        let mut archived = files::PendingFlush::default();
        self.store.batch(|store| -> anyhow::Result<()> {
            let mut events = Vec::new();
            while count < GROUP_SIZE {
                let wait = Instant::now();
                let Some(batch) = prepared.next() else { break };
                waited += wait.elapsed();
                let store_started = Instant::now();
                let read = batch.len();
                count += read;
                let mut ready = Vec::with_capacity(batch.len());
                let mut failure = None;
                for (source_name, prepared) in batch {
                    match prepared {
                        Ok(Ok(prepared)) => ready.push(prepared),
                        // Rejected or left in the inbox: final already.
                        Ok(Err(outcome)) => sink.outcome(source_name, outcome),
                        Err(error) => {
                            failure.get_or_insert(error);
                        }
                    }
                }
                if let Some(error) = failure {
                    return Err(error);
                }
                for prepared in ready {
                    let (consumed, source_name, outcome, event) =
                        store_one(store, settings, prepared, now, dirty, sink, &mut archived)?;
                    match consumed {
                        Some(consumed) => stored_units.push((consumed, source_name, outcome)),
                        // Left in the inbox: final already.
                        None => sink.outcome(source_name, outcome),
                    }
                    events.extend(event);
                }
                sink.progress(read);
                storing += store_started.elapsed();
            }
            let flush_started = Instant::now();
            // The journal is on disk before the store commits (when this
            // closure returns): no stored release is missing from it, and
            // `rebuild` recreates every one. The originals' names are
            // flushed after, with their removal from the inbox.
            let appended = journal
                .append_all(&events)
                .context("cannot write the archive journal");
            flushing = flush_started.elapsed();
            appended
        })?;
        let total = started.elapsed();
        tracing::debug!(
            units = count,
            ms = total.as_millis(),
            waited_ms = waited.as_millis(),
            storing_ms = storing.as_millis(),
            flushing_ms = flushing.as_millis(),
            commit_ms = (total - waited - storing - flushing).as_millis(),
            "group stored"
        );
        let mut units = Vec::with_capacity(stored_units.len());
        for (unit, source_name, outcome) in stored_units {
            units.push(unit);
            sink.outcome(source_name, outcome);
        }
        // Fails only when the remover stopped at an error, which the run
        // returns at its end; the files stay in the inbox meanwhile, where
        // the next run finds them stored already.
        let _ = removals.send(Committed { archived, units });
        Ok(())
    }
}

/// A committed group, for the remover: its archive names to flush, then
/// its units to take from the inbox.
struct Committed<'u> {
    archived: files::PendingFlush,
    units: Vec<Consumed<'u>>,
}

/// The thread that flushes each committed group's store log and archive
/// names, then takes its files from the inbox, while the store goes on.
pub(super) struct Remover<'scope, 'u> {
    groups: mpsc::Sender<Committed<'u>>,
    thread: std::thread::ScopedJoinHandle<'scope, anyhow::Result<()>>,
}

impl<'scope, 'u: 'scope> Remover<'scope, 'u> {
    fn start(
        scope: &'scope std::thread::Scope<'scope, '_>,
        archive: PathBuf,
        log: Option<PathBuf>,
        checkpointer: Option<LogCheckpointer>,
    ) -> Self {
        let (groups, committed) = mpsc::channel::<Committed<'u>>();
        let thread = scope.spawn(move || {
            committed.into_iter().try_for_each(|mut committed| {
                if let Some(log) = &log {
                    files::sync_file(log).with_context(|| {
                        format!("cannot flush the store's log '{}' to disk", log.display())
                    })?;
                }
                committed
                    .archived
                    .flush(&archive)
                    .with_context(|| format!("cannot flush '{}' to disk", archive.display()))?;
                committed
                    .units
                    .into_iter()
                    .try_for_each(remove_from_inbox)?;
                if let Some(checkpointer) = &checkpointer
                    && let Err(error) = checkpointer.checkpoint()
                {
                    // The regeneration checkpoints again; nothing is lost.
                    tracing::warn!("{error}");
                }
                Ok(())
            })
        });
        Remover { groups, thread }
    }

    /// Waits until every group handed over is flushed and out of the inbox;
    /// the first error, if any. A group handed over after an error stays in
    /// the inbox, where the next run finds it stored already.
    pub fn finish(self) -> anyhow::Result<()> {
        drop(self.groups);
        match self.thread.join() {
            Ok(removed) => removed,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

/// A unit whose release the open transaction stores: once it commits, the
/// unit's files leave the inbox.
struct Consumed<'u> {
    unit: &'u Unit,
    /// What its files were when read, in [`Unit::files`] order.
    stamps: Vec<FileStamp>,
}

/// Removes a stored unit's files from the inbox, the second half of their
/// move into the archive. A file an editor saved again since it was read
/// stays, and is published as an update by the next run. (A file archived
/// as a link and saved in place is also the archive's file, which then
/// holds the new bytes for the version just stored: that version's exact
/// bytes are lost, the editor's work never; the daemon takes only files
/// that have settled, so this is a rare race.) The removals are not
/// flushed: the release is durably stored, so a file that a power cut
/// brings back is recognised by its hash and counted unchanged. Nothing can
/// be lost either way.
fn remove_from_inbox(consumed: Consumed<'_>) -> anyhow::Result<()> {
    let Consumed { unit, stamps } = consumed;
    for (path, stamp) in unit.files().zip(&stamps) {
        if !stamp.matches(path) {
            if fs::symlink_metadata(path).is_ok() {
                tracing::warn!(
                    file = %path.display(),
                    "changed since it was read: left in the inbox, to be published again"
                );
            }
            continue;
        }
        match fs::remove_file(path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot remove '{}' from the inbox", path.display()));
            }
        }
    }
    // A release folder goes with its files; one that still holds an
    // editor's file (a .DS_Store) stays, as that file does.
    if let Some(folder) = unit.folder() {
        let _ = fs::remove_dir(folder);
    }
    Ok(())
}

/// Stores one prepared unit in the open transaction: the unit it consumed
/// (`None` when it must stay in the inbox), its name and outcome, and the
/// journal event to record. The archive files its release now has go into
/// `archived`, to be flushed before the unit leaves the inbox.
fn store_one<'u>(
    store: &mut Store,
    settings: &Settings,
    prepared: Prepared<'u>,
    now: DateTime<Utc>,
    dirty: &mut Dirty,
    sink: &mut dyn IngestSink,
    archived: &mut files::PendingFlush,
) -> anyhow::Result<(
    Option<Consumed<'u>>,
    String,
    FileOutcome,
    Option<JournalEvent>,
)> {
    let Prepared {
        unit,
        stamps,
        source_name,
        hash,
        mut release,
        text,
        archive_path,
        attachments,
        archive_names,
    } = prepared;
    if let Some(stored) = store.release_by_hash(&hash)?
        && stored.source_hash == hash
    {
        // Archived when these bytes were first stored.
        return match keep_archived(settings, &stored, archive_names) {
            Ok(kept) => {
                for path in kept {
                    archived.add(&path);
                }
                let outcome = FileOutcome::Unchanged(stored.release.id);
                Ok((Some(Consumed { unit, stamps }), source_name, outcome, None))
            }
            // The inbox holds the only copy of what the archive misses.
            Err(error) => {
                tracing::error!(file = %source_name, "{error:#}");
                let why = format!("{error:#}; left in the inbox");
                Ok((None, source_name, FileOutcome::Skipped(why), None))
            }
        };
    }
    let explicit = release.id.as_str() != release.slug;
    release.id = store.resolve_id(&release.id, explicit, &source_name)?;
    let previous = store.release(&release.id)?;
    let first_ingested = previous.as_ref().map_or(now, |p| p.first_ingested);
    let published = published_time(&release, first_ingested, &settings.time_zone);
    // An update of a release already out stays out since then (digests
    // count it once); an embargo always decides.
    let visible_from = match release.embargo {
        Some(embargo) => embargo.to_utc(),
        None => previous.as_ref().map_or(now, |p| p.visible_from.min(now)),
    };
    let tag_id = match &previous {
        Some(previous) => previous.tag_id.clone(),
        None => tag_id(settings, &release.id, published),
    };
    for path in &archive_names {
        archived.add(path);
    }
    let attachment_paths = attachments.iter().map(|a| a.archive_path.clone()).collect();
    let event = JournalEvent::Ingest {
        at: now,
        id: release.id.to_string(),
        tag_id: tag_id.clone(),
        source_name: source_name.clone(),
        archive_path: archive_path.clone(),
        hash: hash.clone(),
        published,
        visible_from,
        attachments,
        release_folder: unit.release_folder,
    };
    if let Some(previous) = &previous {
        dirty.touch(&previous.release);
    }
    dirty.touch(&release);
    dirty.pages.insert(release.id.clone());
    let id = release.id.clone();
    let (outcome, now_stored) = store.store_and_get(NewVersion {
        release,
        tag_id,
        source_name: source_name.clone(),
        source_hash: hash,
        archive_path,
        at: now,
        published,
        visible_from,
        attachment_paths,
        text: Some(text),
    })?;
    if let Some(now_stored) = now_stored.filter(|s| s.is_visible(now)) {
        sink.stored(now_stored);
    }
    let outcome = match outcome {
        Stored::Published => FileOutcome::Published(id),
        Stored::Updated { revision } => FileOutcome::Updated(id, revision),
        Stored::Unchanged => FileOutcome::Unchanged(id),
    };
    Ok((
        Some(Consumed { unit, stamps }),
        source_name,
        outcome,
        Some(event),
    ))
}

/// The archive files of a stored release whose bytes were dropped again:
/// its document's, then its attachments', in the order `made` holds the
/// names just made for the same bytes. The archive is flushed after the
/// store commits, so a power cut between the two can take a stored
/// release's archive names, or the bytes of a copy, while its files are
/// still in the inbox. A file missing or damaged (for that reason, or by a
/// hand) is put back from the one just made; the other made names go.
/// Returns the release's archive files, to be flushed before the inbox
/// files are removed.
fn keep_archived(
    settings: &Settings,
    stored: &StoredRelease,
    made: Vec<PathBuf>,
) -> anyhow::Result<Vec<PathBuf>> {
    let wanted: Vec<PathBuf> = std::iter::once(&stored.archive_path)
        .chain(&stored.attachment_paths)
        .map(|path| settings.archive.join(path))
        .collect();
    let mut made = made.into_iter();
    for target in &wanted {
        let Some(name) = made.next() else { break };
        match put_back(&name, target) {
            Ok(None) => remove_needless(&name),
            Ok(Some(wrong)) => {
                tracing::warn!(
                    file = %target.display(),
                    id = %stored.release.id,
                    "an archived original was {wrong}: put back from the same file dropped again"
                );
                remove_if_emptied(&name);
            }
            Err(error) => {
                // Tried again by the next run, with names made again.
                remove_needless(&name);
                made.for_each(|name| remove_needless(&name));
                return Err(error).with_context(|| {
                    format!("cannot put the archive file '{}' back", target.display())
                });
            }
        }
    }
    made.for_each(|name| remove_needless(&name));
    Ok(wanted)
}

/// Makes the archive file `target` hold the bytes of `name`, made for the
/// same bytes: `None` when it did already (`name` is then needless), else
/// what was wrong with it.
fn put_back(name: &Path, target: &Path) -> std::io::Result<Option<&'static str>> {
    if name == target {
        // The missing name was free again, and just made anew.
        return Ok(Some("missing"));
    }
    if fs::symlink_metadata(target).is_err() {
        match files::move_to(name, target) {
            Ok(()) => return Ok(Some("missing")),
            // Put back meanwhile, by another process on the same archive.
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
    if files::holds_exactly(target, &fs::read(name)?)? {
        return Ok(None);
    }
    // Its name reached the disk before its bytes (a copy, at a power cut),
    // or a hand changed it: the bytes stored for it replace what it holds.
    // The archive's one replacement: of a file that is not what it records.
    fs::rename(name, target)?;
    Ok(Some("damaged"))
}

/// Removes an archive name made for bytes stored already.
fn remove_needless(name: &Path) {
    if let Err(error) = fs::remove_file(name) {
        tracing::warn!(file = %name.display(), "cannot remove a needless archive name: {error}");
    }
    remove_if_emptied(name);
}

/// Removes the attachments folder that held `name` (gone from it) when
/// nothing else is left in it: it was made for names no longer needed.
fn remove_if_emptied(name: &Path) {
    if let Some(folder) = name.parent()
        && folder
            .extension()
            .is_some_and(|extension| extension == "files")
    {
        // Fails, as it should, while the folder holds anything.
        let _ = fs::remove_dir(folder);
    }
}

/// A unit read, parsed and archived, waiting for its batch
/// to be stored.
struct Prepared<'u> {
    unit: &'u Unit,
    source_name: String,
    hash: String,
    release: Release,
    /// The release's text compressed for the store, here rather than on
    /// the store's thread.
    text: ReleaseText,
    /// The document's archive path, relative to the archive folder.
    archive_path: String,
    /// Where each of `release.attachments` was archived, in the same order.
    attachments: Vec<ArchivedAttachment>,
    /// Every archive name this unit made, the document's first (to flush,
    /// or, when its bytes turn out to be stored already, to remove or to
    /// put back where the stored release's are missing).
    archive_names: Vec<PathBuf>,
    /// What the unit's files were when read, in [`Unit::files`] order.
    stamps: Vec<FileStamp>,
}

/// Reads, parses and archives one unit. `Err` holds a final outcome
/// (rejected, skipped); `Ok` a release ready to be stored.
fn prepare<'u>(
    settings: &Settings,
    unit: &'u Unit,
    source_name: &str,
    month_folder: &Path,
    now: DateTime<Utc>,
) -> anyhow::Result<Result<Prepared<'u>, FileOutcome>> {
    let UnitBytes {
        document,
        dropped,
        stamps,
    } = match source::read_unit(unit, &settings.parse) {
        Ok(bytes) => bytes,
        Err(UnitReadError::Later(why)) => return Ok(Err(FileOutcome::Skipped(why))),
        Err(UnitReadError::Refused(reason)) => {
            return reject(settings, unit, source_name, &reason, now).map(Err);
        }
    };
    let file_name = unit
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let hash = unit_hash(&document, &dropped);
    let parsed = match parse_release_group(&file_name, &document, dropped, &settings.parse) {
        Ok(parsed) => {
            for warning in &parsed.warnings {
                tracing::warn!(file = %source_name, "{warning}");
            }
            parsed
        }
        Err(rejected) => {
            return reject(
                settings,
                unit,
                source_name,
                &rejected.error.to_string(),
                now,
            )
            .map(Err);
        }
    };
    let mut release = parsed.release;
    for category in categories_of(source_name, unit.release_folder) {
        if !release.categories.contains(&category) {
            release.categories.push(category);
        }
    }
    let archive_error = || {
        format!(
            "cannot archive '{source_name}' into '{}'",
            month_folder.display()
        )
    };
    let archived =
        files::archive_original(&unit.path, &stamps[0], month_folder, &file_name, &document)
            .with_context(archive_error)?;
    let mut archive_names = vec![archived.clone()];
    // Attachments sit beside their archived document, in a folder named after
    // it, under their published names.
    let attachment_folder = month_folder.join(format!(
        "{}.files",
        archived
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut attachments = Vec::with_capacity(parsed.files.len());
    for file in parsed.files {
        // A dropped file is archived as itself; an image embedded in the
        // document gets a file of its own.
        let original = file.dropped_as.as_ref().and_then(|name| {
            unit.attachments.iter().zip(&stamps[1..]).find(|(path, _)| {
                path.file_name()
                    .is_some_and(|n| n.to_string_lossy() == **name)
            })
        });
        let path = match original {
            Some((path, stamp)) => files::archive_original(
                path,
                stamp,
                &attachment_folder,
                &file.file_name,
                &file.bytes,
            ),
            None => files::store_new_file(&attachment_folder, &file.file_name, &file.bytes),
        }
        .with_context(archive_error)?;
        attachments.push(ArchivedAttachment {
            file: file.file_name,
            dropped_as: file.dropped_as,
            archive_path: relative_path(&settings.archive, &path),
        });
        archive_names.push(path);
    }
    Ok(Ok(Prepared {
        unit,
        source_name: source_name.to_owned(),
        hash,
        text: ReleaseText::encode(&release),
        release,
        archive_path: relative_path(&settings.archive, &archived),
        attachments,
        archive_names,
        stamps,
    }))
}

/// Moves a unit that cannot be published to `rejected/`, with a note: a
/// release folder as a whole, a document and its attachments side by
/// side. Nothing of it is published, and nothing is lost.
pub(super) fn reject(
    settings: &Settings,
    unit: &Unit,
    source_name: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<FileOutcome> {
    let rejected = &settings.rejected;
    let move_error = |path: &Path| {
        format!(
            "cannot move '{}' to '{}'",
            path.display(),
            rejected.display()
        )
    };
    let name_of = |path: &Path| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let (note_name, kept, what) = match unit.folder() {
        Some(folder) => {
            let moved =
                files::move_folder_into(folder, rejected).with_context(|| move_error(folder))?;
            let moved_name = name_of(&moved);
            (
                moved_name.clone(),
                format!("The folder is kept here, unchanged, as \"{moved_name}/\"."),
                "the folder",
            )
        }
        None => {
            let mut moved_names = Vec::new();
            for path in unit.files() {
                let moved = files::move_into(path, rejected).with_context(|| move_error(path))?;
                moved_names.push(name_of(&moved));
            }
            let (kept, what) = match moved_names.as_slice() {
                [one] => (
                    format!("The file is kept here, unchanged, as \"{one}\"."),
                    "the file",
                ),
                names => (
                    format!(
                        "The files are kept here, unchanged, as {}.",
                        names
                            .iter()
                            .map(|n| format!("\"{n}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "the files",
                ),
            };
            (moved_names.swap_remove(0), kept, what)
        }
    };
    let local = now.with_timezone(&settings.time_zone);
    let note = format!(
        "Pressroom could not publish \"{source_name}\" (received {}).\n\n\
         Reason: {reason}\n\n\
         {kept}\n\
         To publish it, correct it and drop it into the inbox again; this note and {what} can then be deleted.\n\
         To see what Pressroom makes of a file before dropping it: pressroom check FILE\n",
        local.format("%Y-%m-%d %H:%M %Z"),
    );
    let note_path = rejected.join(format!("{note_name}.error.txt"));
    files::write_atomically(&note_path, note.as_bytes())
        .with_context(|| format!("cannot write '{}'", note_path.display()))?;
    tracing::warn!(file = %source_name, reason, "rejected");
    Ok(FileOutcome::Rejected(reason.to_owned()))
}

/// The most bytes of files (documents and attachments) read into one batch,
/// unless one unit alone holds more: photos are large, and a batch is held
/// in memory until it is archived (two or three batches at once).
const BATCH_BYTES: u64 = 64 * 1024 * 1024;

/// `units` cut into batches of at most [`BATCH_SIZE`] units and, as far as
/// their sizes on disk tell, [`BATCH_BYTES`] bytes.
fn batches(units: &[Unit]) -> Vec<&[Unit]> {
    let mut batches = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (index, unit) in units.iter().enumerate() {
        let size: u64 = unit
            .files()
            .filter_map(|path| fs::symlink_metadata(path).ok())
            .map(|m| m.len())
            .sum();
        let full = index - start == BATCH_SIZE || bytes.saturating_add(size) > BATCH_BYTES;
        if index > start && full {
            batches.push(&units[start..index]);
            start = index;
            bytes = 0;
        }
        bytes = bytes.saturating_add(size);
    }
    if start < units.len() {
        batches.push(&units[start..]);
    }
    batches
}

/// What identifies a version's bytes: the document's SHA-256 when it comes
/// alone (so stores written before attachments still recognise re-drops),
/// else the SHA-256 of its hash and each attachment's name and hash.
fn unit_hash(document: &[u8], dropped: &[DroppedFile]) -> String {
    let document_hash = hex_sha256(document);
    if dropped.is_empty() {
        return document_hash;
    }
    let mut parts: Vec<String> = dropped
        .iter()
        .map(|file| format!("{}\t{}", file.name, hex_sha256(&file.bytes)))
        .collect();
    parts.sort();
    hex_sha256(format!("{document_hash}\n{}", parts.join("\n")).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_saved_again_after_it_was_read_stays_in_the_inbox() {
        let inbox = tempfile::tempdir().unwrap();
        let kept = inbox.path().join("kept.txt");
        let removed = inbox.path().join("removed.txt");
        fs::write(&kept, "as read").unwrap();
        fs::write(&removed, "as read").unwrap();
        let stamp = |path: &Path| FileStamp::at(path).expect("the file just written");
        let (kept_stamp, removed_stamp) = (stamp(&kept), stamp(&removed));
        fs::write(&kept, "saved again by its editor").unwrap();

        for (path, stamp) in [(&kept, kept_stamp), (&removed, removed_stamp)] {
            let unit = Unit::alone(path.clone());
            let consumed = Consumed {
                unit: &unit,
                stamps: vec![stamp],
            };
            remove_from_inbox(consumed).unwrap();
        }
        assert_eq!(
            fs::read_to_string(&kept).unwrap(),
            "saved again by its editor"
        );
        assert!(!removed.exists());
    }
}

//! An open workspace: the folders, the store, the journal and the templates,
//! and the operations that change them (ingest, retract, regenerate, rebuild).
//!
//! Ingesting (the `ingest` module) takes files from the inbox into the
//! archive and the store without ever losing one. While a publish stores
//! releases, the page pool (`page_pool`) writes their pages from memory.
//!
//! Outputs are regenerated from the store, never patched: each feed and page
//! is rendered whole and written only when its bytes change. A marker in
//! `state/` records that outputs are being written, so a run that failed (a
//! full disk, `public/` not writable) is followed by a full regeneration.

mod ingest;
mod page_pool;
mod workers;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use chrono::{DateTime, FixedOffset, NaiveTime, TimeZone, Utc};
use pressroom_core::{DroppedFile, Release, ReleaseDate, ReleaseId, parse_release_group};
use pressroom_feeds::{
    Entry, FeedItems, ItemCache, Scope, Templates, moved_page, release_folder_path,
    release_page_path, release_url,
};
use pressroom_store::{NewVersion, Store, Stored, StoredRelease};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::files;
use crate::journal::{ArchivedAttachment, Journal, JournalEvent};
use crate::source::{self, Unit};
use ingest::{Ingest, IngestSink, Remover};
use page_pool::{PageSender, WrittenPages, with_page_pool};
use workers::with_workers;

/// What became of one file from the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    Published(ReleaseId),
    Updated(ReleaseId, u32),
    /// The same bytes as a stored release: not published again.
    Unchanged(ReleaseId),
    /// Moved to `rejected/` with a note; holds the reason.
    Rejected(String),
    /// Left where it is, to be tried again (it vanished or changed while read).
    Skipped(String),
}

/// Counts of what a run did, with the reasons for rejections.
#[derive(Debug, Default, Clone)]
pub struct RunReport {
    pub published: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: usize,
    /// (file relative to the inbox, reason)
    pub rejected: Vec<(String, String)>,
}

impl RunReport {
    pub fn record(&mut self, source_name: &str, outcome: &FileOutcome) {
        match outcome {
            FileOutcome::Published(_) => self.published += 1,
            FileOutcome::Updated(..) => self.updated += 1,
            FileOutcome::Unchanged(_) => self.unchanged += 1,
            FileOutcome::Skipped(_) => self.skipped += 1,
            FileOutcome::Rejected(reason) => {
                self.rejected.push((source_name.to_owned(), reason.clone()))
            }
        }
    }
}

/// What must be rendered again after a change.
#[derive(Debug, Default)]
pub struct Dirty {
    pub scopes: BTreeSet<ScopeKey>,
    pub pages: BTreeSet<ReleaseId>,
    /// Pages of releases no longer visible (retracted): to remove.
    pub removed_pages: BTreeSet<ReleaseId>,
    /// Pages already written, from memory, while their releases were stored.
    written_pages: WrittenPages,
}

/// A scope in an orderable form (feeds' `Scope` holds a `Lang`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScopeKey {
    All,
    Language(String),
    Category { name: String, slug: String },
}

impl Dirty {
    /// Marks every scope a release appears in.
    fn touch(&mut self, release: &Release) {
        self.scopes.insert(ScopeKey::All);
        self.scopes
            .insert(ScopeKey::Language(release.lang.to_string()));
        for name in &release.categories {
            let slug = pressroom_store::category_slug(name);
            self.scopes.insert(ScopeKey::Category {
                name: name.clone(),
                slug,
            });
        }
    }
}

/// The workspace named by a config, opened.
pub struct Workspace {
    pub settings: Settings,
    pub store: Store,
    journal: Journal,
    templates: Templates,
    /// A digest of everything besides the store that shapes the outputs
    /// (settings, templates, Pressroom's version): when it changes, every
    /// output is rendered again.
    fingerprint: String,
    /// Outputs written since the last flush (by several threads at once
    /// while pages are rendered).
    written: Mutex<files::PendingFlush>,
    /// Feed items of releases that did not change since the last render:
    /// in the daemon, a drop makes one new item instead of one per release
    /// of every feed it touches.
    items: ItemCache,
    /// Set while outputs are being written, from the first page of a
    /// publish to the end of its regeneration: whether the pending marker
    /// was already there, left by a run that failed.
    outputs_begun: Option<bool>,
    /// How many units a round of [`Workspace::publish`] takes at most:
    /// [`ROUND_SIZE`], smaller in tests.
    round_size: usize,
}

/// How many units one round of a publish takes at most (see
/// [`Workspace::publish`]): four store transactions. A backlog of 10,000
/// is one round; 100,000 held 88 MB at its peak in one round.
pub const ROUND_SIZE: usize = 4 * ingest::GROUP_SIZE;

/// The file recording when outputs were last regenerated (embargoes that
/// lifted since then must be published).
const LAST_RUN: &str = "last-run";

/// The marker file saying outputs may be incomplete.
const OUTPUTS_PENDING: &str = "outputs.pending";
/// The fingerprint of the settings and templates the outputs were last rendered with.
const OUTPUTS_FINGERPRINT: &str = "outputs.fingerprint";

/// The version of what `public/` holds and where, part of the fingerprint:
/// a new one renders everything once.
/// - 2: a release's page is `releases/<id>.html` (it was
///   `releases/<id>/index.html`, now a redirect to it).
/// - 3: an entry's `updated` time is its last edit, not its storing
///   ([`StoredRelease::last_edited`]).
const OUTPUTS_VERSION: u32 = 3;

/// The name of a release's page in its folder, in outputs of version 1.
const OLD_PAGE: &str = "index.html";

impl Workspace {
    /// Opens (creating missing folders and the store) the workspace.
    pub fn open(settings: Settings) -> anyhow::Result<Self> {
        for folder in [
            &settings.inbox,
            &settings.archive,
            &settings.rejected,
            &settings.public,
            &settings.state,
        ] {
            fs::create_dir_all(folder)
                .with_context(|| format!("cannot create the folder '{}'", folder.display()))?;
        }
        let store = Store::open(&settings.store_path()).with_context(|| {
            format!(
                "cannot open the store '{}'",
                settings.store_path().display()
            )
        })?;
        let (templates, template_sources) = load_templates(settings.templates.as_deref())?;
        let journal = Journal::new(&settings.archive);
        let fingerprint = outputs_fingerprint(OUTPUTS_VERSION, &settings, &template_sources);
        Ok(Self {
            settings,
            store,
            journal,
            templates,
            fingerprint,
            written: Default::default(),
            items: Default::default(),
            outputs_begun: None,
            round_size: ROUND_SIZE,
        })
    }

    /// The release files waiting in the inbox, sorted (documents that an
    /// office suite holds open left out).
    pub fn inbox_files(&self) -> anyhow::Result<Vec<PathBuf>> {
        let files = source::release_files(&self.settings.inbox).with_context(|| {
            format!("cannot list the inbox '{}'", self.settings.inbox.display())
        })?;
        Ok(files
            .into_iter()
            .filter(|path| !source::is_locked(path))
            .collect())
    }

    /// The releases waiting in the inbox (each a document with its
    /// attachments) and the strays, sorted; documents that an office suite
    /// holds open wait.
    pub fn inbox_units(&self) -> anyhow::Result<Vec<Unit>> {
        let units = source::release_units(&self.settings.inbox, &self.settings.inbox)
            .with_context(|| {
                format!("cannot list the inbox '{}'", self.settings.inbox.display())
            })?;
        // A document an office suite has open is still being edited.
        Ok(units.into_iter().filter(|unit| !unit.locked).collect())
    }

    /// Fails with a clear message when `public/` cannot be written, before
    /// anything is taken from the inbox.
    pub fn check_outputs_writable(&self) -> anyhow::Result<()> {
        let probe = self.settings.public.join(".pressroom-write-test");
        fs::write(&probe, b"")
            .and_then(|()| fs::remove_file(&probe))
            .with_context(|| {
                format!(
                    "cannot write to the public folder '{}'",
                    self.settings.public.display()
                )
            })
    }

    /// Ingests units as one store transaction (see [`ingest`]); the
    /// outputs are not touched.
    #[cfg(test)]
    pub fn ingest_batch(
        &mut self,
        units: &[Unit],
        dirty: &mut Dirty,
    ) -> anyhow::Result<Vec<(String, FileOutcome)>> {
        /// Keeps the outcomes; pages are left to a regeneration.
        struct Outcomes(Vec<(String, FileOutcome)>);
        impl IngestSink for Outcomes {
            fn stored(&mut self, _: StoredRelease) {}
            fn outcome(&mut self, source_name: String, outcome: FileOutcome) {
                self.0.push((source_name, outcome));
            }
            fn progress(&mut self, _: usize) {}
        }
        let mut outcomes = Outcomes(Vec::new());
        Ingest {
            settings: &self.settings,
            journal: &self.journal,
            store: &mut self.store,
        }
        .run(units, dirty, &mut outcomes)?;
        Ok(outcomes.0)
    }

    /// Withdraws a release from every output; its archive copy and history stay.
    pub fn retract(
        &mut self,
        id: &ReleaseId,
        now: DateTime<Utc>,
        dirty: &mut Dirty,
    ) -> anyhow::Result<Option<StoredRelease>> {
        let Some(current) = self.store.release(id)? else {
            return Ok(None);
        };
        if current.retracted.is_none() {
            self.journal
                .append(&JournalEvent::Retract {
                    at: now,
                    id: id.to_string(),
                })
                .context("cannot write the archive journal")?;
        }
        let retracted = self.store.retract(id, now)?;
        dirty.touch(&current.release);
        dirty.removed_pages.insert(id.clone());
        Ok(retracted)
    }

    /// Ingests `units`, writing the page of each release as it is stored,
    /// then regenerates the rest of the outputs. `progress` is told how many
    /// units are done after each batch.
    ///
    /// A backlog of more than [`ROUND_SIZE`] units is published in rounds,
    /// each ending with its regeneration: what a run keeps in memory (the ids
    /// of the pages it wrote and of those left to write) then stays within a
    /// round's, however many files wait, at the cost of the feeds rendered
    /// once per round (a fraction of a second each).
    pub fn publish(
        &mut self,
        units: &[Unit],
        progress: &mut dyn FnMut(usize),
    ) -> anyhow::Result<(RunReport, usize)> {
        let mut report = RunReport::default();
        if units.is_empty() {
            let written = self.refresh(&mut Dirty::default())?;
            return Ok((report, written));
        }
        let mut written = 0;
        let mut done = 0;
        for round in units.chunks(self.round_size.max(1)) {
            let mut round_progress = |units: usize| progress(done + units);
            written += self.publish_round(round, &mut report, &mut round_progress)?;
            done += round.len();
        }
        Ok((report, written))
    }

    /// One round of [`Workspace::publish`]: ingests `units`, then
    /// regenerates.
    fn publish_round(
        &mut self,
        units: &[Unit],
        report: &mut RunReport,
        progress: &mut dyn FnMut(usize),
    ) -> anyhow::Result<usize> {
        let mut dirty = Dirty::default();
        // Pages are written before the store commits: a failure leaves the
        // marker, and the next run renders everything again.
        self.begin_outputs()?;
        std::thread::scope(|scope| {
            let Self {
                settings,
                store,
                journal,
                templates,
                written,
                items,
                ..
            } = &mut *self;
            let outputs = Outputs {
                settings,
                templates,
                written,
                items,
            };
            let mut ingest = Ingest {
                settings,
                journal,
                store,
            };
            let remover = match ingest.start_remover(scope, units.len()) {
                Ok(remover) => remover,
                Err(error) => {
                    self.outputs_begun = None;
                    return Err(error);
                }
            };
            let ingested = with_page_pool(outputs, |pages| {
                let mut sink = PublishSink {
                    pages,
                    report,
                    progress,
                    done: 0,
                };
                ingest.store_all(units, &mut dirty, &mut sink, &remover)
            });
            match ingested {
                Ok(((), pages)) => dirty.written_pages = pages,
                Err(error) => {
                    if let Err(removing) = remover.finish() {
                        tracing::error!("{removing:#}");
                    }
                    self.outputs_begun = None;
                    return Err(error);
                }
            }
            // The last group's files are flushed and leave the inbox while
            // the outputs are made; the outputs become final (their marker
            // goes) only once that is done, so that they never show a
            // release whose commit a power cut could still undo.
            let mut remover = Some(remover);
            let mut settle = || remover.take().map_or(Ok(()), Remover::finish);
            let refreshed = self.refresh_settling(&mut dirty, &mut settle);
            // Waited for here when the regeneration failed before it did.
            match (refreshed, settle()) {
                (Ok(written), removed) => removed.map(|()| written),
                (Err(error), Err(removing)) => {
                    tracing::error!("{removing:#}");
                    Err(error)
                }
                (Err(error), Ok(())) => Err(error),
            }
        })
    }

    /// Regenerates what `dirty` names and what embargoes lifted since the
    /// last run make visible (everything, the first time).
    pub fn refresh(&mut self, dirty: &mut Dirty) -> anyhow::Result<usize> {
        self.refresh_settling(dirty, &mut || Ok(()))
    }

    /// [`Workspace::refresh`], calling `settle` once the outputs are on
    /// disk and before they are final: what else the run must finish first
    /// (an error leaves them to be rendered again by the next run).
    fn refresh_settling(
        &mut self,
        dirty: &mut Dirty,
        settle: &mut dyn FnMut() -> anyhow::Result<()>,
    ) -> anyhow::Result<usize> {
        let now = Utc::now();
        let last_run_path = self.settings.state.join(LAST_RUN);
        let last_run = self.last_run();
        if let Some(since) = last_run {
            self.touch_lifted_embargoes(since, now, dirty)?;
        }
        let written = self.write_outputs(dirty, last_run.is_none(), now, settle)?;
        // Not flushed: losing it to a power cut only makes the next run look
        // at more lifted embargoes (or, torn, render everything): harmless,
        // and two disk flushes fewer on every drop.
        files::write_if_changed(&last_run_path, now.to_rfc3339().as_bytes())
            .context("cannot write to the state folder")?;
        Ok(written)
    }

    /// When outputs were last regenerated by a publish, if ever.
    pub fn last_run(&self) -> Option<DateTime<Utc>> {
        let text = fs::read_to_string(self.settings.state.join(LAST_RUN)).ok()?;
        DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|t| t.to_utc())
    }

    /// The next time an embargo lifts, if any.
    pub fn next_embargo(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        Ok(self.store.next_embargo(Utc::now())?)
    }

    /// Marks what an embargo lifting between `since` and `now` makes visible.
    pub fn touch_lifted_embargoes(
        &self,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        dirty: &mut Dirty,
    ) -> anyhow::Result<()> {
        self.store.for_each_lifted_embargo(since, now, |stored| {
            dirty.touch(&stored.release);
            dirty.pages.insert(stored.release.id.clone());
            Ok(())
        })?;
        Ok(())
    }

    /// Renders what `dirty` names; with `everything`, every scope and page.
    /// Returns the number of files written (unchanged files are not).
    pub fn regenerate(
        &mut self,
        dirty: &Dirty,
        everything: bool,
        now: DateTime<Utc>,
    ) -> anyhow::Result<usize> {
        self.write_outputs(dirty, everything, now, &mut || Ok(()))
    }

    /// Creates the pending marker, unless this run already did; returns
    /// whether an earlier run that failed had left it.
    fn begin_outputs(&mut self) -> anyhow::Result<bool> {
        if let Some(left_over) = self.outputs_begun {
            return Ok(left_over);
        }
        let pending = self.settings.state.join(OUTPUTS_PENDING);
        let left_over = pending.exists();
        // Durable before any output is touched: a crash while outputs are
        // written (without a flush each) leaves it, and the next run renders
        // everything again.
        files::create_marker(&pending, b"outputs are being written\n")
            .context("cannot write to the state folder")?;
        self.outputs_begun = Some(left_over);
        Ok(left_over)
    }

    /// Writes the outputs `dirty` names (everything, with `everything`),
    /// flushes them, then calls `settle` (see [`Workspace::refresh_settling`])
    /// before the pending marker goes.
    fn write_outputs(
        &mut self,
        dirty: &Dirty,
        everything: bool,
        now: DateTime<Utc>,
        settle: &mut dyn FnMut() -> anyhow::Result<()>,
    ) -> anyhow::Result<usize> {
        let pending = self.settings.state.join(OUTPUTS_PENDING);
        let fingerprint_path = self.settings.state.join(OUTPUTS_FINGERPRINT);
        let fingerprint_changed = fs::read_to_string(&fingerprint_path).ok().as_deref()
            != Some(self.fingerprint.as_str());
        let left_over = self.begin_outputs()?;
        // From here the run's outputs end with this regeneration: done, or
        // failed with the marker left for the next run.
        self.outputs_begun = None;
        let everything = everything || left_over || fingerprint_changed;
        // What is written from here (and the pages written early, unless a
        // backlog made them too many) begins its flush at once.
        lock(&self.written).flush_as_added();
        let early = &dirty.written_pages;
        let mut written = early.files;
        // Pages first, so that no feed ever links to a page not yet written;
        // withdrawn pages last, once no feed links to them any more.
        let mut withdrawn: Vec<ReleaseId> = dirty.removed_pages.iter().cloned().collect();
        let started = std::time::Instant::now();
        let visible = if everything {
            Some(self.render_all_pages(now, &early.ids, &mut written)?)
        } else {
            for id in dirty.pages.difference(&early.ids) {
                match self.render_page(id, now)? {
                    Some(count) => written += count,
                    None => withdrawn.push(id.clone()),
                }
            }
            None
        };
        let scopes: Vec<ScopeKey> = if everything {
            self.all_scopes()?
        } else {
            dirty.scopes.iter().cloned().collect()
        };
        let pages_time = started.elapsed();
        let started = std::time::Instant::now();
        // The store is read here, one scope after the other, while threads
        // render and write the feeds of those already read.
        let outputs = self.outputs();
        let ((), files) = with_workers(
            2,
            |job: ScopeJob| outputs.write_scope(&job),
            |jobs| {
                for scope in &scopes {
                    if let Some(job) = self.scope_job(scope, now)? {
                        // The threads take every job until the sender drops.
                        let _ = jobs.send(job);
                    }
                }
                Ok(())
            },
        )?;
        written += files;
        let scopes_time = started.elapsed();
        let started = std::time::Instant::now();
        match visible {
            Some(visible) => written += self.remove_pages_except(&visible)?,
            None => {
                for id in &withdrawn {
                    self.remove_page(id)?;
                }
            }
        }
        // Outputs are written without an fsync each; one flush covers them
        // all before the pending marker goes. A crash before it leaves the
        // marker, and the next run renders everything again. The store's
        // log is checkpointed meanwhile: both wait on the disk.
        let (written_files, public) = (&self.written, &self.settings.public);
        let flushed = std::thread::scope(|scope| {
            let flush = scope.spawn(|| lock(written_files).flush(public));
            if let Err(error) = self.store.checkpoint() {
                // SQLite checkpoints again later; nothing is lost meanwhile.
                tracing::warn!("{error}");
            }
            flush.join()
        });
        match flushed {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
        .with_context(|| format!("cannot flush '{}' to disk", public.display()))?;
        tracing::debug!(
            everything,
            pages_ms = pages_time.as_millis(),
            scopes = scopes.len(),
            scopes_ms = scopes_time.as_millis(),
            flush_ms = started.elapsed().as_millis(),
            "outputs regenerated"
        );
        settle()?;
        if fingerprint_changed {
            files::write_atomically(&fingerprint_path, self.fingerprint.as_bytes())
                .context("cannot write to the state folder")?;
        }
        // The outputs are on disk now, so the removal needs no flush: if a
        // power cut undoes it, the next run only renders everything again.
        match fs::remove_file(&pending) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(error).context("cannot write to the state folder"),
        }
        Ok(written)
    }

    fn all_scopes(&self) -> anyhow::Result<Vec<ScopeKey>> {
        let mut scopes = vec![ScopeKey::All];
        scopes.extend(self.store.languages()?.into_iter().map(ScopeKey::Language));
        scopes.extend(
            self.store
                .categories()?
                .into_iter()
                .map(|(name, slug)| ScopeKey::Category { name, slug }),
        );
        Ok(scopes)
    }

    /// What the feeds of a scope show, read from the store; `None` when the
    /// settings turn that kind of scope off.
    fn scope_job(&self, key: &ScopeKey, now: DateTime<Utc>) -> anyhow::Result<Option<ScopeJob>> {
        let settings = &self.settings;
        let (scope, store_scope) = match key {
            ScopeKey::All => (Scope::All, pressroom_store::Scope::All),
            ScopeKey::Language(tag) => {
                if !settings.per_language {
                    return Ok(None);
                }
                let lang = pressroom_core::Lang::parse(tag)
                    .with_context(|| format!("stored language '{tag}'"))?;
                (
                    Scope::Language(lang),
                    pressroom_store::Scope::Language(tag.clone()),
                )
            }
            ScopeKey::Category { name, slug } => {
                if !settings.per_category {
                    return Ok(None);
                }
                (
                    Scope::Category {
                        name: name.clone(),
                        slug: slug.clone(),
                    },
                    pressroom_store::Scope::Category(slug.clone()),
                )
            }
        };
        let releases = self.store.latest(&store_scope, now, settings.feed_limit)?;
        let updated = self.store.last_change(&store_scope, now)?;
        Ok(Some(ScopeJob {
            scope,
            releases,
            updated,
        }))
    }

    /// Writes a release's page; `None` when it is not visible (its page must go).
    fn render_page(&self, id: &ReleaseId, now: DateTime<Utc>) -> anyhow::Result<Option<usize>> {
        match self.store.release(id)? {
            Some(stored) if stored.retracted.is_none() && stored.visible_from <= now => {
                self.outputs().write_page(&stored).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Writes the page of every visible release but those in `written`
    /// (written from memory in this run); returns the ids of all. The store
    /// is read on this thread, one release at a time; pages are rendered
    /// and written by the page pool's threads.
    fn render_all_pages(
        &self,
        now: DateTime<Utc>,
        written_early: &BTreeSet<ReleaseId>,
        written: &mut usize,
    ) -> anyhow::Result<BTreeSet<String>> {
        let mut visible = BTreeSet::new();
        let (walked, pages) = with_page_pool(self.outputs(), |pages| {
            if written_early.is_empty() {
                // Every page is wanted (a changed template, a rebuild): one
                // ordered pass reads the table faster than a lookup per id.
                self.store.for_each_visible(now, |stored| {
                    visible.insert(stored.release.id.to_string());
                    pages.send(stored);
                    Ok(())
                })
            } else {
                self.store.for_each_visible_wanted(
                    now,
                    |id| {
                        visible.insert(id.to_owned());
                        !written_early.contains(id)
                    },
                    |stored| {
                        pages.send(stored);
                        Ok(())
                    },
                )
            }
            .map_err(anyhow::Error::from)
        })?;
        let () = walked;
        *written += pages.files;
        Ok(visible)
    }

    /// Removes the pages (and folders) of releases no longer visible
    /// (retracted, or from another store), and leaves a redirect to the
    /// page where a visible release's page lay in the old layout.
    fn remove_pages_except(&self, visible: &BTreeSet<String>) -> anyhow::Result<usize> {
        let releases = self.settings.public.join("releases");
        let Ok(entries) = fs::read_dir(&releases) else {
            return Ok(0);
        };
        let mut written = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            let is_folder = entry.file_type().is_ok_and(|kind| kind.is_dir());
            let id = if is_folder {
                name.as_str()
            } else {
                name.strip_suffix(".html").unwrap_or(&name)
            };
            if !visible.contains(id) {
                remove_path(&path)?;
            } else if is_folder {
                written += self.redirect_old_page(id, &path)?;
            }
        }
        Ok(written)
    }

    /// Replaces the page a release had in the old layout, in its folder,
    /// with a redirect to its page now (nothing if it has none).
    fn redirect_old_page(&self, id: &str, folder: &Path) -> anyhow::Result<usize> {
        let old_page = folder.join(OLD_PAGE);
        if !old_page.exists() {
            return Ok(0);
        }
        let id = ReleaseId::parse(id)
            .with_context(|| format!("'{}' is not a release's folder", folder.display()))?;
        let page = moved_page(&release_url(&self.settings.site, &id));
        Ok(usize::from(self.outputs().write_output(&old_page, &page)?))
    }

    /// Removes a release's page and its folder.
    fn remove_page(&self, id: &ReleaseId) -> anyhow::Result<()> {
        let public = &self.settings.public;
        remove_path(&public.join(release_page_path(id)))?;
        remove_path(&public.join(release_folder_path(id)))
    }

    /// What writing outputs needs, without the store: shareable by threads.
    fn outputs(&self) -> Outputs<'_> {
        Outputs {
            settings: &self.settings,
            templates: &self.templates,
            written: &self.written,
            items: &self.items,
        }
    }

    /// Recreates the store from the archive and its journal alone, then every
    /// output. The old store is kept beside the new one until this succeeds.
    pub fn rebuild(settings: Settings, now: DateTime<Utc>) -> anyhow::Result<RebuildReport> {
        let journal = Journal::new(&settings.archive);
        let (events, torn) = journal.read().context("cannot read the archive journal")?;
        let store_path = settings.store_path();
        fs::create_dir_all(&settings.state)?;
        let fresh_path = settings.state.join("pressroom.db.rebuilding");
        for suffix in ["", "-wal", "-shm"] {
            let _ = fs::remove_file(format!("{}{suffix}", fresh_path.display()));
        }
        let mut store = Store::open(&fresh_path)
            .with_context(|| format!("cannot create the store '{}'", fresh_path.display()))?;
        let mut report = RebuildReport {
            torn_lines: torn,
            ..RebuildReport::default()
        };
        // Who was sent which digest is not in the archive: keep it from the
        // old store when it can still be read.
        if store_path.exists() {
            match store.copy_digest_history_from(&store_path) {
                Ok(runs) => report.digest_runs = runs,
                Err(error) => report.warnings.push(format!(
                    "the digest history of the old store could not be read ({error}); digests restart from their last slot"
                )),
            }
        }
        for event in events {
            match event {
                JournalEvent::Ingest {
                    at,
                    id,
                    tag_id,
                    source_name,
                    archive_path,
                    hash,
                    published,
                    visible_from,
                    attachments,
                    release_folder,
                } => {
                    let (mut release, attachment_paths) =
                        match replay(&settings, &archive_path, &attachments) {
                            Ok(replayed) => replayed,
                            Err(missing) => {
                                report.missing.push(missing);
                                continue;
                            }
                        };
                    for category in categories_of(&source_name, release_folder) {
                        if !release.categories.contains(&category) {
                            release.categories.push(category);
                        }
                    }
                    release.id =
                        ReleaseId::parse(&id).with_context(|| format!("journal id '{id}'"))?;
                    let stored = store.store(NewVersion {
                        release,
                        tag_id,
                        source_name,
                        source_hash: hash,
                        archive_path,
                        at,
                        published,
                        visible_from,
                        attachment_paths,
                        text: None,
                    })?;
                    report.versions += usize::from(stored != Stored::Unchanged);
                }
                JournalEvent::Retract { at, id } => {
                    let id = ReleaseId::parse(&id).with_context(|| format!("journal id '{id}'"))?;
                    store.retract(&id, at)?;
                    report.retractions += 1;
                }
                JournalEvent::Unsubscribe {
                    at,
                    address,
                    source,
                    digest,
                } => {
                    let source = pressroom_store::SuppressionSource::parse(&source)
                        .unwrap_or(pressroom_store::SuppressionSource::Command);
                    store.suppress(&address, digest.as_deref(), source, at)?;
                }
                JournalEvent::Resubscribe { address, .. } => {
                    store.unsuppress(&address)?;
                }
            }
        }
        report.releases = store.count()? as usize;
        drop(store);
        if store_path.exists() {
            let backup = settings.state.join("pressroom.db.before-rebuild");
            for suffix in ["-wal", "-shm"] {
                let _ = fs::remove_file(format!("{}{suffix}", store_path.display()));
            }
            fs::rename(&store_path, &backup)
                .with_context(|| format!("cannot move the old store to '{}'", backup.display()))?;
            report.backup = Some(backup);
        }
        fs::rename(&fresh_path, &store_path).context("cannot put the rebuilt store in place")?;
        files::sync_folder(&settings.state)?;
        let mut workspace = Self::open(settings)?;
        report.outputs_written = workspace.regenerate(&Dirty::default(), true, now)?;
        Ok(report)
    }
}

/// Parses an archived version again, with the attachments the journal
/// lists: the release and the archive path of each of its attachments, or
/// why it cannot be replayed. Size limits are not applied again (what was
/// published stays publishable); an embedded image whose archive copy is
/// missing is written again from the document.
fn replay(
    settings: &Settings,
    archive_path: &str,
    attachments: &[ArchivedAttachment],
) -> Result<(Release, Vec<String>), String> {
    let path = settings.archive.join(archive_path);
    let bytes = fs::read(&path).map_err(|error| format!("{archive_path}: {error}"))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut dropped = Vec::new();
    for attachment in attachments {
        if let Some(name) = &attachment.dropped_as {
            let bytes = fs::read(settings.archive.join(&attachment.archive_path))
                .map_err(|error| format!("{}: {error}", attachment.archive_path))?;
            dropped.push(DroppedFile {
                name: name.clone(),
                bytes,
            });
        }
    }
    let mut options = settings.parse.clone();
    options.max_bytes = u64::MAX;
    options.attachments.max_bytes = u64::MAX;
    let parsed = parse_release_group(&file_name, &bytes, dropped, &options)
        .map_err(|rejected| format!("{archive_path}: {}", rejected.error))?;
    let mut paths = Vec::with_capacity(parsed.files.len());
    for file in &parsed.files {
        let archived = attachments
            .iter()
            .find(|a| a.file == file.file_name)
            .ok_or_else(|| {
                format!(
                    "{archive_path}: its attachment '{}' is not in the journal (were [attachments] types changed?)",
                    file.file_name
                )
            })?;
        let copy = settings.archive.join(&archived.archive_path);
        if file.dropped_as.is_none() && !copy.exists() {
            files::write_atomically(&copy, &file.bytes)
                .map_err(|error| format!("{}: {error}", archived.archive_path))?;
        }
        paths.push(archived.archive_path.clone());
    }
    Ok((parsed.release, paths))
}

/// Writing outputs into `public/`: the part of a workspace that page
/// rendering threads share (the store stays with the thread that owns it).
#[derive(Clone, Copy)]
struct Outputs<'a> {
    settings: &'a Settings,
    templates: &'a Templates,
    written: &'a Mutex<files::PendingFlush>,
    items: &'a ItemCache,
}

/// A scope's feeds and listing page to write: what the store says of it.
struct ScopeJob {
    scope: Scope,
    /// Its latest releases, newest first, cut to the feed limit.
    releases: Vec<StoredRelease>,
    /// When its releases last changed, if they ever showed.
    updated: Option<DateTime<Utc>>,
}

impl Outputs<'_> {
    /// Writes a scope's feeds in every format and its listing page.
    fn write_scope(&self, job: &ScopeJob) -> anyhow::Result<usize> {
        let settings = self.settings;
        let entries: Vec<Entry<'_>> = job.releases.iter().map(|row| self.entry(row)).collect();
        let updated = self.local(job.updated.unwrap_or(DateTime::UNIX_EPOCH));
        let folder = settings.public.join(job.scope.dir());
        let mut written = 0;
        // Items are made once for the three formats and the listing.
        let items = FeedItems::new_cached(&settings.site, &entries, self.items);
        for format in &settings.formats {
            let bytes = items.render(*format, &settings.site, &job.scope, updated);
            written += usize::from(self.write_output(&folder.join(format.file_name()), &bytes)?);
        }
        let page = self
            .templates
            .render_index_page_of(&settings.site, &job.scope, &items)?;
        written += usize::from(self.write_output(&folder.join("index.html"), &page)?);
        Ok(written)
    }

    /// Writes a release's attachments, then its page (so the page never
    /// shows a photo not yet there).
    fn write_page(&self, stored: &StoredRelease) -> anyhow::Result<usize> {
        let mut written = self.write_attachments(stored)?;
        let entry = self.entry(stored);
        let page = self
            .templates
            .render_release_page(&self.settings.site, &entry)?;
        written +=
            usize::from(self.write_release_file(&self.page_path(&stored.release.id), &page)?);
        Ok(written)
    }

    /// Publishes a release's attachments in its folder, copied from the
    /// archive when the published file is missing or differs, and removes
    /// files of earlier versions that the release no longer has.
    fn write_attachments(&self, stored: &StoredRelease) -> anyhow::Result<usize> {
        // The first version (two versions of a new release in one run are
        // revisions 1 and 2, though stored at the same instant).
        let first_version = stored.revision == 1;
        if stored.release.attachments.is_empty() && first_version {
            // No version had files to publish or to remove: not even a
            // look for a folder (a backlog's pages are written by the
            // thousand).
            return Ok(0);
        }
        let folder = self
            .settings
            .public
            .join(release_folder_path(&stored.release.id));
        // The old layout's page, a redirect now, stays.
        let mut expected = BTreeSet::from([OLD_PAGE.to_owned()]);
        let mut written = 0;
        for (attachment, archive_path) in stored
            .release
            .attachments
            .iter()
            .zip(&stored.attachment_paths)
        {
            expected.insert(attachment.file_name.clone());
            let target = folder.join(&attachment.file_name);
            let published = fs::read(&target).ok();
            if published.as_deref().is_some_and(|bytes| {
                bytes.len() as u64 == attachment.size && hex_sha256(bytes) == attachment.sha256
            }) {
                continue;
            }
            let source = self.settings.archive.join(archive_path);
            let bytes = fs::read(&source).with_context(|| {
                format!(
                    "cannot read the attachment '{}' of release '{}' from the archive",
                    source.display(),
                    stored.release.id
                )
            })?;
            if hex_sha256(&bytes) != attachment.sha256 {
                // Publishing other bytes than those stored would be worse
                // than a missing photo: say so, and go on with the rest.
                tracing::error!(
                    file = %source.display(),
                    id = %stored.release.id,
                    "the archived attachment differs from what was stored (the archive was changed or damaged); not published"
                );
                continue;
            }
            written += usize::from(self.write_release_file(&target, &bytes)?);
        }
        if let Ok(entries) = fs::read_dir(&folder) {
            let mut kept = 0;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !expected.contains(&name) && !name.starts_with('.') {
                    fs::remove_file(entry.path())
                        .with_context(|| format!("cannot remove '{}'", entry.path().display()))?;
                } else {
                    kept += 1;
                }
            }
            if kept == 0 {
                // Emptied by an update: no folder without files.
                remove_path(&folder)?;
            }
        }
        Ok(written)
    }

    /// Writes an output file atomically, only when its bytes changed, and
    /// remembers it for the flush that ends the regeneration.
    fn write_output(&self, path: &Path, bytes: &[u8]) -> anyhow::Result<bool> {
        let replaced = files::replace_if_changed(path, bytes)
            .with_context(|| format!("cannot write '{}'", path.display()))?;
        Ok(match replaced {
            Some(replaced) => {
                lock(self.written).add_replaced(path, replaced);
                true
            }
            None => false,
        })
    }

    /// Writes a release's page or one of its attachments like
    /// [`Outputs::write_output`], but a new one in place: no feed links to
    /// it before it is complete.
    fn write_release_file(&self, path: &Path, bytes: &[u8]) -> anyhow::Result<bool> {
        self.remember(path, files::write_if_changed_unlinked(path, bytes))
    }

    fn remember(&self, path: &Path, written: std::io::Result<bool>) -> anyhow::Result<bool> {
        let written = written.with_context(|| format!("cannot write '{}'", path.display()))?;
        if written {
            lock(self.written).add(path);
        }
        Ok(written)
    }

    fn page_path(&self, id: &ReleaseId) -> PathBuf {
        self.settings.public.join(release_page_path(id))
    }

    fn entry<'a>(&self, stored: &'a StoredRelease) -> Entry<'a> {
        Entry {
            release: &stored.release,
            tag_id: &stored.tag_id,
            published: self.local(stored.published),
            updated: self.local(stored.last_edited()),
            revision: stored.revision,
        }
    }

    fn local(&self, time: DateTime<Utc>) -> DateTime<FixedOffset> {
        time.with_timezone(&self.settings.time_zone).fixed_offset()
    }
}

/// What a publish does with what its ingest reports: pages written at once,
/// outcomes logged and counted, progress shown.
struct PublishSink<'a> {
    pages: &'a mut PageSender,
    report: &'a mut RunReport,
    progress: &'a mut dyn FnMut(usize),
    done: usize,
}

impl IngestSink for PublishSink<'_> {
    fn stored(&mut self, release: StoredRelease) {
        self.pages.render(release);
    }

    fn outcome(&mut self, source_name: String, outcome: FileOutcome) {
        log_outcome(&source_name, &outcome);
        self.report.record(&source_name, &outcome);
    }

    fn progress(&mut self, units: usize) {
        self.done += units;
        (self.progress)(self.done);
    }
}

/// Removes a file or a folder with all it holds; one already gone is fine.
fn remove_path(path: &Path) -> anyhow::Result<()> {
    let removed = match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(error) => Err(error),
    };
    match removed {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("cannot remove '{}'", path.display()))
        }
        _ => Ok(()),
    }
}

/// How many threads CPU-bound work is spread over: the cores there are,
/// at most four (beyond that, the disk and the store's one writer are the
/// limit).
fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// `f` over `items` on [`parallelism`] threads, results in the items'
/// order. Each thread takes the next item as soon as it is done with one,
/// so that a few long releases in one half of a batch do not leave the
/// other core idle until the batch ends. The caller only waits: when it
/// parsed too, the memory its allocator kept for that work (the producer
/// of a backlog lives as long as the backlog) took the peak of an archive
/// of 100,000 from 76 MB to 96. A panic in a thread goes on in the caller.
fn parallel_map<'a, T: Sync, R: Send>(items: &'a [T], f: impl Fn(&'a T) -> R + Sync) -> Vec<R> {
    let threads = parallelism().min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return done;
            };
            done.push((index, f(item)));
        }
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        let mut done = Vec::with_capacity(threads);
        for worker in workers {
            match worker.join() {
                Ok(theirs) => done.push(theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for (index, result) in done.into_iter().flatten() {
            results[index] = Some(result);
        }
    });
    results
        .into_iter()
        .map(|result| result.expect("each index is taken by exactly one thread"))
        .collect()
}

/// Locks a mutex, going on with its data if a thread panicked holding it
/// (the panic itself is reported where it happened).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Logs what became of a file (rejections are logged where they happen).
pub fn log_outcome(source_name: &str, outcome: &FileOutcome) {
    match outcome {
        FileOutcome::Published(id) => tracing::info!(file = %source_name, %id, "published"),
        FileOutcome::Updated(id, revision) => {
            tracing::info!(file = %source_name, %id, revision, "updated")
        }
        FileOutcome::Unchanged(id) => {
            tracing::info!(file = %source_name, %id, "unchanged: the same bytes are already published")
        }
        FileOutcome::Skipped(why) => {
            tracing::info!(file = %source_name, "left for the next run: {why}")
        }
        FileOutcome::Rejected(_) => {}
    }
}

/// `path` relative to `root`, with `/` separators.
fn relative_path(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `tag:AUTHORITY,YYYY-MM-DD:ID` (RFC 4151), dated by the first publication.
fn tag_id(settings: &Settings, id: &ReleaseId, published: DateTime<Utc>) -> String {
    let day = published
        .with_timezone(&settings.time_zone)
        .format("%Y-%m-%d");
    format!("tag:{},{day}:{id}", settings.tag_authority)
}

/// What `rebuild` did.
#[derive(Debug, Default)]
pub struct RebuildReport {
    pub versions: usize,
    pub retractions: usize,
    pub releases: usize,
    pub outputs_written: usize,
    /// Archive files named by the journal that could not be read or parsed.
    pub missing: Vec<String>,
    pub torn_lines: Vec<usize>,
    pub backup: Option<PathBuf>,
    /// Digest runs carried over from the old store.
    pub digest_runs: usize,
    /// What could not be carried over, in words.
    pub warnings: Vec<String>,
}

/// The built-in templates with the operator's overrides, and the overrides'
/// sources (for the fingerprint).
fn load_templates(folder: Option<&Path>) -> anyhow::Result<(Templates, Vec<(String, String)>)> {
    let Some(folder) = folder else {
        return Ok((Templates::builtin(), Vec::new()));
    };
    let mut overrides = Vec::new();
    let entries = fs::read_dir(folder)
        .with_context(|| format!("cannot read the templates folder '{}'", folder.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path
            .extension()
            .is_some_and(|e| e == "html" || e == "xml" || e == "txt")
        {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let source = fs::read_to_string(&path)
                .with_context(|| format!("cannot read '{}'", path.display()))?;
            overrides.push((name, source));
        }
    }
    overrides.sort();
    let templates = Templates::with_overrides(overrides.clone())
        .with_context(|| format!("invalid template in '{}'", folder.display()))?;
    Ok((templates, overrides))
}

/// The categories a document's place in the inbox gives it: every folder on
/// its path, except its own release folder (whose name is the release's,
/// not a category).
pub fn categories_of(source_name: &str, release_folder: bool) -> Vec<String> {
    let mut categories = folder_categories(source_name);
    if release_folder {
        categories.pop();
    }
    categories
}

/// Every folder on a file's path inside the inbox is a category:
/// `energie/communique.txt` belongs to "energie".
pub fn folder_categories(source_name: &str) -> Vec<String> {
    let mut parts: Vec<&str> = source_name.split('/').collect();
    parts.pop();
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The fingerprint of outputs rendered by this program with `settings` and
/// templates made of `template_sources`, for outputs of `version`.
fn outputs_fingerprint(
    version: u32,
    settings: &Settings,
    template_sources: &[(String, String)],
) -> String {
    hex_sha256(
        format!(
            "{}\n{version}\n{:?}\n{template_sources:?}",
            env!("CARGO_PKG_VERSION"),
            settings.output_settings()
        )
        .as_bytes(),
    )
}

/// When a release shows as published: the exact time its front matter
/// gives; for a dateline day, the ingest time when it is that day, else the
/// start of that day; with no date, the ingest time. Never before its embargo.
pub fn published_time(
    release: &Release,
    first_ingested: DateTime<Utc>,
    zone: &chrono_tz::Tz,
) -> DateTime<Utc> {
    let start_of = |day: chrono::NaiveDate| {
        let local = day.and_time(NaiveTime::MIN);
        zone.from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(local + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map_or(first_ingested, |t| t.to_utc())
    };
    let base = match release.date {
        None => first_ingested,
        Some(ReleaseDate::Exact(exact)) => exact.to_utc(),
        Some(ReleaseDate::Local(local)) => zone
            .from_local_datetime(&local)
            .earliest()
            .map_or_else(|| start_of(local.date()), |t| t.to_utc()),
        Some(ReleaseDate::Day(day)) => {
            if first_ingested.with_timezone(zone).date_naive() == day {
                first_ingested
            } else {
                start_of(day)
            }
        }
    };
    match release.embargo {
        Some(embargo) if embargo.to_utc() > base => embargo.to_utc(),
        _ => base,
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace(dir: &Path) -> Workspace {
        let settings = Settings::parse("", dir).unwrap();
        Workspace::open(settings).unwrap()
    }

    #[test]
    fn outputs_of_an_earlier_version_are_rendered_again() {
        let dir = tempfile::tempdir().unwrap();
        let workspace = workspace(dir.path());
        let (_, template_sources) = load_templates(None).unwrap();
        // The fingerprint as version 1 (before pages were files) wrote it,
        // without a version, for the same settings.
        let version_1 = hex_sha256(
            format!(
                "{}\n{:?}\n{template_sources:?}",
                env!("CARGO_PKG_VERSION"),
                workspace.settings.output_settings()
            )
            .as_bytes(),
        );
        assert_ne!(workspace.fingerprint, version_1);
        // Version 2 gave every entry the time it was stored as `updated`.
        let version_2 = outputs_fingerprint(2, &workspace.settings, &template_sources);
        assert_ne!(workspace.fingerprint, version_2);
    }

    #[test]
    fn parallel_map_keeps_the_items_order_and_calls_f_once_per_item() {
        let items: Vec<u64> = (0..1000).collect();
        let calls = AtomicUsize::new(0);
        let squares = parallel_map(&items, |&n| {
            calls.fetch_add(1, Ordering::Relaxed);
            // Uneven work: every tenth item is slow.
            if n % 10 == 0 {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            n * n
        });
        assert_eq!(squares, items.iter().map(|n| n * n).collect::<Vec<_>>());
        assert_eq!(calls.load(Ordering::Relaxed), items.len());
        assert!(parallel_map(&[] as &[u64], |&n| n).is_empty());
    }

    #[test]
    #[should_panic(expected = "item 700")]
    fn a_panic_in_parallel_map_goes_on_in_the_caller() {
        let items: Vec<u64> = (0..1000).collect();
        parallel_map(&items, |&n| {
            if n == 700 {
                panic!("item {n}");
            }
            n
        });
    }

    #[test]
    fn a_file_that_vanishes_before_it_is_read_is_left_for_later_not_lost_or_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let mut workspace = workspace(dir.path());
        let present = workspace.settings.inbox.join("present.txt");
        fs::write(&present, "Titre\n\nTexte.\n").unwrap();
        let vanished = workspace.settings.inbox.join("vanished.txt");
        let outcomes = workspace
            .ingest_batch(
                &[Unit::alone(vanished), Unit::alone(present)],
                &mut Dirty::default(),
            )
            .unwrap();
        assert!(
            matches!(&outcomes[0], (name, FileOutcome::Skipped(why)) if name == "vanished.txt" && why.contains("disappeared")),
            "{outcomes:?}"
        );
        assert!(
            matches!(&outcomes[1].1, FileOutcome::Published(_)),
            "{outcomes:?}"
        );
        assert_eq!(
            fs::read_dir(&workspace.settings.rejected).unwrap().count(),
            0
        );
    }

    #[test]
    fn two_identical_files_in_one_batch_are_one_release() {
        let dir = tempfile::tempdir().unwrap();
        let mut workspace = workspace(dir.path());
        let a = workspace.settings.inbox.join("a.txt");
        let b = workspace.settings.inbox.join("b.txt");
        fs::write(&a, "Titre\n\nTexte.\n").unwrap();
        fs::write(&b, "Titre\n\nTexte.\n").unwrap();
        let outcomes = workspace
            .ingest_batch(&[Unit::alone(a), Unit::alone(b)], &mut Dirty::default())
            .unwrap();
        assert!(
            matches!(&outcomes[0].1, FileOutcome::Published(_)),
            "{outcomes:?}"
        );
        assert!(
            matches!(&outcomes[1].1, FileOutcome::Unchanged(_)),
            "{outcomes:?}"
        );
        assert_eq!(workspace.store.count().unwrap(), 1);
    }

    #[test]
    fn a_backlog_larger_than_a_round_is_published_whole_round_by_round() {
        let dir = tempfile::tempdir().unwrap();
        let mut workspace = workspace(dir.path());
        workspace.round_size = 2;
        for n in 1..=5 {
            let text = format!("Communiqué numéro {n}\n\nParis, le {n} mars 2024 – Texte {n}.\n");
            fs::write(workspace.settings.inbox.join(format!("c{n}.txt")), text).unwrap();
        }
        let units = workspace.inbox_units().unwrap();
        let mut told = Vec::new();
        let (report, _) = workspace
            .publish(&units, &mut |done| told.push(done))
            .unwrap();

        assert_eq!(report.published, 5, "{report:?}");
        // Progress goes on from round to round, up to every unit.
        assert!(told.is_sorted(), "{told:?}");
        assert_eq!(told.last(), Some(&5), "{told:?}");
        assert_eq!(fs::read_dir(&workspace.settings.inbox).unwrap().count(), 0);
        // The feed of the last round lists the releases of every round, and
        // each has its page.
        let feed = fs::read_to_string(workspace.settings.public.join("atom.xml")).unwrap();
        assert_eq!(feed.matches("<entry>").count(), 5, "{feed}");
        let pages = fs::read_dir(workspace.settings.public.join("releases")).unwrap();
        assert_eq!(pages.count(), 5);
        // The run ended its outputs: no pending marker is left.
        assert!(!workspace.settings.state.join(OUTPUTS_PENDING).exists());
    }

    #[test]
    fn outputs_stay_pending_until_what_they_wait_for_is_done() {
        let dir = tempfile::tempdir().unwrap();
        let mut workspace = workspace(dir.path());
        fs::write(
            workspace.settings.inbox.join("c.txt"),
            "Communiqué\n\nParis, le 3 mars 2024 – Texte.\n",
        )
        .unwrap();
        let units = workspace.inbox_units().unwrap();
        let mut dirty = Dirty::default();
        workspace.ingest_batch(&units, &mut dirty).unwrap();
        workspace.begin_outputs().unwrap();
        let pending = workspace.settings.state.join(OUTPUTS_PENDING);

        // What the run still had to finish failed: the outputs are written
        // but not final, and the next run renders everything again.
        let mut settled = 0;
        let error = workspace
            .refresh_settling(&mut dirty, &mut || {
                settled += 1;
                anyhow::bail!("the inbox could not be emptied")
            })
            .unwrap_err();
        assert_eq!(settled, 1);
        assert!(error.to_string().contains("inbox"), "{error:#}");
        assert!(workspace.settings.public.join("atom.xml").exists());
        assert!(pending.exists(), "the marker stays");

        workspace.begin_outputs().unwrap();
        workspace
            .refresh_settling(&mut Dirty::default(), &mut || {
                settled += 1;
                Ok(())
            })
            .unwrap();
        assert_eq!(settled, 2);
        assert!(!pending.exists(), "final once it is done");
    }

    #[test]
    fn folders_are_categories() {
        assert_eq!(folder_categories("communique.txt"), Vec::<String>::new());
        assert_eq!(folder_categories("Énergie/communique.txt"), ["Énergie"]);
        assert_eq!(folder_categories("a/b/c.md"), ["a", "b"]);
    }

    fn release(text: &str) -> Release {
        pressroom_core::parse_release(
            "r.md",
            text.as_bytes(),
            &pressroom_core::ParseOptions::default(),
        )
        .unwrap()
        .release
    }

    #[test]
    fn published_times() {
        let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        let ingested = DateTime::parse_from_rfc3339("2024-03-21T13:00:00Z")
            .unwrap()
            .to_utc();
        let same_day = release("# T\n\nPARIS, 21 mars 2024 – Texte.");
        assert_eq!(published_time(&same_day, ingested, &paris), ingested);
        let earlier = release("# T\n\nPARIS, 1 mars 2024 – Texte.");
        assert_eq!(
            published_time(&earlier, ingested, &paris).to_rfc3339(),
            "2024-02-29T23:00:00+00:00"
        );
        let exact = release("---\ndate: 2024-03-20T10:00:00+02:00\n---\n# T\n\nTexte.");
        assert_eq!(
            published_time(&exact, ingested, &paris).to_rfc3339(),
            "2024-03-20T08:00:00+00:00"
        );
        let embargoed = release(
            "---\nembargo: 2024-03-22T08:00:00+01:00\n---\n# T\n\nPARIS, 21 mars 2024 – Texte.",
        );
        assert_eq!(
            published_time(&embargoed, ingested, &paris).to_rfc3339(),
            "2024-03-22T07:00:00+00:00"
        );
        let undated = release("# T\n\nTexte.");
        assert_eq!(published_time(&undated, ingested, &paris), ingested);
    }
}

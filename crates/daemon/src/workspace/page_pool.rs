//! Release pages written while a backlog is ingested.
//!
//! Storing releases is one thread's work (the store has one writer), while
//! rendering and writing their pages is independent for each release. So
//! while the ingest stores a backlog, a few threads write the pages of what
//! it stored, from the releases in memory: the regeneration that follows
//! does not read them back from the store, and both cores stay busy.

use std::collections::BTreeSet;
use std::sync::mpsc;

use pressroom_core::ReleaseId;
use pressroom_store::StoredRelease;

use super::Outputs;
use super::workers::with_workers;

/// The pages the pool wrote.
#[derive(Debug, Default)]
pub(super) struct WrittenPages {
    /// Releases whose page is written as they now stand.
    pub ids: BTreeSet<ReleaseId>,
    /// How many files were written (pages and attachments that changed).
    pub files: usize,
}

/// Hands releases to the page threads.
pub(super) struct PageSender {
    sender: mpsc::SyncSender<StoredRelease>,
    sent: BTreeSet<ReleaseId>,
    /// Releases stored twice in the run: two threads could write their
    /// pages in either order, so they are left to the regeneration.
    twice: BTreeSet<ReleaseId>,
}

impl PageSender {
    /// Writes the page of a release just stored (and visible), and counts
    /// it among the [`WrittenPages`].
    pub fn render(&mut self, stored: StoredRelease) {
        let id = &stored.release.id;
        if self.twice.contains(id) {
            return;
        }
        if !self.sent.insert(id.clone()) {
            self.twice.insert(id.clone());
            return;
        }
        self.send(stored);
    }

    /// Writes the page of a release, once in a walk of the store (not
    /// counted among the [`WrittenPages`], which would hold every id).
    pub fn send(&self, stored: StoredRelease) {
        // The threads stop only when this sender is dropped, and they take
        // every release sent; a failure is kept and reported at the end.
        let _ = self.sender.send(stored);
    }
}

/// Runs `work` with a [`PageSender`] whose releases get their pages written
/// by [`with_workers`] threads meanwhile; returns what `work` returned and the
/// pages written, or the first error of either (`work`'s first).
pub(super) fn with_page_pool<T>(
    outputs: Outputs<'_>,
    work: impl FnOnce(&mut PageSender) -> anyhow::Result<T>,
) -> anyhow::Result<(T, WrittenPages)> {
    // Bounded: memory holds a few releases, not the backlog.
    let ((value, sent, twice), files) = with_workers(
        64,
        |stored: StoredRelease| outputs.write_page(&stored),
        |sender| {
            let mut pages = PageSender {
                sender: sender.clone(),
                sent: BTreeSet::new(),
                twice: BTreeSet::new(),
            };
            let value = work(&mut pages)?;
            Ok((value, pages.sent, pages.twice))
        },
    )?;
    Ok((
        value,
        WrittenPages {
            ids: sent.difference(&twice).cloned().collect(),
            files,
        },
    ))
}

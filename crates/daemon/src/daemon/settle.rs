//! Deciding when a dropped file is complete.
//!
//! No single file system event proves that a file is whole: a writer killed
//! mid-copy still closes its file, a file may be written in several sessions,
//! a rename or a hard link produces no write at all, and a network share
//! produces no events whatever happens. So every candidate (from an event or a
//! scan) is watched until its size, modification time and inode have stood
//! still for the settle time; and while events say a writer still holds it
//! open (written to, not yet closed), it waits longer, up to a cap, so that a
//! slow upload that pauses between chunks is never read half-written.
//!
//! The settler judges files one by one; the daemon takes a release only when
//! every file of it has settled (a document must not go out before its
//! photos have arrived), so settled files stay candidates until the daemon
//! [`Settler::take`]s them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::files::FileStamp;

#[derive(Debug)]
struct Candidate {
    stamp: FileStamp,
    stable_since: Instant,
    /// Events said it was written to and not closed since.
    open_for_writing: bool,
    /// When the file was first noted.
    first_seen: Instant,
    /// The daemon asked not to be woken for it before this (a photo that
    /// waits for its document).
    not_before: Option<Instant>,
}

/// The files waiting to be complete.
#[derive(Debug)]
pub struct Settler {
    settle: Duration,
    /// How long a file that is still open for writing (by the events) must
    /// stand still before it is taken anyway: a close event may have been
    /// lost in an overflow.
    open_cap: Duration,
    candidates: HashMap<PathBuf, Candidate>,
}

impl Settler {
    pub fn new(settle: Duration) -> Self {
        Self {
            settle,
            open_cap: (settle * 20).max(Duration::from_secs(30)),
            candidates: HashMap::new(),
        }
    }

    pub fn set_settle(&mut self, settle: Duration) {
        *self = Self {
            candidates: std::mem::take(&mut self.candidates),
            ..Self::new(settle)
        };
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.candidates.is_empty()
    }

    pub fn len(&self) -> usize {
        self.candidates.len()
    }

    /// A path was seen (event or scan). `writing` tells what the event says:
    /// `Some(true)` written to, `Some(false)` closed after writing, `None`
    /// nothing either way (a scan, a rename into the folder).
    pub fn note(&mut self, path: &Path, writing: Option<bool>, now: Instant) {
        let Some(stamp) = FileStamp::at(path) else {
            self.candidates.remove(path);
            return;
        };
        let candidate = self.candidates.entry(path.to_owned()).or_insert(Candidate {
            stamp,
            stable_since: now,
            open_for_writing: false,
            first_seen: now,
            not_before: None,
        });
        if candidate.stamp != stamp {
            candidate.stamp = stamp;
            candidate.stable_since = now;
        }
        if let Some(writing) = writing {
            candidate.open_for_writing = writing;
            if writing {
                // Written at `now` (when the event came, which may be before
                // this call): it has not stood still since any earlier time.
                candidate.stable_since = candidate.stable_since.max(now);
            } else {
                // A close restarts the clock: the content is final only if
                // nothing changes after it.
                candidate.stable_since = now;
            }
        }
    }

    /// Forgets a path (it was removed or moved away).
    pub fn forget(&mut self, path: &Path) {
        self.candidates.remove(path);
    }

    /// Forgets a settled file: it is being published.
    pub fn take(&mut self, path: &Path) {
        self.candidates.remove(path);
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.candidates.contains_key(path)
    }

    /// When a candidate was first noted.
    pub fn first_seen(&self, path: &Path) -> Option<Instant> {
        self.candidates.get(path).map(|c| c.first_seen)
    }

    /// Asks to be woken for a settled candidate at `at` (not before).
    pub fn defer(&mut self, path: &Path, at: Instant) {
        if let Some(candidate) = self.candidates.get_mut(path) {
            candidate.not_before = Some(at);
        }
    }

    /// Looks at every candidate again; returns the files that are complete
    /// (they stay candidates until taken) and when to look again: when the
    /// next file may be complete, or a deferred one is due.
    pub fn poll(&mut self, now: Instant) -> (Vec<PathBuf>, Option<Instant>) {
        let mut settled = Vec::new();
        let mut next: Option<Instant> = None;
        let mut wake = |at: Instant| next = Some(next.map_or(at, |n: Instant| n.min(at)));
        self.candidates.retain(|path, candidate| {
            let Some(stamp) = FileStamp::at(path) else {
                return false;
            };
            if stamp != candidate.stamp {
                candidate.stamp = stamp;
                candidate.stable_since = now;
            }
            let wait = if candidate.open_for_writing {
                self.open_cap
            } else {
                self.settle
            };
            let due = candidate.stable_since + wait;
            if now >= due {
                settled.push(path.clone());
                if let Some(at) = candidate.not_before.filter(|&at| at > now) {
                    wake(at);
                }
            } else {
                // While a file still changes, look again after a settle time.
                wake(due.min(now + self.settle));
            }
            true
        });
        settled.sort();
        (settled, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTLE: Duration = Duration::from_millis(300);

    #[test]
    fn a_file_settles_after_standing_still() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "one").unwrap();
        let mut settler = Settler::new(SETTLE);
        let start = Instant::now();
        settler.note(&path, None, start);
        assert_eq!(settler.poll(start + SETTLE / 2).0, Vec::<PathBuf>::new());
        assert_eq!(settler.poll(start + SETTLE).0, std::slice::from_ref(&path));
        // Settled, it stays a candidate until it is taken.
        assert_eq!(
            settler.poll(start + SETTLE * 2).0,
            std::slice::from_ref(&path)
        );
        settler.take(&path);
        assert!(settler.is_empty());
    }

    #[test]
    fn a_change_restarts_the_clock() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "one").unwrap();
        let mut settler = Settler::new(SETTLE);
        let start = Instant::now();
        settler.note(&path, None, start);
        std::fs::write(&path, "one and two").unwrap();
        let later = start + SETTLE;
        assert!(settler.poll(later).0.is_empty(), "changed: not settled yet");
        assert_eq!(settler.poll(later + SETTLE).0, [path]);
    }

    #[test]
    fn events_read_late_count_from_when_they_came() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "whole").unwrap();
        let mut settler = Settler::new(SETTLE);
        let start = Instant::now();
        // Renamed in at `start`, written again at +200 ms and closed at
        // +250 ms, all read by a daemon busy until +400 ms.
        settler.note(&path, None, start);
        settler.note(&path, Some(true), start + Duration::from_millis(200));
        settler.note(&path, Some(false), start + Duration::from_millis(250));
        let closed = start + Duration::from_millis(250);
        assert!(
            settler.poll(start + SETTLE).0.is_empty(),
            "the settle time counts from the close, not the rename"
        );
        assert_eq!(settler.poll(closed + SETTLE).0, [path]);
    }

    #[test]
    fn a_file_open_for_writing_waits_for_its_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("upload.txt");
        std::fs::write(&path, "first chunk").unwrap();
        let mut settler = Settler::new(SETTLE);
        let start = Instant::now();
        settler.note(&path, Some(true), start);
        assert!(
            settler.poll(start + SETTLE * 5).0.is_empty(),
            "a pause in an upload is not the end"
        );
        let closed = start + SETTLE * 6;
        settler.note(&path, Some(false), closed);
        assert!(settler.poll(closed + SETTLE / 2).0.is_empty());
        assert_eq!(settler.poll(closed + SETTLE).0, [path]);
    }

    #[test]
    fn a_deferred_file_wakes_the_daemon_at_its_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.jpg");
        std::fs::write(&path, "jpeg").unwrap();
        let mut settler = Settler::new(SETTLE);
        let start = Instant::now();
        settler.note(&path, None, start);
        assert_eq!(settler.first_seen(&path), Some(start));
        let (settled, next) = settler.poll(start + SETTLE);
        assert_eq!(settled, std::slice::from_ref(&path));
        assert_eq!(next, None);
        settler.defer(&path, start + SETTLE * 10);
        assert_eq!(settler.poll(start + SETTLE).1, Some(start + SETTLE * 10));
    }

    #[test]
    fn a_file_that_disappears_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "one").unwrap();
        let mut settler = Settler::new(SETTLE);
        let start = Instant::now();
        settler.note(&path, None, start);
        std::fs::remove_file(&path).unwrap();
        assert!(settler.poll(start + SETTLE).0.is_empty());
        assert!(settler.is_empty());
    }
}

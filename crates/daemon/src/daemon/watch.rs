//! Watching the inbox with `notify`, and turning its events into what the
//! daemon needs to know: a path was seen (and whether a writer still holds
//! it), a path went away, or everything must be scanned again.
//!
//! Events are hints, never proof (see `settle`): the daemon reacts to them by
//! looking at the file system itself. A queue overflow arrives as an event
//! without paths and the `Rescan` flag; ignoring it loses files, so it becomes
//! a full rescan. Links are not followed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind, RenameMode};
use notify::{Config, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

/// What the daemon learns from the watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxEvent {
    /// Something happened at `path`; `writing` is `Some(true)` when it was
    /// written to, `Some(false)` when a writer closed it, `None` otherwise.
    Seen {
        path: PathBuf,
        writing: Option<bool>,
    },
    /// `path` was removed or moved away.
    Gone { path: PathBuf },
    /// Events were lost (or the watcher failed): scan everything.
    Rescan { reason: String },
}

/// A running watcher; events stop when it is dropped.
pub enum InboxWatcher {
    Native(RecommendedWatcher),
    Poll(PollWatcher),
}

impl InboxWatcher {
    /// Watches `inbox` recursively, with inotify or, when `poll` is set, by
    /// polling at that interval.
    /// Each event goes with the instant it was received: the daemon may be
    /// busy with a batch when it reads it, and a file's settle time counts
    /// from when it arrived, not from when the daemon got round to it.
    pub fn start(
        inbox: &Path,
        poll: Option<Duration>,
        events: UnboundedSender<(Instant, InboxEvent)>,
    ) -> notify::Result<Self> {
        let handler = move |result: notify::Result<notify::Event>| {
            let at = Instant::now();
            match result {
                Ok(event) => {
                    for translated in translate(event) {
                        let _ = events.send((at, translated));
                    }
                }
                Err(error) => {
                    let _ = events.send((
                        at,
                        InboxEvent::Rescan {
                            reason: format!("watcher error: {error}"),
                        },
                    ));
                }
            }
        };
        let config = Config::default().with_follow_symlinks(false);
        let mut watcher = match poll {
            Some(interval) => Self::Poll(PollWatcher::new(
                handler,
                config.with_poll_interval(interval),
            )?),
            None => Self::Native(RecommendedWatcher::new(handler, config)?),
        };
        match &mut watcher {
            Self::Native(w) => w.watch(inbox, RecursiveMode::Recursive)?,
            Self::Poll(w) => w.watch(inbox, RecursiveMode::Recursive)?,
        }
        Ok(watcher)
    }
}

/// Maps one notify event to what the daemon cares about.
pub fn translate(event: notify::Event) -> Vec<InboxEvent> {
    if event.need_rescan() {
        return vec![InboxEvent::Rescan {
            reason: "the watcher's event queue overflowed".to_owned(),
        }];
    }
    let seen = |path: &PathBuf, writing| InboxEvent::Seen {
        path: path.clone(),
        writing,
    };
    let gone = |path: &PathBuf| InboxEvent::Gone { path: path.clone() };
    match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
            event.paths.iter().map(|p| seen(p, Some(false))).collect()
        }
        // Our own reads (and anyone else's) say nothing about completeness.
        EventKind::Access(_) => Vec::new(),
        EventKind::Modify(ModifyKind::Data(_)) => {
            event.paths.iter().map(|p| seen(p, Some(true))).collect()
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) => {
            event.paths.iter().map(gone).collect()
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => match event.paths.as_slice() {
            [from, to] => vec![gone(from), seen(to, None)],
            paths => paths.iter().map(|p| seen(p, None)).collect(),
        },
        EventKind::Remove(_) => event.paths.iter().map(gone).collect(),
        EventKind::Create(_) | EventKind::Modify(_) | EventKind::Any => {
            event.paths.iter().map(|p| seen(p, None)).collect()
        }
        EventKind::Other => {
            vec![InboxEvent::Rescan {
                reason: "the watcher reported an unknown event".to_owned(),
            }]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, Flag, RemoveKind};

    fn event(kind: EventKind, paths: &[&str]) -> notify::Event {
        let mut event = notify::Event::new(kind);
        for path in paths {
            event = event.add_path(PathBuf::from(path));
        }
        event
    }

    #[test]
    fn writes_closes_renames_and_removals() {
        let seen = |p: &str, writing| InboxEvent::Seen {
            path: p.into(),
            writing,
        };
        assert_eq!(
            translate(event(
                EventKind::Modify(ModifyKind::Data(DataChange::Any)),
                &["a"]
            )),
            [seen("a", Some(true))]
        );
        assert_eq!(
            translate(event(
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                &["a"]
            )),
            [seen("a", Some(false))]
        );
        assert_eq!(
            translate(event(
                EventKind::Modify(ModifyKind::Name(RenameMode::To)),
                &["a"]
            )),
            [seen("a", None)]
        );
        assert_eq!(
            translate(event(EventKind::Create(CreateKind::File), &["a"])),
            [seen("a", None)]
        );
        assert_eq!(
            translate(event(EventKind::Remove(RemoveKind::File), &["a"])),
            [InboxEvent::Gone { path: "a".into() }]
        );
        assert!(
            translate(event(
                EventKind::Access(AccessKind::Open(AccessMode::Read)),
                &["a"]
            ))
            .is_empty()
        );
    }

    #[test]
    fn an_overflow_is_a_rescan() {
        let overflow = notify::Event::new(EventKind::Other).set_flag(Flag::Rescan);
        assert!(matches!(
            translate(overflow).as_slice(),
            [InboxEvent::Rescan { .. }]
        ));
    }
}

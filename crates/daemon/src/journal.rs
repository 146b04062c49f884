//! The archive's journal: an append-only record of every ingest,
//! retraction and unsubscription, one JSON object per line, in
//! `archive/journal.jsonl`.
//!
//! The archive holds the originals; the journal says what became of them and
//! when. Together they are enough to recreate the store (`pressroom rebuild`)
//! with the same ids, tag ids and times, so that a lost or corrupt database
//! costs nothing but the time to replay. Each line is flushed to disk before
//! the store's transaction commits, so the journal is never behind the store.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JournalEvent {
    /// A version of a release was archived and stored.
    Ingest {
        at: DateTime<Utc>,
        id: String,
        tag_id: String,
        /// The file's path relative to the inbox, as dropped.
        source_name: String,
        /// The original's path relative to the archive folder.
        archive_path: String,
        hash: String,
        published: DateTime<Utc>,
        visible_from: DateTime<Utc>,
        /// The release's attachments, in order (absent when it has none).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<ArchivedAttachment>,
        /// The document came in a release folder, whose name is no category.
        #[serde(default, skip_serializing_if = "is_false")]
        release_folder: bool,
    },
    /// A release was withdrawn from every output.
    Retract { at: DateTime<Utc>, id: String },
    /// An address asked to receive no more digests (kept here too, so that
    /// a store rebuilt from the archive still honours it).
    Unsubscribe {
        at: DateTime<Utc>,
        address: String,
        /// `one-click`, `link` or `command`.
        source: String,
        /// The digest whose link was used, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        digest: Option<String>,
    },
    /// An address was taken off the suppression list (`unsubscribe --undo`).
    Resubscribe { at: DateTime<Utc>, address: String },
}

/// One attachment of an ingested version, as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedAttachment {
    /// The name it is published under.
    pub file: String,
    /// The name it was dropped under; absent for an image embedded in the
    /// document (which `rebuild` takes from the document again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped_as: Option<String>,
    /// Its bytes, relative to the archive folder.
    pub archive_path: String,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The journal file of an archive.
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub const FILE_NAME: &'static str = "journal.jsonl";

    pub fn new(archive: &Path) -> Self {
        Self {
            path: archive.join(Self::FILE_NAME),
        }
    }

    /// Appends one event and flushes it to disk.
    pub fn append(&self, event: &JournalEvent) -> io::Result<()> {
        self.append_all(std::slice::from_ref(event))
    }

    /// Appends events and flushes them to disk with one flush. A line torn by
    /// an earlier crash is closed first, so that it stays a line of its own.
    pub fn append_all(&self, events: &[JournalEvent]) -> io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut line = String::new();
        for event in events {
            line.push_str(&serde_json::to_string(event).map_err(io::Error::other)?);
            line.push('\n');
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.path)?;
        let length = file.metadata()?.len();
        if length > 0 {
            let mut last = [0u8; 1];
            file.read_exact_at(&mut last, length - 1)?;
            if last[0] != b'\n' {
                line.insert(0, '\n');
            }
        }
        file.write_all(line.as_bytes())?;
        file.sync_data()
    }

    /// Reads every event, in order. Lines torn by a crash in the middle of an
    /// append are skipped; their line numbers are returned for reporting.
    pub fn read(&self) -> io::Result<(Vec<JournalEvent>, Vec<usize>)> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(error) => return Err(error),
        };
        let mut events = Vec::new();
        let mut torn = Vec::new();
        for (index, line) in BufReader::new(file).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(&line) {
                Ok(event) => events.push(event),
                Err(_) => torn.push(index + 1),
            }
        }
        Ok((events, torn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::new(dir.path());
        let at = DateTime::parse_from_rfc3339("2024-03-21T10:00:00Z")
            .unwrap()
            .to_utc();
        let event = JournalEvent::Retract {
            at,
            id: "a".to_owned(),
        };
        journal.append(&event).unwrap();
        journal.append(&event).unwrap();
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.path().join(Journal::FILE_NAME))
            .unwrap();
        file.write_all(b"{\"event\":\"ret").unwrap();
        journal.append(&event).unwrap();
        let (events, torn) = journal.read().unwrap();
        assert_eq!(events, [event.clone(), event.clone(), event]);
        assert_eq!(torn, [3]);
    }

    /// Lines written before attachments existed still read, and a release
    /// without attachments writes no new fields.
    #[test]
    fn ingest_lines_without_attachments_read_and_write_as_before() {
        let line = r#"{"event":"ingest","at":"2024-03-21T10:00:00Z","id":"a","tag_id":"tag:x,2024-03-21:a","source_name":"a.txt","archive_path":"2024/03/a.txt","hash":"00","published":"2024-03-21T10:00:00Z","visible_from":"2024-03-21T10:00:00Z"}"#;
        let event: JournalEvent = serde_json::from_str(line).unwrap();
        assert!(matches!(
            &event,
            JournalEvent::Ingest { attachments, release_folder: false, .. } if attachments.is_empty()
        ));
        assert_eq!(serde_json::to_string(&event).unwrap(), line);
    }
}

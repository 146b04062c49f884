//! The outbox: composed messages written as `.eml` files into a folder,
//! for a relay that picks them up, for inspection, or instead of SMTP while
//! a site is being set up.
//!
//! Each file is written atomically (a temporary file in the same folder,
//! flushed, renamed, and the folder flushed), so a reader never sees half a
//! message, and a message written again (same Message-ID) replaces the old
//! one whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::message::Email;

/// A folder that receives messages as `<message-id>.eml`.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

/// A message that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {source}")]
pub struct OutboxError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl Outbox {
    /// The outbox in `dir`, which must exist.
    pub fn new(dir: impl Into<PathBuf>) -> Outbox {
        Outbox { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `email` as `<message-id>.eml` (CRLF line endings, as sent)
    /// and returns its path once it is durably stored.
    pub fn write(&self, email: &Email) -> Result<PathBuf, OutboxError> {
        let path = self.dir.join(format!("{}.eml", email.message_id));
        let error = |source| OutboxError {
            path: path.clone(),
            source,
        };
        let mut file = tempfile::Builder::new()
            .prefix(".tmp-")
            .suffix(".eml")
            .tempfile_in(&self.dir)
            .map_err(error)?;
        file.write_all(&email.bytes).map_err(error)?;
        file.as_file().sync_all().map_err(error)?;
        file.persist(&path).map_err(|e| error(e.error))?;
        std::fs::File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(error)?;
        Ok(path)
    }
}

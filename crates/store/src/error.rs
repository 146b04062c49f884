//! What can go wrong with the store, each case naming the store's file and
//! the release or query concerned.
//!
//! A failed write never leaves half a change behind (every change is one
//! transaction), so callers can report the error and carry on, or stop,
//! without repairing anything.

/// A boxed cause for values that cannot be read back (dates, ids, JSON).
pub(crate) type Cause = Box<dyn std::error::Error + Send + Sync>;

/// An error of the store. `path` is the database file, or `:memory:`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or configured: the folder is missing
    /// or not writable, the file is not a SQLite database, or another process
    /// held it locked for longer than the busy timeout.
    #[error("cannot open the store '{path}'")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer Pressroom, whose schema this build does
    /// not know; it is left untouched.
    #[error(
        "the store '{path}' has schema version {found}, newer than this Pressroom knows ({known}): upgrade Pressroom"
    )]
    NewerSchema {
        path: String,
        found: i64,
        known: u32,
    },
    /// Creating the schema or upgrading it to `version` failed; the store is
    /// left at its previous version.
    #[error("cannot upgrade the store '{path}' to schema version {version}")]
    Migrate {
        path: String,
        version: u32,
        #[source]
        source: rusqlite::Error,
    },
    /// A query failed; `what` names what was being read ("release 'x'").
    #[error("cannot read {what} from the store '{path}'")]
    Read {
        path: String,
        what: String,
        #[source]
        source: rusqlite::Error,
    },
    /// A change failed and was rolled back: the store holds what it held
    /// before. `what` names the change ("release 'x'").
    #[error("cannot write {what} to the store '{path}'")]
    Write {
        path: String,
        what: String,
        #[source]
        source: rusqlite::Error,
    },
    /// A change inside a [`crate::Store::batch`] failed (its error was
    /// returned to the caller then) and the batch went on: nothing of the
    /// batch was committed.
    #[error("nothing of the batch was written to the store '{path}': a change in it failed")]
    BatchFailed { path: String },
    /// A stored value cannot be turned back into a release: the database was
    /// edited by hand or damaged.
    #[error("release '{id}' in the store '{path}' has an unreadable {column}")]
    Corrupt {
        path: String,
        id: String,
        column: &'static str,
        #[source]
        source: Cause,
    },
    /// A slug-derived id with a numeric suffix (`id-2`) is too long to be an
    /// id. Slugs are short enough that this means a caller passed a long id
    /// with `explicit = false`.
    #[error(
        "no free id for release '{id}': adding a numeric suffix makes it longer than an id may be"
    )]
    NoFreeId { id: String },
    /// A version to store names as many archive paths as it has attachments;
    /// this one did not (a caller's mistake, refused before anything is written).
    #[error("release '{id}' has {attachments} attachment(s) but {paths} archive path(s) for them")]
    AttachmentPaths {
        id: String,
        attachments: usize,
        paths: usize,
    },
}

#[cfg(test)]
mod tests {
    /// The daemon turns store errors into `anyhow` errors, which need these.
    #[test]
    fn errors_can_cross_threads() {
        fn check<T: std::error::Error + Send + Sync + 'static>() {}
        check::<super::StoreError>();
    }
}

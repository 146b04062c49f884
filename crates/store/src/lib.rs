//! The SQLite store of releases, their history and digest runs.
//!
//! It will hold every published release with the hash of its source file, each
//! change as a history entry, and the record of every digest run, so that the
//! daemon can recover exactly where it stopped after a crash.

//! Helpers shared by the store's tests: releases, versions and stores in
//! temporary folders.

// Each test file uses some of these helpers, never all.
#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use pressroom_core::{Lang, ParseOptions, Release, ReleaseId, SourceFormat, parse_release};
use pressroom_store::{NewVersion, Store};
use tempfile::TempDir;

/// An instant written as RFC 3339.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad time {text:?} in a test: {e}"))
        .to_utc()
}

/// A release as Pressroom parses it from a file named `name`.
pub fn parse(name: &str, text: &str) -> Release {
    match parse_release(name, text.as_bytes(), &ParseOptions::default()) {
        Ok(parsed) => parsed.release,
        Err(rejected) => panic!("test release {name} rejected: {}", rejected.error),
    }
}

/// A small release built by hand: `id` is also its slug.
pub fn release(id: &str, lang: &str, categories: &[&str]) -> Release {
    Release {
        id: ReleaseId::parse(id).unwrap(),
        slug: id.to_owned(),
        title: format!("Title of {id}"),
        lang: Lang::parse(lang).unwrap(),
        date: None,
        place: None,
        summary: format!("Summary of {id}."),
        paragraphs: vec![format!("Body of {id}.")],
        body_html: format!("<p>Body of {id}.</p>"),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        author: None,
        embargo: None,
        format: SourceFormat::Text,
        contact: None,
        about: None,
        attachments: Vec::new(),
    }
}

/// A version ingested at `at`, published and visible at once, with a hash
/// made from `bytes_tag` (different tags are different files).
pub fn version(
    release: Release,
    source_name: &str,
    bytes_tag: &str,
    at: DateTime<Utc>,
) -> NewVersion {
    NewVersion {
        tag_id: format!("tag:example.org,2024-03-21:{}", release.id),
        archive_path: format!("2024/03/{bytes_tag}-{source_name}"),
        source_name: source_name.to_owned(),
        source_hash: hash(bytes_tag),
        release,
        at,
        published: at,
        visible_from: at,
        attachment_paths: Vec::new(),
        text: None,
    }
}

/// A stand-in for the hex SHA-256 of a file: 64 hex digits, one per tag.
pub fn hash(bytes_tag: &str) -> String {
    let digits: String = bytes_tag.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{digits:0>64}")
}

/// A store in a new file inside a temporary folder (kept while the folder lives).
pub struct TempStore {
    pub folder: TempDir,
    pub path: PathBuf,
    pub store: Store,
}

impl TempStore {
    pub fn new() -> Self {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("pressroom.db");
        let store = Store::open(&path).unwrap();
        Self {
            folder,
            path,
            store,
        }
    }

    /// Closes the store (its last connection: SQLite folds the log into the
    /// file) and opens the file again.
    pub fn reopen(&mut self) {
        self.store = Store::open_in_memory().unwrap();
        self.store = Store::open(&self.path).unwrap();
    }

    /// A plain connection to the same file, to look under the store.
    pub fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).unwrap()
    }
}

pub fn id(text: &str) -> ReleaseId {
    ReleaseId::parse(text).unwrap()
}

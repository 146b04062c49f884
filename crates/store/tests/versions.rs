//! A release's life: new versions, unchanged bytes, retraction, history, the
//! ids new versions are stored under, and batches.

mod support;

use pressroom_store::{HistoryEntry, HistoryKind, Scope, StoreError, Stored};
use support::{TempStore, at, hash, id, release, version};

#[test]
fn an_update_keeps_the_tag_id_and_first_ingest_and_adds_a_revision() {
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    let first = release("port", "fr", &["Port", "Énergie"]);
    let mut v1 = version(first, "port.txt", "v1", at("2024-03-21T10:00:00Z"));
    v1.tag_id = "tag:example.org,2024-03-21:port".to_owned();
    assert_eq!(store.store(v1).unwrap(), Stored::Published);

    let mut second = release("port", "fr", &["Port"]);
    second.title = "Corrected title".to_owned();
    let mut v2 = version(second.clone(), "port.txt", "v2", at("2024-03-22T08:00:00Z"));
    v2.tag_id = "tag:example.org,2024-03-22:port".to_owned();
    v2.published = at("2024-03-21T10:00:00Z");
    assert_eq!(store.store(v2).unwrap(), Stored::Updated { revision: 2 });

    let stored = store.release(&id("port")).unwrap().unwrap();
    assert_eq!(stored.release, second);
    assert_eq!(stored.tag_id, "tag:example.org,2024-03-21:port");
    assert_eq!(stored.first_ingested, at("2024-03-21T10:00:00Z"));
    assert_eq!(stored.updated, at("2024-03-22T08:00:00Z"));
    assert_eq!(stored.source_hash, hash("v2"));
    assert_eq!(stored.archive_path, "2024/03/v2-port.txt");
    assert_eq!(stored.revision, 2);
    assert_eq!(
        store.history(&id("port")).unwrap(),
        [
            HistoryEntry {
                revision: 1,
                at: at("2024-03-21T10:00:00Z"),
                kind: HistoryKind::Published,
                source_hash: hash("v1"),
                archive_path: "2024/03/v1-port.txt".to_owned(),
                title: "Title of port".to_owned(),
            },
            HistoryEntry {
                revision: 2,
                at: at("2024-03-22T08:00:00Z"),
                kind: HistoryKind::Updated,
                source_hash: hash("v2"),
                archive_path: "2024/03/v2-port.txt".to_owned(),
                title: "Corrected title".to_owned(),
            },
        ]
    );
    // The category the new version dropped no longer lists it.
    let now = at("2024-03-23T00:00:00Z");
    let energie = Scope::Category("energie".to_owned());
    assert!(store.latest(&energie, now, 50).unwrap().is_empty());
    assert_eq!(
        store
            .latest(&Scope::Category("port".to_owned()), now, 50)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.count().unwrap(), 1);
}

#[test]
fn a_release_is_last_edited_when_published_until_a_new_version_comes() {
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    let mut stored = |bytes_tag: &str, at_time: &str, published: &str| {
        let mut new = version(
            release("port", "fr", &[]),
            "port.txt",
            bytes_tag,
            at(at_time),
        );
        new.published = at(published);
        store.store(new).unwrap();
        store.release(&id("port")).unwrap().unwrap()
    };
    // Dated in the past, stored today (a backlog): edited when published.
    let first = stored("v1", "2024-06-01T12:00:00Z", "2024-03-21T00:00:00Z");
    assert_eq!(first.updated, at("2024-06-01T12:00:00Z"), "stored then");
    assert_eq!(
        first.last_edited(),
        at("2024-03-21T00:00:00Z"),
        "not edited"
    );
    // A new version is an edit, when it is stored.
    let second = stored("v2", "2024-06-02T08:30:00Z", "2024-03-21T00:00:00Z");
    assert_eq!(second.last_edited(), at("2024-06-02T08:30:00Z"), "edited");

    // Dated ahead of its storing: never edited after it was stored, and
    // each new version is a new edit although its date stays ahead.
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    let mut stored = |bytes_tag: &str, at_time: &str| {
        let mut new = version(
            release("gala", "fr", &[]),
            "gala.txt",
            bytes_tag,
            at(at_time),
        );
        new.published = at("2024-07-01T00:00:00Z");
        store.store(new).unwrap();
        store.release(&id("gala")).unwrap().unwrap()
    };
    let first = stored("v1", "2024-06-03T08:30:00Z");
    assert_eq!(first.last_edited(), at("2024-06-03T08:30:00Z"));
    let second = stored("v2", "2024-06-04T08:30:00Z");
    assert_eq!(second.last_edited(), at("2024-06-04T08:30:00Z"));
}

#[test]
fn the_same_bytes_again_are_unchanged_and_write_nothing() {
    let mut temp = TempStore::new();
    let v1 = version(
        release("same", "fr", &[]),
        "same.txt",
        "v1",
        at("2024-03-21T10:00:00Z"),
    );
    temp.store.store(v1).unwrap();
    let before = temp.store.release(&id("same")).unwrap();
    let wal = temp.path.with_extension("db-wal");
    let wal_size = std::fs::metadata(&wal).unwrap().len();
    assert!(wal_size > 0);

    // Same bytes, even if the daemon would now compute other times.
    let mut again = release("same", "fr", &["New"]);
    again.title = "Ignored".to_owned();
    let outcome = temp
        .store
        .store(version(again, "same.txt", "v1", at("2024-03-25T10:00:00Z")))
        .unwrap();

    assert_eq!(outcome, Stored::Unchanged);
    assert_eq!(temp.store.release(&id("same")).unwrap(), before);
    assert_eq!(temp.store.history(&id("same")).unwrap().len(), 1);
    assert_eq!(
        std::fs::metadata(&wal).unwrap().len(),
        wal_size,
        "the log grew"
    );
}

#[test]
fn retracting_records_history_and_retracting_again_changes_nothing() {
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    store
        .store(version(
            release("gone", "fr", &["Port"]),
            "gone.txt",
            "v1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();

    let before = store
        .retract(&id("gone"), at("2024-03-22T10:00:00Z"))
        .unwrap()
        .unwrap();
    assert_eq!(before.retracted, None, "the release as it was before");
    let retracted = store.release(&id("gone")).unwrap().unwrap();
    assert_eq!(retracted.retracted, Some(at("2024-03-22T10:00:00Z")));
    assert_eq!(retracted.revision, 1);
    assert_eq!(retracted.updated, at("2024-03-21T10:00:00Z"));

    let again = store
        .retract(&id("gone"), at("2024-03-23T10:00:00Z"))
        .unwrap()
        .unwrap();
    assert_eq!(again, retracted);
    assert_eq!(store.release(&id("gone")).unwrap().unwrap(), retracted);
    let kinds: Vec<_> = store
        .history(&id("gone"))
        .unwrap()
        .iter()
        .map(|h| (h.kind, h.revision))
        .collect();
    assert_eq!(
        kinds,
        [(HistoryKind::Published, 1), (HistoryKind::Retracted, 1)]
    );

    assert_eq!(
        store
            .retract(&id("no-such-release"), at("2024-03-23T10:00:00Z"))
            .unwrap(),
        None
    );
    assert!(store.history(&id("no-such-release")).unwrap().is_empty());
}

#[test]
fn a_retracted_release_that_gets_a_new_version_is_published_again() {
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    store
        .store(version(
            release("back", "fr", &["Port"]),
            "back.txt",
            "v1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();
    store
        .retract(&id("back"), at("2024-03-22T10:00:00Z"))
        .unwrap();
    // The same bytes do not bring it back.
    assert_eq!(
        store
            .store(version(
                release("back", "fr", &["Port"]),
                "back.txt",
                "v1",
                at("2024-03-23T10:00:00Z")
            ))
            .unwrap(),
        Stored::Unchanged
    );
    assert!(
        store
            .latest(&Scope::All, at("2024-03-23T11:00:00Z"), 10)
            .unwrap()
            .is_empty()
    );

    let outcome = store
        .store(version(
            release("back", "fr", &["Port"]),
            "back.txt",
            "v2",
            at("2024-03-24T10:00:00Z"),
        ))
        .unwrap();
    assert_eq!(outcome, Stored::Updated { revision: 2 });
    let now = at("2024-03-24T11:00:00Z");
    let stored = store.release(&id("back")).unwrap().unwrap();
    assert_eq!(stored.retracted, None);
    assert_eq!(
        store.latest(&Scope::All, now, 10).unwrap(),
        std::slice::from_ref(&stored)
    );
    assert_eq!(
        store
            .latest(&Scope::Category("port".to_owned()), now, 10)
            .unwrap(),
        [stored]
    );
    let kinds: Vec<_> = store
        .history(&id("back"))
        .unwrap()
        .iter()
        .map(|h| h.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            HistoryKind::Published,
            HistoryKind::Retracted,
            HistoryKind::Updated
        ]
    );
}

#[test]
fn a_hash_finds_the_release_that_had_those_bytes_in_any_version() {
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    store
        .store(version(
            release("a", "fr", &[]),
            "a.txt",
            "a1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();
    store
        .store(version(
            release("a", "fr", &[]),
            "a.txt",
            "a2",
            at("2024-03-22T10:00:00Z"),
        ))
        .unwrap();
    store.retract(&id("a"), at("2024-03-23T10:00:00Z")).unwrap();

    let found = |store: &pressroom_store::Store, tag: &str| {
        store
            .release_by_hash(&hash(tag))
            .unwrap()
            .map(|s| s.release.id.to_string())
    };
    assert_eq!(
        found(store, "a1").as_deref(),
        Some("a"),
        "an earlier version"
    );
    assert_eq!(
        found(store, "a2").as_deref(),
        Some("a"),
        "the latest, retracted"
    );
    assert_eq!(found(store, "never"), None);

    // The same bytes are `c`'s latest version and, more recently, were one
    // of `b`'s: `c` is the one whose bytes they are.
    store
        .store(version(
            release("c", "fr", &[]),
            "c.txt",
            "c1",
            at("2024-03-21T11:00:00Z"),
        ))
        .unwrap();
    store
        .store(version(
            release("c", "fr", &[]),
            "c.txt",
            "shared",
            at("2024-03-21T12:00:00Z"),
        ))
        .unwrap();
    store
        .store(version(
            release("b", "fr", &[]),
            "b.txt",
            "shared",
            at("2024-03-21T12:30:00Z"),
        ))
        .unwrap();
    store
        .store(version(
            release("b", "fr", &[]),
            "b.txt",
            "b2",
            at("2024-03-21T13:00:00Z"),
        ))
        .unwrap();
    assert_eq!(found(store, "shared").as_deref(), Some("c"));
    let c = store.release_by_hash(&hash("shared")).unwrap().unwrap();
    assert_eq!(c.source_hash, hash("shared"));
}

/// Two different files whose releases have the same title and date share a
/// slug: the second becomes `slug-2`, and each file then updates its own.
#[test]
fn two_releases_with_the_same_slug_get_their_own_ids_and_updates() {
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    let slug = id("2024-03-21-communique");
    let t = at("2024-03-21T10:00:00Z");

    let resolved = store
        .resolve_id(&slug, false, "port/communique.txt")
        .unwrap();
    assert_eq!(resolved, slug, "a free id is taken as it is");
    store
        .store(version(
            release(resolved.as_str(), "fr", &[]),
            "port/communique.txt",
            "p1",
            t,
        ))
        .unwrap();

    let resolved = store
        .resolve_id(&slug, false, "energie/communique.txt")
        .unwrap();
    assert_eq!(resolved.as_str(), "2024-03-21-communique-2");
    store
        .store(version(
            release(resolved.as_str(), "fr", &[]),
            "energie/communique.txt",
            "e1",
            t,
        ))
        .unwrap();

    // Each file, edited, updates its own release.
    assert_eq!(
        store
            .resolve_id(&slug, false, "port/communique.txt")
            .unwrap(),
        slug
    );
    let resolved = store
        .resolve_id(&slug, false, "energie/communique.txt")
        .unwrap();
    assert_eq!(resolved.as_str(), "2024-03-21-communique-2");
    let outcome = store
        .store(version(
            release(resolved.as_str(), "fr", &[]),
            "energie/communique.txt",
            "e2",
            t,
        ))
        .unwrap();
    assert_eq!(outcome, Stored::Updated { revision: 2 });
    assert_eq!(
        store.release(&slug).unwrap().unwrap().source_hash,
        hash("p1")
    );

    // A third file takes the next free id; retraction frees none.
    store.retract(&slug, t).unwrap();
    let resolved = store
        .resolve_id(&slug, false, "culture/communique.txt")
        .unwrap();
    assert_eq!(resolved.as_str(), "2024-03-21-communique-3");
    assert_eq!(store.count().unwrap(), 2);
}

#[test]
fn an_explicit_id_is_taken_as_given_whoever_holds_it() {
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    let t = at("2024-03-21T10:00:00Z");
    store
        .store(version(release("cp-17", "fr", &[]), "a.txt", "a1", t))
        .unwrap();
    assert_eq!(
        store.resolve_id(&id("cp-17"), true, "b.txt").unwrap(),
        id("cp-17")
    );
    assert_eq!(
        store.resolve_id(&id("cp-18"), true, "b.txt").unwrap(),
        id("cp-18")
    );
    // Without `explicit`, the same id from another file would be a new release.
    assert_eq!(
        store.resolve_id(&id("cp-17"), false, "b.txt").unwrap(),
        id("cp-17-2")
    );
}

#[test]
fn a_long_id_that_cannot_take_a_suffix_is_an_error_naming_it() {
    let mut temp = TempStore::new();
    let long = "x".repeat(120);
    temp.store
        .store(version(
            release(&long, "fr", &[]),
            "a.txt",
            "a1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();
    let error = temp
        .store
        .resolve_id(&id(&long), false, "b.txt")
        .unwrap_err();
    assert!(matches!(error, StoreError::NoFreeId { .. }), "{error:?}");
    assert!(error.to_string().contains(&long));
}

#[test]
fn a_batch_is_committed_whole_or_not_at_all() {
    let mut temp = TempStore::new();
    let t = at("2024-03-21T10:00:00Z");

    let failed: Result<(), StoreError> = temp.store.batch(|store| {
        store.store(version(release("one", "fr", &[]), "one.txt", "1", t))?;
        store.store(version(release("two", "fr", &[]), "two.txt", "2", t))?;
        // What the daemon does when archiving a file fails mid-batch.
        Err(StoreError::NoFreeId {
            id: "stand-in for any failure".to_owned(),
        })
    });
    assert!(failed.is_err());
    assert_eq!(temp.store.count().unwrap(), 0);

    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _: Result<(), StoreError> = temp.store.batch(|store| {
            store.store(version(release("one", "fr", &[]), "one.txt", "1", t))?;
            panic!("a bug in the caller");
        });
    }));
    assert!(panicked.is_err());
    assert_eq!(temp.store.count().unwrap(), 0);

    let outcomes = temp
        .store
        .batch(|store| {
            let first = store.store(version(release("one", "fr", &[]), "one.txt", "1", t))?;
            // Changes made earlier in the batch are seen by later ones.
            let id = store.resolve_id(&id("one"), false, "other.txt")?;
            let second = store.store(version(
                release(id.as_str(), "fr", &[]),
                "other.txt",
                "2",
                t,
            ))?;
            Ok::<_, StoreError>((first, id, second))
        })
        .unwrap();
    assert_eq!(
        outcomes,
        (Stored::Published, id("one-2"), Stored::Published)
    );
    temp.reopen();
    assert_eq!(temp.store.count().unwrap(), 2);
}

#[test]
fn store_and_get_returns_what_a_read_gives_without_reading() {
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    // Nanoseconds, as the clock gives them: the store keeps microseconds.
    let first_at = at("2024-03-21T10:00:00Z") + chrono::Duration::nanoseconds(123_456_789);
    let mut v1 = version(release("port", "fr", &["Port"]), "port.txt", "v1", first_at);
    v1.tag_id = "tag:example.org,2024-03-21:port".to_owned();
    let (outcome, returned) = store.store_and_get(v1.clone()).unwrap();
    assert_eq!(outcome, Stored::Published);
    assert_eq!(returned, store.release(&id("port")).unwrap());
    assert_eq!(store.store_and_get(v1).unwrap(), (Stored::Unchanged, None));

    store
        .retract(&id("port"), at("2024-03-21T12:00:00Z"))
        .unwrap();
    let mut second = release("port", "fr", &["Port", "Énergie"]);
    second.title = "Corrected title".to_owned();
    let mut v2 = version(second, "port.txt", "v2", at("2024-03-22T08:00:00Z"));
    v2.tag_id = "tag:example.org,2024-03-22:ignored-for-an-update".to_owned();
    let (outcome, returned) = store.store_and_get(v2).unwrap();
    assert_eq!(outcome, Stored::Updated { revision: 2 });
    let read = store.release(&id("port")).unwrap().unwrap();
    assert_eq!(returned.as_ref(), Some(&read));
    assert_eq!(read.tag_id, "tag:example.org,2024-03-21:port");
    assert_eq!(read.retracted, None);
}

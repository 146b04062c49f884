//! A release comes back exactly as it was stored, from the same file opened
//! again; the file records its schema version.

mod support;

use chrono::{DateTime, NaiveDate};
use pressroom_core::model::{Attachment, Section};
use pressroom_core::{ReleaseDate, SourceFormat};
use pressroom_store::{SCHEMA_VERSION, Store, StoreError, Stored, StoredRelease};
use support::{TempStore, at, hash, id, parse, release, version};

const EVERY_FIELD: &str = "---
id: cp-2024-017
title: \"Le port de Marseille inaugure sa centrale solaire\"
lang: fr
date: 2024-03-21T10:30:00+01:00
place: Marseille
summary: \"Une centrale de 12 MW sur les toits des hangars.\"
categories: [Énergie, Port, energie]
author: Service de presse
embargo: 2024-03-21T09:00:00+01:00
---

Le port de Marseille a inauguré **jeudi** sa centrale solaire, « la plus grande d'Europe ».

- 12 MW de puissance
- 30 000 panneaux

Les travaux ont duré dix-huit mois.

## À propos du Grand Port Maritime de Marseille

Premier port de France, le port de Marseille accueille 3 000 escales par an.

Contact presse :
Jeanne Martin
<presse@example.org>
";

/// Stores `stored`'s version, reopens the file and reads it back.
fn round_trip(stored: &StoredRelease) -> StoredRelease {
    let mut temp = TempStore::new();
    let outcome = temp
        .store
        .store(pressroom_store::NewVersion {
            release: stored.release.clone(),
            tag_id: stored.tag_id.clone(),
            source_name: stored.source_name.clone(),
            source_hash: stored.source_hash.clone(),
            archive_path: stored.archive_path.clone(),
            at: stored.first_ingested,
            published: stored.published,
            visible_from: stored.visible_from,
            attachment_paths: stored.attachment_paths.clone(),
            text: None,
        })
        .unwrap();
    assert_eq!(outcome, Stored::Published);
    temp.reopen();
    temp.store.release(&stored.release.id).unwrap().unwrap()
}

fn expected(release: pressroom_core::Release) -> StoredRelease {
    StoredRelease {
        tag_id: format!("tag:example.org,2024-03-21:{}", release.id),
        source_name: "energie/communiqué port.md".to_owned(),
        source_hash: hash("v1"),
        archive_path: "2024/03/communiqué port.md".to_owned(),
        first_ingested: at("2024-03-20T17:45:12.345678Z"),
        updated: at("2024-03-20T17:45:12.345678Z"),
        published: at("2024-03-21T09:30:00Z"),
        visible_from: at("2024-03-21T08:00:00Z"),
        retracted: None,
        revision: 1,
        attachment_paths: release
            .attachments
            .iter()
            .map(|a| format!("2024/03/communiqué port.md.files/{}", a.file_name))
            .collect(),
        release,
    }
}

#[test]
fn a_parsed_release_with_every_field_comes_back_exactly() {
    let release = parse("communiqué port.md", EVERY_FIELD);
    // The text really sets every field this test claims to cover.
    assert!(release.place.is_some() && release.author.is_some() && release.embargo.is_some());
    assert!(
        release.contact.is_some() && release.about.is_some(),
        "{release:#?}"
    );
    assert!(matches!(release.date, Some(ReleaseDate::Exact(_))));
    assert_eq!(release.categories, ["Énergie", "Port", "energie"]);
    assert!(release.paragraphs.len() >= 3, "{:?}", release.paragraphs);
    assert_eq!(release.format, SourceFormat::Markdown);

    let stored = expected(release);
    let back = round_trip(&stored);
    assert_eq!(back, stored);
    // DateTime's equality compares instants; the offsets must survive too.
    let offset = |date: Option<ReleaseDate>| match date {
        Some(ReleaseDate::Exact(exact)) => *exact.offset(),
        other => panic!("not an exact date: {other:?}"),
    };
    assert_eq!(offset(back.release.date), offset(stored.release.date));
    assert_eq!(
        back.release.embargo.unwrap().offset(),
        stored.release.embargo.unwrap().offset()
    );
}

#[test]
fn hand_built_edge_values_come_back_exactly() {
    let day = NaiveDate::from_ymd_opt(2023, 11, 19).unwrap();
    let mut arabic = release("2023-11-19-release-1a2b3c4d", "ar", &["الطاقة", "Énergie"]);
    arabic.title = "المركز العربي للطاقة المتجددة".to_owned();
    arabic.date = Some(ReleaseDate::Day(day));
    arabic.place = Some("الرياض".to_owned());
    arabic.paragraphs = vec![
        "سطر أول\nسطر ثان".to_owned(),
        "\"Quotes\", 'apostrophes', \\backslashes\\ and tabs\t.".to_owned(),
        "- a list\n- in one paragraph".to_owned(),
    ];
    arabic.body_html =
        "<p dir=\"rtl\">سطر أول<br>\nسطر ثان</p>\n<ul><li>a &amp; b</li></ul>".to_owned();

    arabic.contact = Some(Section {
        heading: "للتواصل الإعلامي".to_owned(),
        paragraphs: vec!["سارة أحمد\npress@example.org\n+966 11 000 0000".to_owned()],
        html: "<p>سارة أحمد<br>\npress@example.org<br>\n+966 11 000 0000</p>\n".to_owned(),
    });
    arabic.about = Some(Section {
        heading: "About the Centre".to_owned(),
        paragraphs: vec!["First.".to_owned(), "Second, with \"quotes\".".to_owned()],
        html: "<p>First.</p>\n<p>Second, with &quot;quotes&quot;.</p>\n".to_owned(),
    });

    arabic.attachments = vec![
        Attachment {
            file_name: "swr-a.jpg".to_owned(),
            media_type: "image/jpeg".to_owned(),
            size: 3_500_000,
            sha256: "ab".repeat(32),
            alt: "صورة المركز".to_owned(),
            credit: Some("© المركز".to_owned()),
        },
        Attachment {
            file_name: "fiche.pdf".to_owned(),
            media_type: "application/pdf".to_owned(),
            size: 0,
            sha256: "cd".repeat(32),
            alt: "fiche".to_owned(),
            credit: None,
        },
    ];

    let mut local = release("local-time", "en-GB", &[]);
    local.date = Some(ReleaseDate::Local(
        day.and_hms_nano_opt(10, 30, 15, 250_000_000).unwrap(),
    ));
    local.author = Some("Press office".to_owned());
    local.embargo = Some(DateTime::parse_from_rfc3339("2023-11-19T10:00:00.5-05:30").unwrap());
    local.format = SourceFormat::Markdown;
    local.about = Some(Section {
        heading: String::new(),
        paragraphs: Vec::new(),
        html: String::new(),
    });

    let mut plain = release("plain", "zh-Hant", &["Same", "same", "SAME!"]);
    plain.summary = String::new();

    for release in [arabic, local, plain] {
        let stored = expected(release);
        assert_eq!(round_trip(&stored), stored);
    }
}

/// While the store is open, what it commits is in its log beside the file;
/// a checkpoint puts it into the file itself.
#[test]
fn after_a_checkpoint_the_database_file_alone_holds_every_release() {
    let mut temp = TempStore::new();
    let copy_of_the_file_alone = |temp: &TempStore, name: &str| {
        let copy = temp.folder.path().join(name);
        std::fs::copy(&temp.path, &copy).unwrap();
        Store::open(&copy).unwrap().count().unwrap()
    };
    temp.store
        .store(version(
            release("first", "fr", &["Port"]),
            "first.txt",
            "v1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();
    assert_eq!(
        copy_of_the_file_alone(&temp, "before.db"),
        0,
        "still in the log"
    );
    temp.store.checkpoint().unwrap();
    assert_eq!(copy_of_the_file_alone(&temp, "after.db"), 1);
    assert_eq!(temp.store.count().unwrap(), 1);
}

#[test]
fn releases_persist_across_opening_the_file_again() {
    let mut temp = TempStore::new();
    let first = release("first", "fr", &["Port"]);
    temp.store
        .store(version(
            first.clone(),
            "first.txt",
            "v1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();
    temp.reopen();
    assert_eq!(temp.store.count().unwrap(), 1);
    temp.store
        .store(version(
            release("second", "en", &[]),
            "second.txt",
            "v1",
            at("2024-03-21T11:00:00Z"),
        ))
        .unwrap();
    temp.reopen();
    assert_eq!(temp.store.count().unwrap(), 2);
    assert_eq!(
        temp.store.release(&id("first")).unwrap().unwrap().release,
        first
    );
    assert_eq!(temp.store.history(&id("first")).unwrap().len(), 1);
}

#[test]
fn the_file_records_its_schema_version_and_uses_a_write_ahead_log() {
    let temp = TempStore::new();
    let raw = temp.raw();
    let version: u32 = raw
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_store_written_by_a_newer_pressroom_is_refused_untouched() {
    let temp = TempStore::new();
    let newer = SCHEMA_VERSION + 1;
    temp.raw()
        .pragma_update(None, "user_version", newer)
        .unwrap();
    let error = Store::open(&temp.path).unwrap_err();
    assert!(
        matches!(error, StoreError::NewerSchema { found, .. } if found == i64::from(newer)),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(&temp.path.display().to_string()),
        "{message}"
    );
    assert!(message.contains("upgrade Pressroom"), "{message}");
    let version: u32 = temp
        .raw()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, newer);
}

#[test]
fn a_file_that_is_not_a_store_is_refused_with_its_name() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("notes.db");
    std::fs::write(
        &path,
        "these are not the releases you are looking for\n".repeat(100),
    )
    .unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(matches!(error, StoreError::Open { .. }), "{error:?}");
    assert!(error.to_string().contains("notes.db"), "{error}");
    assert!(std::error::Error::source(&error).is_some());
}

#[test]
fn an_in_memory_store_works_like_a_file() {
    let mut store = Store::open_in_memory().unwrap();
    let outcome = store
        .store(version(
            release("memory", "fr", &[]),
            "m.txt",
            "v1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();
    assert_eq!(outcome, Stored::Published);
    assert_eq!(store.count().unwrap(), 1);
}

/// The daemon and a `pressroom retract` open the same file at once.
#[test]
fn two_stores_on_one_file_see_each_others_changes() {
    let mut daemon = TempStore::new();
    let mut command = Store::open(&daemon.path).unwrap();
    daemon
        .store
        .store(version(
            release("shared", "fr", &[]),
            "shared.txt",
            "v1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();
    let retracted = command
        .retract(&id("shared"), at("2024-03-21T11:00:00Z"))
        .unwrap();
    assert!(
        retracted.is_some(),
        "the second store sees the first's release"
    );
    let seen = daemon.store.release(&id("shared")).unwrap().unwrap();
    assert_eq!(seen.retracted, Some(at("2024-03-21T11:00:00Z")));
}

#[test]
fn an_update_replaces_the_attachments_of_the_release() {
    let mut temp = TempStore::new();
    let photo = |name: &str| Attachment {
        file_name: name.to_owned(),
        media_type: "image/png".to_owned(),
        size: 10,
        sha256: "00".repeat(32),
        alt: name.to_owned(),
        credit: None,
    };
    let mut first = release("with-photos", "fr", &[]);
    first.attachments = vec![photo("a.png"), photo("b.png")];
    let mut v1 = version(first, "r.md", "v1", at("2024-03-21T10:00:00Z"));
    v1.attachment_paths = vec![
        "2024/03/r.md.files/a.png".into(),
        "2024/03/r.md.files/b.png".into(),
    ];
    temp.store.store(v1).unwrap();
    let mut second = release("with-photos", "fr", &[]);
    second.attachments = vec![photo("c.png")];
    let mut v2 = version(second, "r.md", "v2", at("2024-03-21T11:00:00Z"));
    v2.attachment_paths = vec!["2024/03/r-1.md.files/c.png".into()];
    temp.store.store(v2).unwrap();
    temp.reopen();
    let stored = temp.store.release(&id("with-photos")).unwrap().unwrap();
    assert_eq!(stored.release.attachments, [photo("c.png")]);
    assert_eq!(stored.attachment_paths, ["2024/03/r-1.md.files/c.png"]);

    let mut odd = release("odd", "fr", &[]);
    odd.attachments = vec![photo("a.png")];
    let error = temp
        .store
        .store(version(odd, "odd.md", "v1", at("2024-03-21T12:00:00Z")))
        .unwrap_err();
    assert!(
        matches!(error, StoreError::AttachmentPaths { .. }),
        "{error:?}"
    );
    assert_eq!(temp.store.count().unwrap(), 1, "nothing of it was written");
}

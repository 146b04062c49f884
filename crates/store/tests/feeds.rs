//! What feeds, pages and the scheduler read: the newest releases of a scope,
//! its last change, which scopes exist, embargoes and retractions.

mod support;

use chrono::{DateTime, Utc};
use pressroom_store::{Scope, Store, StoreError};
use support::{TempStore, at, id, release, version};

/// Stores a release ingested at `ingested`, published at `published`, and
/// visible from `visible_from` (from its ingest when `None`).
fn add(
    store: &mut Store,
    name: &str,
    lang: &str,
    categories: &[&str],
    ingested: &str,
    published: &str,
    visible_from: Option<&str>,
) {
    let mut version = version(
        release(name, lang, categories),
        &format!("{name}.txt"),
        "v1",
        at(ingested),
    );
    version.published = at(published);
    version.visible_from = at(visible_from.unwrap_or(ingested));
    store.store(version).unwrap();
}

/// Six releases; at `NOW` four are visible, one is embargoed until
/// 2024-03-10T09:00 and one was retracted on 2024-03-06.
fn newsroom() -> TempStore {
    let mut temp = TempStore::new();
    let store = &mut temp.store;
    add(
        store,
        "fr-energie",
        "fr",
        &["Énergie"],
        "2024-03-01T10:00:00Z",
        "2024-03-01T10:00:00Z",
        None,
    );
    // Two names with one slug: one category, listed once.
    add(
        store,
        "en-energy",
        "en",
        &["energie", "Énergie"],
        "2024-03-02T10:00:00Z",
        "2024-03-02T10:00:00Z",
        None,
    );
    add(
        store,
        "fr-port",
        "fr",
        &["Port"],
        "2024-03-03T10:00:00Z",
        "2024-03-03T10:00:00Z",
        None,
    );
    add(
        store,
        "fr-culture",
        "fr",
        &[],
        "2024-03-04T10:00:00Z",
        "2024-03-04T10:00:00Z",
        None,
    );
    add(
        store,
        "en-embargoed",
        "en",
        &["Énergie"],
        "2024-03-04T12:00:00Z",
        "2024-03-10T09:00:00Z",
        Some("2024-03-10T09:00:00Z"),
    );
    add(
        store,
        "fr-retracted",
        "fr",
        &["Port"],
        "2024-03-05T10:00:00Z",
        "2024-03-05T10:00:00Z",
        None,
    );
    store
        .retract(&id("fr-retracted"), at("2024-03-06T10:00:00Z"))
        .unwrap();
    temp
}

const NOW: &str = "2024-03-08T00:00:00Z";
const LIFT: &str = "2024-03-10T09:00:00Z";

fn latest(store: &Store, scope: &Scope, now: &str, limit: usize) -> Vec<String> {
    let releases = store.latest(scope, at(now), limit).unwrap();
    releases.iter().map(|r| r.release.id.to_string()).collect()
}

fn language(tag: &str) -> Scope {
    Scope::Language(tag.to_owned())
}

fn category(slug: &str) -> Scope {
    Scope::Category(slug.to_owned())
}

#[test]
fn latest_lists_the_visible_releases_of_a_scope_newest_first() {
    let temp = newsroom();
    let store = &temp.store;
    assert_eq!(
        latest(store, &Scope::All, NOW, 50),
        ["fr-culture", "fr-port", "en-energy", "fr-energie"]
    );
    assert_eq!(
        latest(store, &language("fr"), NOW, 50),
        ["fr-culture", "fr-port", "fr-energie"]
    );
    assert_eq!(latest(store, &language("en"), NOW, 50), ["en-energy"]);
    assert_eq!(
        latest(store, &category("energie"), NOW, 50),
        ["en-energy", "fr-energie"]
    );
    assert_eq!(latest(store, &category("port"), NOW, 50), ["fr-port"]);
    assert!(
        latest(store, &category("Port"), NOW, 50).is_empty(),
        "scopes hold slugs"
    );
    assert!(latest(store, &language("de"), NOW, 50).is_empty());
}

#[test]
fn latest_returns_at_most_limit_releases() {
    let temp = newsroom();
    assert_eq!(
        latest(&temp.store, &Scope::All, NOW, 2),
        ["fr-culture", "fr-port"]
    );
    assert_eq!(
        latest(&temp.store, &category("energie"), NOW, 1),
        ["en-energy"]
    );
    assert!(latest(&temp.store, &Scope::All, NOW, 0).is_empty());
}

#[test]
fn an_embargoed_release_appears_in_its_scopes_once_now_reaches_visible_from() {
    let temp = newsroom();
    let store = &temp.store;
    let just_before = "2024-03-10T08:59:59.999999Z";
    for scope in [Scope::All, language("en"), category("energie")] {
        assert!(
            !latest(store, &scope, just_before, 50).contains(&"en-embargoed".to_owned()),
            "{scope}"
        );
        assert_eq!(
            latest(store, &scope, LIFT, 50)[0],
            "en-embargoed",
            "{scope}"
        );
    }
    assert_eq!(store.next_embargo(at(NOW)).unwrap(), Some(at(LIFT)));
    assert_eq!(
        store.next_embargo(at(LIFT)).unwrap(),
        None,
        "strictly after now"
    );

    let lifted = store
        .became_visible(at(NOW), at("2024-03-11T00:00:00Z"))
        .unwrap();
    let ids: Vec<_> = lifted.iter().map(|r| r.release.id.as_str()).collect();
    assert_eq!(ids, ["en-embargoed"]);
    assert!(
        store
            .became_visible(at(NOW), at(just_before))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_retracted_release_leaves_every_output_but_not_the_list() {
    let temp = newsroom();
    let store = &temp.store;
    let later = "2024-04-01T00:00:00Z";
    for scope in [Scope::All, language("fr"), category("port")] {
        assert!(
            !latest(store, &scope, later, 50).contains(&"fr-retracted".to_owned()),
            "{scope}"
        );
    }
    let mut visited = Vec::new();
    store
        .for_each_visible(at(later), |stored| {
            visited.push(stored.release.id.to_string());
            Ok(())
        })
        .unwrap();
    assert_eq!(
        visited,
        [
            "en-embargoed",
            "fr-culture",
            "fr-port",
            "en-energy",
            "fr-energie"
        ]
    );

    let list = store.list().unwrap();
    let rows: Vec<_> = list.iter().map(|e| (e.id.as_str(), e.retracted)).collect();
    assert_eq!(
        rows,
        [
            ("en-embargoed", false),
            ("fr-retracted", true),
            ("fr-culture", false),
            ("fr-port", false),
            ("en-energy", false),
            ("fr-energie", false),
        ]
    );
    assert_eq!(list[0].visible_from, at(LIFT));
    assert_eq!(list[0].lang, "en");
    assert_eq!(list[0].title, "Title of en-embargoed");
    assert_eq!(store.count().unwrap(), 6);

    // A retracted embargoed release is no longer an embargo to wait for.
    let mut temp = newsroom();
    temp.store.retract(&id("en-embargoed"), at(NOW)).unwrap();
    assert_eq!(temp.store.next_embargo(at(NOW)).unwrap(), None);
}

#[test]
fn for_each_visible_wanted_asks_about_every_visible_id_and_reads_only_the_wanted() {
    let temp = newsroom();
    let mut asked = Vec::new();
    let mut read = Vec::new();
    temp.store
        .for_each_visible_wanted(
            at(NOW),
            |id| {
                asked.push(id.to_owned());
                id.starts_with("fr-")
            },
            |stored| {
                read.push(stored.release.id.to_string());
                Ok(())
            },
        )
        .unwrap();
    let mut visible = Vec::new();
    temp.store
        .for_each_visible(at(NOW), |stored| {
            visible.push(stored.release.id.to_string());
            Ok(())
        })
        .unwrap();
    // In no particular order.
    for ids in [&mut asked, &mut read, &mut visible] {
        ids.sort();
    }
    assert_eq!(asked, visible);
    let french: Vec<String> = visible
        .into_iter()
        .filter(|id| id.starts_with("fr-"))
        .collect();
    assert!(!french.is_empty());
    assert_eq!(read, french);
}

#[test]
fn for_each_visible_stops_at_the_first_error() {
    let temp = newsroom();
    let mut calls = 0;
    let result = temp.store.for_each_visible(at(NOW), |_| {
        calls += 1;
        Err(StoreError::NoFreeId {
            id: "stand-in".to_owned(),
        })
    });
    assert!(matches!(result, Err(StoreError::NoFreeId { .. })));
    assert_eq!(calls, 1);
}

fn last_change(store: &Store, scope: &Scope, now: &str) -> Option<DateTime<Utc>> {
    store.last_change(scope, at(now)).unwrap()
}

#[test]
fn last_change_is_the_latest_change_subscribers_could_see() {
    let mut temp = newsroom();
    // The retraction of a visible release is a change of its scopes.
    assert_eq!(
        last_change(&temp.store, &Scope::All, NOW),
        Some(at("2024-03-06T10:00:00Z"))
    );
    assert_eq!(
        last_change(&temp.store, &category("port"), NOW),
        Some(at("2024-03-06T10:00:00Z"))
    );
    // The embargoed release, ingested on the 4th, is no change before it lifts…
    assert_eq!(
        last_change(&temp.store, &language("en"), NOW),
        Some(at("2024-03-02T10:00:00Z"))
    );
    assert_eq!(
        last_change(&temp.store, &category("energie"), NOW),
        Some(at("2024-03-02T10:00:00Z"))
    );
    // …and its lifting is one.
    assert_eq!(
        last_change(&temp.store, &language("en"), LIFT),
        Some(at(LIFT))
    );
    assert_eq!(
        last_change(&temp.store, &category("energie"), LIFT),
        Some(at(LIFT))
    );
    // An update is a change.
    let mut update = version(
        release("fr-energie", "fr", &["Énergie"]),
        "fr-energie.txt",
        "v2",
        at("2024-03-07T10:00:00Z"),
    );
    update.published = at("2024-03-01T10:00:00Z");
    temp.store.store(update).unwrap();
    assert_eq!(
        last_change(&temp.store, &language("fr"), NOW),
        Some(at("2024-03-07T10:00:00Z"))
    );
    assert_eq!(
        last_change(&temp.store, &category("energie"), NOW),
        Some(at("2024-03-07T10:00:00Z"))
    );
    // A release retracted before its embargo lifted never showed.
    add(
        &mut temp.store,
        "en-withdrawn",
        "en",
        &["Énergie"],
        "2024-03-09T00:00:00Z",
        "2024-03-20T00:00:00Z",
        Some("2024-03-20T00:00:00Z"),
    );
    temp.store
        .retract(&id("en-withdrawn"), at("2024-03-12T00:00:00Z"))
        .unwrap();
    assert_eq!(
        last_change(&temp.store, &language("en"), "2024-03-25T00:00:00Z"),
        Some(at(LIFT))
    );
}

#[test]
fn last_change_is_none_for_a_scope_that_never_showed_a_release() {
    let temp = newsroom();
    assert_eq!(last_change(&temp.store, &language("de"), NOW), None);
    assert_eq!(last_change(&temp.store, &category("culture"), NOW), None);
    let empty = TempStore::new();
    assert_eq!(last_change(&empty.store, &Scope::All, NOW), None);
    // Only embargoed so far.
    let mut temp = TempStore::new();
    add(
        &mut temp.store,
        "soon",
        "fr",
        &[],
        "2024-03-01T00:00:00Z",
        LIFT,
        Some(LIFT),
    );
    assert_eq!(last_change(&temp.store, &Scope::All, NOW), None);
}

#[test]
fn languages_and_categories_are_those_of_any_release_in_any_state() {
    let mut temp = newsroom();
    assert_eq!(temp.store.languages().unwrap(), ["en", "fr"]);
    // `energie` and `Énergie` are one category, named the same way whatever
    // the order releases arrived in.
    assert_eq!(
        temp.store.categories().unwrap(),
        [
            ("energie".to_owned(), "energie".to_owned()),
            ("Port".to_owned(), "port".to_owned())
        ]
    );
    // Only the retracted release is in `Port` now… (it stays a category)
    let mut update = version(release("fr-port", "fr", &[]), "fr-port.txt", "v2", at(NOW));
    update.published = at("2024-03-03T10:00:00Z");
    temp.store.store(update).unwrap();
    assert_eq!(temp.store.categories().unwrap().len(), 2);
    // …and once no release has it, it is gone.
    let mut update = version(
        release("fr-retracted", "fr", &["Culture"]),
        "fr-retracted.txt",
        "v2",
        at(NOW),
    );
    update.published = at("2024-03-05T10:00:00Z");
    temp.store.store(update).unwrap();
    assert_eq!(
        temp.store.categories().unwrap(),
        [
            ("Culture".to_owned(), "culture".to_owned()),
            ("energie".to_owned(), "energie".to_owned())
        ]
    );
    assert!(TempStore::new().store.languages().unwrap().is_empty());
}

#[test]
fn releases_published_at_the_same_instant_come_last_stored_first() {
    let mut temp = TempStore::new();
    for name in ["a", "b", "c"] {
        add(
            &mut temp.store,
            name,
            "fr",
            &["Port"],
            "2024-03-01T10:00:00Z",
            "2024-03-01T10:00:00Z",
            None,
        );
    }
    assert_eq!(latest(&temp.store, &Scope::All, NOW, 50), ["c", "b", "a"]);
    assert_eq!(
        latest(&temp.store, &language("fr"), NOW, 50),
        ["c", "b", "a"]
    );
    assert_eq!(
        latest(&temp.store, &category("port"), NOW, 50),
        ["c", "b", "a"]
    );
}

/// A category with no letter or digit has the product's one slug, also in a
/// store an earlier build left with an empty slug for it.
#[test]
fn a_category_without_letters_is_found_under_the_slug_pages_link_to() {
    let mut temp = TempStore::new();
    add(
        &mut temp.store,
        "stars",
        "fr",
        &["★", "✦✦", "Énergie"],
        "2024-03-01T10:00:00Z",
        "2024-03-01T10:00:00Z",
        None,
    );
    let star = pressroom_store::category_slug("★");
    assert_eq!(star, "c-88960946");
    assert_eq!(latest(&temp.store, &category(&star), NOW, 10), ["stars"]);

    // As an earlier build stored it: both symbol categories with an empty
    // slug, the second marked as a repeat of the first.
    temp.raw()
        .execute_batch(
            "UPDATE categories SET slug = '', repeated = (position = 1) WHERE name IN ('★', '✦✦')",
        )
        .unwrap();
    temp.reopen();
    assert_eq!(latest(&temp.store, &category(&star), NOW, 10), ["stars"]);
    let other = pressroom_store::category_slug("✦✦");
    assert_ne!(other, star);
    assert_eq!(latest(&temp.store, &category(&other), NOW, 10), ["stars"]);
    let empty: i64 = temp
        .raw()
        .query_row(
            "SELECT count(*) FROM categories WHERE slug = ''",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(empty, 0);
}

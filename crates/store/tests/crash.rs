//! A change is all or nothing: a failure half-way through, or a process
//! killed inside its transaction, leaves the store as it was.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use pressroom_store::{Scope, Store, StoreError, Stored};
use support::{TempStore, at, id, release, version};

#[test]
fn a_change_that_fails_half_way_leaves_the_store_as_it_was() {
    let mut temp = TempStore::new();
    let stored = temp
        .store
        .store(version(
            release("old", "fr", &["Port"]),
            "old.txt",
            "v1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();
    assert_eq!(stored, Stored::Published);
    let before = temp.store.release(&id("old")).unwrap().unwrap();

    // A change writes its history entry last: failing it fails each change
    // after the release row and its categories were written.
    temp.raw()
        .execute_batch(
            "CREATE TRIGGER fail_history BEFORE INSERT ON history
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
        )
        .unwrap();
    let later = at("2024-03-22T10:00:00Z");
    let new = version(release("new", "en", &["Énergie"]), "new.txt", "v1", later);
    let error = temp.store.store(new).unwrap_err();
    assert!(matches!(error, StoreError::Write { .. }), "{error:?}");
    assert!(error.to_string().contains("release 'new'"), "{error}");
    let update = version(release("old", "fr", &["Culture"]), "old.txt", "v2", later);
    assert!(temp.store.store(update).is_err());
    assert!(temp.store.retract(&id("old"), later).is_err());
    temp.raw()
        .execute_batch("DROP TRIGGER fail_history")
        .unwrap();
    temp.reopen();

    let store = &temp.store;
    assert_eq!(store.release(&id("old")).unwrap().unwrap(), before);
    assert_eq!(store.release(&id("new")).unwrap(), None);
    assert_eq!(store.count().unwrap(), 1);
    assert_eq!(store.history(&id("old")).unwrap().len(), 1);
    assert_eq!(store.languages().unwrap(), ["fr"]);
    assert_eq!(
        store.categories().unwrap(),
        [("Port".to_owned(), "port".to_owned())]
    );
    let now = at("2024-03-23T10:00:00Z");
    assert_eq!(
        store
            .latest(&Scope::Category("port".to_owned()), now, 50)
            .unwrap(),
        [before]
    );
    assert!(
        store
            .latest(&Scope::Category("energie".to_owned()), now, 50)
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .latest(&Scope::Category("culture".to_owned()), now, 50)
            .unwrap()
            .is_empty()
    );
    let rows: i64 = temp
        .raw()
        .query_row("SELECT COUNT(*) FROM categories", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 1, "no category row of the failed changes is left");
}

#[test]
fn a_batch_that_goes_on_after_a_failed_change_commits_nothing() {
    let mut temp = TempStore::new();
    let t = at("2024-03-21T10:00:00Z");
    temp.raw()
        .execute_batch(
            "CREATE TRIGGER fail_second BEFORE INSERT ON history WHEN
                 (SELECT id FROM releases WHERE pk = NEW.release) = 'second'
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;",
        )
        .unwrap();
    let result: Result<Vec<bool>, StoreError> = temp.store.batch(|store| {
        let mut stored = Vec::new();
        for name in ["first", "second", "third"] {
            // A caller that notes the failure and goes on.
            let outcome = store.store(version(
                release(name, "fr", &[]),
                &format!("{name}.txt"),
                "v1",
                t,
            ));
            stored.push(outcome.is_ok());
        }
        Ok(stored)
    });
    let error = result.unwrap_err();
    assert!(matches!(error, StoreError::BatchFailed { .. }), "{error:?}");
    assert!(error.to_string().contains("pressroom.db"), "{error}");
    assert_eq!(temp.store.count().unwrap(), 0);

    // The next batch starts afresh.
    temp.raw()
        .execute_batch("DROP TRIGGER fail_second")
        .unwrap();
    let stored = temp
        .store
        .batch(|store| store.store(version(release("first", "fr", &[]), "first.txt", "v1", t)));
    assert_eq!(stored.unwrap(), Stored::Published);
    assert_eq!(temp.store.count().unwrap(), 1);
}

/// Set in the child process that the test below runs and kills.
const CHILD_STORE: &str = "PRESSROOM_STORE_TEST_CHILD_STORE";
const READY: &str = "child: inside the transaction";

#[test]
fn a_process_killed_inside_a_batch_leaves_the_store_as_it_was() {
    if let Ok(path) = std::env::var(CHILD_STORE) {
        fill_a_batch_and_wait(&path);
        return;
    }
    let mut temp = TempStore::new();
    temp.store
        .store(version(
            release("old", "fr", &["Port"]),
            "old.txt",
            "v1",
            at("2024-03-21T10:00:00Z"),
        ))
        .unwrap();
    let before = temp.store.release(&id("old")).unwrap().unwrap();
    drop(temp.store);

    let mut child = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_process_killed_inside_a_batch_leaves_the_store_as_it_was",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_STORE, &temp.path)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = BufReader::new(child.0.stdout.take().unwrap());
    // The test harness prints the test's name on the same line.
    let ready = stdout
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains(READY));
    assert!(ready, "the child process ended before it was ready");
    // The batch is big enough that SQLite has already written part of it to
    // the log: the kill leaves uncommitted pages on disk, not just in memory.
    let wal = temp.path.with_extension("db-wal");
    let wal_size = std::fs::metadata(&wal).unwrap().len();
    assert!(wal_size > 1_000_000, "only {wal_size} bytes in the log");
    child.0.kill().unwrap();
    child.0.wait().unwrap();

    let store = Store::open(&temp.path).unwrap();
    assert_eq!(store.count().unwrap(), 1);
    assert_eq!(store.release(&id("old")).unwrap().unwrap(), before);
    assert_eq!(store.release(&id("new-0")).unwrap(), None);
    assert_eq!(store.languages().unwrap(), ["fr"]);
    let check: String = rusqlite::Connection::open(&temp.path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // And the store takes changes again.
    let mut store = store;
    let new = version(
        release("new-0", "en", &[]),
        "new-0.txt",
        "v1",
        at("2024-03-22T10:00:00Z"),
    );
    assert_eq!(store.store(new).unwrap(), Stored::Published);
}

/// A child process that cannot outlive a failed test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// In the child: stores releases in one batch, says so, and waits inside the
/// batch to be killed.
fn fill_a_batch_and_wait(path: &str) {
    let mut store = Store::open(std::path::Path::new(path)).unwrap();
    let _: Result<(), StoreError> = store.batch(|store| {
        for n in 0..2_000 {
            let mut release = release(&format!("new-{n}"), "en", &["Énergie", "Port"]);
            // Words that do not repeat, so that the stored text stays large
            // once compressed.
            let words: String = (0..400u64)
                .map(|k| {
                    format!(
                        "{:x} ",
                        (n * 7919 + k).wrapping_mul(2_654_435_761) % 1_000_003
                    )
                })
                .collect();
            release.paragraphs = vec![words];
            release.body_html = format!("<p>{}</p>", release.paragraphs[0]);
            store.store(version(
                release,
                &format!("new-{n}.txt"),
                "v1",
                at("2024-03-22T10:00:00Z"),
            ))?;
        }
        println!("{READY}");
        loop {
            std::thread::park();
        }
    });
}

#[test]
fn a_checkpoint_from_another_thread_puts_committed_releases_in_the_database_file() {
    let mut temp = TempStore::new();
    temp.store.defer_commit_sync().unwrap();
    let checkpointer = temp
        .store
        .log_checkpointer()
        .unwrap()
        .expect("a file store keeps a log");
    // The schema, which opening the store wrote to the log.
    checkpointer.checkpoint().unwrap();
    let store_group = |store: &mut Store, first: usize| {
        store
            .batch(|store| {
                for n in first..first + 200 {
                    let name = format!("r{n}");
                    store.store(version(
                        release(&name, "fr", &["Port"]),
                        &format!("{name}.txt"),
                        "v1",
                        at("2024-03-21T10:00:00Z"),
                    ))?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
    };
    store_group(&mut temp.store, 0);
    // Only the log holds the group: a copy of the database file alone
    // has none of it.
    let releases_in_file_alone = |temp: &TempStore| {
        let copy = temp.folder.path().join("copy.db");
        std::fs::copy(&temp.path, &copy).unwrap();
        let count = rusqlite::Connection::open(&copy)
            .unwrap()
            .query_row("SELECT count(*) FROM releases", [], |row| {
                row.get::<_, i64>(0)
            })
            .unwrap();
        std::fs::remove_file(&copy).unwrap();
        count
    };
    assert_eq!(releases_in_file_alone(&temp), 0);

    // Checkpointed on another thread while the store writes the next group.
    let checkpointer = std::thread::scope(|scope| {
        let checkpoint = scope.spawn(move || checkpointer.checkpoint().map(|()| checkpointer));
        store_group(&mut temp.store, 200);
        checkpoint.join().unwrap().unwrap()
    });
    assert!(releases_in_file_alone(&temp) >= 200);
    checkpointer.checkpoint().unwrap();
    assert_eq!(releases_in_file_alone(&temp), 400);
    assert_eq!(temp.store.count().unwrap(), 400);
}

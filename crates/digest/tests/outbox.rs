//! The outbox folder: one complete `.eml` file per message, nothing else.

use pressroom_digest::{Address, Email, MessageId, Outbox};

fn email(id: &str, body: &str) -> Email {
    Email {
        message_id: MessageId::parse(id).expect("valid"),
        recipient: Address::parse("jean@example.org").expect("valid"),
        envelope_sender: Address::parse("press@example.org").expect("valid"),
        bytes: format!("Subject: test\r\n\r\n{body}\r\n").into_bytes(),
    }
}

fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable")
        .map(|entry| {
            entry
                .expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn messages_are_written_whole_under_their_message_id() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let outbox = Outbox::new(dir.path());
    let first = email("digest.1@press.example.org", "first");
    let path = outbox.write(&first).expect("written");
    assert_eq!(path, dir.path().join("digest.1@press.example.org.eml"));
    assert_eq!(std::fs::read(&path).expect("readable"), first.bytes);
    outbox
        .write(&email("digest.2@press.example.org", "second"))
        .expect("written");

    // Written again (a run repeated after a crash): replaced, not doubled.
    let again = email("digest.1@press.example.org", "first, again");
    outbox.write(&again).expect("written");
    assert_eq!(std::fs::read(&path).expect("readable"), again.bytes);
    assert_eq!(
        files(dir.path()),
        [
            "digest.1@press.example.org.eml",
            "digest.2@press.example.org.eml"
        ],
        "no temporary file is left behind"
    );
}

#[test]
fn a_missing_folder_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let outbox = Outbox::new(dir.path().join("missing"));
    let error = outbox
        .write(&email("digest.1@press.example.org", "x"))
        .expect_err("no folder");
    assert!(
        error
            .to_string()
            .contains("missing/digest.1@press.example.org.eml"),
        "{error}"
    );
}

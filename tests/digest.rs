//! End-to-end: digest emails through the real binary: `digest preview`,
//! `digest send`, the daemon's schedule, delivery to a real SMTP server
//! (aiosmtpd), crashes, and unsubscribing. Messages are read back with an
//! independent parser (mail-parser).

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::{Timelike, Utc};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use support::smtp::SmtpServer;
use support::{Process, TestWorkspace, text, wait_for};

const DEADLINE: Duration = Duration::from_secs(30);

/// `daily HH:MM` two hours ago (UTC): the schedule never fires during a
/// test, and the first window starts before anything the test publishes.
fn quiet_schedule() -> String {
    let at = Utc::now() - chrono::Duration::hours(2);
    format!("daily {:02}:{:02}", at.hour(), at.minute())
}

/// A workspace with one digest `daily` (plus `digest` lines) and email
/// settings `email` (keys of the written config).
fn workspace(email: &[(&str, &str)], digest: &str) -> TestWorkspace {
    let workspace = TestWorkspace::new(&[("from", "\"press@example.org\"")]);
    workspace.set(email);
    let mut config = std::fs::read_to_string(workspace.config()).unwrap();
    config.push_str(&format!(
        "\n[[digest]]\nname = \"daily\"\nschedule = \"{}\"\ndescription = \"Every release of the day\"\n{digest}\n",
        quiet_schedule()
    ));
    std::fs::write(workspace.config(), config).unwrap();
    workspace
}

fn subscribers(workspace: &TestWorkspace, csv: &str) {
    std::fs::write(workspace.path("subscribers.csv"), csv).unwrap();
}

fn many_subscribers(workspace: &TestWorkspace, count: usize) -> Vec<String> {
    let addresses: Vec<String> = (0..count)
        .map(|n| format!("reader{n:03}@example.org"))
        .collect();
    let mut csv = String::from("address,name,language,digests\n");
    for address in &addresses {
        csv.push_str(&format!("{address},,fr,daily\n"));
    }
    subscribers(workspace, &csv);
    addresses
}

fn release(title: &str, lang: &str) -> String {
    match lang {
        "ar" => format!(
            "{title}\n\nالرياض، 24 مارس 2022\n\nأعلنت الهيئة اليوم عن {title} في مؤتمر صحفي عقد في العاصمة.\n"
        ),
        _ => format!(
            "{title}\n\nParis, 3 mars 2024\n\nLa société annonce aujourd'hui « {title} » devant la presse.\n"
        ),
    }
}

fn parse(bytes: &[u8]) -> Message<'_> {
    MessageParser::default()
        .parse(bytes)
        .expect("mail-parser reads the message")
}

/// The header's raw value, unfolded.
fn raw<'a>(message: &'a Message<'a>, name: &str) -> String {
    message
        .header_raw(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .replace("\r\n", "")
        .trim()
        .to_owned()
}

fn outbox(workspace: &TestWorkspace) -> Vec<Vec<u8>> {
    support::walk(&workspace.path("outbox"))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .map(|path| std::fs::read(path).unwrap())
        .collect()
}

/// The message in `messages` addressed to `address`.
fn message_to<'a>(messages: &'a [Vec<u8>], address: &str) -> &'a [u8] {
    messages
        .iter()
        .find(|bytes| {
            parse(bytes)
                .to()
                .and_then(|to| to.first())
                .and_then(|to| to.address())
                == Some(address)
        })
        .unwrap_or_else(|| panic!("no message to {address}"))
}

/// The one-click link of a message (List-Unsubscribe's http(s) URL).
fn one_click_link(message: &Message<'_>) -> String {
    raw(message, "List-Unsubscribe")
        .split(',')
        .map(|link| link.trim().trim_start_matches('<').trim_end_matches('>'))
        .find(|link| link.starts_with("http"))
        .expect("an http(s) unsubscribe link")
        .to_owned()
}

fn send(workspace: &TestWorkspace) -> (i32, String, String) {
    let output = workspace.run(&["digest", "send", "daily"]);
    (
        output.status.code().unwrap_or(-1),
        text(&output.stdout),
        text(&output.stderr),
    )
}

#[test]
fn digests_are_well_formed_messages_in_each_subscribers_language() {
    let workspace = workspace(&[], "");
    subscribers(
        &workspace,
        "address,name,language,digests\n\
         jean@example.org,Jean Dupont,fr,daily\n\
         amira@example.org,أميرة,ar,\n\
         not an address,Broken,fr,daily\n\
         ann@example.org,Ann,en,weekly\n",
    );
    workspace.drop_file(
        "energie.txt",
        release("La centrale solaire de Marseille", "fr"),
    );
    workspace.drop_file("ryad.txt", release("افتتاح محطة الطاقة الشمسية", "ar"));
    workspace.drop_file(
        "evil.md",
        "---\ntitle: \"Résultats\\r\\nBcc: victim@evil.org\"\ndate: 2024-03-03\n---\n\nLe texte des résultats annuels de la société.\n",
    );
    workspace.publish(0);

    let (code, stdout, stderr) = send(&workspace);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("sent 2"), "{stdout}");
    assert!(
        stderr.contains("line 4") && stderr.contains("not an address"),
        "the bad line is reported with its number: {stderr}"
    );

    let messages = outbox(&workspace);
    assert_eq!(messages.len(), 2, "Jean and Amira; Ann takes only 'weekly'");
    let mut ids = Vec::new();
    for bytes in &messages {
        // Raw form: ASCII, CRLF only, no line over 998 octets, no injected header.
        let raw_text = std::str::from_utf8(bytes).expect("messages are ASCII");
        assert!(!raw_text.replace("\r\n", "").contains(['\r', '\n']));
        assert!(raw_text.split("\r\n").all(|line| line.len() <= 998));
        let head = &raw_text[..raw_text.find("\r\n\r\n").unwrap()];
        assert!(
            !head.to_ascii_lowercase().contains("\r\nbcc:"),
            "a title added a header:\n{head}"
        );

        let message = parse(bytes);
        let from = message.from().and_then(|f| f.first()).expect("From");
        assert_eq!(from.address(), Some("press@example.org"));
        assert_eq!(from.name(), Some("Press releases"));
        assert!(message.date().is_some(), "Date");
        let id = message.message_id().expect("Message-ID").to_owned();
        assert!(id.ends_with("@example.org"), "{id}");
        ids.push(id);
        assert_eq!(raw(&message, "MIME-Version"), "1.0");
        assert_eq!(raw(&message, "Auto-Submitted"), "auto-generated");
        assert!(raw(&message, "List-Id").contains("<daily.example.org>"));
        assert_eq!(
            raw(&message, "List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click"
        );
        let link = one_click_link(&message);
        assert!(
            link.starts_with("https://press.example.org/unsubscribe?list=daily&address="),
            "{link}"
        );
        assert!(message.header("Bcc").is_none());

        let root = message.root_part();
        let content_type = root.content_type().expect("Content-Type");
        assert_eq!(
            (content_type.ctype(), content_type.subtype()),
            ("multipart", Some("alternative"))
        );
        let PartType::Multipart(children) = &root.body else {
            panic!("not multipart");
        };
        assert_eq!(children.len(), 2);
        let text = message.body_text(0).expect("a text part");
        let html = message.body_html(0).expect("an HTML part");
        for body in [&text, &html] {
            assert!(body.contains("La centrale solaire de Marseille"), "{body}");
            assert!(body.contains("افتتاح محطة الطاقة الشمسية"), "{body}");
            assert!(body.contains("https://press.example.org/"), "{body}");
        }
        // The title that tried to add a header is one line of the body.
        assert!(text.contains("Résultats Bcc: victim@evil.org"), "{text}");
        // Arabic releases are right-to-left, whoever reads them.
        assert!(html.contains("dir=\"rtl\""), "{html}");
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2, "Message-IDs are unique");

    let jean = parse(message_to(&messages, "jean@example.org"));
    let subject = jean.subject().expect("Subject");
    assert!(subject.starts_with("Press releases: "), "{subject}");
    assert!(
        jean.body_html(0).unwrap().contains("lang=\"fr\""),
        "Jean reads French labels"
    );
    let amira = parse(message_to(&messages, "amira@example.org"));
    let subject = amira.subject().expect("Subject");
    assert!(
        subject
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "an Arabic subject, RFC 2047-encoded and decoded back: {subject}"
    );
    assert!(raw(&amira, "Subject").contains("=?UTF-8?"), "encoded words");
    assert!(
        amira
            .body_html(0)
            .unwrap()
            .contains("<html lang=\"ar\" dir=\"rtl\"")
    );
}

#[test]
fn preview_writes_the_next_digest_and_sends_nothing() {
    let workspace = workspace(&[], "");
    subscribers(
        &workspace,
        "address,name,language,digests\njean@example.org,Jean,fr,\n",
    );
    workspace.drop_file("a.txt", release("Un communiqué à prévisualiser", "fr"));
    workspace.publish(0);

    let output = workspace.run(&["digest", "preview", "daily", "--to", "visitor@example.org"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let message = parse(&output.stdout);
    let to = message
        .to()
        .and_then(|t| t.first())
        .and_then(|t| t.address());
    assert_eq!(to, Some("visitor@example.org"));
    assert!(
        message
            .body_text(0)
            .unwrap()
            .contains("Un communiqué à prévisualiser")
    );
    assert!(text(&output.stderr).contains("1 release(s)"));

    // Nothing was sent or recorded: the next send has the same release.
    assert!(outbox(&workspace).is_empty());
    let list = text(&workspace.run(&["digest", "list"]).stdout);
    assert!(list.contains("no run yet"), "{list}");
    let (code, stdout, _) = send(&workspace);
    assert_eq!(code, 0);
    assert!(stdout.contains("1 release(s); sent 1"), "{stdout}");

    // An unknown digest is a clear error.
    let output = workspace.run(&["digest", "preview", "weekly"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no digest named 'weekly' (configured: daily)"));
}

#[test]
fn an_empty_window_sends_nothing_and_each_release_goes_out_once() {
    let workspace = workspace(&[], "");
    subscribers(
        &workspace,
        "address,name,language,digests\njean@example.org,Jean,fr,\n",
    );
    let (code, stdout, _) = send(&workspace);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing to send"), "{stdout}");
    assert!(outbox(&workspace).is_empty());

    workspace.drop_file("a.txt", release("Premier communiqué", "fr"));
    workspace.publish(0);
    let (code, stdout, _) = send(&workspace);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(outbox(&workspace).len(), 1);

    // The window moved on: the same release is not sent again.
    let (_, stdout, _) = send(&workspace);
    assert!(stdout.contains("nothing to send"), "{stdout}");
    workspace.drop_file("b.txt", release("Second communiqué", "fr"));
    workspace.publish(0);
    send(&workspace);
    let messages = outbox(&workspace);
    assert_eq!(messages.len(), 2);
    let second = messages
        .iter()
        .map(|m| parse(m).body_text(0).unwrap().into_owned())
        .find(|body| body.contains("Second communiqué"))
        .expect("the second digest");
    assert!(!second.contains("Premier communiqué"), "{second}");
}

#[test]
fn filters_by_language_and_category() {
    let workspace = workspace(&[], "languages = [\"ar\"]\ncategories = [\"Énergie\"]\n");
    subscribers(
        &workspace,
        "address,name,language,digests\njean@example.org,Jean,fr,\n",
    );
    workspace.drop_file("energie/fr.txt", release("Énergie en français", "fr"));
    workspace.drop_file("energie/ar.txt", release("الطاقة بالعربية", "ar"));
    workspace.drop_file("sport/ar.txt", release("الرياضة بالعربية", "ar"));
    workspace.publish(0);
    let (code, stdout, stderr) = send(&workspace);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let messages = outbox(&workspace);
    let body = parse(&messages[0]).body_text(0).unwrap().into_owned();
    assert!(body.contains("الطاقة بالعربية"), "{body}");
    assert!(
        !body.contains("Énergie en français") && !body.contains("الرياضة"),
        "{body}"
    );
}

fn use_smtp(workspace: &TestWorkspace, server: &SmtpServer, extra: &[(&str, &str)]) {
    workspace.set(&[
        ("host", "\"127.0.0.1\""),
        ("port", &server.port.to_string()),
        ("tls", "\"none\""),
        ("helo_name", "\"client.test\""),
    ]);
    workspace.set(extra);
}

#[test]
fn smtp_delivery_survives_dropped_connections_and_sends_each_message_once() {
    let Some(server) = SmtpServer::start(&["--drop-after", "4", "--drop-after", "11"]) else {
        return;
    };
    let workspace = workspace(&[], "");
    use_smtp(&workspace, &server, &[("connections", "2")]);
    let addresses = many_subscribers(&workspace, 30);
    workspace.drop_file("a.txt", release("Livré malgré les coupures", "fr"));
    workspace.publish(0);

    let (code, stdout, stderr) = send(&workspace);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("sent 30"), "{stdout}");
    let received = server.received();
    let expected: BTreeMap<String, usize> = addresses.iter().map(|a| (a.clone(), 1)).collect();
    assert_eq!(received, expected, "every subscriber exactly once");
    let message = &server.messages()[0];
    assert!(
        parse(message)
            .body_text(0)
            .unwrap()
            .contains("Livré malgré les coupures")
    );
}

#[test]
fn refused_recipients_are_recorded_and_not_retried() {
    let Some(server) = SmtpServer::start(&["--reject", "reader001@example.org"]) else {
        return;
    };
    let workspace = workspace(&[], "");
    use_smtp(&workspace, &server, &[]);
    many_subscribers(&workspace, 3);
    workspace.drop_file("a.txt", release("Refusé pour un seul", "fr"));
    workspace.publish(0);
    let (code, stdout, _) = send(&workspace);
    assert_eq!(
        code, 1,
        "a refused recipient makes the run incomplete: {stdout}"
    );
    assert!(stdout.contains("sent 2, refused 1"), "{stdout}");
    let (_, stdout, _) = send(&workspace);
    assert!(stdout.contains("nothing to send"), "{stdout}");
    assert_eq!(server.count(), 2);
}

/// Starts `pressroom --config <workspace> ARGS`.
fn start(workspace: &TestWorkspace, args: &[&str]) -> Process {
    Process::spawn(pressroom_command(workspace, args))
}

/// `pressroom --config <workspace> ARGS`, logging at info level.
fn pressroom_command(workspace: &TestWorkspace, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pressroom"));
    command
        .args(["--config", workspace.config().to_str().unwrap()])
        .args(args)
        .env("PRESSROOM_LOG", "info")
        .env_remove("NOTIFY_SOCKET");
    command
}

fn sent_so_far(workspace: &TestWorkspace) -> usize {
    let list = text(&workspace.run(&["digest", "list"]).stdout);
    list.split([';', ','])
        .find_map(|part| part.trim().strip_suffix(" sent"))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_sender_killed_mid_run_is_resumed_by_the_daemon_without_duplicates_or_gaps() {
    // The first server stops answering after 10 messages, so the sender is
    // killed at a known point: 10 recorded, the next ones under way.
    let Some(first) = SmtpServer::start(&["--hang-after", "10"]) else {
        return;
    };
    let workspace = workspace(&[], "");
    use_smtp(
        &workspace,
        &first,
        &[("connections", "2"), ("timeout_s", "120")],
    );
    let addresses = many_subscribers(&workspace, 40);
    workspace.drop_file("a.txt", release("Envoyé malgré un arrêt brutal", "fr"));
    workspace.publish(0);

    let mut sender = start(&workspace, &["digest", "send", "daily"]);
    wait_for("10 messages marked sent", DEADLINE, || {
        sent_so_far(&workspace) == 10
    });
    sender.child.kill().unwrap(); // SIGKILL
    sender.child.wait().unwrap();
    assert_eq!(first.count(), 10);

    // A daemon started afterwards resumes the unfinished run.
    let Some(second) = SmtpServer::start(&[]) else {
        return;
    };
    use_smtp(&workspace, &second, &[]);
    let daemon = start(&workspace, &["run"]);
    daemon.wait_log("digest run finished", DEADLINE);
    let mut received = first.received();
    for (address, count) in second.received() {
        *received.entry(address).or_default() += count;
    }
    let expected: BTreeMap<String, usize> = addresses.iter().map(|a| (a.clone(), 1)).collect();
    assert_eq!(received, expected, "nobody twice, nobody skipped");
    // The same run: the resumed messages carry the same release.
    assert!(
        parse(&second.messages()[0])
            .body_text(0)
            .unwrap()
            .contains("Envoyé malgré un arrêt brutal")
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.1 request; returns the status and the body.
fn http(address: &str, method: &str, target: &str, body: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The path and query of a link, for a request to the local server.
fn target_of(link: &str) -> String {
    let after_scheme = link.split_once("://").unwrap().1;
    after_scheme[after_scheme.find('/').unwrap()..].to_owned()
}

#[test]
fn unsubscribing_by_one_click_by_link_and_by_command_is_honoured() {
    let address = format!("127.0.0.1:{}", free_port());
    let workspace = workspace(
        &[
            (
                "unsubscribe_url",
                &format!("\"http://{address}/unsubscribe\""),
            ),
            ("unsubscribe_mailto", "\"unsubscribe@example.org\""),
        ],
        "",
    );
    subscribers(
        &workspace,
        "address,name,language,digests\n\
         jean@example.org,Jean,fr,\n\
         amira@example.org,Amira,ar,\n\
         ann@example.org,Ann,en,\n\
         bob@example.org,Bob,en,\n",
    );
    workspace.drop_file("a.txt", release("Avant la désinscription", "fr"));
    let daemon = start(&workspace, &["run", "--serve", &address]);
    daemon.wait_log("ready", DEADLINE);
    let (code, stdout, stderr) = send(&workspace);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let messages = outbox(&workspace);
    assert_eq!(messages.len(), 4);
    let link = |to: &str| one_click_link(&parse(message_to(&messages, to)));
    assert!(
        raw(&parse(&messages[0]), "List-Unsubscribe")
            .contains("<mailto:unsubscribe@example.org?subject=unsubscribe%20daily>")
    );

    // A forged token, and Jean's token replayed for Bob, are refused.
    let jean = target_of(&link("jean@example.org"));
    let forged = format!("{}x", &jean[..jean.len() - 1]);
    assert_eq!(
        http(&address, "POST", &forged, "List-Unsubscribe=One-Click").0,
        403
    );
    let replayed = jean.replace("jean%40example.org", "bob%40example.org");
    assert_eq!(
        http(&address, "POST", &replayed, "List-Unsubscribe=One-Click").0,
        403
    );

    // One-click (RFC 8058) for Jean, the link in a browser for Amira.
    let (status, _) = http(&address, "POST", &jean, "List-Unsubscribe=One-Click");
    assert_eq!(status, 200);
    let (status, page) = http(&address, "GET", &target_of(&link("amira@example.org")), "");
    assert_eq!(status, 200);
    assert!(page.contains("lang=\"ar\" dir=\"rtl\""), "{page}");
    assert!(page.contains("تم إلغاء اشتراكك"), "{page}");
    // By mail, handled by the operator; and undone for Bob, who changed his mind.
    for args in [
        &["unsubscribe", "ann@example.org"][..],
        &["unsubscribe", "bob@example.org"],
        &["unsubscribe", "--undo", "bob@example.org"],
    ] {
        let output = workspace.run(args);
        assert!(output.status.success(), "{}", text(&output.stderr));
    }

    workspace.drop_file("b.txt", release("Après la désinscription", "fr"));
    wait_for("the second release published", DEADLINE, || {
        std::fs::read_to_string(workspace.path("public/atom.xml"))
            .is_ok_and(|feed| feed.contains("Après la désinscription"))
    });
    let (code, stdout, stderr) = send(&workspace);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("sent 1, refused 0, unsubscribed 3"),
        "{stdout}"
    );
    let after: Vec<Vec<u8>> = outbox(&workspace)
        .into_iter()
        .filter(|m| {
            parse(m)
                .body_text(0)
                .is_some_and(|b| b.contains("Après la désinscription"))
        })
        .collect();
    assert_eq!(after.len(), 1);
    message_to(&after, "bob@example.org");
}

/// The fake clock: libfaketime (Debian package `libfaketime`) preloaded into
/// the binary, which then runs as if started at a chosen instant, its clock
/// going on from there. `None` (skip) without it, unless
/// PRESSROOM_REQUIRE_VALIDATORS=1.
///
/// Not through the `faketime` wrapper: it forks, so killing it left the
/// daemon running; and it names a semaphore in /dev/shm after its own PID,
/// which a killed wrapper leaves behind, so that a later wrapper given the
/// same PID refused to start ("sem_open: File exists"), as happened in CI.
/// Preloaded into a single process, the library needs no such semaphore,
/// and goes on without it when the name is taken.
fn libfaketime() -> Option<PathBuf> {
    let found = ["/usr/lib", "/usr/lib64", "/usr/local/lib"]
        .iter()
        .flat_map(|root| {
            // Debian puts it under the multiarch folder, such as
            // /usr/lib/x86_64-linux-gnu/faketime.
            let multiarch = std::fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path());
            std::iter::once(PathBuf::from(root)).chain(multiarch)
        })
        .map(|folder| folder.join("faketime/libfaketime.so.1"))
        .find(|library| library.is_file());
    support::installed_or_skip("libfaketime", found.is_some());
    found
}

/// Sets `command` to start at the instant `at` (`YYYY-MM-DD HH:MM:SS`, UTC)
/// on its wall clock; its timers keep the real monotonic clock.
fn on_fake_clock(command: &mut Command, library: &Path, at: &str) {
    command
        .env("TZ", "UTC")
        .env("LD_PRELOAD", library)
        .env("FAKETIME", format!("@{at}"))
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
}

/// A daemon on the fake clock, killed when dropped. Killed, it cannot
/// remove the semaphore and shared memory that libfaketime named after its
/// PID in /dev/shm, so this does.
struct FakeClockDaemon(Process);

impl FakeClockDaemon {
    fn start(workspace: &TestWorkspace, library: &Path, at: &str) -> FakeClockDaemon {
        let mut command = pressroom_command(workspace, &["run"]);
        on_fake_clock(&mut command, library, at);
        FakeClockDaemon(Process::spawn(command))
    }
}

impl std::ops::Deref for FakeClockDaemon {
    type Target = Process;
    fn deref(&self) -> &Process {
        &self.0
    }
}

impl Drop for FakeClockDaemon {
    fn drop(&mut self) {
        let pid = self.0.child.id();
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
        for name in [
            format!("/dev/shm/sem.faketime_sem_{pid}"),
            format!("/dev/shm/faketime_shm_{pid}"),
        ] {
            let _ = std::fs::remove_file(name);
        }
    }
}

#[test]
fn the_daemon_sends_a_weekly_digest_on_time_across_a_daylight_saving_change() {
    let Some(libfaketime) = libfaketime() else {
        return;
    };
    // Sunday 29 March 2026: Paris moves from UTC+1 to UTC+2 at 01:00 UTC.
    // The daemon starts 20 s before 08:00 Paris time (06:00 UTC).
    let workspace = TestWorkspace::new(&[
        ("from", "\"press@example.org\""),
        ("time_zone", "\"Europe/Paris\""),
    ]);
    let mut config = std::fs::read_to_string(workspace.config()).unwrap();
    config.push_str(
        "\n[[digest]]\nname = \"weekly\"\nschedule = \"weekly sunday 08:00\"\ndescription = \"The week's releases\"\n",
    );
    std::fs::write(workspace.config(), config).unwrap();
    subscribers(
        &workspace,
        "address,name,language,digests\njean@example.org,Jean,fr,weekly\n",
    );
    workspace.drop_file(
        "a.txt",
        release("Publié le dimanche du changement d'heure", "fr"),
    );
    let daemon = FakeClockDaemon::start(&workspace, &libfaketime, "2026-03-29 05:59:40");
    daemon.wait_log("ready", DEADLINE);
    wait_for(
        "the weekly digest in the outbox",
        Duration::from_secs(60),
        || !outbox(&workspace).is_empty(),
    );
    let messages = outbox(&workspace);
    assert_eq!(messages.len(), 1, "{}", daemon.log());
    let message = parse(&messages[0]);
    assert!(
        message
            .body_text(0)
            .unwrap()
            .contains("Publié le dimanche du changement d'heure")
    );
    let date = raw(&message, "Date");
    assert!(
        date.starts_with("Sun, 29 Mar 2026 08:00:") && date.ends_with("+0200"),
        "sent at 08:00 summer time: {date}"
    );
}

#[test]
fn a_rebuilt_store_keeps_unsubscriptions_and_what_was_sent() {
    let workspace = workspace(&[], "");
    subscribers(
        &workspace,
        "address,name,language,digests\njean@example.org,Jean,fr,\nann@example.org,Ann,en,\n",
    );
    workspace.drop_file("a.txt", release("Avant la reconstruction", "fr"));
    workspace.publish(0);
    assert_eq!(send(&workspace).0, 0);
    assert!(
        workspace
            .run(&["unsubscribe", "ann@example.org"])
            .status
            .success()
    );

    // Rebuilt beside the old store: the digest history is carried over.
    let output = workspace.run(&["rebuild"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (_, stdout, _) = send(&workspace);
    assert!(stdout.contains("nothing to send"), "{stdout}");

    // The store lost for good: the journal still knows who unsubscribed.
    for suffix in ["", "-wal", "-shm", ".before-rebuild"] {
        let _ = std::fs::remove_file(workspace.path(&format!("state/pressroom.db{suffix}")));
    }
    let output = workspace.run(&["rebuild"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    workspace.drop_file("b.txt", release("Après la reconstruction", "fr"));
    workspace.publish(0);
    let (code, stdout, stderr) = send(&workspace);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("sent 1, refused 0, unsubscribed 1"),
        "{stdout}"
    );
}

/// Runs `pressroom ARGS` at the fake instant `at` (UTC) to its end.
fn run_at(
    workspace: &TestWorkspace,
    libfaketime: &Path,
    at: &str,
    args: &[&str],
) -> std::process::Output {
    let mut command = pressroom_command(workspace, args);
    on_fake_clock(&mut command, libfaketime, at);
    let output = command.output().expect("pressroom runs");
    assert!(
        output.status.success(),
        "{args:?} at {at}: {}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

#[test]
fn slots_missed_while_the_daemon_was_down_are_caught_up_once() {
    let Some(libfaketime) = libfaketime() else {
        return;
    };
    let workspace = TestWorkspace::new(&[("from", "\"press@example.org\"")]);
    let mut config = std::fs::read_to_string(workspace.config()).unwrap();
    config.push_str("\n[[digest]]\nname = \"daily\"\nschedule = \"daily 08:00\"\n");
    std::fs::write(workspace.config(), config).unwrap();
    subscribers(
        &workspace,
        "address,name,language,digests\njean@example.org,Jean,fr,\n",
    );
    // A digest went out on Sunday 1 March at 08:30, then a release came at 09:00.
    workspace.drop_file("a.txt", release("Publié avant le dernier envoi", "fr"));
    run_at(
        &workspace,
        &libfaketime,
        "2026-03-01 08:00:00",
        &["publish"],
    );
    run_at(
        &workspace,
        &libfaketime,
        "2026-03-01 08:30:00",
        &["digest", "send", "daily"],
    );
    workspace.drop_file("b.txt", release("Publié pendant la panne", "fr"));
    run_at(
        &workspace,
        &libfaketime,
        "2026-03-01 09:00:00",
        &["publish"],
    );
    // The daemon was down for three daily slots (2, 3 and 4 March, 08:00).
    let daemon = FakeClockDaemon::start(&workspace, &libfaketime, "2026-03-04 12:00:00");
    daemon.wait_log("digest run finished", DEADLINE);
    let messages = outbox(&workspace);
    assert_eq!(
        messages.len(),
        2,
        "one catch-up, not one per missed slot:\n{}",
        daemon.log()
    );
    let bodies: Vec<String> = messages
        .iter()
        .map(|m| parse(m).body_text(0).unwrap().into_owned())
        .collect();
    let catch_up = bodies
        .iter()
        .find(|body| body.contains("Publié pendant la panne"))
        .expect("the catch-up digest");
    assert!(
        !catch_up.contains("Publié avant le dernier envoi"),
        "{catch_up}"
    );
    assert_eq!(
        daemon.log().matches("digest run created").count(),
        1,
        "{}",
        daemon.log()
    );
    let list = text(
        &run_at(
            &workspace,
            &libfaketime,
            "2026-03-04 12:01:00",
            &["digest", "list"],
        )
        .stdout,
    );
    assert!(
        list.contains("last run 2 for 2026-03-04 08:00 UTC"),
        "{list}"
    );
    assert!(list.contains("next 2026-03-05 08:00 UTC"), "{list}");
}

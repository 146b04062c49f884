//! Delivery against a real SMTP server: Python's aiosmtpd, started by each
//! test (`tests/smtp_server.py`), which records what it accepts and drops
//! connections or refuses recipients on demand.
//!
//! Without aiosmtpd (`python3 -m pip install aiosmtpd`) these tests print
//! "skipped: aiosmtpd not installed" and pass, unless
//! PRESSROOM_REQUIRE_VALIDATORS=1 (as in CI), where they fail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate};
use futures_util::stream;
use mail_parser::MessageParser;
use pressroom_core::Lang;
use pressroom_digest::{
    Address, Credentials, Delivery, DeliveryResult, Digest, DigestInput, DigestRelease, Email,
    MessageId, Recipient, Retry, Site, Smtp, SmtpConfig, SmtpError, Summary, Templates, Tls,
    Unsubscribe, compose,
};

#[allow(dead_code)] // The end-to-end tests use more of it.
#[path = "../../../tests/support/smtp.rs"]
mod smtp_server;

use smtp_server::SmtpServer as Server;

/// Delivery settings for `server`: quick retries, three connections.
fn config(server: &Server) -> SmtpConfig {
    let mut config = SmtpConfig::new("127.0.0.1");
    config.port = server.port;
    config.tls = Tls::None;
    config.connections = 3;
    config.timeout = Duration::from_secs(10);
    config.retry = Retry {
        attempts: 4,
        first_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    };
    config.helo_name = "client.test".to_owned();
    config
}

fn address(text: &str) -> Address {
    Address::parse(text).expect("a valid test address")
}

/// Real digests, one per recipient.
fn digests(recipients: &[String]) -> Vec<Email> {
    let templates = Templates::builtin();
    let fr = Lang::parse("fr").expect("valid");
    let site = Site {
        title: "Service de presse".to_owned(),
        base_url: "https://press.example.org/".to_owned(),
        from: address("press@example.org"),
        from_name: "Service de presse".to_owned(),
        list_id_domain: "press.example.org".to_owned(),
    };
    let digest = Digest {
        name: "weekly".to_owned(),
        subject: "Communiqués de la semaine".to_owned(),
        description: "Chaque semaine".to_owned(),
    };
    let releases = [DigestRelease {
        title: "Un communiqué".to_owned(),
        date: NaiveDate::from_ymd_opt(2024, 3, 21),
        place: Some("PARIS".to_owned()),
        summary: "Résumé.".to_owned(),
        url: "https://press.example.org/releases/un.html".to_owned(),
        lang: fr.clone(),
    }];
    let now = DateTime::parse_from_rfc3339("2024-03-25T08:00:00+01:00").expect("valid");
    recipients
        .iter()
        .map(|to| {
            let recipient = Recipient {
                address: address(to),
                name: String::new(),
                lang: fr.clone(),
            };
            let message_id =
                MessageId::for_delivery("run-1", &recipient.address, "press.example.org")
                    .expect("valid");
            let unsubscribe = Unsubscribe {
                mailto: None,
                https: Some(format!("https://press.example.org/u/{}", recipient.address)),
            };
            compose(&DigestInput {
                site: &site,
                digest: &digest,
                recipient: &recipient,
                releases: &releases,
                now,
                message_id: &message_id,
                unsubscribe: &unsubscribe,
                templates: &templates,
            })
            .expect("composes")
        })
        .collect()
}

fn recipients(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("reader{i}@example.org"))
        .collect()
}

/// Sends `emails` and returns the summary (or error) and every delivery.
fn send(config: SmtpConfig, emails: Vec<Email>) -> (Result<Summary, SmtpError>, Vec<Delivery>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let smtp = Smtp::new(config).expect("valid settings");
    let mut deliveries = Vec::new();
    let result = runtime.block_on(smtp.send_all(stream::iter(emails), |delivery| {
        deliveries.push(delivery);
    }));
    (result, deliveries)
}

/// Each message reported exactly once; returns recipient → result.
fn by_recipient(deliveries: &[Delivery], expected: usize) -> BTreeMap<String, &Delivery> {
    let mut seen = BTreeMap::new();
    for delivery in deliveries {
        let previous = seen.insert(delivery.recipient.to_string(), delivery);
        assert!(previous.is_none(), "{} reported twice", delivery.recipient);
    }
    assert_eq!(seen.len(), expected, "every message reported");
    seen
}

#[test]
fn every_message_is_delivered_exactly_once_and_byte_for_byte() {
    let Some(server) = Server::start(&["--pipelining"]) else {
        return;
    };
    let readers = recipients(150);
    let mut emails = digests(&readers);
    // A message whose lines start with dots, one of them alone: without dot
    // stuffing the server would end the data there.
    emails.push(Email {
        message_id: MessageId::parse("dots@press.example.org").expect("valid"),
        recipient: address("dots@example.org"),
        envelope_sender: address("press@example.org"),
        bytes: b"Subject: dots\r\n\r\n.hidden\r\n..two\r\n.\r\nend\r\n".to_vec(),
    });
    let sent: BTreeMap<String, Vec<u8>> = emails
        .iter()
        .map(|email| (email.recipient.to_string(), email.bytes.clone()))
        .collect();

    let (result, deliveries) = send(config(&server), emails);
    let summary = result.expect("no error");
    assert_eq!(
        (summary.sent, summary.rejected, summary.deferred),
        (151, 0, 0)
    );
    for (_, delivery) in by_recipient(&deliveries, 151) {
        assert_eq!(delivery.result, DeliveryResult::Sent);
        assert_eq!(delivery.attempts, 1);
    }
    let received = server.received_numbers();
    assert_eq!(received.len(), 151);
    for (recipient, numbers) in &received {
        assert_eq!(numbers.len(), 1, "{recipient} received {numbers:?}");
        assert_eq!(&server.message(numbers[0]), &sent[recipient], "{recipient}");
    }
    let first = server.message(received["reader0@example.org"][0]);
    let message = MessageParser::default().parse(&first).expect("parses");
    assert_eq!(message.subject(), Some("Communiqués de la semaine"));
}

#[test]
fn without_pipelining_commands_go_one_by_one() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let readers = recipients(20);
    let (result, deliveries) = send(config(&server), digests(&readers));
    assert_eq!(result.expect("no error").sent, 20);
    by_recipient(&deliveries, 20);
    assert!(
        server
            .received_numbers()
            .values()
            .all(|numbers| numbers.len() == 1)
    );
}

#[test]
fn dropped_connections_are_reopened_and_only_unconfirmed_messages_resent() {
    let Some(server) = Server::start(&[
        "--pipelining",
        "--drop-after",
        "10",
        "--drop-after",
        "11",
        "--drop-after",
        "40",
        "--drop-after",
        "75",
    ]) else {
        return;
    };
    let readers = recipients(100);
    let (result, deliveries) = send(config(&server), digests(&readers));
    let summary = result.expect("no error");
    assert_eq!(summary.sent, 100, "{summary:?}");
    let reported = by_recipient(&deliveries, 100);
    assert!(reported.values().all(|d| d.result == DeliveryResult::Sent));
    let resent = reported.values().filter(|d| d.attempts > 1).count();
    assert!((1..=4).contains(&resent), "{resent} messages were resent");
    let received = server.received_numbers();
    assert_eq!(received.len(), 100);
    for (recipient, numbers) in &received {
        assert_eq!(numbers.len(), 1, "{recipient} received {numbers:?}");
    }
}

#[test]
fn a_server_that_limits_connections_gets_the_messages_over_fewer() {
    let Some(server) = Server::start(&["--pipelining", "--max-connections", "2"]) else {
        return;
    };
    let mut config = config(&server);
    config.connections = 4;
    let (result, deliveries) = send(config, digests(&recipients(60)));
    assert_eq!(result.expect("no error").sent, 60);
    by_recipient(&deliveries, 60);
    let received = server.received_numbers();
    assert_eq!(received.len(), 60);
    assert!(received.values().all(|numbers| numbers.len() == 1));
}

#[test]
fn a_refused_recipient_is_reported_and_the_others_delivered() {
    let Some(server) = Server::start(&[
        "--pipelining",
        "--reject",
        "reader7@example.org",
        "--temp-fail",
        "reader3@example.org:2",
        "--temp-fail",
        "reader5@example.org:100",
    ]) else {
        return;
    };
    let readers = recipients(30);
    let (result, deliveries) = send(config(&server), digests(&readers));
    let summary = result.expect("no error");
    assert_eq!(
        (summary.sent, summary.rejected, summary.deferred),
        (28, 1, 1)
    );
    let reported = by_recipient(&deliveries, 30);

    let DeliveryResult::Rejected(reply) = &reported["reader7@example.org"].result else {
        panic!("{:?}", reported["reader7@example.org"]);
    };
    assert_eq!(reply.code, 550);
    assert!(reply.to_string().contains("no such user"), "{reply}");
    assert_eq!(reported["reader7@example.org"].attempts, 1, "never retried");

    // 451 twice, then accepted on the third attempt.
    assert_eq!(reported["reader3@example.org"].result, DeliveryResult::Sent);
    assert_eq!(reported["reader3@example.org"].attempts, 3);

    // 451 every time: given up after the configured attempts.
    let deferred = reported["reader5@example.org"];
    assert_eq!(deferred.attempts, 4);
    let DeliveryResult::Deferred(reason) = &deferred.result else {
        panic!("{deferred:?}");
    };
    assert!(reason.contains("451"), "{reason}");

    let received = server.received_numbers();
    assert!(!received.contains_key("reader7@example.org"));
    assert!(!received.contains_key("reader5@example.org"));
    assert_eq!(received.len(), 28);
    assert!(received.values().all(|numbers| numbers.len() == 1));
}

#[test]
fn a_refused_sender_stops_the_run_without_blaming_recipients() {
    for pipelining in [true, false] {
        let mut args = vec!["--reject-sender", "press@example.org"];
        if pipelining {
            args.push("--pipelining");
        }
        let Some(server) = Server::start(&args) else {
            return;
        };
        let (result, deliveries) = send(config(&server), digests(&recipients(20)));
        let Err(SmtpError::SenderRefused { sender, reply }) = result else {
            panic!("{result:?}");
        };
        assert_eq!(sender, "press@example.org");
        assert_eq!(reply.code, 553);
        assert!(!deliveries.is_empty());
        assert!(
            deliveries
                .iter()
                .all(|d| matches!(d.result, DeliveryResult::Deferred(_))),
            "{deliveries:?}"
        );
        assert!(server.received_numbers().is_empty());
    }
}

#[test]
fn the_rate_limit_spaces_messages_over_all_connections() {
    let Some(server) = Server::start(&["--pipelining"]) else {
        return;
    };
    let mut config = config(&server);
    config.rate_per_second = Some(40);
    let started = Instant::now();
    let (result, _) = send(config, digests(&recipients(21)));
    assert_eq!(result.expect("no error").sent, 21);
    // 21 messages at 40 a second: the last starts 0.5 s after the first.
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

/// A self-signed certificate for `localhost`, written as PEM files.
fn certificate(dir: &Path) -> (PathBuf, PathBuf, Vec<u8>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).expect("written");
    std::fs::write(&key, certified.signing_key.serialize_pem()).expect("written");
    (cert, key, certified.cert.pem().into_bytes())
}

#[test]
fn starttls_and_authentication_work_and_bad_credentials_stop_the_run() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (cert, key, pem) = certificate(dir.path());
    let (cert, key) = (cert.to_str().expect("UTF-8"), key.to_str().expect("UTF-8"));
    let Some(server) = Server::start(&["--starttls", cert, key, "--auth", "press:s3cret"]) else {
        return;
    };
    let mut config = config(&server);
    config.host = "localhost".to_owned();
    config.tls = Tls::StartTls;
    config.extra_roots_pem = Some(pem.clone());
    config.credentials = Some(Credentials {
        username: "press".to_owned(),
        password: "s3cret".to_owned(),
    });
    let (result, deliveries) = send(config.clone(), digests(&recipients(10)));
    assert_eq!(result.expect("no error").sent, 10);
    by_recipient(&deliveries, 10);
    assert_eq!(server.received_numbers().len(), 10);

    config.credentials = Some(Credentials {
        username: "press".to_owned(),
        password: "wrong".to_owned(),
    });
    let (result, deliveries) = send(config.clone(), digests(&recipients(10)));
    assert!(matches!(result, Err(SmtpError::Auth(_))), "{result:?}");
    assert!(
        deliveries
            .iter()
            .all(|d| matches!(d.result, DeliveryResult::Deferred(_)))
    );
    assert_eq!(server.received_numbers().len(), 10, "nothing more was sent");
}

#[test]
fn an_untrusted_certificate_stops_the_run() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (cert, key, _) = certificate(dir.path());
    let (cert, key) = (cert.to_str().expect("UTF-8"), key.to_str().expect("UTF-8"));
    let Some(server) = Server::start(&["--starttls", cert, key]) else {
        return;
    };
    let mut config = config(&server);
    config.host = "localhost".to_owned();
    config.tls = Tls::StartTls;
    let started = Instant::now();
    let (result, _) = send(config, digests(&recipients(1)));
    assert!(matches!(result, Err(SmtpError::Tls(_))), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(5), "not retried");
    assert!(server.received_numbers().is_empty());
}

#[test]
fn starttls_is_never_silently_skipped() {
    let Some(server) = Server::start(&[]) else {
        return;
    };
    let mut config = config(&server);
    config.tls = Tls::StartTls;
    let (result, _) = send(config, digests(&recipients(2)));
    assert!(
        matches!(result, Err(SmtpError::NoStartTls { .. })),
        "{result:?}"
    );
    assert!(server.received_numbers().is_empty());
}

#[test]
fn implicit_tls_works() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (cert, key, pem) = certificate(dir.path());
    let (cert, key) = (cert.to_str().expect("UTF-8"), key.to_str().expect("UTF-8"));
    let Some(server) = Server::start(&["--implicit-tls", cert, key, "--pipelining"]) else {
        return;
    };
    let mut config = config(&server);
    config.host = "localhost".to_owned();
    config.tls = Tls::Implicit;
    config.extra_roots_pem = Some(pem);
    let (result, _) = send(config, digests(&recipients(5)));
    assert_eq!(result.expect("no error").sent, 5);
    assert_eq!(server.received_numbers().len(), 5);
}

#[test]
fn an_unreachable_server_stops_the_run_and_defers_what_was_taken() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut config = SmtpConfig::new("127.0.0.1");
    config.port = port;
    config.tls = Tls::None;
    config.connections = 2;
    config.retry = Retry {
        attempts: 3,
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    let (result, deliveries) = send(config, digests(&recipients(50)));
    assert!(
        matches!(result, Err(SmtpError::Unreachable(_))),
        "{result:?}"
    );
    // Only what was taken from the stream is reported, each once, none sent.
    assert!(
        !deliveries.is_empty() && deliveries.len() < 50,
        "{}",
        deliveries.len()
    );
    let reported = by_recipient(&deliveries, deliveries.len());
    assert!(
        reported
            .values()
            .all(|d| matches!(d.result, DeliveryResult::Deferred(_)))
    );
}

//! Sends one digest of 20 releases to 10,000 subscribers through a local
//! SMTP sink and prints wall time, messages per second and peak memory.
//!
//! `cargo bench -p pressroom-digest --bench send` (optionally followed by
//! `-- SUBSCRIBERS CONNECTIONS`). The sink runs in this process on its own
//! thread: it answers like a server that offers PIPELINING and counts what
//! it receives, so the figures are the client's (composing, dot-stuffing,
//! the SMTP dialogue), not a real server's.
//!
//! Messages are composed as the client asks for them, so peak memory must
//! not grow with the number of subscribers: the run prints VmHWM after a
//! tenth of the subscribers and after all of them. A last run sends one
//! message composed once to everyone, to show the SMTP client's own speed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate};
use futures_util::stream;
use pressroom_core::Lang;
use pressroom_digest::{
    Address, Digest, DigestInput, DigestRelease, Email, MessageId, Recipient, Retry, Site, Smtp,
    SmtpConfig, Templates, Tls, Unsubscribe, compose,
};

#[path = "sink.rs"]
mod sink;
use sink::start_sink;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|arg| arg.parse().ok())
        .collect();
    let subscribers = args.first().copied().unwrap_or(10_000);
    let connections = args.get(1).copied().unwrap_or(4);

    let received = Arc::new(AtomicUsize::new(0));
    let port = start_sink(Arc::clone(&received));
    let fixture = Fixture::new();

    let started = Instant::now();
    for _ in 0..1_000 {
        std::hint::black_box(fixture.email(0));
    }
    let compose_rate = 1_000.0 / started.elapsed().as_secs_f64();
    let size = fixture.email(0).bytes.len();
    println!(
        "one message: {size} bytes (20 releases, text and HTML); composing alone: {compose_rate:.0} messages/s"
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let mut config = SmtpConfig::new("127.0.0.1");
    config.port = port;
    config.tls = Tls::None;
    config.connections = connections;
    config.timeout = Duration::from_secs(10);
    config.retry = Retry::default();
    let smtp = Smtp::new(config).expect("valid settings");

    for count in [subscribers / 10, subscribers] {
        received.store(0, Ordering::SeqCst);
        let started = Instant::now();
        let mut sent = 0;
        let messages = stream::iter((0..count).map(|index| fixture.email(index)));
        let summary = runtime
            .block_on(smtp.send_all(messages, |delivery| {
                if delivery.result == pressroom_digest::DeliveryResult::Sent {
                    sent += 1;
                }
            }))
            .expect("the run completes");
        let elapsed = started.elapsed();
        assert_eq!(summary.sent, count);
        assert_eq!(sent, count);
        assert_eq!(
            received.load(Ordering::SeqCst),
            count,
            "the sink got every message"
        );
        println!(
            "{count} subscribers, {connections} connections: {:.2} s, {:.0} messages/s, peak RSS (VmHWM) {}",
            elapsed.as_secs_f64(),
            count as f64 / elapsed.as_secs_f64(),
            peak_rss()
        );
    }

    // The client alone: one message composed once, sent to every subscriber.
    let template = fixture.email(0);
    received.store(0, Ordering::SeqCst);
    let started = Instant::now();
    let messages = stream::iter((0..subscribers).map(|index| Email {
        recipient: Address::parse(&format!("reader{index}@example.org")).expect("valid"),
        ..template.clone()
    }));
    let summary = runtime
        .block_on(smtp.send_all(messages, |_| {}))
        .expect("the run completes");
    assert_eq!(summary.sent, subscribers);
    assert_eq!(received.load(Ordering::SeqCst), subscribers);
    let elapsed = started.elapsed();
    println!(
        "SMTP alone (composed once): {subscribers} messages in {:.2} s, {:.0} messages/s",
        elapsed.as_secs_f64(),
        subscribers as f64 / elapsed.as_secs_f64()
    );
}

/// What every message is made from; only the recipient changes.
struct Fixture {
    templates: Templates,
    site: Site,
    digest: Digest,
    releases: Vec<DigestRelease>,
    fr: Lang,
}

impl Fixture {
    fn new() -> Fixture {
        let fr = Lang::parse("fr").expect("valid");
        let releases = (1..=20)
            .map(|n| DigestRelease {
                title: format!("Communiqué numéro {n} : la région investit dans l’énergie"),
                date: NaiveDate::from_ymd_opt(2024, 3, n),
                place: Some("PARIS".to_owned()),
                summary: "La région annonce un programme d’investissement de 40 millions \
                          d’euros pour la rénovation énergétique des lycées, avec des \
                          travaux prévus dès l’été."
                    .to_owned(),
                url: format!("https://press.example.org/releases/2024-03-{n:02}-communique.html"),
                lang: fr.clone(),
            })
            .collect();
        Fixture {
            templates: Templates::builtin(),
            site: Site {
                title: "Service de presse".to_owned(),
                base_url: "https://press.example.org/".to_owned(),
                from: Address::parse("press@example.org").expect("valid"),
                from_name: "Service de presse".to_owned(),
                list_id_domain: "press.example.org".to_owned(),
            },
            digest: Digest {
                name: "weekly".to_owned(),
                subject: pressroom_digest::DEFAULT_SUBJECT.to_owned(),
                description: "Tous les communiqués, chaque semaine".to_owned(),
            },
            releases,
            fr,
        }
    }

    fn email(&self, index: usize) -> Email {
        let recipient = Recipient {
            address: Address::parse(&format!("reader{index}@example.org")).expect("valid"),
            name: format!("Lecteur {index}"),
            lang: self.fr.clone(),
        };
        let message_id = MessageId::for_delivery("bench", &recipient.address, "press.example.org")
            .expect("valid");
        let unsubscribe = Unsubscribe {
            mailto: Some("mailto:unsubscribe@press.example.org".to_owned()),
            https: Some(format!("https://press.example.org/u/weekly/{index}")),
        };
        compose(&DigestInput {
            site: &self.site,
            digest: &self.digest,
            recipient: &recipient,
            releases: &self.releases,
            now: DateTime::parse_from_rfc3339("2024-03-25T08:00:00+01:00").expect("valid"),
            message_id: &message_id,
            unsubscribe: &unsubscribe,
            templates: &self.templates,
        })
        .expect("composes")
    }
}

/// The process's peak resident memory, as Linux reports it.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .map(|line| line["VmHWM:".len()..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

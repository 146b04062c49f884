//! Delivering messages over SMTP: several connections in parallel, a rate
//! limit, retries with exponential backoff, and one result per message.
//!
//! The contract the daemon relies on: a message is reported
//! [`DeliveryResult::Sent`] only after the server's 2xx reply to its data,
//! and every message taken from the input is reported exactly once. A
//! message whose session broke before that reply is sent again on a new
//! session (it may then arrive twice, as with any SMTP client, if the
//! server had accepted it just before the break; that is rare and cannot
//! be told apart from a loss). 4xx replies are retried with backoff; 5xx
//! replies are reported as [`DeliveryResult::Rejected`] for that recipient
//! and the others go on.
//!
//! Messages are pulled from the input stream only as connections are ready
//! for them, so memory stays flat however many subscribers there are.

mod connection;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures_core::Stream;
use tokio::sync::{Mutex, mpsc};
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::address::Address;
use crate::message::{Email, MessageId};
use connection::{ConnectError, Connection, Outcome};

/// Where and how to send.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    /// 587 for STARTTLS (submission), 465 for implicit TLS, 25 between servers.
    pub port: u16,
    pub tls: Tls,
    /// Sent with AUTH PLAIN (or LOGIN). Only over TLS, or to a loopback host.
    pub credentials: Option<Credentials>,
    /// Sessions opened in parallel (at least 1).
    pub connections: usize,
    /// At most this many messages a second over all connections; `None`
    /// for as fast as the server takes them.
    pub rate_per_second: Option<u32>,
    /// For connecting and for each reply: a server that stays silent longer
    /// loses the session, and the message is sent again on a new one.
    pub timeout: Duration,
    pub retry: Retry,
    /// The name given in EHLO: the sending host's name.
    pub helo_name: String,
    /// Certificates (PEM) trusted besides the built-in Mozilla roots: a
    /// relay with a private CA or a self-signed certificate.
    pub extra_roots_pem: Option<Vec<u8>>,
}

impl SmtpConfig {
    /// Sending through `host:587` with STARTTLS, 4 connections, no rate
    /// limit, 30 s timeouts, and [`Retry::default`].
    pub fn new(host: &str) -> SmtpConfig {
        SmtpConfig {
            host: host.to_owned(),
            port: 587,
            tls: Tls::StartTls,
            credentials: None,
            connections: 4,
            rate_per_second: None,
            timeout: Duration::from_secs(30),
            retry: Retry::default(),
            helo_name: "localhost".to_owned(),
            extra_roots_pem: None,
        }
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("credentials", &self.credentials)
            .field("connections", &self.connections)
            .field("rate_per_second", &self.rate_per_second)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("helo_name", &self.helo_name)
            .finish_non_exhaustive()
    }
}

/// How the session is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain text: for a relay on the same host only.
    None,
    /// Plain, then upgraded with STARTTLS; refused if the server does not
    /// offer it (never a silent downgrade).
    StartTls,
    /// TLS from the first byte (port 465).
    Implicit,
}

/// A user name and password for AUTH.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"..")
            .finish()
    }
}

/// How temporary failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts per message (at least 1), and connection attempts in a row
    /// before the run is given up.
    pub attempts: u32,
    /// The wait after the first failure; doubled after each.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
}

impl Default for Retry {
    /// 5 attempts, waiting 1 s, 2 s, 4 s, 8 s between them.
    fn default() -> Self {
        Retry {
            attempts: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
        }
    }
}

impl Retry {
    /// The wait after `failures` failures (1 for the first).
    fn delay(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1));
        self.first_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// A server's reply: its code and the text of each line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" "))
    }
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    /// The server took responsibility for it (2xx after the data).
    Sent,
    /// The server refused it for good (5xx): do not send it again.
    Rejected(Reply),
    /// Not sent, for now: temporary failures through every attempt, or the
    /// run was given up. A later run may try again.
    Deferred(String),
}

/// One message's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub message_id: MessageId,
    pub recipient: Address,
    pub result: DeliveryResult,
    /// Transactions tried (0 when the run was given up before the first).
    pub attempts: u32,
}

/// Counts of a run's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub sent: usize,
    pub rejected: usize,
    pub deferred: usize,
}

/// A problem that stops a whole run (or prevents it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpError {
    /// The configuration cannot work.
    #[error("invalid SMTP settings: {0}")]
    Config(String),
    /// No session could be opened after every retry.
    #[error("cannot reach the SMTP server: {0}")]
    Unreachable(String),
    /// STARTTLS was required and the server does not offer it.
    #[error("{server} does not offer STARTTLS, which the settings require")]
    NoStartTls { server: String },
    /// The certificate or the handshake failed in a way retrying will not fix.
    #[error("TLS failed: {0}")]
    Tls(String),
    /// The server refused the credentials.
    #[error("SMTP authentication failed: {0}")]
    Auth(String),
    /// The server refused the envelope sender for good (5xx to MAIL FROM):
    /// no recipient would get anything, and none is to blame.
    #[error("the SMTP server refuses the sender <{sender}>: {reply}")]
    SenderRefused { sender: String, reply: Reply },
    /// A connection task stopped unexpectedly (a bug).
    #[error("an SMTP connection task failed: {0}")]
    Internal(String),
}

/// An SMTP client for one configuration.
#[derive(Clone)]
pub struct Smtp {
    config: Arc<SmtpConfig>,
    tls: Option<TlsConnector>,
}

impl fmt::Debug for Smtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smtp")
            .field("config", &self.config)
            .finish()
    }
}

impl Smtp {
    /// Checks the configuration and prepares TLS (nothing is connected yet).
    pub fn new(config: SmtpConfig) -> Result<Smtp, SmtpError> {
        let invalid = |why: &str| Err(SmtpError::Config(why.to_owned()));
        if config.connections == 0 {
            return invalid("connections must be at least 1");
        }
        if config.retry.attempts == 0 {
            return invalid("retry attempts must be at least 1");
        }
        if config.rate_per_second == Some(0) {
            return invalid("rate_per_second must be at least 1 (or unset for no limit)");
        }
        if config.helo_name.is_empty()
            || !config
                .helo_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c))
        {
            return invalid("the EHLO name must be a host name");
        }
        let loopback = matches!(config.host.as_str(), "localhost" | "::1" | "[::1]")
            || config.host.starts_with("127.");
        if config.credentials.is_some() && config.tls == Tls::None && !loopback {
            return invalid("credentials are only sent over TLS (or to a loopback host)");
        }
        let tls = match config.tls {
            Tls::None => None,
            Tls::StartTls | Tls::Implicit => {
                Some(tls_connector(config.extra_roots_pem.as_deref())?)
            }
        };
        Ok(Smtp {
            config: Arc::new(config),
            tls,
        })
    }

    /// Opens a session and closes it: for checking settings at start.
    pub async fn check(&self) -> Result<(), SmtpError> {
        match Connection::open(&self.config, self.tls.as_ref()).await {
            Ok(connection) => {
                connection.quit().await;
                Ok(())
            }
            Err(ConnectError::Temporary(why)) => Err(SmtpError::Unreachable(why)),
            Err(ConnectError::Fatal(error)) => Err(error),
        }
    }

    /// Sends every message of `messages`, calling `on_result` once per
    /// message as its fate is known (in completion order, on the caller's
    /// task). Returns the counts, or the error that stopped the run: then
    /// the messages already taken from `messages` have been reported
    /// (those not sent as [`DeliveryResult::Deferred`]) and the rest were
    /// never taken.
    pub async fn send_all<S, F>(&self, messages: S, mut on_result: F) -> Result<Summary, SmtpError>
    where
        S: Stream<Item = Email>,
        F: FnMut(Delivery),
    {
        let config = &self.config;
        let (work_tx, work_rx) = mpsc::channel::<Job>(config.connections);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (event_tx, mut events) = mpsc::unbounded_channel::<Event>();
        let shared = Arc::new(Shared {
            aborted: AtomicBool::new(false),
            next_slot: std::sync::Mutex::new(Instant::now()),
            sessions: AtomicUsize::new(0),
        });
        let mut workers = Vec::with_capacity(config.connections);
        for _ in 0..config.connections {
            let worker = Worker {
                config: Arc::clone(&self.config),
                tls: self.tls.clone(),
                jobs: Arc::clone(&work_rx),
                events: event_tx.clone(),
                shared: Arc::clone(&shared),
            };
            workers.push(tokio::spawn(worker.run()));
        }
        drop(event_tx);

        let mut messages = pin!(messages);
        let mut summary = Summary::default();
        let mut report = |delivery: Delivery, summary: &mut Summary| {
            match delivery.result {
                DeliveryResult::Sent => summary.sent += 1,
                DeliveryResult::Rejected(_) => summary.rejected += 1,
                DeliveryResult::Deferred(_) => summary.deferred += 1,
            }
            on_result(delivery);
        };
        let mut waiting: BinaryHeap<Reverse<Waiting>> = BinaryHeap::new();
        let mut ready: VecDeque<Job> = VecDeque::new();
        let mut outstanding = 0usize;
        let mut source_done = false;
        let mut fatal: Option<SmtpError> = None;
        let mut sequence = 0u64;
        loop {
            if fatal.is_some() {
                // Give up what is not on a connection already.
                for job in ready
                    .drain(..)
                    .chain(waiting.drain().map(|Reverse(w)| w.job))
                {
                    outstanding -= 1;
                    let reason = format!(
                        "not sent: {}",
                        fatal.as_ref().map_or(String::new(), ToString::to_string)
                    );
                    report(job.deferred(reason), &mut summary);
                }
            }
            if (source_done || fatal.is_some()) && outstanding == 0 {
                break;
            }
            let next_due = waiting.peek().map(|Reverse(w)| w.due);
            let can_feed = fatal.is_none() && (!ready.is_empty() || !source_done);
            tokio::select! {
                biased;
                event = events.recv() => match event {
                    Some(Event::Done(delivery)) => {
                        outstanding -= 1;
                        report(delivery, &mut summary);
                    }
                    Some(Event::Retry(job, due)) => {
                        sequence += 1;
                        waiting.push(Reverse(Waiting { due, sequence, job }));
                    }
                    Some(Event::Fatal(error)) => {
                        shared.aborted.store(true, Ordering::SeqCst);
                        let internal = matches!(error, SmtpError::Internal(_));
                        fatal.get_or_insert(error);
                        if internal {
                            // A task died holding a job that will never be reported.
                            break;
                        }
                    }
                    None => {
                        fatal.get_or_insert(SmtpError::Internal("every connection task stopped".to_owned()));
                        break;
                    }
                },
                () = sleep_until(next_due), if next_due.is_some() => {
                    let now = Instant::now();
                    while waiting.peek().is_some_and(|Reverse(w)| w.due <= now) {
                        if let Some(Reverse(w)) = waiting.pop() {
                            ready.push_back(w.job);
                        }
                    }
                }
                permit = work_tx.reserve(), if can_feed => {
                    let Ok(permit) = permit else { continue };
                    if let Some(job) = ready.pop_front() {
                        permit.send(job);
                    } else {
                        match poll_fn(|cx| messages.as_mut().poll_next(cx)).await {
                            Some(email) => {
                                outstanding += 1;
                                permit.send(Job::new(email));
                            }
                            None => source_done = true,
                        }
                    }
                }
            }
        }
        drop(work_tx);
        for worker in workers {
            if let Err(error) = worker.await {
                fatal.get_or_insert(SmtpError::Internal(error.to_string()));
            }
        }
        match fatal {
            Some(error) => Err(error),
            None => Ok(summary),
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

fn tls_connector(extra_roots_pem: Option<&[u8]>) -> Result<TlsConnector, SmtpError> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = extra_roots_pem {
        let mut added = 0;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate.map_err(|error| {
                SmtpError::Config(format!("cannot read the extra root certificates: {error}"))
            })?;
            roots.add(certificate).map_err(|error| {
                SmtpError::Config(format!("invalid extra root certificate: {error}"))
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(SmtpError::Config(
                "the extra root certificates hold no PEM certificate".to_owned(),
            ));
        }
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| SmtpError::Tls(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// A message on its way, with its SMTP form computed once.
struct Job {
    email: Email,
    /// The data as sent after DATA: dot-stuffed, ending with `.`.
    wire: Arc<[u8]>,
    attempts: u32,
}

impl Job {
    fn new(email: Email) -> Job {
        let wire = connection::wire(&email.bytes);
        Job {
            email,
            wire,
            attempts: 0,
        }
    }

    fn done(self, result: DeliveryResult) -> Delivery {
        Delivery {
            message_id: self.email.message_id,
            recipient: self.email.recipient,
            result,
            attempts: self.attempts,
        }
    }

    fn deferred(self, reason: String) -> Delivery {
        self.done(DeliveryResult::Deferred(reason))
    }
}

/// A job waiting for its retry time.
struct Waiting {
    due: Instant,
    sequence: u64,
    job: Job,
}

impl PartialEq for Waiting {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.sequence) == (other.due, other.sequence)
    }
}
impl Eq for Waiting {}
impl PartialOrd for Waiting {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Waiting {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.sequence).cmp(&(other.due, other.sequence))
    }
}

/// What connection tasks tell the run.
enum Event {
    Done(Delivery),
    Retry(Job, Instant),
    Fatal(SmtpError),
}

/// State the connection tasks share.
struct Shared {
    /// Set once the run is given up: queued jobs are reported, not sent.
    aborted: AtomicBool,
    /// The rate limit: the earliest instant the next transaction may start.
    next_slot: std::sync::Mutex<Instant>,
    /// Sessions open now: a connection that cannot be opened ends the run
    /// only if no other is open (a server may limit connections per client).
    sessions: AtomicUsize,
}

/// Reports a connection task that panicked, so that the run stops instead
/// of waiting for the job it held.
struct PanicAlarm<'a>(&'a mpsc::UnboundedSender<Event>);

impl Drop for PanicAlarm<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let error = SmtpError::Internal("a connection task panicked".to_owned());
            let _ = self.0.send(Event::Fatal(error));
        }
    }
}

/// One connection task: takes jobs, keeps a session open, reconnects.
struct Worker {
    config: Arc<SmtpConfig>,
    tls: Option<TlsConnector>,
    jobs: Arc<Mutex<mpsc::Receiver<Job>>>,
    events: mpsc::UnboundedSender<Event>,
    shared: Arc<Shared>,
}

impl Worker {
    async fn run(self) {
        let _alarm = PanicAlarm(&self.events);
        let mut session: Option<Connection> = None;
        loop {
            let job = self.jobs.lock().await.recv().await;
            let Some(mut job) = job else { break };
            if self.shared.aborted.load(Ordering::SeqCst) {
                self.emit(Event::Done(
                    job.deferred("not sent: the run was given up".to_owned()),
                ));
                continue;
            }
            if session.is_none() {
                match self.connect().await {
                    Ok(connection) => {
                        self.shared.sessions.fetch_add(1, Ordering::SeqCst);
                        session = Some(connection);
                    }
                    Err(SmtpError::Unreachable(why))
                        if self.shared.sessions.load(Ordering::SeqCst) > 0 =>
                    {
                        // Other connections work: leave the job to them.
                        tracing::warn!("SMTP: one connection fewer: {why}");
                        self.emit(Event::Retry(job, Instant::now()));
                        return;
                    }
                    Err(error) => {
                        let reason = format!("not sent: {error}");
                        self.emit(Event::Fatal(error));
                        self.emit(Event::Done(job.deferred(reason)));
                        continue;
                    }
                }
            }
            let Some(connection) = session.as_mut() else {
                continue;
            };
            self.wait_for_rate().await;
            job.attempts += 1;
            match connection.send(&job).await {
                Ok(Outcome::Sent) => self.emit(Event::Done(job.done(DeliveryResult::Sent))),
                Ok(Outcome::Permanent(reply)) => {
                    self.emit(Event::Done(job.done(DeliveryResult::Rejected(reply))));
                }
                Ok(Outcome::Temporary(reply)) => {
                    self.retry_later(job, reply.to_string());
                }
                Ok(Outcome::SenderRefused(reply)) => {
                    let error = SmtpError::SenderRefused {
                        sender: job.email.envelope_sender.to_string(),
                        reply,
                    };
                    let reason = format!("not sent: {error}");
                    self.emit(Event::Fatal(error));
                    self.emit(Event::Done(job.deferred(reason)));
                }
                Err(connection::Broken(why)) => {
                    tracing::warn!(message_id = %job.email.message_id, "SMTP session broken, reconnecting: {why}");
                    session = None;
                    self.shared.sessions.fetch_sub(1, Ordering::SeqCst);
                    self.retry_later(job, why);
                }
            }
        }
        if let Some(connection) = session {
            self.shared.sessions.fetch_sub(1, Ordering::SeqCst);
            connection.quit().await;
        }
    }

    /// Opens a session, retrying with backoff; an error here gives up the run.
    async fn connect(&self) -> Result<Connection, SmtpError> {
        let retry = self.config.retry;
        let mut failures = 0;
        loop {
            match Connection::open(&self.config, self.tls.as_ref()).await {
                Ok(connection) => return Ok(connection),
                Err(ConnectError::Fatal(error)) => return Err(error),
                Err(ConnectError::Temporary(why)) => {
                    failures += 1;
                    if failures >= retry.attempts || self.shared.aborted.load(Ordering::SeqCst) {
                        return Err(SmtpError::Unreachable(why));
                    }
                    tracing::warn!(
                        "SMTP connection failed ({failures}/{}): {why}",
                        retry.attempts
                    );
                    tokio::time::sleep(retry.delay(failures)).await;
                }
            }
        }
    }

    async fn wait_for_rate(&self) {
        let Some(rate) = self.config.rate_per_second else {
            return;
        };
        let interval = Duration::from_secs(1) / rate;
        let slot = {
            let mut next = self
                .shared
                .next_slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let slot = (*next).max(Instant::now());
            *next = slot + interval;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Schedules `job` again after a temporary failure, or reports it
    /// deferred once its attempts are spent.
    fn retry_later(&self, job: Job, why: String) {
        let retry = self.config.retry;
        if job.attempts >= retry.attempts {
            let reason = format!("temporary failure after {} attempts: {why}", job.attempts);
            self.emit(Event::Done(job.deferred(reason)));
        } else {
            let due = Instant::now() + retry.delay(job.attempts);
            tracing::debug!(message_id = %job.email.message_id, "retrying later: {why}");
            self.emit(Event::Retry(job, due));
        }
    }

    fn emit(&self, event: Event) {
        // The run only stops listening once every job is reported.
        let _ = self.events.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_can_be_spawned_on_another_task() {
        fn check<T: Send>(_: &T) {}
        let smtp = Smtp::new(SmtpConfig::new("smtp.example.org")).expect("valid");
        let mut count = 0;
        let run = smtp.send_all(futures_util::stream::iter(Vec::<Email>::new()), |_| {
            count += 1;
        });
        check(&run);
        check(&smtp);
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum() {
        let retry = Retry {
            attempts: 10,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
        };
        let delays: Vec<_> = (1..=5).map(|n| retry.delay(n).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn settings_that_cannot_work_are_refused() {
        let config = |change: fn(&mut SmtpConfig)| {
            let mut config = SmtpConfig::new("smtp.example.org");
            change(&mut config);
            Smtp::new(config)
        };
        assert!(config(|_| ()).is_ok());
        assert!(config(|c| c.connections = 0).is_err());
        assert!(config(|c| c.rate_per_second = Some(0)).is_err());
        assert!(config(|c| c.helo_name = "a b\r\nRCPT".to_owned()).is_err());
        let credentials = Some(Credentials {
            username: "u".to_owned(),
            password: "p".to_owned(),
        });
        let mut plain = SmtpConfig::new("smtp.example.org");
        plain.tls = Tls::None;
        plain.credentials = credentials.clone();
        assert!(Smtp::new(plain.clone()).is_err());
        plain.host = "127.0.0.1".to_owned();
        assert!(Smtp::new(plain).is_ok());
        assert!(config(|c| c.extra_roots_pem = Some(b"not a certificate".to_vec())).is_err());
    }
}

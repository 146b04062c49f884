//! Digest runs: when one is due, what it holds, who gets it, and delivering
//! it exactly once per recipient.
//!
//! A run goes through three steps, each safe to interrupt:
//!
//! 1. **Plan** ([`plan`]): the window starts where the digest's last run
//!    ended (or at the schedule's previous slot, for a first run) and ends at
//!    the slot; it holds the releases that became visible in it (by the time
//!    subscribers could see them, not the date they give themselves, so a
//!    back-dated release is not missed), filtered by language and category.
//! 2. **Create** ([`create_run`]): the window, its releases and one pending
//!    row per subscriber are written to the store in one transaction.
//!    Nothing in the window (with `skip_if_empty`) makes a run without
//!    recipients: the window still moves on.
//! 3. **Deliver** ([`deliver`]): each pending recipient's message is
//!    composed (the same bytes every time: Date and Message-ID come from the
//!    run) and sent, and marked sent only once the server accepted it. A
//!    crash, a stop or a server that goes away leaves the rest pending, and
//!    the next delivery of the run picks up exactly there.
//!
//! A schedule missed while the daemon was down is caught up once: a digest
//! is due when its last run's window ends before the latest slot, and the
//! catch-up run's window reaches that slot, whatever number of slots passed.

use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use anyhow::Context as _;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use pressroom_core::Lang;
use pressroom_digest::{
    Address, Delivery, DeliveryResult, Digest, DigestInput, DigestRelease, Email, MessageId,
    Outbox, Recipient, Site, Smtp, Unsubscribe, compose, parse_subscribers, token,
};
use pressroom_store::{
    DigestRun, NewRecipient, NewRun, PendingRecipient, RecipientState, RunCounts, RunTrigger,
    Store, StoredRelease,
};

use crate::config::{DigestSettings, EmailSettings, Settings};

/// A recipient whose message was deferred in this many delivery passes is
/// given up on (recorded as failed).
pub const MAX_PASSES: u32 = 5;

/// Recipients read from the store at a time while delivering: memory stays
/// flat however many subscribers there are.
const PAGE: usize = 500;

/// A run about to be created.
#[derive(Debug, Clone)]
pub struct Plan {
    pub digest: DigestSettings,
    pub slot: DateTime<Utc>,
    pub trigger: RunTrigger,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Newest first.
    pub releases: Vec<StoredRelease>,
}

/// The slot a digest is due for at `now`, if its last run's window ends
/// before the latest slot (several missed slots give one catch-up).
pub fn due_slot(
    store: &Store,
    digest: &DigestSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<DateTime<Utc>>> {
    let latest = digest.schedule.last_due_at_or_before(now, digest.time_zone);
    let last = store.last_digest_run(&digest.name)?;
    Ok(last
        .is_none_or(|run| run.window_end < latest)
        .then_some(latest))
}

/// The next slot of any digest after `now`, for the daemon's timer.
pub fn next_slot(email: &EmailSettings, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    email
        .digests
        .iter()
        .map(|digest| digest.schedule.next_after(now, digest.time_zone))
        .min()
}

/// Plans the run of `digest` whose window ends at `end` (a slot, or now for
/// a manual send or a preview).
pub fn plan(
    store: &Store,
    digest: &DigestSettings,
    trigger: RunTrigger,
    end: DateTime<Utc>,
) -> anyhow::Result<Plan> {
    let start = match store.last_digest_run(&digest.name)? {
        Some(last) => last.window_end,
        // A first run covers one period: back to the slot before `end`.
        None => digest
            .schedule
            .last_due_at_or_before(end - Duration::microseconds(1), digest.time_zone),
    };
    let start = start.min(end);
    let mut releases: Vec<StoredRelease> = store
        .became_visible(start, end)?
        .into_iter()
        .filter(|stored| digest.wants(&stored.release.lang, &stored.release.categories))
        .collect();
    releases.reverse();
    Ok(Plan {
        digest: digest.clone(),
        slot: end,
        trigger,
        window_start: start,
        window_end: end,
        releases,
    })
}

/// The subscribers of `digest`, from the operator's list; bad lines are
/// logged with their number and skipped.
pub fn subscribers_of(
    email: &EmailSettings,
    digest: &str,
    default_lang: &Lang,
) -> anyhow::Result<Vec<pressroom_digest::Subscriber>> {
    let bytes = std::fs::read(&email.subscribers).with_context(|| {
        format!(
            "cannot read the subscriber list '{}'",
            email.subscribers.display()
        )
    })?;
    let list = parse_subscribers(&bytes, default_lang).with_context(|| {
        format!(
            "cannot read the subscriber list '{}'",
            email.subscribers.display()
        )
    })?;
    for error in &list.errors {
        tracing::warn!(
            list = %email.subscribers.display(),
            "skipped a subscriber: {error}"
        );
    }
    Ok(list
        .subscribers
        .into_iter()
        .filter(|subscriber| subscriber.wants(digest))
        .collect())
}

/// Records the planned run with its recipients (none when it is skipped
/// for being empty) and returns it.
pub fn create_run(
    store: &mut Store,
    settings: &Settings,
    email: &EmailSettings,
    plan: &Plan,
    now: DateTime<Utc>,
) -> anyhow::Result<DigestRun> {
    let skip = plan.releases.is_empty() && plan.digest.skip_if_empty;
    let recipients = if skip {
        Vec::new()
    } else {
        subscribers_of(email, &plan.digest.name, &settings.site.lang)?
            .into_iter()
            .map(|subscriber| NewRecipient {
                address: subscriber.address.to_string(),
                name: subscriber.name,
                lang: subscriber.lang.to_string(),
            })
            .collect()
    };
    let run = store.create_digest_run(NewRun {
        digest: plan.digest.name.clone(),
        slot: plan.slot,
        trigger: plan.trigger,
        window_start: plan.window_start,
        window_end: plan.window_end,
        created: now,
        releases: plan
            .releases
            .iter()
            .map(|stored| stored.release.id.clone())
            .collect(),
        recipients,
    })?;
    if skip {
        tracing::info!(digest = %plan.digest.name, "nothing new since the last digest: skipped");
    } else {
        tracing::info!(
            digest = %plan.digest.name,
            run = run.id,
            releases = plan.releases.len(),
            "digest run created"
        );
    }
    Ok(run)
}

/// Everything needed to compose a run's messages.
pub struct Composer {
    site: Site,
    digest: Digest,
    releases: Vec<DigestRelease>,
    now: DateTime<FixedOffset>,
    run_key: String,
    list_id_domain: String,
    unsubscribe_url: String,
    unsubscribe_mailto: Option<Address>,
    secret: pressroom_digest::Secret,
    templates: pressroom_digest::Templates,
    default_lang: Lang,
}

impl Composer {
    /// For a recorded run: its releases as they are now (a release retracted
    /// since is left out), its time, and the run's identity.
    pub fn for_run(
        store: &Store,
        settings: &Settings,
        email: &EmailSettings,
        run: &DigestRun,
    ) -> anyhow::Result<Composer> {
        let digest = email
            .digests
            .iter()
            .find(|digest| digest.name == run.digest)
            .with_context(|| {
                format!(
                    "the digest '{}' of run {} is no longer configured",
                    run.digest, run.id
                )
            })?;
        let mut releases = Vec::with_capacity(run.releases.len());
        for id in &run.releases {
            if let Some(stored) = store.release(id)?
                && stored.retracted.is_none()
            {
                releases.push(stored);
            }
        }
        Ok(Composer::new(
            settings,
            email,
            digest,
            &releases,
            run.created,
            &run_key(&run.digest, run.slot),
        ))
    }

    /// For a plan (a preview).
    pub fn for_plan(
        settings: &Settings,
        email: &EmailSettings,
        plan: &Plan,
        now: DateTime<Utc>,
    ) -> Composer {
        Composer::new(
            settings,
            email,
            &plan.digest,
            &plan.releases,
            now,
            &run_key(&plan.digest.name, plan.slot),
        )
    }

    fn new(
        settings: &Settings,
        email: &EmailSettings,
        digest: &DigestSettings,
        releases: &[StoredRelease],
        at: DateTime<Utc>,
        run_key: &str,
    ) -> Composer {
        let site = &settings.site;
        let releases = releases
            .iter()
            .map(|stored| {
                let release = &stored.release;
                DigestRelease {
                    title: release.title.clone(),
                    date: release.date.as_ref().map(pressroom_core::ReleaseDate::day),
                    place: release.place.clone(),
                    summary: release.summary.clone(),
                    url: pressroom_feeds::release_url(site, &release.id),
                    lang: release.lang.clone(),
                }
            })
            .collect();
        Composer {
            site: Site {
                title: site.title.clone(),
                base_url: site.base_url.clone(),
                from: email.from.clone(),
                from_name: email.from_name.clone(),
                list_id_domain: email.list_id_domain.clone(),
            },
            digest: Digest {
                name: digest.name.clone(),
                subject: digest.subject.clone(),
                description: digest.description.clone(),
            },
            releases,
            now: at.with_timezone(&digest.time_zone).fixed_offset(),
            run_key: run_key.to_owned(),
            list_id_domain: email.list_id_domain.clone(),
            unsubscribe_url: email.unsubscribe_url.clone(),
            unsubscribe_mailto: email.unsubscribe_mailto.clone(),
            secret: email.secret.clone(),
            templates: email.templates.clone(),
            default_lang: settings.site.lang.clone(),
        }
    }

    /// The message for one recipient.
    pub fn compose(&self, address: &Address, name: &str, lang: &str) -> anyhow::Result<Email> {
        let lang = Lang::parse(lang).unwrap_or_else(|_| self.default_lang.clone());
        let recipient = Recipient {
            address: address.clone(),
            name: name.to_owned(),
            lang: lang.clone(),
        };
        let message_id = MessageId::for_delivery(&self.run_key, address, &self.list_id_domain)?;
        let unsubscribe = Unsubscribe {
            mailto: self.unsubscribe_mailto.as_ref().map(|mailbox| {
                format!(
                    "mailto:{mailbox}?subject=unsubscribe%20{}",
                    self.digest.name
                )
            }),
            https: Some(unsubscribe_link(
                &self.unsubscribe_url,
                &self.secret,
                address,
                &self.digest.name,
                &lang,
            )),
        };
        let email = compose(&DigestInput {
            site: &self.site,
            digest: &self.digest,
            recipient: &recipient,
            releases: &self.releases,
            now: self.now,
            message_id: &message_id,
            unsubscribe: &unsubscribe,
            templates: &self.templates,
        })?;
        Ok(email)
    }
}

/// The identity of a run across store rebuilds: its digest and slot.
fn run_key(digest: &str, slot: DateTime<Utc>) -> String {
    format!("{digest}.{}", slot.timestamp_micros())
}

/// `<url>?list=NAME&address=ADDR&lang=LANG&token=TOKEN`: everything the
/// endpoint needs, signed so that it cannot be pointed at someone else.
pub fn unsubscribe_link(
    url: &str,
    secret: &pressroom_digest::Secret,
    address: &Address,
    digest: &str,
    lang: &Lang,
) -> String {
    let token = token::sign(secret, address.as_str(), digest);
    format!(
        "{url}?list={}&address={}&lang={}&token={token}",
        percent_encode(digest),
        percent_encode(address.as_str()),
        percent_encode(lang.as_str())
    )
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Creates the runs due now and delivers every unfinished run, holding the
/// delivery lock. Returns whether something is left to retry later: a run
/// with deferred recipients, or a run that could not be created (an
/// unreadable subscriber list).
pub async fn run_due(settings: Arc<Settings>, stop: StopFlag) -> anyhow::Result<bool> {
    let Some(email) = settings.email.clone() else {
        return Ok(false);
    };
    let state = settings.state.clone();
    let (lock, runs, mut retry) = {
        let settings = Arc::clone(&settings);
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let lock = crate::daemon::lock::WorkspaceLock::acquire_delivery(&state)?;
            let mut store = Store::open(&settings.store_path())?;
            let now = Utc::now();
            let mut retry = false;
            for digest in &email.digests {
                let Some(slot) = due_slot(&store, digest, now)? else {
                    continue;
                };
                let plan = plan(&store, digest, RunTrigger::Schedule, slot)?;
                if let Err(error) = create_run(&mut store, &settings, &email, &plan, now) {
                    tracing::error!(digest = %digest.name, "cannot start the digest run, will retry: {error:#}");
                    retry = true;
                }
            }
            let runs: Vec<DigestRun> = store
                .unfinished_digest_runs()?
                .into_iter()
                .filter(|run| {
                    let configured = email.digests.iter().any(|d| d.name == run.digest);
                    if !configured {
                        tracing::warn!(run = run.id, digest = %run.digest, "an unfinished run of a digest that is no longer configured is left alone");
                    }
                    configured
                })
                .collect();
            Ok((lock, runs, retry))
        })
        .await
        .context("the digest task failed")??
    };
    for run in runs {
        if stop.is_stopped() {
            break;
        }
        let (id, digest) = (run.id, run.digest.clone());
        match deliver(Arc::clone(&settings), run, stop.clone()).await {
            Ok(outcome) => {
                let counts = outcome.counts;
                tracing::info!(
                    run = id,
                    digest = %digest,
                    sent = counts.sent,
                    failed = counts.failed,
                    suppressed = counts.suppressed,
                    pending = counts.pending,
                    "digest run {}",
                    if outcome.finished { "finished" } else { "paused: some recipients are deferred" }
                );
                retry |= !outcome.finished;
            }
            Err(error) => {
                tracing::error!(run = id, digest = %digest, "digest delivery failed, will retry: {error:#}");
                retry = true;
            }
        }
    }
    drop(lock);
    Ok(retry)
}

/// Records that `address` unsubscribed: in the archive's journal first (so
/// that a store rebuilt from the archive still honours it), then on the
/// store's suppression list. Returns `false` if it already was.
pub fn record_unsubscribe(
    archive: &std::path::Path,
    store: &mut Store,
    address: &Address,
    digest: Option<&str>,
    source: pressroom_store::SuppressionSource,
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    if store.is_suppressed(address.as_str())? {
        return Ok(false);
    }
    crate::journal::Journal::new(archive)
        .append(&crate::journal::JournalEvent::Unsubscribe {
            at,
            address: address.to_string(),
            source: source.as_str().to_owned(),
            digest: digest.map(str::to_owned),
        })
        .with_context(|| format!("cannot write to the journal in '{}'", archive.display()))?;
    Ok(store.suppress(address.as_str(), digest, source, at)?)
}

/// Takes `address` off the suppression list, journal first. Returns
/// `false` if it was not on it.
pub fn record_resubscribe(
    archive: &std::path::Path,
    store: &mut Store,
    address: &Address,
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    if !store.is_suppressed(address.as_str())? {
        return Ok(false);
    }
    crate::journal::Journal::new(archive)
        .append(&crate::journal::JournalEvent::Resubscribe {
            at,
            address: address.to_string(),
        })
        .with_context(|| format!("cannot write to the journal in '{}'", archive.display()))?;
    Ok(store.unsuppress(address.as_str())?)
}

/// How a run's delivery went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Recipients at the end, by state.
    pub counts: RunCounts,
    /// Whether the run is finished (nobody pending).
    pub finished: bool,
}

/// A stop request shared with a delivery in progress: no new message is
/// started once it is set; those under way finish and are recorded.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Delivers the pending recipients of `run`: through SMTP when configured,
/// else into the outbox. Must run inside a tokio runtime; the store work
/// runs on blocking threads, each with its own connection.
pub async fn deliver(
    settings: Arc<Settings>,
    run: DigestRun,
    stop: StopFlag,
) -> anyhow::Result<Outcome> {
    let email = settings
        .email
        .clone()
        .context("digest emails are not configured")?;
    let store_path = settings.store_path();
    let now = Utc::now();

    // Before anything goes out: recipients who unsubscribed since the run
    // was created, and those deferred too many times.
    let composer = {
        let settings = Arc::clone(&settings);
        let email = email.clone();
        let run = run.clone();
        let store_path = store_path.clone();
        tokio::task::spawn_blocking(move || {
            let mut store = Store::open(&store_path)?;
            let suppressed = store.suppress_pending(run.id, now)?;
            if suppressed > 0 {
                tracing::info!(
                    run = run.id,
                    suppressed,
                    "left out addresses that unsubscribed"
                );
            }
            give_up_on_stragglers(&mut store, run.id, now)?;
            Composer::for_run(&store, &settings, &email, &run)
        })
        .await
        .context("the digest task failed")??
    };
    let composer = Arc::new(composer);

    match &email.smtp {
        None => {
            let outbox = Outbox::new(email.outbox.clone());
            std::fs::create_dir_all(outbox.dir()).with_context(|| {
                format!("cannot create the outbox '{}'", outbox.dir().display())
            })?;
            let (run_id, store_path) = (run.id, store_path.clone());
            let composer = Arc::clone(&composer);
            let stop = stop.clone();
            tokio::task::spawn_blocking(move || {
                deliver_to_outbox(&store_path, run_id, &composer, &outbox, &stop)
            })
            .await
            .context("the digest task failed")??;
        }
        Some(config) => {
            let smtp = Smtp::new(config.clone())?;
            deliver_by_smtp(&store_path, run.id, &composer, &smtp, &stop).await?;
        }
    }

    let run_id = run.id;
    tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&store_path)?;
        let finished = store.finish_digest_run(run_id, Utc::now())?;
        let counts = store.digest_run_counts(run_id)?;
        anyhow::Ok(Outcome { counts, finished })
    })
    .await
    .context("the digest task failed")?
}

/// Recipients deferred in [`MAX_PASSES`] passes are recorded as failed.
fn give_up_on_stragglers(store: &mut Store, run: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut after = String::new();
    loop {
        let page = store.pending_recipients(run, &after, PAGE)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.address.clone();
        for recipient in page.iter().filter(|r| r.attempts >= MAX_PASSES) {
            tracing::warn!(run, to = %recipient.address, "giving up after {MAX_PASSES} delivery attempts");
            store.record_delivery(
                run,
                &recipient.address,
                RecipientState::Failed,
                Some(&format!(
                    "given up after {MAX_PASSES} attempts with temporary failures"
                )),
                now,
            )?;
        }
    }
}

/// Calls `f` with each pending recipient of `run`, a page at a time, until
/// `f` returns `false` or none is left.
fn for_each_pending(
    store: &Store,
    run: i64,
    mut f: impl FnMut(PendingRecipient) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let mut after = String::new();
    loop {
        let page = store.pending_recipients(run, &after, PAGE)?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.address.clone();
        for recipient in page {
            if !f(recipient)? {
                return Ok(());
            }
        }
    }
}

/// The message for a pending recipient, or why it cannot be made (then
/// recorded as failed: composing it again would fail again).
fn message_for(composer: &Composer, recipient: &PendingRecipient) -> Result<Email, String> {
    let address = Address::parse(&recipient.address).map_err(|error| error.to_string())?;
    composer
        .compose(&address, &recipient.name, &recipient.lang)
        .map_err(|error| format!("cannot compose the message: {error:#}"))
}

fn deliver_to_outbox(
    store_path: &std::path::Path,
    run: i64,
    composer: &Composer,
    outbox: &Outbox,
    stop: &StopFlag,
) -> anyhow::Result<()> {
    let reader = Store::open(store_path)?;
    let mut writer = Store::open(store_path)?;
    for_each_pending(&reader, run, |recipient| {
        if stop.is_stopped() {
            return Ok(false);
        }
        let (state, detail) = match message_for(composer, &recipient) {
            Ok(email) => {
                outbox.write(&email)?;
                (RecipientState::Sent, None)
            }
            Err(why) => (RecipientState::Failed, Some(why)),
        };
        writer.record_delivery(
            run,
            &recipient.address,
            state,
            detail.as_deref(),
            Utc::now(),
        )?;
        Ok(true)
    })
}

/// What the recorder thread writes.
enum Record {
    Delivery(Delivery),
    Unsendable { address: String, why: String },
}

async fn deliver_by_smtp(
    store_path: &std::path::Path,
    run: i64,
    composer: &Arc<Composer>,
    smtp: &Smtp,
    stop: &StopFlag,
) -> anyhow::Result<()> {
    // Composing (a producer thread) and sending (the async client) overlap;
    // results are recorded by a third thread, off the async workers.
    let (email_tx, email_rx) = tokio::sync::mpsc::channel::<Email>(64);
    let (record_tx, record_rx) = std::sync::mpsc::channel::<Record>();

    let producer = {
        let store_path: PathBuf = store_path.to_owned();
        let composer = Arc::clone(composer);
        let stop = stop.clone();
        let record_tx = record_tx.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let reader = Store::open(&store_path)?;
            for_each_pending(&reader, run, |recipient| {
                if stop.is_stopped() {
                    return Ok(false);
                }
                match message_for(&composer, &recipient) {
                    // A closed channel: the client stopped; the rest stays pending.
                    Ok(email) => Ok(email_tx.blocking_send(email).is_ok()),
                    Err(why) => {
                        let address = recipient.address;
                        let _ = record_tx.send(Record::Unsendable { address, why });
                        Ok(true)
                    }
                }
            })
        })
    };

    let recorder = {
        let store_path: PathBuf = store_path.to_owned();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut writer = Store::open(&store_path)?;
            while let Ok(record) = record_rx.recv() {
                let now = Utc::now();
                match record {
                    Record::Delivery(delivery) => {
                        let address = delivery.recipient.to_string();
                        let (state, detail) = match &delivery.result {
                            DeliveryResult::Sent => (RecipientState::Sent, None),
                            DeliveryResult::Rejected(reply) => {
                                tracing::warn!(run, to = %address, "refused by the server: {reply}");
                                (RecipientState::Failed, Some(reply.to_string()))
                            }
                            DeliveryResult::Deferred(why) => {
                                tracing::warn!(run, to = %address, "deferred: {why}");
                                (RecipientState::Pending, Some(why.clone()))
                            }
                        };
                        writer.record_delivery(run, &address, state, detail.as_deref(), now)?;
                    }
                    Record::Unsendable { address, why } => {
                        tracing::error!(run, to = %address, "{why}");
                        writer.record_delivery(
                            run,
                            &address,
                            RecipientState::Failed,
                            Some(&why),
                            now,
                        )?;
                    }
                }
            }
            Ok(())
        })
    };

    let sent = smtp
        .send_all(ReceiverStream(email_rx), |delivery| {
            let _ = record_tx.send(Record::Delivery(delivery));
        })
        .await;
    drop(record_tx);
    let produced = producer.await.context("the digest task failed")?;
    let recorded = recorder.await.context("the digest task failed")?;
    recorded?;
    produced?;
    let summary = sent?;
    tracing::info!(
        run,
        sent = summary.sent,
        refused = summary.rejected,
        deferred = summary.deferred,
        "digest delivery pass done"
    );
    Ok(())
}

/// A tokio receiver as a `Stream`, for [`Smtp::send_all`].
struct ReceiverStream(tokio::sync::mpsc::Receiver<Email>);

impl futures_core::Stream for ReceiverStream {
    type Item = Email;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Email>> {
        self.0.poll_recv(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_percent_encoded() {
        assert_eq!(
            percent_encode("jean+news@example.org"),
            "jean%2Bnews%40example.org"
        );
        assert_eq!(percent_encode("daily_fr-1"), "daily_fr-1");
    }
}

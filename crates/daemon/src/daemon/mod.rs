//! `pressroom run`: the daemon.
//!
//! One loop owns the state and reacts to a closed set of events: the
//! watcher's (a path seen or gone, a rescan), the settle timer (candidates to
//! look at again; a release is taken once all its files have settled), the
//! embargo timer, the digest schedule, the periodic rescan, the watchdog,
//! and signals (SIGHUP reloads, SIGTERM and SIGINT stop). Publishing work
//! runs on a blocking thread and the loop waits for it, so a stop request
//! finishes the batch in hand before the process exits. Digest delivery runs
//! beside the loop as its own task (a digest to 10,000 subscribers must not
//! hold up publishing); a stop lets the messages under way finish and
//! leaves the rest pending for the next start.
//!
//! Errors are split by consequence: a bad config or a held lock at start
//! stops the daemon (critical); a bad file, a failed batch or a broken
//! config on reload is logged and the daemon goes on (runtime).

pub mod lock;
pub mod serve;
pub mod settle;
pub mod systemd;
pub mod unsubscribe;
pub mod watch;

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::sleep_until;

use crate::config::Settings;
use crate::source::{self, Unit};
use crate::workspace::{Dirty, RunReport, Workspace};
use lock::WorkspaceLock;
use settle::Settler;
use systemd::Systemd;
use watch::{InboxEvent, InboxWatcher};

/// How often the inbox folder itself is checked (deleted, renamed, recreated).
const INBOX_CHECK: Duration = Duration::from_secs(1);

/// How long after a digest pass with deferred recipients (or a failure)
/// the next pass starts.
const DIGEST_RETRY: Duration = Duration::from_secs(600);

/// How long a stop waits for the digest messages under way.
const DIGEST_STOP_GRACE: Duration = Duration::from_secs(10);

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(config_path: &Path, serve_override: Option<std::net::SocketAddr>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run_async(config_path, serve_override))
}

/// Totals since start, for systemd's status line.
#[derive(Debug, Default)]
struct Totals {
    published: usize,
    updated: usize,
    rejected: usize,
}

impl Totals {
    fn add(&mut self, report: &RunReport) {
        self.published += report.published;
        self.updated += report.updated;
        self.rejected += report.rejected.len();
    }

    fn status(&self, waiting: usize) -> String {
        format!(
            "{} published, {} updated, {} rejected since start; {waiting} file(s) waiting",
            self.published, self.updated, self.rejected
        )
    }
}

/// Identifies the inbox folder itself, to notice it being replaced.
fn folder_identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| (m.dev(), m.ino()))
}

async fn run_async(
    config_path: &Path,
    serve_override: Option<std::net::SocketAddr>,
) -> anyhow::Result<()> {
    let config_path = std::path::absolute(config_path).unwrap_or_else(|_| config_path.to_owned());
    let mut settings = Settings::load(&config_path)?;
    std::fs::create_dir_all(&settings.state).with_context(|| {
        format!(
            "cannot create the state folder '{}'",
            settings.state.display()
        )
    })?;
    let _lock = WorkspaceLock::acquire(&settings.state)?;
    let mut workspace = Some(Workspace::open(settings.clone())?);
    let systemd = Systemd;

    let (stop_server, server_stopped) = tokio::sync::watch::channel(false);
    let serve_state = Arc::new(serve::ServeState::new(&settings));
    let serving = serve_override.or(settings.serve);
    if let Some(address) = serving {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        let state = Arc::clone(&serve_state);
        tracing::info!("serving {} on http://{address}/", settings.public.display());
        let mut stopped = server_stopped.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(error) = axum::serve(listener, serve::router(state))
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!("the HTTP server stopped: {error}");
            }
        });
    }

    let mut hangup = signal(SignalKind::hangup()).context("cannot handle SIGHUP")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;

    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut watcher = start_watcher(&settings, events_tx.clone());
    let mut inbox_identity = folder_identity(&settings.inbox);
    let mut settler = Settler::new(settings.settle);
    let mut totals = Totals::default();
    let mut ready = false;
    warn_if_unsubscribe_unreachable(&settings, serving);

    // Digests: a task delivering, and the wall-clock time of the next pass.
    let mut digest_task: Option<tokio::task::JoinHandle<anyhow::Result<bool>>> = None;
    let digest_stop = crate::digests::StopFlag::default();
    let mut next_digest: Option<chrono::DateTime<chrono::Utc>> = None;

    // Files dropped while the daemon was down: settle them like any other.
    scan_into(&settings.inbox, &mut settler);
    let start = Instant::now();
    let mut next_poll = Some(start + settings.settle);
    let mut next_embargo: Option<Instant> = None;
    let mut next_rescan = settings.rescan_interval.map(|interval| start + interval);
    let mut next_inbox_check = start + INBOX_CHECK;
    let watchdog_interval = systemd.watchdog_interval();
    let mut next_watchdog = watchdog_interval.map(|interval| start + interval);
    tracing::info!(inbox = %settings.inbox.display(), "watching the inbox");

    loop {
        let wake = [
            next_poll,
            next_embargo,
            next_rescan,
            Some(next_inbox_check),
            next_watchdog,
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            Some((at, event)) = events.recv() => {
                handle_event(event, at, &mut settler, &settings);
                let mut earliest = at;
                // Take whatever else is queued before looking at the files.
                while let Ok((at, event)) = events.try_recv() {
                    handle_event(event, at, &mut settler, &settings);
                    earliest = earliest.min(at);
                }
                // Settle times count from the events' arrival (the loop may
                // have been busy with a batch when they came).
                let soon = earliest + settings.settle;
                next_poll = Some(next_poll.map_or(soon, |p| p.min(soon)));
            }
            _ = sleep_until(wake.into()) => {
                let now = Instant::now();
                if next_watchdog.is_some_and(|t| now >= t) {
                    systemd.watchdog();
                    next_watchdog = watchdog_interval.map(|interval| now + interval);
                }
                if now >= next_inbox_check {
                    next_inbox_check = now + INBOX_CHECK;
                    let identity = folder_identity(&settings.inbox);
                    if identity != inbox_identity {
                        match identity {
                            None => tracing::error!(inbox = %settings.inbox.display(), "the inbox is gone (deleted or renamed); waiting for it to come back"),
                            Some(_) => {
                                tracing::warn!(inbox = %settings.inbox.display(), "the inbox is back (or was replaced); watching it again");
                                watcher = start_watcher(&settings, events_tx.clone());
                                scan_into(&settings.inbox, &mut settler);
                                next_poll = Some(now + settings.settle);
                            }
                        }
                        if identity.is_none() {
                            watcher = None;
                        }
                        inbox_identity = identity;
                    }
                }
                if next_rescan.is_some_and(|t| now >= t) {
                    scan_into(&settings.inbox, &mut settler);
                    next_rescan = settings.rescan_interval.map(|interval| now + interval);
                    next_poll = Some(now + settings.settle);
                }
                let mut settled = Vec::new();
                if next_poll.is_some_and(|t| now >= t) {
                    let (files, next) = settler.poll(now);
                    let (units, held) = settled_units(&files, &mut settler, &settings, now);
                    settled = units;
                    // A release waiting for one of its files: look again soon.
                    let soon = now + settings.settle;
                    next_poll = if held { Some(next.map_or(soon, |n| n.min(soon))) } else { next };
                }
                let embargo_due = next_embargo.is_some_and(|t| now >= t);
                if embargo_due {
                    next_embargo = None;
                }
                if !settled.is_empty() || embargo_due || !ready {
                    let result = run_blocking(&mut workspace, move |ws| {
                        let (report, written) = ws.publish(&settled, &mut |_| {})?;
                        let next = ws.next_embargo()?;
                        Ok((report, written, next))
                    }).await;
                    match result {
                        Ok((report, written, next)) => {
                            totals.add(&report);
                            if written > 0 {
                                tracing::info!(written, "regenerated outputs");
                            }
                            next_embargo = next.map(instant_of);
                        }
                        Err(error) => {
                            // The files stay in the inbox: try again after a pause.
                            tracing::error!("publishing failed, will retry: {error:#}");
                            scan_into(&settings.inbox, &mut settler);
                            next_poll = Some(Instant::now() + settings.settle.max(Duration::from_secs(5)));
                        }
                    }
                    let status = totals.status(settler.len());
                    if ready {
                        systemd.status(&status);
                    } else {
                        ready = true;
                        systemd.ready(&status);
                        tracing::info!("ready: {status}");
                    }
                }
            }
            _ = hangup.recv() => {
                systemd.reloading();
                match Settings::load(&config_path) {
                    Ok(new) => match reload(&mut workspace, &new).await {
                        Ok(()) => {
                            let inbox_changed = new.inbox != settings.inbox || new.poll != settings.poll;
                            settler.set_settle(new.settle);
                            settings = new;
                            if inbox_changed {
                                watcher = start_watcher(&settings, events_tx.clone());
                                inbox_identity = folder_identity(&settings.inbox);
                                scan_into(&settings.inbox, &mut settler);
                            }
                            next_rescan = settings.rescan_interval.map(|interval| Instant::now() + interval);
                            next_poll = Some(Instant::now());
                            serve_state.update(&settings);
                            warn_if_unsubscribe_unreachable(&settings, serving);
                            // New digests or schedules: look again now.
                            if digest_task.is_none() {
                                next_digest = None;
                            }
                            tracing::info!(config = %config_path.display(), "configuration reloaded");
                        }
                        Err(error) => tracing::error!("cannot apply the new configuration, keeping the old one: {error:#}"),
                    },
                    Err(error) => tracing::error!("invalid configuration, keeping the old one: {error:#}"),
                }
                systemd.ready(&totals.status(settler.len()));
            }
            finished = async { digest_task.as_mut().expect("guarded by the condition").await }, if digest_task.is_some() => {
                digest_task = None;
                let now = chrono::Utc::now();
                let retry = match finished {
                    Ok(Ok(retry)) => retry,
                    Ok(Err(error)) => {
                        tracing::error!("digests: {error:#}");
                        true
                    }
                    Err(error) => {
                        tracing::error!("the digest task failed: {error}");
                        true
                    }
                };
                next_digest = next_digest_pass(&settings, now, retry);
            }
            _ = terminate.recv() => { break; }
            _ = interrupt.recv() => { break; }
        }
        // Digests come due by the wall clock, checked at each wake (at least
        // every second), so a suspended machine or a clock change is no trap.
        if ready
            && digest_task.is_none()
            && settings.email.is_some()
            && next_digest.is_none_or(|at| chrono::Utc::now() >= at)
        {
            let task_settings = Arc::new(settings.clone());
            digest_task = Some(tokio::spawn(crate::digests::run_due(
                task_settings,
                digest_stop.clone(),
            )));
            next_digest = None;
        }
    }
    systemd.stopping();
    tracing::info!("stopping");
    if let Some(task) = digest_task.take() {
        digest_stop.stop();
        if tokio::time::timeout(DIGEST_STOP_GRACE, task).await.is_err() {
            tracing::warn!(
                "digest messages still under way at stop; they stay pending for the next start"
            );
        }
    }
    drop(watcher);
    let _ = stop_server.send(true);
    Ok(())
}

/// When the next digest pass is due: the next slot, or sooner when a pass
/// left something to retry.
fn next_digest_pass(
    settings: &Settings,
    now: chrono::DateTime<chrono::Utc>,
    retry: bool,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let email = settings.email.as_ref()?;
    let slot = crate::digests::next_slot(email, now)?;
    let retry_at =
        retry.then(|| now + chrono::Duration::from_std(DIGEST_RETRY).unwrap_or_default());
    Some(retry_at.map_or(slot, |retry_at| retry_at.min(slot)))
}

/// One-click unsubscribe links must reach this daemon's HTTP server: say so
/// when digests are on and nothing is served.
fn warn_if_unsubscribe_unreachable(settings: &Settings, serving: Option<std::net::SocketAddr>) {
    if let Some(email) = &settings.email
        && serving.is_none()
    {
        tracing::warn!(
            unsubscribe_url = %email.unsubscribe_url,
            "digests are on but no HTTP server runs: unsubscribe links will not work until [serve] address (or --serve) is set and the URL reaches it"
        );
    }
}

/// Opens the workspace with new settings; the old one stays on failure.
async fn reload(workspace: &mut Option<Workspace>, settings: &Settings) -> anyhow::Result<()> {
    let new_settings = settings.clone();
    let opened = tokio::task::spawn_blocking(move || {
        let mut opened = Workspace::open(new_settings)?;
        // New templates or settings change the outputs: render them again now.
        opened.refresh(&mut Dirty::default())?;
        anyhow::Ok(opened)
    })
    .await
    .context("the reload task failed")??;
    *workspace = Some(opened);
    Ok(())
}

/// Runs `work` on the workspace on a blocking thread and puts it back.
async fn run_blocking<T: Send + 'static>(
    workspace: &mut Option<Workspace>,
    work: impl FnOnce(&mut Workspace) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let mut taken = workspace.take().context("the workspace is busy")?;
    let (returned, result) = tokio::task::spawn_blocking(move || {
        let result = work(&mut taken);
        (taken, result)
    })
    .await
    .context("the publishing task failed")?;
    *workspace = Some(returned);
    result
}

fn start_watcher(
    settings: &Settings,
    events: mpsc::UnboundedSender<(Instant, InboxEvent)>,
) -> Option<InboxWatcher> {
    match InboxWatcher::start(&settings.inbox, settings.poll, events) {
        Ok(watcher) => Some(watcher),
        Err(error) => {
            tracing::error!(inbox = %settings.inbox.display(), "cannot watch the inbox ({error}); relying on rescans");
            None
        }
    }
}

/// Handles an event received at `now` (which may be a little while ago).
fn handle_event(event: InboxEvent, now: Instant, settler: &mut Settler, settings: &Settings) {
    match event {
        InboxEvent::Seen { path, writing } => {
            let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
                return;
            };
            if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                // A folder moved in brings files that produced no events.
                scan_into(&path, settler);
            } else if !pressroom_core::names::is_ignored(&name) {
                settler.note(&path, writing, now);
            }
        }
        InboxEvent::Gone { path } => {
            settler.forget(&path);
            // A removed lock file frees the document it locked.
            if let (Some(name), Some(folder)) = (path.file_name(), path.parent())
                && let Some(document) =
                    pressroom_core::names::locked_document(&name.to_string_lossy())
            {
                settler.note(&folder.join(document), None, now);
            }
        }
        InboxEvent::Rescan { reason } => {
            tracing::warn!("{reason}: scanning the inbox");
            scan_into(&settings.inbox, settler);
        }
    }
}

/// Notes every release file under `folder`.
fn scan_into(folder: &Path, settler: &mut Settler) {
    let now = Instant::now();
    match source::release_files(folder) {
        Ok(files) => {
            for path in files {
                settler.note(&path, None, now);
            }
        }
        Err(error) => tracing::warn!(folder = %folder.display(), "cannot scan: {error}"),
    }
}

/// How long a photo or PDF that goes with no release waits for its document
/// before it is rejected: editors and upload tools often copy the photos
/// first. A multiple of the settle time, at least this.
const STRAY_WAIT: Duration = Duration::from_secs(10);

/// The releases (and strays) ready to publish, from the files that stood
/// still (`due`): a unit is taken only when every one of its files has
/// settled, so that a document never goes out before its photos. A file of
/// a unit that no event announced is noted now and waited for. Returns
/// whether a unit is waiting for one of its files.
fn settled_units(
    due: &[PathBuf],
    settler: &mut Settler,
    settings: &Settings,
    now: Instant,
) -> (Vec<Unit>, bool) {
    let stray_wait = (settings.settle * 10).max(STRAY_WAIT);
    let due_set: HashSet<&PathBuf> = due.iter().collect();
    let mut looked_at: HashSet<PathBuf> = HashSet::new();
    // Each folder is listed once, however many of its files settled.
    let mut folders: HashMap<PathBuf, Vec<Unit>> = HashMap::new();
    let mut ready = Vec::new();
    let mut held = false;
    for path in due {
        if looked_at.contains(path) {
            continue;
        }
        let folder = path.parent().unwrap_or(Path::new("")).to_owned();
        let units = match folders.entry(folder) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => match source::folder_units(entry.key(), &settings.inbox) {
                Ok(units) => entry.insert(units),
                Err(error) => {
                    tracing::warn!(file = %path.display(), "cannot list its folder: {error}");
                    settler.forget(path);
                    continue;
                }
            },
        };
        let Some(unit) = source::find_unit(units, path).cloned() else {
            settler.forget(path);
            continue;
        };
        looked_at.extend(unit.files().cloned());
        let mut complete = true;
        for file in unit.files() {
            if !due_set.contains(file) {
                complete = false;
                if !settler.contains(file) {
                    settler.note(file, None, now);
                }
            }
        }
        if !complete {
            held = true;
            continue;
        }
        if unit.is_stray()
            && let Some(until) = settler.first_seen(&unit.path).map(|t| t + stray_wait)
            && now < until
        {
            // Its document may yet come; the settler wakes us then.
            settler.defer(&unit.path, until);
            continue;
        }
        if source::is_locked(&unit.path) {
            // Noted again when its lock file goes away.
            tracing::info!(file = %unit.path.display(), "waiting: the document is open in an office suite");
            for file in unit.files() {
                settler.forget(file);
            }
            continue;
        }
        for file in unit.files() {
            settler.take(file);
        }
        ready.push(unit);
    }
    (ready, held)
}

/// The monotonic instant at which a wall-clock time arrives.
fn instant_of(at: chrono::DateTime<chrono::Utc>) -> Instant {
    let delta = at - chrono::Utc::now();
    Instant::now() + delta.to_std().unwrap_or(Duration::ZERO) + Duration::from_millis(5)
}

//! `pressroom digest list|preview|send` and `pressroom unsubscribe`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use pressroom_digest::Address;
use pressroom_store::{RunTrigger, Store, SuppressionSource};

use crate::cli::{DigestPreviewArgs, DigestSendArgs, UnsubscribeArgs};
use crate::config::{DigestSettings, EmailSettings, Settings};
use crate::daemon::lock::WorkspaceLock;
use crate::digests::{self, Composer, StopFlag};

fn email_settings(settings: &Settings) -> anyhow::Result<&EmailSettings> {
    settings.email.as_ref().context(
        "digest emails are not configured: add a [[digest]] table and the [email] settings to the config",
    )
}

fn digest_named<'a>(email: &'a EmailSettings, name: &str) -> anyhow::Result<&'a DigestSettings> {
    email
        .digests
        .iter()
        .find(|digest| digest.name == name)
        .with_context(|| {
            let names: Vec<&str> = email.digests.iter().map(|d| d.name.as_str()).collect();
            format!(
                "no digest named '{name}' (configured: {})",
                names.join(", ")
            )
        })
}

fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&settings.state)
        .with_context(|| format!("cannot create '{}'", settings.state.display()))?;
    Ok(Store::open(&settings.store_path())?)
}

pub fn list(config: &Path) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    let email = email_settings(&settings)?;
    let store = open_store(&settings)?;
    let now = Utc::now();
    for digest in &email.digests {
        let next = digest.schedule.next_after(now, digest.time_zone);
        println!(
            "{}: {} ({}); next {}",
            digest.name,
            digest.schedule,
            digest.time_zone,
            next.with_timezone(&digest.time_zone)
                .format("%Y-%m-%d %H:%M %Z")
        );
        match store.last_digest_run(&digest.name)? {
            None => println!("  no run yet"),
            Some(run) => {
                let counts = store.digest_run_counts(run.id)?;
                println!(
                    "  last run {} for {}: {} release(s); {} sent, {} failed, {} unsubscribed, {} pending{}",
                    run.id,
                    run.slot
                        .with_timezone(&digest.time_zone)
                        .format("%Y-%m-%d %H:%M %Z"),
                    run.releases.len(),
                    counts.sent,
                    counts.failed,
                    counts.suppressed,
                    counts.pending,
                    if run.finished.is_some() {
                        ""
                    } else {
                        " (unfinished)"
                    }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn preview(config: &Path, args: &DigestPreviewArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    let email = email_settings(&settings)?;
    let digest = digest_named(email, &args.name)?;
    let store = open_store(&settings)?;
    let now = Utc::now();
    let plan = digests::plan(&store, digest, RunTrigger::Manual, now)?;
    let subscribers = digests::subscribers_of(email, &digest.name, &settings.site.lang)?;
    let (address, name, lang) = match &args.to {
        Some(raw) => {
            let address = Address::parse(raw)?;
            match subscribers.iter().find(|s| s.address == address) {
                Some(s) => (s.address.clone(), s.name.clone(), s.lang.to_string()),
                None => (address, String::new(), settings.site.lang.to_string()),
            }
        }
        None => {
            let first = subscribers.first().with_context(|| {
                format!(
                    "nobody on '{}' receives the digest '{}': name someone with --to ADDRESS",
                    email.subscribers.display(),
                    digest.name
                )
            })?;
            (
                first.address.clone(),
                first.name.clone(),
                first.lang.to_string(),
            )
        }
    };
    let composer = Composer::for_plan(&settings, email, &plan, now);
    let message = composer.compose(&address, &name, &lang)?;
    match &args.output {
        Some(path) => std::fs::write(path, &message.bytes)
            .with_context(|| format!("cannot write '{}'", path.display()))?,
        None => std::io::stdout().write_all(&message.bytes)?,
    }
    let zone = digest.time_zone;
    eprintln!(
        "digest '{}' for {address}: {} release(s) published between {} and {}{}",
        digest.name,
        plan.releases.len(),
        plan.window_start
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M"),
        plan.window_end
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M %Z"),
        if plan.releases.is_empty() && digest.skip_if_empty {
            " (empty: a scheduled run would send nothing)"
        } else {
            ""
        }
    );
    if store.is_suppressed(address.as_str())? {
        eprintln!("note: {address} unsubscribed; no digest is sent to it");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn send(config: &Path, args: &DigestSendArgs) -> anyhow::Result<ExitCode> {
    let settings = Arc::new(Settings::load(config)?);
    let email = email_settings(&settings)?.clone();
    let digest = digest_named(&email, &args.name)?.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let stop = StopFlag::default();
        let interrupted = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("pressroom: stopping after the messages under way; run again to resume");
                interrupted.stop();
            }
        });
        let (lock, runs) = {
            let settings = Arc::clone(&settings);
            tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let lock = WorkspaceLock::acquire_delivery_waiting(
                    &settings.state,
                    std::time::Duration::from_secs(60),
                )?;
                let mut store = open_store(&settings)?;
                // A run of this digest left unfinished (a crash, deferred
                // recipients) is completed first, then a new one is made.
                let mut runs: Vec<_> = store
                    .unfinished_digest_runs()?
                    .into_iter()
                    .filter(|run| run.digest == digest.name)
                    .collect();
                let now = Utc::now();
                let plan = digests::plan(&store, &digest, RunTrigger::Manual, now)?;
                if plan.releases.is_empty() && digest.skip_if_empty {
                    println!(
                        "nothing was published since the last '{}' digest: nothing to send",
                        digest.name
                    );
                } else {
                    runs.push(digests::create_run(
                        &mut store, &settings, &email, &plan, now,
                    )?);
                }
                Ok((lock, runs))
            })
            .await
            .context("the digest task failed")??
        };
        let mut complete = true;
        for run in runs {
            let id = run.id;
            let releases = run.releases.len();
            let outcome = digests::deliver(Arc::clone(&settings), run, stop.clone()).await?;
            let counts = outcome.counts;
            println!(
                "run {id}: {releases} release(s); sent {}, refused {}, unsubscribed {}, pending {}",
                counts.sent, counts.failed, counts.suppressed, counts.pending
            );
            complete &= outcome.finished && counts.failed == 0;
        }
        drop(lock);
        Ok(if complete {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

pub fn unsubscribe(config: &Path, args: &UnsubscribeArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    let address = Address::parse(&args.address)?;
    let mut store = open_store(&settings)?;
    std::fs::create_dir_all(&settings.archive)
        .with_context(|| format!("cannot create '{}'", settings.archive.display()))?;
    let now = Utc::now();
    if args.undo {
        if digests::record_resubscribe(&settings.archive, &mut store, &address, now)? {
            println!("{address} will receive digests again (if the subscriber list has it)");
        } else {
            println!("{address} was not unsubscribed");
        }
    } else if digests::record_unsubscribe(
        &settings.archive,
        &mut store,
        &address,
        None,
        SuppressionSource::Command,
        now,
    )? {
        println!("{address} is unsubscribed: no digest will be sent to it");
    } else {
        println!("{address} was already unsubscribed");
    }
    Ok(ExitCode::SUCCESS)
}

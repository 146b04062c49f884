//! The one-shot commands: `init`, `publish`, `retract`, `list`, `rebuild`.
//! Each is glue: load the settings, open the workspace, call it, report.

pub mod digest;

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use pressroom_core::ReleaseId;
use serde::Serialize;

use crate::cli::{InitArgs, ListArgs, RetractArgs, StatusArgs};
use crate::config::{Settings, default_config_text};
use crate::daemon::lock::WorkspaceLock;
use crate::files;
use crate::workspace::{Dirty, RunReport, Workspace};

pub fn init(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let config_path = args.dir.join("pressroom.toml");
    if config_path.exists() {
        anyhow::bail!(
            "'{}' already exists; not overwriting it",
            config_path.display()
        );
    }
    let text = default_config_text(&args.base_url, &random_secret()?);
    // Validate before writing anything, so a bad --base-url leaves no trace.
    Settings::parse(&text, &args.dir).context("invalid --base-url")?;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create '{}'", args.dir.display()))?;
    for folder in ["inbox", "archive", "rejected", "public", "state"] {
        let path = args.dir.join(folder);
        std::fs::create_dir_all(&path)
            .with_context(|| format!("cannot create '{}'", path.display()))?;
    }
    files::write_atomically(&config_path, text.as_bytes())
        .with_context(|| format!("cannot write '{}'", config_path.display()))?;
    println!("Created the workspace '{}'.", args.dir.display());
    println!(
        "Edit {} (at least [site] title and base_url), then drop releases into {}/",
        config_path.display(),
        args.dir.join("inbox").display()
    );
    println!(
        "and run: pressroom --config {} publish",
        config_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// 32 random bytes from the kernel, in hex: a fresh unsubscribe secret.
fn random_secret() -> anyhow::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut bytes))
        .context("cannot read /dev/urandom for the unsubscribe secret")?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

pub fn publish(config: &Path) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    // The daemon publishes the inbox itself; two processes ingesting the same
    // files would only get in each other's way.
    std::fs::create_dir_all(&settings.state)
        .with_context(|| format!("cannot create '{}'", settings.state.display()))?;
    let _lock = WorkspaceLock::acquire(&settings.state)?;
    let mut workspace = Workspace::open(settings)?;
    workspace
        .check_outputs_writable()
        .context("nothing was taken from the inbox")?;
    let units = workspace.inbox_units()?;
    let progress = Progress::new(units.len());
    let (report, written) = workspace.publish(&units, &mut |done| progress.update(done))?;
    progress.finish();
    print_report(&report, written);
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_report(report: &RunReport, written: usize) {
    println!(
        "published {}, updated {}, unchanged {}, rejected {}{}; {written} output file(s) written",
        report.published,
        report.updated,
        report.unchanged,
        report.rejected.len(),
        if report.skipped > 0 {
            format!(", left for the next run {}", report.skipped)
        } else {
            String::new()
        },
    );
    for (file, reason) in &report.rejected {
        println!("rejected {file}: {reason}");
    }
}

/// A progress line on a terminal for large backlogs; silent otherwise.
struct Progress {
    total: usize,
    shown: bool,
}

impl Progress {
    const THRESHOLD: usize = 100;

    fn new(total: usize) -> Self {
        Self {
            total,
            shown: total >= Self::THRESHOLD && std::io::stderr().is_terminal(),
        }
    }

    fn update(&self, done: usize) {
        if self.shown {
            eprint!(
                "\r{done}/{} files ({}%)",
                self.total,
                done * 100 / self.total
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

pub fn retract(config: &Path, args: &RetractArgs) -> anyhow::Result<ExitCode> {
    let id = ReleaseId::parse(&args.id)?;
    let settings = Settings::load(config)?;
    let mut workspace = Workspace::open(settings)?;
    let mut dirty = Dirty::default();
    let now = Utc::now();
    match workspace.retract(&id, now, &mut dirty)? {
        None => anyhow::bail!("no release with the id '{id}' (see `pressroom list`)"),
        Some(previous) if previous.retracted.is_some() => {
            println!("'{id}' was already retracted");
        }
        Some(_) => {
            workspace.regenerate(&dirty, false, now)?;
            println!("retracted '{id}': removed from every feed and page");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ListLine<'a> {
    id: &'a str,
    state: &'static str,
    published: String,
    lang: &'a str,
    revision: u32,
    title: &'a str,
}

pub fn list(config: &Path, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    let workspace = Workspace::open(settings)?;
    let now = Utc::now();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for entry in workspace.store.list()? {
        let state = if entry.retracted {
            "retracted"
        } else if entry.visible_from > now {
            "embargoed"
        } else {
            "published"
        };
        let published = entry
            .published
            .with_timezone(&workspace.settings.time_zone)
            .format("%Y-%m-%d %H:%M")
            .to_string();
        let line = ListLine {
            id: entry.id.as_str(),
            state,
            published,
            lang: &entry.lang,
            revision: entry.revision,
            title: &entry.title,
        };
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        } else {
            writeln!(
                out,
                "{:<10} {} {:<5} r{} {}  {}",
                line.state, line.published, line.lang, line.revision, line.id, line.title
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn rebuild(config: &Path) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    std::fs::create_dir_all(&settings.state)
        .with_context(|| format!("cannot create '{}'", settings.state.display()))?;
    let _lock = WorkspaceLock::acquire(&settings.state)?;
    let report = Workspace::rebuild(settings, Utc::now())?;
    for line in &report.torn_lines {
        eprintln!(
            "pressroom: warning: skipped the torn journal line {line} (an interrupted write)"
        );
    }
    for missing in &report.missing {
        eprintln!("pressroom: warning: could not replay {missing}");
    }
    for warning in &report.warnings {
        eprintln!("pressroom: warning: {warning}");
    }
    println!(
        "rebuilt the store from the archive: {} release(s) from {} version(s) and {} retraction(s); {} output file(s) written",
        report.releases, report.versions, report.retractions, report.outputs_written
    );
    if let Some(backup) = &report.backup {
        println!("the previous store is kept as {}", backup.display());
    }
    Ok(if report.missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `pressroom status --json`: a contract for monitoring scripts (fields are
/// only ever added).
#[derive(Serialize)]
struct Status {
    config: String,
    inbox: String,
    /// Release files waiting in the inbox.
    inbox_files: usize,
    /// Files in rejected/ with the reason their note gives.
    rejected: Vec<RejectedFile>,
    releases: u64,
    /// RFC 3339, or null before the first publish.
    last_publish: Option<String>,
    /// The next embargo to lift (RFC 3339), or null.
    next_embargo: Option<String>,
    store_bytes: u64,
    /// Whether a daemon holds the workspace's lock.
    daemon_running: bool,
    /// The configured digests (empty when email is off).
    digests: Vec<DigestStatus>,
    /// Addresses on the suppression list.
    unsubscribed: u64,
}

#[derive(Serialize)]
struct DigestStatus {
    name: String,
    /// The next scheduled slot (RFC 3339).
    next: String,
    last_run: Option<LastRun>,
}

#[derive(Serialize)]
struct LastRun {
    /// The slot it was for (RFC 3339).
    slot: String,
    releases: usize,
    sent: u64,
    failed: u64,
    unsubscribed: u64,
    pending: u64,
    finished: bool,
}

#[derive(Serialize)]
struct RejectedFile {
    file: String,
    reason: String,
}

pub fn status(config: &Path, args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    let daemon_running =
        settings.state.is_dir() && WorkspaceLock::acquire(&settings.state).is_err();
    let workspace = Workspace::open(settings)?;
    let settings = &workspace.settings;
    let inbox_files = workspace.inbox_files()?.len();
    let mut rejected = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&settings.rejected) {
        let mut notes: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        notes.sort();
        for note in notes {
            let name = note
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let Some(file) = name.strip_suffix(".error.txt") else {
                continue;
            };
            let text = std::fs::read_to_string(&note).unwrap_or_default();
            let reason = text
                .lines()
                .find_map(|line| line.strip_prefix("Reason: "))
                .unwrap_or("(see the note)")
                .to_owned();
            rejected.push(RejectedFile {
                file: file.to_owned(),
                reason,
            });
        }
    }
    let store_bytes = ["", "-wal"]
        .iter()
        .filter_map(|suffix| {
            std::fs::metadata(format!("{}{suffix}", settings.store_path().display())).ok()
        })
        .map(|m| m.len())
        .sum();
    let now = Utc::now();
    let mut digests = Vec::new();
    for digest in settings.email.iter().flat_map(|email| &email.digests) {
        let last_run = match workspace.store.last_digest_run(&digest.name)? {
            None => None,
            Some(run) => {
                let counts = workspace.store.digest_run_counts(run.id)?;
                Some(LastRun {
                    slot: run.slot.to_rfc3339(),
                    releases: run.releases.len(),
                    sent: counts.sent,
                    failed: counts.failed,
                    unsubscribed: counts.suppressed,
                    pending: counts.pending,
                    finished: run.finished.is_some(),
                })
            }
        };
        digests.push(DigestStatus {
            name: digest.name.clone(),
            next: digest
                .schedule
                .next_after(now, digest.time_zone)
                .to_rfc3339(),
            last_run,
        });
    }
    let status = Status {
        digests,
        unsubscribed: workspace.store.suppression_count()?,
        config: config.display().to_string(),
        inbox: settings.inbox.display().to_string(),
        inbox_files,
        rejected,
        releases: workspace.store.count()?,
        last_publish: workspace.last_run().map(|t| t.to_rfc3339()),
        next_embargo: workspace.next_embargo()?.map(|t| t.to_rfc3339()),
        store_bytes,
        daemon_running,
    };
    if args.json {
        println!("{}", serde_json::to_string(&status)?);
        return Ok(ExitCode::SUCCESS);
    }
    let zone = &settings.time_zone;
    let local = |rfc3339: &Option<String>| {
        rfc3339
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or_else(
                || "never".to_owned(),
                |t| {
                    t.with_timezone(zone)
                        .format("%Y-%m-%d %H:%M:%S %Z")
                        .to_string()
                },
            )
    };
    println!("workspace:     {}", status.config);
    println!(
        "daemon:        {}",
        if status.daemon_running {
            "running"
        } else {
            "not running"
        }
    );
    println!(
        "inbox:         {} file(s) waiting in {}",
        status.inbox_files, status.inbox
    );
    println!("releases:      {} stored", status.releases);
    println!("last publish:  {}", local(&status.last_publish));
    if status.next_embargo.is_some() {
        println!("next embargo:  {}", local(&status.next_embargo));
    }
    println!("store:         {:.1} MB", status.store_bytes as f64 / 1e6);
    if status.digests.is_empty() {
        println!("digests:       off");
    }
    for digest in &status.digests {
        let next = local(&Some(digest.next.clone()));
        let last = digest.last_run.as_ref().map_or_else(
            || "no run yet".to_owned(),
            |run| {
                format!(
                    "last for {}: {} release(s), {} sent, {} failed, {} pending{}",
                    local(&Some(run.slot.clone())),
                    run.releases,
                    run.sent,
                    run.failed,
                    run.pending,
                    if run.finished { "" } else { " (unfinished)" }
                )
            },
        );
        println!("digest {:<7} next {next}; {last}", digest.name);
    }
    if status.unsubscribed > 0 {
        println!("unsubscribed:  {} address(es)", status.unsubscribed);
    }
    println!(
        "rejected:      {} file(s) in {}",
        status.rejected.len(),
        settings.rejected.display()
    );
    for file in &status.rejected {
        println!("  {}: {}", file.file, file.reason);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn config_check(config: &Path) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config)?;
    println!("{} is valid. Effective settings:", config.display());
    print!("{}", settings.describe());
    Ok(ExitCode::SUCCESS)
}

pub fn manpage() -> anyhow::Result<ExitCode> {
    let command = <crate::cli::Cli as clap::CommandFactory>::command();
    clap_mangen::Man::new(command).render(&mut std::io::stdout())?;
    Ok(ExitCode::SUCCESS)
}

//! The one-shot commands: `init`, `publish`, `retract`, `list`, `rebuild`.
//! Each is glue: load the settings, open the workspace, call it, report.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use pressroom_core::ReleaseId;
use serde::Serialize;

use crate::cli::{InitArgs, ListArgs, RetractArgs};
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
    let text = default_config_text(&args.base_url);
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
    let files = workspace.inbox_files()?;
    let progress = Progress::new(files.len());
    let (report, written) = workspace.publish(&files, &mut |done| progress.update(done))?;
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

//! `pressroom check`: parse files exactly as the daemon will and report.
//!
//! The JSON output (`--json`, one object per line) is a contract other tools
//! read; its shape is documented in the README and built from the serde types
//! below, not from the domain types, so that refactoring the model cannot
//! change it by accident.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pressroom_core::{ParseOptions, Parsed, Rejected, Release, ReleaseDate, parse_release};
use serde::Serialize;

use crate::cli::CheckArgs;
use crate::config::Settings;
use crate::source::{self, ReadError};

/// What checking one file found.
pub enum Outcome {
    Publishable(Box<Parsed>),
    Unreadable(ReadError),
    Unpublishable(Rejected),
}

/// Reads and parses one file as the daemon does.
pub fn check_file(path: &Path, options: &ParseOptions) -> Outcome {
    let bytes = match source::read_release_file(path, options.max_bytes) {
        Ok(bytes) => bytes,
        Err(error) => return Outcome::Unreadable(error),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    match parse_release(&name, &bytes, options) {
        Ok(parsed) => Outcome::Publishable(Box::new(parsed)),
        Err(rejected) => Outcome::Unpublishable(rejected),
    }
}

/// The parse options of the workspace's config when there is one (the size
/// limit and default language), else the defaults.
fn parse_options(config: &Path) -> anyhow::Result<ParseOptions> {
    let explicit = config != Path::new("pressroom.toml");
    if config.exists() || explicit {
        Ok(Settings::load(config)?.parse)
    } else {
        Ok(ParseOptions::default())
    }
}

pub fn run(args: &CheckArgs, config: &Path) -> anyhow::Result<ExitCode> {
    let options = parse_options(config)?;
    let mut files = Vec::new();
    for path in &args.paths {
        let found = source::release_files(path)
            .with_context(|| format!("cannot read '{}'", path.display()))?;
        files.extend(found);
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut rejected = 0usize;
    for path in &files {
        let outcome = check_file(path, &options);
        rejected += usize::from(!matches!(outcome, Outcome::Publishable(_)));
        if args.json {
            let line = serde_json::to_string(&JsonReport::new(path, &outcome))?;
            writeln!(out, "{line}")?;
        } else {
            write_readable(&mut out, path, &outcome)?;
        }
    }
    if !args.json {
        writeln!(
            out,
            "{} file(s): {} publishable, {} not publishable",
            files.len(),
            files.len() - rejected,
            rejected
        )?;
    }
    out.flush()?;
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn write_readable(out: &mut impl Write, path: &Path, outcome: &Outcome) -> io::Result<()> {
    match outcome {
        Outcome::Publishable(parsed) => {
            let Parsed {
                release, warnings, ..
            } = parsed.as_ref();
            writeln!(out, "ok    {}", path.display())?;
            writeln!(out, "      title:      {}", release.title)?;
            writeln!(
                out,
                "      date:       {}",
                release
                    .date
                    .map_or_else(|| "(none)".to_owned(), |d| d.to_string())
            )?;
            writeln!(
                out,
                "      place:      {}",
                release.place.as_deref().unwrap_or("(none)")
            )?;
            writeln!(out, "      language:   {}", release.lang)?;
            writeln!(out, "      paragraphs: {}", release.paragraphs.len())?;
            writeln!(out, "      id:         {}", release.id)?;
            if !release.categories.is_empty() {
                writeln!(out, "      categories: {}", release.categories.join(", "))?;
            }
            for warning in warnings {
                writeln!(out, "      warning:    {warning}")?;
            }
        }
        Outcome::Unreadable(error) => {
            writeln!(out, "FAIL  {}", path.display())?;
            writeln!(out, "      error:      {error}")?;
        }
        Outcome::Unpublishable(Rejected { error, warnings }) => {
            writeln!(out, "FAIL  {}", path.display())?;
            writeln!(out, "      error:      {error}")?;
            for warning in warnings {
                writeln!(out, "      warning:    {warning}")?;
            }
        }
    }
    Ok(())
}

/// One line of `check --json`.
#[derive(Serialize)]
struct JsonReport<'a> {
    path: String,
    ok: bool,
    release: Option<JsonRelease<'a>>,
    warnings: Vec<String>,
    errors: Vec<String>,
}

#[derive(Serialize)]
struct JsonRelease<'a> {
    id: &'a str,
    slug: &'a str,
    title: &'a str,
    lang: &'a str,
    /// `YYYY-MM-DD`, or null.
    date: Option<String>,
    /// The full date and time when the release gives one (RFC 3339 with its
    /// offset, or without one for a local time), else null.
    datetime: Option<String>,
    place: Option<&'a str>,
    summary: &'a str,
    paragraphs: &'a [String],
    categories: &'a [String],
    author: Option<&'a str>,
    embargo: Option<String>,
    format: &'static str,
}

impl<'a> JsonReport<'a> {
    fn new(path: &Path, outcome: &'a Outcome) -> Self {
        let path = path.display().to_string();
        match outcome {
            Outcome::Publishable(parsed) => Self {
                path,
                ok: true,
                release: Some(JsonRelease::new(&parsed.release)),
                warnings: parsed.warnings.iter().map(ToString::to_string).collect(),
                errors: Vec::new(),
            },
            Outcome::Unreadable(error) => Self {
                path,
                ok: false,
                release: None,
                warnings: Vec::new(),
                errors: vec![error.to_string()],
            },
            Outcome::Unpublishable(Rejected { error, warnings }) => Self {
                path,
                ok: false,
                release: None,
                warnings: warnings.iter().map(ToString::to_string).collect(),
                errors: vec![error.to_string()],
            },
        }
    }
}

impl<'a> JsonRelease<'a> {
    fn new(release: &'a Release) -> Self {
        Self {
            id: release.id.as_str(),
            slug: &release.slug,
            title: &release.title,
            lang: release.lang.as_str(),
            date: release.date.map(|d| d.day().format("%Y-%m-%d").to_string()),
            datetime: release.date.and_then(|d| match d {
                ReleaseDate::Day(_) => None,
                other => Some(other.to_string()),
            }),
            place: release.place.as_deref(),
            summary: &release.summary,
            paragraphs: &release.paragraphs,
            categories: &release.categories,
            author: release.author.as_deref(),
            embargo: release.embargo.map(|e| e.to_rfc3339()),
            format: release.format.name(),
        }
    }
}

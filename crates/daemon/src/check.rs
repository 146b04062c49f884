//! `pressroom check`: parse files exactly as the daemon will and report.
//!
//! Files are taken as the daemon takes them: a release document with the
//! attachments of its release folder or named after it (a folder given on
//! the command line is checked as a release folder when it is one), one
//! report per release.
//!
//! The JSON output (`--json`, one object per line) is a contract other tools
//! read; its shape is documented in the README and built from the serde types
//! below, not from the domain types, so that refactoring the model cannot
//! change it by accident.

use std::collections::HashSet;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use pressroom_core::model::Section;
use pressroom_core::{
    ParseOptions, Parsed, Rejected, Release, ReleaseDate, error::megabytes, parse_release_group,
};
use serde::Serialize;

use crate::cli::CheckArgs;
use crate::config::Settings;
use crate::source::{self, Unit, UnitReadError};

/// What checking one release found.
pub enum Outcome {
    Publishable(Box<Parsed>),
    /// A file of it cannot be read (a link, a FIFO, too large, gone).
    Unreadable(String),
    Unpublishable(Rejected),
}

/// Reads and parses one unit (a document and its attachments) as the daemon does.
pub fn check_unit(unit: &Unit, options: &ParseOptions) -> Outcome {
    let bytes = match source::read_unit(unit, options) {
        Ok(bytes) => bytes,
        Err(UnitReadError::Later(why) | UnitReadError::Refused(why)) => {
            return Outcome::Unreadable(why);
        }
    };
    let name = unit
        .path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    match parse_release_group(&name, &bytes.document, bytes.dropped, options) {
        Ok(parsed) => Outcome::Publishable(Box::new(parsed)),
        Err(rejected) => Outcome::Unpublishable(rejected),
    }
}

/// The parse options and inbox of the workspace's config when there is one
/// (the size limits, default language, allowed attachments), else the
/// defaults and no inbox.
fn workspace_settings(config: &Path) -> anyhow::Result<(ParseOptions, std::path::PathBuf)> {
    let explicit = config != Path::new("pressroom.toml");
    if config.exists() || explicit {
        let settings = Settings::load(config)?;
        Ok((settings.parse, settings.inbox))
    } else {
        Ok((ParseOptions::default(), std::path::PathBuf::new()))
    }
}

pub fn run(args: &CheckArgs, config: &Path) -> anyhow::Result<ExitCode> {
    let (options, inbox) = workspace_settings(config)?;
    let mut units = Vec::new();
    let mut seen = HashSet::new();
    for path in &args.paths {
        let found = source::release_units(path, &inbox)
            .with_context(|| format!("cannot read '{}'", path.display()))?;
        // A document and its photo named together are one release.
        // A set, not a scan of `units`: a folder of 10,000 files would make
        // that scan quadratic.
        for unit in found {
            if seen.insert(unit.clone()) {
                units.push(unit);
            }
        }
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut rejected = 0usize;
    for unit in &units {
        let outcome = check_unit(unit, &options);
        rejected += usize::from(!matches!(outcome, Outcome::Publishable(_)));
        if args.json {
            let line = serde_json::to_string(&JsonReport::new(unit, &outcome))?;
            writeln!(out, "{line}")?;
        } else {
            write_readable(&mut out, unit, &outcome)?;
        }
    }
    if !args.json {
        writeln!(
            out,
            "{} file(s): {} publishable, {} not publishable",
            units.len(),
            units.len() - rejected,
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

fn write_readable(out: &mut impl Write, unit: &Unit, outcome: &Outcome) -> io::Result<()> {
    let path = &unit.path;
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
            for attachment in &release.attachments {
                write!(
                    out,
                    "      attachment: {} ({}, {}) \"{}\"",
                    attachment.file_name,
                    attachment.media_type,
                    size_text(attachment.size),
                    attachment.alt
                )?;
                match &attachment.credit {
                    Some(credit) => writeln!(out, ", credit: {credit}")?,
                    None => writeln!(out)?,
                }
            }
            for (label, section) in [("contact:", &release.contact), ("about:", &release.about)] {
                if let Some(section) = section {
                    writeln!(
                        out,
                        "      {label:<11} {} ({} paragraph(s))",
                        section.heading,
                        section.paragraphs.len()
                    )?;
                }
            }
            for warning in warnings {
                writeln!(out, "      warning:    {warning}")?;
            }
        }
        Outcome::Unreadable(error) => {
            writeln!(out, "FAIL  {}", path.display())?;
            write_attachment_names(out, unit)?;
            writeln!(out, "      error:      {error}")?;
        }
        Outcome::Unpublishable(Rejected { error, warnings }) => {
            writeln!(out, "FAIL  {}", path.display())?;
            write_attachment_names(out, unit)?;
            writeln!(out, "      error:      {error}")?;
            for warning in warnings {
                writeln!(out, "      warning:    {warning}")?;
            }
        }
    }
    Ok(())
}

/// "850 bytes", "1.2 MB".
fn size_text(bytes: u64) -> String {
    if bytes < 1_000_000 {
        format!("{bytes} bytes")
    } else {
        megabytes(bytes)
    }
}

/// The files that would go with a release that cannot be published.
fn write_attachment_names(out: &mut impl Write, unit: &Unit) -> io::Result<()> {
    for path in &unit.attachments {
        writeln!(out, "      with:       {}", path.display())?;
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
    /// The photos and documents published with the release, in order.
    attachments: Vec<JsonAttachment<'a>>,
    /// The media contact block, or null.
    contact: Option<JsonSection<'a>>,
    /// The "About …" section, or null.
    about: Option<JsonSection<'a>>,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    /// The name it is published under, in the release's folder beside its page.
    file: &'a str,
    /// The name it was dropped under, or null for an image inside the document.
    source: Option<&'a str>,
    /// The media type its content was recognised as.
    r#type: &'a str,
    /// In bytes.
    size: u64,
    alt: &'a str,
    credit: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonSection<'a> {
    heading: &'a str,
    paragraphs: &'a [String],
}

impl<'a> JsonSection<'a> {
    fn new(section: &'a Section) -> Self {
        Self {
            heading: &section.heading,
            paragraphs: &section.paragraphs,
        }
    }
}

impl<'a> JsonReport<'a> {
    fn new(unit: &Unit, outcome: &'a Outcome) -> Self {
        let path = unit.path.display().to_string();
        match outcome {
            Outcome::Publishable(parsed) => Self {
                path,
                ok: true,
                release: Some(JsonRelease::new(parsed)),
                warnings: parsed.warnings.iter().map(ToString::to_string).collect(),
                errors: Vec::new(),
            },
            Outcome::Unreadable(error) => Self {
                path,
                ok: false,
                release: None,
                warnings: Vec::new(),
                errors: vec![error.clone()],
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
    fn new(parsed: &'a Parsed) -> Self {
        let release: &'a Release = &parsed.release;
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
            attachments: release
                .attachments
                .iter()
                .zip(&parsed.files)
                .map(|(attachment, file)| JsonAttachment {
                    file: &attachment.file_name,
                    source: file.dropped_as.as_deref(),
                    r#type: &attachment.media_type,
                    size: attachment.size,
                    alt: &attachment.alt,
                    credit: attachment.credit.as_deref(),
                })
                .collect(),
            contact: release.contact.as_ref().map(JsonSection::new),
            about: release.about.as_ref().map(JsonSection::new),
        }
    }
}

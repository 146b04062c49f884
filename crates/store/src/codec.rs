//! How values become columns and come back.
//!
//! Times are Unix microseconds: integers sort and index well and cover
//! chrono's whole range. A release's own dates keep their variant and offset
//! as text (`day` `2024-03-21`, `local` `2024-03-21T10:30:00`, `exact`
//! `2024-03-21T10:30:00+02:00`); the contact and "about" sections are JSON
//! objects, and the HTML and paragraphs one compressed frame (`text.rs`), so
//! that a release reads back exactly as it was parsed.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone as _, Utc};
use pressroom_core::model::{Attachment, Section};
use pressroom_core::{Lang, Release, ReleaseDate, ReleaseId, SourceFormat};
use rusqlite::Row;
use serde::{Deserialize, Serialize};

use crate::error::Cause;
use crate::{HistoryKind, StoredRelease};

const DAY: &str = "%Y-%m-%d";
const LOCAL: &str = "%Y-%m-%dT%H:%M:%S%.f";

pub(crate) fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

pub(crate) fn time(micros: i64) -> Result<DateTime<Utc>, Cause> {
    Utc.timestamp_micros(micros)
        .single()
        .ok_or_else(|| format!("{micros} is not a time in microseconds").into())
}

/// The `(date_kind, date)` columns.
pub(crate) fn encode_date(date: &ReleaseDate) -> (&'static str, String) {
    match date {
        ReleaseDate::Day(day) => ("day", day.format(DAY).to_string()),
        ReleaseDate::Local(local) => ("local", local.format(LOCAL).to_string()),
        ReleaseDate::Exact(exact) => ("exact", encode_instant(exact)),
    }
}

fn decode_date(kind: &str, text: &str) -> Result<ReleaseDate, Cause> {
    Ok(match kind {
        "day" => ReleaseDate::Day(NaiveDate::parse_from_str(text, DAY)?),
        "local" => ReleaseDate::Local(NaiveDateTime::parse_from_str(text, LOCAL)?),
        "exact" => ReleaseDate::Exact(decode_instant(text)?),
        other => return Err(format!("unknown date kind '{other}'").into()),
    })
}

/// RFC 3339 with the offset as given (`+02:00`, never `Z` for `+00:00`) and
/// every fraction digit there is.
pub(crate) fn encode_instant(instant: &DateTime<FixedOffset>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

fn decode_instant(text: &str) -> Result<DateTime<FixedOffset>, Cause> {
    Ok(DateTime::parse_from_rfc3339(text)?)
}

/// A [`Section`] as its column holds it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SectionColumn {
    heading: String,
    paragraphs: Vec<String>,
    html: String,
}

pub(crate) fn encode_section(section: &Section) -> String {
    let column = SectionColumn {
        heading: section.heading.clone(),
        paragraphs: section.paragraphs.clone(),
        html: section.html.clone(),
    };
    serde_json::to_string(&column).expect("strings always serialize")
}

fn decode_section(text: &str) -> Result<Section, Cause> {
    let SectionColumn {
        heading,
        paragraphs,
        html,
    } = serde_json::from_str(text)?;
    Ok(Section {
        heading,
        paragraphs,
        html,
    })
}

pub(crate) fn encode_kind(kind: HistoryKind) -> &'static str {
    match kind {
        HistoryKind::Published => "published",
        HistoryKind::Updated => "updated",
        HistoryKind::Retracted => "retracted",
    }
}

pub(crate) fn decode_kind(text: &str) -> Result<HistoryKind, Cause> {
    match text {
        "published" => Ok(HistoryKind::Published),
        "updated" => Ok(HistoryKind::Updated),
        "retracted" => Ok(HistoryKind::Retracted),
        other => Err(format!("unknown history kind '{other}'").into()),
    }
}

fn decode_format(name: &str) -> Result<SourceFormat, Cause> {
    SourceFormat::ALL
        .into_iter()
        .find(|format| format.name() == name)
        .ok_or_else(|| format!("unknown format '{name}'").into())
}

/// The columns [`RawRelease::from_row`] reads, in its order, from `releases r`.
macro_rules! release_columns {
    () => {
        "r.pk, r.id, r.tag_id, r.source_name, r.source_hash, r.archive_path, \
         r.first_ingested, r.updated, r.published, r.visible_from, r.retracted, r.revision, \
         r.slug, r.title, r.lang, r.date_kind, r.date, r.place, r.summary, r.text, \
         r.author, r.embargo, r.format, r.contact, r.about"
    };
}
pub(crate) use release_columns;

/// A `releases` row as SQLite types, before its values are checked.
pub(crate) struct RawRelease {
    pub pk: i64,
    pub id: String,
    tag_id: String,
    source_name: String,
    source_hash: String,
    archive_path: String,
    first_ingested: i64,
    updated: i64,
    published: i64,
    visible_from: i64,
    retracted: Option<i64>,
    revision: u32,
    slug: String,
    title: String,
    lang: String,
    date_kind: Option<String>,
    date: Option<String>,
    place: Option<String>,
    summary: String,
    text: Vec<u8>,
    author: Option<String>,
    embargo: Option<String>,
    format: String,
    contact: Option<String>,
    about: Option<String>,
}

/// An `attachments` row, read by [`RawAttachment::from_row`] from the
/// columns of `ATTACHMENTS_OF`.
pub(crate) struct RawAttachment {
    file_name: String,
    media_type: String,
    size: i64,
    sha256: String,
    alt: String,
    credit: Option<String>,
    archive_path: String,
}

impl RawAttachment {
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            file_name: row.get(0)?,
            media_type: row.get(1)?,
            size: row.get(2)?,
            sha256: row.get(3)?,
            alt: row.get(4)?,
            credit: row.get(5)?,
            archive_path: row.get(6)?,
        })
    }
}

/// Which column of a release could not be read back, and why.
pub(crate) struct Unreadable {
    pub column: &'static str,
    pub cause: Cause,
}

impl RawRelease {
    /// Reads a row selected with [`release_columns`].
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            pk: row.get(0)?,
            id: row.get(1)?,
            tag_id: row.get(2)?,
            source_name: row.get(3)?,
            source_hash: row.get(4)?,
            archive_path: row.get(5)?,
            first_ingested: row.get(6)?,
            updated: row.get(7)?,
            published: row.get(8)?,
            visible_from: row.get(9)?,
            retracted: row.get(10)?,
            revision: row.get(11)?,
            slug: row.get(12)?,
            title: row.get(13)?,
            lang: row.get(14)?,
            date_kind: row.get(15)?,
            date: row.get(16)?,
            place: row.get(17)?,
            summary: row.get(18)?,
            text: row.get(19)?,
            author: row.get(20)?,
            embargo: row.get(21)?,
            format: row.get(22)?,
            contact: row.get(23)?,
            about: row.get(24)?,
        })
    }

    /// Checks every value and builds the release, with its categories and
    /// attachments in order.
    pub(crate) fn decode(
        self,
        categories: Vec<String>,
        attachments: Vec<RawAttachment>,
    ) -> Result<StoredRelease, Unreadable> {
        fn column<T>(column: &'static str, value: Result<T, Cause>) -> Result<T, Unreadable> {
            value.map_err(|cause| Unreadable { column, cause })
        }
        let date = match (self.date_kind.as_deref(), self.date.as_deref()) {
            (Some(kind), Some(text)) => Some(column("date", decode_date(kind, text))?),
            (None, None) => None,
            _ => return column("date", Err("a date without its kind".into())),
        };
        let embargo = match self.embargo.as_deref() {
            Some(text) => Some(column("embargo", decode_instant(text))?),
            None => None,
        };
        let contact = match self.contact.as_deref() {
            Some(text) => Some(column("contact", decode_section(text))?),
            None => None,
        };
        let about = match self.about.as_deref() {
            Some(text) => Some(column("about", decode_section(text))?),
            None => None,
        };
        let mut attachment_paths = Vec::with_capacity(attachments.len());
        let mut decoded = Vec::with_capacity(attachments.len());
        for raw in attachments {
            let size = column(
                "attachment size",
                u64::try_from(raw.size).map_err(Cause::from),
            )?;
            attachment_paths.push(raw.archive_path);
            decoded.push(Attachment {
                file_name: raw.file_name,
                media_type: raw.media_type,
                size,
                sha256: raw.sha256,
                alt: raw.alt,
                credit: raw.credit,
            });
        }
        let (body_html, paragraphs) = column("text", crate::text::decode(&self.text))?;
        let release = Release {
            id: column("id", ReleaseId::parse(&self.id).map_err(Cause::from))?,
            slug: self.slug,
            title: self.title,
            lang: column("lang", Lang::parse(&self.lang).map_err(Cause::from))?,
            date,
            place: self.place,
            summary: self.summary,
            paragraphs,
            body_html,
            categories,
            author: self.author,
            embargo,
            format: column("format", decode_format(&self.format))?,
            contact,
            about,
            attachments: decoded,
        };
        Ok(StoredRelease {
            release,
            tag_id: self.tag_id,
            source_name: self.source_name,
            source_hash: self.source_hash,
            archive_path: self.archive_path,
            first_ingested: column("first_ingested", time(self.first_ingested))?,
            updated: column("updated", time(self.updated))?,
            published: column("published", time(self.published))?,
            visible_from: column("visible_from", time(self.visible_from))?,
            retracted: match self.retracted {
                Some(micros) => Some(column("retracted", time(micros))?),
                None => None,
            },
            revision: self.revision,
            attachment_paths,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_date(date: ReleaseDate, expected_kind: &str, expected_text: &str) {
        let (kind, text) = encode_date(&date);
        assert_eq!((kind, text.as_str()), (expected_kind, expected_text));
        let back = decode_date(kind, &text).unwrap();
        assert_eq!(back, date);
        if let (ReleaseDate::Exact(back), ReleaseDate::Exact(date)) = (back, date) {
            // DateTime's equality ignores the offset; the store must not.
            assert_eq!(back.offset(), date.offset());
        }
    }

    #[test]
    fn release_dates_keep_their_variant_and_offset() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 21).unwrap();
        check_date(ReleaseDate::Day(day), "day", "2024-03-21");
        let local = day.and_hms_opt(10, 30, 0).unwrap();
        check_date(ReleaseDate::Local(local), "local", "2024-03-21T10:30:00");
        let precise = day.and_hms_nano_opt(10, 30, 0, 250_000_000).unwrap();
        check_date(
            ReleaseDate::Local(precise),
            "local",
            "2024-03-21T10:30:00.250",
        );
        let exact = DateTime::parse_from_rfc3339("2024-03-21T10:30:00+02:00").unwrap();
        check_date(
            ReleaseDate::Exact(exact),
            "exact",
            "2024-03-21T10:30:00+02:00",
        );
        let utc = DateTime::parse_from_rfc3339("2024-03-21T10:30:00Z").unwrap();
        check_date(
            ReleaseDate::Exact(utc),
            "exact",
            "2024-03-21T10:30:00+00:00",
        );
        let west = DateTime::parse_from_rfc3339("2024-03-21T10:30:00.5-05:30").unwrap();
        check_date(
            ReleaseDate::Exact(west),
            "exact",
            "2024-03-21T10:30:00.500-05:30",
        );
    }

    #[test]
    fn times_are_microseconds() {
        let time_ = DateTime::parse_from_rfc3339("2024-03-21T10:30:00.123456Z")
            .unwrap()
            .to_utc();
        assert_eq!(micros(time_), 1_711_017_000_123_456);
        assert_eq!(time(micros(time_)).unwrap(), time_);
        assert!(time(i64::MAX).is_err());
    }

    #[test]
    fn every_format_reads_back() {
        for format in SourceFormat::ALL {
            assert_eq!(decode_format(format.name()).unwrap(), format);
        }
    }

    #[test]
    fn sections_read_back() {
        let section = Section {
            heading: "Contact presse".to_owned(),
            paragraphs: vec!["Jeanne Martin\njeanne@example.org".to_owned()],
            html: "<p>Jeanne Martin<br>\njeanne@example.org</p>".to_owned(),
        };
        let text = encode_section(&section);
        assert_eq!(decode_section(&text).unwrap(), section);
        assert!(decode_section(r#"{"heading": "H"}"#).is_err());
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!(decode_format("pdf").is_err());
        assert!(decode_date("week", "2024-12").is_err());
        assert!(decode_kind("deleted").is_err());
    }
}

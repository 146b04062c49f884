//! The release model: what a dropped file becomes once parsed.
//!
//! Every field here has already been validated; the rest of Pressroom can rely
//! on a `Release` being publishable (a title, at least one paragraph, a real
//! date when there is one, a well-formed language tag and id).

use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

/// A parsed press release, ready to be stored and published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The permanent identity of the release: front matter `id`, else the slug.
    pub id: ReleaseId,
    /// URL-safe name of the release: date and transliterated title.
    pub slug: String,
    pub title: String,
    pub lang: Lang,
    /// The date the release gives for itself (dateline or front matter), if any.
    pub date: Option<ReleaseDate>,
    /// The place of the dateline (`PARIS`, `الرياض`), if any.
    pub place: Option<String>,
    /// Front matter `summary`, else the opening of the first paragraph.
    pub summary: String,
    /// The body as plain text, one entry per paragraph (a list is one entry).
    pub paragraphs: Vec<String>,
    /// The body as sanitized HTML, safe to embed in a page or a feed.
    pub body_html: String,
    pub categories: Vec<String>,
    pub author: Option<String>,
    /// The release may not be published before this instant.
    pub embargo: Option<DateTime<FixedOffset>>,
    /// The input format the release was read from.
    pub format: SourceFormat,
    /// The media contact block that closes the release (`Contact presse :`,
    /// `Media contact:`…), kept out of `paragraphs`, or the front matter's `contact`.
    pub contact: Option<Section>,
    /// The boilerplate about the issuer (`À propos de …`, `About …`), kept out
    /// of `paragraphs`, or the front matter's `about`.
    pub about: Option<Section>,
    /// Photos and documents published with the release, in order: the files
    /// the front matter lists, the other dropped files by name, then the
    /// images embedded in the document. The first image is the main one.
    pub attachments: Vec<Attachment>,
}

/// A section that closes a release apart from its body: the media contact
/// block or the "About …" boilerplate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The heading as the release writes it (`Contact presse`, `About Acme`),
    /// without its trailing colon; a default in the release's language when
    /// the front matter gives the section without one.
    pub heading: String,
    /// The section as plain text, one entry per paragraph; the lines of a
    /// contact block (name, email, phone) are kept, separated by `\n`.
    pub paragraphs: Vec<String>,
    /// The same paragraphs as sanitized HTML, without the heading.
    pub html: String,
}

/// A file published with a release: a photo or a document (PDF), dropped
/// beside the release or embedded in it. Only what pages and feeds need is
/// here; the bytes travel separately ([`AttachmentFile`]) and are published
/// by the daemon under the release page's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The published name: a bare, URL-safe file name, unique within the
    /// release (`photo-equipe.jpg`).
    pub file_name: String,
    /// The media type its content was recognised as (`image/jpeg`).
    pub media_type: String,
    pub size: u64,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
    /// What the file shows, for people who cannot see it (an image's
    /// alternative text) and as the link text of a document: the front
    /// matter's `alt` (or `caption`), a Word image's own description, else
    /// a default (the file name's words, or the title for a Word image).
    pub alt: String,
    /// Who to credit (`Photo: Jane Roe / Harbour Trust`), from front matter.
    pub credit: Option<String>,
}

impl Attachment {
    /// Whether pages show it as an image (rather than link to it).
    pub fn is_image(&self) -> bool {
        self.media_type.starts_with("image/")
    }
}

/// The bytes of one of a release's attachments, to archive and publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    /// The same name as the release's [`Attachment`].
    pub file_name: String,
    /// The name it was dropped under, or `None` for an image embedded in
    /// the document (which the document itself carries).
    pub dropped_as: Option<String>,
    pub bytes: Vec<u8>,
}

/// The permanent identifier of a release: lowercase ASCII letters, digits and
/// `-`, `_`, `.`; never empty, at most [`ReleaseId::MAX_LEN`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseId(String);

impl ReleaseId {
    pub const MAX_LEN: usize = 120;

    /// Validates an id written by an editor (front matter `id`) or derived
    /// from a slug. Letters are lowercased; anything else outside the allowed
    /// set is refused rather than silently rewritten, so that an editor who
    /// writes an id gets exactly that id or an error.
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        let id = raw.trim().to_ascii_lowercase();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c);
        if id.is_empty()
            || id.len() > Self::MAX_LEN
            || !id.chars().all(allowed)
            || id.starts_with('.')
        {
            return Err(InvalidId(raw.to_owned()));
        }
        Ok(Self(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Sets and maps of ids can be queried with a `&str` (the derived order and
/// equality are those of the string).
impl std::borrow::Borrow<str> for ReleaseId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReleaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An id that is not made of lowercase ASCII letters, digits, `-`, `_`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid id '{0}': use 1 to 120 ASCII letters, digits, '-', '_' or '.', not starting with '.'"
)]
pub struct InvalidId(pub String);

/// The date a release gives for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseDate {
    /// A calendar day, as datelines give it.
    Day(NaiveDate),
    /// A day and time without an offset: local time in the configured zone.
    Local(NaiveDateTime),
    /// An exact instant, as RFC 3339 front matter gives it.
    Exact(DateTime<FixedOffset>),
}

impl ReleaseDate {
    /// The calendar day, whatever the precision.
    pub fn day(&self) -> NaiveDate {
        match self {
            Self::Day(day) => *day,
            Self::Local(local) => local.date(),
            Self::Exact(exact) => exact.date_naive(),
        }
    }
}

impl fmt::Display for ReleaseDate {
    /// `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` or RFC 3339 with its offset.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Day(day) => write!(f, "{}", day.format("%Y-%m-%d")),
            Self::Local(local) => write!(f, "{}", local.format("%Y-%m-%dT%H:%M:%S")),
            Self::Exact(exact) => write!(f, "{}", exact.to_rfc3339()),
        }
    }
}

/// A BCP 47 language tag in its canonical case (`fr`, `ar`, `en-GB`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Lang(String);

impl Lang {
    /// Accepts `fr`, `en-GB`, `en_us`, `zh-Hant`, `es-419`, and returns them in
    /// canonical case with `-` separators.
    pub fn parse(raw: &str) -> Result<Self, InvalidLang> {
        let invalid = || InvalidLang(raw.to_owned());
        let mut parts = raw.trim().split(['-', '_']);
        let primary = parts.next().ok_or_else(invalid)?;
        if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(invalid());
        }
        let mut tag = primary.to_ascii_lowercase();
        for part in parts {
            let alnum = part.chars().all(|c| c.is_ascii_alphanumeric());
            if !alnum || part.is_empty() || part.len() > 8 {
                return Err(invalid());
            }
            tag.push('-');
            match part.len() {
                2 => tag.push_str(&part.to_ascii_uppercase()),
                4 => {
                    let mut chars = part.chars();
                    if let Some(first) = chars.next() {
                        tag.push(first.to_ascii_uppercase());
                    }
                    tag.push_str(&chars.as_str().to_ascii_lowercase());
                }
                _ => tag.push_str(&part.to_ascii_lowercase()),
            }
        }
        Ok(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag: `en` for `en-GB`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// Whether the language is written right to left (Arabic, Hebrew, Persian, Urdu…).
    pub fn is_rtl(&self) -> bool {
        matches!(
            self.primary(),
            "ar" | "he" | "fa" | "ur" | "ps" | "sd" | "ug" | "yi" | "dv" | "ckb"
        )
    }

    /// `rtl` or `ltr`, for HTML's `dir` attribute.
    pub fn direction(&self) -> &'static str {
        if self.is_rtl() { "rtl" } else { "ltr" }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A language tag that is not of the form `ll`, `ll-RR`, `lll-Script`….
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid language '{0}': expected a language tag such as 'fr', 'ar' or 'en-GB'")]
pub struct InvalidLang(pub String);

/// The input formats Pressroom reads, known by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// `.txt`: plain text, optionally with front matter.
    Text,
    /// `.md`, `.markdown`: Markdown, optionally with front matter.
    Markdown,
    /// `.docx`: a Word document (Office Open XML), as Word and LibreOffice write it.
    Docx,
    /// `.html`, `.htm`: a web page, from which the article is extracted.
    Html,
}

impl SourceFormat {
    /// The format a file name's extension announces, if Pressroom reads it.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let (_, extension) = name.rsplit_once('.')?;
        match extension.to_ascii_lowercase().as_str() {
            "txt" | "text" => Some(Self::Text),
            "md" | "markdown" => Some(Self::Markdown),
            "docx" => Some(Self::Docx),
            "html" | "htm" => Some(Self::Html),
            _ => None,
        }
    }

    /// The format's name as stored and reported (`text`, `markdown`, `docx`, `html`).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Markdown => "markdown",
            Self::Docx => "docx",
            Self::Html => "html",
        }
    }

    /// Every format, so that a stored name can be read back without listing them again.
    pub const ALL: [SourceFormat; 4] = [Self::Text, Self::Markdown, Self::Docx, Self::Html];

    /// The extensions an editor may use, for messages.
    pub const SUPPORTED_EXTENSIONS: &'static str = ".txt, .md, .markdown, .docx, .html, .htm";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_canonicalised() {
        let check =
            |raw: &str, expected: &str| assert_eq!(Lang::parse(raw).unwrap().as_str(), expected);
        check("fr", "fr");
        check("EN_us", "en-US");
        check("zh-hant", "zh-Hant");
        check("es-419", "es-419");
        assert!(Lang::parse("french").is_err());
        assert!(Lang::parse("").is_err());
        assert!(Lang::parse("en-").is_err());
    }

    #[test]
    fn arabic_is_right_to_left() {
        assert!(Lang::parse("ar").unwrap().is_rtl());
        assert!(Lang::parse("ar-SA").unwrap().is_rtl());
        assert_eq!(Lang::parse("fr").unwrap().direction(), "ltr");
    }

    #[test]
    fn ids_are_lowercase_ascii() {
        assert_eq!(
            ReleaseId::parse(" CP-2024_01 ").unwrap().as_str(),
            "cp-2024_01"
        );
        assert!(ReleaseId::parse("with space").is_err());
        assert!(ReleaseId::parse("../etc").is_err());
        assert!(ReleaseId::parse("été").is_err());
        assert!(ReleaseId::parse(&"a".repeat(121)).is_err());
    }

    #[test]
    fn formats_follow_extensions() {
        assert_eq!(
            SourceFormat::from_file_name("a.TXT"),
            Some(SourceFormat::Text)
        );
        assert_eq!(
            SourceFormat::from_file_name("a.markdown"),
            Some(SourceFormat::Markdown)
        );
        assert_eq!(
            SourceFormat::from_file_name("Communiqué.DOCX"),
            Some(SourceFormat::Docx)
        );
        assert_eq!(
            SourceFormat::from_file_name("page.htm"),
            Some(SourceFormat::Html)
        );
        assert_eq!(SourceFormat::from_file_name("a.doc"), None);
        assert_eq!(SourceFormat::from_file_name("a.pdf"), None);
        assert_eq!(SourceFormat::from_file_name("README"), None);
    }
}

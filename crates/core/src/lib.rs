//! Pressroom's release model and the parsers that turn a dropped file into a
//! [`Release`].
//!
//! Everything here works on bytes and names: no file system, no clock, no
//! async runtime. That keeps parsing exhaustively testable and lets
//! `pressroom check`, `pressroom publish` and the daemon agree exactly, since
//! they all call [`parse_release`].
//!
//! Parsing happens in stages, each in its own module: [`decode`] (bytes to
//! clean text), [`front_matter`], then a format parser ([`text`],
//! [`markdown`], [`docx`] or [`html`]) that finds the title, the [`dateline`]
//! and the blocks of the body, the rules every format shares ([`body`],
//! [`section`]: end markers, contact and about sections), and finally the
//! settling of language, summary and identity done here. Word documents and
//! web pages are routed by extension before any decoding, since they are not
//! text.
//!
//! A release may come with files ([`attachment`]): [`parse_release_group`]
//! takes them with the document, and [`group`] says, from names alone,
//! which files of a folder go together.

pub mod attachment;
pub mod body;
pub mod date;
pub mod dateline;
pub mod decode;
mod document;
pub mod docx;
pub mod error;
pub mod front_matter;
pub mod group;
pub mod html;
mod inline;
pub mod lang;
pub mod markdown;
pub mod model;
pub mod names;
pub mod section;
pub mod slug;
pub mod text;

pub use attachment::{AttachmentNote, AttachmentRules, DroppedFile, FileType};
pub use document::{Block, BlockKind, Document, EmbeddedImage};

pub use error::{ParseError, Warning};
use front_matter::FrontMatter;
pub use model::{
    Attachment, AttachmentFile, InvalidId, InvalidLang, Lang, Release, ReleaseDate, ReleaseId,
    Section, SourceFormat,
};
use section::SectionKind;

/// Settings that parsing depends on.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Files larger than this are refused (callers should check the size
    /// before reading; this is the last line of defence).
    pub max_bytes: u64,
    /// The language of releases whose language cannot be detected.
    pub default_lang: Lang,
    /// What files may be published with a release.
    pub attachments: AttachmentRules,
}

impl ParseOptions {
    /// The default size limit: 10 MiB, far above any press release.
    pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            default_lang: Lang::parse("en").expect("'en' is a valid tag"),
            attachments: AttachmentRules::default(),
        }
    }
}

/// A file that parsed into a release, with what the editor should know.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub release: Release,
    pub warnings: Vec<Warning>,
    /// The bytes of `release.attachments`, in the same order: the caller
    /// archives them and decides where they are published.
    pub files: Vec<AttachmentFile>,
}

/// A file that cannot be published, with why and what else was noticed.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub error: ParseError,
    pub warnings: Vec<Warning>,
}

/// Parses the file named `file_name` (only its extension matters) from its
/// bytes into a release, or says why it cannot be published.
pub fn parse_release(
    file_name: &str,
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<Parsed, Rejected> {
    parse_release_group(file_name, bytes, Vec::new(), options)
}

/// Parses a release document with the files dropped beside it (see
/// [`group`]): the release and every attachment are publishable, or none
/// is, and the rejection names the file at fault.
pub fn parse_release_group(
    file_name: &str,
    bytes: &[u8],
    dropped: Vec<DroppedFile>,
    options: &ParseOptions,
) -> Result<Parsed, Rejected> {
    let mut warnings = Vec::new();
    match parse(file_name, bytes, dropped, options, &mut warnings) {
        Ok((release, files)) => Ok(Parsed {
            release,
            warnings,
            files,
        }),
        Err(error) => Err(Rejected { error, warnings }),
    }
}

fn parse(
    file_name: &str,
    bytes: &[u8],
    dropped: Vec<DroppedFile>,
    options: &ParseOptions,
    warnings: &mut Vec<Warning>,
) -> Result<(Release, Vec<AttachmentFile>), ParseError> {
    let format = SourceFormat::from_file_name(file_name).ok_or_else(|| {
        ParseError::UnsupportedExtension {
            extension: file_name
                .rsplit_once('.')
                .map_or_else(|| "(none)".to_owned(), |(_, ext)| format!(".{ext}")),
            supported: SourceFormat::SUPPORTED_EXTENSIONS,
            hint: if FileType::from_file_name(file_name).is_some() {
                "; a photo or PDF is published with a release: put it in the release's own folder, or name it after the release document (statement.docx, statement-photo.jpg)"
            } else {
                ""
            },
        }
    })?;
    let size = bytes.len() as u64;
    if size > options.max_bytes {
        return Err(ParseError::TooLarge {
            size,
            limit: options.max_bytes,
        });
    }
    if bytes.is_empty() {
        return Err(ParseError::Empty {
            whitespace_only: false,
        });
    }
    // Word files and web pages are not text: they are routed before decoding
    // (a zip archive is full of NUL bytes) and carry no front matter.
    let (front_matter, document) = match format {
        SourceFormat::Docx => (FrontMatter::default(), docx::parse_docx(bytes)?),
        SourceFormat::Html => (FrontMatter::default(), html::parse_html(bytes, warnings)?),
        SourceFormat::Text | SourceFormat::Markdown => {
            let text = decode::decode(bytes, warnings)?;
            let split = front_matter::split_front_matter(&text, warnings)?;
            let fm_title = split.front_matter.title.as_deref();
            let document = if format == SourceFormat::Text {
                text::parse_text(split.body, split.body_first_line, fm_title)?
            } else {
                markdown::parse_markdown(split.body, split.body_first_line, fm_title)?
            };
            (split.front_matter, document)
        }
    };

    let title = front_matter
        .title
        .or(document.title)
        .filter(|title| !title.trim().is_empty())
        .ok_or(ParseError::NoTitle)?;
    if document.paragraphs.is_empty() {
        return Err(ParseError::NoBody {
            title: shorten(&title, 80),
        });
    }
    let dateline = document.dateline;
    let date = front_matter
        .date
        .or(document.date)
        .or_else(|| dateline.as_ref().map(|d| ReleaseDate::Day(d.date)));
    let place = front_matter
        .place
        .or_else(|| dateline.and_then(|d| d.place));
    let lang = match front_matter.lang.or(document.lang) {
        Some(lang) => lang,
        None => lang::detect_language(
            &title,
            &document.paragraphs,
            &options.default_lang,
            warnings,
        ),
    };
    let slug = slug::slugify(date.map(|d| d.day()), &title);
    let id = match front_matter.id {
        Some(id) => id,
        None => ReleaseId::parse(&slug).expect("slugs are valid ids"),
    };
    let summary = front_matter
        .summary
        .unwrap_or_else(|| body::summarize(&document.paragraphs[0]));
    // Front matter wins over the text, as for every other field.
    let contact = front_matter
        .contact
        .and_then(|text| section::from_text(SectionKind::Contact, &text, &lang))
        .or(document.contact);
    let about = front_matter
        .about
        .and_then(|text| section::from_text(SectionKind::About, &text, &lang))
        .or(document.about);
    let (attachments, files) = attachment::assemble(
        &front_matter.attachments,
        dropped,
        document.images,
        &title,
        &options.attachments,
        warnings,
    )?;
    let release = Release {
        id,
        slug,
        title,
        lang,
        date,
        place,
        summary,
        paragraphs: document.paragraphs,
        body_html: document.body_html,
        categories: front_matter.categories,
        author: front_matter.author,
        embargo: front_matter.embargo,
        format,
        contact,
        about,
        attachments,
    };
    Ok((release, files))
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

//! Why a file cannot be published, and what an editor should know about one
//! that can.
//!
//! Messages are written for editors: they name the cause in plain words and,
//! where there is one, the line. The file name is added by whoever reports the
//! error (`pressroom check`, the rejection note), since parsing works on bytes.

use std::fmt;

/// A reason a file cannot become a release.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The file has no bytes at all, or only whitespace.
    #[error("the file is empty{}", if *.whitespace_only { " (it holds only whitespace)" } else { "" })]
    Empty { whitespace_only: bool },
    /// The file holds binary data (NUL bytes), not text.
    #[error(
        "the file holds binary data, not text (found a NUL byte at offset {offset}); save it as plain text (.txt) or Markdown (.md)"
    )]
    Binary { offset: usize },
    /// The file is larger than the configured limit.
    #[error("the file is too large: {size} bytes, the limit is {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    /// The extension is not one Pressroom reads. `hint` says what to do
    /// with a photo or PDF dropped on its own (empty for other files).
    #[error("unsupported file type '{extension}': Pressroom reads {supported}{hint}")]
    UnsupportedExtension {
        extension: String,
        supported: &'static str,
        hint: &'static str,
    },
    /// The front matter opens but never closes.
    #[error(
        "front matter opened with '{fence}' at line {line} is never closed: add a line holding only '{fence}' after it"
    )]
    UnterminatedFrontMatter { fence: &'static str, line: usize },
    /// The front matter is not valid YAML or TOML.
    #[error("malformed front matter ({syntax}){}: {message}", at_line(*.line))]
    MalformedFrontMatter {
        syntax: &'static str,
        line: Option<usize>,
        message: String,
    },
    /// A front matter key holds a value of the wrong kind.
    #[error("invalid front matter value for '{key}' at line {line}: {message}")]
    InvalidFrontMatterValue {
        key: String,
        line: usize,
        message: String,
    },
    /// The text names a date that does not exist (31-02-2022).
    #[error("impossible date '{text}' in the dateline at line {line}: no such day in the calendar")]
    ImpossibleDate { text: String, line: usize },
    /// A dateline date that does not exist, in a format without lines (a Word
    /// document, a web page): the paragraph is counted from the title.
    #[error(
        "impossible date '{text}' in the dateline of paragraph {paragraph}: no such day in the calendar"
    )]
    ImpossibleDateInParagraph { text: String, paragraph: usize },
    /// A `.docx` file that cannot be read: not a zip archive, truncated,
    /// damaged, encrypted, or without a Word document inside.
    #[error("not a readable Word document (.docx): {reason}")]
    UnreadableDocx { reason: String },
    /// A `.docx` archive with more entries than any document has.
    #[error(
        "the Word document holds {entries} entries, more than the {limit} allowed: refused as a probable zip bomb"
    )]
    TooManyEntries { entries: u64, limit: u64 },
    /// A `.docx` archive whose parts would inflate to too much, all together.
    #[error(
        "the Word document would inflate to {size} bytes, more than the {limit} allowed: refused as a probable zip bomb"
    )]
    InflatesTooLarge { size: u64, limit: u64 },
    /// One part of a `.docx` archive would inflate to too much.
    #[error(
        "the Word document's part '{part}' would inflate to {size} bytes, more than the {limit} allowed for one part: refused as a probable zip bomb"
    )]
    PartTooLarge { part: String, size: u64, limit: u64 },
    /// One part of a `.docx` archive compresses far better than real documents do.
    #[error(
        "the Word document's part '{part}' would inflate from {compressed} to {size} bytes, a ratio above the {limit}:1 real documents stay under: refused as a probable zip bomb"
    )]
    CompressionRatio {
        part: String,
        compressed: u64,
        size: u64,
        limit: u64,
    },
    /// One part of a `.docx` archive holds more than its declared size.
    #[error(
        "the Word document's part '{part}' holds more than the {declared} bytes it declares: the archive is forged or damaged"
    )]
    PartLargerThanDeclared { part: String, declared: u64 },
    /// A web page whose elements nest deeper than any real page does.
    #[error(
        "the page nests its elements {depth} deep, more than the {limit} Pressroom reads: save the article on its own"
    )]
    NestedTooDeeply { depth: usize, limit: usize },
    /// The front matter's `attachments` names a file that is not beside the
    /// release. `present` says what is ("only 'a.jpg' is", "no file is").
    #[error("the front matter lists the attachment '{file}', but {present} beside the release")]
    AttachmentNotFound { file: String, present: String },
    /// An attachment larger than the configured limit.
    #[error(
        "the attachment '{file}' is too large: {}, the limit is {} ([attachments] max_bytes)",
        bytes_text(*.size),
        bytes_text(*.limit)
    )]
    AttachmentTooLarge { file: String, size: u64, limit: u64 },
    /// An attachment whose content is none of the types Pressroom publishes
    /// (or that is empty).
    #[error("{}", unsupported_attachment(file, *.empty, allowed))]
    AttachmentUnsupported {
        file: String,
        empty: bool,
        allowed: String,
    },
    /// An attachment whose name announces another type than its content.
    #[error(
        "the attachment '{file}' holds {content}, not what its name says: rename it with the extension '.{extension}'"
    )]
    AttachmentMisnamed {
        file: String,
        content: &'static str,
        extension: &'static str,
    },
    /// An attachment of a type the configuration does not allow.
    #[error("the attachment '{file}' is {kind}, a type not allowed here (allowed: {allowed})")]
    AttachmentTypeNotAllowed {
        file: String,
        kind: &'static str,
        allowed: String,
    },
    /// No title could be found.
    #[error("no title: the file has no text to use as a title")]
    NoTitle,
    /// A title but no paragraphs after it.
    #[error("no body: the file has a title ('{title}') but no paragraphs after it")]
    NoBody { title: String },
}

/// A size in megabytes (10⁶ bytes), with one decimal, for messages.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

/// "850 bytes", or "25165824 bytes (25.2 MB)" when megabytes help.
fn bytes_text(bytes: u64) -> String {
    if bytes < 1_000_000 {
        format!("{bytes} bytes")
    } else {
        format!("{bytes} bytes ({})", megabytes(bytes))
    }
}

fn unsupported_attachment(file: &str, empty: bool, allowed: &str) -> String {
    if empty {
        format!("the attachment '{file}' is empty")
    } else {
        format!(
            "the attachment '{file}' is not a file Pressroom publishes with a release (allowed: {allowed})"
        )
    }
}

fn at_line(line: Option<usize>) -> String {
    line.map(|line| format!(" at line {line}"))
        .unwrap_or_default()
}

/// Something an editor should know about a publishable file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The bytes are not UTF-8 and were read as Windows-1252.
    DecodedAsWindows1252,
    /// Control characters that XML cannot carry were removed.
    ControlCharactersRemoved { count: usize },
    /// Language detection is unsure of its answer.
    UnsureLanguage {
        detected: String,
        confidence_percent: u8,
    },
    /// No language could be detected; the default was used.
    LanguageNotDetected { default: String },
    /// A front matter key Pressroom does not know; it was ignored.
    UnknownFrontMatterKey { key: String },
    /// An image embedded in a Word document that pages cannot show (or
    /// whose type is not allowed) was not published; `kind` is what it is,
    /// when known.
    EmbeddedImageLeftOut {
        name: String,
        kind: Option<&'static str>,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DecodedAsWindows1252 => write!(
                f,
                "the file is not UTF-8; it was read as Windows-1252 (save it as UTF-8 to be sure accents are right)"
            ),
            Self::ControlCharactersRemoved { count } => write!(
                f,
                "{count} control character(s) removed: feeds cannot carry them"
            ),
            Self::UnsureLanguage {
                detected,
                confidence_percent,
            } => write!(
                f,
                "the language looks like '{detected}' but detection is unsure ({confidence_percent}% confident); set 'lang' in front matter to be sure"
            ),
            Self::LanguageNotDetected { default } => write!(
                f,
                "the language could not be detected; using the default '{default}' (set 'lang' in front matter)"
            ),
            Self::UnknownFrontMatterKey { key } => {
                write!(f, "unknown front matter key '{key}' ignored")
            }
            Self::EmbeddedImageLeftOut { name, kind } => match kind {
                Some(kind) => write!(
                    f,
                    "the image '{name}' embedded in the document is left out: it is {kind}, a type not allowed as an attachment"
                ),
                None => write!(
                    f,
                    "the image '{name}' embedded in the document is left out: pages cannot show its format (insert it as JPEG or PNG)"
                ),
            },
        }
    }
}

//! What a format parser extracts from a file's body, before front matter,
//! language and identity are settled into a [`Release`](crate::Release).
//!
//! Every format first reads its body into [`Block`]s (a paragraph, a heading,
//! a list…), so that the rules shared by all formats (end markers, contact and
//! about sections, paragraphs broken in two) run once, in [`body`](crate::body).

use crate::dateline::Dateline;
use crate::model::{ReleaseDate, Section};

/// The body of a release as one input format read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// The title the text gives (`None` when the front matter gives one).
    pub title: Option<String>,
    pub dateline: Option<Dateline>,
    /// Plain text, one entry per paragraph.
    pub paragraphs: Vec<String>,
    /// Sanitized HTML of the same paragraphs.
    pub body_html: String,
    /// The trailing media contact block, if the body ends with one.
    pub contact: Option<Section>,
    /// The trailing "About …" section, if the body ends with one.
    pub about: Option<Section>,
    /// The language the file declares for itself (a web page's `lang`).
    pub lang: Option<crate::Lang>,
    /// The date the file declares for itself (a web page's `datePublished`),
    /// which wins over its dateline.
    pub date: Option<ReleaseDate>,
    /// Images embedded in the document (a Word file's), in order of appearance.
    pub images: Vec<EmbeddedImage>,
}

/// An image embedded in a document, as the document names and describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedImage {
    /// The name inside the document (`image1.png`): a bare file name, no folders.
    pub file_name: String,
    /// The alternative text the author gave the image, if any.
    pub alt: Option<String>,
    pub bytes: Vec<u8>,
}

/// One block of a body: a paragraph, a heading, a list or anything else a
/// format renders whole (a table, a quote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    /// The block as a paragraph of [`Release::paragraphs`](crate::Release):
    /// one line per list item, wrapped lines joined.
    pub text: String,
    /// The text with the line breaks of the source kept (a contact block's
    /// name, email and phone, each on its line).
    pub lines: String,
    /// The block's complete HTML, ending with a newline.
    pub html: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    /// A heading of the body, `2` to `6` (level 1 is the release's title).
    Heading(u8),
    /// A horizontal rule, which never ends a body.
    Rule,
    /// A list, a table, a quote, raw HTML.
    Other,
}

impl Block {
    /// A paragraph whose inline HTML is `inner` (the inside of its `<p>`).
    pub fn paragraph(text: String, lines: String, inner: &str) -> Self {
        Self {
            kind: BlockKind::Paragraph,
            text,
            lines,
            html: format!("<p>{inner}</p>\n"),
        }
    }

    /// A heading of `level` (clamped to 2..=6) whose inline HTML is `inner`.
    pub fn heading(level: u8, text: String, inner: &str) -> Self {
        let level = level.clamp(2, 6);
        Self {
            kind: BlockKind::Heading(level),
            lines: text.clone(),
            text,
            html: format!("<h{level}>{inner}</h{level}>\n"),
        }
    }
}

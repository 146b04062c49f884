//! What a format parser extracts from a file's body, before front matter,
//! language and identity are settled into a [`Release`](crate::Release).

use crate::dateline::Dateline;

/// The body of a release as one input format read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The title the text gives (`None` when the front matter gives one).
    pub title: Option<String>,
    pub dateline: Option<Dateline>,
    /// Plain text, one entry per paragraph.
    pub paragraphs: Vec<String>,
    /// Sanitized HTML of the same paragraphs.
    pub body_html: String,
}

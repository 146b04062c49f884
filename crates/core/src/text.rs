//! Plain text releases: blocks of lines separated by blank lines.
//!
//! The first block is the title, the next may be a dateline, the rest are
//! paragraphs. Lines inside a block are joined with one space, because the
//! line breaks of a hard-wrapped file carry no meaning (except in a contact
//! block, where [`section`](crate::section) reads them).

use crate::body::{escape_html, settle};
use crate::dateline::{DatelineMatch, parse_dateline, split_dateline_prefix};
use crate::document::{Block, Document};
use crate::error::ParseError;

/// A run of non-blank lines with the line number it starts at: `text` has
/// the lines joined with spaces, `lines` with newlines (same byte offsets).
#[derive(Debug)]
struct TextBlock {
    line: usize,
    text: String,
    lines: String,
}

fn blocks(body: &str, first_line: usize) -> Vec<TextBlock> {
    let mut blocks = Vec::new();
    let mut current: Option<TextBlock> = None;
    for (index, line) in body.lines().enumerate() {
        let line_text = line.trim();
        if line_text.is_empty() {
            blocks.extend(current.take());
            continue;
        }
        match &mut current {
            Some(block) => {
                block.text.push(' ');
                block.text.push_str(line_text);
                block.lines.push('\n');
                block.lines.push_str(line_text);
            }
            None => {
                current = Some(TextBlock {
                    line: first_line + index,
                    text: line_text.to_owned(),
                    lines: line_text.to_owned(),
                })
            }
        }
    }
    blocks.extend(current);
    blocks
}

fn paragraph(text: String, lines: String) -> Block {
    let html = escape_html(&text);
    Block::paragraph(text, lines, &html)
}

/// Parses the body of a text file (after any front matter). `front_matter_title`
/// is the title the front matter gives, if any: a first block that repeats it
/// is the title, any other first block is then body text.
pub fn parse_text(
    body: &str,
    first_line: usize,
    front_matter_title: Option<&str>,
) -> Result<Document, ParseError> {
    let mut blocks = blocks(body, first_line).into_iter().peekable();
    let title = match front_matter_title {
        Some(title) => {
            if blocks
                .peek()
                .is_some_and(|first| same_title(&first.text, title))
            {
                blocks.next();
            }
            None
        }
        None => blocks.next().map(|block| block.text),
    };
    let mut dateline = None;
    if let Some(candidate) = blocks.peek() {
        match parse_dateline(&candidate.text) {
            Some(DatelineMatch::Found(found)) => {
                dateline = Some(found);
                blocks.next();
            }
            Some(DatelineMatch::Impossible(text)) => {
                return Err(ParseError::ImpossibleDate {
                    text,
                    line: candidate.line,
                });
            }
            None => {}
        }
    }
    let mut body_blocks: Vec<Block> = Vec::new();
    for block in blocks {
        if body_blocks.is_empty() && dateline.is_none() {
            match split_dateline_prefix(&block.text) {
                Some((DatelineMatch::Found(found), rest)) => {
                    dateline = Some(found);
                    if !rest.is_empty() {
                        // `text` and `lines` differ only in their separators.
                        let lines = block.lines[block.text.len() - rest.len()..].to_owned();
                        body_blocks.push(paragraph(rest.to_owned(), lines));
                    }
                    continue;
                }
                Some((DatelineMatch::Impossible(text), _)) => {
                    return Err(ParseError::ImpossibleDate {
                        text,
                        line: block.line,
                    });
                }
                None => {}
            }
        }
        body_blocks.push(paragraph(block.text, block.lines));
    }
    let settled = settle(body_blocks, true);
    Ok(Document {
        title,
        dateline,
        paragraphs: settled.paragraphs,
        body_html: settled.body_html,
        contact: settled.contact,
        about: settled.about,
        ..Document::default()
    })
}

fn same_title(block: &str, title: &str) -> bool {
    let squash = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    squash(block) == squash(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_dateline_and_paragraphs() {
        let doc = parse_text(
            "\n\nLe titre\nsur deux lignes\n\n\nRiyad, 24-03-2022\n\nPremier.\n\nSecond.\n",
            1,
            None,
        )
        .unwrap();
        assert_eq!(doc.title.as_deref(), Some("Le titre sur deux lignes"));
        assert_eq!(doc.dateline.unwrap().place.as_deref(), Some("Riyad"));
        assert_eq!(doc.paragraphs, ["Premier.", "Second."]);
        assert_eq!(doc.body_html, "<p>Premier.</p>\n<p>Second.</p>\n");
    }

    #[test]
    fn a_dateline_prefix_is_removed_from_the_first_paragraph() {
        let doc = parse_text(
            "Titre\n\nPARIS, le 3 mars 2023 – La Fondation\nannonce.\n\nSuite.",
            1,
            None,
        )
        .unwrap();
        assert_eq!(doc.paragraphs, ["La Fondation annonce.", "Suite."]);
        assert_eq!(doc.dateline.unwrap().place.as_deref(), Some("PARIS"));
    }

    #[test]
    fn end_markers_are_dropped() {
        let doc = parse_text("Titre\n\nTexte.\n\n###\n", 1, None).unwrap();
        assert_eq!(doc.paragraphs, ["Texte."]);
        let doc = parse_text("Titre\n\nTexte.\n\n-30-\n\n", 1, None).unwrap();
        assert_eq!(doc.paragraphs, ["Texte."]);
    }

    #[test]
    fn impossible_dateline_names_its_line() {
        let error = parse_text("Titre\n\nRiyad, 31-02-2022\n\nTexte.", 4, None).unwrap_err();
        assert_eq!(
            error,
            ParseError::ImpossibleDate {
                text: "31-02-2022".to_owned(),
                line: 6
            }
        );
    }

    #[test]
    fn a_front_matter_title_replaces_a_repeated_first_block_only() {
        let doc = parse_text("Le Titre\n\nTexte.", 1, Some("le  titre")).unwrap();
        assert_eq!(doc.paragraphs, ["Texte."]);
        let doc = parse_text("Autre chose.\n\nTexte.", 1, Some("Le titre")).unwrap();
        assert_eq!(doc.paragraphs, ["Autre chose.", "Texte."]);
    }
}

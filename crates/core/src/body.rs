//! Rules about the body shared by every input format: end markers, paragraphs
//! broken in two, the contact and about sections set apart ([`settle`]), and
//! the summary.

use crate::document::{Block, BlockKind};
use crate::model::Section;
use crate::section::split_sections;

/// Whether a paragraph is one of the markers press releases end with
/// (`###`, `-30-`, `- FIN -`, `FIN`, `-ENDS-`, `ENDS`, `— Fin —`, `انتهى`).
pub fn is_end_marker(paragraph: &str) -> bool {
    let trimmed = paragraph.trim();
    if trimmed.len() > 32 {
        return false;
    }
    if trimmed.len() >= 3 && trimmed.chars().all(|c| c == '#') {
        return true;
    }
    let core = trimmed
        .trim_matches(|c: char| {
            c.is_whitespace() || matches!(c, '-' | '–' | '—' | '#' | '*' | '.' | '(' | ')')
        })
        .to_lowercase();
    matches!(
        core.as_str(),
        "30" | "fin" | "end" | "ends" | "انتهى" | "انتهي"
    )
}

/// Whether a paragraph ends a sentence (or a heading-like line that clearly
/// stands alone). Closing quotes and brackets after the punctuation count.
fn ends_sentence(paragraph: &str) -> bool {
    let trimmed = paragraph.trim_end().trim_end_matches(|c: char| {
        matches!(
            c,
            ')' | ']' | '»' | '”' | '’' | '"' | '\'' | '\u{A0}' | '\u{202F}' | ' '
        )
    });
    trimmed.chars().next_back().is_some_and(|c| {
        matches!(
            c,
            '.' | '!' | '?' | '…' | ':' | ';' | '؟' | '؛' | '۔' | '。' | '！' | '？'
        )
    })
}

fn starts_lowercase(paragraph: &str) -> bool {
    paragraph
        .trim_start()
        .chars()
        .next()
        .is_some_and(char::is_lowercase)
}

/// Whether `next` continues `previous`, a paragraph a copy from a PDF broke
/// in two: `previous` ends without sentence punctuation and `next` starts in
/// lowercase.
fn continues(previous: &str, next: &str) -> bool {
    !ends_sentence(previous) && starts_lowercase(next)
}

/// Joins paragraphs that a copy from a PDF broke in two: one that ends
/// without sentence punctuation followed by one that starts in lowercase.
pub fn join_broken_paragraphs(paragraphs: Vec<String>) -> Vec<String> {
    let mut joined: Vec<String> = Vec::with_capacity(paragraphs.len());
    for paragraph in paragraphs {
        match joined.last_mut() {
            Some(previous) if continues(previous, &paragraph) => {
                previous.push(' ');
                previous.push_str(paragraph.trim_start());
            }
            _ => joined.push(paragraph),
        }
    }
    joined
}

/// [`join_broken_paragraphs`] for blocks: only two paragraphs are joined (never
/// a heading or a list), their HTML with them.
pub fn join_broken_blocks(blocks: Vec<Block>) -> Vec<Block> {
    let mut joined: Vec<Block> = Vec::with_capacity(blocks.len());
    for block in blocks {
        match joined.last_mut() {
            Some(previous)
                if previous.kind == BlockKind::Paragraph
                    && block.kind == BlockKind::Paragraph
                    && continues(&previous.text, &block.text) =>
            {
                previous.text.push(' ');
                previous.text.push_str(block.text.trim_start());
                previous.lines.push('\n');
                previous.lines.push_str(&block.lines);
                let inner = block
                    .html
                    .strip_prefix("<p>")
                    .unwrap_or(&block.html)
                    .trim_start();
                let end = previous.html.trim_end().len();
                previous.html.truncate(end);
                if previous.html.ends_with("</p>") {
                    previous.html.truncate(end - "</p>".len());
                    previous.html.push(' ');
                    previous.html.push_str(inner);
                } else {
                    previous.html.push('\n');
                    previous.html.push_str(&block.html);
                }
            }
            _ => joined.push(block),
        }
    }
    joined
}

/// A body once the rules shared by every format have run.
#[derive(Debug, Default)]
pub struct Settled {
    pub paragraphs: Vec<String>,
    pub body_html: String,
    pub contact: Option<Section>,
    pub about: Option<Section>,
}

/// Applies the rules shared by every format to a body read into blocks (the
/// title and the dateline already taken out): the end markers go, the
/// contact block and the about section are set apart, and, when
/// `join_broken` (text that may come from a PDF), paragraphs broken in two
/// are joined.
pub fn settle(mut blocks: Vec<Block>, join_broken: bool) -> Settled {
    let (contact, about) = split_sections(&mut blocks);
    if join_broken {
        blocks = join_broken_blocks(blocks);
    }
    let mut body_html = String::with_capacity(blocks.iter().map(|b| b.html.len()).sum());
    let mut paragraphs = Vec::with_capacity(blocks.len());
    for block in blocks {
        body_html.push_str(&block.html);
        if !block.text.trim().is_empty() {
            paragraphs.push(block.text);
        }
    }
    Settled {
        paragraphs,
        body_html,
        contact,
        about,
    }
}

/// The longest summary derived from the first paragraph, in characters.
const SUMMARY_CHARS: usize = 300;

/// The opening of `paragraph`, cut at a word boundary with an ellipsis when
/// it is longer than a feed reader's preview.
pub fn summarize(paragraph: &str) -> String {
    let paragraph = paragraph.trim();
    if paragraph.chars().count() <= SUMMARY_CHARS {
        return paragraph.to_owned();
    }
    let cut = paragraph
        .char_indices()
        .nth(SUMMARY_CHARS)
        .map_or(paragraph.len(), |(i, _)| i);
    let head = &paragraph[..cut];
    let head = head
        .rfind(char::is_whitespace)
        .map_or(head, |space| &head[..space]);
    format!(
        "{}…",
        head.trim_end_matches(|c: char| c.is_whitespace() || ",;:–—-".contains(c))
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    push_escaped_html(&mut out, text);
    out
}

/// Appends `text` to `out`, escaped for HTML. Copies runs of ordinary text
/// whole: most text has nothing to escape.
pub fn push_escaped_html(out: &mut String, text: &str) {
    let mut start = 0;
    for (index, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&text[start..index]);
        out.push_str(entity);
        start = index + 1;
    }
    out.push_str(&text[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_markers() {
        for marker in [
            "###",
            "-30-",
            "- 30 -",
            "- FIN -",
            "FIN",
            "-ENDS-",
            "ENDS",
            "— Fin —",
            "انتهى",
            "-انتهى-",
            "#####",
        ] {
            assert!(is_end_marker(marker), "{marker}");
        }
        for text in ["Fin de la saison.", "#1", "30 ans", "Findings", "##"] {
            assert!(!is_end_marker(text), "{text}");
        }
    }

    fn join(paragraphs: &[&str]) -> Vec<String> {
        join_broken_paragraphs(paragraphs.iter().map(|p| (*p).to_owned()).collect())
    }

    #[test]
    fn a_paragraph_broken_in_two_is_joined() {
        assert_eq!(
            join(&["with clear benefits for the", "residents of the district."]),
            ["with clear benefits for the residents of the district."]
        );
        assert_eq!(
            join(&["s'attaquer à leurs", "financements leur permettant"]),
            ["s'attaquer à leurs financements leur permettant"]
        );
        assert_eq!(
            join(&["Un membre,", "suivi d'un autre."]),
            ["Un membre, suivi d'un autre."]
        );
    }

    #[test]
    fn near_misses_are_not_joined() {
        // A heading without punctuation followed by a capitalised paragraph.
        assert_eq!(
            join(&[
                "Un réseau de 40 bornes d'ici 2025",
                "Les premières installations."
            ])
            .len(),
            2
        );
        // A sentence ending with a full stop, then a brand written in lowercase.
        assert_eq!(
            join(&[
                "Un abonnement sera proposé.",
                "eVélo Breizh comptera quinze stations."
            ])
            .len(),
            2
        );
        // A colon introduces what follows; a closing quote after a full stop ends the sentence.
        assert_eq!(join(&["Trois séances :", "une le matin."]).len(), 2);
        assert_eq!(
            join(&["« C'est une première. »", "puis la suite."]).len(),
            2
        );
        assert_eq!(join(&["He said: \"Good.\"", "and left."]).len(), 2);
        // Arabic has no case: never joined.
        assert_eq!(join(&["وقال المدير", "إن البرنامج"]).len(), 2);
    }

    #[test]
    fn summaries_are_cut_at_a_word() {
        assert_eq!(summarize(" Short. "), "Short.");
        let long = "word ".repeat(100);
        let summary = summarize(&long);
        assert!(summary.ends_with("word…"), "{summary}");
        assert!(summary.chars().count() <= SUMMARY_CHARS + 1);
    }
}

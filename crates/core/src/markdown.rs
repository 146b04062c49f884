//! Markdown releases (CommonMark with tables and strikethrough).
//!
//! The document is read as a list of top-level blocks (paragraphs, lists,
//! headings, quotes…). Each block gives one plain-text paragraph (a list is one
//! paragraph, an item per line) and its HTML. The HTML goes through `ammonia`,
//! because Markdown lets editors write raw HTML, and a release must never
//! carry a script, an event handler or a `javascript:` link into a feed.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::body::settle;
use crate::dateline::{DatelineMatch, parse_dateline, split_dateline_prefix};
use crate::document::{self, Document};
use crate::error::ParseError;

/// A top-level block: its events, where it starts, and its plain text.
struct Block<'a> {
    events: Vec<Event<'a>>,
    line: usize,
    kind: BlockKind,
    text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlockKind {
    Heading(HeadingLevel),
    Paragraph,
    Rule,
    Other,
}

/// Parses the body of a Markdown file (after any front matter).
pub fn parse_markdown(
    body: &str,
    first_line: usize,
    front_matter_title: Option<&str>,
) -> Result<Document, ParseError> {
    let mut blocks = blocks(body, first_line);
    let mut title = None;
    match blocks.first().map(|block| block.kind) {
        // A leading `# Title` is the title, even when the front matter gives
        // one too (it is then the same title, written twice).
        Some(BlockKind::Heading(HeadingLevel::H1)) => {
            let heading = blocks.remove(0);
            if front_matter_title.is_none() {
                title = Some(heading.text);
            }
        }
        Some(BlockKind::Paragraph | BlockKind::Heading(_)) if front_matter_title.is_none() => {
            title = Some(blocks.remove(0).text);
        }
        _ => {}
    }

    let mut dateline = None;
    if let Some(first) = blocks
        .iter()
        .position(|block| block.kind != BlockKind::Rule)
        && blocks[first].kind == BlockKind::Paragraph
    {
        let block = &mut blocks[first];
        match parse_dateline(&block.text) {
            Some(DatelineMatch::Found(found)) => {
                dateline = Some(found);
                blocks.remove(first);
            }
            Some(DatelineMatch::Impossible(text)) => {
                return Err(ParseError::ImpossibleDate {
                    text,
                    line: block.line,
                });
            }
            None => match split_dateline_prefix(&block.text) {
                Some((DatelineMatch::Found(found), rest)) => {
                    dateline = Some(found);
                    let prefix_len = block.text.len() - rest.len();
                    remove_text_prefix(&mut block.events, prefix_len);
                    block.text = rest.to_owned();
                }
                Some((DatelineMatch::Impossible(text), _)) => {
                    return Err(ParseError::ImpossibleDate {
                        text,
                        line: block.line,
                    });
                }
                None => {}
            },
        }
    }

    let raw_html = blocks
        .iter()
        .flat_map(|b| &b.events)
        .any(|e| matches!(e, Event::Html(_) | Event::InlineHtml(_)));
    let blocks = blocks
        .into_iter()
        .map(|block| {
            let mut html = String::new();
            let lines = plain_text(&block.events, '\n');
            pulldown_cmark::html::push_html(
                &mut html,
                block.events.into_iter().map(neutralise_unsafe_url),
            );
            let kind = match block.kind {
                BlockKind::Heading(level) => document::BlockKind::Heading(level as u8),
                BlockKind::Paragraph => document::BlockKind::Paragraph,
                BlockKind::Rule => document::BlockKind::Rule,
                BlockKind::Other => document::BlockKind::Other,
            };
            document::Block {
                kind,
                text: block.text,
                lines,
                html,
            }
        })
        .collect();
    let mut settled = settle(blocks, false);
    // Markdown alone only yields safe markup (text and attributes are
    // escaped; link targets were checked above). Raw HTML needs the sanitizer.
    if raw_html {
        settled.body_html = sanitize(&settled.body_html);
        if let Some(about) = &mut settled.about {
            about.html = sanitize(&about.html);
        }
    }
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

/// Cleans HTML produced from Markdown (and whatever raw HTML it held): only
/// presentational tags, `http`, `https`, `mailto` and `tel` links.
pub fn sanitize(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto", "tel"].into())
        .clean(html)
        .to_string()
}

/// Whether a link or image target may be followed: relative, or one of the
/// schemes the sanitizer allows.
fn is_safe_url(url: &str) -> bool {
    let url = url.trim_start();
    match url.find([':', '/', '?', '#']) {
        Some(index) if url.as_bytes()[index] == b':' => {
            let scheme = url[..index].to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto" | "tel")
        }
        _ => true,
    }
}

/// Replaces an unsafe link or image target (`javascript:`, `data:`…) with
/// an inert one.
fn neutralise_unsafe_url(event: Event<'_>) -> Event<'_> {
    match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if !is_safe_url(&dest_url) => Event::Start(Tag::Link {
            link_type,
            dest_url: "#".into(),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) if !is_safe_url(&dest_url) => Event::Start(Tag::Image {
            link_type,
            dest_url: "#".into(),
            title,
            id,
        }),
        other => other,
    }
}

fn blocks(body: &str, first_line: usize) -> Vec<Block<'_>> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(body.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_of =
        |offset: usize| first_line + line_starts.partition_point(|&start| start <= offset) - 1;

    let mut blocks = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<(Vec<Event<'_>>, Range<usize>, BlockKind)> = None;
    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        match &event {
            Event::Start(tag) => {
                if depth == 0 {
                    let kind = match tag {
                        Tag::Heading { level, .. } => BlockKind::Heading(*level),
                        Tag::Paragraph => BlockKind::Paragraph,
                        _ => BlockKind::Other,
                    };
                    current = Some((Vec::new(), range.clone(), kind));
                }
                depth += 1;
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Rule if depth == 0 => {
                current = Some((Vec::new(), range.clone(), BlockKind::Rule))
            }
            _ => {}
        }
        if let Some((events, _, _)) = &mut current {
            events.push(event);
        }
        if depth == 0
            && let Some((events, range, kind)) = current.take()
        {
            let text = plain_text(&events, ' ');
            blocks.push(Block {
                events,
                line: line_of(range.start),
                kind,
                text,
            });
        }
    }
    blocks
}

/// The plain text of a block: inline text with soft breaks as `soft_break`
/// (a space for the paragraph, a newline to keep the source's lines), one
/// line per list item (with its bullet or number), one line per paragraph
/// inside a quote or item.
fn plain_text(events: &[Event<'_>], soft_break: char) -> String {
    let mut text = String::new();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut blocks_seen = 0usize;
    for event in events {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(t),
            Event::SoftBreak => text.push(soft_break),
            Event::HardBreak => text.push('\n'),
            Event::Start(Tag::List(start)) => lists.push(*start),
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                if !text.is_empty() {
                    text.push('\n');
                }
                let indent = "  ".repeat(lists.len().saturating_sub(1));
                match lists.last_mut() {
                    Some(Some(number)) => {
                        text.push_str(&format!("{indent}{number}. "));
                        *number += 1;
                    }
                    _ => text.push_str(&format!("{indent}- ")),
                }
            }
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::CodeBlock(_))
                if lists.is_empty() =>
            {
                if blocks_seen > 0 && !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                blocks_seen += 1;
            }
            Event::End(TagEnd::TableRow | TagEnd::TableHead) => text.push('\n'),
            Event::End(TagEnd::TableCell) => text.push('\t'),
            _ => {}
        }
    }
    text.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// Removes the first `len` bytes of a paragraph's plain text (a dateline
/// prefix) from its events, leaving inline markup around the rest intact.
/// The plain text can be shorter than the events' (it drops the spaces
/// before a hard break), so a cut falls on the next character boundary,
/// and breaks or blanks left at the paragraph's start go too.
fn remove_text_prefix(events: &mut Vec<Event<'_>>, len: usize) {
    let mut remaining = len;
    let mut at_start = true;
    let mut kept = Vec::with_capacity(events.len());
    for event in events.drain(..) {
        if remaining > 0 {
            match event {
                Event::Text(t) | Event::Code(t) if t.len() <= remaining => remaining -= t.len(),
                Event::Text(t) | Event::Code(t) => {
                    let cut = (remaining..t.len())
                        .find(|&at| t.is_char_boundary(at))
                        .unwrap_or(t.len());
                    let rest = t[cut..].trim_start();
                    remaining = 0;
                    if !rest.is_empty() {
                        at_start = false;
                        kept.push(Event::Text(rest.to_owned().into()));
                    }
                }
                Event::SoftBreak | Event::HardBreak => remaining -= 1,
                other => kept.push(other),
            }
            continue;
        }
        if at_start {
            match &event {
                Event::SoftBreak | Event::HardBreak => continue,
                Event::Text(t) if t.trim().is_empty() => continue,
                Event::Text(_) | Event::Code(_) => at_start = false,
                _ => {}
            }
        }
        kept.push(event);
    }
    *events = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Document {
        parse_markdown(body, 1, None).unwrap()
    }

    /// Found by the never-panics property test: the plain text drops the
    /// no-break space before a hard break, the events keep it, and the cut
    /// fell inside it.
    #[test]
    fn a_dateline_ending_in_a_no_break_space_before_a_hard_break() {
        for space in ["\u{A0}", "\u{202F}", "\u{2009}"] {
            let doc = parse(&format!(
                "# Titre\n\nPARIS, le 1er mars 2023 –{space}  \nTexte é.\n"
            ));
            assert_eq!(doc.dateline.unwrap().place.as_deref(), Some("PARIS"));
            assert_eq!(doc.paragraphs, ["Texte é."]);
            assert!(
                doc.body_html.starts_with("<p>Texte é.</p>"),
                "{}",
                doc.body_html
            );
        }
    }

    #[test]
    fn heading_title_dateline_prefix_and_list() {
        let doc = parse(
            "# Le titre\n\nLYON, 5 octobre 2023 – La **Cité** ouvre.\n\nTrois séances :\n\n1. *Une*\n2. Deux\n\n-30-\n",
        );
        assert_eq!(doc.title.as_deref(), Some("Le titre"));
        assert_eq!(doc.dateline.unwrap().place.as_deref(), Some("LYON"));
        assert_eq!(
            doc.paragraphs,
            ["La Cité ouvre.", "Trois séances :", "1. Une\n2. Deux"]
        );
        assert!(
            doc.body_html
                .starts_with("<p>La <strong>Cité</strong> ouvre.</p>"),
            "{}",
            doc.body_html
        );
        assert!(doc.body_html.contains("<ol>"), "{}", doc.body_html);
        assert!(!doc.body_html.contains("30"), "{}", doc.body_html);
    }

    #[test]
    fn scripts_handlers_and_javascript_links_never_survive() {
        let doc = parse(
            "# T\n\nText <script>alert(1)</script> and <a href=\"javascript:alert(1)\" onclick=\"x()\">link</a>.\n\n<iframe src=\"https://evil.example\"></iframe>\n\n<style>p{}</style>\n\n[click](javascript:alert(2)) <img src=x onerror=alert(3)>\n",
        );
        let html = doc.body_html.to_lowercase();
        for forbidden in [
            "<script",
            "onclick",
            "javascript:",
            "<iframe",
            "<style",
            "onerror",
            "alert(1)",
        ] {
            assert!(!html.contains(forbidden), "{forbidden} survived in {html}");
        }
    }

    #[test]
    fn unsafe_link_targets_are_neutralised_without_raw_html() {
        let doc = parse(
            "# T\n\n[a](javascript:alert(1)) [b]( JavaScript:x) <javascript:alert(2)> ![c](data:text/html,x) [ok](https://example.org/a) [rel](../page)\n",
        );
        let html = doc.body_html.to_lowercase();
        assert!(
            !html.contains("href=\"javascript")
                && !html.contains("href=\" javascript")
                && !html.contains("src=\"data:"),
            "{html}"
        );
        assert_eq!(html.matches("href=\"#\"").count(), 3, "{html}");
        assert!(
            html.contains("href=\"https://example.org/a\"") && html.contains("href=\"../page\""),
            "{html}"
        );
    }

    #[test]
    fn a_front_matter_title_keeps_the_first_paragraph_in_the_body() {
        let doc = parse_markdown("Premier paragraphe.\n\nSecond.", 1, Some("Titre")).unwrap();
        assert_eq!(doc.title, None);
        assert_eq!(doc.paragraphs, ["Premier paragraphe.", "Second."]);
    }

    #[test]
    fn impossible_dateline_names_its_line() {
        let error = parse_markdown("# T\n\nRiyad, 31-02-2022\n\nTexte.", 10, None).unwrap_err();
        assert_eq!(
            error,
            ParseError::ImpossibleDate {
                text: "31-02-2022".to_owned(),
                line: 12
            }
        );
    }
}

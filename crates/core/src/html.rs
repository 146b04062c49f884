//! Web pages (`.html`, `.htm`): the press release inside a full page.
//!
//! A page saved from a newsroom carries far more than the release: the site's
//! navigation, scripts, a cookie banner, share buttons, a footer. The page's
//! metadata is read first (title, `lang`, the date it declares, its base
//! URL); the obvious page furniture is removed; `dom_smoothie` (Mozilla's
//! readability, ported) finds the article; `ammonia` sanitizes what it kept
//! (readability keeps event handlers) and makes relative links absolute when
//! the page says where it lives (`<base href>`, its canonical URL), else
//! drops them. The article's blocks then go through the rules every format
//! shares, dateline included.

use std::borrow::Cow;

use ammonia::{Url, UrlRelative};
use dom_query::{Document as Dom, NodeRef};
use dom_smoothie::{Config, Readability};

use crate::body::settle;
use crate::dateline::{DatelineMatch, parse_dateline, split_dateline_prefix};
use crate::decode::clean_text;
use crate::document::{Block, BlockKind, Document};
use crate::error::{ParseError, Warning};
use crate::front_matter::release_date;
use crate::inline::{Inline, Link, Style, safe_href};
use crate::model::{Lang, ReleaseDate};

/// How deep the article's elements are followed; deeper content is read as
/// the text of its ancestor (no page nests paragraphs this deep).
const MAX_DEPTH: usize = 128;

/// The bytes of a page searched for a `<meta charset>` (the HTML standard
/// prescans 1024; pages with long comments first get more room here).
const CHARSET_PRESCAN: usize = 4096;

/// How deeply a page may nest its elements. Real pages stay under a
/// hundred; the HTML parser's work grows with the square of the depth and
/// readability's faster still, so a page nested thousands deep would stall
/// parsing (and, deeper, overflow the stack).
pub const MAX_NESTING: usize = 256;

/// The most elements readability scores; a larger page is read through the
/// usual containers (`article`, `main`, `body`) instead, in linear time.
const MAX_SCORED_ELEMENTS: usize = 20_000;

/// Parses a web page from its bytes.
pub fn parse_html(bytes: &[u8], warnings: &mut Vec<Warning>) -> Result<Document, ParseError> {
    // Controls that XML cannot carry go, and text is NFC, as for text files.
    let text = clean_text(&decode(bytes, warnings));
    if text.trim().is_empty() {
        return Err(ParseError::Empty {
            whitespace_only: !bytes.is_empty(),
        });
    }
    if let Some(depth) = nesting_beyond(&text, MAX_NESTING) {
        return Err(ParseError::NestedTooDeeply {
            depth,
            limit: MAX_NESTING,
        });
    }
    let dom = Dom::from(text.as_str());
    let page = Page::read(&dom);
    remove_furniture(&dom);
    let scored = dom.select("*").length() <= MAX_SCORED_ELEMENTS;
    let content = if scored {
        let config = Config {
            // The page's JSON-LD was read above, more thoroughly (`@graph`).
            disable_json_ld: true,
            max_elements_to_parse: MAX_SCORED_ELEMENTS,
            ..Config::default()
        };
        let base = page.base.as_ref().map(Url::as_str);
        let article = Readability::with_document(dom, base, Some(config))
            .ok()
            .and_then(|mut readability| readability.parse().ok())
            .filter(|article| !article.text_content.trim().is_empty());
        match article {
            Some(article) => article.content.to_string(),
            // Readability found nothing it trusts (it changed the page while
            // trying): a small page, read again.
            None => {
                let dom = Dom::from(text.as_str());
                remove_furniture(&dom);
                container_content(&dom)
            }
        }
    } else {
        container_content(&dom)
    };
    let cleaned = sanitize(&content, page.base.as_ref());
    let fragment = Dom::fragment(cleaned);
    let mut walker = Walker::default();
    walker.walk_children(&fragment.root(), 0);
    walker.flush();
    let mut items = walker.items;

    let raw_title = [page.title.as_str(), page.og_title.as_str()]
        .into_iter()
        .chain(page.headings.iter().map(String::as_str))
        .map(collapse)
        .find(|t| !t.is_empty())
        .unwrap_or_default();
    let title = strip_site_suffix(&raw_title, page.site_name.as_deref(), &page.headings);

    // The article usually repeats the title as its first heading.
    if let Some(index) = items.iter().take(4).position(|item| match item {
        Item::Heading(_, inline) => same_text(&inline.render().text, &title),
        _ => false,
    }) {
        items.remove(index);
    }

    let mut dateline = None;
    let mut skip = None;
    if let Some(index) = items
        .iter()
        .position(|item| !matches!(item, Item::Block(b) if b.kind == BlockKind::Rule))
        && let Item::Paragraph(inline) = &items[index]
    {
        let text = inline.render().text;
        match parse_dateline(&text) {
            Some(DatelineMatch::Found(found)) => {
                dateline = Some(found);
                items.remove(index);
            }
            Some(DatelineMatch::Impossible(text)) => {
                return Err(ParseError::ImpossibleDateInParagraph { text, paragraph: 2 });
            }
            None => match split_dateline_prefix(&text) {
                Some((DatelineMatch::Found(found), rest)) => {
                    dateline = Some(found);
                    skip = Some((index, text.len() - rest.len()));
                }
                Some((DatelineMatch::Impossible(text), _)) => {
                    return Err(ParseError::ImpossibleDateInParagraph { text, paragraph: 2 });
                }
                None => {}
            },
        }
    }
    let blocks = items
        .into_iter()
        .enumerate()
        .filter_map(|(index, item)| match item {
            Item::Paragraph(inline) => {
                let rendered = match skip {
                    Some((at, bytes)) if at == index => inline.render_from(bytes),
                    _ => inline.render(),
                };
                (!rendered.text.is_empty())
                    .then(|| Block::paragraph(rendered.text.clone(), rendered.text, &rendered.html))
            }
            Item::Heading(level, inline) => {
                let rendered = inline.render();
                (!rendered.text.is_empty())
                    .then(|| Block::heading(level, rendered.text, &rendered.html))
            }
            Item::Block(block) => Some(block),
        })
        .collect();
    let settled = settle(blocks, false);
    let mut document = Document {
        title: (!title.is_empty()).then_some(title),
        dateline,
        paragraphs: settled.paragraphs,
        body_html: settled.body_html,
        contact: settled.contact,
        about: settled.about,
        lang: page.lang,
        date: page.date,
        images: Vec::new(),
    };
    drop_unpublishable_characters(&mut document);
    Ok(document)
}

/// Character references can write what the bytes could not (`&#1;` is
/// U+0001): once the page is parsed, characters no feed can carry are
/// removed from every text of the document, as decoding removes them from
/// the bytes of the other formats.
fn drop_unpublishable_characters(document: &mut Document) {
    fn clean(text: &mut String) {
        if !text.chars().all(crate::decode::is_publishable_char) {
            text.retain(crate::decode::is_publishable_char);
        }
    }
    let Document {
        title,
        dateline,
        paragraphs,
        body_html,
        contact,
        about,
        ..
    } = document;
    title.iter_mut().for_each(clean);
    if let Some(place) = dateline.as_mut().and_then(|d| d.place.as_mut()) {
        clean(place);
    }
    paragraphs.iter_mut().for_each(clean);
    clean(body_html);
    for section in contact.iter_mut().chain(about.iter_mut()) {
        clean(&mut section.heading);
        section.paragraphs.iter_mut().for_each(clean);
        clean(&mut section.html);
    }
    // A title made only of such characters is no title.
    if title.as_deref().is_some_and(|t| t.trim().is_empty()) {
        *title = None;
    }
}

/// The inside of the first of the usual containers that holds text, tried
/// one by one (a combined selector would match `body` first).
fn container_content(dom: &Dom) -> String {
    ["article", "main", "[role=main]", "body"]
        .iter()
        .find_map(|selector| {
            let found = dom.select(selector).first();
            (!found.is_empty() && !found.text().trim().is_empty())
                .then(|| found.inner_html().to_string())
        })
        .unwrap_or_default()
}

/// Decodes a page: a byte order mark, else the `<meta charset>` it declares,
/// else UTF-8, else Windows-1252 (with a warning, as for text files).
fn decode<'a>(bytes: &'a [u8], warnings: &mut Vec<Warning>) -> Cow<'a, str> {
    if let Some((encoding, bom_length)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        return text;
    }
    if let Some(encoding) = declared_charset(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return text;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => {
            warnings.push(Warning::DecodedAsWindows1252);
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            text
        }
    }
}

/// The encoding a `<meta charset="…">` or `<meta http-equiv="Content-Type"
/// content="text/html; charset=…">` near the start of the page declares.
fn declared_charset(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &bytes[..bytes.len().min(CHARSET_PRESCAN)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let mut from = 0;
    while let Some(start) = find(&lower[from..], b"<meta").map(|i| from + i) {
        let end = find(&lower[start..], b">").map_or(lower.len(), |i| start + i);
        let tag = &lower[start..end];
        if let Some(at) = find(tag, b"charset") {
            let rest = &tag[at + b"charset".len()..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest
                    .strip_prefix(b"\"")
                    .or_else(|| rest.strip_prefix(b"'"))
                    .unwrap_or(rest);
                let label_end = rest
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || b"-_:.".contains(b)))
                    .unwrap_or(rest.len());
                let encoding = encoding_rs::Encoding::for_label(&rest[..label_end])?;
                // A page that says UTF-16 in ASCII bytes cannot be UTF-16.
                return Some(
                    if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                        encoding_rs::UTF_8
                    } else {
                        encoding
                    },
                );
            }
        }
        from = end;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Elements that never have content.
const VOID: &[&[u8]] = &[
    b"area",
    b"base",
    b"basefont",
    b"bgsound",
    b"br",
    b"col",
    b"embed",
    b"frame",
    b"hr",
    b"image",
    b"img",
    b"input",
    b"keygen",
    b"link",
    b"meta",
    b"param",
    b"source",
    b"track",
    b"wbr",
];
/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&[u8]] = &[
    b"script",
    b"style",
    b"textarea",
    b"title",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"noscript",
    b"plaintext",
];
/// Start tags that close an open `p`, as the parser implies its end.
const CLOSES_P: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"details",
    b"div",
    b"dl",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"form",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"header",
    b"hr",
    b"main",
    b"menu",
    b"nav",
    b"ol",
    b"p",
    b"pre",
    b"section",
    b"table",
    b"ul",
];
/// Where the search for an element to close implicitly stops.
const SCOPES: &[&[u8]] = &[
    b"applet",
    b"caption",
    b"html",
    b"table",
    b"td",
    b"th",
    b"marquee",
    b"object",
    b"template",
    b"button",
];

/// The depth the page's elements reach, if it is beyond `limit`.
///
/// A scan of the tags as the HTML parser would nest them, without building
/// anything: void elements, raw text (scripts, styles, comments) and the end
/// tags the parser implies (`<p>`, `<li>`, `<td>`… left open) are taken into
/// account, so that ordinary pages count what the parser would build.
fn nesting_beyond(html: &str, limit: usize) -> Option<usize> {
    let bytes = html.as_bytes();
    let mut open: Vec<&[u8]> = Vec::new();
    let mut at = 0;
    let close_within = |open: &mut Vec<&[u8]>, names: &[&[u8]], stops: &[&[u8]]| {
        for index in (0..open.len()).rev() {
            if names.iter().any(|n| open[index].eq_ignore_ascii_case(n)) {
                open.truncate(index);
                return;
            }
            if stops.iter().any(|s| open[index].eq_ignore_ascii_case(s)) {
                return;
            }
        }
    };
    while let Some(offset) = memchr_lt(&bytes[at..]) {
        at += offset + 1;
        match bytes.get(at) {
            Some(b'!') => {
                at = if bytes[at..].starts_with(b"!--") {
                    find(&bytes[at..], b"-->").map_or(bytes.len(), |end| at + end + 3)
                } else {
                    find(&bytes[at..], b">").map_or(bytes.len(), |end| at + end + 1)
                };
            }
            Some(b'?') => {
                at = find(&bytes[at..], b">").map_or(bytes.len(), |end| at + end + 1);
            }
            Some(b'/') => {
                let name = tag_name(&bytes[at + 1..]);
                at = tag_end(bytes, at);
                if let Some(index) = open.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
                    open.truncate(index);
                }
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let name = tag_name(&bytes[at..]);
                let end = tag_end(bytes, at);
                let self_closing = end >= 2 && bytes[end - 2] == b'/';
                at = end;
                let is = |list: &[&[u8]]| list.iter().any(|n| name.eq_ignore_ascii_case(n));
                if is(RAW_TEXT) {
                    at = end_tag(bytes, at, name).unwrap_or(bytes.len());
                    continue;
                }
                if is(VOID) {
                    continue;
                }
                // Only SVG and MathML honour `<x/>`; in HTML it opens `x`.
                let foreign = open
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(b"svg") || n.eq_ignore_ascii_case(b"math"));
                if self_closing && foreign {
                    continue;
                }
                if is(CLOSES_P) {
                    close_within(&mut open, &[b"p"], SCOPES);
                }
                if is(&[b"li"]) {
                    close_within(&mut open, &[b"li"], &[b"ul", b"ol", b"table"]);
                } else if is(&[b"dt", b"dd"]) {
                    close_within(&mut open, &[b"dt", b"dd"], &[b"dl", b"table"]);
                } else if is(&[b"td", b"th"]) {
                    close_within(&mut open, &[b"td", b"th"], &[b"tr", b"table"]);
                } else if is(&[b"tr"]) {
                    close_within(&mut open, &[b"tr"], &[b"table"]);
                } else if is(&[b"thead", b"tbody", b"tfoot"]) {
                    close_within(&mut open, &[b"thead", b"tbody", b"tfoot"], &[b"table"]);
                } else if is(&[b"option", b"optgroup"]) {
                    close_within(&mut open, &[b"option"], &[b"select"]);
                } else if is(&[b"h1", b"h2", b"h3", b"h4", b"h5", b"h6"])
                    && open.last().is_some_and(|top| {
                        [b"h1", b"h2", b"h3", b"h4", b"h5", b"h6"]
                            .iter()
                            .any(|h| top.eq_ignore_ascii_case(*h))
                    })
                {
                    open.pop();
                }
                open.push(name);
                if open.len() > limit {
                    return Some(open.len());
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the end tag of `name` starts, from `at` on, whatever its case.
fn end_tag(bytes: &[u8], mut at: usize, name: &[u8]) -> Option<usize> {
    while let Some(offset) = find(&bytes[at..], b"</") {
        let start = at + offset + 2;
        if bytes
            .get(start..start + name.len())
            .is_some_and(|candidate| candidate.eq_ignore_ascii_case(name))
        {
            return Some(start - 2);
        }
        at = start;
    }
    None
}

fn memchr_lt(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'<')
}

/// The name at the start of a tag (`div` in `div class=…>`).
fn tag_name(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b':' | b'_')))
        .unwrap_or(bytes.len());
    &bytes[..end]
}

/// The offset just past the `>` that ends the tag starting at `at`,
/// attribute values in quotes skipped.
fn tag_end(bytes: &[u8], at: usize) -> usize {
    let mut quote: Option<u8> = None;
    for (index, &b) in bytes[at..].iter().enumerate() {
        match (quote, b) {
            (Some(q), b) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'>') => return at + index + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// What the page says about itself, read before anything is removed.
#[derive(Debug, Default)]
struct Page {
    /// The `<title>`, whitespace collapsed.
    title: String,
    /// The Open Graph title, for a page without a `<title>`.
    og_title: String,
    /// The texts of the page's `h1` elements, in order.
    headings: Vec<String>,
    site_name: Option<String>,
    lang: Option<Lang>,
    date: Option<ReleaseDate>,
    /// Where the page lives: `<base href>`, else its canonical URL.
    base: Option<Url>,
}

impl Page {
    fn read(dom: &Dom) -> Self {
        // (property or name, content) of every `<meta>`, gathered in one pass.
        let metas: Vec<(String, String)> = dom
            .select("meta[content]")
            .nodes()
            .iter()
            .filter_map(|node| {
                let key = node.attr("property").or_else(|| node.attr("name"))?;
                let content = node.attr("content")?;
                Some((key.to_ascii_lowercase(), collapse(&content[..])))
            })
            .collect();
        let meta = |property: &str| -> Option<String> {
            metas
                .iter()
                .find(|(key, content)| key == property && !content.is_empty())
                .map(|(_, content)| content.clone())
        };
        let title = collapse(&dom.select("title").first().text());
        let headings = dom
            .select("h1")
            .nodes()
            .iter()
            .take(8)
            .map(|node| collapse(&node.text()))
            .filter(|text| !text.is_empty())
            .collect();
        let lang = dom
            .select("html")
            .first()
            .attr("lang")
            .and_then(|lang| Lang::parse(&lang[..]).ok())
            .or_else(|| meta("og:locale").and_then(|locale| Lang::parse(&locale).ok()));

        let json_ld: Vec<serde_json::Value> = dom
            .select("script[type=\"application/ld+json\"]")
            .nodes()
            .iter()
            .filter_map(|node| serde_json::from_str(node.text().trim()).ok())
            .collect();
        let from_json_ld = |key: &str| json_ld.iter().find_map(|value| json_string(value, key, 0));

        let time = |selector: &str| {
            dom.select(selector)
                .nodes()
                .iter()
                .filter_map(|node| node.attr("datetime"))
                .find_map(|value| release_date(value.trim()).ok())
        };
        let date = meta("article:published_time")
            .and_then(|value| release_date(&value).ok())
            .or_else(|| {
                from_json_ld("datePublished").and_then(|value| release_date(value.as_str()).ok())
            })
            .or_else(|| time("time[itemprop=datePublished], time[pubdate]"))
            .or_else(|| time("article time[datetime], main time[datetime]"))
            .or_else(|| time("time[datetime]"));

        let absolute = |url: &str| {
            Url::parse(url.trim())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
        };
        let canonical = dom
            .select("link[rel=canonical]")
            .first()
            .attr("href")
            .and_then(|href| absolute(&href[..]))
            .or_else(|| meta("og:url").and_then(|url| absolute(&url)));
        let base = match dom.select("base[href]").first().attr("href") {
            Some(href) => {
                absolute(&href[..]).or_else(|| canonical.as_ref()?.join(href.trim()).ok())
            }
            None => None,
        }
        .or(canonical);

        Page {
            title,
            og_title: meta("og:title").unwrap_or_default(),
            headings,
            site_name: meta("og:site_name").or_else(|| publisher_name(&json_ld)),
            lang,
            date,
            base,
        }
    }
}

/// A string value for `key` anywhere in a JSON-LD document (`@graph` arrays
/// included), depth-limited.
fn json_string(value: &serde_json::Value, key: &str, depth: usize) -> Option<String> {
    if depth > 8 {
        return None;
    }
    match value {
        serde_json::Value::Object(map) => map
            .get(key)
            .and_then(|v| v.as_str().map(str::to_owned))
            .or_else(|| map.values().find_map(|v| json_string(v, key, depth + 1))),
        serde_json::Value::Array(items) => {
            items.iter().find_map(|v| json_string(v, key, depth + 1))
        }
        _ => None,
    }
}

fn publisher_name(json_ld: &[serde_json::Value]) -> Option<String> {
    json_ld.iter().find_map(|value| {
        let publisher = find_key(value, "publisher", 0)?;
        publisher
            .get("name")
            .and_then(|name| name.as_str())
            .map(collapse)
    })
}

fn find_key<'v>(
    value: &'v serde_json::Value,
    key: &str,
    depth: usize,
) -> Option<&'v serde_json::Value> {
    if depth > 8 {
        return None;
    }
    match value {
        serde_json::Value::Object(map) => map
            .get(key)
            .or_else(|| map.values().find_map(|v| find_key(v, key, depth + 1))),
        serde_json::Value::Array(items) => items.iter().find_map(|v| find_key(v, key, depth + 1)),
        _ => None,
    }
}

/// Class and id words that mark page furniture rather than the article.
const FURNITURE_WORDS: &[&str] = &[
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "share",
    "sharing",
    "social",
    "newsletter",
    "subscribe",
    "breadcrumb",
    "breadcrumbs",
    "related",
    "comments",
    "sidebar",
    "skip",
];

/// Removes what is never the article: scripts, navigation, footers, forms,
/// cookie banners, share buttons (by element, role, and class or id words).
fn remove_furniture(dom: &Dom) {
    dom.select(
        "script, style, noscript, template, iframe, object, embed, svg, canvas, form, button, \
         input, select, textarea, nav, aside, footer, dialog, [hidden], [aria-hidden=true], \
         [role=navigation], [role=contentinfo], [role=complementary], [role=dialog], [role=alertdialog], \
         [aria-modal=true]",
    )
    .remove();
    // The site's header, unless it holds the article's own title.
    for header in dom.select("header").nodes() {
        let in_article = header
            .ancestors(Some(MAX_DEPTH))
            .iter()
            .any(|a| a.has_name("article") || a.has_name("main"));
        if !in_article && !header.descendants().iter().any(|d| d.has_name("h1")) {
            header.remove_from_parent();
        }
    }
    for node in dom.select("[class], [id]").nodes() {
        if ["html", "body", "article", "main"]
            .iter()
            .any(|name| node.has_name(name))
        {
            continue;
        }
        let words = format!(
            "{} {}",
            node.attr("class").unwrap_or_default(),
            node.attr("id").unwrap_or_default()
        )
        .to_ascii_lowercase();
        let furniture = words
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| FURNITURE_WORDS.contains(&word));
        if furniture {
            node.remove_from_parent();
        }
    }
}

/// Cleans the article's HTML: only presentational elements, no scripts or
/// event handlers, links `http`, `https` or `mailto`, relative ones made
/// absolute against the page's base URL or, without one, dropped.
fn sanitize(html: &str, base: Option<&Url>) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(["http", "https", "mailto"].into())
        .link_rel(None)
        .url_relative(match base {
            Some(base) => UrlRelative::RewriteWithBase(base.clone()),
            None => UrlRelative::Deny,
        });
    builder.clean(html).to_string()
}

/// Collapses whitespace and trims.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn same_text(a: &str, b: &str) -> bool {
    collapse(a).to_lowercase() == collapse(b).to_lowercase()
}

/// The title without the site's name after it (`Title | Site`, `Title - Site`,
/// `Title — Site`): cut when the part after the separator is the site's
/// name, when what comes before it is the page's `h1`, or, for the pipe that
/// only sites use, when it is a short name.
fn strip_site_suffix(title: &str, site_name: Option<&str>, headings: &[String]) -> String {
    const SEPARATORS: [&str; 6] = [" | ", " — ", " – ", " - ", " · ", " :: "];
    for separator in SEPARATORS {
        let Some((head, tail)) = title.rsplit_once(separator) else {
            continue;
        };
        let head = head.trim();
        let tail = tail.trim();
        if head.is_empty() {
            continue;
        }
        let is_site = site_name.is_some_and(|site| {
            let site = collapse(site).to_lowercase();
            let tail = tail.to_lowercase();
            !site.is_empty() && (site == tail || site.contains(&tail) || tail.contains(&site))
        });
        let is_heading = headings.iter().any(|h| same_text(h, head));
        let short_site = separator == " | " && tail.split_whitespace().count() <= 4;
        if is_site || is_heading || short_site {
            // `Title | Section | Site`: cut again.
            return strip_site_suffix(head, site_name, headings);
        }
    }
    title.to_owned()
}

/// An element of the article, before the dateline is taken from it.
enum Item {
    Paragraph(Inline),
    Heading(u8, Inline),
    /// Lists, tables, rules: rendered whole.
    Block(Block),
}

/// Walks the sanitized article into items: block elements flush the inline
/// content gathered so far, inline elements add to it with their style.
#[derive(Default)]
struct Walker {
    items: Vec<Item>,
    inline: Inline,
    style: Style,
    links: usize,
}

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "blockquote",
    "figure",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "td",
    "th",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "pre",
    "dl",
    "dt",
    "dd",
    "address",
    "details",
    "summary",
    "center",
    "body",
    "html",
];

impl Walker {
    fn flush(&mut self) {
        let inline = std::mem::take(&mut self.inline);
        if !inline.is_blank() {
            self.items.push(Item::Paragraph(inline));
        }
    }

    fn walk_children(&mut self, node: &NodeRef<'_>, depth: usize) {
        for child in node.children_it(false) {
            self.walk(&child, depth + 1);
        }
    }

    fn walk(&mut self, node: &NodeRef<'_>, depth: usize) {
        if node.is_text() {
            self.inline.push_text(&node.text(), &self.style);
            return;
        }
        if !node.is_element() {
            return;
        }
        let name = node
            .node_name()
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default();
        if depth > MAX_DEPTH {
            self.inline.push_text(&node.text(), &self.style);
            return;
        }
        match name.as_str() {
            "br" => self.inline.push_break(),
            "img" | "figcaption" | "picture" | "video" | "audio" | "source" => {}
            "hr" => {
                self.flush();
                self.items.push(Item::Block(Block {
                    kind: BlockKind::Rule,
                    text: String::new(),
                    lines: String::new(),
                    html: "<hr>\n".to_owned(),
                }));
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                self.flush();
                let level = name[1..].parse::<u8>().unwrap_or(2).max(2);
                self.walk_children(node, depth);
                let inline = std::mem::take(&mut self.inline);
                if !inline.is_blank() {
                    self.items.push(Item::Heading(level, inline));
                }
            }
            "ul" | "ol" => {
                self.flush();
                let mut text = String::new();
                let mut html = String::new();
                list(node, 0, depth, &mut text, &mut html);
                if !text.trim().is_empty() {
                    self.items.push(Item::Block(Block {
                        kind: BlockKind::Other,
                        lines: text.clone(),
                        text,
                        html,
                    }));
                }
            }
            "table" => {
                self.flush();
                if let Some(block) = table(node, depth) {
                    self.items.push(Item::Block(block));
                }
            }
            "strong" | "b" | "em" | "i" | "a" => {
                let saved = self.style.clone();
                match name.as_str() {
                    "strong" | "b" => self.style.bold = true,
                    "em" | "i" => self.style.italic = true,
                    _ => {
                        if let Some(href) = node.attr("href").and_then(|h| safe_href(&h[..])) {
                            self.links += 1;
                            self.style.link = Some(Link {
                                id: self.links,
                                href,
                            });
                        }
                    }
                }
                self.walk_children(node, depth);
                self.style = saved;
            }
            name if BLOCKS.contains(&name) => {
                self.flush();
                self.walk_children(node, depth);
                self.flush();
            }
            _ => self.walk_children(node, depth),
        }
    }
}

/// A list as text (`- item`, `1. item`, nested items indented) and HTML.
fn list(node: &NodeRef<'_>, level: usize, depth: usize, text: &mut String, html: &mut String) {
    let ordered = node.has_name("ol");
    html.push_str(if ordered { "<ol>\n" } else { "<ul>\n" });
    let mut number = 0;
    for item in node.children_it(false).filter(|c| c.has_name("li")) {
        number += 1;
        let mut walker = Walker::default();
        let mut nested = Vec::new();
        for child in item.children_it(false) {
            if child.has_name("ul") || child.has_name("ol") {
                nested.push(child);
            } else {
                walker.walk(&child, depth + 2);
            }
        }
        walker.flush();
        let rendered: Vec<_> = walker
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Paragraph(inline) | Item::Heading(_, inline) => Some(inline.render()),
                Item::Block(_) => None,
            })
            .collect();
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&"  ".repeat(level));
        if ordered {
            text.push_str(&format!("{number}. "));
        } else {
            text.push_str("- ");
        }
        text.push_str(
            &rendered
                .iter()
                .map(|r| r.text.replace('\n', " "))
                .collect::<Vec<_>>()
                .join(" "),
        );
        html.push_str("<li>");
        html.push_str(
            &rendered
                .iter()
                .map(|r| r.html.as_str())
                .collect::<Vec<_>>()
                .join("<br>\n"),
        );
        if depth < MAX_DEPTH {
            for sublist in nested {
                html.push('\n');
                list(&sublist, level + 1, depth + 2, text, html);
            }
        }
        html.push_str("</li>\n");
    }
    html.push_str(if ordered { "</ol>\n" } else { "</ul>\n" });
}

/// A table as text (a line per row, cells separated by tabs) and HTML.
fn table(node: &NodeRef<'_>, depth: usize) -> Option<Block> {
    let mut text = String::new();
    let mut html = String::from("<table>\n<tbody>\n");
    for row in node.descendants_it().filter(|n| n.has_name("tr")) {
        let cells: Vec<_> = row
            .children_it(false)
            .filter(|c| c.has_name("td") || c.has_name("th"))
            .map(|cell| {
                let mut walker = Walker::default();
                walker.walk_children(&cell, depth + 2);
                walker.flush();
                let rendered: Vec<_> = walker
                    .items
                    .iter()
                    .map(|item| match item {
                        Item::Paragraph(inline) | Item::Heading(_, inline) => inline.render(),
                        // A list or table inside a cell: its text.
                        Item::Block(block) => crate::inline::Rendered {
                            text: block.text.clone(),
                            html: crate::body::escape_html(&block.text),
                        },
                    })
                    .collect();
                (
                    rendered
                        .iter()
                        .map(|r| r.text.replace('\n', " "))
                        .collect::<Vec<_>>()
                        .join(" "),
                    rendered
                        .iter()
                        .map(|r| r.html.as_str())
                        .collect::<Vec<_>>()
                        .join("<br>\n"),
                )
            })
            .collect();
        if cells.iter().all(|(t, _)| t.is_empty()) {
            continue;
        }
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(
            &cells
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join("\t"),
        );
        html.push_str("<tr>");
        for (_, cell) in &cells {
            html.push_str("<td>");
            html.push_str(cell);
            html.push_str("</td>");
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    (!text.is_empty()).then(|| Block {
        kind: BlockKind::Other,
        lines: text.clone(),
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_references_cannot_smuggle_control_characters() {
        for page in [
            "<article><h1>Titre&#1;&#x7; final</h1><p>Un&#2; texte&#127; assez long pour un article.</p></article>",
            // Found by the property test.
            "<article><h1>&#1\u{098F}",
        ] {
            let mut warnings = Vec::new();
            let Ok(document) = parse_html(page.as_bytes(), &mut warnings) else {
                continue;
            };
            let texts = document
                .title
                .iter()
                .chain(&document.paragraphs)
                .chain([&document.body_html]);
            for text in texts {
                assert!(
                    text.chars().all(crate::decode::is_publishable_char),
                    "{page}: {text:?}"
                );
            }
        }
    }

    #[test]
    fn site_suffixes_are_cut() {
        let none: &[String] = &[];
        assert_eq!(
            strip_site_suffix("Un atelier ouvre à Rennes | Fondation Sillage", None, none),
            "Un atelier ouvre à Rennes"
        );
        assert_eq!(
            strip_site_suffix(
                "Harbour berth opens - Harbour Trust",
                Some("Harbour Trust"),
                none
            ),
            "Harbour berth opens"
        );
        assert_eq!(
            strip_site_suffix(
                "Harbour berth opens — News — Harbour Trust",
                Some("Harbour Trust"),
                &["Harbour berth opens".to_owned()]
            ),
            "Harbour berth opens"
        );
        // Without the site's name or a heading to confirm it, a dash may be the title's own.
        assert_eq!(
            strip_site_suffix("Résultats 2023 - une hausse de 12 %", None, none),
            "Résultats 2023 - une hausse de 12 %"
        );
    }

    #[test]
    fn nesting_is_counted_as_the_parser_nests() {
        let deep = |tag: &str, n: usize| format!("<html><body>{}", tag.repeat(n));
        assert_eq!(nesting_beyond(&deep("<div>", 300), 256), Some(257));
        assert_eq!(nesting_beyond(&deep("<b>", 1000), 256), Some(257));
        assert_eq!(nesting_beyond(&deep("<div/>", 300), 256), Some(257));
        assert_eq!(nesting_beyond(&deep("<div></div>", 10_000), 256), None);
        // Ends the parser implies, void elements, raw text, comments.
        assert_eq!(nesting_beyond(&deep("<p>text", 10_000), 256), None);
        assert_eq!(
            nesting_beyond(&format!("<ul>{}</ul>", "<li>item".repeat(10_000)), 256),
            None
        );
        assert_eq!(
            nesting_beyond(
                &format!("<table>{}</table>", "<tr><td>a<td>b".repeat(5_000)),
                256
            ),
            None
        );
        assert_eq!(
            nesting_beyond(&deep("<br><img src=x><input>", 1_000), 256),
            None
        );
        assert_eq!(
            nesting_beyond(&format!("<script>{}</script>", "<div>".repeat(1_000)), 256),
            None
        );
        assert_eq!(
            nesting_beyond(&format!("<!-- {} -->", "<div>".repeat(1_000)), 256),
            None
        );
        assert_eq!(
            nesting_beyond(
                &format!("<svg>{}</svg>", "<path d='M0>1'/>".repeat(1_000)),
                256
            ),
            None
        );
        assert_eq!(
            nesting_beyond("<div title='a > b'><p>x</p></div>", 1),
            Some(2)
        );
    }

    #[test]
    fn charsets_are_found_in_meta_tags() {
        let check = |html: &[u8], expected: Option<&str>| {
            assert_eq!(declared_charset(html).map(|e| e.name()), expected);
        };
        check(b"<meta charset=\"iso-8859-1\">", Some("windows-1252"));
        check(
            b"<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=windows-1256\">",
            Some("windows-1256"),
        );
        check(b"<meta charset=utf-16>", Some("UTF-8"));
        check(b"<p>charset=latin1</p>", None);
    }
}

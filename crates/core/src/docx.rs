//! Word documents (`.docx`): a zip archive of XML parts, read from memory.
//!
//! The archive is judged before anything is inflated: its central directory
//! declares every part's size, so a zip bomb (a few megabytes that inflate to
//! gigabytes) is refused from those numbers alone ([`MAX_ENTRIES`],
//! [`MAX_TOTAL_SIZE`], [`MAX_PART_SIZE`], [`MAX_RATIO`]). A part that lies
//! about its size is caught while it is read, since no part is ever read past
//! the size it declares, plus one byte.
//!
//! Paragraphs are understood through their style's *name* in `styles.xml`
//! (`heading 1` from Word, `Heading 1` from LibreOffice), compared without
//! case, because localised Word writes localised style ids (`berschrift1`)
//! but English names. The title is the paragraph styled Title, else the first
//! Heading 1, else the first paragraph. Lists are numbered either on the
//! paragraph or on its style (python-docx and LibreOffice differ), and
//! `numbering.xml` says whether they are bulleted or ordered. Images are
//! returned as [`EmbeddedImage`]s, with their alternative text; what
//! becomes of them is decided with the release's other attachments.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;
use zip::result::ZipError;

use crate::body::settle;
use crate::dateline::{DatelineMatch, parse_dateline, split_dateline_prefix};
use crate::decode::clean_text;
use crate::document::{Block, BlockKind, Document, EmbeddedImage};
use crate::error::ParseError;
use crate::inline::{Inline, Link, Rendered, Style, safe_href};

const MIB: u64 = 1024 * 1024;
/// The most entries an archive may hold: real documents have a few dozen.
pub const MAX_ENTRIES: u64 = 2_000;
/// The most all parts together may inflate to, as declared.
pub const MAX_TOTAL_SIZE: u64 = 200 * MIB;
/// The most one part may inflate to, as declared.
pub const MAX_PART_SIZE: u64 = 50 * MIB;
/// The highest compression ratio a part may declare. XML compresses ten to
/// thirty times; a part of zeros, a thousand.
pub const MAX_RATIO: u64 = 200;
/// Parts smaller than this are not held to [`MAX_RATIO`]: whatever their
/// ratio, they cannot inflate to anything that matters.
const RATIO_FLOOR: u64 = MIB;

/// The first bytes of an OLE compound file: a legacy `.doc`, or a `.docx`
/// that Word encrypted with a password (Word wraps those in one).
const COMPOUND_FILE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Parses a Word document from its bytes.
pub fn parse_docx(bytes: &[u8]) -> Result<Document, ParseError> {
    let mut package = Package::open(bytes)?;
    let main = package.main_document_path()?;
    let relationships = package.relationships_of(&main)?;
    let styles = match relationships.part_of_type("styles") {
        Some(path) => package
            .read_text(&path)?
            .map(|xml| Styles::parse(&xml, &path))
            .transpose()?
            .unwrap_or_default(),
        None => Styles::default(),
    };
    let numbering = match relationships.part_of_type("numbering") {
        Some(path) => package
            .read_text(&path)?
            .map(|xml| Numbering::parse(&xml, &path))
            .transpose()?
            .unwrap_or_default(),
        None => Numbering::default(),
    };
    let xml = package
        .read_text(&main)?
        .ok_or_else(|| unreadable(format!("its main part '{main}' is missing")))?;
    let items = BodyReader::read(&xml, &main, &relationships, &styles)?;
    let (mut document, images) = assemble(items, &styles, &numbering)?;
    let mut read: Vec<String> = Vec::new();
    for image in images {
        let Some(path) = relationships.image_part(&image.relationship) else {
            continue;
        };
        if read.contains(&path) {
            continue;
        }
        if let Some(bytes) = package.read(&path)? {
            document.images.push(EmbeddedImage {
                file_name: attachment_name(&path),
                alt: image.alt,
                bytes,
            });
        }
        read.push(path);
    }
    Ok(document)
}

fn unreadable(reason: impl Into<String>) -> ParseError {
    ParseError::UnreadableDocx {
        reason: reason.into(),
    }
}

fn zip_error(error: ZipError) -> ParseError {
    unreadable(match error {
        ZipError::UnsupportedArchive(ZipError::PASSWORD_REQUIRED) | ZipError::InvalidPassword => {
            "it is password-protected: save it without a password".to_owned()
        }
        ZipError::UnsupportedArchive(what) => {
            format!("it uses a zip feature Pressroom does not read ({what})")
        }
        ZipError::InvalidArchive(what) => {
            format!("it is not a zip archive, or a truncated or damaged one ({what})")
        }
        ZipError::Io(error) => format!("it is truncated or damaged ({error})"),
        ZipError::FileNotFound => "a part it names is missing".to_owned(),
        other => format!("it is damaged ({other})"),
    })
}

/// The zip archive, checked against the limits.
struct Package<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
}

impl<'a> Package<'a> {
    /// Opens the archive and checks every entry's declared size before
    /// anything is inflated.
    fn open(bytes: &'a [u8]) -> Result<Self, ParseError> {
        if bytes.starts_with(COMPOUND_FILE_MAGIC) {
            return Err(unreadable(
                "it is a legacy Word file (.doc) or a password-protected document: save it as .docx, without a password",
            ));
        }
        let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
        let entries = archive.len() as u64;
        if entries > MAX_ENTRIES {
            return Err(ParseError::TooManyEntries {
                entries,
                limit: MAX_ENTRIES,
            });
        }
        let mut total: u64 = 0;
        for index in 0..archive.len() {
            let entry = archive.by_index_raw(index).map_err(zip_error)?;
            let size = entry.size();
            let compressed = entry.compressed_size();
            if size > MAX_PART_SIZE {
                return Err(ParseError::PartTooLarge {
                    part: entry.name().to_owned(),
                    size,
                    limit: MAX_PART_SIZE,
                });
            }
            if size > RATIO_FLOOR && size > compressed.saturating_mul(MAX_RATIO) {
                return Err(ParseError::CompressionRatio {
                    part: entry.name().to_owned(),
                    compressed,
                    size,
                    limit: MAX_RATIO,
                });
            }
            total = total.saturating_add(size);
        }
        if total > MAX_TOTAL_SIZE {
            return Err(ParseError::InflatesTooLarge {
                size: total,
                limit: MAX_TOTAL_SIZE,
            });
        }
        Ok(Self { archive })
    }

    /// The index of the part named `path`; part names ignore case (OPC).
    fn index_of(&self, path: &str) -> Option<usize> {
        self.archive.index_for_name(path).or_else(|| {
            (0..self.archive.len()).find(|&index| {
                self.archive
                    .name_for_index(index)
                    .is_some_and(|name| name.eq_ignore_ascii_case(path))
            })
        })
    }

    /// A part's bytes, read no further than its declared size (plus one
    /// byte, to catch a part that holds more).
    fn read(&mut self, path: &str) -> Result<Option<Vec<u8>>, ParseError> {
        let Some(index) = self.index_of(path) else {
            return Ok(None);
        };
        let mut part = self.archive.by_index(index).map_err(zip_error)?;
        let declared = part.size();
        let mut bytes = Vec::with_capacity(declared.min(MAX_PART_SIZE) as usize);
        let read = (&mut part)
            .take(declared + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| unreadable(format!("its part '{path}' is damaged ({error})")))?;
        if read as u64 > declared {
            return Err(ParseError::PartLargerThanDeclared {
                part: path.to_owned(),
                declared,
            });
        }
        Ok(Some(bytes))
    }

    /// A part as text (XML parts are UTF-8, or UTF-16 with a byte order mark).
    fn read_text(&mut self, path: &str) -> Result<Option<String>, ParseError> {
        let Some(bytes) = self.read(path)? else {
            return Ok(None);
        };
        let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
            std::str::from_utf8(rest).ok().map(str::to_owned)
        } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            let (text, _, malformed) = encoding_rs::UTF_16LE.decode(&bytes);
            (!malformed).then(|| text.into_owned())
        } else {
            String::from_utf8(bytes).ok()
        };
        text.map(Some)
            .ok_or_else(|| unreadable(format!("its part '{path}' is not UTF-8 text")))
    }

    /// The main document part, as the package's relationships name it.
    fn main_document_path(&mut self) -> Result<String, ParseError> {
        let fallback = "word/document.xml".to_owned();
        let main = match self.read_text("_rels/.rels")? {
            Some(xml) => Relationships::parse(&xml, "", "_rels/.rels")?
                .part_of_type("officeDocument")
                .unwrap_or(fallback),
            None => fallback,
        };
        if self.index_of(&main).is_none() {
            return Err(unreadable(format!(
                "it holds no Word document (no '{main}' part): is it really a .docx file?"
            )));
        }
        Ok(main)
    }

    /// The relationships of the part at `path` (its links, images, styles).
    fn relationships_of(&mut self, path: &str) -> Result<Relationships, ParseError> {
        let (folder, file) = path.rsplit_once('/').unwrap_or(("", path));
        let rels_path = if folder.is_empty() {
            format!("_rels/{file}.rels")
        } else {
            format!("{folder}/_rels/{file}.rels")
        };
        match self.read_text(&rels_path)? {
            Some(xml) => Relationships::parse(&xml, folder, &rels_path),
            None => Ok(Relationships::default()),
        }
    }
}

/// A part's links to other parts and to the web.
#[derive(Debug, Default)]
struct Relationships {
    by_id: HashMap<String, Relationship>,
}

#[derive(Debug)]
struct Relationship {
    /// The last segment of the relationship type (`styles`, `hyperlink`, `image`).
    kind: String,
    /// A part path inside the archive, or an external URL as written.
    target: String,
    external: bool,
}

impl Relationships {
    fn parse(xml: &str, folder: &str, path: &str) -> Result<Self, ParseError> {
        let mut by_id = HashMap::new();
        let mut reader = Reader::from_str(xml);
        loop {
            match reader.read_event().map_err(|e| malformed(path, e))? {
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                    let (Some(id), Some(kind), Some(target)) =
                        (attr(&e, b"Id"), attr(&e, b"Type"), attr(&e, b"Target"))
                    else {
                        continue;
                    };
                    let external = attr(&e, b"TargetMode").is_some_and(|m| m == "External");
                    let target = if external {
                        target
                    } else {
                        resolve_part_path(folder, &target)
                    };
                    let kind = kind.rsplit('/').next().unwrap_or_default().to_owned();
                    by_id.insert(
                        id,
                        Relationship {
                            kind,
                            target,
                            external,
                        },
                    );
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(Self { by_id })
    }

    /// The first internal part of a type (`styles`, `numbering`).
    fn part_of_type(&self, kind: &str) -> Option<String> {
        let mut matching: Vec<(&String, &Relationship)> = self
            .by_id
            .iter()
            .filter(|(_, r)| r.kind == kind && !r.external)
            .collect();
        matching.sort_by_key(|(id, _)| id.as_str());
        matching.first().map(|(_, r)| r.target.clone())
    }

    fn hyperlink(&self, id: &str) -> Option<String> {
        self.by_id
            .get(id)
            .filter(|r| r.kind == "hyperlink" && r.external)
            .and_then(|r| safe_href(&r.target))
    }

    fn image_part(&self, id: &str) -> Option<String> {
        self.by_id
            .get(id)
            .filter(|r| r.kind == "image" && !r.external)
            .map(|r| r.target.clone())
    }
}

/// A relationship target made a path inside the archive: relative to the
/// folder of the part that names it, or absolute from the archive's root.
fn resolve_part_path(folder: &str, target: &str) -> String {
    let mut segments: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        folder.split('/').filter(|s| !s.is_empty()).collect()
    };
    for segment in target.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            segment => segments.push(segment),
        }
    }
    segments.join("/")
}

fn malformed(path: &str, error: impl std::fmt::Display) -> ParseError {
    unreadable(format!(
        "its part '{path}' is not well-formed XML ({error})"
    ))
}

/// An attribute's value by local name (`w:val` and `val` alike), unescaped.
fn attr(element: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// A `w:b`-like switch: on unless its `w:val` says `0`, `false` or `off`.
fn switch_on(element: &BytesStart<'_>) -> bool {
    !matches!(
        attr(element, b"val").as_deref(),
        Some("0" | "false" | "off" | "none")
    )
}

/// A reference to a numbering definition (`w:numPr`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct NumberingRef {
    id: Option<String>,
    level: Option<u8>,
}

/// A paragraph or character style, as far as parsing cares.
#[derive(Debug, Clone, Default)]
struct StyleDef {
    /// The name, lowercase (`heading 1`, `title`).
    name: String,
    based_on: Option<String>,
    numbering: Option<NumberingRef>,
    outline: Option<u8>,
    bold: Option<bool>,
    italic: Option<bool>,
}

#[derive(Debug, Default)]
struct Styles {
    by_id: HashMap<String, StyleDef>,
    default_paragraph: Option<String>,
}

impl Styles {
    fn parse(xml: &str, path: &str) -> Result<Self, ParseError> {
        let mut styles = Styles::default();
        let mut reader = Reader::from_str(xml);
        let mut current: Option<(String, StyleDef)> = None;
        let mut in_ppr = false;
        let mut in_rpr = false;
        loop {
            let event = reader.read_event().map_err(|e| malformed(path, e))?;
            match &event {
                Event::Start(e) | Event::Empty(e) => {
                    let empty = matches!(event, Event::Empty(_));
                    match e.local_name().as_ref() {
                        b"style" => {
                            let id = attr(e, b"styleId").unwrap_or_default();
                            let paragraph = attr(e, b"type").is_none_or(|t| t == "paragraph");
                            if paragraph
                                && attr(e, b"default").is_some_and(|d| d == "1" || d == "true")
                            {
                                styles.default_paragraph = Some(id.clone());
                            }
                            if !empty {
                                current = Some((id, StyleDef::default()));
                            }
                        }
                        b"pPr" if !empty => in_ppr = true,
                        b"rPr" if !empty => in_rpr = true,
                        name => {
                            if let Some((_, style)) = &mut current {
                                match name {
                                    b"name" => {
                                        style.name = attr(e, b"val")
                                            .unwrap_or_default()
                                            .trim()
                                            .to_lowercase()
                                    }
                                    b"basedOn" => style.based_on = attr(e, b"val"),
                                    b"numId" if in_ppr => {
                                        style.numbering.get_or_insert_with(Default::default).id =
                                            attr(e, b"val")
                                    }
                                    b"ilvl" if in_ppr => {
                                        style.numbering.get_or_insert_with(Default::default).level =
                                            attr(e, b"val").and_then(|v| v.parse().ok())
                                    }
                                    b"outlineLvl" if in_ppr => {
                                        style.outline = attr(e, b"val").and_then(|v| v.parse().ok())
                                    }
                                    b"b" if in_rpr && !in_ppr => style.bold = Some(switch_on(e)),
                                    b"i" if in_rpr && !in_ppr => style.italic = Some(switch_on(e)),
                                    _ => {}
                                }
                            }
                        }
                    }
                }
                Event::End(e) => match e.local_name().as_ref() {
                    b"style" => {
                        if let Some((id, style)) = current.take() {
                            styles.by_id.insert(id, style);
                        }
                        in_ppr = false;
                        in_rpr = false;
                    }
                    b"pPr" => in_ppr = false,
                    b"rPr" => in_rpr = false,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(styles)
    }

    /// The style and those it is based on, nearest first (cycles cut).
    fn chain<'s>(&'s self, id: Option<&'s str>) -> impl Iterator<Item = &'s StyleDef> + 's {
        let mut next = id.and_then(|id| self.by_id.get(id));
        let mut steps = 0;
        std::iter::from_fn(move || {
            let style = next?;
            steps += 1;
            next = (steps < 16)
                .then(|| style.based_on.as_deref().and_then(|id| self.by_id.get(id)))
                .flatten();
            Some(style)
        })
    }

    fn paragraph_style<'s>(&'s self, id: Option<&'s str>) -> Option<&'s str> {
        id.or(self.default_paragraph.as_deref())
    }
}

/// The numbering definitions: which lists are bulleted, which ordered.
#[derive(Debug, Default)]
struct Numbering {
    /// `numId` → `abstractNumId`.
    nums: HashMap<String, String>,
    /// `abstractNumId` → level → (format, start).
    abstracts: HashMap<String, HashMap<u8, (String, u32)>>,
}

impl Numbering {
    fn parse(xml: &str, path: &str) -> Result<Self, ParseError> {
        let mut numbering = Numbering::default();
        let mut reader = Reader::from_str(xml);
        let mut abstract_id: Option<String> = None;
        let mut level: Option<(u8, String, u32)> = None;
        let mut num_id: Option<String> = None;
        loop {
            let event = reader.read_event().map_err(|e| malformed(path, e))?;
            match &event {
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    b"abstractNum" => abstract_id = attr(e, b"abstractNumId"),
                    b"lvl" if abstract_id.is_some() => {
                        let ilvl = attr(e, b"ilvl").and_then(|v| v.parse().ok()).unwrap_or(0);
                        level = Some((ilvl, "decimal".to_owned(), 1));
                    }
                    b"numFmt" => {
                        if let Some((_, format, _)) = &mut level {
                            *format = attr(e, b"val").unwrap_or_default();
                        }
                    }
                    b"start" => {
                        if let Some((_, _, start)) = &mut level {
                            *start = attr(e, b"val").and_then(|v| v.parse().ok()).unwrap_or(1);
                        }
                    }
                    b"num" => num_id = attr(e, b"numId"),
                    b"abstractNumId" => {
                        if let (Some(num), Some(target)) = (&num_id, attr(e, b"val")) {
                            numbering.nums.insert(num.clone(), target);
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    b"lvl" => {
                        if let (Some(id), Some((ilvl, format, start))) =
                            (&abstract_id, level.take())
                        {
                            numbering
                                .abstracts
                                .entry(id.clone())
                                .or_default()
                                .insert(ilvl, (format, start));
                        }
                    }
                    b"abstractNum" => abstract_id = None,
                    b"num" => num_id = None,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(numbering)
    }

    /// What a numbering reference makes of a paragraph: a list item of a
    /// kind and level, or nothing (`numId` 0, or a format of `none`, as
    /// LibreOffice's outline numbering of headings).
    fn list_item(&self, reference: &NumberingRef) -> Option<(ListKind, u8)> {
        let id = reference.id.as_deref()?;
        if id == "0" {
            return None;
        }
        let level = reference.level.unwrap_or(0).min(8);
        let definition = self
            .nums
            .get(id)
            .and_then(|abstract_id| self.abstracts.get(abstract_id))
            .and_then(|levels| levels.get(&level));
        let kind = match definition {
            Some((format, _)) if format == "none" => return None,
            Some((format, _)) if format == "bullet" => ListKind::Bullet,
            Some((_, start)) => ListKind::Ordered { start: *start },
            // A list whose definition is lost is still a list.
            None => ListKind::Bullet,
        };
        Some((kind, level))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    Bullet,
    Ordered { start: u32 },
}

/// An image a paragraph shows: its relationship id and alternative text.
#[derive(Debug, Clone)]
struct ImageRef {
    relationship: String,
    alt: Option<String>,
}

/// A paragraph as read from `document.xml`, before its style is understood.
#[derive(Debug, Default)]
struct Paragraph {
    style: Option<String>,
    numbering: Option<NumberingRef>,
    outline: Option<u8>,
    inline: Inline,
    images: Vec<ImageRef>,
}

/// A table: rows of cells of paragraphs.
type Table = Vec<Vec<Vec<Paragraph>>>;

#[derive(Debug)]
enum Item {
    Paragraph(Paragraph),
    Table(Table),
}

/// Run formatting being read (`w:rPr`).
#[derive(Debug, Default)]
struct RunProperties {
    style: Option<String>,
    bold: Option<bool>,
    italic: Option<bool>,
}

/// A complex field (`w:fldChar` begin … separate … end) being read: its
/// instruction, and the link it makes of its result (`HYPERLINK "…"`).
#[derive(Debug, Default)]
struct Field {
    instruction: String,
    link: Option<Link>,
}

/// Elements whose content is not part of the text: deleted and moved-away
/// revisions, revision history of properties, the fallback copy of
/// alternate content, text boxes, embedded objects, content control settings.
const SKIPPED: &[&[u8]] = &[
    b"del",
    b"moveFrom",
    b"Fallback",
    b"txbxContent",
    b"pPrChange",
    b"rPrChange",
    b"sectPrChange",
    b"tblPrChange",
    b"trPrChange",
    b"tcPrChange",
    b"numberingChange",
    b"object",
    b"sdtPr",
    b"sdtEndPr",
];

/// Reads `document.xml` into paragraphs and tables.
struct BodyReader<'r> {
    relationships: &'r Relationships,
    styles: &'r Styles,
    items: Vec<Item>,
    paragraph: Option<Paragraph>,
    tables: Vec<Table>,
    in_ppr: bool,
    in_numpr: bool,
    in_run: bool,
    in_rpr: bool,
    in_text: bool,
    in_instruction: bool,
    run: RunProperties,
    hyperlink: Option<Link>,
    fields: Vec<Field>,
    links: usize,
    /// Inside a drawing (or a VML picture), only the image and its
    /// description count; its text (shapes, captions) is not the release's.
    image: Option<ImageRef>,
    drawing_depth: usize,
    skip_depth: usize,
}

impl<'r> BodyReader<'r> {
    fn read(
        xml: &str,
        path: &str,
        relationships: &'r Relationships,
        styles: &'r Styles,
    ) -> Result<Vec<Item>, ParseError> {
        let mut reader = Reader::from_str(xml);
        let mut body = BodyReader {
            relationships,
            styles,
            items: Vec::new(),
            paragraph: None,
            tables: Vec::new(),
            in_ppr: false,
            in_numpr: false,
            in_run: false,
            in_rpr: false,
            in_text: false,
            in_instruction: false,
            run: RunProperties::default(),
            hyperlink: None,
            fields: Vec::new(),
            links: 0,
            image: None,
            drawing_depth: 0,
            skip_depth: 0,
        };
        loop {
            let event = reader.read_event().map_err(|e| malformed(path, e))?;
            if body.skip_depth > 0 {
                match event {
                    Event::Start(_) => body.skip_depth += 1,
                    Event::End(_) => body.skip_depth -= 1,
                    Event::Eof => break,
                    _ => {}
                }
                continue;
            }
            match event {
                Event::Start(e) => {
                    let name = e.local_name();
                    if SKIPPED.contains(&name.as_ref()) {
                        body.skip_depth = 1;
                    } else {
                        body.start(&e, false);
                    }
                }
                Event::Empty(e) => body.start(&e, true),
                Event::End(e) => body.end(e.local_name().as_ref()),
                Event::Text(e) if body.in_text || body.in_instruction => {
                    let text = e.xml10_content().map_err(|e| malformed(path, e))?;
                    body.text(&text);
                }
                Event::CData(e) if body.in_text => {
                    let text = e.decode().map_err(|e| malformed(path, e))?;
                    body.text(&text);
                }
                Event::GeneralRef(e) if body.in_text || body.in_instruction => {
                    let resolved = if e.is_char_ref() {
                        e.resolve_char_ref().ok().flatten().map(String::from)
                    } else {
                        e.decode().ok().and_then(|name| {
                            quick_xml::escape::resolve_xml_entity(&name).map(str::to_owned)
                        })
                    };
                    if let Some(text) = resolved {
                        body.text(&text);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        body.finish_paragraph();
        while let Some(table) = body.tables.pop() {
            body.close_table(table);
        }
        Ok(body.items)
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
        let name = e.local_name();
        let name = name.as_ref();
        if self.drawing_depth > 0 {
            if !empty {
                self.drawing_depth += 1;
            }
            self.drawing_element(name, e);
            return;
        }
        match name {
            b"p" => {
                self.finish_paragraph();
                self.paragraph = Some(Paragraph::default());
                if empty {
                    self.finish_paragraph();
                }
            }
            b"pPr" if !empty && !self.in_run => self.in_ppr = true,
            b"pStyle" if self.in_ppr => {
                if let Some(p) = &mut self.paragraph {
                    p.style = attr(e, b"val");
                }
            }
            b"numPr" if self.in_ppr && !empty => self.in_numpr = true,
            b"numId" if self.in_numpr => {
                if let Some(p) = &mut self.paragraph {
                    p.numbering.get_or_insert_with(Default::default).id = attr(e, b"val");
                }
            }
            b"ilvl" if self.in_numpr => {
                if let Some(p) = &mut self.paragraph {
                    p.numbering.get_or_insert_with(Default::default).level =
                        attr(e, b"val").and_then(|v| v.parse().ok());
                }
            }
            b"outlineLvl" if self.in_ppr => {
                if let Some(p) = &mut self.paragraph {
                    p.outline = attr(e, b"val").and_then(|v| v.parse().ok());
                }
            }
            _ if self.in_ppr => {}
            b"r" if !empty => {
                self.in_run = true;
                self.run = RunProperties::default();
            }
            b"rPr" if self.in_run && !empty => self.in_rpr = true,
            b"rStyle" if self.in_rpr => self.run.style = attr(e, b"val"),
            b"b" if self.in_rpr => self.run.bold = Some(switch_on(e)),
            b"i" if self.in_rpr => self.run.italic = Some(switch_on(e)),
            _ if self.in_rpr => {}
            b"t" if self.in_run && !empty => self.in_text = true,
            b"instrText" if self.in_run && !empty => self.in_instruction = true,
            b"tab" | b"ptab" if self.in_run => self.text(" "),
            b"noBreakHyphen" if self.in_run => self.text("-"),
            // Page and column breaks are layout, not lines.
            b"br"
                if self.in_run
                    && !matches!(attr(e, b"type").as_deref(), Some("page" | "column")) =>
            {
                self.push_break()
            }
            b"cr" if self.in_run => self.push_break(),
            b"fldChar" => match attr(e, b"fldCharType").as_deref() {
                Some("begin") => self.fields.push(Field::default()),
                Some("separate") => {
                    let link = self
                        .fields
                        .last()
                        .and_then(|field| hyperlink_instruction(&field.instruction));
                    let link = link.map(|href| self.new_link(href));
                    if let Some(field) = self.fields.last_mut() {
                        field.link = link;
                    }
                }
                Some("end") => {
                    self.fields.pop();
                }
                _ => {}
            },
            b"fldSimple" if !empty => {
                let link = attr(e, b"instr")
                    .and_then(|instruction| hyperlink_instruction(&instruction))
                    .map(|href| self.new_link(href));
                self.fields.push(Field {
                    instruction: String::new(),
                    link,
                });
            }
            b"hyperlink" if !empty => {
                let href = attr(e, b"id").and_then(|id| self.relationships.hyperlink(&id));
                self.hyperlink = href.map(|href| self.new_link(href));
            }
            b"drawing" | b"pict" if !empty => {
                self.drawing_depth = 1;
                self.image = Some(ImageRef {
                    relationship: String::new(),
                    alt: None,
                });
            }
            b"tbl" if !empty => {
                self.finish_paragraph();
                self.tables.push(Vec::new());
            }
            b"tr" if !empty => {
                if let Some(table) = self.tables.last_mut() {
                    table.push(Vec::new());
                }
            }
            b"tc" if !empty => {
                if let Some(row) = self.tables.last_mut().and_then(|t| t.last_mut()) {
                    row.push(Vec::new());
                }
            }
            _ => {}
        }
    }

    fn drawing_element(&mut self, name: &[u8], e: &BytesStart<'_>) {
        let Some(image) = &mut self.image else {
            return;
        };
        match name {
            // `descr` is the alternative text; Word's own "title" of it comes next.
            b"docPr" => {
                image.alt = attr(e, b"descr")
                    .or_else(|| attr(e, b"title"))
                    .map(|alt| clean_text(alt.trim()))
                    .filter(|alt| !alt.is_empty());
            }
            b"blip" => {
                if let Some(id) = attr(e, b"embed") {
                    image.relationship = id;
                }
            }
            b"imagedata" => {
                if let Some(id) = attr(e, b"id") {
                    image.relationship = id;
                }
                if image.alt.is_none() {
                    image.alt = attr(e, b"title")
                        .map(|alt| clean_text(alt.trim()))
                        .filter(|alt| !alt.is_empty());
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &[u8]) {
        if self.drawing_depth > 0 {
            self.drawing_depth -= 1;
            if self.drawing_depth == 0
                && let Some(image) = self.image.take()
                && !image.relationship.is_empty()
                && let Some(paragraph) = &mut self.paragraph
            {
                paragraph.images.push(image);
            }
            return;
        }
        match name {
            b"p" => self.finish_paragraph(),
            b"pPr" => {
                self.in_ppr = false;
                self.in_numpr = false;
            }
            b"numPr" => self.in_numpr = false,
            b"r" => {
                self.in_run = false;
                self.in_rpr = false;
                self.in_text = false;
                self.in_instruction = false;
            }
            b"rPr" => self.in_rpr = false,
            b"t" => self.in_text = false,
            b"instrText" => self.in_instruction = false,
            b"hyperlink" => self.hyperlink = None,
            b"fldSimple" => {
                self.fields.pop();
            }
            b"tbl" => {
                self.finish_paragraph();
                if let Some(table) = self.tables.pop() {
                    self.close_table(table);
                }
            }
            _ => {}
        }
    }

    fn new_link(&mut self, href: String) -> Link {
        self.links += 1;
        Link {
            id: self.links,
            href,
        }
    }

    fn text(&mut self, text: &str) {
        if self.in_instruction {
            if let Some(field) = self.fields.last_mut() {
                field.instruction.push_str(text);
            }
            return;
        }
        let style = self.run_style();
        if let Some(paragraph) = &mut self.paragraph {
            paragraph.inline.push_text(text, &style);
        }
    }

    fn push_break(&mut self) {
        if let Some(paragraph) = &mut self.paragraph {
            paragraph.inline.push_break();
        }
    }

    /// The run's formatting: its own, else its character style's.
    fn run_style(&self) -> Style {
        let from_style = |pick: fn(&StyleDef) -> Option<bool>| {
            self.styles
                .chain(self.run.style.as_deref())
                .find_map(pick)
                .unwrap_or(false)
        };
        let link = self.hyperlink.clone().or_else(|| {
            self.fields
                .iter()
                .rev()
                .find_map(|field| field.link.clone())
        });
        Style {
            bold: self.run.bold.unwrap_or_else(|| from_style(|s| s.bold)),
            italic: self.run.italic.unwrap_or_else(|| from_style(|s| s.italic)),
            link,
        }
    }

    fn finish_paragraph(&mut self) {
        self.in_ppr = false;
        self.in_numpr = false;
        self.in_run = false;
        self.in_rpr = false;
        self.in_text = false;
        let Some(paragraph) = self.paragraph.take() else {
            return;
        };
        match self.tables.last_mut() {
            Some(table) => {
                if table.is_empty() {
                    table.push(Vec::new());
                }
                let row = table.last_mut().expect("a row was just ensured");
                if row.is_empty() {
                    row.push(Vec::new());
                }
                row.last_mut()
                    .expect("a cell was just ensured")
                    .push(paragraph);
            }
            None => self.items.push(Item::Paragraph(paragraph)),
        }
    }

    /// A finished table becomes an item, or, nested in another, part of the
    /// cell it sits in.
    fn close_table(&mut self, table: Table) {
        match self.tables.last_mut() {
            Some(outer) => {
                if outer.is_empty() {
                    outer.push(Vec::new());
                }
                let row = outer.last_mut().expect("a row was just ensured");
                if row.is_empty() {
                    row.push(Vec::new());
                }
                let cell = row.last_mut().expect("a cell was just ensured");
                cell.extend(table.into_iter().flatten().flatten());
            }
            None => self.items.push(Item::Table(table)),
        }
    }
}

/// The target of a `HYPERLINK "https://…"` field, if it is one we keep
/// (`HYPERLINK \l "bookmark"` points inside the document: no link).
fn hyperlink_instruction(instruction: &str) -> Option<String> {
    let instruction = instruction.trim();
    let (keyword, rest) = instruction.split_at(instruction.find(char::is_whitespace)?);
    if !keyword.eq_ignore_ascii_case("HYPERLINK") {
        return None;
    }
    let rest = rest.trim_start();
    if rest.starts_with('\\') {
        return None;
    }
    let target = match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next().unwrap_or_default(),
        None => rest.split_whitespace().next().unwrap_or_default(),
    };
    safe_href(target)
}

/// What a paragraph is, once its style is understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Title,
    Heading(u8),
    ListItem(ListKind, u8),
    Body,
}

fn role(paragraph: &Paragraph, styles: &Styles, numbering: &Numbering) -> Role {
    let style_id = styles.paragraph_style(paragraph.style.as_deref());
    let name = styles
        .chain(style_id)
        .next()
        .map(|s| s.name.as_str())
        .unwrap_or_default();
    if name == "title" {
        return Role::Title;
    }
    let named_level = name
        .strip_prefix("heading ")
        .and_then(|n| n.trim().parse::<u8>().ok())
        .filter(|n| (1..=9).contains(n));
    // Word's outline levels count from 0; 9 is body text.
    let outline = paragraph
        .outline
        .or_else(|| styles.chain(style_id).find_map(|s| s.outline))
        .filter(|&level| level < 9)
        .map(|level| level + 1);
    if let Some(level) = named_level.or(outline) {
        return Role::Heading(level);
    }
    let reference = paragraph
        .numbering
        .clone()
        .or_else(|| styles.chain(style_id).find_map(|s| s.numbering.clone()));
    match reference.and_then(|r| numbering.list_item(&r)) {
        Some((kind, level)) => Role::ListItem(kind, level),
        None => Role::Body,
    }
}

/// Turns paragraphs and tables into a document (the title, the dateline,
/// the body through the shared rules), with the images the paragraphs show.
fn assemble(
    items: Vec<Item>,
    styles: &Styles,
    numbering: &Numbering,
) -> Result<(Document, Vec<ImageRef>), ParseError> {
    let mut entries: Vec<(Option<Role>, Item)> = items
        .into_iter()
        .map(|item| match &item {
            Item::Paragraph(p) => (Some(role(p, styles, numbering)), item),
            Item::Table(_) => (None, item),
        })
        .collect();
    let mut images = Vec::new();
    for (_, item) in &entries {
        for_each_paragraph(item, &mut |p| images.extend(p.images.iter().cloned()));
    }
    let is_text = |(_, item): &(Option<Role>, Item)| match item {
        Item::Paragraph(p) => !p.inline.is_blank(),
        Item::Table(_) => false,
    };
    let title_at = |wanted: &dyn Fn(Role) -> bool| {
        entries
            .iter()
            .position(|entry| entry.0.is_some_and(wanted) && is_text(entry))
    };
    let title_index = title_at(&|r| r == Role::Title)
        .or_else(|| title_at(&|r| r == Role::Heading(1)))
        .or_else(|| title_at(&|r| matches!(r, Role::Body | Role::Heading(_))));
    let mut title = None;
    // The position of the body's first paragraph among the text paragraphs,
    // counted from 1 with the title, for messages.
    let mut paragraph_number = 1;
    if let Some(index) = title_index {
        let role = entries[index].0;
        let mut parts = Vec::new();
        // A title typed over several Title paragraphs is one title.
        while index < entries.len() && entries[index].0 == role && is_text(&entries[index]) {
            if let (_, Item::Paragraph(p)) = entries.remove(index) {
                parts.push(p.inline.render().text.replace('\n', " "));
            }
            if role != Some(Role::Title) {
                break;
            }
        }
        paragraph_number += entries[..index].iter().filter(|e| is_text(e)).count();
        paragraph_number += 1;
        title = Some(
            parts
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        );
    }

    // The dateline: the first paragraph of the body, whole or as a prefix.
    let mut dateline = None;
    let mut skip = None;
    let first_text = title_index.unwrap_or(0).min(entries.len());
    let first = (first_text..entries.len())
        .find(|&i| is_text(&entries[i]) || matches!(entries[i].1, Item::Table(_)));
    if let Some(index) = first
        && entries[index].0 == Some(Role::Body)
        && let Item::Paragraph(p) = &entries[index].1
    {
        let text = p.inline.render().text;
        match parse_dateline(&text) {
            Some(DatelineMatch::Found(found)) => {
                dateline = Some(found);
                entries.remove(index);
            }
            Some(DatelineMatch::Impossible(text)) => {
                return Err(ParseError::ImpossibleDateInParagraph {
                    text,
                    paragraph: paragraph_number,
                });
            }
            None => match split_dateline_prefix(&text) {
                Some((DatelineMatch::Found(found), rest)) => {
                    dateline = Some(found);
                    skip = Some((index, text.len() - rest.len()));
                }
                Some((DatelineMatch::Impossible(text), _)) => {
                    return Err(ParseError::ImpossibleDateInParagraph {
                        text,
                        paragraph: paragraph_number,
                    });
                }
                None => {}
            },
        }
    }

    let mut blocks = Vec::new();
    let mut list = ListBuilder::default();
    for (index, (role, item)) in entries.into_iter().enumerate() {
        let paragraph = match item {
            Item::Table(table) => {
                list.flush(&mut blocks);
                blocks.extend(table_block(&table));
                continue;
            }
            Item::Paragraph(paragraph) => paragraph,
        };
        if paragraph.inline.is_blank() {
            continue;
        }
        let rendered = match skip {
            Some((at, bytes)) if at == index => paragraph.inline.render_from(bytes),
            _ => paragraph.inline.render(),
        };
        match role.unwrap_or(Role::Body) {
            Role::ListItem(kind, level) => {
                list.push(kind, level, rendered);
                continue;
            }
            Role::Title => {
                list.flush(&mut blocks);
                blocks.push(Block::heading(2, rendered.text, &rendered.html));
            }
            Role::Heading(level) => {
                list.flush(&mut blocks);
                blocks.push(Block::heading(
                    level.saturating_add(1),
                    rendered.text,
                    &rendered.html,
                ));
            }
            Role::Body => {
                list.flush(&mut blocks);
                if !rendered.text.is_empty() {
                    blocks.push(Block::paragraph(
                        rendered.text.clone(),
                        rendered.text,
                        &rendered.html,
                    ));
                }
            }
        }
    }
    list.flush(&mut blocks);

    let settled = settle(blocks, true);
    let document = Document {
        title: title.filter(|t| !t.is_empty()),
        dateline,
        paragraphs: settled.paragraphs,
        body_html: settled.body_html,
        contact: settled.contact,
        about: settled.about,
        ..Document::default()
    };
    Ok((document, images))
}

fn for_each_paragraph(item: &Item, f: &mut impl FnMut(&Paragraph)) {
    match item {
        Item::Paragraph(p) => f(p),
        Item::Table(table) => table.iter().flatten().flatten().for_each(f),
    }
}

/// Consecutive list paragraphs, made one list block (nested by level).
#[derive(Default)]
struct ListBuilder {
    items: Vec<(ListKind, u8, Rendered)>,
}

impl ListBuilder {
    fn push(&mut self, kind: ListKind, level: u8, rendered: Rendered) {
        self.items.push((kind, level, rendered));
    }

    fn flush(&mut self, blocks: &mut Vec<Block>) {
        if self.items.is_empty() {
            return;
        }
        let items = std::mem::take(&mut self.items);
        let mut text = String::new();
        let mut html = String::new();
        // Open lists: their kind, level, and the number of the next item.
        let mut open: Vec<(ListKind, u8, u32)> = Vec::new();
        for (kind, level, rendered) in items {
            while open.last().is_some_and(|&(_, l, _)| l > level) {
                close_list(&mut html, open.pop().map(|o| o.0));
            }
            match open.last_mut() {
                Some((open_kind, l, number)) if *l == level && same_kind(*open_kind, kind) => {
                    html.push_str("</li>\n<li>");
                    *number += 1;
                }
                Some((_, l, _)) if *l == level => {
                    close_list(&mut html, open.pop().map(|o| o.0));
                    open_list(&mut html, kind);
                    open.push((kind, level, start_of(kind)));
                }
                _ => {
                    open_list(&mut html, kind);
                    open.push((kind, level, start_of(kind)));
                }
            }
            let depth = open.len().saturating_sub(1);
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&"  ".repeat(depth));
            match open.last() {
                Some((ListKind::Ordered { .. }, _, number)) => {
                    text.push_str(&format!("{number}. "))
                }
                _ => text.push_str("- "),
            }
            text.push_str(&rendered.text.replace('\n', " "));
            html.push_str(&rendered.html);
        }
        while let Some((kind, _, _)) = open.pop() {
            close_list(&mut html, Some(kind));
        }
        blocks.push(Block {
            kind: BlockKind::Other,
            lines: text.clone(),
            text,
            html,
        });
    }
}

fn same_kind(a: ListKind, b: ListKind) -> bool {
    matches!(
        (a, b),
        (ListKind::Bullet, ListKind::Bullet) | (ListKind::Ordered { .. }, ListKind::Ordered { .. })
    )
}

fn start_of(kind: ListKind) -> u32 {
    match kind {
        ListKind::Ordered { start } => start,
        ListKind::Bullet => 1,
    }
}

fn open_list(html: &mut String, kind: ListKind) {
    match kind {
        ListKind::Bullet => html.push_str("<ul>\n<li>"),
        ListKind::Ordered { start: 1 } => html.push_str("<ol>\n<li>"),
        ListKind::Ordered { start } => html.push_str(&format!("<ol start=\"{start}\">\n<li>")),
    }
}

fn close_list(html: &mut String, kind: Option<ListKind>) {
    match kind {
        Some(ListKind::Bullet) => html.push_str("</li>\n</ul>\n"),
        Some(ListKind::Ordered { .. }) => html.push_str("</li>\n</ol>\n"),
        None => {}
    }
}

/// A table block: a line per row with cells separated by tabs, and its HTML.
fn table_block(table: &Table) -> Option<Block> {
    let mut text = String::new();
    let mut html = String::from("<table>\n<tbody>\n");
    let mut any = false;
    for row in table {
        let cells: Vec<Rendered> = row
            .iter()
            .map(|cell| {
                let rendered: Vec<Rendered> = cell
                    .iter()
                    .filter(|p| !p.inline.is_blank())
                    .map(|p| p.inline.render())
                    .collect();
                Rendered {
                    text: rendered
                        .iter()
                        .map(|r| r.text.replace('\n', " "))
                        .collect::<Vec<_>>()
                        .join(" "),
                    html: rendered
                        .iter()
                        .map(|r| r.html.as_str())
                        .collect::<Vec<_>>()
                        .join("<br>\n"),
                }
            })
            .collect();
        if cells.iter().all(|c| c.text.is_empty()) {
            continue;
        }
        any = true;
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(
            &cells
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join("\t"),
        );
        html.push_str("<tr>");
        for cell in &cells {
            html.push_str("<td>");
            html.push_str(&cell.html);
            html.push_str("</td>");
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    any.then(|| Block {
        kind: BlockKind::Other,
        lines: text.clone(),
        text,
        html,
    })
}

/// A bare, safe file name for an attachment: the part's last segment, with
/// anything but ASCII letters, digits, `.`, `-` and `_` replaced.
fn attachment_name(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = name.trim_start_matches('.');
    if name.is_empty() {
        "image".to_owned()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_paths_resolve_against_their_folder() {
        assert_eq!(
            resolve_part_path("word", "media/image1.png"),
            "word/media/image1.png"
        );
        assert_eq!(
            resolve_part_path("word", "../customXml/item1.xml"),
            "customXml/item1.xml"
        );
        assert_eq!(
            resolve_part_path("word", "/word/styles.xml"),
            "word/styles.xml"
        );
        assert_eq!(
            resolve_part_path("", "word/document.xml"),
            "word/document.xml"
        );
    }

    #[test]
    fn hyperlink_fields() {
        assert_eq!(
            hyperlink_instruction(" HYPERLINK \"https://a.example/x\" \\o \"tip\" ").as_deref(),
            Some("https://a.example/x")
        );
        assert_eq!(hyperlink_instruction("HYPERLINK \\l \"_Toc1\""), None);
        assert_eq!(hyperlink_instruction("HYPERLINK \"javascript:x\""), None);
        assert_eq!(hyperlink_instruction("PAGE"), None);
    }

    #[test]
    fn attachment_names_are_bare_and_safe() {
        assert_eq!(attachment_name("word/media/image1.png"), "image1.png");
        assert_eq!(attachment_name("word/media/../é t.JPG"), "__t.JPG");
        assert_eq!(attachment_name("word/media/.hidden"), "hidden");
    }
}

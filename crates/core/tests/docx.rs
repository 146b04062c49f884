//! Word documents: files from two producers (python-docx and LibreOffice, made
//! by `tests/data/make_docx_fixtures.py`), documents built in memory for the
//! cases those do not cover, and hostile archives: zip bombs, entries that
//! lie about their size, truncated and random files.

use std::io::{Cursor, Read, Write};

use flate2::{Compress, Compression, FlushCompress};
use pressroom_core::{ParseError, ParseOptions, Parsed, ReleaseDate, parse_release};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(bytes: &[u8]) -> Parsed {
    parse_release("release.docx", bytes, &ParseOptions::default())
        .unwrap_or_else(|rejected| panic!("rejected: {}", rejected.error))
}

fn reject(bytes: &[u8]) -> ParseError {
    match parse_release("release.docx", bytes, &ParseOptions::default()) {
        Ok(parsed) => panic!("accepted: {:?}", parsed.release.title),
        Err(rejected) => rejected.error,
    }
}

fn day(text: &str) -> Option<ReleaseDate> {
    Some(ReleaseDate::Day(text.parse().unwrap()))
}

#[test]
fn a_python_docx_file() {
    let parsed = parse(&fixture("python-docx.docx"));
    let release = &parsed.release;
    // The paragraph styled Title.
    assert_eq!(
        release.title,
        "La Fondation Sillage ouvre un atelier numérique à Rennes"
    );
    // A dateline prefix, removed from the first paragraph with its formatting kept.
    assert_eq!(release.place.as_deref(), Some("RENNES"));
    assert_eq!(release.date, day("2024-03-12"));
    assert_eq!(release.lang.as_str(), "fr");
    assert_eq!(
        release.paragraphs,
        [
            "La Fondation Sillage inaugure ce mardi un atelier numérique ouvert aux associations du quartier de Maurepas.",
            "Un programme en trois volets",
            "Les ateliers proposent :",
            "- des formations à la bureautique ;\n- un accompagnement aux démarches en ligne ;\n- un prêt d'ordinateurs portables.",
            "Calendrier",
            "1. Inscriptions en mars\n2. Premières séances en avril\n3. Bilan en décembre",
            "Le programme complet est en ligne sur le site de la Fondation. Un lien piégé reste du texte : ne cliquez pas.",
            "Les séances sont gratuites et ouvertes à tous.",
        ]
    );
    let html = &release.body_html;
    for expected in [
        "<p>La Fondation Sillage inaugure ce mardi un <strong>atelier numérique</strong> ouvert aux <em>associations</em> du quartier de Maurepas.</p>",
        // Heading 1 and 2 under a Title become h2 and h3.
        "<h2>Un programme en trois volets</h2>",
        "<h3>Calendrier</h3>",
        // python-docx numbers its lists through the paragraph's style.
        "<ul>\n<li>des formations à la bureautique ;</li>",
        "<ol>\n<li>Inscriptions en mars</li>",
        // One link over three runs, the middle one bold.
        "<a href=\"https://fondation-sillage.example/atelier\">le site <strong>de la</strong> Fondation</a>",
        // A javascript: target is text only.
        "Un lien piégé reste du texte : ne cliquez pas.",
    ] {
        assert!(html.contains(expected), "{expected}\nnot in\n{html}");
    }
    assert!(!html.to_lowercase().contains("javascript"), "{html}");
    assert!(!html.contains("###"), "{html}");
    assert_eq!(release.attachments.len(), 1);
    let image = &release.attachments[0];
    assert_eq!(image.file_name, "image1.png");
    assert_eq!(image.media_type, "image/png");
    assert_eq!(image.alt, "Les locaux de l'atelier numérique");
    assert_eq!(parsed.files[0].file_name, "image1.png");
    assert!(parsed.files[0].bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(image.size, parsed.files[0].bytes.len() as u64);
    // The end marker, the about section and the contact block are not body.
    let about = release.about.as_ref().expect("an about section");
    assert_eq!(about.heading, "À propos de la Fondation Sillage");
    assert_eq!(
        about.paragraphs,
        [
            "La Fondation Sillage soutient depuis 2009 l'insertion professionnelle des jeunes en Bretagne."
        ]
    );
    let contact = release.contact.as_ref().expect("a contact block");
    assert_eq!(contact.heading, "Contact presse");
    assert_eq!(
        contact.paragraphs,
        [
            "Marie Le Goff",
            "marie.legoff@fondation-sillage.example",
            "+33 2 99 00 11 22"
        ]
    );
    assert!(
        contact
            .html
            .contains("<a href=\"mailto:marie.legoff@fondation-sillage.example\">")
    );
}

#[test]
fn a_libreoffice_file() {
    let parsed = parse(&fixture("libreoffice.docx"));
    let release = &parsed.release;
    assert_eq!(
        release.title,
        "Harbour Trust opens a shore power berth for ferries"
    );
    // A dateline as a paragraph of its own.
    assert_eq!(release.place.as_deref(), Some("Wellington"));
    assert_eq!(release.date, day("2024-01-15"));
    assert_eq!(release.lang.as_str(), "en");
    assert_eq!(
        release.paragraphs[0],
        "The Harbour Trust has connected its first shore power berth, so that inter-island ferries can switch off their engines while docked."
    );
    assert_eq!(release.paragraphs.len(), 8, "{:#?}", release.paragraphs);
    let html = &release.body_html;
    for expected in [
        "its <strong>first shore power berth</strong>, so that <em>inter-island ferries</em>",
        // LibreOffice names its styles `Heading 1`, and numbers headings
        // with an outline list of format `none`: still headings.
        "<h2>What changes for the port</h2>",
        "<h3>Timeline</h3>",
        // LibreOffice numbers lists on the paragraph.
        "<ul>\n<li>quieter nights for the waterfront;</li>",
        "<ol>\n<li>Trials in February</li>\n<li>Daily use from April</li>\n</ol>",
        "<a href=\"https://harbour-trust.example/shore-power\">the <strong>Trust&#39;s</strong> website</a>",
        "<a href=\"mailto:press@harbour-trust.example\">press office</a>",
    ] {
        assert!(html.contains(expected), "{expected}\nnot in\n{html}");
    }
    assert_eq!(release.attachments.len(), 1);
    assert_eq!(
        release.attachments[0].alt,
        "The new shore power berth at dawn"
    );
    assert_eq!(
        release.about.as_ref().map(|a| a.heading.as_str()),
        Some("About the Harbour Trust")
    );
    let contact = release.contact.as_ref().expect("a contact block");
    assert_eq!(contact.heading, "Media contact");
    // Line breaks inside one paragraph keep the contact's lines.
    assert_eq!(
        contact.paragraphs,
        ["Aroha Tane\npress@harbour-trust.example\n+64 4 555 0199"]
    );
}

// Documents built in memory, for what the two producers' files do not show.

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A paragraph in style `style` (none when empty) holding `runs` (raw XML).
fn p(style: &str, runs: &str) -> String {
    let properties = if style.is_empty() {
        String::new()
    } else {
        format!("<w:pPr><w:pStyle w:val=\"{style}\"/></w:pPr>")
    };
    format!("<w:p>{properties}{runs}</w:p>")
}

/// A run of plain text.
fn r(text: &str) -> String {
    format!("<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r>")
}

/// A paragraph style with an id and a name.
fn style(id: &str, name: &str) -> String {
    format!("<w:style w:type=\"paragraph\" w:styleId=\"{id}\"><w:name w:val=\"{name}\"/></w:style>")
}

/// A Word package with this body, these styles and these hyperlink targets
/// (relationship ids `link1`, `link2`…).
fn word(body: &[String], styles: &[String], links: &[&str]) -> Vec<u8> {
    let mut relationships = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"s\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>",
    );
    for (index, link) in links.iter().enumerate() {
        relationships.push_str(&format!(
            "<Relationship Id=\"link{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink\" Target=\"{link}\" TargetMode=\"External\"/>",
            index + 1
        ));
    }
    relationships.push_str("</Relationships>");
    let parts = [
        (
            "word/document.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"{W}\" xmlns:r=\"{R}\"><w:body>{}</w:body></w:document>",
                body.concat()
            ),
        ),
        (
            "word/styles.xml",
            format!("<w:styles xmlns:w=\"{W}\">{}</w:styles>", styles.concat()),
        ),
        ("word/_rels/document.xml.rels", relationships),
    ];
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in parts {
        writer
            .start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(content.as_bytes()).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn styles_are_known_by_name_whatever_their_id() {
    // German Word: localised ids, English names.
    let styles = [style("Titel", "Title"), style("berschrift1", "heading 1")];
    let bytes = word(
        &[
            p("Titel", &r("Die Genossenschaft baut Balkonkraftwerke")),
            p(
                "",
                &r("BERLIN, 12.09.2023 – Die Genossenschaft Spree-Nord startet."),
            ),
            p("berschrift1", &r("Beratung")),
            p("", &r("Fachleute prüfen jeden Balkon.")),
        ],
        &styles,
        &[],
    );
    let release = parse(&bytes).release;
    assert_eq!(release.title, "Die Genossenschaft baut Balkonkraftwerke");
    assert_eq!(release.place.as_deref(), Some("BERLIN"));
    assert!(
        release.body_html.contains("<h2>Beratung</h2>"),
        "{}",
        release.body_html
    );
}

#[test]
fn without_a_title_style_the_first_heading_1_then_the_first_paragraph() {
    let styles = [style("Heading1", "heading 1")];
    let bytes = word(
        &[
            p("", &r("")),
            p("Heading1", &r("Le titre en Heading 1")),
            p("", &r("Le texte.")),
        ],
        &styles,
        &[],
    );
    let release = parse(&bytes).release;
    assert_eq!(release.title, "Le titre en Heading 1");
    assert_eq!(release.paragraphs, ["Le texte."]);

    let bytes = word(
        &[p("", &r("Le premier paragraphe")), p("", &r("Le texte."))],
        &[],
        &[],
    );
    let release = parse(&bytes).release;
    assert_eq!(release.title, "Le premier paragraphe");
    assert_eq!(release.paragraphs, ["Le texte."]);
}

#[test]
fn hyperlink_fields_and_revisions() {
    let field = format!(
        "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText> HYPERLINK \"https://a.example/x\" </w:instrText></w:r>\
         <w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>{}<w:r><w:rPr><w:i/></w:rPr><w:t> site</w:t></w:r>\
         <w:r><w:fldChar w:fldCharType=\"end\"/></w:r>",
        r("the")
    );
    let deleted = "<w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del>";
    let linked = format!(
        "<w:hyperlink r:id=\"link1\">{}</w:hyperlink>",
        r("our page")
    );
    let bytes = word(
        &[
            p("", &r("Title")),
            p(
                "",
                &format!(
                    "{}{field}{deleted}{}{linked}{}",
                    r("See "),
                    r(" and "),
                    r(".")
                ),
            ),
        ],
        &[],
        &["https://b.example/page?x=1&amp;y=2"],
    );
    let release = parse(&bytes).release;
    assert_eq!(release.paragraphs, ["See the site and our page."]);
    assert_eq!(
        release.body_html,
        "<p>See <a href=\"https://a.example/x\">the <em>site</em></a> and <a href=\"https://b.example/page?x=1&amp;y=2\">our page</a>.</p>\n"
    );
}

#[test]
fn an_impossible_dateline_names_its_paragraph() {
    let bytes = word(
        &[
            p("", &r("Titre")),
            p("", &r("Riyad, 31-02-2022")),
            p("", &r("Texte.")),
        ],
        &[],
        &[],
    );
    assert_eq!(
        reject(&bytes),
        ParseError::ImpossibleDateInParagraph {
            text: "31-02-2022".to_owned(),
            paragraph: 2
        }
    );
}

// Hostile and broken archives.

/// An entry of an archive written by hand, so that its declared size can
/// say anything.
struct Entry {
    name: String,
    /// 0 stored, 8 deflated.
    method: u16,
    data: Vec<u8>,
    declared: u32,
}

/// A zip archive, local headers then the central directory, sizes as declared.
fn zip(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let offset = out.len() as u32;
        let name = entry.name.as_bytes();
        // The checksum is never reached: entries are refused before that.
        let crc = 0u32;
        let header = |out: &mut Vec<u8>, signature: u32, central: bool| {
            out.extend(signature.to_le_bytes());
            if central {
                out.extend(20u16.to_le_bytes());
            }
            out.extend(20u16.to_le_bytes());
            out.extend(0u16.to_le_bytes());
            out.extend(entry.method.to_le_bytes());
            out.extend(0u16.to_le_bytes());
            out.extend(0x21u16.to_le_bytes());
            out.extend(crc.to_le_bytes());
            out.extend((entry.data.len() as u32).to_le_bytes());
            out.extend(entry.declared.to_le_bytes());
            out.extend((name.len() as u16).to_le_bytes());
            out.extend(0u16.to_le_bytes());
        };
        header(&mut out, 0x0403_4b50, false);
        out.extend(name);
        out.extend(&entry.data);
        header(&mut central, 0x0201_4b50, true);
        central.extend(0u16.to_le_bytes()); // comment
        central.extend(0u16.to_le_bytes()); // disk
        central.extend(0u16.to_le_bytes()); // internal attributes
        central.extend(0u32.to_le_bytes()); // external attributes
        central.extend(offset.to_le_bytes());
        central.extend(name);
    }
    let central_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(central_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A raw deflate stream of `chunks` × `chunk` zero bytes. One chunk is
/// compressed and flushed in full (which resets the compressor's history),
/// so its bytes can be repeated: a two-gigabyte bomb costs one chunk's work.
fn deflated_zeros(chunk: usize, chunks: usize) -> Vec<u8> {
    let input = vec![0u8; chunk];
    let mut compressor = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(chunk / 500 + 4096);
    loop {
        let consumed = compressor.total_in() as usize;
        compressor
            .compress_vec(&input[consumed..], &mut block, FlushCompress::Full)
            .unwrap();
        if compressor.total_in() as usize == chunk && block.len() < block.capacity() {
            break;
        }
        block.reserve(64 * 1024);
    }
    let mut stream = Vec::with_capacity(block.len() * chunks + 2);
    for _ in 0..chunks {
        stream.extend_from_slice(&block);
    }
    // A final, empty block with fixed Huffman codes.
    stream.extend_from_slice(&[0x03, 0x00]);
    stream
}

const MIB: usize = 1024 * 1024;

#[test]
fn the_bomb_construction_inflates_as_claimed() {
    let stream = deflated_zeros(MIB, 3);
    let mut inflated = Vec::new();
    flate2::read::DeflateDecoder::new(&stream[..])
        .read_to_end(&mut inflated)
        .unwrap();
    assert_eq!(inflated.len(), 3 * MIB);
    assert!(inflated.iter().all(|&b| b == 0));
}

#[test]
fn a_zip_bomb_is_refused_before_anything_is_inflated() {
    // 2 MB that inflate to 2 GiB, in the part Word reads first.
    let stream = deflated_zeros(16 * MIB, 128);
    assert!(stream.len() < 3 * MIB, "{} bytes", stream.len());
    let bomb = zip(&[Entry {
        name: "word/document.xml".to_owned(),
        method: 8,
        data: stream,
        declared: (2048 * MIB) as u32,
    }]);
    let error = reject(&bomb);
    assert_eq!(
        error,
        ParseError::PartTooLarge {
            part: "word/document.xml".to_owned(),
            size: 2048 * MIB as u64,
            limit: 50 * MIB as u64,
        }
    );
    assert!(error.to_string().contains("zip bomb"), "{error}");
}

#[test]
fn a_part_that_compresses_far_too_well_is_refused() {
    let bomb = zip(&[Entry {
        name: "word/media/image1.png".to_owned(),
        method: 8,
        data: deflated_zeros(8 * MIB, 5),
        declared: (40 * MIB) as u32,
    }]);
    let error = reject(&bomb);
    assert!(
        matches!(&error, ParseError::CompressionRatio { part, limit: 200, .. } if part == "word/media/image1.png"),
        "{error:?}"
    );
    assert!(error.to_string().contains("zip bomb"), "{error}");
}

#[test]
fn parts_that_inflate_too_much_together_are_refused() {
    let part = deflated_zeros(MIB, 1);
    let entries: Vec<Entry> = (0..201)
        .map(|n| Entry {
            name: format!("word/media/image{n}.png"),
            method: 8,
            data: part.clone(),
            declared: MIB as u32,
        })
        .collect();
    assert_eq!(
        reject(&zip(&entries)),
        ParseError::InflatesTooLarge {
            size: 201 * MIB as u64,
            limit: 200 * MIB as u64
        }
    );
}

#[test]
fn too_many_entries_are_refused() {
    let entries: Vec<Entry> = (0..2_001)
        .map(|n| Entry {
            name: format!("e{n}"),
            method: 0,
            data: Vec::new(),
            declared: 0,
        })
        .collect();
    assert_eq!(
        reject(&zip(&entries)),
        ParseError::TooManyEntries {
            entries: 2_001,
            limit: 2_000
        }
    );
}

#[test]
fn a_part_that_lies_about_its_size_is_caught_without_reading_on() {
    // Declares 5 kB, holds 48 MiB of zeros and then garbage: a reader that
    // went past the declared size plus one byte would meet the garbage and
    // report a damaged file instead.
    let mut data = deflated_zeros(16 * MIB, 3);
    data.truncate(data.len() - 2);
    data.extend([0xFF; 16]);
    let liar = zip(&[Entry {
        name: "word/document.xml".to_owned(),
        method: 8,
        data,
        declared: 5_000,
    }]);
    assert_eq!(
        reject(&liar),
        ParseError::PartLargerThanDeclared {
            part: "word/document.xml".to_owned(),
            declared: 5_000
        }
    );
}

#[test]
fn truncated_damaged_and_foreign_files_are_refused_with_a_reason() {
    let whole = fixture("libreoffice.docx");
    for cut in [whole.len() / 2, whole.len() - 1, 30] {
        let error = reject(&whole[..cut]);
        assert!(
            matches!(error, ParseError::UnreadableDocx { .. }),
            "cut at {cut}: {error:?}"
        );
    }
    // Damage in the middle: refused with a reason, or (when it hits a part
    // that is not read) published; never a panic.
    let mut damaged = whole.clone();
    let middle = damaged.len() / 3;
    for byte in &mut damaged[middle..middle + 64] {
        *byte ^= 0x5A;
    }
    assert!(matches!(
        parse_release("r.docx", &damaged, &ParseOptions::default()).map_err(|r| r.error),
        Err(ParseError::UnreadableDocx { .. }) | Ok(_)
    ));

    let random: Vec<u8> = (0..4096u32)
        .map(|n| (n.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let error = reject(&random);
    assert!(error.to_string().contains("not a zip archive"), "{error}");

    let legacy = [b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".as_slice(), &[0; 504]].concat();
    let error = reject(&legacy);
    assert!(
        error.to_string().contains("legacy Word file (.doc)"),
        "{error}"
    );

    let not_word = zip(&[Entry {
        name: "content.xml".to_owned(),
        method: 0,
        data: b"<office:document/>".to_vec(),
        declared: 18,
    }]);
    let error = reject(&not_word);
    assert!(
        error.to_string().contains("no 'word/document.xml' part"),
        "{error}"
    );
}

//! Attachments and closing sections in feeds and pages: every photo and
//! document an enclosure in Atom and an attachment in JSON Feed, the main
//! one in RSS; the page shows photos with their alternative text and credit
//! and documents as links with their size; about and contact sections
//! follow the body everywhere.

mod support;

use pressroom_core::{DroppedFile, ParseOptions, Release, parse_release_group};
use pressroom_feeds::{Entry, Format, Scope, Templates, render_feed};
use support::{Validator, atom_grammar, site, time};

const JPEG: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0\x01\x01";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\n";

const FRENCH: &str = "---
attachments:
  - file: fiche.pdf
    alt: La fiche technique du quai
  - file: quai.jpg
    alt: Le quai électrifié à l'aube
    credit: \"Photo : Jeanne Roe / Port de Nantes\"
---
# Le port de Nantes électrifie son quai des ferries

NANTES, 3 mars 2024 – Le port ouvre un quai où les ferries coupent leurs moteurs.

## À propos du Port de Nantes

Le Port de Nantes accueille 3 000 escales par an.

Contact presse :
Marie Dupont
presse@port-nantes.example
02 40 00 00 00
";

const ARABIC: &str = "المركز العربي للطاقة يفتتح محطة جديدة

الرياض، 12 مارس 2023 - افتتح المركز العربي للطاقة محطة جديدة للطاقة الشمسية.

نبذة عن المركز العربي للطاقة

المركز العربي للطاقة مؤسسة غير ربحية تأسست عام 2010.

للتواصل الإعلامي:
سارة الحربي
media@arec.example
+966 11 000 0000
";

fn parse(name: &str, text: &str, files: &[(&str, &[u8])]) -> Release {
    let dropped = files
        .iter()
        .map(|(name, bytes)| DroppedFile {
            name: (*name).to_owned(),
            bytes: bytes.to_vec(),
        })
        .collect();
    match parse_release_group(name, text.as_bytes(), dropped, &ParseOptions::default()) {
        Ok(parsed) => parsed.release,
        Err(rejected) => panic!("{name} rejected: {}", rejected.error),
    }
}

fn french() -> Release {
    parse(
        "quai.md",
        FRENCH,
        &[("quai.jpg", JPEG), ("fiche.pdf", PDF), ("plan.png", PNG)],
    )
}

fn entry(release: &Release) -> Entry<'_> {
    let time = time("2024-03-03T10:00:00+01:00");
    Entry {
        release,
        tag_id: "tag:press.example.org,2024-03-03:quai",
        published: time,
        updated: time,
        revision: 1,
    }
}

fn feed(format: Format, release: &Release) -> String {
    let bytes = render_feed(
        format,
        &site(),
        &Scope::All,
        &[entry(release)],
        time("2024-03-03T10:00:00+01:00"),
    );
    String::from_utf8(bytes).expect("UTF-8")
}

/// Where a release's attachments are published: the folder beside its page.
fn folder_url(release: &Release) -> String {
    format!("https://press.example.org/releases/{}/", release.id)
}

#[test]
fn atom_has_an_enclosure_per_attachment_with_length_and_type() {
    let release = french();
    let atom = feed(Format::Atom, &release);
    let url = folder_url(&release);
    for (name, media_type, size) in [
        ("fiche.pdf", "application/pdf", PDF.len()),
        ("quai.jpg", "image/jpeg", JPEG.len()),
        ("plan.png", "image/png", PNG.len()),
    ] {
        let expected =
            format!("<link href=\"{url}{name}\" rel=\"enclosure\" type=\"{media_type}\"",);
        assert!(atom.contains(&expected), "{expected}\nnot in\n{atom}");
        assert!(atom.contains(&format!("length=\"{size}\"")), "{atom}");
    }
    let read = feed_rs::parser::parse(atom.as_bytes()).expect("feed-rs reads it");
    let enclosures: Vec<&str> = read.entries[0]
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
        .map(|l| l.href.as_str())
        .collect();
    assert_eq!(enclosures.len(), 3, "{:?}", read.entries[0].links);
    if let Some(jing) = Validator::find("jing") {
        jing.check(
            &["-c", atom_grammar().to_str().unwrap()],
            "atom.xml",
            atom.as_bytes(),
        );
    }
    if let Some(xmllint) = Validator::find("xmllint") {
        xmllint.check(&["--noout"], "atom.xml", atom.as_bytes());
    }
}

#[test]
fn rss_encloses_the_first_photo() {
    let release = french();
    let rss = feed(Format::Rss, &release);
    let expected = format!(
        "<enclosure url=\"{}quai.jpg\" length=\"{}\" type=\"image/jpeg\"/>",
        folder_url(&release),
        JPEG.len()
    );
    assert!(rss.contains(&expected), "{expected}\nnot in\n{rss}");
    assert_eq!(rss.matches("<enclosure").count(), 1);
    let read = feed_rs::parser::parse(rss.as_bytes()).expect("feed-rs reads it");
    let media = &read.entries[0].media;
    assert_eq!(media.len(), 1, "{media:?}");
    assert_eq!(
        media[0].content[0].url.as_ref().map(|u| u.as_str()),
        Some(format!("{}quai.jpg", folder_url(&release)).as_str())
    );
    if let Some(xmllint) = Validator::find("xmllint") {
        xmllint.check(&["--noout"], "rss.xml", rss.as_bytes());
    }

    let only_a_pdf = parse("fiche.md", "# Fiche\n\nTexte.\n", &[("fiche.pdf", PDF)]);
    let rss = feed(Format::Rss, &only_a_pdf);
    assert!(
        rss.contains("fiche.pdf\" length=") && rss.contains("type=\"application/pdf\""),
        "{rss}"
    );
}

#[test]
fn json_feed_lists_every_attachment_and_the_main_image() {
    let release = french();
    let json: serde_json::Value =
        serde_json::from_str(&feed(Format::Json, &release)).expect("JSON");
    let item = &json["items"][0];
    let url = folder_url(&release);
    assert_eq!(item["image"], format!("{url}quai.jpg"));
    let attachments = item["attachments"].as_array().expect("attachments");
    assert_eq!(attachments.len(), 3);
    assert_eq!(attachments[0]["url"], format!("{url}fiche.pdf"));
    assert_eq!(attachments[0]["mime_type"], "application/pdf");
    assert_eq!(attachments[0]["title"], "La fiche technique du quai");
    assert_eq!(attachments[0]["size_in_bytes"], PDF.len());
}

#[test]
fn feed_content_closes_with_the_attachments_then_about_then_contact() {
    let release = french();
    let json: serde_json::Value =
        serde_json::from_str(&feed(Format::Json, &release)).expect("JSON");
    let content = json["items"][0]["content_html"].as_str().unwrap();
    let body = content.find("coupent leurs moteurs").expect("the body");
    let photo = content
        .find("alt=\"Le quai électrifié à l'aube\"")
        .expect("the photo");
    let about = content
        .find("<h2>À propos du Port de Nantes</h2>")
        .expect("the about section");
    let contact = content
        .find("<h2>Contact presse</h2>")
        .expect("the contact");
    assert!(
        body < photo && photo < about && about < contact,
        "{content}"
    );
    assert!(
        content.contains("<figcaption>Photo : Jeanne Roe / Port de Nantes</figcaption>"),
        "{content}"
    );
    assert!(
        content.contains("<a href=\"mailto:presse@port-nantes.example\">"),
        "{content}"
    );
    // The summary stays the body's.
    assert!(
        !json["items"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("Marie Dupont")
    );
}

#[test]
fn the_page_shows_photos_with_alt_and_credit_documents_with_size_and_the_sections() {
    let release = french();
    let page = Templates::builtin()
        .render_release_page(&site(), &entry(&release))
        .expect("renders");
    let page = String::from_utf8(page).expect("UTF-8");
    // The page is `releases/<id>.html`, its files in `releases/<id>/`.
    let id = &release.id;
    let pdf_link = format!(
        "<a href=\"{id}/fiche.pdf\" type=\"application/pdf\">La fiche technique du quai</a> (PDF, {} octets)",
        PDF.len()
    );
    let photo = format!(
        "<img src=\"{id}/quai.jpg\" alt=\"Le quai électrifié à l&#39;aube\" loading=\"lazy\">"
    );
    let plan = format!("<img src=\"{id}/plan.png\" alt=\"plan\"");
    for expected in [
        "<h2>Photos et documents</h2>",
        &photo,
        "<figcaption class=\"credit\">Photo : Jeanne Roe / Port de Nantes</figcaption>",
        &pdf_link,
        // A dropped file the front matter does not describe: its name's words.
        &plan,
        "<section class=\"about\" dir=\"ltr\">\n<h2>À propos du Port de Nantes</h2>",
        "<section class=\"contact\" dir=\"ltr\">\n<h2>Contact presse</h2>",
    ] {
        assert!(page.contains(expected), "{expected}\nnot in\n{page}");
    }
}

#[test]
fn arabic_sections_are_right_to_left_on_the_page_and_in_feeds() {
    let release = parse("arabic.txt", ARABIC, &[]);
    assert!(release.about.is_some() && release.contact.is_some());
    let page = Templates::builtin()
        .render_release_page(&site(), &entry(&release))
        .expect("renders");
    let page = String::from_utf8(page).expect("UTF-8");
    assert!(page.contains("dir=\"rtl\""), "{page}");
    assert!(
        page.contains("<section class=\"contact\" dir=\"rtl\">\n<h2>للتواصل الإعلامي</h2>"),
        "{page}"
    );
    let atom = feed(Format::Atom, &release);
    assert!(
        atom.contains("&lt;section class=&quot;about&quot; dir=&quot;rtl&quot;&gt;"),
        "{atom}"
    );
    assert!(!atom.contains("<enclosure"));
}

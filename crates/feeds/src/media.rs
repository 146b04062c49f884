//! What closes a release in every output: its attachments (photos shown
//! with their alternative text and credit, documents as links with their
//! size) and its sections (the "About …" boilerplate, the media contact).
//!
//! Pages lay these out in their templates, from the values prepared here;
//! feeds carry the same after the body in their HTML content (readers show
//! only one enclosure, if any, so the content is where subscribers see every
//! photo) and as enclosures. Attachments live in a folder beside the
//! release's page (`releases/<id>/photo.jpg`), where the daemon publishes
//! them.

use pressroom_core::model::{Attachment, Section};
use pressroom_core::{FileType, Lang};

use crate::item::escape_text;
use crate::xml::cleaned;

/// An attachment as outputs show it: cleaned, with its absolute URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemAttachment {
    /// The file name, which is also its URL relative to the release page.
    pub file_name: String,
    pub url: String,
    pub media_type: String,
    pub size: u64,
    /// "1.2 MB", "850 ko", in the release's language.
    pub size_text: String,
    /// The format for people: "PDF", "JPEG".
    pub format: String,
    pub alt: String,
    pub credit: Option<String>,
    pub is_image: bool,
}

impl ItemAttachment {
    /// `folder_url` is the absolute URL of the release's folder, ending
    /// with `/`.
    pub(crate) fn new(attachment: &Attachment, folder_url: &str, lang: &Lang) -> Self {
        let format = pressroom_core::FileType::ALL
            .into_iter()
            .find(|kind| kind.media_type() == attachment.media_type)
            .map_or_else(
                || attachment.media_type.clone(),
                |kind: FileType| kind.name().to_ascii_uppercase(),
            );
        ItemAttachment {
            file_name: cleaned(&attachment.file_name),
            url: cleaned(&format!("{folder_url}{}", attachment.file_name)),
            media_type: cleaned(&attachment.media_type),
            size: attachment.size,
            size_text: human_size(attachment.size, lang),
            format,
            alt: cleaned(&attachment.alt),
            credit: attachment
                .credit
                .as_deref()
                .map(cleaned)
                .filter(|c| !c.trim().is_empty()),
            is_image: attachment.is_image(),
        }
    }
}

/// The attachment feeds announce first (RSS's one enclosure, JSON Feed's
/// `image`): the first image, else the first file.
pub(crate) fn main_attachment(attachments: &[ItemAttachment]) -> Option<&ItemAttachment> {
    attachments
        .iter()
        .find(|a| a.is_image)
        .or_else(|| attachments.first())
}

/// A section as outputs show it: its heading, and its HTML (links absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ItemSection {
    pub heading: String,
    pub html: String,
}

impl ItemSection {
    pub(crate) fn new(section: &Section, links: &crate::url::LinkBase<'_>) -> Self {
        ItemSection {
            heading: cleaned(section.heading.trim()),
            html: crate::url::absolutize_html(&crate::xml::clean(&section.html), links),
        }
    }
}

/// The HTML feeds add after a release's body: its photos and documents,
/// then its about section and its contact block.
pub(crate) fn closing_html(
    attachments: &[ItemAttachment],
    about: Option<&ItemSection>,
    contact: Option<&ItemSection>,
    lang: &Lang,
) -> String {
    let mut html = String::new();
    for attachment in attachments {
        let url = escape_attribute(&attachment.url);
        if attachment.is_image {
            html.push_str(&format!(
                "<figure class=\"attachment\"><a href=\"{url}\"><img src=\"{url}\" alt=\"{}\"></a>",
                escape_attribute(&attachment.alt)
            ));
            if let Some(credit) = &attachment.credit {
                html.push_str(&format!("<figcaption>{}</figcaption>", escape_text(credit)));
            }
            html.push_str("</figure>\n");
        } else {
            html.push_str(&format!(
                "<p class=\"attachment\"><a href=\"{url}\" type=\"{}\">{}</a> ({}, {})</p>\n",
                escape_attribute(&attachment.media_type),
                escape_text(&attachment.alt),
                escape_text(&attachment.format),
                escape_text(&attachment.size_text),
            ));
        }
    }
    let dir = lang.direction();
    for (class, section) in [("about", about), ("contact", contact)] {
        let Some(section) = section else {
            continue;
        };
        html.push_str(&format!("<section class=\"{class}\" dir=\"{dir}\">\n"));
        if !section.heading.is_empty() {
            html.push_str(&format!("<h2>{}</h2>\n", escape_text(&section.heading)));
        }
        html.push_str(&section.html);
        if !section.html.ends_with('\n') {
            html.push('\n');
        }
        html.push_str("</section>\n");
    }
    html
}

fn escape_attribute(text: &str) -> String {
    escape_text(text).replace('"', "&quot;")
}

/// A file size for people, in the release's language: "850 bytes",
/// "12 kB", "1.2 MB" ("12 ko", "1,2 Mo" in French). Units are powers of
/// 1000, as file managers show them.
pub(crate) fn human_size(bytes: u64, lang: &Lang) -> String {
    let (byte_unit, kilo, mega, decimal_comma) = match lang.primary() {
        "fr" => ("octets", "ko", "Mo", true),
        "de" => ("Bytes", "kB", "MB", true),
        "es" => ("bytes", "kB", "MB", true),
        _ => ("bytes", "kB", "MB", false),
    };
    let kilobytes = (bytes + 500) / 1_000;
    let text = if bytes < 1_000 {
        format!("{bytes} {byte_unit}")
    } else if kilobytes < 1_000 {
        format!("{kilobytes} {kilo}")
    } else {
        let tenths = (bytes + 50_000) / 100_000;
        format!("{}.{} {mega}", tenths / 10, tenths % 10)
    };
    if decimal_comma {
        text.replace('.', ",")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(tag: &str) -> Lang {
        Lang::parse(tag).expect("valid")
    }

    #[test]
    fn sizes_are_written_for_people_in_their_language() {
        let check = |bytes: u64, tag: &str, expected: &str| {
            assert_eq!(human_size(bytes, &lang(tag)), expected, "{bytes} in {tag}")
        };
        check(850, "en", "850 bytes");
        check(12_345, "en", "12 kB");
        check(1_234_567, "en", "1.2 MB");
        check(1_234_567, "fr", "1,2 Mo");
        check(850, "fr", "850 octets");
        check(20_971_520, "de", "21,0 MB");
        check(999_999, "ar", "1.0 MB");
    }

    fn attachment(name: &str, media_type: &str) -> Attachment {
        Attachment {
            file_name: name.to_owned(),
            media_type: media_type.to_owned(),
            size: 1_500_000,
            sha256: "00".repeat(32),
            alt: "Le \"quai\" & l'aube".to_owned(),
            credit: Some("Photo <J. Roe>".to_owned()),
        }
    }

    #[test]
    fn photos_are_figures_and_documents_links_with_their_size() {
        let folder = "https://press.example.org/releases/r/";
        let attachments = [
            ItemAttachment::new(
                &attachment("fiche.pdf", "application/pdf"),
                folder,
                &lang("fr"),
            ),
            ItemAttachment::new(&attachment("quai.jpg", "image/jpeg"), folder, &lang("fr")),
        ];
        assert_eq!(main_attachment(&attachments), Some(&attachments[1]));
        assert_eq!(main_attachment(&attachments[..1]), Some(&attachments[0]));
        let html = closing_html(&attachments, None, None, &lang("fr"));
        assert_eq!(
            html,
            "<p class=\"attachment\"><a href=\"https://press.example.org/releases/r/fiche.pdf\" type=\"application/pdf\">Le \"quai\" &amp; l'aube</a> (PDF, 1,5 Mo)</p>\n\
             <figure class=\"attachment\"><a href=\"https://press.example.org/releases/r/quai.jpg\"><img src=\"https://press.example.org/releases/r/quai.jpg\" alt=\"Le &quot;quai&quot; &amp; l'aube\"></a><figcaption>Photo &lt;J. Roe&gt;</figcaption></figure>\n"
        );
    }

    #[test]
    fn sections_follow_with_their_headings_and_direction() {
        let section = |heading: &str, html: &str| ItemSection {
            heading: heading.to_owned(),
            html: html.to_owned(),
        };
        let html = closing_html(
            &[],
            Some(&section("نبذة عن المركز", "<p>مؤسسة.</p>\n")),
            Some(&section("للتواصل الإعلامي", "<p>سارة</p>")),
            &lang("ar"),
        );
        assert_eq!(
            html,
            "<section class=\"about\" dir=\"rtl\">\n<h2>نبذة عن المركز</h2>\n<p>مؤسسة.</p>\n</section>\n\
             <section class=\"contact\" dir=\"rtl\">\n<h2>للتواصل الإعلامي</h2>\n<p>سارة</p>\n</section>\n"
        );
    }
}

//! A release as every output shows it: cleaned, linked and dated once, then
//! handed to the Atom, RSS and JSON writers and to the page templates.
//!
//! Preparing the item in one place keeps the formats in agreement: the same
//! id, URL, title, content and dates in every feed and on the page.

use chrono::{DateTime, FixedOffset, NaiveDate};
use pressroom_core::date::long_day;
use pressroom_core::{Lang, Release};

use crate::dates::whole_seconds;
use crate::media::{ItemAttachment, ItemSection, closing_html};
use crate::site::{Site, release_folder_url, release_url};
use crate::url::{LinkBase, absolutize_html};
use crate::xml::{clean, cleaned};

/// A release to render, with what the store knows about it.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub release: &'a Release,
    /// The permanent id, the same in every feed
    /// (`tag:press.example.org,2022-03-24:2022-03-24-le-chef`).
    pub tag_id: &'a str,
    /// When the release was first published, in the site's time zone.
    pub published: DateTime<FixedOffset>,
    /// When the release last really changed, in the site's time zone.
    pub updated: DateTime<FixedOffset>,
    /// Which version of the release this is: 1 for the first, + 1 per
    /// update. [`ItemCache`](crate::ItemCache) reuses an item only for the
    /// version it was made for.
    pub revision: u32,
}

/// Who wrote a release: its own author, else the site's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Author {
    pub name: String,
    /// Only the site's address is known; a release's `author` is a name.
    pub email: Option<String>,
}

/// An entry ready to be written: every string free of characters XML
/// forbids, every link absolute.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    /// The permanent tag URI.
    pub id: String,
    /// The release's id, which names its page and its attachments' folder.
    pub release_id: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub lang: Lang,
    /// The release's own dateline, "PARIS, 24 mars 2022", when it gives a
    /// place or a date.
    pub dateline: Option<String>,
    pub place: Option<String>,
    /// The release's date, else the day it was published.
    pub day: NaiveDate,
    /// `day` written in the release's language.
    pub day_text: String,
    /// The body, links made absolute.
    pub body_html: String,
    /// The dateline paragraph, the body, then the attachments and the about
    /// and contact sections: what feeds carry.
    pub content_html: String,
    pub attachments: Vec<ItemAttachment>,
    pub about: Option<ItemSection>,
    pub contact: Option<ItemSection>,
    pub categories: Vec<String>,
    pub author: Author,
    pub published: DateTime<FixedOffset>,
    pub updated: DateTime<FixedOffset>,
}

impl Item {
    pub(crate) fn new(site: &Site, entry: &Entry<'_>) -> Item {
        let release = entry.release;
        let url = cleaned(&release_url(site, &release.id));
        let published = whole_seconds(entry.published);
        let updated = whole_seconds(entry.updated);
        let day = release
            .date
            .map_or(published.date_naive(), |date| date.day());
        let day_text = long_day(day, &release.lang);
        let place = release
            .place
            .as_deref()
            .map(cleaned)
            .filter(|place| !place.trim().is_empty());
        let dateline = match (&place, release.date) {
            (None, None) => None,
            (None, Some(_)) => Some(day_text.clone()),
            (Some(place), _) => Some(format!("{place}{}{day_text}", comma(&release.lang))),
        };
        // Relative links in the text name the release's own files.
        let folder_url = cleaned(&release_folder_url(site, &release.id));
        let links = LinkBase {
            folder: &folder_url,
            page: &url,
        };
        let body_html = absolutize_html(&clean(&release.body_html), &links);
        let attachments: Vec<ItemAttachment> = release
            .attachments
            .iter()
            .map(|attachment| ItemAttachment::new(attachment, &folder_url, &release.lang))
            .collect();
        let about = release.about.as_ref().map(|s| ItemSection::new(s, &links));
        let contact = release
            .contact
            .as_ref()
            .map(|s| ItemSection::new(s, &links));
        let mut content_html = match &dateline {
            Some(dateline) => format!(
                "<p class=\"dateline\">{}</p>\n{body_html}",
                escape_text(dateline)
            ),
            None => body_html.clone(),
        };
        let closing = closing_html(
            &attachments,
            about.as_ref(),
            contact.as_ref(),
            &release.lang,
        );
        if !closing.is_empty() {
            if !content_html.ends_with('\n') {
                content_html.push('\n');
            }
            content_html.push_str(&closing);
        }
        let author = match release.author.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => Author {
                name: cleaned(name),
                email: None,
            },
            _ => Author {
                name: cleaned(&site.author_name),
                email: site.email().map(cleaned),
            },
        };
        Item {
            id: cleaned(entry.tag_id),
            release_id: release.id.to_string(),
            url,
            title: cleaned(&release.title),
            summary: cleaned(&release.summary),
            lang: release.lang.clone(),
            dateline,
            place,
            day,
            day_text,
            body_html,
            content_html,
            attachments,
            about,
            contact,
            categories: release.categories.iter().map(|c| cleaned(c)).collect(),
            author,
            published,
            updated,
        }
    }
}

/// The comma between place and date: Arabic script has its own.
pub(crate) fn comma(lang: &Lang) -> &'static str {
    match lang.primary() {
        "ar" | "fa" | "ur" | "ps" | "sd" | "ug" | "ckb" => "، ",
        _ => ", ",
    }
}

/// Escapes text for HTML element content (not attribute values).
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pressroom_core::{ParseOptions, parse_release};

    fn site() -> Site {
        Site {
            title: "Press releases".to_owned(),
            description: String::new(),
            base_url: "https://press.example.org/".to_owned(),
            lang: Lang::parse("en").expect("valid"),
            author_name: "Press Office".to_owned(),
            author_email: Some("press@example.org".to_owned()),
            generator: "Pressroom".to_owned(),
        }
    }

    /// The item of the release in `text`, published on 2 May 2024.
    fn item(site: &Site, text: &str) -> Item {
        let release = parse_release("r.txt", text.as_bytes(), &ParseOptions::default())
            .expect("a valid test release")
            .release;
        let published =
            DateTime::parse_from_rfc3339("2024-05-02T09:30:00.250+02:00").expect("valid");
        let entry = Entry {
            release: &release,
            tag_id: "tag:press.example.org,2024:r",
            published,
            updated: published,
            revision: 1,
        };
        Item::new(site, &entry)
    }

    #[test]
    fn without_place_or_date_there_is_no_dateline() {
        let item = item(
            &site(),
            "Un titre\n\nLe texte du communiqué de presse, en français.\n",
        );
        assert_eq!(item.dateline, None);
        assert!(
            item.content_html.starts_with("<p>Le texte"),
            "{}",
            item.content_html
        );
        assert_eq!(
            item.day_text, "2 mai 2024",
            "pages show the day of publication"
        );
    }

    #[test]
    fn a_place_without_a_date_is_dated_by_publication() {
        let item = item(
            &site(),
            "---\nplace: Lyon & Co\n---\nUn titre\n\nLe texte du communiqué de presse, en français.\n",
        );
        assert_eq!(item.dateline.as_deref(), Some("Lyon & Co, 2 mai 2024"));
        assert!(
            item.content_html
                .starts_with("<p class=\"dateline\">Lyon &amp; Co, 2 mai 2024</p>\n<p>")
        );
    }

    #[test]
    fn a_date_without_a_place_is_a_dateline_alone() {
        let item = item(
            &site(),
            "---\ndate: 2022-03-24\nlang: de\n---\nTitel\n\nDer Text der Mitteilung.\n",
        );
        assert_eq!(item.dateline.as_deref(), Some("24. März 2022"));
    }

    #[test]
    fn times_are_cut_to_whole_seconds() {
        let item = item(&site(), "A title\n\nThe text of the release, in English.\n");
        assert_eq!(item.published.to_rfc3339(), "2024-05-02T09:30:00+02:00");
    }

    #[test]
    fn the_site_author_and_address_stand_in_for_a_missing_author() {
        let item1 = item(&site(), "A title\n\nThe text of the release, in English.\n");
        assert_eq!(
            item1.author,
            Author {
                name: "Press Office".to_owned(),
                email: Some("press@example.org".to_owned())
            }
        );

        let named = item(
            &site(),
            "---\nauthor: Jane Roe\n---\nA title\n\nThe text of the release.\n",
        );
        assert_eq!(
            named.author,
            Author {
                name: "Jane Roe".to_owned(),
                email: None
            }
        );

        let odd_address = Site {
            author_email: Some("press office".to_owned()),
            ..site()
        };
        assert_eq!(
            item(&odd_address, "A title\n\nThe text of the release.\n")
                .author
                .email,
            None
        );
    }
}

//! Feeds read back as subscribers' readers read them: with `feed-rs` (an
//! independent parser), with `xmllint` and with `jing` and the Atom grammar.

mod support;

use chrono::{DateTime, FixedOffset};
use feed_rs::model::Feed;
use pressroom_feeds::{Entry, Format, Scope, Site, release_folder_url, release_url, render_feed};
use support::{
    Validator, atom_grammar, entries, is_xml_char, lang, poisoned, releases, site, time,
};

/// The feed's updated time: the newest change among the items.
fn feed_updated() -> DateTime<FixedOffset> {
    time("2024-07-01T12:00:00+02:00")
}

fn render(format: Format, site: &Site, scope: &Scope, entries: &[Entry<'_>]) -> Vec<u8> {
    render_feed(format, site, scope, entries, feed_updated())
}

fn read(format: Format, bytes: &[u8]) -> Feed {
    feed_rs::parser::Builder::new()
        .sanitize_content(false)
        .build()
        .parse(bytes)
        .unwrap_or_else(|error| {
            panic!(
                "feed-rs cannot read the {format:?} feed: {error}\n{}",
                text(bytes)
            )
        })
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("feeds are UTF-8")
}

#[test]
fn every_format_reads_back_item_by_item() {
    let site = site();
    let stored = releases();
    for format in Format::ALL {
        let feed = read(
            format,
            &render(format, &site, &Scope::All, &entries(&stored)),
        );
        assert_eq!(feed.entries.len(), stored.len(), "{format:?}");
        for (entry, expected) in feed.entries.iter().zip(&stored) {
            let release = &expected.release;
            let context = format!("{format:?}, {}", release.id);
            assert_eq!(entry.id, expected.tag_id, "{context}");
            let links: Vec<&str> = entry.links.iter().map(|l| l.href.as_str()).collect();
            assert_eq!(links, [release_url(&site, &release.id)], "{context}");
            let title = entry.title.as_ref().map(|t| t.content.as_str());
            assert_eq!(title, Some(release.title.as_str()), "{context}");
            let summary = entry.summary.as_ref().map(|t| t.content.as_str());
            assert_eq!(summary, Some(release.summary.as_str()), "{context}");
            assert_eq!(
                entry.published,
                Some(expected.published.to_utc()),
                "{context}"
            );
            assert_eq!(entry.updated, Some(expected.updated.to_utc()), "{context}");
            let categories: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
            assert_eq!(categories, release.categories, "{context}");
            let content = entry
                .content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .unwrap_or_default();
            let first_words: String = release.paragraphs[0].chars().take(30).collect();
            assert!(
                content.contains(&first_words),
                "{context}: content lacks the body:\n{content}"
            );
            assert!(
                content.starts_with("<p class=\"dateline\">"),
                "{context}:\n{content}"
            );
        }
    }
}

#[test]
fn ids_are_unique_and_the_same_in_every_format() {
    let stored = releases();
    let ids: Vec<Vec<String>> = Format::ALL
        .into_iter()
        .map(|format| {
            let feed = read(
                format,
                &render(format, &site(), &Scope::All, &entries(&stored)),
            );
            feed.entries.into_iter().map(|e| e.id).collect()
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0], ids[2]);
    let mut unique = ids[0].clone();
    unique.dedup();
    assert_eq!(unique.len(), stored.len());
}

#[test]
fn datelines_open_the_content_in_the_release_language() {
    let stored = releases();
    let feed = read(
        Format::Atom,
        &render(Format::Atom, &site(), &Scope::All, &entries(&stored)),
    );
    let openings: Vec<&str> = feed
        .entries
        .iter()
        .map(|e| {
            e.content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .unwrap_or_default()
        })
        .map(|body| body.lines().next().unwrap_or_default())
        .collect();
    assert_eq!(
        openings,
        [
            r#"<p class="dateline">ABERDEEN, 20 February 2024</p>"#,
            r#"<p class="dateline">الرياض، 12 مارس 2023</p>"#,
            r#"<p class="dateline">RIYAD, 24 mars 2022</p>"#,
        ]
    );
}

#[test]
fn every_feed_links_to_itself_and_to_its_listing() {
    let site = site();
    let stored = releases();
    let fr = Scope::Language(lang("fr"));
    for scope in [Scope::All, fr, Scope::category("Énergie verte")] {
        for format in Format::ALL {
            let feed = read(format, &render(format, &site, &scope, &entries(&stored)));
            let own_url = format!("{}{}{}", site.base_url, scope.dir(), format.file_name());
            let listing = format!("{}{}", site.base_url, scope.dir());
            let hrefs: Vec<(&str, Option<&str>)> = feed
                .links
                .iter()
                .map(|l| (l.href.as_str(), l.rel.as_deref()))
                .collect();
            match format {
                // JSON Feed has no rel: feed-rs lists home_page_url, then feed_url.
                Format::Json => {
                    assert_eq!(hrefs, [(listing.as_str(), None), (own_url.as_str(), None)])
                }
                _ => {
                    assert!(
                        hrefs.contains(&(own_url.as_str(), Some("self"))),
                        "{format:?} {scope:?}: {hrefs:?}"
                    );
                    let alternate = feed
                        .links
                        .iter()
                        .any(|l| l.href == listing && l.rel.as_deref() != Some("self"));
                    assert!(alternate, "{format:?} {scope:?}: {hrefs:?}");
                }
            }
            let title = feed.title.as_ref().map(|t| t.content.clone());
            assert_eq!(title, Some(scope.title(&site)), "{format:?}");
        }
    }
}

#[test]
fn the_atom_id_is_the_feed_url() {
    let bytes = render(
        Format::Atom,
        &site(),
        &Scope::category("Énergie verte"),
        &[],
    );
    assert_eq!(
        read(Format::Atom, &bytes).id,
        "https://press.example.org/category/energie-verte/atom.xml"
    );
}

#[test]
fn feed_updated_is_the_time_given_with_its_offset() {
    let stored = releases();
    let entries = entries(&stored);
    // JSON Feed has no feed-level date.
    for format in [Format::Atom, Format::Rss] {
        let feed = read(format, &render(format, &site(), &Scope::All, &entries));
        assert_eq!(feed.updated, Some(feed_updated().to_utc()), "{format:?}");
    }
    let atom = render(Format::Atom, &site(), &Scope::All, &entries);
    assert!(text(&atom).contains("<updated>2024-07-01T12:00:00+02:00</updated>\n  <author>"));
    let rss = render(Format::Rss, &site(), &Scope::All, &entries);
    assert!(text(&rss).contains("<lastBuildDate>Mon, 01 Jul 2024 12:00:00 +0200</lastBuildDate>"));
}

#[test]
fn item_dates_keep_the_site_offsets() {
    let stored = releases();
    let entries = entries(&stored);
    let check = |format: Format, expected: &[&str]| {
        let bytes = render(format, &site(), &Scope::All, &entries);
        for needle in expected {
            assert!(
                text(&bytes).contains(needle),
                "{format:?} lacks {needle}:\n{}",
                text(&bytes)
            );
        }
    };
    check(
        Format::Atom,
        &[
            "<published>2024-02-20T08:00:00+01:00</published>",
            "<updated>2024-07-01T12:00:00+02:00</updated>",
            "<published>2022-03-24T10:30:00+01:00</published>",
            "<updated>2022-03-25T09:15:00+01:00</updated>",
        ],
    );
    check(
        Format::Rss,
        &[
            "<pubDate>Tue, 20 Feb 2024 08:00:00 +0100</pubDate>",
            "<atom:updated>2024-07-01T12:00:00+02:00</atom:updated>",
            "<pubDate>Sun, 12 Mar 2023 10:00:00 +0100</pubDate>",
            "<pubDate>Thu, 24 Mar 2022 10:30:00 +0100</pubDate>",
        ],
    );
    check(
        Format::Json,
        &[
            r#""date_published": "2024-02-20T08:00:00+01:00""#,
            r#""date_modified": "2024-07-01T12:00:00+02:00""#,
        ],
    );
}

#[test]
fn every_item_states_its_language() {
    let stored = releases();
    let entries = entries(&stored);
    let expected = ["en", "ar", "fr"];

    let atom = read(
        Format::Atom,
        &render(Format::Atom, &site(), &Scope::All, &entries),
    );
    assert_eq!(atom.language.as_deref(), Some("en"));
    let languages: Vec<_> = atom
        .entries
        .iter()
        .map(|e| e.language.clone().unwrap_or_default())
        .collect();
    assert_eq!(languages, expected);

    let rss = render(Format::Rss, &site(), &Scope::All, &entries);
    assert_eq!(read(Format::Rss, &rss).language.as_deref(), Some("en"));
    let languages: Vec<&str> = text(&rss)
        .split("<dc:language>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</dc:language>").map(|(tag, _)| tag))
        .collect();
    assert_eq!(languages, expected);

    let json: serde_json::Value =
        serde_json::from_slice(&render(Format::Json, &site(), &Scope::All, &entries))
            .expect("valid JSON");
    assert_eq!(json["language"], "en");
    let languages: Vec<&str> = json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["language"].as_str())
        .collect();
    assert_eq!(languages, expected);
}

#[test]
fn a_language_feed_is_in_its_language() {
    let stored = releases();
    let french: Vec<Entry<'_>> = entries(&stored)
        .into_iter()
        .filter(|e| e.release.lang.as_str() == "fr")
        .collect();
    let scope = Scope::Language(lang("fr"));
    for format in Format::ALL {
        let feed = read(format, &render(format, &site(), &scope, &french));
        assert_eq!(feed.language.as_deref(), Some("fr"), "{format:?}");
    }
}

#[test]
fn links_inside_content_are_absolute() {
    let stored = releases();
    let english = &stored[0];
    // Relative links name the release's own files, in the folder beside its page.
    let base = release_folder_url(&site(), &english.release.id);
    assert!(
        english.release.body_html.contains(r#"href="annexe.pdf""#),
        "the test release has a relative link"
    );
    for format in Format::ALL {
        let feed = read(
            format,
            &render(format, &site(), &Scope::All, &[english.entry()]),
        );
        let content = feed.entries[0]
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        let urls: Vec<&str> = content
            .split(['"', '\''])
            .skip(1)
            .step_by(2)
            .filter(|value| {
                content.contains(&format!("href=\"{value}\""))
                    || content.contains(&format!("src=\"{value}\""))
            })
            .collect();
        assert_eq!(
            urls,
            [
                format!("{base}annexe.pdf").as_str(),
                format!("{base}logo.png").as_str(),
                "https://example.com/projects?a=1&amp;b=2"
            ],
            "{format:?}"
        );
    }
}

#[test]
fn rss_authors_are_addresses_or_dc_creator() {
    let stored = releases();
    let rss = render(Format::Rss, &site(), &Scope::All, &entries(&stored));
    let items: Vec<&str> = text(&rss).split("<item>").skip(1).collect();
    assert!(
        items[0].contains("<dc:creator>Fiona MacAskill-Reid</dc:creator>"),
        "{}",
        items[0]
    );
    assert!(!items[0].contains("<author>"), "{}", items[0]);
    for item in &items[1..] {
        assert!(
            item.contains("<author>press@example.org (Press Office)</author>"),
            "{item}"
        );
        assert!(!item.contains("<dc:creator>"), "{item}");
    }

    let no_email = Site {
        author_email: None,
        ..site()
    };
    let rss = render(Format::Rss, &no_email, &Scope::All, &entries(&stored));
    assert!(!text(&rss).contains("<author>"));
    assert!(!text(&rss).contains("<managingEditor>"));
    assert_eq!(
        text(&rss)
            .matches("<dc:creator>Press Office</dc:creator>")
            .count(),
        2
    );
    let feed = read(Format::Rss, &rss);
    assert_eq!(
        feed.entries[1].authors[0].name.as_deref(),
        Some("Press Office")
    );
}

#[test]
fn rss_guids_are_not_permalinks() {
    let stored = releases();
    let rss = render(Format::Rss, &site(), &Scope::All, &entries(&stored));
    for item in &stored {
        let guid = format!("<guid isPermaLink=\"false\">{}</guid>", item.tag_id);
        assert!(text(&rss).contains(&guid), "{guid}");
    }
}

#[test]
fn rss_description_is_the_summary_then_the_full_content() {
    let stored = releases();
    let rss = render(Format::Rss, &site(), &Scope::All, &entries(&stored));
    let item = text(&rss).split("<item>").nth(3).expect("a third item");
    let description = item.find("<description>").expect("a description");
    let content = item.find("<content:encoded>").expect("full content");
    assert!(description < content);
    // Readers treat the description as HTML: text characters are escaped.
    let feed = read(Format::Rss, &rss);
    assert_eq!(
        feed.entries[2].summary.as_ref().map(|s| s.content.as_str()),
        Some(stored[2].release.summary.as_str())
    );
}

#[test]
fn json_feed_has_the_fields_of_version_1_1() {
    let stored = releases();
    let bytes = render(Format::Json, &site(), &Scope::All, &entries(&stored));
    let json: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["home_page_url"], "https://press.example.org/");
    assert_eq!(json["feed_url"], "https://press.example.org/feed.json");
    assert_eq!(json["authors"][0]["name"], "Press Office");
    let item = &json["items"][0];
    for field in [
        "id",
        "url",
        "title",
        "content_html",
        "summary",
        "date_published",
        "date_modified",
        "language",
    ] {
        assert!(
            item[field].is_string(),
            "items[0].{field} missing:\n{item:#}"
        );
    }
    assert_eq!(item["tags"], serde_json::json!(["Energy", "Grants"]));
    assert_eq!(item["authors"][0]["name"], "Fiona MacAskill-Reid");
    assert_eq!(
        json["items"][1]["authors"][0]["url"],
        "mailto:press@example.org"
    );
}

#[test]
fn forbidden_characters_never_reach_a_feed() {
    let stored = poisoned();
    let scope = Scope::category("Énergie verte");
    let site = Site {
        title: "Press\u{B} releases".to_owned(),
        ..site()
    };
    for format in Format::ALL {
        let bytes = render(format, &site, &scope, &[stored.entry()]);
        let forbidden: Vec<char> = text(&bytes).chars().filter(|&c| !is_xml_char(c)).collect();
        assert!(forbidden.is_empty(), "{format:?} holds {forbidden:?}");
        let feed = read(format, &bytes);
        let entry = &feed.entries[0];
        let title = entry
            .title
            .as_ref()
            .map(|t| t.content.as_str())
            .unwrap_or_default();
        assert!(
            title.ends_with("vertical tab ]]> <end>"),
            "{format:?}: {title}"
        );
        let content = entry
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .unwrap_or_default();
        assert!(
            content.contains("<p>CDATA ends with ]]> here .</p>"),
            "{format:?}: {content}"
        );
        assert!(
            content.contains("RIYAD, 24 mars 2022"),
            "{format:?}: {content}"
        );
        let categories: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
        assert!(
            categories.contains(&"Catégorie"),
            "{format:?}: {categories:?}"
        );
        if format != Format::Json
            && let Some(xmllint) = Validator::find("xmllint")
        {
            xmllint.check(&["--noout"], format.file_name(), &bytes);
        }
    }
    if let Some(jing) = Validator::find("jing") {
        let atom = render(Format::Atom, &site, &scope, &[stored.entry()]);
        jing.check(
            &["-c", &atom_grammar().to_string_lossy()],
            "atom.xml",
            &atom,
        );
    }
}

#[test]
fn validators_accept_every_xml_feed() {
    let xmllint = Validator::find("xmllint");
    let jing = Validator::find("jing");
    if xmllint.is_none() && jing.is_none() {
        return;
    }
    let stored = releases();
    let all = entries(&stored);
    let grammar = atom_grammar().to_string_lossy().into_owned();
    let no_email = Site {
        author_email: None,
        description: String::new(),
        ..site()
    };
    let scopes = [
        Scope::All,
        Scope::Language(lang("ar")),
        Scope::category("Énergie verte"),
    ];
    for site in [site(), no_email] {
        for scope in &scopes {
            for entries in [&all[..], &[]] {
                for format in [Format::Atom, Format::Rss] {
                    let bytes = render(format, &site, scope, entries);
                    if let Some(xmllint) = &xmllint {
                        xmllint.check(&["--noout"], format.file_name(), &bytes);
                    }
                    if let (Some(jing), Format::Atom) = (&jing, format) {
                        jing.check(&["-c", &grammar], format.file_name(), &bytes);
                    }
                }
            }
        }
    }
}

#[test]
fn xml_feeds_start_with_the_same_prolog() {
    let stored = releases();
    for format in [Format::Atom, Format::Rss] {
        let bytes = render(format, &site(), &Scope::All, &entries(&stored));
        assert!(
            text(&bytes).starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<"),
            "{format:?}"
        );
        assert_eq!(text(&bytes).matches("<?xml").count(), 1, "{format:?}");
    }
}

#[test]
fn rendering_twice_gives_identical_bytes() {
    let first = releases();
    let second = releases();
    let scope = Scope::category("Énergie verte");
    for format in Format::ALL {
        assert_eq!(
            render(format, &site(), &scope, &entries(&first)),
            render(format, &site(), &scope, &entries(&second)),
            "{format:?}"
        );
    }
}

#[test]
fn formats_name_their_files_and_media_types() {
    let names: Vec<_> = Format::ALL
        .into_iter()
        .map(|f| (f.file_name(), f.media_type()))
        .collect();
    assert_eq!(
        names,
        [
            ("atom.xml", "application/atom+xml"),
            ("rss.xml", "application/rss+xml"),
            ("feed.json", "application/feed+json"),
        ]
    );
}

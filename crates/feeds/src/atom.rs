//! Atom (RFC 4287) feeds, written with `atom_syndication`.
//!
//! The feed's id is its own URL; each entry's id is the release's permanent
//! tag URI. `atom_syndication` cannot put `xml:lang` on an entry, so it goes
//! on the entry's title, summary and content, which is where readers look
//! for it (and equally correct XML). Every attachment is a `rel="enclosure"`
//! link with its length and type.

use std::sync::Arc;

use atom_syndication::{
    Category, Content, Entry, Feed, Generator, Link, Person, Text, TextType, WriteConfig,
};

use crate::feed::{FeedInfo, Format, XML_PROLOG};
use crate::item::Item;

pub(crate) fn render(feed: &FeedInfo, items: &[Arc<Item>]) -> Vec<u8> {
    let atom = Feed {
        title: Text::plain(feed.title.as_str()),
        id: feed.url.clone(),
        updated: feed.updated,
        authors: vec![Person {
            name: feed.author_name.clone(),
            email: feed.author_email.clone(),
            ..Person::default()
        }],
        generator: Some(Generator {
            value: feed.generator.clone(),
            ..Generator::default()
        }),
        links: vec![
            link("self", &feed.url, Format::Atom.media_type(), None),
            link("alternate", &feed.listing_url, "text/html", None),
        ],
        subtitle: (!feed.description.is_empty()).then(|| Text::plain(feed.description.as_str())),
        entries: items.iter().map(|item| entry(item)).collect(),
        lang: Some(feed.lang.clone()),
        ..Feed::default()
    };
    let config = WriteConfig {
        write_document_declaration: false,
        indent_size: Some(2),
    };
    let mut bytes = XML_PROLOG.as_bytes().to_vec();
    atom.write_with_config(&mut bytes, config)
        .expect("writing to memory cannot fail");
    bytes.push(b'\n');
    bytes
}

fn entry(item: &Item) -> Entry {
    let lang = Some(item.lang.to_string());
    Entry {
        title: Text {
            lang: lang.clone(),
            ..Text::plain(item.title.as_str())
        },
        id: item.id.clone(),
        updated: item.updated,
        published: Some(item.published),
        authors: vec![Person {
            name: item.author.name.clone(),
            email: item.author.email.clone(),
            ..Person::default()
        }],
        categories: item
            .categories
            .iter()
            .map(|name| Category {
                term: name.clone(),
                ..Category::default()
            })
            .collect(),
        links: std::iter::once(link(
            "alternate",
            &item.url,
            "text/html",
            Some(item.lang.to_string()),
        ))
        .chain(item.attachments.iter().map(|attachment| Link {
            length: Some(attachment.size.to_string()),
            title: Some(attachment.alt.clone()),
            ..link("enclosure", &attachment.url, &attachment.media_type, None)
        }))
        .collect(),
        summary: Some(Text {
            lang: lang.clone(),
            r#type: TextType::Text,
            ..Text::plain(item.summary.as_str())
        }),
        content: Some(Content {
            lang,
            value: Some(item.content_html.clone()),
            content_type: Some("html".to_owned()),
            ..Content::default()
        }),
        ..Entry::default()
    }
}

fn link(rel: &str, href: &str, media_type: &str, hreflang: Option<String>) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(media_type.to_owned()),
        hreflang,
        ..Link::default()
    }
}

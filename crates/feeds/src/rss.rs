//! RSS 2.0 feeds, written with the `rss` crate.
//!
//! RSS has no place for several things readers need, so the usual extensions
//! fill the gaps: `atom:link rel="self"` (RSS Best Practices), `atom:updated` for an item's last
//! change, `dc:language` per item and `dc:creator` when the author has no
//! known address (RSS's own `<author>` must be an email). `<description>`
//! holds the summary, escaped as HTML since readers treat it as HTML;
//! `content:encoded` holds the full content. RSS allows one `enclosure` per
//! item: the main attachment (the first photo, else the first file); the
//! content shows them all.

use std::collections::BTreeMap;
use std::sync::Arc;

use rss::extension::dublincore::DublinCoreExtension;
use rss::extension::{Extension, ExtensionMap};
use rss::{Category, Channel, Enclosure, Guid, Item as RssItem};

use crate::dates::{rfc2822, rfc3339};
use crate::feed::{FeedInfo, Format};
use crate::item::{Item, escape_text};
use crate::media::main_attachment;

const ATOM_NAMESPACE: &str = "http://www.w3.org/2005/Atom";

pub(crate) fn render(feed: &FeedInfo, items: &[Arc<Item>]) -> Vec<u8> {
    let channel = Channel {
        title: feed.title.clone(),
        link: feed.listing_url.clone(),
        // RSS requires a description; the title is better than nothing.
        description: if feed.description.is_empty() {
            feed.title.clone()
        } else {
            feed.description.clone()
        },
        language: Some(feed.lang.clone()),
        managing_editor: feed
            .author_email
            .as_ref()
            .map(|email| format!("{email} ({})", feed.author_name)),
        last_build_date: Some(rfc2822(feed.updated)),
        generator: Some(feed.generator.clone()),
        extensions: atom_extension(
            "link",
            None,
            [
                ("href", feed.url.as_str()),
                ("rel", "self"),
                ("type", Format::Rss.media_type()),
            ],
        ),
        items: items.iter().map(|each| item(each)).collect(),
        namespaces: BTreeMap::from([("atom".to_owned(), ATOM_NAMESPACE.to_owned())]),
        ..Channel::default()
    };
    let mut bytes = channel
        .pretty_write_to(Vec::new(), b' ', 2)
        .expect("writing to memory cannot fail");
    bytes.push(b'\n');
    bytes
}

fn item(item: &Item) -> RssItem {
    let (author, creators) = match &item.author.email {
        Some(email) => (Some(format!("{email} ({})", item.author.name)), Vec::new()),
        None => (None, vec![item.author.name.clone()]),
    };
    RssItem {
        title: Some(item.title.clone()),
        link: Some(item.url.clone()),
        description: Some(escape_text(&item.summary)),
        author,
        categories: item
            .categories
            .iter()
            .map(|name| Category {
                name: name.clone(),
                domain: None,
            })
            .collect(),
        guid: Some(Guid {
            value: item.id.clone(),
            permalink: false,
        }),
        pub_date: Some(rfc2822(item.published)),
        enclosure: main_attachment(&item.attachments).map(|attachment| Enclosure {
            url: attachment.url.clone(),
            length: attachment.size.to_string(),
            mime_type: attachment.media_type.clone(),
        }),
        content: Some(item.content_html.clone()),
        extensions: atom_extension("updated", Some(rfc3339(item.updated)), []),
        dublin_core_ext: Some(DublinCoreExtension {
            creators,
            languages: vec![item.lang.to_string()],
            ..DublinCoreExtension::default()
        }),
        ..RssItem::default()
    }
}

/// One `atom:` element, as the `rss` crate's generic extensions write it.
/// (Its `atom` feature would do the links, at the cost of a proc-macro
/// dependency tree, and cannot do `atom:updated` anyway.)
fn atom_extension<const N: usize>(
    name: &str,
    value: Option<String>,
    attributes: [(&str, &str); N],
) -> ExtensionMap {
    let extension = Extension {
        name: format!("atom:{name}"),
        value,
        attrs: attributes
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value.to_owned()))
            .collect(),
        children: BTreeMap::new(),
    };
    let by_name = BTreeMap::from([(name.to_owned(), vec![extension])]);
    ExtensionMap::from([("atom".to_owned(), by_name)])
}

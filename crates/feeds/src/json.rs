//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), as small serde structs:
//! the `jsonfeed` crate is abandoned and only knows version 1.0.
//!
//! Field order is the structs' order, so the output is deterministic.

use std::sync::Arc;

use serde::Serialize;

use crate::dates::rfc3339;
use crate::feed::FeedInfo;
use crate::item::Item;
use crate::media::main_attachment;

const VERSION: &str = "https://jsonfeed.org/version/1.1";

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    language: &'a str,
    authors: Vec<Author<'a>>,
    items: Vec<JsonItem<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
    /// JSON Feed authors have no email: a `mailto:` URL says the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

impl<'a> Author<'a> {
    fn new(name: &'a str, email: Option<&str>) -> Self {
        Author {
            name,
            url: email.map(|email| format!("mailto:{email}")),
        }
    }
}

#[derive(Serialize)]
struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    summary: &'a str,
    /// The main photo, if the release has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    language: String,
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment<'a>>,
}

#[derive(Serialize)]
struct JsonAttachment<'a> {
    url: &'a str,
    mime_type: &'a str,
    title: &'a str,
    size_in_bytes: u64,
}

pub(crate) fn render(feed: &FeedInfo, items: &[Arc<Item>]) -> Vec<u8> {
    let json = JsonFeed {
        version: VERSION,
        title: &feed.title,
        home_page_url: &feed.listing_url,
        feed_url: &feed.url,
        description: &feed.description,
        language: &feed.lang,
        authors: vec![Author::new(&feed.author_name, feed.author_email.as_deref())],
        items: items
            .iter()
            .map(|item| JsonItem {
                id: &item.id,
                url: &item.url,
                title: &item.title,
                content_html: &item.content_html,
                summary: &item.summary,
                image: main_attachment(&item.attachments)
                    .filter(|attachment| attachment.is_image)
                    .map(|attachment| attachment.url.as_str()),
                date_published: rfc3339(item.published),
                date_modified: rfc3339(item.updated),
                tags: &item.categories,
                language: item.lang.to_string(),
                authors: vec![Author::new(&item.author.name, item.author.email.as_deref())],
                attachments: item
                    .attachments
                    .iter()
                    .map(|attachment| JsonAttachment {
                        url: &attachment.url,
                        mime_type: &attachment.media_type,
                        title: &attachment.alt,
                        size_in_bytes: attachment.size,
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut bytes = serde_json::to_vec_pretty(&json).expect("plain structs always serialize");
    bytes.push(b'\n');
    bytes
}

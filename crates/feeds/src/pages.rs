//! HTML pages: one per release and a listing per scope, rendered with
//! `minijinja` from built-in templates that operators may override.
//!
//! Templates are compiled, and tried once on a sample release, when they are
//! loaded, so that a broken override stops the daemon at start (with the
//! template's name and line) instead of failing at every publication.
//! Autoescaping is on for `.html` names; only the release body, already
//! sanitized HTML, is marked safe.
//!
//! # What templates see
//!
//! Both pages get `site` (`title`, `description`, `base_url`, `lang`, `dir`,
//! `author_name`, `author_email`, `generator`) and `page`:
//! `lang` and `dir` (`ltr`/`rtl`) for `<html>`, `title`, `description`,
//! `canonical_url`, `root` (the relative path from the page to the site's
//! root folder, such as `../`: the root listing's link),
//! `feeds` (every feed to advertise: `title`, `url`, `media_type`, `format`),
//! `feed_groups` (the same, grouped by scope: `title`, `url` of its listing,
//! `links` with `format`, `url`, `media_type`) and `labels` (`comma`, `subscribe`,
//! `all_releases`, `categories`, `no_releases`, in the page's language).
//!
//! `release.html` also gets `release`; `index.html` gets `scope` (`title`,
//! `kind` = `all`/`language`/`category`, `name`, `dir`) and `releases`, a
//! list of the same shape as `release`: `id`, `url` (absolute), `path`
//! (relative to the page), `title`, `lang`, `dir`, `summary`, `place`, `date`
//! (ISO 8601 day), `date_text` (the day in the release's language),
//! `dateline`, `body_html` (safe), `categories` (`name`, `path`), `author`,
//! `published` and `updated` (RFC 3339), `attachments` (each with `path`,
//! relative to the release page, such as `<id>/photo.jpg`, `url`, `file_name`, `media_type`, `size`,
//! `size_text` such as "1.2 MB", `format` such as "PDF", `alt`, `credit`,
//! `is_image`), `about` and `contact` (each `heading` and `html`, safe, or
//! none). `labels` also holds `attachments`, the heading of the attachments.
//!
//! Every link points to something the daemon writes: release pages as
//! `releases/<id>.html` with their attachments in `releases/<id>/`,
//! listings and feeds under each scope's folder.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, Serde};
use minijinja::{Environment, Value};
use pressroom_core::slug::category_slug;
use pressroom_core::{Lang, Release, ReleaseId, SourceFormat};
pub use pressroom_templates::TemplateError;
use serde::Serialize;

use crate::dates::{iso_day, rfc3339};
use crate::feed::Format;
use crate::item::{Entry, Item};
use crate::media::{ItemAttachment, ItemSection};
use crate::site::{Scope, Site};
use crate::xml::cleaned;

const BUILTIN: [(&str, &str); 3] = [
    ("base.html", include_str!("../templates/base.html")),
    ("release.html", include_str!("../templates/release.html")),
    ("index.html", include_str!("../templates/index.html")),
];

/// The page left where a release's page lay before pages were files
/// (`releases/<id>/index.html`): links to the old address (in emails sent,
/// in readers' caches, on other sites) lead on to `url`, the page now, at
/// once, and search engines are told it is the same page.
pub fn moved_page(url: &str) -> Vec<u8> {
    let url = crate::url::escape_attribute(url);
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"robots\" content=\"noindex\">\n\
         <link rel=\"canonical\" href=\"{url}\">\n\
         <meta http-equiv=\"refresh\" content=\"0; url={url}\">\n\
         <title>{url}</title>\n</head>\n\
         <body><p><a href=\"{url}\">{url}</a></p></body>\n</html>\n"
    )
    .into_bytes()
}

/// The templates pages are rendered with: the built-in ones, or operator
/// overrides of some of them.
#[derive(Debug, Clone)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The built-in templates.
    pub fn builtin() -> Templates {
        let mut env = pressroom_templates::environment();
        for (name, source) in BUILTIN {
            env.add_template(name, source)
                .expect("the built-in templates compile (tested)");
        }
        Templates { env }
    }

    /// The built-in templates with operator overrides: (template name,
    /// source), names "release.html", "index.html" (and any "base.html" or
    /// other template they extend or include). Compiles them now, and renders
    /// both pages once with a sample release, so that a broken template is an
    /// error at load, not at render.
    pub fn with_overrides(overrides: Vec<(String, String)>) -> Result<Templates, TemplateError> {
        let mut templates = Templates::builtin();
        pressroom_templates::add_overrides(&mut templates.env, overrides)?;
        templates.try_sample()?;
        Ok(templates)
    }

    /// Renders the page of one release (`releases/<id>.html`).
    pub fn render_release_page(
        &self,
        site: &Site,
        entry: &Entry<'_>,
    ) -> Result<Vec<u8>, TemplateError> {
        let item = Item::new(site, entry);
        let root = "../";
        let groups = feed_groups(site, &[Scope::All, Scope::Language(item.lang.clone())]);
        let page = PageContext {
            lang: item.lang.to_string(),
            dir: item.lang.direction(),
            title: item.title.clone(),
            description: item.summary.clone(),
            canonical_url: item.url.clone(),
            root: root.to_owned(),
            feeds: all_feeds(&groups),
            feed_groups: groups,
            labels: Labels::for_lang(&item.lang),
        };
        let release = ReleaseObject::value(Arc::new(item), root);
        let context = ReleasePage {
            site: SiteContext::new(site),
            page,
            release,
        };
        self.render("release.html", &context)
    }

    /// Renders the listing page of `scope` (`<scope dir>index.html`).
    /// `entries` are newest first.
    pub fn render_index_page(
        &self,
        site: &Site,
        scope: &Scope,
        entries: &[Entry<'_>],
    ) -> Result<Vec<u8>, TemplateError> {
        self.render_index_page_of(site, scope, &crate::FeedItems::new(site, entries))
    }

    /// [`Templates::render_index_page`] from items already made for the
    /// scope's feeds.
    pub fn render_index_page_of(
        &self,
        site: &Site,
        scope: &Scope,
        items: &crate::FeedItems,
    ) -> Result<Vec<u8>, TemplateError> {
        let items = &items.items;
        let dir = scope.dir();
        let root = match dir.matches('/').count() {
            0 => "./".to_owned(),
            depth => "../".repeat(depth),
        };
        let title = cleaned(&scope.title(site));
        let lang = scope.lang(site);
        let groups = feed_groups(site, std::slice::from_ref(scope));
        let page = PageContext {
            lang: lang.to_string(),
            dir: lang.direction(),
            title: title.clone(),
            description: cleaned(&site.description),
            canonical_url: cleaned(&scope.listing_url(site)),
            root: root.clone(),
            feeds: all_feeds(&groups),
            feed_groups: groups,
            labels: Labels::for_lang(lang),
        };
        let (kind, name) = match scope {
            Scope::All => ("all", String::new()),
            Scope::Language(lang) => ("language", lang.to_string()),
            Scope::Category { name, .. } => ("category", cleaned(name)),
        };
        let context = IndexPage {
            site: SiteContext::new(site),
            page,
            scope: ScopeContext {
                title,
                kind,
                name,
                dir: cleaned(&dir),
            },
            releases: items
                .iter()
                .map(|item| ReleaseObject::value(Arc::clone(item), &root))
                .collect(),
        };
        self.render("index.html", &context)
    }

    fn render<C: Serialize>(&self, name: &str, context: &C) -> Result<Vec<u8>, TemplateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|error| TemplateError::render(name, error))?;
        let mut html = template
            .render(Value::from(Serde(context)))
            .map_err(|error| TemplateError::render(name, error))?;
        if !crate::xml::is_xml_text(&html) {
            html.retain(crate::xml::is_xml_char);
        }
        if !html.ends_with('\n') {
            html.push('\n');
        }
        Ok(html.into_bytes())
    }

    /// Renders both pages for a sample release, to find templates that
    /// compile but cannot render (a missing base template, an unknown filter).
    fn try_sample(&self) -> Result<(), TemplateError> {
        let site = Site {
            title: "Press releases".to_owned(),
            description: "Sample".to_owned(),
            base_url: "https://press.example.org/".to_owned(),
            lang: Lang::parse("en").expect("a valid constant"),
            author_name: "Press Office".to_owned(),
            author_email: Some("press@example.org".to_owned()),
            generator: "Pressroom".to_owned(),
        };
        let day = chrono::NaiveDate::from_ymd_opt(2022, 3, 24).expect("a valid constant");
        let release = Release {
            id: ReleaseId::parse("2022-03-24-sample").expect("a valid constant"),
            slug: "2022-03-24-sample".to_owned(),
            title: "Sample release".to_owned(),
            lang: site.lang.clone(),
            date: Some(pressroom_core::ReleaseDate::Day(day)),
            place: Some("PARIS".to_owned()),
            summary: "A sample.".to_owned(),
            paragraphs: vec!["A sample.".to_owned()],
            body_html: "<p>A sample.</p>".to_owned(),
            categories: vec!["Sample".to_owned()],
            author: Some("Press Office".to_owned()),
            embargo: None,
            format: SourceFormat::Text,
            contact: Some(pressroom_core::Section {
                heading: "Media contact".to_owned(),
                paragraphs: vec!["Press Office".to_owned()],
                html: "<p>Press Office</p>\n".to_owned(),
            }),
            about: Some(pressroom_core::Section {
                heading: "About the sample".to_owned(),
                paragraphs: vec!["A sample.".to_owned()],
                html: "<p>A sample.</p>\n".to_owned(),
            }),
            attachments: ["image/jpeg", "application/pdf"]
                .into_iter()
                .map(|media_type| pressroom_core::Attachment {
                    file_name: format!("sample.{}", &media_type[media_type.len() - 3..]),
                    media_type: media_type.to_owned(),
                    size: 1_234_567,
                    sha256: "0".repeat(64),
                    alt: "A sample".to_owned(),
                    credit: Some("Press Office".to_owned()),
                })
                .collect(),
        };
        let time = day
            .and_hms_opt(10, 0, 0)
            .expect("a valid constant")
            .and_utc()
            .fixed_offset();
        let entry = Entry {
            release: &release,
            tag_id: "tag:press.example.org,2022-03-24:sample",
            published: time,
            updated: time,
            revision: 1,
        };
        self.render_release_page(&site, &entry)?;
        for scope in [Scope::All, Scope::category("Sample")] {
            self.render_index_page(&site, &scope, std::slice::from_ref(&entry))?;
            self.render_index_page(&site, &scope, &[])?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct ReleasePage {
    site: SiteContext,
    page: PageContext,
    release: Value,
}

#[derive(Serialize)]
struct IndexPage {
    site: SiteContext,
    page: PageContext,
    scope: ScopeContext,
    releases: Vec<Value>,
}

#[derive(Serialize)]
struct SiteContext {
    title: String,
    description: String,
    base_url: String,
    lang: String,
    dir: &'static str,
    author_name: String,
    author_email: Option<String>,
    generator: String,
}

impl SiteContext {
    fn new(site: &Site) -> Self {
        SiteContext {
            title: cleaned(&site.title),
            description: cleaned(&site.description),
            base_url: cleaned(&site.base_url),
            lang: site.lang.to_string(),
            dir: site.lang.direction(),
            author_name: cleaned(&site.author_name),
            author_email: site.email().map(cleaned),
            generator: cleaned(&site.generator),
        }
    }
}

#[derive(Serialize)]
struct PageContext {
    lang: String,
    dir: &'static str,
    title: String,
    description: String,
    canonical_url: String,
    root: String,
    /// Every feed, for autodiscovery.
    feeds: Vec<FeedContext>,
    /// The same feeds, by scope, for visible links.
    feed_groups: Vec<FeedGroup>,
    labels: Labels,
}

fn all_feeds(groups: &[FeedGroup]) -> Vec<FeedContext> {
    groups
        .iter()
        .flat_map(|group| group.links.clone())
        .collect()
}

/// The feeds of `scopes`, grouped by scope, with absolute URLs.
fn feed_groups(site: &Site, scopes: &[Scope]) -> Vec<FeedGroup> {
    scopes
        .iter()
        .map(|scope| FeedGroup {
            title: cleaned(&scope.title(site)),
            url: cleaned(&scope.listing_url(site)),
            links: Format::ALL
                .into_iter()
                .map(|format| FeedContext {
                    title: cleaned(&format!("{} ({})", scope.title(site), format.label())),
                    format: format.label(),
                    url: cleaned(&scope.feed_url(site, format)),
                    media_type: format.media_type(),
                })
                .collect(),
        })
        .collect()
}

#[derive(Serialize, Clone)]
struct FeedContext {
    title: String,
    format: &'static str,
    url: String,
    media_type: &'static str,
}

#[derive(Serialize)]
struct FeedGroup {
    title: String,
    url: String,
    links: Vec<FeedContext>,
}

#[derive(Serialize)]
struct ScopeContext {
    title: String,
    kind: &'static str,
    name: String,
    dir: String,
}

#[derive(Serialize)]
struct AttachmentContext {
    /// Relative to the release's page: in the folder of the release's name
    /// beside it.
    path: String,
    url: String,
    file_name: String,
    media_type: String,
    size: u64,
    size_text: String,
    format: String,
    alt: String,
    credit: Option<String>,
    is_image: bool,
}

impl AttachmentContext {
    fn new(release_id: &str, attachment: &ItemAttachment) -> Self {
        AttachmentContext {
            path: format!("{release_id}/{}", attachment.file_name),
            url: attachment.url.clone(),
            file_name: attachment.file_name.clone(),
            media_type: attachment.media_type.clone(),
            size: attachment.size,
            size_text: attachment.size_text.clone(),
            format: attachment.format.clone(),
            alt: attachment.alt.clone(),
            credit: attachment.credit.clone(),
            is_image: attachment.is_image,
        }
    }
}

#[derive(Serialize)]
struct SectionContext {
    heading: String,
    html: Value,
}

impl SectionContext {
    fn new(section: &ItemSection) -> Self {
        SectionContext {
            heading: section.heading.clone(),
            html: Value::from_safe_string(section.html.clone()),
        }
    }
}

/// A release as templates see it (see the module's documentation for its
/// fields). Each field is made into a value only when a template reads it:
/// a listing shows a few fields of fifty releases, and copying every field
/// (the body above all) into the context was most of its cost.
#[derive(Debug)]
struct ReleaseObject {
    item: Arc<Item>,
    /// The relative path from the page to the site's root folder.
    root: String,
}

impl ReleaseObject {
    /// The fields, in the order templates list them.
    const FIELDS: &[&str] = &[
        "id",
        "url",
        "path",
        "title",
        "lang",
        "dir",
        "summary",
        "place",
        "date",
        "date_text",
        "dateline",
        "body_html",
        "categories",
        "author",
        "published",
        "updated",
        "attachments",
        "about",
        "contact",
    ];

    fn value(item: Arc<Item>, root: &str) -> Value {
        Value::from_object(ReleaseObject {
            item,
            root: root.to_owned(),
        })
    }
}

impl Object for ReleaseObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let (item, root) = (&self.item, &self.root);
        let optional = |text: &Option<String>| Value::from(text.clone());
        Some(match key.as_str()? {
            "id" => Value::from(item.release_id.as_str()),
            "url" => Value::from(item.url.as_str()),
            "path" => Value::from(format!("{root}releases/{}.html", item.release_id)),
            "title" => Value::from(item.title.as_str()),
            "lang" => Value::from(item.lang.to_string()),
            "dir" => Value::from(item.lang.direction()),
            "summary" => Value::from(item.summary.as_str()),
            "place" => optional(&item.place),
            "date" => Value::from(iso_day(item.day)),
            "date_text" => Value::from(item.day_text.as_str()),
            "dateline" => optional(&item.dateline),
            "body_html" => Value::from_safe_string(item.body_html.clone()),
            "categories" => Value::from(Serde(
                item.categories
                    .iter()
                    .map(|name| CategoryContext {
                        path: format!("{root}category/{}/", category_slug(name)),
                        name: name.clone(),
                    })
                    .collect::<Vec<_>>(),
            )),
            "author" => Value::from(item.author.name.as_str()),
            "published" => Value::from(rfc3339(item.published)),
            "updated" => Value::from(rfc3339(item.updated)),
            "attachments" => Value::from(Serde(
                item.attachments
                    .iter()
                    .map(|attachment| AttachmentContext::new(&item.release_id, attachment))
                    .collect::<Vec<_>>(),
            )),
            "about" => Value::from(Serde(item.about.as_ref().map(SectionContext::new))),
            "contact" => Value::from(Serde(item.contact.as_ref().map(SectionContext::new))),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(Self::FIELDS)
    }
}

#[derive(Serialize)]
struct CategoryContext {
    name: String,
    path: String,
}

/// The few words the built-in templates write themselves, in the page's
/// language (English for languages not listed).
#[derive(Serialize)]
struct Labels {
    /// Between a dateline's place and date.
    comma: &'static str,
    subscribe: &'static str,
    all_releases: &'static str,
    categories: &'static str,
    no_releases: &'static str,
    /// The heading of a release's photos and documents.
    attachments: &'static str,
}

impl Labels {
    fn for_lang(lang: &Lang) -> Self {
        let [
            subscribe,
            all_releases,
            categories,
            no_releases,
            attachments,
        ] = match lang.primary() {
            "fr" => [
                "S’abonner",
                "Tous les communiqués",
                "Catégories",
                "Aucun communiqué pour l’instant.",
                "Photos et documents",
            ],
            "es" => [
                "Suscribirse",
                "Todos los comunicados",
                "Categorías",
                "Todavía no hay comunicados.",
                "Fotos y documentos",
            ],
            "de" => [
                "Abonnieren",
                "Alle Pressemitteilungen",
                "Kategorien",
                "Noch keine Pressemitteilungen.",
                "Fotos und Dokumente",
            ],
            "ar" => [
                "اشترك",
                "كل البيانات الصحفية",
                "التصنيفات",
                "لا توجد بيانات صحفية بعد.",
                "الصور والمستندات",
            ],
            _ => [
                "Subscribe",
                "All press releases",
                "Categories",
                "No press releases yet.",
                "Photos and documents",
            ],
        };
        Labels {
            comma: crate::item::comma(lang),
            subscribe,
            all_releases,
            categories,
            no_releases,
            attachments,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_and_errors_can_cross_threads() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Templates>();
        check::<TemplateError>();
    }

    #[test]
    fn a_moved_page_sends_browsers_and_search_engines_on_to_the_page() {
        let page = String::from_utf8(moved_page("https://press.example.org/r/a.html?x=1&y=2"))
            .expect("UTF-8");
        let url = "https://press.example.org/r/a.html?x=1&amp;y=2";
        for expected in [
            format!("<link rel=\"canonical\" href=\"{url}\">"),
            format!("<meta http-equiv=\"refresh\" content=\"0; url={url}\">"),
            format!("<a href=\"{url}\">{url}</a>"),
        ] {
            assert!(page.contains(&expected), "{expected}\nnot in\n{page}");
        }
        assert!(
            !page.contains("&y=2"),
            "the URL is escaped everywhere: {page}"
        );
    }

    #[test]
    fn labels_fall_back_to_english() {
        let labels = |tag: &str| Labels::for_lang(&Lang::parse(tag).expect("valid"));
        assert_eq!(labels("it").all_releases, "All press releases");
        assert_eq!(labels("fr-CA").all_releases, "Tous les communiqués");
        assert_eq!(labels("ar").comma, "، ");
    }

    #[test]
    fn templates_see_every_field_of_a_release_and_can_list_them() {
        let release = pressroom_core::parse_release(
            "r.md",
            "# Un titre & plus\n\nPARIS, le 3 mars 2024 – Le texte.\n".as_bytes(),
            &pressroom_core::ParseOptions::default(),
        )
        .expect("a valid release")
        .release;
        let at = chrono::DateTime::parse_from_rfc3339("2024-03-03T09:30:00+01:00").expect("valid");
        let entry = Entry {
            release: &release,
            tag_id: "tag:press.example.org,2024-03-03:r",
            published: at,
            updated: at,
            revision: 1,
        };
        let site = Site {
            title: "Press releases".to_owned(),
            description: String::new(),
            base_url: "https://press.example.org/".to_owned(),
            lang: Lang::parse("fr").expect("valid"),
            author_name: "Press Office".to_owned(),
            author_email: None,
            generator: "Pressroom".to_owned(),
        };
        let listing = "{% for key in release %}{{ key }};{% endfor %}|{{ release.title }}|\
            {{ release.body_html }}|{{ release.date }}|{{ release.no_such_field is undefined }}|\
            {% for key, value in release|items %}{{ key }}:{{ value is defined }},{% endfor %}";
        let templates =
            Templates::with_overrides(vec![("release.html".to_owned(), listing.to_owned())])
                .expect("the template compiles");
        let page = templates
            .render_release_page(&site, &entry)
            .expect("renders");
        let page = String::from_utf8(page).expect("UTF-8");
        let (keys, rest) = page.split_once('|').expect("keys first");
        assert_eq!(
            keys.trim_end_matches(';').split(';').collect::<Vec<_>>(),
            ReleaseObject::FIELDS
        );
        let fields: Vec<&str> = rest.splitn(5, '|').collect();
        assert_eq!(fields[0], "Un titre &amp; plus", "escaped: {page}");
        assert!(
            fields[1].starts_with("<p>"),
            "the body is safe HTML: {page}"
        );
        assert_eq!(fields[2], "2024-03-03");
        assert_eq!(fields[3], "True");
        // Each field has a value (none for a release without a place).
        for key in ReleaseObject::FIELDS {
            assert!(
                fields[4].contains(&format!("{key}:True,")),
                "{key} in {page}"
            );
        }
    }
}

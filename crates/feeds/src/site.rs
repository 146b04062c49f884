//! Where things live: the site's settings, the scopes that get a feed and a
//! listing page, and the URLs of releases and feeds.
//!
//! Every URL the crate writes is built here, from `Site::base_url`, so that
//! feeds, pages and the daemon (which writes the files) agree on the layout
//! of `public/`:
//!
//! ```text
//! index.html, atom.xml, rss.xml, feed.json        Scope::All
//! fr/index.html, fr/atom.xml, …                   Scope::Language
//! category/energie/index.html, …                  Scope::Category
//! releases/<id>.html                              one page per release
//! releases/<id>/photo.jpg                         its attachments, if any
//! ```

use pressroom_core::slug::category_slug;
use pressroom_core::{Lang, ReleaseId};

use crate::feed::Format;

/// Who publishes, and where: the settings every feed and page needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub title: String,
    pub description: String,
    /// The public URL of `public/`: absolute, always ends with `/`
    /// (`https://press.example.org/`).
    pub base_url: String,
    /// The site's default language: of the site-wide and category feeds.
    pub lang: Lang,
    /// The author of releases that name none (`Press Office`).
    pub author_name: String,
    pub author_email: Option<String>,
    /// Written in feeds' `generator` (`Pressroom 0.1.0`).
    pub generator: String,
}

impl Site {
    /// The site's contact address, if it looks like one (validators reject
    /// an Atom `email` without `@`).
    pub(crate) fn email(&self) -> Option<&str> {
        self.author_email
            .as_deref()
            .map(str::trim)
            .filter(|email| email.contains('@'))
    }
}

/// Which releases a feed or listing page covers, and where it lives under public/.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every release.
    All,
    /// Releases in one language.
    Language(Lang),
    /// Releases in one category; `slug` names its folder.
    Category { name: String, slug: String },
}

impl Scope {
    /// The scope of the category `name`, its slug made by [`category_slug`].
    pub fn category(name: &str) -> Scope {
        Scope::Category {
            name: name.to_owned(),
            slug: category_slug(name),
        }
    }

    /// The scope's folder under `public/`, empty or ending with `/`:
    /// `""`, `"fr/"`, `"category/energie/"`.
    pub fn dir(&self) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Language(lang) => format!("{lang}/"),
            Scope::Category { slug, .. } => format!("category/{slug}/"),
        }
    }

    /// The title of the scope's feeds and listing: "Press releases",
    /// "Press releases (fr)", "Press releases: Énergie".
    pub fn title(&self, site: &Site) -> String {
        match self {
            Scope::All => site.title.clone(),
            Scope::Language(lang) => format!("{} ({lang})", site.title),
            Scope::Category { name, .. } => format!("{}: {name}", site.title),
        }
    }

    /// The language of the scope's feeds and listing page.
    pub(crate) fn lang<'a>(&'a self, site: &'a Site) -> &'a Lang {
        match self {
            Scope::Language(lang) => lang,
            _ => &site.lang,
        }
    }

    /// The absolute URL of the scope's listing page.
    pub(crate) fn listing_url(&self, site: &Site) -> String {
        format!("{}{}", site.base_url, self.dir())
    }

    /// The absolute URL of the scope's feed in `format`.
    pub(crate) fn feed_url(&self, site: &Site, format: Format) -> String {
        format!("{}{}{}", site.base_url, self.dir(), format.file_name())
    }
}

/// The public URL of a release's page: `base_url` + `releases/<id>.html`.
///
/// A file, not a folder's `index.html`: a backlog of 10,000 releases then
/// creates 10,000 fewer folders, which was an eighth of its time.
pub fn release_url(site: &Site, id: &ReleaseId) -> String {
    format!("{}{}", site.base_url, release_page_path(id))
}

/// Where a release's page lies, relative to `public/`.
pub fn release_page_path(id: &ReleaseId) -> String {
    format!("releases/{id}.html")
}

/// The public URL of the folder that holds a release's attachments
/// (`base_url` + `releases/<id>/`), against which relative links in its
/// text resolve: `annexe.pdf` is the attachment of that name.
pub fn release_folder_url(site: &Site, id: &ReleaseId) -> String {
    format!("{}{}/", site.base_url, release_folder_path(id))
}

/// Where a release's attachments lie, relative to `public/`. Workspaces
/// made before pages were files also hold the old page there, as
/// `index.html`: a redirect to the page now (the daemon writes it).
pub fn release_folder_path(id: &ReleaseId) -> String {
    format!("releases/{id}")
}

/// A feed to advertise: in a page's `<link rel="alternate">` or as a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    /// "Press releases (fr) (Atom)".
    pub title: String,
    /// Absolute.
    pub url: String,
    pub media_type: &'static str,
}

/// The feeds of `scope`, one per format, with absolute URLs.
pub fn feed_links(site: &Site, scope: &Scope) -> Vec<FeedLink> {
    let title = scope.title(site);
    Format::ALL
        .into_iter()
        .map(|format| FeedLink {
            title: format!("{title} ({})", format.label()),
            url: scope.feed_url(site, format),
            media_type: format.media_type(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn site() -> Site {
        Site {
            title: "Press releases".to_owned(),
            description: "News from the press office".to_owned(),
            base_url: "https://press.example.org/".to_owned(),
            lang: Lang::parse("en").expect("valid"),
            author_name: "Press Office".to_owned(),
            author_email: Some("press@example.org".to_owned()),
            generator: "Pressroom 0.1.0".to_owned(),
        }
    }

    #[test]
    fn scopes_live_in_their_own_folders() {
        assert_eq!(Scope::All.dir(), "");
        assert_eq!(
            Scope::Language(Lang::parse("fr").expect("valid")).dir(),
            "fr/"
        );
        assert_eq!(Scope::category("Énergie").dir(), "category/energie/");
    }

    #[test]
    fn scope_titles_name_the_language_or_category() {
        let site = site();
        assert_eq!(Scope::All.title(&site), "Press releases");
        assert_eq!(
            Scope::Language(Lang::parse("fr").expect("valid")).title(&site),
            "Press releases (fr)"
        );
        assert_eq!(
            Scope::category("Énergie").title(&site),
            "Press releases: Énergie"
        );
    }

    #[test]
    fn feed_links_are_absolute_and_cover_every_format() {
        let links = feed_links(&site(), &Scope::category("Énergie"));
        let urls: Vec<_> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://press.example.org/category/energie/atom.xml",
                "https://press.example.org/category/energie/rss.xml",
                "https://press.example.org/category/energie/feed.json",
            ]
        );
        assert_eq!(links[0].media_type, "application/atom+xml");
        assert_eq!(links[2].title, "Press releases: Énergie (JSON Feed)");
    }

    #[test]
    fn a_release_is_a_page_under_releases_with_its_files_in_a_folder_of_its_name() {
        let id = ReleaseId::parse("2022-03-24-le-chef").expect("valid");
        assert_eq!(
            release_url(&site(), &id),
            "https://press.example.org/releases/2022-03-24-le-chef.html"
        );
        assert_eq!(release_page_path(&id), "releases/2022-03-24-le-chef.html");
        assert_eq!(
            release_folder_url(&site(), &id),
            "https://press.example.org/releases/2022-03-24-le-chef/"
        );
        assert_eq!(release_folder_path(&id), "releases/2022-03-24-le-chef");
    }
}

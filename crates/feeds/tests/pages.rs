//! Release and listing pages: language and direction, escaping, feed
//! autodiscovery, links that lead somewhere, and operator templates.

mod support;

use std::collections::BTreeSet;

use pressroom_core::slug::category_slug;
use pressroom_feeds::{
    Entry, Format, Scope, TemplateError, Templates, feed_links, release_folder_url, release_url,
};
use support::{Stored, entries, is_xml_char, lang, parse, poisoned, releases, site, time};

fn html(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("pages are UTF-8")
}

fn release_page(templates: &Templates, entry: &Entry<'_>) -> String {
    html(
        templates
            .render_release_page(&site(), entry)
            .expect("the page renders"),
    )
}

fn index_page(templates: &Templates, scope: &Scope, entries: &[Entry<'_>]) -> String {
    html(
        templates
            .render_index_page(&site(), scope, entries)
            .expect("the listing renders"),
    )
}

/// The values of every `name="…"` attribute in `html`.
fn attribute_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    html.split(needle.as_str())
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(value, _)| value))
        .collect()
}

/// `<link rel="alternate" …>` hrefs, in order.
fn autodiscovery(html: &str) -> Vec<(String, String)> {
    html.lines()
        .filter(|line| line.starts_with("<link rel=\"alternate\""))
        .map(|line| {
            let value = |name| {
                attribute_values(line, name)
                    .first()
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            };
            (value("type"), value("href"))
        })
        .collect()
}

fn expected_feeds(scopes: &[Scope]) -> Vec<(String, String)> {
    scopes
        .iter()
        .flat_map(|scope| feed_links(&site(), scope))
        .map(|link| (link.media_type.to_owned(), link.url))
        .collect()
}

#[test]
fn the_arabic_page_is_right_to_left() {
    let stored = releases();
    let page = release_page(&Templates::builtin(), &stored[1].entry());
    assert!(page.contains("<html lang=\"ar\" dir=\"rtl\">"), "{page}");
    assert!(
        page.contains(
            "<span class=\"place\">الرياض</span>، <time datetime=\"2023-03-12\">12 مارس 2023</time>"
        ),
        "{page}"
    );
    assert!(
        page.contains("كل البيانات الصحفية"),
        "the page's own words are Arabic too"
    );
}

#[test]
fn the_french_page_is_left_to_right_with_a_french_dateline() {
    let stored = releases();
    let page = release_page(&Templates::builtin(), &stored[2].entry());
    assert!(page.contains("<html lang=\"fr\" dir=\"ltr\">"), "{page}");
    assert!(
        page.contains(
            "<span class=\"place\">RIYAD</span>, <time datetime=\"2022-03-24\">24 mars 2022</time>"
        ),
        "{page}"
    );
}

#[test]
fn dates_are_written_in_each_release_language() {
    let check = |text: &str, expected: &str| {
        let release = parse("r.txt", text);
        let stored = Stored {
            tag_id: "tag:press.example.org,2022:x".to_owned(),
            release,
            published: time("2022-03-24T10:00:00+01:00"),
            updated: time("2022-03-24T10:00:00+01:00"),
        };
        let page = release_page(&Templates::builtin(), &stored.entry());
        assert!(
            page.contains(&format!("<time datetime=\"2022-03-24\">{expected}</time>")),
            "{expected}:\n{page}"
        );
    };
    check(
        "---\nlang: es\ndate: 2022-03-24\n---\nTítulo del comunicado\n\nEl texto del comunicado de prensa.\n",
        "24 de marzo de 2022",
    );
    check(
        "---\nlang: de\ndate: 2022-03-24\n---\nTitel der Mitteilung\n\nDer Text der Pressemitteilung.\n",
        "24. März 2022",
    );
    check(
        "---\nlang: en\ndate: 2022-03-24\n---\nA title\n\nThe text of the release.\n",
        "24 March 2022",
    );
    check(
        "---\nlang: it\ndate: 2022-03-24\n---\nUn titolo\n\nIl testo del comunicato.\n",
        "2022-03-24",
    );
}

#[test]
fn the_page_has_the_essentials_of_a_document() {
    let stored = releases();
    let page = release_page(&Templates::builtin(), &stored[2].entry());
    let url = release_url(&site(), &stored[2].release.id);
    assert!(page.starts_with("<!DOCTYPE html>\n"));
    assert!(page.contains("<meta charset=\"utf-8\">"));
    assert!(page.contains("<meta name=\"viewport\""));
    assert!(
        page.contains(&format!("<link rel=\"canonical\" href=\"{url}\">")),
        "{page}"
    );
    assert!(page.contains("<title>Le chef d&#39;état-major &lt;du Koweït&gt; &amp; la CIMCT : « hommage » à Riyad – Press releases</title>"), "{page}");
    assert!(page.contains("<h1>Le chef d&#39;état-major &lt;du Koweït&gt; &amp; la CIMCT : « hommage » à Riyad</h1>"), "{page}");
    assert!(page.contains("<style>"), "a little CSS");
    assert!(
        !page.contains("<script") && !page.contains("<link rel=\"stylesheet\""),
        "no external resources"
    );
}

#[test]
fn the_body_is_included_as_sanitized_html_with_absolute_links() {
    let stored = releases();
    let page = release_page(&Templates::builtin(), &stored[0].entry());
    let url = release_folder_url(&site(), &stored[0].release.id);
    assert!(
        page.contains("<p>The Aberdeen Tidal Consortium has awarded"),
        "{page}"
    );
    assert!(
        page.contains(&format!("<a href=\"{url}annexe.pdf\">annex</a>")),
        "{page}"
    );
}

#[test]
fn markup_in_titles_is_escaped() {
    let mut stored = releases().remove(0);
    stored.release.title = "<script>alert('x')</script> & more".to_owned();
    stored.release.summary = "<img src=x onerror=alert(1)>".to_owned();
    stored.release.place = Some("<b>PARIS</b>".to_owned());
    stored.release.categories = vec!["<i>cat</i>".to_owned()];
    let templates = Templates::builtin();
    let pages = [
        release_page(&templates, &stored.entry()),
        index_page(&templates, &Scope::All, &[stored.entry()]),
        index_page(
            &templates,
            &Scope::category("<i>cat</i>"),
            &[stored.entry()],
        ),
    ];
    for page in pages {
        assert!(
            !page.contains("<script>")
                && !page.contains("<img src=x")
                && !page.contains("<b>")
                && !page.contains("<i>"),
            "{page}"
        );
        assert!(
            page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more"),
            "{page}"
        );
    }
}

#[test]
fn a_release_page_advertises_the_site_and_language_feeds() {
    let stored = releases();
    let page = release_page(&Templates::builtin(), &stored[2].entry());
    let expected = expected_feeds(&[Scope::All, Scope::Language(lang("fr"))]);
    assert_eq!(autodiscovery(&page), expected);
    for (_, url) in &expected {
        assert!(
            page.contains(&format!("<a href=\"{url}\"")),
            "a visible link to {url}"
        );
    }
}

#[test]
fn a_listing_advertises_its_own_feeds_and_lists_its_releases() {
    let stored = releases();
    let scope = Scope::category("Énergie verte");
    let energy: Vec<Entry<'_>> = entries(&stored)
        .into_iter()
        .filter(|e| e.release.categories.iter().any(|c| c == "Énergie verte"))
        .collect();
    let page = index_page(&Templates::builtin(), &scope, &energy);
    assert_eq!(
        autodiscovery(&page),
        expected_feeds(std::slice::from_ref(&scope))
    );
    assert!(
        page.contains("<html lang=\"en\" dir=\"ltr\">"),
        "the site's language"
    );
    assert!(
        page.contains("<h1>Press releases: Énergie verte</h1>"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<a href=\"../../releases/{}.html\">",
            stored[2].release.id
        )),
        "{page}"
    );
    assert!(
        page.contains("<time datetime=\"2022-03-24\">24 mars 2022</time> · RIYAD"),
        "{page}"
    );
    assert!(
        page.contains(&stored[2].release.summary.replace('\'', "&#39;")),
        "{page}"
    );
    assert_eq!(page.matches("<article").count(), 1);
}

#[test]
fn each_listed_release_has_its_own_language_and_direction() {
    let stored = releases();
    let page = index_page(&Templates::builtin(), &Scope::All, &entries(&stored));
    let articles: Vec<&str> = page.lines().filter(|l| l.starts_with("<article")).collect();
    assert_eq!(
        articles,
        [
            "<article lang=\"en\" dir=\"ltr\">",
            "<article lang=\"ar\" dir=\"rtl\">",
            "<article lang=\"fr\" dir=\"ltr\">"
        ]
    );
}

#[test]
fn a_language_listing_is_in_that_language() {
    let stored = releases();
    let scope = Scope::Language(lang("ar"));
    let page = index_page(&Templates::builtin(), &scope, &[stored[1].entry()]);
    assert!(page.contains("<html lang=\"ar\" dir=\"rtl\">"), "{page}");
    assert_eq!(autodiscovery(&page), expected_feeds(&[scope]));
}

#[test]
fn an_empty_listing_says_so() {
    let page = index_page(&Templates::builtin(), &Scope::Language(lang("fr")), &[]);
    assert!(page.contains("Aucun communiqué pour l’instant."), "{page}");
}

/// Every path the daemon writes for these releases with the default settings.
fn published_paths(stored: &[Stored]) -> BTreeSet<String> {
    let mut scopes = BTreeSet::from([String::new()]);
    let mut paths = BTreeSet::new();
    for item in stored {
        scopes.insert(format!("{}/", item.release.lang));
        for category in &item.release.categories {
            scopes.insert(format!("category/{}/", category_slug(category)));
        }
        paths.insert(format!("releases/{}.html", item.release.id));
    }
    for dir in scopes {
        paths.insert(format!("{dir}index.html"));
        for format in Format::ALL {
            paths.insert(format!("{dir}{}", format.file_name()));
        }
    }
    paths
}

#[test]
fn every_link_in_a_page_leads_to_a_published_file() {
    let stored = releases();
    let site = site();
    let published = published_paths(&stored);
    let templates = Templates::builtin();
    let mut pages: Vec<(String, String)> = stored
        .iter()
        .map(|item| {
            (
                format!("releases/{}.html", item.release.id),
                release_page(&templates, &item.entry()),
            )
        })
        .collect();
    let mut scopes = vec![
        Scope::All,
        Scope::Language(lang("fr")),
        Scope::Language(lang("ar")),
    ];
    scopes.extend(["Énergie verte", "Défense", "Energy"].map(Scope::category));
    for scope in &scopes {
        pages.push((
            format!("{}index.html", scope.dir()),
            index_page(&templates, scope, &entries(&stored)),
        ));
    }
    for (page_path, page) in &pages {
        let page_url =
            url::Url::parse(&format!("{}{page_path}", site.base_url)).expect("a valid page URL");
        for href in attribute_values(page, "href")
            .into_iter()
            .chain(attribute_values(page, "src"))
        {
            let target = page_url
                .join(&href.replace("&amp;", "&"))
                .expect("a resolvable link");
            let Some(path) = target.as_str().strip_prefix(&site.base_url) else {
                continue; // Links out of the site are the release's own.
            };
            let path = if path.is_empty() || path.ends_with('/') {
                format!("{path}index.html")
            } else {
                path.to_owned()
            };
            // Files in a release's folder (annexe.pdf) are linked by the
            // editor, not by us.
            let attachment = path
                .strip_prefix("releases/")
                .is_some_and(|rest| rest.contains('/') && !rest.ends_with("/index.html"));
            assert!(
                attachment || published.contains(&path),
                "{page_path} links to {href}, which is not published"
            );
        }
    }
}

#[test]
fn operator_templates_replace_the_built_in_ones() {
    let overrides = vec![
        ("release.html".to_owned(), "{% extends \"base.html\" %}{% block main %}<p class=\"custom\">{{ release.title }} – {{ release.date_text }}</p>{% endblock %}".to_owned()),
        ("index.html".to_owned(), "<ul>{% for r in releases %}<li><a href=\"{{ r.path }}\">{{ r.title }}</a></li>{% endfor %}</ul>".to_owned()),
    ];
    let templates = Templates::with_overrides(overrides).expect("valid overrides");
    let stored = releases();
    let page = release_page(&templates, &stored[2].entry());
    assert!(page.contains("<p class=\"custom\">Le chef d&#39;état-major &lt;du Koweït&gt; &amp; la CIMCT : « hommage » à Riyad – 24 mars 2022</p>"), "{page}");
    assert!(
        page.contains("<html lang=\"fr\" dir=\"ltr\">"),
        "the built-in base still applies"
    );
    let index = index_page(&templates, &Scope::All, &entries(&stored));
    assert!(
        index.starts_with("<ul><li><a href=\"./releases/"),
        "{index}"
    );
}

#[test]
fn an_operator_base_template_frames_both_pages() {
    let overrides = vec![(
        "base.html".to_owned(),
        "<!DOCTYPE html>\n<html lang=\"{{ page.lang }}\"><body class=\"house-style\">{% block main %}{% endblock %}</body></html>".to_owned(),
    )];
    let templates = Templates::with_overrides(overrides).expect("a valid override");
    let stored = releases();
    assert!(
        release_page(&templates, &stored[0].entry())
            .contains("<body class=\"house-style\"><article class=\"release\">")
    );
    assert!(
        index_page(&templates, &Scope::All, &entries(&stored))
            .contains("<body class=\"house-style\"><h1>Press releases</h1>")
    );
}

fn load_error(name: &str, source: &str) -> String {
    match Templates::with_overrides(vec![(name.to_owned(), source.to_owned())]) {
        Ok(_) => panic!("the broken template {name} was accepted"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_broken_template_is_an_error_at_load_naming_it_and_its_line() {
    let message = load_error(
        "index.html",
        "<h1>{{ scope.title }}</h1>\n{% for release in %}\n{% endfor %}\n",
    );
    assert!(
        message.starts_with("template 'index.html' line 2: syntax error"),
        "{message}"
    );

    let message = load_error(
        "release.html",
        "<p>{{ release.title | no_such_filter }}</p>",
    );
    assert!(
        message.contains("'release.html' line 1") && message.contains("no_such_filter"),
        "{message}"
    );
}

#[test]
fn a_template_extending_a_missing_one_is_an_error_at_load() {
    let message = load_error("release.html", "{% extends \"layout.html\" %}");
    assert!(
        message.contains("release.html") && message.contains("layout.html"),
        "{message}"
    );
    assert!(matches!(
        Templates::with_overrides(vec![(
            "release.html".to_owned(),
            "{% extends \"layout.html\" %}".to_owned()
        )]),
        Err(TemplateError::Render { .. })
    ));
}

#[test]
fn the_built_in_templates_pass_the_load_checks() {
    assert!(Templates::with_overrides(Vec::new()).is_ok());
}

#[test]
fn forbidden_characters_never_reach_a_page() {
    let stored = poisoned();
    let templates = Templates::builtin();
    for page in [
        release_page(&templates, &stored.entry()),
        index_page(&templates, &Scope::All, &[stored.entry()]),
    ] {
        let forbidden: Vec<char> = page.chars().filter(|&c| !is_xml_char(c)).collect();
        assert!(forbidden.is_empty(), "{forbidden:?}");
        assert!(page.contains("RIYAD"), "{page}");
    }
}

#[test]
fn pages_render_identically_twice() {
    let (first, second) = (releases(), releases());
    let templates = Templates::builtin();
    assert_eq!(
        release_page(&templates, &first[1].entry()),
        release_page(&templates, &second[1].entry())
    );
    assert_eq!(
        index_page(&templates, &Scope::All, &entries(&first)),
        index_page(&templates, &Scope::All, &entries(&second))
    );
}

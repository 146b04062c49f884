//! Web pages: the release inside a full press page (navigation, scripts, a
//! cookie banner, share buttons and a footer around it), and the page's own
//! metadata: title without the site's name, language, date, base URL and
//! character set.

use pressroom_core::{ParseError, ParseOptions, Parsed, ReleaseDate, parse_release};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(html: &[u8]) -> Parsed {
    parse_release("release.html", html, &ParseOptions::default())
        .unwrap_or_else(|rejected| panic!("rejected: {}", rejected.error))
}

/// A page with `head` inside its `<head>` and `body` inside its `<body>`.
fn page(head: &str, body: &str) -> Vec<u8> {
    format!("<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>").into_bytes()
}

const ARTICLE: &str = "<article><h1>Le musée rouvre ses portes</h1>\
    <p>Le Musée des Tisserands rouvre ses portes au public le samedi 14 octobre, après deux ans de travaux de mise en accessibilité et de restauration des collections.</p>\
    <p>Les visiteurs pourront découvrir plus de 600 pièces restaurées, dont une collection de métiers à bras du XIXe siècle remis en état de fonctionnement. Voir <a href=\"programme.html\">le programme</a>.</p></article>";

#[test]
fn the_article_of_a_full_press_page() {
    let release = parse(&fixture("press-page.html")).release;
    assert_eq!(release.title, "Un atelier numérique ouvre à Rennes");
    assert_eq!(release.lang.as_str(), "fr");
    assert_eq!(
        release.date.map(|d| d.to_string()).as_deref(),
        Some("2024-03-12T09:30:00+01:00")
    );
    assert_eq!(release.place.as_deref(), Some("RENNES"));
    assert_eq!(
        release.paragraphs,
        [
            "La Fondation Sillage inaugure ce mardi un atelier numérique ouvert aux associations du quartier de Maurepas, dans les locaux de l'ancienne bibliothèque municipale rénovée l'an dernier.",
            "L'atelier accueillera chaque semaine une centaine de personnes, encadrées par quatre médiateurs numériques recrutés avec le soutien de la Ville de Rennes et de la Région Bretagne. Le programme complet est disponible en ligne.",
            "Un programme en trois volets",
            "Les séances proposent :",
            "- des formations à la bureautique ;\n- un accompagnement aux démarches administratives en ligne ;\n- un prêt d'ordinateurs portables reconditionnés.",
            "« Le numérique ne doit laisser personne de côté. Cet atelier est d'abord un lieu de rencontre », explique la présidente de la Fondation. Un lien piégé ne doit jamais survivre.",
            "Les inscriptions sont ouvertes dès aujourd'hui, par téléphone ou à l'accueil de l'atelier, du lundi au vendredi.",
        ]
    );
    let all_text = release.paragraphs.join("\n");
    for furniture in [
        "cookies",
        "Tout accepter",
        "Accueil",
        "Partager",
        "À lire aussi",
        "S'abonner",
        "Mentions légales",
        "Communiqué de presse",
    ] {
        assert!(!all_text.contains(furniture), "{furniture} in {all_text}");
    }
    let html = release.body_html.to_lowercase();
    for forbidden in [
        "<script",
        "onclick",
        "javascript:",
        "gtag",
        "<button",
        "<nav",
        "<img",
    ] {
        assert!(!html.contains(forbidden), "{forbidden} in {html}");
    }
    // Relative links are made absolute against the canonical URL.
    assert!(
        release.body_html.contains(
            "<a href=\"https://fondation-sillage.example/programme\">programme complet</a>"
        ),
        "{}",
        release.body_html
    );
    assert!(
        release
            .body_html
            .starts_with("<p>La Fondation Sillage inaugure ce mardi un <strong>atelier numérique</strong> ouvert aux <em>associations</em>"),
        "{}",
        release.body_html
    );
    assert!(
        release
            .body_html
            .contains("<h2>Un programme en trois volets</h2>")
    );
    let about = release.about.expect("an about section");
    assert_eq!(about.heading, "À propos de la Fondation Sillage");
    let contact = release.contact.expect("a contact block");
    assert_eq!(contact.heading, "Contact presse");
    assert_eq!(
        contact.paragraphs,
        ["Marie Le Goff\nmarie.legoff@fondation-sillage.example\n+33 2 99 00 11 22"]
    );
}

#[test]
fn relative_links_without_a_base_are_dropped_and_with_one_resolved() {
    let release = parse(&page("<title>Le musée rouvre ses portes</title>", ARTICLE)).release;
    assert!(
        release.body_html.contains("Voir le programme.</p>"),
        "{}",
        release.body_html
    );
    assert!(!release.body_html.contains("href"), "{}", release.body_html);

    let release = parse(&page(
        "<title>Le musée rouvre ses portes</title><base href=\"https://musee.example/actualites/\">",
        ARTICLE,
    ))
    .release;
    assert!(
        release.body_html.contains(
            "<a href=\"https://musee.example/actualites/programme.html\">le programme</a>"
        ),
        "{}",
        release.body_html
    );
}

#[test]
fn site_names_are_cut_from_titles() {
    for (title, site) in [
        ("Le musée rouvre ses portes | Musée des Tisserands", ""),
        (
            "Le musée rouvre ses portes - Musée des Tisserands",
            "<meta property=\"og:site_name\" content=\"Musée des Tisserands\">",
        ),
        ("Le musée rouvre ses portes — Tisserands", ""),
    ] {
        let release = parse(&page(&format!("<title>{title}</title>{site}"), ARTICLE)).release;
        assert_eq!(release.title, "Le musée rouvre ses portes", "{title}");
        // The article's own heading, the title again, is not body.
        assert!(!release.body_html.contains("<h"), "{}", release.body_html);
    }
}

#[test]
fn the_date_a_page_declares() {
    let check = |head: &str, body: &str, expected: &str| {
        let release = parse(&page(head, &format!("{body}{ARTICLE}"))).release;
        assert_eq!(
            release.date.map(|d| d.to_string()).as_deref(),
            Some(expected),
            "{head} {body}"
        );
    };
    check(
        "",
        "<time datetime=\"2023-10-05\">5 octobre</time>",
        "2023-10-05",
    );
    check(
        "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@graph\":[{\"@type\":\"WebPage\"},{\"@type\":\"NewsArticle\",\"datePublished\":\"2023-10-05T10:00:00+02:00\"}]}</script>",
        "",
        "2023-10-05T10:00:00+02:00",
    );
    check(
        "<meta property=\"article:published_time\" content=\"2023-10-05T08:00:00Z\">",
        "",
        "2023-10-05T08:00:00+00:00",
    );
    // Without one, the dateline gives it.
    let release = parse(&page(
        "<title>Le musée rouvre ses portes</title>",
        "<article><p>LYON, 5 octobre 2023 – Le Musée des Tisserands rouvre ses portes au public le samedi 14 octobre, après deux ans de travaux.</p><p>Plus de 600 pièces restaurées.</p></article>",
    ))
    .release;
    assert_eq!(
        release.date,
        Some(ReleaseDate::Day("2023-10-05".parse().unwrap()))
    );
    assert_eq!(release.place.as_deref(), Some("LYON"));
    assert!(release.paragraphs[0].starts_with("Le Musée des Tisserands rouvre"));
}

#[test]
fn the_declared_charset_is_honoured() {
    // "Théâtre" and "l’été" in Windows-1252, declared as such.
    let mut bytes = b"<html lang=\"fr\"><head><meta charset=\"windows-1252\"><title>Th\xE9\xE2tre de l\x92\xE9t\xE9</title></head><body><article><p>Le Th\xE9\xE2tre de l\x92\xE9t\xE9 ouvre sa saison avec douze cr\xE9ations et reprises pour tous les publics de la m\xE9tropole.</p></article></body></html>".to_vec();
    let parsed = parse(&bytes);
    assert_eq!(parsed.release.title, "Théâtre de l’été");
    assert!(parsed.release.paragraphs[0].contains("douze créations"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    // Undeclared and not UTF-8: read as Windows-1252, with a warning.
    bytes = bytes
        .windows(b"<meta charset=\"windows-1252\">".len())
        .position(|w| w == b"<meta charset=\"windows-1252\">")
        .map(|at| [&bytes[..at], &bytes[at + 29..]].concat())
        .unwrap();
    let parsed = parse(&bytes);
    assert_eq!(parsed.release.title, "Théâtre de l’été");
    assert_eq!(parsed.warnings.len(), 1, "{:?}", parsed.warnings);
}

#[test]
fn the_language_a_page_declares_wins_over_detection() {
    let release = parse(
        &format!("<html lang=\"fr-CA\"><head><title>T</title></head><body>{ARTICLE}</body></html>")
            .into_bytes(),
    )
    .release;
    assert_eq!(release.lang.as_str(), "fr-CA");
}

#[test]
fn a_page_with_nothing_to_publish_is_refused() {
    let rejected = |bytes: &[u8]| {
        parse_release("r.html", bytes, &ParseOptions::default())
            .err()
            .map(|r| r.error)
    };
    assert!(matches!(
        rejected(b""),
        Some(ParseError::Empty {
            whitespace_only: false
        })
    ));
    assert!(matches!(
        rejected(&page(
            "<title>Only a title</title>",
            "<nav><a href=\"/\">Accueil</a></nav>"
        )),
        Some(ParseError::NoBody { .. })
    ));
    assert!(matches!(
        rejected(&page("", "<script>alert(1)</script>")),
        Some(ParseError::NoTitle)
    ));
}

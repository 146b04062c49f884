//! Composed digests read back by an independent parser (mail-parser 0.11),
//! header by header and part by part, as a mail client would read them.

use chrono::{DateTime, NaiveDate};
use mail_parser::{Encoding, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use pressroom_core::Lang;
use pressroom_digest::{
    Address, Digest, DigestInput, DigestRelease, Email, MessageId, Recipient, Site, Templates,
    Unsubscribe, compose,
};

fn lang(tag: &str) -> Lang {
    Lang::parse(tag).expect("a valid test language")
}

fn address(text: &str) -> Address {
    Address::parse(text).expect("a valid test address")
}

fn site() -> Site {
    Site {
        title: "Service de presse".to_owned(),
        base_url: "https://press.example.org/".to_owned(),
        from: address("press@example.org"),
        from_name: "Service de presse".to_owned(),
        list_id_domain: "press.example.org".to_owned(),
    }
}

fn digest(subject: &str) -> Digest {
    Digest {
        name: "weekly".to_owned(),
        subject: subject.to_owned(),
        description: "Tous les communiqués, chaque semaine".to_owned(),
    }
}

fn recipient(name: &str, language: &str) -> Recipient {
    Recipient {
        address: address("jean.dupont@example.org"),
        name: name.to_owned(),
        lang: lang(language),
    }
}

fn release(title: &str, language: &str, day: u32) -> DigestRelease {
    DigestRelease {
        title: title.to_owned(),
        date: NaiveDate::from_ymd_opt(2024, 3, day),
        place: Some(
            if language == "ar" {
                "الرياض"
            } else {
                "PARIS"
            }
            .to_owned(),
        ),
        summary: format!(
            "Résumé de « {title} », avec assez de texte pour remplir une ligne ou deux."
        ),
        url: format!("https://press.example.org/releases/2024-03-{day:02}-release.html"),
        lang: lang(language),
    }
}

fn unsubscribe() -> Unsubscribe {
    Unsubscribe {
        mailto: Some("mailto:unsubscribe@press.example.org?subject=weekly-abc".to_owned()),
        https: Some("https://press.example.org/u/weekly/0123456789abcdef0123456789".to_owned()),
    }
}

/// Composes with everything as in `site()`, … except what the case changes.
fn build(
    digest: &Digest,
    recipient: &Recipient,
    releases: &[DigestRelease],
    site: &Site,
    unsubscribe: &Unsubscribe,
) -> Email {
    let templates = Templates::builtin();
    let message_id = MessageId::parse("digest.1@press.example.org").expect("valid");
    let now = DateTime::parse_from_rfc3339("2024-03-25T08:00:00+01:00").expect("valid");
    compose(&DigestInput {
        site,
        digest,
        recipient,
        releases,
        now,
        message_id: &message_id,
        unsubscribe,
        templates: &templates,
    })
    .expect("composes")
}

fn parse(email: &Email) -> Message<'_> {
    MessageParser::default()
        .parse(&email.bytes)
        .expect("mail-parser reads the message")
}

fn header_section(email: &Email) -> &str {
    let text = std::str::from_utf8(&email.bytes).expect("messages are ASCII");
    let end = text.find("\r\n\r\n").expect("a header section");
    &text[..end + 2]
}

/// The header's raw value, unfolded.
fn raw(message: &Message<'_>, name: &str) -> String {
    let value = message
        .header_raw(name)
        .unwrap_or_else(|| panic!("no {name} header"));
    value.replace("\r\n", "").trim().to_owned()
}

/// Every line of the message: ≤ 998 octets; header lines ≤ 78; only CRLF.
fn check_lines(email: &Email) {
    assert!(email.bytes.is_ascii(), "8-bit bytes in the message");
    let text = std::str::from_utf8(&email.bytes).expect("ASCII");
    assert!(
        !text.replace("\r\n", "").contains(['\r', '\n']),
        "bare CR or LF"
    );
    assert!(text.ends_with("\r\n"));
    for line in text.split("\r\n") {
        assert!(line.len() <= 998, "line of {} octets", line.len());
    }
    for line in header_section(email).split("\r\n") {
        assert!(line.len() <= 78, "header line of {}: {line}", line.len());
    }
}

fn header_names(message: &Message<'_>) -> Vec<String> {
    message
        .headers()
        .iter()
        .map(|header| header.name().to_ascii_lowercase())
        .collect()
}

fn body_text(message: &Message<'_>) -> String {
    message.body_text(0).expect("a text part").into_owned()
}

fn body_html(message: &Message<'_>) -> String {
    message.body_html(0).expect("an HTML part").into_owned()
}

#[test]
fn a_french_digest_has_every_header_a_bulk_message_needs() {
    let releases = [
        release("Énergie : l’État accélère", "fr", 21),
        release("Contrat signé à Göteborg", "fr", 1),
    ];
    let email = build(
        &digest("Communiqués de la semaine — {{ site.title }}"),
        &recipient("Jean Dupont", "fr"),
        &releases,
        &site(),
        &unsubscribe(),
    );
    check_lines(&email);
    assert_eq!(email.recipient.as_str(), "jean.dupont@example.org");
    assert_eq!(email.envelope_sender.as_str(), "press@example.org");
    let message = parse(&email);

    assert_eq!(
        message.subject(),
        Some("Communiqués de la semaine — Service de presse")
    );
    assert!(raw(&message, "Subject").starts_with("=?UTF-8?B?"));
    let from = message.from().and_then(|from| from.first()).expect("From");
    assert_eq!(from.name(), Some("Service de presse"));
    assert_eq!(from.address(), Some("press@example.org"));
    let to = message.to().and_then(|to| to.first()).expect("To");
    assert_eq!(to.name(), Some("Jean Dupont"));
    assert_eq!(to.address(), Some("jean.dupont@example.org"));
    assert_eq!(
        message.date().map(|date| date.to_rfc3339()).as_deref(),
        Some("2024-03-25T08:00:00+01:00")
    );
    assert_eq!(raw(&message, "Date"), "Mon, 25 Mar 2024 08:00:00 +0100");
    assert_eq!(message.message_id(), Some("digest.1@press.example.org"));
    assert_eq!(raw(&message, "MIME-Version"), "1.0");
    assert!(raw(&message, "List-Id").ends_with(" <weekly.press.example.org>"));
    match message.list_id() {
        HeaderValue::Address(list) => {
            let list = list.first().expect("one list");
            assert_eq!(list.address(), Some("weekly.press.example.org"));
            assert_eq!(
                list.name(),
                Some("Service de presse: Tous les communiqués, chaque semaine")
            );
        }
        other => panic!("List-Id parsed as {other:?}"),
    }
    assert_eq!(
        raw(&message, "List-Unsubscribe"),
        "<mailto:unsubscribe@press.example.org?subject=weekly-abc>, \
         <https://press.example.org/u/weekly/0123456789abcdef0123456789>"
    );
    assert_eq!(
        raw(&message, "List-Unsubscribe-Post"),
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(raw(&message, "Auto-Submitted"), "auto-generated");
    let names = header_names(&message);
    for once in [
        "date",
        "from",
        "to",
        "subject",
        "message-id",
        "list-id",
        "list-unsubscribe",
    ] {
        assert_eq!(names.iter().filter(|n| *n == once).count(), 1, "{once}");
    }

    let text = body_text(&message);
    assert!(text.contains("Énergie : l’État accélère"), "{text}");
    assert!(text.contains("PARIS, 21 mars 2024"), "{text}");
    assert!(text.contains("PARIS, 1er mars 2024"), "{text}");
    assert!(text.contains("https://press.example.org/releases/2024-03-21-release.html"));
    assert!(text.contains("Se désabonner: https://press.example.org/u/weekly/"));
    assert!(text.contains("25 mars 2024"));

    let html = body_html(&message);
    assert!(html.contains(r#"<html lang="fr" dir="ltr">"#), "{html}");
    assert!(html.contains(
        r#"<a href="https://press.example.org/releases/2024-03-21-release.html" style="color:#1d4ed8;text-decoration:none;">Énergie : l’État accélère</a>"#
    ));
    assert!(html.contains("Résumé de « Contrat signé à Göteborg »"));
    assert!(html.contains("PARIS, 1er mars 2024"));
    assert!(html.contains("Se désabonner</a>"));
}

#[test]
fn the_message_is_multipart_alternative_text_then_html_in_utf8() {
    let email = build(
        &digest("{{ site.title }}"),
        &recipient("Jean", "fr"),
        &[release("Un titre", "fr", 4)],
        &site(),
        &unsubscribe(),
    );
    let message = parse(&email);
    let root = message.root_part();
    let content_type = root.content_type().expect("Content-Type");
    assert_eq!(content_type.ctype(), "multipart");
    assert_eq!(content_type.subtype(), Some("alternative"));
    let PartType::Multipart(children) = &root.body else {
        panic!("the root is not multipart: {:?}", root.body);
    };
    assert_eq!(children.len(), 2);
    let expected = [("plain", false), ("html", true)];
    for (&child, (subtype, is_html)) in children.iter().zip(expected) {
        let part = &message.parts[child as usize];
        let content_type = part.content_type().expect("Content-Type");
        assert_eq!(content_type.ctype(), "text");
        assert_eq!(content_type.subtype(), Some(subtype));
        assert_eq!(content_type.attribute("charset"), Some("utf-8"));
        assert!(matches!(
            part.encoding,
            Encoding::QuotedPrintable | Encoding::Base64
        ));
        assert_eq!(matches!(part.body, PartType::Html(_)), is_html);
    }
    // Body lines stay within 76 characters (RFC 2045).
    let text = std::str::from_utf8(&email.bytes).expect("ASCII");
    let body = &text[header_section(&email).len()..];
    for line in body.split("\r\n") {
        assert!(line.len() <= 76, "body line of {}: {line}", line.len());
    }
}

#[test]
fn an_arabic_digest_is_right_to_left_and_its_subject_round_trips() {
    let mut site = site();
    site.title = "المكتب الإعلامي".to_owned();
    site.from_name = "المكتب الإعلامي".to_owned();
    let releases = [release(
        "وزارة الطاقة تعلن عن مشروع جديد للطاقة الشمسية",
        "ar",
        24,
    )];
    let email = build(
        &digest("النشرة الأسبوعية: {{ releases[0].title }}"),
        &recipient("أميرة", "ar"),
        &releases,
        &site,
        &unsubscribe(),
    );
    check_lines(&email);
    let message = parse(&email);
    assert_eq!(
        message.subject(),
        Some("النشرة الأسبوعية: وزارة الطاقة تعلن عن مشروع جديد للطاقة الشمسية")
    );
    let from = message.from().and_then(|from| from.first()).expect("From");
    assert_eq!(from.name(), Some("المكتب الإعلامي"));
    let to = message.to().and_then(|to| to.first()).expect("To");
    assert_eq!(to.name(), Some("أميرة"));

    let html = body_html(&message);
    assert!(html.contains(r#"<html lang="ar" dir="rtl">"#), "{html}");
    assert!(html.contains(r#"<body dir="rtl""#));
    assert!(html.contains(r#"<div lang="ar" dir="rtl" style="text-align:right;">"#));
    assert!(html.contains("الرياض، 24 مارس 2024"));
    assert!(html.contains("إلغاء الاشتراك"));
    let text = body_text(&message);
    assert!(text.contains("وزارة الطاقة تعلن عن مشروع جديد للطاقة الشمسية"));
}

#[test]
fn a_release_in_another_language_keeps_its_own_direction() {
    let email = build(
        &digest("{{ site.title }}"),
        &recipient("Jean", "fr"),
        &[release("Un titre", "fr", 4), release("عنوان", "ar", 5)],
        &site(),
        &unsubscribe(),
    );
    let html = body_html(&parse(&email));
    assert!(html.contains(r#"<html lang="fr" dir="ltr">"#));
    assert!(html.contains(r#"<div lang="ar" dir="rtl" style="text-align:right;">"#));
    assert!(html.contains(r#"<div lang="fr" dir="ltr" style="text-align:left;">"#));
}

#[test]
fn line_breaks_and_bcc_in_titles_and_names_never_become_headers() {
    let mut site = site();
    site.from_name = "Presse\r\nBcc: z@evil.org".to_owned();
    site.title = "Presse\nX-Injected: yes".to_owned();
    let releases = [
        release("Résultats\r\nBcc: x@evil.org", "fr", 3),
        release("Plain ascii\r\nBcc: w@evil.org\r\n\r\nbody?", "en", 4),
    ];
    let recipient = recipient("Jean\r\nBcc: y@evil.org", "fr");
    for subject in ["{{ releases[0].title }}", "{{ releases[1].title }}"] {
        let email = build(
            &digest(subject),
            &recipient,
            &releases,
            &site,
            &unsubscribe(),
        );
        check_lines(&email);
        let message = parse(&email);
        let names = header_names(&message);
        assert!(
            !names.iter().any(|n| n == "bcc" || n == "x-injected"),
            "{names:?}"
        );
        assert!(message.bcc().is_none());
        for line in header_section(&email).split("\r\n") {
            let lower = line.to_ascii_lowercase();
            assert!(
                !lower.starts_with("bcc") && !lower.starts_with("x-injected"),
                "{line}"
            );
        }
        let to = message.to().and_then(|to| to.first()).expect("To");
        assert_eq!(to.name(), Some("Jean Bcc: y@evil.org"));
        assert_eq!(to.address(), Some("jean.dupont@example.org"));
        assert_eq!(message.to().map(|to| to.iter().count()), Some(1));
        let from = message.from().and_then(|from| from.first()).expect("From");
        assert_eq!(from.name(), Some("Presse Bcc: z@evil.org"));
        assert_eq!(from.address(), Some("press@example.org"));
        let text = body_text(&message);
        assert!(text.contains("Résultats Bcc: x@evil.org"), "{text}");
        assert!(text.contains("Presse X-Injected: yes"), "{text}");
    }
    let email = build(
        &digest("{{ releases[0].title }}"),
        &recipient,
        &releases,
        &site,
        &unsubscribe(),
    );
    assert_eq!(parse(&email).subject(), Some("Résultats Bcc: x@evil.org"));
    let email = build(
        &digest("{{ releases[1].title }}"),
        &recipient,
        &releases,
        &site,
        &unsubscribe(),
    );
    assert_eq!(
        parse(&email).subject(),
        Some("Plain ascii Bcc: w@evil.org body?")
    );
}

#[test]
fn long_titles_and_summaries_fold_and_wrap_within_the_limits() {
    let mut long = release(&"Très long titre de communiqué ".repeat(20), "fr", 6);
    long.summary = "Une phrase qui se répète sans fin. ".repeat(200);
    let mut unbroken = release(&"x".repeat(1500), "en", 7);
    unbroken.summary = "y".repeat(3000);
    let email = build(
        &digest("{{ releases[0].title }} {{ releases[1].title }}"),
        &recipient(&"Nom très long ".repeat(10), "fr"),
        &[long.clone(), unbroken],
        &site(),
        &unsubscribe(),
    );
    check_lines(&email);
    let message = parse(&email);
    let subject = message.subject().expect("a subject");
    assert!(subject.starts_with("Très long titre de communiqué Très"));
    assert!(subject.ends_with(&"x".repeat(1500)));
    assert!(body_html(&message).contains(long.summary.trim()));
}

#[test]
fn the_html_part_needs_no_stylesheet_and_loads_nothing() {
    let email = build(
        &digest("{{ site.title }}"),
        &recipient("Jean", "fr"),
        &[release("<b>Pas du HTML</b> & co", "fr", 8)],
        &site(),
        &unsubscribe(),
    );
    let html = body_html(&parse(&email));
    for banned in ["<style", "<link", "<img", "<script", "src=", "url("] {
        assert!(!html.contains(banned), "{banned} in {html}");
    }
    assert!(html.contains("&lt;b&gt;Pas du HTML&lt;/b&gt; &amp; co"));
    assert!(html.contains(r#"<td style="padding:"#));
}

#[test]
fn without_an_https_link_there_is_no_one_click_header() {
    let links = Unsubscribe {
        mailto: Some("mailto:unsubscribe@press.example.org".to_owned()),
        https: None,
    };
    let email = build(&digest("x"), &recipient("", "en"), &[], &site(), &links);
    let message = parse(&email);
    assert_eq!(
        raw(&message, "List-Unsubscribe"),
        "<mailto:unsubscribe@press.example.org>"
    );
    assert!(message.header_raw("List-Unsubscribe-Post").is_none());
    let to = message.to().and_then(|to| to.first()).expect("To");
    assert_eq!(to.name(), None);
    assert!(body_text(&message).contains("No new press releases."));
}

#[test]
fn bad_inputs_are_refused_with_the_reason() {
    let templates = Templates::builtin();
    let message_id = MessageId::parse("digest.1@press.example.org").expect("valid");
    let now = DateTime::parse_from_rfc3339("2024-03-25T08:00:00+01:00").expect("valid");
    let site = site();
    let digest = digest("x");
    let recipient = recipient("Jean", "fr");
    let check = |releases: &[DigestRelease], site: &Site, links: &Unsubscribe, expected: &str| {
        let error = compose(&DigestInput {
            site,
            digest: &digest,
            recipient: &recipient,
            releases,
            now,
            message_id: &message_id,
            unsubscribe: links,
            templates: &templates,
        })
        .expect_err("refused");
        assert!(error.to_string().contains(expected), "{error}");
    };
    check(&[], &site, &Unsubscribe::default(), "no unsubscribe link");
    let http = Unsubscribe {
        mailto: None,
        https: Some("http://press.example.org/u".to_owned()),
    };
    check(&[], &site, &http, "needs an 'https://' URL");
    let spoofed_loopback = Unsubscribe {
        mailto: None,
        https: Some("http://127.0.0.1.evil.org/u".to_owned()),
    };
    check(&[], &site, &spoofed_loopback, "needs an 'https://' URL");
    let injected = Unsubscribe {
        mailto: None,
        https: Some("https://press.example.org/u>\r\nBcc: x@evil.org".to_owned()),
    };
    check(&[], &site, &injected, "printable ASCII");
    let mut script = release("t", "fr", 1);
    script.url = "javascript:alert(1)".to_owned();
    check(
        &[script],
        &site,
        &unsubscribe(),
        "invalid URL 'javascript:alert(1)'",
    );
    let mut bad_domain = site.clone();
    bad_domain.list_id_domain = "not a domain".to_owned();
    check(&[], &bad_domain, &unsubscribe(), "invalid List-Id domain");
}

//! The media contact block and the "About …" section that close a release:
//! recognised at the end of the body in text and Markdown, in French,
//! English and Arabic, kept out of the paragraphs and the summary; and the
//! near misses that must stay paragraphs.

use pressroom_core::{ParseOptions, Release, Section, parse_release};

fn parse(name: &str, text: &str) -> Release {
    parse_release(name, text.as_bytes(), &ParseOptions::default())
        .unwrap_or_else(|rejected| panic!("{name} rejected: {}", rejected.error))
        .release
}

fn section(heading: &str, paragraphs: &[&str]) -> Option<(String, Vec<String>)> {
    Some((
        heading.to_owned(),
        paragraphs.iter().map(|p| (*p).to_owned()).collect(),
    ))
}

fn parts(section: &Option<Section>) -> Option<(String, Vec<String>)> {
    section
        .as_ref()
        .map(|s| (s.heading.clone(), s.paragraphs.clone()))
}

/// Checks the body, the contact block and the about section of a release.
fn check(
    name: &str,
    text: &str,
    paragraphs: &[&str],
    contact: Option<(String, Vec<String>)>,
    about: Option<(String, Vec<String>)>,
) -> Release {
    let release = parse(name, text);
    assert_eq!(release.paragraphs, paragraphs, "{name}: paragraphs");
    assert_eq!(parts(&release.contact), contact, "{name}: contact");
    assert_eq!(parts(&release.about), about, "{name}: about");
    assert_eq!(
        release.summary, paragraphs[0],
        "{name}: the summary is the body's"
    );
    release
}

#[test]
fn french_text_with_an_end_marker_an_about_section_and_a_contact_block() {
    let release = check(
        "r.txt",
        "La Régie lance un service de covoiturage\n\n\
         Rennes, 20 septembre 2023\n\n\
         La Régie Ker-Mobilité lance un service de covoiturage entre les\n\
         communes rurales du nord de l'Ille-et-Vilaine.\n\n\
         Les inscriptions sont ouvertes.\n\n\
         - FIN -\n\n\
         À propos de la Régie Ker-Mobilité\n\n\
         La Régie Ker-Mobilité est un établissement public créé en 2016.\n\n\
         Contact presse :\n\
         Marie Dupont\n\
         marie.dupont@ker-mobilite.example\n\
         02 99 00 11 22\n",
        &[
            "La Régie Ker-Mobilité lance un service de covoiturage entre les communes rurales du nord de l'Ille-et-Vilaine.",
            "Les inscriptions sont ouvertes.",
        ],
        section(
            "Contact presse",
            &["Marie Dupont\nmarie.dupont@ker-mobilite.example\n02 99 00 11 22"],
        ),
        section(
            "À propos de la Régie Ker-Mobilité",
            &["La Régie Ker-Mobilité est un établissement public créé en 2016."],
        ),
    );
    assert!(
        !release.body_html.contains("Dupont"),
        "{}",
        release.body_html
    );
    assert!(!release.body_html.contains("FIN"), "{}", release.body_html);
    let contact = release.contact.unwrap();
    assert_eq!(
        contact.html,
        "<p>Marie Dupont<br>\n<a href=\"mailto:marie.dupont@ker-mobilite.example\">marie.dupont@ker-mobilite.example</a><br>\n02 99 00 11 22</p>\n"
    );
}

#[test]
fn english_text_with_a_contact_on_one_line_before_the_about_section() {
    check(
        "r.txt",
        "Northwind adds three vessels\n\n\
         TORONTO, May 16, 2023 — Northwind Mobility will add three vessels to\n\
         its fleet in 2024.\n\n\
         ###\n\n\
         Media contact: Jane Doe, +1 416 555 0199, jane.doe@northwind.example\n\n\
         About Northwind Mobility\n\n\
         Northwind Mobility runs electric water taxis on Lake Ontario. It was\n\
         founded in 2015.\n",
        &["Northwind Mobility will add three vessels to its fleet in 2024."],
        section(
            "Media contact",
            &["Jane Doe, +1 416 555 0199, jane.doe@northwind.example"],
        ),
        section(
            "About Northwind Mobility",
            &[
                "Northwind Mobility runs electric water taxis on Lake Ontario. It was founded in 2015.",
            ],
        ),
    );
}

#[test]
fn arabic_text_with_an_about_section_and_a_contact_block() {
    check(
        "r.txt",
        "المركز العربي للطاقة المتجددة يطلق برنامجًا لتدريب ألف مهندس شاب\n\n\
         الرياض، 12 مارس 2023 - أطلق المركز العربي للطاقة المتجددة برنامجًا وطنيًا لتدريب ألف مهندس.\n\n\
         ويُفتح باب التسجيل اعتبارًا من الأول من أبريل المقبل.\n\n\
         انتهى\n\n\
         نبذة عن المركز العربي للطاقة المتجددة\n\n\
         المركز العربي للطاقة المتجددة مؤسسة غير ربحية تأسست عام 2010.\n\n\
         للتواصل الإعلامي:\n\
         سارة الحربي\n\
         media@arec.example\n\
         +966 11 000 0000\n",
        &[
            "أطلق المركز العربي للطاقة المتجددة برنامجًا وطنيًا لتدريب ألف مهندس.",
            "ويُفتح باب التسجيل اعتبارًا من الأول من أبريل المقبل.",
        ],
        section(
            "للتواصل الإعلامي",
            &["سارة الحربي\nmedia@arec.example\n+966 11 000 0000"],
        ),
        section(
            "نبذة عن المركز العربي للطاقة المتجددة",
            &["المركز العربي للطاقة المتجددة مؤسسة غير ربحية تأسست عام 2010."],
        ),
    );
}

#[test]
fn markdown_headings_and_bold_labels() {
    let release = check(
        "r.md",
        "# The Trust restores a wetland\n\n\
         LONDON, 2 May 2023: The Trust has finished restoring the **Marsh Lane** wetland.\n\n\
         A boardwalk will open in March.\n\n\
         ---\n\n\
         ## About the Wetland Trust\n\n\
         The Wetland Trust is a charity founded in 1998.\n\n\
         Its volunteers care for *forty* sites.\n\n\
         **Media contact:**\n\
         Jane Doe\n\
         jane@wetland.example\n",
        &[
            "The Trust has finished restoring the Marsh Lane wetland.",
            "A boardwalk will open in March.",
        ],
        section("Media contact", &["Jane Doe\njane@wetland.example"]),
        section(
            "About the Wetland Trust",
            &[
                "The Wetland Trust is a charity founded in 1998.",
                "Its volunteers care for forty sites.",
            ],
        ),
    );
    assert!(!release.body_html.contains("<hr"), "{}", release.body_html);
    assert_eq!(
        release.about.unwrap().html,
        "<p>The Wetland Trust is a charity founded in 1998.</p>\n<p>Its volunteers care for <em>forty</em> sites.</p>\n"
    );
}

#[test]
fn markdown_in_french_with_a_list_of_contacts() {
    check(
        "r.md",
        "# Le musée rouvre\n\n\
         LYON, 5 octobre 2023 – Le musée rouvre ses portes.\n\n\
         ### Contacts presse\n\n\
         - Marie Dupont : 06 12 34 56 78\n\
         - Paul Martin : paul.martin@musee.example\n",
        &["Le musée rouvre ses portes."],
        section(
            "Contacts presse",
            &["- Marie Dupont : 06 12 34 56 78\n- Paul Martin : paul.martin@musee.example"],
        ),
        None,
    );
}

#[test]
fn two_issuers_make_one_about_section() {
    check(
        "r.txt",
        "Two trusts join forces\n\nThe trusts will share a boat.\n\n\
         About the Harbour Trust\n\nThe Harbour Trust runs the port.\n\n\
         About the Wetland Trust\n\nThe Wetland Trust cares for marshes.\n",
        &["The trusts will share a boat."],
        None,
        section(
            "About the Harbour Trust",
            &[
                "The Harbour Trust runs the port.",
                "About the Wetland Trust",
                "The Wetland Trust cares for marshes.",
            ],
        ),
    );
}

#[test]
fn front_matter_gives_the_sections_and_wins_over_the_text() {
    let release = parse(
        "r.md",
        "---\ntitle: Le musée rouvre\nlang: fr\ncontact: |\n  Service presse\n  presse@musee.example\nabout: Le musée est géré par la Métropole.\n---\n\
         Le musée rouvre ses portes.\n\n\
         Contact presse : Marie Dupont, 06 12 34 56 78\n",
    );
    assert_eq!(release.paragraphs, ["Le musée rouvre ses portes."]);
    assert_eq!(
        parts(&release.contact),
        section("Contact presse", &["Service presse\npresse@musee.example"])
    );
    assert_eq!(
        parts(&release.about),
        section("À propos", &["Le musée est géré par la Métropole."])
    );
}

#[test]
fn near_misses_stay_paragraphs() {
    for (name, text) in [
        // "About" as a word of the sentence.
        (
            "r.txt",
            "A launch\n\nThe ferry was launched.\n\nAbout 200 people attended the launch.\n",
        ),
        (
            "r.txt",
            "A launch\n\nThe ferry was launched.\n\nAbout the same time, the company\nannounced a second route.\n",
        ),
        (
            "r.txt",
            "Un projet\n\nLe projet démarre.\n\nÀ propos de ce projet, le maire a déclaré qu'il était fier.\n",
        ),
        (
            "r.txt",
            "Die Genossenschaft wächst\n\nDie Genossenschaft wächst.\n\nÜber 6.800 Mitglieder zählt sie heute.\n",
        ),
        // A closing subheading about the subject, not the issuer.
        (
            "r.md",
            "# Un projet\n\nLe projet démarre.\n\n## À propos de ce projet\n\nIl coûtera trois millions d'euros.\n",
        ),
        // Contact words without a contact block.
        (
            "r.txt",
            "A programme\n\nThe programme opens.\n\nContact us to learn more about the programme.\n",
        ),
        (
            "r.txt",
            "Un programme\n\nLe programme démarre.\n\nContact presse : le service communication de la mairie.\n",
        ),
        // A heading that names an about section but opens the rest of the body.
        (
            "r.md",
            "# A report\n\nThe report is out.\n\n## About the project\n\nOne.\n\nTwo.\n\nThree.\n\nFour.\n\nFive.\n",
        ),
        // A contact heading in the middle, followed by the rest of the release.
        (
            "r.md",
            "# A report\n\nThe report is out.\n\n## Contact\n\nWrite to us at info@example.org.\n\n## Next steps\n\nThe board meets in May.\n",
        ),
        // The only text after the title is never taken out.
        ("r.txt", "A title\n\nAbout Acme\n\nAcme makes anvils.\n"),
    ] {
        let release = parse(name, text);
        assert!(
            release.contact.is_none() && release.about.is_none(),
            "{text:?} gave {:?} / {:?}",
            release.contact,
            release.about
        );
    }
}

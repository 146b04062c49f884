//! The sections that close a press release apart from its body: the media
//! contact block and the "About …" boilerplate.
//!
//! Both are recognised only at the end of the body, under a heading that names
//! them (`Contact presse :`, `Media contact:`, `Pressekontakt`, `À propos de …`,
//! `About …`, `نبذة عن …`), and only when they have the shape of one: a contact
//! block is short and holds an email address or a phone number; an about
//! section is a few paragraphs. Anything else stays in the body, because
//! taking a real paragraph out of a release is worse than leaving boilerplate
//! in it: a paragraph that merely mentions "about" is body text.

use crate::body::{escape_html, is_end_marker, push_escaped_html};
use crate::document::{Block, BlockKind};
use crate::model::{Lang, Section};

/// Which of the two sections a heading opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    Contact,
    About,
}

/// How many blocks from the end a section heading may stand: a contact block
/// of a few lines after an about section of a few paragraphs.
const MAX_SECTION_BLOCKS: usize = 10;
/// The most paragraphs an about section holds (per issuer).
const MAX_ABOUT_PARAGRAPHS: usize = 4;
/// The most entries (blocks) and characters a contact block holds.
const MAX_CONTACT_ENTRIES: usize = 8;
const MAX_CONTACT_CHARS: usize = 1_200;
/// The longest heading, in characters and words.
const MAX_HEADING_CHARS: usize = 120;
const MAX_HEADING_WORDS: usize = 12;

/// Headings of a contact block, folded (lowercase, without accents, Arabic
/// without vowel marks and with one alef). A bare `Contact` counts too: every
/// contact block must hold an email address or a phone number anyway.
const CONTACT_HEADINGS: &[&str] = &[
    // French
    "contact presse",
    "contacts presse",
    "contact presse et medias",
    "contacts presse et medias",
    "contact media",
    "contacts media",
    "contact medias",
    "contacts medias",
    "relations presse",
    "relations medias",
    "service de presse",
    "service presse",
    "presse",
    // English
    "media contact",
    "media contacts",
    "press contact",
    "press contacts",
    "media enquiries",
    "media inquiries",
    "press enquiries",
    "press inquiries",
    "for media enquiries",
    "for media inquiries",
    "for press enquiries",
    "for press inquiries",
    "media relations",
    "press office",
    "contact information",
    // Spanish
    "contacto de prensa",
    "contactos de prensa",
    "contacto prensa",
    "contacto para medios",
    "contactos para medios",
    "contacto con medios",
    "contacto de medios",
    "prensa",
    "contacto",
    // German
    "pressekontakt",
    "pressekontakte",
    "medienkontakt",
    "medienkontakte",
    "kontakt fur medien",
    "kontakt fur die presse",
    "kontakt fur journalisten",
    "kontakt",
    // Arabic
    "للتواصل الاعلامي",
    "التواصل الاعلامي",
    "للاستفسارات الاعلاميه",
    "للاستفسارات الصحفيه",
    "جهه الاتصال الاعلامي",
    "جهه الاتصال الاعلاميه",
    "المكتب الاعلامي",
    "العلاقات الاعلاميه",
    "للتواصل",
    "للاتصال",
    // Any language
    "contact",
    "contacts",
];

/// A section heading found at the start of a block.
#[derive(Debug, PartialEq, Eq)]
struct Heading {
    kind: SectionKind,
    /// The heading as written, without its colon.
    text: String,
    /// What follows the heading in the same block (`lines`), if anything.
    rest: String,
}

/// Removes the contact block and the about section from the end of `blocks`
/// (in either order, end markers around them included) and returns them.
pub fn split_sections(blocks: &mut Vec<Block>) -> (Option<Section>, Option<Section>) {
    let mut contact: Option<Section> = None;
    let mut about: Option<Section> = None;
    loop {
        trim_end(blocks);
        let Some((start, kind, section)) = last_section(blocks) else {
            break;
        };
        match kind {
            SectionKind::Contact if contact.is_none() => contact = Some(section),
            // A release issued by two organisations has an about section for
            // each: they make one section, in order.
            SectionKind::About => {
                about = Some(match about.take() {
                    None => section,
                    Some(later) => merge_about(section, later),
                })
            }
            SectionKind::Contact => break,
        }
        blocks.truncate(start);
    }
    trim_end(blocks);
    (contact, about)
}

/// Removes what never ends a body: end markers, rules, empty paragraphs.
pub fn trim_end(blocks: &mut Vec<Block>) {
    while blocks.last().is_some_and(|last| {
        last.kind == BlockKind::Rule
            || is_end_marker(&last.text)
            || last.text.trim().is_empty() && last.kind != BlockKind::Other
    }) {
        blocks.pop();
    }
}

/// The section that closes `blocks`, if the closest section heading to the
/// end opens one of the right shape; with the index of its first block.
fn last_section(blocks: &[Block]) -> Option<(usize, SectionKind, Section)> {
    // At least one block of body stays before a section.
    let floor = blocks.len().saturating_sub(MAX_SECTION_BLOCKS).max(1);
    let start = (floor..blocks.len())
        .rev()
        .find(|&index| find_heading(&blocks[index]).is_some())?;
    let heading = find_heading(&blocks[start])?;
    let following = &blocks[start + 1..];
    if following
        .iter()
        .any(|block| matches!(block.kind, BlockKind::Heading(_)) || find_heading(block).is_some())
    {
        return None;
    }
    let kind = heading.kind;
    let section = match kind {
        SectionKind::Contact => contact_section(heading, following)?,
        SectionKind::About => about_section(heading, following)?,
    };
    Some((start, kind, section))
}

fn contact_section(heading: Heading, following: &[Block]) -> Option<Section> {
    let mut entries: Vec<String> = Vec::new();
    let rest = heading.rest.trim();
    if !rest.is_empty() {
        entries.push(tidy_lines(rest));
    }
    entries.extend(
        following
            .iter()
            .map(|block| tidy_lines(&block.lines))
            .filter(|entry| !entry.is_empty()),
    );
    let chars: usize = entries.iter().map(|e| e.chars().count()).sum();
    let shaped = !entries.is_empty()
        && entries.len() <= MAX_CONTACT_ENTRIES
        && chars <= MAX_CONTACT_CHARS
        && entries.iter().any(|e| has_email(e) || has_phone(e));
    if !shaped {
        return None;
    }
    let html = contact_html(&entries);
    Some(Section {
        heading: heading.text,
        paragraphs: entries,
        html,
    })
}

fn about_section(heading: Heading, following: &[Block]) -> Option<Section> {
    let mut paragraphs = Vec::new();
    let mut html = String::new();
    let rest = heading
        .rest
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if !rest.is_empty() {
        html.push_str(&format!("<p>{}</p>\n", escape_html(&rest)));
        paragraphs.push(rest);
    }
    for block in following {
        if !block.text.trim().is_empty() {
            paragraphs.push(block.text.clone());
        }
        html.push_str(&block.html);
    }
    if paragraphs.is_empty() || paragraphs.len() > MAX_ABOUT_PARAGRAPHS {
        return None;
    }
    Some(Section {
        heading: heading.text,
        paragraphs,
        html,
    })
}

fn merge_about(earlier: Section, later: Section) -> Section {
    let mut paragraphs = earlier.paragraphs;
    paragraphs.push(later.heading.clone());
    paragraphs.extend(later.paragraphs);
    Section {
        heading: earlier.heading,
        paragraphs,
        html: format!(
            "{}<p><strong>{}</strong></p>\n{}",
            earlier.html,
            escape_html(&later.heading),
            later.html
        ),
    }
}

/// The section heading a block opens with, if any: the whole block (a
/// heading or a paragraph of its own), its first line (a block of lines), or
/// for a contact block the words before a colon (`Contact presse : Marie…`).
fn find_heading(block: &Block) -> Option<Heading> {
    match block.kind {
        BlockKind::Heading(_) => {
            let (kind, text) = heading_phrase(&block.text)?;
            Some(Heading {
                kind,
                text,
                rest: String::new(),
            })
        }
        BlockKind::Paragraph => heading_in_lines(&block.lines),
        BlockKind::Rule | BlockKind::Other => None,
    }
}

fn heading_in_lines(lines: &str) -> Option<Heading> {
    let lines = lines.trim();
    let (first, after) = match lines.split_once('\n') {
        Some((first, after)) => (first.trim(), after.trim()),
        None => (lines, ""),
    };
    if let Some((kind, text)) = heading_phrase(first) {
        // A heading on the first line of a block of lines must be followed
        // by a new sentence, not by the rest of a wrapped one.
        if after.is_empty() || starts_new_sentence(after) {
            return Some(Heading {
                kind,
                text,
                rest: after.to_owned(),
            });
        }
        return None;
    }
    // `Contact presse : Marie Dupont, 06 12 34 56 78`. (Two searches for
    // one character each run at memchr's speed; one for either character
    // looks at each in turn, through every paragraph of every release.)
    let colon = match (first.find(':'), first.find('：')) {
        (Some(ascii), Some(wide)) => ascii.min(wide),
        (ascii, wide) => ascii.or(wide)?,
    };
    let (kind, text) = heading_phrase(&first[..colon])?;
    if kind != SectionKind::Contact {
        return None;
    }
    let mut rest = first[colon..]
        .trim_start_matches([':', '：'])
        .trim()
        .to_owned();
    if !after.is_empty() {
        rest.push('\n');
        rest.push_str(after);
    }
    Some(Heading { kind, text, rest })
}

/// Whether `line` (the whole of it) is a section heading; returns its kind
/// and the heading as written, without decoration or colon.
fn heading_phrase(line: &str) -> Option<(SectionKind, String)> {
    let text = line
        .trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '*' | '_' | '#'))
        .trim_end_matches(|c: char| {
            c.is_whitespace() || matches!(c, ':' | '：' | '*' | '_' | '-' | '–' | '—')
        });
    if text.is_empty()
        || text.chars().nth(MAX_HEADING_CHARS).is_some()
        || text.split_whitespace().count() > MAX_HEADING_WORDS
        || text.ends_with(['.', '!', '?', ';', ',', '؟', '؛', '،'])
    {
        return None;
    }
    let folded = fold(text);
    if CONTACT_HEADINGS.contains(&folded.as_str()) {
        return Some((SectionKind::Contact, text.to_owned()));
    }
    is_about_heading(&folded, text).then(|| (SectionKind::About, text.to_owned()))
}

/// `À propos de …`, `About …`, `Acerca de …`, `Über …`, `نبذة عن …`: the
/// prefix, an article perhaps, then a name. A name is what a proper noun is
/// in: it holds a capitalised word (`À propos de la Régie`, `À propos du port
/// de Marseille`, `About the Trust`) and starts with neither a number nor a
/// demonstrative or possessive. `About 200 people`, `Über 6.800 Mitglieder`,
/// `À propos de ce projet`, `À propos du projet`, `About our results` are the
/// words of a body, not the heading of an about section.
fn is_about_heading(folded: &str, text: &str) -> bool {
    if matches!(
        folded,
        "a propos" | "a propos de nous" | "about us" | "acerca de nosotros" | "uber uns"
    ) {
        return true;
    }
    let folded_words: Vec<&str> = folded.split_whitespace().collect();
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() != folded_words.len() {
        return false;
    }
    let (prefix, articles): (usize, &[&str]) = match folded_words.as_slice() {
        ["a", "propos", "de" | "du" | "des", _, ..] => (3, &["la", "le", "les"]),
        // `À propos d'Ecovia`: the name follows the elided `de`.
        ["a", "propos", word, ..] if word.starts_with("d'") => (2, &[]),
        ["acerca", "de", _, ..] => (2, &["la", "el", "los", "las"]),
        ["about", _, ..] => (1, &["the"]),
        ["uber", _, ..] => (1, &["die", "der", "das", "den", "dem"]),
        ["نبذه", "عن", _, ..] => return true,
        _ => return false,
    };
    const NOT_A_NAME: &[&str] = &[
        "ce", "cet", "cette", "ces", "notre", "nos", "son", "sa", "ses", "leur", "leurs", "this",
        "these", "that", "those", "our", "its", "their", "este", "esta", "estos", "estas", "ese",
        "esa", "nuestro", "nuestra", "su", "sus", "diese", "dieser", "dieses", "unser", "unsere",
        "ihr", "ihre",
    ];
    let has_article = folded_words
        .get(prefix)
        .is_some_and(|word| articles.contains(word));
    let start = prefix + usize::from(has_article);
    let Some(first) = folded_words.get(start) else {
        return false;
    };
    if NOT_A_NAME.contains(first) || first.starts_with(|c: char| c.is_numeric()) {
        return false;
    }
    // `l'Institut`, `d'Ecovia`: the name after the elision.
    let unelided = |word: &'_ str| -> String {
        ["l'", "l’", "d'", "d’", "L'", "L’", "D'", "D’"]
            .iter()
            .find_map(|elision| word.strip_prefix(elision))
            .unwrap_or(word)
            .to_owned()
    };
    words[start..].iter().any(|word| {
        unelided(word)
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase()))
    })
}

/// Whether `text` opens with a capital letter, a digit or a letter of a
/// script without case (Arabic): the start of a sentence, not of a word
/// wrapped onto the next line.
fn starts_new_sentence(text: &str) -> bool {
    text.chars()
        .find(|c| c.is_alphanumeric())
        .is_some_and(|c| !c.is_lowercase())
}

/// Lowercase, Latin letters without their accents, typographic apostrophes
/// made straight, Arabic without vowel marks and tatweel and with one alef
/// and `ه` for `ة`, spaces collapsed: what headings are compared as.
fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            '’' | 'ʼ' | '`' => folded.push('\''),
            'à' | 'â' | 'ä' | 'á' | 'ã' => folded.push('a'),
            'é' | 'è' | 'ê' | 'ë' => folded.push('e'),
            'î' | 'ï' | 'í' => folded.push('i'),
            'ô' | 'ö' | 'ó' => folded.push('o'),
            'ù' | 'û' | 'ü' | 'ú' => folded.push('u'),
            'ç' => folded.push('c'),
            'ñ' => folded.push('n'),
            'أ' | 'إ' | 'آ' | 'ٱ' => folded.push('ا'),
            'ة' => folded.push('ه'),
            'ى' => folded.push('ي'),
            '\u{640}' | '\u{64B}'..='\u{65F}' | '\u{670}' => {}
            c if c.is_whitespace() => {
                if !folded.ends_with(' ') && !folded.is_empty() {
                    folded.push(' ');
                }
            }
            c => folded.push(c),
        }
    }
    folded.trim_end().to_owned()
}

/// Whether `text` holds something shaped like an email address.
pub fn has_email(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || "<>()[],;«»\"".contains(c))
        .any(|word| is_email(word.trim_end_matches(['.', ':'])))
}

fn is_email(word: &str) -> bool {
    let Some((local, domain)) = word.split_once('@') else {
        return false;
    };
    let local_ok = |c: char| c.is_alphanumeric() || "._%+-'".contains(c);
    let domain_ok = |c: char| c.is_alphanumeric() || ".-".contains(c);
    !local.is_empty()
        && local.chars().all(local_ok)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(domain_ok)
}

/// Whether `text` holds something shaped like a phone number: at least nine
/// digits (of any script) separated only by spaces, dots, dashes, slashes or
/// brackets. Dates (`24.03.2022`) have eight at most.
pub fn has_phone(text: &str) -> bool {
    let mut digits = 0;
    for c in text.chars() {
        if c.is_numeric() {
            digits += 1;
            if digits >= 9 {
                return true;
            }
        } else if !(c == ' ' || "\u{A0}\u{202F}.-–/()+".contains(c)) {
            digits = 0;
        }
    }
    false
}

/// Lines trimmed, blank ones dropped, spaces inside collapsed.
fn tidy_lines(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A contact block's HTML: a paragraph per entry, a line break per line,
/// email addresses as `mailto:` links.
fn contact_html(entries: &[String]) -> String {
    let mut html = String::new();
    for entry in entries {
        html.push_str("<p>");
        for (index, line) in entry.lines().enumerate() {
            if index > 0 {
                html.push_str("<br>\n");
            }
            push_linked_line(&mut html, line);
        }
        html.push_str("</p>\n");
    }
    html
}

fn push_linked_line(html: &mut String, line: &str) {
    let mut rest = line;
    while !rest.is_empty() {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        let core = word
            .trim_start_matches(['(', '<', '«', '"', '['])
            .trim_end_matches(['.', ',', ';', ':', ')', '>', '»', '"', ']']);
        if is_email(core) {
            let at = word.find(core).unwrap_or(0);
            push_escaped_html(html, &word[..at]);
            html.push_str("<a href=\"mailto:");
            push_escaped_html(html, core);
            html.push_str("\">");
            push_escaped_html(html, core);
            html.push_str("</a>");
            push_escaped_html(html, &word[at + core.len()..]);
        } else {
            push_escaped_html(html, word);
        }
        let spaces = rest[end..]
            .find(|c: char| !c.is_whitespace())
            .map_or(rest.len(), |i| end + i);
        push_escaped_html(html, &rest[end..spaces]);
        rest = &rest[spaces..];
    }
}

/// A section the front matter gives as text (`contact: |` or `about: …`):
/// blank lines separate paragraphs; a first line that is a heading of the
/// right kind is the heading, else the default heading of `lang`.
pub fn from_text(kind: SectionKind, text: &str, lang: &Lang) -> Option<Section> {
    let blocks: Vec<String> = text
        .split("\n\n")
        .map(tidy_lines)
        .filter(|block| !block.is_empty())
        .collect();
    let first = blocks.first()?;
    let (heading, mut entries) = match heading_in_lines(first) {
        Some(found) if found.kind == kind => {
            let mut entries = Vec::new();
            if !found.rest.trim().is_empty() {
                entries.push(tidy_lines(&found.rest));
            }
            (found.text, entries)
        }
        _ => (default_heading(kind, lang).to_owned(), vec![first.clone()]),
    };
    entries.extend(blocks[1..].iter().cloned());
    if entries.is_empty() {
        return None;
    }
    let (paragraphs, html) = match kind {
        SectionKind::Contact => {
            let html = contact_html(&entries);
            (entries, html)
        }
        SectionKind::About => {
            let paragraphs: Vec<String> = entries
                .iter()
                .map(|entry| entry.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            let html = paragraphs
                .iter()
                .map(|p| format!("<p>{}</p>\n", escape_html(p)))
                .collect();
            (paragraphs, html)
        }
    };
    Some(Section {
        heading,
        paragraphs,
        html,
    })
}

/// The heading of a section the front matter gives without one.
fn default_heading(kind: SectionKind, lang: &Lang) -> &'static str {
    match (kind, lang.primary()) {
        (SectionKind::Contact, "fr") => "Contact presse",
        (SectionKind::Contact, "es") => "Contacto de prensa",
        (SectionKind::Contact, "de") => "Pressekontakt",
        (SectionKind::Contact, "ar") => "للتواصل الإعلامي",
        (SectionKind::Contact, _) => "Media contact",
        (SectionKind::About, "fr") => "À propos",
        (SectionKind::About, "es") => "Acerca de",
        (SectionKind::About, "de") => "Über uns",
        (SectionKind::About, "ar") => "نبذة",
        (SectionKind::About, _) => "About",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(line: &str) -> Option<SectionKind> {
        heading_phrase(line).map(|(kind, _)| kind)
    }

    #[test]
    fn contact_headings_in_five_languages() {
        for heading in [
            "Contact presse :",
            "Contacts presse",
            "CONTACT PRESSE",
            "Media contact:",
            "Press contact",
            "Media enquiries",
            "Contacto de prensa:",
            "Pressekontakt",
            "للتواصل الإعلامي:",
            "**Contact presse**",
        ] {
            assert_eq!(kind_of(heading), Some(SectionKind::Contact), "{heading}");
        }
    }

    #[test]
    fn a_contact_heading_may_open_its_line_before_the_first_colon_of_either_width() {
        for (line, rest) in [
            (
                "Contact presse : Marie Dupont, 06 12 34 56 78",
                "Marie Dupont, 06 12 34 56 78",
            ),
            ("Contact presse：Marie Dupont", "Marie Dupont"),
            (
                "Media contact: Jane Roe：press desk",
                "Jane Roe：press desk",
            ),
            (
                "Media contact：Jane Roe: press desk",
                "Jane Roe: press desk",
            ),
        ] {
            let heading = heading_in_lines(line).expect(line);
            assert_eq!(heading.kind, SectionKind::Contact, "{line}");
            assert_eq!(heading.rest, rest, "{line}");
        }
        assert!(heading_in_lines("Le port : un quai. Contact presse : Marie").is_none());
    }

    #[test]
    fn about_headings_in_five_languages() {
        for heading in [
            "À propos de la Régie Ker-Mobilité",
            "A propos d'Ecovia",
            "À propos de l’Institut Pasteur",
            "À propos du Groupe Dupont",
            "À propos du port de Marseille",
            "À propos de nous",
            "À propos",
            "About the Halvorsen Water Institute",
            "About Northwind Mobility",
            "About us",
            "Acerca de la Fundación Triana",
            "Über die Energiegenossenschaft Spree-Nord",
            "Über uns",
            "نبذة عن المركز العربي للطاقة المتجددة",
        ] {
            assert_eq!(kind_of(heading), Some(SectionKind::About), "{heading}");
        }
    }

    #[test]
    fn sentences_that_mention_about_are_not_headings() {
        for text in [
            "About 200 people attended the launch.",
            "About 200 residents",
            "about the same time",
            "About the same time, the company",
            "Über 6.800 Mitglieder",
            "À propos de 300 bénévoles",
            "À propos de ce projet",
            "À propos du projet",
            "Acerca de este proyecto",
            "About our company's results",
            "About these New Rules",
            "À propos de ces Rencontres",
            "Contactez-nous pour plus d'informations.",
            "Contact",
        ] {
            assert_ne!(kind_of(text), Some(SectionKind::About), "{text}");
        }
        assert_eq!(kind_of("Contact"), Some(SectionKind::Contact));
    }

    #[test]
    fn emails_and_phones() {
        assert!(has_email("Écrire à marie.dupont@ville-rennes.fr."));
        assert!(!has_email("@pressroom sur les réseaux"));
        assert!(has_phone("+33 1 23 45 67 89"));
        assert!(has_phone("(555) 123-4567"));
        assert!(has_phone("٠٥٠ ١٢٣ ٤٥٦٧"));
        assert!(!has_phone("Riyad, 24.03.2022"));
        assert!(!has_phone("2024-01-15"));
    }

    #[test]
    fn contact_html_links_emails_and_keeps_lines() {
        assert_eq!(
            contact_html(&["Marie Dupont\n(marie@x.fr), 06 12 34 56 78".to_owned()]),
            "<p>Marie Dupont<br>\n(<a href=\"mailto:marie@x.fr\">marie@x.fr</a>), 06 12 34 56 78</p>\n"
        );
    }

    #[test]
    fn front_matter_sections_take_a_heading_or_a_default() {
        let fr = Lang::parse("fr").unwrap();
        let contact = from_text(SectionKind::Contact, "Marie Dupont\nmarie@x.fr\n", &fr).unwrap();
        assert_eq!(contact.heading, "Contact presse");
        assert_eq!(contact.paragraphs, ["Marie Dupont\nmarie@x.fr"]);
        let about =
            from_text(SectionKind::About, "About Acme\n\nAcme makes\nanvils.", &fr).unwrap();
        assert_eq!(about.heading, "About Acme");
        assert_eq!(about.paragraphs, ["Acme makes anvils."]);
        assert_eq!(about.html, "<p>Acme makes anvils.</p>\n");
        assert_eq!(from_text(SectionKind::About, " \n\n ", &fr), None);
    }
}

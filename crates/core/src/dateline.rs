//! Datelines: the `PLACE, DATE` that opens a press release.
//!
//! A dateline stands either as a block of its own (`Riyad, 24-03-2022`, or a
//! date alone) or as the opening of the first paragraph, closed by a dash or a
//! colon (`PARIS, le 24 mars 2022 – La Fondation…`). The place is what comes
//! before a comma (Latin `,` or Arabic `،`); since dates themselves may hold
//! commas (`Tuesday, May 16, 2023`), every comma is tried as the separator and
//! the whole text must be a date before anything is taken as a place.

use chrono::NaiveDate;

use crate::date::{DateMatch, is_weekday, normalise, parse_date};

/// A dateline found in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dateline {
    pub place: Option<String>,
    pub date: NaiveDate,
}

/// What a candidate dateline turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatelineMatch {
    Found(Dateline),
    /// Shaped like a dateline, but its date does not exist; holds the date text.
    Impossible(String),
}

/// The longest place we accept, in characters and in words: a dateline place
/// is a city (`SAN SEBASTIÁN DE LOS REYES`), never a sentence.
const MAX_PLACE_CHARS: usize = 60;
const MAX_PLACE_WORDS: usize = 6;

/// How far into a paragraph a dateline prefix may reach.
const MAX_PREFIX_CHARS: usize = 160;

/// The longest text that can be a dateline: a place and a long date.
const MAX_DATELINE_BYTES: usize = (MAX_PLACE_CHARS + 60) * 4;

/// Parses `text` as a dateline if the whole of it is one.
pub fn parse_dateline(text: &str) -> Option<DatelineMatch> {
    let text = text.trim();
    if text.len() > MAX_DATELINE_BYTES || text.chars().count() > MAX_PLACE_CHARS + 60 {
        return None;
    }
    if let Some(found) = parse_date(text) {
        return Some(with_place(None, found, text));
    }
    for (index, separator) in text.char_indices().filter(|(_, c)| matches!(c, ',' | '،')) {
        let place = text[..index].trim();
        let date_text = text[index + separator.len_utf8()..].trim();
        if !is_place(place) {
            continue;
        }
        if let Some(found) = parse_date(date_text) {
            return Some(with_place(Some(place), found, date_text));
        }
    }
    None
}

/// Splits a dateline prefix off a paragraph: returns the dateline and the rest
/// of the paragraph, or `None` when the paragraph does not open with one.
pub fn split_dateline_prefix(paragraph: &str) -> Option<(DatelineMatch, &str)> {
    let mut chars = paragraph.char_indices().peekable();
    let mut previous = ' ';
    let mut count = 0;
    while let Some((index, c)) = chars.next() {
        count += 1;
        if count > MAX_PREFIX_CHARS {
            return None;
        }
        let next = chars.peek().map(|&(_, next)| next);
        let closes = match c {
            // A dash only closes a dateline when it stands between spaces, so
            // that `24-03-2022` and `Saint-Denis` keep theirs.
            '–' | '—' | '―' | '‒' | '-' => {
                previous.is_whitespace() && next.is_none_or(char::is_whitespace)
            }
            ':' => next.is_none_or(char::is_whitespace),
            _ => false,
        };
        if closes && let Some(found) = parse_dateline(&paragraph[..index]) {
            let rest = paragraph[index + c.len_utf8()..].trim_start();
            return Some((found, rest));
        }
        previous = c;
    }
    None
}

fn with_place(place: Option<&str>, found: DateMatch, date_text: &str) -> DatelineMatch {
    match found {
        DateMatch::Day(date) => DatelineMatch::Found(Dateline {
            place: place.map(str::to_owned),
            date,
        }),
        DateMatch::Impossible => DatelineMatch::Impossible(date_text.to_owned()),
    }
}

/// Whether `text` can be the place of a dateline: a few words, starting with
/// a letter, without sentence punctuation, and not a weekday.
fn is_place(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    first.is_alphabetic()
        && text.chars().count() <= MAX_PLACE_CHARS
        && text.split_whitespace().count() <= MAX_PLACE_WORDS
        && !text.contains(['!', '?', ';', ':', '"', '«', '»', '“', '”'])
        && has_only_abbreviation_dots(text)
        && !is_weekday(&normalise(text))
}

/// Dots are allowed in a place only after abbreviations (`St. Louis`,
/// `Washington, D.C.`), never at the end of a sentence (`Il a dit. Puis`).
fn has_only_abbreviation_dots(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|word| word.contains('.'))
        .all(|word| word.split('.').all(|part| part.chars().count() <= 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, place: Option<&str>, (y, m, d): (i32, u32, u32)) {
        let expected = Dateline {
            place: place.map(str::to_owned),
            date: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
        };
        assert_eq!(
            parse_dateline(text),
            Some(DatelineMatch::Found(expected)),
            "{text:?}"
        );
    }

    #[test]
    fn place_and_date_blocks() {
        found("Riyad, 24-03-2022", Some("Riyad"), (2022, 3, 24));
        found("Rennes, 20 septembre 2023", Some("Rennes"), (2023, 9, 20));
        found(
            "Marseille, mardi 14 novembre 2023",
            Some("Marseille"),
            (2023, 11, 14),
        );
        found(
            "LEEDS, Monday, September 11, 2023",
            Some("LEEDS"),
            (2023, 9, 11),
        );
        found("Wellington, 2024-01-15", Some("Wellington"), (2024, 1, 15));
        found("عمّان، 19 تشرين الثاني 2023", Some("عمّان"), (2023, 11, 19));
        found("القاهرة، ٠٥-١١-٢٠٢٣", Some("القاهرة"), (2023, 11, 5));
        found(
            "Washington, D.C., March 3, 2023",
            Some("Washington, D.C."),
            (2023, 3, 3),
        );
        found("St. Louis, March 3, 2023", Some("St. Louis"), (2023, 3, 3));
    }

    #[test]
    fn a_date_alone_has_no_place() {
        found("Tuesday, May 16, 2023", None, (2023, 5, 16));
        found("24 mars 2022", None, (2022, 3, 24));
    }

    #[test]
    fn sentences_are_not_datelines() {
        assert_eq!(parse_dateline("Un réseau de 40 bornes d'ici 2025"), None);
        assert_eq!(
            parse_dateline("The board met on 24 March 2022, and agreed."),
            None
        );
        assert_eq!(parse_dateline("Paris"), None);
        assert_eq!(parse_dateline("Il a dit. Puis, 24 mars 2022"), None);
    }

    #[test]
    fn impossible_dates_are_reported() {
        assert_eq!(
            parse_dateline("Riyad, 31-02-2022"),
            Some(DatelineMatch::Impossible("31-02-2022".to_owned()))
        );
    }

    fn prefix(paragraph: &str, place: &str, (y, m, d): (i32, u32, u32), rest: &str) {
        let expected = Dateline {
            place: Some(place.to_owned()),
            date: NaiveDate::from_ymd_opt(y, m, d).unwrap(),
        };
        assert_eq!(
            split_dateline_prefix(paragraph),
            Some((DatelineMatch::Found(expected), rest)),
            "{paragraph:?}"
        );
    }

    #[test]
    fn prefixes_close_with_a_dash_or_a_colon() {
        prefix(
            "PARIS, le 24 mars 2022 – La Fondation annonce",
            "PARIS",
            (2022, 3, 24),
            "La Fondation annonce",
        );
        prefix(
            "RIYADH, March 24, 2022 — The Coalition",
            "RIYADH",
            (2022, 3, 24),
            "The Coalition",
        );
        prefix(
            "الرياض، 24 مارس 2022 - أطلق المركز",
            "الرياض",
            (2022, 3, 24),
            "أطلق المركز",
        );
        prefix(
            "BERLIN, 12.09.2023 – Die Genossenschaft",
            "BERLIN",
            (2023, 9, 12),
            "Die Genossenschaft",
        );
        prefix(
            "SEVILLA, 3/7/2023 – La Fundación",
            "SEVILLA",
            (2023, 7, 3),
            "La Fundación",
        );
        prefix(
            "Lyon, 5 octobre 2023 : Le musée",
            "Lyon",
            (2023, 10, 5),
            "Le musée",
        );
        prefix(
            "LONDON, 2 May 2023: The Trust",
            "LONDON",
            (2023, 5, 2),
            "The Trust",
        );
        prefix(
            "Bordeaux, le 1er juin 2023 – Les Vignerons",
            "Bordeaux",
            (2023, 6, 1),
            "Les Vignerons",
        );
        prefix(
            "Saint-Denis, 2 mai 2023 – Le club",
            "Saint-Denis",
            (2023, 5, 2),
            "Le club",
        );
    }

    #[test]
    fn paragraphs_without_a_dateline_prefix_are_left_alone() {
        assert_eq!(
            split_dateline_prefix("La Coalition a reçu, jeudi 24/3/2022, à son siège – puis"),
            None
        );
        assert_eq!(
            split_dateline_prefix("Le 24 mars 2022 à 10:00 – la réunion"),
            None
        );
        assert_eq!(
            split_dateline_prefix("Aucune date ici : rien à couper."),
            None
        );
    }
}

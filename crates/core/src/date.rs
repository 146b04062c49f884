//! Dates as press releases write them, in French, English, Arabic, Spanish
//! and German.
//!
//! A dateline date is matched as a whole: `24-03-2022`, `24/3/2022`,
//! `12.09.2023`, `2024-01-15`, `le 1er juin 2023`, `mardi 14 novembre 2023`,
//! `Tuesday, May 16, 2023`, `21 March 2024`, `3 de julio de 2023`,
//! `12. September 2023`, `١٩ تشرين الثاني ٢٠٢٣`. Numeric dates are day-first,
//! as they are everywhere these releases come from. A text shaped like a date
//! that names a day the calendar does not have (`31-02-2022`) is reported as
//! impossible so that the caller can refuse it: a guessed date would be
//! published to every subscriber.

use chrono::NaiveDate;

/// What a text that may be a date turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateMatch {
    /// A real calendar day.
    Day(NaiveDate),
    /// Shaped like a date, but no such day exists.
    Impossible,
}

/// Years outside this range are not taken for dates (`1234` is a number).
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2100;

/// Parses `text` as a date if the whole of it is one.
pub fn parse_date(text: &str) -> Option<DateMatch> {
    let normalised = normalise(text);
    let tokens = tokenize(&normalised)?;
    let tokens = strip_weekday_and_article(&tokens);
    numeric(tokens)
        .or_else(|| day_month_year(tokens))
        .or_else(|| month_day_year(tokens))
}

/// Lowercase, ASCII digits, plain spaces, and one spelling per Arabic letter
/// (hamza forms of alef, no diacritics or tatweel), so that the tables below
/// need one entry per name.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{0660}'..='\u{0669}' => out.push(char::from(b'0' + (c as u32 - 0x0660) as u8)),
            '\u{06F0}'..='\u{06F9}' => out.push(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
            '\u{00A0}' | '\u{202F}' | '\u{2009}' | '\u{2007}' | '\u{2002}'..='\u{2006}' => {
                out.push(' ')
            }
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ى' => out.push('ي'),
            'ة' => out.push('ه'),
            // Harakat, shadda, sukun, superscript alef, and tatweel carry no meaning here.
            '\u{064B}'..='\u{0652}' | '\u{0670}' | '\u{0640}' => {}
            '،' => out.push(','),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A run of ASCII digits: its value and how many digits it had.
    Number(u32, usize),
    Word(String),
    /// One of `-`, `/`, `.`, `,`.
    Separator(char),
}

/// Splits into numbers, words and separators; `None` for text with anything
/// else in it (a date has no quotes, brackets or sentence punctuation).
fn tokenize(text: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c.is_ascii_digit() {
            let mut end = start;
            while let Some(&(i, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                end = i + d.len_utf8();
                chars.next();
            }
            let digits = &text[start..end];
            if digits.len() > 4 {
                return None;
            }
            tokens.push(Token::Number(digits.parse().ok()?, digits.len()));
        } else if c.is_alphabetic() {
            let mut end = start;
            while let Some(&(i, l)) = chars.peek().filter(|(_, l)| l.is_alphabetic()) {
                end = i + l.len_utf8();
                chars.next();
            }
            tokens.push(Token::Word(text[start..end].to_owned()));
        } else if matches!(c, '-' | '/' | '.' | ',' | '–') {
            tokens.push(Token::Separator(if c == '–' { '-' } else { c }));
            chars.next();
        } else {
            return None;
        }
    }
    Some(tokens)
}

const WEEKDAYS: &[&str] = &[
    // French
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    // English, with the usual abbreviations
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    // Spanish
    "lunes",
    "martes",
    "miércoles",
    "miercoles",
    "jueves",
    "viernes",
    "sábado",
    "sabado",
    "domingo",
    // German
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonnabend",
    "sonntag",
    // Arabic, after normalise(): with and without the article
    "الاثنين",
    "الثلاثاء",
    "الاربعاء",
    "الخميس",
    "الجمعه",
    "السبت",
    "الاحد",
    "اثنين",
    "ثلاثاء",
    "اربعاء",
    "خميس",
    "جمعه",
    "سبت",
    "احد",
];

/// Whether `word` (already normalised) names a day of the week.
pub(crate) fn is_weekday(word: &str) -> bool {
    WEEKDAYS.contains(&word)
}

/// Drops `Tuesday,`, `mardi`, `le`, `el`, `den`, `am`, `يوم`, in any order
/// they appear before the date itself.
fn strip_weekday_and_article(mut tokens: &[Token]) -> &[Token] {
    loop {
        match tokens {
            [Token::Word(w), rest @ ..]
                if is_weekday(w)
                    || matches!(w.as_str(), "le" | "el" | "den" | "am" | "the" | "يوم") =>
            {
                tokens = rest;
                if let [Token::Separator(',' | '.'), rest @ ..] = tokens {
                    tokens = rest;
                }
            }
            _ => return tokens,
        }
    }
}

/// `24-03-2022`, `24/3/2022`, `12.09.2023` (day first) and `2024-01-15`.
fn numeric(tokens: &[Token]) -> Option<DateMatch> {
    match tokens {
        [
            Token::Number(a, a_len),
            Token::Separator(s1),
            Token::Number(b, b_len),
            Token::Separator(s2),
            Token::Number(c, c_len),
        ] if s1 == s2 && matches!(s1, '-' | '/' | '.') => {
            if *a_len == 4 && *b_len <= 2 && *c_len <= 2 && matches!(s1, '-' | '/') {
                day(*a as i32, *b, *c)
            } else if *a_len <= 2 && *b_len <= 2 && *c_len == 4 {
                day(*c as i32, *b, *a)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `1er juin 2023`, `21 March 2024`, `3 de julio de 2023`, `12. September
/// 2023`, `12 مارس 2023م`, `19 تشرين الثاني 2023`.
fn day_month_year(tokens: &[Token]) -> Option<DateMatch> {
    let [Token::Number(d, d_len), rest @ ..] = tokens else {
        return None;
    };
    if *d_len > 2 {
        return None;
    }
    let mut rest = rest;
    // Ordinal suffixes: 1er, 1st, 2nd, 3rd, 4th, 2e, 12º and the German `12.`.
    if let [Token::Word(w), tail @ ..] = rest
        && matches!(
            w.as_str(),
            "er" | "re" | "e" | "ème" | "eme" | "st" | "nd" | "rd" | "th" | "º" | "o"
        )
    {
        rest = tail;
    }
    if let [Token::Separator('.'), tail @ ..] = rest {
        rest = tail;
    }
    if let [Token::Word(w), tail @ ..] = rest
        && matches!(w.as_str(), "de" | "of")
    {
        rest = tail;
    }
    let (month, mut rest) = month(rest)?;
    if let [Token::Separator(','), tail @ ..] = rest {
        rest = tail;
    }
    if let [Token::Word(w), tail @ ..] = rest
        && matches!(w.as_str(), "de" | "del")
    {
        rest = tail;
    }
    let year = year(rest)?;
    day(year, month, *d)
}

/// `October 2, 2023`, `March 24th 2022`.
fn month_day_year(tokens: &[Token]) -> Option<DateMatch> {
    let (month, rest) = month(tokens)?;
    let [Token::Number(d, d_len), rest @ ..] = rest else {
        return None;
    };
    if *d_len > 2 {
        return None;
    }
    let mut rest = rest;
    if let [Token::Word(w), tail @ ..] = rest
        && matches!(w.as_str(), "st" | "nd" | "rd" | "th")
    {
        rest = tail;
    }
    if let [Token::Separator(','), tail @ ..] = rest {
        rest = tail;
    }
    let year = year(rest)?;
    day(year, month, *d)
}

/// A four-digit year closing the date, optionally followed by the Arabic
/// `م` (Gregorian era) marker.
fn year(tokens: &[Token]) -> Option<i32> {
    match tokens {
        [Token::Number(y, 4)] => Some(*y as i32),
        [Token::Number(y, 4), Token::Word(era)] if era == "م" => Some(*y as i32),
        [Token::Number(y, 4), Token::Word(era), Token::Separator('.')] if era == "م" => {
            Some(*y as i32)
        }
        _ => None,
    }
    .filter(|y| YEARS.contains(y))
}

/// A month name (one or two words, an abbreviation with or without its dot,
/// or two names for the same month joined by `/` as Arabic releases write
/// `مارس/آذار`), and the tokens after it.
fn month(tokens: &[Token]) -> Option<(u32, &[Token])> {
    let (month, mut rest) = single_month(tokens)?;
    if let [Token::Separator('/'), tail @ ..] = rest
        && let Some((other, tail)) = single_month(tail)
        && other == month
    {
        rest = tail;
    }
    Some((month, rest))
}

fn single_month(tokens: &[Token]) -> Option<(u32, &[Token])> {
    if let [Token::Word(first), Token::Word(second), rest @ ..] = tokens
        && let Some(month) = month_number(&format!("{first} {second}"))
    {
        return Some((month, rest));
    }
    let [Token::Word(word), rest @ ..] = tokens else {
        return None;
    };
    let month = month_number(word)?;
    match rest {
        [Token::Separator('.'), tail @ ..] => Some((month, tail)),
        _ => Some((month, rest)),
    }
}

/// Month names after `normalise()`: lowercase, Arabic alef without hamza.
const MONTHS: &[(&str, u32)] = &[
    // French, with and without accents, and the usual abbreviations.
    ("janvier", 1),
    ("janv", 1),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("fevr", 2),
    ("fév", 2),
    ("mars", 3),
    ("avril", 4),
    ("avr", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("juil", 7),
    ("août", 8),
    ("aout", 8),
    ("septembre", 9),
    ("sept", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
    // English.
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("may", 5),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sep", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
    // Spanish.
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    // German.
    ("januar", 1),
    ("jänner", 1),
    ("februar", 2),
    ("märz", 3),
    ("maerz", 3),
    ("april", 4),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("august", 8),
    ("oktober", 10),
    ("dezember", 12),
    // Arabic as written in Egypt and the Gulf (after normalise()).
    ("يناير", 1),
    ("فبراير", 2),
    ("مارس", 3),
    ("ابريل", 4),
    ("ابريل", 4),
    ("مايو", 5),
    ("يونيو", 6),
    ("يونيه", 6),
    ("يوليو", 7),
    ("يوليه", 7),
    ("اغسطس", 8),
    ("سبتمبر", 9),
    ("اكتوبر", 10),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
    // Arabic as written in the Levant and Iraq.
    ("كانون الثاني", 1),
    ("شباط", 2),
    ("اذار", 3),
    ("نيسان", 4),
    ("ايار", 5),
    ("حزيران", 6),
    ("تموز", 7),
    ("اب", 8),
    ("ايلول", 9),
    ("تشرين الاول", 10),
    ("تشرين الثاني", 11),
    ("كانون الاول", 12),
    // Arabic as written in the Maghreb.
    ("جانفي", 1),
    ("فيفري", 2),
    ("افريل", 4),
    ("ماي", 5),
    ("جوان", 6),
    ("جويليه", 7),
    ("جويليا", 7),
    ("اوت", 8),
    ("سبتمبر", 9),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
];

fn month_number(word: &str) -> Option<u32> {
    MONTHS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, month)| *month)
}

fn day(year: i32, month: u32, day: u32) -> Option<DateMatch> {
    if !YEARS.contains(&year) {
        return None;
    }
    Some(match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => DateMatch::Day(date),
        None => DateMatch::Impossible,
    })
}

/// The day written out in `lang`, as a reader of that language expects it:
/// "24 March 2022", "1er mars 2022", "24 de marzo de 2022", "24. März 2022",
/// "24 مارس 2022"; ISO 8601 (`2022-03-24`) for other languages. Shared by
/// the pages and the digest emails, so that both write a date the same way.
pub fn long_day(day: NaiveDate, lang: &crate::Lang) -> String {
    use chrono::Datelike;
    let (d, m, y) = (day.day(), day.month0() as usize, day.year());
    match lang.primary() {
        "en" => format!("{d} {} {y}", WRITTEN_EN[m]),
        "fr" if d == 1 => format!("1er {} {y}", WRITTEN_FR[m]),
        "fr" => format!("{d} {} {y}", WRITTEN_FR[m]),
        "es" => format!("{d} de {} de {y}", WRITTEN_ES[m]),
        "de" => format!("{d}. {} {y}", WRITTEN_DE[m]),
        "ar" => format!("{d} {} {y}", WRITTEN_AR[m]),
        _ => day.format("%Y-%m-%d").to_string(),
    }
}

const WRITTEN_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WRITTEN_FR: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];
const WRITTEN_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const WRITTEN_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
/// The month names used in Egypt and the Gulf, the most widely understood.
const WRITTEN_AR: [&str; 12] = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
];

#[cfg(test)]
mod long_day_tests {
    use super::*;

    #[test]
    fn days_are_written_in_the_reader_language() {
        let day = NaiveDate::from_ymd_opt(2022, 3, 24).expect("a valid test date");
        let check = |lang: &str, expected: &str| {
            let lang = crate::Lang::parse(lang).expect("a valid test language");
            assert_eq!(long_day(day, &lang), expected, "in {lang}");
        };
        check("fr", "24 mars 2022");
        check("en", "24 March 2022");
        check("en-GB", "24 March 2022");
        check("ar", "24 مارس 2022");
        check("es", "24 de marzo de 2022");
        check("de", "24. März 2022");
        check("it", "2022-03-24");
        check("zh-Hant", "2022-03-24");
        let first = NaiveDate::from_ymd_opt(2023, 8, 1).expect("a valid test date");
        let fr = crate::Lang::parse("fr").expect("valid");
        assert_eq!(long_day(first, &fr), "1er août 2023");
        let second = NaiveDate::from_ymd_opt(2023, 12, 2).expect("a valid test date");
        assert_eq!(long_day(second, &fr), "2 décembre 2023");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<(i32, u32, u32)>) {
        let expected =
            expected.map(|(y, m, d)| DateMatch::Day(NaiveDate::from_ymd_opt(y, m, d).unwrap()));
        assert_eq!(parse_date(text), expected, "{text:?}");
    }

    fn impossible(text: &str) {
        assert_eq!(parse_date(text), Some(DateMatch::Impossible), "{text:?}");
    }

    #[test]
    fn numeric_dates_are_day_first() {
        check("24-03-2022", Some((2022, 3, 24)));
        check("24/03/2022", Some((2022, 3, 24)));
        check("12.09.2023", Some((2023, 9, 12)));
        check("3/7/2023", Some((2023, 7, 3)));
        check("05-11-2023", Some((2023, 11, 5)));
    }

    #[test]
    fn iso_dates() {
        check("2024-01-15", Some((2024, 1, 15)));
        check("2024/01/15", Some((2024, 1, 15)));
    }

    #[test]
    fn impossible_dates_are_never_guessed() {
        impossible("31-02-2022");
        impossible("29/02/2023");
        impossible("10/24/2023");
        impossible("0.1.2023");
        impossible("31 avril 2023");
        impossible("2023-13-01");
    }

    #[test]
    fn separators_must_agree_and_years_be_plausible() {
        check("24-03/2022", None);
        check("24-03-22", None);
        check("24-03-1234", None);
        check("1234", None);
        check("2022", None);
    }

    #[test]
    fn french_month_names() {
        check("24 mars 2022", Some((2022, 3, 24)));
        check("le 3 mars 2023", Some((2023, 3, 3)));
        check("le 1er juin 2023", Some((2023, 6, 1)));
        check("mardi 14 novembre 2023", Some((2023, 11, 14)));
        check("7 février 2023", Some((2023, 2, 7)));
        check("7 fevrier 2023", Some((2023, 2, 7)));
        check("15 août 2023", Some((2023, 8, 15)));
        check("2 déc. 2023", Some((2023, 12, 2)));
        check("Mardi\u{202F}14\u{A0}novembre 2023", Some((2023, 11, 14)));
    }

    #[test]
    fn english_month_names() {
        check("21 March 2024", Some((2024, 3, 21)));
        check("October 2, 2023", Some((2023, 10, 2)));
        check("March 24th, 2022", Some((2022, 3, 24)));
        check("Tuesday, May 16, 2023", Some((2023, 5, 16)));
        check("Monday, September 11, 2023", Some((2023, 9, 11)));
        check("Sept. 5, 2023", Some((2023, 9, 5)));
        check("1st of May 2023", Some((2023, 5, 1)));
    }

    #[test]
    fn spanish_and_german_month_names() {
        check("3 de julio de 2023", Some((2023, 7, 3)));
        check("martes, 4 de julio de 2023", Some((2023, 7, 4)));
        check("12. September 2023", Some((2023, 9, 12)));
        check("Dienstag, 12. März 2024", Some((2024, 3, 12)));
    }

    #[test]
    fn arabic_month_names_and_digits() {
        check("12 مارس 2023", Some((2023, 3, 12)));
        check("١٢ مارس ٢٠٢٣", Some((2023, 3, 12)));
        check("٠٥-١١-٢٠٢٣", Some((2023, 11, 5)));
        check("24 أبريل 2023م", Some((2023, 4, 24)));
        check("الخميس 24 مارس 2022", Some((2022, 3, 24)));
        check("يوم الخميس، 24 مارس 2022", Some((2022, 3, 24)));
        check("24 مارس/آذار 2022", Some((2022, 3, 24)));
    }

    #[test]
    fn levantine_month_names() {
        let months = [
            "كانون الثاني",
            "شباط",
            "آذار",
            "نيسان",
            "أيار",
            "حزيران",
            "تموز",
            "آب",
            "أيلول",
            "تشرين الأول",
            "تشرين الثاني",
            "كانون الأول",
        ];
        for (index, name) in months.iter().enumerate() {
            check(
                &format!("19 {name} 2023"),
                Some((2023, index as u32 + 1, 19)),
            );
        }
    }

    #[test]
    fn text_that_is_not_only_a_date_is_not_a_date() {
        check("24 mars 2022 à Paris", None);
        check("Paris", None);
        check("le 24", None);
        check("mars 2022", None);
        check("24 mars", None);
        check("", None);
        check("Riyad, 24-03-2022", None);
    }
}
